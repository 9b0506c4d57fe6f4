/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The recycled work items behind {@link Workqueue#asExecutor()}: a task runs as the {@link Work} of a pooled
 * {@link Slot}, so {@code execute} allocates nothing once the pool has as many slots as tasks are in flight.
 *
 * <h2>States of a slot</h2>
 * <pre>
 *   FREE     in the ring, task == null              -&gt; TAKEN    execute(): polled (or allocated when the ring is empty)
 *   TAKEN    owned by the executing caller          -&gt; QUEUED   task written, queue(work) returned true
 *                                                   -&gt; FREE     queue refused: task cleared, offered back
 *   QUEUED   its Work pending on the workqueue      -&gt; RUNNING  a worker runs it: the slot reads and clears task
 *   RUNNING  the task's run() executes              -&gt; FREE     run() returned or threw: offered back (dropped if full)
 * </pre>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   caller: slot.task = t; wq.queue(slot.work)     worker: t' = slot.task      MO-WQ-1: t' == t and t's state is
 *                                                  (Workqueue_01_QueueReleasesStores)        visible to t.run()
 *   worker: slot.task = null; ring.offer(slot)      caller: slot = ring.poll(); slot.task = t2
 *   Forbids: the poller seeing a slot whose previous task is not yet cleared (offer's sequence store is a release,
 *            poll's sequence load an acquire; ExecutorSlots_01_RingPublishes)
 * </pre>
 */
final class ExecutorSlots {
    /* Implementation notes
     *
     * The ring is a bounded multi-producer multi-consumer array queue with one sequence number per cell (the
     * classic design Dmitry Vyukov described): cell i is free for the offer at position p when seq[i] == p, holds
     * an item for the poll at position p when seq[i] == p + 1; each side claims its position with a CAS on its
     * counter and then writes the cell, and publishes with a volatile store of seq[i]. A full ring drops the slot
     * (the garbage collector takes it); an empty one makes execute() allocate a new slot. The CAS loops retry on
     * contention only: no caller's claim depends on them (spec §11 is about PENDING, which Work claims with an RMW).
     *
     * A slot is offered back after its task returned but before the worker's completion bookkeeping for the Work:
     * a new execute() may queue the same Work then; it is not pending any more (cleared before the run), so the
     * queue succeeds and, by non-reentrancy (B-WQ-4), runs after the current run's bookkeeping. Failures are
     * reported by the worker against the slot's Work, so a slot that fails twice is logged once (every failure is
     * still counted and traced); Slot.toString names the task.
     */
    static final int CAPACITY = 4096;           // slots kept per workqueue: tasks in flight beyond it allocate

    private final Workqueue wq;                 // I: named in Slot.toString (null in the jcstress proof)
    private final int mask;                     // I: capacity - 1 (a power of two)
    private final AtomicReferenceArray<Slot> cells;                    // A: see notes
    private final AtomicLongArray seq;                                 // A
    private final AtomicLong offers = new AtomicLong();                // A: next offer position
    private final AtomicLong polls = new AtomicLong();                 // A: next poll position

    ExecutorSlots(Workqueue wq) {
        this(wq, CAPACITY);
    }

    /** @param capacity a power of two */
    ExecutorSlots(Workqueue wq, int capacity) {
        if (capacity <= 0 || (capacity & (capacity - 1)) != 0) {
            throw new IllegalArgumentException("capacity must be a power of two: " + capacity);
        }
        this.wq = wq;
        this.mask = capacity - 1;
        this.cells = new AtomicReferenceArray<>(capacity);
        this.seq = new AtomicLongArray(capacity);
        for (int i = 0; i < capacity; i++) {
            seq.set(i, i);
        }
    }

    /** A free slot for one task: from the ring, or a new one. */
    Slot take() {
        Slot s = poll();
        return s != null ? s : new Slot(this);
    }

    boolean offer(Slot s) {
        long pos = offers.get();
        while (true) {
            int i = (int) pos & mask;
            long d = seq.get(i) - pos;
            if (d == 0) {
                if (offers.compareAndSet(pos, pos + 1)) {
                    cells.lazySet(i, s);
                    seq.set(i, pos + 1);                   // publishes the cell (and the slot's cleared task)
                    return true;
                }
                pos = offers.get();
            } else if (d < 0) {
                return false;                              // full
            } else {
                pos = offers.get();
            }
        }
    }

    Slot poll() {
        long pos = polls.get();
        while (true) {
            int i = (int) pos & mask;
            long d = seq.get(i) - (pos + 1);
            if (d == 0) {
                if (polls.compareAndSet(pos, pos + 1)) {
                    Slot s = cells.get(i);
                    cells.lazySet(i, null);
                    seq.set(i, pos + mask + 1);            // the cell is free for the offer one lap later
                    return s;
                }
                pos = polls.get();
            } else if (d < 0) {
                return null;                               // empty
            } else {
                pos = polls.get();
            }
        }
    }

    /** One executor task's carrier: its Work runs the slot, which runs the task and frees itself. */
    static final class Slot implements Runnable {
        final ExecutorSlots home;               // I
        final Work work = new Work(this);       // I
        Runnable task;                          // O(owner): the executing caller, then the worker (see States)

        Slot(ExecutorSlots home) {
            this.home = home;
        }

        @Override
        public void run() {
            Runnable t = task;
            task = null;
            try {
                t.run();
            } finally {
                home.offer(this);
            }
        }

        @Override
        public String toString() {
            Runnable t = task;
            return (t != null ? "executor task " + t : "recycled executor task")
                    + (home.wq != null ? " of workqueue " + home.wq.name() : "");
        }
    }
}
