/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq.internal;

import java.util.Objects;

/**
 * One line as its chip sees it (kernel: struct irq_data): the Linux IRQ number, the controller's own number for it
 * (hwirq: a GIC INTID, an IO-APIC pin, a vector), the chip and the domain that mapped it, and the chip's private data.
 * Immutable.
 */
public final class IrqData {
    private final int irq;            // I
    private final int hwirq;          // I
    private final IrqChip chip;       // I
    private final IrqDomain domain;   // I
    private final Object chipData;    // I
    private final boolean percpu;     // I: a per-CPU line (GIC SGI/PPI): handle_percpu_devid, no affinity

    public IrqData(int irq, int hwirq, IrqChip chip, IrqDomain domain, Object chipData, boolean percpu) {
        this.irq = irq;
        this.hwirq = hwirq;
        this.chip = Objects.requireNonNull(chip, "chip");
        this.domain = Objects.requireNonNull(domain, "domain");
        this.chipData = chipData;
        this.percpu = percpu;
    }

    public int irq() {
        return irq;
    }

    public int hwirq() {
        return hwirq;
    }

    public IrqChip chip() {
        return chip;
    }

    public IrqDomain domain() {
        return domain;
    }

    public Object chipData() {
        return chipData;
    }

    public boolean isPercpu() {
        return percpu;
    }

    @Override
    public String toString() {
        return "irq " + irq + " (" + domain.name() + " hwirq " + hwirq + ", " + chip.name() + ")";
    }
}
