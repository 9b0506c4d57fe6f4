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
 * {@code kdefer.WorkqueueMayday}: a worker pool that could not create a worker in time asked the rescuer of a
 * MEM_RECLAIM workqueue with items on it for help. Instant event. Kernel: no tracepoint; mirrors
 * {@code send_mayday} (the wq_monitor "mayday" column). Fields: machine, workqueue, pool.
 */
@Name("kdefer.WorkqueueMayday")
@Label("Workqueue Mayday")
@Category({"kdefer", "workqueue"})
@Description("A pool that could not create a worker asked a MEM_RECLAIM workqueue's rescuer for help")
@StackTrace(false)
@Enabled(true)
public final class WorkqueueMaydayEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("Workqueue")
    @Description("Name of the workqueue")
    String workqueue;

    @Label("Pool")
    @Description("Worker pool: kworker/N (bound, CPU N), kworker/NH (highpri), kworker/uP (unbound)")
    String pool;
}
