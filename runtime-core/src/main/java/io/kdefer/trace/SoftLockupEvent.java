/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * {@code kdefer.SoftLockup}: the watchdog found a CPU stuck in atomic context (hardirq, softirq) past the
 * soft-lockup threshold. Instant event. Kernel: no tracepoint; mirrors {@code watchdog_timer_fn}'s "BUG: soft
 * lockup - CPU#N stuck for Ns!". Committed by the watchdog thread, so the stuck CPU thread's stack is carried in
 * {@code stack} (the JFR stack trace would be the watchdog's). Fields:
 * <pre>
 *   machine, cpu
 *   stuckFor     long ns  time in the current atomic section
 *   context      String   the CPU's context, e.g. "softirq (serving)", "hardirq"
 *   stuckThread  Thread   the CPU's thread (null in MANUAL mode)
 *   stack        String   its stack, one frame per line
 * </pre>
 */
@Name("kdefer.SoftLockup")
@Label("Soft Lockup")
@Category({"kdefer", "cpu"})
@Description("A CPU stayed in atomic context past the soft-lockup threshold; carries the CPU thread's stack")
@StackTrace(false)
@Enabled(true)
public final class SoftLockupEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("CPU")
    @Description("The stuck CPU")
    int cpu;

    @Label("Stuck For")
    @Description("Time in the current atomic section")
    @Timespan(Timespan.NANOSECONDS)
    long stuckFor;

    @Label("Context")
    @Description("The CPU's context (hardirq, softirq, ...)")
    String context;

    @Label("Stuck Thread")
    @Description("The CPU's thread")
    Thread stuckThread;

    @Label("Stack")
    @Description("Stack of the stuck thread at the report, one frame per line")
    String stack;
}
