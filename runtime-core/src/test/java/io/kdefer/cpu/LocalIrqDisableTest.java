/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.Machines;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.kdefer.Machine;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.softirq.Softirq;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Cpu#localIrqDisable()} / {@link Cpu#localIrqEnable()} (kernel: local_irq_disable / local_irq_enable):
 * unconditional, not nesting, and the enable is a checkpoint. MANUAL mode.
 */
@Timeout(10)
class LocalIrqDisableTest {
    @RegisterExtension
    final Machines machines = new Machines();

    private static final int LINE = 40;

    private Machine m;

    @BeforeEach
    void boot() {
        m = machines.boot(b -> b.cpus(2));
    }

    @Test
    void enableIsACheckpointThatTakesWhatBecamePending() {
        List<String> order = new ArrayList<>();
        m.irqs().request(LINE, (irq, dev) -> {
            order.add("hardirq");
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        m.softirqs().open(Softirq.NET_RX, () -> {
            Cpu c = Cpu.current();
            c.localIrqDisable();
            m.gic().pulse(LINE);
            Cpu.checkpoint();
            order.add("checkpoint, IRQs disabled " + CpuContext.current().irqsDisabled());
            c.localIrqEnable();
            order.add("enabled, IRQs disabled " + CpuContext.current().irqsDisabled());
        });
        m.softirqs().raiseOn(0, Softirq.NET_RX);
        m.cpu(0).runPending();
        assertEquals(List.of("checkpoint, IRQs disabled true", "hardirq", "enabled, IRQs disabled false"), order,
                "the IRQ is held off while disabled and taken at the enable");
    }

    @Test
    void disableDoesNotNestAndEnableIsUnconditional() {
        m.bindCurrentThread(1);
        try {
            Cpu c1 = m.cpu(1);
            long f = c1.localIrqSave();
            c1.localIrqDisable();                 // already off: no count, nothing remembered
            assertTrue(CpuContext.current().irqsDisabled());
            c1.localIrqEnable();                  // turns them on although the outer section still wants them off
            assertFalse(CpuContext.current().irqsDisabled(), "local_irq_enable is unconditional");
            c1.localIrqRestore(f);
            assertFalse(CpuContext.current().irqsDisabled());
            c1.localIrqDisable();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> CpuContext.mightSleep("op"));
            assertTrue(e.getMessage().contains("task context with IRQs disabled"), e.getMessage());
            c1.localIrqEnable();
            CpuContext.mightSleep("op");          // allowed again
        } finally {
            m.unbindCurrentThread();
        }
    }

    @Test
    void localMeansTheCallingThreadsCpu() {
        m.bindCurrentThread(0);
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.cpu(1).localIrqDisable());
            assertTrue(e.getMessage().contains("localIrqDisable on cpu/1") && e.getMessage().contains("cpu/0"),
                    e.getMessage());
            assertThrows(IllegalStateException.class, () -> m.cpu(1).localIrqEnable());
            assertFalse(CpuContext.current().irqsDisabled(), "the refused calls changed nothing");
        } finally {
            m.unbindCurrentThread();
        }
    }
}
