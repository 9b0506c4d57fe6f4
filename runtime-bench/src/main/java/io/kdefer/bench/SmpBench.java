/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.smp.QueueSingleData;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 * Cross-CPU call round trips against the JDK idiom: run a function on another thread and wait for its result.
 *
 * <ul>
 *   <li>{@code callWait}: {@code smp} = {@code Smp.callFunctionSingle(1, fn, true)} (the function runs in hardirq
 *       context on cpu/1); {@code future} = {@code CompletableFuture.supplyAsync(fn, singleThreadExecutor).join()}.</li>
 *   <li>{@code queueSingle}: {@code smp} = {@code Smp.queueFunctionSingle(1, qsd)} then wait for the run (the
 *       coalescing IPI, allocation-free); {@code future} = {@code execute} of a pre-built Runnable on the
 *       single-thread executor, then wait.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar SmpBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class SmpBench {

    @Param({"smp", "future"})
    public String impl;

    private Machine machine;
    private ExecutorService executor;
    private QueueSingleData qsd;
    private volatile long done;
    private long expected;
    private int value;
    private Runnable fn;
    private Runnable task;

    @Setup(Level.Trial)
    public void setUp() {
        fn = () -> value++;
        if (impl.equals("smp")) {
            machine = Machine.boot(MachineConfig.builder().cpus(2).build());
            qsd = new QueueSingleData(() -> done++);
        } else {
            executor = Executors.newSingleThreadExecutor();
            task = () -> done++;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        if (machine != null) {
            machine.close();
        } else {
            executor.shutdown();
            executor.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    public int callWait() {
        if (machine != null) {
            machine.smp().callFunctionSingle(1, fn, true);
            return value;
        }
        return CompletableFuture.supplyAsync(() -> ++value, executor).join();
    }

    @Benchmark
    public long queueSingle() {
        long t = ++expected;
        if (machine != null) {
            machine.smp().queueFunctionSingle(1, qsd);
        } else {
            executor.execute(task);
        }
        while (done < t) {
            Thread.onSpinWait();
        }
        return t;
    }
}
