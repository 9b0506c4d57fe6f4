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
 * {@code kdefer.IrqSpurious}: an interrupt the flow handler could not give to a handler: no action is requested
 * on the line (the kernel's "unexpected IRQ trap", {@code ack_bad_irq}, the Err row of /proc/interrupts), or a
 * handler returned a bogus value. Instant event. Kernel: no tracepoint of its own; {@code irq_handler_exit} shows
 * {@code ret=unhandled} for the handled-by-nobody case, which kdefer reports as {@code kdefer.IrqHandler} with
 * result NONE. Fields:
 * <pre>
 *   machine, cpu, irq
 *   reason   String  NO_ACTION | BOGUS
 * </pre>
 */
@Name("kdefer.IrqSpurious")
@Label("Spurious IRQ")
@Category({"kdefer", "irq"})
@Description("An interrupt arrived on a line with no handler, or a handler returned a bogus value")
@StackTrace(false)
@Enabled(true)
public final class IrqSpuriousEvent extends Event {
    @Label("Machine")
    String machine;

    @Label("CPU")
    @Description("Virtual CPU that took the interrupt")
    int cpu;

    @Label("IRQ")
    @Description("Interrupt number (GIC INTID)")
    int irq;

    @Label("Reason")
    @Description("NO_ACTION: no handler requested on the line; BOGUS: a handler returned null")
    String reason;
}
