/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A log-linear histogram of nanosecond values for one writer at a time, readable by any thread while it is
 * written, without stopping or slowing the writer. Values below 64 ns have a bucket each; above, each power of
 * two is split into 32 buckets (relative bucket width 1/32, about 3 %); values of 2^36 ns (about 69 s) and more
 * share the last bucket, while {@link #max} stays exact. 1024 buckets, 8 KiB.
 *
 * <h2>Writer and readers</h2>
 * <ul>
 *   <li>{@link #record} is allocation-free and lock-free: a bucket index from the value's leading zeros, then
 *       opaque stores of the bucket count, the total and the maximum. No atomic read-modify-write: one writer at
 *       a time (the owning CPU's thread, or writers serialized by a lock, such as a worker pool's).</li>
 *   <li>{@link #copy()} reads every count with getOpaque and may run concurrently with the writer. It sees
 *       each count as of some moment, not all counts as of one moment: values recorded during the copy may be
 *       in it or not. The snapshot's total is the sum of the counts it copied, so its percentiles are
 *       consistent with themselves.</li>
 * </ul>
 *
 * <p>Chosen over HdrHistogram (2.2.2): about the same record cost (HistogramBench), a twelfth of the memory of a
 * {@code SingleWriterRecorder} reader at comparable precision (three 31 KiB histograms against one 8 KiB array),
 * readers that need no lock and keep no running total, and no dependency (DESIGN §6; the figures are in the
 * README's "Observing a machine").
 */
public final class LatencyHistogram {
    /* Implementation notes
     *
     * Index: v < 64 -> v. Otherwise msb = floor(log2 v) >= 6, shift = msb - 5, and v >>> shift lies in [32, 64):
     * index = 32 * shift + (v >>> shift), which for msb = 6 starts at 64 and for each further octave continues
     * where the previous one ended (contiguous, monotonic in v). msb >= 36 goes to the last bucket (1023).
     * Bucket b >= 64 covers [m << s, ((m + 1) << s) - 1] with s = b / 32 - 1, m = b - 32 * s.
     *
     * Memory ordering: the writer's stores are opaque so a reader never sees a torn long and sees each count
     * move forward; nothing else is promised (R: statistics). Readers use the values only for display.
     */
    public static final int SUB_BITS = 6;
    public static final int SUB_COUNT = 1 << SUB_BITS;          // 64 exact buckets
    public static final int HALF = SUB_COUNT >> 1;              // 32 buckets per octave above
    public static final int MAX_BITS = 36;                      // 2^36 ns ~ 68.7 s: larger values share the last bucket
    public static final int BUCKETS = SUB_COUNT + (MAX_BITS - SUB_BITS) * HALF;   // 1024

    private final long[] counts = new long[BUCKETS];   // O(writer): opaque stores; readers getOpaque
    private long total;                                // O(writer)
    private long max;                                  // O(writer)
    private long sum;                                  // O(writer): for the mean; wraps after ~292 years of ns

    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle TOTAL;
    private static final VarHandle MAX;
    private static final VarHandle SUM;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            TOTAL = l.findVarHandle(LatencyHistogram.class, "total", long.class);
            MAX = l.findVarHandle(LatencyHistogram.class, "max", long.class);
            SUM = l.findVarHandle(LatencyHistogram.class, "sum", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Records one value in nanoseconds; negative values count as 0. Single writer (see class comment). */
    public void record(long nanos) {
        long v = Math.max(0, nanos);
        int i = index(v);
        COUNTS.setOpaque(counts, i, counts[i] + 1);      // plain read: only this writer stores
        TOTAL.setOpaque(this, total + 1);
        SUM.setOpaque(this, sum + v);
        if (v > max) {
            MAX.setOpaque(this, v);
        }
    }

    public static int index(long v) {
        if (v < SUB_COUNT) {
            return (int) v;
        }
        int msb = 63 - Long.numberOfLeadingZeros(v);
        if (msb >= MAX_BITS) {
            return BUCKETS - 1;
        }
        int shift = msb - (SUB_BITS - 1);
        return (shift << (SUB_BITS - 1)) + (int) (v >>> shift);
    }

    /** The smallest value bucket {@code b} holds. */
    public static long lowest(int b) {
        if (b < SUB_COUNT) {
            return b;
        }
        int shift = (b >> (SUB_BITS - 1)) - 1;
        long m = b - ((long) shift << (SUB_BITS - 1));
        return m << shift;
    }

    /** The largest value bucket {@code b} holds (the last bucket: unbounded). */
    public static long highest(int b) {
        if (b == BUCKETS - 1) {
            return Long.MAX_VALUE;
        }
        return lowest(b + 1) - 1;
    }

    /** Values recorded so far (racy read). */
    public long count() {
        return (long) TOTAL.getOpaque(this);
    }

    /** A copy of the counts, taken while the writer may keep recording; its total is the sum of its counts. */
    public Copy copy() {
        long[] c = new long[BUCKETS];
        long n = 0;
        for (int i = 0; i < BUCKETS; i++) {
            long x = (long) COUNTS.getOpaque(counts, i);
            c[i] = x;
            n += x;
        }
        return new Copy(c, n, (long) MAX.getOpaque(this), (long) SUM.getOpaque(this));
    }

    /** Counts copied by a reader. */
    public static final class Copy {
        public final long[] counts;    // I
        public final long total;       // I
        public final long max;         // I
        public final long sum;         // I

        Copy(long[] counts, long total, long max, long sum) {
            this.counts = counts;
            this.total = total;
            this.max = max;
            this.sum = sum;
        }
    }
}
