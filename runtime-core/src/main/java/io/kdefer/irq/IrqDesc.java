/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.internal.Handles;
import io.kdefer.irq.internal.IrqChip;
import io.kdefer.irq.internal.IrqData;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The descriptor of one interrupt line (kernel: struct irq_desc), as a read-only view: handler names, state,
 * disable depth and per-CPU counts. All changes go through {@link Irqs}. The line's controller (its chip) and the
 * controller's own number for it (hwirq) are in its {@code IrqData}; nothing here knows which controller it is.
 *
 * <h2>State flags (kernel: istate / irqd)</h2>
 * <pre>
 *   DISABLED           disable depth &gt; 0 (lazily: the line may still be unmasked at its chip)
 *   MASKED             masked at its chip (every mask and unmask goes through {@link #mask()} / {@link #unmask()})
 *   INPROGRESS         a hardirq run of the handlers is executing (on runningCpu)
 *   PENDING            an event arrived while it could not be handled; replayed on enable (edge)
 *   REPLAY             a resend is in flight; cleared at the next flow-handler entry
 *   ONESHOT            keep masked until the threads ran (threaded IRQs)
 *   SPURIOUS_DISABLED  disabled by the spurious detector ("nobody cared"), polled since
 *   POLL_INPROGRESS    the spurious poller is running the handlers
 *   NMI                requested with requestNmi (pseudo-NMI flow, never lazy, never shared)
 * </pre>
 *
 * <h2>Threads (threaded IRQs, spec §4)</h2>
 * <pre>
 *   threads_oneshot  one bit per ONESHOT action whose thread was woken and has not finished: while non-zero, the
 *                    flow handlers leave the line masked (B-TI-11)
 *   threads_active   woken thread runs not yet finished (B-TI-15); synchronize waits for 0
 *   threads_handled  thread runs that returned HANDLED; feeds the deferred spurious verdict (B-SPUR-4)
 * </pre>
 */
public final class IrqDesc {
    /* Implementation notes
     *
     * Locks: requestLock (kernel: request_mutex) serialises request/free/setFlowHandler; lock (the descriptor
     * spinlock) guards istate, depth, target, type and the spurious counters, and is held around every chip
     * operation on the line (as the kernel's chip callbacks run under desc->lock). The hardirq path takes lock only for
     * its bookkeeping and releases it while the handlers run (B-FLOW-1).
     *
     * actions is copy-on-write: request/free replace the array under both locks; the hardirq path reads one
     * snapshot. free() then synchronizes, so no run that saw the old array is still executing when it returns.
     *
     * istate is volatile so that synchronize() may spin on INPROGRESS without the lock; it is written only
     * under lock.
     *
     * threadsOneshot is atomic because two writers may touch it without holding lock: the hardirq that owns
     * INPROGRESS (the kernel's rule: bits are set by the hardirq with the lock dropped) and wakeThread(), which
     * holds lock. The decisions that read it (the flows' cond_unmask, the thread's finalize) run under lock with
     * INPROGRESS clear, which is what serialises them against the setters (MO-TI-3, see IrqThread).
     */
    static final int DISABLED = 1;
    static final int MASKED = 1 << 1;
    static final int INPROGRESS = 1 << 2;
    static final int PENDING = 1 << 3;
    static final int REPLAY = 1 << 4;
    static final int ONESHOT = 1 << 5;
    static final int SPURIOUS_DISABLED = 1 << 6;
    static final int POLL_INPROGRESS = 1 << 7;
    static final int NMI = 1 << 8;

    static final IrqAction[] NO_ACTIONS = new IrqAction[0];

    final IrqData data;                                         // I: chip, hwirq, domain
    final int irq;                                              // I: data.irq()
    final boolean percpu;                                       // I: a per-CPU line (GIC SGI/PPI)
    final boolean hidden;                                       // I: not listed in /proc/interrupts (IRQ_HIDDEN)
    final ReentrantLock lock = new ReentrantLock();             // the descriptor lock
    final ReentrantLock requestLock = new ReentrantLock();      // request_mutex
    volatile IrqAction[] actions = NO_ACTIONS;                  // WO(requestLock + lock): the hardirq reads a snapshot
    volatile FlowHandler flow;                                  // WO(requestLock + lock): the root handler reads it
    volatile boolean nestedThread;                              // WO(requestLock): IRQ_NESTED_THREAD (B-TI-16)
    volatile int istate = DISABLED | MASKED;                    // WO(lock): synchronize spins on it unlocked
    int depth = 1;                                              // L(lock): no action = disabled
    int target;                                                 // L(lock): SPI route (the effective affinity)
    BitSet affinityMask;                                        // L(lock): the requested CPUs (smp_affinity)
    int runningCpu = -1;                                        // L(lock): the CPU with INPROGRESS
    volatile int type;                                          // WO(lock): IrqFlags.TRIGGER_*
    final long[] kstat;                                         // O(each CPU its own slot)

    // Spurious detection (B-SPUR): L(lock), or the line's non-reentrant hardirq.
    int irqCount;
    int irqsUnhandled;
    long lastUnhandledNanos = Long.MIN_VALUE / 2;
    long spuriousDisables;
    boolean unexpectedReported;
    int threadsHandledLast;                                     // L(lock): snapshot | SPURIOUS_DEFERRED (B-SPUR-4)

    // Threaded IRQs (spec §4).
    volatile long threadsOneshot;                               // A: see implementation notes
    volatile int threadsActive;                                 // A: woken thread runs not finished
    volatile int threadsHandled;                                // A: thread runs that returned HANDLED
    final Object threadWaiters = new Object();                  // wait_for_threads: waiters for threadsActive == 0

    static final int SPURIOUS_DEFERRED = 0x80000000;

    static final VarHandle THREADS_ONESHOT = Handles.field(MethodHandles.lookup(), IrqDesc.class, "threadsOneshot",
            long.class);
    static final VarHandle THREADS_ACTIVE = Handles.field(MethodHandles.lookup(), IrqDesc.class, "threadsActive",
            int.class);
    static final VarHandle THREADS_HANDLED = Handles.field(MethodHandles.lookup(), IrqDesc.class, "threadsHandled",
            int.class);

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    IrqDesc(IrqData data, int cpus, FlowHandler flow, boolean hidden) {
        this.data = data;
        this.irq = data.irq();
        this.percpu = data.isPercpu();
        this.hidden = hidden;
        this.kstat = new long[cpus];
        this.affinityMask = new BitSet(cpus);
        affinityMask.set(0, cpus);                               // irq_default_affinity: every CPU
        this.flow = flow;
        this.type = data.chip().type(data);
    }

    /** The Linux IRQ number (on arm64 the GIC INTID: the GICv3 domain maps each INTID to the same number). */
    public int irq() {
        return irq;
    }

    /** The controller's own number for the line (a GIC INTID, an IO-APIC pin, a vector). */
    public int hwirq() {
        return data.hwirq();
    }

    /** The controller's name, as /proc/interrupts shows it ("GICv3", "IO-APIC", ...). */
    public String chipName() {
        return data.chip().name();
    }

    /** Whether this is a per-CPU line (on the GIC: an SGI or PPI), requested with {@code requestPercpu}. */
    public boolean isPercpu() {
        return percpu;
    }

    /** Interrupts handled on {@code cpu} (kernel: kstat_irqs_cpu). */
    public long count(int cpu) {
        return (long) LONGS.getOpaque(kstat, cpu);
    }

    /** Interrupts handled on all CPUs. */
    public long count() {
        long n = 0;
        for (int i = 0; i < kstat.length; i++) {
            n += count(i);
        }
        return n;
    }

    void countOn(int cpu) {
        LONGS.setOpaque(kstat, cpu, (long) LONGS.getOpaque(kstat, cpu) + 1);
    }

    /** Names of the actions, in registration order. */
    public List<String> names() {
        List<String> out = new ArrayList<>();
        for (IrqAction a : actions) {
            out.add(a.name);
        }
        return out;
    }

    public boolean hasAction() {
        return actions.length != 0;
    }

    public FlowHandler flowHandler() {
        return flow;
    }

    /**
     * The line's trigger type as its chip is configured: {@link IrqFlags#TRIGGER_RISING} (edge) or
     * {@link IrqFlags#TRIGGER_HIGH} (level), or another {@code TRIGGER_*} value a chip supports.
     */
    public int triggerType() {
        return type;
    }

    /** Whether the line is level-triggered. */
    public boolean isLevel() {
        return (type & (IrqFlags.TRIGGER_HIGH | IrqFlags.TRIGGER_LOW)) != 0;
    }

    /** How the line is triggered, as /proc/interrupts shows it ("Level", "Edge"). */
    public String typeName() {
        return data.chip().typeName(data);
    }

    /** Disable depth: 0 = enabled (B-FLOW-3/5). */
    public int depth() {
        lock.lock();
        try {
            return depth;
        } finally {
            lock.unlock();
        }
    }

    public boolean isDisabled() {
        return (istate & DISABLED) != 0;
    }

    public boolean isMasked() {
        return (istate & MASKED) != 0;
    }

    public boolean isInProgress() {
        return (istate & INPROGRESS) != 0;
    }

    /** An event was recorded while the line could not be handled (B-FLOW-3/7). */
    public boolean isPending() {
        return (istate & PENDING) != 0;
    }

    /** The spurious detector disabled the line (B-SPUR-3). */
    public boolean isSpuriousDisabled() {
        return (istate & SPURIOUS_DISABLED) != 0;
    }

    /** Handler invocations on this line that threw (contained), primary handlers and thread functions. */
    public long failures() {
        long n = 0;
        for (IrqAction a : actions) {
            n += a.failures() + a.threadFailures() + (a.secondary != null ? a.secondary.threadFailures() : 0);
        }
        return n;
    }

    /** Thread function invocations on this line that threw (contained; the line was finalized as if they returned). */
    public long threadFailures() {
        long n = 0;
        for (IrqAction a : actions) {
            n += a.threadFailures() + (a.secondary != null ? a.secondary.threadFailures() : 0);
        }
        return n;
    }

    /**
     * Names of the IRQ threads of this line ({@code irq/<irq>-<name>}, and with forced threading a secondary's
     * {@code irq/<irq>-s-<name>} after its action's), in registration order.
     */
    public List<String> threadNames() {
        List<String> out = new ArrayList<>();
        for (IrqAction a : actions) {
            if (a.thread != null) {
                out.add(a.thread.getName());
            }
            if (a.secondary != null && a.secondary.thread != null) {
                out.add(a.secondary.thread.getName());
            }
        }
        return out;
    }

    /**
     * Thread function runs of the line's current actions, secondaries included, and of nested handlers (a racy sum
     * of per-thread counters).
     */
    public long threadRuns() {
        long n = 0;
        for (IrqAction a : actions) {
            n += a.threadRuns() + (a.secondary != null ? a.secondary.threadRuns() : 0);
        }
        return n;
    }

    /**
     * Whether the line is a nested-thread line (IRQ_NESTED_THREAD): its handlers run in its parent's IRQ thread,
     * delivered by {@code Irqs.handleNestedIrq} (B-TI-16).
     */
    public boolean isNestedThread() {
        return nestedThread;
    }

    /**
     * Whether an action of the line is forced-threaded ({@code MachineConfig.forceThreadedIrqs}): its primary handler
     * runs in its IRQ thread, with BH and IRQs disabled (B-TI-12).
     */
    public boolean isForcedThreaded() {
        for (IrqAction a : actions) {
            if (a.hasFlag(IrqAction.FORCED_THREAD)) {
                return true;
            }
        }
        return false;
    }

    /** Woken thread runs that have not finished yet (kernel: threads_active, B-TI-15). */
    public int threadsActive() {
        return threadsActive;
    }

    /** The ONESHOT bits of woken threads that have not finished (kernel: threads_oneshot, B-TI-11). */
    public long threadsOneshot() {
        return threadsOneshot;
    }

    /** Thread runs that returned {@link IrqReturn#HANDLED} (kernel: threads_handled, B-SPUR-4). */
    public int threadsHandled() {
        return threadsHandled;
    }

    /** The CPU a shared-peripheral line is routed to: the one CPU of its {@link #effectiveAffinity()}. */
    public int affinity() {
        lock.lock();
        try {
            return target;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The CPUs the line may be delivered to (kernel: /proc/irq/N/smp_affinity): every CPU until
     * {@code Irqs.setAffinity} narrows it. A copy. For a per-CPU line, every CPU.
     */
    public BitSet affinityMask() {
        lock.lock();
        try {
            return (BitSet) affinityMask.clone();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The CPUs the line is actually delivered to (kernel: effective_affinity): the one CPU of the mask its chip
     * chose (or the balancer moved it to); for a per-CPU line, every CPU. A copy.
     */
    public BitSet effectiveAffinity() {
        BitSet b = new BitSet(kstat.length);
        if (percpu) {
            b.set(0, kstat.length);
            return b;
        }
        b.set(affinity());
        return b;
    }

    /** Whether some action of the line was requested with {@link IrqFlags#NOBALANCING} (IRQD_NO_BALANCING). */
    public boolean isNoBalancing() {
        for (IrqAction a : actions) {
            if ((a.flags & IrqFlags.NOBALANCING) != 0) {
                return true;
            }
        }
        return false;
    }

    // ----- chip operations with the descriptor's MASKED bookkeeping (kernel: mask_irq / unmask_irq in chip.c) -----

    /** Masks the line at its chip and records MASKED. Descriptor lock held. */
    void mask() {
        data.chip().mask(data);
        set(MASKED);
    }

    /** Clears MASKED and unmasks the line at its chip. Descriptor lock held. */
    void unmask() {
        clear(MASKED);
        data.chip().unmask(data);
    }

    IrqChip chip() {
        return data.chip();
    }

    /** The line in the controller's words, and its IRQ number if that differs: "INTID 40", "pin 3 (irq 19)". */
    String describe() {
        String hw = data.chip().describeHwirq(data);
        return irq == data.hwirq() ? hw : hw + " (irq " + irq + ")";
    }

    boolean has(int flag) {
        return (istate & flag) != 0;
    }

    void set(int flag) {
        istate |= flag;
    }

    void clear(int flag) {
        istate &= ~flag;
    }

    @Override
    public String toString() {
        return "IrqDesc[" + irq + " " + names() + " depth=" + depth + " state=0x" + Integer.toHexString(istate)
                + (threadsActive != 0 || threadsOneshot != 0 ? " threads_active=" + threadsActive
                + " threads_oneshot=0x" + Long.toHexString(threadsOneshot) : "") + "]";
    }
}
