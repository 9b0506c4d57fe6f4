/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.tasklet.Tasklet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 * {@code Tasklet.schedule()} to callback, against a single-thread {@code ExecutorService} (the JDK idiom a driver
 * would otherwise use to get work off its interrupt path). Default idle policy for both sides: the CPU threads
 * spin briefly, yield, then park; the executor's worker parks on its queue.
 *
 * <ul>
 *   <li>{@code latency}: schedule one tasklet (or {@code execute} one pre-built Runnable) and spin until its
 *       callback ran: one wake-up of an idle consumer per operation.</li>
 *   <li>{@code burst}: schedule 64 distinct tasklets (or execute 64 Runnables) back to back, then wait until all
 *       64 callbacks ran; the score is per callback, i.e. schedule-to-callback throughput under bursts.</li>
 * </ul>
 * The benchmark thread is bound to cpu/1, so tasklets go through that CPU's lock-free hand-over list, as from
 * any application thread. {@code -prof gc}: the tasklet variants allocate nothing per operation; the executor
 * allocates a queue node per execute. Tasklet against a JCTools MPSC queue drained by an Agrona {@code AgentRunner},
 * idle policies paired: {@link AgentLatencyBench}.
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar TaskletBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class TaskletBench {
    static final int BURST = 64;

    @Param({"tasklet", "executor"})
    public String impl;

    private Machine machine;
    private ExecutorService executor;
    private Tasklet one;
    private final Tasklet[] burst = new Tasklet[BURST];
    private Runnable task;
    private volatile long done;             // written by one consumer at a time (the tasklet's CPU, the worker)
    private long expected;                  // benchmark thread only

    @Setup(Level.Trial)
    public void setUp() {
        task = () -> done++;
        if (impl.equals("tasklet")) {
            machine = Machine.boot(MachineConfig.builder().cpus(2).build());
            machine.bindCurrentThread(1);
            one = new Tasklet(machine, task);
            for (int i = 0; i < BURST; i++) {
                burst[i] = new Tasklet(machine, task);
            }
        } else if (impl.equals("executor")) {
            executor = Executors.newSingleThreadExecutor();
        } else {
            throw new IllegalArgumentException(impl);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        if (machine != null) {
            machine.unbindCurrentThread();
            machine.close();
        }
        if (executor != null) {
            executor.shutdown();
            executor.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    public long latency() {
        long t = ++expected;
        if (one != null) {
            one.schedule();
        } else {
            executor.execute(task);
        }
        return await(t);
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long burst() {
        expected += BURST;
        if (one != null) {
            for (Tasklet b : burst) {
                b.schedule();
            }
        } else {
            for (int i = 0; i < BURST; i++) {
                executor.execute(task);
            }
        }
        return await(expected);
    }

    private long await(long t) {
        while (done < t) {
            Thread.onSpinWait();
        }
        return t;
    }
}
