/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

/**
 * A machine as JMX sees it: {@code io.kdefer:type=Machine,name=<machine name>}. Its children (same
 * {@code machine=<name>} key) are one {@link IrqMXBean} per requested line, one {@link SoftirqMXBean} per vector,
 * one {@link WorkqueueMXBean} per workqueue and one {@link LatencyMXBean} per primitive.
 */
public interface MachineMXBean {
    /** The name in the ObjectName (a second machine with the same name gets "name-2", ...). */
    String getName();

    /** RUNNING | CLOSING | DRAINING | TERMINATED. */
    String getState();

    String getMode();

    int getCpus();

    int getOnlineCpus();

    long getUptimeMillis();

    long getJiffies();

    long getSoftLockups();

    long getWorkqueueStalls();

    long getUnexpectedInterrupts();

    /** The {@code /proc/interrupts} table, as {@code machine.stats().interrupts()}. */
    String getInterrupts();

    /** The {@code /proc/softirqs} table. */
    String getSoftirqs();

    /** The wq_monitor table. */
    String getWorkqueues();

    /** The latency table, as {@code machine.stats().latency()}. */
    String getLatency();

    /** Whether latency histograms are being recorded. */
    boolean isLatencyRecording();

    /** Switches latency recording on or off (a JMX console's switch for {@code LatencyRecorder.setEnabled}). */
    void setLatencyRecording(boolean on);
}
