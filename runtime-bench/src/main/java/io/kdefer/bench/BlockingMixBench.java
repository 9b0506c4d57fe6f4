/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.sync.Delay;
import io.kdefer.workqueue.Work;
import io.kdefer.workqueue.Workqueue;
import io.kdefer.workqueue.Workqueues;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Concurrency management (B-WQ-30) against fixed-size pools: a batch of {@value #BATCH} items, every second one
 * sleeping {@value #SLEEP_MS} ms, the others trivial; the score is the time to complete the whole batch. A pool of N
 * threads runs at most N sleeps at once, so its batch takes about (BATCH / 2 / N) ms; the workqueue wakes or
 * creates another worker whenever a running one sleeps, so the sleeps overlap and the batch should take little more
 * than one sleep. Goal: the workqueue variants clearly ahead of both pools.
 *
 * <ul>
 *   <li>{@code workqueueMsleep}: {@code system().queue(work)}; the items sleep with {@code Delay.msleep(1)}, which
 *       tells the pool (the contract, J-WQ-3 a).</li>
 *   <li>{@code workqueueManaged}: the items sleep with {@code Workqueues.managedBlock(() -> Thread.sleep(1))}.</li>
 *   <li>{@code workqueueForeign}: the items call {@code Thread.sleep(1)} directly; only the blocked-thread sampler
 *       on the CPU's tick (J-WQ-3 b) can notice, so this measures the safety net. The sampler sees a newly blocked
 *       worker at the next tick (HZ 1000), i.e. about once per sleep here, so expect little overlap: the
 *       contract (msleep, managedBlock) is what makes the sleeps overlap.</li>
 *   <li>{@code forkJoin}: {@code new ForkJoinPool(N).execute}, {@code Thread.sleep(1)} without a
 *       {@code ManagedBlocker} (so no compensation threads).</li>
 *   <li>{@code threadPool}: {@code ThreadPoolExecutor} with N threads, {@code Thread.sleep(1)}.</li>
 *   <li>{@code virtualThreads}: {@code Executors.newVirtualThreadPerTaskExecutor()}, {@code Thread.sleep(1)} (JDK
 *       21+ only, reached reflectively: a sleeping virtual thread unmounts, so every sleep overlaps; the idiom a
 *       2026 user compares with). Not in the default param list: on JDK 21+ name it with {@code -p impl=...}.</li>
 * </ul>
 * The wait for the batch is a {@link BatchLatch} (one park/unpark), the same for all. N =
 * {@code availableProcessors()} (the machine's CPUs, the pools' threads). Workers created by the first batches stay
 * idle in the pool between batches (the idle timeout is 300 s), as a pool's threads do.
 *
 * <p>Run: {@code java -Djmh.ignoreLock=true -jar runtime-bench/target/benchmarks.jar BlockingMixBench -foe true -f 1
 * -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class BlockingMixBench {
    static final int BATCH = 64;
    static final int SLEEP_MS = 1;
    static final int N = Runtime.getRuntime().availableProcessors();

    // virtualThreads is not in the default list (the JDK 17 smoke run would fail its setup): on JDK 21+ add it with
    // -p impl=workqueueMsleep,...,virtualThreads
    @Param({"workqueueMsleep", "workqueueManaged", "workqueueForeign", "forkJoin", "threadPool"})
    public String impl;

    private Machine machine;
    private Workqueue wq;
    private ExecutorService pool;
    private final BatchLatch latch = new BatchLatch();
    private final Work[] works = new Work[BATCH];
    private final Runnable[] tasks = new Runnable[BATCH];
    private volatile Throwable failure;

    @Setup(Level.Trial)
    public void setUp() {
        for (int i = 0; i < BATCH; i++) {
            tasks[i] = (i & 1) == 0 ? sleeper() : latch::arrive;
        }
        switch (impl) {
            case "workqueueMsleep":
            case "workqueueManaged":
            case "workqueueForeign":
                machine = Machine.boot(MachineConfig.builder().cpus(N).build());
                wq = machine.workqueues().system();
                for (int i = 0; i < BATCH; i++) {
                    works[i] = new Work(tasks[i]);
                }
                break;
            case "forkJoin":
                pool = new ForkJoinPool(N);
                break;
            case "threadPool":
                ThreadPoolExecutor tpe = new ThreadPoolExecutor(N, N, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
                tpe.prestartAllCoreThreads();
                pool = tpe;
                break;
            case "virtualThreads":
                pool = virtualThreadPerTaskExecutor();
                break;
            default:
                throw new IllegalArgumentException(impl);
        }
    }

    /**
     * {@code Executors.newVirtualThreadPerTaskExecutor()} (JDK 21+), reached reflectively: the project compiles for
     * release 17. On JDK 17 this param fails its setup; run it with {@code -p impl=...} excluding it, or on JDK 21+.
     */
    static ExecutorService virtualThreadPerTaskExecutor() {
        try {
            return (ExecutorService) java.util.concurrent.Executors.class
                    .getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        } catch (NoSuchMethodException e) {
            throw new UnsupportedOperationException("virtual threads need JDK 21+; this is "
                    + Runtime.version(), e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private Runnable sleeper() {
        return () -> {
            try {
                switch (impl) {
                    case "workqueueMsleep":
                        Delay.msleep(SLEEP_MS);
                        break;
                    case "workqueueManaged":
                        Workqueues.managedBlock(() -> {
                            Thread.sleep(SLEEP_MS);
                            return null;
                        });
                        break;
                    default:
                        Thread.sleep(SLEEP_MS);
                }
            } catch (Exception e) {
                failure = e;
            } finally {
                latch.arrive();
            }
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        if (machine != null) {
            machine.close();
        }
        if (pool != null) {
            pool.shutdown();
            pool.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    public long batch() {
        long t = latch.expect(BATCH);
        if (wq != null) {
            for (Work w : works) {
                if (!wq.queue(w)) {
                    throw new IllegalStateException("queue() returned false for an idle item: " + w);
                }
            }
        } else {
            for (Runnable r : tasks) {
                pool.execute(r);
            }
        }
        latch.await(t);
        Throwable f = failure;
        if (f != null) {
            throw new IllegalStateException("an item failed", f);
        }
        return t;
    }
}
