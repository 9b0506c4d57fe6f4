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
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Completion}'s wait variants: wait_for_completion (awaitUninterruptible), _timeout (awaitTimeout),
 * _interruptible (awaitInterruptible, await), _interruptible_timeout (awaitInterruptibleTimeout, await(d)),
 * _killable (awaitKillable), _killable_timeout (awaitKillableTimeout): what ends each, that an ended wait consumes
 * nothing, the kernel's order (a completion before a signal), might_sleep first.
 */
@Timeout(30)
class CompletionTest {
    @RegisterExtension
    final Machines machines = new Machines();

    private static final Duration LONG = Duration.ofSeconds(30);

    private Machine m;
    private final Completion c = new Completion();

    @AfterEach
    void close() {
        c.completeAll();
    }

    @Test
    void awaitUninterruptibleWaitsOnThroughAnInterruptAndKeepsIt() throws Exception {
        Waiter w = Waiter.start("w", () -> {
            c.awaitUninterruptible();
            return "done";
        }).awaitBlocked();
        w.thread.interrupt();
        w.awaitBlocked();
        c.complete();
        w.assertReturned("done", true);
        assertFalse(c.isDone(), "the one completion was consumed");
    }

    @Test
    void awaitTimeoutIsUninterruptibleAndReturnsWhetherItCompleted() throws Exception {
        assertFalse(c.awaitTimeout(Duration.ZERO));
        assertFalse(c.awaitTimeout(Duration.ofMillis(-1)), "negative counts as zero");
        Waiter w = Waiter.start("w", () -> c.awaitTimeout(LONG)).awaitBlocked();
        w.thread.interrupt();
        w.awaitBlocked();
        c.complete();
        w.assertReturned(true, true);
        long timeout = 50;
        Waiter timed = Waiter.start("timed", () -> {
            Thread.currentThread().interrupt();
            long t0 = System.nanoTime();
            boolean done = c.awaitTimeout(Duration.ofMillis(timeout));
            return done + " " + ((System.nanoTime() - t0) / 1_000_000 >= timeout);
        });
        timed.assertReturned("false true", true);
    }

    @Test
    void theInterruptibleVariantsThrowAndConsumeNothing() throws Exception {
        List<Waiter.Body> variants = List.of(c::await, c::awaitInterruptible, () -> c.await(LONG),
                () -> c.awaitInterruptibleTimeout(LONG));
        List<String> ops = List.of("wait_for_completion_interruptible", "wait_for_completion_interruptible",
                "wait_for_completion_interruptible_timeout", "wait_for_completion_interruptible_timeout");
        for (int i = 0; i < variants.size(); i++) {
            Waiter.Body v = variants.get(i);
            Waiter w = Waiter.start("w" + i, () -> {
                v.run();
                return null;
            }).awaitBlocked();
            w.thread.interrupt();
            w.assertInterrupted("-ERESTARTSYS: " + ops.get(i) + ": interrupted while waiting for the completion");
        }
        c.complete();
        assertTrue(c.awaitTimeout(Duration.ZERO), "the interrupted waits consumed nothing");
    }

    @Test
    void aCompletionWinsOverAPendingInterruptWhichStaysPending() throws Exception {
        c.complete();
        c.complete();
        Thread.currentThread().interrupt();
        try {
            c.awaitInterruptible();
            assertTrue(c.awaitKillableTimeout(Duration.ZERO));
            assertTrue(Thread.currentThread().isInterrupted(), "kernel order: the completion first");
            assertThrows(InterruptedException.class, c::awaitInterruptible, "none left: the interrupt ends it");
            assertFalse(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void theKillableVariantsIgnoreAPlainInterruptButNotAFatalSignal() throws Exception {
        Waiter plain = Waiter.start("plain", () -> {
            c.awaitKillable();
            return "done";
        }).awaitBlocked();
        plain.thread.interrupt();
        plain.awaitBlocked();
        Waiter victim = Waiter.start("victim", () -> {
            c.awaitKillable();
            return "done";
        }).awaitBlocked();
        FatalSignal.send(victim.thread);
        victim.assertInterrupted("-ERESTARTSYS: wait_for_completion_killable: a fatal signal is pending");
        Waiter timed = Waiter.start("timed", () -> c.awaitKillableTimeout(LONG)).awaitBlocked();
        FatalSignal.send(timed.thread);
        timed.assertInterrupted("-ERESTARTSYS: wait_for_completion_killable_timeout: a fatal signal is pending");
        c.complete();
        plain.assertReturned("done", true);
        assertFalse(c.isDone(), "only the surviving waiter consumed it");
        assertFalse(c.awaitKillableTimeout(Duration.ZERO));
    }

    /** might_sleep() first: refused in atomic context even when a completion is there to take, and none is taken. */
    @Test
    void everyVariantRefusesHardirqContextEvenWhenItWouldPass() {
        m = machines.boot(b -> b.cpus(1));
        c.complete();
        Duration d = Duration.ofSeconds(1);
        List<String> refused = new ArrayList<>();
        m.irqs().request(Machines.EDGE_LINE, (irq, dev) -> {
            for (Waiter.Body b : List.<Waiter.Body>of(c::await, () -> c.await(d), c::awaitUninterruptible,
                    () -> c.awaitTimeout(d), c::awaitInterruptible, () -> c.awaitInterruptibleTimeout(d),
                    c::awaitKillable, () -> c.awaitKillableTimeout(d))) {
                try {
                    b.run();
                    refused.add("allowed");
                } catch (IllegalStateException e) {
                    refused.add(e.getMessage());
                } catch (Exception e) {
                    refused.add(e.toString());
                }
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        m.irqs().pulse(Machines.EDGE_LINE);
        m.cpu(0).runPending();
        List<String> names = List.of("await", "await", "awaitUninterruptible", "awaitTimeout", "awaitInterruptible",
                "awaitInterruptibleTimeout", "awaitKillable", "awaitKillableTimeout");
        assertEquals(names.size(), refused.size(), refused.toString());
        for (int i = 0; i < names.size(); i++) {
            assertEquals("sleeping function called from hardirq context on cpu/0: Completion." + names.get(i),
                    refused.get(i));
        }
        assertTrue(c.isDone(), "nothing was consumed");
    }
}
