/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * The runtime's one wake-up protocol (kernel: {@code set_current_state} / {@code wake_up_process}), used by the
 * virtual CPUs and the IRQ threads: a thread that runs out of work sleeps, and a thread that hands it work wakes it,
 * at most one {@code unpark} per sleep and none for a thread that is running.
 *
 * <h2>States</h2>
 * <pre>
 *   RUNNING  0   -&gt; PARKED    the owner is about to sleep (prepare)
 *   PARKED   1   -&gt; RUNNING   a waker won the PARKED -&gt; RUNNING compare-and-set (then one unpark), or the owner
 *                             woke by itself (a deadline, a spurious return) and took it back (finish)
 *   STOPPED  2                the owner is done for good (terminal; wake() does nothing)
 * </pre>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   waker:  publish work (a volatile write or RMW);  r0 = state     owner:  state = PARKED;  r1 = work?;  park
 *   Forbids: r0 == RUNNING (the waker does not unpark) and r1 == no work (the owner parks): the work would be
 *   stranded. Both sides are volatile accesses, so one sees the other.
 *          (Cpu_01_ParkedCpuWakes for the CPUs, ThreadedIrq_05_ParkedThreadWakes for the IRQ threads)
 * </pre>
 * The owner must re-check for work after {@link #prepare} and before {@link #park}; the waker must publish its work
 * before {@link #wake}. A waker that loses the race (the owner woke by itself) does nothing: the owner finds the work
 * when it loops.
 */
public final class Parker {
    public static final int RUNNING = 0;
    public static final int PARKED = 1;
    public static final int STOPPED = 2;

    private volatile int state;          // A: RUNNING / PARKED / STOPPED
    private volatile Thread owner;       // O(the owner): written before it publishes PARKED
    private volatile long unparks;       // A: incremented by the waker that won the CAS

    private static final VarHandle STATE = Handles.field(MethodHandles.lookup(), Parker.class, "state", int.class);
    private static final VarHandle UNPARKS = Handles.field(MethodHandles.lookup(), Parker.class, "unparks",
            long.class);

    /** The owner, about to sleep: publishes PARKED. It then re-checks for work and calls {@link #park} or {@link #finish}. */
    public void prepare(Thread self) {
        owner = self;
        state = PARKED;
    }

    /**
     * The owner sleeps until woken or {@code nanos} passed ({@code Long.MAX_VALUE}: no deadline), then takes the
     * state back to RUNNING. A Java interrupt makes it return early; the caller decides what that means.
     */
    public void park(Object blocker, long nanos) {
        if (nanos == Long.MAX_VALUE) {
            LockSupport.park(blocker);
        } else if (nanos > 0) {
            LockSupport.parkNanos(blocker, nanos);
        }
        finish();
    }

    /** The owner is awake (it found work after {@link #prepare}, or woke): PARKED -&gt; RUNNING unless a waker did it. */
    public void finish() {
        STATE.compareAndSet(this, PARKED, RUNNING);
    }

    /**
     * A waker, after publishing work: wakes the owner if it is parked. One volatile read when it is running.
     *
     * @return whether this call unparked it
     */
    public boolean wake() {
        if (state == PARKED && STATE.compareAndSet(this, PARKED, RUNNING)) {
            UNPARKS.getAndAdd(this, 1L);
            LockSupport.unpark(owner);
            return true;
        }
        return false;
    }

    /** Wakes the owner whatever its state (a request to run a step, or to stop): it re-checks what to do. */
    public void nudge(Thread ownerThread) {
        STATE.compareAndSet(this, PARKED, RUNNING);
        LockSupport.unpark(ownerThread);
    }

    /** The owner is done for good. */
    public void stop() {
        state = STOPPED;
    }

    public int state() {
        return state;
    }

    /** Unparks done by wakers (one per sleep at most). */
    public long unparks() {
        return unparks;
    }
}
