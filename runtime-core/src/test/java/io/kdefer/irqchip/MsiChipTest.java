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
import io.kdefer.x86.VectorMatrix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static io.kdefer.irqchip.X86Support.assertRow;
import static io.kdefer.irqchip.X86Support.einval;
import static io.kdefer.irqchip.X86Support.globalCount;
import static io.kdefer.irqchip.X86Support.manual;
import static io.kdefer.irqchip.X86Support.vector;
import static io.kdefer.irqchip.X86Support.vectorCpu;
import static io.kdefer.irqchip.X86Support.x86;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PCI MSI on both x86 platforms (MANUAL mode): allocMsi / freeMsi (pci_alloc_irq_vectors), the PCI-MSI-edge lines,
 * the device's mask and pending bits, moves that reprogram the message, a late message after freeMsi, and misuse.
 */
@Timeout(20)
class MsiChipTest {
    private Machine m;
    private Irqs irqs;

    private void boot(Platform p, int cpus) {
        m = manual(p, cpus);
        irqs = m.irqs();
    }

    @AfterEach
    void close() {
        if (m != null) {
            m.close();
        }
    }

    private final List<Integer> ran = new ArrayList<>();

    private IrqReturn record(int irq, Object dev) {
        ran.add(Cpu.current().id());
        return IrqReturn.HANDLED;
    }

    @ParameterizedTest
    @EnumSource(value = Platform.class, names = {"X86_APIC", "X86_LEGACY_PIC"})
    void anAllocatedMsiIsAPciMsiEdgeLineTheDeviceSignalsWithItsMessage(Platform p) {
        boot(p, 2);
        int irq = irqs.allocMsi("nic0");
        assertEquals(p == Platform.X86_APIC ? 24 : 16, irq, "MSI IRQs follow the GSIs (or the ISA IRQs)");
        irqs.request(irq, this::record, 0, "eth0", null);
        assertEquals(FlowHandler.EDGE, irqs.desc(irq).flowHandler());
        assertEquals("PCI-MSI", irqs.desc(irq).chipName());
        irqs.pulse(irq);
        m.runUntilIdle();
        assertEquals(List.of(0), ran);
        assertRow(m, irq, "PCI-MSI-edge", "eth0");
        assertTrue(m.localApic(0).inService().isEmpty(), "acked at the local APIC");
        assertEquals(irq + 1, irqs.allocMsi("nic0"), "one IRQ and vector per allocation (MSI-X style)");
    }

    @Test
    void aMessageWrittenWhileMaskedIsHeldInThePendingBitAndSentAtUnmask() {
        boot(Platform.X86_APIC, 1);
        int irq = irqs.allocMsi("nvme0");
        irqs.request(irq, this::record, IrqFlags.NO_AUTOEN, "nvme0q0", null);
        irqs.pulse(irq);                                  // masked (NO_AUTOEN): into the pending bit
        m.runUntilIdle();
        assertTrue(ran.isEmpty());
        assertTrue(m.localApic(0).requested().isEmpty(), "nothing reached the APIC");
        irqs.enable(irq);                                 // unmask: the held message is sent
        m.runUntilIdle();
        assertEquals(List.of(0), ran);
    }

    @Test
    void setAffinityReprogramsTheMessageAndTheOldVectorIsCleanedUp() {
        boot(Platform.X86_APIC, 2);
        int irq = irqs.allocMsi("nic0");
        irqs.request(irq, this::record, 0, "eth0", null);
        int old = vector(m, irq);
        irqs.setAffinity(irq, 1);
        assertEquals(1, vectorCpu(m, irq));
        irqs.pulse(irq);
        m.runUntilIdle();
        assertEquals(List.of(1), ran);
        VectorMatrix<?> matrix = x86(m).matrix();
        assertEquals(VectorMatrix.Slot.UNUSED, matrix.slot(0, old));
        assertFalse(matrix.isAllocated(0, old));
    }

    @Test
    void freeMsiGivesTheVectorBackAndALateMessageIsSwallowedOnce() {
        boot(Platform.X86_APIC, 1);
        int irq = irqs.allocMsi("nic0");
        Object dev = new Object();
        irqs.request(irq, this::record, 0, "eth0", dev);
        int v = vector(m, irq);
        String busy = assertThrows(IllegalStateException.class, () -> irqs.freeMsi(irq)).getMessage();
        assertTrue(busy.startsWith("-EBUSY") && busy.contains("[eth0]"), busy);
        irqs.free(irq, dev);
        irqs.freeMsi(irq);
        assertFalse(x86(m).matrix().isAllocated(0, v));
        assertEquals(VectorMatrix.Slot.SHUTDOWN, x86(m).matrix().slot(0, v));
        long err0 = globalCount(m, "ERR");
        try (LogCapture log = LogCapture.of("io.kdefer.irqchip")) {
            m.msi().send(0, v);                           // a message the device had in flight
            m.runUntilIdle();
            assertEquals(err0, globalCount(m, "ERR"), "VECTOR_SHUTDOWN: swallowed silently");
            assertEquals(0, log.count("No irq handler"));
            m.msi().send(0, v);
            m.runUntilIdle();
            m.msi().send(0, v);
            m.runUntilIdle();
            assertEquals(err0 + 2, globalCount(m, "ERR"), "each counted");
            assertEquals(1, log.count("do_IRQ: 0." + v + " No irq handler for vector"));
        }
        assertTrue(m.localApic(0).inService().isEmpty());
        assertTrue(ran.isEmpty());
    }

    @Test
    void aGivenBackIrqCannotBeRequestedOrPulsedUntilItIsAllocatedAgain() {
        boot(Platform.X86_APIC, 1);
        int irq = irqs.allocMsi("nic0");
        irqs.freeMsi(irq);
        String why = einval(() -> irqs.request(irq, this::record, 0, "eth0", null));
        assertTrue(why.contains("was given back (Irqs.freeMsi)"), why);
        assertFalse(irqs.desc(irq).hasAction());
        assertThrows(IllegalStateException.class, () -> irqs.pulse(irq));
        String twice = einval(() -> irqs.freeMsi(irq));
        assertTrue(twice.contains("already given back"), twice);
        assertEquals(irq, irqs.allocMsi("nic1"), "the lowest given-back IRQ is handed out again");
        irqs.request(irq, this::record, 0, "eth1", null);
        irqs.pulse(irq);
        m.runUntilIdle();
        assertEquals(1, ran.size());
    }

    @Test
    void misuseIsRefusedWithTheRule() {
        boot(Platform.X86_APIC, 1);
        int irq = irqs.allocMsi("nic0");
        String level = assertThrows(IllegalArgumentException.class, () -> irqs.setLevel(irq, true)).getMessage();
        assertTrue(level.contains("has no line to drive"), level);
        String trig = einval(() -> irqs.request(irq, this::record, IrqFlags.TRIGGER_HIGH, "x", null));
        assertTrue(trig.contains("always edge-triggered"), trig);
        String notMsi = einval(() -> irqs.freeMsi(4));
        assertTrue(notMsi.contains("is not an MSI IRQ"), notMsi);
        String none = einval(() -> irqs.desc(irq + 1));
        assertTrue(none.contains("exist from Irqs.allocMsi until Irqs.freeMsi"), none);
        assertThrows(NullPointerException.class, () -> irqs.allocMsi(null));
    }

    @Test
    void arm64HasNoMsiController() {
        boot(Platform.ARM64_GICV3, 1);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> irqs.allocMsi("nic0"));
        assertTrue(e.getMessage().startsWith("-ENOTSUPP") && e.getMessage().contains("ITS"), e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> irqs.freeMsi(40));
    }
}
