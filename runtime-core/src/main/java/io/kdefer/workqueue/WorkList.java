/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

/**
 * An intrusive FIFO of work items (kernel: list_head): a pool's worklist, a pwq's inactive list, a worker's
 * scheduled list. Linking allocates nothing. Guarded by the lock of the pool that owns the list.
 */
final class WorkList {
    private Work head;   // L(pool.lock)
    private Work tail;   // L(pool.lock)
    private int size;    // L(pool.lock)

    boolean isEmpty() {
        return head == null;
    }

    int size() {
        return size;
    }

    Work first() {
        return head;
    }

    void addLast(Work w) {
        assert w.list == null : w + " is already on a list";
        w.list = this;
        w.prev = tail;
        w.next = null;
        if (tail == null) {
            head = w;
        } else {
            tail.next = w;
        }
        tail = w;
        size++;
    }

    void remove(Work w) {
        assert w.list == this : w + " is not on this list";
        if (w.prev == null) {
            head = w.next;
        } else {
            w.prev.next = w.next;
        }
        if (w.next == null) {
            tail = w.prev;
        } else {
            w.next.prev = w.prev;
        }
        w.prev = null;
        w.next = null;
        w.list = null;
        size--;
    }

    Work removeFirst() {
        Work w = head;
        if (w != null) {
            remove(w);
        }
        return w;
    }
}
