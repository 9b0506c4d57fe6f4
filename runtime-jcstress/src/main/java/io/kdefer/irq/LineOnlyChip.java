/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.irq.internal.IrqChip;
import io.kdefer.irq.internal.IrqData;
import io.kdefer.irq.internal.IrqDomain;

/**
 * A chip with no hardware behind it, for driving the threaded-IRQ bookkeeping without a machine: genirq keeps the
 * descriptor's MASKED state itself ({@code IrqDesc.mask()/unmask()}), so the proofs see exactly what the flows and
 * the IRQ thread decide; the chip's own operations do nothing.
 */
final class LineOnlyChip implements IrqChip {
    static final LineOnlyChip INSTANCE = new LineOnlyChip();
    private static final IrqDomain DOMAIN = new IrqDomain("jcstress", 64, null);

    /** A machine-free descriptor of IRQ 40 in the state a first (ONESHOT) request leaves it: enabled, unmasked. */
    static IrqDesc line(boolean oneshot) {
        IrqDesc d = new IrqDesc(new IrqData(40, 40, INSTANCE, DOMAIN, null, false), 1, FlowHandler.FASTEOI, false);
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
        IrqAction a = new IrqAction(IrqManage.DEFAULT_PRIMARY, threadFn, oneshot ? IrqFlags.ONESHOT : 0, "t", null);
        a.threadMask = oneshot ? 1L : 0L;
        return a;
    }

    private LineOnlyChip() {
    }

    @Override
    public String name() {
        return "none";
    }

    @Override
    public void mask(IrqData d) {
    }

    @Override
    public void unmask(IrqData d) {
    }

    @Override
    public void ack(Cpu cpu, IrqData d) {
    }

    @Override
    public void eoi(Cpu cpu, IrqData d) {
    }

    @Override
    public String checkType(IrqData d, int type) {
        return null;
    }

    @Override
    public void setType(IrqData d, int type) {
    }

    @Override
    public int type(IrqData d) {
        return IrqFlags.TRIGGER_HIGH;
    }

    @Override
    public void setAffinity(IrqData d, Cpu cpu) {
    }

    @Override
    public boolean retrigger(IrqData d, Cpu cpu) {
        return false;
    }

    @Override
    public boolean isActive(IrqData d) {
        return false;
    }

    @Override
    public void pulse(IrqData d) {
        throw new UnsupportedOperationException("no hardware");
    }

    @Override
    public void setLevel(IrqData d, boolean high) {
        throw new UnsupportedOperationException("no hardware");
    }
}
