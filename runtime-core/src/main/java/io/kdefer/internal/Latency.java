/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

/**
 * A machine's latency histograms, the recording side (not API: {@code io.kdefer.trace.LatencyRecorder} is the
 * switch and the reader): for each CPU and primitive, the queue-to-start latency and the run duration, recorded
 * allocation-free by the thread that runs the item. Off by default. Owned by the machine's {@link Kernel}, so every
 * layer's hook reaches it without importing {@code io.kdefer.trace}.
 *
 * <h2>Rows and their writers</h2>
 * <pre>
 *   primitive     queue->start                         duration            single writer of the row
 *   IRQ           (not measured)                       primary handler     the CPU's executing thread
 *   SOFTIRQ       raise (0 -&gt; 1 of the bit) -&gt; start  action              the CPU's executing thread
 *   IRQ_WORK      queue() -&gt; callback start            callback            the CPU's executing thread
 *   TASKLET       schedule() -&gt; callback start         callback            the CPU's executing thread
 *   TIMER         expiry -&gt; callback start ("late")    callback            the CPU's executing thread
 *   WORK          queue -&gt; function start              function            the pool's workers, under pool.lock
 *   WORK_HIGHPRI  as WORK, for the highpri pools         function            the pool's workers, under pool.lock
 * </pre>
 * CPU -1 is the unbound pools' row. Times are {@code System.nanoTime()}, except TIMER's queue column: lateness on
 * the machine clock (virtual in MANUAL mode).
 *
 * <h2>Hot path</h2>
 * <pre>{@code
 *   long t0 = latency.start();                    // one volatile read when off; System.nanoTime() when on
 *   ... run the item ...
 *   latency.end(cpu, Latency.TASKLET, queuedAt, t0);    // returns at once for t0 == 0
 * }</pre>
 * With recording on, {@code end} reads the clock once and updates two histograms: no allocation, no lock, no atomic
 * read-modify-write ({@link LatencyHistogram}).
 *
 * <h2>Switching</h2>
 * The histograms are allocated when recording is first switched on (16 KiB per CPU and primitive), before the flag
 * is published, so the hot path never allocates. Switching off keeps what was recorded; a run that started while
 * recording was on still records its end.
 */
public final class Latency {
    public static final int IRQ = 0;
    public static final int SOFTIRQ = 1;
    public static final int IRQ_WORK = 2;
    public static final int TASKLET = 3;
    public static final int TIMER = 4;
    public static final int WORK = 5;
    public static final int WORK_HIGHPRI = 6;
    /** Number of primitives. */
    public static final int PRIMITIVES = 7;

    private final int cpus;                       // I
    private volatile Row[][] rows;                // A: written once by the first setEnabled(true), before enabled
    private volatile boolean enabled;             // A: the hot path's switch

    /** The queue and duration histograms of one CPU and primitive. */
    private static final class Row {
        final LatencyHistogram queue = new LatencyHistogram();      // O(the row's writer)
        final LatencyHistogram duration = new LatencyHistogram();   // O(the row's writer)
    }

    /** Histograms for a machine of {@code cpus} CPUs (plus the unbound row); nothing is allocated until enabled. */
    public Latency(int cpus) {
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
                    Row[][] r = new Row[cpus + 1][PRIMITIVES];
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

    /**
     * The queue-side stamp of an item whose run event is tracepoint {@code tracepoint}: {@code System.nanoTime()}
     * (never 0) if that event or this machine's recording is on, else 0 (see {@link Tracepoints}).
     */
    public long stamp(int tracepoint) {
        if (!Tracepoints.on(tracepoint) && !enabled) {
            return 0;
        }
        return now();
    }

    /** The run side's start stamp: {@code System.nanoTime()} (never 0) when recording is on, else 0. */
    public long start() {
        return enabled ? now() : 0;
    }

    private static long now() {
        long t = System.nanoTime();
        return t == 0 ? 1 : t;
    }

    /**
     * The end of a run that began with {@code t0 = start()}: records the duration {@code now - t0} and, if
     * {@code queuedAt != 0}, the queue latency {@code t0 - queuedAt}. Returns at once for {@code t0 == 0}. Called by
     * the row's single writer.
     */
    public void end(int cpu, int primitive, long queuedAt, long t0) {
        if (t0 == 0) {
            return;
        }
        long now = System.nanoTime();
        Row r = row(cpu, primitive);
        if (queuedAt != 0) {
            r.queue.record(t0 - queuedAt);
        }
        r.duration.record(now - t0);
    }

    /**
     * Records explicit values (rows whose queue latency is not {@code t0 - queuedAt}: TIMER's lateness, WORK's
     * clock reads that the worker makes anyway); {@code queueNanos < 0} records no queue value. No effect while
     * recording is off. Single writer.
     */
    public void record(int cpu, int primitive, long queueNanos, long durationNanos) {
        if (!enabled) {
            return;
        }
        Row r = row(cpu, primitive);
        if (queueNanos >= 0) {
            r.queue.record(queueNanos);
        }
        r.duration.record(durationNanos);
    }

    private Row row(int cpu, int primitive) {
        return rows[cpu < 0 ? cpus : cpu][primitive];
    }

    /**
     * Reader side: the histogram of one row ({@code queue} or duration), or null before recording was first on.
     *
     * @throws IllegalArgumentException for a CPU outside -1..cpus-1 or an unknown primitive
     */
    public LatencyHistogram histogram(int cpu, int primitive, boolean queue) {
        if (cpu < -1 || cpu >= cpus) {
            throw new IllegalArgumentException("no cpu " + cpu + " (0.." + (cpus - 1) + ", or -1 for unbound)");
        }
        if (primitive < 0 || primitive >= PRIMITIVES) {
            throw new IllegalArgumentException("no latency primitive " + primitive);
        }
        Row[][] r = rows;
        if (r == null) {
            return null;
        }
        Row row = r[cpu < 0 ? cpus : cpu][primitive];
        return queue ? row.queue : row.duration;
    }

    @Override
    public String toString() {
        return "Latency[" + cpus + " CPUs, " + (enabled ? "on" : "off") + "]";
    }
}
