/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.workqueue.Work;
import io.kdefer.workqueue.Workqueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Ordered execution of tiny items: an ordered workqueue ({@code Workqueues.allocOrdered}, B-WQ-17: one item at a
 * time, in queueing order, system-wide) against the JDK idioms for "run these one after another, off my thread".
 * Goal (issue 6): the ordered workqueue 2x faster per item than the hand-written sequential executor on a shared
 * pool.
 *
 * <ul>
 *   <li>{@code batch}: queue {@value #BATCH} pre-built items back to back, then wait until all ran ({@link
 *       BatchLatch}: one park/unpark per batch); the score is per item. Each item also checks that it runs in
 *       queueing order (a plain counter, which the ordering guarantee makes race-free); a violation fails the
 *       benchmark.
 *       <ul>
 *         <li>{@code workqueue}: {@code allocOrdered("bench_ordered", 0).queue(work)} of distinct {@link Work}s.</li>
 *         <li>{@code seqForkJoin}: {@link SequentialExecutor} over a shared {@code ForkJoinPool(N)}: a queue and a
 *             running flag; the first task of an idle period submits a drain task to the pool (the shape of
 *             Guava's {@code MoreExecutors.newSequentialExecutor}, written here from that description).</li>
 *         <li>{@code seqThreadPool}: the same over a shared {@code ThreadPoolExecutor(N)}.</li>
 *         <li>{@code singleThread}: {@code Executors.newSingleThreadExecutor()}: a dedicated thread, not shared, for
 *             reference.</li>
 *       </ul></li>
 * </ul>
 * N = {@code availableProcessors()} (the machine's CPUs, the pools' threads).
 *
 * <p>Run: {@code java -Djmh.ignoreLock=true -jar runtime-bench/target/benchmarks.jar OrderedWorkqueueBench -foe true
 * -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class OrderedWorkqueueBench {
    static final int BATCH = 1000;
    static final int N = Runtime.getRuntime().availableProcessors();

    @Param({"workqueue", "seqForkJoin", "seqThreadPool", "singleThread"})
    public String impl;

    private Machine machine;
    private Workqueue ordered;
    private ExecutorService pool;
    private Executor executor;
    private final BatchLatch latch = new BatchLatch();
    private final Work[] works = new Work[BATCH];
    private final Runnable[] tasks = new Runnable[BATCH];
    private long ran;                        // written only by the item running now (ordered: one at a time)
    private volatile long violations;        // idem

    @Setup(Level.Trial)
    public void setUp() {
        for (int i = 0; i < BATCH; i++) {
            int index = i;
            tasks[i] = () -> {
                if (ran++ % BATCH != index) {
                    violations++;
                }
                latch.arrive();
            };
        }
        switch (impl) {
            case "workqueue":
                machine = Machine.boot(MachineConfig.builder().cpus(N).build());
                ordered = machine.workqueues().allocOrdered("bench_ordered", 0);
                for (int i = 0; i < BATCH; i++) {
                    works[i] = new Work(tasks[i]);
                }
                break;
            case "seqForkJoin":
                pool = new ForkJoinPool(N);
                executor = new SequentialExecutor(pool);
                break;
            case "seqThreadPool":
                ThreadPoolExecutor tpe = new ThreadPoolExecutor(N, N, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
                tpe.prestartAllCoreThreads();
                pool = tpe;
                executor = new SequentialExecutor(pool);
                break;
            case "singleThread":
                pool = Executors.newSingleThreadExecutor();
                executor = pool;
                break;
            default:
                throw new IllegalArgumentException(impl);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        if (machine != null) {
            ordered.destroy();
            machine.close();
        }
        if (pool != null) {
            pool.shutdown();
            pool.awaitTermination(5, TimeUnit.SECONDS);
        }
        if (violations != 0) {
            throw new IllegalStateException(impl + ": " + violations + " item(s) ran out of order");
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long batch() {
        long t = latch.expect(BATCH);
        if (ordered != null) {
            for (Work w : works) {
                if (!ordered.queue(w)) {
                    throw new IllegalStateException("queue() returned false for an idle item: " + w);
                }
            }
        } else {
            for (Runnable r : tasks) {
                executor.execute(r);
            }
        }
        latch.await(t);
        if (violations != 0) {
            throw new IllegalStateException(impl + ": " + violations + " item(s) ran out of order");
        }
        return t;
    }

    /**
     * Runs tasks one at a time, in submission order, on a shared pool: the hand-written idiom. A task queue plus a
     * running flag; {@code execute} submits a drain task only when no drain is running or scheduled. The drain
     * runs until the queue is empty, clears the flag, and re-checks the queue (a task added between its last poll
     * and the clear would otherwise be stranded: both sides write, then read, a volatile, so one of them sees the
     * other). Each drain's runs happen-before the next drain's through the flag.
     */
    static final class SequentialExecutor implements Executor {
        private final Executor pool;
        private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean running = new AtomicBoolean();
        private final Runnable drain = this::drain;

        SequentialExecutor(Executor pool) {
            this.pool = pool;
        }

        @Override
        public void execute(Runnable task) {
            queue.add(task);
            if (running.compareAndSet(false, true)) {
                try {
                    pool.execute(drain);
                } catch (RuntimeException e) {
                    running.set(false);
                    throw e;
                }
            }
        }

        private void drain() {
            do {
                Runnable r;
                while ((r = queue.poll()) != null) {
                    try {
                        r.run();
                    } catch (RuntimeException e) {
                        Thread t = Thread.currentThread();
                        t.getUncaughtExceptionHandler().uncaughtException(t, e);
                    }
                }
                running.set(false);
            } while (!queue.isEmpty() && running.compareAndSet(false, true));
        }
    }
}
