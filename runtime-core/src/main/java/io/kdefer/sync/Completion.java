/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import io.kdefer.cpu.internal.SleepAwareThread;
import io.kdefer.cpu.CpuContext;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A one-shot or counting "done" signal (kernel: struct completion).
 *
 * <pre>{@code
 * Completion loaded = new Completion();
 * wq.queue(new Work(() -> { firmware = load(); loaded.complete(); }));
 * loaded.await();                        // sees firmware
 * }</pre>
 *
 * <h2>The variants (kernel: include/linux/completion.h)</h2>
 * <pre>
 *   kernel                                      Java                               returns     interrupt  FatalSignal
 *   wait_for_completion                         awaitUninterruptible()             void        pending    ignored
 *   wait_for_completion_timeout                 awaitTimeout(d)                    completed?  pending    ignored
 *   wait_for_completion_interruptible           awaitInterruptible(), await()      void        throws     throws
 *   wait_for_completion_interruptible_timeout   awaitInterruptibleTimeout(d),      completed?  throws     throws
 *                                               await(d)
 *   wait_for_completion_killable                awaitKillable()                    void        pending    throws
 *   wait_for_completion_killable_timeout        awaitKillableTimeout(d)            completed?  pending    throws
 * </pre>
 * "pending": the wait goes on and the interrupt status is set again when it returns, so the caller still sees it.
 * "throws": the wait ends with {@link InterruptedException} (the kernel's -ERESTARTSYS), nothing is consumed and
 * the status is clear. {@link #await()} and {@link #await(Duration)} are the interruptible ones, as the JDK's
 * waits are (API.md); the kernel's plain {@code wait_for_completion} is {@link #awaitUninterruptible()}. Timeouts
 * are real time, also in MANUAL mode; a negative one counts as zero.
 *
 * <h2>States</h2>
 * <pre>
 *   done     meaning                                    -&gt; next
 *   0        nothing completed; an await blocks         -&gt; n+1       complete()
 *   n &gt; 0    n waiters may pass                         -&gt; n-1       an await passes (consumes one)
 *   ALL      completeAll(): every await passes          -&gt; ALL       forever (until {@link #reinit()})
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Each {@link #complete()} lets exactly one await variant pass (now or later); {@link #completeAll()}
 *       lets every present and future waiter pass. A wait that times out or throws consumes nothing.</li>
 *   <li>Every await variant refuses atomic context first (might_sleep), also when it would pass at once, and, on
 *       a workqueue worker, tells its pool that the worker sleeps when it blocks, so another worker takes over
 *       the pool's pending items (concurrency management).</li>
 *   <li>A completion is looked for before any signal (kernel order): an await that can pass does, even with an
 *       interrupt pending, and the interrupt then stays pending.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   x = 1; c.complete();        c.await(); r = x;
 *   Forbids: r == 0 (release/acquire through the internal lock, kernel: complete/wait_for_completion)
 *
 *   x = 1; c.complete();        r1 = c.awaitTimeout(d); r2 = x;
 *   Forbids: r1 == true &amp;&amp; r2 == 0, with d == 0 (no wait) and with a long d (woken)
 *                                                                      (Completion_01_TimedAwaitSeesCompleter)
 * </pre>
 * Every variant that passes consumes the completion in the same step under the same lock, so this holds for all
 * of them.
 */
public final class Completion {
    private static final int ALL = Integer.MAX_VALUE;
    /** An untimed wait. */
    private static final long FOREVER = -1;

    private final ReentrantLock lock = new ReentrantLock();   // I
    private final Condition doneCond = lock.newCondition();   // I
    private int done;                                         // L(lock)

    /** A completion that is not done (DECLARE_COMPLETION / init_completion). */
    public Completion() {
    }

    /** kernel: complete(). Never blocks; callable from any context. */
    public void complete() {
        lock.lock();
        try {
            if (done != ALL) {
                done++;
            }
            doneCond.signal();
        } finally {
            lock.unlock();
        }
    }

    /** kernel: complete_all(). Never blocks; callable from any context. */
    public void completeAll() {
        lock.lock();
        try {
            done = ALL;
            doneCond.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** kernel: reinit_completion(): back to "nothing completed". */
    public void reinit() {
        lock.lock();
        try {
            done = 0;
        } finally {
            lock.unlock();
        }
    }

    /** kernel: completion_done(): whether an await() would pass now. */
    public boolean isDone() {
        lock.lock();
        try {
            return done > 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * kernel: wait_for_completion_interruptible(), the same as {@link #awaitInterruptible()}: sleeps until a
     * {@link #complete()} lets it pass; an interrupt or a {@link FatalSignal} ends the wait.
     *
     * @throws InterruptedException if interrupted (or sent a fatal signal) before it could pass (kernel:
     *         -ERESTARTSYS); nothing was consumed and the interrupt status is clear
     * @throws IllegalStateException in atomic context, also when it would pass at once
     */
    public void await() throws InterruptedException {
        await(FOREVER, TaskState.INTERRUPTIBLE, "wait_for_completion_interruptible", "Completion.await");
    }

    /**
     * kernel: wait_for_completion_interruptible_timeout(), the same as {@link #awaitInterruptibleTimeout}.
     *
     * @return {@code true} if completed, {@code false} if the timeout (real time) elapsed first
     * @throws InterruptedException if interrupted (or sent a fatal signal) before it could pass (kernel:
     *         -ERESTARTSYS); nothing was consumed and the interrupt status is clear
     * @throws IllegalStateException in atomic context, also when it would pass at once
     */
    public boolean await(Duration timeout) throws InterruptedException {
        return await(nanos(timeout), TaskState.INTERRUPTIBLE, "wait_for_completion_interruptible_timeout",
                "Completion.await");
    }

    /**
     * kernel: wait_for_completion(): sleeps until a {@link #complete()} lets it pass, whatever happens meanwhile.
     * An interrupt that arrives meanwhile stays pending: the interrupt status is set when it returns.
     *
     * @throws IllegalStateException in atomic context, also when it would pass at once
     */
    public void awaitUninterruptible() {
        uninterruptible(FOREVER, "wait_for_completion", "Completion.awaitUninterruptible");
    }

    /**
     * kernel: wait_for_completion_timeout(): uninterruptible, as the kernel's is: an interrupt that arrives meanwhile
     * stays pending (the interrupt status is set when it returns) and does not shorten the wait.
     *
     * @return {@code true} if completed (one completion consumed), {@code false} if the timeout (real time) elapsed
     *         first (the kernel's 0)
     * @throws IllegalStateException in atomic context, also when it would pass at once
     */
    public boolean awaitTimeout(Duration timeout) {
        return uninterruptible(nanos(timeout), "wait_for_completion_timeout", "Completion.awaitTimeout");
    }

    /**
     * kernel: wait_for_completion_interruptible(): sleeps until a {@link #complete()} lets it pass; an interrupt or
     * a {@link FatalSignal} ends the wait.
     *
     * @throws InterruptedException if interrupted (or sent a fatal signal) before it could pass (kernel:
     *         -ERESTARTSYS); nothing was consumed and the interrupt status is clear
     * @throws IllegalStateException in atomic context, also when it would pass at once
     */
    public void awaitInterruptible() throws InterruptedException {
        await(FOREVER, TaskState.INTERRUPTIBLE, "wait_for_completion_interruptible", "Completion.awaitInterruptible");
    }

    /**
     * kernel: wait_for_completion_interruptible_timeout().
     *
     * @return {@code true} if completed, {@code false} if the timeout (real time) elapsed first
     * @throws InterruptedException if interrupted (or sent a fatal signal) before it could pass (kernel:
     *         -ERESTARTSYS); nothing was consumed and the interrupt status is clear
     * @throws IllegalStateException in atomic context, also when it would pass at once
     */
    public boolean awaitInterruptibleTimeout(Duration timeout) throws InterruptedException {
        return await(nanos(timeout), TaskState.INTERRUPTIBLE, "wait_for_completion_interruptible_timeout",
                "Completion.awaitInterruptibleTimeout");
    }

    /**
     * kernel: wait_for_completion_killable(): sleeps until a {@link #complete()} lets it pass; only a
     * {@link FatalSignal} ends the wait. A plain interrupt that arrives meanwhile stays pending (the interrupt
     * status is set when it returns).
     *
     * @throws InterruptedException if a fatal signal was sent to the thread before it could pass (kernel:
     *         -ERESTARTSYS); nothing was consumed and the interrupt status is clear
     * @throws IllegalStateException in atomic context, also when it would pass at once
     */
    public void awaitKillable() throws InterruptedException {
        await(FOREVER, TaskState.KILLABLE, "wait_for_completion_killable", "Completion.awaitKillable");
    }

    /**
     * kernel: wait_for_completion_killable_timeout(): {@link #awaitKillable()} with a timeout (real time).
     *
     * @return {@code true} if completed, {@code false} if the timeout elapsed first
     * @throws InterruptedException if a fatal signal was sent to the thread before it could pass; nothing was
     *         consumed and the interrupt status is clear
     * @throws IllegalStateException in atomic context, also when it would pass at once
     */
    public boolean awaitKillableTimeout(Duration timeout) throws InterruptedException {
        return await(nanos(timeout), TaskState.KILLABLE, "wait_for_completion_killable_timeout",
                "Completion.awaitKillableTimeout");
    }

    private boolean uninterruptible(long nanos, String op, String javaName) {
        try {
            return await(nanos, TaskState.UNINTERRUPTIBLE, op, javaName);
        } catch (InterruptedException e) {
            throw new AssertionError("an uninterruptible wait ended with " + e, e);
        }
    }

    /**
     * kernel: might_sleep(); wait_for_common(). One loop for every variant: consume a completion if there is one,
     * else the signal check of {@code state}, else block (see TaskState for the absorbed interrupt).
     *
     * @param nanos {@link #FOREVER} or {@code >= 0}
     * @return whether a completion was consumed (always true for an untimed wait that returns)
     */
    private boolean await(long nanos, TaskState state, String op, String javaName) throws InterruptedException {
        CpuContext.mightSleep(javaName);
        boolean timed = nanos != FOREVER;
        long start = timed ? System.nanoTime() : 0L;
        boolean absorbed = false;
        lock.lock();
        try {
            if (consume()) {
                return true;
            }
            SleepAwareThread token = SleepAwareThread.blockBegin();
            try {
                while (!consume()) {
                    if (state.signalPending(absorbed)) {
                        absorbed = false;
                        throw state.interrupted(op, "-ERESTARTSYS", "the completion");
                    }
                    try {
                        if (!timed) {
                            doneCond.await();
                        } else {
                            long left = nanos - (System.nanoTime() - start);
                            if (left <= 0) {
                                return false;
                            }
                            doneCond.awaitNanos(left);
                        }
                    } catch (InterruptedException e) {
                        absorbed = true;        // the status is clear now; decided on the next round, after consume
                    }
                }
                return true;
            } finally {
                SleepAwareThread.blockEnd(token);
            }
        } finally {
            lock.unlock();
            TaskState.restore(absorbed);
        }
    }

    private static long nanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return saturatedNanos(timeout);
    }

    private boolean consume() {
        if (done == 0) {
            return false;
        }
        if (done != ALL) {
            done--;
        }
        return true;
    }

    static long saturatedNanos(Duration d) {
        try {
            return Math.max(0, d.toNanos());
        } catch (ArithmeticException e) {
            return d.isNegative() ? 0 : Long.MAX_VALUE;
        }
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "Completion[done=" + (done == ALL ? "ALL" : Integer.toString(done)) + "]";
        } finally {
            lock.unlock();
        }
    }

}
