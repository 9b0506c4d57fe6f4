/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import io.kdefer.internal.LatencyHistogram;

import javax.management.ConstructorParameters;

/**
 * Percentiles of one latency histogram at one moment, in nanoseconds (immutable). A percentile is the upper bound
 * of the bucket it falls in, capped at the exact maximum, so it never understates and overstates by at most
 * 1/32 of the value (about 3 %). All values are 0 when nothing was recorded.
 *
 * <p>Also the open type of the latency attributes of the kdefer MXBeans (a {@code CompositeData} with these
 * getters as items).
 */
public final class LatencySnapshot {
    private static final LatencySnapshot EMPTY = new LatencySnapshot(0, 0, 0, 0, 0, 0, 0);

    private final long count;       // I
    private final long p50;         // I
    private final long p90;         // I
    private final long p99;         // I
    private final long p999;        // I
    private final long max;         // I
    private final long mean;        // I

    @ConstructorParameters({"count", "p50", "p90", "p99", "p999", "max", "mean"})
    public LatencySnapshot(long count, long p50, long p90, long p99, long p999, long max, long mean) {
        this.count = count;
        this.p50 = p50;
        this.p90 = p90;
        this.p99 = p99;
        this.p999 = p999;
        this.max = max;
        this.mean = mean;
    }

    /** The snapshot of nothing recorded. */
    public static LatencySnapshot empty() {
        return EMPTY;
    }

    /** The percentiles of one histogram now (a copy of its counts; empty for null: nothing recorded yet). */
    static LatencySnapshot of(LatencyHistogram h) {
        if (h == null) {
            return EMPTY;
        }
        LatencyHistogram.Copy c = h.copy();
        return of(c.counts, c.total, c.max, c.sum);
    }

    /** From a copy of {@link LatencyHistogram}'s counts whose sum is {@code total}. */
    static LatencySnapshot of(long[] counts, long total, long max, long sum) {
        if (total == 0) {
            return EMPTY;
        }
        double[] ps = {0.50, 0.90, 0.99, 0.999};
        long[] out = new long[ps.length];
        int k = 0;
        long seen = 0;
        for (int b = 0; b < counts.length && k < ps.length; b++) {
            seen += counts[b];
            while (k < ps.length && seen >= rank(ps[k], total)) {
                out[k++] = Math.min(LatencyHistogram.highest(b), max);
            }
        }
        while (k < ps.length) {
            out[k++] = max;          // racy copy: max seen after the counts (cannot happen with total = sum)
        }
        return new LatencySnapshot(total, out[0], out[1], out[2], out[3], max, sum / total);
    }

    /** The 1-based rank of percentile {@code p} among {@code total} values (nearest-rank method). */
    static long rank(double p, long total) {
        return Math.max(1, (long) Math.ceil(p * total));
    }

    /** Values recorded. */
    public long getCount() {
        return count;
    }

    public long getP50() {
        return p50;
    }

    public long getP90() {
        return p90;
    }

    public long getP99() {
        return p99;
    }

    /** The 99.9th percentile. */
    public long getP999() {
        return p999;
    }

    /** The largest value recorded (exact). */
    public long getMax() {
        return max;
    }

    /** The arithmetic mean (exact up to the writer's racing updates). */
    public long getMean() {
        return mean;
    }

    @Override
    public String toString() {
        return "LatencySnapshot[count=" + count + ", p50=" + p50 + ", p90=" + p90 + ", p99=" + p99 + ", p99.9=" + p999
                + ", max=" + max + ", mean=" + mean + " ns]";
    }
}
