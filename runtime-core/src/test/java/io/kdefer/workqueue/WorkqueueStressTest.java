/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.Stress;
import io.kdefer.sync.Delay;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * THREADED: {@value #PRODUCERS} producer threads queue counted one-shot items on {@code system()}, on a bound queue
 * with max_active 2, on an unbound queue with max_active 3 and on an ordered queue, and re-queue a few shared "hot"
 * items on {@code system()}; the machine is closed while they still queue (close's drain phase keeps accepting, so
 * the one-shot items usually reach their caps during it; the hot items keep being queued until close refuses them).
 * Checked at quiescence and during the run:
 * <ul>
 *   <li>no loss, no double run: every item whose queue call returned true ran exactly once, the others never
 *       (B-WQ-1, DESIGN §5 "close loses nothing": close drains everything accepted, also items accepted while it
 *       runs);</li>
 *   <li>hot items: runs == number of queue calls that returned true, and never two runs at once (B-WQ-1/4,
 *       MO-WQ-3);</li>
 *   <li>the ordered queue runs one item at a time, each producer's items in its queueing order (B-WQ-17);</li>
 *   <li>max_active is never exceeded: per CPU pool for the bound queue, system-wide for the unbound one (B-WQ-5/19;
 *       high-water mark of in-flight items);</li>
 *   <li>a few items sleep (msleep) so that concurrency management wakes and creates workers under load
 *       (B-WQ-30).</li>
 * </ul>
 * Run: {@code mvn -B -ntp verify -pl runtime-core -Pstress -Djcstress.skip -Djmh.skip -Dtest=WorkqueueStressTest}.
 */
@Tag("stress")
@Timeout(120)
class WorkqueueStressTest {
    static final int PRODUCERS = 4;
    static final int SECONDS = 1;
    static final int CAP = 100_000;         // items per producer and kind: not reached before close
    static final int HOT = 8;

    static final int SYS = 0;
    static final int BOUND = 1;
    static final int UNBOUND = 2;
    static final int ORDERED = 3;
    static final int KINDS = 4;

    @RegisterExtension
    final Machines machines = new Machines();

    @Test
    void noLossNoDoubleRunOrderAndMaxActiveUnderLoadAndClose() throws Exception {
        Machine m = machines.threaded();
        Workqueues wqs = m.workqueues();
        Workqueue[] queues = {
            wqs.system(),
            wqs.alloc("stress_bound", 0, 2),
            wqs.alloc("stress_unbound", WorkqueueFlags.UNBOUND, 3),
            wqs.allocOrdered("stress_ordered", 0),
        };
        AtomicIntegerArray[] runs = new AtomicIntegerArray[KINDS];
        AtomicIntegerArray[] accepted = new AtomicIntegerArray[KINDS];
        for (int k = 0; k < KINDS; k++) {
            runs[k] = new AtomicIntegerArray(PRODUCERS * CAP);
            accepted[k] = new AtomicIntegerArray(PRODUCERS * CAP);
        }
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicInteger[] boundInFlight = {new AtomicInteger(), new AtomicInteger()};
        AtomicInteger boundHigh = new AtomicInteger();
        AtomicInteger unboundInFlight = new AtomicInteger();
        AtomicInteger unboundHigh = new AtomicInteger();
        AtomicInteger orderedInFlight = new AtomicInteger();
        int[] orderedLast = new int[PRODUCERS];          // written only by ordered items: one at a time, hb-chained
        java.util.Arrays.fill(orderedLast, -1);

        Work[] hot = new Work[HOT];
        AtomicLong[] hotQueued = new AtomicLong[HOT];
        AtomicLong[] hotRuns = new AtomicLong[HOT];
        AtomicBoolean[] hotInside = new AtomicBoolean[HOT];
        for (int h = 0; h < HOT; h++) {
            int id = h;
            hotQueued[h] = new AtomicLong();
            hotRuns[h] = new AtomicLong();
            hotInside[h] = new AtomicBoolean();
            hot[h] = new Work(() -> {
                if (!hotInside[id].compareAndSet(false, true)) {
                    failure.compareAndSet(null, "hot item " + id + " ran on two workers at once");
                }
                hotRuns[id].incrementAndGet();
                hotInside[id].set(false);
            });
        }

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong queued = new AtomicLong();
        Stress producers = new Stress().threads(PRODUCERS, "producer", prod -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            int[] next = new int[KINDS];
            while (!stop.get()) {
                int k = rnd.nextInt(KINDS + 1);
                if (k == KINDS) {
                    int h = rnd.nextInt(HOT);
                    if (queues[SYS].queue(hot[h])) {
                        hotQueued[h].incrementAndGet();
                    }
                    continue;
                }
                if (next[k] == CAP) {
                    continue;
                }
                int seq = next[k]++;
                int idx = prod * CAP + seq;
                boolean sleeps = (seq & 255) == 255;
                Work w = new Work(item(k, prod, seq, idx, sleeps, runs[k], failure, boundInFlight, boundHigh,
                        unboundInFlight, unboundHigh, orderedInFlight, orderedLast));
                boolean ok = k == BOUND || k == SYS && rnd.nextBoolean()
                        ? queues[k].queueOn(rnd.nextInt(2), w) : queues[k].queue(w);
                if (ok) {
                    accepted[k].set(idx, 1);
                }
                queued.incrementAndGet();
            }
        });
        producers.start();
        try {
            // close mid-stream: at a quarter of the caps, or after SECONDS s on a slow box
            Stress.await(Duration.ofSeconds(SECONDS), () -> queued.get() >= (long) KINDS * PRODUCERS * CAP / 4);
        } finally {
            m.close();                                               // while they still queue
            stop.set(true);
            producers.join(Duration.ofSeconds(30));
        }
        assertEquals(null, failure.get());
        long total = 0;
        for (int k = 0; k < KINDS; k++) {
            for (int i = 0; i < PRODUCERS * CAP; i++) {
                int r = runs[k].get(i);
                int a = accepted[k].get(i);
                if (r != a) {
                    throw new AssertionError("queue " + queues[k].name() + " item " + i + ": accepted " + a
                            + ", ran " + r + " times");
                }
                total += a;
            }
        }
        for (int h = 0; h < HOT; h++) {
            assertEquals(hotQueued[h].get(), hotRuns[h].get(), "hot item " + h + ": runs == successful queues");
        }
        assertTrue(total > 1000, "the test queued something: " + total);
        assertTrue(boundHigh.get() <= 2, "bound max_active 2 per pool, saw " + boundHigh.get());
        assertTrue(unboundHigh.get() <= 3, "unbound max_active 3, saw " + unboundHigh.get());
        Stress.report("WorkqueueStressTest: %d one-shot items, hot runs %d, bound high-water %d, unbound %d",
                total, java.util.Arrays.stream(hotRuns).mapToLong(AtomicLong::get).sum(), boundHigh.get(),
                unboundHigh.get());
    }

    private static Runnable item(int kind, int prod, int seq, int idx, boolean sleeps, AtomicIntegerArray runs,
            AtomicReference<String> failure, AtomicInteger[] boundInFlight, AtomicInteger boundHigh,
            AtomicInteger unboundInFlight, AtomicInteger unboundHigh, AtomicInteger orderedInFlight,
            int[] orderedLast) {
        return () -> {
            if (runs.getAndIncrement(idx) != 0) {
                failure.compareAndSet(null, "kind " + kind + " item " + idx + " ran twice");
            }
            AtomicInteger inFlight = null;
            AtomicInteger high = null;
            if (kind == BOUND) {
                inFlight = boundInFlight[cpuOf(Thread.currentThread().getName())];
                high = boundHigh;
            } else if (kind == UNBOUND) {
                inFlight = unboundInFlight;
                high = unboundHigh;
            } else if (kind == ORDERED) {
                inFlight = orderedInFlight;
                if (orderedInFlight.get() != 0) {
                    failure.compareAndSet(null, "ordered queue ran two items at once");
                }
                if (orderedLast[prod] >= seq) {
                    failure.compareAndSet(null, "ordered queue: producer " + prod + " item " + seq + " ran after "
                            + orderedLast[prod]);
                }
                orderedLast[prod] = seq;
            }
            if (inFlight != null) {
                int now = inFlight.incrementAndGet();
                if (high != null) {
                    high.accumulateAndGet(now, Math::max);
                }
            }
            try {
                if (sleeps) {
                    Delay.msleep(1);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (inFlight != null) {
                    inFlight.decrementAndGet();
                }
            }
        };
    }

    /** "kworker/N:M" -> N: the bound queue's items run on a worker of CPU N's pool. */
    private static int cpuOf(String worker) {
        int slash = worker.indexOf('/');
        int colon = worker.indexOf(':');
        return Integer.parseInt(worker.substring(slash + 1, colon));
    }
}
