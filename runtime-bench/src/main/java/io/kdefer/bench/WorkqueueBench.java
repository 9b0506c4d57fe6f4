/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.sync.Completion;
import io.kdefer.workqueue.Work;
import io.kdefer.workqueue.Workqueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
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
 * Throughput of tiny work items on the system workqueue ({@code events}, per CPU, concurrency-managed) against the
 * JDK pools a user would otherwise hand them to. N = {@code availableProcessors()} everywhere: the machine has N
 * CPUs, the pools N threads.
 *
 * <ul>
 *   <li>{@code batch}: submit {@value #BATCH} pre-built items back to back, then wait until all ran; the score is
 *       per item. Each item is one atomic increment ({@link BatchLatch}); the last one unparks the submitter, so
 *       the wait is one park/unpark per batch for every implementation.
 *       <ul>
 *         <li>{@code workqueue}: {@code system().queue(work)} of {@value #BATCH} distinct pre-built {@link Work}s
 *             (the submitter's CPU pool; concurrency management keeps one worker running them).</li>
 *         <li>{@code unbound}: the same on {@code systemUnbound()} (no concurrency management: every pending
 *             item may wake a worker, B-WQ-32).</li>
 *         <li>{@code wqExecutor}: {@code system().asExecutor().execute(runnable)}: the drop-in view, each task on a
 *             recycled {@code Work} (allocation-free once as many are pooled as tasks are in flight).</li>
 *         <li>{@code threadPool}: {@code ThreadPoolExecutor} with N threads and an unbounded
 *             {@code LinkedBlockingQueue} ({@code Executors.newFixedThreadPool(N)}).</li>
 *         <li>{@code forkJoin}: {@code new ForkJoinPool(N).execute(runnable)} (external submissions).</li>
 *         <li>{@code completableFuture}: {@code CompletableFuture.runAsync(runnable, thatForkJoinPool)}. Not the
 *             common pool: with 2 CPUs its parallelism is 1, and then {@code runAsync} starts a new thread per
 *             task.</li>
 *       </ul></li>
 *   <li>{@code queuePending}: single thread, the coalesced path. {@code workqueue}: {@code queue(work)} on an item
 *       that stays pending (it waits on an ordered queue behind an item that blocks until teardown): returns
 *       {@code false}, one {@code getAndBitwiseOr}, 0 B/op. {@code threadPool}: {@code execute} of a pre-built
 *       no-op Runnable on the N-thread pool (what a user pays per event without coalescing: a queue node and a
 *       signal). {@code guardedExecute}: the hand-written coalescing idiom with its {@code AtomicBoolean} guard
 *       already set (a failing {@code compareAndSet}; unlike our claim it publishes nothing to the pending
 *       run).</li>
 * </ul>
 *
 * <p>Run: {@code java -Djmh.ignoreLock=true -jar runtime-bench/target/benchmarks.jar WorkqueueBench -foe true -f 1
 * -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class WorkqueueBench {
    static final int BATCH = 1000;
    static final int N = Runtime.getRuntime().availableProcessors();

    @State(Scope.Benchmark)
    public static class Batch {
        @Param({"workqueue", "unbound", "wqExecutor", "threadPool", "forkJoin", "completableFuture"})
        public String impl;

        /** OS pinning of the machine's CPU threads ({@code MachineConfig.pinCpus}; Linux); the JDK pools ignore it. */
        @Param({"false"})
        public boolean pin;

        Machine machine;
        Workqueue wq;
        Executor executor;
        ThreadPoolExecutor tpe;
        ForkJoinPool fjp;
        final BatchLatch latch = new BatchLatch();
        final Work[] works = new Work[BATCH];
        Runnable task;

        @Setup(Level.Trial)
        public void setUp() {
            task = latch::arrive;
            switch (impl) {
                case "workqueue":
                case "unbound":
                case "wqExecutor":
                    machine = Machine.boot(MachineConfig.builder().cpus(N).pinCpus(pin).build());
                    wq = impl.equals("unbound") ? machine.workqueues().systemUnbound() : machine.workqueues().system();
                    executor = wq.asExecutor();
                    for (int i = 0; i < BATCH; i++) {
                        works[i] = new Work(task);
                    }
                    break;
                case "threadPool":
                    tpe = new ThreadPoolExecutor(N, N, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
                    tpe.prestartAllCoreThreads();
                    break;
                case "forkJoin":
                case "completableFuture":
                    fjp = new ForkJoinPool(N);
                    break;
                default:
                    throw new IllegalArgumentException(impl);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            if (machine != null) {
                machine.close();
            }
            if (tpe != null) {
                tpe.shutdown();
                tpe.awaitTermination(5, TimeUnit.SECONDS);
            }
            if (fjp != null) {
                fjp.shutdown();
                fjp.awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @State(Scope.Benchmark)
    public static class Pending {
        @Param({"workqueue", "threadPool", "guardedExecute"})
        public String impl;

        Machine machine;
        Workqueue ordered;
        Completion release;
        Work pending;
        ThreadPoolExecutor tpe;
        final AtomicBoolean guard = new AtomicBoolean(true);
        final Runnable task = () -> { };

        @Setup(Level.Trial)
        public void setUp() {
            switch (impl) {
                case "workqueue":
                    machine = Machine.boot(MachineConfig.builder().cpus(N).build());
                    ordered = machine.workqueues().allocOrdered("bench_pending", 0);
                    release = new Completion();
                    ordered.queue(new Work(() -> {
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }));
                    pending = new Work(task);
                    if (!ordered.queue(pending)) {
                        throw new IllegalStateException("setup: the pending item was not queued");
                    }
                    break;
                case "threadPool":
                    tpe = new ThreadPoolExecutor(N, N, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
                    tpe.prestartAllCoreThreads();
                    break;
                case "guardedExecute":
                    break;
                default:
                    throw new IllegalArgumentException(impl);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            if (machine != null) {
                if (!pending.isPending()) {
                    throw new IllegalStateException("the pending item ran during the measurement");
                }
                release.complete();
                ordered.destroy();
                machine.close();
            }
            if (tpe != null) {
                tpe.shutdown();
                tpe.awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long batch(Batch s) {
        long t = s.latch.expect(BATCH);
        switch (s.impl) {
            case "workqueue":
            case "unbound":
                for (Work w : s.works) {
                    if (!s.wq.queue(w)) {
                        throw new IllegalStateException("queue() returned false for an idle item: " + w);
                    }
                }
                break;
            case "wqExecutor":
                for (int i = 0; i < BATCH; i++) {
                    s.executor.execute(s.task);
                }
                break;
            case "threadPool":
                for (int i = 0; i < BATCH; i++) {
                    s.tpe.execute(s.task);
                }
                break;
            case "forkJoin":
                for (int i = 0; i < BATCH; i++) {
                    s.fjp.execute(s.task);
                }
                break;
            default:
                for (int i = 0; i < BATCH; i++) {
                    CompletableFuture.runAsync(s.task, s.fjp);
                }
        }
        return s.latch.await(t);
    }

    @Benchmark
    public boolean queuePending(Pending s) {
        switch (s.impl) {
            case "workqueue":
                return s.ordered.queue(s.pending);
            case "threadPool":
                s.tpe.execute(s.task);
                return true;
            default:
                return s.guard.compareAndSet(false, true);
        }
    }
}
