/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import io.kdefer.cpu.internal.SleepAwareThread;
import io.kdefer.cpu.CpuContext;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Threads waiting for a condition to become true (kernel: wait_queue_head_t with wait_event / wake_up).
 *
 * <pre>{@code
 * WaitQueue q = new WaitQueue();
 * q.waitEventInterruptible(() -> ring.size() > 0);   // consumer (kernel: if (wait_event_interruptible(...)) ...)
 * ring.add(x); q.wakeUp();                           // producer: change the condition first, then wake
 * }</pre>
 *
 * <h2>The variants (kernel: include/linux/wait.h)</h2>
 * <pre>
 *   kernel                              Java                                   returns        interrupt   FatalSignal
 *   wait_event                          waitEventUninterruptible(c)            void           pending     ignored
 *   wait_event_timeout                  waitEventTimeout(c, d)                 true iff c     pending     ignored
 *   wait_event_interruptible            waitEventInterruptible(c), waitEvent   void           throws      throws
 *   wait_event_interruptible_timeout    waitEventInterruptibleTimeout(c, d)    true iff c     throws      throws
 *   wait_event_killable                 waitEventKillable(c)                   void           pending     throws
 *   wait_event_killable_timeout         waitEventKillableTimeout(c, d)         true iff c     pending     throws
 * </pre>
 * "pending": the wait goes on and the interrupt status is set again when it returns, so the caller still sees it.
 * "throws": the wait ends with {@link InterruptedException} (the kernel's -ERESTARTSYS) and the status is clear.
 * The timed variants return {@code true} iff the condition was seen true, {@code false} when it was still false at
 * the timeout (the kernel's 0; its "remaining jiffies" are not returned). Timeouts are real time, also in MANUAL
 * mode (a task sleeps; virtual time moves only for atomic contexts); a negative one counts as zero.
 *
 * <p><b>Why the interruptible waits throw.</b> The kernel's {@code wait_event_interruptible} returns
 * {@code -ERESTARTSYS} when a signal ended the wait with the condition still false, and a driver that ignores the
 * return value goes on as if the condition held: the classic crash (it dereferences a buffer that is not there).
 * Here the interrupt is a checked {@link InterruptedException}: a caller cannot compile code that ignores it, and a
 * normal return means exactly one thing, the condition was seen true.
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Every variant refuses atomic context first (might_sleep), also when the condition is already true, as the
 *       kernel's {@code might_sleep()} at the top of each {@code wait_event*} does; {@code cond} is not evaluated
 *       then.</li>
 *   <li>A wait returns normally only when {@code cond} was observed true (or, for the timed variants, with
 *       {@code false} after the timeout); it re-evaluates {@code cond} after every wake-up (and on spurious ones).
 *       {@code cond} is evaluated before any signal is looked at (kernel order): a condition that holds wins over
 *       a pending interrupt, which then stays pending.</li>
 *   <li>No lost wake-up: a waker that makes {@code cond} true and then calls {@link #wakeUp()} cannot slip
 *       between the waiter's last evaluation and its sleep (both run under the queue's lock).</li>
 *   <li>Waiters are non-exclusive, as the kernel's {@code wait_event}: {@link #wakeUp()} therefore wakes all of
 *       them, exactly like {@link #wakeUpAll()}.</li>
 *   <li>On a workqueue worker a wait that blocks tells its pool that the worker sleeps (concurrency management).</li>
 *   <li>{@code cond} runs on the waiting thread, first without the queue's lock and then under it, so it must read
 *       what the waker writes safely (a volatile or atomic field, or a lock the waker also takes), as a kernel
 *       condition must use READ_ONCE / WRITE_ONCE. It must not block.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   x = 1; flag = true; q.wakeUp();     q.waitEvent(() -&gt; flag); r = x;         (flag volatile, x plain)
 *   Forbids: r == 0
 *
 *   waker: x = 1; waiter.interrupt(); flag = true; q.wakeUp();
 *   waiter: try { q.waitEventInterruptible(() -&gt; flag); r1 = RETURNED; } catch (InterruptedException e) { r1 = EINTR; }
 *           r2 = x; r3 = Thread.interrupted();
 *   Forbids: r2 == 0 (a normal return sees the stores before flag; an EINTR sees the stores before the interrupt);
 *            RETURNED with r3 == false (the interrupt was swallowed); EINTR with r3 == true (reported and still set)
 *                                                                (WaitQueue_01_InterruptibleWaitSeesCondition)
 * </pre>
 */
public final class WaitQueue {
    /* Implementation notes
     *
     * One loop serves every variant (kernel: ___wait_event): under the lock, cond; then the signal check of the
     * variant's TaskState; then block on the condition variable (timed or not). The JDK's await throws
     * InterruptedException for any interrupt and clears the status; the loop absorbs it and decides on the next
     * round, after re-evaluating cond, whether it ends the wait (see TaskState).
     *
     * waiters counts the threads inside the lock-held part, so wakeUp signals only when someone can hear it;
     * it is exact because both sides hold the lock.
     */
    private final ReentrantLock lock = new ReentrantLock();   // I
    private final Condition woken = lock.newCondition();      // I
    private int waiters;                                      // L(lock)

    /** An untimed wait. */
    private static final long FOREVER = -1;

    /** An empty wait queue (DECLARE_WAIT_QUEUE_HEAD / init_waitqueue_head). */
    public WaitQueue() {
    }

    /**
     * kernel: wait_event_interruptible(), the same as {@link #waitEventInterruptible}: sleeps until {@code cond} is
     * true; an interrupt or a fatal signal ends the wait.
     *
     * @throws InterruptedException if interrupted (or sent a {@link FatalSignal}) while {@code cond} was false
     *         (kernel: -ERESTARTSYS); the interrupt status is then clear
     * @throws IllegalStateException in atomic context, whatever {@code cond} is
     */
    public void waitEvent(BooleanSupplier cond) throws InterruptedException {
        await(cond, FOREVER, TaskState.INTERRUPTIBLE, "wait_event_interruptible", "WaitQueue.waitEvent");
    }

    /**
     * kernel: wait_event(): sleeps until {@code cond} is true, whatever happens meanwhile. An interrupt that arrives
     * meanwhile stays pending: the interrupt status is set when it returns.
     *
     * @throws IllegalStateException in atomic context, whatever {@code cond} is
     */
    public void waitEventUninterruptible(BooleanSupplier cond) {
        uninterruptible(cond, FOREVER, "wait_event", "WaitQueue.waitEventUninterruptible");
    }

    /**
     * kernel: wait_event_timeout(): sleeps until {@code cond} is true or {@code timeout} (real time) elapsed.
     * Uninterruptible, as the kernel's is: an interrupt that arrives meanwhile stays pending (the interrupt status
     * is set when it returns) and does not shorten the wait.
     *
     * @return {@code true} iff {@code cond} was seen true; {@code false} if it was still false at the timeout
     * @throws IllegalStateException in atomic context, whatever {@code cond} is
     */
    public boolean waitEventTimeout(BooleanSupplier cond, Duration timeout) {
        return uninterruptible(cond, nanos(timeout), "wait_event_timeout", "WaitQueue.waitEventTimeout");
    }

    /**
     * kernel: wait_event_interruptible(): sleeps until {@code cond} is true; an interrupt or a {@link FatalSignal}
     * ends the wait. A normal return means {@code cond} was seen true; there is no return value to forget.
     *
     * @throws InterruptedException if interrupted (or sent a fatal signal) while {@code cond} was false (kernel:
     *         -ERESTARTSYS); the interrupt status is then clear
     * @throws IllegalStateException in atomic context, whatever {@code cond} is
     */
    public void waitEventInterruptible(BooleanSupplier cond) throws InterruptedException {
        await(cond, FOREVER, TaskState.INTERRUPTIBLE, "wait_event_interruptible",
                "WaitQueue.waitEventInterruptible");
    }

    /**
     * kernel: wait_event_interruptible_timeout(): {@link #waitEventInterruptible} with a timeout (real time).
     *
     * @return {@code true} iff {@code cond} was seen true; {@code false} if it was still false at the timeout
     * @throws InterruptedException if interrupted (or sent a fatal signal) while {@code cond} was false (kernel:
     *         -ERESTARTSYS); the interrupt status is then clear
     * @throws IllegalStateException in atomic context, whatever {@code cond} is
     */
    public boolean waitEventInterruptibleTimeout(BooleanSupplier cond, Duration timeout) throws InterruptedException {
        return await(cond, nanos(timeout), TaskState.INTERRUPTIBLE, "wait_event_interruptible_timeout",
                "WaitQueue.waitEventInterruptibleTimeout");
    }

    /**
     * kernel: wait_event_killable(): sleeps until {@code cond} is true; only a {@link FatalSignal} ends the wait. A
     * plain interrupt that arrives meanwhile stays pending (the interrupt status is set when it returns).
     *
     * @throws InterruptedException if a fatal signal was sent to the thread while {@code cond} was false (kernel:
     *         -ERESTARTSYS); the interrupt status is then clear
     * @throws IllegalStateException in atomic context, whatever {@code cond} is
     */
    public void waitEventKillable(BooleanSupplier cond) throws InterruptedException {
        await(cond, FOREVER, TaskState.KILLABLE, "wait_event_killable", "WaitQueue.waitEventKillable");
    }

    /**
     * kernel: wait_event_killable_timeout(): {@link #waitEventKillable} with a timeout (real time).
     *
     * @return {@code true} iff {@code cond} was seen true; {@code false} if it was still false at the timeout
     * @throws InterruptedException if a fatal signal was sent to the thread while {@code cond} was false
     * @throws IllegalStateException in atomic context, whatever {@code cond} is
     */
    public boolean waitEventKillableTimeout(BooleanSupplier cond, Duration timeout) throws InterruptedException {
        return await(cond, nanos(timeout), TaskState.KILLABLE, "wait_event_killable_timeout",
                "WaitQueue.waitEventKillableTimeout");
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

    // ---------------------------------------------------------------------------------------------- internals

    private boolean uninterruptible(BooleanSupplier cond, long nanos, String op, String javaName) {
        try {
            return await(cond, nanos, TaskState.UNINTERRUPTIBLE, op, javaName);
        } catch (InterruptedException e) {
            throw new AssertionError("an uninterruptible wait ended with " + e, e);
        }
    }

    /**
     * kernel: might_sleep(); if (!(cond)) ___wait_event(...). {@code nanos} is {@link #FOREVER} or {@code >= 0}.
     *
     * @return whether {@code cond} was seen true (always true for an untimed wait that returns)
     */
    private boolean await(BooleanSupplier cond, long nanos, TaskState state, String op, String javaName)
            throws InterruptedException {
        Objects.requireNonNull(cond, "cond");
        CpuContext.mightSleep(javaName);
        if (cond.getAsBoolean()) {
            return true;
        }
        boolean timed = nanos != FOREVER;
        if (timed && nanos == 0) {
            return false;
        }
        long start = timed ? System.nanoTime() : 0L;
        boolean absorbed = false;
        lock.lock();
        try {
            waiters++;
            SleepAwareThread token = SleepAwareThread.blockBegin();
            try {
                while (!cond.getAsBoolean()) {
                    if (state.signalPending(absorbed)) {
                        absorbed = false;
                        throw state.interrupted(op, "-ERESTARTSYS", "its condition");
                    }
                    try {
                        if (!timed) {
                            woken.await();
                        } else {
                            long left = nanos - (System.nanoTime() - start);
                            if (left <= 0) {
                                return false;
                            }
                            woken.awaitNanos(left);
                        }
                    } catch (InterruptedException e) {
                        absorbed = true;        // the status is clear now; decided on the next round, after cond
                    }
                }
                return true;
            } finally {
                SleepAwareThread.blockEnd(token);
                waiters--;
            }
        } finally {
            lock.unlock();
            TaskState.restore(absorbed);
        }
    }

    private static long nanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return Completion.saturatedNanos(timeout);
    }
}
