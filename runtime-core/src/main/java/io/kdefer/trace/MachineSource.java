/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

/**
 * What the machine MXBean ({@link MachineMXBean}) reads from a machine: the runtime implements it over its
 * internals (SPI, not for applications). Every method may be called from any thread at any time, also after the
 * machine closed, and must not block for long (JMX clients call it on their own threads).
 */
public interface MachineSource {
    /** The machine's name (the {@code name} key of its ObjectName before any de-duplication). */
    String name();

    /** BOOTING | RUNNING | CLOSING | DRAINING | TERMINATED. */
    String state();

    /** THREADED | MANUAL. */
    String mode();

    int cpuCount();

    int onlineCpus();

    /** Time since boot on the machine clock (virtual in MANUAL mode). */
    long uptimeNanos();

    long jiffies();

    /** Soft lockups the watchdog reported. */
    long softLockups();

    /** Workqueue stalls the watchdog reported. */
    long workqueueStalls();

    /** Interrupts that arrived with no handler (the Err row). */
    long unexpectedInterrupts();

    /** The {@code /proc/interrupts} table. */
    String interruptsTable();

    /** The {@code /proc/softirqs} table. */
    String softirqsTable();

    /** The wq_monitor table. */
    String workqueuesTable();
}
