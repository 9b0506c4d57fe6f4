/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.internal.Latency;
import io.kdefer.internal.Tracepoints;
import io.kdefer.trace.LatencyRecorder;
import io.kdefer.trace.Trace;
import jdk.jfr.Recording;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * What a tracepoint costs on a hot path: the runtime's tracepoints ({@code io.kdefer.internal.Tracepoints}, with
 * the JFR events of {@code io.kdefer.trace} behind them) and the latency recorder, against an empty call with the
 * same arguments.
 *
 * <ul>
 *   <li>{@code empty}: a static method with the same arguments that does nothing (the floor).</li>
 *   <li>{@code durationEvent}: {@code taskletEnd(taskletBegin(q), ...)}, the begin/end pair of a duration event.</li>
 *   <li>{@code instantEvent}: {@code Tracepoints.ipi(...)}, one instant event.</li>
 *   <li>{@code queueStamp}: the queue-side stamp ({@code Latency.stamp(TASKLET)}).</li>
 *   <li>{@code latency}: {@code latency.end(cpu, TASKLET, q, latency.start())}, a latency sample.</li>
 * </ul>
 * {@code jfr}: {@code none} (no recording in the JVM: JFR not even initialized), {@code other} (a recording runs
 * but does not enable kdefer events: JFR is up, the event types are resolved and off), {@code on} (a recording
 * with every kdefer event on at threshold 0: the enabled cost per event, including the commit into JFR's
 * thread-local buffer). {@code latency}: recording off or on. Expected with {@code -prof gc}: 0 B/op for every
 * benchmark except the {@code on} events (one event object each).
 *
 * <p>Smoke run (2 cores, JDK 17, {@code -f 1 -wi 1 -i 1 -w 200ms -r 200ms -prof gc}: indicative only): empty
 * 2.5-2.9 ns; durationEvent none 0.6 ns, other 2.2 ns, on 175 ns and 56 B; instantEvent none 0.6, other 1.0, on
 * 78-103 ns; latency off 0.7-0.9 ns, on 55-61 ns (two clock reads of ~25 ns each on that box). 0 B/op everywhere
 * but the recorded events.
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar TraceBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class TraceBench {
    @Param({"none", "other", "on"})
    public String jfr;

    @Param({"off", "on"})
    public String latency;

    private Recording recording;
    private LatencyRecorder recorder;
    private Latency stamps;
    private final Runnable fn = () -> { };
    private long queuedAt;

    @Setup(Level.Trial)
    public void setUp() {
        Trace.init();
        recorder = new LatencyRecorder(1);
        recorder.setEnabled(latency.equals("on"));
        stamps = new Latency(1);
        stamps.setEnabled(latency.equals("on"));
        switch (jfr) {
            case "none":
                break;
            case "other":
                recording = new Recording();
                recording.enable("jdk.CPULoad");
                recording.start();
                break;
            case "on":
                recording = new Recording();
                for (Class<?> c : Trace.eventClasses()) {
                    recording.enable(c.getAnnotation(jdk.jfr.Name.class).value()).withThreshold(java.time.Duration.ZERO)
                            .withoutStackTrace();
                }
                recording.setToDisk(false);         // memory ring buffer: measure the commit, not the disk
                recording.start();
                break;
            default:
                throw new IllegalArgumentException(jfr);
        }
        queuedAt = System.nanoTime();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (recording != null) {
            recording.close();
        }
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    private static void nothing(Object e, String machine, int cpu, boolean hi, Object fn) {
    }

    @Benchmark
    public void empty() {
        nothing(null, "m", 0, false, fn);
    }

    @Benchmark
    public void durationEvent() {
        Tracepoints.taskletEnd(Tracepoints.taskletBegin(queuedAt), "m", 0, false, fn);
    }

    @Benchmark
    public void instantEvent() {
        Tracepoints.ipi("m", "CALL_FUNC", true, 0, 1);
    }

    @Benchmark
    public long queueStamp() {
        return stamps.stamp(Tracepoints.TASKLET);
    }

    @Benchmark
    public void latency() {
        recorder.end(0, LatencyRecorder.Primitive.TASKLET, queuedAt, recorder.start());
    }
}
