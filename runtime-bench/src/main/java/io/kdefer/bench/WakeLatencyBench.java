/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.cpu.IdlePolicy;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.softirq.Softirq;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
 * Waking an idle CPU: one round trip from an application thread to work running on a parked virtual CPU and
 * back, against the JDK idioms it stands for. Every consumer parks as soon as it has nothing to do
 * ({@link IdlePolicy#PARK} for the machine), so each operation pays one wake-up.
 *
 * <ul>
 *   <li>{@code pulse}: a device pulses an edge SPI routed to cpu/1; its hardirq handler acknowledges.</li>
 *   <li>{@code raise}: {@code Softirqs.raiseOn(1, NET_RX)}; the NET_RX action acknowledges.</li>
 *   <li>{@code unpark}: the hand-off a user would write: publish a sequence number, {@code LockSupport.unpark}
 *       a consumer thread that parks when idle.</li>
 *   <li>{@code executor}: {@code execute} of a pre-built Runnable on {@code Executors.newSingleThreadExecutor()}.</li>
 * </ul>
 * The raise path allocates nothing ({@code -prof gc}: gc.alloc.rate.norm is the benchmark thread's bytes per
 * operation).
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar WakeLatencyBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class WakeLatencyBench {
    static final int IRQ = 40;

    @Param({"pulse", "raise", "unpark", "executor"})
    public String impl;

    private Machine machine;
    private ExecutorService executor;
    private Thread consumer;
    private volatile boolean running;
    private volatile long request;          // unpark hand-off: published before the unpark
    private volatile long done;             // written by the one consumer (handler, action, thread)
    private long expected;                  // benchmark thread only
    private Runnable task;

    @Setup(Level.Trial)
    public void setUp() {
        running = true;
        switch (impl) {
            case "pulse":
                machine = Machine.boot(MachineConfig.builder().cpus(2).idle(IdlePolicy.PARK).build());
                machine.irqs().request(IRQ, (irq, dev) -> {
                    done++;
                    return IrqReturn.HANDLED;
                }, IrqFlags.TRIGGER_RISING, "bench", this);
                machine.irqs().setAffinity(IRQ, 1);
                break;
            case "raise":
                machine = Machine.boot(MachineConfig.builder().cpus(2).idle(IdlePolicy.PARK).build());
                machine.softirqs().open(Softirq.NET_RX, () -> done++);
                break;
            case "unpark":
                consumer = new Thread(() -> {
                    long seen = 0;
                    while (running) {
                        long r = request;
                        if (r != seen) {
                            seen = r;
                            done = r;
                        } else {
                            LockSupport.park(this);
                        }
                    }
                }, "unpark-consumer");
                consumer.setDaemon(true);
                consumer.start();
                break;
            case "executor":
                executor = Executors.newSingleThreadExecutor();
                task = () -> done++;
                break;
            default:
                throw new IllegalArgumentException(impl);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        running = false;
        if (machine != null) {
            machine.close();
        }
        if (consumer != null) {
            LockSupport.unpark(consumer);
            consumer.join(5000);
        }
        if (executor != null) {
            executor.shutdown();
            executor.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    public long roundTrip() {
        long t = ++expected;
        switch (impl) {
            case "pulse":
                machine.irqs().pulse(IRQ);
                break;
            case "raise":
                machine.softirqs().raiseOn(1, Softirq.NET_RX);
                break;
            case "unpark":
                request = t;
                LockSupport.unpark(consumer);
                break;
            default:
                executor.execute(task);
        }
        while (done < t) {
            Thread.onSpinWait();
        }
        return t;
    }
}
