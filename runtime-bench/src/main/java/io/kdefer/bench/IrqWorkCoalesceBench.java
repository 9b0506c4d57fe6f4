/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.irqwork.IrqWork;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Threads;

/**
 * Many producers, one work item: every producer signals "there is new data" for the same consumer callback, as
 * a logging or statistics flush would. The score is signals per microsecond over all producer threads; the
 * secondary result {@code callbacks} is callback runs per microsecond. Coalescing means many signals per
 * callback; the guarantee (MO-IW-2) means no signal is lost.
 *
 * <ul>
 *   <li>{@code irqWork}: {@code IrqWork.queue()}.</li>
 *   <li>{@code guardedExecute}: an {@code AtomicBoolean} guard cleared by the task, then {@code execute} on a
 *       single-thread executor — the usual hand-written coalescing (whose failing CAS publishes nothing: the
 *       producer's data may be missed unless the task re-checks).</li>
 * </ul>
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar IrqWorkCoalesceBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Threads(2)
public class IrqWorkCoalesceBench {

    @Param({"irqWork", "guardedExecute"})
    public String impl;

    private Machine machine;
    private IrqWork work;
    private ExecutorService executor;
    private final AtomicBoolean guard = new AtomicBoolean();
    private Runnable task;
    volatile long callbackRuns;

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Callbacks {
        private long start;
        public long callbacks;

        @Setup(Level.Iteration)
        public void begin(IrqWorkCoalesceBench b) {
            start = b.callbackRuns;
            callbacks = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        if (impl.equals("irqWork")) {
            machine = Machine.boot(MachineConfig.builder().cpus(2).build());
            work = new IrqWork(machine, () -> callbackRuns++);
        } else {
            executor = Executors.newSingleThreadExecutor();
            task = () -> {
                guard.set(false);
                callbackRuns++;
            };
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
    public boolean signal(Callbacks c) {
        boolean r;
        if (work != null) {
            r = work.queue();
        } else {
            r = guard.compareAndSet(false, true);
            if (r) {
                executor.execute(task);
            }
        }
        // Each producer thread reports half of the callbacks seen since its iteration began (two producers).
        c.callbacks = (callbackRuns - c.start) / 2;
        return r;
    }
}
