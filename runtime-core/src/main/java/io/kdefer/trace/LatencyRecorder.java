/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import io.kdefer.internal.Latency;
import io.kdefer.internal.LatencyHistogram;

import java.util.Locale;

/**
 * A machine's latency histograms: for each CPU and primitive, queue-to-start latency and run duration, recorded
 * allocation-free by the thread that runs the item and read at any time by {@link Stats#latency()} and the MXBeans.
 * Off by default ({@code MachineConfig.Builder.latencyHistograms}); {@link #setEnabled} switches it at run time.
 *
 * <h2>Rows and their writers</h2>
 * <pre>
 *   primitive     queue->start                         duration            single writer of the row
 *   IRQ           (not measured: "-")                  primary handler     the CPU's executing thread
 *   SOFTIRQ       raise -> action start                action              the CPU's executing thread
 *   IRQ_WORK      queue() -> callback start            callback            the CPU's executing thread
 *   TASKLET       schedule() -> callback start         callback            the CPU's executing thread
 *   TIMER         expiry -> callback start ("late")    callback            the CPU's executing thread
 *   WORK          queue() -> function start            function            the pool's workers, under pool.lock
 *   WORK_HIGHPRI  as WORK, for the highpri pools       function            the pool's workers, under pool.lock
 * </pre>
 * CPU index -1 is the unbound pools' row ("unbound"). Queue latency and duration are real time
 * ({@code System.nanoTime()}), except TIMER's queue column, which is lateness on the machine clock (virtual time in
 * MANUAL mode). A work item's duration is wall time, its sleeps included.
 *
 * <h2>Hot path</h2>
 * The runtime's hooks record through the recording side of this class ({@code io.kdefer.internal.Latency}, which
 * every layer reaches): when off, one volatile read per item; when on, two clock reads and two histogram updates, no
 * allocation, no lock, no atomic read-modify-write. {@link #start()}, {@link #end} and {@link #record} are the same
 * operations, for benchmarks and tests.
 *
 * <h2>Switching</h2>
 * The histograms are allocated when recording is first switched on (about 16 KiB per CPU and primitive), before
 * the flag is published, so the hot path never allocates. Switching off keeps what was recorded; a run that
 * started while recording was on still records its end.
 */
public final class LatencyRecorder {
    /** The primitives with a latency row. */
    public enum Primitive {
        IRQ("irq"),
        SOFTIRQ("softirq"),
        IRQ_WORK("irq_work"),
        TASKLET("tasklet"),
        TIMER("timer"),
        WORK("work"),
        WORK_HIGHPRI("work-hi");

        private final String label;

        Primitive(String label) {
            this.label = label;
        }

        /** The row label in {@link LatencyRecorder#table()} and the MXBean key property. */
        public String label() {
            return label;
        }
    }

    private static final Primitive[] PRIMITIVES = Primitive.values();

    private final Latency latency;                // I: the recording side (the machine's, or a standalone one)

    /** A standalone recorder for {@code cpus} CPUs (plus the unbound row), for benchmarks and tests. */
    public LatencyRecorder(int cpus) {
        this(new Latency(cpus));
    }

    /** The reader and switch of a machine's histograms. */
    LatencyRecorder(Latency latency) {
        this.latency = latency;
    }

    /** Switches recording on or off; the first switch on allocates the histograms. */
    public void setEnabled(boolean on) {
        latency.setEnabled(on);
    }

    public boolean isEnabled() {
        return latency.isEnabled();
    }

    /** Number of CPUs (rows 0..cpus-1; -1 is the unbound row). */
    public int cpus() {
        return latency.cpus();
    }

    /** The run side's start stamp: {@code System.nanoTime()} (never 0) when recording is on, else 0. */
    public long start() {
        return latency.start();
    }

    /**
     * The end of a run that began with {@code t0 = start()}: records the duration {@code now - t0} and, if
     * {@code queuedAt != 0}, the queue latency {@code t0 - queuedAt}. Returns at once for {@code t0 == 0}.
     * Called by the row's single writer.
     */
    public void end(int cpu, Primitive p, long queuedAt, long t0) {
        latency.end(cpu, p.ordinal(), queuedAt, t0);
    }

    /**
     * Records explicit values (for rows whose queue latency is not {@code t0 - queuedAt}, such as TIMER's
     * lateness); {@code queueNanos < 0} records no queue value. No effect while recording is off. Single writer.
     */
    public void record(int cpu, Primitive p, long queueNanos, long durationNanos) {
        latency.record(cpu, p.ordinal(), queueNanos, durationNanos);
    }

    /** Percentiles of one row's queue latency ({@code queue}) or duration; empty before recording was first on. */
    public LatencySnapshot snapshot(int cpu, Primitive p, boolean queue) {
        return snapshot(latency.histogram(cpu, p.ordinal(), queue));
    }

    private static LatencySnapshot snapshot(LatencyHistogram h) {
        return LatencySnapshot.of(h);
    }

    /**
     * A primitive over every CPU (and the unbound row): the percentiles of the merged histograms. Reader side:
     * allocates.
     */
    public LatencySnapshot total(Primitive p, boolean queue) {
        if (latency.histogram(0, p.ordinal(), queue) == null) {
            return LatencySnapshot.empty();
        }
        long[] merged = new long[LatencyHistogram.BUCKETS];
        long n = 0;
        long max = 0;
        long sum = 0;
        for (int cpu = -1; cpu < latency.cpus(); cpu++) {
            LatencyHistogram.Copy c = latency.histogram(cpu, p.ordinal(), queue).copy();
            for (int i = 0; i < merged.length; i++) {
                merged[i] += c.counts[i];
            }
            n += c.total;
            max = Math.max(max, c.max);
            sum += c.sum;
        }
        return LatencySnapshot.of(merged, n, max, sum);
    }

    /**
     * The latency table: one row per CPU and primitive that recorded something, columns p50 p90 p99 p99.9 max of
     * queue-to-start latency and of duration, in microseconds. Says so when recording is off.
     */
    public String table() {
        StringBuilder sb = new StringBuilder();
        boolean recorded = latency.histogram(0, 0, false) != null;
        if (!latency.isEnabled()) {
            sb.append("latency recording is off");
            if (!recorded) {
                sb.append(" (switch it on with stats().latencyRecorder().setEnabled(true))\n");
                return sb.toString();
            }
            sb.append("; values recorded while it was on:\n");
        }
        sb.append(String.format(Locale.ROOT, "%-8s %-8s %10s | %-49s | %s%n", "", "", "", "queue->start (us)",
                "duration (us)"));
        sb.append(String.format(Locale.ROOT, "%-8s %-8s %10s | %s | %s%n", "cpu", "prim", "count", HEADS, HEADS));
        if (!recorded) {
            return sb.toString();
        }
        int cpus = latency.cpus();
        for (int c = 0; c <= cpus; c++) {
            int cpu = c == cpus ? -1 : c;
            for (Primitive p : PRIMITIVES) {
                LatencySnapshot d = snapshot(cpu, p, false);
                if (d.getCount() == 0) {
                    continue;
                }
                LatencySnapshot q = snapshot(cpu, p, true);
                sb.append(String.format(Locale.ROOT, "%-8s %-8s %10d | %s | %s%n", cpu < 0 ? "unbound" : "cpu" + c,
                        p.label(), d.getCount(), columns(q), columns(d)));
            }
        }
        return sb.toString();
    }

    private static final String HEADS =
            String.format(Locale.ROOT, "%9s %9s %9s %9s %9s", "p50", "p90", "p99", "p99.9", "max");

    private static String columns(LatencySnapshot s) {
        if (s.getCount() == 0) {
            return String.format(Locale.ROOT, "%9s %9s %9s %9s %9s", "-", "-", "-", "-", "-");
        }
        return String.format(Locale.ROOT, "%9s %9s %9s %9s %9s", micros(s.getP50()), micros(s.getP90()),
                micros(s.getP99()), micros(s.getP999()), micros(s.getMax()));
    }

    static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1000.0);
    }

    @Override
    public String toString() {
        return "LatencyRecorder[" + latency.cpus() + " CPUs, " + (latency.isEnabled() ? "on" : "off") + "]";
    }

    /** For tests: the histogram of one row. */
    LatencyHistogram histogram(int cpu, Primitive p, boolean queue) {
        return latency.histogram(cpu, p.ordinal(), queue);
    }
}
