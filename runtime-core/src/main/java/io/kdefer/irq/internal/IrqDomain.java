/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Objects;

/**
 * A controller's numbering translated to Linux IRQ numbers (kernel: struct irq_domain, a linear map): hwirq to IRQ
 * and back. Domains form a hierarchy when one controller sits behind another (x86: the MSI domain above the vector
 * domain; the kernel's hierarchical domains): {@link #parent()} is the controller the interrupt reaches next.
 *
 * <p>genirq creates the mappings ({@code Irqs} does, when a platform maps its lines at boot); a root handler
 * translates what its controller acknowledged with {@link #find}. Mappings are made while the machine boots, or under
 * genirq's mapping lock later, and published with a release store of the element; lookups are lock-free acquire
 * loads.
 */
public final class IrqDomain {
    /** {@link #find}'s answer for an unmapped hwirq. */
    public static final int NO_IRQ = -1;

    private final String name;                 // I
    private final IrqDomain parent;            // I: null for a root domain
    private final int[] irqOf;                 // A (elements): hwirq -> IRQ or NO_IRQ

    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);

    /** A linear domain of {@code size} hwirqs (0..size-1), none mapped yet. */
    public IrqDomain(String name, int size, IrqDomain parent) {
        if (size < 1) {
            throw new IllegalArgumentException("an IRQ domain needs at least one hwirq: " + size);
        }
        this.name = Objects.requireNonNull(name, "name");
        this.parent = parent;
        int[] m = new int[size];
        Arrays.fill(m, NO_IRQ);
        this.irqOf = m;
    }

    public String name() {
        return name;
    }

    public IrqDomain parent() {
        return parent;
    }

    public int size() {
        return irqOf.length;
    }

    /** The IRQ {@code hwirq} is mapped to, or {@link #NO_IRQ} (irq_find_mapping). Lock-free. */
    public int find(int hwirq) {
        return hwirq >= 0 && hwirq < irqOf.length ? (int) INTS.getAcquire(irqOf, hwirq) : NO_IRQ;
    }

    /**
     * Records that {@code hwirq} is IRQ {@code irq} (irq_domain_associate). genirq calls it when it creates the
     * mapping; callers serialise mapping changes.
     *
     * @throws IllegalArgumentException for a hwirq outside the domain, or one already mapped elsewhere
     */
    public void associate(int hwirq, int irq) {
        if (hwirq < 0 || hwirq >= irqOf.length) {
            throw new IllegalArgumentException("hwirq " + hwirq + " is outside domain " + name + " (0.."
                    + (irqOf.length - 1) + ")");
        }
        int old = find(hwirq);
        if (old != NO_IRQ && old != irq) {
            throw new IllegalArgumentException("hwirq " + hwirq + " of domain " + name + " is already IRQ " + old);
        }
        INTS.setRelease(irqOf, hwirq, irq);
    }

    /** Removes the mapping of {@code hwirq} (irq_domain_disassociate). */
    public void disassociate(int hwirq) {
        INTS.setRelease(irqOf, hwirq, NO_IRQ);
    }

    @Override
    public String toString() {
        return "IrqDomain[" + name + (parent != null ? " -> " + parent.name : "") + "]";
    }
}
