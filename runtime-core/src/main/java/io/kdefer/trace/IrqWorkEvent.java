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
 * {@code kdefer.IrqWork}: one irq_work callback ran in hardirq context on a CPU; the duration is the callback's.
 * Kernel: {@code irq_vectors:irq_work_entry} / {@code irq_work_exit} (x86) around {@code irq_work_run}, and
 * {@code ipi:ipi_send_cpu} for the self-IPI. Fields:
 * <pre>
 *   machine, cpu
 *   queueLatency  long ns  from the winning queue() to the start of the callback (Long.MIN_VALUE: unknown)
 *   lazy          boolean  a lazy item (ran from the tick)
 *   function      String   the callback's class
 * </pre>
 * Custom setting {@code latencyThreshold} ({@link LatencyThreshold}).
 */
@Name("kdefer.IrqWork")
@Label("irq_work")
@Category({"kdefer", "irq_work"})
@Description("An irq_work callback ran in hardirq context")
@StackTrace(false)
@Enabled(false)
@Threshold("0 ns")
public final class IrqWorkEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("CPU")
    @Description("CPU whose hardirq context ran the callback")
    int cpu;

    @Label("Queue Latency")
    @Description("From queueing to the start of the run; Long.MIN_VALUE when the queue time is unknown")
    @Timespan(Timespan.NANOSECONDS)
    long queueLatency;

    @Label("Lazy")
    @Description("A lazy item: it waited for the tick instead of raising a self-IPI")
    boolean lazy;

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
