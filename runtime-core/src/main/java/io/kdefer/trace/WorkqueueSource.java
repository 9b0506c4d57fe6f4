/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

/**
 * What a workqueue's MXBean ({@link WorkqueueMXBean}) reads: the wq_monitor columns (SPI). Calls may take the
 * queue's pool locks briefly (the runtime's counters live under them) but must not wait for work.
 */
public interface WorkqueueSource {
    /** The workqueue's name (fixed). */
    String name();

    /** Its flags in words, e.g. "UNBOUND | MEM_RECLAIM". */
    String flags();

    int maxActive();

    /** Items executed (wq_monitor {@code total}). */
    long executed();

    /** Items queued or running now ({@code infl}). */
    int inFlight();

    /** Run time minus recorded sleeps ({@code CPUtime}), nanoseconds. */
    long cpuTimeNanos();

    /** Items marked CPU-intensive automatically ({@code CPUhog}). */
    long cpuHog();

    /** Concurrency-management wake-ups ({@code CMW}). */
    long cmWakeups();

    /** Mayday requests sent to its rescuer; -1 without MEM_RECLAIM. */
    long mayday();

    /** Items its rescuer ran; -1 without MEM_RECLAIM. */
    long rescued();

    /** Items that threw (contained). */
    long failures();

    boolean destroyed();
}
