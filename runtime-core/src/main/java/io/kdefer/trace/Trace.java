/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;

import java.util.List;

/**
 * The tracepoints: static emission methods the runtime calls at its hook points, one group per JFR event of this
 * package. They cost nothing measurable while no recording wants the event, so they can sit on every hot path.
 *
 * <h2>The hook pattern (written once here; every hook follows it)</h2>
 * <pre>{@code
 *   // queue side (only for primitives with a queue->start latency), after winning the claim and before the
 *   // push that publishes the item:
 *   item.queuedAt = Trace.taskletStamp(latency);           // 0 unless the event or latency recording is on
 *
 *   // run side:
 *   long queuedAt = item.queuedAt;                          // read while the run still owns the item's claim
 *   long t0 = latency.start();                              // 0 unless latency recording is on
 *   TaskletEvent ev = Trace.taskletBegin(queuedAt);         // null unless kdefer.Tasklet is on
 *   fn.run();
 *   Trace.taskletEnd(ev, machine, cpu, hi, fn);             // returns at once for null
 *   latency.end(cpu, LatencyRecorder.Primitive.TASKLET, queuedAt, t0);   // returns at once for t0 == 0
 * }</pre>
 * Instant events are one call ({@code Trace.ipi(...)}), which returns at once when the event is off.
 *
 * <h2>Cost</h2>
 * <ul>
 *   <li>Event off (no recording, or a recording that does not enable it): {@code xxxBegin} reads one array slot and
 *       the event type's enabled flag ({@link EventType#isEnabled()}) and returns {@code null}; {@code xxxEnd(null,
 *       ...)} is a null check; an instant event is the same check. No event object, no boxing, no lambda, no
 *       string is made. Arguments are primitives, strings the caller already holds, or the callback itself (whose
 *       class name is read only when the event is recorded). {@code TraceBench} measures it against an empty call.
 *   <li>Per-item events (IrqHandler, IrqThread, Softirq, SoftirqRaise, IrqWork, Ipi, Tasklet, TimerExpire,
 *       WorkQueue, WorkActivate, WorkExecute) are {@code @Enabled(false)} by default. JFR gives every event a
 *       recording does not name its annotation defaults, so a recording with only the JDK's settings (say, a
 *       production {@code -XX:StartFlightRecording}) would otherwise switch them all on: TraceBench measured a
 *       tasklet tracepoint at ~285 ns and 56 B per call that way. The rare events (watchdogs, failures, the spurious
 *       detector, hotplug, lifecycle) are on by default. {@code kdefer.jfc} and {@code kdefer-profile.jfc} switch
 *       the per-item events on explicitly.
 *   <li>Event on: {@code xxxBegin} allocates the event and reads JFR's clock; {@code xxxEnd} fills the fields and
 *       commits only if the event passes its threshold and settings ({@link Event#shouldCommit()}).
 *   <li>Until the JVM's Flight Recorder is initialized (the first recording of this JVM), the event types are not
 *       even resolved: resolving them registers the event classes with JFR, which initializes JFR (about 200 ms on
 *       the development machine). A {@link FlightRecorderListener} resolves them when the recorder comes up,
 *       before the recording's settings are applied.
 * </ul>
 *
 * <h2>Threads</h2>
 * Every method may be called from any thread and context (hardirq, NMI, softirq, workers). An event's begin and
 * end must be called by the same thread (JFR events are not thread-safe).
 */
public final class Trace {
    /* Implementation notes
     *
     * TYPES[id] is null until JFR is initialized, then the EventType of event id, written once by the listener
     * (racy publication is safe: EventType's state is in final fields, and a stale null only means "off" for a
     * moment after the first recording starts). EventType.isEnabled() reads a plain boolean JFR flips when a
     * recording enables or disables the event; hot paths see the change at their next call.
     *
     * Why not a boolean of our own kept in sync by a FlightRecorderListener: the listener hears recording state
     * changes, not settings changes of a running recording (Recording.enable after start), so it would go stale.
     *
     * Event fields carry no concurrency codes: an event object is thread-confined (created, filled and committed
     * by the emitting thread between begin and commit; JFR copies it into its thread-local buffer at commit), so
     * every field is what the root package-info calls C, with the thread in place of the CPU.
     *
     * Why begin/end instead of a clock value: a JFR event's startTime and duration can only be set by begin() and
     * end() on the event object itself, so a duration event has to exist from its start when it is on.
     */
    static final int IRQ_HANDLER = 0;
    static final int IRQ_SPURIOUS = 1;
    static final int IRQ_REPLAY = 2;
    static final int IRQ_THREAD = 3;
    static final int IRQ_NOBODY_CARED = 4;
    static final int SOFTIRQ = 5;
    static final int SOFTIRQ_RAISE = 6;
    static final int KSOFTIRQD = 7;
    static final int IRQ_WORK = 8;
    static final int IPI = 9;
    static final int TASKLET = 10;
    static final int TIMER_EXPIRE = 11;
    static final int WORK_QUEUE = 12;
    static final int WORK_ACTIVATE = 13;
    static final int WORK_EXECUTE = 14;
    static final int WORKQUEUE_STALL = 15;
    static final int WORKQUEUE_MAYDAY = 16;
    static final int WORKQUEUE_RESCUER = 17;
    static final int SOFT_LOCKUP = 18;
    static final int CPU_HOTPLUG = 19;
    static final int MACHINE_STATE = 20;
    static final int CALLBACK_FAILED = 21;

    /** Every kdefer event class, indexed by the ids above. */
    private static final List<Class<? extends Event>> EVENT_CLASSES = List.of(
            IrqHandlerEvent.class, IrqSpuriousEvent.class, IrqReplayEvent.class, IrqThreadEvent.class,
            IrqNobodyCaredEvent.class, SoftirqEvent.class, SoftirqRaiseEvent.class, KsoftirqdEvent.class,
            IrqWorkEvent.class, IpiEvent.class, TaskletEvent.class, TimerExpireEvent.class, WorkQueueEvent.class,
            WorkActivateEvent.class, WorkExecuteEvent.class, WorkqueueStallEvent.class, WorkqueueMaydayEvent.class,
            WorkqueueRescuerEvent.class, SoftLockupEvent.class, CpuHotplugEvent.class, MachineStateEvent.class,
            CallbackFailedEvent.class);

    private static final EventType[] TYPES = new EventType[EVENT_CLASSES.size()];   // R: see notes

    /** The {@code result} values of {@link #irqHandlerEnd} and {@link #irqThreadEnd}: the kernel's irqreturn_t. */
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
    public static final String ENABLE = "ENABLE";
    /** {@link #ksoftirqd} reasons. */
    public static final String RESTARTS = "RESTARTS";
    public static final String TIME = "TIME";
    /** {@link #hotplugEnd} actions. */
    public static final String OFFLINE = "OFFLINE";
    public static final String ONLINE = "ONLINE";

    /** The kernel's softirq vector names, by vector number (the order of {@code io.kdefer.softirq.Softirq}). */
    private static final String[] SOFTIRQ_NAMES =
            {"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"};

    static {
        FlightRecorder.addListener(new FlightRecorderListener() {
            @Override
            public void recorderInitialized(FlightRecorder recorder) {
                resolve();
            }
        });
    }

    private Trace() {
    }

    /**
     * Makes sure this class is initialized (its JFR listener registered, about 20 ms the first time in a JVM), so
     * that cost falls on the caller (machine boot) rather than on the first hardirq that reaches a hook.
     */
    public static void init() {
        // the static initializer did the work
    }

    /** Every kdefer JFR event class (for settings files, tests and tools). */
    public static List<Class<? extends Event>> eventClasses() {
        return EVENT_CLASSES;
    }

    /**
     * Registers every kdefer event class with JFR now (initializing JFR if it is not yet), so tools that list the
     * registered event types (JMC, {@code jfr metadata}, {@code jcmd JFR.check}) show them before the first one
     * is emitted.
     */
    public static void register() {
        for (Class<? extends Event> c : EVENT_CLASSES) {
            FlightRecorder.register(c);
        }
        resolve();
    }

    private static synchronized void resolve() {
        for (int i = 0; i < TYPES.length; i++) {
            if (TYPES[i] == null) {
                TYPES[i] = EventType.getEventType(EVENT_CLASSES.get(i));
            }
        }
    }

    /** Whether the event with this id would be recorded now (hot path: one array read, one flag read). */
    static boolean on(int id) {
        EventType t = TYPES[id];
        return t != null && t.isEnabled();
    }

    private static String className(Object fn) {
        return fn == null ? null : fn.getClass().getName();
    }

    static String resultName(int result) {
        switch (result) {
            case RESULT_NONE:
                return "NONE";
            case RESULT_HANDLED:
                return "HANDLED";
            case RESULT_WAKE_THREAD:
                return "WAKE_THREAD";
            case RESULT_WAKE_THREAD | RESULT_HANDLED:
                return "HANDLED|WAKE_THREAD";
            case RESULT_THREW:
                return "THREW";
            default:
                return "BOGUS";
        }
    }

    static String softirqName(int nr) {
        return nr >= 0 && nr < SOFTIRQ_NAMES.length ? SOFTIRQ_NAMES[nr] : Integer.toString(nr);
    }

    static String softirqNames(int pending) {
        StringBuilder sb = new StringBuilder();
        for (int bits = pending; bits != 0; bits &= bits - 1) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(softirqName(Integer.numberOfTrailingZeros(bits)));
        }
        return sb.toString();
    }

    private static long latencySince(long queuedAt) {
        return queuedAt == 0 ? Long.MIN_VALUE : Math.max(0, System.nanoTime() - queuedAt);
    }

    static String format(StackTraceElement[] stack) {
        if (stack == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (StackTraceElement f : stack) {
            sb.append(f).append('\n');
        }
        return sb.toString();
    }

    /**
     * The queue-side stamp for a primitive whose run event carries a queue latency: {@code System.nanoTime()}
     * (never 0) if the run event {@code id} or {@code latency} recording is on, else 0.
     */
    private static long stamp(int id, LatencyRecorder latency) {
        if (!on(id) && (latency == null || !latency.isEnabled())) {
            return 0;
        }
        long t = System.nanoTime();
        return t == 0 ? 1 : t;
    }

    // ---------------------------------------------------------------------------------------------- irq

    /** Before a primary handler runs (kernel: irq_handler_entry). */
    public static IrqHandlerEvent irqHandlerBegin() {
        if (!on(IRQ_HANDLER)) {
            return null;
        }
        IrqHandlerEvent e = new IrqHandlerEvent();
        e.begin();
        return e;
    }

    /**
     * After the handler returned (kernel: irq_handler_exit).
     *
     * @param result one of the {@code RESULT_*} constants (what this handler returned)
     */
    public static void irqHandlerEnd(IrqHandlerEvent e, String machine, int cpu, int irq, String name, int result,
                                     boolean nmi) {
        if (e == null) {
            return;
        }
        e.end();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.irq = irq;
            e.name = name;
            e.result = resultName(result);
            e.nmi = nmi;
            e.commit();
        }
    }

    /** An interrupt with no action on its line, or a bogus handler result ({@link #NO_ACTION}, {@link #BOGUS}). */
    public static void irqSpurious(String machine, int cpu, int irq, String reason) {
        if (!on(IRQ_SPURIOUS)) {
            return;
        }
        IrqSpuriousEvent e = new IrqSpuriousEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.irq = irq;
            e.reason = reason;
            e.commit();
        }
    }

    /**
     * An interrupt set aside ({@link #MARKED}, reason {@link #DISABLED} or {@link #IN_PROGRESS}) or a pending edge
     * resent ({@link #RESENT}, reason {@link #ENABLE}).
     */
    public static void irqReplay(String machine, int cpu, int irq, String phase, String reason) {
        if (!on(IRQ_REPLAY)) {
            return;
        }
        IrqReplayEvent e = new IrqReplayEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.irq = irq;
            e.phase = phase;
            e.reason = reason;
            e.commit();
        }
    }

    /** Before a thread function runs on its IRQ thread. */
    public static IrqThreadEvent irqThreadBegin() {
        if (!on(IRQ_THREAD)) {
            return null;
        }
        IrqThreadEvent e = new IrqThreadEvent();
        e.begin();
        return e;
    }

    /** After the thread function returned; {@code result} as for {@link #irqHandlerEnd}. */
    public static void irqThreadEnd(IrqThreadEvent e, String machine, int cpu, int irq, String name, int result) {
        if (e == null) {
            return;
        }
        e.end();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.irq = irq;
            e.name = name;
            e.result = resultName(result);
            e.commit();
        }
    }

    /** The spurious detector disabled a line ("nobody cared"). */
    public static void irqNobodyCared(String machine, int cpu, int irq, int unhandled, int window, String handlers,
                                      boolean polled) {
        if (!on(IRQ_NOBODY_CARED)) {
            return;
        }
        IrqNobodyCaredEvent e = new IrqNobodyCaredEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.irq = irq;
            e.unhandled = unhandled;
            e.window = window;
            e.handlers = handlers;
            e.polled = polled;
            e.commit();
        }
    }

    // ---------------------------------------------------------------------------------------------- softirq

    /** Before a softirq action runs (kernel: softirq_entry). */
    public static SoftirqEvent softirqBegin() {
        if (!on(SOFTIRQ)) {
            return null;
        }
        SoftirqEvent e = new SoftirqEvent();
        e.begin();
        return e;
    }

    /**
     * After the action returned (kernel: softirq_exit).
     *
     * @param vector the vector number (Softirq ordinal)
     * @param items  tasklets or timers the action ran, -1 if unknown
     */
    public static void softirqEnd(SoftirqEvent e, String machine, int cpu, int vector, int items, boolean ksoftirqd) {
        if (e == null) {
            return;
        }
        e.end();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.vector = softirqName(vector);
            e.items = items;
            e.ksoftirqd = ksoftirqd;
            e.commit();
        }
    }

    /** A vector was raised on {@code cpu} (kernel: softirq_raise). */
    public static void softirqRaise(String machine, int cpu, int vector, boolean wasPending) {
        if (!on(SOFTIRQ_RAISE)) {
            return;
        }
        SoftirqRaiseEvent e = new SoftirqRaiseEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.vector = softirqName(vector);
            e.wasPending = wasPending;
            e.commit();
        }
    }

    /**
     * A drain ran out of budget; {@code pending} (one bit per vector) goes to the ksoftirqd phase.
     *
     * @param reason {@link #RESTARTS} or {@link #TIME}
     */
    public static void ksoftirqd(String machine, int cpu, int pending, String reason) {
        if (!on(KSOFTIRQD)) {
            return;
        }
        KsoftirqdEvent e = new KsoftirqdEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.pending = softirqNames(pending);
            e.reason = reason;
            e.commit();
        }
    }

    // ---------------------------------------------------------------------------------------------- irq_work

    /** Queue side of irq_work: see the hook pattern. */
    public static long irqWorkStamp(LatencyRecorder latency) {
        return stamp(IRQ_WORK, latency);
    }

    /** Before an irq_work callback runs; {@code queuedAt} from {@link #irqWorkStamp} (0: unknown). */
    public static IrqWorkEvent irqWorkBegin(long queuedAt) {
        if (!on(IRQ_WORK)) {
            return null;
        }
        IrqWorkEvent e = new IrqWorkEvent();
        e.queueLatency = latencySince(queuedAt);
        e.begin();
        return e;
    }

    /** After the callback returned. */
    public static void irqWorkEnd(IrqWorkEvent e, String machine, int cpu, boolean lazy, Object fn) {
        if (e == null) {
            return;
        }
        e.end();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.lazy = lazy;
            e.function = className(fn);
            e.commit();
        }
    }

    // ---------------------------------------------------------------------------------------------- smp

    /**
     * An IPI sent ({@code send}: on the sender's thread) or taken (on the target CPU).
     *
     * @param kind the IPI's name (the {@code io.kdefer.irq.Ipi} constant name)
     * @param from the sending CPU, -1 for a thread on no CPU
     */
    public static void ipi(String machine, String kind, boolean send, int from, int to) {
        if (!on(IPI)) {
            return;
        }
        IpiEvent e = new IpiEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.kind = kind;
            e.phase = send ? "SEND" : "RECEIVE";
            e.from = from;
            e.to = to;
            e.commit();
        }
    }

    // ---------------------------------------------------------------------------------------------- tasklet

    /** Queue side of tasklets: see the hook pattern. */
    public static long taskletStamp(LatencyRecorder latency) {
        return stamp(TASKLET, latency);
    }

    /** Before a tasklet callback runs (kernel: tasklet_entry); {@code queuedAt} from {@link #taskletStamp}. */
    public static TaskletEvent taskletBegin(long queuedAt) {
        if (!on(TASKLET)) {
            return null;
        }
        TaskletEvent e = new TaskletEvent();
        e.queueLatency = latencySince(queuedAt);
        e.begin();
        return e;
    }

    /** After the callback returned (kernel: tasklet_exit). */
    public static void taskletEnd(TaskletEvent e, String machine, int cpu, boolean hi, Object fn) {
        if (e == null) {
            return;
        }
        e.end();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.hi = hi;
            e.function = className(fn);
            e.commit();
        }
    }

    // ---------------------------------------------------------------------------------------------- timers

    /** Before an expired timer's callback runs (kernel: timer_expire_entry). */
    public static TimerExpireEvent timerBegin() {
        if (!on(TIMER_EXPIRE)) {
            return null;
        }
        TimerExpireEvent e = new TimerExpireEvent();
        e.begin();
        return e;
    }

    /**
     * After the callback returned (kernel: timer_expire_exit).
     *
     * @param expires   the expiry, in jiffies
     * @param lateNanos from the expiry time to the callback's start, machine clock
     */
    public static void timerEnd(TimerExpireEvent e, String machine, int cpu, long expires, long lateNanos, Object fn) {
        if (e == null) {
            return;
        }
        e.end();
        e.late = Math.max(0, lateNanos);           // before shouldCommit: the latencyThreshold setting reads it
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.expires = expires;
            e.function = className(fn);
            e.commit();
        }
    }

    // ---------------------------------------------------------------------------------------------- workqueue

    /**
     * A work item was queued (kernel: workqueue_queue_work): emits {@code kdefer.WorkQueue} if it is on, and
     * returns the queue-side stamp for {@link #workExecuteBegin} and the latency recorder (0 if neither
     * {@code kdefer.WorkExecute} nor {@code latency} recording is on).
     *
     * @param requestedCpu the CPU asked for, -1 for none; {@code cpu} the pool's CPU, -1 for unbound
     */
    public static long workQueue(LatencyRecorder latency, String machine, String workqueue, String pool,
                                 int requestedCpu, int cpu, boolean inactive, Object fn) {
        if (on(WORK_QUEUE)) {
            WorkQueueEvent e = new WorkQueueEvent();
            if (e.shouldCommit()) {
                e.machine = machine;
                e.workqueue = workqueue;
                e.pool = pool;
                e.requestedCpu = requestedCpu;
                e.cpu = cpu;
                e.inactive = inactive;
                e.function = className(fn);
                e.commit();
            }
        }
        return stamp(WORK_EXECUTE, latency);
    }

    /** A work item moved to its pool's worklist (kernel: workqueue_activate_work). */
    public static void workActivate(String machine, String workqueue, String pool, boolean delayed, Object fn) {
        if (!on(WORK_ACTIVATE)) {
            return;
        }
        WorkActivateEvent e = new WorkActivateEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.workqueue = workqueue;
            e.pool = pool;
            e.delayed = delayed;
            e.function = className(fn);
            e.commit();
        }
    }

    /** Before a worker runs a work function (kernel: workqueue_execute_start); {@code queuedAt} from {@link #workQueue}. */
    public static WorkExecuteEvent workExecuteBegin(long queuedAt) {
        if (!on(WORK_EXECUTE)) {
            return null;
        }
        WorkExecuteEvent e = new WorkExecuteEvent();
        e.queueLatency = latencySince(queuedAt);
        e.begin();
        return e;
    }

    /**
     * After the work function returned (kernel: workqueue_execute_end).
     *
     * @param blockedNanos time the function was recorded sleeping
     */
    public static void workExecuteEnd(WorkExecuteEvent e, String machine, String workqueue, String pool, String worker,
                                      long blockedNanos, boolean rescued, Object fn) {
        if (e == null) {
            return;
        }
        e.end();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.workqueue = workqueue;
            e.pool = pool;
            e.worker = worker;
            e.blocked = blockedNanos;
            e.rescued = rescued;
            e.function = className(fn);
            e.commit();
        }
    }

    /**
     * The watchdog found a stalled pool.
     *
     * @param stuck the first busy worker, or null; {@code stack} its stack (formatted only if recorded)
     */
    public static void workqueueStall(String machine, String pool, long stuckForNanos, int pending, String busyWorkers,
                                      Thread stuck, StackTraceElement[] stack) {
        if (!on(WORKQUEUE_STALL)) {
            return;
        }
        WorkqueueStallEvent e = new WorkqueueStallEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.pool = pool;
            e.stuckFor = stuckForNanos;
            e.pending = pending;
            e.busyWorkers = busyWorkers;
            e.stuckThread = stuck;
            e.stack = format(stack);
            e.commit();
        }
    }

    /** A pool asked a workqueue's rescuer for help. */
    public static void workqueueMayday(String machine, String workqueue, String pool) {
        if (!on(WORKQUEUE_MAYDAY)) {
            return;
        }
        WorkqueueMaydayEvent e = new WorkqueueMaydayEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.workqueue = workqueue;
            e.pool = pool;
            e.commit();
        }
    }

    /** Before a rescuer serves one mayday. */
    public static WorkqueueRescuerEvent rescuerBegin() {
        if (!on(WORKQUEUE_RESCUER)) {
            return null;
        }
        WorkqueueRescuerEvent e = new WorkqueueRescuerEvent();
        e.begin();
        return e;
    }

    /** After the rescue, with the number of items the rescuer ran. */
    public static void rescuerEnd(WorkqueueRescuerEvent e, String machine, String workqueue, String pool, int items) {
        if (e == null) {
            return;
        }
        e.end();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.workqueue = workqueue;
            e.pool = pool;
            e.items = items;
            e.commit();
        }
    }

    // ---------------------------------------------------------------------------------------------- cpu, machine

    /** The watchdog found a CPU stuck in atomic context; {@code stack} is formatted only if recorded. */
    public static void softLockup(String machine, int cpu, long stuckForNanos, String context, Thread stuck,
                                  StackTraceElement[] stack) {
        if (!on(SOFT_LOCKUP)) {
            return;
        }
        SoftLockupEvent e = new SoftLockupEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.stuckFor = stuckForNanos;
            e.context = context;
            e.stuckThread = stuck;
            e.stack = format(stack);
            e.commit();
        }
    }

    /** Before a CPU hotplug operation (kernel: cpuhp_enter). */
    public static CpuHotplugEvent hotplugBegin() {
        if (!on(CPU_HOTPLUG)) {
            return null;
        }
        CpuHotplugEvent e = new CpuHotplugEvent();
        e.begin();
        return e;
    }

    /**
     * After it (kernel: cpuhp_exit).
     *
     * @param action {@link #OFFLINE} or {@link #ONLINE}; {@code target} the CPU that took over, -1 for ONLINE
     */
    public static void hotplugEnd(CpuHotplugEvent e, String machine, int cpu, String action, int target) {
        if (e == null) {
            return;
        }
        e.end();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.action = action;
            e.target = target;
            e.commit();
        }
    }

    /** A machine changed lifecycle state ({@code from} BOOTING at boot). */
    public static void machineState(String machine, String from, String to, int cpus, String mode) {
        if (!on(MACHINE_STATE)) {
            return;
        }
        MachineStateEvent e = new MachineStateEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.from = from;
            e.to = to;
            e.cpus = cpus;
            e.mode = mode;
            e.commit();
        }
    }

    /**
     * A callback threw and was contained.
     *
     * @param primitive irq, irq_thread, softirq, irq_work, tasklet, timer, work or smp_call
     * @param source    the failing item; its {@code toString()} is called only if the event is recorded
     */
    public static void callbackFailed(String machine, int cpu, String primitive, Object source, Throwable t) {
        if (!on(CALLBACK_FAILED)) {
            return;
        }
        CallbackFailedEvent e = new CallbackFailedEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.primitive = primitive;
            e.source = String.valueOf(source);
            e.exception = String.valueOf(t);
            e.commit();
        }
    }
}
