/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

/**
 * One workqueue: {@code io.kdefer:type=Workqueue,machine=<machine>,name=<workqueue>}; its wq_monitor row. Work
 * latency percentiles are per pool (CPU), on {@code type=Latency,primitive=work} and {@code work-hi}.
 */
public interface WorkqueueMXBean {
    String getName();

    String getFlags();

    int getMaxActive();

    long getTotal();

    int getInFlight();

    long getCpuTimeMillis();

    long getCpuHog();

    long getCmWakeups();

    /** -1 without MEM_RECLAIM. */
    long getMayday();

    /** -1 without MEM_RECLAIM. */
    long getRescued();

    long getFailures();

    boolean isDestroyed();
}
