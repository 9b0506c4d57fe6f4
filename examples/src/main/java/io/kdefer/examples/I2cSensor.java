/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.cpu.Cpu;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.sync.Delay;
import io.kdefer.workqueue.Work;
import io.kdefer.workqueue.Workqueue;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A sensor behind an I2C bus, the textbook case for a threaded line: its level-triggered "data ready" line can only
 * be cleared by reading the sensor over the bus, and a bus transfer sleeps (here: {@code parkNanos} for the
 * transfer time), which hardirq context may not do. So the handler is thread-only: no primary handler (the default
 * one wakes the thread), {@code ONESHOT} so the line stays masked until the thread has read the sensor and the
 * device has dropped its line; otherwise the still-high level line would interrupt again and again meanwhile.
 *
 * <p>The thread function hands each reading to a "stats aggregation" {@link Work} on the workqueue
 * {@code sensor_stats} (min and max, then a slow publish that sleeps). While the item is pending, further
 * readings only add to its input and {@code queue()} returns {@code false}: one run takes the whole burst, and it
 * still sees every reading queued before its PENDING bit was cleared (MO-WQ-2). Checked: every reading was
 * aggregated exactly once, and the runs equal the {@code queue()} calls that returned {@code true}.
 */
final class I2cSensor implements DemoPart {
    private int line;                     // set by start() from the board, before the device threads start
    private static final long TRANSFER_NANOS = TimeUnit.MICROSECONDS.toNanos(300);

    private final AtomicInteger dataReady = new AtomicInteger();   // the device's status register
    private volatile int sample;                                  // the device's data register
    private final AtomicLong raised = new AtomicLong();
    private final AtomicLong handled = new AtomicLong();
    private final AtomicLong sleptInThread = new AtomicLong();
    private volatile long lastSample;
    private volatile String threadContext = "(never ran)";
    private final ConcurrentLinkedQueue<Integer> toAggregate = new ConcurrentLinkedQueue<>();
    private volatile long handledSum;                              // the line thread only
    private volatile long queuedTrue;                              // the line thread only
    private volatile long coalesced;                               // the line thread only
    private volatile long aggregateRuns;                           // the work function only (non-reentrant)
    private volatile long aggregated;
    private volatile long aggregatedSum;
    private volatile int largestBatch;
    private volatile int min = Integer.MAX_VALUE;
    private volatile int max = Integer.MIN_VALUE;
    private volatile String workerName = "(never ran)";
    private Workqueue statsWq;
    private Work aggregate;
    private volatile boolean running;
    private Thread device;
    private Machine machine;

    @Override
    public void start(Machine m, DemoBoard board) {
        line = board.i2c;

        machine = m;
        int cpu = Math.min(1, m.cpuCount() - 1);
        m.irqs().setAffinity(line, cpu);
        statsWq = m.workqueues().alloc("sensor_stats", 0, 0);
        aggregate = new Work(this::aggregate);
        m.irqs().requestThreaded(line, null, (irq, dev) -> {
            if (dataReady.get() == 0) {
                return IrqReturn.NONE;
            }
            long t0 = System.nanoTime();
            LockSupport.parkNanos(TRANSFER_NANOS);              // "reading the bus": the thread sleeps
            sleptInThread.addAndGet(System.nanoTime() - t0);
            int v = sample;
            lastSample = v;
            handledSum += v;
            toAggregate.add(v);
            if (statsWq.queue(aggregate)) {                     // this CPU's pool; false: the pending run takes it
                queuedTrue++;
            } else {
                coalesced++;
            }
            m.irqs().setLevel(line, false);                          // the read clears "data ready": the line drops
            dataReady.set(0);
            handled.incrementAndGet();
            if (threadContext.startsWith("(")) {
                threadContext = Thread.currentThread().getName() + " on " + Cpu.current() + ", "
                        + Cpu.current().context().describe();
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_HIGH | IrqFlags.ONESHOT, "i2c-sensor", this);
        running = true;
        device = new Thread(() -> {
            int value = 1000;
            while (running) {
                if (dataReady.get() == 0) {
                    sample = value++;
                    dataReady.set(1);
                    raised.incrementAndGet();
                    m.irqs().setLevel(line, true);
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(1000));
            }
        }, "dev-i2c-sensor");
        device.start();
    }

    /** The stats aggregation work function: a kworker of cpu/1's pool, task context. */
    private void aggregate() {
        aggregateRuns++;
        int n = 0;
        for (Integer v; (v = toAggregate.poll()) != null; ) {
            n++;
            aggregatedSum += v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        aggregated += n;
        largestBatch = Math.max(largestBatch, n);
        workerName = Thread.currentThread().getName();
        try {
            Delay.msleep(3);                                    // "publish to the hwmon log": a worker may sleep
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void stop(Machine m) throws InterruptedException {
        running = false;
        device.join();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (dataReady.get() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        m.irqs().synchronize(line);                              // the last thread run finished (MO-TI-4)
        aggregate.flush();                                      // ... and the aggregation it queued (MO-WQ-5)
    }

    @Override
    public String report() {
        long n = Math.max(1, handled.get());
        return String.format("i2c sensor        level IRQ %d -> cpu/%d   readings %6d raised, %6d handled (last %d)"
                        + "%n                  threaded, ONESHOT: %s; slept %d us per reading on the bus;"
                        + " interrupts taken %d"
                        + "%n                  workqueue %s: %d readings aggregated (%s) in %d runs (last on %s);"
                        + " queue() %d true, %d coalesced (false: already pending), up to %d readings per run;"
                        + " min %d max %d",
                line, machine.irqs().desc(line).affinity(), raised.get(), handled.get(), lastSample, threadContext,
                TimeUnit.NANOSECONDS.toMicros(sleptInThread.get() / n), machine.irqs().desc(line).count(),
                statsWq.name(), aggregated, aggregatedSum == handledSum ? "sum ok" : "sum WRONG", aggregateRuns,
                workerName, queuedTrue, coalesced, largestBatch, min, max);
    }

    @Override
    public boolean ok() {
        return raised.get() == handled.get() && machine.irqs().desc(line).count() == handled.get()
                && aggregated == handled.get() && aggregatedSum == handledSum && aggregateRuns == queuedTrue
                && queuedTrue + coalesced == handled.get();
    }
}
