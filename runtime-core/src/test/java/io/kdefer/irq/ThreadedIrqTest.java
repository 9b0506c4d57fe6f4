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
import io.kdefer.irqwork.IrqWork;
import org.junit.jupiter.api.AfterEach;
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
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Threaded IRQs (spec §4, B-TI-1..15, B-SPUR-4, §13.4, §13.5): argument checks, the READY handshake, coalesced
 * wake-ups, ONESHOT masking on plain and shared lines, the oneshot-unmask race, free/synchronize/disable waiting for
 * threads, request/free races, failures, the deferred spurious verdict, affinity, close. MANUAL mode: the hardirqs
 * run when the test steps the CPUs, the IRQ threads are real threads, and the test waits for them with latches and
 * {@code synchronize}, never with sleeps.
 */
@Timeout(20)
class ThreadedIrqTest {
    private static final int LINE = 40;
    private static final long WAIT_SECONDS = 5;

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

    /** After every test, whatever it did: {@code Machine.close()} ends every IRQ thread. */
    @AfterEach
    void closeEndsEveryIrqThread() {
        if (m == null) {
            return;
        }
        List<IrqThread> threads = new ArrayList<>();
        for (int irq = Gic.SPI_FIRST; irq <= Gic.SPI_LAST; irq++) {
            for (IrqAction a : irqs.desc(irq).actions) {
                if (a.thread != null) {
                    threads.add(a.thread);
                }
            }
        }
        m.close();
        for (IrqThread t : threads) {
            assertFalse(t.isAlive(), t.getName() + " still alive after Machine.close()");
        }
    }

    /** A thread function that records its runs and can be held inside a run. */
    static final class ThreadFn implements IrqHandler {
        final List<String> contexts = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger runs = new AtomicInteger();
        final java.util.concurrent.Semaphore finished = new java.util.concurrent.Semaphore(0);
        volatile CountDownLatch entered = new CountDownLatch(1);
        volatile CountDownLatch gate;             // non-null: each run waits for it
        volatile IrqReturn result = IrqReturn.HANDLED;
        volatile Runnable body = () -> { };

        @Override
        public IrqReturn handle(int irq, Object devId) {
            runs.incrementAndGet();
            Cpu c = Cpu.current();
            CpuContext x = CpuContext.current();
            contexts.add(Thread.currentThread().getName() + " on " + c + " " + x.describe());
            entered.countDown();
            CountDownLatch g = gate;
            if (g != null) {
                await(g);
            }
            try {
                body.run();
                return result;
            } finally {
                finished.release();
            }
        }

        /** Waits until {@code n} more runs returned (their bookkeeping may still be in progress). */
        void awaitFinished(int n) {
            try {
                assertTrue(finished.tryAcquire(n, WAIT_SECONDS, TimeUnit.SECONDS), "thread function runs missing");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private ThreadFn requestThreaded(IrqHandler primary, int flags, String name, Object dev) {
        ThreadFn fn = new ThreadFn();
        irqs.requestThreaded(LINE, primary, fn, flags, name, dev);
        return fn;
    }

    private static void await(CountDownLatch l) {
        try {
            if (!l.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static void join(Thread t) {
        try {
            t.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
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

    /** Waits (spins and yields, bounded; no sleep) until {@code t} is seen in {@code method}. */
    private static void awaitInside(Thread t, String method, BooleanSupplier gaveUp) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
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

    /** Waits (spins and yields, bounded) until {@code cond} holds. */
    private static void awaitTrue(BooleanSupplier cond, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("never happened: " + what);
            }
            Thread.yield();
        }
    }

    private static String einval(org.junit.jupiter.api.function.Executable call) {
        return assertThrows(IllegalArgumentException.class, call).getMessage();
    }

    private IrqAction action(int index) {
        return irqs.desc(LINE).actions[index];
    }

    private void pulseAndRun() {
        gic.pulse(LINE);
        m.runUntilIdle();
    }

    // ---------------------------------------------------------------------------------------------- B-TI-1..3

    @Test
    void argumentChecksAreTheKernels() {
        boot();
        ThreadFn fn = new ThreadFn();
        String msg = einval(() -> irqs.requestThreaded(LINE, null, null, IrqFlags.ONESHOT, "x", null));
        assertTrue(msg.startsWith("-EINVAL") && msg.contains("B-TI-1"), msg);
        msg = einval(() -> irqs.requestThreaded(LINE, null, fn, IrqFlags.TRIGGER_HIGH, "x", null));
        assertTrue(msg.startsWith("-EINVAL") && msg.contains("ONESHOT") && msg.contains("B-TI-2"), msg);
        msg = einval(() -> irqs.requestThreaded(LINE, null, fn, IrqFlags.ONESHOT | IrqFlags.SHARED, "x", null));
        assertTrue(msg.startsWith("-EINVAL: IRQF_SHARED without a devId"), msg);
        msg = einval(() -> irqs.requestThreaded(25, null, fn, IrqFlags.ONESHOT, "x", null));
        assertTrue(msg.startsWith("-EINVAL: INTID 25 is a per-CPU line"), msg);
        msg = einval(() -> irqs.requestThreaded(LINE, null, fn, IrqFlags.ONESHOT, "", null));
        assertTrue(msg.contains("name"), msg);
        assertFalse(irqs.desc(LINE).hasAction(), "refused requests leave nothing behind");
        assertTrue(irqs.desc(LINE).threadNames().isEmpty());
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("irq/40-")),
                "no thread was started for a refused request");

        irqs.requestNmi(41, (irq, dev) -> IrqReturn.HANDLED, "nmi", null);
        msg = assertThrows(IllegalStateException.class,
                () -> irqs.requestThreaded(41, null, fn, IrqFlags.ONESHOT | IrqFlags.SHARED, "t", "d")).getMessage();
        assertTrue(msg.contains("NMI lines are never shared"), msg);
        assertTrue(irqs.desc(41).threadNames().isEmpty());
    }

    @Test
    void oneshotWithoutAThreadFunctionIsWarnedAbout() {
        boot();
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            irqs.requestThreaded(LINE, (irq, dev) -> IrqReturn.HANDLED, null, IrqFlags.ONESHOT, "plain", null);
            assertTrue(log.contains("IRQF_ONESHOT without a thread function"), log.messages().toString());
            assertTrue(log.contains("B-TI-3"));
        }
        assertEquals(List.of("plain"), irqs.desc(LINE).names());
        assertTrue(irqs.desc(LINE).threadNames().isEmpty(), "no thread function: no thread");
    }

    @Test
    void requestThreadedIsRefusedInAtomicContext() {
        boot();
        AtomicReference<String> refused = new AtomicReference<>();
        irqs.request(41, (irq, dev) -> {
            try {
                irqs.requestThreaded(LINE, null, new ThreadFn(), IrqFlags.ONESHOT, "late", null);
            } catch (IllegalStateException e) {
                refused.set(e.getMessage());
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "x", null);
        gic.pulse(41);
        m.runUntilIdle();
        assertEquals("sleeping function called from hardirq context on cpu/0: request_irq", refused.get());
        assertFalse(irqs.desc(LINE).hasAction());
    }

    // ---------------------------------------------------------------------------------------------- B-TI-4, -6

    @Test
    void theThreadIsNamedPrioritisedAndReadyBeforeRequestReturns() {
        boot();
        requestThreaded(null, IrqFlags.TRIGGER_HIGH | IrqFlags.ONESHOT, "sensor", null);
        IrqAction a = action(0);
        assertTrue(a.hasFlag(IrqAction.READY), "B-TI-4: READY before request returns");
        assertEquals("irq/40-sensor", a.thread.getName());
        assertTrue(a.thread.isAlive());
        assertTrue(a.thread.isDaemon());
        assertEquals(Thread.MAX_PRIORITY, a.thread.getPriority(), "J-TI-1: the highest Java priority, as a hint");
        assertEquals(List.of("irq/40-sensor"), irqs.desc(LINE).threadNames());
        assertEquals(1L, a.threadMask, "the first ONESHOT action gets bit 0");
        assertTrue(m.stats().interrupts().contains("sensor  [threads: irq/40-sensor; 0 runs]"),
                m.stats().interrupts());
    }

    @Test
    void oneshotActionsGetTheLowestFreeBitAndAtMostSixtyFourPerLine() {
        boot();
        IrqHandler ok = (irq, dev) -> IrqReturn.HANDLED;
        Object[] devs = new Object[64];
        for (int i = 0; i < 64; i++) {
            devs[i] = "dev" + i;
            irqs.request(LINE, ok, IrqFlags.SHARED | IrqFlags.ONESHOT | IrqFlags.TRIGGER_HIGH, "a" + i, devs[i]);
        }
        long all = 0;
        for (IrqAction a : irqs.desc(LINE).actions) {
            assertEquals(1, Long.bitCount(a.threadMask));
            all |= a.threadMask;
        }
        assertEquals(-1L, all, "64 distinct bits");
        String msg = assertThrows(IllegalStateException.class, () -> irqs.request(LINE, ok,
                IrqFlags.SHARED | IrqFlags.ONESHOT, "a64", "dev64")).getMessage();
        assertTrue(msg.startsWith("-EBUSY") && msg.contains("B-TI-6"), msg);
        irqs.free(LINE, devs[5]);
        irqs.requestThreaded(LINE, null, new ThreadFn(), IrqFlags.SHARED | IrqFlags.ONESHOT, "again", "again");
        assertEquals(1L << 5, action(63).threadMask, "the freed bit is the lowest free one");
    }

    @Test
    void aPlainSharerOfAOneshotLineHasNoBit() {
        boot();
        irqs.requestThreaded(LINE, null, new ThreadFn(), IrqFlags.SHARED | IrqFlags.ONESHOT | IrqFlags.TRIGGER_HIGH,
                "t", "a");
        irqs.request(LINE, (irq, dev) -> IrqReturn.NONE, IrqFlags.SHARED | IrqFlags.COND_ONESHOT, "cond", "b");
        assertEquals(1L, action(0).threadMask);
        assertEquals(2L, action(1).threadMask, "COND_ONESHOT became ONESHOT, so it takes a bit too (B-TI-5/6)");
    }

    // ---------------------------------------------------------------------------------------------- B-TI-2, -8, -9

    @Test
    void theDefaultPrimaryWakesTheThreadWhichRunsInTaskContextOnTheLinesCpu() {
        boot();
        irqs.setAffinity(LINE, 1);
        ThreadFn fn = requestThreaded(null, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "t", null);
        AtomicReference<String> sleepCheck = new AtomicReference<>();
        fn.body = () -> {
            try {
                CpuContext.mightSleep("test-op");
                new CountDownLatch(0).await();              // it may block
                sleepCheck.set("may sleep");
            } catch (IllegalStateException | InterruptedException e) {
                sleepCheck.set(e.toString());
            }
        };
        pulseAndRun();
        irqs.synchronize(LINE);                         // the run and its finalize (the unmask) are done
        assertEquals(1, irqs.desc(LINE).count(1), "the hardirq ran on cpu/1");
        assertEquals(List.of("irq/40-t on cpu/1 task context"), fn.contexts, "bound to the line's CPU, task context");
        assertEquals("may sleep", sleepCheck.get());

        irqs.setAffinity(LINE, 0);
        pulseAndRun();
        irqs.synchronize(LINE);
        assertEquals("irq/40-t on cpu/0 task context", fn.contexts.get(1), "B-TI-9: re-bound after the move");
    }

    @Test
    void theThreadFollowsItsLineWhenTheCpuGoesOffline() {
        boot();
        irqs.setAffinity(LINE, 1);
        ThreadFn fn = requestThreaded(null, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "t", null);
        pulseAndRun();
        irqs.synchronize(LINE);
        m.cpu(1).offline();                             // hotplug moves the SPI to cpu/0 (and flags AFFINITY)
        assertEquals(0, irqs.desc(LINE).affinity());
        pulseAndRun();
        irqs.synchronize(LINE);
        assertEquals(List.of("irq/40-t on cpu/1 task context", "irq/40-t on cpu/0 task context"), fn.contexts);
        m.cpu(1).online();
    }

    @Test
    void aThreadFunctionCanQueueWorkOnItsCpu() {
        boot();
        irqs.setAffinity(LINE, 1);
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        IrqWork w = new IrqWork(m, () -> ran.add(Cpu.current() + " hardirq=" + CpuContext.current().inHardirq()));
        ThreadFn fn = requestThreaded(null, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "t", null);
        fn.body = w::queue;
        pulseAndRun();
        irqs.synchronize(LINE);
        m.runUntilIdle();
        assertEquals(List.of("cpu/1 hardirq=true"), ran, "queued from the IRQ thread onto its CPU");
    }

    @Test
    void wakeUpsCoalesceWhileARunIsPending() {
        boot();
        AtomicInteger primaryRuns = new AtomicInteger();
        ThreadFn fn = requestThreaded((irq, dev) -> {
            primaryRuns.incrementAndGet();
            return IrqReturn.WAKE_THREAD;
        }, IrqFlags.TRIGGER_RISING, "t", null);
        CountDownLatch gate = new CountDownLatch(1);
        fn.gate = gate;
        pulseAndRun();
        await(fn.entered);
        IrqDesc d = irqs.desc(LINE);
        assertEquals(1, d.threadsActive(), "one run claimed, running");
        for (int i = 0; i < 5; i++) {
            pulseAndRun();
        }
        assertEquals(6, primaryRuns.get());
        assertEquals(2, d.threadsActive(), "B-TI-8: the second wake claimed a run, the other four coalesced");
        assertTrue(action(0).hasFlag(IrqAction.RUNTHREAD));
        gate.countDown();
        irqs.synchronize(LINE);
        assertEquals(2, fn.runs.get(), "one more run covers the five coalesced wake-ups");
        assertEquals(0, d.threadsActive());
        assertEquals(2, d.threadsHandled());
        assertFalse(action(0).hasFlag(IrqAction.RUNTHREAD));
    }

    @Test
    void wakeThreadWakesFromOutsideWithTheSameCoalescing() {
        boot();
        Object dev = new Object();
        int[] data = new int[1];
        int[] seen = new int[1];
        ThreadFn fn = requestThreaded((irq, d) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING, "t", dev);
        fn.body = () -> seen[0] = data[0];
        pulseAndRun();
        assertEquals(0, fn.runs.get(), "HANDLED does not wake the thread");

        data[0] = 7;                                    // a plain store before the wake: the run must see it
        irqs.wakeThread(LINE, dev);
        irqs.synchronize(LINE);
        assertEquals(1, fn.runs.get());
        assertEquals(7, seen[0]);

        CountDownLatch gate = new CountDownLatch(1);
        fn.gate = gate;
        fn.entered = new CountDownLatch(1);
        irqs.wakeThread(LINE, dev);
        await(fn.entered);
        for (int i = 0; i < 3; i++) {
            irqs.wakeThread(LINE, dev);
        }
        irqs.wakeThread(LINE, "not a sharer");          // no such action: nothing happens (as in the kernel)
        gate.countDown();
        irqs.synchronize(LINE);
        assertEquals(3, fn.runs.get(), "three wakes during a run coalesce into one more");
        assertTrue(einval(() -> irqs.wakeThread(25, dev)).contains("B-TI-13"));
    }

    @Test
    void wakeUpsDuringARunDoNotCutAThreadFunctionsOwnSleepShort() {
        boot();
        Object dev = new Object();
        long[] slept = new long[1];
        ThreadFn fn = requestThreaded((irq, d) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING, "t", dev);
        CountDownLatch woken = new CountDownLatch(1);
        fn.body = () -> {
            if (fn.runs.get() == 1) {
                long t0 = System.nanoTime();
                woken.countDown();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));   // "reading the bus"
                slept[0] = System.nanoTime() - t0;
            }
        };
        irqs.wakeThread(LINE, dev);
        await(woken);
        for (int i = 0; i < 5; i++) {
            irqs.wakeThread(LINE, dev);                 // the claimer unparks only a PARKED thread
        }
        irqs.synchronize(LINE);
        assertEquals(2, fn.runs.get());
        assertTrue(slept[0] >= TimeUnit.MILLISECONDS.toNanos(50),
                "the thread function's parkNanos was cut short: " + slept[0] + " ns");
    }

    @Test
    void wakeThreadFromHardirqContextOfAnotherLine() {
        boot();
        Object dev = new Object();
        ThreadFn fn = requestThreaded((irq, d) -> IrqReturn.NONE, IrqFlags.TRIGGER_RISING | IrqFlags.NO_DEBUG, "t",
                dev);
        irqs.request(41, (irq, d) -> {
            irqs.wakeThread(LINE, dev);                 // never blocks: allowed in hardirq context
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "kicker", null);
        gic.pulse(41);
        m.runUntilIdle();
        fn.awaitFinished(1);
        assertEquals(1, fn.runs.get());
    }

    // ---------------------------------------------------------------------------------------------- B-TI-10, -11

    @ParameterizedTest
    @EnumSource(value = FlowHandler.class, names = {"FASTEOI", "LEVEL"})
    void aOneshotLevelLineStaysMaskedUntilTheThreadFinished(FlowHandler flow) {
        boot();
        irqs.setFlowHandler(LINE, flow);
        ThreadFn fn = requestThreaded(null, IrqFlags.TRIGGER_HIGH | IrqFlags.ONESHOT, "sensor", null);
        CountDownLatch gate = new CountDownLatch(1);
        fn.gate = gate;
        fn.body = () -> gic.deassertLine(LINE);         // the thread services the device ("reads the bus")
        IrqDesc d = irqs.desc(LINE);

        gic.assertLine(LINE);
        m.runUntilIdle();
        await(fn.entered);
        assertTrue(d.isMasked(), "B-TI-11: masked from the hardirq on");
        assertFalse(gic.isEnabled(LINE, 0));
        assertEquals(1L, d.threadsOneshot());
        m.runUntilIdle();
        m.runUntilIdle();
        assertEquals(1, d.count(), "no storm while the device still asserts: the line is masked");

        gate.countDown();
        irqs.synchronize(LINE);
        assertFalse(d.isMasked(), "the thread unmasked it when it finished (B-TI-10)");
        assertTrue(gic.isEnabled(LINE, 0));
        assertEquals(0L, d.threadsOneshot());
        m.runUntilIdle();
        assertEquals(1, d.count(), "serviced: no further interrupt");
        assertEquals(1, fn.runs.get());
    }

    @Test
    void aDisabledOneshotLineIsNotUnmaskedByTheThreadButByEnable() {
        boot();
        ThreadFn fn = requestThreaded(null, IrqFlags.TRIGGER_HIGH | IrqFlags.ONESHOT, "t", null);
        CountDownLatch gate = new CountDownLatch(1);
        fn.gate = gate;
        fn.body = () -> gic.deassertLine(LINE);
        gic.assertLine(LINE);
        m.runUntilIdle();
        await(fn.entered);
        irqs.disableNosync(LINE);
        gate.countDown();
        irqs.synchronize(LINE);
        IrqDesc d = irqs.desc(LINE);
        assertEquals(0L, d.threadsOneshot(), "its bit is cleared");
        assertTrue(d.isMasked(), "but a disabled line stays masked (B-TI-10)");
        irqs.enable(LINE);
        assertFalse(d.isMasked());
    }

    @Test
    void aSharedOneshotLineIsUnmaskedOnlyAfterEveryWokenThreadFinished() {
        boot();
        AtomicInteger serviced = new AtomicInteger();
        int flags = IrqFlags.SHARED | IrqFlags.ONESHOT | IrqFlags.TRIGGER_HIGH;
        ThreadFn a = requestThreaded(null, flags, "a", "dev-a");
        ThreadFn b = requestThreaded(null, IrqFlags.SHARED | IrqFlags.ONESHOT, "b", "dev-b");
        CountDownLatch gateA = new CountDownLatch(1);
        CountDownLatch gateB = new CountDownLatch(1);
        a.gate = gateA;
        b.gate = gateB;
        Runnable service = () -> {
            if (serviced.incrementAndGet() == 2) {
                gic.deassertLine(LINE);                 // both devices serviced: the shared line drops
            }
        };
        a.body = service;
        b.body = service;
        assertEquals(1L, action(0).threadMask);
        assertEquals(2L, action(1).threadMask);
        IrqDesc d = irqs.desc(LINE);

        gic.assertLine(LINE);
        m.runUntilIdle();
        await(a.entered);
        await(b.entered);
        assertEquals(3L, d.threadsOneshot(), "both threads woken");
        assertEquals(2, d.threadsActive());
        gateA.countDown();
        a.awaitFinished(1);
        awaitTrue(() -> d.threadsOneshot() == 2L, "a's bit cleared");
        assertTrue(d.isMasked(), "b has not finished: still masked");
        m.runUntilIdle();
        assertEquals(1, d.count());
        gateB.countDown();
        irqs.synchronize(LINE);
        assertEquals(0L, d.threadsOneshot());
        assertFalse(d.isMasked(), "the last oneshot thread unmasked it");
        m.runUntilIdle();
        assertEquals(1, d.count());
    }

    /**
     * Spec §13.5: a thread of a ONESHOT line finishes while a hardirq of the line is in progress on another CPU.
     * It must not unmask before that hardirq is over (that hardirq may wake it again), and it must re-check
     * RUNTHREAD under the lock once it is.
     */
    @Test
    void theOneshotUnmaskWaitsForAHardirqInProgressOnAnotherCpu() {
        boot();
        irqs.setAffinity(LINE, 1);
        Object devT = "threaded";
        int flags = IrqFlags.SHARED | IrqFlags.ONESHOT | IrqFlags.TRIGGER_HIGH;
        ThreadFn fn = requestThreaded(null, flags, "t", devT);       // runs first: wakes the thread
        CountDownLatch slowEntered = new CountDownLatch(1);
        CountDownLatch slowRelease = new CountDownLatch(1);
        irqs.request(LINE, (irq, dev) -> {                           // runs second: keeps the hardirq in progress
            slowEntered.countDown();
            await(slowRelease);
            return IrqReturn.NONE;
        }, IrqFlags.SHARED | IrqFlags.ONESHOT, "slow", "slow");
        fn.body = () -> {
            if (fn.runs.get() == 2) {
                gic.deassertLine(LINE);
            }
        };
        IrqDesc d = irqs.desc(LINE);
        IrqThread thread = action(0).thread;

        gic.assertLine(LINE);
        AtomicBoolean stepped = new AtomicBoolean();
        Thread cpu1 = new Thread(() -> {
            m.cpu(1).runPending();
            stepped.set(true);
        }, "stepper-cpu1");
        cpu1.start();
        await(slowEntered);
        fn.awaitFinished(1);
        awaitInside(thread, "finalizeOneshot", () -> !thread.isAlive());
        assertTrue(d.isInProgress());
        assertTrue(d.isMasked(), "not unmasked while the hardirq is in progress");
        assertEquals(1L, d.threadsOneshot(), "the finishing thread has not dropped its bit");
        irqs.wakeThread(LINE, devT);                                  // RUNTHREAD again before the finalize
        slowRelease.countDown();
        join(cpu1);
        irqs.synchronize(LINE);
        assertEquals(2, fn.runs.get(), "the re-check under the lock saw RUNTHREAD: the bit stayed, one more run");
        assertEquals(0L, d.threadsOneshot());
        assertFalse(d.isMasked(), "unmasked once, after the last run");
        assertEquals(0, d.threadsActive());
    }

    // ---------------------------------------------------------------------------------------------- B-TI-14, §13.4

    @Test
    void freeGivesAPendingRunOneLastGoThenStopsAndJoinsTheThread() {
        boot();
        ThreadFn fn = requestThreaded((irq, dev) -> IrqReturn.WAKE_THREAD, IrqFlags.TRIGGER_RISING, "t", null);
        CountDownLatch gate = new CountDownLatch(1);
        fn.gate = gate;
        IrqThread thread = action(0).thread;
        pulseAndRun();
        await(fn.entered);
        pulseAndRun();                                  // RUNTHREAD pending behind the running run
        AtomicReference<String> freed = new AtomicReference<>();
        Thread f = new Thread(() -> freed.set(irqs.free(LINE, null)), "freer");
        f.start();
        awaitInside(f, "waitForThreads", () -> freed.get() != null);
        assertNull(freed.get(), "free_irq waits for the thread");
        gate.countDown();
        join(f);
        assertEquals("t", freed.get(), "B-TI-14: the name given at request");
        assertEquals(2, fn.runs.get(), "the pending run ran before the thread stopped");
        assertFalse(thread.isAlive(), "stopped and joined");
        assertTrue(thread.hasExited());
        IrqDesc d = irqs.desc(LINE);
        assertEquals(0, d.threadsActive());
        assertFalse(d.hasAction());
        assertTrue(d.threadNames().isEmpty());
    }

    @Test
    void aRunClaimedBeforeTheStopRunsAndAClaimAfterTheThreadExitedIsIgnored() {
        boot();
        ThreadFn fn = requestThreaded((irq, dev) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING, "t", "dev");
        IrqAction a = action(0);
        IrqDesc d = irqs.desc(LINE);
        CountDownLatch gate = new CountDownLatch(1);
        fn.gate = gate;
        assertTrue(IrqThread.wake(d, a));
        await(fn.entered);
        assertTrue(IrqThread.wake(d, a), "claimed while the first run is in progress");
        a.thread.requestStop();                         // kthread_stop while a run is owed
        gate.countDown();
        assertTrue(io.kdefer.cpu.internal.KernelThread.join(a.thread, System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS)));
        assertEquals(2, fn.runs.get(), "B-TI-14: the owed run ran before the thread exited");
        assertEquals(0, d.threadsActive());

        assertFalse(IrqThread.wake(d, a), "an exited thread is not woken");
        assertFalse(IrqThread.wake(d, a));
        assertEquals(2, a.ignoredWakes(), "B-TI-8: ignored (pretend handled), counted");
        assertEquals(0, d.threadsActive(), "an ignored claim leaves nothing for synchronize to wait for");
        irqs.synchronize(LINE);
        irqs.free(LINE, "dev");
    }

    @Test
    void requestAndFreeInQuickSuccessionNeverLeaveSynchronizeHanging() {
        boot();
        for (int i = 0; i < 200; i++) {
            ThreadFn fn = new ThreadFn();
            irqs.requestThreaded(LINE, null, fn, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "quick", null);
            IrqThread t = action(0).thread;
            if (i % 2 == 0) {
                pulseAndRun();                          // a wake racing with the free below
            }
            assertEquals("quick", irqs.free(LINE, null));
            assertFalse(t.isAlive());
            assertEquals(0, irqs.desc(LINE).threadsActive());
            assertEquals(0L, irqs.desc(LINE).threadsOneshot());
            irqs.synchronize(LINE);
            assertEquals(i % 2 == 0 ? 1 : 0, fn.runs.get(), "a wake before free ran exactly once");
        }
    }

    // ---------------------------------------------------------------------------------------------- B-FLOW-13, MO-TI-4

    @Test
    void synchronizeWaitsForTheThreadAndSeesItsStores() {
        boot();
        int[] data = new int[1];
        ThreadFn fn = requestThreaded(null, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "t", null);
        CountDownLatch gate = new CountDownLatch(1);
        fn.gate = gate;
        fn.body = () -> data[0] = 42;                  // plain store: synchronize must publish it (MO-TI-4)
        pulseAndRun();
        await(fn.entered);
        int[] seen = {-1};
        AtomicBoolean synced = new AtomicBoolean();
        Thread s = new Thread(() -> {
            irqs.synchronize(LINE);
            seen[0] = data[0];
            synced.set(true);
        }, "synchronizer");
        s.start();
        awaitInside(s, "waitForThreads", synced::get);
        assertFalse(synced.get());
        gate.countDown();
        join(s);
        assertEquals(42, seen[0]);
    }

    @Test
    void disableWaitsForTheThread() {
        boot();
        ThreadFn fn = requestThreaded(null, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "t", null);
        CountDownLatch gate = new CountDownLatch(1);
        fn.gate = gate;
        pulseAndRun();
        await(fn.entered);
        AtomicBoolean done = new AtomicBoolean();
        Thread s = new Thread(() -> {
            irqs.disable(LINE);
            done.set(true);
        }, "disabler");
        s.start();
        awaitInside(s, "waitForThreads", done::get);
        assertEquals(1, irqs.desc(LINE).depth(), "depth taken before waiting");
        gate.countDown();
        join(s);
        assertTrue(done.get());
        assertEquals(0, irqs.desc(LINE).threadsActive());
    }

    @Test
    void waitingCallsFromTheLinesOwnThreadThrowInsteadOfHanging() {
        boot();
        List<String> outcomes = Collections.synchronizedList(new ArrayList<>());
        ThreadFn fn = requestThreaded(null, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "self", "dev");
        fn.body = () -> {
            for (Runnable call : List.<Runnable>of(() -> irqs.synchronize(LINE), () -> irqs.disable(LINE),
                    () -> irqs.free(LINE, "dev"), () -> irqs.disableNosync(LINE), () -> irqs.enable(LINE))) {
                try {
                    call.run();
                    outcomes.add("allowed");
                } catch (IllegalStateException e) {
                    outcomes.add(e.getMessage());
                }
            }
        };
        pulseAndRun();
        irqs.synchronize(LINE);
        assertEquals(5, outcomes.size(), outcomes.toString());
        assertTrue(outcomes.get(0).startsWith("synchronize_irq(40) called from the line's own IRQ thread irq/40-self"),
                outcomes.get(0));
        assertTrue(outcomes.get(1).startsWith("disable_irq(40) called from the line's own IRQ thread"));
        assertTrue(outcomes.get(2).startsWith("free_irq(40) called from the line's own IRQ thread"));
        assertEquals(List.of("allowed", "allowed"), outcomes.subList(3, 5),
                "disable_irq_nosync/enable_irq do not wait");
        assertEquals(0, irqs.desc(LINE).depth());
        assertTrue(irqs.desc(LINE).hasAction());
    }

    // ---------------------------------------------------------------------------------------------- failures

    @Test
    void aThrowingThreadFunctionIsContainedCountedAndTheLineUnmaskedAsIfItReturned() {
        boot();
        ThreadFn fn = requestThreaded(null, IrqFlags.TRIGGER_HIGH | IrqFlags.ONESHOT, "flaky", null);
        fn.body = () -> {
            gic.deassertLine(LINE);
            if (fn.runs.get() <= 2) {
                throw new IllegalStateException("bus error");
            }
        };
        IrqDesc d = irqs.desc(LINE);
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            for (int i = 0; i < 3; i++) {
                gic.assertLine(LINE);
                m.runUntilIdle();
                irqs.synchronize(LINE);
                assertFalse(d.isMasked(), "run " + (i + 1) + ": unmasked as if it returned");
            }
            assertEquals(1, log.count("thread function of flaky threw"), "reported once per action");
        }
        assertEquals(3, fn.runs.get());
        assertEquals(2, d.threadFailures());
        assertEquals(2, d.failures(), "counted with the line's failures");
        assertEquals(1, d.threadsHandled(), "only the run that returned HANDLED");
        assertTrue(action(0).thread.isAlive(), "the thread keeps running");
    }

    @Test
    void aThreadFunctionReturningNullOrWakeThreadIsReported() {
        boot();
        ThreadFn fn = requestThreaded(null, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "odd", null);
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            fn.result = null;
            pulseAndRun();
            irqs.synchronize(LINE);
            fn.result = IrqReturn.WAKE_THREAD;
            pulseAndRun();
            irqs.synchronize(LINE);
            pulseAndRun();
            irqs.synchronize(LINE);
            assertEquals(1, log.count("bogus return value null from the thread function of odd"));
            assertEquals(1, log.count("returned WAKE_THREAD, but there is no secondary thread"), "reported once");
        }
        assertEquals(3, fn.runs.get());
        assertEquals(0, irqs.desc(LINE).threadsHandled());
        assertFalse(irqs.desc(LINE).isMasked());
    }

    // ---------------------------------------------------------------------------------------------- B-SPUR-4

    private void spuriousBoot() {
        boot(b -> b.spuriousDetection(10, 5, Duration.ofMillis(100)));
    }

    @Test
    void aThreadThatNeverHandlesTripsTheDetectorOneInterruptLate() {
        spuriousBoot();
        ThreadFn fn = requestThreaded(null, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "t", null);
        fn.result = IrqReturn.NONE;
        IrqDesc d = irqs.desc(LINE);
        for (int i = 0; i < 10; i++) {
            pulseAndRun();
            irqs.synchronize(LINE);
        }
        assertFalse(d.isSpuriousDisabled(), "the first WAKE_THREAD only marks the verdict deferred: 9 counted");
        pulseAndRun();
        assertTrue(d.isSpuriousDisabled(), "B-SPUR-4: the 11th interrupt completes a window of 10 unhandled");
        irqs.synchronize(LINE);
        assertEquals(11, fn.runs.get());
    }

    @Test
    void aThreadThatHandlesKeepsTheLineAliveEvenThoughThePrimaryOnlyWakesIt() {
        spuriousBoot();
        ThreadFn fn = requestThreaded(null, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "t", null);
        for (int i = 0; i < 50; i++) {
            pulseAndRun();
            irqs.synchronize(LINE);
        }
        assertFalse(irqs.desc(LINE).isSpuriousDisabled(), "spec §13.19: no false positive");
        assertEquals(50, fn.runs.get());
        assertEquals(50, irqs.desc(LINE).threadsHandled());
    }

    @Test
    void handledTogetherWithWakeThreadCountsAsHandledAtOnce() {
        spuriousBoot();
        ThreadFn fn = requestThreaded(null, IrqFlags.SHARED | IrqFlags.ONESHOT | IrqFlags.TRIGGER_RISING, "t", "a");
        fn.result = IrqReturn.NONE;
        irqs.request(LINE, (irq, dev) -> IrqReturn.HANDLED, IrqFlags.SHARED | IrqFlags.ONESHOT, "hard", "b");
        for (int i = 0; i < 40; i++) {
            pulseAndRun();
            irqs.synchronize(LINE);
        }
        assertFalse(irqs.desc(LINE).isSpuriousDisabled(), "WAKE_THREAD | HANDLED is handled");
        assertEquals(40, fn.runs.get());
    }

    // ---------------------------------------------------------------------------------------------- close

    @Test
    void closeRunsWhatIsPendingThenStopsTheThreads() {
        boot();
        ThreadFn fn = requestThreaded(null, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "t", null);
        IrqThread t = action(0).thread;
        gic.pulse(LINE);                                // raised, not yet taken: close takes it
        m.close();
        assertEquals(1, fn.runs.get(), "the interrupt raised before close woke the thread, which ran");
        assertFalse(t.isAlive());
        assertThrows(IllegalStateException.class,
                () -> irqs.requestThreaded(41, null, new ThreadFn(), IrqFlags.ONESHOT, "late", null),
                "no new IRQ threads after close");
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void closeLetsARunningThreadFinishAndRunItsPendingRunFirst() {
        boot();
        ThreadFn fn = requestThreaded((irq, dev) -> IrqReturn.WAKE_THREAD, IrqFlags.TRIGGER_RISING, "t", null);
        CountDownLatch gate = new CountDownLatch(1);
        fn.gate = gate;
        IrqThread t = action(0).thread;
        pulseAndRun();
        await(fn.entered);
        pulseAndRun();                                  // RUNTHREAD pending
        AtomicBoolean closed = new AtomicBoolean();
        Thread closer = new Thread(() -> {
            m.close();
            closed.set(true);
        }, "closer");
        closer.start();
        awaitInside(closer, "awaitThreadsIdle", closed::get);   // the drain waits for the running thread
        gate.countDown();
        join(closer);
        assertEquals(2, fn.runs.get(), "the pending run ran before the thread stopped");
        assertFalse(t.isAlive());
    }

    // ---------------------------------------------------------------------------------------------- THREADED

    @Test
    void threadedMachineLevelSensorNothingLostNothingTwice() throws InterruptedException {
        boot(b -> b.mode(Mode.THREADED));
        AtomicInteger status = new AtomicInteger();
        AtomicInteger handled = new AtomicInteger();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        irqs.setAffinity(LINE, 1);
        irqs.requestThreaded(LINE, null, (irq, dev) -> {
            if (inside.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
            }
            try {
                if (status.get() == 0) {
                    return IrqReturn.NONE;
                }
                gic.deassertLine(LINE);
                status.set(0);
                handled.incrementAndGet();
                return IrqReturn.HANDLED;
            } finally {
                inside.decrementAndGet();
            }
        }, IrqFlags.TRIGGER_HIGH | IrqFlags.ONESHOT, "sensor", null);
        int raised = 0;
        for (int i = 0; i < 500; i++) {
            awaitTrue(() -> status.get() == 0, "reading " + handled.get() + " serviced");
            status.set(1);
            raised++;
            gic.assertLine(LINE);
        }
        awaitTrue(() -> status.get() == 0, "last reading serviced");
        irqs.synchronize(LINE);
        assertEquals(raised, handled.get());
        assertEquals(0, overlaps.get(), "one thread per action: never concurrent with itself");
        assertTrue(irqs.desc(LINE).count(1) > 0);
        assertFalse(irqs.desc(LINE).isSpuriousDisabled());
    }

    // ---------------------------------------------------------------------------------------------- NMI, per-CPU

    @Test
    void aPseudoNmiRunsInNmiContextAtACheckpointWithIrqsMasked() {
        boot();
        List<String> seen = new ArrayList<>();
        irqs.requestNmi(41, (irq, dev) -> {
            CpuContext x = Cpu.current().context();
            seen.add("nmi=" + x.inNmi() + " hardirq=" + x.inHardirq() + " irqsDisabled=" + x.irqsDisabled());
            gic.deassertLine(41);
            return IrqReturn.HANDLED;
        }, "watchdog", null);
        m.softirqs().open(io.kdefer.softirq.Softirq.NET_RX, () -> {
            Cpu c = Cpu.current();
            long f = c.localIrqSave();
            gic.assertLine(41);
            seen.add("before checkpoint");
            Cpu.checkpoint();
            seen.add("after checkpoint");
            c.localIrqRestore(f);
        });
        m.softirqs().raiseOn(0, io.kdefer.softirq.Softirq.NET_RX);
        m.cpu(0).runPending();
        assertEquals(List.of("before checkpoint", "nmi=true hardirq=true irqsDisabled=true", "after checkpoint"), seen);
    }

    @Test
    void disablingAnNmiLineMasksItAtOnce() {
        boot();
        AtomicInteger runs = new AtomicInteger();
        gic.configure(41, io.kdefer.gic.Trigger.EDGE_RISING, Gic.PRIORITY_IRQ);
        irqs.requestNmi(41, (irq, dev) -> {
            runs.incrementAndGet();
            return IrqReturn.HANDLED;
        }, "nmi", null);
        IrqDesc d = irqs.desc(41);
        irqs.disableNosync(41);
        assertTrue(d.isMasked(), "unlazy: the NMI flow never checks the depth");
        assertFalse(gic.isEnabled(41, 0));
        gic.pulse(41);
        m.runUntilIdle();
        assertEquals(0, runs.get(), "disabled means disabled");
        irqs.enable(41);
        assertFalse(d.isMasked());
        m.runUntilIdle();
        assertEquals(1, runs.get(), "the edge waited in the GIC");
        irqs.disable(41);
        assertTrue(d.isMasked());
    }

    @Test
    void perCpuLinesRefuseDisableAndEnable() {
        boot();
        irqs.requestPercpu(25, (irq, dev) -> IrqReturn.HANDLED, "ppi", null);
        for (org.junit.jupiter.api.function.Executable call : List.<org.junit.jupiter.api.function.Executable>of(
                () -> irqs.disable(25), () -> irqs.disableNosync(25), () -> irqs.enable(25))) {
            String msg = einval(call);
            assertTrue(msg.startsWith("-EINVAL") && msg.contains("per-CPU line"), msg);
        }
        assertEquals(0, irqs.desc(25).depth());
        assertTrue(gic.isEnabled(25, 0) && gic.isEnabled(25, 1));
    }
}
