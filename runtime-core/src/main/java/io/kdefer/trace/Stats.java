/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Access;
import io.kdefer.internal.Kernel;
import io.kdefer.irq.Irqs;
import io.kdefer.softirq.Softirq;
import io.kdefer.softirq.Softirqs;
import io.kdefer.workqueue.Workqueues;

/**
 * {@code /proc}-style tables of a machine's counters. The counters are racy snapshots (each is written by one CPU
 * and read without stopping it), as in the kernel.
 */
public final class Stats {
    static {
        Access.register(Stats.class, Stats::install);
    }

    private final Cpus cpus;               // I
    private final Irqs irqs;               // I
    private final Softirqs softirqs;       // I
    private final Workqueues workqueues;   // I

    /** The statistics' installer ({@code Access}): reads the other subsystems, so it is installed last. */
    static void install(Kernel k) {
        k.put(Stats.class, new Stats(k.get(Cpus.class), k.get(Irqs.class), k.get(Softirqs.class),
                k.get(Workqueues.class)));
    }

    private Stats(Cpus cpus, Irqs irqs, Softirqs softirqs, Workqueues workqueues) {
        this.cpus = cpus;
        this.irqs = irqs;
        this.softirqs = softirqs;
        this.workqueues = workqueues;
    }

    /**
     * The {@code /proc/interrupts} layout: a column per CPU; a row per requested line (count per CPU, chip,
     * hardware number, trigger, action names, and for threaded actions their threads {@code irq/<irq>-<name>} with
     * the number of thread function runs, which {@code ps} would show in the kernel); a row per IPI kind (CAL,
     * IWI, ...); and Err, the interrupts that arrived with no handler (genirq renders it: kernel/irq/proc.c).
     */
    public String interrupts() {
        return irqs.procInterrupts();
    }

    /**
     * The {@code /proc/softirqs} layout: a row per vector, a column per CPU; plus the per-CPU count of drains that
     * ran out of budget and deferred to ksoftirqd (softnet_stat's "squeeze" column).
     */
    public String softirqs() {
        int n = cpus.count();
        StringBuilder sb = new StringBuilder();
        sb.append(" ".repeat(13));
        for (int c = 0; c < n; c++) {
            sb.append(String.format(" %10s", "CPU" + c));
        }
        sb.append('\n');
        for (Softirq v : Softirq.values()) {
            sb.append(String.format("%12s:", v.name()));
            for (int c = 0; c < n; c++) {
                sb.append(String.format(" %10d", softirqs.count(c, v)));
            }
            sb.append('\n');
        }
        sb.append(String.format("%12s:", "ksoftirqd"));
        for (int c = 0; c < n; c++) {
            sb.append(String.format(" %10d", softirqs.deferrals(c)));
        }
        sb.append("  (drains deferred to ksoftirqd)\n");
        return sb.toString();
    }

    /** The wq_monitor table of every workqueue (the kernel's tools/workqueue/wq_monitor.py columns). */
    public String workqueues() {
        return workqueues.table();
    }
}
