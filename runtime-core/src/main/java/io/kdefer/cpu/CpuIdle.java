/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.internal.Backoff;
import org.agrona.concurrent.IdleStrategy;

/**
 * What an idle virtual CPU does (Agrona's {@link IdleStrategy} contract): spin briefly, then park with the CPU's
 * wake-up protocol ({@code Cpu.park}) until woken or its next NOHZ deadline.
 */
final class CpuIdle implements IdleStrategy {
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

    @Override
    public void idle(int workCount) {
        if (workCount > 0) {
            reset();
        } else {
            idle();
        }
    }

    @Override
    public void idle() {
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

    @Override
    public void reset() {
        if (cpu.wokeAnother) {
            return;               // keep skipping the spin phase: see idle()
        }
        spins = 0;
    }

    @Override
    public String alias() {
        return "kdefer-" + policy.name().toLowerCase(java.util.Locale.ROOT);
    }
}
