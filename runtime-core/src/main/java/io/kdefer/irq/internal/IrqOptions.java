/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq.internal;

/**
 * genirq's boot options (not API: {@code MachineConfig} is), registered in the machine's {@code Kernel} by the
 * machine before genirq installs. A kernel without them (the proofs' bare kernels) gets {@link #DEFAULTS}.
 *
 * @param forceThreading       the kernel's {@code threadirqs}: primary handlers run in their IRQ threads (B-TI-12)
 * @param balanceIntervalNanos how often the IRQ balancer looks at the lines' load (B-FLOW-15); 0 = no balancer
 */
public record IrqOptions(boolean forceThreading, long balanceIntervalNanos) {
    /** The kernel's defaults: no forced threading, no balancer. */
    public static final IrqOptions DEFAULTS = new IrqOptions(false, 0);

    public IrqOptions {
        if (balanceIntervalNanos < 0) {
            throw new IllegalArgumentException("balance interval must not be negative: " + balanceIntervalNanos);
        }
    }
}
