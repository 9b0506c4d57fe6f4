/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.cpu.Cpu;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irqwork.IrqWork;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A sampling profiler, as perf does it: a performance-counter overflow raises a pseudo-NMI (a level line held
 * high until the handler clears the overflow flag); the NMI handler only
 * records a sample into a pre-allocated ring and queues an irq_work to flush it (an NMI can do nothing that could
 * block or allocate). The irq_work callback, in hardirq context, drains the ring and hands a summary to cpu/0
 * with an asynchronous cross-CPU call.
 */
final class PerfSampler implements DemoPart {
    private int line;                     // set by start() from the board, before the device threads start
    private static final int RING = 1024;

    private final long[] ring = new long[RING];    // written by the NMI, drained by the irq_work, same CPU
    private long head;                             // NMI side
    private long tail;                             // irq_work side
    private final AtomicLong overflows = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger overflowFlag = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long samples;
    private volatile long flushed;
    private volatile long coalesced;
    private volatile long flushes;
    private volatile long summaries;
    private volatile long inNmi;
    private volatile boolean running;
    private Thread pmu;
    private IrqWork flush;
    private int cpu;

    @Override
    public void start(Machine m, DemoBoard board) {
        line = board.perf;

        cpu = m.cpuCount() - 1;
        flush = new IrqWork(m, () -> {
            long n = 0;
            while (tail < head) {
                long sample = ring[(int) (tail++ % RING)];
                n += sample == 0 ? 0 : 1;
            }
            flushed += n;
            flushes++;
            if (flushes % 100 == 0) {
                long total = flushed;
                m.smp().callFunctionSingle(0, () -> summaries = total, false);
            }
        });
        m.irqs().requestNmi(line, (irq, dev) -> {
            if (Cpu.current().context().inNmi()) {
                inNmi++;
            }
            if (overflowFlag.getAndSet(0) == 0) {
                return IrqReturn.NONE;
            }
            m.irqs().setLevel(line, false);              // clearing the overflow flag drops the line
            ring[(int) (head % RING)] = System.nanoTime();
            head++;
            samples++;
            if (!flush.queue()) {
                coalesced++;
            }
            return IrqReturn.HANDLED;
        }, "perf-sampler", this);
        m.irqs().setAffinity(line, cpu);
        running = true;
        pmu = new Thread(() -> {
            while (running) {
                if (overflowFlag.compareAndSet(0, 1)) {
                    overflows.incrementAndGet();
                    m.irqs().setLevel(line, true);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }, "dev-pmu");
        pmu.start();
    }

    @Override
    public void stop(Machine m) throws InterruptedException {
        running = false;
        pmu.join();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((flush.isBusy() || overflowFlag.get() != 0) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    @Override
    public String report() {
        return String.format("perf sampler      NMI IRQ %d -> cpu/%d   overflows %6d, samples %6d (all in NMI context: "
                        + "%s), flushed %d by %d irq_work runs (%d queue() calls coalesced), %d summaries to cpu/0",
                line, cpu, overflows.get(), samples, inNmi == samples, flushed, flushes, coalesced, summaries);
    }

    @Override
    public boolean ok() {
        return samples == flushed && inNmi == samples && samples == overflows.get() && samples > 0;
    }
}
