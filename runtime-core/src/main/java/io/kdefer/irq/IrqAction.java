/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.internal.Handles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** One requested handler on a line (kernel: struct irqaction). Immutable once linked, except counters. */
final class IrqAction {
    final IrqHandler handler;       // I: primary handler (hardirq context)
    final IrqHandler threadFn;      // I: thread function, or null
    final int flags;                // I: IrqFlags as requested (trigger inherited when none was given)
    final String name;              // I
    final Object devId;             // I

    private volatile long failures;            // A: handler invocations that threw
    private volatile boolean wakeWithoutThreadReported;  // A: B-TI-8 reported once

    private static final VarHandle FAILURES = Handles.field(MethodHandles.lookup(), IrqAction.class, "failures",
            long.class);
    private static final VarHandle WAKE_REPORTED = Handles.field(MethodHandles.lookup(), IrqAction.class,
            "wakeWithoutThreadReported", boolean.class);

    IrqAction(IrqHandler handler, IrqHandler threadFn, int flags, String name, Object devId) {
        this.handler = handler;
        this.threadFn = threadFn;
        this.flags = flags;
        this.name = name;
        this.devId = devId;
    }

    /** Counts a throw; true for the first one (report once per action). */
    boolean failed() {
        return (long) FAILURES.getAndAdd(this, 1L) == 0;
    }

    long failures() {
        return failures;
    }

    boolean firstWakeWithoutThread() {
        return !(boolean) WAKE_REPORTED.getAndSet(this, true);
    }

    boolean isShared() {
        return (flags & IrqFlags.SHARED) != 0;
    }

    @Override
    public String toString() {
        return name;
    }
}
