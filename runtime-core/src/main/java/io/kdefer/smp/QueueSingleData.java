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

/**
 * A coalescing cross-CPU call (the seed patch "smp: Non busy-waiting IPI queue"): {@link Smp#queueFunctionSingle}
 * is a no-op while the call is already pending, and the pending call is guaranteed to see what the caller stored
 * before it. Reusable and allocation-free.
 *
 * <h2>States</h2>
 * <pre>
 *   IDLE     0        -&gt; PENDING  queueFunctionSingle == true (false while PENDING: coalesced)
 *   PENDING  PENDING  -&gt; IDLE     the target clears PENDING (fully ordered) just before calling fn;
 *                                 or the send failed (offline target): PENDING is reset
 * </pre>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   caller: x = 1; r0 = queueFunctionSingle(cpu, qsd)        target: clear PENDING; fn reads x (r1)
 *   Forbids: r0 == false and the pending run reading r1 == 0       (QueueSingleData_01_CoalescedStillVisible)
 *   (store-buffering shape: both sides use a volatile read-modify-write of the same word)
 * </pre>
 */
public final class QueueSingleData {
    static final int PENDING = 1;

    final Runnable fn;                                         // I
    final Entry node = new Entry();                            // I: its entry in a call-single queue
    private volatile int flags;                                // A
    private volatile long runs;                                // R: racy count (two runs may overlap)

    private static final VarHandle FLAGS = Handles.field(MethodHandles.lookup(), QueueSingleData.class, "flags",
            int.class);

    public QueueSingleData(Runnable fn) {
        this.fn = Objects.requireNonNull(fn, "fn");
    }

    /** Whether a call is pending (queued, not yet started). Racy snapshot. */
    public boolean isPending() {
        return (flags & PENDING) != 0;
    }

    /** Times the function ran. */
    public long runs() {
        return runs;
    }

    /** Unconditional volatile RMW: true if this call made it pending (never a CAS that returns on failure). */
    boolean claim() {
        return ((int) FLAGS.getAndBitwiseOr(this, PENDING) & PENDING) == 0;
    }

    void reset() {
        FLAGS.getAndBitwiseAnd(this, ~PENDING);
    }

    /** Target side: clear PENDING with a full fence, then call fn (contained). */
    void run() {
        FLAGS.getAndBitwiseAnd(this, ~PENDING);
        runs++;
        fn.run();
    }

    /** The qsd's call-single queue entry: clears PENDING (full fence), then calls. */
    final class Entry extends CallEntry {
        @Override
        public int type() {
            return QUEUED;
        }

        @Override
        public Throwable run(Cpu cpu) {
            try {
                QueueSingleData.this.run();
                return null;
            } catch (Throwable t) {
                return t;
            }
        }

        @Override
        public Object owner() {
            return QueueSingleData.this;
        }

        @Override
        public String kind() {
            return "cross-CPU call";
        }
    }
}
