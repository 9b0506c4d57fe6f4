/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqchip;

import io.kdefer.cpu.Cpu;
import io.kdefer.irq.FlowHandler;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.internal.IrqChip;
import io.kdefer.irq.internal.IrqData;
import io.kdefer.x86.DeliveryMode;
import io.kdefer.x86.IoApic;

/**
 * The IO-APIC as genirq drives it (kernel: arch/x86/kernel/apic/io_apic.c's ioapic_chip, over the vector domain of
 * apic/vector.c): a line is one pin, whose redirection entry names the vector and CPU the {@link X86Apic} driver
 * allocated for it.
 *
 * <pre>
 *   mask / unmask     the entry's mask bit (an asserted level pin is sent at unmask)
 *   ack  (edge)       irq_complete_move, a pending move, the local APIC's EOI            (handle_edge_irq)
 *   eoi  (level)      irq_complete_move, [mask], the local APIC's EOI (its broadcast clears the remote IRR),
 *                     MIS check, [retarget, unmask]                                      (handle_fasteoi_irq)
 *   setType           the entry's trigger and polarity; the flow follows: edge -&gt; handle_edge_irq ("IO-APIC-edge"),
 *                     level -&gt; handle_fasteoi_irq ("IO-APIC-fasteoi")
 *   setAffinity       a vector on the new CPU, the entry retargeted (a level pin in flight: at its eoi)
 *   retrigger         an IPI of the line's vector to its CPU (apic_retrigger_irq)
 *   isActive          a level pin's remote IRR (ioapic_irq_get_chip_state)
 *   setupNmi          refused: x86 has no NMI-capable IRQ lines (request_nmi is -EINVAL)
 * </pre>
 *
 * <h2>Triggers (the firmware's routing, MP table / MADT)</h2>
 * <pre>
 *   ISA IRQs 0, 1, 3-15   pins 2 (IRQ 0), 1, 3-15   TRIGGER_RISING (the ISA default) or TRIGGER_HIGH (level, as ACPI
 *                                                   configures the SCI on IRQ 9): active high, as ISA devices drive
 *   PCI GSIs 16-23        pins 16-23                TRIGGER_LOW only: level, active low, shareable
 * </pre>
 * Other triggers are refused (-EINVAL): FALLING or LOW on an ISA line, or HIGH on a PCI line, would invert the pin's
 * polarity (an idle line would storm); an edge on a PCI line would lose interrupts of a shared level line. The kernel's
 * IO-APIC chip has no irq_set_type and silently keeps the firmware's trigger; kdefer says why instead.
 */
final class IoApicChip implements IrqChip {
    private final X86Apic x86;      // I
    private final IoApic ioApic;    // I

    IoApicChip(X86Apic x86) {
        this.x86 = x86;
        this.ioApic = x86.ioApic();
    }

    @Override
    public String name() {
        return "IO-APIC";
    }

    @Override
    public void mask(IrqData d) {
        X86Line line = X86Line.of(d);
        synchronized (line) {
            ioApic.mask(line.hw);
        }
    }

    @Override
    public void unmask(IrqData d) {
        X86Line line = X86Line.of(d);
        synchronized (line) {
            ioApic.unmask(line.hw);          // may send (an asserted level pin): under the line lock, see X86Apic
        }
    }

    @Override
    public void ack(Cpu cpu, IrqData d) {
        X86Line line = X86Line.of(d);
        if (isLevel(line)) {
            x86.eoiLevel(cpu, line);            // a level line under the edge or level flow (setFlowHandler)
        } else {
            x86.ackEdge(cpu, line);
        }
    }

    @Override
    public void eoi(Cpu cpu, IrqData d) {
        X86Line line = X86Line.of(d);
        if (isLevel(line)) {
            x86.eoiLevel(cpu, line);
        } else {
            x86.ackEdge(cpu, line);             // an edge line under the fasteoi flow (setFlowHandler)
        }
    }

    private static boolean isLevel(X86Line line) {
        synchronized (line) {
            return line.level;
        }
    }

    @Override
    public String checkType(IrqData d, int type) {
        X86Line line = X86Line.of(d);
        if (line.isPci()) {
            if (type == IrqFlags.TRIGGER_LOW) {
                return null;
            }
            return "IO-APIC pin " + line.hw + " (GSI " + line.hw + ") is a PCI interrupt line: level-triggered, active "
                    + "low and shareable; request it with TRIGGER_LOW (or no trigger flag)"
                    + (type == IrqFlags.TRIGGER_HIGH ? ": TRIGGER_HIGH would invert the polarity and the idle line"
                    + " would storm" : ": an edge trigger would lose the interrupts of a shared level line");
        }
        if (type == IrqFlags.TRIGGER_RISING || type == IrqFlags.TRIGGER_HIGH) {
            return null;
        }
        return "ISA IRQ " + line.isaIrq + " (IO-APIC pin " + line.hw + ") is active high, as ISA devices drive it: "
                + "TRIGGER_RISING (edge, the ISA default) or TRIGGER_HIGH (level)";
    }

    @Override
    public void setType(IrqData d, int type) {
        X86Line line = X86Line.of(d);
        synchronized (line) {
            line.level = (type & (IrqFlags.TRIGGER_HIGH | IrqFlags.TRIGGER_LOW)) != 0;
            line.activeLow = (type & (IrqFlags.TRIGGER_LOW | IrqFlags.TRIGGER_FALLING)) != 0;
            ioApic.program(line.hw, line.vector.vector(), DeliveryMode.FIXED, line.vector.cpu(), line.level,
                    line.activeLow, ioApic.isMasked(line.hw));
        }
    }

    @Override
    public int type(IrqData d) {
        X86Line line = X86Line.of(d);
        synchronized (line) {
            return line.typeLocked();
        }
    }

    @Override
    public FlowHandler flowForType(IrqData d, int type) {
        return (type & (IrqFlags.TRIGGER_HIGH | IrqFlags.TRIGGER_LOW)) != 0 ? FlowHandler.FASTEOI : FlowHandler.EDGE;
    }

    @Override
    public String procName(IrqData d, String flowName) {
        return "IO-APIC-" + flowName;
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
        X86Line line = X86Line.of(d);
        return isLevel(line) && ioApic.remoteIrr(line.hw);
    }

    @Override
    public String describeHwirq(IrqData d) {
        X86Line line = X86Line.of(d);
        return "IO-APIC pin " + line.hw;
    }

    /** The device's edge, under the line lock so that no move overlaps the message (see X86Apic). */
    @Override
    public void pulse(IrqData d) {
        X86Line line = X86Line.of(d);
        synchronized (line) {
            if (line.isaIrq >= 0) {
                x86.chips().pulseIsaIrq(line.isaIrq);      // the 8259A input too: the board wires both
            } else {
                ioApic.pulse(line.hw);                     // a PCI line asserted (low) and released
            }
        }
    }

    /** The device's level, under the line lock so that no move overlaps the message (see X86Apic). */
    @Override
    public void setLevel(IrqData d, boolean high) {
        X86Line line = X86Line.of(d);
        synchronized (line) {
            if (line.isaIrq >= 0) {
                x86.chips().setIsaIrq(line.isaIrq, high);
            } else {
                x86.chips().setPciGsi(line.hw, high);
            }
        }
    }
}
