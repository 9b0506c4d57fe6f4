/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.workqueue.DelayedWork;
import io.kdefer.workqueue.Workqueue;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
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
 * Delayed work churn with many delayed items pending: queue a delayed item and cancel it again before it fires
 * (the timeout / retry pattern), while {@code pending} other delayed items wait, against
 * {@code ScheduledThreadPoolExecutor}.
 *
 * <ul>
 *   <li>{@code workqueue}: {@code system().queueDelayed(dw, d)} then {@code dw.cancel()} on one pre-built
 *       {@link DelayedWork}: claim, arm the timer on the CPU's timer wheel (O(1)), then grab PENDING back and
 *       delete the timer. A THREADED machine: its CPUs tick, nothing is due during a run.</li>
 *   <li>{@code stpe}: {@code schedule(task, d)} then {@code cancel(false)} on a one-thread executor: the
 *       cancelled task stays in the heap until its delay has passed, so the queue grows during the run.</li>
 *   <li>{@code stpeRemoveOnCancel}: the same with {@code setRemoveOnCancelPolicy(true)}: cancel removes the task
 *       from the heap (O(log n)).</li>
 * </ul>
 * Delays come from a fixed table between 1 minute and 1 hour (nothing fires during a run); the pending items are
 * queued once per trial and cancelled at teardown. {@code -prof gc}: the delayed-work churn allocates nothing; the
 * executor allocates a ScheduledFutureTask per schedule.
 *
 * <p>Run: {@code java -Djmh.ignoreLock=true -jar runtime-bench/target/benchmarks.jar DelayedWorkBench -foe true -f 1
 * -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class DelayedWorkBench {
    private static final int DELAYS = 1024;

    @Param({"10000"})
    public int pending;

    @Param({"workqueue", "stpe", "stpeRemoveOnCancel"})
    public String impl;

    private Machine machine;
    private Workqueue wq;
    private DelayedWork[] others;
    private DelayedWork churn;
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
        if (impl.equals("workqueue")) {
            machine = Machine.boot(MachineConfig.builder().build());
            wq = machine.workqueues().system();
            others = new DelayedWork[pending];
            for (int i = 0; i < pending; i++) {
                others[i] = new DelayedWork(task);
                wq.queueDelayed(others[i], delays[i & (DELAYS - 1)]);
            }
            churn = new DelayedWork(task);
        } else if (impl.startsWith("stpe")) {
            stpe = new ScheduledThreadPoolExecutor(1);
            stpe.setRemoveOnCancelPolicy(impl.equals("stpeRemoveOnCancel"));
            for (int i = 0; i < pending; i++) {
                stpe.schedule(task, delayNanos[i & (DELAYS - 1)], TimeUnit.NANOSECONDS);
            }
        } else {
            throw new IllegalArgumentException(impl);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        if (machine != null) {
            int lost = 0;
            for (DelayedWork dw : others) {
                if (!dw.cancel()) {
                    lost++;
                }
            }
            machine.close();
            others = null;
            if (lost != 0) {
                throw new IllegalStateException(lost + " pending delayed item(s) were no longer pending at teardown");
            }
        }
        if (stpe != null) {
            stpe.shutdownNow();
            stpe.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    public boolean queueAndCancel() {
        int i = next++ & (DELAYS - 1);
        if (churn != null) {
            if (!wq.queueDelayed(churn, delays[i])) {
                throw new IllegalStateException("queueDelayed() returned false for an idle item: " + churn);
            }
            return churn.cancel();
        }
        ScheduledFuture<?> f = stpe.schedule(task, delayNanos[i], TimeUnit.NANOSECONDS);
        return f.cancel(false);
    }
}
