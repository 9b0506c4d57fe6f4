/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

/** How a machine's CPUs are driven. Both run the same code path. */
public enum Mode {
    /** Each virtual CPU runs on its own platform thread ({@code cpu/N}), on the real clock. The default. */
    THREADED,
    /**
     * No CPU threads and a virtual clock starting at 0: the caller steps the CPUs ({@code cpu.runPending()},
     * {@code machine.runUntilIdle()}, {@code machine.advance(d)}) and gets exactly reproducible interleavings of
     * atomic contexts. No NOHZ: the tick fires at every jiffy that {@code advance} crosses. Workers and IRQ
     * threads are still real threads.
     */
    MANUAL
}
