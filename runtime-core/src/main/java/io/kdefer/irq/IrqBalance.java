/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;

import java.lang.System.Logger.Level;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The optional IRQ balancer (B-FLOW-15; off unless {@code MachineConfig.irqBalanceInterval} is set): the idea of the
 * irqbalance daemon, which on Linux runs in user space and writes /proc/irq/N/smp_affinity. Every interval it looks
 * at how many interrupts each shared-peripheral line took since its last look, and moves at most one busy line off
 * the hottest CPU to the coolest one.
 *
 * <h2>The rule (one look)</h2>
 * <ul>
 *   <li>Load of a CPU: the interrupts of every shared-peripheral line it handled since the last look (lines the
 *       balancer may not move count too: they load the CPU all the same). Load of a line: its interrupts since the
 *       last look, on any CPU. Per-CPU lines (IPIs, the CPU timer) are not counted: every CPU has them.</li>
 *   <li>hot = the online CPU with the most load (the lower id on a tie).</li>
 *   <li>Candidates: lines routed to hot, with an action, and no action requested with {@link IrqFlags#NOBALANCING}
 *       (the kernel's IRQD_NO_BALANCING). A candidate's target is the online CPU of its affinity mask, other than
 *       hot, with the least load (the lower id on a tie); it qualifies if its load {@code L} satisfies
 *       {@code 0 < L < load(hot) - load(target)}: moving it then lowers the busiest CPU's load without making the
 *       target busier than hot was, so a line alone on a CPU never ping-pongs between two CPUs.</li>
 *   <li>The qualifying candidate with the largest load moves to its target (the lower IRQ on a tie); its affinity
 *       mask is left as it is (the balancer picks where in the mask the line goes; the driver or user picked the
 *       mask). Its IRQ threads follow before their next run (B-TI-9).</li>
 * </ul>
 * It runs on the tick of the lowest-numbered online CPU, in hardirq context, so a MANUAL machine balances
 * deterministically as {@code advance} ticks it; an idle CPU whose tick stopped (NOHZ) has nothing to balance.
 */
final class IrqBalance {
    /* Implementation notes
     *
     * One look at a time (lock, tryLock: a CPU that becomes the first online one while the previous one is still in
     * its look skips). seen holds, per line, the per-CPU counts of the previous look; the counts are racy opaque
     * reads of kstat, which is what /proc/interrupts gives irqbalance too. The move re-checks, under the descriptor
     * lock, that the line is still on hot, cold still in its mask and online: a setAffinity or a hotplug migration
     * that raced the look wins. A chip that refuses the new CPU by throwing IllegalStateException (x86's vector
     * allocator: -ENOSPC) leaves the line where it was (IrqManage.routeLocked), and the look ends without a move: an
     * exception must not escape a tick hook.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.irq");

    private final Cpus cpus;                                        // I
    private final IrqTable table;                                   // I
    private final long intervalNanos;                               // I
    private final ReentrantLock lock = new ReentrantLock();         // one look at a time
    private final Map<IrqDesc, long[]> seen = new IdentityHashMap<>();   // L(lock)
    private long lastLookNanos;                                     // L(lock)
    private volatile long moves;                                    // WO(lock): a statistic

    IrqBalance(Cpus cpus, IrqTable table, long intervalNanos) {
        this.cpus = cpus;
        this.table = table;
        this.intervalNanos = intervalNanos;
        this.lastLookNanos = cpus.clockNanos();
    }

    /** Tick hook (hardirq context on {@code cpu}): on the lowest online CPU, look once per interval. */
    void tick(Cpu cpu) {
        if (!isFirstOnline(cpu) || !lock.tryLock()) {
            return;
        }
        try {
            long now = cpus.clockNanos();
            if (now - lastLookNanos < intervalNanos) {
                return;
            }
            lastLookNanos = now;
            look();
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code cpu} is the lowest-numbered online CPU (no allocation: this runs on every tick). */
    private boolean isFirstOnline(Cpu cpu) {
        for (int i = 0; i < cpu.id(); i++) {
            if (cpus.cpu(i).hotplugState() == Cpu.HotplugState.ONLINE) {
                return false;
            }
        }
        return cpu.hotplugState() == Cpu.HotplugState.ONLINE;
    }

    /** Lines moved so far. */
    long moves() {
        return moves;
    }

    long intervalNanos() {
        return intervalNanos;
    }

    // One look. lock held.
    private void look() {
        int n = cpus.count();
        long[] cpuLoad = new long[n];
        IrqDesc[] all = table.all();
        long[] lineLoad = new long[all.length];
        for (int i = 0; i < all.length; i++) {
            IrqDesc d = all[i];
            if (d.percpu) {
                continue;
            }
            long[] prev = seen.computeIfAbsent(d, k -> new long[n]);
            for (int c = 0; c < n; c++) {
                long now = d.count(c);
                long delta = now - prev[c];
                prev[c] = now;
                cpuLoad[c] += delta;
                lineLoad[i] += delta;
            }
        }
        BitSet online = IrqManage.onlineMask(cpus);
        int hot = -1;
        for (int c = online.nextSetBit(0); c >= 0; c = online.nextSetBit(c + 1)) {
            if (hot < 0 || cpuLoad[c] > cpuLoad[hot]) {
                hot = c;
            }
        }
        if (hot < 0 || cpuLoad[hot] == 0) {
            return;
        }
        IrqDesc best = null;
        long bestLoad = 0;
        int bestTarget = -1;
        for (int i = 0; i < all.length; i++) {
            IrqDesc d = all[i];
            long l = lineLoad[i];
            if (d.percpu || l <= bestLoad || !d.hasAction() || d.isNoBalancing()) {
                continue;
            }
            int target = -1;
            d.lock.lock();
            try {
                if (d.target == hot) {
                    for (int c = d.affinityMask.nextSetBit(0); c >= 0; c = d.affinityMask.nextSetBit(c + 1)) {
                        if (c != hot && online.get(c) && (target < 0 || cpuLoad[c] < cpuLoad[target])
                                && d.chip().checkAffinity(d.data, cpus.cpu(c)) == null) {   // the 8259A: CPU 0 only
                            target = c;
                        }
                    }
                }
            } finally {
                d.lock.unlock();
            }
            if (target >= 0 && l < cpuLoad[hot] - cpuLoad[target]) {
                best = d;
                bestLoad = l;
                bestTarget = target;
            }
        }
        if (best != null) {
            move(best, hot, bestTarget, bestLoad, cpuLoad);
        }
    }

    private void move(IrqDesc d, int hot, int cold, long load, long[] cpuLoad) {
        Cpu to = cpus.cpu(cold);
        d.lock.lock();
        try {
            if (d.target != hot || !d.affinityMask.get(cold) || to.hotplugState() != Cpu.HotplugState.ONLINE
                    || d.isNoBalancing()) {
                return;                              // a setAffinity, a hotplug move or a new action won the race
            }
            IrqManage.routeLocked(d, to);
            moves = moves + 1;
        } catch (IllegalStateException refused) {    // the chip cannot take it there (x86: -ENOSPC): no move
            LOG.log(Level.DEBUG, () -> "irq balance: IRQ " + d.irq + " stays on cpu/" + hot + ": "
                    + refused.getMessage());
            return;
        } finally {
            d.lock.unlock();
        }
        LOG.log(Level.DEBUG, () -> "irq balance: IRQ " + d.irq + " (" + load + " interrupts) from cpu/" + hot + " ("
                + cpuLoad[hot] + ") to cpu/" + cold + " (" + cpuLoad[cold] + ")");
    }
}
