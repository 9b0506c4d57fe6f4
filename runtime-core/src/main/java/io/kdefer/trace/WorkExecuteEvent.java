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
import jdk.jfr.SettingDefinition;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.Timespan;

/**
 * {@code kdefer.WorkExecute}: a worker (the event thread) ran one work item; the duration is the work function's,
 * sleeps included. Kernel: {@code workqueue:workqueue_execute_start} / {@code workqueue_execute_end} (work,
 * function). Fields:
 * <pre>
 *   machine, workqueue, pool
 *   worker        String   the worker's name (kworker/N:M, kworker/R-name for a rescuer)
 *   queueLatency  long ns  from the winning queue() to the start of the function (Long.MIN_VALUE: unknown)
 *   blocked       long ns  time the function was recorded sleeping (runtime primitives, managedBlock)
 *   rescued       boolean  run by the workqueue's rescuer
 *   function      String   the work function's class
 * </pre>
 * Custom setting {@code latencyThreshold} ({@link LatencyThreshold}): with {@code threshold} 0 and
 * {@code latencyThreshold} 10 ms (kdefer.jfc) a recording holds exactly the items that started 10 ms late or more.
 */
@Name("kdefer.WorkExecute")
@Label("Work Execution")
@Category({"kdefer", "workqueue"})
@Description("A worker ran a work item; mirrors workqueue_execute_start/end")
@StackTrace(false)
@Enabled(false)
@Threshold("10 ms")
public final class WorkExecuteEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("Workqueue")
    @Description("Name of the workqueue")
    String workqueue;

    @Label("Pool")
    @Description("Worker pool: kworker/N (bound, CPU N), kworker/NH (highpri), kworker/uP (unbound)")
    String pool;

    @Label("Worker")
    @Description("Worker thread name (kworker/N:M; kworker/R-name for a rescuer)")
    String worker;

    @Label("Queue Latency")
    @Description("From queueing to the start of the run; Long.MIN_VALUE when the queue time is unknown")
    @Timespan(Timespan.NANOSECONDS)
    long queueLatency;

    @Label("Blocked")
    @Description("Time the function was recorded sleeping")
    @Timespan(Timespan.NANOSECONDS)
    long blocked;

    @Label("Rescued")
    @Description("Run by the workqueue's rescuer")
    boolean rescued;

    @Label("Function")
    @Description("Class of the callback (a lambda's synthetic class name names its enclosing class)")
    String function;

    /** The {@code latencyThreshold} setting: see {@link LatencyThreshold}. */
    @Name("latencyThreshold")
    @Label("Queue Latency Threshold")
    @Description("Record only items that started at least this long after they were queued (0 ns: all)")
    @SettingDefinition
    protected boolean latencyThreshold(LatencyThreshold setting) {
        return setting.accepts(queueLatency);
    }
}
