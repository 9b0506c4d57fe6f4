/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq.internal;

import io.kdefer.cpu.Cpu;

/**
 * genirq as an interrupt controller driver sees it (not API; applications use {@code Irqs}): creating the
 * descriptors of the controller's lines, and the entry its root handler calls for an acknowledged interrupt. Implemented
 * in {@code io.kdefer.irq}, registered in the machine's {@code Kernel} as {@code GenIrq.class}.
 *
 * <pre>
 *   boot:       driver: domain = new IrqDomain(...); genIrq.map(domain, hwirq, irq, chip, ...) per line
 *   interrupt:  CPU -&gt; Arch.acknowledge -&gt; Arch.handle (the driver's root handler)
 *                   -&gt; genIrq.handleDomainIrq(cpu, domain, hwirq) -&gt; the line's flow handler -&gt; its actions
 * </pre>
 */
public interface GenIrq {
    /** The largest IRQ number plus one (kernel: NR_IRQS): IRQ numbers are 0..MAX_IRQS-1. */
    int MAX_IRQS = 4096;

    /** A block of rows a platform or subsystem adds to /proc/interrupts (kernel: arch_show_interrupts). */
    interface ProcRows {
        /**
         * Appends rows: a label right-aligned in {@code labelWidth} and a colon, a count per CPU (each
         * {@code " %10d"}), a description, a newline.
         */
        void show(StringBuilder sb, int labelWidth);
    }

    /**
     * Creates IRQ {@code irq} for {@code hwirq} of {@code domain}, handled by {@code chip} (irq_domain_associate with a
     * fixed number: the GIC's INTIDs and x86's legacy IRQs keep their numbers). Boot time only, before the CPUs
     * start. The line starts with the default flow for its kind (fasteoi, or per-CPU-devid for a per-CPU line),
     * disabled and masked.
     *
     * @param hidden the runtime's own line (an IPI): not listed in /proc/interrupts (IRQ_HIDDEN); its counts show in
     *               the rows of whoever owns it
     * @throws IllegalArgumentException an IRQ number outside 0..{@link #MAX_IRQS}-1 or already mapped
     */
    IrqData map(IrqDomain domain, int hwirq, int irq, IrqChip chip, Object chipData, boolean percpu, boolean hidden);

    /** The line data of IRQ {@code irq}, or null if the platform mapped no such IRQ. */
    IrqData data(int irq);

    /**
     * generic_handle_domain_irq: runs the flow handler of the IRQ {@code hwirq} of {@code domain} maps to, in hardirq
     * (or NMI) context on {@code cpu}, its executing thread.
     *
     * @return false if {@code hwirq} is not mapped (counted in the Err row; the caller completes it at its chip, as
     *         the kernel's drivers do for an interrupt with no descriptor)
     */
    boolean handleDomainIrq(Cpu cpu, IrqDomain domain, int hwirq);

    /**
     * request_percpu_irq for the runtime's own per-CPU lines (the CPU timer, the IPIs): the handler receives the CPU
     * it runs on. Boot time.
     */
    void requestPercpu(int irq, PercpuHandler handler, String name);

    /** How a platform explains an IRQ number it has no line for. */
    interface Numbering {
        /** The -EINVAL message for {@code irq}, which has no descriptor ("-EINVAL: INTID 1020 is a special ..."). */
        String whyNot(int irq);
    }

    /** How this platform numbers its IRQs, for the -EINVAL of a call naming an IRQ that does not exist. Boot time. */
    void setNumbering(Numbering numbering);

    /** Adds rows to /proc/interrupts after the lines' rows (IPIs, platform counters). Boot time. */
    void addProcRows(ProcRows rows);
}
