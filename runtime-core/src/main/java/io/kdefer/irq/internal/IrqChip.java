/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq.internal;

import io.kdefer.cpu.Cpu;
import io.kdefer.irq.FlowHandler;

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
 * The x86 drivers (io.kdefer.irqchip's IoApicChip, MsiChip and I8259Chip) give their own table: there ack and eoi
 * end the interrupt at the local APIC (or the 8259A), setAffinity moves the line's vector, and the flow follows the
 * trigger ({@link #flowForType}).
 *
 * <h2>Affinity: who decides what</h2>
 * genirq owns a line's <em>requested</em> affinity, a set of CPUs (the kernel's irq_common_data.affinity, shown as
 * /proc/irq/N/smp_affinity): it validates it (not empty, CPUs that exist, at least one online, else -EINVAL) and
 * keeps it. The chip owns the choice of the CPU that actually receives the line, the <em>effective</em> affinity:
 * genirq asks {@link #effectiveCpu} for one CPU of the mask that is online, then routes the line there with
 * {@link #setAffinity}, and records that CPU as the effective affinity. Every controller modelled here delivers a
 * line to exactly one CPU (the GICv3's SPIs with IRM=0; an x86 IO-APIC entry or MSI in physical destination mode),
 * so the effective affinity is always one CPU; a chip that delivers one line to several CPUs at once (logical or
 * lowest-priority destination modes) is not modelled. The default choice is the GICv3 driver's (gic_set_affinity:
 * the first online CPU of the mask); a chip with a better rule (x86's vector allocator picks the CPU with the most
 * free vectors) would override {@link #effectiveCpu}; the x86 chips here keep the default and refuse a CPU they
 * cannot serve through {@link #checkAffinity}. Two callers route a line without asking the chip: CPU hotplug
 * (a line whose effective CPU goes offline gets the chip's choice among the mask's remaining online CPUs, or, if
 * none is left, among all online CPUs, and the mask becomes those: the kernel's "broken affinity"), and genirq's
 * optional balancer, which moves a busy line to another online CPU <em>of its mask</em>. Per-CPU lines have no
 * affinity: genirq never calls either method for them.
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
     * instance active elsewhere finishes there. A chip that must wait for the line's next interrupt (x86: a level
     * IO-APIC line whose remote IRR is set, or whose previous move has not completed; the kernel's pending move)
     * records the move and completes it from its ack or eoi. Called for a user's {@code setAffinity} after
     * {@link #checkAffinity}, and for every line leaving a CPU that goes offline (then it must not throw: a line that
     * cannot move stays, and the chip says so in its documentation).
     *
     * @throws IllegalStateException -ENOSPC: no vector free on {@code cpu} (x86); the line stays where it was
     */
    void setAffinity(IrqData d, Cpu cpu);

    /**
     * Whether a user may route the line to {@code cpu}: null, or the rule it breaks, for genirq's -EINVAL ("the 8259A
     * delivers to CPU 0 only"). genirq asks before it changes anything. No lock. Default: any online CPU.
     */
    default String checkAffinity(IrqData d, Cpu cpu) {
        return null;
    }

    /**
     * Whether the line can take its first action now: null, or the reason request_irq fails (kernel: irq_activate
     * failing; x86: an MSI IRQ whose vector was given back with {@code freeMsi}). genirq asks before it changes
     * anything. No lock. Default: always.
     */
    default String checkRequest(IrqData d) {
        return null;
    }

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

    /**
     * Configures the line as an NMI (pseudo-NMI priority on the GIC); false if the controller cannot. Optional, as
     * the kernel's irq_nmi_setup is: default false (a controller without NMI lines; request_nmi then fails).
     */
    default boolean setupNmi(IrqData d) {
        return false;
    }

    /** Undoes {@link #setupNmi}: the line's priority is a regular IRQ's again. Default: nothing to undo. */
    default void teardownNmi(IrqData d) {
    }

    /**
     * Disables a per-CPU line on one CPU only (the per-CPU interrupt nobody requested, B-FLOW-11). {@link #mask}
     * and {@link #unmask} of a per-CPU line act on every CPU. Default: nothing (a controller without per-CPU lines;
     * genirq calls this for per-CPU lines only).
     */
    default void disablePercpu(IrqData d, Cpu cpu) {
    }

    /**
     * The flow handler the chip wants for trigger {@code type} (kernel: a chip's irq_set_type switching the handler
     * with irq_set_handler_locked; x86's IO-APIC registers handle_edge_irq or handle_fasteoi_irq by trigger), or null
     * for genirq's default (fasteoi; per-CPU lines: percpu_devid). genirq asks when it creates the line and when a
     * request changes the trigger. No lock.
     */
    default FlowHandler flowForType(IrqData d, int type) {
        return null;
    }

    /**
     * The chip-and-handler column of the line's /proc/interrupts row, or null for the default layout (chip name,
     * hwirq, trigger). {@code flowName} is the kernel's name of the line's flow handler ("edge", "fasteoi",
     * "level"). x86 chips answer as the kernel's x86 /proc/interrupts shows them: "IO-APIC-edge", "PCI-MSI-edge".
     * No lock.
     */
    default String procName(IrqData d, String flowName) {
        return null;
    }

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
