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
 * {@code kdefer.IrqHandler}: one primary (hardirq or pseudo-NMI) handler of one action ran; the event's duration is
 * the handler's. Kernel: {@code irq:irq_handler_entry} / {@code irq:irq_handler_exit} (irq, name, ret).
 * Emitted through {@link Trace#irqHandlerBegin()} / {@link Trace#irqHandlerEnd}; fields:
 * <pre>
 *   machine  String  the machine's name
 *   cpu      int     the CPU whose hardirq context ran the handler
 *   irq      int     the INTID
 *   name     String  the action's name (as in /proc/interrupts)
 *   result   String  NONE | HANDLED | WAKE_THREAD | BOGUS (the handler returned null) | THREW
 *   nmi      boolean taken as a pseudo-NMI
 * </pre>
 */
@Name("kdefer.IrqHandler")
@Label("IRQ Handler")
@Category({"kdefer", "irq"})
@Description("A primary interrupt handler ran in hardirq (or pseudo-NMI) context; mirrors irq_handler_entry/exit")
@StackTrace(false)
@Enabled(false)
@Threshold("100 us")
public final class IrqHandlerEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine the interrupt arrived on")
    String machine;

    @Label("CPU")
    @Description("Virtual CPU whose hardirq context ran the handler")
    int cpu;

    @Label("IRQ")
    @Description("Interrupt number (GIC INTID)")
    int irq;

    @Label("Name")
    @Description("Name the action was requested with, as shown in /proc/interrupts")
    String name;

    @Label("Result")
    @Description("What the handler returned: NONE, HANDLED, WAKE_THREAD, BOGUS (null) or THREW (contained)")
    String result;

    @Label("NMI")
    @Description("The handler ran as a pseudo-NMI")
    boolean nmi;
}
