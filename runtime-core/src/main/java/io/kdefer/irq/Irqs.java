/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.Cpus;
import io.kdefer.gic.Gic;
import io.kdefer.gic.InterruptState;
import io.kdefer.gic.Trigger;
import io.kdefer.internal.Await;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Lifecycle;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The generic IRQ layer (kernel: genirq): one descriptor per interrupt line with its flow handler and actions;
 * request and free of handlers, threaded handlers, shared lines, disable/enable with depth, synchronize, affinity,
 * and spurious interrupt detection. IRQ numbers are GIC INTIDs: {@code request(40, ...)} and
 * {@code gic.pulse(40)} name the same line.
 *
 * <h2>Threaded handlers (spec §4)</h2>
 * <pre>{@code
 * irqs.requestThreaded(42, null,                                // default primary: wake the thread
 *         (irq, dev) -> { readSensorOverI2c(); return IrqReturn.HANDLED; },   // task context, may block
 *         IrqFlags.TRIGGER_HIGH | IrqFlags.ONESHOT, "sensor", sensor);     // masked until the thread finished
 * }</pre>
 * A primary handler returning {@link IrqReturn#WAKE_THREAD} makes a run of its action's thread pending; wake-ups
 * coalesce while one is pending. See {@code IrqThread} (package-private) for the thread's states and the ordering
 * claims MO-TI-1..4 with their jcstress tests.
 *
 * <h2>Line states (per descriptor)</h2>
 * <pre>
 *   FREE      no action, depth 1, masked             -&gt; ENABLED   request (first action; NO_AUTOEN: DISABLED)
 *   ENABLED   depth 0                                -&gt; DISABLED  disable / disableNosync / spurious detector
 *   DISABLED  depth &gt; 0, lazily unmasked until an   -&gt; ENABLED   enable at depth 1 (a PENDING edge is resent)
 *             event arrives; then masked + PENDING
 *   any       last action freed                      -&gt; FREE      free (shut down, masked)
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>The handlers of a line run one hardirq at a time system-wide; on a shared line in registration order,
 *       their results OR-ed (B-FLOW-1).</li>
 *   <li>An edge that arrives while the line is disabled or running elsewhere is recorded and replayed, never
 *       lost (B-FLOW-7, B-FLOW-8; MO-FLOW-2).</li>
 *   <li>After {@link #synchronize}/{@link #disable} return, no handler run that started before the call is still
 *       running and its stores are visible to the caller (MO-FLOW-1).</li>
 *   <li>A handler that throws is contained, counted ({@link IrqDesc#failures()}), reported once, and counted as
 *       unhandled by the spurious detector; the CPU keeps running.</li>
 *   <li>A line that keeps going unhandled (more than {@code threshold} of {@code window} interrupts, the
 *       kernel's 99 900 of 100 000) is reported ("nobody cared"), disabled, and polled if shared (B-SPUR-3/5).
 *       For a result of exactly WAKE_THREAD the verdict is deferred to the next interrupt, which counts as
 *       handled if a thread returned HANDLED in between (B-SPUR-4).</li>
 *   <li>A bogus (null) result is reported and left out of the spurious accounting altogether (the kernel's
 *       note_interrupt returns early on a bad value).</li>
 *   <li>{@link #requestThreaded} returns after the action's thread reached its loop; {@link #free} returns after the
 *       thread ran a still-pending run and exited; {@link #synchronize} and {@link #disable} also wait for thread
 *       runs (B-TI-4, B-TI-14, B-FLOW-13). {@code Machine.close()} lets every IRQ thread run its pending wake-up,
 *       stops and joins it; wake-ups that arrive after that are counted in the close report.</li>
 *   <li>On a closed machine: the requests, {@link #setAffinity} and {@link #wakeThread} throw
 *       IllegalStateException; {@link #free}, {@link #disable}, {@link #enable}, {@link #synchronize} still work
 *       and never block once the machine terminated (nothing runs any more).</li>
 *   <li>When a CPU goes offline, the lines routed to it move to another CPU and their threads follow (the
 *       kernel's fixup_irqs).</li>
 *   <li>Pseudo-NMI lines disable at once (masked in the GIC: their flow never checks the depth); per-CPU lines
 *       (SGIs, PPIs) refuse disable/enable, as the kernel's disable_irq refuses per-CPU-devid descriptors.</li>
 * </ul>
 */
public final class Irqs {
    /* Implementation notes
     *
     * The chip (GICv3) operations used by the flows: mask = gic.disable, unmask = gic.enable, ack and eoi =
     * deactivate through the handling CPU's interface, retrigger = gic.setPending (hardware resend, B-GIC-16).
     * Linux's GIC driver never uses the level and edge flows; we offer them (setFlowHandler) because their
     * replay logic is observable and specified (B-FLOW-6/7), and ack = deactivate-at-entry is what lets an edge
     * reach another CPU while the handler still runs.
     *
     * Lock order: requestLock, then the descriptor lock, then the GIC's locks (inside gic calls). Never call a
     * handler with the descriptor lock held.
     *
     * Spurious detection runs in the line's hardirq with the descriptor lock re-taken; percpu lines and lines
     * requested with NO_DEBUG are not accounted (B-SPUR-1, B-FLOW-11).
     *
     * Threads. Each action with a thread function owns an IrqThread, created and started under requestLock before
     * the action is linked (so a request that fails leaves no thread behind, and a free cannot overtake a request
     * whose thread is not READY yet, spec §13.4). Its transitions (wake, finalize oneshot, threads_active) are
     * static methods of IrqThread shared with the hardirq path and the jcstress tests. free() unlinks the action,
     * waits for the hardirq and for threads_active == 0, then stops and joins the thread. close() stops every
     * thread (DRAIN phase, after running what is pending in MANUAL mode) and reports, after the CPUs stopped,
     * wake-ups that arrived for a stopped thread.
     */
    static final System.Logger LOG = System.getLogger("io.kdefer.irq");

    /** Kernel defaults (K-SPUR). */
    public static final int SPURIOUS_WINDOW = 100_000;
    public static final int SPURIOUS_THRESHOLD = 99_900;
    public static final long SPURIOUS_QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** report_bad_irq budget (K-FLOW). */
    static final int BAD_IRQ_REPORTS = 100;

    private final Cpus cpus;                 // I
    private final Lifecycle lifecycle;       // I
    private final Faults faults;             // I
    private final Gic gic;                   // I
    private final IrqChip chip;              // I: mask/unmask on the GIC
    private final IrqDesc[] descs;           // I
    private final int spuriousWindow;        // I
    private final int spuriousThreshold;     // I
    private final long spuriousQuietNanos;   // I
    private final long pollEveryTicks;       // I
    private final AtomicInteger badReports = new AtomicInteger();
    private volatile long unexpected;        // A (racy increments tolerated: diagnostics)
    private volatile long spuriousPolls;
    private volatile boolean threadsStopped; // A: close stopped the IRQ threads; no new ones

    /**
     * @param spuriousWindow     interrupts per detection window (kernel: 100 000)
     * @param spuriousThreshold  unhandled interrupts in a window above which the line is disabled (kernel: 99 900)
     * @param spuriousQuietNanos an unhandled interrupt this long after the previous one restarts the count (HZ/10)
     * @param lifecycle          close steps: the IRQ threads are stopped in the DRAIN phase
     */
    public Irqs(Cpus cpus, Lifecycle lifecycle, int spuriousWindow, int spuriousThreshold, long spuriousQuietNanos) {
        if (spuriousWindow < 1 || spuriousThreshold < 0 || spuriousThreshold >= spuriousWindow) {
            throw new IllegalArgumentException("spurious detection needs 0 <= threshold < window: threshold="
                    + spuriousThreshold + " window=" + spuriousWindow);
        }
        this.cpus = Objects.requireNonNull(cpus, "cpus");
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.faults = cpus.faults();
        this.gic = cpus.gic();
        this.chip = new IrqChip() {
            @Override
            public void mask(IrqDesc d) {
                Irqs.this.mask(d);
            }

            @Override
            public void unmask(IrqDesc d) {
                Irqs.this.unmask(d);
            }
        };
        this.spuriousWindow = spuriousWindow;
        this.spuriousThreshold = spuriousThreshold;
        this.spuriousQuietNanos = spuriousQuietNanos;
        this.pollEveryTicks = Math.max(1, SPURIOUS_QUIET_NANOS / cpus.tickNanos());
        this.descs = new IrqDesc[Gic.SPI_LAST + 1];
        for (int i = 0; i <= Gic.SPI_LAST; i++) {
            boolean percpu = i < Gic.SPI_FIRST;
            descs[i] = new IrqDesc(i, percpu, cpus.count(),
                    percpu ? FlowHandler.PERCPU_DEVID : FlowHandler.FASTEOI,
                    gic.trigger(i));
        }
        cpus.setDispatch(this::dispatch);
        cpus.addTickHook(this::pollSpurious);
        cpus.addHotplugHook(new Cpus.HotplugHook() {
            @Override
            public void offlining(Cpu cpu, Cpu target) {
                migrateFrom(cpu, target);                 // fixup_irqs: before the CPU stops taking interrupts
            }

            @Override
            public void dead(Cpu cpu, Cpu target) {
                migrateFrom(cpu, target);                 // a line routed there meanwhile (setAffinity raced)
            }
        });
        lifecycle.register(new Lifecycle.Participant() {
            @Override
            public boolean drain(long deadlineNanos) {
                return awaitThreadsIdle(deadlineNanos);
            }

            @Override
            public void stop() {
                stopThreads();
            }

            @Override
            public java.util.List<Thread> join(long deadlineNanos) {
                return joinThreads(deadlineNanos);
            }

            @Override
            public void reportLeftovers() {
                reportIgnoredWakes();
            }

            @Override
            public void releaseWaiters() {
                for (IrqDesc d : descs) {
                    IrqThread.notifyWaiters(d);
                }
            }

            @Override
            public String toString() {
                return "genirq";
            }
        });
    }

    /** The descriptor of {@code irq}. */
    public IrqDesc desc(int irq) {
        return descs[Gic.checkIntid(irq)];
    }

    /** Interrupts whose INTID had no descriptor action: warned about and deactivated (B-GIC-8). */
    public long unexpectedInterrupts() {
        return unexpected;
    }

    // ---------------------------------------------------------------------------------------------- request

    /**
     * request_irq: installs {@code handler} on the SPI {@code irq}. The first action on a line configures the
     * trigger from {@code flags}, routes the line (CPU 0 until {@link #setAffinity}) and enables it (unless
     * {@link IrqFlags#NO_AUTOEN}).
     *
     * @throws IllegalArgumentException for the kernel's -EINVAL cases: not an SPI, null handler or name,
     *         {@code SHARED} without a devId, {@code SHARED | NO_AUTOEN}, unknown flag bits, a trigger the GIC
     *         cannot do
     * @throws IllegalStateException for -EBUSY: the line is taken and not shareable with these flags (B-TI-5)
     */
    public void request(int irq, IrqHandler handler, int flags, String name, Object devId) {
        Objects.requireNonNull(handler, "handler");
        if (!Gic.isSpi(Gic.checkIntid(irq))) {
            // Whatever the flags: request_irq refuses per-CPU (devid) lines (B-TI-1).
            throw new IllegalArgumentException("-EINVAL: INTID " + irq
                    + " is a per-CPU line (SGI/PPI); request it with requestPercpu (B-TI-1)");
        }
        warnOneshotWithoutThread(irq, flags, null, name);
        install(irq, new IrqAction(handler, null, flags, checkName(name), devId), false);
    }

    /**
     * request_threaded_irq: installs a primary handler, run in hardirq context, and a thread function, run on the
     * action's own thread {@code irq/<irq>-<name>} in task context (it may block) whenever the primary handler
     * returns {@link IrqReturn#WAKE_THREAD} or {@link #wakeThread} is called. Wake-ups coalesce while a run is
     * pending. With {@link IrqFlags#ONESHOT} the line stays masked from the interrupt until the thread function
     * returned, which a level-triggered device that is serviced in the thread needs (B-TI-11). Returns once the
     * thread reached its loop (B-TI-4). Line setup and sharing are as for {@link #request}.
     *
     * <p>The thread is a platform thread at {@link Thread#MAX_PRIORITY}, a hint only: the JVM has no SCHED_FIFO
     * (J-TI-1). It is bound to the CPU of the line's affinity ({@code Cpu.current()} inside the thread function)
     * and follows {@link #setAffinity} before its next run.
     *
     * @param handler  the primary handler, or {@code null} for the default one, which only returns WAKE_THREAD
     *                 (then {@code flags} must include ONESHOT, B-TI-2)
     * @param threadFn the thread function, or {@code null} (then this is {@link #request})
     * @throws IllegalArgumentException the kernel's -EINVAL cases: both handlers null; a null handler without
     *         ONESHOT; those of {@link #request}
     * @throws IllegalStateException -EBUSY as for {@link #request}, or a 65th ONESHOT action on one line (B-TI-6);
     *         from atomic context; after the machine closed
     */
    public void requestThreaded(int irq, IrqHandler handler, IrqHandler threadFn, int flags, String name,
                                Object devId) {
        if (handler == null && threadFn == null) {
            throw new IllegalArgumentException("-EINVAL: irq " + irq
                    + ": both the primary handler and the thread function are null (B-TI-1)");
        }
        if (!Gic.isSpi(Gic.checkIntid(irq))) {
            throw new IllegalArgumentException("-EINVAL: INTID " + irq
                    + " is a per-CPU line (SGI/PPI); threaded handlers are for SPIs (B-TI-1)");
        }
        if (handler == null && (flags & IrqFlags.ONESHOT) == 0) {
            throw new IllegalArgumentException("-EINVAL: irq " + irq + " (" + name + "): a threaded request with the"
                    + " default primary handler (null) needs IrqFlags.ONESHOT, or a level line would storm while"
                    + " the thread has not yet serviced the device (B-TI-2)");
        }
        warnOneshotWithoutThread(irq, flags, threadFn, name);
        IrqHandler primary = handler != null ? handler : DEFAULT_PRIMARY;
        install(irq, new IrqAction(primary, threadFn, flags, checkName(name), devId), false);
    }

    /** irq_default_primary_handler: wakes the thread (B-TI-2). */
    static final IrqHandler DEFAULT_PRIMARY = new IrqHandler() {
        @Override
        public IrqReturn handle(int irq, Object devId) {
            return IrqReturn.WAKE_THREAD;
        }

        @Override
        public String toString() {
            return "irq_default_primary_handler";
        }
    };

    // B-TI-3: ONESHOT only means something for a thread.
    private static void warnOneshotWithoutThread(int irq, int flags, IrqHandler threadFn, String name) {
        if ((flags & IrqFlags.ONESHOT) != 0 && threadFn == null) {
            LOG.log(Level.WARNING, "irq " + irq + " (" + name + "): IRQF_ONESHOT without a thread function: the line"
                    + " is masked during the handler only (B-TI-3)");
        }
    }

    /**
     * request_percpu_irq + enable_percpu_irq on every CPU: installs the only action of an SGI or PPI, which then
     * runs on whichever CPU takes the interrupt (B-FLOW-11). The runtime itself owns SGIs 0-7 (see {@link Ipi}).
     */
    public void requestPercpu(int irq, IrqHandler handler, String name, Object devId) {
        Objects.requireNonNull(handler, "handler");
        if (!Gic.isSgi(Gic.checkIntid(irq)) && !Gic.isPpi(irq)) {
            throw new IllegalArgumentException("-EINVAL: INTID " + irq
                    + " is not a per-CPU line (SGI 0-15 or PPI 16-31); request an SPI with request()");
        }
        install(irq, new IrqAction(handler, null, IrqFlags.PERCPU, checkName(name), devId), false);
    }

    /**
     * request_nmi: installs the only handler of an SPI as a pseudo-NMI (GIC priority 0x80). It runs in NMI
     * context and is taken at checkpoints even while the CPU has interrupts disabled. Not shared, not threaded.
     */
    public void requestNmi(int irq, IrqHandler handler, String name, Object devId) {
        Objects.requireNonNull(handler, "handler");
        install(irq, new IrqAction(handler, null, 0, checkName(name), devId), true);
    }

    private static String checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("-EINVAL: an IRQ action needs a name (shown in /proc/interrupts)");
        }
        return name;
    }

    private void install(int irq, IrqAction a, boolean nmi) {
        CpuContext.mightSleep("request_irq");
        IrqDesc d = descs[Gic.checkIntid(irq)];
        int flags = a.flags;
        if ((flags & ~IrqFlags.KNOWN) != 0) {
            throw new IllegalArgumentException("-EINVAL: unknown IrqFlags bits 0x"
                    + Integer.toHexString(flags & ~IrqFlags.KNOWN) + " for irq " + irq);
        }
        if (!d.percpu && (flags & IrqFlags.PERCPU) != 0) {
            throw new IllegalArgumentException("-EINVAL: PERCPU on SPI " + irq + "; per-CPU lines are SGIs and PPIs");
        }
        if (!d.percpu && !Gic.isSpi(irq)) {
            throw new IllegalArgumentException("-EINVAL: INTID " + irq + " is not requestable");
        }
        if (d.percpu && (flags & IrqFlags.PERCPU) == 0) {
            throw new IllegalArgumentException("-EINVAL: INTID " + irq
                    + " is a per-CPU line (SGI/PPI); request it with requestPercpu");
        }
        if ((flags & IrqFlags.SHARED) != 0 && a.devId == null) {
            throw new IllegalArgumentException("-EINVAL: IRQF_SHARED without a devId on irq " + irq
                    + ": free() could not tell the sharers apart (B-TI-1)");
        }
        if ((flags & IrqFlags.SHARED) != 0 && (flags & IrqFlags.NO_AUTOEN) != 0) {
            throw new IllegalArgumentException("-EINVAL: IRQF_SHARED together with IRQF_NO_AUTOEN on irq " + irq
                    + " (B-TI-1)");
        }
        if (nmi && (flags & (IrqFlags.SHARED | IrqFlags.ONESHOT)) != 0) {
            throw new IllegalArgumentException("-EINVAL: an NMI cannot be shared or threaded (irq " + irq + ")");
        }
        Trigger wanted = triggerOf(irq, flags);
        lifecycle.checkOpen("request_irq(" + irq + ")");
        d.requestLock.lock();
        try {
            if (threadsStopped || lifecycle.isClosed()) {
                throw lifecycle.closedException("request_irq(" + irq + ")");
            }
            IrqAction[] old = d.actions;
            IrqAction toAdd = a;
            if (old.length > 0) {
                toAdd = checkSharing(d, old, a, nmi, wanted);
            }
            if (toAdd.isOneshot()) {
                toAdd.threadMask = threadMask(d, old, toAdd);
            }
            if (toAdd.threadFn != null) {
                // Started before linking: no hardirq can wake it before it is READY, and a failed start links
                // nothing. The thread binds itself under the descriptor lock only, so holding requestLock is safe.
                toAdd.thread = new IrqThread(this, cpus, d, toAdd);
                toAdd.thread.startAndAwaitReady();
            }
            d.lock.lock();
            try {
                IrqAction[] next = Arrays.copyOf(old, old.length + 1);
                next[old.length] = toAdd;
                if (old.length == 0) {
                    firstAction(d, toAdd, wanted, nmi);
                } else if (d.has(IrqDesc.SPURIOUS_DISABLED) && toAdd.isShared()) {
                    // B-TI-7 / B-SPUR-5: a new shared action re-enables a line the detector disabled, undoing
                    // the detector's one depth increment (__enable_irq): a disable of the driver's still holds.
                    d.clear(IrqDesc.SPURIOUS_DISABLED);
                    if (d.depth == 1) {
                        enableLocked(d, irq);
                    } else {
                        d.depth--;
                    }
                }
                d.irqCount = 0;
                d.irqsUnhandled = 0;
                d.actions = next;
            } finally {
                d.lock.unlock();
            }
        } finally {
            d.requestLock.unlock();
        }
    }

    private Trigger triggerOf(int irq, int flags) {
        int t = flags & IrqFlags.TRIGGER_MASK;
        if (t == IrqFlags.TRIGGER_NONE) {
            return null;
        }
        if (t == IrqFlags.TRIGGER_RISING) {
            return Trigger.EDGE_RISING;
        }
        if (t == IrqFlags.TRIGGER_HIGH) {
            return Trigger.LEVEL_HIGH;
        }
        throw new IllegalArgumentException("-EINVAL: trigger flags 0x" + Integer.toHexString(t) + " on irq " + irq
                + ": the GICv3 takes only TRIGGER_HIGH (level) or TRIGGER_RISING (edge) (B-GIC-14)");
    }

    // B-TI-6: the lowest bit no other action of the line uses; all 64 taken is -EBUSY.
    private static long threadMask(IrqDesc d, IrqAction[] old, IrqAction a) {
        long used = 0;
        for (IrqAction x : old) {
            used |= x.threadMask;
        }
        if (used == -1L) {
            throw new IllegalStateException("-EBUSY: irq " + d.irq + " (" + a.name + "): all " + Long.SIZE
                    + " ONESHOT thread bits of the line are taken (B-TI-6)");
        }
        return Long.lowestOneBit(~used);
    }

    // B-TI-5. Returns the action to link (COND_ONESHOT may add ONESHOT).
    private IrqAction checkSharing(IrqDesc d, IrqAction[] old, IrqAction a, boolean nmi, Trigger wanted) {
        IrqAction first = old[0];
        if (nmi || d.has(IrqDesc.NMI)) {
            throw busy(d, first, a, "NMI lines are never shared");
        }
        int flags = a.flags;
        if ((first.flags & flags & IrqFlags.SHARED) == 0) {
            throw busy(d, first, a, null);
        }
        if (wanted != null && wanted != d.trigger) {
            throw busy(d, first, a, null);
        }
        boolean oldOneshot = (first.flags & IrqFlags.ONESHOT) != 0;
        boolean newOneshot = (flags & IrqFlags.ONESHOT) != 0;
        if (oldOneshot && !newOneshot && (flags & IrqFlags.COND_ONESHOT) != 0) {
            flags |= IrqFlags.ONESHOT;
            newOneshot = true;
        }
        if (oldOneshot != newOneshot) {
            throw busy(d, first, a, null);
        }
        if (((first.flags ^ flags) & IrqFlags.PERCPU) != 0) {
            throw busy(d, first, a, null);
        }
        for (IrqAction x : old) {
            if (x.devId == a.devId) {
                throw new IllegalStateException("-EBUSY: irq " + d.irq + " already has an action for this devId ("
                        + x.name + "); free() finds actions by devId, so each sharer needs its own");
            }
        }
        int inherited = wanted == null ? flags | triggerFlag(d.trigger) : flags;
        return inherited == a.flags ? a : new IrqAction(a.handler, a.threadFn, inherited, a.name, a.devId);
    }

    private static int triggerFlag(Trigger t) {
        return t == Trigger.EDGE_RISING ? IrqFlags.TRIGGER_RISING : IrqFlags.TRIGGER_HIGH;
    }

    private static IllegalStateException busy(IrqDesc d, IrqAction old, IrqAction a, String why) {
        // The kernel's wording and order: the refused (new) action first, then the one already on the line.
        String msg = String.format("-EBUSY: Flags mismatch irq %d. %08x (%s) vs. %08x (%s)%s", d.irq, a.flags,
                a.name, old.flags, old.name, why == null ? "" : ": " + why);
        if ((a.flags & IrqFlags.PROBE_SHARED) == 0) {
            LOG.log(Level.WARNING, msg);
        }
        return new IllegalStateException(msg + " (B-TI-5)");
    }

    // B-TI-7: the first action configures and starts the line. Both locks held.
    private void firstAction(IrqDesc d, IrqAction a, Trigger wanted, boolean nmi) {
        int irq = d.irq;
        gic.disable(irq);                                      // type changes with the line masked
        // No trigger flag: keep what the GIC is configured with now (firmware's choice, or a previous request).
        Trigger t = wanted != null ? wanted : gic.trigger(irq);
        int prio = nmi ? Gic.PRIORITY_NMI : Gic.PRIORITY_IRQ;
        if (d.percpu) {
            gic.configure(irq, Gic.isSgi(irq) ? Trigger.EDGE_RISING : t, prio);
        } else {
            gic.configure(irq, t, prio);
            gic.route(irq, d.target);
        }
        d.trigger = gic.trigger(irq);
        d.istate = IrqDesc.DISABLED | IrqDesc.MASKED;
        if (nmi) {
            d.set(IrqDesc.NMI);
            d.flow = FlowHandler.FASTEOI_NMI;
        } else if (d.flow == FlowHandler.FASTEOI_NMI) {
            d.flow = FlowHandler.FASTEOI;
        }
        if ((a.flags & IrqFlags.ONESHOT) != 0) {
            d.set(IrqDesc.ONESHOT);
        }
        d.threadsHandledLast = 0;
        d.depth = 1;
        if ((a.flags & IrqFlags.NO_AUTOEN) == 0) {
            enableLocked(d, irq);
        }
    }

    /**
     * free_irq: removes the action of {@code devId} from {@code irq}, waits until no handler of the line is
     * running (hardirq and thread runs, B-FLOW-13), stops the action's thread -- a run still pending gets one last
     * go first -- and joins it, and returns the name given at request. The last action shuts the line down.
     *
     * @return the action's name, or {@code null} if there is no such action (reported: "already-free", B-TI-14)
     * @throws IllegalStateException from atomic context, or from a handler or thread of this line (it waits)
     */
    public String free(int irq, Object devId) {
        IrqDesc d = descs[Gic.checkIntid(irq)];
        checkNotOwnHandler(d, "free_irq");
        CpuContext.mightSleep("free_irq");
        IrqAction gone;
        d.requestLock.lock();
        try {
            IrqAction[] old = d.actions;
            int idx = -1;
            for (int i = 0; i < old.length; i++) {
                if (old[i].devId == devId) {
                    idx = i;
                    break;
                }
            }
            if (idx < 0) {
                LOG.log(Level.WARNING, "Trying to free already-free IRQ " + irq + " (devId " + devId
                        + "): no action with this devId (B-TI-14)");
                return null;
            }
            gone = old[idx];
            IrqAction[] next = new IrqAction[old.length - 1];
            System.arraycopy(old, 0, next, 0, idx);
            System.arraycopy(old, idx + 1, next, idx, old.length - idx - 1);
            d.lock.lock();
            try {
                d.actions = next.length == 0 ? IrqDesc.NO_ACTIONS : next;
                if (next.length == 0) {
                    // irq_shutdown: masked, disabled, depth 1, no state left behind -- except a run still in
                    // progress, which synchronizeHardirq below must see to wait for it (B-TI-14), and ONESHOT, which
                    // a thread still finishing needs to drop its threads_oneshot bit (the next first action resets
                    // it, B-TI-7).
                    gic.disable(irq);
                    d.istate = IrqDesc.DISABLED | IrqDesc.MASKED
                            | (d.istate & (IrqDesc.INPROGRESS | IrqDesc.POLL_INPROGRESS | IrqDesc.ONESHOT));
                    d.depth = 1;
                    if (d.flow == FlowHandler.FASTEOI_NMI) {
                        d.flow = FlowHandler.FASTEOI;
                    }
                }
            } finally {
                d.lock.unlock();
            }
            synchronizeHardirq(d);
            IrqThread.waitForThreads(d, lifecycle);
            if (gone.thread != null) {
                gone.thread.requestStop();
                gone.thread.awaitEnd(lifecycle);
            }
        } finally {
            d.requestLock.unlock();
        }
        return gone.name;
    }

    /** Selects the flow handler of an SPI (the default is {@link FlowHandler#FASTEOI}, as Linux's GIC driver). */
    public void setFlowHandler(int irq, FlowHandler flow) {
        Objects.requireNonNull(flow, "flow");
        IrqDesc d = descs[Gic.checkIntid(irq)];
        if (d.percpu != (flow == FlowHandler.PERCPU_DEVID)) {
            throw new IllegalArgumentException("-EINVAL: " + flow + " does not fit irq " + irq
                    + (d.percpu ? " (a per-CPU line)" : " (an SPI)"));
        }
        if (flow == FlowHandler.FASTEOI_NMI) {
            throw new IllegalArgumentException("-EINVAL: the NMI flow is set by requestNmi");
        }
        d.requestLock.lock();
        try {
            if (d.has(IrqDesc.NMI)) {
                throw new IllegalStateException("-EBUSY: irq " + irq + " is an NMI line");
            }
            d.lock.lock();
            try {
                d.flow = flow;
            } finally {
                d.lock.unlock();
            }
        } finally {
            d.requestLock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------- disable/enable

    /**
     * disable_irq_nosync: increments the disable depth; the 0-to-1 transition disables the line lazily: it stays
     * unmasked in the GIC until an event arrives, which the flow handler then masks and records PENDING
     * (B-FLOW-3). Does not wait. Callable from any context.
     */
    public void disableNosync(int irq) {
        IrqDesc d = descs[Gic.checkIntid(irq)];
        checkNotPercpu(d, "disable_irq_nosync");
        d.lock.lock();
        try {
            disableLocked(d);
        } finally {
            d.lock.unlock();
        }
    }

    private void disableLocked(IrqDesc d) {
        if (d.depth++ == 0) {
            d.set(IrqDesc.DISABLED);
            if (d.has(IrqDesc.NMI)) {
                // Unlazy: the NMI flow never looks at the depth, so a lazy disable would disable nothing.
                mask(d);
            }
        }
    }

    // The kernel's disable_irq/enable_irq look the descriptor up with the "global" check, which refuses
    // per-CPU-devid lines: those have disable_percpu_irq/enable_percpu_irq, acting on the calling CPU only.
    private static void checkNotPercpu(IrqDesc d, String op) {
        if (d.percpu) {
            throw new IllegalArgumentException("-EINVAL: " + op + "(" + d.irq + "): INTID " + d.irq
                    + " is a per-CPU line (SGI/PPI); the kernel refuses global disable/enable on per-CPU-devid lines");
        }
    }

    /**
     * disable_irq: {@link #disableNosync} and then {@link #synchronize}: on return no handler of the line is
     * running, hardirq or thread (B-FLOW-4).
     *
     * @throws IllegalStateException from atomic context, or from the line's own handler or thread (it would
     *         deadlock)
     * @throws IllegalArgumentException for a per-CPU line (SGI/PPI)
     */
    public void disable(int irq) {
        IrqDesc d = descs[Gic.checkIntid(irq)];
        checkNotPercpu(d, "disable_irq");
        checkNotOwnHandler(d, "disable_irq");
        CpuContext.mightSleep("disable_irq");
        disableNosync(irq);
        synchronizeHardirq(d);
        IrqThread.waitForThreads(d, lifecycle);
    }

    /**
     * enable_irq: undoes one disable. At depth 1 the line is unmasked and a recorded PENDING edge is resent
     * through the GIC (B-FLOW-5, B-FLOW-8); at depth 0 it is an "Unbalanced enable" (reported, no effect).
     */
    public void enable(int irq) {
        IrqDesc d = descs[Gic.checkIntid(irq)];
        checkNotPercpu(d, "enable_irq");
        d.lock.lock();
        try {
            if (d.depth == 0) {
                LOG.log(Level.WARNING, "Unbalanced enable for IRQ " + irq + " (B-FLOW-5)", new Throwable("caller"));
                return;
            }
            if (d.depth == 1) {
                if (d.has(IrqDesc.SPURIOUS_DISABLED)) {
                    // Only a new shared action re-enables a line the detector disabled (B-SPUR-5).
                    LOG.log(Level.WARNING, "Unbalanced enable for IRQ " + irq
                            + ": it was disabled by the spurious detector (B-SPUR-5)");
                    return;
                }
                if (d.actions.length == 0) {
                    LOG.log(Level.WARNING, "Unbalanced enable for IRQ " + irq + ": no action requested");
                    return;
                }
                enableLocked(d, irq);
            } else {
                d.depth--;
            }
        } finally {
            d.lock.unlock();
        }
    }

    // depth 1 -> 0: unmask and resend. Descriptor lock held.
    private void enableLocked(IrqDesc d, int irq) {
        d.depth = 0;
        d.clear(IrqDesc.DISABLED);
        unmask(d);
        checkResend(d);
    }

    // check_irq_resend (B-FLOW-8).
    private void checkResend(IrqDesc d) {
        if (d.trigger == Trigger.LEVEL_HIGH) {
            d.clear(IrqDesc.PENDING);           // the line re-asserts by itself
            return;
        }
        if (d.has(IrqDesc.REPLAY) || !d.has(IrqDesc.PENDING)) {
            return;
        }
        d.clear(IrqDesc.PENDING);
        d.set(IrqDesc.REPLAY);
        if (d.percpu) {
            Cpu c = cpus.thisCpu();
            gic.setPending(d.irq, c.id());
        } else {
            gic.setPending(d.irq, d.target);    // hardware retrigger via ISPENDR (B-GIC-16)
        }
    }

    /**
     * synchronize_irq: waits until no hardirq run of the line's handlers is in progress, the GIC no longer has it
     * active, and no woken thread run is unfinished (threads_active == 0) (B-FLOW-13). On return every completed
     * run's stores are visible, hardirq (MO-FLOW-1) and thread function (MO-TI-4).
     *
     * @throws IllegalStateException from atomic context, or from the line's own handler or thread (it would
     *         wait for itself)
     */
    public void synchronize(int irq) {
        IrqDesc d = descs[Gic.checkIntid(irq)];
        checkNotOwnHandler(d, "synchronize_irq");
        CpuContext.mightSleep("synchronize_irq");
        synchronizeHardirq(d);
        IrqThread.waitForThreads(d, lifecycle);
    }

    private void checkNotOwnHandler(IrqDesc d, String op) {
        Thread me = Thread.currentThread();
        if (me instanceof IrqThread && ((IrqThread) me).desc == d) {
            throw new IllegalStateException(op + "(" + d.irq + ") called from the line's own IRQ thread "
                    + me.getName() + ": it would wait for itself forever (B-FLOW-4)");
        }
        Cpu c = cpus.executingCpu();
        if (c != null && d.has(IrqDesc.INPROGRESS) && readRunningCpu(d) == c.id()) {
            throw new IllegalStateException(op + "(" + d.irq + ") called from the line's own handler on " + c
                    + ": it would wait for itself forever (B-FLOW-4)");
        }
    }

    private static int readRunningCpu(IrqDesc d) {
        d.lock.lock();
        try {
            return d.runningCpu;
        } finally {
            d.lock.unlock();
        }
    }

    /**
     * synchronize_hardirq (B-FLOW-13 step 2): waits until no hardirq run of the line is in progress and the GIC no
     * longer has it active, re-checked under the descriptor lock. Ends with an exception if the machine terminates
     * first (a handler that never returns).
     */
    private void synchronizeHardirq(IrqDesc d) {
        Await.until(d, () -> !hardirqBusy(d), lifecycle, "synchronize_irq(" + d.irq + ")");
    }

    private boolean hardirqBusy(IrqDesc d) {
        if (d.has(IrqDesc.INPROGRESS)) {
            return true;
        }
        d.lock.lock();
        try {
            return d.has(IrqDesc.INPROGRESS) || activeInGic(d);
        } finally {
            d.lock.unlock();
        }
    }

    // An acknowledged SPI that a CPU has not handled to the end is still active (B-FLOW-13 step 2).
    private boolean activeInGic(IrqDesc d) {
        if (d.percpu || d.flow != FlowHandler.FASTEOI || cpus.isManual()) {
            return false;
        }
        InterruptState s = gic.state(d.irq, 0);
        return s == InterruptState.ACTIVE || s == InterruptState.ACTIVE_PENDING;
    }

    static int backoff(int spins) {
        if (spins < 100) {
            Thread.onSpinWait();
        } else {
            LockSupport.parkNanos(20_000);
        }
        return spins + 1;
    }

    /**
     * Routes an SPI to {@code cpu} (irq_set_affinity). Takes effect at once; a run in progress on the old CPU
     * finishes there (B-GIC-11).
     */
    public void setAffinity(int irq, int cpu) {
        IrqDesc d = descs[Gic.checkIntid(irq)];
        if (d.percpu) {
            throw new IllegalArgumentException("-EINVAL: irq " + irq + " is per-CPU; it has no affinity to set");
        }
        Cpu c = cpus.cpu(cpu);
        lifecycle.checkOpen("irq_set_affinity(" + irq + ")");
        if (c.hotplugState() != Cpu.HotplugState.ONLINE) {
            throw new IllegalArgumentException("-EINVAL: " + c + " is " + (c.isOnline() ? "going offline"
                    : "offline") + ": an IRQ can be routed only to an online CPU");
        }
        d.lock.lock();
        try {
            d.target = cpu;
            gic.route(irq, cpu);
            markAffinityChanged(d);
        } finally {
            d.lock.unlock();
        }
    }

    // irq_set_thread_affinity: each thread re-binds itself before its next run (B-TI-9).
    private static void markAffinityChanged(IrqDesc d) {
        for (IrqAction a : d.actions) {
            if (a.thread != null) {
                a.testAndSetFlag(IrqAction.AFFINITY);
            }
        }
    }

    /**
     * irq_wake_thread (B-TI-13): makes a run of the thread of the action of {@code devId} pending, from outside
     * its primary handler, with the same coalescing (a run already pending covers this call; the pending run
     * sees the caller's prior stores, MO-TI-2) and ONESHOT accounting as a WAKE_THREAD result. Nothing happens
     * if the line has no such action or it has no thread (as in the kernel). Callable from any context; never
     * blocks.
     *
     * @throws IllegalArgumentException for a per-CPU line (SGI/PPI)
     */
    public void wakeThread(int irq, Object devId) {
        IrqDesc d = descs[Gic.checkIntid(irq)];
        if (d.percpu) {
            throw new IllegalArgumentException("-EINVAL: irq_wake_thread(" + irq + "): per-CPU lines have no"
                    + " threads (B-TI-13)");
        }
        if (cpus.refusesNewWork()) {
            throw lifecycle.closedException("irq_wake_thread(" + irq + ")");
        }
        d.lock.lock();
        try {
            for (IrqAction a : d.actions) {
                if (a.devId == devId) {
                    if (a.thread != null) {
                        IrqThread.wake(d, a);
                    }
                    break;
                }
            }
        } finally {
            d.lock.unlock();
        }
    }

    IrqChip chip() {
        return chip;
    }

    Faults faults() {
        return faults;
    }

    /** Binds the calling IRQ thread to the CPU of its line's affinity (task context on that CPU). */
    void bindThread(IrqThread t) {
        t.bindTo(cpus.cpu(t.desc.affinity()));
    }

    private void migrateFrom(Cpu dead, Cpu target) {
        for (int irq = Gic.SPI_FIRST; irq <= Gic.SPI_LAST; irq++) {
            IrqDesc d = descs[irq];
            d.lock.lock();
            try {
                if (d.target == dead.id()) {
                    d.target = target.id();
                    gic.route(irq, target.id());
                    markAffinityChanged(d);
                }
            } finally {
                d.lock.unlock();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- chip ops

    private void mask(IrqDesc d) {
        gic.disable(d.irq);
        d.set(IrqDesc.MASKED);
    }

    private void unmask(IrqDesc d) {
        d.clear(IrqDesc.MASKED);
        gic.enable(d.irq);
    }

    private void deactivate(Cpu cpu, IrqDesc d) {
        gic.cpuInterface(cpu.id()).deactivate(d.irq);
    }

    // ---------------------------------------------------------------------------------------------- flows

    /** Called by the CPU in hardirq (or NMI) context for an acknowledged INTID. */
    private void dispatch(Cpu cpu, int intid) {
        IrqDesc d = descs[intid];
        switch (d.flow) {
            case FASTEOI:
                handleFasteoi(cpu, d);
                break;
            case LEVEL:
                handleLevel(cpu, d);
                break;
            case EDGE:
                handleEdge(cpu, d);
                break;
            case FASTEOI_NMI:
                handleNmi(cpu, d);
                break;
            default:
                handlePercpuDevid(cpu, d);
        }
    }

    // handle_fasteoi_irq (B-FLOW-9).
    private void handleFasteoi(Cpu cpu, IrqDesc d) {
        d.lock.lock();
        try {
            if (d.has(IrqDesc.INPROGRESS)) {
                // Another CPU (or the spurious poller) runs it: the GIC's active state already serialises SPIs,
                // and SPIs are not RESEND_WHEN_IN_PROGRESS, so just complete it.
                deactivate(cpu, d);
                return;
            }
            d.clear(IrqDesc.REPLAY);
            if (d.actions.length == 0 || d.has(IrqDesc.DISABLED)) {
                if (d.actions.length == 0) {
                    noteUnexpected(cpu, d);
                }
                d.set(IrqDesc.PENDING);
                mask(d);
                deactivate(cpu, d);
                return;
            }
            d.countOn(cpu.id());
            if (d.has(IrqDesc.ONESHOT)) {
                mask(d);
            }
            handleIrqEvent(cpu, d);
            // cond_unmask_eoi_irq: a oneshot line stays masked while a woken oneshot thread is outstanding (B-TI-11).
            if (d.has(IrqDesc.ONESHOT)) {
                IrqThread.condUnmask(d, chip);
            }
            deactivate(cpu, d);
        } finally {
            d.lock.unlock();
        }
    }

    // handle_level_irq (B-FLOW-6).
    private void handleLevel(Cpu cpu, IrqDesc d) {
        d.lock.lock();
        try {
            mask(d);
            deactivate(cpu, d);                           // ack
            if (!mayRun(cpu, d)) {
                return;
            }
            d.clear(IrqDesc.REPLAY);
            if (d.actions.length == 0 || d.has(IrqDesc.DISABLED)) {
                if (d.actions.length == 0) {
                    noteUnexpected(cpu, d);
                }
                d.set(IrqDesc.PENDING);
                return;
            }
            d.countOn(cpu.id());
            handleIrqEvent(cpu, d);
            IrqThread.condUnmask(d, chip);       // cond_unmask_irq: not while disabled or a oneshot thread is owed
        } finally {
            d.lock.unlock();
        }
    }

    // handle_edge_irq (B-FLOW-7, B-FLOW-10).
    private void handleEdge(Cpu cpu, IrqDesc d) {
        d.lock.lock();
        try {
            d.clear(IrqDesc.REPLAY);
            if (!mayRun(cpu, d) || d.has(IrqDesc.DISABLED) || d.actions.length == 0) {
                if (d.actions.length == 0) {
                    noteUnexpected(cpu, d);
                }
                d.set(IrqDesc.PENDING);
                mask(d);
                deactivate(cpu, d);
                return;
            }
            d.countOn(cpu.id());
            deactivate(cpu, d);                           // ack: the next edge may now be delivered
            do {
                if (d.actions.length == 0) {
                    mask(d);
                    return;
                }
                if (d.has(IrqDesc.PENDING) && d.has(IrqDesc.MASKED) && !d.has(IrqDesc.DISABLED)) {
                    unmask(d);
                }
                handleIrqEvent(cpu, d);
            } while (d.has(IrqDesc.PENDING) && !d.has(IrqDesc.DISABLED));
        } finally {
            d.lock.unlock();
        }
    }

    /**
     * irq_may_run with the 2025 migration rule (B-FLOW-10): if another CPU is running the handlers and this
     * (edge) line's affinity now names this CPU, wait for it instead of leaving it a PENDING replay (which could
     * keep the old CPU replaying forever). Otherwise, in progress elsewhere means "not now".
     * Called and returns with the descriptor lock held.
     */
    private boolean mayRun(Cpu cpu, IrqDesc d) {
        if (!d.has(IrqDesc.INPROGRESS)) {
            return true;
        }
        if (d.flow != FlowHandler.EDGE || d.target != cpu.id() || d.runningCpu == cpu.id()) {
            return false;
        }
        int spins = 0;
        while (d.has(IrqDesc.INPROGRESS)) {
            d.lock.unlock();
            try {
                spins = backoff(spins);
            } finally {
                d.lock.lock();
            }
        }
        return true;
    }

    // handle_percpu_devid_irq (B-FLOW-11): no lock, no INPROGRESS, no spurious accounting.
    private void handlePercpuDevid(Cpu cpu, IrqDesc d) {
        IrqAction[] acts = d.actions;
        if (acts.length == 0) {
            noteUnexpected(cpu, d);
            gic.disable(d.irq, cpu.id());
            deactivate(cpu, d);
            return;
        }
        d.countOn(cpu.id());
        runAction(cpu, d, acts[0]);
        deactivate(cpu, d);
    }

    // handle_fasteoi_nmi: no lock; runs in NMI context.
    private void handleNmi(Cpu cpu, IrqDesc d) {
        IrqAction[] acts = d.actions;
        if (acts.length != 0) {
            d.countOn(cpu.id());
            runAction(cpu, d, acts[0]);
        } else {
            noteUnexpected(cpu, d);
        }
        deactivate(cpu, d);
    }

    /**
     * handle_irq_event (B-FLOW-1): clear PENDING, set INPROGRESS, drop the lock, run every action in order, OR
     * the results, account for spurious interrupts, retake the lock and clear INPROGRESS.
     * Called and returns with the descriptor lock held.
     */
    private void handleIrqEvent(Cpu cpu, IrqDesc d) {
        d.clear(IrqDesc.PENDING);
        d.set(IrqDesc.INPROGRESS);
        d.runningCpu = cpu.id();
        IrqAction[] acts = d.actions;
        d.lock.unlock();
        int result = 0;
        try {
            for (IrqAction a : acts) {
                result |= runAction(cpu, d, a);
            }
        } finally {
            d.lock.lock();
        }
        noteInterrupt(cpu, d, acts, result);
        d.runningCpu = -1;
        d.clear(IrqDesc.INPROGRESS);
    }

    /** The bit OR-ed into a combined result when some handler returned a bogus value (kernel: any value > 3). */
    static final int BOGUS = 4;

    /**
     * Runs one action's primary handler, contained, and wakes its thread on WAKE_THREAD. Returns the kernel value
     * of its result: NONE 0, HANDLED 1, WAKE_THREAD 2, bogus {@link #BOGUS}.
     */
    private int runAction(Cpu cpu, IrqDesc d, IrqAction a) {
        IrqReturn r;
        try {
            r = a.handler.handle(d.irq, a.devId);
        } catch (Throwable t) {
            if (a.failed()) {
                LOG.log(Level.ERROR, "irq " + d.irq + ": handler " + a.name + " threw on " + cpu
                        + "; contained and counted as unhandled (reported once per action)", t);
            }
            r = IrqReturn.NONE;
        }
        faults.afterCallback(a, cpu);
        CpuContext x = cpu.context();
        if (!x.irqsDisabled()) {
            LOG.log(Level.WARNING, "irq " + d.irq + " handler " + a.name + " enabled interrupts (B-FLOW-1)");
            cpu.localIrqSave();
        }
        if (r == null) {
            if (badReports.getAndIncrement() < BAD_IRQ_REPORTS) {
                LOG.log(Level.ERROR, "irq " + d.irq + ": bogus return value null from " + a.name
                        + " (this interrupt is left out of the spurious accounting; B-FLOW-2)");
            }
            return BOGUS;
        }
        if (r == IrqReturn.WAKE_THREAD) {
            if (a.threadFn == null) {
                if (a.firstWakeWithoutThread()) {
                    LOG.log(Level.WARNING, "irq " + d.irq + ": " + a.name
                            + " returned WAKE_THREAD but has no thread function (B-TI-8; reported once)");
                }
                return IrqReturn.HANDLED.ordinal();
            }
            IrqThread.wake(d, a);
        }
        return r.ordinal();
    }

    private void noteUnexpected(Cpu cpu, IrqDesc d) {
        long n = unexpected;
        unexpected = n + 1;
        if (!d.unexpectedReported) {
            d.unexpectedReported = true;
            LOG.log(Level.WARNING, cpu + ": unexpected IRQ trap at INTID " + d.irq
                    + ": no handler requested; deactivated (B-GIC-8; reported once per INTID)");
        }
    }

    // ---------------------------------------------------------------------------------------------- spurious

    /** note_interrupt (B-SPUR-1..4). Descriptor lock held. */
    private void noteInterrupt(Cpu cpu, IrqDesc d, IrqAction[] acts, int result) {
        if (d.has(IrqDesc.POLL_INPROGRESS)) {
            return;
        }
        for (IrqAction a : acts) {
            if ((a.flags & IrqFlags.NO_DEBUG) != 0) {
                return;
            }
        }
        if ((result & BOGUS) != 0) {
            return;                                   // reported by runAction; a bad value is not a verdict
        }
        if (result == IrqReturn.WAKE_THREAD.ordinal()) {
            // B-SPUR-4: only threads were woken. Their verdict is known at the next interrupt: the first such
            // interrupt only marks "deferred"; later ones count as handled iff some thread returned HANDLED since.
            if ((d.threadsHandledLast & IrqDesc.SPURIOUS_DEFERRED) == 0) {
                d.threadsHandledLast |= IrqDesc.SPURIOUS_DEFERRED;
                return;
            }
            int handled = d.threadsHandled | IrqDesc.SPURIOUS_DEFERRED;
            if (handled != d.threadsHandledLast) {
                d.threadsHandledLast = handled;
                result = IrqReturn.HANDLED.ordinal();
            } else {
                result = IrqReturn.NONE.ordinal();
            }
        } else {
            d.threadsHandledLast &= ~IrqDesc.SPURIOUS_DEFERRED;
        }
        if (result == IrqReturn.NONE.ordinal()) {
            long now = cpus.clockNanos();
            if (now - d.lastUnhandledNanos > spuriousQuietNanos) {
                d.irqsUnhandled = 1;
            } else {
                d.irqsUnhandled++;
            }
            d.lastUnhandledNanos = now;
        }
        if (d.irqsUnhandled == 0) {
            return;                                   // nothing counted while no unhandled ones (B-SPUR-3)
        }
        if (++d.irqCount < spuriousWindow) {
            return;
        }
        d.irqCount = 0;
        if (d.irqsUnhandled > spuriousThreshold) {
            reportNobodyCared(cpu, d, acts);
            d.set(IrqDesc.SPURIOUS_DISABLED);
            d.spuriousDisables++;
            disableLocked(d);
            mask(d);
        }
        d.irqsUnhandled = 0;
    }

    private void reportNobodyCared(Cpu cpu, IrqDesc d, IrqAction[] acts) {
        StringBuilder sb = new StringBuilder();
        sb.append("irq ").append(d.irq).append(": nobody cared (").append(d.irqsUnhandled).append(" of ")
                .append(spuriousWindow).append(" interrupts unhandled, on ").append(cpu).append(")\nhandlers:");
        for (IrqAction a : acts) {
            sb.append("\n[<").append(a.handler.getClass().getName()).append(">] ").append(a.name);
            if (a.failures() > 0) {
                sb.append(" (threw ").append(a.failures()).append(" times)");
            }
        }
        sb.append("\nDisabling IRQ #").append(d.irq).append(" (B-SPUR-3); ");
        if (acts.length > 0 && acts[0].isShared()) {
            sb.append("it is polled every ").append(TimeUnit.NANOSECONDS.toMillis(SPURIOUS_QUIET_NANOS))
                    .append(" ms from now on");
        } else {
            sb.append("it is not shared, so it is not polled: it stays off until it is freed (B-SPUR-5)");
        }
        LOG.log(Level.ERROR, sb.toString());
    }

    /** Tick hook: every HZ/10 on CPU 0, run the handlers of spurious-disabled shared lines (B-SPUR-5). */
    private void pollSpurious(Cpu cpu) {
        if (cpu.id() != 0 || cpus.ticks(cpu) % pollEveryTicks != 0) {
            return;
        }
        for (int irq = Gic.SPI_FIRST; irq <= Gic.SPI_LAST; irq++) {
            IrqDesc d = descs[irq];
            if (!d.has(IrqDesc.SPURIOUS_DISABLED)) {
                continue;
            }
            IrqAction[] acts = d.actions;
            if (acts.length == 0 || !acts[0].isShared()) {
                continue;
            }
            d.lock.lock();
            try {
                if (d.has(IrqDesc.INPROGRESS)) {
                    continue;
                }
                d.set(IrqDesc.POLL_INPROGRESS);
                spuriousPolls++;
                handleIrqEvent(cpu, d);
                d.clear(IrqDesc.POLL_INPROGRESS);
            } finally {
                d.lock.unlock();
            }
        }
    }

    /** Times the spurious poller ran a disabled line's handlers. */
    public long spuriousPolls() {
        return spuriousPolls;
    }

    // ---------------------------------------------------------------------------------------------- close

    /**
     * Close, DRAINING: waits until {@code deadlineNanos} for every IRQ thread to finish its woken runs
     * (threads_active 0 on every line). Returns whether they all did.
     */
    private boolean awaitThreadsIdle(long deadlineNanos) {
        for (IrqDesc d : descs) {
            while (d.threadsActive != 0) {
                if (System.nanoTime() - deadlineNanos >= 0) {
                    return false;
                }
                synchronized (d.threadWaiters) {
                    if (d.threadsActive != 0) {
                        try {
                            d.threadWaiters.wait(1);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return false;
                        }
                    }
                }
            }
        }
        return true;
    }

    /** Close, stop: every IRQ thread runs what is pending and exits (B-TI-14's last run); no new thread starts. */
    private void stopThreads() {
        threadsStopped = true;      // first: a request that has not linked its thread yet is refused, or collected below
        for (IrqThread t : threads()) {
            t.requestStop();
        }
    }

    /** Close, join: waits until {@code deadlineNanos} for the IRQ threads; returns those still alive. */
    private List<Thread> joinThreads(long deadlineNanos) {
        List<Thread> alive = new ArrayList<>();
        for (IrqThread t : threads()) {
            if (!Cpus.join(t, deadlineNanos)) {
                alive.add(t);
            }
        }
        return alive;
    }

    private List<IrqThread> threads() {
        List<IrqThread> threads = new ArrayList<>();
        for (IrqDesc d : descs) {
            d.requestLock.lock();
            try {
                for (IrqAction a : d.actions) {
                    if (a.thread != null) {
                        threads.add(a.thread);
                    }
                }
            } finally {
                d.requestLock.unlock();
            }
        }
        return threads;
    }

    /** Close, leftovers: wake-ups that found their thread already stopped did not run; count them. */
    private void reportIgnoredWakes() {
        for (IrqDesc d : descs) {
            for (IrqAction a : d.actions) {
                long n = a.ignoredWakes();
                if (n > 0) {
                    lifecycle.leftover("IRQ thread wake", n, a.thread.getName());
                }
            }
        }
    }
}
