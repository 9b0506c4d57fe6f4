/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.internal.Handles;
import io.kdefer.internal.Parker;
import io.kdefer.irq.internal.PercpuHandler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One requested handler on a line (kernel: struct irqaction). Immutable once linked, except its thread flags and
 * counters.
 *
 * <h2>Thread flags (kernel: thread_flags, IRQTF_*)</h2>
 * <pre>
 *   RUNTHREAD  a run of the thread function is owed: set by the hardirq's claim (B-TI-8), consumed by the thread
 *   WARNED     the thread function returned WAKE_THREAD (there is no secondary thread); reported once
 *   AFFINITY   the line's affinity moved: the thread re-binds itself before its next run (B-TI-9)
 *   FORCED_THREAD  forced threading (B-TI-12): the thread function is the requested primary handler, run with
 *              BH and IRQs disabled; set before linking, never cleared
 *   READY      the thread reached its loop; request returns only after it (B-TI-4, spec §13.4)
 * </pre>
 * Bit positions are the kernel's (IRQTF_RUNTHREAD 0 .. IRQTF_READY 4).
 *
 * <p>Forced threading of a primary handler that has a thread function of its own gives the action a
 * {@link #secondary} action (never linked on the line): its thread {@code irq/<irq>-s-<name>} runs the requested
 * thread function when the forced-threaded primary returns WAKE_THREAD.
 */
final class IrqAction {
    static final int RUNTHREAD = 1;
    static final int WARNED = 1 << 1;
    static final int AFFINITY = 1 << 2;
    static final int FORCED_THREAD = 1 << 3;
    static final int READY = 1 << 4;

    final IrqHandler handler;       // I: primary handler (hardirq context)
    PercpuHandler cpuHandler;       // I: the runtime's own per-CPU handler instead (set before linking), or null
    final IrqHandler threadFn;      // I: thread function, or null
    final int flags;                // I: IrqFlags as requested (trigger inherited when none was given)
    final String name;              // I
    final Object devId;             // I
    long threadMask;                // I: ONESHOT bit of this action in threads_oneshot (B-TI-6), set before linking
    IrqThread thread;               // I: irq/<irq>-<name>, set before linking; null without threadFn
    IrqAction secondary;            // I: forced threading's secondary (irq/<irq>-s-<name>), set before linking, or null
    Parker parker;                  // I: the thread's sleep and wake-up, set with thread
    volatile boolean stopRequested; // A: kthread_should_stop for the action's thread

    volatile int threadFlags;                  // A: RUNTHREAD | WARNED | AFFINITY | READY
    private volatile long failures;            // A: handler invocations that threw
    private volatile long threadFailures;      // A: thread function invocations that threw
    private volatile long threadRuns;          // O(the IRQ thread): thread function invocations
    private volatile long ignoredWakes;        // A: WAKE_THREAD after the thread stopped (B-TI-8)
    private volatile boolean wakeWithoutThreadReported;  // A: B-TI-8 reported once

    private static final VarHandle FAILURES = Handles.field(MethodHandles.lookup(), IrqAction.class, "failures",
            long.class);
    private static final VarHandle THREAD_FAILURES = Handles.field(MethodHandles.lookup(), IrqAction.class,
            "threadFailures", long.class);
    private static final VarHandle THREAD_RUNS = Handles.field(MethodHandles.lookup(), IrqAction.class,
            "threadRuns", long.class);
    private static final VarHandle IGNORED_WAKES = Handles.field(MethodHandles.lookup(), IrqAction.class,
            "ignoredWakes", long.class);
    private static final VarHandle WAKE_REPORTED = Handles.field(MethodHandles.lookup(), IrqAction.class,
            "wakeWithoutThreadReported", boolean.class);
    static final VarHandle THREAD_FLAGS = Handles.field(MethodHandles.lookup(), IrqAction.class, "threadFlags",
            int.class);

    IrqAction(IrqHandler handler, IrqHandler threadFn, int flags, String name, Object devId) {
        this.handler = handler;
        this.threadFn = threadFn;
        this.flags = flags;
        this.name = name;
        this.devId = devId;
    }

    /**
     * This action with {@code flags} instead of its own (sharing inherits a trigger, COND_ONESHOT adds ONESHOT),
     * keeping what forced threading set up: the FORCED_THREAD flag and the secondary. Before linking only.
     */
    IrqAction withFlags(int flags) {
        if (flags == this.flags) {
            return this;
        }
        IrqAction a = new IrqAction(handler, threadFn, flags, name, devId);
        a.threadFlags = threadFlags & FORCED_THREAD;
        a.secondary = secondary;
        return a;
    }

    /** Counts a throw of the primary handler (reported through Faults.threw, once per action). */
    void countFailure() {
        FAILURES.getAndAdd(this, 1L);
    }

    long failures() {
        return failures;
    }

    /** Counts a throwing thread function. */
    void countThreadFailure() {
        THREAD_FAILURES.getAndAdd(this, 1L);
    }

    long threadFailures() {
        return threadFailures;
    }

    /** One more thread function run. Only the action's thread calls this. */
    void countThreadRun() {
        THREAD_RUNS.setOpaque(this, (long) THREAD_RUNS.getOpaque(this) + 1);
    }

    long threadRuns() {
        return (long) THREAD_RUNS.getOpaque(this);
    }

    void countIgnoredWake() {
        IGNORED_WAKES.getAndAdd(this, 1L);
    }

    long ignoredWakes() {
        return ignoredWakes;
    }

    boolean firstWakeWithoutThread() {
        return !(boolean) WAKE_REPORTED.getAndSet(this, true);
    }

    /** Sets {@code bit} in the thread flags; true if this call set it (test_and_set_bit). */
    boolean testAndSetFlag(int bit) {
        return ((int) THREAD_FLAGS.getAndBitwiseOr(this, bit) & bit) == 0;
    }

    /** Clears {@code bit}; true if it was set (test_and_clear_bit). A volatile RMW even when nothing changes. */
    boolean testAndClearFlag(int bit) {
        return ((int) THREAD_FLAGS.getAndBitwiseAnd(this, ~bit) & bit) != 0;
    }

    boolean hasFlag(int bit) {
        return (threadFlags & bit) != 0;
    }

    boolean isShared() {
        return (flags & IrqFlags.SHARED) != 0;
    }

    boolean isOneshot() {
        return (flags & IrqFlags.ONESHOT) != 0;
    }

    @Override
    public String toString() {
        return name;
    }
}
