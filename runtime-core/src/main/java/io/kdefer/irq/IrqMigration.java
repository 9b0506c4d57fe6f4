/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;

/**
 * Moving interrupts off a CPU that goes offline (kernel: kernel/irq/cpuhotplug.c, irq_migrate_all_off_this_cpu, and
 * x86's fixup_irqs): every line routed to it is routed to another CPU, and the line's IRQ threads re-bind before
 * their next run (B-TI-9). Per-CPU lines stay: they have no route.
 */
final class IrqMigration implements Cpus.HotplugHook {
    private final IrqTable table;   // I

    IrqMigration(IrqTable table) {
        this.table = table;
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
                    IrqManage.routeLocked(d, target);
                }
            } finally {
                d.lock.unlock();
            }
        }
    }
}
