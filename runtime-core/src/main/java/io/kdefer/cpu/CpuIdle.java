/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.internal.Backoff;

/**
 * What an idle virtual CPU does (the shape of an Agrona {@code IdleStrategy}: idle(workCount), reset): spin briefly,
 * then park with the CPU's wake-up protocol ({@code Cpu.park}) until woken or its next NOHZ deadline.
 */
final class CpuIdle {
    /* Spins are deliberately few ({@link Backoff#CPU_SPINS}, a few microseconds of loop passes): on a 2-core machine
     * a spinning CPU thread delays the wake-up of the thread it is waiting for by milliseconds, and there is no
     * yield phase (see Backoff). A CPU that just woke another CPU skips the spin phase altogether: its spinning would
     * hold the core the woken CPU needs (measured with IrqWorkLatencyBench.pingPong). */
    private final Cpu cpu;             // I
    private final IdlePolicy policy;   // I
    private int spins;                 // C

    CpuIdle(Cpu cpu, IdlePolicy policy) {
        this.cpu = cpu;
        this.policy = policy;
    }

    /** After a pass of the CPU loop that did {@code workCount} items: reset the backoff, or idle one step. */
    void idle(int workCount) {
        if (workCount > 0) {
            reset();
        } else {
            idle();
        }
    }

    /** One idle step: spin (SPIN, or BACKOFF's first steps), else park until woken or the next event. */
    void idle() {
        if (policy == IdlePolicy.SPIN) {
            Thread.onSpinWait();
            return;
        }
        if (policy == IdlePolicy.BACKOFF) {
            if (cpu.wokeAnother) {
                cpu.wokeAnother = false;
                spins = Backoff.CPU_SPINS;
            }
            if (spins < Backoff.CPU_SPINS) {
                spins++;
                Thread.onSpinWait();
                return;
            }
        }
        cpu.park();
    }

    /** Work was found: the next idle period starts with the spin phase again. */
    void reset() {
        if (cpu.wokeAnother) {
            return;               // keep skipping the spin phase: see idle()
        }
        spins = 0;
    }
}
