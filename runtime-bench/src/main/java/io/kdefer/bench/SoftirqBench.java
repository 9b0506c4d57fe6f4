/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Mode;
import io.kdefer.cpu.Cpu;
import io.kdefer.softirq.Softirq;
import io.kdefer.softirq.Softirqs;
import io.kdefer.tasklet.Tasklet;
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
 * The raise and schedule paths themselves, on a MANUAL machine (no CPU threads: nothing runs unless the benchmark
 * steps the CPU), so the numbers are the caller's cost alone.
 *
 * <ul>
 *   <li>{@code raisePending}: {@code Softirqs.raise(NET_RX)} while NET_RX is already pending: the coalesced path,
 *       one volatile getAndBitwiseOr and a return.</li>
 *   <li>{@code schedulePending}: {@code Tasklet.schedule()} of a tasklet that is already scheduled: returns false
 *       after one getAndBitwiseOr (the unconditional claim of MO-TL-2).</li>
 *   <li>{@code scheduleAndRun}: schedule an idle tasklet from an application thread and step the CPU until the
 *       callback ran: hand-over push, raise, drain, action, callback.</li>
 *   <li>{@code guardedExecutePending}: the hand-written coalescing idiom, an {@code AtomicBoolean} guard that is
 *       already set (a failing compareAndSet: cheap, but it publishes nothing).</li>
 *   <li>{@code threadPoolExecute}: {@code ThreadPoolExecutor.execute} of a pre-built Runnable: what a user pays per
 *       event without coalescing (allocates a queue node).</li>
 * </ul>
 * {@code -prof gc}: raise, schedule and the whole schedule-and-run cycle allocate 0 B/op.
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar SoftirqBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SoftirqBench {

    @State(Scope.Thread)
    public static class Manual {
        Machine machine;
        Softirqs softirqs;
        Cpu cpu;
        Tasklet pending;
        Tasklet idle;
        long runs;

        @Setup(Level.Trial)
        public void setUp() {
            machine = Machine.boot(MachineConfig.builder().cpus(2).mode(Mode.MANUAL).build());
            machine.bindCurrentThread(0);
            softirqs = machine.softirqs();
            softirqs.open(Softirq.NET_RX, () -> { });
            cpu = machine.cpu(0);
            softirqs.raise(Softirq.NET_RX);
            pending = new Tasklet(machine, () -> { });
            pending.schedule();                   // stays scheduled: nothing steps the CPU in schedulePending
            idle = new Tasklet(machine, () -> runs++);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            machine.unbindCurrentThread();
            machine.close();
        }
    }

    @State(Scope.Thread)
    public static class Pool {
        ThreadPoolExecutor executor;
        final AtomicBoolean guard = new AtomicBoolean(true);
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
    public int raisePending(Manual s) {
        s.softirqs.raise(Softirq.NET_RX);
        return s.softirqs.pending(0);
    }

    @Benchmark
    public boolean schedulePending(Manual s) {
        return s.pending.schedule();
    }

    @Benchmark
    public long scheduleAndRun(Manual s) {
        s.idle.schedule();
        s.cpu.runPending();
        return s.runs;
    }

    @Benchmark
    public boolean guardedExecutePending(Pool s) {
        return s.guard.compareAndSet(false, true);
    }

    @Benchmark
    public void threadPoolExecute(Pool s) {
        s.executor.execute(s.task);
    }
}
