/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.cpu.internal.KernelThread;

import java.lang.System.Logger.Level;

/**
 * The platform thread {@code cpu/N} that executes a virtual CPU in THREADED mode, and the CPU's loop: one duty-cycle
 * pass ({@code Cpu.doWork}), then the idle strategy, until the machine stops the CPU.
 *
 * <p>The loop is the runtime's own rather than Agrona's {@code AgentRunner}, whose loop ends when the thread is
 * interrupted: a CPU must never die because some callback left its interrupt flag set or someone called
 * {@code interrupt()} on it (the interrupt policy is {@code io.kdefer.internal.Faults}). Its idle steps are
 * {@link CpuIdle}'s.
 */
final class CpuThread extends KernelThread {
    private static final System.Logger LOG = System.getLogger("io.kdefer.cpu");

    final Cpu cpu;                 // I
    private final CpuIdle idle;    // I
    private boolean loopFailed;    // C: a runtime bug escaped a pass; reported once per CPU

    CpuThread(Cpu cpu, IdlePolicy policy) {
        super(cpu.cpus, null, cpu.toString(), false);
        this.cpu = cpu;
        this.idle = new CpuIdle(cpu, policy);
        threadState().executing = cpu;
    }

    @Override
    public void run() {
        Cpu c = cpu;
        c.cpus.pinning().enterCpuThread(c.id());
        c.claimForThread(this);
        while (true) {
            int work;
            try {
                work = c.doWork();
            } catch (Throwable t) {
                // Callbacks are contained where they run; only a runtime bug gets here. The CPU goes on.
                if (!loopFailed) {
                    loopFailed = true;
                    LOG.log(Level.ERROR, c + ": error escaped a pass of the CPU loop; the CPU keeps running "
                            + "(reported once per CPU)", t);
                }
                work = 1;
            }
            if (work < 0) {
                return;                                   // stopped by Machine.close()
            }
            if (work > 0) {
                idle.reset();
            } else {
                idle.idle();
            }
        }
    }

    @Override
    public String describeWork() {
        return cpu.describeWork();
    }
}
