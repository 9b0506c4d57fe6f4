/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqchip;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Arch;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Access;
import io.kdefer.internal.Kernel;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irq.Irqs;
import io.kdefer.irq.internal.GenIrq;
import io.kdefer.irq.internal.IrqData;
import io.kdefer.irq.internal.IrqDomain;
import io.kdefer.smp.Ipi;
import io.kdefer.smp.internal.Ipis;
import io.kdefer.x86.DeliveryMode;
import io.kdefer.x86.I8259Pair;
import io.kdefer.x86.IoApic;
import io.kdefer.x86.IrqVectors;
import io.kdefer.x86.LocalApic;
import io.kdefer.x86.VectorMatrix;
import io.kdefer.x86.X86Chips;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The x86 platforms ({@code Platform.X86_APIC} and {@code Platform.X86_LEGACY_PIC}): the driver of the PC's interrupt
 * hardware ({@link X86Chips}: a local APIC per CPU, the IO-APIC, the 8259A pair, MSI) with the kernel's x86 interrupt
 * entry (kernel: arch/x86/kernel/irq.c's common_interrupt / do_IRQ, apic/vector.c, apic/io_apic.c, i8259.c,
 * apic/msi.c). Not API: {@code Machine.ioApic()}, {@code localApic(cpu)}, {@code pic()} and {@code msi()} reach the
 * hardware models.
 *
 * <h2>What it plugs in</h2>
 * <ul>
 *   <li>the CPUs' {@link Arch}: the local APIC's INTA cycle, and the root handler, do_IRQ: a system vector runs its
 *       handler (LOCAL_TIMER the tick, the IPI vectors smp's dispatch, ERROR, SPURIOUS); a device vector is looked
 *       up in the CPU's {@code vector_irq} table ({@link VectorMatrix}) and handed to genirq; a vector with no
 *       descriptor is acknowledged and reported once per vector ("No irq handler for vector");</li>
 *   <li>the lines: {@link IoApicChip} for the ISA IRQs and PCI GSIs (X86_APIC), {@link I8259Chip} for the 8259A's
 *       IRQs 0-15 (X86_LEGACY_PIC), {@link MsiChip} for the MSI IRQs a driver allocates ({@code Irqs.allocMsi});</li>
 *   <li>the IPIs: the kernel's x86 system vectors, sent through the sending CPU's ICR (reschedule 0xfd,
 *       call-function-single 0xfb, irq_work self-IPI 0xf6, stop 0xf8; the NMI kinds as NMI IPIs);</li>
 *   <li>the tick: each CPU's local APIC timer (vector 0xec, one-shot), fired when the CPU's clock says a tick is
 *       due ({@link LocalApic#fireTimer()});</li>
 *   <li>vector moves: {@code setAffinity} allocates a vector on the new CPU, reprograms the IO-APIC entry or the MSI
 *       message, and frees the old vector once the first interrupt arrived on the new one (the kernel's
 *       move-in-progress, then the cleanup IPI {@link #IRQ_MOVE_CLEANUP_VECTOR} on the old CPU);</li>
 *   <li>hotplug: lines leave a CPU that goes offline (genirq's migration, then this driver's dying step forces what
 *       is left: a pending move, a level line still awaiting its EOI), and vectors still requested in the dying CPU's
 *       IRR are resent to the lines' new CPUs (the kernel's fixup_irqs);</li>
 *   <li>/proc/interrupts in the x86 layout: the lines as "IO-APIC-edge", "IO-APIC-fasteoi", "PCI-MSI-edge",
 *       "XT-PIC-XT"; then NMI, LOC, SPU, IWI, RES, CAL, ERR, MIS.</li>
 * </ul>
 *
 * <h2>IRQ numbers</h2>
 * <pre>
 *   X86_APIC        0-15   ISA IRQs on IO-APIC pins 0-15, IRQ 0 (the PIT) on pin 2 (the MADT's source override);
 *                          IRQ 2 has no line (pin 2 carries IRQ 0, the 8259A cascade is masked off)
 *                   16-23  PCI INTx lines on pins 16-23 (level, active low)
 *                   24-    MSI IRQs, from Irqs.allocMsi until Irqs.freeMsi
 *   X86_LEGACY_PIC  0-15   the 8259A's IRQs (IRQ 2 is the cascade, requested at boot as "cascade")
 *                   16-    MSI IRQs
 * </pre>
 *
 * <h2>Bad programming</h2>
 * Through the models' register interfaces it behaves as the hardware does (see each model). The root handler adds:
 * a vector the CPU took with no descriptor is EOIed (if the APIC has it in service) and reported once per (CPU,
 * vector), counted in ERR; an exception vector (0x10-0x1f, from a misprogrammed IO-APIC entry or MSI) likewise; an
 * APIC error interrupt latches and reports the ESR (ERR); a spurious 8259A IRQ 7/15 is reported once (ERR) and not
 * handed to genirq; a level interrupt whose TMR bit was clear at its EOI is counted in MIS and its IO-APIC pin EOIed
 * directly (the kernel's workaround for that erratum). Through the public API the chips reject misuse with the
 * kernel's reason (each chip's {@code checkType}, {@code checkAffinity}, {@code checkRequest}).
 */
public final class X86Apic implements Arch, Ipis.Sender {
    /* Implementation notes
     *
     * Tokens. acknowledge() returns the vector the local APIC's INTA cycle gave (the 8259A's for an ExtINT), or
     * NMI_TOKEN for an NMI, or RESEND_TOKEN + irq for a software resend of an XT-PIC line (the 8259A cannot replay an
     * edge: retrigger queues it here, and CPU 0 takes it after every real interrupt, as the kernel's resend tasklet
     * runs after the hardirqs). Deviation: the resent handler runs in hardirq context, not in the tasklet's softirq.
     *
     * inFlight[cpu] is the vector do_IRQ is dispatching on that CPU (C: written and read only by the CPU's executing
     * thread; hardirqs do not nest and NMIs do not touch it). The chips' ack and eoi read it: the kernel's
     * irq_complete_move compares the vector the interrupt arrived on with the line's new vector.
     *
     * Locks, in order: genirq's descriptor lock -> X86Line (synchronized) -> the vector matrix -> the chip models'
     * own locks. do_IRQ takes none of the first two (vector_irq lookups are lock-free acquire loads). The hotplug step
     * takes a descriptor lock (IrqDesc.affinity()) before, never inside, a line lock.
     *
     * Messages and moves. Every message the driver or a device makes for a line (a pin driven or pulsed, an MSI
     * written, an unmask or an EOI that sends an asserted level pin again, a retrigger IPI) is generated and delivered
     * under the line's lock, and every move reprograms the chip under it, so no move overlaps a message in flight for
     * the line: a message either reached its CPU's IRR before the move (the old vector stays installed until the
     * cleanup finds it no longer requested there, and the hotplug step resends it) or goes to the new target. Real
     * buses have posted writes in flight; the kernel covers them with the move-in-progress state (kept here) and, at
     * hotplug, by checking the IRR after the move. Device-side register pokes through the models are outside this.
     *
     * Moves (kernel: apic_set_affinity, ioapic_ack_level, irq_complete_move, vector_cleanup). setAffinity
     * allocates the new vector and reprograms the chip at once, except for a level IO-APIC pin whose remote IRR is set
     * (the EOI broadcast carries the vector, so an entry retargeted under an instance in flight would keep its remote
     * IRR forever): that move waits for the line's eoi, which masks, EOIs, retargets and unmasks, as the kernel
     * does. A move refused because the previous one is in progress (no interrupt yet on its new vector) waits for the
     * line's next interrupt too (the kernel's pending move). Deviation: a move refused because the previous move's
     * old vector awaits its cleanup IPI runs that cleanup at once from the caller (freeing an old vector only if the
     * old CPU's APIC has it neither requested nor in service, which is safe from any thread: do_IRQ reads vector_irq
     * between the acknowledge that sets ISR and the EOI that clears it), where the kernel waits for another interrupt.
     *
     * The tick. The CPU loop decides when a tick is due (DESIGN §2) and raiseTick fires the local APIC timer, whose
     * vector the CPU then takes like any other; the model's own count-down is not used (tickHandled has nothing to
     * lower: the timer vector is an edge, ended by its EOI).
     *
     * Hotplug (kernel: fixup_irqs, irq_force_complete_move, lapic_offline/online). genirq's migration moves the lines
     * whose target is the dying CPU while it still takes interrupts (offlining). On the dying CPU, IRQs off, this
     * driver then forces every line whose vector is still there (a pending move, a level pin that was in flight),
     * through genirq's setAffinity so that the descriptor lock is held and genirq's target follows (the field
     * forcing tells the chip): a move in progress is completed, the old vector freed even if requested (it is
     * resent), the line moved to its pending target, genirq's target, or any online CPU. Then every device vector
     * still requested in the dying CPU's IRR is resent to its line's CPU as an IPI (a level pin resent so arrives
     * edge-triggered: its EOI finds the TMR bit clear and EOIs the pin directly, the MIS path, which clears the
     * remote IRR the stranded instance left), and marked retriggered so that the stale IRR bit, taken when the CPU
     * comes back, is swallowed silently (the kernel's VECTOR_RETRIGGERED). Last, the moves away from it are
     * completed and every old vector on it freed, and its matrix goes offline; lapic_online clears its vector_irq
     * when it comes back.
     *
     * Non-invariants: mayBeSignalled is the local APIC's racy hint; a retriggered mark that no stale interrupt
     * consumes stays and swallows one later "No irq handler" report for that (cpu, vector).
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.irqchip");

    static {
        Access.register(X86Apic.class, X86Apic::install);
    }

    /**
     * The move-cleanup IPI's vector (the kernel's IRQ_MOVE_CLEANUP_VECTOR = FIRST_EXTERNAL_VECTOR, until recent kernels
     * replaced the IPI with a per-CPU timer): the lowest priority class, so that a device vector still requested on
     * the old CPU is taken before the cleanup looks at it. Reserved as a system vector on every CPU.
     */
    static final int IRQ_MOVE_CLEANUP_VECTOR = IrqVectors.FIRST_EXTERNAL_VECTOR;
    /** The first MSI IRQ: on X86_APIC after the 24 GSIs, on X86_LEGACY_PIC after the ISA IRQs. */
    static final int FIRST_MSI_IRQ_APIC = IoApic.PINS;
    static final int FIRST_MSI_IRQ_PIC = IrqVectors.NR_IRQS_LEGACY;

    private static final int NMI_TOKEN = 0x100 | IrqVectors.NMI_VECTOR;
    private static final int RESEND_TOKEN = 0x200;
    /** inFlight value while an XT-PIC software resend is dispatched (no vector: the chip must not EOI the 8259A). */
    static final int RESENT = -1;
    private static final int PIC_VECTOR_BASE = IrqVectors.isaIrqVector(0);

    private final Cpus cpus;                               // I
    private final GenIrq genIrq;                           // I
    private final Irqs irqs;                               // I
    private final Ipis ipis;                               // I
    private final X86Chips chips;                          // I
    private final LocalApic[] apics;                       // I
    private final IoApic ioApic;                           // I
    private final I8259Pair pic;                           // I
    private final boolean legacy;                          // I: X86_LEGACY_PIC
    private final VectorMatrix<IrqData> matrix;            // I
    private final IoApicChip ioApicChip;                   // I
    private final MsiChip msiChip;                         // I
    private final I8259Chip picChip;                       // I
    private final IrqDomain vectorDomain;                  // I: the root of the hierarchy (informational)
    private final IrqDomain ioApicDomain;                  // I: null on X86_LEGACY_PIC
    private final IrqDomain picDomain;                     // I: null on X86_APIC
    private final IrqDomain msiDomain;                     // I
    private final X86Line[] fixedLines;                    // I: by IRQ number, the IO-APIC or PIC lines
    private final int firstMsiIrq;                         // I

    private final Object msiLock = new Object();           // I: serialises allocMsi / freeMsi (the MSI domain)
    private final List<X86Line> msiLines = new ArrayList<>();   // L(msiLock): by MSI index
    private volatile X86Line[] msiSnapshot = new X86Line[0];    // A: copy-on-write view for the hotplug walk

    private final int[] inFlight;                          // C: per CPU, see implementation notes
    private final long[] retriggered;                      // A: per CPU 4 words, through LONGS
    private final long[] loc;                              // O(each CPU its slot): local timer interrupts
    private final long[] spu;                              // O(each CPU its slot): spurious interrupts
    private final long[] nmi;                              // O(each CPU its slot): NMIs
    private final boolean[] unknownNmiReported;            // C: per CPU
    private final boolean[] apicErrorReported;             // C: per CPU
    private final AtomicIntegerArray nmiKinds;             // A: per CPU, the Ipi kinds sent as NMIs
    private final AtomicInteger picResend = new AtomicInteger();   // A: XT-PIC IRQs to resend on CPU 0
    private final AtomicLong mis = new AtomicLong();       // A: the MIS count
    private volatile int forcing = -1;                     // O(the dying CPU's thread): the CPU fixupIrqs empties
    private final long[] badVectorReported = new long[4];  // A: through LONGS, vectors reported once
    private final AtomicInteger spurious8259Reported = new AtomicInteger();   // A: IRQ 7 / 15 reported (bits)

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /** The platform's installer ({@code Access}): after genirq and smp, before the subsystems that use IPIs. */
    static void install(Kernel k) {
        Cpus cpus = k.get(Cpus.class);
        boolean legacy = "X86_LEGACY_PIC".equals(k.config().platform());
        X86Chips chips = new X86Chips(cpus.count(), cpu -> cpus.kick(cpus.cpu(cpu)), () -> currentCpu(cpus),
                cpus::clockNanos);
        k.put(X86Chips.class, chips);
        X86Apic x86 = new X86Apic(chips, legacy, cpus, k.get(GenIrq.class), k.get(Irqs.class), k.get(Ipis.class));
        k.put(X86Apic.class, x86);
    }

    // The CPU the calling thread runs on (its CPU thread, or a thread bound to a CPU), or -1.
    private static int currentCpu(Cpus cpus) {
        Cpu c = Cpu.current();
        return c != null && c.id() < cpus.count() && cpus.cpu(c.id()) == c ? c.id() : -1;
    }

    private X86Apic(X86Chips chips, boolean legacy, Cpus cpus, GenIrq genIrq, Irqs irqs, Ipis ipis) {
        this.cpus = cpus;
        this.genIrq = genIrq;
        this.irqs = irqs;
        this.ipis = ipis;
        this.chips = chips;
        this.legacy = legacy;
        int n = cpus.count();
        this.apics = new LocalApic[n];
        for (int c = 0; c < n; c++) {
            apics[c] = chips.localApic(c);
            // The lapic clockevent: one-shot, unmasked; fired by raiseTick.
            apics[c].setTimerEntry(IrqVectors.LOCAL_TIMER_VECTOR, false, false);
        }
        this.ioApic = chips.ioApic();
        this.pic = chips.pic();
        this.inFlight = new int[n];
        this.retriggered = new long[n * 4];
        this.loc = new long[n];
        this.spu = new long[n];
        this.nmi = new long[n];
        this.unknownNmiReported = new boolean[n];
        this.apicErrorReported = new boolean[n];
        this.nmiKinds = new AtomicIntegerArray(n);
        this.matrix = new VectorMatrix<>(n, legacy);
        matrix.reserveSystemVector(IRQ_MOVE_CLEANUP_VECTOR);
        this.ioApicChip = new IoApicChip(this);
        this.msiChip = new MsiChip(this);
        this.picChip = new I8259Chip(this);
        this.vectorDomain = new IrqDomain("VECTOR", IrqVectors.NR_VECTORS, null);
        this.fixedLines = new X86Line[legacy ? IrqVectors.NR_IRQS_LEGACY : IoApic.PINS];
        if (legacy) {
            this.ioApicDomain = null;
            this.picDomain = new IrqDomain("XT-PIC", IrqVectors.NR_IRQS_LEGACY, vectorDomain);
            this.firstMsiIrq = FIRST_MSI_IRQ_PIC;
            chips.enableVirtualWire();
            for (int irq = 0; irq < IrqVectors.NR_IRQS_LEGACY; irq++) {
                X86Line line = new X86Line(X86Line.PIC, irq, irq, irq);
                line.data = genIrq.map(picDomain, irq, irq, picChip, line, false, false);
                fixedLines[irq] = line;
                if (irq != I8259Pair.CASCADE_IRQ) {
                    matrix.assignLegacy(irq, line.data);
                }
            }
        } else {
            this.picDomain = null;
            this.ioApicDomain = new IrqDomain("IO-APIC", IoApic.PINS, vectorDomain);
            this.firstMsiIrq = FIRST_MSI_IRQ_APIC;
            BitSet cpu0 = new BitSet();
            cpu0.set(0);
            for (int irq = 0; irq < IoApic.PINS; irq++) {
                if (irq == I8259Pair.CASCADE_IRQ) {
                    continue;
                }
                boolean isa = irq < IrqVectors.NR_IRQS_LEGACY;
                int pin = isa ? X86Chips.isaToGsi(irq) : irq;
                X86Line line = new X86Line(X86Line.IOAPIC, irq, pin, isa ? irq : -1);
                synchronized (line) {
                    // Firmware's routing (MP table / MADT): ISA edge active high, PCI level active low.
                    line.level = !isa;
                    line.activeLow = !isa;
                }
                line.data = genIrq.map(ioApicDomain, pin, irq, ioApicChip, line, false, false);
                synchronized (line) {
                    // Vectors at boot, on CPU 0 (genirq's default target), as kernels before reservation mode did.
                    line.vector = matrix.allocate(line.data, cpu0);
                    ioApic.program(pin, line.vector.vector(), DeliveryMode.FIXED, line.vector.cpu(), line.level,
                            line.activeLow, true);
                }
                fixedLines[irq] = line;
            }
        }
        this.msiDomain = new IrqDomain("PCI-MSI", GenIrq.MAX_IRQS - firstMsiIrq, vectorDomain);
        genIrq.setNumbering(this::whyNot);
        genIrq.setMsiParent(new GenIrq.MsiParent() {
            @Override
            public int alloc(String device) {
                return allocMsi(device);
            }

            @Override
            public void free(int irq) {
                freeMsi(irq);
            }
        });
        genIrq.addProcRows(this::showRows);
        genIrq.leaveErrRowToPlatform();
        ipis.leaveProcRowsToPlatform();
        cpus.setArch(this);
        ipis.setSender(this);
        cpus.addHotplugHook(new Cpus.HotplugHook() {
            @Override
            public void dying(Cpu cpu) {
                fixupIrqs(cpu);
            }

            @Override
            public void online(Cpu cpu) {
                matrix.setOnline(cpu.id(), true);            // lapic_online: vector_irq cleared, legacy reinstalled
            }
        });
        if (legacy) {
            // init_ISA_irqs without an IO-APIC: the slave's INT reaches the master only with IR2 unmasked.
            irqs.request(I8259Pair.CASCADE_IRQ, (irq, dev) -> IrqReturn.NONE, IrqFlags.NO_THREAD, "cascade", null);
        }
    }

    // The -EINVAL of a call naming an IRQ this platform has no line for.
    private String whyNot(int irq) {
        if (irq < 0) {
            return "-EINVAL: IRQ " + irq + ": IRQ numbers are >= 0";
        }
        if (!legacy && irq == I8259Pair.CASCADE_IRQ) {
            return "-EINVAL: IRQ 2 has no line on an IO-APIC machine: GSI 2 carries IRQ 0 (the PIT, through the MADT's"
                    + " interrupt source override) and the 8259A cascade is masked off";
        }
        if (legacy) {
            return "-EINVAL: no IRQ " + irq + ": the X86_LEGACY_PIC platform has the 8259A's IRQs 0-15 (no IO-APIC"
                    + " lines); MSI IRQs (" + firstMsiIrq + " up) exist from Irqs.allocMsi until Irqs.freeMsi";
        }
        return "-EINVAL: no IRQ " + irq + ": IRQs 0-15 are the ISA lines, 16-23 the PCI lines (IO-APIC GSIs); MSI"
                + " IRQs (" + firstMsiIrq + " up) exist from Irqs.allocMsi until Irqs.freeMsi";
    }

    // ---------------------------------------------------------------------------------------------- models

    X86Chips chips() {
        return chips;
    }

    IoApic ioApic() {
        return ioApic;
    }

    I8259Pair pic() {
        return pic;
    }

    LocalApic apic(int cpu) {
        return apics[cpu];
    }

    Cpus cpus() {
        return cpus;
    }

    /** The vector matrix (tests). */
    VectorMatrix<IrqData> matrix() {
        return matrix;
    }

    /** The MIS count (tests). */
    long misCount() {
        return mis.get();
    }

    boolean isLegacy() {
        return legacy;
    }

    // ---------------------------------------------------------------------------------------------- Arch

    @Override
    public boolean mayBeSignalled(Cpu cpu) {
        LocalApic a = apics[cpu.id()];
        return a.mayBeSignalled() || a.nmiPending() || cpu.id() == 0 && picResend.get() != 0;
    }

    @Override
    public boolean isSignalled(Cpu cpu, boolean irqsDisabled) {
        LocalApic a = apics[cpu.id()];
        if (a.nmiPending()) {
            return true;
        }
        return !irqsDisabled && (a.isSignalled() || cpu.id() == 0 && picResend.get() != 0);
    }

    @Override
    public long acknowledge(Cpu cpu, boolean irqsDisabled) {
        int c = cpu.id();
        LocalApic a = apics[c];
        if (a.takeNmi()) {
            return NMI_TOKEN | NMI;
        }
        if (irqsDisabled) {
            return NONE;
        }
        int v = a.acknowledge();
        if (v != LocalApic.NO_INTERRUPT) {
            return v;
        }
        if (c == 0) {
            int bits;
            while ((bits = picResend.get()) != 0) {
                int irq = Integer.numberOfTrailingZeros(bits);
                if (picResend.compareAndSet(bits, bits & ~(1 << irq))) {
                    return RESEND_TOKEN + irq;
                }
            }
        }
        return NONE;
    }

    /** do_IRQ and the system vectors' entries. Hardirq (or NMI) context on {@code cpu}. */
    @Override
    public void handle(Cpu cpu, int token) {
        if (token == NMI_TOKEN) {
            handleNmi(cpu);
            return;
        }
        if (token >= RESEND_TOKEN) {
            dispatch(cpu, fixedLines[token - RESEND_TOKEN].data, RESENT);
            return;
        }
        int c = cpu.id();
        LocalApic a = apics[c];
        int v = token;
        if (v == a.spuriousVector()) {
            spuriousInterrupt(c, a, v);
        } else if (v >= IrqVectors.FIRST_SYSTEM_VECTOR) {
            systemVector(cpu, a, v);
        } else if (v == IRQ_MOVE_CLEANUP_VECTOR) {
            moveCleanup(c, a);
        } else if (v < IrqVectors.FIRST_EXTERNAL_VECTOR) {
            if (a.isInService(v)) {
                a.eoi();
            }
            reportBadVector(cpu, v, "is a CPU exception vector (0x00-0x1f): an external interrupt on it would run the"
                    + " exception's handler (a misprogrammed IO-APIC entry or MSI)");
        } else if (legacy && v >= PIC_VECTOR_BASE && v < PIC_VECTOR_BASE + IrqVectors.NR_IRQS_LEGACY
                && !picInterrupt(cpu, a, v)) {
            return;
        } else {
            IrqData d = matrix.descriptor(c, v);
            if (d == null) {
                noIrqHandler(cpu, a, v);
            } else {
                dispatch(cpu, d, v);
            }
        }
    }

    private void dispatch(Cpu cpu, IrqData d, int vector) {
        int c = cpu.id();
        inFlight[c] = vector;
        try {
            genIrq.handleDomainIrq(cpu, d.domain(), d.hwirq());
        } finally {
            inFlight[c] = 0;
        }
    }

    /**
     * An 8259A vector in virtual-wire mode: false if it was handled here (a spurious IRQ 7/15, or the vector sent
     * through the APIC by someone else), true to dispatch it.
     */
    private boolean picInterrupt(Cpu cpu, LocalApic a, int v) {
        if (a.isInService(v)) {
            // A fixed APIC delivery (an IPI) of a vector the 8259A owns: not the PIC's interrupt.
            a.eoi();
            reportBadVector(cpu, v, "belongs to the 8259A (XT-PIC IRQ " + (v - PIC_VECTOR_BASE) + "); it arrived"
                    + " through the local APIC, not as the PIC's ExtINT, and is ignored");
            return false;
        }
        int irq = v - PIC_VECTOR_BASE;
        if ((irq == 7 || irq == 15) && !pic.isInService(irq)) {
            // A spurious 8259A interrupt: the request went away before INTA (kernel: mask_and_ack_8259A's slow path).
            if (irq == 15) {
                pic.out(I8259Pair.MASTER_COMMAND, 0x60 | I8259Pair.CASCADE_IRQ);   // the master took IR2: EOI it
            }
            genIrq.noteError();
            int bit = irq == 7 ? 1 : 2;
            if ((spurious8259Reported.getAndAccumulate(bit, (r, b) -> r | b) & bit) == 0) {
                LOG.log(Level.WARNING, cpu + ": spurious 8259A interrupt: IRQ" + irq + ". (counted in ERR; not handed"
                        + " to the line's handlers; reported once per IRQ)");
            }
            return false;
        }
        return true;
    }

    private void noIrqHandler(Cpu cpu, LocalApic a, int v) {
        int c = cpu.id();
        if (a.isInService(v)) {
            a.eoi();                               // an ExtINT vector has no ISR bit: nothing to end at the APIC
        }
        if (clearRetriggered(c, v)) {
            return;                                // VECTOR_RETRIGGERED: resent to the line's new CPU at hotplug
        }
        long hits = matrix.unhandled(c, v);
        if (hits == 0) {
            return;                                // VECTOR_SHUTDOWN: one late interrupt of a freed vector
        }
        genIrq.noteError();
        if (hits == 1) {
            LOG.log(Level.WARNING, "do_IRQ: " + c + "." + v + " No irq handler for vector (counted in ERR; reported"
                    + " once per CPU and vector)");
        }
    }

    private void reportBadVector(Cpu cpu, int v, String why) {
        genIrq.noteError();
        long bit = 1L << (v & 63);
        if (((long) LONGS.getAndBitwiseOr(badVectorReported, v >>> 6, bit) & bit) == 0) {
            LOG.log(Level.WARNING, cpu + ": vector 0x" + Integer.toHexString(v) + " " + why + " (counted in ERR;"
                    + " reported once per vector)");
        }
    }

    // The system vectors' IDT entries (kernel: DEFINE_IDTENTRY_SYSVEC): EOI first, then the handler.
    private void systemVector(Cpu cpu, LocalApic a, int v) {
        int c = cpu.id();
        switch (v) {
            case IrqVectors.LOCAL_TIMER_VECTOR:
                a.eoi();
                LONGS.setOpaque(loc, c, (long) LONGS.getOpaque(loc, c) + 1);
                cpus.tick(cpu);
                break;
            case IrqVectors.RESCHEDULE_VECTOR:
                a.eoi();
                ipis.handle(cpu, Ipi.RESCHEDULE);
                break;
            case IrqVectors.CALL_FUNCTION_SINGLE_VECTOR:
            case IrqVectors.CALL_FUNCTION_VECTOR:
                a.eoi();
                ipis.handle(cpu, Ipi.CALL_FUNC);
                break;
            case IrqVectors.IRQ_WORK_VECTOR:
                a.eoi();
                ipis.handle(cpu, Ipi.IRQ_WORK);
                break;
            case IrqVectors.REBOOT_VECTOR:
                a.eoi();
                ipis.handle(cpu, Ipi.CPU_STOP);
                break;
            case IrqVectors.ERROR_APIC_VECTOR:
                apicError(cpu, a);
                break;
            default:
                if (a.isInService(v)) {
                    a.eoi();
                }
                reportBadVector(cpu, v, "is a system vector this machine has no handler for");
        }
    }

    // Kernel: sysvec_error_interrupt. Counted in ERR.
    private void apicError(Cpu cpu, LocalApic a) {
        a.writeEsr();                              // latch the errors (a write must precede the read)
        int esr = a.esr();
        a.eoi();
        genIrq.noteError();
        int c = cpu.id();
        if (!apicErrorReported[c]) {
            apicErrorReported[c] = true;
            StringBuilder why = new StringBuilder();
            if ((esr & LocalApic.ESR_SEND_ILLEGAL_VECTOR) != 0) {
                why.append(", Send illegal vector");
            }
            if ((esr & LocalApic.ESR_RECEIVE_ILLEGAL_VECTOR) != 0) {
                why.append(", Received illegal vector");
            }
            if ((esr & LocalApic.ESR_ILLEGAL_REGISTER) != 0) {
                why.append(", Illegal register address");
            }
            LOG.log(Level.WARNING, String.format("APIC error on CPU%d: %02x%s (counted in ERR; reported once per CPU)",
                    c, esr, why));
        }
    }

    // Kernel: sysvec_spurious_apic_interrupt. Acked only if it is really in service.
    private void spuriousInterrupt(int c, LocalApic a, int v) {
        LONGS.setOpaque(spu, c, (long) LONGS.getOpaque(spu, c) + 1);
        if (a.isInService(v)) {
            a.eoi();
        }
    }

    // An NMI (kernel: exc_nmi -> default_do_nmi): the NMI IPI kinds sent to this CPU, else an unknown NMI.
    private void handleNmi(Cpu cpu) {
        int c = cpu.id();
        LONGS.setOpaque(nmi, c, (long) LONGS.getOpaque(nmi, c) + 1);
        int kinds = nmiKinds.getAndSet(c, 0);
        if (kinds == 0) {
            if (!unknownNmiReported[c]) {
                unknownNmiReported[c] = true;
                LOG.log(Level.WARNING, "Uhhuh. NMI received for unknown reason on CPU " + c + " (no NMI handler is "
                        + "registered for it: the board's NMI line or an NMI IPI; reported once per CPU)");
            }
            return;
        }
        for (Ipi ipi : Ipi.values()) {
            if ((kinds & 1 << ipi.ordinal()) != 0) {
                ipis.handle(cpu, ipi);
            }
        }
    }

    @Override
    public void raiseTick(Cpu cpu) {
        apics[cpu.id()].fireTimer();
    }

    @Override
    public void tickHandled(Cpu cpu) {
        // The timer vector is an edge, ended by its EOI: nothing to lower (the GIC's timer PPI is a level).
    }

    @Override
    public String describePending(Cpu cpu) {
        int c = cpu.id();
        LocalApic a = apics[c];
        StringBuilder sb = new StringBuilder();
        if (a.nmiPending()) {
            sb.append("NMI pending");
        }
        int v = a.highestRequested();
        if (v >= 0) {
            sb.append(sb.length() == 0 ? "" : ", ").append("vector 0x").append(Integer.toHexString(v))
                    .append(" requested");
        }
        if (c == 0 && legacy && pic.intr()) {
            sb.append(sb.length() == 0 ? "" : ", ").append("8259A INTR");
        }
        if (c == 0 && picResend.get() != 0) {
            sb.append(sb.length() == 0 ? "" : ", ").append("XT-PIC resend 0x")
                    .append(Integer.toHexString(picResend.get()));
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------------------------------------- IPIs

    /**
     * The kernel's x86 IPI vectors, sent through the sending CPU's ICR: RESCHEDULE 0xfd, CALL_FUNC 0xfb
     * (call-function-single), IRQ_WORK 0xf6 (the self shorthand when the target is the sender), CPU_STOP 0xf8
     * (REBOOT_VECTOR), TIMER 0xec (the tick broadcast); CPU_STOP_NMI, CPU_BACKTRACE and KGDB_ROUNDUP as NMI IPIs.
     */
    @Override
    public void send(Ipi ipi, Cpu target) {
        int t = target.id();
        LocalApic from = apics[cpus.thisCpu().id()];
        switch (ipi) {
            case RESCHEDULE:
                from.sendIpi(IrqVectors.RESCHEDULE_VECTOR, t);
                break;
            case CALL_FUNC:
                from.sendIpi(IrqVectors.CALL_FUNCTION_SINGLE_VECTOR, t);
                break;
            case IRQ_WORK:
                if (from == apics[t]) {
                    from.sendIpiSelf(IrqVectors.IRQ_WORK_VECTOR);      // arch_irq_work_raise
                } else {
                    from.sendIpi(IrqVectors.IRQ_WORK_VECTOR, t);
                }
                break;
            case CPU_STOP:
                from.sendIpi(IrqVectors.REBOOT_VECTOR, t);
                break;
            case TIMER:
                from.sendIpi(IrqVectors.LOCAL_TIMER_VECTOR, t);
                break;
            default:
                // Published before the NMI (its latch is a volatile getAndSet): the NMI handler reads the kinds.
                nmiKinds.getAndAccumulate(t, 1 << ipi.ordinal(), (k, b) -> k | b);
                from.sendNmi(t);
        }
    }

    // ---------------------------------------------------------------------------------------------- vectors, moves

    /** The vector do_IRQ is dispatching on {@code cpu} (0 outside do_IRQ, {@link #RESENT} for a software resend). */
    int inFlight(Cpu cpu) {
        return inFlight[cpu.id()];
    }

    /**
     * The ack of an edge line with a vector (IO-APIC edge, PCI-MSI; kernel: apic_ack_irq): complete a move whose new
     * vector this interrupt arrived on, apply a pending move, then EOI the local APIC. Descriptor lock held.
     */
    void ackEdge(Cpu cpu, X86Line line) {
        int v = inFlight[cpu.id()];
        synchronized (line) {
            completeMoveLocked(cpu, line, v);
            applyPendingLocked(line);                              // irq_move_irq
        }
        if (v > 0) {
            apics[cpu.id()].eoi();
        }
    }

    /**
     * The eoi of a level IO-APIC line (kernel: ioapic_ack_level): complete a move whose new vector this interrupt
     * arrived on; if a move is pending, mask the pin; EOI the local APIC (its broadcast clears the pin's remote IRR);
     * if the TMR said edge, count MIS and EOI the pin directly; then retarget and unmask. Descriptor lock held.
     */
    void eoiLevel(Cpu cpu, X86Line line) {
        int c = cpu.id();
        int v = inFlight[c];
        LocalApic a = apics[c];
        synchronized (line) {
            completeMoveLocked(cpu, line, v);
            boolean moving = line.pendingCpu >= 0;
            boolean wasMasked = ioApic.isMasked(line.hw);
            if (moving) {
                ioApic.mask(line.hw);                              // ioapic_prepare_move
            }
            boolean tmr = v > 0 && a.isLevelTriggered(v);         // read before the EOI, as the kernel does
            if (v > 0) {
                a.eoi();
            }
            if (v > 0 && !tmr) {
                // Delivered edge-triggered (an IPI, or a resend): no EOI broadcast reached the IO-APIC.
                mis.incrementAndGet();
                ioApic.eoi(ioApic.vector(line.hw));
            }
            if (moving) {
                applyPendingLocked(line);                          // ioapic_finish_move
                if (!wasMasked) {
                    ioApic.unmask(line.hw);
                }
            }
        }
    }

    // A pending move, from the line's ack or eoi: never throws (a flow handler calls it). Line lock held.
    private void applyPendingLocked(X86Line line) {
        int p = line.pendingCpu;
        if (p < 0) {
            return;
        }
        if (!matrix.isOnline(p)) {
            line.pendingCpu = -1;                 // the CPU went away meanwhile: the hotplug step moved the line
            return;
        }
        try {
            if (tryMoveLocked(line, p)) {
                line.pendingCpu = -1;
            }
        } catch (IllegalStateException noSpace) {
            line.pendingCpu = -1;
            LOG.log(Level.WARNING, line + ": the pending move to cpu/" + p + " failed (" + noSpace.getMessage()
                    + "); the line stays on cpu/" + line.vector.cpu());
        }
    }

    // irq_complete_move: the first interrupt on the new (cpu, vector) ends the move; the old CPU cleans up.
    private void completeMoveLocked(Cpu cpu, X86Line line, int v) {
        VectorMatrix.Assignment<IrqData> a = line.vector;
        if (a == null || v <= 0 || !a.moveInProgress()) {
            return;
        }
        int old = matrix.completeMove(a, cpu.id(), v);
        if (old >= 0) {
            apics[cpu.id()].sendIpi(IRQ_MOVE_CLEANUP_VECTOR, old);
        }
    }

    // The move-cleanup IPI on the old CPU: free the old vectors no longer requested here; retry for the others.
    private void moveCleanup(int c, LocalApic a) {
        int left = matrix.cleanup(c, v -> inFlightAt(c, v));
        a.eoi();
        if (left > 0) {
            a.sendIpiSelf(IRQ_MOVE_CLEANUP_VECTOR);     // the lowest class: the pending vector is taken first
        }
    }

    // Whether CPU c's local APIC still holds vector v (requested, or in service).
    private boolean inFlightAt(int c, int v) {
        LocalApic a = apics[c];
        return a.isRequested(v) || a.isInService(v);
    }

    /**
     * Routes {@code line} to {@code cpu} (kernel: apic_set_affinity + the IO-APIC's or MSI's reprogramming): see the
     * implementation notes for when the move waits for the line's next interrupt. Descriptor lock held.
     *
     * @throws IllegalStateException -ENOSPC from a user's call: no vector free on {@code cpu}
     */
    void setAffinity(X86Line line, Cpu cpu) {
        synchronized (line) {
            if (line.vector == null) {
                line.pendingCpu = -1;                 // an MSI given back: nothing to move
                return;
            }
            int target = cpu.id();
            int cur = line.vector.cpu();
            if (forcing == cur && target != cur) {
                forceMoveLocked(line, cur, target);   // the dying step (fixupIrqs), through genirq
                return;
            }
            boolean migrating = cpus.cpu(cur).hotplugState() != Cpu.HotplugState.ONLINE;
            if (!matrix.isOnline(target)) {
                // genirq routes only to online CPUs; a line of a CPU that is not online in the matrix goes anywhere.
                return;
            }
            if (line.kind == X86Line.IOAPIC && line.level) {
                boolean wasMasked = ioApic.isMasked(line.hw);
                ioApic.mask(line.hw);
                try {
                    if (ioApic.remoteIrr(line.hw)) {
                        line.pendingCpu = target;     // an instance in flight: move at its EOI
                        return;
                    }
                    moveOrDefer(line, target, migrating);
                } finally {
                    if (!wasMasked) {
                        ioApic.unmask(line.hw);
                    }
                }
            } else {
                moveOrDefer(line, target, migrating);
            }
        }
    }

    // Line lock held.
    private void moveOrDefer(X86Line line, int target, boolean migrating) {
        try {
            line.pendingCpu = tryMoveLocked(line, target) ? -1 : target;
        } catch (IllegalStateException noSpace) {
            if (!migrating) {
                throw noSpace;
            }
            // Hotplug must not fail: the dying step forces the line to any online CPU.
            line.pendingCpu = target;
        }
    }

    /**
     * Moves the line's vector to {@code target} and reprograms its chip: true if it now targets it; false if the
     * matrix refused (-EBUSY: a move in progress). Line lock held.
     */
    private boolean tryMoveLocked(X86Line line, int target) {
        VectorMatrix.Assignment<IrqData> a = line.vector;
        BitSet allowed = new BitSet();
        allowed.set(target);
        int cpu = a.cpu();
        int vector = a.vector();
        boolean ok = matrix.setAffinity(a, allowed);
        if (!ok && a.cleanupPending()) {
            int prev = a.prevCpu();
            matrix.cleanup(prev, v -> inFlightAt(prev, v));      // see the implementation notes (deviation)
            ok = matrix.setAffinity(a, allowed);
        }
        if (ok && (a.cpu() != cpu || a.vector() != vector)) {
            reprogramLocked(line);
        }
        return ok;
    }

    // The chip's copy of the line's (cpu, vector): the IO-APIC entry, or the device's MSI message. Line lock held.
    private void reprogramLocked(X86Line line) {
        VectorMatrix.Assignment<IrqData> a = line.vector;
        if (line.kind == X86Line.IOAPIC) {
            ioApic.setTarget(line.hw, a.vector(), a.cpu());
        } else if (line.kind == X86Line.MSI) {
            line.msgCpu = a.cpu();
            line.msgVector = a.vector();
        }
    }

    /** irq_retrigger for a line with a vector (kernel: apic_retrigger_irq): an IPI of its vector to its CPU. */
    boolean retrigger(X86Line line) {
        synchronized (line) {
            if (line.vector == null) {
                return false;
            }
            apics[cpus.thisCpu().id()].sendIpi(line.vector.vector(), line.vector.cpu());
            return true;
        }
    }

    /** The XT-PIC's software resend: CPU 0 takes it as a pseudo-interrupt after its real ones. */
    void resendPic(int irq) {
        picResend.getAndAccumulate(1 << irq, (b, bit) -> b | bit);
        cpus.kick(cpus.cpu(0));
    }

    // ---------------------------------------------------------------------------------------------- hotplug

    /**
     * fixup_irqs + lapic_offline, on the dying CPU with IRQs off: force every line still there elsewhere, resend the
     * device vectors its IRR still holds, free its old vectors, take its matrix offline (see the implementation
     * notes).
     */
    private void fixupIrqs(Cpu dying) {
        int d = dying.id();
        List<X86Line> lines = new ArrayList<>(Arrays.asList(fixedLines));
        lines.addAll(Arrays.asList(msiSnapshot));
        forcing = d;
        try {
            for (X86Line line : lines) {
                if (line == null || line.kind == X86Line.PIC) {
                    continue;
                }
                int target;
                synchronized (line) {
                    if (line.vector == null) {
                        continue;
                    }
                    if (line.vector.cpu() != d) {
                        if (line.pendingCpu == d) {
                            line.pendingCpu = -1;             // a pending move to the dying CPU: dropped
                        }
                        continue;
                    }
                    target = line.pendingCpu;
                }
                // Through genirq, which holds the descriptor lock and updates its target; setAffinity sees forcing.
                int to = targetOffDying(line.irq, target, d);
                try {
                    irqs.setAffinity(line.irq, to);
                } catch (RuntimeException e) {
                    LOG.log(Level.ERROR, line + ": cannot leave cpu/" + d + " for cpu/" + to + " (" + e.getMessage()
                            + "); its interrupts are lost while the CPU is offline");
                }
            }
        } finally {
            forcing = -1;
        }
        // Device vectors still requested here: resent to their lines' CPUs (their slots still name the lines).
        LocalApic a = apics[d];
        BitSet pending = a.requested();
        for (int v = pending.nextSetBit(IrqVectors.FIRST_EXTERNAL_VECTOR); v >= 0 && v < IrqVectors.FIRST_SYSTEM_VECTOR;
             v = pending.nextSetBit(v + 1)) {
            IrqData data = matrix.descriptor(d, v);
            if (data == null || v == IRQ_MOVE_CLEANUP_VECTOR) {
                continue;
            }
            X86Line line = X86Line.of(data);
            if (line.kind != X86Line.PIC && retrigger(line)) {
                markRetriggered(d, v);
            }
        }
        // Moves away from here still in progress end now, so that every old vector of this CPU is freed below and
        // its slot empty when the CPU comes back (a stale IRR bit then finds its retriggered mark, not the line).
        for (X86Line line : lines) {
            if (line == null || line.kind == X86Line.PIC) {
                continue;
            }
            synchronized (line) {
                VectorMatrix.Assignment<IrqData> v = line.vector;
                if (v != null && v.moveInProgress() && v.prevCpu() == d) {
                    matrix.completeMove(v, v.cpu(), v.vector());
                }
            }
        }
        matrix.cleanup(d, v -> false);
        matrix.setOnline(d, false);
    }

    // Where a line leaves the dying CPU for: its pending move, else genirq's target, else the first online CPU.
    private int targetOffDying(int irq, int pending, int dying) {
        if (pending >= 0 && pending != dying && cpus.cpu(pending).hotplugState() == Cpu.HotplugState.ONLINE) {
            return pending;
        }
        int want = irqs.desc(irq).affinity();
        if (want != dying && cpus.cpu(want).hotplugState() == Cpu.HotplugState.ONLINE) {
            return want;
        }
        for (int c = 0; c < apics.length; c++) {
            if (c != dying && cpus.cpu(c).hotplugState() == Cpu.HotplugState.ONLINE) {
                return c;
            }
        }
        return 0;                                      // unreachable: hotplug keeps one CPU online
    }

    /**
     * irq_force_complete_move, then a move that cannot be refused: to {@code preferred}, else to any online CPU.
     * Line lock (and genirq's descriptor lock) held; on the dying CPU.
     */
    private void forceMoveLocked(X86Line line, int dying, int preferred) {
        VectorMatrix.Assignment<IrqData> a = line.vector;
        if (a.moveInProgress()) {
            matrix.completeMove(a, a.cpu(), a.vector());        // the device already has the new vector
        }
        boolean resend = false;
        if (a.cleanupPending()) {
            int prev = a.prevCpu();
            int pv = a.prevVector();
            if (prev != dying && apics[prev].isRequested(pv)) {
                markRetriggered(prev, pv);                       // its stale IRR bit: swallowed there
                resend = true;
            }
            matrix.cleanup(prev, v -> v != pv && inFlightAt(prev, v));
        }
        boolean levelPin = line.kind == X86Line.IOAPIC && line.level;
        boolean wasMasked = levelPin && ioApic.isMasked(line.hw);
        if (levelPin) {
            ioApic.mask(line.hw);
        }
        try {
            boolean moved = false;
            if (preferred != dying && matrix.isOnline(preferred)) {
                try {
                    moved = tryMoveLocked(line, preferred);
                } catch (IllegalStateException full) {
                    moved = false;
                }
            }
            if (!moved) {
                BitSet any = new BitSet();
                for (int c = 0; c < apics.length; c++) {
                    if (c != dying && matrix.isOnline(c)) {
                        any.set(c);
                    }
                }
                int cpu = a.cpu();
                int vector = a.vector();
                try {
                    if (matrix.setAffinity(a, any) && (a.cpu() != cpu || a.vector() != vector)) {
                        reprogramLocked(line);
                    }
                } catch (IllegalStateException | IllegalArgumentException full) {
                    LOG.log(Level.ERROR, line + ": cannot leave cpu/" + dying + " (" + full.getMessage()
                            + "); its interrupts are lost while the CPU is offline");
                }
            }
            line.pendingCpu = -1;
        } finally {
            if (levelPin && !wasMasked) {
                ioApic.unmask(line.hw);
            }
        }
        if (resend) {
            retriggerLocked(line);
        }
    }

    private void retriggerLocked(X86Line line) {
        apics[cpus.thisCpu().id()].sendIpi(line.vector.vector(), line.vector.cpu());
    }

    private void markRetriggered(int cpu, int v) {
        LONGS.getAndBitwiseOr(retriggered, cpu * 4 + (v >>> 6), 1L << (v & 63));
    }

    private boolean clearRetriggered(int cpu, int v) {
        long bit = 1L << (v & 63);
        return ((long) LONGS.getAndBitwiseAnd(retriggered, cpu * 4 + (v >>> 6), ~bit) & bit) != 0;
    }

    // ---------------------------------------------------------------------------------------------- MSI domain

    // pci_alloc_irq_vectors for one vector: a free MSI index (the lowest given back, else a new one), its vector.
    private int allocMsi(String device) {
        synchronized (msiLock) {
            int index = -1;
            for (int i = 0; i < msiLines.size(); i++) {
                X86Line l = msiLines.get(i);
                synchronized (l) {
                    if (l.vector == null) {
                        index = i;
                        break;
                    }
                }
            }
            X86Line line;
            if (index < 0) {
                index = msiLines.size();
                int irq = firstMsiIrq + index;
                if (irq >= GenIrq.MAX_IRQS) {
                    throw new IllegalStateException("-ENOSPC: pci_alloc_irq_vectors(" + device + "): no IRQ number "
                            + "left (" + firstMsiIrq + "-" + (GenIrq.MAX_IRQS - 1) + " are in use)");
                }
                line = new X86Line(X86Line.MSI, irq, index, -1);
                synchronized (line) {
                    line.device = device;
                }
                line.data = genIrq.map(msiDomain, index, irq, msiChip, line, false, false);
                msiLines.add(line);
                msiSnapshot = msiLines.toArray(new X86Line[0]);
            } else {
                line = msiLines.get(index);
            }
            BitSet allowed = new BitSet();
            int home = irqs.desc(line.irq).affinity();          // genirq's target (0 for a new IRQ)
            allowed.set(matrix.isOnline(home) ? home : firstOnlineCpu());
            VectorMatrix.Assignment<IrqData> a = matrix.allocate(line.data, allowed);   // -ENOSPC: stays free
            synchronized (line) {
                line.device = device;
                line.vector = a;
                line.pendingCpu = -1;
                line.msiMasked = true;
                line.msiPending = false;
                reprogramLocked(line);
            }
            return line.irq;
        }
    }

    private int firstOnlineCpu() {
        for (int c = 0; c < apics.length; c++) {
            if (matrix.isOnline(c)) {
                return c;
            }
        }
        return 0;
    }

    // pci_free_irq_vectors: the vector goes back (its slots swallow one late message), the IRQ waits for reuse.
    private void freeMsi(int irq) {
        synchronized (msiLock) {
            int index = irq - firstMsiIrq;
            X86Line line = index >= 0 && index < msiLines.size() ? msiLines.get(index) : null;
            if (line == null) {
                throw new IllegalArgumentException("-EINVAL: pci_free_irq_vectors: IRQ " + irq + " is not an MSI IRQ"
                        + " (MSI IRQs are " + firstMsiIrq + " up, from Irqs.allocMsi)");
            }
            synchronized (line) {
                if (line.vector == null) {
                    throw new IllegalArgumentException("-EINVAL: pci_free_irq_vectors: MSI IRQ " + irq + " was already"
                            + " given back");
                }
                matrix.free(line.vector);
                line.vector = null;
                line.pendingCpu = -1;
                line.msiMasked = true;
                line.msiPending = false;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- /proc

    // Kernel: x86's arch_show_interrupts, the rows that apply here.
    private void showRows(StringBuilder sb, int labelWidth) {
        row(sb, labelWidth, "NMI", c -> (long) LONGS.getOpaque(nmi, c), "Non-maskable interrupts");
        row(sb, labelWidth, "LOC", c -> (long) LONGS.getOpaque(loc, c), "Local timer interrupts");
        row(sb, labelWidth, "SPU", c -> (long) LONGS.getOpaque(spu, c), "Spurious interrupts");
        row(sb, labelWidth, "IWI", c -> ipis.count(cpus.cpu(c), Ipi.IRQ_WORK), "IRQ work interrupts");
        row(sb, labelWidth, "RES", c -> ipis.count(cpus.cpu(c), Ipi.RESCHEDULE), "Rescheduling interrupts");
        row(sb, labelWidth, "CAL", c -> ipis.count(cpus.cpu(c), Ipi.CALL_FUNC), "Function call interrupts");
        sb.append(String.format("%" + labelWidth + "s: %10d%n", "ERR", genIrq.errCount()));
        sb.append(String.format("%" + labelWidth + "s: %10d%n", "MIS", mis.get()));
    }

    private interface PerCpu {
        long count(int cpu);
    }

    private void row(StringBuilder sb, int labelWidth, String label, PerCpu counts, String description) {
        sb.append(String.format("%" + labelWidth + "s:", label));
        for (int c = 0; c < apics.length; c++) {
            sb.append(String.format(" %10d", counts.count(c)));
        }
        sb.append("  ").append(description).append('\n');
    }

    @Override
    public String toString() {
        return (legacy ? "X86_LEGACY_PIC" : "X86_APIC") + " platform";
    }
}
