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

/**
 * {@code kdefer.WorkQueue}: a work item became pending on a workqueue (the queuer is the event thread: with stack
 * traces on, the event says who queued it). Instant event; disabled in the default settings (one per item).
 * Kernel: {@code workqueue:workqueue_queue_work} (work, function, workqueue, req_cpu, cpu). Fields:
 * <pre>
 *   machine, workqueue, pool
 *   requestedCpu  int      the CPU asked for (queueOn), -1 for "this CPU" / unbound
 *   cpu           int      the CPU of the pool it went to, -1 for an unbound pool
 *   inactive      boolean  max_active was reached: the item waits on the inactive list (see kdefer.WorkActivate)
 *   function      String   the work function's class
 * </pre>
 */
@Name("kdefer.WorkQueue")
@Label("Work Queued")
@Category({"kdefer", "workqueue"})
@Description("A work item was queued on a workqueue; mirrors workqueue_queue_work")
@StackTrace(false)
@Enabled(false)
public final class WorkQueueEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("Workqueue")
    @Description("Name of the workqueue")
    String workqueue;

    @Label("Pool")
    @Description("Worker pool: kworker/N (bound, CPU N), kworker/NH (highpri), kworker/uP (unbound)")
    String pool;

    @Label("Requested CPU")
    @Description("CPU asked for with queueOn; -1 for this CPU or unbound")
    int requestedCpu;

    @Label("CPU")
    @Description("CPU of the chosen pool; -1 for an unbound pool")
    int cpu;

    @Label("Inactive")
    @Description("max_active was reached: the item waits on the inactive list")
    boolean inactive;

    @Label("Function")
    @Description("Class of the callback (a lambda's synthetic class name names its enclosing class)")
    String function;
}
