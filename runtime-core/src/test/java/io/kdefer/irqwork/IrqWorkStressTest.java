/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqwork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.Stress;
import io.kdefer.cpu.Cpu;
import io.kdefer.internal.Services;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * THREADED stress of {@link IrqWork}: real CPU threads, real producers, invariants checked at quiescence.
 * Run with {@code mvn -Pstress verify}. Each test stops producing at a fixed count or after {@link #BUDGET},
 * whichever comes first, and has a {@code @Timeout} for a hang.
 */
@Tag("stress")
@DisplayName("irq_work stress (THREADED)")
class IrqWorkStressTest {
    static final int PRODUCERS = 4;
    static final int CALLS_PER_PRODUCER = 100_000;
    static final Duration BUDGET = Duration.ofSeconds(5);

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;

    /**
     * The acceptance shape: each producer bumps its own volatile sequence number, then calls queue() on ONE item.
     * The callback records, per producer, the latest value it saw.
     */
    static final class Shape {
        final AtomicLongArray seq = new AtomicLongArray(PRODUCERS);       // producer p writes only seq[p]
        final AtomicLongArray lastRun = new AtomicLongArray(PRODUCERS);   // what the most recent run saw
        final AtomicLongArray maxSeen = new AtomicLongArray(PRODUCERS);   // the largest value any run saw
        final AtomicLong runs = new AtomicLong();
        final AtomicLong trues = new AtomicLong();
        final AtomicInteger inCallback = new AtomicInteger();
        final AtomicInteger maxInCallback = new AtomicInteger();

        void callback() {
            maxInCallback.accumulateAndGet(inCallback.incrementAndGet(), Math::max);
            runs.incrementAndGet();
            for (int p = 0; p < PRODUCERS; p++) {
                long v = seq.get(p);
                lastRun.set(p, v);
                maxSeen.accumulateAndGet(p, v, Math::max);
            }
            inCallback.decrementAndGet();
        }
    }

    /** {@code PRODUCERS} threads from a common start, each bumping its sequence number and queueing {@code w}. */
    private void producersQueue(Shape s, IrqWork w, int bindTo) throws InterruptedException {
        Stress run = new Stress(BUDGET);
        run.threads(PRODUCERS, "producer", p -> {
            if (bindTo >= 0) {
                m.bindCurrentThread(bindTo);
            }
            long trues = 0;
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            for (int i = 1; i <= CALLS_PER_PRODUCER; i++) {
                s.seq.set(p, i);
                if (w.queue()) {
                    trues++;
                }
                Stress.pause(rnd);       // claims land in every phase of a run, see Stress.pause
                if ((i & 1023) == 0 && run.expired()) {
                    break;
                }
            }
            s.trues.addAndGet(trues);
        });
        run.start().join();
    }

    private void report(String what, Shape s) {
        long calls = 0;
        for (int p = 0; p < PRODUCERS; p++) {
            calls += s.seq.get(p);
        }
        Stress.report("irq_work stress (%s): %d queue() calls, %d true, %d runs, %d IWIs, max %d at once",
                what, calls, s.trues.get(), s.runs.get(), Services.get(m, IrqWorkCore.class).raises(),
                s.maxInCallback.get());
    }

    @Test
    @Timeout(60)
    @DisplayName("acceptance: 4 producers on one CPU, one item: trues == runs, the last run saw every final value")
    void oneItemProducersOnOneCpu() throws InterruptedException {
        m = machines.threaded();
        Shape s = new Shape();
        IrqWork w = new IrqWork(m, s::callback);
        producersQueue(s, w, 0);
        w.sync();                                   // quiescence: producers done, item not BUSY (acquire)
        assertFalse(w.isBusy());
        assertEquals(s.trues.get(), s.runs.get(), "one run per successful claim (B-IW-1, MO-IW-3)");
        for (int p = 0; p < PRODUCERS; p++) {
            assertEquals(s.seq.get(p), s.lastRun.get(p),
                    "the last run observed producer " + p + "'s final value (MO-IW-1/2)");
        }
        report("one CPU", s);
        assertEquals(1, s.maxInCallback.get(), "queued on one CPU only: never ran concurrently with itself (B-IW-8)");
        assertTrue(s.runs.get() > 0);
    }

    @Test
    @Timeout(60)
    @DisplayName("acceptance: 4 producers on their home CPUs, one item: trues == runs, every final value seen")
    void oneItemProducersSpread() throws InterruptedException {
        m = machines.threaded();
        Shape s = new Shape();
        IrqWork w = new IrqWork(m, s::callback);
        producersQueue(s, w, -1);
        w.sync();
        // queue() from two CPUs can make two runs overlap (B-IW-8): BUSY may be cleared by the later run while an
        // earlier one is still in its callback. Every CPU taking one more interrupt is a barrier for those.
        m.smp().onEachCpu(() -> { }, true);
        report("home CPUs", s);
        assertEquals(s.trues.get(), s.runs.get(), "one run per successful claim");
        for (int p = 0; p < PRODUCERS; p++) {
            assertEquals(s.seq.get(p), s.maxSeen.get(p), "some run observed producer " + p + "'s final value");
        }
    }

    @Test
    @Timeout(120)
    @DisplayName("ping-pong: two items bounce between cpu/0 and cpu/1 with queueOn, 100k round trips, no lost hop")
    void pingPong() throws InterruptedException {
        m = machines.threaded();
        int roundTrips = 100_000;
        long hops = 2L * roundTrips;
        AtomicLong count = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicLong wrongCpu = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        IrqWork[] items = new IrqWork[2];
        for (int i = 0; i < 2; i++) {
            int here = i;
            items[i] = new IrqWork(m, () -> {
                if (Cpu.current().id() != here) {
                    wrongCpu.incrementAndGet();
                }
                long n = count.incrementAndGet();
                if (n == hops) {
                    done.countDown();
                } else if (!items[1 - here].queueOn(1 - here)) {
                    refused.incrementAndGet();        // the other item was still PENDING: a hop would be lost
                }
            });
        }
        long t0 = System.nanoTime();
        assertTrue(items[0].queueOn(0));
        boolean finished = done.await(100, TimeUnit.SECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(finished, "only " + count.get() + " of " + hops + " hops after " + ms + " ms");
        assertEquals(0, refused.get(), "every queueOn found the other item FREE or BUSY, never PENDING");
        assertEquals(0, wrongCpu.get(), "each item ran only on its own CPU");
        items[0].sync();
        items[1].sync();
        assertEquals(hops, count.get(), "no extra hop");
        Stress.report("irq_work ping-pong: %d hops in %d ms", hops, ms);
        assertEquals(roundTrips, items[0].runs());
        assertEquals(roundTrips, items[1].runs());
    }
}
