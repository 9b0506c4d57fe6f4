/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.cpu.IdlePolicy;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqHandler;
import io.kdefer.irq.IrqReturn;
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
 * Device pulse to thread function: one round trip from an application thread (the "device") to a threaded IRQ's
 * thread function and back, against the JDK idioms a user would write for "run this on my own thread when the
 * device signals". Every consumer parks when it has nothing to do ({@link IdlePolicy#PARK} for the machine), so
 * each operation pays its wake-ups.
 *
 * <ul>
 *   <li>{@code oneshot}: an edge SPI routed to cpu/1, requested with the default primary handler and ONESHOT; the
 *       hardirq on cpu/1 masks the line and wakes {@code irq/40-bench}, whose thread function acknowledges and
 *       whose finalize unmasks the line. Two wake-ups per operation (cpu/1, then the IRQ thread).</li>
 *   <li>{@code threaded}: the same without ONESHOT: a primary handler returns WAKE_THREAD (no mask/unmask).</li>
 *   <li>{@code hardirq}: the same line with a plain hardirq handler (no thread): one wake-up, for reference.</li>
 *   <li>{@code unpark}: publish a sequence number, {@code LockSupport.unpark} a consumer thread that parks when
 *       idle.</li>
 *   <li>{@code executor}: {@code execute} of a pre-built Runnable on {@code Executors.newSingleThreadExecutor()}.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar ThreadedIrqBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class ThreadedIrqBench {
    static final int IRQ = 40;

    @Param({"oneshot", "threaded", "hardirq", "unpark", "executor"})
    public String impl;

    private Machine machine;
    private ExecutorService executor;
    private Thread consumer;
    private volatile boolean running;
    private volatile long request;          // unpark hand-off: published before the unpark
    private volatile long done;             // written by the one consumer (thread function, handler, thread)
    private long expected;                  // benchmark thread only
    private Runnable task;

    @Setup(Level.Trial)
    public void setUp() {
        running = true;
        IrqHandler ack = (irq, dev) -> {
            done++;
            return IrqReturn.HANDLED;
        };
        switch (impl) {
            case "oneshot":
            case "threaded":
            case "hardirq":
                machine = Machine.boot(MachineConfig.builder().cpus(2).idle(IdlePolicy.PARK).build());
                machine.irqs().setAffinity(IRQ, 1);
                if (impl.equals("oneshot")) {
                    machine.irqs().requestThreaded(IRQ, null, ack, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT,
                            "bench", this);
                } else if (impl.equals("threaded")) {
                    machine.irqs().requestThreaded(IRQ, (irq, dev) -> IrqReturn.WAKE_THREAD, ack,
                            IrqFlags.TRIGGER_RISING, "bench", this);
                } else {
                    machine.irqs().request(IRQ, ack, IrqFlags.TRIGGER_RISING, "bench", this);
                }
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
            case "unpark":
                request = t;
                LockSupport.unpark(consumer);
                break;
            case "executor":
                executor.execute(task);
                break;
            default:
                machine.irqs().pulse(IRQ);
        }
        while (done < t) {
            Thread.onSpinWait();
        }
        return t;
    }
}
