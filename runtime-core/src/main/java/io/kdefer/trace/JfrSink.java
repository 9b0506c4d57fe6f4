/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import io.kdefer.internal.Tracepoints;

/**
 * The JFR side of the runtime's tracepoints ({@link Tracepoints.Sink}): makes, fills and commits the events of this
 * package. The tracepoint wrappers call it only while the event is on, so every method may allocate its event; an
 * end method receives what its begin method returned.
 *
 * <p>Event fields carry no concurrency codes: an event object is thread-confined (created, filled and committed by
 * the emitting thread between begin and commit; JFR copies it into its thread-local buffer at commit), so every
 * field is what the root package-info calls C, with the thread in place of the CPU. A duration event has to exist
 * from its start (JFR sets startTime and duration only through begin() and end() on the event object).
 */
final class JfrSink implements Tracepoints.Sink {
    /** The kernel's softirq vector names, by vector number (the order of {@code io.kdefer.softirq.Softirq}). */
    private static final String[] SOFTIRQ_NAMES =
            {"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"};

    static final JfrSink INSTANCE = new JfrSink();

    private JfrSink() {
    }

    private static String className(Object fn) {
        return fn == null ? null : fn.getClass().getName();
    }

    static String resultName(int result) {
        switch (result) {
            case Tracepoints.RESULT_NONE:
                return "NONE";
            case Tracepoints.RESULT_HANDLED:
                return "HANDLED";
            case Tracepoints.RESULT_WAKE_THREAD:
                return "WAKE_THREAD";
            case Tracepoints.RESULT_WAKE_THREAD | Tracepoints.RESULT_HANDLED:
                return "HANDLED|WAKE_THREAD";
            case Tracepoints.RESULT_THREW:
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

    /** Queue-to-start latency for an event begun now; {@code Long.MIN_VALUE} when the stamp is unknown (0). */
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

    // ---------------------------------------------------------------------------------------------- irq

    @Override
    public Object irqHandlerBegin() {
        IrqHandlerEvent e = new IrqHandlerEvent();
        e.begin();
        return e;
    }

    @Override
    public void irqHandlerEnd(Object event, String machine, int cpu, int irq, String name, int result,
                              boolean nmi) {
        IrqHandlerEvent e = (IrqHandlerEvent) event;
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

    @Override
    public void irqSpurious(String machine, int cpu, int irq, String reason) {
        IrqSpuriousEvent e = new IrqSpuriousEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.irq = irq;
            e.reason = reason;
            e.commit();
        }
    }

    @Override
    public void irqReplay(String machine, int cpu, int irq, String phase, String reason) {
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

    @Override
    public Object irqThreadBegin() {
        IrqThreadEvent e = new IrqThreadEvent();
        e.begin();
        return e;
    }

    @Override
    public void irqThreadEnd(Object event, String machine, int cpu, int irq, String name, int result) {
        IrqThreadEvent e = (IrqThreadEvent) event;
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

    @Override
    public void irqNobodyCared(String machine, int cpu, int irq, int unhandled, int window, String handlers,
                               boolean polled) {
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

    @Override
    public Object softirqBegin() {
        SoftirqEvent e = new SoftirqEvent();
        e.begin();
        return e;
    }

    @Override
    public void softirqEnd(Object event, String machine, int cpu, int vector, int items, boolean ksoftirqd) {
        SoftirqEvent e = (SoftirqEvent) event;
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

    @Override
    public void softirqRaise(String machine, int cpu, int vector, boolean wasPending) {
        SoftirqRaiseEvent e = new SoftirqRaiseEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.vector = softirqName(vector);
            e.wasPending = wasPending;
            e.commit();
        }
    }

    @Override
    public void ksoftirqd(String machine, int cpu, int pending, String reason) {
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

    @Override
    public Object irqWorkBegin(long queuedAt) {
        IrqWorkEvent e = new IrqWorkEvent();
        e.queueLatency = latencySince(queuedAt);
        e.begin();
        return e;
    }

    @Override
    public void irqWorkEnd(Object event, String machine, int cpu, boolean lazy, Object fn) {
        IrqWorkEvent e = (IrqWorkEvent) event;
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

    @Override
    public void ipi(String machine, String kind, boolean send, int from, int to) {
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

    @Override
    public Object taskletBegin(long queuedAt) {
        TaskletEvent e = new TaskletEvent();
        e.queueLatency = latencySince(queuedAt);
        e.begin();
        return e;
    }

    @Override
    public void taskletEnd(Object event, String machine, int cpu, boolean hi, Object fn) {
        TaskletEvent e = (TaskletEvent) event;
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

    @Override
    public Object timerBegin() {
        TimerExpireEvent e = new TimerExpireEvent();
        e.begin();
        return e;
    }

    @Override
    public void timerEnd(Object event, String machine, int cpu, long expires, long lateNanos, Object fn) {
        TimerExpireEvent e = (TimerExpireEvent) event;
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

    @Override
    public void workQueue(String machine, String workqueue, String pool,
                          int requestedCpu, int cpu, boolean inactive, Object fn) {
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

    @Override
    public void workActivate(String machine, String workqueue, String pool, boolean delayed, Object fn) {
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

    @Override
    public Object workExecuteBegin(long queuedAt) {
        WorkExecuteEvent e = new WorkExecuteEvent();
        e.queueLatency = latencySince(queuedAt);
        e.begin();
        return e;
    }

    @Override
    public void workExecuteEnd(Object event, String machine, String workqueue, String pool, String worker,
                               long blockedNanos, boolean rescued, Object fn) {
        WorkExecuteEvent e = (WorkExecuteEvent) event;
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

    @Override
    public void workqueueStall(String machine, String pool, long stuckForNanos, int pending, String busyWorkers,
                               Thread stuck, StackTraceElement[] stack) {
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

    @Override
    public void workqueueMayday(String machine, String workqueue, String pool) {
        WorkqueueMaydayEvent e = new WorkqueueMaydayEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.workqueue = workqueue;
            e.pool = pool;
            e.commit();
        }
    }

    @Override
    public Object rescuerBegin() {
        WorkqueueRescuerEvent e = new WorkqueueRescuerEvent();
        e.begin();
        return e;
    }

    @Override
    public void rescuerEnd(Object event, String machine, String workqueue, String pool, int items) {
        WorkqueueRescuerEvent e = (WorkqueueRescuerEvent) event;
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

    @Override
    public void softLockup(String machine, int cpu, long stuckForNanos, String context, Thread stuck,
                           StackTraceElement[] stack) {
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

    @Override
    public Object hotplugBegin() {
        CpuHotplugEvent e = new CpuHotplugEvent();
        e.begin();
        return e;
    }

    @Override
    public void hotplugEnd(Object event, String machine, int cpu, String action, int target) {
        CpuHotplugEvent e = (CpuHotplugEvent) event;
        e.end();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.cpu = cpu;
            e.action = action;
            e.target = target;
            e.commit();
        }
    }

    @Override
    public void machineState(String machine, String from, String to, int cpus, String mode) {
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

    @Override
    public void callbackFailed(String machine, String where, String primitive, Object source, Throwable t) {
        CallbackFailedEvent e = new CallbackFailedEvent();
        if (e.shouldCommit()) {
            e.machine = machine;
            e.where = where;
            e.primitive = primitive;
            e.source = String.valueOf(source);
            e.exception = String.valueOf(t);
            e.commit();
        }
    }
}
