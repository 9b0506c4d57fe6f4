/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import io.kdefer.cpu.internal.SleepAwareThread;
import io.kdefer.cpu.CpuContext;

import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Threads waiting for a condition to become true (kernel: wait_queue_head_t with wait_event / wake_up).
 *
 * <pre>{@code
 * WaitQueue q = new WaitQueue();
 * q.waitEvent(() -> ring.size() > 0);    // consumer
 * ring.add(x); q.wakeUp();               // producer: change the condition first, then wake
 * }</pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>{@link #waitEvent} returns only when {@code cond} was observed true; it re-evaluates {@code cond} after
 *       every wake-up (and on spurious ones).</li>
 *   <li>No lost wake-up: a waker that makes {@code cond} true and then calls {@link #wakeUp()} cannot slip
 *       between the waiter's last evaluation and its sleep (both run under the queue's lock).</li>
 *   <li>{@code waitEvent} waiters are non-exclusive, as the kernel's {@code wait_event}: {@link #wakeUp()}
 *       therefore wakes all of them, exactly like {@link #wakeUpAll()}.</li>
 *   <li>{@code waitEvent} refuses atomic context (might_sleep) and, on a workqueue worker, tells its pool that
 *       the worker sleeps.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   x = 1; flag = true; q.wakeUp();     q.waitEvent(() -&gt; flag); r = x;
 *   Forbids: r == 0 (the waiter re-checks under the lock the waker takes)
 * </pre>
 */
public final class WaitQueue {
    private final ReentrantLock lock = new ReentrantLock();   // I
    private final Condition woken = lock.newCondition();      // I
    private int waiters;                                      // L(lock)

    /**
     * kernel: wait_event_interruptible(): sleeps until {@code cond} is true. {@code cond} must not block.
     *
     * @throws IllegalStateException in atomic context
     */
    public void waitEvent(BooleanSupplier cond) throws InterruptedException {
        Objects.requireNonNull(cond, "cond");
        if (cond.getAsBoolean()) {
            return;
        }
        CpuContext.mightSleep("WaitQueue.waitEvent");
        lock.lock();
        try {
            waiters++;
            SleepAwareThread token = SleepAwareThread.blockBegin();
            try {
                while (!cond.getAsBoolean()) {
                    woken.await();
                }
            } finally {
                SleepAwareThread.blockEnd(token);
                waiters--;
            }
        } finally {
            lock.unlock();
        }
    }

    /** kernel: wake_up(). Wakes every (non-exclusive) waiter so each re-checks its condition. */
    public void wakeUp() {
        wakeUpAll();
    }

    /** kernel: wake_up_all(). */
    public void wakeUpAll() {
        lock.lock();
        try {
            if (waiters > 0) {
                woken.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** kernel: waitqueue_active(): whether someone waits (racy snapshot). */
    public boolean hasWaiters() {
        lock.lock();
        try {
            return waiters > 0;
        } finally {
            lock.unlock();
        }
    }
}
