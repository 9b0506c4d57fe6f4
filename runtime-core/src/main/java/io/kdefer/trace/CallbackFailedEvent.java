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
 * {@code kdefer.CallbackFailed}: a handler, callback or work function threw; the runtime contained it (DESIGN
 * section 5: counted, logged once per source, and this event for every failure). Instant event. Kernel: none
 * (a kernel oops). Fields:
 * <pre>
 *   machine, cpu (-1 for a worker or IRQ thread on no CPU)
 *   primitive  String  irq | irq_thread | softirq | irq_work | tasklet | timer | work | smp_call
 *   source     String  the failing item (action name, tasklet, work function class, ...)
 *   exception  String  the exception's class and message
 * </pre>
 */
@Name("kdefer.CallbackFailed")
@Label("Callback Failed")
@Category({"kdefer", "machine"})
@Description("A handler, callback or work function threw; the runtime contained it and kept running")
@StackTrace(false)
@Enabled(true)
public final class CallbackFailedEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("Where")
    @Description("The context that ran the callback: cpu/N for atomic contexts, a worker or IRQ thread's name")
    String where;

    @Label("Primitive")
    @Description("The subsystem whose callback threw: irq, softirq, irq_work, tasklet, time, workqueue or smp")
    String primitive;

    @Label("Source")
    @Description("The failing item")
    String source;

    @Label("Exception")
    @Description("Exception class and message")
    String exception;
}
