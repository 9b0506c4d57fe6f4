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
 * {@code kdefer.CpuHotplug}: a CPU went offline (its work moved to {@code target}) or came back online; the
 * duration is the hotplug operation's. Kernel: {@code cpuhp:cpuhp_enter} / {@code cpuhp:cpuhp_exit}. Fields:
 * <pre>
 *   machine, cpu
 *   action  String  OFFLINE | ONLINE
 *   target  int     OFFLINE: the CPU that took over its tasklets, timers, IRQs and softirqs; ONLINE: -1
 * </pre>
 */
@Name("kdefer.CpuHotplug")
@Label("CPU Hotplug")
@Category({"kdefer", "cpu"})
@Description("A CPU went offline or came back online; mirrors cpuhp_enter/exit")
@StackTrace(false)
@Enabled(true)
@Threshold("0 ns")
public final class CpuHotplugEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("CPU")
    @Description("The CPU going offline or coming online")
    int cpu;

    @Label("Action")
    @Description("OFFLINE or ONLINE")
    String action;

    @Label("Target CPU")
    @Description("OFFLINE: the CPU that took over its work; -1 for ONLINE")
    int target;
}
