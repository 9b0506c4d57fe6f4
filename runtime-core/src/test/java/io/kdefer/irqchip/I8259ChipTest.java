/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqchip;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.Platform;
import io.kdefer.cpu.Cpu;
import io.kdefer.irq.FlowHandler;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irq.Irqs;
import io.kdefer.x86.I8259Pair;
import io.kdefer.x86.IrqVectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static io.kdefer.irqchip.X86Support.assertRow;
import static io.kdefer.irqchip.X86Support.await;
import static io.kdefer.irqchip.X86Support.einval;
import static io.kdefer.irqchip.X86Support.globalCount;
import static io.kdefer.irqchip.X86Support.manual;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The 8259A pair as the XT-PIC chip on X86_LEGACY_PIC (MANUAL mode): ISA IRQs through CPU 0's virtual wire with
 * handle_level_irq, the cascade, slave lines, the ELCR, the spurious IRQ 15, the software resend, and misuse.
 */
@Timeout(20)
class I8259ChipTest {
    private Machine m;
    private Irqs irqs;
    private I8259Pair pic;
    private final List<Integer> ran = new ArrayList<>();

    private void boot(int cpus) {
        m = manual(Platform.X86_LEGACY_PIC, cpus);
        irqs = m.irqs();
        pic = m.pic();
    }

    @AfterEach
    void close() {
        if (m != null) {
            m.close();
        }
    }

    private IrqReturn record(int irq, Object dev) {
        ran.add(Cpu.current().id());
        return IrqReturn.HANDLED;
    }

    @Test
    void anIsaLineRunsOnCpu0ThroughTheVirtualWireWithTheLevelFlow() {
        boot(2);
        irqs.request(4, this::record, IrqFlags.TRIGGER_RISING, "serial", null);
        assertEquals(FlowHandler.LEVEL, irqs.desc(4).flowHandler());
        assertEquals("XT-PIC", irqs.desc(4).chipName());
        assertEquals(0, pic.imr() & 1 << 4, "unmasked at request");
        assertEquals(0, pic.imr() & 1 << I8259Pair.CASCADE_IRQ, "the cascade action keeps IR2 unmasked");
        irqs.pulse(4);
        m.runUntilIdle();
        assertEquals(List.of(0), ran);
        assertEquals(0, pic.isr(), "mask_ack sent the specific EOI");
        assertEquals(0, pic.imr() & 1 << 4, "unmasked again after the handler");
        assertTrue(m.localApic(0).inService().isEmpty(), "an ExtINT vector is never in the APIC's ISR");
        assertEquals(0, m.localApic(0).ignoredEois(), "and the APIC was never EOIed for it");
        assertRow(m, 4, "XT-PIC-XT", "serial");
        assertRow(m, 2, "XT-PIC-XT", "cascade");
    }

    @Test
    void aSlaveLineGoesThroughTheMastersIr2AndIsEoiedOnBoth() {
        boot(1);
        irqs.request(12, this::record, 0, "i8042", null);
        irqs.pulse(12);
        m.runUntilIdle();
        assertEquals(List.of(0), ran);
        assertEquals(0, pic.isr());
        assertEquals(0, pic.ignoredEois());
        pic.mask(I8259Pair.CASCADE_IRQ);                  // IR2 masked: the whole slave is cut off
        irqs.pulse(12);
        m.runUntilIdle();
        assertEquals(1, ran.size());
        pic.unmask(I8259Pair.CASCADE_IRQ);
        m.runUntilIdle();
        assertEquals(2, ran.size(), "the latched request comes through once IR2 is unmasked");
    }

    @Test
    void triggerHighProgramsTheElcrAndTheLineBehavesAsALevel() {
        boot(1);
        AtomicInteger runs = new AtomicInteger();
        irqs.request(10, (irq, dev) -> {
            if (runs.incrementAndGet() == 2) {
                irqs.setLevel(10, false);
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_HIGH, "eth0", null);
        assertTrue(pic.isLevel(10));
        assertEquals(IrqFlags.TRIGGER_HIGH, irqs.desc(10).triggerType());
        irqs.setLevel(10, true);
        m.runUntilIdle();
        assertEquals(2, runs.get(), "requested again after the unmask while the line stays high");
        String fixed = einval(() -> irqs.request(13, this::record, IrqFlags.TRIGGER_HIGH, "fpu", null));
        assertTrue(fixed.contains("fixed edge on a PC"), fixed);
        String low = einval(() -> irqs.request(5, this::record, IrqFlags.TRIGGER_LOW, "x", null));
        assertTrue(low.contains("TRIGGER_RISING (edge) or TRIGGER_HIGH"), low);
    }

    @Test
    void aThreadedOneshotLevelLineOnTheXtPic() throws InterruptedException {
        boot(2);
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger hardirqs = new AtomicInteger();
        irqs.requestThreaded(11, (irq, dev) -> {
            hardirqs.incrementAndGet();
            return IrqReturn.WAKE_THREAD;
        }, (irq, dev) -> {
            irqs.setLevel(11, false);
            done.countDown();
            return IrqReturn.HANDLED;
        }, IrqFlags.ONESHOT | IrqFlags.TRIGGER_HIGH, "sensor", null);
        irqs.setLevel(11, true);
        m.runUntilIdle();
        await(done);
        irqs.synchronize(11);
        m.runUntilIdle();
        assertEquals(1, hardirqs.get());
        assertEquals(0, pic.imr() & 1 << 11, "unmasked after the thread");
    }

    @Test
    void aSpuriousIrq15IsCountedEoiedAtTheMasterAndReportedOnce() {
        boot(1);
        irqs.request(10, (irq, dev) -> {
            irqs.setLevel(10, false);                     // services the device
            return record(irq, dev);
        }, IrqFlags.TRIGGER_HIGH, "dev", null);
        long err0 = globalCount(m, "ERR");
        try (LogCapture log = LogCapture.of("io.kdefer.irqchip")) {
            for (int i = 0; i < 2; i++) {
                irqs.setLevel(10, true);                  // the master latches IR2 (an edge of the slave's INT)
                irqs.setLevel(10, false);                 // the slave's request is withdrawn before INTA
                m.runUntilIdle();                         // INTA: the master takes IR2, the slave answers IRQ 15
            }
            assertTrue(ran.isEmpty(), "not handed to genirq");
            assertEquals(err0 + 2, globalCount(m, "ERR"));
            assertEquals(0, pic.isr(), "the master's IR2 was EOIed");
            assertEquals(2, pic.spuriousAcknowledges());
            assertEquals(1, log.count("spurious 8259A interrupt: IRQ15."));
        }
        irqs.setLevel(10, true);
        m.runUntilIdle();
        assertEquals(List.of(0), ran, "the line still works");
    }

    @Test
    void anEdgeThatArrivedWhileDisabledIsResentInSoftwareOnEnable() {
        boot(1);
        irqs.request(4, this::record, 0, "serial", null);
        irqs.disableNosync(4);
        irqs.pulse(4);
        m.runUntilIdle();
        assertTrue(ran.isEmpty());
        assertTrue(irqs.desc(4).isPending());
        irqs.enable(4);
        m.runUntilIdle();
        assertEquals(List.of(0), ran, "replayed once: the 8259A cannot, so the driver runs the flow again");
        assertEquals(0, pic.ignoredEois(), "the resent run sends no EOI to the 8259A");
        assertFalse(irqs.desc(4).isPending());
    }

    @Test
    void misuseIsRefusedWithTheRule() {
        boot(2);
        irqs.request(4, this::record, 0, "serial", null);
        String aff = einval(() -> irqs.setAffinity(4, 1));
        assertTrue(aff.contains("wired to CPU 0"), aff);
        assertEquals(0, irqs.desc(4).affinity());
        irqs.setAffinity(4, 0);
        String gsi = einval(() -> irqs.desc(16));
        assertTrue(gsi.contains("X86_LEGACY_PIC platform has the 8259A's IRQs 0-15"), gsi);
        IllegalArgumentException cascade = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> irqs.pulse(2));
        assertTrue(cascade.getMessage().contains("IRQ 2 is the cascade"), cascade.getMessage());
        irqs.request(10, this::record, IrqFlags.TRIGGER_HIGH, "lvl", null);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> irqs.pulse(10),
                "a pulse on an ELCR level line would be withdrawn before INTA");
        assertEquals(IrqVectors.isaIrqVector(4), 0x34);
    }
}
