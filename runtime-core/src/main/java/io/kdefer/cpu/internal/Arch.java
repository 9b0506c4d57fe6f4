/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu.internal;

import io.kdefer.cpu.Cpu;

/**
 * The platform as a virtual CPU sees it (kernel: the architecture's exception entry and {@code handle_arch_irq},
 * and the per-CPU timer): whether an interrupt is signalled, taking one, and the tick. Implemented by the interrupt
 * controller's driver (the GICv3 driver on arm64; the local APIC on x86). The CPU owns the context around it
 * (irq_enter/irq_exit, NMI accounting, softirqs at irq exit); the driver owns the controller (acknowledge, priority
 * drop, dispatch to genirq).
 */
public interface Arch {
    /** Returned by {@link #acknowledge} when nothing is signallable. */
    long NONE = -1;
    /** Bit of an {@link #acknowledge} result: the interrupt is taken as an NMI (pseudo-NMI priority). */
    long NMI = 1L << 32;

    /** Lock-free, racy hint: could an interrupt be signalled to {@code cpu}? A false "no" is re-checked exactly. */
    boolean mayBeSignalled(Cpu cpu);

    /** Exact: would {@link #acknowledge} take an interrupt now (with local IRQs {@code irqsDisabled})? */
    boolean isSignalled(Cpu cpu, boolean irqsDisabled);

    /**
     * Reads the controller's acknowledge register for {@code cpu}: the highest-priority signallable interrupt, or
     * {@link #NONE}. With {@code irqsDisabled} only NMIs are signallable. The low 32 bits are the token
     * {@link #handle} gets; {@link #NMI} is set for an NMI.
     */
    long acknowledge(Cpu cpu, boolean irqsDisabled);

    /**
     * The root handler for an acknowledged {@code token}, in hardirq (or NMI) context on {@code cpu}: completes it at
     * the controller as the platform does and dispatches it to genirq (or to a per-CPU system vector).
     */
    void handle(Cpu cpu, int token);

    /** Raises {@code cpu}'s timer interrupt: its tick is due. */
    void raiseTick(Cpu cpu);

    /** The timer interrupt was handled: lower it until {@link #raiseTick} again. */
    void tickHandled(Cpu cpu);

    /** Words naming what is signalled on {@code cpu}, for reports ("INTID 40 pending"), or "". */
    String describePending(Cpu cpu);

    /**
     * No interrupt controller: nothing is ever signalled, the tick is not raised. For a bare kernel (the jcstress
     * proofs build cores on one, with a test thread playing each CPU); a machine always has a real platform.
     */
    static Arch none() {
        return NoPlatform.INSTANCE;
    }

    /** {@link #none()}. */
    final class NoPlatform implements Arch {
        static final NoPlatform INSTANCE = new NoPlatform();

        private NoPlatform() {
        }

        @Override
        public boolean mayBeSignalled(Cpu cpu) {
            return false;
        }

        @Override
        public boolean isSignalled(Cpu cpu, boolean irqsDisabled) {
            return false;
        }

        @Override
        public long acknowledge(Cpu cpu, boolean irqsDisabled) {
            return NONE;
        }

        @Override
        public void handle(Cpu cpu, int token) {
            throw new IllegalStateException("no platform: nothing can be acknowledged");
        }

        @Override
        public void raiseTick(Cpu cpu) {
        }

        @Override
        public void tickHandled(Cpu cpu) {
        }

        @Override
        public String describePending(Cpu cpu) {
            return "";
        }

        @Override
        public String toString() {
            return "no platform";
        }
    }
}
