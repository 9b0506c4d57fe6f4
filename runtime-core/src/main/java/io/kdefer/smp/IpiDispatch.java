/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Tracepoints;
import io.kdefer.irq.internal.GenIrq;
import io.kdefer.smp.internal.Ipis;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * The machine's IPI kinds: who handles each, how the platform sends them, and how many each CPU took (see
 * {@link Ipis}). Adds the IPI rows to /proc/interrupts.
 */
final class IpiDispatch implements Ipis, GenIrq.ProcRows {
    /* Implementation notes
     *
     * handlers and sender are written while the machine boots, before its CPU threads start (the start publishes
     * them); read-only afterwards. counts[cpu * KINDS + kind] is written only by that CPU, in hardirq context
     * (opaque increments), and read racily by /proc.
     */
    private static final int KINDS = Ipi.values().length;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final int cpuCount;                               // I
    private final Cpus cpus;                                  // I: "this CPU" of a sender, for kdefer.Ipi
    private final String machine;                             // I: for kdefer.Ipi
    private final Handler[] handlers = new Handler[KINDS];    // I after boot
    private Sender sender;                                    // I after boot; null: a bare kernel
    private boolean rowsByPlatform;                           // I after boot
    private final long[] counts;                              // O(each CPU its own slots)

    IpiDispatch(Cpus cpus) {
        this.cpus = cpus;
        this.machine = cpus.lifecycle().owner();
        this.cpuCount = cpus.count();
        this.counts = new long[cpuCount * KINDS];
    }

    @Override
    public void setSender(Sender s) {
        if (sender != null) {
            throw new IllegalStateException("the IPI sender is already set");
        }
        sender = Objects.requireNonNull(s, "sender");
    }

    @Override
    public void setHandler(Ipi ipi, Handler h) {
        if (handlers[ipi.ordinal()] != null) {
            throw new IllegalStateException(ipi + " already has a handler");
        }
        handlers[ipi.ordinal()] = Objects.requireNonNull(h, "handler");
    }

    @Override
    public void send(Ipi ipi, Cpu target) {
        if (Tracepoints.on(Tracepoints.IPI)) {                    // ipi_send_cpu
            Cpu from = cpus.executingCpu();
            Tracepoints.ipi(machine, ipi.name(), true, from != null ? from.id() : -1, target.id());
        }
        Sender s = sender;
        if (s != null) {
            s.send(ipi, target);
        }
    }

    @Override
    public void handle(Cpu cpu, Ipi ipi) {
        int i = cpu.id() * KINDS + ipi.ordinal();
        LONGS.setOpaque(counts, i, (long) LONGS.getOpaque(counts, i) + 1);
        Tracepoints.ipi(machine, ipi.name(), false, -1, cpu.id());   // ipi_entry: the SGI does not name its sender
        Handler h = handlers[ipi.ordinal()];
        if (h != null) {
            h.handle(cpu);
        }
    }

    @Override
    public long count(Cpu cpu, Ipi ipi) {
        return (long) LONGS.getOpaque(counts, cpu.id() * KINDS + ipi.ordinal());
    }

    @Override
    public void leaveProcRowsToPlatform() {
        rowsByPlatform = true;
    }

    /** The IPI rows of /proc/interrupts (kernel: arm64's show_ipi_list), unless the platform shows its own. */
    @Override
    public void show(StringBuilder sb, int labelWidth) {
        if (rowsByPlatform) {
            return;
        }
        for (Ipi ipi : Ipi.values()) {
            sb.append(String.format("%" + labelWidth + "s:", ipi.label()));
            for (int c = 0; c < cpuCount; c++) {
                sb.append(String.format(" %10d", (long) LONGS.getOpaque(counts, c * KINDS + ipi.ordinal())));
            }
            sb.append("  ").append(ipi.description()).append('\n');
        }
    }
}
