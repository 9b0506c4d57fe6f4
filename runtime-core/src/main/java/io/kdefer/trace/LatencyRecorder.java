/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import java.util.Locale;

/**
 * A machine's latency histograms: for each CPU and primitive, queue-to-start latency and run duration, recorded
 * allocation-free by the thread that runs the item and read at any time by {@link Stats#latency()} and the MXBeans.
 * Off by default; {@link #setEnabled} switches it at run time.
 *
 * <h2>Rows and their writers</h2>
 * <pre>
 *   primitive     queue->start                         duration            single writer of the row
 *   IRQ           (not measured: 0 values)             primary handler     the CPU's executing thread
 *   SOFTIRQ       raise -> action start                action              the CPU's executing thread
 *   IRQ_WORK      queue() -> callback start            callback            the CPU's executing thread
 *   TASKLET       schedule() -> callback start         callback            the CPU's executing thread
 *   TIMER         expiry -> callback start ("late")    callback            the CPU's executing thread
 *   WORK          queue() -> function start            function            the pool's workers, under pool.lock
 *   WORK_HIGHPRI  as WORK, for the CPU's highpri pool  function            the pool's workers, under pool.lock
 * </pre>
 * CPU index -1 is the unbound pools' row ("unbound"). Queue latency and duration are real time
 * ({@code System.nanoTime()}), except TIMER's queue column, which is lateness on the machine clock (virtual time in
 * MANUAL mode).
 *
 * <h2>Hot path</h2>
 * <pre>{@code
 *   long t0 = latency.start();                 // one volatile read when off; System.nanoTime() when on
 *   ... run the item ...
 *   latency.end(cpu, Primitive.TASKLET, queuedAt, t0);    // returns at once for t0 == 0
 * }</pre>
 * With recording on, {@code end} reads the clock once and updates two histograms: no allocation, no lock, no atomic
 * read-modify-write (see {@link LatencyHistogram}).
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

    private final int cpus;                       // I
    private volatile Row[][] rows;                // A: written once by the first setEnabled(true), before enabled
    private volatile boolean enabled;             // A: the hot path's switch

    /** The queue and duration histograms of one CPU and primitive. */
    private static final class Row {
        final LatencyHistogram queue = new LatencyHistogram();      // O(the row's writer)
        final LatencyHistogram duration = new LatencyHistogram();   // O(the row's writer)
    }

    /** A recorder for a machine of {@code cpus} CPUs (plus the unbound row); nothing is allocated until enabled. */
    public LatencyRecorder(int cpus) {
        if (cpus < 1) {
            throw new IllegalArgumentException("cpus must be >= 1: " + cpus);
        }
        this.cpus = cpus;
    }

    /** Switches recording on or off; the first switch on allocates the histograms. */
    public void setEnabled(boolean on) {
        if (on && rows == null) {
            synchronized (this) {
                if (rows == null) {
                    Row[][] r = new Row[cpus + 1][PRIMITIVES.length];
                    for (Row[] perCpu : r) {
                        for (int p = 0; p < perCpu.length; p++) {
                            perCpu[p] = new Row();
                        }
                    }
                    rows = r;                       // published before enabled (both volatile)
                }
            }
        }
        enabled = on;
    }

    public boolean isEnabled() {
        return enabled;
    }

    /** Number of CPUs (rows 0..cpus-1; -1 is the unbound row). */
    public int cpus() {
        return cpus;
    }

    /** The run side's start stamp: {@code System.nanoTime()} (never 0) when recording is on, else 0. */
    public long start() {
        if (!enabled) {
            return 0;
        }
        long t = System.nanoTime();
        return t == 0 ? 1 : t;
    }

    /**
     * The end of a run that began with {@code t0 = start()}: records the duration {@code now - t0} and, if
     * {@code queuedAt != 0}, the queue latency {@code t0 - queuedAt}. Returns at once for {@code t0 == 0}.
     * Called by the row's single writer.
     */
    public void end(int cpu, Primitive p, long queuedAt, long t0) {
        if (t0 == 0) {
            return;
        }
        long now = System.nanoTime();
        Row r = row(cpu, p);
        if (queuedAt != 0) {
            r.queue.record(t0 - queuedAt);
        }
        r.duration.record(now - t0);
    }

    /**
     * Records explicit values (for rows whose queue latency is not {@code t0 - queuedAt}, such as TIMER's
     * lateness); {@code queueNanos < 0} records no queue value. No effect while recording is off. Single writer.
     */
    public void record(int cpu, Primitive p, long queueNanos, long durationNanos) {
        if (!enabled) {
            return;
        }
        Row r = row(cpu, p);
        if (queueNanos >= 0) {
            r.queue.record(queueNanos);
        }
        r.duration.record(durationNanos);
    }

    private Row row(int cpu, Primitive p) {
        return rows[cpu < 0 ? cpus : cpu][p.ordinal()];
    }

    /** Percentiles of one row's queue latency ({@code queue}) or duration; empty before recording was first on. */
    public LatencySnapshot snapshot(int cpu, Primitive p, boolean queue) {
        if (cpu < -1 || cpu >= cpus) {
            throw new IllegalArgumentException("no cpu " + cpu + " (0.." + (cpus - 1) + ", or -1 for unbound)");
        }
        Row[][] r = rows;
        if (r == null) {
            return LatencySnapshot.empty();
        }
        Row row = r[cpu < 0 ? cpus : cpu][p.ordinal()];
        return (queue ? row.queue : row.duration).snapshot();
    }

    /**
     * A primitive over every CPU (and the unbound row): the percentiles of the merged histograms. Reader side:
     * allocates.
     */
    public LatencySnapshot total(Primitive p, boolean queue) {
        Row[][] r = rows;
        if (r == null) {
            return LatencySnapshot.empty();
        }
        long[] merged = new long[LatencyHistogram.BUCKETS];
        long n = 0;
        long max = 0;
        long sum = 0;
        for (Row[] perCpu : r) {
            LatencyHistogram h = queue ? perCpu[p.ordinal()].queue : perCpu[p.ordinal()].duration;
            LatencyHistogram.Copy c = h.copy();
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
        Row[][] r = rows;
        if (!enabled) {
            sb.append("latency recording is off");
            if (r == null) {
                sb.append(" (switch it on with stats().latencyRecorder().setEnabled(true))\n");
                return sb.toString();
            }
            sb.append("; values recorded while it was on:\n");
        }
        sb.append(String.format(Locale.ROOT, "%-8s %-8s %10s | %-49s | %s%n", "", "", "", "queue->start (us)",
                "duration (us)"));
        sb.append(String.format(Locale.ROOT, "%-8s %-8s %10s | %s | %s%n", "cpu", "prim", "count", HEADS, HEADS));
        if (r == null) {
            return sb.toString();
        }
        for (int c = 0; c <= cpus; c++) {
            for (Primitive p : PRIMITIVES) {
                LatencySnapshot d = r[c][p.ordinal()].duration.snapshot();
                if (d.getCount() == 0) {
                    continue;
                }
                LatencySnapshot q = r[c][p.ordinal()].queue.snapshot();
                sb.append(String.format(Locale.ROOT, "%-8s %-8s %10d | %s | %s%n", c == cpus ? "unbound" : "cpu" + c,
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
        return "LatencyRecorder[" + cpus + " CPUs, " + (enabled ? "on" : "off") + "]";
    }

    /** For tests: the histogram of one row. */
    LatencyHistogram histogram(int cpu, Primitive p, boolean queue) {
        Row row = row(cpu, p);
        return queue ? row.queue : row.duration;
    }
}
