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
 * {@code kdefer.Ipi}: an inter-processor interrupt was sent (phase SEND, on the sender's thread: with stack
 * traces on, the event says who sent it) or taken (phase RECEIVE, on the target CPU). Instant event; disabled in
 * the default settings (one per IPI). Kernel: {@code ipi:ipi_send_cpu} (cpu, callsite, callback) and
 * {@code ipi:ipi_entry} / {@code ipi_exit} (reason). Fields:
 * <pre>
 *   machine
 *   kind   String  CALL_FUNC | IRQ_WORK | RESCHEDULE | CPU_STOP | TIMER | ... (the Ipi enum name)
 *   phase  String  SEND | RECEIVE
 *   from   int     sending CPU; -1 for a thread that runs on no CPU
 *   to     int     target CPU
 * </pre>
 */
@Name("kdefer.Ipi")
@Label("IPI")
@Category({"kdefer", "smp"})
@Description("An inter-processor interrupt was sent or received; mirrors ipi_send_cpu and ipi_entry")
@StackTrace(false)
@Enabled(false)
public final class IpiEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("Kind")
    @Description("IPI kind: CALL_FUNC, IRQ_WORK, RESCHEDULE, CPU_STOP, TIMER, ...")
    String kind;

    @Label("Phase")
    @Description("SEND: the SGI was raised; RECEIVE: the target CPU took it")
    String phase;

    @Label("From CPU")
    @Description("Sending CPU; -1 for a thread that runs on no CPU")
    int from;

    @Label("To CPU")
    @Description("Target CPU")
    int to;
}
