/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.Stress;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * THREADED stress of threaded IRQs: a thread-only ONESHOT level device (serviced only from its thread) and two
 * devices sharing an edge line with primary/thread pairs, while another thread keeps moving both lines between
 * the CPUs and a third keeps calling wakeThread. Invariants at quiescence:
 * <ul>
 *   <li>Nothing lost: every level reading raised was serviced by the thread; every edge device's items were all
 *       drained by its thread (a wake-up that coalesced into a pending run was covered by it, MO-TI-2).</li>
 *   <li>A thread function never runs concurrently with itself (one thread per action).</li>
 *   <li>threads_active == 0 and threads_oneshot == 0, and the ONESHOT line ends unmasked (never stuck,
 *       MO-TI-3).</li>
 *   <li>No handler failure, no unexpected interrupt, no line disabled by the spurious detector.</li>
 * </ul>
 * Run with {@code mvn verify -Pstress}.
 */
@Tag("stress")
class ThreadedIrqStressTest {
    private static final int LEVEL_LINE = 45;
    private static final int EDGE_LINE = 46;
    private static final int READINGS = 20_000;
    private static final int ITEMS = 50_000;

    @RegisterExtension
    final Machines machines = new Machines();

    static final class EdgeDevice {
        final AtomicLong fifo = new AtomicLong();      // items waiting in the device
        final AtomicLong sent = new AtomicLong();
        final AtomicLong moved = new AtomicLong();     // primary handler: device -> driver buffer
        final AtomicLong drained = new AtomicLong();   // thread function: driver buffer -> done
        final AtomicLong buffer = new AtomicLong();
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger overlaps = new AtomicInteger();
    }

    @Test
    @Timeout(120)
    void threadedLinesUnderAffinityMovesAndExtraWakeups() throws InterruptedException {
        Machine m = machines.threaded();
        Irqs irqs = m.irqs();

        // A thread-only, ONESHOT, level device.
        AtomicInteger dataReady = new AtomicInteger();
        AtomicLong serviced = new AtomicLong();
        AtomicInteger levelInside = new AtomicInteger();
        AtomicInteger levelOverlaps = new AtomicInteger();
        irqs.requestThreaded(LEVEL_LINE, null, (irq, dev) -> {
            if (levelInside.incrementAndGet() != 1) {
                levelOverlaps.incrementAndGet();
            }
            try {
                if (dataReady.get() == 0) {
                    return IrqReturn.NONE;
                }
                m.gic().deassertLine(LEVEL_LINE);
                dataReady.set(0);
                serviced.incrementAndGet();
                return IrqReturn.HANDLED;
            } finally {
                levelInside.decrementAndGet();
            }
        }, IrqFlags.TRIGGER_HIGH | IrqFlags.ONESHOT, "level", null);

        // Two devices sharing an edge line: the primary moves items, the thread drains them.
        EdgeDevice[] devs = {new EdgeDevice(), new EdgeDevice()};
        for (int i = 0; i < devs.length; i++) {
            EdgeDevice d = devs[i];
            irqs.requestThreaded(EDGE_LINE, (irq, dev) -> {
                long n = d.fifo.getAndSet(0);
                if (n == 0) {
                    return IrqReturn.NONE;
                }
                d.moved.addAndGet(n);
                d.buffer.addAndGet(n);
                return IrqReturn.WAKE_THREAD;
            }, (irq, dev) -> {
                if (d.inside.incrementAndGet() != 1) {
                    d.overlaps.incrementAndGet();
                }
                try {
                    long n = d.buffer.getAndSet(0);
                    d.drained.addAndGet(n);
                    return n == 0 ? IrqReturn.NONE : IrqReturn.HANDLED;
                } finally {
                    d.inside.decrementAndGet();
                }
            }, IrqFlags.SHARED | IrqFlags.TRIGGER_RISING, "edge" + i, d);
        }

        AtomicBoolean running = new AtomicBoolean(true);
        Stress background = new Stress().thread("affinity-mover", () -> {
            SplittableRandom rnd = new SplittableRandom(1);
            while (running.get()) {
                irqs.setAffinity(rnd.nextBoolean() ? LEVEL_LINE : EDGE_LINE, rnd.nextInt(2));
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
            }
        }).thread("waker", () -> {
            SplittableRandom rnd = new SplittableRandom(2);
            while (running.get()) {
                irqs.wakeThread(EDGE_LINE, devs[rnd.nextInt(2)]);
                irqs.wakeThread(LEVEL_LINE, null);
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(300));
            }
        });
        Stress devices = new Stress().thread("dev-level", () -> {
            for (int k = 0; k < READINGS; k++) {
                while (dataReady.get() != 0) {
                    Thread.yield();
                }
                dataReady.set(1);
                m.gic().assertLine(LEVEL_LINE);
            }
        }).threads(2, "dev-edge", i -> {
            EdgeDevice d = devs[i];
            for (int k = 0; k < ITEMS; k++) {
                d.sent.incrementAndGet();
                d.fifo.incrementAndGet();
                m.gic().pulse(EDGE_LINE);
                if ((k & 63) == 0) {
                    Thread.yield();
                }
            }
        });
        background.start();
        try {
            devices.start().join();
            Stress.await(Duration.ofSeconds(30), () -> dataReady.get() == 0 && devs[0].fifo.get() == 0
                    && devs[1].fifo.get() == 0 && devs[0].buffer.get() == 0 && devs[1].buffer.get() == 0);
        } finally {
            running.set(false);
        }
        background.join();
        irqs.synchronize(LEVEL_LINE);
        irqs.synchronize(EDGE_LINE);

        assertEquals(READINGS, serviced.get(), "every level reading serviced by the thread");
        assertEquals(0, levelOverlaps.get());
        for (EdgeDevice d : devs) {
            assertEquals(ITEMS, d.sent.get());
            assertEquals(ITEMS, d.moved.get(), "the primary handler moved every item");
            assertEquals(ITEMS, d.drained.get(), "the thread drained every item: no wake-up lost");
            assertEquals(0, d.overlaps.get(), "a thread function never overlaps itself");
        }
        for (int line : new int[] {LEVEL_LINE, EDGE_LINE}) {
            IrqDesc d = irqs.desc(line);
            assertEquals(0, d.threadsActive(), d.toString());
            assertEquals(0L, d.threadsOneshot(), d.toString());
            assertFalse(d.isSpuriousDisabled(), d.toString());
            assertEquals(0, d.failures());
        }
        assertFalse(irqs.desc(LEVEL_LINE).isMasked(), "the ONESHOT line ends unmasked (MO-TI-3)");
        assertEquals(0, irqs.unexpectedInterrupts());
        assertTrue(irqs.desc(LEVEL_LINE).threadRuns() >= READINGS);
    }
}
