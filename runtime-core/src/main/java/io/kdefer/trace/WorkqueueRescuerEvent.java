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
import jdk.jfr.Threshold;

/**
 * {@code kdefer.WorkqueueRescuer}: a rescuer ({@code kworker/R-name}, the event thread) served one mayday: it
 * attached to the pool and ran the items of its workqueue; the duration is the rescue's. Kernel: no tracepoint;
 * mirrors {@code rescuer_thread} (the wq_monitor "rescued" column). Fields:
 * <pre>
 *   machine, workqueue, pool
 *   items  int  work items the rescuer ran in this rescue
 * </pre>
 */
@Name("kdefer.WorkqueueRescuer")
@Label("Workqueue Rescue")
@Category({"kdefer", "workqueue"})
@Description("A workqueue's rescuer served a mayday: it ran that pool's items of its workqueue")
@StackTrace(false)
@Enabled(true)
@Threshold("0 ns")
public final class WorkqueueRescuerEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("Workqueue")
    @Description("Name of the workqueue")
    String workqueue;

    @Label("Pool")
    @Description("Worker pool: kworker/N (bound, CPU N), kworker/NH (highpri), kworker/uP (unbound)")
    String pool;

    @Label("Items")
    @Description("Work items the rescuer ran")
    int items;
}
