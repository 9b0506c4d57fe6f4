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
 *   platform        controllers                          line (IRQ numbers)                chip      flow handler
 *   ARM64_GICV3     GICv3: distributor, redistributors,  SPI (INTID 32-1019)               GICv3     fasteoi
 *                   CPU interfaces                       SGI, PPI (INTID 0-31)             GICv3     percpu_devid
 *   X86_APIC        a local APIC per CPU, the IO-APIC,   ISA edge (0, 1, 3-15; 0 on pin 2) IO-APIC   edge
 *                   MSI; the 8259A pair masked off       ISA level (TRIGGER_HIGH)          IO-APIC   fasteoi
 *                                                        PCI INTx (16-23)                  IO-APIC   fasteoi
 *                                                        MSI (24 up, Irqs.allocMsi)        PCI-MSI   edge
 *   X86_LEGACY_PIC  the 8259A pair to CPU 0's local      ISA (0-15; 2 is the cascade)      XT-PIC    level
 *                   APIC (virtual wire); local APICs     MSI (16 up, Irqs.allocMsi)        PCI-MSI   edge
 *                   for IPIs, timers and MSI
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
