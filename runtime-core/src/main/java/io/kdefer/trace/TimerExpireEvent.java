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
 * {@code kdefer.TimerExpire}: a {@code TimerList} expired and its callback ran from the TIMER softirq; the
 * duration is the callback's. Kernel: {@code timer:timer_expire_entry} (timer, now, function, baseclk) /
 * {@code timer:timer_expire_exit}. Fields:
 * <pre>
 *   machine, cpu
 *   expires   long     the expiry, in jiffies
 *   late      long ns  from the expiry time to the start of the callback, on the machine clock (virtual time in
 *                      MANUAL mode); never negative (timers never fire early)
 *   function  String   the callback's class
 * </pre>
 * Custom setting {@code latencyThreshold} ({@link LatencyThreshold}), applied to {@code late}.
 */
@Name("kdefer.TimerExpire")
@Label("Timer Expiry")
@Category({"kdefer", "timer"})
@Description("A timer_list callback ran from the TIMER softirq; mirrors timer_expire_entry/exit")
@StackTrace(false)
@Enabled(false)
@Threshold("0 ns")
public final class TimerExpireEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("CPU")
    @Description("CPU whose TIMER softirq ran the callback")
    int cpu;

    @Label("Expires (jiffies)")
    @Description("Expiry time in jiffies")
    long expires;

    @Label("Late By")
    @Description("From the expiry time to the start of the callback, on the machine clock")
    @Timespan(Timespan.NANOSECONDS)
    long late;

    @Label("Function")
    @Description("Class of the callback (a lambda's synthetic class name names its enclosing class)")
    String function;

    /** The {@code latencyThreshold} setting: see {@link LatencyThreshold}. */
    @Name("latencyThreshold")
    @Label("Queue Latency Threshold")
    @Description("Record only items that started at least this long after they were queued (0 ns: all)")
    @SettingDefinition
    protected boolean latencyThreshold(LatencyThreshold setting) {
        return setting.accepts(late);
    }
}
