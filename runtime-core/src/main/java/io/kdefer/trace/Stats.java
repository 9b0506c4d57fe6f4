/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import io.kdefer.cpu.Cpus;
import io.kdefer.gic.Gic;
import io.kdefer.irq.Ipi;
import io.kdefer.irq.IrqDesc;
import io.kdefer.irq.Irqs;
import io.kdefer.softirq.Softirq;
import io.kdefer.softirq.Softirqs;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * {@code /proc}-style tables of a machine's counters. The counters are racy snapshots (each is written by one CPU
 * and read without stopping it), as in the kernel.
 */
public final class Stats {
    private final Cpus cpus;            // I
    private final Irqs irqs;            // I
    private final Softirqs softirqs;    // I
    private final List<Supplier<String>> workqueueTables = new CopyOnWriteArrayList<>();
    private final LatencyRecorder latency;   // I: fed by the runtime's hooks, off until switched on

    public Stats(Cpus cpus, Irqs irqs, Softirqs softirqs) {
        this.cpus = Objects.requireNonNull(cpus, "cpus");
        this.irqs = Objects.requireNonNull(irqs, "irqs");
        this.softirqs = Objects.requireNonNull(softirqs, "softirqs");
        this.latency = new LatencyRecorder(cpus.count());
    }

    /**
     * The {@code /proc/interrupts} layout: a column per CPU; a row per requested line (count per CPU, chip,
     * hardware INTID, trigger, action names, and for threaded actions their threads {@code irq/<irq>-<name>} with
     * the number of thread function runs, which {@code ps} would show in the kernel); a row per IPI kind (CAL,
     * IWI, ...); and Err, the interrupts that arrived with no handler.
     */
    public String interrupts() {
        int n = cpus.count();
        int prec = 4;
        StringBuilder sb = new StringBuilder();
        sb.append(" ".repeat(prec + 1));
        for (int c = 0; c < n; c++) {
            sb.append(String.format(" %10s", "CPU" + c));
        }
        sb.append('\n');
        for (int irq = Gic.PPI_FIRST; irq <= Gic.SPI_LAST; irq++) {
            IrqDesc d = irqs.desc(irq);
            if (!d.hasAction()) {
                continue;
            }
            sb.append(String.format("%" + prec + "d:", irq));
            for (int c = 0; c < n; c++) {
                sb.append(String.format(" %10d", d.count(c)));
            }
            sb.append(String.format("  %-6s %4d %-6s", "GICv3", irq, d.trigger() == io.kdefer.gic.Trigger.LEVEL_HIGH
                    ? "Level" : "Edge"));
            sb.append("  ").append(String.join(", ", d.names()));
            List<String> threads = d.threadNames();
            if (!threads.isEmpty()) {
                sb.append("  [threads: ").append(String.join(", ", threads)).append("; ").append(d.threadRuns())
                        .append(" runs]");
            }
            if (d.isSpuriousDisabled()) {
                sb.append("  (disabled: nobody cared)");
            }
            sb.append('\n');
        }
        for (Ipi ipi : Ipi.values()) {
            IrqDesc d = irqs.desc(ipi.sgi());
            sb.append(String.format("%" + prec + "s:", ipi.label()));
            for (int c = 0; c < n; c++) {
                sb.append(String.format(" %10d", d.count(c)));
            }
            sb.append("  ").append(ipi.description()).append('\n');
        }
        sb.append(String.format("%" + prec + "s: %10d%n", "Err", irqs.unexpectedInterrupts()));
        return sb.toString();
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

    /** The wq_monitor table of every workqueue; empty until the machine has workqueues. */
    public String workqueues() {
        StringBuilder sb = new StringBuilder();
        for (Supplier<String> t : workqueueTables) {
            sb.append(t.get());
        }
        return sb.toString();
    }

    /** For the runtime: the workqueue subsystem registers its table here. */
    public void addWorkqueueTable(Supplier<String> table) {
        workqueueTables.add(Objects.requireNonNull(table, "table"));
    }

    /**
     * The latency table: per CPU and primitive (irq, softirq, irq_work, tasklet, timer, work), p50 p90 p99 p99.9
     * and max of queue-to-start latency and of duration, in microseconds. Recording is off by default: switch it on
     * with {@code latencyRecorder().setEnabled(true)}.
     */
    public String latency() {
        return latency.table();
    }

    /** The machine's latency histograms: the runtime feeds them; users switch recording on and off. */
    public LatencyRecorder latencyRecorder() {
        return latency;
    }
}
