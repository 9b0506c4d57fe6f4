/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp;

import io.kdefer.cpu.Cpu;
import io.kdefer.internal.Faults;
import io.kdefer.internal.LList;
import io.kdefer.smp.internal.CallEntry;

import java.util.function.BiConsumer;

/**
 * One CPU's call_single_queue: a lock-free list that any thread pushes to and the owning CPU flushes from its
 * CALL_FUNC IPI handler (B-CSD-4). Entries are typed ({@link CallEntry}): synchronous and asynchronous
 * {@link CallSingleData}, coalescing {@link QueueSingleData}, and irq_work queued on another CPU.
 */
final class CallQueue {
    /* Implementation notes
     *
     * flush() takes the whole list with one getAndSet, reverses it to FIFO, runs the synchronous entries first
     * (function, then unlock: the waiter sees the function's stores), then everything else in FIFO order. Each
     * entry runs itself (CallEntry.run): an asynchronous csd snapshots its info, unlocks, then calls; a
     * QueueSingleData clears PENDING, then calls; an irq_work runs its item. flush reads each node's next before it
     * runs the entry: a released item may be pushed again at once and its next overwritten.
     */
    final int cpu;                                      // I
    final LList<CallEntry> list = new LList<>();        // A (see LList)

    CallQueue(int cpu) {
        this.cpu = cpu;
    }

    /** Pushes; true if the queue was empty (the caller then sends the CALL_FUNC IPI). */
    boolean push(CallEntry e) {
        return list.push(e);
    }

    boolean isEmpty() {
        return list.isEmpty();
    }

    /**
     * Runs every queued entry: synchronous ones first, then the rest, each in FIFO order.
     *
     * @param where  the CPU running the queue (a jcstress actor playing it passes null)
     * @param failed gets the source and failure of an entry whose function threw (contained)
     * @param faults the machine's interrupt policy, applied after every function
     * @return the number of entries run
     */
    int flush(Cpu where, BiConsumer<Object, Throwable> failed, Faults faults) {
        LList.Node<CallEntry> head = LList.reverse(list.popAll());
        if (head == null) {
            return 0;
        }
        int n = 0;
        // Pass 1: synchronous entries, unlinked from the chain as they run.
        LList.Node<CallEntry> keepHead = null;
        LList.Node<CallEntry> keepTail = null;
        for (LList.Node<CallEntry> p = head; p != null; ) {
            LList.Node<CallEntry> next = p.next();
            CallEntry e = p.item();
            if (e.type() == CallEntry.SYNC) {
                run(e, where, failed, faults);
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
        for (LList.Node<CallEntry> p = keepHead; p != null; ) {
            LList.Node<CallEntry> next = p.next();
            run(p.item(), where, failed, faults);
            n++;
            p = next;
        }
        return n;
    }

    private static void run(CallEntry e, Cpu where, BiConsumer<Object, Throwable> failed, Faults faults) {
        Throwable t = e.run(where);
        if (t != null) {
            failed.accept(e.owner(), t);
        }
        faults.afterCallback(e.owner(), where);
    }
}
