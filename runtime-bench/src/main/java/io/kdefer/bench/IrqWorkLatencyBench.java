/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.irqwork.IrqWork;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * Queue-to-callback latency: an application thread queues work and waits until it ran, against the JDK idioms
 * (default idle policy: CPUs spin briefly, yield, then park, as the consumers of the JDK executors do).
 *
 * <ul>
 *   <li>{@code oneWay}: {@code irqWork} = {@code IrqWork.queue()} from the benchmark thread (its home CPU runs
 *       the callback in hardirq context); {@code executor} = {@code execute} on a single-thread executor;
 *       {@code completableFuture} = {@code CompletableFuture.runAsync(task, executor)}; {@code guardedExecute} =
 *       the hand-written coalescing idiom (an {@code AtomicBoolean} guard, cleared by the task, then execute).</li>
 *   <li>{@code pingPong}: two hops between two consumers: {@code irqWork} = {@code queueOn(0)} whose callback does
 *       {@code queueOn(1)} of a second item; the JDK version chains two single-thread executors.</li>
 * </ul>
 * {@code -prof gc}: the irq_work variants allocate nothing on the benchmark thread. The idiom a latency-minded JVM user
 * picks beside these (a JCTools MPSC queue drained by an Agrona {@code AgentRunner}), with each consumer's idle
 * policy paired like with like, is {@link AgentLatencyBench}.
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar IrqWorkLatencyBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class IrqWorkLatencyBench {

    @Param({"irqWork", "executor", "completableFuture", "guardedExecute"})
    public String impl;

    private Machine machine;
    private IrqWork one;
    private IrqWork pingA;
    private IrqWork pingB;
    private ExecutorService ex0;
    private ExecutorService ex1;
    private final AtomicBoolean guard = new AtomicBoolean();
    private volatile long done;
    private long expected;
    private Runnable task;
    private Runnable guarded;
    private Runnable hopA;
    private Runnable hopB;

    @Setup(Level.Trial)
    public void setUp() {
        if (impl.equals("irqWork")) {
            machine = Machine.boot(MachineConfig.builder().cpus(2).build());
            one = new IrqWork(machine, () -> done++);
            pingB = new IrqWork(machine, () -> done++);
            pingA = new IrqWork(machine, () -> pingB.queueOn(1));
        } else {
            ex0 = Executors.newSingleThreadExecutor();
            ex1 = Executors.newSingleThreadExecutor();
            task = () -> done++;
            guarded = () -> {
                guard.set(false);
                done++;
            };
            hopB = () -> done++;
            hopA = () -> ex1.execute(hopB);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        if (machine != null) {
            machine.close();
        } else {
            ex0.shutdown();
            ex1.shutdown();
            ex0.awaitTermination(5, TimeUnit.SECONDS);
            ex1.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    public long oneWay() {
        long t = ++expected;
        switch (impl) {
            case "irqWork":
                one.queue();
                break;
            case "executor":
                ex0.execute(task);
                break;
            case "completableFuture":
                CompletableFuture.runAsync(task, ex0);
                break;
            default:
                if (guard.compareAndSet(false, true)) {
                    ex0.execute(guarded);
                }
        }
        return await(t);
    }

    @Benchmark
    public long pingPong() {
        long t = ++expected;
        if (impl.equals("irqWork")) {
            pingA.queueOn(0);
        } else {
            ex0.execute(hopA);
        }
        return await(t);
    }

    private long await(long t) {
        while (done < t) {
            Thread.onSpinWait();
        }
        return t;
    }
}
