/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Mode;
import io.kdefer.internal.Handles;
import io.kdefer.irqwork.IrqWork;
import io.kdefer.smp.QueueSingleData;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of queueing when the work is already pending — the coalesced path, which the design promises is "one
 * volatile read-modify-write and a return" — against what a user would otherwise write.
 *
 * <ul>
 *   <li>{@code irqWorkQueuePending}: {@code IrqWork.queue()} on an item that stays pending (a MANUAL machine never
 *       runs it): returns {@code false}.</li>
 *   <li>{@code irqWorkQueueOnPending}: the same through {@code queueOn(cpu)} for a remote CPU.</li>
 *   <li>{@code queueFunctionSinglePending}: {@code Smp.queueFunctionSingle} on a pending {@link QueueSingleData}.</li>
 *   <li>{@code bareGetAndBitwiseOr}: the floor: one {@code VarHandle.getAndBitwiseOr} on a volatile int.</li>
 *   <li>{@code guardedExecutePending}: the hand-written coalescing idiom, an {@code AtomicBoolean} guard that is
 *       already set (its failing {@code compareAndSet} is cheap but, unlike our claim, publishes nothing).</li>
 *   <li>{@code threadPoolExecute}: {@code ThreadPoolExecutor.execute} of a pre-built Runnable (1 worker,
 *       unbounded queue): what a user pays per event without coalescing.</li>
 * </ul>
 * All of ours allocate nothing ({@code -prof gc}); the executor allocates a queue node per call.
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar IrqWorkBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class IrqWorkBench {

    @State(Scope.Benchmark)
    public static class Pending {
        Machine machine;
        IrqWork local;
        IrqWork remote;
        QueueSingleData qsd;

        @Setup(Level.Trial)
        public void setUp() {
            machine = Machine.boot(MachineConfig.builder().cpus(2).mode(Mode.MANUAL).build());
            machine.bindCurrentThread(0);
            local = new IrqWork(machine, () -> { });
            remote = new IrqWork(machine, () -> { });
            qsd = new QueueSingleData(() -> { });
            local.queue();
            remote.queueOn(1);
            machine.smp().queueFunctionSingle(1, qsd);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            machine.unbindCurrentThread();
            machine.close();
        }
    }

    @State(Scope.Benchmark)
    public static class Flags {
        volatile int flags;
        final AtomicBoolean guard = new AtomicBoolean(true);
        static final VarHandle FLAGS = Handles.field(MethodHandles.lookup(), Flags.class, "flags", int.class);
    }

    @State(Scope.Benchmark)
    public static class Pool {
        ThreadPoolExecutor executor;
        final Runnable task = () -> { };

        @Setup(Level.Trial)
        public void setUp() {
            executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            executor.shutdownNow();
            executor.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    public boolean irqWorkQueuePending(Pending s) {
        return s.local.queue();
    }

    @Benchmark
    public boolean irqWorkQueueOnPending(Pending s) {
        return s.remote.queueOn(1);
    }

    @Benchmark
    public boolean queueFunctionSinglePending(Pending s) {
        return s.machine.smp().queueFunctionSingle(1, s.qsd);
    }

    @Benchmark
    public int bareGetAndBitwiseOr(Flags s) {
        return (int) Flags.FLAGS.getAndBitwiseOr(s, 3);
    }

    @Benchmark
    public boolean guardedExecutePending(Flags s) {
        return s.guard.compareAndSet(false, true);
    }

    @Benchmark
    public void threadPoolExecute(Pool s) {
        s.executor.execute(s.task);
    }
}
