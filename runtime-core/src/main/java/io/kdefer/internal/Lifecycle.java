/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Close steps the runtime's subsystems register with their machine (not API). {@code Machine.close()} runs the
 * DRAIN steps in registration order (the CPUs still run, so drained work can still raise and queue), then stops
 * the CPUs (each runs everything pending before it exits), then runs the AFTER_STOP steps in registration order
 * (report what could not run).
 */
public final class Lifecycle {
    public enum Phase { DRAIN, AFTER_STOP }

    private final List<Runnable> drain = new ArrayList<>();        // L(this)
    private final List<Runnable> afterStop = new ArrayList<>();    // L(this)

    public synchronized void onClose(Phase phase, Runnable step) {
        Objects.requireNonNull(step, "step");
        (phase == Phase.DRAIN ? drain : afterStop).add(step);
    }

    public synchronized List<Runnable> steps(Phase phase) {
        return new ArrayList<>(phase == Phase.DRAIN ? drain : afterStop);
    }
}
