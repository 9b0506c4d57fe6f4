/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;

import java.lang.System.Logger.Level;
import java.util.BitSet;

/**
 * Moving interrupts off a CPU that goes offline (kernel: kernel/irq/cpuhotplug.c, irq_migrate_all_off_this_cpu and
 * migrate_one_irq, and x86's fixup_irqs): every line routed to it is routed to the CPU its chip chooses among the
 * online CPUs of the line's affinity mask; if none of them is online the affinity is broken: the mask becomes every
 * online CPU (the kernel's "IRQ n: no longer affine to CPUk", B-FLOW-14). The line's IRQ threads re-bind before their
 * next run (B-TI-9). Per-CPU lines stay: they have no route. CPUs coming back take no line back (as in the kernel,
 * for lines whose affinity is not managed): a later setAffinity, or the balancer, moves lines there.
 */
final class IrqMigration implements Cpus.HotplugHook {
    private static final System.Logger LOG = System.getLogger("io.kdefer.irq");

    private final IrqTable table;   // I
    private final Cpus cpus;        // I

    IrqMigration(IrqTable table, Cpus cpus) {
        this.table = table;
        this.cpus = cpus;
    }

    @Override
    public void offlining(Cpu cpu, Cpu target) {
        migrateFrom(cpu, target);                 // before the CPU stops taking interrupts
    }

    @Override
    public void dead(Cpu cpu, Cpu target) {
        migrateFrom(cpu, target);                 // a line routed there meanwhile (an affinity change raced)
    }

    private void migrateFrom(Cpu dead, Cpu target) {
        for (IrqDesc d : table.all()) {
            if (d.percpu) {
                continue;
            }
            d.lock.lock();
            try {
                if (d.target == dead.id()) {
                    migrateLocked(d, dead, target);
                }
            } finally {
                d.lock.unlock();
            }
        }
    }

    // migrate_one_irq. Descriptor lock held.
    private void migrateLocked(IrqDesc d, Cpu dead, Cpu fallback) {
        BitSet online = IrqManage.onlineMask(cpus);
        online.clear(dead.id());
        if (online.isEmpty()) {
            IrqManage.routeLocked(d, fallback);       // the hotplug code's choice (it never offlines the last CPU)
            return;
        }
        if (!d.affinityMask.intersects(online)) {
            LOG.log(Level.DEBUG, "IRQ " + d.irq + ": no longer affine to " + dead + " (affinity "
                    + IrqManage.cpuList(d.affinityMask) + " has no online CPU left; now " + IrqManage.cpuList(online)
                    + ")");
            d.affinityMask = (BitSet) online.clone();
        }
        IrqManage.routeLocked(d, cpus.cpu(IrqManage.effectiveCpu(d, d.affinityMask, online)));
    }
}
