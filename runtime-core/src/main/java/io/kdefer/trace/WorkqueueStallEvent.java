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
 * {@code kdefer.WorkqueueStall}: the watchdog found a worker pool whose worklist made no progress past the
 * threshold. Instant event. Kernel: no tracepoint; mirrors {@code wq_watchdog_timer_fn}'s "BUG: workqueue
 * lockup". The event is committed by the watchdog thread, so the JFR stack trace would be the watchdog's own:
 * the stuck worker's stack is carried in {@code stack} instead, and the worker in {@code stuckThread}. Fields:
 * <pre>
 *   machine, pool
 *   stuckFor     long ns  since the pool last made progress
 *   pending      int      items waiting on the worklist
 *   busyWorkers  String   the busy workers and the items they run
 *   stuckThread  Thread   the first busy worker (null if none is busy: no worker could be created)
 *   stack        String   its stack, one frame per line
 * </pre>
 */
@Name("kdefer.WorkqueueStall")
@Label("Workqueue Stall")
@Category({"kdefer", "workqueue"})
@Description("A worker pool made no progress past the watchdog threshold (workqueue lockup); carries the stuck worker's stack")
@StackTrace(false)
@Enabled(true)
public final class WorkqueueStallEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("Pool")
    @Description("Worker pool: kworker/N (bound, CPU N), kworker/NH (highpri), kworker/uP (unbound)")
    String pool;

    @Label("Stuck For")
    @Description("Time since the pool last made progress")
    @Timespan(Timespan.NANOSECONDS)
    long stuckFor;

    @Label("Pending")
    @Description("Items waiting on the worklist")
    int pending;

    @Label("Busy Workers")
    @Description("Busy workers and the items they run")
    String busyWorkers;

    @Label("Stuck Thread")
    @Description("The first busy worker; null if none is busy")
    Thread stuckThread;

    @Label("Stack")
    @Description("Stack of the stuck thread at the report, one frame per line")
    String stack;
}
