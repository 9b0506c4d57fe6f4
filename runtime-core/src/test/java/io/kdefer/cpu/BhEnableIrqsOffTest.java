/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.softirq.Softirq;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * B-SIRQ-11: {@code localBhEnable()} with IRQs disabled is a caller bug that is reported; it must not run the
 * pending softirqs there, because their drain enables IRQs and would take hardirqs inside the caller's IRQ-off
 * section. MANUAL mode.
 */
@Timeout(10)
class BhEnableIrqsOffTest {
    @RegisterExtension
    final Machines machines = new Machines();

    @Test
    void localBhEnableWithIrqsDisabledIsReportedAndLeavesSoftirqsToKsoftirqd() {
        Machine m = machines.boot(b -> b.cpus(1));
        List<String> log = new ArrayList<>();
        m.softirqs().open(Softirq.NET_RX, () -> log.add("NET_RX"));
        m.irqs().request(40, (irq, dev) -> {
            log.add("hardirq");
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        Cpu c0 = m.cpu(0);
        try (LogCapture rec = LogCapture.of("io.kdefer.cpu")) {
            c0.enterManual();
            try {
                long flags = c0.localIrqSave();
                c0.localBhDisable();
                m.softirqs().raise(Softirq.NET_RX);
                m.gic().pulse(40);
                c0.localBhEnable();
                log.add("bh enabled, IRQs still off");
                c0.localIrqRestore(flags);
            } finally {
                c0.exitManual();
            }
            assertEquals(1, rec.count("local_bh_enable with IRQs disabled"), rec.messages().toString());
        }
        assertEquals(List.of("bh enabled, IRQs still off", "hardirq", "NET_RX"), log,
                "nothing ran inside the IRQ-off section; at localIrqRestore the hardirq was taken and its irq exit "
                        + "ran the softirq (B-SIRQ-3a)");
        assertEquals(0, m.softirqs().pending(0));
    }
}
