/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Mode;
import io.kdefer.time.TimerList;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Timer churn with many timers pending: arm a timer and cancel it again (the network-retransmit pattern: most
 * timers are deleted before they fire), while {@code pending} other timers sit in the same structure.
 *
 * <ul>
 *   <li>{@code timerList}: {@code TimerList.mod(d)} then {@code delete()} on one CPU's timer wheel (O(1) each). A
 *       MANUAL machine, so virtual time stands still and nothing fires during the measurement.</li>
 *   <li>{@code stpe}: {@code ScheduledThreadPoolExecutor.schedule(task, d)} then {@code cancel(false)}: the
 *       cancelled task stays in the heap until its delay has passed, so the queue grows during the run.</li>
 *   <li>{@code stpeRemoveOnCancel}: the same with {@code setRemoveOnCancelPolicy(true)}: cancel removes the task
 *       from the heap (O(log n)).</li>
 * </ul>
 * Delays are drawn from a fixed table between 1 minute and 1 hour (nothing fires during a run); the pending
 * timers are armed once per trial. {@code -prof gc}: the TimerList churn allocates nothing; the executor
 * allocates a ScheduledFutureTask per schedule.
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar TimerBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class TimerBench {
    private static final int DELAYS = 1024;

    @Param({"1000", "10000", "100000", "1000000"})
    public int pending;

    @Param({"timerList", "stpe", "stpeRemoveOnCancel"})
    public String impl;

    private Machine machine;
    private TimerList[] timers;
    private TimerList churn;
    private ScheduledThreadPoolExecutor stpe;
    private final Runnable task = () -> { };
    private final Duration[] delays = new Duration[DELAYS];
    private final long[] delayNanos = new long[DELAYS];
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = 0; i < DELAYS; i++) {
            delayNanos[i] = TimeUnit.MINUTES.toNanos(1) + rnd.nextLong(TimeUnit.MINUTES.toNanos(59));
            delays[i] = Duration.ofNanos(delayNanos[i]);
        }
        if (impl.equals("timerList")) {
            machine = Machine.boot(MachineConfig.builder().cpus(1).mode(Mode.MANUAL).build());
            timers = new TimerList[pending];
            for (int i = 0; i < pending; i++) {
                timers[i] = new TimerList(machine, task);
                timers[i].mod(delays[i & (DELAYS - 1)]);
            }
            churn = new TimerList(machine, task);
        } else {
            stpe = new ScheduledThreadPoolExecutor(1);
            stpe.setRemoveOnCancelPolicy(impl.equals("stpeRemoveOnCancel"));
            for (int i = 0; i < pending; i++) {
                stpe.schedule(task, delayNanos[i & (DELAYS - 1)], TimeUnit.NANOSECONDS);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        if (machine != null) {
            for (TimerList t : timers) {
                t.delete();
            }
            machine.close();
            timers = null;
        }
        if (stpe != null) {
            stpe.shutdownNow();
            stpe.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    public boolean armAndCancel() {
        int i = next++ & (DELAYS - 1);
        if (churn != null) {
            churn.mod(delays[i]);
            return churn.delete();
        }
        ScheduledFuture<?> f = stpe.schedule(task, delayNanos[i], TimeUnit.NANOSECONDS);
        return f.cancel(false);
    }
}
