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
 * {@code kdefer.Tasklet}: one tasklet callback ran in softirq context (HI or TASKLET vector); the duration is the
 * callback's. Kernel: {@code irq:tasklet_entry} / {@code irq:tasklet_exit} (tasklet, func). Fields:
 * <pre>
 *   machine, cpu
 *   hi            boolean  scheduled with scheduleHi (HI softirq)
 *   queueLatency  long ns  from the winning schedule() to the start of the callback (Long.MIN_VALUE: unknown)
 *   function      String   the callback's class
 * </pre>
 * Custom setting {@code latencyThreshold} ({@link LatencyThreshold}).
 */
@Name("kdefer.Tasklet")
@Label("Tasklet")
@Category({"kdefer", "tasklet"})
@Description("A tasklet callback ran in softirq context; mirrors tasklet_entry/exit")
@StackTrace(false)
@Enabled(false)
@Threshold("0 ns")
public final class TaskletEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("CPU")
    @Description("CPU whose softirq context ran the tasklet")
    int cpu;

    @Label("High Priority")
    @Description("Scheduled with scheduleHi: ran from the HI softirq")
    boolean hi;

    @Label("Queue Latency")
    @Description("From queueing to the start of the run; Long.MIN_VALUE when the queue time is unknown")
    @Timespan(Timespan.NANOSECONDS)
    long queueLatency;

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
