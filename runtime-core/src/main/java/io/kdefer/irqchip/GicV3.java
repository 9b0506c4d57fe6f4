/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqchip;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Arch;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.gic.CpuInterface;
import io.kdefer.gic.Gic;
import io.kdefer.internal.Access;
import io.kdefer.internal.Kernel;
import io.kdefer.irq.internal.GenIrq;
import io.kdefer.irq.internal.IrqDomain;
import io.kdefer.smp.Ipi;
import io.kdefer.smp.internal.Ipis;

import java.lang.System.Logger.Level;

/**
 * The arm64 platform: the GICv3 driver (kernel: drivers/irqchip/irq-gic-v3.c, with arch/arm64's IPI setup and the
 * arch timer's per-CPU interrupt). Not API: {@code Machine.gic()} is how applications reach the GIC model.
 *
 * <p>At boot it builds the {@link Gic} model, an irq domain mapping INTID n to IRQ n (so IRQ numbers are INTIDs),
 * one descriptor per INTID 0-1019 driven by {@link GicChip}, and it plugs in:
 * <ul>
 *   <li>the CPUs' {@link Arch}: whether an interrupt is signalled, acknowledge (ICC_IAR1), and the root handler
 *       (kernel: gic_handle_irq): priority drop (ICC_EOIR1, EOImode=1), then genirq; an INTID with no descriptor is
 *       deactivated and counted (B-GIC-8);</li>
 *   <li>the IPIs: IPI n is SGI n (B-GIC-13); the SGIs are per-CPU lines whose handler hands the IPI to smp;</li>
 *   <li>the tick: the arch timer's PPI 30, raised by the CPU's clock and handled as a per-CPU line.</li>
 * </ul>
 */
public final class GicV3 implements Arch, Ipis.Sender {
    private static final System.Logger LOG = System.getLogger("io.kdefer.irqchip");


    static {
        Access.register(GicV3.class, GicV3::install);
    }

    private final Gic gic;              // I
    private final GenIrq genIrq;        // I
    private final IrqDomain domain;     // I
    private final Ipis ipis;            // I
    private final CpuInterface[] cis;   // I: each CPU's interface
    private volatile boolean unmappedReported;   // A

    /** The platform's installer ({@code Access}): after genirq and smp, before the subsystems that use IPIs. */
    static void install(Kernel k) {
        Cpus cpus = k.get(Cpus.class);
        Gic gic = new Gic(cpus.count(), pe -> cpus.kick(cpus.cpu(pe)), () -> currentPe(cpus));
        k.put(Gic.class, gic);
        new GicV3(gic, cpus, k.get(GenIrq.class), k.get(Ipis.class));
    }

    // The PE the calling thread runs on (its CPU thread, or a thread bound to a CPU), for "all but self" SGIs.
    private static int currentPe(Cpus cpus) {
        Cpu c = Cpu.current();
        return c != null && c.id() < cpus.count() && cpus.cpu(c.id()) == c ? c.id() : -1;
    }

    private GicV3(Gic gic, Cpus cpus, GenIrq genIrq, Ipis ipis) {
        this.gic = gic;
        this.genIrq = genIrq;
        this.ipis = ipis;
        this.cis = new CpuInterface[cpus.count()];
        for (int i = 0; i < cis.length; i++) {
            cis[i] = gic.cpuInterface(i);
        }
        GicChip chip = new GicChip(gic, cpus);
        this.domain = new IrqDomain("GICv3", Gic.SPI_LAST + 1, null);
        for (int intid = 0; intid <= Gic.SPI_LAST; intid++) {
            boolean percpu = intid < Gic.SPI_FIRST;
            genIrq.map(domain, intid, intid, chip, null, percpu, Gic.isSgi(intid));
        }
        genIrq.setNumbering(GicV3::whyNot);
        cpus.setArch(this);
        ipis.setSender(this);
        for (Ipi ipi : Ipi.values()) {
            genIrq.requestPercpu(ipi.number(), cpu -> ipis.handle(cpu, ipi), "IPI");
        }
        genIrq.requestPercpu(Gic.TIMER_PPI, cpus::tick, "arch_timer");
    }

    // IRQ numbers are INTIDs: the GIC's own reason why a number is not one (B-GIC-1, B-GIC-23).
    private static String whyNot(int irq) {
        try {
            Gic.checkIntid(irq);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        return "-EINVAL: INTID " + irq + " has no descriptor";
    }

    // ---------------------------------------------------------------------------------------------- Arch

    @Override
    public boolean mayBeSignalled(Cpu cpu) {
        return cis[cpu.id()].mayBeSignalled();
    }

    @Override
    public boolean isSignalled(Cpu cpu, boolean irqsDisabled) {
        return cis[cpu.id()].isSignalled(irqsDisabled ? Gic.PMR_IRQ_OFF : Gic.PMR_NONE);
    }

    @Override
    public long acknowledge(Cpu cpu, boolean irqsDisabled) {
        CpuInterface ci = cis[cpu.id()];
        int intid = ci.acknowledge(irqsDisabled ? Gic.PMR_IRQ_OFF : Gic.PMR_NONE);
        if (intid == Gic.SPURIOUS) {
            return NONE;
        }
        boolean nmi = ci.runningPriority() < Gic.PMR_IRQ_OFF;     // taken through the IRQ-off mask: a pseudo-NMI
        return intid | (nmi ? NMI : 0);
    }

    @Override
    public void handle(Cpu cpu, int intid) {
        CpuInterface ci = cis[cpu.id()];
        ci.endOfInterrupt(intid);                                  // priority drop right after acknowledge
        if (!genIrq.handleDomainIrq(cpu, domain, intid)) {
            if (!unmappedReported) {
                unmappedReported = true;
                LOG.log(Level.WARNING, cpu + ": unexpected INTID " + intid + " with no descriptor; deactivated"
                        + " (B-GIC-8; reported once)");
            }
            ci.deactivate(intid);
        }
    }

    @Override
    public void raiseTick(Cpu cpu) {
        gic.assertLine(Gic.TIMER_PPI, cpu.id());
    }

    @Override
    public void tickHandled(Cpu cpu) {
        gic.deassertLine(Gic.TIMER_PPI, cpu.id());
    }

    @Override
    public String describePending(Cpu cpu) {
        int hppi = cis[cpu.id()].highestPending();
        return hppi == Gic.SPURIOUS ? "" : "INTID " + hppi + " pending";
    }

    // ---------------------------------------------------------------------------------------------- IPIs

    /** IPI n is SGI n (B-GIC-13). */
    @Override
    public void send(Ipi ipi, Cpu target) {
        gic.sendSgi(ipi.number(), target.id());
    }

    @Override
    public String toString() {
        return "GICv3 platform";
    }
}
