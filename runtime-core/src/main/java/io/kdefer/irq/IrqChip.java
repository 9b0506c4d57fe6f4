/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

/**
 * The chip operations that the threaded-IRQ bookkeeping needs (kernel: struct irq_chip's mask/unmask). {@link Irqs}
 * implements them on the GIC; the jcstress tests use a chip that only records the MASKED state, so the oneshot
 * protocol can be driven without a machine.
 */
interface IrqChip {
    /** Masks the line and records {@link IrqDesc#MASKED}. Called with the descriptor lock held. */
    void mask(IrqDesc d);

    /** Unmasks the line and clears {@link IrqDesc#MASKED}. Called with the descriptor lock held. */
    void unmask(IrqDesc d);
}
