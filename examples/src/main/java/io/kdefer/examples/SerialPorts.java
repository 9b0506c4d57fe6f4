/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Two UARTs sharing one edge-triggered line: each handler checks its own device's "bytes received" register and
 * returns NONE when its device did not raise the line. Edges that arrive while the line is pending collapse
 * into one interrupt, so a handler drains everything its device has received.
 */
final class SerialPorts implements DemoPart {
    private int line;                     // set by start() from the board, before the device threads start

    static final class Uart {
        final String name;
        final AtomicLong rxFifo = new AtomicLong();    // bytes waiting (the device register)
        final AtomicLong sent = new AtomicLong();
        final AtomicLong received = new AtomicLong();
        volatile long interrupts;
        volatile long notMine;

        Uart(String name) {
            this.name = name;
        }
    }

    private final Uart[] uarts = {new Uart("serial0"), new Uart("serial1")};
    private final Thread[] devices = new Thread[2];
    private volatile boolean running;

    @Override
    public void start(Machine m, DemoBoard board) {
        line = board.serial;

        int cpu = Math.min(1, m.cpuCount() - 1);
        for (Uart u : uarts) {
            m.irqs().request(line, (irq, dev) -> {
                long n = u.rxFifo.getAndSet(0);
                if (n == 0) {
                    u.notMine++;
                    return IrqReturn.NONE;
                }
                u.received.addAndGet(n);
                u.interrupts++;
                return IrqReturn.HANDLED;
            }, IrqFlags.SHARED | IrqFlags.TRIGGER_RISING, u.name, u);
        }
        m.irqs().setAffinity(line, cpu);
        running = true;
        for (int i = 0; i < 2; i++) {
            Uart u = uarts[i];
            int period = 700 + 300 * i;
            devices[i] = new Thread(() -> {
                while (running) {
                    int burst = 1 + (int) (System.nanoTime() & 7);
                    u.sent.addAndGet(burst);
                    u.rxFifo.addAndGet(burst);
                    m.irqs().pulse(line);
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(period));
                }
            }, "dev-" + u.name);
            devices[i].start();
        }
    }

    @Override
    public void stop(Machine m) throws InterruptedException {
        running = false;
        for (Thread t : devices) {
            t.join();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((uarts[0].rxFifo.get() != 0 || uarts[1].rxFifo.get() != 0) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    @Override
    public String report() {
        StringBuilder sb = new StringBuilder();
        for (Uart u : uarts) {
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append(String.format("%-8s          edge IRQ %d (shared)  bytes %6d sent, %6d received in %d interrupts"
                    + " (%d not mine)", u.name, line, u.sent.get(), u.received.get(), u.interrupts, u.notMine));
        }
        return sb.toString();
    }

    @Override
    public boolean ok() {
        return uarts[0].sent.get() == uarts[0].received.get() && uarts[1].sent.get() == uarts[1].received.get();
    }
}
