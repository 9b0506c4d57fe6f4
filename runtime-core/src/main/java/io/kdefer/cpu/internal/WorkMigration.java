/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu.internal;

import io.kdefer.cpu.Cpu;

/**
 * Moving one subsystem's per-CPU queued work off a CPU that went offline, the one way the runtime does it (irq_work's
 * lists, the call-single queues, tasklets' hand-over lists).
 *
 * <p>Why it is needed, and why it is correct: a producer picks a CPU, then pushes onto that CPU's lock-free list. The
 * CPU may go offline between the two (in the kernel, stop_machine cannot run there; here it can). So the producer
 * re-reads "online" after its push, and the CPU's dead hook runs after "online" was cleared: both are volatile, so
 * at least one of them sees the other and calls {@link #migrate}; each item moves once because taking a list is one
 * atomic pop-all. If the receiving CPU went offline too, the work moves on; with no CPU left that takes work (the
 * machine stopped) it is counted as a close leftover. Nothing queued is ever dropped.
 *
 * <p>A subsystem implements the four steps for its lists and keeps one instance.
 */
public abstract class WorkMigration {
    private final Cpus cpus;    // I

    protected WorkMigration(Cpus cpus) {
        this.cpus = cpus;
    }

    /** Whether {@code cpu} holds queued work of this subsystem (a racy look, before moving). */
    protected abstract boolean hasWork(Cpu cpu);

    /** Moves what {@code from} holds to {@code to}, oldest first; returns whether {@code to} must be signalled. */
    protected abstract boolean move(Cpu from, Cpu to);

    /** Makes {@code cpu} run what it received (raise its softirq, send its IPI). */
    protected abstract void signal(Cpu cpu);

    /** No CPU takes work any more: counts what {@code cpu} holds as close leftovers. */
    protected abstract void countLeftovers(Cpu cpu);

    /** Called after work queued for the offline {@code from} moved to {@code to} (for a report). */
    protected void moved(Cpu from, Cpu to) {
    }

    /**
     * Moves the work of the offline {@code dead} to {@code to} (null: none is left), and on from there while the
     * receiving CPU is offline too. Does nothing if {@code dead} is online again.
     */
    public final void migrate(Cpu dead, Cpu to) {
        Cpu from = dead;
        while (!from.isOnline()) {
            if (to == null) {
                countLeftovers(from);
                return;
            }
            if (to == from) {
                return;
            }
            boolean had = hasWork(from);
            if (move(from, to)) {
                signal(to);
            }
            if (had) {
                moved(from, to);
            }
            if (to.isOnline()) {
                return;
            }
            from = to;
            to = cpus.thisOnlineCpu();
        }
    }
}
