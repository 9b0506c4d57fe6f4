/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import org.junit.jupiter.api.extension.RegisterExtension;
import io.kdefer.Machines;
import io.kdefer.Machine;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link WaitQueue}'s variants: wait_event, wait_event_timeout, wait_event_interruptible(_timeout),
 * wait_event_killable(_timeout): what ends each, what happens to an interrupt, the kernel's order (condition before
 * signal), and might_sleep first. Interrupts are sent once the waiter is parked; the outcome asserted would be the
 * same if one arrived earlier, so the tests do not depend on timing.
 */
@Timeout(30)
class WaitQueueTest {
    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private final WaitQueue q = new WaitQueue();
    private final AtomicBoolean cond = new AtomicBoolean();

    @AfterEach
    void close() {
        cond.set(true);
        q.wakeUpAll();
    }

    private void makeTrue() {
        cond.set(true);
        q.wakeUp();
    }

    // ---------------------------------------------------------------------------------------------- interruptible

    /** The chapter's story: a wait that was interrupted cannot be taken for one whose condition came true. */
    @Test
    void interruptedWaitEventInterruptibleThrowsAndTheCodeAfterItDoesNotRun() throws Exception {
        AtomicBoolean usedTheBuffer = new AtomicBoolean();
        Waiter w = Waiter.start("reader", () -> {
            q.waitEventInterruptible(cond::get);
            usedTheBuffer.set(true);                      // the driver's "buffer is there now" code
            return null;
        }).awaitBlocked();
        w.thread.interrupt();
        w.assertInterrupted("-ERESTARTSYS: wait_event_interruptible: interrupted while waiting for its condition");
        assertFalse(usedTheBuffer.get(), "the code after the wait ran without its condition");
        assertFalse(q.hasWaiters());
    }

    @Test
    void theInterruptibleWaitsDeclareTheCheckedException() throws Exception {
        for (String name : List.of("waitEvent", "waitEventInterruptible", "waitEventKillable")) {
            assertTrue(Arrays.asList(WaitQueue.class.getMethod(name, BooleanSupplier.class).getExceptionTypes())
                    .contains(InterruptedException.class), name + " must make its caller handle the interrupt");
        }
        for (String name : List.of("waitEventInterruptibleTimeout", "waitEventKillableTimeout")) {
            assertTrue(Arrays.asList(WaitQueue.class.getMethod(name, BooleanSupplier.class, Duration.class)
                    .getExceptionTypes()).contains(InterruptedException.class), name);
        }
    }

    @Test
    void waitEventInterruptibleReturnsWhenTheConditionComesTrue() throws Exception {
        Waiter w = Waiter.start("reader", () -> {
            q.waitEventInterruptible(cond::get);
            return "ok";
        }).awaitBlocked();
        makeTrue();
        w.assertReturned("ok", false);
    }

    @Test
    void aTrueConditionWinsOverAPendingInterruptWhichStaysPending() throws Exception {
        cond.set(true);
        Thread.currentThread().interrupt();
        try {
            q.waitEventInterruptible(cond::get);
            assertTrue(Thread.interrupted(), "the interrupt is still pending for the caller");
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aPendingInterruptWithAFalseConditionThrowsAtOnce() {
        Thread.currentThread().interrupt();
        InterruptedException e = assertThrows(InterruptedException.class, () -> q.waitEvent(cond::get));
        assertTrue(e.getMessage().startsWith("-ERESTARTSYS: wait_event_interruptible"), e.getMessage());
        assertFalse(Thread.currentThread().isInterrupted(), "reported, so cleared");
    }

    @Test
    void waitEventInterruptibleTimeoutTimesOutComesTrueOrThrows() throws Exception {
        assertFalse(q.waitEventInterruptibleTimeout(cond::get, Duration.ZERO));
        assertFalse(q.waitEventInterruptibleTimeout(cond::get, Duration.ofMillis(-5)), "negative counts as zero");
        Waiter seen = Waiter.start("seen", () -> q.waitEventInterruptibleTimeout(cond::get, Duration.ofSeconds(30)))
                .awaitBlocked();
        makeTrue();
        seen.assertReturned(true, false);
        cond.set(false);
        Waiter hit = Waiter.start("hit", () -> q.waitEventInterruptibleTimeout(cond::get, Duration.ofSeconds(30)))
                .awaitBlocked();
        hit.thread.interrupt();
        hit.assertInterrupted("-ERESTARTSYS: wait_event_interruptible_timeout: interrupted");
    }

    // ---------------------------------------------------------------------------------------------- uninterruptible

    @Test
    void waitEventUninterruptibleWaitsOnThroughAnInterruptAndKeepsIt() throws Exception {
        Waiter w = Waiter.start("reader", () -> {
            q.waitEventUninterruptible(cond::get);
            return cond.get();
        }).awaitBlocked();
        w.thread.interrupt();
        w.awaitBlocked();                                  // blocked again, not returned
        makeTrue();
        w.assertReturned(true, true);
    }

    /** TASK_UNINTERRUPTIBLE ignores SIGKILL too: the fatal signal's interrupt stays pending, the mark too. */
    @Test
    void anUninterruptibleWaitIgnoresAFatalSignal() throws Exception {
        Waiter w = Waiter.start("victim", () -> {
            q.waitEventUninterruptible(cond::get);
            return FatalSignal.pending();
        }).awaitBlocked();
        FatalSignal.send(w.thread);
        w.awaitBlocked();
        makeTrue();
        w.assertReturned(true, true);
    }

    @Test
    void waitEventTimeoutIsNotShortenedByAnInterruptAndKeepsIt() throws Exception {
        long timeout = 50;
        Waiter w = Waiter.start("timed", () -> {
            Thread.currentThread().interrupt();            // pending before the wait starts
            long t0 = System.nanoTime();
            boolean met = q.waitEventTimeout(cond::get, Duration.ofMillis(timeout));
            return met + " " + ((System.nanoTime() - t0) / 1_000_000 >= timeout);
        });
        w.assertReturned("false true", true);
    }

    @Test
    void waitEventTimeoutReturnsTrueIffTheConditionWasSeen() throws Exception {
        assertFalse(q.waitEventTimeout(cond::get, Duration.ZERO));
        Waiter w = Waiter.start("timed", () -> q.waitEventTimeout(cond::get, Duration.ofSeconds(30))).awaitBlocked();
        w.thread.interrupt();                              // ignored
        w.awaitBlocked();
        makeTrue();
        w.assertReturned(true, true);
        assertTrue(q.waitEventTimeout(cond::get, Duration.ZERO), "already true: true even with no time");
    }

    // ---------------------------------------------------------------------------------------------- killable

    @Test
    void waitEventKillableIgnoresAPlainInterruptButNotAFatalSignal() throws Exception {
        Waiter w = Waiter.start("victim", () -> {
            q.waitEventKillable(cond::get);
            return null;
        }).awaitBlocked();
        w.thread.interrupt();
        w.awaitBlocked();                                  // a plain interrupt does not end it
        FatalSignal.send(w.thread);
        w.assertInterrupted("-ERESTARTSYS: wait_event_killable: a fatal signal is pending while waiting for its "
                + "condition");
        assertTrue(FatalSignal.isPending(w.thread), "SIGKILL stays pending until the thread is gone");
    }

    @Test
    void aKilledThreadsLaterWaitsEndAtOnceUnlessTheirConditionHolds() throws Exception {
        Waiter w = Waiter.start("dying", () -> {
            FatalSignal.send(Thread.currentThread());
            Thread.interrupted();                          // even with the interrupt itself consumed
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                try {
                    q.waitEventKillable(cond::get);
                    seen.add("returned");
                } catch (InterruptedException e) {
                    seen.add("killed");
                }
            }
            try {
                q.waitEventInterruptible(cond::get);
                seen.add("returned");
            } catch (InterruptedException e) {
                seen.add("interruptible killed too");
            }
            seen.add(q.waitEventKillableTimeout(() -> true, Duration.ZERO) ? "true condition passes" : "?");
            return seen;
        });
        w.assertReturned(List.of("killed", "killed", "interruptible killed too", "true condition passes"), false);
    }

    @Test
    void waitEventKillableTimeoutTimesOutOrEndsOnAFatalSignal() throws Exception {
        assertFalse(q.waitEventKillableTimeout(cond::get, Duration.ZERO));
        Waiter w = Waiter.start("victim", () -> q.waitEventKillableTimeout(cond::get, Duration.ofSeconds(30)))
                .awaitBlocked();
        FatalSignal.send(w.thread);
        w.assertInterrupted("-ERESTARTSYS: wait_event_killable_timeout: a fatal signal is pending");
    }

    // ---------------------------------------------------------------------------------------------- might_sleep

    /** might_sleep() first: refused in atomic context even when the condition is already true, unevaluated. */
    @Test
    void everyVariantRefusesHardirqContextEvenWithATrueCondition() {
        m = machines.boot(b -> b.cpus(1));
        AtomicInteger evaluated = new AtomicInteger();
        BooleanSupplier yes = () -> evaluated.incrementAndGet() > 0;
        Duration d = Duration.ofSeconds(1);
        List<String> refused = new ArrayList<>();
        m.irqs().request(Machines.EDGE_LINE, (irq, dev) -> {
            List<Blocking> calls = List.of(() -> q.waitEvent(yes), () -> q.waitEventUninterruptible(yes),
                    () -> q.waitEventTimeout(yes, d), () -> q.waitEventInterruptible(yes),
                    () -> q.waitEventInterruptibleTimeout(yes, d), () -> q.waitEventKillable(yes),
                    () -> q.waitEventKillableTimeout(yes, d));
            for (Blocking b : calls) {
                try {
                    b.run();
                    refused.add("allowed");
                } catch (IllegalStateException e) {
                    refused.add(e.getMessage());
                } catch (InterruptedException e) {
                    refused.add("interrupted");
                }
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        m.irqs().pulse(Machines.EDGE_LINE);
        m.cpu(0).runPending();
        List<String> names = List.of("waitEvent", "waitEventUninterruptible", "waitEventTimeout",
                "waitEventInterruptible", "waitEventInterruptibleTimeout", "waitEventKillable",
                "waitEventKillableTimeout");
        assertEquals(names.size(), refused.size(), refused.toString());
        for (int i = 0; i < names.size(); i++) {
            assertEquals("sleeping function called from hardirq context on cpu/0: WaitQueue." + names.get(i),
                    refused.get(i));
        }
        assertEquals(0, evaluated.get(), "the condition is not even evaluated");
    }

    interface Blocking {
        void run() throws InterruptedException;
    }
}
