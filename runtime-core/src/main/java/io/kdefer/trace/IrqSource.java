/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import java.util.List;

/**
 * What an interrupt line's MXBean ({@link IrqMXBean}) reads: the runtime implements it over the line's descriptor
 * (SPI). Racy snapshots are fine, as in {@code /proc/interrupts}; calls must not block for long.
 */
public interface IrqSource {
    /** The INTID (fixed for the source's life). */
    int irq();

    /** Names of the line's actions, in registration order. */
    List<String> actions();

    /** "Level" or "Edge". */
    String trigger();

    /** Interrupts handled, per CPU (index = CPU id). */
    long[] countPerCpu();

    /** Disable depth (0 = enabled). */
    int depth();

    /** Disabled by the spurious detector ("nobody cared"). */
    boolean spuriousDisabled();

    /** Handler runs that threw (contained). */
    long failures();

    /** Thread function runs of the line's threaded actions. */
    long threadRuns();

    /** The CPU the line is routed to (-1 for a per-CPU line). */
    int affinity();
}
