/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.trace.LatencyRecorder;
import io.kdefer.trace.LatencySnapshot;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.SingleWriterRecorder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Recording one latency value: the runtime's own log-linear buckets ({@code LatencyRecorder}, single writer, opaque
 * stores) against HdrHistogram 2.2.2, the well-kept library for this.
 *
 * <ul>
 *   <li>{@code own}: {@code LatencyRecorder.record(cpu, TASKLET, -1, v)}: the volatile on/off check, the row
 *       lookup and one histogram update (1024 buckets, relative width 1/32).</li>
 *   <li>{@code hdrSingleWriter}: {@code SingleWriterRecorder.recordValue(v)}, the HdrHistogram way to let a reader
 *       take interval histograms while one thread writes (2 significant digits, 1 ns .. 60 s); its
 *       writer-reader phaser costs two atomic increments per value.</li>
 *   <li>{@code hdrRecorder}: {@code Recorder.recordValue(v)}: the multi-writer variant (a concurrent histogram).</li>
 *   <li>{@code hdrPlain}: {@code Histogram.recordValue(v)} with no reader protocol at all (not safe to read while
 *       written; the floor for HdrHistogram's arithmetic).</li>
 * </ul>
 * Values are log-uniform between 100 ns and 10 ms from a pre-filled table, so bucket choice is not predictable.
 * {@code single} is the writer alone; the {@code rw} group runs the same writer with a reader thread taking snapshots (own: {@code snapshot};
 * HdrHistogram: {@code getIntervalHistogram} added into a running total) as fast as it can: the writer's cost
 * under a concurrent reader. Expected with {@code -prof gc}: 0 B/op for every writer.
 *
 * <p>Smoke run (2 cores, JDK 17, {@code -f 1 -wi 1 -i 1 -w 200ms -r 200ms -prof gc}: indicative only), ns/op of the
 * writer: single own 7.6, hdrSingleWriter 9.0, hdrRecorder 12.6, hdrPlain 5.0; rw writer own 14.0, hdrSingleWriter
 * 10.5 (reader per snapshot: own 7 us, hdrSingleWriter 887 us); every writer 0 B/op. Memory per histogram at these
 * settings: own 8 KiB; HdrHistogram 31 232 B per {@code Histogram}, three of them behind a recorder's reader.
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar HistogramBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Group)
public class HistogramBench {
    static final long HIGHEST = TimeUnit.SECONDS.toNanos(60);
    static final int VALUES = 1 << 12;

    @Param({"own", "hdrSingleWriter", "hdrRecorder", "hdrPlain"})
    public String impl;

    private final long[] values = new long[VALUES];
    private int next;                                  // writer only
    private LatencyRecorder own;
    private SingleWriterRecorder single;
    private Recorder multi;
    private Histogram plain;
    private Histogram total;                           // reader only
    private Histogram recycle;                         // reader only

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom r = new SplittableRandom(7);
        double lo = Math.log(100);
        double hi = Math.log(10_000_000);
        for (int i = 0; i < VALUES; i++) {
            values[i] = (long) Math.exp(lo + r.nextDouble() * (hi - lo));
        }
        own = new LatencyRecorder(1);
        own.setEnabled(true);
        single = new SingleWriterRecorder(1, HIGHEST, 2);
        multi = new Recorder(1, HIGHEST, 2);
        plain = new Histogram(1, HIGHEST, 2);
        total = new Histogram(1, HIGHEST, 2);
    }

    private long value() {
        return values[next++ & (VALUES - 1)];
    }

    private void write() {
        long v = value();
        switch (impl) {
            case "own":
                own.record(0, LatencyRecorder.Primitive.TASKLET, -1, v);
                break;
            case "hdrSingleWriter":
                single.recordValue(Math.min(v, HIGHEST));
                break;
            case "hdrRecorder":
                multi.recordValue(Math.min(v, HIGHEST));
                break;
            default:
                plain.recordValue(Math.min(v, HIGHEST));
        }
    }

    @Benchmark
    @Group("single")
    @GroupThreads(1)
    public void record() {
        write();
    }

    @Benchmark
    @Group("rw")
    @GroupThreads(1)
    public void rwWriter() {
        write();
    }

    @Benchmark
    @Group("rw")
    @GroupThreads(1)
    public long rwReader() {
        switch (impl) {
            case "own": {
                LatencySnapshot s = own.snapshot(0, LatencyRecorder.Primitive.TASKLET, false);
                return s.getP99();
            }
            case "hdrSingleWriter":
                recycle = single.getIntervalHistogram(recycle);
                total.add(recycle);
                return total.getValueAtPercentile(99);
            case "hdrRecorder":
                recycle = multi.getIntervalHistogram(recycle);
                total.add(recycle);
                return total.getValueAtPercentile(99);
            default:
                return 0;                                // no reader protocol: a plain histogram is written alone
        }
    }
}
