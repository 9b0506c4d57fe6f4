/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

/** One interrupt line: {@code io.kdefer:type=Irq,machine=<machine>,irq=<INTID>}; its /proc/interrupts row. */
public interface IrqMXBean {
    int getIrq();

    String[] getActions();

    String getTrigger();

    /** Interrupts handled on all CPUs. */
    long getCount();

    /** Interrupts handled, per CPU. */
    long[] getCountPerCpu();

    int getDepth();

    boolean isDisabled();

    boolean isSpuriousDisabled();

    long getFailures();

    long getThreadRuns();

    int getAffinity();
}
