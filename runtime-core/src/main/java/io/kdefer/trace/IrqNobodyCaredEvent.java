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
 * {@code kdefer.IrqNobodyCared}: the spurious-interrupt detector disabled a line that kept going unhandled.
 * Instant event. Kernel: no tracepoint; mirrors {@code __report_bad_irq} ("irq N: nobody cared") and the
 * {@code IRQS_SPURIOUS_DISABLED} disable in {@code note_interrupt}. Fields:
 * <pre>
 *   machine, cpu (where the verdict fell), irq
 *   unhandled  int     unhandled interrupts in the window
 *   window     int     interrupts per detection window
 *   handlers   String  the line's action names
 *   polled     boolean shared line: its handlers are polled from now on
 * </pre>
 */
@Name("kdefer.IrqNobodyCared")
@Label("IRQ Disabled: Nobody Cared")
@Category({"kdefer", "irq"})
@Description("The spurious-interrupt detector disabled a line whose interrupts kept going unhandled")
@StackTrace(false)
@Enabled(true)
public final class IrqNobodyCaredEvent extends Event {
    @Label("Machine")
    String machine;

    @Label("CPU")
    @Description("CPU whose interrupt completed the detection window")
    int cpu;

    @Label("IRQ")
    @Description("Interrupt number (GIC INTID)")
    int irq;

    @Label("Unhandled")
    @Description("Unhandled interrupts counted in the window")
    int unhandled;

    @Label("Window")
    @Description("Interrupts per detection window (kernel: 100 000)")
    int window;

    @Label("Handlers")
    @Description("Names of the line's actions")
    String handlers;

    @Label("Polled")
    @Description("The line is shared, so its handlers are polled from now on")
    boolean polled;
}
