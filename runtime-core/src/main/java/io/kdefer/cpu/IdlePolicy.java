/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

/**
 * What a virtual CPU does when it has nothing to run.
 *
 * <p>On a machine with few cores a spinning thread steals the core that a woken thread needs: measured on
 * 2 cores, a busy-spinning thread delays another thread's wake-up by 1-5 ms (DESIGN §6). Hence the default
 * spins only briefly.
 */
public enum IdlePolicy {
    /** Never sleeps: lowest wake-up latency, burns a core per CPU. No NOHZ: the tick keeps running. */
    SPIN,
    /** The default: spin briefly (a few microseconds), then park until woken (NOHZ idle: no tick while parked). */
    BACKOFF,
    /** Parks as soon as there is nothing to do. */
    PARK
}
