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
 * {@code kdefer.SoftirqRaise}: a softirq vector was raised on a CPU (the raiser is the event thread; with stack
 * traces on, the event says who raised it). Instant event, <b>disabled by default</b>: it fires as often as
 * softirqs are raised. Kernel: {@code irq:softirq_raise} (vec). Fields:
 * <pre>
 *   machine, cpu (the CPU whose pending word got the bit), vector
 *   wasPending  boolean  the bit was already set (the raise coalesced)
 * </pre>
 */
@Name("kdefer.SoftirqRaise")
@Label("Softirq Raise")
@Category({"kdefer", "softirq"})
@Description("A softirq vector was raised; mirrors softirq_raise. High rate: disabled by default")
@StackTrace(false)
@Enabled(false)
public final class SoftirqRaiseEvent extends Event {
    @Label("Machine")
    String machine;

    @Label("CPU")
    @Description("CPU the vector was raised on")
    int cpu;

    @Label("Vector")
    @Description("Softirq vector name")
    String vector;

    @Label("Was Pending")
    @Description("The vector was already pending on that CPU: this raise coalesced with an earlier one")
    boolean wasPending;
}
