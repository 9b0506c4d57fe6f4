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
 * {@code kdefer.MachineState}: a machine changed lifecycle state. Instant event. Kernel: no tracepoint; mirrors
 * {@code system_state} (SYSTEM_BOOTING, SYSTEM_RUNNING, SYSTEM_HALT ...). Fields:
 * <pre>
 *   machine
 *   from, to  String  BOOTING (from, at boot) | RUNNING | CLOSING | DRAINING | TERMINATED
 *   cpus      int     the machine's CPU count
 *   mode      String  THREADED | MANUAL
 * </pre>
 */
@Name("kdefer.MachineState")
@Label("Machine State")
@Category({"kdefer", "machine"})
@Description("A machine changed lifecycle state (boot, RUNNING, CLOSING, DRAINING, TERMINATED)")
@StackTrace(false)
@Enabled(true)
public final class MachineStateEvent extends Event {
    @Label("Machine")
    @Description("Name of the machine")
    String machine;

    @Label("From")
    @Description("Previous state (BOOTING at boot)")
    String from;

    @Label("To")
    @Description("New state: RUNNING, CLOSING, DRAINING or TERMINATED")
    String to;

    @Label("CPUs")
    @Description("Number of virtual CPUs")
    int cpus;

    @Label("Mode")
    @Description("THREADED or MANUAL")
    String mode;
}
