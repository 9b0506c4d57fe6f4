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
 * {@code kdefer.WorkActivate}: a work item moved to its pool's worklist: at once when queued below max_active,
 * or later, from the inactive list, when a slot freed up. Instant event; disabled in the default settings.
 * Kernel: {@code workqueue:workqueue_activate_work} (work, function). Fields:
 * <pre>
 *   machine, workqueue, pool, function
 *   delayed  boolean  it waited on the inactive list (max_active) before this activation
 * </pre>
 */
@Name("kdefer.WorkActivate")
@Label("Work Activated")
@Category({"kdefer", "workqueue"})
@Description("An inactive work item became active (max_active had held it back); mirrors workqueue_activate_work")
@StackTrace(false)
@Enabled(false)
public final class WorkActivateEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("Workqueue")
    @Description("Name of the workqueue")
    String workqueue;

    @Label("Pool")
    @Description("Worker pool: kworker/N (bound, CPU N), kworker/NH (highpri), kworker/uP (unbound)")
    String pool;

    @Label("Delayed")
    @Description("It waited on the inactive list (max_active was reached)")
    boolean delayed;

    @Label("Function")
    @Description("Class of the callback (a lambda's synthetic class name names its enclosing class)")
    String function;
}
