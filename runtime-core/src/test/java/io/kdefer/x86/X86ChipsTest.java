/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

import static io.kdefer.x86.LocalApic.NO_INTERRUPT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The board: construction, wiring, and interrupts end to end through the chips the way the kernel drives them. */
@DisplayName("x86 board")
class X86ChipsTest {
    private final List<Integer> signals = new ArrayList<>();

    @Test
    @DisplayName("1-255 CPUs; currentLocalApic follows currentCpu; ISA IRQ 0 is GSI 2")
    void construction() {
        assertThrows(IllegalArgumentException.class, () -> new X86Chips(0));
        assertThrows(IllegalArgumentException.class, () -> new X86Chips(256));
        int[] cpu = {1};
        X86Chips x = new X86Chips(2, c -> { }, () -> cpu[0]);
        assertEquals(2, x.cpuCount());
        assertSame(x.localApic(1), x.currentLocalApic());
        cpu[0] = -1;
        assertThrows(IllegalStateException.class, x::currentLocalApic);
        assertThrows(IllegalArgumentException.class, () -> x.localApic(2));
        assertEquals(2, X86Chips.isaToGsi(0));
        assertEquals(4, X86Chips.isaToGsi(4));
        assertThrows(IllegalArgumentException.class, () -> X86Chips.isaToGsi(2));
        assertThrows(IllegalArgumentException.class, () -> x.setPciGsi(15, true));
        assertTrue(x.ioApic().pinHigh(16), "PCI lines idle high (active low)");
        assertFalse(x.ioApic().pinHigh(3));
    }

    @Test
    @DisplayName("symmetric I/O mode: ISA IRQ 0 through IO-APIC pin 2 to CPU 1, the 8259A masked; do_IRQ finds the"
            + " descriptor in CPU 1's vector_irq")
    void ioApicMode() {
        X86Chips x = new X86Chips(2, signals::add, () -> -1, () -> 0L);
        VectorMatrix<String> m = new VectorMatrix<>(2, true);
        VectorMatrix.Assignment<String> timer = m.allocate("timer", bits(1));
        x.ioApic().program(X86Chips.isaToGsi(0), timer.vector(), DeliveryMode.FIXED, timer.cpu(), false, false, false);
        signals.clear();
        x.pulseIsaIrq(0);
        assertEquals(List.of(1), signals);
        assertFalse(x.pic().intr(), "the 8259A saw the edge but has the line masked");
        LocalApic a1 = x.localApic(1);
        int v = a1.acknowledge();
        assertEquals(timer.vector(), v);
        assertEquals("timer", m.descriptor(1, v));
        a1.eoi();
        assertEquals(NO_INTERRUPT, a1.acknowledge());
    }

    @Test
    @DisplayName("an affinity move, as genirq will drive it: matrix move, IO-APIC retarget, first interrupt on the"
            + " new CPU completes it, cleanup on the old CPU frees the old vector")
    void affinityMove() {
        X86Chips x = new X86Chips(2, signals::add, () -> -1, () -> 0L);
        VectorMatrix<String> m = new VectorMatrix<>(2, true);
        IoApic io = x.ioApic();
        m.allocate("other", bits(1));                  // CPU 1's first free vector is now 0x21
        VectorMatrix.Assignment<String> a = m.allocate("ata", bits(0));
        io.program(14, a.vector(), DeliveryMode.FIXED, a.cpu(), true, false, false);
        x.setIsaIrq(14, true);
        int old = a.vector();
        assertEquals(old, x.localApic(0).acknowledge());
        assertTrue(m.setAffinity(a, bits(1)));         // genirq: a move, done from the ack path (pending move)
        io.mask(14);                                    // ioapic_ack_level with a move pending: mask,
        x.localApic(0).eoi();                           // EOI (the broadcast of the old vector clears remote IRR),
        assertFalse(io.remoteIrr(14));
        io.setTarget(14, a.vector(), a.cpu());          // rewrite the entry,
        io.unmask(14);                                  // unmask: still asserted, so sent to the new target
        int nv = x.localApic(1).acknowledge();
        assertEquals(a.vector(), nv, "re-sent to the new target");
        assertEquals("ata", m.descriptor(1, nv));
        assertEquals(0, m.completeMove(a, 1, nv));     // ack path on CPU 1
        x.setIsaIrq(14, false);
        x.localApic(1).eoi();
        assertFalse(io.remoteIrr(14));
        assertEquals(0, m.cleanup(0, x.localApic(0)::isRequested));
        assertFalse(m.isAllocated(0, old));
        assertEquals(VectorMatrix.Slot.UNUSED, m.slot(0, old));
    }

    @Test
    @DisplayName("legacy PIC (virtual wire): ISA IRQ 1 through the 8259A and CPU 0's LINT0 ExtINT, vector 0x31;"
            + " IRQ 12 through the slave")
    void virtualWire() {
        X86Chips x = new X86Chips(2, signals::add, () -> -1, () -> 0L);
        x.enableVirtualWire();
        I8259Pair pic = x.pic();
        pic.unmask(1);
        pic.unmask(2);
        pic.unmask(12);
        LocalApic a0 = x.localApic(0);
        x.setIsaIrq(1, true);
        assertTrue(a0.isSignalled());
        assertEquals(IrqVectors.isaIrqVector(1), a0.acknowledge());
        x.setIsaIrq(12, true);
        assertFalse(a0.isSignalled(), "the slave sits at IR2, below IRQ 1 in service");
        pic.eoi(1);
        assertEquals(IrqVectors.isaIrqVector(12), a0.acknowledge());
        pic.eoi(12);
        x.setIsaIrq(1, false);
        x.setIsaIrq(12, false);
        assertEquals(NO_INTERRUPT, a0.acknowledge());
        assertFalse(x.localApic(1).isSignalled(), "the 8259A drives only CPU 0");
        assertEquals(0, a0.ignoredEois());
        assertEquals(0, pic.spuriousAcknowledges());
    }

    @Test
    @DisplayName("virtual wire, spurious IRQ 7: a level line dropped between INTR and INTA")
    void virtualWireSpurious() {
        X86Chips x = new X86Chips(1, signals::add, () -> -1, () -> 0L);
        x.enableVirtualWire();
        I8259Pair pic = x.pic();
        pic.out(I8259Pair.ELCR1, 0x20);
        pic.unmask(5);
        x.setIsaIrq(5, true);
        LocalApic a0 = x.localApic(0);
        assertTrue(a0.isSignalled());
        // The CPU sampled INTR; the line drops before the INTA cycle the local APIC runs on the 8259A.
        x.setIsaIrq(5, false);
        assertFalse(a0.isSignalled());
        assertEquals(0x37, pic.acknowledge());
        assertEquals(1, pic.spuriousAcknowledges());
        assertFalse(pic.isInService(7));
    }

    @Test
    @DisplayName("a PCI line: active low, level-triggered, through the IO-APIC")
    void pciLine() {
        X86Chips x = new X86Chips(1, signals::add, () -> -1, () -> 0L);
        IoApic io = x.ioApic();
        io.program(19, 0x41, DeliveryMode.FIXED, 0, true, true, false);
        x.setPciGsi(19, true);
        assertFalse(io.pinHigh(19), "asserted is electrically low");
        assertTrue(io.isAsserted(19));
        LocalApic a = x.localApic(0);
        assertEquals(0x41, a.acknowledge());
        x.setPciGsi(19, false);                         // the driver serviced the device
        a.eoi();
        assertFalse(io.remoteIrr(19));
        assertEquals(NO_INTERRUPT, a.acknowledge());
    }

    @Test
    @DisplayName("the board NMI line reaches CPU 0 only (LINT1 unmasked there, as Linux sets it)")
    void nmiLine() {
        X86Chips x = new X86Chips(3, signals::add, () -> -1, () -> 0L);
        x.setNmiLine(true);
        assertTrue(x.localApic(0).takeNmi());
        assertFalse(x.localApic(1).takeNmi());
        assertFalse(x.localApic(2).takeNmi());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    @DisplayName("the 8259A INTR wire: racing line changes leave LINT0 and IO-APIC pin 0 equal to INTR at quiescence")
    void intrWireConverges() throws InterruptedException {
        X86Chips x = new X86Chips(1);
        I8259Pair pic = x.pic();
        pic.out(I8259Pair.ELCR1, 0x28);                 // IRQ 3 and 5 level: INTR follows the lines
        pic.unmask(3);
        pic.unmask(5);
        for (int round = 0; round < 50; round++) {
            CountDownLatch start = new CountDownLatch(1);
            Thread[] threads = new Thread[2];
            for (int t = 0; t < 2; t++) {
                int irq = t == 0 ? 3 : 5;
                int seed = round * 2 + t;
                threads[t] = new Thread(() -> {
                    java.util.Random rnd = new java.util.Random(seed);
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < 2000; i++) {
                        x.setIsaIrq(irq, rnd.nextBoolean());
                    }
                });
                threads[t].start();
            }
            start.countDown();
            for (Thread th : threads) {
                th.join();
            }
            assertEquals(pic.intr(), x.localApic(0).lintHigh(0), "LINT0, round " + round);
            assertEquals(pic.intr(), x.ioApic().pinHigh(0), "IO-APIC pin 0, round " + round);
        }
    }

    private static BitSet bits(int... ids) {
        BitSet b = new BitSet();
        for (int i : ids) {
            b.set(i);
        }
        return b;
    }
}
