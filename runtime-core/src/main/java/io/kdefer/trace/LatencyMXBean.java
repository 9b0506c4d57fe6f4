/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import java.util.List;

/**
 * The latency percentiles of one primitive: {@code io.kdefer:type=Latency,machine=<machine>,primitive=<label>}
 * (irq, softirq, irq_work, tasklet, timer, work, work-hi). Values in nanoseconds; all 0 while nothing was recorded
 * (recording is off by default: {@link MachineMXBean#setLatencyRecording}).
 */
public interface LatencyMXBean {
    String getPrimitive();

    /** Queue-to-start latency over all CPUs. */
    LatencySnapshot getQueue();

    /** Run duration over all CPUs. */
    LatencySnapshot getDuration();

    /** Per CPU (and "unbound"): rows with something recorded. */
    List<LatencyRow> getPerCpu();

    /** One CPU's percentiles (an open-type row of {@link #getPerCpu()}). */
    final class LatencyRow {
        private final String cpu;                  // I
        private final LatencySnapshot queue;       // I
        private final LatencySnapshot duration;    // I

        @javax.management.ConstructorParameters({"cpu", "queue", "duration"})
        public LatencyRow(String cpu, LatencySnapshot queue, LatencySnapshot duration) {
            this.cpu = cpu;
            this.queue = queue;
            this.duration = duration;
        }

        /** "cpu0", ..., or "unbound". */
        public String getCpu() {
            return cpu;
        }

        public LatencySnapshot getQueue() {
            return queue;
        }

        public LatencySnapshot getDuration() {
            return duration;
        }
    }
}
