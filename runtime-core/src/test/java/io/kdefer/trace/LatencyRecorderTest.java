/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Mode;
import io.kdefer.internal.LatencyHistogram;
import io.kdefer.trace.LatencyRecorder.Primitive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link LatencyHistogram} buckets and percentiles, {@link LatencyRecorder} rows and switch, the table. */
@Timeout(30)
class LatencyRecorderTest {
    @Test
    void bucketsAreContiguousAndMonotonic() {
        int prev = -1;
        for (long v = 0; v < 1 << 20; v++) {
            int b = LatencyHistogram.index(v);
            assertTrue(b == prev || b == prev + 1, "v=" + v + " b=" + b + " prev=" + prev);
            assertTrue(LatencyHistogram.lowest(b) <= v && v <= LatencyHistogram.highest(b), "v=" + v);
            prev = b;
        }
        for (int b = 0; b < LatencyHistogram.BUCKETS - 1; b++) {
            assertEquals(b, LatencyHistogram.index(LatencyHistogram.lowest(b)), "lowest of " + b);
            assertEquals(b, LatencyHistogram.index(LatencyHistogram.highest(b)), "highest of " + b);
            long lo = LatencyHistogram.lowest(b);
            long width = LatencyHistogram.highest(b) - lo + 1;
            assertTrue(lo < 64 ? width == 1 : width * 32 <= lo, "relative width <= 1/32 at bucket " + b);
        }
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.index(1L << 36));
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.index(Long.MAX_VALUE));
        assertEquals(1024, LatencyHistogram.BUCKETS);
    }

    /** Percentiles against the exact nearest-rank values of a random sample: never below, at most 1/32 above. */
    @Test
    void percentilesAreWithinOneBucketOfExact() {
        Random rnd = new Random(42);
        LatencyHistogram h = new LatencyHistogram();
        long[] values = new long[100_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (long) Math.exp(rnd.nextDouble() * Math.log(50_000_000));   // 1 ns .. 50 ms, log-uniform
            h.record(values[i]);
        }
        Arrays.sort(values);
        LatencySnapshot s = LatencySnapshot.of(h);
        assertEquals(values.length, s.getCount());
        assertEquals(values[values.length - 1], s.getMax());
        check(values, 0.50, s.getP50());
        check(values, 0.90, s.getP90());
        check(values, 0.99, s.getP99());
        check(values, 0.999, s.getP999());
        long sum = 0;
        for (long v : values) {
            sum += v;
        }
        assertEquals(sum / values.length, s.getMean());
    }

    private static void check(long[] sorted, double p, long got) {
        long exact = sorted[(int) LatencySnapshot.rank(p, sorted.length) - 1];
        assertTrue(got >= exact, "p" + p + ": " + got + " < exact " + exact);
        assertTrue(got <= exact + Math.max(0, exact / 32), "p" + p + ": " + got + " too far above exact " + exact);
    }

    @Test
    void smallAndEdgeValues() {
        LatencyHistogram h = new LatencyHistogram();
        assertEquals(0, LatencySnapshot.of(h).getCount());
        assertSame(LatencySnapshot.empty(), LatencySnapshot.of(h));
        h.record(-5);                                   // a clock step backwards counts as 0
        h.record(7);
        LatencySnapshot s = LatencySnapshot.of(h);
        assertEquals(2, s.getCount());
        assertEquals(0, s.getP50());
        assertEquals(7, s.getP99());
        assertEquals(7, s.getMax());
        h.record(100_000_000_000L);                     // 100 s: the last bucket, max exact
        assertEquals(100_000_000_000L, LatencySnapshot.of(h).getMax());
        assertEquals(100_000_000_000L, LatencySnapshot.of(h).getP999());
    }

    @Test
    void recorderIsOffUntilSwitchedOnAndRecordsPerRow() {
        LatencyRecorder r = new LatencyRecorder(2);
        assertFalse(r.isEnabled());
        assertEquals(0, r.start(), "off: no clock read");
        r.end(0, Primitive.TASKLET, 5, 0);             // t0 == 0: nothing
        r.record(0, Primitive.TIMER, 1, 1);            // off: nothing
        assertEquals(0, r.snapshot(0, Primitive.TIMER, false).getCount());
        assertTrue(r.table().startsWith("latency recording is off"), r.table());

        r.setEnabled(true);
        long t0 = r.start();
        assertTrue(t0 != 0);
        r.end(1, Primitive.TASKLET, t0 - 2_000, t0);
        r.end(1, Primitive.TASKLET, 0, t0);             // no queue stamp: duration only
        r.record(-1, Primitive.WORK, 3_000, 4_000);     // the unbound row
        r.record(0, Primitive.TIMER, -1, 10);           // no queue value
        assertEquals(1, r.snapshot(1, Primitive.TASKLET, true).getCount());
        assertEquals(2_000, r.snapshot(1, Primitive.TASKLET, true).getMax());
        assertEquals(2, r.snapshot(1, Primitive.TASKLET, false).getCount());
        assertEquals(0, r.snapshot(0, Primitive.TASKLET, false).getCount(), "rows are per CPU");
        assertEquals(4_000, r.snapshot(-1, Primitive.WORK, false).getMax());
        assertEquals(0, r.snapshot(0, Primitive.TIMER, true).getCount());
        assertEquals(1, r.total(Primitive.WORK, true).getCount());
        assertThrows(IllegalArgumentException.class, () -> r.snapshot(2, Primitive.IRQ, false));

        String t = r.table();
        assertTrue(t.contains("queue->start (us)") && t.contains("duration (us)"), t);
        assertTrue(t.contains("p99.9"), t);
        assertTrue(t.matches("(?s).*cpu1 +tasklet +2 \\| +2\\.0 .*"), t);
        assertTrue(t.matches("(?s).*unbound +work +1 \\| +3\\.0 .*\\| +4\\.0 .*"), t);
        assertTrue(t.matches("(?s).*cpu0 +timer +1 \\| +- .*"), t);
        assertFalse(t.contains("irq_work"), "rows with nothing recorded are left out: " + t);

        r.setEnabled(false);
        assertEquals(0, r.start());
        assertTrue(r.table().contains("values recorded while it was on"), r.table());
        assertTrue(r.table().contains("tasklet"), "switching off keeps what was recorded");
    }

    /** A reader snapshots while the single writer keeps recording: counts only grow, nothing breaks. */
    @Test
    void readersRunConcurrentlyWithTheWriter() throws Exception {
        LatencyRecorder r = new LatencyRecorder(1);
        r.setEnabled(true);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread writer = new Thread(() -> {
            long v = 0;
            started.countDown();
            while (!stop.get()) {
                r.record(0, Primitive.IRQ, -1, v++ & 0xFFFFF);
            }
        });
        writer.start();
        started.await();
        try {
            long last = 0;
            for (int i = 0; i < 2_000; i++) {
                LatencySnapshot s = r.snapshot(0, Primitive.IRQ, false);
                assertTrue(s.getCount() >= last, "count went backwards");
                assertTrue(s.getP50() <= s.getP90() && s.getP90() <= s.getP99() && s.getP99() <= s.getP999(), s.toString());
                assertTrue(s.getCount() == 0 || s.getP999() <= Math.max(s.getMax(), 0xFFFFF), s.toString());
                last = s.getCount();
            }
        } catch (Throwable t) {
            failure.set(t);
        } finally {
            stop.set(true);
            writer.join();
        }
        assertNull(failure.get());
        assertTrue(r.snapshot(0, Primitive.IRQ, false).getCount() > 0);
    }

    /** {@code Stats.latency()} renders the machine's recorder. */
    @Test
    void statsShowTheMachinesRecorder() {
        try (Machine m = Machine.boot(MachineConfig.builder().cpus(2).mode(Mode.MANUAL).build())) {
            Stats st = m.stats();
            assertTrue(st.latency().startsWith("latency recording is off"), st.latency());
            LatencyRecorder r = st.latencyRecorder();
            assertEquals(2, r.cpus());
            r.setEnabled(true);
            r.record(1, Primitive.SOFTIRQ, 1_500, 2_500);
            assertTrue(st.latency().matches("(?s).*cpu1 +softirq +1 \\| +1\\.5 .*\\| +2\\.5 .*"), st.latency());
        }
    }
}
