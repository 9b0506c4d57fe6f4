/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Backoff;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Latency;
import io.kdefer.internal.Tracepoints;
import io.kdefer.irq.internal.PercpuHandler;

import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The flow handlers and the handler loop (kernel: kernel/irq/chip.c's handle_*_irq and kernel/irq/handle.c's
 * handle_irq_event): what happens to one interrupt of a line, in hardirq (or NMI) context on the CPU that took it,
 * between the controller's root handler and the line's actions. The flows speak to the controller only through the
 * line's chip ({@code IrqChip}: mask, unmask, ack, eoi).
 *
 * <pre>
 *   flow           chip calls                          when the line cannot run now (disabled, in progress, no action)
 *   FASTEOI        [mask if ONESHOT] ... eoi           mask, PENDING, eoi
 *   LEVEL          mask, ack ... unmask unless owed    PENDING (stays masked)
 *   EDGE           ack ... (loop while PENDING)        mask, ack, PENDING: replayed by the CPU running it, or on enable
 *   PERCPU_DEVID   ... eoi                             no action: disable on this CPU, eoi
 *   FASTEOI_NMI    ... eoi                             (never disabled lazily: masked at disable)
 * </pre>
 *
 * <p>Handlers never run with the descriptor lock held (B-FLOW-1); a handler that throws is contained, counted and
 * counted as unhandled; a handler that enables interrupts is reported and interrupts are disabled again.
 */
final class IrqFlows {
    private static final System.Logger LOG = System.getLogger("io.kdefer.irq");

    /** report_bad_irq budget (K-FLOW), for hardirq handlers and thread functions alike. */
    static final int BAD_IRQ_REPORTS = 100;
    /** The bit OR-ed into a combined result when some handler returned a bogus value (kernel: any value > 3). */
    static final int BOGUS = 4;

    private final IrqTable table;             // I
    private final IrqSpurious spurious;       // I
    private final Cpus cpus;                  // I
    private final Faults faults;              // I
    private final Latency latency;            // I
    private final String machine;             // I: for the events
    private final AtomicInteger badReports = new AtomicInteger();

    IrqFlows(IrqTable table, IrqSpurious spurious, Cpus cpus) {
        this.table = table;
        this.spurious = spurious;
        this.cpus = cpus;
        this.faults = cpus.faults();
        this.latency = cpus.latency();
        this.machine = cpus.lifecycle().owner();
    }

    /** generic_handle_irq_desc: runs {@code d}'s flow handler on {@code cpu}. */
    void handle(Cpu cpu, IrqDesc d) {
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
                // Another CPU (or the spurious poller) runs it: the controller's active state already serialises
                // the line, and it is not RESEND_WHEN_IN_PROGRESS, so just complete it.
                d.chip().eoi(cpu, d.data);
                return;
            }
            d.clear(IrqDesc.REPLAY);
            if (d.actions.length == 0 || d.has(IrqDesc.DISABLED)) {
                if (d.actions.length == 0) {
                    noteUnexpected(cpu, d);
                } else {
                    Tracepoints.irqReplay(machine, cpu.id(), d.irq, Tracepoints.MARKED, Tracepoints.DISABLED);
                }
                d.set(IrqDesc.PENDING);
                d.mask();
                d.chip().eoi(cpu, d.data);
                return;
            }
            d.countOn(cpu.id());
            if (d.has(IrqDesc.ONESHOT)) {
                d.mask();
            }
            handleIrqEvent(cpu, d);
            // cond_unmask_eoi_irq: a oneshot line stays masked while a woken oneshot thread is outstanding (B-TI-11).
            if (d.has(IrqDesc.ONESHOT)) {
                IrqThread.condUnmask(d);
            }
            d.chip().eoi(cpu, d.data);
        } finally {
            d.lock.unlock();
        }
    }

    // handle_level_irq (B-FLOW-6).
    private void handleLevel(Cpu cpu, IrqDesc d) {
        d.lock.lock();
        try {
            d.mask();
            d.chip().ack(cpu, d.data);                    // mask_ack_irq
            if (!mayRun(cpu, d)) {
                return;
            }
            d.clear(IrqDesc.REPLAY);
            if (d.actions.length == 0 || d.has(IrqDesc.DISABLED)) {
                if (d.actions.length == 0) {
                    noteUnexpected(cpu, d);
                } else {
                    Tracepoints.irqReplay(machine, cpu.id(), d.irq, Tracepoints.MARKED, Tracepoints.DISABLED);
                }
                d.set(IrqDesc.PENDING);
                return;
            }
            d.countOn(cpu.id());
            handleIrqEvent(cpu, d);
            IrqThread.condUnmask(d);             // cond_unmask_irq: not while disabled or a oneshot thread is owed
        } finally {
            d.lock.unlock();
        }
    }

    // handle_edge_irq (B-FLOW-7, B-FLOW-10).
    private void handleEdge(Cpu cpu, IrqDesc d) {
        d.lock.lock();
        try {
            d.clear(IrqDesc.REPLAY);
            boolean may = mayRun(cpu, d);
            if (!may || d.has(IrqDesc.DISABLED) || d.actions.length == 0) {
                if (d.actions.length == 0) {
                    noteUnexpected(cpu, d);
                } else {
                    Tracepoints.irqReplay(machine, cpu.id(), d.irq, Tracepoints.MARKED,
                            may ? Tracepoints.DISABLED : Tracepoints.IN_PROGRESS);
                }
                d.set(IrqDesc.PENDING);
                d.mask();
                d.chip().ack(cpu, d.data);                // mask_ack_irq
                return;
            }
            d.countOn(cpu.id());
            d.chip().ack(cpu, d.data);                    // the next edge may now be delivered
            do {
                if (d.actions.length == 0) {
                    d.mask();
                    return;
                }
                if (d.has(IrqDesc.PENDING) && d.has(IrqDesc.MASKED) && !d.has(IrqDesc.DISABLED)) {
                    d.unmask();
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
    private static boolean mayRun(Cpu cpu, IrqDesc d) {
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
                spins = Backoff.pause(spins);
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
            d.chip().disablePercpu(d.data, cpu);
            d.chip().eoi(cpu, d.data);
            return;
        }
        d.countOn(cpu.id());
        runAction(cpu, d, acts[0]);
        d.chip().eoi(cpu, d.data);
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
        d.chip().eoi(cpu, d.data);
    }

    /**
     * handle_nested_irq (B-TI-16): delivers one interrupt of a nested-thread line on the calling thread, the parent's
     * IRQ thread (task context; it may sleep). Disabled or without an action: recorded PENDING, nothing runs.
     * Otherwise counted on the caller's CPU, threads_active raised for the run (so synchronize and free wait for it),
     * every action's thread function run in order, results OR-ed into the spurious accounting, threads_active
     * lowered.
     */
    void handleNested(IrqDesc d) {
        CpuContext.mightSleep("handle_nested_irq(" + d.irq + ")");
        IrqAction[] acts;
        d.lock.lock();
        try {
            d.clear(IrqDesc.REPLAY);
            acts = d.actions;
            if (acts.length == 0 || d.has(IrqDesc.DISABLED)) {
                d.set(IrqDesc.PENDING);
                return;
            }
            d.countOn(cpus.thisCpu().id());
            IrqDesc.THREADS_ACTIVE.getAndAdd(d, 1);
        } finally {
            d.lock.unlock();
        }
        int result = 0;
        try {
            for (IrqAction a : acts) {
                result |= runNested(d, a);
            }
        } finally {
            d.lock.lock();
            try {
                spurious.noteInterrupt(cpus.thisCpu(), d, acts, result);
            } finally {
                d.lock.unlock();
            }
            IrqThread.threadDone(d);
        }
    }

    /** One nested handler (an action's thread function on the caller's thread), contained like a thread function. */
    private int runNested(IrqDesc d, IrqAction a) {
        IrqReturn r;
        try {
            r = a.threadFn.handle(d.irq, a.devId);
        } catch (Throwable t) {
            a.countThreadFailure();
            faults.threw(LOG, a, "irq " + d.irq + ": nested handler " + a.name, Thread.currentThread().getName(), t,
                    "counted as unhandled");
            r = IrqReturn.NONE;
        }
        a.countThreadRun();
        if (r == null) {
            if (badReports.getAndIncrement() < BAD_IRQ_REPORTS) {
                LOG.log(Level.ERROR, "irq " + d.irq + ": bogus return value null from the nested handler " + a.name
                        + " (B-FLOW-2)");
            }
            return BOGUS;
        }
        return r.ordinal();                      // the verdict goes to note_interrupt directly, not threads_handled
    }

    /**
     * handle_irq_event (B-FLOW-1): clear PENDING, set INPROGRESS, drop the lock, run every action in order, OR
     * the results, account for spurious interrupts, retake the lock and clear INPROGRESS.
     * Called and returns with the descriptor lock held.
     */
    void handleIrqEvent(Cpu cpu, IrqDesc d) {
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
        spurious.noteInterrupt(cpu, d, acts, result);
        d.runningCpu = -1;
        d.clear(IrqDesc.INPROGRESS);
    }

    // handlerThrew and traceHandlerEnd: out of runAction so that it stays under the JIT's hot-method inlining limit
    // (FreqInlineSize, 325 bytes of bytecode); neither is on the common path.
    private void handlerThrew(Cpu cpu, IrqDesc d, IrqAction a, Throwable t) {
        a.countFailure();
        faults.threw(LOG, a, "irq " + d.irq + ": handler " + a.name, cpu, t, "counted as unhandled");
    }

    private void traceHandlerEnd(Object ev, Cpu cpu, IrqDesc d, IrqAction a, boolean threw, IrqReturn r) {
        Tracepoints.irqHandlerEnd(ev, machine, cpu.id(), d.irq, a.name, threw ? Tracepoints.RESULT_THREW
                : r == null ? Tracepoints.RESULT_BOGUS : r.ordinal(), cpu.context().inNmi());
    }

    /**
     * Runs one action's primary handler, contained, and wakes its thread on WAKE_THREAD. Returns the kernel value
     * of its result: NONE 0, HANDLED 1, WAKE_THREAD 2, bogus {@link #BOGUS}.
     */
    private int runAction(Cpu cpu, IrqDesc d, IrqAction a) {
        IrqReturn r;
        boolean threw = false;
        long t0 = latency.start();
        Object ev = Tracepoints.irqHandlerBegin();              // irq_handler_entry
        try {
            PercpuHandler h = a.cpuHandler;
            if (h != null) {
                h.handle(cpu);
                r = IrqReturn.HANDLED;
            } else {
                r = a.handler.handle(d.irq, a.devId);
            }
        } catch (Throwable t) {
            handlerThrew(cpu, d, a, t);
            r = IrqReturn.NONE;
            threw = true;
        }
        if (ev != null) {                                       // irq_handler_exit
            traceHandlerEnd(ev, cpu, d, a, threw, r);
        }
        latency.end(cpu.id(), Latency.IRQ, 0, t0);
        faults.afterCallback(a, cpu);
        if (!cpu.context().irqsDisabled()) {
            LOG.log(Level.WARNING, "irq " + d.irq + " handler " + a.name + " enabled interrupts (B-FLOW-1)");
            cpu.localIrqSave();
        }
        if (r == null) {
            Tracepoints.irqSpurious(machine, cpu.id(), d.irq, Tracepoints.BOGUS);
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
        table.noteBad();
        Tracepoints.irqSpurious(machine, cpu.id(), d.irq, Tracepoints.NO_ACTION);   // every time; logged once
        if (!d.unexpectedReported) {
            d.unexpectedReported = true;
            LOG.log(Level.WARNING, cpu + ": unexpected IRQ trap at " + d.describe() + " (" + d.chipName()
                    + "): no handler requested; completed at the chip (B-GIC-8; reported once per line)");
        }
    }
}
