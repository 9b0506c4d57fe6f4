/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqwork;

import io.kdefer.cpu.Host;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Access;
import io.kdefer.internal.Await;
import io.kdefer.internal.Kernel;
import io.kdefer.internal.Latency;
import io.kdefer.internal.Tracepoints;
import io.kdefer.smp.internal.CallEntry;
import io.kdefer.smp.internal.CallQueues;
import io.kdefer.smp.internal.Ipis;
import io.kdefer.internal.Handles;
import io.kdefer.internal.Services;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * A callback run soon after in hardirq context on a virtual CPU, queued from any thread in any context —
 * including places that must not block or allocate, such as a pseudo-NMI handler (kernel: irq_work).
 *
 * <pre>{@code
 * IrqWork flush = new IrqWork(m, () -> log.flush());
 * log.append(sample);        // any thread, any context
 * flush.queue();             // true: now pending; false: already pending, and that run sees the append
 * }</pre>
 *
 * <h2>States (kernel: include/linux/irq_work.h)</h2>
 * <pre>
 *   state     flags          list         -&gt; next
 *   FREE      0              no           -&gt; CLAIMED   queue()/queueOn() won the claim
 *   CLAIMED   PENDING|BUSY   no (linking) -&gt; PENDING   pushed on a CPU's raised/lazy list or call-single queue
 *   PENDING   PENDING|BUSY   yes          -&gt; BUSY      the CPU took the list; PENDING cleared (full fence)
 *   BUSY      BUSY           no           -&gt; FREE      the callback returned and nobody queued it meanwhile
 *                                         -&gt; CLAIMED   queue() during the callback: it runs again afterwards
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>{@link #queue()} returns {@code true} for exactly one caller per PENDING period.</li>
 *   <li>Every {@code queue()}, whatever it returns, is followed by a callback start that sees the caller's
 *       prior stores (MO-IW-1, MO-IW-2).</li>
 *   <li>Queued while BUSY: runs again after the current run (MO-IW-3); a callback may re-queue its own item.</li>
 *   <li>The self-interrupt (SGI 5, IWI) is sent only when a CPU's list goes from empty to non-empty (B-IW-2).</li>
 *   <li>Lazy items raise no interrupt: they run at the CPU's next tick, unless its tick is stopped (NOHZ idle),
 *       in which case they raise like normal items (B-IW-3).</li>
 *   <li>No order between distinct items: a batch taken from a CPU's list runs newest first (LIFO); items queued
 *       from other CPUs arrive in FIFO order through the call-single queue (B-IW-6).</li>
 *   <li>Queued only with {@link #queue()} (one CPU at a time), an item never runs concurrently with itself;
 *       {@link #queueOn} to different CPUs while it is BUSY can make two runs overlap (B-IW-8).</li>
 *   <li>A callback that throws is contained and counted ({@link #failures()}); the CPU keeps running. One that
 *       leaves the thread's interrupt flag set has it cleared and counted (DESIGN §5).</li>
 *   <li>On a closed machine {@link #queue()} and {@link #queueOn} return {@code false} and queue nothing;
 *       {@link #sync()} returns when the item is idle and throws IllegalStateException once the machine
 *       terminated with the item still queued (it would never run). An item queued before close runs in the drain
 *       or is counted in {@code Machine.closeReport()}.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   x = 1; r0 = w.queue();               [callback]  r1 = x;
 *   Forbids: r0 == true  &amp;&amp; r1 == 0 for the run that consumed this claim      (IrqWork_01_QueueReleasesStores)
 *   Forbids: r0 == false &amp;&amp; r1 == 0 for the run whose PENDING clear followed   (IrqWork_02_LostRaceStillVisible)
 *   [callback] z = 1;  (returns)          w.sync(); r2 = z;
 *   Forbids: r2 == 0                                                           (IrqWork_04_SyncAcquires)
 *   queue() while BUSY: Forbids the item ending FREE without another run       (IrqWork_03_RequeueWhileBusy)
 *   exactly one true per PENDING period                                         (IrqWork_05_ClaimIsExclusive)
 *   the item's fields written before the push are visible to the CPU that takes the list
 *                                                                    (MO-IW-5: LList_01_PushPublishes)
 * </pre>
 */
public final class IrqWork {
    /* Implementation notes
     *
     * The claim is getAndBitwiseOr(CLAIMED): an unconditional volatile read-modify-write. A caller that finds
     * PENDING already set still wrote the flags word in synchronization order, and the runner's clear of PENDING
     * is another volatile read-modify-write of the same word, so the store-buffering shape of MO-IW-2 holds in
     * the JMM. A compare-and-set loop that returned on "already PENDING" would publish nothing when it fails:
     * the bug the kernel fixed in 2019 (spec §13.1).
     *
     * The runner: getAndBitwiseAnd(~PENDING) (fully ordered) before the callback; afterwards one
     * compareAndExchange from "value after the clear" to "that minus BUSY". It fails only if queue() claimed the
     * item during the callback; the item then stays CLAIMED/PENDING and is already on a list again.
     *
     * After that final CAS the runner never touches the item (§13.3: a sync() caller may reuse it at once).
     * sync() therefore does not wait for a wake-up from the runner: it spins briefly, then parks in short
     * timed steps, re-reading the flags with acquire (MO-IW-4). That keeps the run path free of any store.
     *
     * Linearization points: queue() at its getAndBitwiseOr; the start of a run at the PENDING clear; the end of
     * a run at the final CAS.
     *
     * queuedAt (the kdefer.IrqWork event's and the latency histograms' queue->start stamp, io.kdefer.internal.
     * Tracepoints): written by the thread whose claim made the item pending, after the claim and before the push
     * that publishes the item (the push releases it, the CPU's popAll acquires it: MO-IW-5); read by the run before
     * its PENDING clear. After that clear a new queue() may claim and overwrite it, and the clear is a full fence, so
     * the run's read happens before that write: the read sees this period's stamp, never the next one. A plain
     * store of 0 when nothing records (no branch, one store to a line the claim just wrote).
     */
    static final int PENDING = 0x1;
    static final int BUSY = 0x2;
    static final int LAZY = 0x4;
    static final int HARD_IRQ = 0x8;
    static final int CLAIMED = PENDING | BUSY;
    static final int CSD_TYPE_IRQ_WORK = 0x20;

    static {
        Access.register(IrqWork.class, IrqWork::install);
    }

    private final IrqWorkCore core;                              // I
    private final Runnable fn;                                   // I
    final Entry node = new Entry(this);                          // I: link in a raised, lazy or call-single list
    private volatile int flags;                                  // A: see States
    private long queuedAt;                                       // O(claim owner): see implementation notes
    private long runs;                                           // O(running CPU): R for readers
    private volatile long failures;                              // A

    private static final VarHandle FLAGS = Handles.field(MethodHandles.lookup(), IrqWork.class, "flags", int.class);
    private static final VarHandle RUNS = Handles.field(MethodHandles.lookup(), IrqWork.class, "runs", long.class);
    private static final VarHandle FAILURES = Handles.field(MethodHandles.lookup(), IrqWork.class, "failures",
            long.class);

    /** A hard irq_work on {@code machine}: its callback runs in hardirq context on the CPU it is queued on. */
    public IrqWork(Host machine, Runnable fn) {
        this(Services.get(machine, IrqWorkCore.class), fn, false);
    }

    /** A lazy irq_work: runs at the next tick of its CPU, raising no interrupt unless the tick is stopped. */
    public static IrqWork lazy(Host machine, Runnable fn) {
        return new IrqWork(Services.get(machine, IrqWorkCore.class), fn, true);
    }

    /** irq_work's installer ({@code Access}): the per-CPU lists and their hooks. */
    static void install(Kernel k) {
        k.put(IrqWorkCore.class, new IrqWorkCore(k.get(Cpus.class), k.get(Ipis.class), k.get(CallQueues.class)));
    }

    /** The item's entry in a CPU's lists: its own raised/lazy list, or another CPU's call-single queue. */
    static final class Entry extends CallEntry {
        final IrqWork work;    // I

        Entry(IrqWork work) {
            this.work = work;
        }

        @Override
        public int type() {
            return IRQ_WORK;
        }

        @Override
        public Throwable run(Cpu cpu) {
            work.run(cpu);                   // contains and reports its callback's failure itself
            return null;
        }

        @Override
        public Object owner() {
            return work;
        }

        @Override
        public String kind() {
            return "irq_work";
        }
    }

    IrqWork(IrqWorkCore core, Runnable fn, boolean lazy) {
        this.core = core;
        this.fn = Objects.requireNonNull(fn, "fn");
        this.flags = lazy ? LAZY : 0;
    }

    /**
     * irq_work_queue: makes the item pending on this CPU (the caller's home CPU if it runs on none). Never blocks,
     * never allocates; safe from any context including a pseudo-NMI.
     *
     * @return {@code true} if this call made it pending; {@code false} if it already was — that pending run will
     *         still see everything the caller stored before this call — or the machine is closed
     */
    public boolean queue() {
        if (core.refusesNewWork() || !claim()) {
            return false;
        }
        queuedAt = core.latency.stamp(Tracepoints.IRQ_WORK);
        core.enqueueLocal(core.cpus.thisCpu(), this);
        return true;
    }

    /**
     * irq_work_queue_on: makes the item pending on {@code cpu}, through its call-single queue and a CALL_FUNC
     * IPI (the local path if {@code cpu} is the caller's own). Not NMI-safe for a remote CPU.
     *
     * @return as {@link #queue()}: {@code false} if already pending or the machine is closed
     * @throws IllegalArgumentException no such CPU, or it is offline
     * @throws IllegalStateException    called from NMI context for a remote CPU (B-IW-4)
     */
    public boolean queueOn(int cpu) {
        if (core.refusesNewWork()) {
            return false;
        }
        Cpu target = core.checkTarget(cpu);
        if (target == core.cpus.thisCpu()) {
            return queue();
        }
        Cpu exec = core.cpus.executingCpu();
        if (exec != null && exec.context().inNmi()) {
            throw new IllegalStateException("irq_work queueOn(cpu/" + cpu + ") from NMI context on " + exec
                    + ": the remote path is not NMI-safe (B-IW-4); queue() locally instead");
        }
        if (!claim()) {
            return false;
        }
        queuedAt = core.latency.stamp(Tracepoints.IRQ_WORK);
        core.enqueueRemote(target, this);
        return true;
    }

    /**
     * irq_work_sync: waits until the item is not BUSY (queued, or its callback running). On return, every store
     * the last callback made is visible (acquire; stronger than the kernel's guarantee, MO-IW-4). An item that
     * keeps being re-queued may keep this waiting.
     *
     * @throws IllegalStateException from atomic context (it may sleep); in MANUAL mode while the item is still
     *         queued (nobody but the caller could run it: step the machine first; a callback that another thread is
     *         stepping right now is waited for); once the machine terminated with the item still queued
     */
    public void sync() {
        CpuContext.mightSleep("irq_work_sync");
        int f = (int) FLAGS.getAcquire(this);
        if ((f & BUSY) == 0) {
            return;
        }
        if ((f & PENDING) != 0 && core.cpus.isManual()) {
            // Queued, not started: in MANUAL mode only a stepping thread runs it, and that is not this one. BUSY
            // without PENDING means another thread is running the callback right now: wait for it.
            throw new IllegalStateException("irq_work sync in MANUAL mode while the item is still pending: "
                    + "step the machine (runUntilIdle) first");
        }
        Await.until(this, () -> ((int) FLAGS.getAcquire(this) & BUSY) == 0, core.lifecycle, "irq_work_sync");
    }

    /** irq_work_is_pending: a racy snapshot (B-IW-11). */
    public boolean isPending() {
        return (flags & PENDING) != 0;
    }

    /** irq_work_is_busy: a racy snapshot (B-IW-11). */
    public boolean isBusy() {
        return (flags & BUSY) != 0;
    }

    public boolean isLazy() {
        return (flags & LAZY) != 0;
    }

    /** Times the callback ran (racy count). */
    public long runs() {
        return (long) RUNS.getOpaque(this);
    }

    /** Times the callback threw (contained). */
    public long failures() {
        return failures;
    }

    // ---------------------------------------------------------------------------------------------- transitions

    /** FREE -&gt; CLAIMED; true if this call made the item pending. Unconditional volatile RMW (never a failing CAS). */
    boolean claim() {
        int old = (int) FLAGS.getAndBitwiseOr(this, CLAIMED | CSD_TYPE_IRQ_WORK);
        return (old & PENDING) == 0;
    }

    /**
     * irq_work_single on {@code cpu}: PENDING -&gt; BUSY, the callback, then BUSY -&gt; FREE unless re-claimed
     * meanwhile.
     */
    void run(Cpu cpu) {
        long q = queuedAt;                                                   // before the clear (see notes)
        int flags = (int) FLAGS.getAndBitwiseAnd(this, ~PENDING) & ~PENDING;   // fully ordered (§13.2)
        RUNS.setOpaque(this, (long) RUNS.getOpaque(this) + 1);
        if (q == 0 && !core.latency.isEnabled() && !Tracepoints.on(Tracepoints.IRQ_WORK)) {
            callback();                         // nothing records: the run stays small enough to inline
        } else {
            runRecorded(cpu, q, flags);
        }
        FLAGS.compareAndExchange(this, flags, flags & ~BUSY);
    }

    /** The callback between irq_work_entry and irq_work_exit, timed for the latency histograms. */
    private void runRecorded(Cpu cpu, long q, int flags) {
        long t0 = core.latency.start();
        Object ev = Tracepoints.irqWorkBegin(q);                             // irq_work_entry
        callback();
        Tracepoints.irqWorkEnd(ev, core.machine, cpu.id(), (flags & LAZY) != 0, fn);   // irq_work_exit
        core.latency.end(cpu.id(), Latency.IRQ_WORK, q, t0);
    }

    private void callback() {
        try {
            fn.run();
        } catch (Throwable t) {
            FAILURES.getAndAdd(this, 1L);
            core.reportFailure(this, t);
        }
    }

    int flags() {
        return flags;
    }

    @Override
    public String toString() {
        int f = flags;
        String state = (f & CLAIMED) == 0 ? "FREE" : (f & PENDING) != 0 ? "PENDING" : "BUSY";
        return "IrqWork[" + state + ((f & LAZY) != 0 ? ", lazy" : "") + "]";
    }
}
