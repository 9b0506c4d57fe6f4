/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp;

import io.kdefer.cpu.Cpu;
import io.kdefer.internal.Handles;
import io.kdefer.smp.internal.CallEntry;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A cross-CPU call descriptor (kernel: call_single_data_t) for {@link Smp#callFunctionSingleAsync}: reusable,
 * allocation-free to submit, and never waited for.
 *
 * <h2>States (kernel: CSD_FLAG_LOCK)</h2>
 * <pre>
 *   UNLOCKED  0          -&gt; LOCKED     callFunctionSingleAsync (false while LOCKED: the kernel's -EBUSY)
 *   LOCKED    LOCK|type  -&gt; UNLOCKED   the target CPU, after snapshotting fn and info and BEFORE calling fn
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>An async csd is unlocked before its function runs, so it may be resubmitted (even to another CPU) while
 *       the previous call still runs: two calls of one csd can overlap; callers that need exclusion provide it
 *       (B-CSD-5).</li>
 *   <li>The function receives the info that was set for <em>its</em> submission: a resubmission's
 *       {@link #setInfo} cannot leak into a call already taken by the target (MO-CSD-3).</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   caller: x = 1; setInfo(i); callFunctionSingleAsync(cpu, csd) == true      target: fn(info) reads x
 *   Forbids: fn reading x == 0 or an info other than i                (CallSingleData_01_SubmitPublishes)
 *   resubmitter after seeing the csd unlocked: setInfo(j); resubmit       first call's fn(info)
 *   Forbids: the first call seeing j                                         (CallSingleData_02_ReuseKeepsInfo)
 * </pre>
 */
public final class CallSingleData {
    /* Implementation notes
     *
     * flags is claimed with getAndBitwiseOr(LOCK): an unconditional volatile read-modify-write, so even the
     * losing (-EBUSY) caller is ordered. info is written by the submitter before the claim and read by the target
     * before it releases the lock (setRelease), which is what makes the snapshot in MO-CSD-3 safe: the next
     * submitter can only write info after it has seen the lock released (its claim reads the release).
     */
    static final int LOCK = 0x01;
    static final int TYPE_ASYNC = 0x00;
    static final int TYPE_SYNC = 0x10;
    static final int TYPE_MASK = 0xf0;

    final Consumer<Object> fn;                                 // I
    final Entry node = new Entry();                            // I: its entry in a call-single queue
    private volatile int flags;                                // A
    private Object info;                                       // written before LOCK is taken; see notes

    // For synchronous calls made by Smp.callFunctionSingle: the waiter and the callback's failure.
    volatile Thread waiter;                                    // A
    Throwable failure;                                         // published by the unlock release
    final BooleanSupplier unlocked = () -> !lockedAcquire();   // I: the synchronous waiter's condition, made once

    private static final VarHandle FLAGS = Handles.field(MethodHandles.lookup(), CallSingleData.class, "flags",
            int.class);

    /** A csd calling {@code fn}. */
    public CallSingleData(Runnable fn) {
        Objects.requireNonNull(fn, "fn");
        this.fn = ignored -> fn.run();
    }

    /** A csd calling {@code fn} with the info set for each submission ({@link #setInfo}). */
    @SuppressWarnings("unchecked")
    public <T> CallSingleData(Consumer<? super T> fn) {
        this.fn = (Consumer<Object>) Objects.requireNonNull(fn, "fn");
    }

    /**
     * Sets the info the next submission passes to the function. Only while the csd is not in flight.
     *
     * @throws IllegalStateException if the csd is locked (submitted and not yet taken by its target)
     */
    public void setInfo(Object info) {
        if ((flags & LOCK) != 0) {
            throw new IllegalStateException("setInfo on a csd still in flight: its target has not taken it yet");
        }
        this.info = info;
    }

    /** Whether the csd is in flight (submitted, not yet taken by the target). Racy snapshot. */
    public boolean isLocked() {
        return (flags & LOCK) != 0;
    }

    /** Claims the lock; false if it was already locked (the claim is still a full volatile RMW). */
    boolean lock(int type) {
        int old = (int) FLAGS.getAndBitwiseOr(this, LOCK | type);
        return (old & LOCK) == 0;
    }

    int flags() {
        return flags;
    }

    boolean isSync() {
        return (flags & TYPE_MASK) == TYPE_SYNC;
    }

    Object info() {
        return info;
    }

    /** Releases the lock (pairs with the acquire in lock() of the next submitter and in a sync waiter). */
    void unlock() {
        FLAGS.setRelease(this, 0);
    }

    /** Releases the lock with a volatile write (the synchronous path, which then reads the waiter). */
    void unlockVolatile() {
        flags = 0;
    }

    boolean lockedAcquire() {
        return ((int) FLAGS.getAcquire(this) & LOCK) != 0;
    }

    /**
     * The csd's call-single queue entry: CSD_TYPE_SYNC or ASYNC as submitted. A synchronous run stores the failure
     * for the waiter, unlocks and wakes it; an asynchronous one snapshots the info, unlocks, then calls.
     */
    final class Entry extends CallEntry {
        @Override
        public int type() {
            return isSync() ? SYNC : ASYNC;
        }

        @Override
        public Throwable run(Cpu cpu) {
            if (isSync()) {
                runSync();
                return null;
            }
            Object i = info;                 // snapshot before unlocking (MO-CSD-3)
            unlock();
            try {
                fn.accept(i);
                return null;
            } catch (Throwable t) {
                return t;
            }
        }

        @Override
        public Object owner() {
            return CallSingleData.this;
        }

        @Override
        public String kind() {
            return "cross-CPU call";
        }
    }

    private void runSync() {
        try {
            fn.accept(info);
        } catch (Throwable t) {
            failure = t;                    // published by the unlock below
        }
        // Volatile unlock, then read the waiter: against the waiter's volatile write of itself and volatile read
        // of the lock, one of the two always sees the other (no lost wake-up).
        unlockVolatile();
        Thread w = waiter;
        if (w != null) {
            java.util.concurrent.locks.LockSupport.unpark(w);
        }
    }

    @Override
    public String toString() {
        return "CallSingleData[" + (isLocked() ? "locked" : "unlocked") + "]";
    }
}
