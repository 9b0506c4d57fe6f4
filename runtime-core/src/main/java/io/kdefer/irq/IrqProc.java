/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.irq.internal.GenIrq;

import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The {@code /proc/interrupts} view (kernel: kernel/irq/proc.c, show_interrupts): a column per CPU; a row per line
 * with an action (count per CPU, chip, hardware number, trigger, action names, and for threaded actions their threads
 * {@code irq/<irq>-<name>} with the number of thread function runs, which {@code ps} would show in the kernel); then
 * the rows the platform and subsystems add (the IPI kinds: kernel arch_show_interrupts); then Err, the interrupts
 * that arrived with no descriptor or no handler (unless the platform prints its own error rows: x86's ERR and MIS).
 * A chip may render its lines' chip column itself ({@code IrqChip.procName}: x86's "IO-APIC-edge"). Counters are
 * racy snapshots, as in the kernel.
 */
final class IrqProc {
    static final int LABEL_WIDTH = 4;

    private IrqProc() {
    }

    static String show(IrqTable table) {
        int n = table.cpuCount();
        StringBuilder sb = new StringBuilder();
        sb.append(" ".repeat(LABEL_WIDTH + 1));
        for (int c = 0; c < n; c++) {
            sb.append(String.format(" %10s", "CPU" + c));
        }
        sb.append('\n');
        for (IrqDesc d : table.all()) {
            if (d.hidden || !d.hasAction()) {
                continue;
            }
            sb.append(String.format("%" + LABEL_WIDTH + "d:", d.irq));
            for (int c = 0; c < n; c++) {
                sb.append(String.format(" %10d", d.count(c)));
            }
            String label = d.chip().procName(d.data, d.flow.name().toLowerCase(Locale.ROOT));
            if (label != null) {
                sb.append(String.format("  %-17s", label));      // x86: chip and handler, "IO-APIC-edge"
            } else {
                sb.append(String.format("  %-6s %4d %-6s", d.chipName(), d.hwirq(), d.typeName()));
            }
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
        for (GenIrq.ProcRows rows : table.procRows()) {
            rows.show(sb, LABEL_WIDTH);
        }
        if (table.showsErrRow()) {
            sb.append(String.format("%" + LABEL_WIDTH + "s: %10d%n", "Err", table.unexpected()));
        }
        return sb.toString();
    }

    /**
     * The affinity files of /proc/irq/N/ for every line with an action, one row each: smp_affinity (hex),
     * smp_affinity_list, effective_affinity_list, whether the balancer may move the line, the actions.
     */
    static String showAffinity(IrqTable table, IrqBalance balance) {
        int n = table.cpuCount();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%" + LABEL_WIDTH + "s  %-12s  %-17s  %-23s  %-12s  %s%n", "IRQ", "smp_affinity",
                "smp_affinity_list", "effective_affinity_list", "balancing", "actions"));
        for (IrqDesc d : table.all()) {
            if (d.hidden || !d.hasAction()) {
                continue;
            }
            BitSet mask = d.affinityMask();
            String balancing = d.percpu ? "per-CPU" : d.isNoBalancing() ? "NOBALANCING" : balance == null ? "off"
                    : "yes";
            sb.append(String.format("%" + LABEL_WIDTH + "d  %-12s  %-17s  %-23s  %-12s  %s%n", d.irq, hexMask(mask, n),
                    IrqManage.cpuList(mask), IrqManage.cpuList(d.effectiveAffinity()), balancing,
                    String.join(", ", d.names())));
        }
        if (balance != null) {
            sb.append(String.format("balancer: every %d ms, %d lines moved%n",
                    TimeUnit.NANOSECONDS.toMillis(balance.intervalNanos()), balance.moves()));
        }
        return sb.toString();
    }

    /**
     * A CPU mask as the kernel prints a cpumask ({@code %*pb}): hex digits, most significant first, in groups of 32
     * bits separated by commas; the first group as wide as the machine's CPU count needs ("3" on 2 CPUs, "0f" on 8
     * CPUs with CPUs 0-3, "ff,ffffffff" on 40).
     */
    static String hexMask(BitSet mask, int nbits) {
        int groups = Math.max(1, (nbits + 31) / 32);
        StringBuilder sb = new StringBuilder();
        for (int g = groups - 1; g >= 0; g--) {
            long word = 0;
            for (int b = 0; b < 32; b++) {
                if (mask.get(g * 32 + b)) {
                    word |= 1L << b;
                }
            }
            int bits = g == groups - 1 ? nbits - 32 * g : 32;
            int digits = Math.max(1, (bits + 3) / 4);
            if (sb.length() > 0) {
                sb.append(',');
            }
            String hex = Long.toHexString(word);
            sb.append("0".repeat(Math.max(0, digits - hex.length()))).append(hex);
        }
        return sb.toString();
    }
}
