/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.cpu.Cpu;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A sensor behind an I2C bus, the textbook case for a threaded IRQ: its level-triggered "data ready" line can only
 * be cleared by reading the sensor over the bus, and a bus transfer sleeps (here: {@code parkNanos} for the
 * transfer time), which hardirq context may not do. So the handler is thread-only: no primary handler (the default
 * one wakes the thread), {@code ONESHOT} so the line stays masked until the thread has read the sensor and the
 * device has dropped its line; otherwise the still-high level line would interrupt again and again meanwhile.
 */
final class I2cSensor implements DemoPart {
    static final int IRQ = 45;
    private static final long TRANSFER_NANOS = TimeUnit.MICROSECONDS.toNanos(300);

    private final AtomicInteger dataReady = new AtomicInteger();   // the device's status register
    private volatile int sample;                                  // the device's data register
    private final AtomicLong raised = new AtomicLong();
    private final AtomicLong handled = new AtomicLong();
    private final AtomicLong sleptInThread = new AtomicLong();
    private volatile long lastSample;
    private volatile String threadContext = "(never ran)";
    private volatile boolean running;
    private Thread device;
    private Machine machine;

    @Override
    public void start(Machine m) {
        machine = m;
        int cpu = Math.min(1, m.cpuCount() - 1);
        m.irqs().setAffinity(IRQ, cpu);
        m.irqs().requestThreaded(IRQ, null, (irq, dev) -> {
            if (dataReady.get() == 0) {
                return IrqReturn.NONE;
            }
            long t0 = System.nanoTime();
            LockSupport.parkNanos(TRANSFER_NANOS);              // "reading the bus": the thread sleeps
            sleptInThread.addAndGet(System.nanoTime() - t0);
            lastSample = sample;
            m.gic().deassertLine(IRQ);                          // the read clears "data ready": the line drops
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
                    m.gic().assertLine(IRQ);
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(1000));
            }
        }, "dev-i2c-sensor");
        device.start();
    }

    @Override
    public void stop(Machine m) throws InterruptedException {
        running = false;
        device.join();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (dataReady.get() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        m.irqs().synchronize(IRQ);                              // the last thread run finished (MO-TI-4)
    }

    @Override
    public String report() {
        long n = Math.max(1, handled.get());
        return String.format("i2c sensor        level SPI %d -> cpu/%d   readings %6d raised, %6d handled (last %d)"
                        + "%n                  threaded, ONESHOT: %s; slept %d us per reading on the bus;"
                        + " interrupts taken %d",
                IRQ, machine.irqs().desc(IRQ).affinity(), raised.get(), handled.get(), lastSample, threadContext,
                TimeUnit.NANOSECONDS.toMicros(sleptInThread.get() / n), machine.irqs().desc(IRQ).count());
    }

    @Override
    public boolean ok() {
        return raised.get() == handled.get() && machine.irqs().desc(IRQ).count() == handled.get();
    }
}
