/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.workqueue.Work;
import io.kdefer.workqueue.Workqueue;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
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
 * How the tiny-item cost of {@link WorkqueueBench} grows with producers and virtual CPUs: each of the JMH threads
 * ({@code -t 1}, {@code -t 2}, {@code -t 4}: the producers) submits its own batches of {@value #BATCH} pre-built
 * items and waits for them; the machine has {@code cpus} virtual CPUs, the pool as many threads.
 *
 * <ul>
 *   <li>{@code workqueue}: {@code system().queue(work)}; each producer thread has its own home CPU (a stable spread
 *       over the CPUs), so with P producers and C CPUs, min(P, C) per-CPU pools work at once, one worker each
 *       (concurrency management, B-WQ-30).</li>
 *   <li>{@code forkJoin}: {@code new ForkJoinPool(cpus).execute(runnable)}.</li>
 * </ul>
 * On the 2-core development box, {@code cpus = 4} (and 4 producers) oversubscribes the host: the numbers then show
 * what oversubscription costs each design, not its scaling.
 *
 * <p>Run: {@code java -Djmh.ignoreLock=true -jar runtime-bench/target/benchmarks.jar WorkqueueScalingBench -f 1 -wi 2
 * -i 3 -w 1s -r 1s -t 1} (and {@code -t 2}, {@code -t 4}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class WorkqueueScalingBench {
    static final int BATCH = 1000;

    @State(Scope.Benchmark)
    public static class Pool {
        @Param({"1", "2", "4"})
        public int cpus;

        @Param({"workqueue", "forkJoin"})
        public String impl;

        Machine machine;
        Workqueue wq;
        ForkJoinPool fjp;

        @Setup(Level.Trial)
        public void setUp() {
            if (impl.equals("workqueue")) {
                machine = Machine.boot(MachineConfig.builder().cpus(cpus).build());
                wq = machine.workqueues().system();
            } else {
                fjp = new ForkJoinPool(cpus);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            if (machine != null) {
                machine.close();
            }
            if (fjp != null) {
                fjp.shutdown();
                fjp.awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /** One producer's items and latch. */
    @State(Scope.Thread)
    public static class Producer {
        final BatchLatch latch = new BatchLatch();
        final Work[] works = new Work[BATCH];
        Runnable task;

        @Setup(Level.Trial)
        public void setUp() {
            task = latch::arrive;
            for (int i = 0; i < BATCH; i++) {
                works[i] = new Work(task);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long batch(Pool pool, Producer p) {
        long t = p.latch.expect(BATCH);
        if (pool.wq != null) {
            for (Work w : p.works) {
                if (!pool.wq.queue(w)) {
                    throw new IllegalStateException("queue() returned false for an idle item: " + w);
                }
            }
        } else {
            for (int i = 0; i < BATCH; i++) {
                pool.fjp.execute(p.task);
            }
        }
        return p.latch.await(t);
    }
}
