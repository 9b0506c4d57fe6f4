/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.Stress;
import io.kdefer.cpu.Cpu;

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
 * THREADED stress of cross-CPU calls. Run with {@code mvn -Pstress verify}. Each test stops at a fixed count or
 * after {@link #BUDGET}, whichever comes first, and has a {@code @Timeout} for a hang or deadlock.
 */
@Tag("stress")
@DisplayName("cross-CPU call stress (THREADED)")
class SmpStressTest {
    static final int PRODUCERS = 4;
    static final int CALLS_PER_PRODUCER = 100_000;
    static final Duration BUDGET = Duration.ofSeconds(5);

    @RegisterExtension
    final Machines machines = new Machines();

    @Test
    @Timeout(60)
    @DisplayName("queueFunctionSingle: 4 producers, one qsd: trues == runs, the last run saw every final value")
    void coalescedQsd() throws InterruptedException {
        Machine m = machines.threaded();
        Smp smp = m.smp();
        AtomicLongArray seq = new AtomicLongArray(PRODUCERS);
        AtomicLongArray lastRun = new AtomicLongArray(PRODUCERS);
        AtomicLong runs = new AtomicLong();
        AtomicLong trues = new AtomicLong();
        AtomicLong wrongCpu = new AtomicLong();
        QueueSingleData qsd = new QueueSingleData(() -> {
            if (Cpu.current().id() != 1) {
                wrongCpu.incrementAndGet();
            }
            runs.incrementAndGet();
            for (int p = 0; p < PRODUCERS; p++) {
                lastRun.set(p, seq.get(p));
            }
        });
        Stress run = new Stress(BUDGET);
        run.threads(PRODUCERS, "caller", p -> {
            long t = 0;
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            for (int i = 1; i <= CALLS_PER_PRODUCER; i++) {
                seq.set(p, i);
                if (smp.queueFunctionSingle(1, qsd)) {
                    t++;
                }
                Stress.pause(rnd);
                if ((i & 1023) == 0 && run.expired()) {
                    break;
                }
            }
            trues.addAndGet(t);
        });
        run.start().join();
        // Quiescence: an asynchronous marker queued now runs after the qsd's last run (pass 2 is FIFO, and a qsd
        // already taken finishes before cpu/1 takes the marker's flush). A waiting call would not do: pass 1 runs
        // synchronous calls before the asynchronous entries of the same flush (B-CSD-4).
        CountDownLatch marker = new CountDownLatch(1);
        smp.callFunctionSingle(1, marker::countDown, false);
        assertTrue(marker.await(10, TimeUnit.SECONDS));
        long sum = 0;
        for (int p = 0; p < PRODUCERS; p++) {
            sum += seq.get(p);
        }
        Stress.report("qsd stress: %d queueFunctionSingle calls, %d true, %d runs", sum, trues.get(), runs.get());
        assertEquals(trues.get(), runs.get(), "one run per successful queueFunctionSingle");
        for (int p = 0; p < PRODUCERS; p++) {
            assertEquals(seq.get(p), lastRun.get(p), "the last run observed producer " + p + "'s final value");
        }
        assertEquals(0, wrongCpu.get());
        assertEquals(runs.get(), qsd.runs());
        assertTrue(runs.get() > 0);
    }

    @Test
    @Timeout(60)
    @DisplayName("callFunctionSingle(wait) from 4 threads to 2 CPUs: each returns after its function ran, no deadlock")
    void waitingCallsFromFourThreads() throws InterruptedException {
        Machine m = machines.threaded();
        Smp smp = m.smp();
        AtomicLong calls = new AtomicLong();
        AtomicLong ranOnTarget = new AtomicLong();
        AtomicInteger notRunAtReturn = new AtomicInteger();
        Stress run = new Stress(BUDGET);
        run.threads(PRODUCERS, "caller", t -> {
            for (int i = 0; i < 50_000; i++) {
                int target = (t + i) & 1;
                boolean[] ran = new boolean[1];            // plain: the wait must publish it (MO-CSD-2)
                int[] where = {-1};
                smp.callFunctionSingle(target, () -> {
                    where[0] = Cpu.current().id();
                    ran[0] = true;
                }, true);
                calls.incrementAndGet();
                if (!ran[0]) {
                    notRunAtReturn.incrementAndGet();
                }
                if (where[0] == target) {
                    ranOnTarget.incrementAndGet();
                }
                if ((i & 255) == 0 && run.expired()) {
                    break;
                }
            }
        });
        run.start().join();
        Stress.report("waiting-call stress: %d calls", calls.get());
        assertEquals(0, notRunAtReturn.get(), "a waiting call returned before its function ran");
        assertEquals(calls.get(), ranOnTarget.get(), "every function ran on its target CPU");
        assertTrue(calls.get() > 0);
    }
}
