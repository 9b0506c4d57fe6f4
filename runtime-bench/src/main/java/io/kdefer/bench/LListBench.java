/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.internal.Handles;
import io.kdefer.internal.LList;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@link LList} (the intrusive list behind irq_work and cross-CPU call queues) against the JDK idiom a user
 * would otherwise write, {@link ConcurrentLinkedQueue}.
 *
 * <ul>
 *   <li>{@code llistPushPopAll} vs {@code clqOfferPoll}: one thread hands one pre-built item to itself. The
 *       list embeds its node in the item, so it allocates nothing; the queue allocates a node per offer
 *       ({@code -prof gc} shows the B/op).</li>
 *   <li>{@code handoff} vs {@code handoffClq}: producer threads hand their item to one consumer that drains
 *       everything. Each producer owns one item guarded by a claim flag, as irq_work's PENDING bit guards
 *       its node: while the item is still queued, the producer's call coalesces (returns {@code false}).
 *       Read the secondary result {@code items} (items handed off per µs); the consumer's own score counts
 *       drain calls, the producers' score counts attempts, successful or not, and the group total adds
 *       them up, which means little.</li>
 * </ul>
 *
 * <p>Run (full, as recorded in {@code runtime-bench/results/}):
 * <pre>
 *   java -jar runtime-bench/target/benchmarks.jar LListBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc
 *   java -jar runtime-bench/target/benchmarks.jar 'LListBench.handoff' -tg 1,2   # one consumer, two producers
 * </pre>
 * {@code -tg} counts threads per group method in name order: the consumer ({@code popAll}, {@code drain})
 * sorts before the producer ({@code push}, {@code offer}) in both groups.
 */
public class LListBench {

    /** An item with its own list node and a claim flag (kernel: llist_node plus a PENDING bit). */
    static final class Token {
        volatile int claimed;   // A: 1 while queued or being consumed
        LList.Node<Token> node; // I: set by the owning producer state before first use

        private static final VarHandle CLAIMED = Handles.field(MethodHandles.lookup(), Token.class, "claimed",
                int.class);

        boolean claim() {
            return CLAIMED.compareAndSet(this, 0, 1);
        }

        void release() {
            claimed = 0;   // volatile write; pairs with the CAS in claim()
        }
    }

    /** One thread's private list and queue, with the items it hands to itself. */
    @State(Scope.Thread)
    public static class Single {
        final LList<Object> list = new LList<>();
        final LList.Node<Object> node = new LList.Node<>(new Object());
        final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
        final Object item = new Object();
    }

    /** The list (or queue) shared by the producers and the consumer of one group. */
    @State(Scope.Group)
    public static class Channel {
        final LList<Token> list = new LList<>();
        final ConcurrentLinkedQueue<Token> queue = new ConcurrentLinkedQueue<>();
    }

    /** A producer's own item. */
    @State(Scope.Thread)
    public static class Producer {
        final Token token = new Token();

        public Producer() {
            token.node = new LList.Node<>(token);
        }
    }

    /** Items the consumer took, reported as the secondary result {@code items} (handed-off items per µs). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Drained {
        public long items;

        @Setup(Level.Iteration)
        public void reset() {
            items = 0;
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public LList.Node<Object> llistPushPopAll(Single s) {
        s.list.push(s.node);
        return s.list.popAll();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public Object clqOfferPoll(Single s) {
        s.queue.offer(s.item);
        return s.queue.poll();
    }

    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public boolean push(Channel c, Producer p) {
        if (!p.token.claim()) {
            return false;
        }
        c.list.push(p.token.node);
        return true;
    }

    @Benchmark
    @Group("handoff")
    @GroupThreads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int popAll(Channel c, Drained d) {
        int n = 0;
        LList.Node<Token> p = c.list.popAll();
        while (p != null) {
            LList.Node<Token> next = p.next();   // before release: the producer may push p again at once
            p.item().release();
            p = next;
            n++;
        }
        d.items += n;
        return n;
    }

    @Benchmark
    @Group("handoffClq")
    @GroupThreads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public boolean offer(Channel c, Producer p) {
        if (!p.token.claim()) {
            return false;
        }
        c.queue.offer(p.token);
        return true;
    }

    @Benchmark
    @Group("handoffClq")
    @GroupThreads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int drain(Channel c, Drained d) {
        int n = 0;
        Token t;
        while ((t = c.queue.poll()) != null) {
            t.release();
            n++;
        }
        d.items += n;
        return n;
    }
}
