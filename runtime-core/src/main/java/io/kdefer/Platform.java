/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

/**
 * The interrupt hardware a {@link Machine} boots with ({@link MachineConfig.Builder#platform}). Every deferral
 * primitive (irq_work, cross-CPU calls, softirqs, tasklets, timers, threaded IRQs, workqueues) runs unchanged on each:
 * genirq drives the controllers only through their chip drivers, and devices raise lines through the
 * platform-neutral {@code m.irqs().pulse(irq)} and {@code m.irqs().setLevel(irq, high)}.
 *
 * <pre>
 *   platform        controllers                           IRQ numbers                      line   chip      flow handler
 *   ARM64_GICV3     GICv3 (distributor, redistributors,   GIC INTIDs (IRQ n = INTID n)     SPI    GICv3     fasteoi
 *                   CPU interfaces)                                                        SGI/PPI           percpu_devid
 *   X86_APIC        a local APIC per CPU, the IO-APIC,    0-15 ISA (0 = the PIT, on        ISA    IO-APIC   edge (level
 *                   MSI; the 8259A pair masked off        pin 2), 16-23 PCI INTx,                            when requested
 *                                                          24 up MSI (allocMsi)                               TRIGGER_HIGH:
 *                                                                                                            fasteoi)
 *                                                                                          PCI    IO-APIC   fasteoi
 *                                                                                          MSI    PCI-MSI   edge
 *   X86_LEGACY_PIC  the 8259A pair through CPU 0's        0-15 ISA (2 = the cascade),      ISA    XT-PIC    level
 *                   local APIC (virtual wire); local       16 up MSI (allocMsi)             MSI    PCI-MSI   edge
 *                   APICs for IPIs, timers and MSI
 * </pre>
 * On both x86 platforms the CPU's tick is its local APIC timer (vector 0xec) and the IPIs use the kernel's x86
 * system vectors (reschedule 0xfd, call-function-single 0xfb, irq_work 0xf6); /proc/interrupts shows the x86
 * layout (IO-APIC-edge, IO-APIC-fasteoi, PCI-MSI-edge, XT-PIC-XT; NMI, LOC, SPU, IWI, RES, CAL, ERR, MIS). The
 * platform drivers are {@code io.kdefer.irqchip.GicV3} and {@code io.kdefer.irqchip.X86Apic}.
 */
public enum Platform {
    /** arm64 with a GICv3 (the default): {@link Machine#gic()}. */
    ARM64_GICV3,
    /**
     * A PC in symmetric I/O mode: a local APIC per CPU, the IO-APIC for the ISA and PCI lines, MSI, the 8259A pair
     * masked off. {@link Machine#ioApic()}, {@link Machine#localApic(int)}, {@link Machine#msi()},
     * {@link Machine#pic()}.
     */
    X86_APIC,
    /**
     * A PC without an IO-APIC in use: the 8259A pair delivers the ISA IRQs to CPU 0 through its local APIC's LINT0
     * (virtual wire mode); the local APICs still carry the IPIs, the per-CPU timers and MSI.
     */
    X86_LEGACY_PIC;

    /** Whether this is one of the x86 platforms. */
    public boolean isX86() {
        return this != ARM64_GICV3;
    }
}
