/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;

/** One simulated device (or group of devices) of the demo machine. */
interface DemoPart {
    /** Requests its interrupts (at the lines {@code board} gives it) and starts its device threads. */
    void start(Machine m, DemoBoard board);

    /** Stops its device threads and waits until its last event was handled. */
    void stop(Machine m) throws InterruptedException;

    /** One summary line; {@link #ok()} says whether every event was accounted for. */
    String report();

    boolean ok();
}
