/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq.internal;

import io.kdefer.cpu.Cpu;

import java.util.BitSet;

/**
 * An interrupt controller as genirq drives it (kernel: struct irq_chip). The flow handlers and line control of genirq
 * call only these operations, so a second platform is a set of chip drivers, not a fork of genirq. Every operation
 * acts on one line ({@link IrqData}); genirq holds the line's descriptor lock around each call unless the operation
 * says otherwise, so a chip needs no locking of its own for one line's state (the hardware model locks its
 * registers).
 *
 * <pre>
 *   kernel           here                what the GICv3 driver does
 *   irq_mask         mask                ICENABLER (disable the INTID)
 *   irq_unmask       unmask              ISENABLER
 *   irq_ack          ack                 DIR at entry (edge and level flows: the next edge may be delivered)
 *   irq_eoi          eoi                 DIR at the end (fasteoi flow; EOImode=1, the priority dropped at entry)
 *   irq_set_type     setType             GICD_ICFGR (SPIs: edge rising or level high only)
 *   irq_set_affinity effectiveCpu        the first online CPU of the mask (gic_set_affinity's choice)
 *                    + setAffinity       GICD_IROUTER (IRM=0: one PE)
 *   irq_retrigger    retrigger           ISPENDR (hardware resend)
 *   irq_get_irqchip_state(ACTIVE)        isActive: ISACTIVER, for synchronize_irq
 * </pre>
 *
 * <h2>Affinity: who decides what</h2>
 * genirq owns a line's <em>requested</em> affinity, a set of CPUs (the kernel's irq_common_data.affinity, shown as
 * /proc/irq/N/smp_affinity): it validates it (not empty, CPUs that exist, at least one online, else -EINVAL) and keeps
 * it. The chip owns the choice of the CPU that actually receives the line, the <em>effective</em> affinity: genirq asks
 * {@link #effectiveCpu} for one CPU of the mask that is online, then routes the line there with {@link #setAffinity},
 * and records that CPU as the effective affinity. Every controller modelled here delivers a line to exactly one CPU
 * (the GICv3's SPIs with IRM=0; an x86 IO-APIC entry or MSI in physical destination mode), so the effective affinity is
 * always one CPU; a chip that delivers one line to several CPUs at once (logical or lowest-priority destination modes)
 * is not modelled. The default choice is the GICv3 driver's (gic_set_affinity: the first online CPU of the mask); a
 * chip with a rule of its own overrides {@link #effectiveCpu} (the kernel's x86 vector allocator prefers the CPU of the
 * mask with the most free vectors). Two callers route a line without asking the chip: CPU hotplug (a line whose
 * effective CPU goes offline gets the chip's choice among the mask's remaining online CPUs, or, if none is left, among
 * all online CPUs, and the mask becomes those: the kernel's "broken affinity"), and genirq's optional balancer, which
 * moves a busy line to another online CPU <em>of its mask</em>. Per-CPU lines have no affinity: genirq never calls
 * either method for them.
 */
public interface IrqChip {
    /** The chip's name as /proc/interrupts shows it ("GICv3", "IO-APIC", "XT-PIC", "PCI-MSI"). */
    String name();

    void mask(IrqData d);

    void unmask(IrqData d);

    /** Acknowledges the interrupt on {@code cpu} at the start of a level or edge flow. */
    void ack(Cpu cpu, IrqData d);

    /** Completes the interrupt on {@code cpu} at the end of a fasteoi flow (also for an interrupt not handled). */
    void eoi(Cpu cpu, IrqData d);

    /**
     * Whether the chip can configure {@code type} ({@code IrqFlags.TRIGGER_*}, one bit) on the line: null if it can,
     * else the rule it breaks, for genirq's -EINVAL ("the GICv3 takes only TRIGGER_HIGH or TRIGGER_RISING on an SPI
     * (B-GIC-14)"). genirq asks before it changes anything, so a refused request leaves no state behind. No lock.
     */
    String checkType(IrqData d, int type);

    /** Sets the trigger type ({@code IrqFlags.TRIGGER_*}, accepted by {@link #checkType}), with the line masked. */
    void setType(IrqData d, int type);

    /** The line's current trigger type ({@code IrqFlags.TRIGGER_RISING}, {@code TRIGGER_HIGH}, ...). No lock. */
    int type(IrqData d);

    /**
     * Routes the line to {@code cpu}, an online CPU genirq chose (see "Affinity" above). Takes effect at once; an
     * instance active elsewhere finishes there.
     */
    void setAffinity(IrqData d, Cpu cpu);

    /**
     * The CPU of {@code mask} that is to receive the line (the choice the kernel's irq_set_affinity callbacks make,
     * recorded as the effective affinity; see "Affinity" above). genirq calls it with the descriptor lock held and
     * routes the line to the answer with {@link #setAffinity}. The default is the GICv3 driver's rule: the first
     * CPU of {@code mask} that is online.
     *
     * @param mask   the requested CPUs: not empty, and intersecting {@code online} (genirq checked both)
     * @param online the CPUs that take new interrupts now
     * @return a CPU id in both {@code mask} and {@code online} (genirq refuses any other answer)
     */
    default int effectiveCpu(IrqData d, BitSet mask, BitSet online) {
        BitSet b = (BitSet) mask.clone();
        b.and(online);
        return b.nextSetBit(0);
    }

    /** Makes the line pending again in hardware (a recorded edge replayed on enable); false if it cannot. */
    boolean retrigger(IrqData d, Cpu cpu);

    /** Whether an instance of the line is still active in the controller (synchronize_irq's last look). */
    boolean isActive(IrqData d);

    /** Configures the line as an NMI (pseudo-NMI priority on the GIC); false if the controller cannot. */
    boolean setupNmi(IrqData d);

    /** Undoes {@link #setupNmi}: the line's priority is a regular IRQ's again. */
    void teardownNmi(IrqData d);

    /**
     * Disables a per-CPU line on one CPU only (the per-CPU interrupt nobody requested, B-FLOW-11). {@link #mask}
     * and {@link #unmask} of a per-CPU line act on every CPU.
     */
    void disablePercpu(IrqData d, Cpu cpu);

    /** How the line is triggered, for /proc/interrupts ("Level", "Edge"). No lock. */
    default String typeName(IrqData d) {
        return (type(d) & (io.kdefer.irq.IrqFlags.TRIGGER_HIGH | io.kdefer.irq.IrqFlags.TRIGGER_LOW)) != 0
                ? "Level" : "Edge";
    }

    /** The line's hardware number in the controller's words, for reports ("INTID 40", "pin 3"). No lock. */
    default String describeHwirq(IrqData d) {
        return "hwirq " + d.hwirq();
    }

    // ----- the device side (not kernel chip operations: what a device does to its line). No lock. -----

    /**
     * A device pulses its line (an edge).
     *
     * @throws IllegalArgumentException a line no device drives (an SGI: software generated)
     * @throws IllegalStateException    a level-triggered line, if the controller would lose the pulse (the GIC: a
     *                                  level interrupt is pending only while its line is high)
     */
    void pulse(IrqData d);

    /**
     * A device drives its line high (asserted) or low.
     *
     * @throws IllegalArgumentException a line no device drives
     */
    void setLevel(IrqData d, boolean high);
}
