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
     * fixed number: the GIC's INTIDs and x86's legacy IRQs keep their numbers). At boot, before the CPUs start, or
     * later for a line a driver allocates (an MSI), serialised by genirq. The line starts with the chip's flow for its
     * trigger ({@link IrqChip#flowForType}), else the default for its kind (fasteoi, or per-CPU-devid for a per-CPU
     * line), disabled and masked.
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

    /**
     * The error count of /proc/interrupts (kernel: irq_err_count): interrupts that arrived with no descriptor or no
     * action, plus the errors the platform noted ({@link #noteError}).
     */
    long errCount();

    /** Counts a platform error interrupt in {@link #errCount()} (x86: an APIC error, a spurious 8259A interrupt). */
    void noteError();

    /**
     * The platform prints the closing error rows itself (kernel: x86's arch_show_interrupts ends with ERR and MIS);
     * genirq then leaves out its own "Err" row. Boot time.
     */
    void leaveErrRowToPlatform();

    /**
     * A platform's MSI parent domain (kernel: the x86 vector domain under the PCI-MSI domain): creates and removes
     * MSI-backed IRQs for {@code Irqs.allocMsi} and {@code Irqs.freeMsi}.
     */
    interface MsiParent {
        /**
         * pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI) + pci_irq_vector(dev, 0): a new MSI-backed IRQ for
         * {@code device}, with its vector allocated and the device's message programmed, masked at genirq.
         *
         * @throws IllegalStateException -ENOSPC: no vector or IRQ number left
         */
        int alloc(String device);

        /**
         * pci_free_irq_vectors: gives back the vector of MSI IRQ {@code irq}, which has no action (genirq checked).
         *
         * @throws IllegalArgumentException -EINVAL: {@code irq} is not an allocated MSI IRQ
         */
        void free(int irq);
    }

    /** The platform's MSI parent domain (boot time, once); none: {@code allocMsi} is refused. */
    void setMsiParent(MsiParent parent);
}
