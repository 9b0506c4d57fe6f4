/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.cpu.CpuContext;
import io.kdefer.internal.Lifecycle;
import io.kdefer.time.TimerList;

import java.util.Objects;

/**
 * A work item queued after a delay (kernel: delayed_work = work_struct + timer_list). Its own class, not a
 * {@link Work} subclass: the timer must be handled by every cancel and flush, so the embedded item is not exposed.
 *
 * <pre>{@code
 * DelayedWork retry = new DelayedWork(() -> loadFirmware());
 * wq.queueDelayed(retry, Duration.ofMillis(200));    // first wins: false if already pending
 * wq.modDelayed(retry, Duration.ZERO);               // last wins: queue now, whatever it was doing
 * retry.cancelSync();                                // timer off, not queued, not running
 * }</pre>
 *
 * <h2>States</h2> The embedded item's states ({@link Work}), plus:
 * <pre>
 *   TIMER_ARMED   PENDING, timer pending   -&gt; QUEUED      the timer fired (TIMER softirq on the arming CPU): queued
 *                                                         to the workqueue and CPU given to queueDelayed
 *                                          -&gt; CLAIMED     cancel / modDelayed deleted the timer and own PENDING
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Never runs before its delay: the timer fires at the first tick at or after it (B-WQ-6); the one exception
 *       is {@code Machine.close()}, which fires armed delayed work at once so that it runs before the machine
 *       stops (flush-on-close).</li>
 *   <li>{@code queueDelayed} is first-wins (false while pending, timer armed included); {@code modDelayed} is
 *       last-wins and returns whether it was pending.</li>
 *   <li>{@link #flush()} fires a pending timer now and waits for that run (B-WQ-12); {@link #cancel()} and
 *       {@link #cancelSync()} handle the timer (B-WQ-7/9).</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   x = 1; wq.queueDelayed(dw, d);        [function] r = x;
 *   Forbids: r == 0 (the arming is published through the timer base lock, the queueing through the claim)
 *                                              (MO-WQ-8, Workqueue_08_DelayedTimerPublishes.ArmPublishes)
 *   r0 = wq.modDelayed(dw, d)  racing the timer's expiry
 *   Forbids: the item lost, run twice, or left PENDING on no list
 *                                              (MO-WQ-8, Workqueue_08_DelayedTimerPublishes.ModVsFire)
 * </pre>
 * The jcstress proofs use the proofs' core's hand-fired timer; the machine timer's own arm/fire hand-off is
 * {@code TimerList_01_ArmPublishes}.
 */
public final class DelayedWork {
    /* Implementation notes
     *
     * The timer is created on first use, against the machine of the first workqueue it is queued on (a DelayedWork
     * is constructed without a machine). wq and cpu are written by the owner of PENDING before arming and read by
     * the timer callback, which owns PENDING while it runs: the timer's arm/fire hand-off (its base lock) orders
     * them. The proofs' core (Workqueues.forProofs) uses a timer that only fires when a test calls fireTimer().
     */
    final Work work;                     // I
    private volatile Timer timer;        // A: created once (CAS-free: under this)
    volatile Workqueue wq;               // written by the PENDING owner before arming
    volatile int cpu;                    // idem; -1 = local CPU at expiry time

    /** The timer behind a delayed item: a TimerList on a machine, a hand-fired one on the proofs' core. */
    interface Timer {
        boolean mod(java.time.Duration d);

        boolean delete();

        boolean isPending();

        /** Detached cores only: fire now if armed (the test plays the TIMER softirq). */
        default boolean fire() {
            throw new UnsupportedOperationException("only the proofs' core's timer fires by hand");
        }
    }

    /** @throws NullPointerException if {@code fn} is null */
    public DelayedWork(Runnable fn) {
        this.work = new Work(Objects.requireNonNull(fn, "fn"), this);
    }

    /** Whether the item is pending (timer armed, or queued). Racy snapshot. */
    public boolean isPending() {
        return work.isPending();
    }

    /** Whether a worker executes it now. Racy snapshot. */
    public boolean isRunning() {
        return work.isRunning();
    }

    /**
     * kernel: flush_delayed_work(): if the timer is armed, queue now instead; then wait for that run (B-WQ-12).
     *
     * @return {@code true} if it queued the armed instance (which has finished on return, even if a worker ran it
     *         before this call began to wait) or waited for a queued or running one; {@code false} if it was idle
     * @throws IllegalStateException in atomic context, or if waiting would deadlock
     */
    public boolean flush() {
        CpuContext.mightSleep("DelayedWork.flush");
        boolean queuedNow = deleteTimer() && wq.insertClaimed(work, cpu, true);
        boolean waited = work.flushInternal();   // waits for every instance queued so far, the one above included
        return queuedNow || waited;
    }

    /**
     * kernel: cancel_delayed_work(): deletes the timer or dequeues; does not wait (B-WQ-7).
     *
     * @return {@code true} if it was pending
     */
    public boolean cancel() {
        return work.cancel();
    }

    /**
     * kernel: cancel_delayed_work_sync() (B-WQ-9).
     *
     * @return {@code true} if it was pending
     * @throws IllegalStateException in atomic context, or from its own function
     */
    public boolean cancelSync() {
        CpuContext.mightSleep("DelayedWork.cancelSync");
        return work.cancelSyncInternal();
    }

    /** kernel: disable_delayed_work() (B-WQ-10). */
    public boolean disable() {
        return work.disable();
    }

    /** kernel: enable_delayed_work() (B-WQ-10). */
    public boolean enable() {
        return work.enable();
    }

    // ------------------------------------------------------------------------------------------ internal

    Timer timer(Workqueue q) {
        Timer t = timer;
        if (t == null) {
            synchronized (this) {
                t = timer;
                if (t == null) {
                    t = q.wqs.newTimer(new TimerFn());
                    timer = t;
                }
            }
        }
        return t;
    }

    boolean deleteTimer() {
        Timer t = timer;
        return t != null && t.delete();
    }

    /** Detached cores (jcstress): the test fires the timer as the TIMER softirq would. */
    boolean fireTimer() {
        Timer t = timer;
        return t != null && t.fire();
    }

    /**
     * delayed_work_timer_fn: the timer owns PENDING; hand it to the queue. Close fires it early, on the closer
     * thread, rather than leaving the item for a tick that will not come (the kernel's flush-on-close choice).
     */
    private final class TimerFn implements Lifecycle.EarlyFire {
        @Override
        public void run() {
            wq.insertClaimed(work, cpu, true);
        }

        @Override
        public String leftoverKind() {
            return "delayed work";
        }

        @Override
        public String toString() {
            return DelayedWork.this.toString();
        }
    }

    /** Rebinding to another machine (Work.bindTo): the old machine's timer is useless there. */
    void forgetTimer() {
        timer = null;
    }

    @Override
    public String toString() {
        Timer t = timer;
        return "DelayedWork[" + work.fn + (t != null && t.isPending() ? ", timer armed" : "")
                + (work.isPending() ? ", pending" : "") + (work.isRunning() ? ", running" : "") + "]";
    }

    static Timer machineTimer(TimerList t) {
        return new Timer() {
            @Override
            public boolean mod(java.time.Duration d) {
                return t.mod(d);
            }

            @Override
            public boolean delete() {
                return t.delete();
            }

            @Override
            public boolean isPending() {
                return t.isPending();
            }
        };
    }
}
