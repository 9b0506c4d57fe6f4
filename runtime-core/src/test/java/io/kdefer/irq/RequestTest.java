/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.gic.Gic;
import io.kdefer.gic.Trigger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * request/free of handlers: argument checks (B-TI-1, threaded cases excluded), sharing rules (B-TI-5), the first and
 * last action starting and shutting down the line (B-TI-7, B-TI-14), and a throwing handler being contained.
 * MANUAL mode.
 */
@Timeout(10)
class RequestTest {
    private static final int LINE = 40;
    private static final IrqHandler OK = (irq, dev) -> IrqReturn.HANDLED;

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private Irqs irqs;
    private Gic gic;

    @BeforeEach
    void boot() {
        m = machines.boot();
        irqs = m.irqs();
        gic = m.gic();
    }

    private static String einval(Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        return e.getMessage();
    }

    private static String ebusy(Executable call) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call);
        assertTrue(e.getMessage().startsWith("-EBUSY: "), e.getMessage());
        return e.getMessage();
    }

    /** The line is untouched by a refused request: no action, shut down. */
    private void assertFree(int line) {
        IrqDesc d = irqs.desc(line);
        assertFalse(d.hasAction(), "a refused request left an action on " + line);
        assertEquals(1, d.depth());
        assertTrue(d.isMasked());
    }

    // ---------------------------------------------------------------------------------------------- B-TI-1

    @Test
    void nullHandlerAndMissingNameAreRefused() {
        assertThrows(NullPointerException.class, () -> irqs.request(LINE, null, 0, "x", null));
        assertTrue(einval(() -> irqs.request(LINE, OK, 0, null, null)).contains("name"));
        assertTrue(einval(() -> irqs.request(LINE, OK, 0, "", null)).contains("name"));
        assertFree(LINE);
    }

    @Test
    void sharedNeedsADevIdAndCannotBeNoAutoen() {
        String msg = einval(() -> irqs.request(LINE, OK, IrqFlags.SHARED, "x", null));
        assertTrue(msg.startsWith("-EINVAL: IRQF_SHARED without a devId"), msg);
        msg = einval(() -> irqs.request(LINE, OK, IrqFlags.SHARED | IrqFlags.NO_AUTOEN, "x", "dev"));
        assertTrue(msg.contains("IRQF_NO_AUTOEN"), msg);
        assertFree(LINE);
    }

    @Test
    void unknownFlagBitsAreRefused() {
        String msg = einval(() -> irqs.request(LINE, OK, 0x40000000, "x", null));
        assertTrue(msg.contains("unknown IrqFlags bits 0x40000000"), msg);
        msg = einval(() -> irqs.request(LINE, OK, IrqFlags.TRIGGER_RISING | 0x20, "x", null));
        assertTrue(msg.contains("0x20"), msg);
        assertFree(LINE);
    }

    @Test
    void triggersTheGicCannotDoAreRefused() {
        for (int t : new int[] {IrqFlags.TRIGGER_FALLING, IrqFlags.TRIGGER_LOW,
                IrqFlags.TRIGGER_RISING | IrqFlags.TRIGGER_HIGH}) {
            String msg = einval(() -> irqs.request(LINE, OK, t, "x", null));
            assertTrue(msg.contains("B-GIC-14"), msg);
        }
        assertFree(LINE);
    }

    @Test
    void requestConfiguresRoutesAndEnablesTheLine() {
        irqs.setAffinity(LINE, 1);
        irqs.request(LINE, OK, IrqFlags.TRIGGER_RISING, "eth0", null);
        IrqDesc d = irqs.desc(LINE);
        assertEquals(Trigger.EDGE_RISING, gic.trigger(LINE));
        assertEquals(IrqFlags.TRIGGER_RISING, d.triggerType());
        assertEquals(1, gic.routeOf(LINE));
        assertEquals(Gic.PRIORITY_IRQ, gic.priority(LINE, 0));
        assertTrue(gic.isEnabled(LINE, 0));
        assertEquals(0, d.depth());
        assertFalse(d.isDisabled() || d.isMasked());
        assertEquals(List.of("eth0"), d.names());
        irqs.request(41, OK, IrqFlags.TRIGGER_HIGH, "level", null);
        assertEquals(Trigger.LEVEL_HIGH, gic.trigger(41));
    }

    @Test
    void sgisAndPpisCannotBeRequestedWithRequest() {
        for (int irq : new int[] {5, 25, 30}) {
            String msg = einval(() -> irqs.request(irq, OK, IrqFlags.TRIGGER_RISING, "x", null));
            assertTrue(msg.startsWith("-EINVAL"), msg);
            msg = einval(() -> irqs.request(irq, OK, IrqFlags.PERCPU, "x", null));
            assertTrue(msg.startsWith("-EINVAL"), msg);
        }
        assertFree(25);
        assertEquals(List.of("arch_timer"), irqs.desc(30).names(), "the tick's line is untouched");
    }

    @Test
    void invalidIntidsAreRefused() {
        for (int irq : new int[] {-1, 1020, 1023, 1056, 4096, 8192}) {
            String msg = einval(() -> irqs.request(irq, OK, 0, "x", null));
            assertTrue(msg.startsWith("-EINVAL: INTID " + irq), msg);
        }
    }

    @Test
    void requestPercpuIsForSgisAndPpisOnly() {
        String msg = einval(() -> irqs.requestPercpu(LINE, OK, "x", null));
        assertTrue(msg.contains("not a per-CPU line"), msg);
        assertFree(LINE);
        msg = einval(() -> irqs.request(LINE, OK, IrqFlags.PERCPU, "x", null));
        assertTrue(msg.contains("PERCPU on INTID 40"), msg);
        assertFree(LINE);
        irqs.requestPercpu(9, OK, "sgi9", null);
        assertEquals(Trigger.EDGE_RISING, gic.trigger(9, 1), "SGIs are always edge");
        assertTrue(gic.isEnabled(9, 0) && gic.isEnabled(9, 1));
    }

    @Test
    void requestIsRefusedInAtomicContext() {
        AtomicReference<String> refused = new AtomicReference<>();
        irqs.request(LINE, (irq, dev) -> {
            try {
                irqs.request(41, OK, 0, "late", null);
            } catch (IllegalStateException e) {
                refused.set(e.getMessage());
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "x", null);
        gic.pulse(LINE);
        m.runUntilIdle();
        assertEquals("sleeping function called from hardirq context on cpu/0: request_irq", refused.get());
        assertFree(41);
    }

    // ---------------------------------------------------------------------------------------------- B-TI-5

    @Test
    void sharingNeedsSharedOnBothSides() {
        irqs.request(LINE, OK, IrqFlags.TRIGGER_RISING, "first", "a");
        ebusy(() -> irqs.request(LINE, OK, IrqFlags.SHARED | IrqFlags.TRIGGER_RISING, "second", "b"));
        irqs.free(LINE, "a");

        irqs.request(LINE, OK, IrqFlags.SHARED | IrqFlags.TRIGGER_RISING, "first", "a");
        ebusy(() -> irqs.request(LINE, OK, IrqFlags.TRIGGER_RISING, "second", "b"));
        irqs.request(LINE, OK, IrqFlags.SHARED | IrqFlags.TRIGGER_RISING, "second", "b");
        irqs.request(LINE, OK, IrqFlags.SHARED, "third", "c");     // no trigger: inherits the line's
        assertEquals(List.of("first", "second", "third"), irqs.desc(LINE).names(), "new actions go to the end");
    }

    @Test
    void mismatchMessageHasTheKernelsFormatNewActionFirst() {
        irqs.request(LINE, OK, IrqFlags.SHARED | IrqFlags.TRIGGER_RISING, "old", "a");
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            String msg = ebusy(() -> irqs.request(LINE, OK, IrqFlags.SHARED | IrqFlags.TRIGGER_HIGH, "new", "b"));
            assertTrue(msg.startsWith("-EBUSY: Flags mismatch irq 40. 00000084 (new) vs. 00000081 (old)"), msg);
            assertTrue(log.contains("Flags mismatch irq 40. 00000084 (new) vs. 00000081 (old)"),
                    log.messages().toString());
        }
    }

    @Test
    void probeSharedSuppressesTheReportButNotTheRefusal() {
        irqs.request(LINE, OK, IrqFlags.TRIGGER_RISING, "old", "a");
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            ebusy(() -> irqs.request(LINE, OK, IrqFlags.SHARED | IrqFlags.PROBE_SHARED, "probe", "b"));
            assertFalse(log.contains("Flags mismatch"), log.messages().toString());
        }
        assertEquals(List.of("old"), irqs.desc(LINE).names());
    }

    @Test
    void triggerMismatchIsBusy() {
        irqs.request(LINE, OK, IrqFlags.SHARED | IrqFlags.TRIGGER_RISING, "edge", "a");
        ebusy(() -> irqs.request(LINE, OK, IrqFlags.SHARED | IrqFlags.TRIGGER_HIGH, "level", "b"));
        assertEquals(Trigger.EDGE_RISING, gic.trigger(LINE), "the line keeps its trigger");
        assertEquals(List.of("edge"), irqs.desc(LINE).names());
    }

    @Test
    void oneshotMustMatchUnlessTheNewcomerIsCondOneshot() {
        irqs.request(LINE, OK, IrqFlags.SHARED | IrqFlags.ONESHOT | IrqFlags.TRIGGER_HIGH, "oneshot", "a");
        ebusy(() -> irqs.request(LINE, OK, IrqFlags.SHARED, "plain", "b"));
        irqs.request(LINE, OK, IrqFlags.SHARED | IrqFlags.COND_ONESHOT, "cond", "c");
        assertEquals(List.of("oneshot", "cond"), irqs.desc(LINE).names());
        IrqAction cond = irqs.desc(LINE).actions[1];
        assertTrue((cond.flags & IrqFlags.ONESHOT) != 0, "COND_ONESHOT on a ONESHOT line gets ONESHOT");
        assertEquals(IrqFlags.TRIGGER_HIGH, cond.flags & IrqFlags.TRIGGER_MASK, "and inherits the trigger");

        irqs.request(41, OK, IrqFlags.SHARED | IrqFlags.TRIGGER_HIGH, "plain", "a");
        ebusy(() -> irqs.request(41, OK, IrqFlags.SHARED | IrqFlags.ONESHOT, "oneshot", "b"));
        irqs.request(41, OK, IrqFlags.SHARED | IrqFlags.COND_ONESHOT, "cond", "c");
        assertEquals(0, irqs.desc(41).actions[1].flags & IrqFlags.ONESHOT,
                "COND_ONESHOT on a plain line stays plain");
    }

    @Test
    void nmiLinesAreNeverShared() {
        irqs.requestNmi(LINE, OK, "nmi", "a");
        IrqDesc d = irqs.desc(LINE);
        assertEquals(FlowHandler.FASTEOI_NMI, d.flowHandler());
        assertEquals(Gic.PRIORITY_NMI, gic.priority(LINE, 0));
        String msg = ebusy(() -> irqs.request(LINE, OK, IrqFlags.SHARED, "regular", "b"));
        assertTrue(msg.contains("NMI lines are never shared"), msg);
        ebusy(() -> irqs.requestNmi(LINE, OK, "nmi2", "c"));

        irqs.request(41, OK, IrqFlags.SHARED | IrqFlags.TRIGGER_HIGH, "regular", "a");
        msg = ebusy(() -> irqs.requestNmi(41, OK, "nmi", "b"));
        assertTrue(msg.contains("NMI lines are never shared"), msg);
        assertEquals(Gic.PRIORITY_IRQ, gic.priority(41, 0));

        assertEquals("nmi", irqs.free(LINE, "a"));
        assertEquals(FlowHandler.FASTEOI, d.flowHandler(), "the NMI flow goes with the last action");
    }

    @Test
    void aSecondActionWithTheSameDevIdIsBusy() {
        Object dev = new Object();
        irqs.request(LINE, OK, IrqFlags.SHARED | IrqFlags.TRIGGER_RISING, "one", dev);
        String msg = ebusy(() -> irqs.request(LINE, OK, IrqFlags.SHARED, "two", dev));
        assertTrue(msg.contains("devId"), msg);
        assertEquals(List.of("one"), irqs.desc(LINE).names());
    }

    // ---------------------------------------------------------------------------------------------- B-TI-14

    @Test
    void freeFindsTheActionByDevIdAndReturnsItsName() {
        Object a = new Object();
        Object b = new Object();
        irqs.request(LINE, OK, IrqFlags.SHARED | IrqFlags.TRIGGER_RISING, "a-name", a);
        irqs.request(LINE, OK, IrqFlags.SHARED, "b-name", b);
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            assertNull(irqs.free(LINE, new Object()), "unknown devId");
            assertTrue(log.contains("Trying to free already-free IRQ 40"), log.messages().toString());
        }
        assertEquals("a-name", irqs.free(LINE, a));
        IrqDesc d = irqs.desc(LINE);
        assertEquals(List.of("b-name"), d.names());
        assertEquals(0, d.depth(), "one action left: still running");
        assertTrue(gic.isEnabled(LINE, 0));
        assertNull(irqs.free(LINE, a), "already freed");

        assertEquals("b-name", irqs.free(LINE, b));
        assertFalse(d.hasAction());
        assertTrue(d.isMasked(), "the last free shuts the line down");
        assertTrue(d.isDisabled());
        assertEquals(1, d.depth());
        assertFalse(gic.isEnabled(LINE, 0));
        assertNull(irqs.free(LINE, b));
    }

    @Test
    void aFreedLineTakesNoMoreInterruptsAndCanBeRequestedAgain() {
        AtomicInteger first = new AtomicInteger();
        irqs.request(LINE, (irq, dev) -> {
            first.incrementAndGet();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "first", null);
        irqs.disableNosync(LINE);
        irqs.disableNosync(LINE);
        assertEquals("first", irqs.free(LINE, null));
        gic.pulse(LINE);
        m.runUntilIdle();
        assertEquals(0, first.get());
        long unexpected = irqs.unexpectedInterrupts();

        AtomicInteger second = new AtomicInteger();
        irqs.request(LINE, (irq, dev) -> {
            second.incrementAndGet();
            gic.deassertLine(LINE);       // services the device
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_HIGH, "second", null);
        IrqDesc d = irqs.desc(LINE);
        assertEquals(0, d.depth(), "a new first action starts from a clean line, whatever the old depth was");
        assertEquals(Trigger.LEVEL_HIGH, gic.trigger(LINE));
        gic.assertLine(LINE);
        m.cpu(0).runPending();
        assertTrue(second.get() >= 1);
        assertEquals(0, first.get());
        assertEquals(unexpected, irqs.unexpectedInterrupts());
    }

    @Test
    void noTriggerFlagKeepsTheLinesConfiguration() {
        gic.configure(LINE, Trigger.EDGE_RISING, Gic.PRIORITY_IRQ);
        irqs.request(LINE, OK, 0, "x", null);
        assertEquals(Trigger.EDGE_RISING, gic.trigger(LINE));
        assertEquals(IrqFlags.TRIGGER_RISING, irqs.desc(LINE).triggerType());
    }

    // ---------------------------------------------------------------------------------------------- failures

    @Test
    void aThrowingHandlerIsContainedCountedAndTheCpuKeepsRunning() {
        List<Integer> runs = new ArrayList<>();
        Object dev = new Object();
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            irqs.request(LINE, (irq, d) -> {
                runs.add(irq);
                if (runs.size() <= 2) {
                    throw new IllegalStateException("device on fire");
                }
                return IrqReturn.HANDLED;
            }, IrqFlags.SHARED | IrqFlags.TRIGGER_RISING, "flaky", dev);
            AtomicInteger sharer = new AtomicInteger();
            irqs.request(LINE, (irq, d) -> {
                sharer.incrementAndGet();
                return IrqReturn.HANDLED;
            }, IrqFlags.SHARED, "sharer", "other");
            for (int i = 0; i < 3; i++) {
                gic.pulse(LINE);
                m.runUntilIdle();
            }
            assertEquals(3, runs.size(), "later interrupts are handled");
            assertEquals(3, sharer.get(), "the next action on the line still runs after a throw");
            assertEquals(2, irqs.desc(LINE).failures());
            assertEquals(1, log.count("handler flaky threw"), "reported once per action");
        }
        AtomicInteger other = new AtomicInteger();
        irqs.request(41, (irq, d) -> {
            other.incrementAndGet();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "other", null);
        gic.pulse(41);
        m.runUntilIdle();
        assertEquals(1, other.get(), "the CPU keeps taking other interrupts");
        assertEquals(0, gic.cpuInterface(0).activeDepth(), "every exception completed its priority drop");
    }
}
