/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqchip;

import io.kdefer.cpu.Cpu;
import io.kdefer.irq.FlowHandler;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.internal.IrqChip;
import io.kdefer.irq.internal.IrqData;

/**
 * PCI MSI as genirq drives it (kernel: the PCI-MSI irq chip of drivers/pci/msi over x86's vector domain,
 * arch/x86/kernel/apic/msi.c): a line is one message a device writes; there is no pin, no remote IRR, and every MSI
 * is an edge ("PCI-MSI-edge", handle_edge_irq). The device side is modelled here too: the function's message registers
 * (the destination APIC ID and vector the driver programmed) and its per-vector mask bit with the pending bit of
 * MSI-X (a message the device wanted to send while masked is sent at unmask).
 *
 * <pre>
 *   mask / unmask     the function's mask bit (unmask sends a message held pending while masked)
 *   ack               irq_complete_move, a pending move, the local APIC's EOI (apic_ack_irq)
 *   eoi               the same (only if a user chose the fasteoi flow)
 *   setAffinity       a vector on the new CPU and the message reprogrammed (no remote IRR: at once)
 *   retrigger         an IPI of the line's vector to its CPU
 *   isActive          false (an MSI has no active state)
 *   pulse             the device writes its programmed message to the 0xFEExxxxx window (Msi.send)
 *   setLevel          refused: an MSI has no line
 * </pre>
 * A driver gets an MSI IRQ with {@code Irqs.allocMsi(device)} and gives it back with {@code Irqs.freeMsi(irq)};
 * a given-back IRQ cannot be requested or pulsed until allocMsi hands it out again.
 */
final class MsiChip implements IrqChip {
    private final X86Apic x86;      // I

    MsiChip(X86Apic x86) {
        this.x86 = x86;
    }

    @Override
    public String name() {
        return "PCI-MSI";
    }

    @Override
    public void mask(IrqData d) {
        X86Line line = X86Line.of(d);
        synchronized (line) {
            line.msiMasked = true;
        }
    }

    @Override
    public void unmask(IrqData d) {
        X86Line line = X86Line.of(d);
        synchronized (line) {
            line.msiMasked = false;
            if (line.msiPending && line.vector != null) {
                line.msiPending = false;
                x86.chips().msi().send(line.msgCpu, line.msgVector);     // under the line lock: see X86Apic
            }
        }
    }

    @Override
    public void ack(Cpu cpu, IrqData d) {
        x86.ackEdge(cpu, X86Line.of(d));
    }

    @Override
    public void eoi(Cpu cpu, IrqData d) {
        x86.ackEdge(cpu, X86Line.of(d));
    }

    @Override
    public String checkType(IrqData d, int type) {
        return type == IrqFlags.TRIGGER_RISING ? null
                : "an MSI is a message, always edge-triggered (PCI-MSI-edge): TRIGGER_RISING or no trigger flag";
    }

    @Override
    public void setType(IrqData d, int type) {
        // Always an edge.
    }

    @Override
    public int type(IrqData d) {
        return IrqFlags.TRIGGER_RISING;
    }

    @Override
    public FlowHandler flowForType(IrqData d, int type) {
        return FlowHandler.EDGE;
    }

    @Override
    public String procName(IrqData d, String flowName) {
        return "PCI-MSI-" + flowName;
    }

    @Override
    public String checkRequest(IrqData d) {
        X86Line line = X86Line.of(d);
        synchronized (line) {
            return line.vector != null ? null : "MSI IRQ " + line.irq + " was given back (Irqs.freeMsi); get an MSI IRQ"
                    + " with Irqs.allocMsi";
        }
    }

    @Override
    public void setAffinity(IrqData d, Cpu cpu) {
        x86.setAffinity(X86Line.of(d), cpu);
    }

    @Override
    public boolean retrigger(IrqData d, Cpu cpu) {
        return x86.retrigger(X86Line.of(d));
    }

    @Override
    public boolean isActive(IrqData d) {
        return false;
    }

    @Override
    public String describeHwirq(IrqData d) {
        X86Line line = X86Line.of(d);
        synchronized (line) {
            return "MSI " + line.hw + (line.device != null ? " (" + line.device + ")" : "");
        }
    }

    /**
     * The device writes its message: to its programmed destination and vector, or, while the function masks it,
     * into its pending bit (sent at unmask).
     *
     * @throws IllegalStateException the IRQ was given back (freeMsi): the device has no message programmed
     */
    @Override
    public void pulse(IrqData d) {
        X86Line line = X86Line.of(d);
        synchronized (line) {
            if (line.vector == null) {
                throw new IllegalStateException("-EINVAL: MSI IRQ " + line.irq + " was given back (Irqs.freeMsi): its "
                        + "device has no message programmed");
            }
            if (line.msiMasked) {
                line.msiPending = true;
                return;
            }
            // Under the line lock, so that no move overlaps a message in flight (see X86Apic's implementation notes).
            x86.chips().msi().send(line.msgCpu, line.msgVector);
        }
    }

    /** @throws IllegalArgumentException always: an MSI has no line to drive */
    @Override
    public void setLevel(IrqData d, boolean high) {
        throw new IllegalArgumentException("MSI IRQ " + d.irq() + " has no line to drive: an MSI is a message the "
                + "device writes; use pulse(" + d.irq() + ")");
    }
}
