/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

/**
 * A chip for driving the threaded-IRQ bookkeeping without a machine: mask and unmask only record
 * {@link IrqDesc#MASKED}, as {@code Irqs}' GIC chip does next to its {@code gic.disable/enable}.
 */
final class MaskOnlyChip implements IrqChip {
    static final MaskOnlyChip INSTANCE = new MaskOnlyChip();

    @Override
    public void mask(IrqDesc d) {
        d.set(IrqDesc.MASKED);
    }

    @Override
    public void unmask(IrqDesc d) {
        d.clear(IrqDesc.MASKED);
    }

    /** A machine-free SPI descriptor in the state a first (ONESHOT) request leaves it: enabled, unmasked. */
    static IrqDesc line(boolean oneshot) {
        IrqDesc d = new IrqDesc(40, false, 1, FlowHandler.FASTEOI, io.kdefer.gic.Trigger.LEVEL_HIGH);
        d.lock.lock();
        try {
            d.depth = 0;
            d.istate = oneshot ? IrqDesc.ONESHOT : 0;
        } finally {
            d.lock.unlock();
        }
        return d;
    }

    /** An action with the default primary handler and {@code threadFn}, holding ONESHOT bit 0 if oneshot. */
    static IrqAction action(IrqHandler threadFn, boolean oneshot) {
        IrqAction a = new IrqAction(Irqs.DEFAULT_PRIMARY, threadFn, oneshot ? IrqFlags.ONESHOT : 0, "t", null);
        a.threadMask = oneshot ? 1L : 0L;
        return a;
    }

    private MaskOnlyChip() {
    }
}
