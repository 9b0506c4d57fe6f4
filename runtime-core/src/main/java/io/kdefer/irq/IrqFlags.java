/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

/**
 * Request flags, with the kernel's values (K-TI), combined with {@code |}.
 *
 * <p>The GICv3 accepts only {@link #TRIGGER_RISING} (edge) and {@link #TRIGGER_HIGH} (level) for SPIs (B-GIC-14);
 * no trigger flag keeps the line's current configuration (level after boot).
 */
public final class IrqFlags {
    private IrqFlags() {
    }

    public static final int TRIGGER_NONE = 0;
    public static final int TRIGGER_RISING = 0x1;
    public static final int TRIGGER_FALLING = 0x2;
    public static final int TRIGGER_HIGH = 0x4;
    public static final int TRIGGER_LOW = 0x8;
    public static final int TRIGGER_MASK = TRIGGER_RISING | TRIGGER_FALLING | TRIGGER_HIGH | TRIGGER_LOW;
    /** The line may be shared by several devices; every sharer must say so and must pass a devId (B-TI-1, B-TI-5). */
    public static final int SHARED = 0x80;
    /** Suppress the "Flags mismatch" report when a shared request is refused. */
    public static final int PROBE_SHARED = 0x100;
    public static final int PERCPU = 0x400;
    /**
     * Exclude the line from IRQ balancing (the kernel's IRQD_NO_BALANCING): the balancer
     * ({@code MachineConfig.irqBalanceInterval}) never moves a line one of whose actions carries it (B-FLOW-15).
     * {@code Irqs.setAffinity} (the kernel-internal irq_set_affinity) still moves it; in the kernel it also refuses
     * writes to /proc/irq/N/smp_affinity, which this runtime does not have.
     */
    public static final int NOBALANCING = 0x800;
    /**
     * Accepted, with no effect here: in the kernel it marks the line (the first action of a shared line) whose
     * interrupts trigger the search for misrouted interrupts when the machine is booted with {@code irqpoll}
     * (misrouted_irq: every other line's handlers are tried). This runtime has no {@code irqfixup}/{@code irqpoll}
     * options: its controller never misroutes an interrupt. Unrelated to the polling of spurious-disabled lines
     * (B-SPUR-5), which works without it.
     */
    public static final int IRQPOLL = 0x1000;
    /** Keep the line masked until the thread function has run (threaded IRQs, B-TI-10/11). */
    public static final int ONESHOT = 0x2000;
    public static final int NO_SUSPEND = 0x4000;
    /**
     * Never force this handler into a thread (B-TI-12): with {@code MachineConfig.forceThreadedIrqs} every other
     * handler runs in its IRQ thread, this one stays in hardirq context (timers, cascaded controllers, handlers that
     * must run at once). Without forced threading it changes nothing. A shared line's actions must agree: a forced
     * action becomes ONESHOT and a NO_THREAD one does not, so they do not share (-EBUSY), as in the kernel.
     */
    public static final int NO_THREAD = 0x10000;
    /** Request the line but leave it disabled (depth 1) until {@code enable} (B-FLOW-5). */
    public static final int NO_AUTOEN = 0x80000;
    /** Exclude the line from spurious-interrupt detection (B-SPUR-1). */
    public static final int NO_DEBUG = 0x100000;
    /** Share a ONESHOT line without being ONESHOT yourself: you get ONESHOT (B-TI-5). */
    public static final int COND_ONESHOT = 0x200000;

    static final int KNOWN = TRIGGER_MASK | SHARED | PROBE_SHARED | PERCPU | NOBALANCING | IRQPOLL | ONESHOT
            | NO_SUSPEND | NO_THREAD | NO_AUTOEN | NO_DEBUG | COND_ONESHOT;
}
