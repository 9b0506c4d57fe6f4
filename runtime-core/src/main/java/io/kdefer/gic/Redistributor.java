/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.gic;

import io.kdefer.internal.Handles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One PE's banked interrupts: the 16 SGIs and 16 PPIs (GICR_SGI frame). Bit {@code i} of every word is INTID
 * {@code i}.
 *
 * <pre>
 *   pending(i) = latch(i) | (line(i) &amp; level(i))        (B-GIC-4; SGIs have no line)
 *   candidate  = pending &amp; enabled &amp; ~active            (B-GIC-18)
 * </pre>
 */
final class Redistributor {
    /* Implementation notes
     *
     * Lock: the monitor of this object is the PE lock. It guards every word below except latch, and is taken
     * before the distributor lock when both are needed (J-GIC-1 lock order).
     *
     * latch is the one word written without the PE lock: SGI generation (the hot path of every irq_work
     * self-IPI and cross-CPU call) is a single getAndBitwiseOr on it. That is consistent with the locked
     * acknowledge because pending and active are independent bits: an SGI that lands just after acknowledge
     * cleared the latch simply makes the INTID active+pending, which is the architectural outcome (B-GIC-12).
     * Words other than latch are volatile only so that the CPU loop's lock-free hint() sees them; all their
     * writes happen under the PE lock.
     */
    final int pe;                       // I
    private volatile int latch;         // A: software/edge pending latch, SGI pending bits
    volatile int line;                  // L(this): PPI input levels (written under lock, volatile for hint)
    volatile int enabled;               // L(this)
    volatile int active;                // L(this)
    int edge = 0x0000ffff;              // L(this): 1 = edge-triggered; SGIs read-only edge
    final byte[] priority = new byte[32];   // L(this): stored as the 8-bit value, masked to implemented bits

    private static final VarHandle LATCH =
            Handles.field(MethodHandles.lookup(), Redistributor.class, "latch", int.class);

    Redistributor(int pe, int defaultPriority) {
        this.pe = pe;
        java.util.Arrays.fill(priority, (byte) defaultPriority);
    }

    /** Sets latch bits; returns the previous latch word. Lock-free (SGI generation, ISPENDR). */
    int setLatch(int bits) {
        return (int) LATCH.getAndBitwiseOr(this, bits);
    }

    /** Clears latch bits; returns the previous latch word. */
    int clearLatch(int bits) {
        return (int) LATCH.getAndBitwiseAnd(this, ~bits);
    }

    int latch() {
        return latch;
    }

    int pendingWord() {
        return latch | (line & ~edge);
    }

    /** Lock-free and racy: may an SGI or PPI be signallable? Used only as a hint; acknowledge re-checks. */
    int candidates() {
        return (latch | (line & ~edge)) & enabled & ~active;
    }

    int priority(int intid) {
        return priority[intid] & 0xff;
    }
}
