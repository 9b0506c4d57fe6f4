/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

/**
 * One softirq vector: {@code io.kdefer:type=Softirq,machine=<machine>,vector=<NAME>}; its /proc/softirqs row. The
 * softirq latency percentiles (all vectors) are on {@code type=Latency,primitive=softirq}.
 */
public interface SoftirqMXBean {
    String getVector();

    boolean isOpened();

    long getCount();

    long[] getCountPerCpu();

    long getFailures();
}
