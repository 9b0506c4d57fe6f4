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
 * {@code kdefer.Softirq}: one softirq action ran; the duration is the action's. Kernel: {@code irq:softirq_entry}
 * / {@code irq:softirq_exit} (vec). Fields:
 * <pre>
 *   machine, cpu
 *   vector     String   HI | TIMER | NET_TX | NET_RX | BLOCK | IRQ_POLL | TASKLET | SCHED | HRTIMER | RCU
 *   items      int      work items the action ran (tasklets for HI/TASKLET, timers for TIMER), -1 when the
 *                       runtime cannot see into the action (vectors opened by applications)
 *   ksoftirqd  boolean  run in the CPU's ksoftirqd phase (the irq-exit drain ran out of budget) rather than at
 *                       irq exit or local_bh_enable
 * </pre>
 */
@Name("kdefer.Softirq")
@Label("Softirq")
@Category({"kdefer", "softirq"})
@Description("A softirq action ran; mirrors softirq_entry/exit")
@StackTrace(false)
@Enabled(false)
@Threshold("1 ms")
public final class SoftirqEvent extends Event {
    @Label("Machine")
    String machine;

    @Label("CPU")
    @Description("Virtual CPU that ran the action")
    int cpu;

    @Label("Vector")
    @Description("Softirq vector name (HI, TIMER, NET_TX, NET_RX, BLOCK, IRQ_POLL, TASKLET, SCHED, HRTIMER, RCU)")
    String vector;

    @Label("Items")
    @Description("Tasklets or timers the action ran; -1 for actions the runtime cannot see into")
    int items;

    @Label("ksoftirqd")
    @Description("Ran in the CPU's ksoftirqd phase after the irq-exit drain ran out of budget")
    boolean ksoftirqd;
}
