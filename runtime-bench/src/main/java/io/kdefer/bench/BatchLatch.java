/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The wait at the end of a batch, identical for every implementation a batch benchmark compares: each item calls
 * {@link #arrive()} (one atomic increment), the item that completes the batch unparks the submitting thread, and
 * the submitter parks until the count reached its target. One park/unpark per batch, so the waiting costs the
 * same, and little, whatever runs the items.
 *
 * <pre>
 *   long t = latch.expect(K);   // before the first item of the batch is submitted
 *   ... submit K items, each ending with latch.arrive() ...
 *   latch.await(t);
 * </pre>
 * Batches must not overlap: the previous batch's items all arrived before {@code expect} is called again.
 */
final class BatchLatch {
    private final AtomicLong done = new AtomicLong();
    private volatile long target;           // written by the submitter before the batch's items are submitted
    private volatile Thread waiter;         // idem

    /** Starts a batch of {@code n} items; returns the count that ends it. */
    long expect(int n) {
        long t = done.get() + n;
        waiter = Thread.currentThread();
        target = t;
        return t;
    }

    /** One item finished. */
    void arrive() {
        if (done.incrementAndGet() == target) {
            LockSupport.unpark(waiter);
        }
    }

    /** Parks until the batch ending at {@code t} is complete. */
    long await(long t) {
        while (done.get() < t) {
            LockSupport.park(this);
        }
        return t;
    }

    long count() {
        return done.get();
    }
}
