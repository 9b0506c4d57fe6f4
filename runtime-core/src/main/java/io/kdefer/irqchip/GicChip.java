/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqchip;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.gic.Gic;
import io.kdefer.gic.InterruptState;
import io.kdefer.gic.Trigger;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.internal.IrqChip;
import io.kdefer.irq.internal.IrqData;

/**
 * The GICv3 as genirq drives it (kernel: drivers/irqchip/irq-gic-v3.c's struct irq_chip): every chip operation is a
 * register access of the {@link Gic} model, with Linux's choices (EOImode=1: the priority drop at entry is the root
 * handler's, the deactivation here is the chip's ack/eoi; pseudo-NMIs by priority).
 *
 * <pre>
 *   mask / unmask         ICENABLER / ISENABLER (an SGI or PPI on every PE)
 *   ack / eoi             ICC_DIR (deactivate) on the handling PE
 *   setType               GICD_ICFGR / GICR_ICFGR: edge rising or level high only (B-GIC-14)
 *   setAffinity           GICD_IROUTER (SPIs)
 *   retrigger             ISPENDR (B-GIC-16)
 *   isActive              ISACTIVER
 *   setupNmi/teardownNmi  priority 0x80 / 0xc0
 *   disablePercpu         ICENABLER of one PE's redistributor
 * </pre>
 * The hwirq is the INTID; the domain maps INTID n to IRQ n.
 */
final class GicChip implements IrqChip {
    private final Gic gic;      // I
    private final Cpus cpus;    // I

    GicChip(Gic gic, Cpus cpus) {
        this.gic = gic;
        this.cpus = cpus;
    }

    @Override
    public String name() {
        return "GICv3";
    }

    @Override
    public void mask(IrqData d) {
        gic.disable(d.hwirq());
    }

    @Override
    public void unmask(IrqData d) {
        gic.enable(d.hwirq());
    }

    @Override
    public void ack(Cpu cpu, IrqData d) {
        gic.cpuInterface(cpu.id()).deactivate(d.hwirq());
    }

    @Override
    public void eoi(Cpu cpu, IrqData d) {
        gic.cpuInterface(cpu.id()).deactivate(d.hwirq());
    }

    @Override
    public String checkType(IrqData d, int type) {
        if (Gic.isSgi(d.hwirq()) && type != IrqFlags.TRIGGER_RISING) {
            return "INTID " + d.hwirq() + " is an SGI, always edge-triggered (B-GIC-14)";
        }
        if (type != IrqFlags.TRIGGER_RISING && type != IrqFlags.TRIGGER_HIGH) {
            return "the GICv3 takes only TRIGGER_HIGH (level) or TRIGGER_RISING (edge) (B-GIC-14)";
        }
        return null;
    }

    @Override
    public void setType(IrqData d, int type) {
        int intid = d.hwirq();
        gic.configure(intid, type == IrqFlags.TRIGGER_RISING ? Trigger.EDGE_RISING : Trigger.LEVEL_HIGH,
                gic.priority(intid));
    }

    @Override
    public int type(IrqData d) {
        return gic.trigger(d.hwirq()) == Trigger.EDGE_RISING ? IrqFlags.TRIGGER_RISING : IrqFlags.TRIGGER_HIGH;
    }

    @Override
    public void setAffinity(IrqData d, Cpu cpu) {
        gic.route(d.hwirq(), cpu.id());
    }

    @Override
    public boolean retrigger(IrqData d, Cpu cpu) {
        gic.setPending(d.hwirq(), cpu.id());
        return true;
    }

    @Override
    public boolean isActive(IrqData d) {
        InterruptState s = gic.state(d.hwirq(), 0);
        return s == InterruptState.ACTIVE || s == InterruptState.ACTIVE_PENDING;
    }

    @Override
    public boolean setupNmi(IrqData d) {
        gic.configure(d.hwirq(), gic.trigger(d.hwirq()), Gic.PRIORITY_NMI);
        return true;
    }

    @Override
    public void teardownNmi(IrqData d) {
        gic.configure(d.hwirq(), gic.trigger(d.hwirq()), Gic.PRIORITY_IRQ);
    }

    @Override
    public void disablePercpu(IrqData d, Cpu cpu) {
        gic.disable(d.hwirq(), cpu.id());
    }

    @Override
    public String describeHwirq(IrqData d) {
        return "INTID " + d.hwirq();
    }

    @Override
    public void pulse(IrqData d) {
        int intid = d.hwirq();
        if (Gic.isSpi(intid)) {
            gic.pulse(intid);
        } else if (Gic.isPpi(intid)) {
            gic.pulse(intid, cpus.thisCpu().id());         // a PPI is private: the caller's CPU's
        } else {
            throw new IllegalArgumentException("INTID " + intid + " is an SGI: software generated, no device drives"
                    + " it (B-GIC-1)");
        }
    }

    @Override
    public void setLevel(IrqData d, boolean high) {
        int intid = d.hwirq();
        if (Gic.isSpi(intid)) {
            if (high) {
                gic.assertLine(intid);
            } else {
                gic.deassertLine(intid);
            }
        } else if (Gic.isPpi(intid)) {
            int cpu = cpus.thisCpu().id();
            if (high) {
                gic.assertLine(intid, cpu);
            } else {
                gic.deassertLine(intid, cpu);
            }
        } else {
            throw new IllegalArgumentException("INTID " + intid + " is an SGI: software generated, no device drives"
                    + " it (B-GIC-1)");
        }
    }
}
