/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

import jdk.jfr.EventType;

/**
 * The runtime's tracepoints (kernel: the {@code TRACE_EVENT}s of include/trace/events/ and their static keys): the
 * seam through which every layer emits the JFR events of {@code io.kdefer.trace} without importing that package,
 * the top subsystem layer. A hook point asks once whether its event is recorded ({@link #on}, or the wrapper that
 * asks for it) and does nothing else when it is not.
 *
 * <h2>Who does what</h2>
 * <pre>
 *   lower layers   call the static wrappers below (irqHandlerBegin/End, ipi, workQueue, ...) at their hook points;
 *                  they hold an event only as an opaque token (Object) between begin and end
 *   io.kdefer.trace implements {@link Sink} (the event classes, their fields, commit) and, once the JVM's Flight
 *                  Recorder is initialized, hands each event's {@link EventType} to {@link #enable}
 *   this class     the gate: one array slot and the event type's enabled flag per check
 * </pre>
 * Why a seam and not direct calls: the layers point down (ARCHITECTURE.md), and tracepoints sit in every layer,
 * from the CPU's hotplug to the workqueue's workers. The events themselves stay in {@code io.kdefer.trace} with
 * the rest of the observability API (settings files, MBeans, {@code Stats}); this class knows only their ids.
 *
 * <h2>Cost (the hot-path contract)</h2>
 * <ul>
 *   <li>Event off (no recording, a recording that does not enable it, or a machine without the trace subsystem):
 *       a begin wrapper returns {@code null} after one check, an end wrapper is a null check, an instant wrapper
 *       returns after one check. No event object, no boxing, no string: arguments are values the caller already
 *       holds. {@code TraceBench} and the before/after runs of the deferral benches measure it.</li>
 *   <li>Until the JVM's Flight Recorder is initialized the slots are null, and the check is one array load. The
 *       trace subsystem fills them when the recorder comes up (a {@code FlightRecorderListener}), so a machine that
 *       never records never initializes JFR.</li>
 *   <li>Event on: the sink allocates the event, reads JFR's clock at begin and end, fills the fields and commits
 *       only if the event passes its threshold and settings.</li>
 * </ul>
 *
 * <h2>Queue-side stamps</h2>
 * The primitives with a queue-to-start latency (irq_work, tasklets, work items) stamp the item when a queue call
 * wins its claim ({@link Latency#stamp(int)}): {@code System.nanoTime()} if the item's run event or the machine's
 * latency histograms are on, else 0. The run reads the stamp before it releases the claim (before it clears
 * PENDING or SCHED): after that, a new queue() may win and overwrite it.
 */
public final class Tracepoints {
    /* Implementation notes
     *
     * TYPES[id] is null until io.kdefer.trace resolved the event types (after the Flight Recorder initialized), then
     * the EventType of event id, written once (R: a stale null only means "off" for a moment after the first
     * recording starts). EventType.isEnabled() reads a plain boolean JFR flips when a recording enables or disables
     * the event; hot paths see the change at their next call.
     *
     * Why not a boolean of our own kept in sync by a listener: FlightRecorderListener hears recording state changes,
     * not settings changes of a running recording (Recording.enable after start), so it would go stale.
     *
     * sink is written once, before any TYPES slot (trace installs it, then resolves). A reader that saw a slot may in
     * theory see sink still null (no happens-before from a plain slot read): the wrappers read sink once and treat
     * null as off, so the enabled path pays one more null check and the disabled path nothing.
     */
    public static final int IRQ_HANDLER = 0;
    public static final int IRQ_SPURIOUS = 1;
    public static final int IRQ_REPLAY = 2;
    public static final int IRQ_THREAD = 3;
    public static final int IRQ_NOBODY_CARED = 4;
    public static final int SOFTIRQ = 5;
    public static final int SOFTIRQ_RAISE = 6;
    public static final int KSOFTIRQD = 7;
    public static final int IRQ_WORK = 8;
    public static final int IPI = 9;
    public static final int TASKLET = 10;
    public static final int TIMER_EXPIRE = 11;
    public static final int WORK_QUEUE = 12;
    public static final int WORK_ACTIVATE = 13;
    public static final int WORK_EXECUTE = 14;
    public static final int WORKQUEUE_STALL = 15;
    public static final int WORKQUEUE_MAYDAY = 16;
    public static final int WORKQUEUE_RESCUER = 17;
    public static final int SOFT_LOCKUP = 18;
    public static final int CPU_HOTPLUG = 19;
    public static final int MACHINE_STATE = 20;
    public static final int CALLBACK_FAILED = 21;
    /** Number of tracepoints. */
    public static final int COUNT = 22;

    /** The {@code result} of {@link #irqHandlerEnd} and {@link #irqThreadEnd}: the kernel's irqreturn_t values. */
    public static final int RESULT_NONE = 0;
    public static final int RESULT_HANDLED = 1;
    public static final int RESULT_WAKE_THREAD = 2;
    /** The handler returned a value outside NONE/HANDLED/WAKE_THREAD (kdefer: {@code null}). */
    public static final int RESULT_BOGUS = 4;
    /** The handler threw (contained by the runtime). */
    public static final int RESULT_THREW = -1;

    /** {@link #irqSpurious} reasons. */
    public static final String NO_ACTION = "NO_ACTION";
    public static final String BOGUS = "BOGUS";
    /** {@link #irqReplay} phases and reasons. */
    public static final String MARKED = "MARKED";
    public static final String RESENT = "RESENT";
    public static final String DISABLED = "DISABLED";
    public static final String IN_PROGRESS = "IN_PROGRESS";
    public static final String NO_HANDLER = "NO_HANDLER";
    public static final String ENABLE = "ENABLE";
    /** {@link #ksoftirqd} reasons. */
    public static final String RESTARTS = "RESTARTS";
    public static final String TIME = "TIME";
    /** {@link #hotplugEnd} actions. */
    public static final String OFFLINE = "OFFLINE";
    public static final String ONLINE = "ONLINE";

    /** What emits the events: implemented once, by {@code io.kdefer.trace}. Called only while the event is on. */
    public interface Sink {
        Object irqHandlerBegin();

        void irqHandlerEnd(Object e, String machine, int cpu, int irq, String name, int result, boolean nmi);

        void irqSpurious(String machine, int cpu, int irq, String reason);

        void irqReplay(String machine, int cpu, int irq, String phase, String reason);

        Object irqThreadBegin();

        void irqThreadEnd(Object e, String machine, int cpu, int irq, String name, int result);

        void irqNobodyCared(String machine, int cpu, int irq, int unhandled, int window, String handlers,
                            boolean polled);

        Object softirqBegin();

        void softirqEnd(Object e, String machine, int cpu, int vector, int items, boolean ksoftirqd);

        void softirqRaise(String machine, int cpu, int vector, boolean wasPending);

        void ksoftirqd(String machine, int cpu, int pending, String reason);

        Object irqWorkBegin(long queuedAt);

        void irqWorkEnd(Object e, String machine, int cpu, boolean lazy, Object fn);

        void ipi(String machine, String kind, boolean send, int from, int to);

        Object taskletBegin(long queuedAt);

        void taskletEnd(Object e, String machine, int cpu, boolean hi, Object fn);

        Object timerBegin();

        void timerEnd(Object e, String machine, int cpu, long expires, long lateNanos, Object fn);

        void workQueue(String machine, String workqueue, String pool, int requestedCpu, int cpu, boolean inactive,
                       Object fn);

        void workActivate(String machine, String workqueue, String pool, boolean delayed, Object fn);

        Object workExecuteBegin(long queuedAt);

        void workExecuteEnd(Object e, String machine, String workqueue, String pool, String worker, long blockedNanos,
                            boolean rescued, Object fn);

        void workqueueStall(String machine, String pool, long stuckForNanos, int pending, String busyWorkers,
                            Thread stuck, StackTraceElement[] stack);

        void workqueueMayday(String machine, String workqueue, String pool);

        Object rescuerBegin();

        void rescuerEnd(Object e, String machine, String workqueue, String pool, int items);

        void softLockup(String machine, int cpu, long stuckForNanos, String context, Thread stuck,
                        StackTraceElement[] stack);

        Object hotplugBegin();

        void hotplugEnd(Object e, String machine, int cpu, String action, int target);

        void machineState(String machine, String from, String to, int cpus, String mode);

        void callbackFailed(String machine, String where, String primitive, Object source, Throwable t);
    }

    private static final EventType[] TYPES = new EventType[COUNT];   // R: see notes
    private static volatile Sink sink;                                // A: written once

    private Tracepoints() {
    }

    /** Installs the sink (io.kdefer.trace, once per JVM); before {@link #enable} names any event. */
    public static synchronized void install(Sink s) {
        if (sink == null) {
            sink = s;
        } else if (sink != s) {
            throw new IllegalStateException("a tracepoint sink is already installed: " + sink);
        }
    }

    /** Gives tracepoint {@code id} the JFR event type whose enabled flag gates it (written once). */
    public static void enable(int id, EventType type) {
        if (TYPES[id] == null) {
            TYPES[id] = type;
        }
    }

    /** Whether tracepoint {@code id} is recorded now: one array slot and one flag. */
    public static boolean on(int id) {
        EventType t = TYPES[id];
        return t != null && t.isEnabled();
    }

    /** The sink if tracepoint {@code id} is on, else null. */
    private static Sink sinkIfOn(int id) {
        return on(id) ? sink : null;
    }

    // ---------------------------------------------------------------------------------------------- irq

    /** Before a primary handler runs (kernel: irq_handler_entry); null unless on. */
    public static Object irqHandlerBegin() {
        Sink s = sinkIfOn(IRQ_HANDLER);
        return s == null ? null : s.irqHandlerBegin();
    }

    /** After it returned (kernel: irq_handler_exit); {@code result} one of {@code RESULT_*}. */
    public static void irqHandlerEnd(Object e, String machine, int cpu, int irq, String name, int result,
                                     boolean nmi) {
        if (e != null) {
            sink.irqHandlerEnd(e, machine, cpu, irq, name, result, nmi);
        }
    }

    /** An interrupt with no action on its line, or a bogus handler result ({@link #NO_ACTION}, {@link #BOGUS}). */
    public static void irqSpurious(String machine, int cpu, int irq, String reason) {
        Sink s = sinkIfOn(IRQ_SPURIOUS);
        if (s != null) {
            s.irqSpurious(machine, cpu, irq, reason);
        }
    }

    /** An interrupt set aside ({@link #MARKED}) or a pending edge resent on enable ({@link #RESENT}). */
    public static void irqReplay(String machine, int cpu, int irq, String phase, String reason) {
        Sink s = sinkIfOn(IRQ_REPLAY);
        if (s != null) {
            s.irqReplay(machine, cpu, irq, phase, reason);
        }
    }

    /** Before a thread function runs on its IRQ thread; null unless on. */
    public static Object irqThreadBegin() {
        Sink s = sinkIfOn(IRQ_THREAD);
        return s == null ? null : s.irqThreadBegin();
    }

    public static void irqThreadEnd(Object e, String machine, int cpu, int irq, String name, int result) {
        if (e != null) {
            sink.irqThreadEnd(e, machine, cpu, irq, name, result);
        }
    }

    /** The spurious detector disabled a line ("nobody cared"). */
    public static void irqNobodyCared(String machine, int cpu, int irq, int unhandled, int window, String handlers,
                                      boolean polled) {
        Sink s = sinkIfOn(IRQ_NOBODY_CARED);
        if (s != null) {
            s.irqNobodyCared(machine, cpu, irq, unhandled, window, handlers, polled);
        }
    }

    // ---------------------------------------------------------------------------------------------- softirq

    /** Before a softirq action runs (kernel: softirq_entry); null unless on. */
    public static Object softirqBegin() {
        Sink s = sinkIfOn(SOFTIRQ);
        return s == null ? null : s.softirqBegin();
    }

    /** After it returned (kernel: softirq_exit); {@code items}: tasklets or timers it ran, -1 if unknown. */
    public static void softirqEnd(Object e, String machine, int cpu, int vector, int items, boolean ksoftirqd) {
        if (e != null) {
            sink.softirqEnd(e, machine, cpu, vector, items, ksoftirqd);
        }
    }

    /** A vector was raised on {@code cpu} (kernel: softirq_raise). */
    public static void softirqRaise(String machine, int cpu, int vector, boolean wasPending) {
        Sink s = sinkIfOn(SOFTIRQ_RAISE);
        if (s != null) {
            s.softirqRaise(machine, cpu, vector, wasPending);
        }
    }

    /** A drain ran out of budget; {@code pending} (a bit per vector) goes to the ksoftirqd phase. */
    public static void ksoftirqd(String machine, int cpu, int pending, String reason) {
        Sink s = sinkIfOn(KSOFTIRQD);
        if (s != null) {
            s.ksoftirqd(machine, cpu, pending, reason);
        }
    }

    // ---------------------------------------------------------------------------------------------- irq_work, smp

    /** Before an irq_work callback runs; {@code queuedAt} the item's stamp (0: unknown); null unless on. */
    public static Object irqWorkBegin(long queuedAt) {
        Sink s = sinkIfOn(IRQ_WORK);
        return s == null ? null : s.irqWorkBegin(queuedAt);
    }

    public static void irqWorkEnd(Object e, String machine, int cpu, boolean lazy, Object fn) {
        if (e != null) {
            sink.irqWorkEnd(e, machine, cpu, lazy, fn);
        }
    }

    /**
     * An IPI sent (on the sender's thread) or taken (on the target CPU); {@code from} -1 for a thread on no CPU.
     * Callers whose {@code from} costs something to compute test {@link #on}({@link #IPI}) first.
     */
    public static void ipi(String machine, String kind, boolean send, int from, int to) {
        Sink s = sinkIfOn(IPI);
        if (s != null) {
            s.ipi(machine, kind, send, from, to);
        }
    }

    // ---------------------------------------------------------------------------------------------- tasklet, timer

    /** Before a tasklet callback runs (kernel: tasklet_entry); null unless on. */
    public static Object taskletBegin(long queuedAt) {
        Sink s = sinkIfOn(TASKLET);
        return s == null ? null : s.taskletBegin(queuedAt);
    }

    /** After it returned (kernel: tasklet_exit). */
    public static void taskletEnd(Object e, String machine, int cpu, boolean hi, Object fn) {
        if (e != null) {
            sink.taskletEnd(e, machine, cpu, hi, fn);
        }
    }

    /** Before an expired timer's callback runs (kernel: timer_expire_entry); null unless on. */
    public static Object timerBegin() {
        Sink s = sinkIfOn(TIMER_EXPIRE);
        return s == null ? null : s.timerBegin();
    }

    /** After it returned (kernel: timer_expire_exit); {@code expires} in jiffies, lateness on the machine clock. */
    public static void timerEnd(Object e, String machine, int cpu, long expires, long lateNanos, Object fn) {
        if (e != null) {
            sink.timerEnd(e, machine, cpu, expires, lateNanos, fn);
        }
    }

    // ---------------------------------------------------------------------------------------------- workqueue

    /** A work item was queued (kernel: workqueue_queue_work); {@code cpu} the pool's CPU, -1 for unbound. */
    public static void workQueue(String machine, String workqueue, String pool, int requestedCpu, int cpu,
                                 boolean inactive, Object fn) {
        Sink s = sinkIfOn(WORK_QUEUE);
        if (s != null) {
            s.workQueue(machine, workqueue, pool, requestedCpu, cpu, inactive, fn);
        }
    }

    /** A work item moved to its pool's worklist (kernel: workqueue_activate_work). */
    public static void workActivate(String machine, String workqueue, String pool, boolean delayed, Object fn) {
        Sink s = sinkIfOn(WORK_ACTIVATE);
        if (s != null) {
            s.workActivate(machine, workqueue, pool, delayed, fn);
        }
    }

    /** Before a worker runs a work function (kernel: workqueue_execute_start); null unless on. */
    public static Object workExecuteBegin(long queuedAt) {
        Sink s = sinkIfOn(WORK_EXECUTE);
        return s == null ? null : s.workExecuteBegin(queuedAt);
    }

    /** After it returned (kernel: workqueue_execute_end). */
    public static void workExecuteEnd(Object e, String machine, String workqueue, String pool, String worker,
                                      long blockedNanos, boolean rescued, Object fn) {
        if (e != null) {
            sink.workExecuteEnd(e, machine, workqueue, pool, worker, blockedNanos, rescued, fn);
        }
    }

    /** The watchdog found a stalled pool; {@code stack} (of {@code stuck}) is formatted only if recorded. */
    public static void workqueueStall(String machine, String pool, long stuckForNanos, int pending,
                                      String busyWorkers, Thread stuck, StackTraceElement[] stack) {
        Sink s = sinkIfOn(WORKQUEUE_STALL);
        if (s != null) {
            s.workqueueStall(machine, pool, stuckForNanos, pending, busyWorkers, stuck, stack);
        }
    }

    /** A pool asked a workqueue's rescuer for help (kernel: send_mayday). */
    public static void workqueueMayday(String machine, String workqueue, String pool) {
        Sink s = sinkIfOn(WORKQUEUE_MAYDAY);
        if (s != null) {
            s.workqueueMayday(machine, workqueue, pool);
        }
    }

    /** Before a rescuer serves one mayday; null unless on. */
    public static Object rescuerBegin() {
        Sink s = sinkIfOn(WORKQUEUE_RESCUER);
        return s == null ? null : s.rescuerBegin();
    }

    public static void rescuerEnd(Object e, String machine, String workqueue, String pool, int items) {
        if (e != null) {
            sink.rescuerEnd(e, machine, workqueue, pool, items);
        }
    }

    // ---------------------------------------------------------------------------------------------- cpu, machine

    /** The watchdog found a CPU stuck in atomic context; {@code stack} is formatted only if recorded. */
    public static void softLockup(String machine, int cpu, long stuckForNanos, String context, Thread stuck,
                                  StackTraceElement[] stack) {
        Sink s = sinkIfOn(SOFT_LOCKUP);
        if (s != null) {
            s.softLockup(machine, cpu, stuckForNanos, context, stuck, stack);
        }
    }

    /** Before a CPU hotplug operation (kernel: cpuhp_enter); null unless on. */
    public static Object hotplugBegin() {
        Sink s = sinkIfOn(CPU_HOTPLUG);
        return s == null ? null : s.hotplugBegin();
    }

    /** After it (kernel: cpuhp_exit); {@code target} the CPU that took the work over, -1 for ONLINE. */
    public static void hotplugEnd(Object e, String machine, int cpu, String action, int target) {
        if (e != null) {
            sink.hotplugEnd(e, machine, cpu, action, target);
        }
    }

    /** A machine changed lifecycle state ({@code from} BOOTING at boot). */
    public static void machineState(String machine, String from, String to, int cpus, String mode) {
        Sink s = sinkIfOn(MACHINE_STATE);
        if (s != null) {
            s.machineState(machine, from, to, cpus, mode);
        }
    }

    /**
     * A callback threw and was contained.
     *
     * @param where     the context that ran it ("cpu/1", a worker's name)
     * @param primitive irq, softirq, irq_work, tasklet, timer, workqueue, smp, ...
     * @param source    the failing item; its {@code toString()} is called only if the event is recorded
     */
    public static void callbackFailed(String machine, String where, String primitive, Object source, Throwable t) {
        Sink s = sinkIfOn(CALLBACK_FAILED);
        if (s != null) {
            s.callbackFailed(machine, where, primitive, source, t);
        }
    }
}
