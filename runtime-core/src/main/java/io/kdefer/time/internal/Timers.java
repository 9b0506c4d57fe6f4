/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.time.internal;

import io.kdefer.time.TimerList;

/**
 * Timers as other subsystems create them (not API; applications use {@code new TimerList(machine, fn)}): the
 * workqueue's delayed work arms one per item. Implemented in {@code io.kdefer.time}, registered in the machine's
 * {@code Kernel}.
 */
public interface Timers {
    /** A timer of this machine that runs {@code fn} when it fires (TIMER softirq of the CPU it was armed on). */
    TimerList newTimer(Runnable fn);
}
