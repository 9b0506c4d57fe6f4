/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqchip;

import io.kdefer.cpu.Cpu;
import io.kdefer.irq.FlowHandler;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.internal.IrqChip;
import io.kdefer.irq.internal.IrqData;
import io.kdefer.x86.I8259Pair;

/**
 * The 8259A pair as genirq drives it (kernel: arch/x86/kernel/i8259.c's i8259A_chip "XT-PIC", with handle_level_irq
 * whatever the line's trigger, shown as "XT-PIC-XT"): a line is one of the ISA IRQs 0-15, delivered by the 8259A to
 * CPU 0 through its local APIC's LINT0 (virtual wire, ExtINT) on the vector ISA_IRQ_VECTOR(irq) = 0x30 + irq. The
 * local APIC has no in-service bit for an ExtINT vector, so nothing here EOIs it.
 *
 * <pre>
 *   mask / unmask     the IMR bit (IRQ 2 masks the whole slave; the "cascade" action keeps it unmasked)
 *   ack               the specific EOI (a slave line: to the slave, then the master's IR2), after the flow's mask
 *                     (mask_and_ack_8259A); none for a software resend
 *   eoi               the same (only if a user chose the fasteoi flow)
 *   setType           the ELCR bit: TRIGGER_RISING (edge, the ISA default) or TRIGGER_HIGH (level; not IRQs 0, 1, 2,
 *                     8, 13, whose ELCR bits are fixed edge on a PC)
 *   setAffinity       CPU 0 only: the 8259A has one INTR output (checkAffinity refuses other CPUs, -EINVAL)
 *   retrigger         a software resend: the 8259A cannot replay an edge, so CPU 0 runs the line's flow again as a
 *                     pseudo-interrupt (the kernel's resend tasklet, HARDIRQS_SW_RESEND)
 *   isActive          false (the kernel's i8259 chip reports no chip state)
 * </pre>
 * A spurious IRQ 7 or 15 (the request went away before the INTA cycle) never reaches this chip: {@link X86Apic}'s
 * do_IRQ recognises it (the IRQ is not in service), counts it in ERR, EOIs the master's IR2 for IRQ 15, and reports
 * it once.
 *
 * <p>While CPU 0 is offline the ISA interrupts wait in the 8259A (its INTR is wired to CPU 0 only) and are taken when
 * it comes back; the kernel never takes CPU 0 offline on x86.
 *
 * <p>Deviation: the kernel's i8259 chip has an irq_disable callback, so disable_irq masks an XT-PIC line at once;
 * genirq here has no such chip operation and disables every line lazily (B-FLOW-3): the line is masked when its next
 * interrupt arrives, which then waits as PENDING and is resent (in software, above) by the enable.
 */
final class I8259Chip implements IrqChip {
    private final X86Apic x86;      // I
    private final I8259Pair pic;    // I

    I8259Chip(X86Apic x86) {
        this.x86 = x86;
        this.pic = x86.pic();
    }

    @Override
    public String name() {
        return "XT-PIC";
    }

    @Override
    public void mask(IrqData d) {
        pic.mask(X86Line.of(d).hw);
    }

    @Override
    public void unmask(IrqData d) {
        pic.unmask(X86Line.of(d).hw);
    }

    @Override
    public void ack(Cpu cpu, IrqData d) {
        if (x86.inFlight(cpu) != X86Apic.RESENT) {
            pic.eoi(X86Line.of(d).hw);
        }
    }

    @Override
    public void eoi(Cpu cpu, IrqData d) {
        ack(cpu, d);
    }

    @Override
    public String checkType(IrqData d, int type) {
        int irq = X86Line.of(d).hw;
        if (type == IrqFlags.TRIGGER_RISING) {
            return null;
        }
        if (type == IrqFlags.TRIGGER_HIGH) {
            return fixedEdge(irq) ? "the ELCR bit of IRQ " + irq + " is fixed edge on a PC (IRQs 0, 1, 2, 8 and 13)"
                    : null;
        }
        return "the 8259A takes TRIGGER_RISING (edge) or TRIGGER_HIGH (level, through the ELCR) on ISA IRQ " + irq;
    }

    private static boolean fixedEdge(int irq) {
        return irq == 0 || irq == 1 || irq == 2 || irq == 8 || irq == 13;
    }

    @Override
    public void setType(IrqData d, int type) {
        int irq = X86Line.of(d).hw;
        boolean level = type == IrqFlags.TRIGGER_HIGH;
        if (level == pic.isLevel(irq) || fixedEdge(irq)) {
            return;
        }
        int elcr = pic.elcr();
        elcr = level ? elcr | 1 << irq : elcr & ~(1 << irq);
        if (irq < 8) {
            pic.out(I8259Pair.ELCR1, elcr & 0xff);
        } else {
            pic.out(I8259Pair.ELCR2, elcr >>> 8);
        }
    }

    @Override
    public int type(IrqData d) {
        return pic.isLevel(X86Line.of(d).hw) ? IrqFlags.TRIGGER_HIGH : IrqFlags.TRIGGER_RISING;
    }

    @Override
    public FlowHandler flowForType(IrqData d, int type) {
        return FlowHandler.LEVEL;
    }

    @Override
    public String procName(IrqData d, String flowName) {
        return "XT-PIC-XT";
    }

    @Override
    public String checkAffinity(IrqData d, Cpu cpu) {
        return cpu.id() == 0 ? null : "XT-PIC IRQ " + X86Line.of(d).hw + " is delivered by the 8259A, whose one INTR "
                + "output is wired to CPU 0 (virtual wire): it has no affinity to set";
    }

    @Override
    public void setAffinity(IrqData d, Cpu cpu) {
        // Always CPU 0 (see checkAffinity). A line leaving CPU 0 at hotplug stays: see the class comment.
    }

    @Override
    public boolean retrigger(IrqData d, Cpu cpu) {
        x86.resendPic(X86Line.of(d).hw);
        return true;
    }

    @Override
    public boolean isActive(IrqData d) {
        return false;
    }

    @Override
    public String describeHwirq(IrqData d) {
        int irq = X86Line.of(d).hw;
        return "XT-PIC IRQ " + irq + " (" + (irq < 8 ? "master" : "slave") + " IR" + (irq & 7) + ")";
    }

    /**
     * An edge on ISA line {@code irq} (the board wires it to the 8259A and to the masked IO-APIC pin).
     *
     * @throws IllegalArgumentException IRQ 2: the cascade, no device drives it
     * @throws IllegalStateException    a level-triggered (ELCR) line: its request would be withdrawn before INTA
     */
    @Override
    public void pulse(IrqData d) {
        x86.chips().pulseIsaIrq(X86Line.of(d).hw);
    }

    @Override
    public void setLevel(IrqData d, boolean high) {
        x86.chips().setIsaIrq(X86Line.of(d).hw, high);
    }
}
