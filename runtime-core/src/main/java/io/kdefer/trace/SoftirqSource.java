/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

/** What a softirq vector's MXBean ({@link SoftirqMXBean}) reads (SPI; racy snapshots, never blocks). */
public interface SoftirqSource {
    /** The vector's name: HI, TIMER, NET_TX, ... (fixed). */
    String vector();

    /** Times its action ran, per CPU (the {@code /proc/softirqs} row). */
    long[] countPerCpu();

    /** Whether an action is installed. */
    boolean opened();

    /** Times its action threw (contained). */
    long failures();
}
