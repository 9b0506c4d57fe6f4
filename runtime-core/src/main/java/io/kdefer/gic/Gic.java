/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.gic;

import java.util.function.IntConsumer;
import java.util.function.IntSupplier;

/**
 * A simulated ARM GICv3 interrupt controller: the distributor (SPIs), one redistributor per PE (banked SGIs and
 * PPIs) and one {@link CpuInterface} per PE. It is the "hardware" the virtual CPUs take interrupts from, and it
 * can be driven by hand: tests configure INTIDs, raise lines and play the PE's part through a CpuInterface.
 *
 * <h2>INTID classes (B-GIC-1)</h2>
 * <pre>
 *   SGI  0-15     software generated, banked per PE, always edge          sendSgi / sendSgiAllButSelf
 *   PPI  16-31    private per PE (30 = the CPU's timer, the tick)         assertLine(ppi, cpu) / pulse(ppi, cpu)
 *   SPI  32-1019  shared, routed to one PE                                 assertLine / deassertLine / pulse
 *   1020-1023     special, never configured; 1023 = nothing signallable   acknowledge() result
 * </pre>
 * Extended PPI/SPI ranges and LPIs are not modelled (rejected with an exception naming the range).
 *
 * <h2>States per INTID and target (spec §2a)</h2>
 * <pre>
 *   INACTIVE        -> PENDING         edge / SGI / ISPENDR, or the level line goes high
 *   PENDING         -> ACTIVE          acknowledged (the latch is cleared)
 *   PENDING         -> ACTIVE_PENDING  acknowledged while a level line is still high
 *   PENDING         -> INACTIVE        ICPENDR, or a level line drops with the latch clear (withdrawn)
 *   ACTIVE          -> ACTIVE_PENDING  edge / SGI / ISPENDR / level line high while active
 *   ACTIVE          -> INACTIVE        deactivated (DIR with EOImode=1, EOIR with EOImode=0)
 *   ACTIVE_PENDING  -> PENDING         deactivated; signalled again (exactly one re-delivery for an edge)
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Edges collapse while pending; an edge while active gives exactly one re-delivery (B-GIC-3).</li>
 *   <li>A level interrupt is pending while its line is high or its software latch is set (B-GIC-4).</li>
 *   <li>Disabled interrupts can become pending and are forwarded once enabled (B-GIC-2).</li>
 *   <li>An SPI is signalled only to the PE it is routed to; a route change takes effect at once, but an SPI
 *       still active on the old PE is not delivered anywhere until deactivated (B-GIC-11).</li>
 *   <li>SGIs to one target coalesce whatever their source (B-GIC-12).</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   sender: x = 1; gic.sendSgi(s, b)        PE b: acknowledge() == s; handler reads x
 *   Forbids: the handler reading x == 0     (Gic_01_SgiPublishes, MO-GIC-1)
 *   PE a: handler stores x; DIR(i)          PE b: acknowledge() == i (the next delivery of INTID i); reads x
 *   Forbids: PE b reading x == 0            (Gic_02_DeactivatePublishes, MO-GIC-2)
 * </pre>
 * SGI generation is a volatile read-modify-write of the target's pending word and acknowledge reads it; the
 * line operations on SPIs publish through the distributor lock. An active INTID is signalled nowhere until it is
 * deactivated (J-GIC-2), and an SPI's deactivation and its next acknowledge both take the distributor lock, so the
 * next handler of an SPI, on any PE, sees what the previous one stored before its DIR (MO-GIC-2); the next handler of
 * a banked SGI or PPI runs on the same PE, after it.
 *
 * <h2>Reset state</h2>
 * A new Gic is in the state Linux's driver leaves it after probe, not the architectural reset state: every
 * INTID disabled, priority {@link #PRIORITY_IRQ}; SPIs level-triggered and routed to PE 0; PMR
 * {@link #PMR_DEFAULT}, group 1 enabled, EOImode=1 on every CPU interface.
 */
public final class Gic {
    /* Implementation notes
     *
     * Locks (J-GIC-1): one per PE (the monitor of its Redistributor) for the banked SGI/PPI state and the CPU
     * interface registers, and one distributor lock for SPI state, always taken in that order. SGI generation
     * takes no lock at all (see Redistributor). QEMU instead runs every GIC operation under one global lock; the
     * per-PE split keeps the IPI path (every irq_work self-IPI, every cross-CPU call) from serialising all CPUs.
     *
     * Signalling: after any change that may make an interrupt newly signallable on a PE, the Gic calls the
     * irqLine consumer with that PE's index, after releasing its locks. The machine wires it to Cpu.kick(), which
     * wakes the CPU only if it is parked. Spurious signals are harmless: the CPU re-checks and sleeps again.
     */
    static final System.Logger LOG = System.getLogger("io.kdefer.gic");

    public static final int SGI_FIRST = 0;
    public static final int SGI_LAST = 15;
    public static final int PPI_FIRST = 16;
    public static final int PPI_LAST = 31;
    public static final int SPI_FIRST = 32;
    public static final int SPI_LAST = 1019;
    /** Returned by acknowledge when nothing is signallable (B-GIC-23). */
    public static final int SPURIOUS = 1023;

    /** The PPI of each CPU's timer (the non-secure EL1 physical timer), which drives the tick. */
    public static final int TIMER_PPI = 30;

    /** Pseudo-NMI priority as seen in PMR/RPR (B-GIC-10). */
    public static final int PRIORITY_NMI = 0x80;
    /** Regular IRQ priority as seen in PMR/RPR (B-GIC-10). */
    public static final int PRIORITY_IRQ = 0xc0;
    /** Running priority when nothing is active. */
    public static final int PRIORITY_IDLE = 0xff;
    /** PMR after boot: every implemented priority below it is unmasked (K-GIC). */
    public static final int PMR_DEFAULT = 0xf0;
    /** The pseudo-NMI "IRQs masked" PMR value: regular IRQs (0xc0) masked, pseudo-NMIs (0x80) pass. */
    public static final int PMR_IRQ_OFF = 0xc0;
    /** A PE mask that masks nothing (above every 8-bit priority). */
    public static final int PMR_NONE = 0x100;
    /** Most PEs a Gic models (affinity routing addresses many more; 256 keeps the per-PE arrays small). */
    public static final int MAX_CPUS = 256;
    /** Implemented priority bits (5, as QEMU's model): priorities are rounded down to a multiple of 8. */
    static final int PRIORITY_BITS = 0xf8;
    /** Minimum binary point for group 1 with 5 preemption bits (B-GIC-19). */
    static final int BPR1_MIN = 3;

    private final int cpus;                        // I
    private final Distributor dist;                // I
    private final Redistributor[] rds;             // I
    private final CpuInterface[] cis;              // I
    private final IntConsumer irqLine;             // I
    private final IntSupplier currentCpu;          // I

    /** A GIC with {@code cpus} PEs and nobody listening to their interrupt signals (tests drive it by hand). */
    public Gic(int cpus) {
        this(cpus, pe -> { }, () -> -1);
    }

    /**
     * @param irqLine    called with a PE's index after a change that may have asserted its interrupt signal
     * @param currentCpu the PE the calling thread runs on, or -1; used by {@link #sendSgiAllButSelf(int)}
     */
    public Gic(int cpus, IntConsumer irqLine, IntSupplier currentCpu) {
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("cpus must be 1.." + MAX_CPUS + ": " + cpus);
        }
        this.cpus = cpus;
        this.irqLine = java.util.Objects.requireNonNull(irqLine, "irqLine");
        this.currentCpu = java.util.Objects.requireNonNull(currentCpu, "currentCpu");
        this.dist = new Distributor(cpus, PRIORITY_IRQ);
        this.rds = new Redistributor[cpus];
        this.cis = new CpuInterface[cpus];
        for (int i = 0; i < cpus; i++) {
            rds[i] = new Redistributor(i, PRIORITY_IRQ);
            cis[i] = new CpuInterface(this, rds[i], dist, i);
        }
        java.util.Arrays.fill(dist.route, 0);
    }

    public int cpuCount() {
        return cpus;
    }

    public CpuInterface cpuInterface(int cpu) {
        return cis[checkCpu(cpu)];
    }

    // ---------------------------------------------------------------------------------------------- configuration

    /**
     * Sets trigger and priority. For an SGI or PPI this configures the INTID on every PE (they are banked); use
     * {@link #configure(int, int, Trigger, int)} for one PE.
     *
     * @throws IllegalArgumentException for an invalid INTID, a trigger other than edge for an SGI (the kernel's
     *         -EINVAL, B-GIC-14), or a priority outside 0..255
     */
    public void configure(int intid, Trigger trigger, int priority) {
        if (isSpi(checkIntid(intid))) {
            configureSpi(intid, trigger, priority);
        } else {
            for (int pe = 0; pe < cpus; pe++) {
                configure(intid, pe, trigger, priority);
            }
        }
    }

    /** Configures a banked SGI/PPI on one PE (for an SPI, {@code cpu} is only validated). */
    public void configure(int intid, int cpu, Trigger trigger, int priority) {
        checkIntid(intid);
        checkCpu(cpu);
        java.util.Objects.requireNonNull(trigger, "trigger");
        checkPriority(priority, "priority");
        if (isSpi(intid)) {
            configureSpi(intid, trigger, priority);
            return;
        }
        if (isSgi(intid) && trigger != Trigger.EDGE_RISING) {
            throw new IllegalArgumentException("-EINVAL: SGI " + intid
                    + " is always edge-triggered; its configuration is read-only (B-GIC-14)");
        }
        Redistributor rd = rds[cpu];
        synchronized (rd) {
            int bit = 1 << intid;
            if (trigger == Trigger.EDGE_RISING) {
                rd.edge |= bit;
            } else {
                rd.edge &= ~bit;
            }
            rd.priority[intid] = (byte) (priority & PRIORITY_BITS);
        }
        signal(cpu);
    }

    private void configureSpi(int spi, Trigger trigger, int priority) {
        java.util.Objects.requireNonNull(trigger, "trigger");
        checkPriority(priority, "priority");
        int wake;
        synchronized (dist) {
            Distributor.put(dist.edge, spi, trigger == Trigger.EDGE_RISING);
            dist.priority[spi] = (byte) (priority & PRIORITY_BITS);
            dist.refresh(spi);
            wake = dist.route[spi];
        }
        signal(wake);
    }

    public Trigger trigger(int intid, int cpu) {
        checkIntid(intid);
        checkCpu(cpu);
        if (isSpi(intid)) {
            synchronized (dist) {
                return Distributor.bit(dist.edge, intid) ? Trigger.EDGE_RISING : Trigger.LEVEL_HIGH;
            }
        }
        synchronized (rds[cpu]) {
            return (rds[cpu].edge & (1 << intid)) != 0 ? Trigger.EDGE_RISING : Trigger.LEVEL_HIGH;
        }
    }

    public Trigger trigger(int intid) {
        return trigger(intid, 0);
    }

    /** The stored priority (rounded down to the implemented bits) of {@code intid} on {@code cpu}. */
    public int priority(int intid, int cpu) {
        checkIntid(intid);
        checkCpu(cpu);
        if (isSpi(intid)) {
            synchronized (dist) {
                return dist.priority[intid] & 0xff;
            }
        }
        synchronized (rds[cpu]) {
            return rds[cpu].priority(intid);
        }
    }

    public int priority(int intid) {
        return priority(intid, 0);
    }

    /**
     * Routes an SPI to one PE (GICD_IROUTER, IRM=0). Takes effect at once: a pending SPI is withdrawn from the old
     * PE and signalled to the new one; an SPI still active on the old PE is delivered only after it is
     * deactivated (B-GIC-11).
     */
    public void route(int spi, int cpu) {
        if (!isSpi(checkIntid(spi))) {
            throw new IllegalArgumentException("INTID " + spi
                    + " is not an SPI: SGIs and PPIs are banked per PE and cannot be routed (B-GIC-1)");
        }
        checkCpu(cpu);
        int wake;
        synchronized (dist) {
            dist.route[spi] = cpu;
            wake = dist.refresh(spi);
        }
        signal(wake);
    }

    /** The PE an SPI is routed to. */
    public int routeOf(int spi) {
        if (!isSpi(checkIntid(spi))) {
            throw new IllegalArgumentException("INTID " + spi + " is not an SPI (B-GIC-1)");
        }
        synchronized (dist) {
            return dist.route[spi];
        }
    }

    /** ISENABLER: enables an SPI, or an SGI/PPI on every PE. */
    public void enable(int intid) {
        setEnabled(intid, -1, true);
    }

    /** ICENABLER: disables an SPI, or an SGI/PPI on every PE. Pending and active state are kept (B-GIC-2). */
    public void disable(int intid) {
        setEnabled(intid, -1, false);
    }

    /** Enables a banked SGI/PPI on one PE (for an SPI, {@code cpu} is only validated). */
    public void enable(int intid, int cpu) {
        setEnabled(intid, checkCpu(cpu), true);
    }

    public void disable(int intid, int cpu) {
        setEnabled(intid, checkCpu(cpu), false);
    }

    private void setEnabled(int intid, int cpu, boolean on) {
        checkIntid(intid);
        if (isSpi(intid)) {
            int wake;
            synchronized (dist) {
                Distributor.put(dist.enabled, intid, on);
                wake = dist.refresh(intid);
            }
            signal(wake);
            return;
        }
        int from = cpu < 0 ? 0 : cpu;
        int to = cpu < 0 ? cpus - 1 : cpu;
        for (int pe = from; pe <= to; pe++) {
            Redistributor rd = rds[pe];
            synchronized (rd) {
                rd.enabled = on ? rd.enabled | (1 << intid) : rd.enabled & ~(1 << intid);
            }
            if (on) {
                signal(pe);
            }
        }
    }

    public boolean isEnabled(int intid, int cpu) {
        checkIntid(intid);
        checkCpu(cpu);
        if (isSpi(intid)) {
            synchronized (dist) {
                return Distributor.bit(dist.enabled, intid);
            }
        }
        return (rds[cpu].enabled & (1 << intid)) != 0;
    }

    public boolean isEnabled(int intid) {
        return isEnabled(intid, 0);
    }

    // ---------------------------------------------------------------------------------------------- device side

    /** Drives an SPI's input high. On an edge-triggered SPI a low-to-high transition latches pending. */
    public void assertLine(int spi) {
        setSpiLine(checkSpiLine(spi), true);
    }

    /** Drives an SPI's input low. A level SPI whose latch is clear stops being pending (withdrawn, B-GIC-17). */
    public void deassertLine(int spi) {
        setSpiLine(checkSpiLine(spi), false);
    }

    /**
     * A rising then falling edge on an edge-triggered SPI: latches pending (collapsing with an edge already
     * pending, B-GIC-3).
     *
     * @throws IllegalStateException on a level-triggered SPI: a level interrupt is pending only while its line is
     *         high (B-GIC-4), so a pulse would be withdrawn before anyone could see it
     */
    public void pulse(int spi) {
        checkSpiLine(spi);
        int wake;
        synchronized (dist) {
            if (!Distributor.bit(dist.edge, spi)) {
                throw new IllegalStateException("pulse on level-triggered INTID " + spi + ": a level interrupt is "
                        + "pending only while its line is high (B-GIC-4); use assertLine/deassertLine");
            }
            if (!Distributor.bit(dist.line, spi)) {
                Distributor.put(dist.latch, spi, true);
            }
            wake = dist.refresh(spi);
        }
        signal(wake);
    }

    private void setSpiLine(int spi, boolean high) {
        int wake;
        synchronized (dist) {
            boolean was = Distributor.bit(dist.line, spi);
            Distributor.put(dist.line, spi, high);
            if (high && !was && Distributor.bit(dist.edge, spi)) {
                Distributor.put(dist.latch, spi, true);
            }
            wake = dist.refresh(spi);
        }
        signal(wake);
    }

    /** Drives a PPI's input on one PE high (edge PPIs latch on the rising transition). */
    public void assertLine(int ppi, int cpu) {
        setPpiLine(checkPpi(ppi), checkCpu(cpu), true, false);
    }

    public void deassertLine(int ppi, int cpu) {
        setPpiLine(checkPpi(ppi), checkCpu(cpu), false, false);
    }

    /** A rising then falling edge on an edge-triggered PPI of one PE. */
    public void pulse(int ppi, int cpu) {
        setPpiLine(checkPpi(ppi), checkCpu(cpu), true, true);
    }

    private void setPpiLine(int ppi, int cpu, boolean high, boolean pulse) {
        Redistributor rd = rds[cpu];
        int bit = 1 << ppi;
        synchronized (rd) {
            boolean edge = (rd.edge & bit) != 0;
            if (pulse && !edge) {
                throw new IllegalStateException("pulse on level-triggered PPI " + ppi + ": a level interrupt is "
                        + "pending only while its line is high (B-GIC-4); use assertLine/deassertLine");
            }
            boolean was = (rd.line & bit) != 0;
            if (high && !was && edge) {
                rd.setLatch(bit);
            }
            if (!pulse) {
                rd.line = high ? rd.line | bit : rd.line & ~bit;
            }
        }
        if (high) {
            signal(cpu);
        }
    }

    public boolean isLineHigh(int intid, int cpu) {
        checkIntid(intid);
        checkCpu(cpu);
        if (isSpi(intid)) {
            synchronized (dist) {
                return Distributor.bit(dist.line, intid);
            }
        }
        return (rds[cpu].line & (1 << intid)) != 0;
    }

    // ---------------------------------------------------------------------------------------------- software side

    /** ISPENDR: sets the pending latch (any trigger). For an SPI {@code cpu} is only validated. */
    public void setPending(int intid, int cpu) {
        checkIntid(intid);
        checkCpu(cpu);
        if (isSpi(intid)) {
            int wake;
            synchronized (dist) {
                Distributor.put(dist.latch, intid, true);
                wake = dist.refresh(intid);
            }
            signal(wake);
            return;
        }
        int bit = 1 << intid;
        if ((rds[cpu].setLatch(bit) & bit) == 0) {
            signal(cpu);
        }
    }

    /** ICPENDR: clears the pending latch; a level line that is still high keeps the interrupt pending (B-GIC-4). */
    public void clearPending(int intid, int cpu) {
        checkIntid(intid);
        checkCpu(cpu);
        if (isSpi(intid)) {
            synchronized (dist) {
                Distributor.put(dist.latch, intid, false);
                dist.refresh(intid);
            }
            return;
        }
        rds[cpu].clearLatch(1 << intid);
    }

    /**
     * ISACTIVER/ICACTIVER: sets or clears the active bit directly, without touching any CPU interface's
     * active priorities (B-GIC-22).
     */
    public void setActive(int intid, int cpu, boolean active) {
        checkIntid(intid);
        checkCpu(cpu);
        int wake;
        if (isSpi(intid)) {
            synchronized (dist) {
                Distributor.put(dist.active, intid, active);
                wake = dist.refresh(intid);
            }
        } else {
            Redistributor rd = rds[cpu];
            synchronized (rd) {
                rd.active = active ? rd.active | (1 << intid) : rd.active & ~(1 << intid);
            }
            wake = active ? -1 : cpu;
        }
        signal(wake);
    }

    /**
     * Generates SGI {@code sgi} for one PE (ICC_SGI1R, IRM=0, one target). Lock-free: one volatile
     * read-modify-write of the target's pending word. SGIs to one target coalesce whatever their source.
     */
    public void sendSgi(int sgi, int targetCpu) {
        checkSgi(sgi);
        checkCpu(targetCpu);
        int bit = 1 << sgi;
        if ((rds[targetCpu].setLatch(bit) & bit) == 0) {
            signal(targetCpu);
        }
    }

    /** Generates SGI {@code sgi} for every PE except the caller's (ICC_SGI1R, IRM=1). */
    public void sendSgiAllButSelf(int sgi) {
        sendSgiAllButSelf(sgi, currentCpu.getAsInt());
    }

    /** Generates SGI {@code sgi} for every PE except {@code selfCpu} (-1: every PE). */
    public void sendSgiAllButSelf(int sgi, int selfCpu) {
        checkSgi(sgi);
        if (selfCpu != -1) {
            checkCpu(selfCpu);
        }
        for (int pe = 0; pe < cpus; pe++) {
            if (pe != selfCpu) {
                sendSgi(sgi, pe);
            }
        }
    }

    /** The state of {@code intid} on {@code cpu} (for an SPI, its one global state). */
    public InterruptState state(int intid, int cpu) {
        checkIntid(intid);
        checkCpu(cpu);
        if (isSpi(intid)) {
            synchronized (dist) {
                return InterruptState.of(dist.pending(intid), Distributor.bit(dist.active, intid));
            }
        }
        Redistributor rd = rds[cpu];
        synchronized (rd) {
            int bit = 1 << intid;
            return InterruptState.of((rd.pendingWord() & bit) != 0, (rd.active & bit) != 0);
        }
    }

    // ---------------------------------------------------------------------------------------------- internals

    void signal(int pe) {
        if (pe >= 0) {
            irqLine.accept(pe);
        }
    }

    /** For tests: the distributor's candidate bookkeeping is consistent. */
    boolean invariantHolds() {
        synchronized (dist) {
            return dist.invariantHolds();
        }
    }

    public static boolean isSgi(int intid) {
        return intid >= SGI_FIRST && intid <= SGI_LAST;
    }

    public static boolean isPpi(int intid) {
        return intid >= PPI_FIRST && intid <= PPI_LAST;
    }

    public static boolean isSpi(int intid) {
        return intid >= SPI_FIRST && intid <= SPI_LAST;
    }

    /** Whether {@code intid} is an implemented, non-special INTID of this model (0-1019). */
    public static boolean exists(int intid) {
        return intid >= SGI_FIRST && intid <= SPI_LAST;
    }

    /**
     * @throws IllegalArgumentException naming the INTID class when {@code intid} is not an implemented INTID
     */
    public static int checkIntid(int intid) {
        if (exists(intid)) {
            return intid;
        }
        String why;
        if (intid < 0) {
            why = "is negative: INTIDs are unsigned (SGIs 0-15, PPIs 16-31, SPIs 32-1019) (B-GIC-1)";
        } else if (intid >= 1020 && intid <= 1023) {
            why = "is a special INTID (1020-1023), never configured or acknowledged as an interrupt (B-GIC-23)";
        } else if (intid >= 1056 && intid <= 1119) {
            why = "is an extended PPI, which this model does not implement (B-GIC-1)";
        } else if (intid >= 4096 && intid <= 5119) {
            why = "is an extended SPI, which this model does not implement (B-GIC-1)";
        } else if (intid >= 8192) {
            why = "is an LPI, which this model does not implement (B-GIC-1)";
        } else {
            why = "is not a valid INTID: SGIs are 0-15, PPIs 16-31, SPIs 32-1019 (B-GIC-1)";
        }
        throw new IllegalArgumentException("-EINVAL: INTID " + intid + " " + why);
    }

    private static int checkSgi(int sgi) {
        if (!isSgi(sgi)) {
            throw new IllegalArgumentException("-EINVAL: " + sgi + " is not an SGI (0-15) (B-GIC-1)");
        }
        return sgi;
    }

    private static int checkPpi(int ppi) {
        if (!isPpi(ppi)) {
            throw new IllegalArgumentException("-EINVAL: INTID " + ppi + " is not a PPI (16-31) (B-GIC-1)");
        }
        return ppi;
    }

    private static int checkSpiLine(int spi) {
        if (!isSpi(checkIntid(spi))) {
            throw new IllegalArgumentException("INTID " + spi + " is not an SPI: device lines are SPIs (32-1019); "
                    + "SGIs are raised with sendSgi and PPIs with assertLine(ppi, cpu) (B-GIC-1)");
        }
        return spi;
    }

    int checkCpu(int cpu) {
        if (cpu < 0 || cpu >= cpus) {
            throw new IllegalArgumentException("no such CPU: " + cpu + " (this GIC has PEs 0-" + (cpus - 1) + ")");
        }
        return cpu;
    }

    static void checkPriority(int priority, String what) {
        if (priority < 0 || priority > 0xff) {
            throw new IllegalArgumentException(what + " must be 0..255 (8-bit, lower = higher priority): " + priority);
        }
    }

    @Override
    public String toString() {
        return "Gic[" + cpus + " PEs]";
    }
}
