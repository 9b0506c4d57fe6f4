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
 * {@code kdefer.Ksoftirqd}: a softirq drain ran out of its budget (restarts or time) and handed what is still
 * pending to the CPU's ksoftirqd phase, which runs after any signalled hardirq (softnet_stat's "squeeze").
 * Instant event. Kernel: no tracepoint of its own; mirrors {@code wakeup_softirqd()} from
 * {@code handle_softirqs}, visible as {@code sched:sched_wakeup} of {@code ksoftirqd/N}. Fields:
 * <pre>
 *   machine, cpu
 *   pending  String  the vectors left pending, e.g. "NET_RX TASKLET"
 *   reason   String  RESTARTS (10 passes) | TIME (2 ms)
 * </pre>
 */
@Name("kdefer.Ksoftirqd")
@Label("ksoftirqd Hand-off")
@Category({"kdefer", "softirq"})
@Description("A softirq drain ran out of budget and left the rest to the CPU's ksoftirqd phase")
@StackTrace(false)
@Enabled(true)
public final class KsoftirqdEvent extends Event {
    @Label("Machine")
    String machine;

    @Label("CPU")
    @Description("CPU whose drain ran out of budget")
    int cpu;

    @Label("Pending")
    @Description("Softirq vectors still pending, handed to ksoftirqd")
    String pending;

    @Label("Reason")
    @Description("RESTARTS: the pass limit (kernel: 10) was reached; TIME: the time budget (kernel: 2 ms) ran out")
    String reason;
}
