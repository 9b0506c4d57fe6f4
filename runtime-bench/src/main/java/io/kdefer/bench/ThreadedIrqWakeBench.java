/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
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
 * The wake path alone, as fast as the caller can go: {@code Irqs.wakeThread} on a threaded action whose thread
 * function only counts, against {@code LockSupport.unpark} of a thread that parks when idle (the idiom without
 * coalescing). Most wakeThread calls find a run already pending and coalesce: one volatile read-modify-write under
 * the descriptor lock. {@code -prof gc}: gc.alloc.rate.norm should be 0 B/op for {@code wakeThread}.
 *
 * <p>Run:
 * {@code java -jar runtime-bench/target/benchmarks.jar ThreadedIrqWakeBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class ThreadedIrqWakeBench {
    static final int IRQ = 40;

    @Param({"wakeThread", "unpark"})
    public String impl;

    private Machine machine;
    private Thread consumer;
    private volatile boolean running;
    private volatile long runs;
    private final Object dev = new Object();

    @Setup(Level.Trial)
    public void setUp() {
        running = true;
        if (impl.equals("wakeThread")) {
            machine = Machine.boot(MachineConfig.builder().cpus(2).build());
            machine.irqs().requestThreaded(IRQ, (irq, d) -> IrqReturn.NONE, (irq, d) -> {
                runs++;
                return IrqReturn.HANDLED;
            }, IrqFlags.TRIGGER_RISING, "wake-bench", dev);
        } else {
            consumer = new Thread(() -> {
                while (running) {
                    runs++;
                    LockSupport.park(this);
                }
            }, "unpark-consumer");
            consumer.setDaemon(true);
            consumer.start();
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
    }

    @Benchmark
    public void wake() {
        if (machine != null) {
            machine.irqs().wakeThread(IRQ, dev);
        } else {
            LockSupport.unpark(consumer);
        }
    }
}
