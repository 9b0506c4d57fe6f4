/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Intrusive lock-free multi-producer list (kernel: llist): producers push single nodes, one consumer takes
 * the whole list at once. Items embed a pre-allocated {@link Node}, so pushing allocates nothing.
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>{@link #push} returns {@code true} iff the list was empty before this push; callers use it to send
 *       exactly one notification per empty-to-non-empty transition (irq_work self-IPI, CALL_FUNC IPI).</li>
 *   <li>{@link #popAll} returns the nodes newest first (LIFO); {@link #reverse} gives FIFO order.</li>
 *   <li>A node must be on at most one list at a time. The list does not check this: every user guards
 *       insertion with a claim bit (irq_work PENDING, tasklet SCHED, csd LOCK).</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   producer: n.item fields written; push(n)        consumer: p = popAll(); read p.item fields
 *   Forbids: the consumer reading a field value older than the one written before push
 *   (the push CAS is a volatile write, popAll's getAndSet a volatile read of the same head)
 *   proved by LList_01_PushPublishes (runtime-jcstress; MO-IW-5: the lists of irq_work, the call-single queues and
 *   the tasklets' hand-over lists are LLists)
 * </pre>
 */
public final class LList<T> {
    /* Implementation notes
     *
     * Treiber stack. head is A (every access through HEAD). Node.next is written by the producer before its
     * CAS publishes the node and read by the consumer after getAndSet took it: plain accesses, ordered by
     * the release/acquire of those two volatile operations.
     *
     * Hazard for consumers: once a consumer hands an item back (clears its claim bit), a producer may push
     * the same node again and overwrite next. Consumers therefore read next() before releasing the item
     * (kernel: llist_for_each_entry_safe). There is no ABA problem: nodes are only ever removed all at
     * once by getAndSet, never popped individually by CAS.
     */

    /**
     * The link embedded in an item (one per item, allocated with it). A subclass may be its own item (the
     * call-single queue's typed entries).
     */
    public static class Node<T> {
        private final T item;   // I
        Node<T> next;           // published by the push CAS; see implementation notes

        public Node(T item) {
            this.item = item;
        }

        /** A node that is its own item. */
        @SuppressWarnings("unchecked")
        protected Node() {
            this.item = (T) this;
        }

        public T item() {
            return item;
        }

        /** The next node of a chain returned by {@link #popAll()} or {@link #reverse}. */
        public Node<T> next() {
            return next;
        }
    }

    private volatile Node<T> head;   // A

    private static final VarHandle HEAD = Handles.field(MethodHandles.lookup(), LList.class, "head", Node.class);

    /**
     * Pushes {@code n}. Lock-free; allocation-free.
     *
     * @return {@code true} if the list was empty before this push
     */
    public boolean push(Node<T> n) {
        Node<T> h;
        do {
            h = head;
            n.next = h;
        } while (!HEAD.weakCompareAndSet(this, h, n));
        return h == null;
    }

    /** Takes every node, newest first; {@code null} if empty. */
    @SuppressWarnings("unchecked")
    public Node<T> popAll() {
        // Cheap read first: the consumer polls idle lists often, and getAndSet would dirty the cache line.
        if (head == null) {
            return null;
        }
        return (Node<T>) HEAD.getAndSet(this, (Node<T>) null);
    }

    public boolean isEmpty() {
        return head == null;
    }

    /**
     * The current chain, newest first, without taking it. For diagnostics on a quiescent list only (close-time
     * reports, tests): a consumer may take the chain and relink it at any time.
     */
    public Node<T> peekAll() {
        return head;
    }

    /**
     * Re-links {@code node} to {@code next} in a chain the caller took with {@link #popAll()} and still owns (for
     * consumers that split a batch, e.g. the call-single queue's synchronous-first pass).
     */
    public static <T> void link(Node<T> node, Node<T> next) {
        node.next = next;
    }

    /**
     * Moves every node of this list onto {@code dest}, oldest first, so that {@code dest}'s consumer sees them in the
     * order they were pushed here (hotplug: the work of a dead CPU moves to a live one). Lock-free; a node pushed
     * here concurrently either moves with this batch or stays for the next call.
     *
     * @return {@code true} if some push found {@code dest} empty (the caller then signals {@code dest}'s consumer)
     */
    public boolean transferTo(LList<T> dest) {
        boolean wasEmpty = false;
        for (Node<T> p = reverse(popAll()); p != null; ) {
            Node<T> next = p.next;          // before the push relinks p
            wasEmpty |= dest.push(p);
            p = next;
        }
        return wasEmpty;
    }

    /** Reverses a chain taken by {@link #popAll()} in place, giving FIFO (oldest first) order. */
    public static <T> Node<T> reverse(Node<T> first) {
        Node<T> prev = null;
        while (first != null) {
            Node<T> next = first.next;
            first.next = prev;
            prev = first;
            first = next;
        }
        return prev;
    }

    @Override
    public String toString() {
        int n = 0;
        for (Node<T> p = head; p != null && n < 1000; p = p.next) {
            n++;
        }
        return "LList[" + (n >= 1000 ? "1000+" : n) + "]";
    }
}
