/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqchip;

import io.kdefer.Machine;
import io.kdefer.Platform;
import io.kdefer.cpu.Cpu;
import io.kdefer.irq.FlowHandler;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irq.Irqs;
import io.kdefer.x86.IoApic;
import io.kdefer.x86.VectorMatrix;
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
import static io.kdefer.irqchip.X86Support.vector;
import static io.kdefer.irqchip.X86Support.vectorCpu;
import static io.kdefer.irqchip.X86Support.x86;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The IO-APIC chip on X86_APIC (MANUAL mode): the ISA and PCI lines with their flows and /proc names, the trigger
 * rules, the remote IRR of level lines, ONESHOT threads, the MIS path, resend, and vector moves with their cleanup.
 */
@Timeout(20)
class IoApicChipTest {
    private Machine m;
    private Irqs irqs;
    private IoApic ioApic;

    private void boot(int cpus) {
        m = manual(Platform.X86_APIC, cpus);
        irqs = m.irqs();
        ioApic = m.ioApic();
    }

    @AfterEach
    void close() {
        if (m != null) {
            m.close();
        }
    }

    /** A handler that records the CPU of each run and returns HANDLED. */
    private static final class Counter implements io.kdefer.irq.IrqHandler {
        final List<Integer> cpus = new ArrayList<>();
        final Runnable body;

        Counter(Runnable body) {
            this.body = body;
        }

        Counter() {
            this(() -> { });
        }

        @Override
        public IrqReturn handle(int irq, Object devId) {
            cpus.add(Cpu.current().id());
            body.run();
            return IrqReturn.HANDLED;
        }
    }

    // ---------------------------------------------------------------------------------------------- lines

    @Test
    void anIsaLineIsAnEdgeEntryOnItsPinWithTheEdgeFlow() {
        boot(2);
        Counter h = new Counter();
        irqs.request(4, h, IrqFlags.TRIGGER_RISING, "serial", null);
        assertEquals(FlowHandler.EDGE, irqs.desc(4).flowHandler());
        assertEquals("IO-APIC", irqs.desc(4).chipName());
        assertFalse(ioApic.isMasked(4));
        assertFalse(ioApic.isLevel(4));
        assertEquals(vector(m, 4), ioApic.vector(4));
        assertEquals(0, ioApic.destination(4));
        irqs.pulse(4);
        m.runUntilIdle();
        assertEquals(List.of(0), h.cpus);
        assertRow(m, 4, "IO-APIC-edge", "serial");
        assertFalse(m.localApic(0).isInService(vector(m, 4)), "the edge ack EOIed the local APIC");
    }

    @Test
    void irq0IsThePitOnPin2ThroughTheSourceOverride() {
        boot(1);
        Counter h = new Counter();
        irqs.request(0, h, 0, "timer", null);
        assertFalse(ioApic.isMasked(2), "IRQ 0 is pin 2");
        assertTrue(ioApic.isMasked(0), "pin 0 is the 8259A's ExtINT input, unused");
        irqs.pulse(0);
        m.runUntilIdle();
        assertEquals(1, h.cpus.size());
        assertRow(m, 0, "IO-APIC-edge", "timer");
        assertEquals(2, irqs.desc(0).hwirq(), "the IO-APIC domain maps pin 2 to IRQ 0");
        String why = einval(() -> irqs.desc(2));
        assertTrue(why.contains("GSI 2 carries IRQ 0"), why);
    }

    @Test
    void aPciLineIsLevelActiveLowWithTheFasteoiFlowAndItsRemoteIrr() {
        boot(1);
        AtomicInteger remoteIrrInHandler = new AtomicInteger();
        Counter h = new Counter(() -> {
            if (ioApic.remoteIrr(16)) {
                remoteIrrInHandler.incrementAndGet();
            }
            irqs.setLevel(16, false);                     // the driver services its device
        });
        irqs.request(16, h, IrqFlags.SHARED | IrqFlags.TRIGGER_LOW, "ehci_hcd", h);
        assertEquals(FlowHandler.FASTEOI, irqs.desc(16).flowHandler());
        assertEquals(IrqFlags.TRIGGER_LOW, irqs.desc(16).triggerType());
        assertTrue(ioApic.isLevel(16));
        assertTrue(ioApic.isActiveLow(16));
        irqs.setLevel(16, true);
        assertTrue(ioApic.remoteIrr(16), "sent and accepted: waiting for its EOI");
        m.runUntilIdle();
        assertEquals(List.of(0), h.cpus);
        assertEquals(1, remoteIrrInHandler.get(), "remote IRR stays set until the eoi at the end of the flow");
        assertFalse(ioApic.remoteIrr(16), "the EOI broadcast cleared it");
        assertTrue(m.localApic(0).inService().isEmpty());
        assertRow(m, 16, "IO-APIC-fasteoi", "ehci_hcd");
    }

    @Test
    void aLevelLineWhoseDeviceStaysAssertedIsSentAgainAfterEachEoi() {
        boot(1);
        AtomicInteger runs = new AtomicInteger();
        irqs.request(17, (irq, dev) -> {
            if (runs.incrementAndGet() == 3) {
                irqs.setLevel(17, false);                 // serviced on the third run
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_LOW, "dev", null);
        irqs.setLevel(17, true);
        m.runUntilIdle();
        assertEquals(3, runs.get(), "level semantics: re-sent while asserted, one message per EOI");
    }

    @Test
    void triggerHighOnAnIsaLineMakesItALevelFasteoiLineAndBack() {
        boot(1);
        Counter h = new Counter(() -> irqs.setLevel(9, false));
        irqs.request(9, h, IrqFlags.TRIGGER_HIGH, "acpi", null);
        assertEquals(FlowHandler.FASTEOI, irqs.desc(9).flowHandler());
        assertTrue(ioApic.isLevel(9));
        assertFalse(ioApic.isActiveLow(9));
        assertRow(m, 9, "IO-APIC-fasteoi", "acpi");
        irqs.setLevel(9, true);
        m.runUntilIdle();
        assertEquals(1, h.cpus.size());
        irqs.free(9, null);
        irqs.request(9, new Counter(), IrqFlags.TRIGGER_RISING, "edge again", null);
        assertEquals(FlowHandler.EDGE, irqs.desc(9).flowHandler(), "the flow follows the trigger");
        assertFalse(ioApic.isLevel(9));
    }

    @Test
    void triggersThatWouldInvertAPinOrLoseASharedLevelAreRefused() {
        boot(1);
        for (int t : new int[] {IrqFlags.TRIGGER_FALLING, IrqFlags.TRIGGER_LOW,
                IrqFlags.TRIGGER_RISING | IrqFlags.TRIGGER_FALLING}) {
            String why = einval(() -> irqs.request(4, new Counter(), t, "isa", null));
            assertTrue(why.contains("ISA IRQ 4 (IO-APIC pin 4) is active high"), why);
        }
        String high = einval(() -> irqs.request(18, new Counter(), IrqFlags.TRIGGER_HIGH, "pci", null));
        assertTrue(high.contains("TRIGGER_HIGH would invert the polarity"), high);
        String edge = einval(() -> irqs.request(18, new Counter(), IrqFlags.TRIGGER_RISING, "pci", null));
        assertTrue(edge.contains("an edge trigger would lose"), edge);
        assertFalse(irqs.desc(4).hasAction());
        assertFalse(irqs.desc(18).hasAction());
        assertTrue(ioApic.isMasked(4) && ioApic.isMasked(18), "a refused request leaves the lines as they were");
        String nmi = assertThrows(IllegalStateException.class,
                () -> irqs.requestNmi(5, (irq, dev) -> IrqReturn.HANDLED, "nmi", null)).getMessage();
        assertTrue(nmi.contains("cannot deliver this line as an NMI"), nmi);
    }

    @Test
    void aThreadedOneshotLevelLineStaysMaskedUntilItsThreadServicedTheDevice() {
        boot(2);
        CountDownLatch ran = new CountDownLatch(1);
        AtomicInteger hardirqs = new AtomicInteger();
        AtomicInteger maskedInThread = new AtomicInteger();
        irqs.requestThreaded(20, (irq, dev) -> {
            hardirqs.incrementAndGet();
            return IrqReturn.WAKE_THREAD;
        }, (irq, dev) -> {
            if (ioApic.isMasked(20)) {
                maskedInThread.incrementAndGet();
            }
            irqs.setLevel(20, false);                     // serviced over a slow bus, in task context
            ran.countDown();
            return IrqReturn.HANDLED;
        }, IrqFlags.ONESHOT | IrqFlags.TRIGGER_LOW, "i2c-sensor", null);
        irqs.setLevel(20, true);
        m.runUntilIdle();
        await(ran);
        irqs.synchronize(20);
        m.runUntilIdle();
        assertEquals(1, hardirqs.get(), "the asserted pin was masked while the thread ran: no storm");
        assertEquals(1, maskedInThread.get());
        assertFalse(ioApic.isMasked(20), "unmasked once the thread finished");
        assertFalse(ioApic.remoteIrr(20));
    }

    @Test
    void aLevelVectorDeliveredEdgeTriggeredIsCountedInMisAndItsPinEoiedDirectly() {
        boot(1);
        AtomicInteger runs = new AtomicInteger();
        irqs.request(17, (irq, dev) -> {
            runs.incrementAndGet();
            return IrqReturn.NONE;                        // not asserted: nothing to do
        }, IrqFlags.TRIGGER_LOW, "dev", null);
        int v = vector(m, 17);
        m.localApic(0).sendIpi(v, 0);                     // the line's vector as an edge: its TMR bit is clear
        m.runUntilIdle();
        assertEquals(1, runs.get());
        assertEquals(1, x86(m).misCount());
        assertEquals(1, globalCount(m, "MIS"));
        assertFalse(ioApic.remoteIrr(17));
    }

    @Test
    void anEdgeThatArrivedWhileDisabledIsReplayedByAnIpiOfItsVectorOnEnable() {
        boot(1);
        Counter h = new Counter();
        irqs.request(5, h, IrqFlags.TRIGGER_RISING, "dev", null);
        irqs.disableNosync(5);
        irqs.pulse(5);
        m.runUntilIdle();
        assertTrue(h.cpus.isEmpty());
        assertTrue(irqs.desc(5).isPending());
        assertTrue(ioApic.isMasked(5), "the edge flow masked it when the event arrived (lazy disable)");
        irqs.enable(5);
        assertTrue(m.localApic(0).isRequested(vector(m, 5)), "retrigger: the vector resent to its CPU");
        m.runUntilIdle();
        assertEquals(1, h.cpus.size());
    }

    @Test
    void synchronizeLooksAtTheRemoteIrrOfALevelPin() {
        boot(1);
        irqs.request(19, (irq, dev) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_LOW, "dev", null);
        io.kdefer.irq.internal.IrqData d = X86Support.data(m, 19);
        assertFalse(d.chip().isActive(d));
        irqs.setLevel(19, true);
        assertTrue(d.chip().isActive(d), "an instance accepted and not yet EOIed is active");
        irqs.setLevel(19, false);
        m.runUntilIdle();
        assertFalse(d.chip().isActive(d));
    }

    // ---------------------------------------------------------------------------------------------- moves

    @Test
    void setAffinityMovesTheVectorAndFreesTheOldOneAfterTheFirstInterruptThere() {
        boot(2);
        Counter h = new Counter();
        irqs.request(5, h, IrqFlags.TRIGGER_RISING, "dev", null);
        VectorMatrix<?> matrix = x86(m).matrix();
        int old = vector(m, 5);
        irqs.setAffinity(5, 1);
        int now = vector(m, 5);
        assertEquals(1, vectorCpu(m, 5));
        assertEquals(1, ioApic.destination(5));
        assertEquals(now, ioApic.vector(5));
        assertEquals(VectorMatrix.Slot.ASSIGNED, matrix.slot(0, old), "move in progress: the old vector stays");
        assertEquals(VectorMatrix.Slot.ASSIGNED, matrix.slot(1, now));
        irqs.pulse(5);
        m.runUntilIdle();
        assertEquals(List.of(1), h.cpus);
        assertEquals(VectorMatrix.Slot.UNUSED, matrix.slot(0, old), "cleaned up on CPU 0 by the cleanup IPI");
        assertFalse(matrix.isAllocated(0, old));
        assertEquals(0, matrix.cleanupPending(0));
        assertEquals(1, irqs.desc(5).affinity());
    }

    @Test
    void anEdgeInFlightOnTheOldVectorIsStillHandledThere() {
        boot(2);
        Counter h = new Counter();
        irqs.request(5, h, IrqFlags.TRIGGER_RISING, "dev", null);
        irqs.pulse(5);                                    // requested on CPU 0, not taken yet
        irqs.setAffinity(5, 1);
        m.runUntilIdle();
        assertEquals(List.of(0), h.cpus, "the old vector is still installed on CPU 0");
        irqs.pulse(5);
        m.runUntilIdle();
        assertEquals(List.of(0, 1), h.cpus);
    }

    @Test
    void aLevelPinWithAnInstanceInFlightMovesAtItsEoi() {
        boot(2);
        Counter h = new Counter(() -> irqs.setLevel(16, false));
        irqs.request(16, h, IrqFlags.TRIGGER_LOW, "dev", null);
        irqs.setLevel(16, true);                          // accepted by CPU 0: remote IRR set
        irqs.setAffinity(16, 1);
        assertEquals(0, ioApic.destination(16), "not retargeted under an instance in flight");
        assertFalse(ioApic.isMasked(16));
        m.runUntilIdle();
        assertEquals(List.of(0), h.cpus);
        assertEquals(1, ioApic.destination(16), "moved from the eoi: mask, EOI, retarget, unmask");
        assertEquals(vector(m, 16), ioApic.vector(16));
        assertFalse(ioApic.isMasked(16));
        assertFalse(ioApic.remoteIrr(16));
        irqs.setLevel(16, true);
        m.runUntilIdle();
        assertEquals(List.of(0, 1), h.cpus);
    }

    @Test
    void aMoveRefusedWhileTheLastOneIsInProgressHappensAtTheNextInterrupt() {
        boot(3);
        Counter h = new Counter();
        irqs.request(5, h, IrqFlags.TRIGGER_RISING, "dev", null);
        irqs.setAffinity(5, 1);                           // in progress: nothing arrived on CPU 1 yet
        irqs.setAffinity(5, 2);                           // -EBUSY in the matrix: pending
        assertEquals(1, ioApic.destination(5));
        assertEquals(2, irqs.desc(5).affinity(), "genirq's target is the requested one");
        irqs.pulse(5);
        m.runUntilIdle();
        assertEquals(List.of(1), h.cpus);
        assertEquals(2, ioApic.destination(5), "applied from the ack of the interrupt that completed the first move");
        irqs.pulse(5);
        m.runUntilIdle();
        assertEquals(List.of(1, 2), h.cpus);
        VectorMatrix<?> matrix = x86(m).matrix();
        assertEquals(0, matrix.cleanupPending(0) + matrix.cleanupPending(1));
        assertEquals(0, matrix.allocated(1), "CPU 1's vector was freed");
        assertEquals(1, matrix.allocated(2), "one vector for the line, on CPU 2");
    }

    @Test
    void noVectorFreeOnTheTargetIsEnospcAndLeavesTheLineWhereItWas() {
        boot(2);
        irqs.request(5, new Counter(), IrqFlags.TRIGGER_RISING, "dev", null);
        irqs.setAffinity(5, 1);
        irqs.pulse(5);
        m.runUntilIdle();
        List<Integer> msis = new ArrayList<>();
        try {
            while (true) {
                msis.add(irqs.allocMsi("filler"));           // fills CPU 0
            }
        } catch (IllegalStateException full) {
            assertTrue(full.getMessage().startsWith("-ENOSPC"), full.getMessage());
        }
        assertEquals(0, x86(m).matrix().available(0));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> irqs.setAffinity(5, 0));
        assertTrue(e.getMessage().startsWith("-ENOSPC"), e.getMessage());
        assertEquals(1, irqs.desc(5).affinity(), "the target is unchanged");
        assertEquals(1, ioApic.destination(5));
        assertNotEquals(0, msis.size());
    }

    @Test
    void misprogrammedEntriesBehaveAsTheHardwareAndAreCountedInErr() {
        boot(1);
        long err0 = globalCount(m, "ERR");
        // vector 0x15: legal on the APIC bus, but a CPU exception vector
        ioApic.writeRegister(IoApic.IOREDTBL + 2 * 6, 0x15);
        ioApic.writeRegister(IoApic.IOREDTBL + 2 * 6 + 1, 0);
        ioApic.pulse(6);
        m.runUntilIdle();
        assertEquals(err0 + 1, globalCount(m, "ERR"));
        assertTrue(m.localApic(0).inService().isEmpty(), "EOIed");
        // vector 0x05: illegal on the bus, the APIC reports it through its error interrupt
        ioApic.writeRegister(IoApic.IOREDTBL + 2 * 7, 0x05);
        ioApic.pulse(7);
        m.runUntilIdle();
        assertEquals(err0 + 2, globalCount(m, "ERR"));
        assertEquals(io.kdefer.x86.LocalApic.ESR_RECEIVE_ILLEGAL_VECTOR, m.localApic(0).esr());
        // the typed API refuses both
        assertThrows(IllegalArgumentException.class,
                () -> ioApic.program(8, 0x15, io.kdefer.x86.DeliveryMode.FIXED, 0, false, false, false));
        assertThrows(IllegalArgumentException.class, () -> ioApic.setTarget(8, 0x40, 7));
    }
}
