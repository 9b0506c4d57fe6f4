/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

import java.lang.System.Logger.Level;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a machine does with a Java interrupt on its own threads, in one place (DESIGN §5): a runtime thread (a CPU,
 * a worker, an IRQ thread, a rescuer) never ends and never spins because of its interrupt flag.
 *
 * <h2>Policy</h2>
 * <ul>
 *   <li>After every callback it runs (a hardirq handler, a softirq action, a tasklet, an irq_work, a timer, a
 *       cross-CPU call, a work item, an IRQ thread function) the runtime clears the flag if the callback left it set
 *       (a library that restores the flag after catching {@code InterruptedException} does exactly that), counts
 *       it, and reports it once per source. The next callback starts with a clear flag, as a work item always
 *       did.</li>
 *   <li>An interrupt delivered to an idle runtime thread from outside ({@code cpuThread.interrupt()}) wakes it; it
 *       clears the flag before it idles again (a set flag makes {@code park} return at once: it would spin),
 *       counts it and reports it once per thread.</li>
 *   <li>A callback that throws is contained: the CPU or thread that ran it keeps running. {@link #threw} counts it
 *       (per machine) and logs the first throw of each source with its stack trace; the caller keeps any per-object
 *       count its API exposes ({@code Tasklet.failures()}, ...). "Contain, count, report once" is this one
 *       method; it also emits the {@code kdefer.CallbackFailed} event for every throw.</li>
 *   <li>A runtime thread ends only when its machine stops it. Stopping is never signalled by an interrupt (Agrona's
 *       {@code AgentRunner} treats an interrupt as "stop": the CPU loop is the runtime's own for that reason).</li>
 * </ul>
 */
public final class Faults {
    /* Implementation notes
     *
     * The "reported once" memory is a weak identity-keyed set: callbacks are identified by the object the runtime
     * holds for them (the IrqAction, the Tasklet, the Work, ...), which it may drop at any time. The set is touched
     * only on the slow path (a flag was found set), under its own monitor.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer");

    private final String machine;                                        // I
    private final LongAdder interrupts = new LongAdder();                // A
    private final LongAdder failures = new LongAdder();                  // A: callbacks that threw
    private final Set<Object> threwBefore = Collections.newSetFromMap(new WeakHashMap<>());   // L(threwBefore)
    private final Set<Object> reported = Collections.newSetFromMap(new WeakHashMap<>());   // L(reported)

    public Faults(String machine) {
        this.machine = machine;
    }

    /**
     * Called right after a callback returned (or threw) on a runtime thread: clears and counts an interrupt flag it
     * left set. One read of the thread's interrupt status when it is clear.
     *
     * @param source the callback's runtime object (reported once per source), e.g. the Tasklet
     * @param where  the context, for the report, e.g. "tasklet on cpu/1"
     */
    public void afterCallback(Object source, Object where) {
        if (Thread.interrupted()) {
            interruptCleared(source, where);
        }
    }

    /** The flag was found set (and has been cleared) after {@code source} ran: count and report once. */
    public void interruptCleared(Object source, Object where) {
        interrupts.increment();
        if (firstFor(source)) {
            LOG.log(Level.WARNING, machine + ": " + source + " (" + where + ") left the thread's interrupt flag set;"
                    + " cleared: the runtime's threads do not stop on a Java interrupt (reported once per source)");
        }
    }

    /** Called by an idle runtime thread before it parks: an interrupt from outside is cleared and counted. */
    public void beforeIdle(Thread self) {
        if (Thread.interrupted()) {
            interrupts.increment();
            if (firstFor(self)) {
                LOG.log(Level.WARNING, machine + ": " + self.getName() + " was interrupted while idle; cleared: the "
                        + "runtime's threads do not stop on a Java interrupt (use Machine.close(); reported once per "
                        + "thread)");
            }
        }
    }

    /**
     * A callback threw and was contained: counts it and logs the first throw of {@code source} at ERROR with its
     * stack trace, as "{@code <what> threw; contained on <where>, <consequence> (reported once)}". Off the hot path
     * (only a throw gets here).
     *
     * @param log         the subsystem's logger ("io.kdefer.tasklet", ...): the report is the subsystem's
     * @param source      the callback's runtime object (the Tasklet, the IrqWork, the IRQ action, ...): the
     *                    "once" is per source
     * @param what        the callback, for the report ("irq 40: handler eth0", "tasklet Tasklet@1f")
     * @param where       the context, for the report ("cpu/1", a thread)
     * @param consequence what the runtime did about it, for the report ("counted as unhandled"), or null
     * @return whether this was the first throw of {@code source} (the one reported)
     */
    public boolean threw(System.Logger log, Object source, String what, Object where, Throwable t,
                         String consequence) {
        failures.increment();
        if (Tracepoints.on(Tracepoints.CALLBACK_FAILED)) {
            Tracepoints.callbackFailed(machine, String.valueOf(where), primitive(log), source, t);   // every throw
        }
        boolean first;
        synchronized (threwBefore) {
            first = threwBefore.add(source);
        }
        if (first) {
            log.log(Level.ERROR, machine + ": " + what + " threw; contained on " + where
                    + (consequence != null ? ", " + consequence : "") + " (reported once)", t);
        }
        return first;
    }

    /** The subsystem a logger belongs to: "io.kdefer.tasklet" -&gt; "tasklet" (the event's primitive). */
    private static String primitive(System.Logger log) {
        String n = log.getName();
        return n.substring(n.lastIndexOf('.') + 1);
    }

    /** Callbacks that threw (contained), over the machine's life. */
    public long callbackFailures() {
        return failures.sum();
    }

    /** Interrupt flags the runtime found set on its threads and cleared. */
    public long interruptsCleared() {
        return interrupts.sum();
    }

    private boolean firstFor(Object source) {
        synchronized (reported) {
            return reported.add(source);
        }
    }
}
