/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A level-triggered device: a thermal sensor raises its line while a new reading is waiting in its status
 * register and drops it when the driver reads the register (read-to-clear), as real level devices do.
 */
final class ThermalSensor implements DemoPart {
    private int line;                     // set by start() from the board, before the device threads start

    private final AtomicInteger status = new AtomicInteger();     // 1 = reading waiting (the device register)
    private volatile int reading;
    private final AtomicLong raised = new AtomicLong();
    private final AtomicLong handled = new AtomicLong();
    private volatile long lastReading;
    private volatile boolean running;
    private Thread device;

    @Override
    public void start(Machine m, DemoBoard board) {
        line = board.thermal;

        m.irqs().request(line, (irq, dev) -> {
            if (status.get() == 0) {
                return IrqReturn.NONE;              // not us: the line was not raised by this device
            }
            lastReading = reading;
            m.irqs().setLevel(line, false);              // read-to-clear: the device drops its line,
            status.set(0);                          // then the register is free for the next reading
            handled.incrementAndGet();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_HIGH, "thermal", this);
        running = true;
        device = new Thread(() -> {
            int t = 40_000;
            while (running) {
                if (status.get() == 0) {
                    reading = t++;
                    status.set(1);
                    raised.incrementAndGet();
                    m.irqs().setLevel(line, true);
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(1500));
            }
        }, "dev-thermal");
        device.start();
    }

    @Override
    public void stop(Machine m) throws InterruptedException {
        running = false;
        device.join();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (status.get() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    @Override
    public String report() {
        return String.format("thermal sensor    level IRQ %d -> cpu/0   readings %6d raised, %6d handled (last %d)",
                line, raised.get(), handled.get(), lastReading);
    }

    @Override
    public boolean ok() {
        return raised.get() == handled.get();
    }
}
