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
 * <h2>States</h2>
 * <pre>
 *   done     meaning                                    -&gt; next
 *   0        nothing completed; await() blocks          -&gt; n+1       complete()
 *   n &gt; 0    n waiters may pass                         -&gt; n-1       an await() passes (consumes one)
 *   ALL      completeAll(): every await() passes        -&gt; ALL       forever (until {@link #reinit()})
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Each {@link #complete()} lets exactly one {@link #await()} pass (now or later); {@link #completeAll()}
 *       lets every present and future waiter pass.</li>
 *   <li>{@code await} refuses atomic context (might_sleep) and, on a workqueue worker, tells its pool that the
 *       worker sleeps, so another worker takes over the pool's pending items (concurrency management).</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   x = 1; c.complete();        c.await(); r = x;
 *   Forbids: r == 0 (release/acquire through the internal lock, kernel: complete/wait_for_completion)
 * </pre>
 */
public final class Completion {
    private static final int ALL = Integer.MAX_VALUE;

    private final ReentrantLock lock = new ReentrantLock();   // I
    private final Condition doneCond = lock.newCondition();   // I
    private int done;                                         // L(lock)

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
     * kernel: wait_for_completion_interruptible().
     *
     * @throws IllegalStateException in atomic context
     */
    public void await() throws InterruptedException {
        CpuContext.mightSleep("Completion.await");
        lock.lock();
        try {
            if (consume()) {
                return;
            }
            SleepAwareThread token = SleepAwareThread.blockBegin();
            try {
                while (!consume()) {
                    doneCond.await();
                }
            } finally {
                SleepAwareThread.blockEnd(token);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * kernel: wait_for_completion_interruptible_timeout().
     *
     * @return {@code true} if completed, {@code false} if the timeout elapsed first
     * @throws IllegalStateException in atomic context
     */
    public boolean await(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        CpuContext.mightSleep("Completion.await");
        long nanos = saturatedNanos(timeout);
        lock.lock();
        try {
            if (consume()) {
                return true;
            }
            SleepAwareThread token = SleepAwareThread.blockBegin();
            try {
                while (!consume()) {
                    if (nanos <= 0) {
                        return false;
                    }
                    nanos = doneCond.awaitNanos(nanos);
                }
                return true;
            } finally {
                SleepAwareThread.blockEnd(token);
            }
        } finally {
            lock.unlock();
        }
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
