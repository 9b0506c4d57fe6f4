/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Machines;
import io.kdefer.Mode;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.gic.Gic;
import io.kdefer.gic.InterruptState;
import io.kdefer.gic.Trigger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The flow handlers and the line state machine of the generic IRQ layer (spec §3, B-FLOW-1..13), driven from the
 * device side through {@code m.gic()}. MANUAL mode unless a test needs a handler running on another thread while
 * the caller waits (B-FLOW-4, B-FLOW-13), which is THREADED.
 */
@Timeout(10)
class FlowTest {
    private static final int LINE = 40;
    private static final int PPI = 25;

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private Irqs irqs;
    private Gic gic;

    private void boot(Consumer<MachineConfig.Builder> config) {
        m = machines.boot(config);
        irqs = m.irqs();
        gic = m.gic();
    }

    private void boot() {
        boot(b -> { });
    }

    /** A handler that records the CPU of every run and the most runs that were ever in progress at once. */
    static final class Recorder implements IrqHandler {
        final List<Integer> cpus = Collections.synchronizedList(new ArrayList<>());
        final List<String> notes = Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger maxInside = new AtomicInteger();
        volatile IrqReturn result = IrqReturn.HANDLED;
        volatile Runnable body = () -> { };

        @Override
        public IrqReturn handle(int irq, Object devId) {
            int n = inside.incrementAndGet();
            maxInside.accumulateAndGet(n, Math::max);
            try {
                cpus.add(Cpu.current().id());
                body.run();
                return result;
            } finally {
                inside.decrementAndGet();
            }
        }

        int runs() {
            return cpus.size();
        }
    }

    private Recorder request(int line, int flags) {
        Recorder r = new Recorder();
        irqs.request(line, r, flags, "rec" + line, null);
        return r;
    }

    private void pulseAndRun(int times) {
        for (int i = 0; i < times; i++) {
            gic.pulse(LINE);
            m.runUntilIdle();
        }
    }

    /** Steps {@code cpu} on a second thread (one thread runs one CPU at a time) and returns runPending's result. */
    private int stepOnOtherThread(int cpu) {
        int[] done = {-1};
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                done[0] = m.cpu(cpu).runPending();
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, "stepper-cpu" + cpu);
        t.start();
        join(t);
        if (failure[0] != null) {
            throw new AssertionError("stepping cpu/" + cpu + " failed", failure[0]);
        }
        return done[0];
    }

    private static void join(Thread t) {
        try {
            t.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        if (t.isAlive()) {
            throw new AssertionError(t.getName() + " did not finish");
        }
    }

    private static boolean inMethod(Thread t, String method) {
        return Arrays.stream(t.getStackTrace()).anyMatch(e -> e.getMethodName().equals(method));
    }

    /**
     * Waits (no sleep: spins and yields, bounded) until {@code t} is seen executing {@code method}; fails at once if
     * {@code gaveUp} becomes true first (the thread returned where it should have waited).
     */
    private static void awaitInside(Thread t, String method, BooleanSupplier gaveUp) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!inMethod(t, method)) {
            if (gaveUp.getAsBoolean()) {
                fail(t.getName() + " returned instead of waiting in " + method);
            }
            if (System.nanoTime() > deadline) {
                fail(t.getName() + " never reached " + method);
            }
            Thread.yield();
        }
    }

    private static void await(CountDownLatch l) {
        try {
            if (!l.await(5, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-FLOW-1

    @Test
    void sharedActionsRunInRegistrationOrder() {
        boot();
        List<String> order = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            irqs.request(LINE, (irq, dev) -> {
                order.add(name + "@" + dev + "/inprogress=" + irqs.desc(LINE).isInProgress());
                return IrqReturn.HANDLED;
            }, IrqFlags.SHARED | IrqFlags.TRIGGER_RISING, name, name + "-dev");
        }
        assertEquals(List.of("a", "b", "c"), irqs.desc(LINE).names());
        pulseAndRun(1);
        assertEquals(List.of("a@a-dev/inprogress=true", "b@b-dev/inprogress=true", "c@c-dev/inprogress=true"), order);
        assertFalse(irqs.desc(LINE).isInProgress());
        assertEquals(1, irqs.desc(LINE).count(0), "one interrupt, whatever the number of actions");
    }

    @Test
    void sharedResultsAreOredForTheSpuriousDetector() {
        boot(b -> b.spuriousDetection(10, 5, Duration.ofMillis(100)));
        Object devA = new Object();
        Object devB = new Object();
        Object devC = new Object();
        irqs.request(LINE, (irq, dev) -> IrqReturn.NONE, IrqFlags.SHARED | IrqFlags.TRIGGER_RISING, "a", devA);
        irqs.request(LINE, (irq, dev) -> IrqReturn.HANDLED, IrqFlags.SHARED, "b", devB);
        irqs.request(LINE, (irq, dev) -> IrqReturn.NONE, IrqFlags.SHARED, "c", devC);
        pulseAndRun(30);
        assertFalse(irqs.desc(LINE).isSpuriousDisabled(), "NONE | HANDLED | NONE == HANDLED");
        assertEquals("b", irqs.free(LINE, devB));
        pulseAndRun(10);
        assertTrue(irqs.desc(LINE).isSpuriousDisabled(), "NONE | NONE == NONE: 10 of 10 unhandled");
    }

    @Test
    void everyHandlerRunsWithIrqsDisabledEvenAfterAnotherEnabledThem() {
        boot();
        List<Boolean> disabled = new ArrayList<>();
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            irqs.request(LINE, (irq, dev) -> {
                disabled.add(CpuContext.current().irqsDisabled());
                Cpu.current().localIrqRestore(Cpu.IRQS_ENABLED);   // a buggy handler
                return IrqReturn.HANDLED;
            }, IrqFlags.SHARED | IrqFlags.TRIGGER_RISING, "bad", "bad");
            irqs.request(LINE, (irq, dev) -> {
                disabled.add(CpuContext.current().irqsDisabled());
                return IrqReturn.HANDLED;
            }, IrqFlags.SHARED, "good", "good");
            pulseAndRun(1);
            assertEquals(List.of(true, true), disabled);
            assertTrue(log.contains("handler bad enabled interrupts"), log.messages().toString());
        }
    }

    // ---------------------------------------------------------------------------------------------- B-FLOW-2

    @Test
    void aNullResultIsBogusReportedAndLeftOutOfTheSpuriousAccounting() {
        boot(b -> b.spuriousDetection(10, 5, Duration.ofMillis(100)));
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            Recorder r = request(LINE, IrqFlags.TRIGGER_RISING);
            r.result = null;
            pulseAndRun(30);
            assertEquals(30, r.runs());
            assertFalse(irqs.desc(LINE).isSpuriousDisabled(),
                    "note_interrupt returns early on a bad value: 30 bogus results count neither way");
            assertEquals(30, log.count("bogus return value null"), log.messages().toString());
            r.result = IrqReturn.NONE;
            pulseAndRun(9);
            assertFalse(irqs.desc(LINE).isSpuriousDisabled(), "the window only started with the first NONE");
            pulseAndRun(1);
            assertTrue(irqs.desc(LINE).isSpuriousDisabled(), "10 of 10 counted results unhandled");
        }
    }

    @Test
    void bogusResultsAreReportedAtMostAHundredTimes() {
        boot();
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            Recorder r = request(LINE, IrqFlags.TRIGGER_RISING | IrqFlags.NO_DEBUG);
            r.result = null;
            pulseAndRun(150);
            assertEquals(150, r.runs());
            assertEquals(100, log.count("bogus return value null"), "K-FLOW: report_bad_irq budget");
        }
    }

    // ---------------------------------------------------------------------------------------------- B-FLOW-3, -8

    @Test
    void disableNosyncIsLazyUntilAnEventArrives() {
        boot();
        Recorder r = request(LINE, IrqFlags.TRIGGER_RISING);
        IrqDesc d = irqs.desc(LINE);
        irqs.disableNosync(LINE);
        assertEquals(1, d.depth());
        assertTrue(d.isDisabled());
        assertFalse(d.isMasked(), "B-FLOW-3: lazy, not masked yet");
        assertTrue(gic.isEnabled(LINE, 0), "the GIC line stays enabled");

        gic.pulse(LINE);
        m.runUntilIdle();
        assertEquals(0, r.runs(), "disabled: the handler does not run");
        assertTrue(d.isMasked(), "the flow masked the line when the event arrived");
        assertTrue(d.isPending(), "... and recorded it PENDING");
        assertFalse(gic.isEnabled(LINE, 0));
        assertEquals(InterruptState.INACTIVE, gic.state(LINE, 0), "the event was completed in the GIC");
        gic.pulse(LINE);
        m.runUntilIdle();
        assertEquals(InterruptState.PENDING, gic.state(LINE, 0), "masked: the next edge waits in the GIC");

        irqs.enable(LINE);
        assertFalse(d.isMasked());
        assertFalse(d.isPending());
        m.runUntilIdle();
        assertEquals(1, r.runs(), "B-FLOW-8: the recorded edge (and the latched one) delivered once");
        m.runUntilIdle();
        assertEquals(1, r.runs());
        pulseAndRun(1);
        assertEquals(2, r.runs(), "enabled again");
    }

    @Test
    void aRecordedEdgeIsResentOnceOnEnable() {
        boot();
        Recorder r = request(LINE, IrqFlags.TRIGGER_RISING);
        irqs.disableNosync(LINE);
        pulseAndRun(1);
        assertTrue(irqs.desc(LINE).isPending());
        assertEquals(InterruptState.INACTIVE, gic.state(LINE, 0), "nothing left in the GIC: only the descriptor knows");
        irqs.enable(LINE);
        assertEquals(InterruptState.PENDING, gic.state(LINE, 0), "B-FLOW-8: hardware retrigger through ISPENDR");
        m.runUntilIdle();
        assertEquals(1, r.runs());
        m.runUntilIdle();
        assertEquals(1, r.runs(), "exactly once");
    }

    @Test
    void aLevelLineIsNotResentItReassertsByItself() {
        boot();
        Recorder r = request(LINE, IrqFlags.TRIGGER_HIGH);
        IrqDesc d = irqs.desc(LINE);
        irqs.disableNosync(LINE);
        gic.assertLine(LINE);
        m.runUntilIdle();
        assertEquals(0, r.runs());
        assertTrue(d.isMasked() && d.isPending());
        gic.deassertLine(LINE);          // the device withdrew its request while the line was disabled
        irqs.enable(LINE);
        assertFalse(d.isPending(), "B-FLOW-8: PENDING is just cleared for a level line");
        m.runUntilIdle();
        assertEquals(0, r.runs(), "not resent: the line is low");

        irqs.disableNosync(LINE);
        gic.assertLine(LINE);
        m.runUntilIdle();
        assertEquals(0, r.runs());
        r.body = () -> gic.deassertLine(LINE);
        irqs.enable(LINE);
        m.runUntilIdle();
        assertEquals(1, r.runs(), "still high: delivered again by the GIC after the unmask");
    }

    // ---------------------------------------------------------------------------------------------- B-FLOW-4, -13

    @Test
    @Timeout(20)
    void disableWaitsForARunningHandler() throws InterruptedException {
        boot(b -> b.mode(Mode.THREADED));
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        int[] data = new int[1];
        irqs.request(LINE, (irq, dev) -> {
            entered.countDown();
            await(release);
            data[0] = 42;                 // a plain store: disable's return must publish it (MO-FLOW-1)
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "slow", null);
        gic.pulse(LINE);
        await(entered);

        AtomicBoolean returned = new AtomicBoolean();
        int[] seen = {-1};
        Thread d = new Thread(() -> {
            irqs.disable(LINE);
            seen[0] = data[0];
            returned.set(true);
        }, "disabler");
        d.start();
        awaitInside(d, "synchronizeHardirq", returned::get);
        assertFalse(returned.get(), "disable_irq returned while the handler was still running");
        assertEquals(1, irqs.desc(LINE).depth(), "the depth was taken before waiting");
        release.countDown();
        join(d);
        assertTrue(returned.get());
        assertEquals(42, seen[0], "MO-FLOW-1: the handler's stores are visible after disable returns");
        assertTrue(irqs.desc(LINE).isDisabled());
    }

    /**
     * THREADED: requests {@code flow} on LINE with a handler that blocks until the returned latch is released, raises
     * the line and returns once the handler runs.
     */
    private CountDownLatch blockingHandler(FlowHandler flow) {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        boot(b -> b.mode(Mode.THREADED));
        irqs.setFlowHandler(LINE, flow);
        irqs.request(LINE, (irq, dev) -> {
            entered.countDown();
            await(release);
            return IrqReturn.HANDLED;
        }, flow == FlowHandler.LEVEL ? IrqFlags.TRIGGER_HIGH : IrqFlags.TRIGGER_RISING, "slow", null);
        if (flow == FlowHandler.LEVEL) {
            gic.assertLine(LINE);
        } else {
            gic.pulse(LINE);
        }
        await(entered);
        return release;
    }

    @ParameterizedTest
    @EnumSource(value = FlowHandler.class, names = {"FASTEOI", "EDGE", "LEVEL"})
    @Timeout(20)
    void synchronizeWaitsForARunningHandler(FlowHandler flow) {
        CountDownLatch release = blockingHandler(flow);
        AtomicBoolean synced = new AtomicBoolean();
        Thread s = new Thread(() -> {
            irqs.synchronize(LINE);
            synced.set(true);
        }, "synchronizer");
        s.start();
        awaitInside(s, "synchronizeHardirq", synced::get);
        assertFalse(synced.get(), "synchronize_irq returned while the handler was still running");
        assertEquals(0, irqs.desc(LINE).depth(), "synchronize does not disable");
        if (flow == FlowHandler.LEVEL) {
            gic.deassertLine(LINE);
        }
        release.countDown();
        join(s);
        assertTrue(synced.get());
    }

    @ParameterizedTest
    @EnumSource(value = FlowHandler.class, names = {"FASTEOI", "EDGE", "LEVEL"})
    @Timeout(20)
    void freeWaitsForARunningHandler(FlowHandler flow) {
        CountDownLatch release = blockingHandler(flow);
        AtomicReference<String> freed = new AtomicReference<>();
        Thread f = new Thread(() -> freed.set(irqs.free(LINE, null)), "freer");
        f.start();
        awaitInside(f, "synchronizeHardirq", () -> freed.get() != null);
        assertNull(freed.get(), "free_irq returned while the handler was still running (B-TI-14)");
        assertTrue(irqs.desc(LINE).isInProgress(), "the run in progress is still accounted for");
        if (flow == FlowHandler.LEVEL) {
            gic.deassertLine(LINE);
        }
        release.countDown();
        join(f);
        assertEquals("slow", freed.get());
        IrqDesc d = irqs.desc(LINE);
        assertFalse(d.isInProgress());
        assertTrue(d.isMasked() && d.isDisabled(), "shut down");
        assertEquals(1, d.depth());
    }

    @Test
    void disableSynchronizeAndFreeFromTheLinesOwnHandlerThrowInsteadOfDeadlocking() {
        boot();
        List<String> refused = new ArrayList<>();
        Recorder r = request(LINE, IrqFlags.TRIGGER_RISING);
        r.body = () -> {
            for (Runnable call : List.<Runnable>of(() -> irqs.disable(LINE), () -> irqs.synchronize(LINE),
                    () -> irqs.free(LINE, null))) {
                try {
                    call.run();
                    refused.add("allowed");
                } catch (IllegalStateException e) {
                    refused.add(e.getMessage());
                }
            }
        };
        pulseAndRun(1);
        assertEquals(3, refused.size());
        assertTrue(refused.get(0).startsWith("disable_irq(40) called from the line's own handler on cpu/0"),
                refused.get(0));
        assertTrue(refused.get(1).startsWith("synchronize_irq(40) called from the line's own handler"),
                refused.get(1));
        assertTrue(refused.get(2).startsWith("free_irq(40) called from the line's own handler"), refused.get(2));
        assertTrue(refused.stream().allMatch(msg -> msg.contains("B-FLOW-4")));
        IrqDesc d = irqs.desc(LINE);
        assertEquals(0, d.depth(), "the refused disable left no depth behind");
        assertTrue(d.hasAction());
        pulseAndRun(1);
        assertEquals(2, r.runs());
    }

    @Test
    void disableFromAnotherLinesHandlerIsASleepInAtomicContext() {
        boot();
        request(LINE, IrqFlags.TRIGGER_RISING);
        AtomicReference<String> refused = new AtomicReference<>();
        irqs.request(41, (irq, dev) -> {
            try {
                irqs.disable(LINE);
            } catch (IllegalStateException e) {
                refused.set(e.getMessage());
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "other", null);
        gic.pulse(41);
        m.runUntilIdle();
        assertEquals("sleeping function called from hardirq context on cpu/0: disable_irq", refused.get());
        assertEquals(0, irqs.desc(LINE).depth());
    }

    @Test
    void synchronizeOfAnIdleLineReturnsAtOnce() {
        boot();
        request(LINE, IrqFlags.TRIGGER_RISING);
        irqs.synchronize(LINE);
        irqs.synchronize(41);            // never requested
        pulseAndRun(1);
        irqs.synchronize(LINE);
        assertEquals(0, irqs.desc(LINE).depth());
    }

    // ---------------------------------------------------------------------------------------------- B-FLOW-5

    @Test
    void unbalancedEnableIsReportedAndHasNoEffect() {
        boot();
        Recorder r = request(LINE, IrqFlags.TRIGGER_RISING);
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            irqs.enable(LINE);
            assertTrue(log.contains("Unbalanced enable for IRQ 40"), log.messages().toString());
        }
        assertEquals(0, irqs.desc(LINE).depth(), "not negative");
        irqs.disableNosync(LINE);
        pulseAndRun(1);
        assertEquals(0, r.runs(), "one disable still disables: the bad enable left nothing behind");
        irqs.enable(LINE);
        m.runUntilIdle();
        assertEquals(1, r.runs());
    }

    @Test
    void disableNests() {
        boot();
        Recorder r = request(LINE, IrqFlags.TRIGGER_RISING);
        IrqDesc d = irqs.desc(LINE);
        irqs.disableNosync(LINE);
        irqs.disableNosync(LINE);
        irqs.disable(LINE);
        assertEquals(3, d.depth());
        pulseAndRun(1);
        irqs.enable(LINE);
        irqs.enable(LINE);
        assertEquals(1, d.depth());
        assertTrue(d.isDisabled());
        m.runUntilIdle();
        assertEquals(0, r.runs(), "depth 1 is still disabled");
        irqs.enable(LINE);
        assertEquals(0, d.depth());
        assertFalse(d.isDisabled());
        m.runUntilIdle();
        assertEquals(1, r.runs());
    }

    @Test
    void noAutoenStartsDisabledAtDepthOne() {
        boot();
        Recorder r = request(LINE, IrqFlags.TRIGGER_RISING | IrqFlags.NO_AUTOEN);
        IrqDesc d = irqs.desc(LINE);
        assertEquals(1, d.depth());
        assertTrue(d.isDisabled());
        assertTrue(d.isMasked(), "not started: masked, not lazily disabled");
        assertFalse(gic.isEnabled(LINE, 0));
        pulseAndRun(1);
        assertEquals(0, r.runs());
        assertEquals(InterruptState.PENDING, gic.state(LINE, 0), "the edge waits in the GIC");
        irqs.enable(LINE);
        m.runUntilIdle();
        assertEquals(1, r.runs());
        assertEquals(0, d.depth());
    }

    // ---------------------------------------------------------------------------------------------- B-FLOW-6

    @Test
    void levelFlowMasksAndAcksFirstAndRedeliversWhileTheLineIsHigh() {
        boot();
        irqs.setFlowHandler(LINE, FlowHandler.LEVEL);
        Recorder r = request(LINE, IrqFlags.TRIGGER_HIGH);
        IrqDesc d = irqs.desc(LINE);
        assertEquals(FlowHandler.LEVEL, d.flowHandler());
        r.body = () -> {
            r.notes.add("masked=" + d.isMasked() + " enabled=" + gic.isEnabled(LINE, 0) + " " + gic.state(LINE, 0));
            if (r.runs() == 3) {
                gic.deassertLine(LINE);   // the device is serviced on the third run
            }
        };
        gic.assertLine(LINE);
        m.cpu(0).runPending();
        assertEquals(3, r.runs(), "a level line still high is delivered again after the handler");
        assertEquals(Collections.nCopies(3, "masked=true enabled=false PENDING"), r.notes,
                "masked and acked (no longer active) before the handler runs");
        assertFalse(d.isMasked(), "unmasked after the handler");
        assertTrue(gic.isEnabled(LINE, 0));
        assertEquals(InterruptState.INACTIVE, gic.state(LINE, 0));
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aLevelLineThatStaysHighIsNamedByRunUntilIdleInsteadOfHangingIt() {
        boot();
        Recorder r = request(LINE, IrqFlags.TRIGGER_HIGH);   // HANDLED, but never services the device
        gic.assertLine(LINE);
        IllegalStateException e = assertThrows(IllegalStateException.class, m::runUntilIdle);
        assertTrue(e.getMessage().contains("cpu/0: INTID 40 pending"), e.getMessage());
        assertTrue(r.runs() > 1000, "an interrupt storm: " + r.runs());
        int before = r.runs();
        assertTrue(m.cpu(0).runPending() > 0, "runPending is bounded too");
        assertTrue(r.runs() > before);
        gic.deassertLine(LINE);
        m.runUntilIdle();
    }

    @Test
    void levelFlowStaysMaskedWhenTheHandlerDisablesItsLine() {
        boot();
        irqs.setFlowHandler(LINE, FlowHandler.LEVEL);
        Recorder r = request(LINE, IrqFlags.TRIGGER_HIGH);
        r.body = () -> irqs.disableNosync(LINE);
        gic.assertLine(LINE);
        m.runUntilIdle();
        assertEquals(1, r.runs());
        assertTrue(irqs.desc(LINE).isMasked(), "B-FLOW-6: no unmask while disabled");
        r.body = () -> gic.deassertLine(LINE);
        irqs.enable(LINE);
        m.runUntilIdle();
        assertEquals(2, r.runs());
    }

    @Test
    void fasteoiLevelLineIsActiveDuringTheHandlerAndRedeliveredAfterIt() {
        boot();
        Recorder r = request(LINE, IrqFlags.TRIGGER_HIGH);
        IrqDesc d = irqs.desc(LINE);
        r.body = () -> {
            r.notes.add("masked=" + d.isMasked() + " " + gic.state(LINE, 0));
            if (r.runs() == 2) {
                gic.deassertLine(LINE);
            }
        };
        gic.assertLine(LINE);
        m.cpu(0).runPending();
        assertEquals(2, r.runs());
        assertEquals(Collections.nCopies(2, "masked=false ACTIVE_PENDING"), r.notes,
                "fasteoi: no mask, the GIC's active state holds the line until the end");
    }

    // ---------------------------------------------------------------------------------------------- B-FLOW-7, -10

    @Test
    void edgeFlowAcksFirstSoTheNextEdgeIsDeliveredAfterTheHandler() {
        boot();
        irqs.setFlowHandler(LINE, FlowHandler.EDGE);
        Recorder r = request(LINE, IrqFlags.TRIGGER_RISING);
        r.body = () -> {
            r.notes.add(gic.state(LINE, 0).toString());
            if (r.runs() == 1) {
                gic.pulse(LINE);
                r.notes.add(gic.state(LINE, 0).toString());
            }
        };
        gic.pulse(LINE);
        m.cpu(0).runPending();
        assertEquals(List.of("INACTIVE", "PENDING", "INACTIVE"), r.notes, "acked at entry: not active while it runs");
        assertEquals(List.of(0, 0), r.cpus);
    }

    @Test
    void edgeArrivingWhileAnotherCpuRunsTheHandlerIsReplayedByThatCpu() {
        boot();
        irqs.setFlowHandler(LINE, FlowHandler.EDGE);
        Recorder r = request(LINE, IrqFlags.TRIGGER_RISING);
        IrqDesc d = irqs.desc(LINE);
        int[] takenByCpu1 = {-1};
        r.body = () -> {
            if (r.runs() != 1) {
                return;
            }
            // The device's next edges reach cpu/1, a CPU outside the line's affinity (as with 1-of-N routing):
            // the GIC-level route changes, the descriptor's affinity still names cpu/0.
            gic.route(LINE, 1);
            gic.pulse(LINE);
            gic.pulse(LINE);
            takenByCpu1[0] = stepOnOtherThread(1);
            r.notes.add("pending=" + d.isPending() + " masked=" + d.isMasked() + " runs=" + r.runs());
        };
        gic.pulse(LINE);
        m.cpu(0).runPending();

        assertEquals(1, takenByCpu1[0], "cpu/1 took the interrupt ...");
        assertEquals(List.of("pending=true masked=true runs=1"), r.notes, "... and only recorded it PENDING");
        assertEquals(List.of(0, 0), r.cpus, "B-FLOW-7: replayed by the CPU that runs the handler, once");
        assertEquals(1, r.maxInside.get(), "never concurrently");
        assertFalse(d.isPending());
        assertFalse(d.isMasked(), "the replay unmasked the line");
        m.runUntilIdle();
        assertEquals(2, r.runs(), "two edges while in progress coalesce into one extra run");
    }

    @Test
    void edgeMovedToThisCpuWaitsForTheOldCpuInsteadOfReplaying() {
        boot();
        irqs.setFlowHandler(LINE, FlowHandler.EDGE);
        Recorder r = request(LINE, IrqFlags.TRIGGER_RISING);
        AtomicBoolean cpu1Done = new AtomicBoolean();
        Thread[] stepper = new Thread[1];
        r.body = () -> {
            if (r.runs() != 1) {
                return;
            }
            irqs.setAffinity(LINE, 1);
            gic.pulse(LINE);
            stepper[0] = new Thread(() -> {
                m.cpu(1).runPending();
                cpu1Done.set(true);
            }, "stepper-cpu1");
            stepper[0].start();
            awaitInside(stepper[0], "mayRun", cpu1Done::get);
            r.notes.add("runs while cpu/1 waits: " + r.runs());
        };
        gic.pulse(LINE);
        m.cpu(0).runPending();
        join(stepper[0]);

        assertEquals(List.of("runs while cpu/1 waits: 1"), r.notes);
        assertEquals(List.of(0, 1), r.cpus, "B-FLOW-10: the new target handles it once the old one is done");
        assertEquals(1, r.maxInside.get());
        assertEquals(1, irqs.desc(LINE).count(0));
        assertEquals(1, irqs.desc(LINE).count(1));
        assertEquals(1, irqs.desc(LINE).affinity());
        assertFalse(irqs.desc(LINE).isPending());
    }

    @Test
    void edgeFlowRecordsAnEdgeWhileDisabledAndResendsItOnEnable() {
        boot();
        irqs.setFlowHandler(LINE, FlowHandler.EDGE);
        Recorder r = request(LINE, IrqFlags.TRIGGER_RISING);
        irqs.disableNosync(LINE);
        pulseAndRun(1);
        assertEquals(0, r.runs());
        assertTrue(irqs.desc(LINE).isPending() && irqs.desc(LINE).isMasked());
        irqs.enable(LINE);
        m.runUntilIdle();
        assertEquals(1, r.runs());
        m.runUntilIdle();
        assertEquals(1, r.runs());
    }

    // ---------------------------------------------------------------------------------------------- B-FLOW-9

    @Test
    void fasteoiNeverRedeliversAnActiveSpiUntilItsHandlerFinished() {
        boot();
        Recorder r = request(LINE, IrqFlags.TRIGGER_RISING);
        int[] takenByCpu1 = {-1};
        r.body = () -> {
            if (r.runs() != 1) {
                return;
            }
            irqs.setAffinity(LINE, 1);
            gic.pulse(LINE);
            r.notes.add(gic.state(LINE, 0).toString());
            takenByCpu1[0] = stepOnOtherThread(1);
        };
        gic.pulse(LINE);
        m.cpu(0).runPending();
        assertEquals(List.of("ACTIVE_PENDING"), r.notes);
        assertEquals(0, takenByCpu1[0], "the SPI is still active: cpu/1 is not even signalled");
        assertEquals(List.of(0), r.cpus);
        assertEquals(InterruptState.PENDING, gic.state(LINE, 0), "deactivated at the end, pending again");
        m.runUntilIdle();
        assertEquals(List.of(0, 1), r.cpus, "delivered to the new target after the handler finished");
        assertEquals(1, r.maxInside.get());
    }

    @Test
    void aOneshotLineIsMaskedWhileItsHandlerRunsAndUnmaskedAfter() {
        boot();
        Recorder r = request(LINE, IrqFlags.TRIGGER_HIGH | IrqFlags.ONESHOT);
        IrqDesc d = irqs.desc(LINE);
        r.body = () -> {
            r.notes.add("masked=" + d.isMasked() + " enabled=" + gic.isEnabled(LINE, 0));
            gic.deassertLine(LINE);
        };
        gic.assertLine(LINE);
        m.runUntilIdle();
        assertEquals(List.of("masked=true enabled=false"), r.notes, "B-FLOW-9: ONESHOT masks before handling");
        assertFalse(d.isMasked(), "no thread outstanding: unmasked at the end");
        assertTrue(gic.isEnabled(LINE, 0));
    }

    // ---------------------------------------------------------------------------------------------- B-FLOW-11

    @Test
    void perCpuLineRunsOnTheCpuThatTookItWithoutSerialisation() {
        boot();
        Object dev = new Object();
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        irqs.requestPercpu(PPI, (irq, devId) -> {
            maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            int me = Cpu.current().id();
            seen.add("cpu" + me + " dev=" + (devId == dev) + " inprogress=" + irqs.desc(PPI).isInProgress());
            gic.deassertLine(PPI, me);
            if (me == 0) {
                gic.assertLine(PPI, 1);
                stepOnOtherThread(1);     // cpu/1 runs the same line while cpu/0 is still in it
            }
            inside.decrementAndGet();
            return IrqReturn.HANDLED;
        }, "pcpu", dev);
        assertEquals(FlowHandler.PERCPU_DEVID, irqs.desc(PPI).flowHandler());
        assertTrue(gic.isEnabled(PPI, 0) && gic.isEnabled(PPI, 1), "enabled on every CPU");

        gic.assertLine(PPI, 0);
        m.cpu(0).runPending();
        assertEquals(List.of("cpu0 dev=true inprogress=false", "cpu1 dev=true inprogress=false"), seen);
        assertEquals(2, maxInside.get(), "B-FLOW-11: no INPROGRESS, no descriptor serialisation");
        assertEquals(1, irqs.desc(PPI).count(0));
        assertEquals(1, irqs.desc(PPI).count(1));
        assertEquals(0, m.cpu(1).runPending(), "nothing left on cpu/1");
    }

    @Test
    void perCpuLineKeepsTheTriggerConfiguredInTheGic() {
        boot();
        gic.configure(27, Trigger.EDGE_RISING, Gic.PRIORITY_IRQ);   // as firmware describes an edge PPI
        List<Integer> cpus = new ArrayList<>();
        irqs.requestPercpu(27, (irq, dev) -> {
            cpus.add(Cpu.current().id());
            return IrqReturn.HANDLED;
        }, "edge-ppi", null);
        assertEquals(Trigger.EDGE_RISING, gic.trigger(27, 1));
        assertEquals(IrqFlags.TRIGGER_RISING, irqs.desc(27).triggerType());
        gic.pulse(27, 1);
        m.runUntilIdle();
        assertEquals(List.of(1), cpus);
    }

    @Test
    void anUnexpectedPerCpuIntidIsWarnedAboutAndDisabledOnThatCpu() {
        boot();
        long before = irqs.unexpectedInterrupts();
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            gic.configure(26, Trigger.EDGE_RISING, Gic.PRIORITY_IRQ);
            gic.enable(26);                  // enabled in the GIC, but nobody requested it
            gic.pulse(26, 0);
            assertEquals(1, m.cpu(0).runPending());
            assertEquals(before + 1, irqs.unexpectedInterrupts());
            assertEquals(InterruptState.INACTIVE, gic.state(26, 0), "deactivated, not left active");
            assertFalse(gic.isEnabled(26, 0), "disabled on this CPU");
            assertTrue(gic.isEnabled(26, 1), "... only");
            assertEquals(0, gic.cpuInterface(0).ignoredCompletions());
            assertTrue(log.contains("unexpected IRQ trap at INTID 26"), log.messages().toString());
        }
        assertTrue(m.stats().interrupts().matches("(?s).*Err:\\s+" + (before + 1) + "\\s.*"), m.stats().interrupts());
        Recorder r = request(LINE, IrqFlags.TRIGGER_RISING);
        pulseAndRun(1);
        assertEquals(1, r.runs(), "the CPU keeps running");
    }

    @Test
    void anUnexpectedSpiIsMaskedAndRecordedNotStormed() {
        boot();
        long before = irqs.unexpectedInterrupts();
        gic.enable(50);
        gic.assertLine(50);                  // level, held high, no handler
        m.runUntilIdle();
        assertEquals(before + 1, irqs.unexpectedInterrupts(), "one trap, then the line is masked");
        assertTrue(irqs.desc(50).isMasked());
        assertTrue(irqs.desc(50).isPending());
        assertFalse(gic.isEnabled(50, 0));
        assertEquals(InterruptState.PENDING, gic.state(50, 0), "not left active");
    }

    // ---------------------------------------------------------------------------------------------- setFlowHandler

    @Test
    void setFlowHandlerChecksTheLineKind() {
        boot();
        assertThrows(IllegalArgumentException.class, () -> irqs.setFlowHandler(PPI, FlowHandler.LEVEL));
        assertThrows(IllegalArgumentException.class, () -> irqs.setFlowHandler(LINE, FlowHandler.PERCPU_DEVID));
        assertThrows(IllegalArgumentException.class, () -> irqs.setFlowHandler(LINE, FlowHandler.FASTEOI_NMI));
        irqs.requestNmi(41, (irq, dev) -> IrqReturn.HANDLED, "nmi", null);
        assertThrows(IllegalStateException.class, () -> irqs.setFlowHandler(41, FlowHandler.EDGE));
        assertEquals(FlowHandler.FASTEOI_NMI, irqs.desc(41).flowHandler());
    }
}
