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
 * {@code kdefer.IrqThread}: one run of a threaded handler's thread function on its {@code irq/<irq>-<name>}
 * thread (the event thread); the duration is the thread function's. Kernel: no tracepoint of its own (the run
 * shows as the {@code irq/N-name} task in {@code sched:sched_switch}; {@code irq_handler_entry} covers only the
 * primary handler). Fields:
 * <pre>
 *   machine, cpu (the CPU the thread is bound to), irq, name
 *   result   String  NONE | HANDLED | WAKE_THREAD | BOGUS | THREW
 * </pre>
 */
@Name("kdefer.IrqThread")
@Label("Threaded IRQ Run")
@Category({"kdefer", "irq"})
@Description("A threaded interrupt handler's thread function ran on its IRQ thread")
@StackTrace(false)
@Enabled(false)
@Threshold("10 ms")
public final class IrqThreadEvent extends Event {
    @Label("Machine")
    String machine;

    @Label("CPU")
    @Description("CPU the IRQ thread is bound to (the line's affinity)")
    int cpu;

    @Label("IRQ")
    @Description("Interrupt number (GIC INTID)")
    int irq;

    @Label("Name")
    @Description("Name the action was requested with")
    String name;

    @Label("Result")
    @Description("What the thread function returned: NONE, HANDLED, WAKE_THREAD, BOGUS (null) or THREW")
    String result;
}
