/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.cpu.Cpu;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Lesson 6: threaded IRQs, the kernel's preferred bottom half. An interrupt handler is split in two:
 *
 * <ul>
 *   <li>the <b>primary handler</b> runs in hardirq context on the CPU that took the interrupt, with interrupts
 *       disabled: it must not block, so it only does what cannot wait (here: move the packets out of the
 *       device's small FIFO) and returns {@code WAKE_THREAD};</li>
 *   <li>the <b>thread function</b> runs on the action's own thread {@code irq/44-logger}, in task context: it may
 *       block (here: a slow write to "flash"), take sleeping locks, queue work.</li>
 * </ul>
 * While a run of the thread is pending, more WAKE_THREAD results coalesce into it (B-TI-8): the thread runs far
 * fewer times than the device interrupts, yet the pending run sees everything the primary handler stored before
 * returning (MO-TI-2, proved by {@code ThreadedIrq_02_CoalescedWakeStillVisible}), so nothing is lost. A
 * level-triggered device that can only be serviced from the thread uses {@code null} as primary handler with
 * {@code ONESHOT} instead (see the demo's I2C sensor): the line then stays masked until the thread finished.
 *
 * <p>The device's edges also collapse in the GIC while one is pending (B-GIC-3), so there are fewer interrupts
 * than packets; the primary handler moves whatever the FIFO holds, so that loses nothing either.
 *
 * <p>HOW TO RUN: {@code ./kdefer example threaded}. Observed (2 cores, JDK 17.0.15; the counts vary run to run):
 * <pre>
 *   device sent 2000 packets in 1548 interrupts; the primary handler ran 1548 times in hardirq context
 *   the thread function ran 254 times (wake-ups coalesced while it slept on the flash), on irq/44-logger,
 *   bound to cpu/1, task context
 *   logged 2000 packets in order: nothing lost
 * </pre>
 */
public final class Example_06_ThreadedIrq {
    static final int IRQ = 44;

    private Example_06_ThreadedIrq() {
    }

    public static void main(String[] args) throws InterruptedException {
        try (Machine m = Machine.boot(2)) {
            ConcurrentLinkedQueue<Integer> deviceFifo = new ConcurrentLinkedQueue<>();   // the hardware
            ConcurrentLinkedQueue<Integer> ring = new ConcurrentLinkedQueue<>();         // the driver's buffer
            AtomicInteger primaryRuns = new AtomicInteger();
            AtomicInteger threadRuns = new AtomicInteger();
            AtomicLong logged = new AtomicLong();
            AtomicLong outOfOrder = new AtomicLong();
            String[] where = {""};

            m.irqs().setAffinity(IRQ, 1);
            m.irqs().requestThreaded(IRQ,
                    (irq, dev) -> {                                  // hardirq: quick, never blocks
                        primaryRuns.incrementAndGet();
                        for (Integer p; (p = deviceFifo.poll()) != null; ) {
                            ring.add(p);
                        }
                        return IrqReturn.WAKE_THREAD;
                    },
                    (irq, dev) -> {                                  // thread: may sleep
                        threadRuns.incrementAndGet();
                        where[0] = Thread.currentThread().getName() + ", bound to " + Cpu.current() + ", "
                                + Cpu.current().context().describe();
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));   // "write to flash"
                        for (Integer p; (p = ring.poll()) != null; ) {
                            if (p != logged.getAndIncrement()) {
                                outOfOrder.incrementAndGet();
                            }
                        }
                        return IrqReturn.HANDLED;
                    },
                    IrqFlags.TRIGGER_RISING, "logger", deviceFifo);

            int packets = 2000;
            for (int i = 0; i < packets; i++) {
                deviceFifo.add(i);
                m.irqs().pulse(IRQ);                                  // the device raises its line
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (logged.get() < packets && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            m.irqs().synchronize(IRQ);                               // hardirq and thread runs finished

            System.out.printf("device sent %d packets in %d interrupts; the primary handler ran %d times in"
                    + " hardirq context%n", packets, m.irqs().desc(IRQ).count(), primaryRuns.get());
            System.out.printf("the thread function ran %d times (wake-ups coalesced while it slept on the flash), on"
                    + " %s%n", threadRuns.get(), where[0]);
            System.out.printf("logged %d packets %s: %s%n", logged.get(), outOfOrder.get() == 0 ? "in order" :
                    "(" + outOfOrder.get() + " out of order)", logged.get() == packets ? "nothing lost"
                    : "LOST " + (packets - logged.get()));
        }
    }
}
