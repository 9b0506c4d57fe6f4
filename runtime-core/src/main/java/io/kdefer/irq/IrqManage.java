/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Await;
import io.kdefer.internal.Lifecycle;
import io.kdefer.internal.Inventory;
import io.kdefer.irq.internal.IrqChip;
import io.kdefer.irq.internal.PercpuHandler;

import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Objects;

/**
 * Driver-facing line management (kernel: kernel/irq/manage.c): request and free of actions with their sharing rules
 * and threads, disable/enable with depth, synchronize, affinity and thread wake-ups. {@link Irqs} is its public face
 * and documents each call; this class holds the rules (each cites its B- number) and the locking.
 *
 * <p>Lock order: requestLock, then the descriptor lock, then whatever the chip takes inside its operations. Never
 * call a handler with the descriptor lock held.
 */
final class IrqManage {
    /* Implementation notes
     *
     * Threads. Each action with a thread function owns an IrqThread, created and started under requestLock before
     * the action is linked (so a request that fails leaves no thread behind, and a free cannot overtake a request
     * whose thread is not READY yet, spec §13.4). Its transitions (wake, finalize oneshot, threads_active) are
     * static methods of IrqThread shared with the hardirq path and the jcstress tests. free() unlinks the action,
     * waits for the hardirq and for threads_active == 0, then stops and joins the thread.
     *
     * Validation comes before any change: every -EINVAL is thrown before a lock is taken or a thread started, and
     * the trigger type is checked with the chip (IrqChip.checkType) before the first action configures the line.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.irq");

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

    /**
     * irq_forced_secondary_handler: the primary handler of forced threading's secondary action, which is never linked
     * on a line, so a hardirq never calls it.
     */
    static final IrqHandler FORCED_SECONDARY = new IrqHandler() {
        @Override
        public IrqReturn handle(int irq, Object devId) {
            LOG.log(Level.WARNING, "irq " + irq + ": the secondary handler of a forced-threaded action was called");
            return IrqReturn.NONE;
        }

        @Override
        public String toString() {
            return "irq_forced_secondary_handler";
        }
    };

    /**
     * irq_nested_primary_handler: the primary handler of an action on a nested-thread line, whose interrupts arrive
     * only through handleNestedIrq. A device that pulses such a line at its controller ends here (reported, NONE).
     */
    static final IrqHandler NESTED_PRIMARY = new IrqHandler() {
        @Override
        public IrqReturn handle(int irq, Object devId) {
            LOG.log(Level.WARNING, "Primary handler called for nested irq " + irq + ": a nested-thread line is"
                    + " delivered by its parent's thread (handleNestedIrq), not by its controller");
            return IrqReturn.NONE;
        }

        @Override
        public String toString() {
            return "irq_nested_primary_handler";
        }
    };

    private final Cpus cpus;                 // I
    private final Lifecycle lifecycle;       // I
    private final IrqTable table;            // I
    private final IrqResend resend;          // I
    private final IrqThreads threads;        // I
    private final boolean forceThreading;    // I: threadirqs (B-TI-12)
    private final Inventory inventory;       // I: a line with actions is announced (the JMX registration)

    IrqManage(Cpus cpus, IrqTable table, IrqResend resend, IrqThreads threads, boolean forceThreading,
              Inventory inventory) {
        this.inventory = inventory;
        this.cpus = cpus;
        this.lifecycle = cpus.lifecycle();
        this.table = table;
        this.resend = resend;
        this.threads = threads;
        this.forceThreading = forceThreading;
    }

    boolean forceThreading() {
        return forceThreading;
    }

    // ---------------------------------------------------------------------------------------------- request

    void request(int irq, IrqHandler handler, int flags, String name, Object devId) {
        Objects.requireNonNull(handler, "handler");
        IrqDesc d = table.desc(irq);
        if (d.percpu) {
            // Whatever the flags: request_irq refuses per-CPU (devid) lines (B-TI-1).
            throw new IllegalArgumentException("-EINVAL: " + d.describe()
                    + " is a per-CPU line; request it with requestPercpu (B-TI-1)");
        }
        if (d.nestedThread) {
            throw new IllegalArgumentException("-EINVAL: irq " + irq + " (" + name + ") is a nested-thread line: its"
                    + " handlers run in its parent's IRQ thread, so it needs a thread function (requestThreaded or"
                    + " requestAnyContext; B-TI-16)");
        }
        warnOneshotWithoutThread(irq, flags, null, name);
        install(d, new IrqAction(handler, null, flags, checkName(name), devId), false);
    }

    void requestThreaded(int irq, IrqHandler handler, IrqHandler threadFn, int flags, String name, Object devId) {
        if (handler == null && threadFn == null) {
            throw new IllegalArgumentException("-EINVAL: irq " + irq
                    + ": both the primary handler and the thread function are null (B-TI-1)");
        }
        IrqDesc d = table.desc(irq);
        if (d.percpu) {
            throw new IllegalArgumentException("-EINVAL: " + d.describe()
                    + " is a per-CPU line; threaded handlers are for shared-peripheral lines (B-TI-1)");
        }
        if (handler == null && (flags & IrqFlags.ONESHOT) == 0 && !d.nestedThread) {
            throw new IllegalArgumentException("-EINVAL: irq " + irq + " (" + name + "): a threaded request with the"
                    + " default primary handler (null) needs IrqFlags.ONESHOT, or a level line would storm while"
                    + " the thread has not yet serviced the device (B-TI-2)");
        }
        warnOneshotWithoutThread(irq, flags, threadFn, name);
        IrqHandler primary = handler != null ? handler : DEFAULT_PRIMARY;
        install(d, new IrqAction(primary, threadFn, flags, checkName(name), devId), false);
    }

    void requestPercpu(int irq, IrqHandler handler, String name, Object devId) {
        Objects.requireNonNull(handler, "handler");
        IrqDesc d = table.desc(irq);
        if (!d.percpu) {
            throw new IllegalArgumentException("-EINVAL: " + d.describe()
                    + " is not a per-CPU line; request it with request()");
        }
        install(d, new IrqAction(handler, null, IrqFlags.PERCPU, checkName(name), devId), false);
    }

    /** The runtime's own per-CPU line (GenIrq.requestPercpu): the handler gets the CPU it runs on. */
    void requestPercpu(int irq, PercpuHandler handler, String name) {
        Objects.requireNonNull(handler, "handler");
        IrqDesc d = table.desc(irq);
        if (!d.percpu) {
            throw new IllegalArgumentException("irq " + irq + " is not a per-CPU line");
        }
        IrqAction a = new IrqAction((i, dev) -> IrqReturn.HANDLED, null, IrqFlags.PERCPU, checkName(name), handler);
        a.cpuHandler = handler;
        install(d, a, false);
    }

    void requestNmi(int irq, IrqHandler handler, String name, Object devId) {
        Objects.requireNonNull(handler, "handler");
        IrqDesc d = table.desc(irq);
        if (d.nestedThread) {
            throw new IllegalArgumentException("-EINVAL: irq " + irq + " is a nested-thread line; it cannot be an NMI");
        }
        install(d, new IrqAction(handler, null, 0, checkName(name), devId), true);
    }

    /**
     * request_any_context_irq (B-TI-16): on a nested-thread line a threaded request with {@code handler} as the thread
     * function, else a hardirq request; returns which.
     */
    IrqContext requestAnyContext(int irq, IrqHandler handler, int flags, String name, Object devId) {
        Objects.requireNonNull(handler, "handler");
        IrqDesc d = table.desc(irq);
        d.requestLock.lock();                   // the nested setting cannot change under the request
        try {
            if (d.nestedThread) {
                requestThreaded(irq, null, handler, flags, name, devId);
                return IrqContext.THREADED;
            }
            request(irq, handler, flags, name, devId);
            return IrqContext.HARDIRQ;
        } finally {
            d.requestLock.unlock();
        }
    }

    /**
     * irq_set_nested_thread (B-TI-16): marks a line as one whose interrupts its parent's thread delivers with
     * handleNestedIrq (a line behind a slow-bus expander), or unmarks it. Only while it has no action.
     */
    void setNestedThread(int irq, boolean nested) {
        IrqDesc d = table.desc(irq);
        if (d.percpu) {
            throw new IllegalArgumentException("-EINVAL: " + d.describe() + " is a per-CPU line; it cannot be nested");
        }
        d.requestLock.lock();
        try {
            if (d.actions.length != 0) {
                throw new IllegalStateException("-EBUSY: irq " + irq + " has actions (" + String.join(", ", d.names())
                        + "): a line is marked nested before it is requested, as its demultiplexing driver does when"
                        + " it maps the line");
            }
            d.nestedThread = nested;
        } finally {
            d.requestLock.unlock();
        }
    }

    // B-TI-3: ONESHOT only means something for a thread.
    private static void warnOneshotWithoutThread(int irq, int flags, IrqHandler threadFn, String name) {
        if ((flags & IrqFlags.ONESHOT) != 0 && threadFn == null) {
            LOG.log(Level.WARNING, "irq " + irq + " (" + name + "): IRQF_ONESHOT without a thread function: the line"
                    + " is masked during the handler only (B-TI-3)");
        }
    }

    private static String checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("-EINVAL: an IRQ action needs a name (shown in /proc/interrupts)");
        }
        return name;
    }

    private void install(IrqDesc d, IrqAction a, boolean nmi) {
        CpuContext.mightSleep("request_irq");
        int irq = d.irq;
        int flags = a.flags;
        if ((flags & ~IrqFlags.KNOWN) != 0) {
            throw new IllegalArgumentException("-EINVAL: unknown IrqFlags bits 0x"
                    + Integer.toHexString(flags & ~IrqFlags.KNOWN) + " for irq " + irq);
        }
        if (!d.percpu && (flags & IrqFlags.PERCPU) != 0) {
            throw new IllegalArgumentException("-EINVAL: PERCPU on " + d.describe() + ", which is not a per-CPU line");
        }
        if (d.percpu && (flags & IrqFlags.PERCPU) == 0) {
            throw new IllegalArgumentException("-EINVAL: " + d.describe()
                    + " is a per-CPU line; request it with requestPercpu");
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
        int wanted = checkType(d, flags);
        String notReady = d.chip().checkRequest(d.data);
        if (notReady != null) {
            throw new IllegalArgumentException("-EINVAL: request_irq(" + irq + "): " + notReady);
        }
        lifecycle.checkOpen("request_irq(" + irq + ")");
        d.requestLock.lock();
        try {
            if (threads.stopped() || lifecycle.isClosed()) {
                throw lifecycle.closedException("request_irq(" + irq + ")");
            }
            boolean nested = !nmi && d.nestedThread;
            if (nested) {
                if (a.threadFn == null) {
                    throw new IllegalArgumentException("-EINVAL: irq " + irq + " (" + a.name + ") is a nested-thread"
                            + " line; it needs a thread function (B-TI-16)");
                }
                a = new IrqAction(NESTED_PRIMARY, a.threadFn, a.flags, a.name, a.devId);
            } else if (!nmi && !d.percpu && forceThreading) {
                a = forceThread(a);
            }
            IrqAction[] old = d.actions;
            boolean first = old.length == 0;
            IrqAction toAdd = a;
            if (old.length > 0) {
                toAdd = checkSharing(d, old, a, nmi, wanted);
            }
            if (toAdd.isOneshot()) {
                toAdd.threadMask = threadMask(d, old, toAdd);
            }
            if (toAdd.threadFn != null && !nested) {
                // Started before linking: no hardirq can wake it before it is READY, and a failed start links
                // nothing. The thread binds itself under the descriptor lock only, so holding requestLock is safe.
                startThreads(d, toAdd);
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
                        enableLocked(d);
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
            if (first) {
                inventory.added(d);           // under requestLock (before a free's removed), not the descriptor lock
            }
        } finally {
            d.requestLock.unlock();
        }
    }

    /**
     * irq_setup_forced_threading (B-TI-12, threadirqs): an action without NO_THREAD, PERCPU or ONESHOT, whose primary
     * handler is not the default one, becomes ONESHOT and its primary handler becomes its thread function, the
     * default primary waking it; a primary that had a thread function of its own gets a secondary action for it.
     * Called before the sharing checks, so a NO_THREAD action and a forced one cannot share a line (their ONESHOT
     * settings differ: -EBUSY, as in the kernel).
     */
    private static IrqAction forceThread(IrqAction a) {
        if ((a.flags & (IrqFlags.NO_THREAD | IrqFlags.PERCPU | IrqFlags.ONESHOT)) != 0
                || a.handler == DEFAULT_PRIMARY) {
            return a;
        }
        IrqAction f = new IrqAction(DEFAULT_PRIMARY, a.handler, a.flags | IrqFlags.ONESHOT, a.name, a.devId);
        f.testAndSetFlag(IrqAction.FORCED_THREAD);
        if (a.threadFn != null) {
            f.secondary = new IrqAction(FORCED_SECONDARY, a.threadFn, 0, a.name, a.devId);
        }
        return f;
    }

    /**
     * setup_irq_thread for the action and, with forced threading, its secondary ({@code irq/<irq>-s-<name>}, one
     * priority lower). If the secondary cannot start, the first thread is stopped again: nothing is left behind.
     */
    private void startThreads(IrqDesc d, IrqAction a) {
        a.thread = new IrqThread(this, cpus, d, a);
        a.thread.startAndAwaitReady();
        IrqAction s = a.secondary;
        if (s != null) {
            s.thread = new IrqThread(this, cpus, d, s, "irq/" + d.irq + "-s-" + s.name, Thread.MAX_PRIORITY - 1);
            try {
                s.thread.startAndAwaitReady();
            } catch (RuntimeException | Error e) {
                a.thread.requestStop();
                a.thread.awaitEnd(lifecycle);
                throw e;
            }
        }
    }

    /** The trigger the flags ask for, validated with the line's chip; TRIGGER_NONE keeps the current one. */
    private static int checkType(IrqDesc d, int flags) {
        int t = flags & IrqFlags.TRIGGER_MASK;
        if (t == IrqFlags.TRIGGER_NONE) {
            return t;
        }
        String err = d.chip().checkType(d.data, t);
        if (err != null) {
            throw new IllegalArgumentException("-EINVAL: trigger flags 0x" + Integer.toHexString(t) + " on irq "
                    + d.irq + ": " + err);
        }
        return t;
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
    private static IrqAction checkSharing(IrqDesc d, IrqAction[] old, IrqAction a, boolean nmi, int wanted) {
        IrqAction first = old[0];
        if (nmi || d.has(IrqDesc.NMI)) {
            throw busy(d, first, a, "NMI lines are never shared");
        }
        int flags = a.flags;
        if ((first.flags & flags & IrqFlags.SHARED) == 0) {
            throw busy(d, first, a, null);
        }
        if (wanted != IrqFlags.TRIGGER_NONE && wanted != d.type) {
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
        int inherited = wanted == IrqFlags.TRIGGER_NONE ? flags | d.type : flags;
        return a.withFlags(inherited);
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
    private void firstAction(IrqDesc d, IrqAction a, int wanted, boolean nmi) {
        IrqChip chip = d.chip();
        chip.mask(d.data);                                    // type changes with the line masked
        // No trigger flag: keep what the chip is configured with now (firmware's choice, or a previous request).
        int before = chip.type(d.data);
        chip.setType(d.data, wanted != IrqFlags.TRIGGER_NONE ? wanted : before);
        if (chip.type(d.data) != before && d.flow != FlowHandler.FASTEOI_NMI) {
            // A chip whose flow follows the trigger (x86's IO-APIC: edge or fasteoi) switches it with the trigger.
            FlowHandler f = chip.flowForType(d.data, chip.type(d.data));
            if (f != null) {
                d.flow = f;
            }
        }
        if (nmi) {
            if (!chip.setupNmi(d.data)) {
                throw new IllegalStateException("-EINVAL: irq " + d.irq + ": " + chip.name()
                        + " cannot deliver this line as an NMI");
            }
        } else {
            chip.teardownNmi(d.data);
        }
        if (!d.percpu) {
            chip.setAffinity(d.data, cpus.cpu(d.target));
        }
        d.type = chip.type(d.data);
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
            enableLocked(d);
        }
    }

    String free(int irq, Object devId) {
        IrqDesc d = table.desc(irq);
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
                    d.chip().mask(d.data);
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
                gone.thread.awaitEnd(lifecycle);          // its last run may still wake the secondary
            }
            IrqAction s = gone.secondary;
            if (s != null && s.thread != null) {
                s.thread.requestStop();
                s.thread.awaitEnd(lifecycle);
            }
            if (next.length == 0) {
                inventory.removed(d);         // under requestLock: ordered with the next request's added
            }
        } finally {
            d.requestLock.unlock();
        }
        return gone.name;
    }

    void setFlowHandler(int irq, FlowHandler flow) {
        Objects.requireNonNull(flow, "flow");
        IrqDesc d = table.desc(irq);
        if (d.percpu != (flow == FlowHandler.PERCPU_DEVID)) {
            throw new IllegalArgumentException("-EINVAL: " + flow + " does not fit irq " + irq
                    + (d.percpu ? " (a per-CPU line)" : " (a shared-peripheral line)"));
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

    void disableNosync(int irq) {
        IrqDesc d = table.desc(irq);
        checkNotPercpu(d, "disable_irq_nosync");
        d.lock.lock();
        try {
            disableLocked(d);
        } finally {
            d.lock.unlock();
        }
    }

    /** __disable_irq: one more depth; the 0-to-1 transition disables the line, lazily (B-FLOW-3). Lock held. */
    static void disableLocked(IrqDesc d) {
        if (d.depth++ == 0) {
            d.set(IrqDesc.DISABLED);
            if (d.has(IrqDesc.NMI)) {
                // Unlazy: the NMI flow never looks at the depth, so a lazy disable would disable nothing.
                d.mask();
            }
        }
    }

    // The kernel's disable_irq/enable_irq look the descriptor up with the "global" check, which refuses
    // per-CPU-devid lines: those have disable_percpu_irq/enable_percpu_irq, acting on the calling CPU only.
    private static void checkNotPercpu(IrqDesc d, String op) {
        if (d.percpu) {
            throw new IllegalArgumentException("-EINVAL: " + op + "(" + d.irq + "): " + d.describe()
                    + " is a per-CPU line; the kernel refuses global disable/enable on per-CPU-devid lines");
        }
    }

    void disable(int irq) {
        IrqDesc d = table.desc(irq);
        checkNotPercpu(d, "disable_irq");
        checkNotOwnHandler(d, "disable_irq");
        CpuContext.mightSleep("disable_irq");
        disableNosync(irq);
        synchronizeHardirq(d);
        IrqThread.waitForThreads(d, lifecycle);
    }

    void enable(int irq) {
        IrqDesc d = table.desc(irq);
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
                enableLocked(d);
            } else {
                d.depth--;
            }
        } finally {
            d.lock.unlock();
        }
    }

    // depth 1 -> 0: unmask and resend. Descriptor lock held.
    private void enableLocked(IrqDesc d) {
        d.depth = 0;
        d.clear(IrqDesc.DISABLED);
        d.unmask();
        resend.check(d);
    }

    // ---------------------------------------------------------------------------------------------- synchronize

    void synchronize(int irq) {
        IrqDesc d = table.desc(irq);
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
     * synchronize_hardirq (B-FLOW-13 step 2): waits until no hardirq run of the line is in progress and its chip no
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
            return d.has(IrqDesc.INPROGRESS) || activeInChip(d);
        } finally {
            d.lock.unlock();
        }
    }

    // An acknowledged interrupt that a CPU has not handled to the end is still active (B-FLOW-13 step 2). In MANUAL
    // mode a CPU handles an interrupt to its end within one step, so only a test holding it half-handled by hand
    // could leave it active: that must not hang a synchronize.
    private boolean activeInChip(IrqDesc d) {
        if (d.percpu || d.flow != FlowHandler.FASTEOI || cpus.isManual()) {
            return false;
        }
        return d.chip().isActive(d.data);
    }

    // ---------------------------------------------------------------------------------------------- affinity

    void setAffinity(int irq, int cpu) {
        IrqDesc d = table.desc(irq);
        if (d.percpu) {
            throw new IllegalArgumentException("-EINVAL: irq " + irq + " is per-CPU; it has no affinity to set");
        }
        Cpu c = cpus.cpu(cpu);
        lifecycle.checkOpen("irq_set_affinity(" + irq + ")");
        if (c.hotplugState() != Cpu.HotplugState.ONLINE) {
            throw new IllegalArgumentException("-EINVAL: " + c + " is " + (c.isOnline() ? "going offline"
                    : "offline") + ": an IRQ can be routed only to an online CPU");
        }
        String refused = d.chip().checkAffinity(d.data, c);
        if (refused != null) {
            throw new IllegalArgumentException("-EINVAL: irq_set_affinity(" + irq + ", " + c + "): " + refused);
        }
        BitSet mask = new BitSet(cpus.count());
        mask.set(cpu);
        d.lock.lock();
        try {
            routeLocked(d, c);                                  // a chip that refuses changes nothing (routeLocked)
            d.affinityMask = mask;
        } finally {
            d.lock.unlock();
        }
    }

    /**
     * irq_set_affinity with a mask (B-FLOW-14): validates it, keeps it as the line's requested affinity, and routes
     * the line to the CPU its chip chooses among the mask's online CPUs (IrqChip.effectiveCpu).
     */
    void setAffinity(int irq, BitSet mask) {
        Objects.requireNonNull(mask, "mask");
        IrqDesc d = table.desc(irq);
        if (d.percpu) {
            throw new IllegalArgumentException("-EINVAL: irq " + irq + " is per-CPU; it has no affinity to set");
        }
        BitSet m = (BitSet) mask.clone();
        if (m.isEmpty()) {
            throw new IllegalArgumentException("-EINVAL: irq_set_affinity(" + irq + ") with an empty CPU mask");
        }
        if (m.length() > cpus.count()) {
            throw new IllegalArgumentException("-EINVAL: irq_set_affinity(" + irq + "): the mask names cpu/"
                    + (m.length() - 1) + ", but this machine has " + cpus.count() + " CPUs");
        }
        lifecycle.checkOpen("irq_set_affinity(" + irq + ")");
        d.lock.lock();
        try {
            BitSet online = onlineMask(cpus);
            if (!m.intersects(online)) {
                throw new IllegalArgumentException("-EINVAL: irq_set_affinity(" + irq + "): no CPU of "
                        + cpuList(m) + " is online (online: " + cpuList(online) + ")");
            }
            Cpu to = cpus.cpu(effectiveCpu(d, m, online));      // the chip's choice, checked before anything changes
            String refused = d.chip().checkAffinity(d.data, to);
            if (refused != null) {
                throw new IllegalArgumentException("-EINVAL: irq_set_affinity(" + irq + ", " + cpuList(m) + "): "
                        + refused);
            }
            routeLocked(d, to);                                 // a chip that refuses changes nothing (routeLocked),
            d.affinityMask = m;                                 // so the mask is recorded only after it routed
        } finally {
            d.lock.unlock();
        }
    }

    /** The CPUs that take new interrupts now (hotplug state ONLINE): a snapshot. */
    static BitSet onlineMask(Cpus cpus) {
        BitSet b = new BitSet(cpus.count());
        for (int i = 0; i < cpus.count(); i++) {
            if (cpus.cpu(i).hotplugState() == Cpu.HotplugState.ONLINE) {
                b.set(i);
            }
        }
        return b;
    }

    /**
     * The chip's choice of one CPU of {@code mask} that is in {@code online} (the mask→single-target decision, see
     * IrqChip), checked. Descriptor lock held; {@code mask} intersects {@code online}.
     */
    static int effectiveCpu(IrqDesc d, BitSet mask, BitSet online) {
        int c = d.chip().effectiveCpu(d.data, mask, online);
        if (c < 0 || !mask.get(c) || !online.get(c)) {
            throw new IllegalStateException(d.chipName() + " chose cpu " + c + " for irq " + d.irq
                    + ", which is not an online CPU of its mask " + cpuList(mask) + " (online: " + cpuList(online)
                    + ")");
        }
        return c;
    }

    /** A CPU set as the kernel's cpulist format writes it ("0-2,5"), as in /proc/irq/N/smp_affinity_list. */
    static String cpuList(BitSet b) {
        StringBuilder sb = new StringBuilder();
        for (int i = b.nextSetBit(0); i >= 0; ) {
            int end = b.nextClearBit(i) - 1;
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(i);
            if (end > i) {
                sb.append('-').append(end);
            }
            i = b.nextSetBit(end + 1);
        }
        return sb.toString();
    }

    /**
     * Routes {@code d} to {@code cpu} at its chip and tells its threads (irq_set_thread_affinity: each re-binds
     * itself before its next run, B-TI-9). A chip that refuses (x86: -ENOSPC, no vector free there) leaves the line
     * and its target as they were. Descriptor lock held.
     */
    static void routeLocked(IrqDesc d, Cpu cpu) {
        d.chip().setAffinity(d.data, cpu);
        d.target = cpu.id();
        for (IrqAction a : d.actions) {
            if (a.thread != null) {
                a.testAndSetFlag(IrqAction.AFFINITY);
            }
            if (a.secondary != null && a.secondary.thread != null) {
                a.secondary.testAndSetFlag(IrqAction.AFFINITY);
            }
        }
    }

    /** Binds the calling IRQ thread to the CPU of its line's affinity (task context on that CPU). */
    void bindThread(IrqThread t) {
        t.bindTo(cpus.cpu(t.desc.affinity()));
    }

    // ---------------------------------------------------------------------------------------------- thread wake

    void wakeThread(int irq, Object devId) {
        IrqDesc d = table.desc(irq);
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
}
