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
 * {@code kdefer.IrqReplay}: the flow handler set aside an interrupt it could not run now and recorded it PENDING
 * (phase MARKED: the line is disabled, or its handlers run on another CPU), or a recorded PENDING edge was resent
 * through the controller when the line was enabled again (phase RESENT). Instant event. Kernel: no tracepoint;
 * mirrors {@code IRQS_PENDING} in the flow handlers and {@code check_irq_resend}. Fields:
 * <pre>
 *   machine, cpu (the CPU that marked it, or the CPU it is resent to), irq
 *   phase    String  MARKED | RESENT
 *   reason   String  DISABLED | IN_PROGRESS (MARKED); ENABLE (RESENT)
 * </pre>
 */
@Name("kdefer.IrqReplay")
@Label("IRQ Replay")
@Category({"kdefer", "irq"})
@Description("An interrupt that could not run was recorded pending, or a pending edge was resent on enable")
@StackTrace(false)
@Enabled(true)
public final class IrqReplayEvent extends Event {
    @Label("Machine")
    String machine;

    @Label("CPU")
    @Description("CPU that recorded the interrupt pending, or the CPU the resent edge is routed to")
    int cpu;

    @Label("IRQ")
    @Description("Interrupt number (GIC INTID)")
    int irq;

    @Label("Phase")
    @Description("MARKED: recorded pending; RESENT: replayed through the interrupt controller")
    String phase;

    @Label("Reason")
    @Description("DISABLED or IN_PROGRESS (why it was set aside), ENABLE (why it was resent)")
    String reason;
}
