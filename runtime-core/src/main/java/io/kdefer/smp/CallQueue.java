/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp;

import io.kdefer.internal.Faults;
import io.kdefer.internal.LList;

import java.util.function.BiConsumer;

/**
 * One CPU's call_single_queue: a lock-free list that any thread pushes to and the owning CPU flushes from its
 * CALL_FUNC IPI handler (B-CSD-4). Entries are synchronous and asynchronous {@link CallSingleData}, coalescing
 * {@link QueueSingleData}, and foreign entry types registered by other subsystems (irq_work queued remotely).
 */
final class CallQueue {
    /* Implementation notes
     *
     * flush() takes the whole list with one getAndSet, reverses it to FIFO, runs the synchronous csds first
     * (function, then unlock: the waiter sees the function's stores), then everything else in FIFO order:
     * asynchronous csds (snapshot info, unlock, then call), QueueSingleData (clear PENDING, then call) and
     * foreign entries. It reads each node's next before releasing its item: a released item may be pushed again
     * at once and its next overwritten.
     */
    final int cpu;                                  // I
    final LList<Object> list = new LList<>();       // A (see LList)

    CallQueue(int cpu) {
        this.cpu = cpu;
    }

    /** Pushes; true if the queue was empty (the caller then sends the CALL_FUNC IPI). */
    boolean push(LList.Node<Object> node) {
        return list.push(node);
    }

    boolean isEmpty() {
        return list.isEmpty();
    }

    /** {@link #flush(BiConsumer, BiConsumer, Faults, Object)} without an interrupt policy (detached queues). */
    int flush(BiConsumer<Object, Integer> foreign, BiConsumer<Object, Throwable> failed) {
        return flush(foreign, failed, null, null);
    }

    /**
     * Runs every queued entry: synchronous csds first, then the rest, each in FIFO order.
     *
     * @param foreign runs entries that are neither csds nor qsds (irq_work); gets the item and this CPU's id
     * @param failed  gets a contained failure of an async csd or qsd and its source
     * @param faults  the machine's interrupt policy (null: a detached queue), applied after every function
     * @param where   the CPU running the queue, for its reports
     * @return the number of entries run
     */
    int flush(BiConsumer<Object, Integer> foreign, BiConsumer<Object, Throwable> failed, Faults faults, Object where) {
        LList.Node<Object> head = LList.reverse(list.popAll());
        if (head == null) {
            return 0;
        }
        int n = 0;
        // Pass 1: synchronous csds, unlinked from the chain as they run.
        LList.Node<Object> keepHead = null;
        LList.Node<Object> keepTail = null;
        for (LList.Node<Object> p = head; p != null; ) {
            LList.Node<Object> next = p.next();
            Object item = p.item();
            if (item instanceof CallSingleData && ((CallSingleData) item).isSync()) {
                runSync((CallSingleData) item, faults, where);
                n++;
            } else if (keepTail == null) {
                keepHead = p;
                keepTail = p;
            } else {
                LList.link(keepTail, p);
                keepTail = p;
            }
            p = next;
        }
        if (keepTail != null) {
            LList.link(keepTail, null);
        }
        // Pass 2: everything else, FIFO.
        for (LList.Node<Object> p = keepHead; p != null; ) {
            LList.Node<Object> next = p.next();
            Object item = p.item();
            if (item instanceof CallSingleData) {
                CallSingleData csd = (CallSingleData) item;
                Object info = csd.info();           // snapshot before unlocking (MO-CSD-3)
                csd.unlock();
                try {
                    csd.fn.accept(info);
                } catch (Throwable t) {
                    failed.accept(csd, t);
                }
                if (faults != null) {
                    faults.afterCallback(csd, where);
                }
            } else if (item instanceof QueueSingleData) {
                QueueSingleData qsd = (QueueSingleData) item;
                try {
                    qsd.run();
                } catch (Throwable t) {
                    failed.accept(qsd, t);
                }
                if (faults != null) {
                    faults.afterCallback(qsd, where);
                }
            } else {
                foreign.accept(item, cpu);
            }
            n++;
            p = next;
        }
        return n;
    }

    private static void runSync(CallSingleData csd, Faults faults, Object where) {
        try {
            csd.fn.accept(csd.info());
        } catch (Throwable t) {
            csd.failure = t;                    // published by the unlock below
        }
        if (faults != null) {
            faults.afterCallback(csd.fn, where);
        }
        // Volatile unlock, then read the waiter: against the waiter's volatile write of itself and volatile read
        // of the lock, one of the two always sees the other (no lost wake-up).
        csd.unlockVolatile();
        Thread w = csd.waiter;
        if (w != null) {
            java.util.concurrent.locks.LockSupport.unpark(w);
        }
    }
}
