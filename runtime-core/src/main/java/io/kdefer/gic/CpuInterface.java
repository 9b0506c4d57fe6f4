/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.gic;

import java.lang.System.Logger.Level;

/**
 * One PE's GIC CPU interface (ICC_* system registers): acknowledge (IAR1), priority drop (EOIR1), deactivate
 * (DIR), priority mask (PMR), binary point (BPR1), running priority (RPR) and the active-priority stack.
 *
 * <h2>Model</h2>
 * Group 1 only, one security state, 5 implemented priority bits (priorities and PMR are rounded down to a
 * multiple of 8, as QEMU's model does), EOImode=1 by default (Linux's setting when booted at EL2).
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>{@link #acknowledge()} returns the highest-priority signallable interrupt and makes it active, or
 *       {@link Gic#SPURIOUS} (1023) and changes nothing (B-GIC-5, B-GIC-18).</li>
 *   <li>Ties between equal priorities go to the lowest INTID (QEMU's choice; the architecture leaves it open).</li>
 *   <li>An active INTID is never acknowledged again until deactivated (J-GIC-2).</li>
 *   <li>{@link #endOfInterrupt} drops the running priority in reverse acknowledge order; an out-of-order drop
 *       throws (B-GIC-6). With EOImode=1 it does not deactivate; {@link #deactivate} does (B-GIC-7).</li>
 *   <li>Completions the architecture ignores (EOI of 1020-1023, EOI with nothing active, DIR in EOImode 0, DIR of
 *       an inactive INTID) change nothing, are counted ({@link #ignoredCompletions()}) and reported once
 *       (B-GIC-21).</li>
 * </ul>
 */
public final class CpuInterface {
    /* Implementation notes
     *
     * Lock: every method takes the PE lock (the monitor of this PE's Redistributor), then, when an SPI is
     * involved, the distributor lock. Signalling (waking a parked PE) is done after both are released.
     *
     * The active priorities are kept as a stack (ackIntid/ackPrio, depth) rather than an APR bitmap: preemption
     * needs a strictly higher group priority, so each set APR bit belongs to exactly one un-dropped acknowledge
     * and the bitmap is a stack (B-GIC-20). The stack also gives the INTID for the out-of-order check, which an
     * APR bitmap cannot.
     *
     * pmr and runningPriority are volatile so that observers (stats, the CPU loop's hint) can read them without
     * the lock; all writes happen under the PE lock.
     */
    static final int MAX_DEPTH = 33;   // at most one un-dropped acknowledge per group-priority level (32) + slack

    private final Gic gic;                      // I
    private final Redistributor rd;             // I
    private final Distributor dist;             // I
    private final int pe;                       // I

    private volatile int pmr = Gic.PMR_DEFAULT; // L(rd)
    private int bpr1 = Gic.BPR1_MIN;            // L(rd)
    private boolean eoiSplit = true;            // L(rd): EOImode=1
    private boolean groupEnabled = true;        // L(rd): ICC_IGRPEN1
    private final int[] ackIntid = new int[MAX_DEPTH];   // L(rd)
    private final int[] ackPrio = new int[MAX_DEPTH];    // L(rd): group priority of each un-dropped acknowledge
    private int depth;                          // L(rd)
    private volatile int runningPriority = Gic.PRIORITY_IDLE;  // L(rd)
    private int injectedSpurious;               // L(rd): fault injection (J-GIC-4)
    private long ignoredCompletions;            // L(rd); read with the lock
    private boolean ignoredReported;            // L(rd)

    CpuInterface(Gic gic, Redistributor rd, Distributor dist, int pe) {
        this.gic = gic;
        this.rd = rd;
        this.dist = dist;
        this.pe = pe;
    }

    /** The PE (CPU index) this interface belongs to. */
    public int cpu() {
        return pe;
    }

    /**
     * Reads IAR1: acknowledges the highest-priority pending interrupt if it can be signalled (priority below
     * PMR, group priority above the running priority, group enabled), making it active and its group priority
     * the running priority.
     *
     * @return the INTID, or {@link Gic#SPURIOUS} when nothing is signallable (nothing changes then)
     */
    public int acknowledge() {
        return acknowledge(Gic.PMR_NONE);
    }

    /**
     * Acknowledge as a PE whose own masking admits only priorities below {@code peMask}. The virtual CPU passes
     * {@link Gic#PMR_IRQ_OFF} while its IRQs are disabled (Linux's pseudo-NMI masking: only pseudo-NMIs get
     * through) and {@link Gic#PMR_NONE} otherwise. The effective mask is the lower of {@code peMask} and PMR.
     */
    public int acknowledge(int peMask) {
        int intid;
        synchronized (rd) {
            if (injectedSpurious > 0) {
                injectedSpurious--;
                return Gic.SPURIOUS;
            }
            intid = select(peMask, true);
        }
        return intid;
    }

    /**
     * Whether this PE's interrupt signal is asserted for a PE mask of {@code peMask} (B-GIC-18), i.e. whether
     * {@link #acknowledge(int)} would return an INTID now. Exact (takes the locks).
     */
    public boolean isSignalled(int peMask) {
        synchronized (rd) {
            return select(peMask, false) != Gic.SPURIOUS;
        }
    }

    /**
     * Lock-free, racy hint: could anything be pending for this PE? {@code false} is reliable only when the
     * caller re-checks with {@link #isSignalled} after publishing that it is going to sleep (the CPU loop does).
     */
    public boolean mayBeSignalled() {
        return rd.candidates() != 0 || dist.candidateCount.get(pe) != 0;
    }

    /** Reads HPPIR1: the highest-priority pending INTID without the PMR and running-priority checks. */
    public int highestPending() {
        synchronized (rd) {
            return select(Gic.PMR_NONE, false, true);
        }
    }

    private int select(int peMask, boolean activate) {
        return select(peMask, activate, false);
    }

    // Called with the PE lock held.
    private int select(int peMask, boolean activate, boolean ignoreMasks) {
        int local = -1;
        int localPrio = Integer.MAX_VALUE;
        int bits = rd.candidates();
        while (bits != 0) {
            int i = Integer.numberOfTrailingZeros(bits);
            bits &= bits - 1;
            int p = rd.priority(i);
            if (p < localPrio) {
                localPrio = p;
                local = i;
            }
        }
        if (dist.candidateCount.get(pe) != 0) {
            synchronized (dist) {
                int spi = dist.best(pe);
                if (spi >= 0 && (dist.priority[spi] & 0xff) < localPrio) {
                    int p = dist.priority[spi] & 0xff;
                    if (!ignoreMasks && !signallable(p, peMask)) {
                        return Gic.SPURIOUS;
                    }
                    if (activate) {
                        Distributor.put(dist.latch, spi, false);
                        Distributor.put(dist.active, spi, true);
                        dist.refresh(spi);
                        push(spi, p);
                    }
                    return spi;
                }
            }
        }
        if (local < 0) {
            return Gic.SPURIOUS;
        }
        if (!ignoreMasks && !signallable(localPrio, peMask)) {
            return Gic.SPURIOUS;
        }
        if (activate) {
            int bit = 1 << local;
            rd.clearLatch(bit);
            rd.active |= bit;
            push(local, localPrio);
        }
        return local;
    }

    private boolean signallable(int prio, int peMask) {
        return groupEnabled && prio < Math.min(pmr, peMask) && groupPriority(prio) < runningPriority;
    }

    private int groupPriority(int prio) {
        return prio & (0xff << bpr1) & 0xff;
    }

    private void push(int intid, int prio) {
        if (depth == MAX_DEPTH) {
            throw new IllegalStateException("cpu/" + pe + ": active priority stack overflow");
        }
        int g = groupPriority(prio);
        ackIntid[depth] = intid;
        ackPrio[depth] = g;
        depth++;
        runningPriority = g;
    }

    /**
     * Writes EOIR1: drops the running priority of the most recent un-dropped acknowledge, which must be
     * {@code intid}; with EOImode=0 also deactivates it.
     *
     * @throws IllegalStateException if {@code intid} is not the most recent un-dropped acknowledge (B-GIC-6:
     *         drops must happen in reverse acknowledge order)
     */
    public void endOfInterrupt(int intid) {
        int wake = -1;
        synchronized (rd) {
            if (!Gic.exists(intid)) {
                ignored("EOI of INTID " + intid + " (special or not implemented) ignored (B-GIC-21)");
                return;
            }
            if (depth == 0) {
                ignored("spurious EOI of INTID " + intid + ": no active priority to drop (B-GIC-21)");
                return;
            }
            int top = ackIntid[depth - 1];
            if (top != intid) {
                throw new IllegalStateException("cpu/" + pe + ": EOI of INTID " + intid + " out of order: the most "
                        + "recent un-dropped acknowledge is INTID " + top
                        + "; priority drops must happen in reverse acknowledge order (B-GIC-6)");
            }
            depth--;
            runningPriority = depth == 0 ? Gic.PRIORITY_IDLE : ackPrio[depth - 1];
            if (!eoiSplit) {
                wake = deactivateLocked(intid);
            }
        }
        // The running priority fell: something held back by it may be signallable now.
        gic.signal(pe);
        if (wake >= 0 && wake != pe) {
            gic.signal(wake);
        }
    }

    /**
     * Writes DIR: ends the active state of {@code intid} (EOImode=1 only). Ignored in EOImode 0 and for special
     * INTIDs; a DIR of an INTID that is not active has no effect. Each ignored write is counted (B-GIC-21).
     */
    public void deactivate(int intid) {
        int wake;
        synchronized (rd) {
            if (!eoiSplit) {
                ignored("DIR of INTID " + intid + " in EOImode 0 ignored (B-GIC-21)");
                return;
            }
            if (!Gic.exists(intid)) {
                ignored("DIR of INTID " + intid + " (special or not implemented) ignored (B-GIC-21)");
                return;
            }
            wake = deactivateLocked(intid);
        }
        if (wake >= 0) {
            gic.signal(wake);
        }
    }

    // PE lock held. Returns the PE to signal, or -1.
    private int deactivateLocked(int intid) {
        if (intid < Gic.SPI_FIRST) {
            int bit = 1 << intid;
            if ((rd.active & bit) == 0) {
                ignored("DIR of INTID " + intid + ", which is not active, has no effect (B-GIC-21)");
                return -1;
            }
            rd.active &= ~bit;
            return pe;
        }
        synchronized (dist) {
            if (!Distributor.bit(dist.active, intid)) {
                ignored("DIR of INTID " + intid + ", which is not active, has no effect (B-GIC-21)");
                return -1;
            }
            Distributor.put(dist.active, intid, false);
            return dist.refresh(intid);
        }
    }

    private void ignored(String what) {
        ignoredCompletions++;
        if (!ignoredReported) {
            ignoredReported = true;
            Gic.LOG.log(Level.WARNING, "cpu/" + pe + ": " + what + " (reported once per CPU interface)");
        }
    }

    /** ICC_PMR: interrupts with priority numerically at or above {@code pmr} are masked (B-GIC-10). */
    public void setPriorityMask(int pmr) {
        Gic.checkPriority(pmr, "priority mask");
        synchronized (rd) {
            this.pmr = pmr & Gic.PRIORITY_BITS;
        }
        gic.signal(pe);
    }

    public int priorityMask() {
        return pmr;
    }

    /** ICC_RPR: the group priority of the most recent un-dropped acknowledge, 0xff when none (B-GIC-20). */
    public int runningPriority() {
        return runningPriority;
    }

    /** ICC_BPR1; a value below the minimum (3 with 5 priority bits) is raised to it (B-GIC-19). */
    public void setBinaryPoint(int bpr1) {
        if (bpr1 < 0 || bpr1 > 7) {
            throw new IllegalArgumentException("binary point " + bpr1 + " outside 0..7 (B-GIC-19)");
        }
        synchronized (rd) {
            this.bpr1 = Math.max(bpr1, Gic.BPR1_MIN);
        }
        // A larger binary point lowers pending group priorities below the running priority: something held
        // back may be signallable now (B-GIC-18: recomputed after every CPU-interface change).
        gic.signal(pe);
    }

    public int binaryPoint() {
        synchronized (rd) {
            return bpr1;
        }
    }

    /** ICC_CTLR.EOImode: 1 (the default) splits priority drop (EOI) from deactivation (DIR); 0 does both at EOI. */
    public void setEoiMode(int mode) {
        if (mode != 0 && mode != 1) {
            throw new IllegalArgumentException("EOImode is 0 or 1, not " + mode + " (B-GIC-7)");
        }
        synchronized (rd) {
            eoiSplit = mode == 1;
        }
    }

    public int eoiMode() {
        synchronized (rd) {
            return eoiSplit ? 1 : 0;
        }
    }

    /** ICC_IGRPEN1: with the group disabled nothing is signalled to this PE (B-GIC-18). */
    public void setGroupEnabled(boolean enabled) {
        synchronized (rd) {
            groupEnabled = enabled;
        }
        gic.signal(pe);
    }

    /** Number of un-dropped acknowledges (the depth of the active-priority stack). */
    public int activeDepth() {
        synchronized (rd) {
            return depth;
        }
    }

    /**
     * Fault injection (J-GIC-4): the next {@code n} acknowledges return {@link Gic#SPURIOUS} whatever is pending,
     * as when the interrupt that raised the exception is withdrawn before IAR is read (B-GIC-17).
     */
    public void injectSpuriousAcknowledges(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("count must be >= 0: " + n);
        }
        synchronized (rd) {
            injectedSpurious += n;
        }
    }

    /** Completions ignored as the architecture prescribes (B-GIC-21); tests assert this stays 0. */
    public long ignoredCompletions() {
        synchronized (rd) {
            return ignoredCompletions;
        }
    }

    @Override
    public String toString() {
        return "CpuInterface[cpu/" + pe + " pmr=0x" + Integer.toHexString(pmr) + " rpr=0x"
                + Integer.toHexString(runningPriority) + "]";
    }
}
