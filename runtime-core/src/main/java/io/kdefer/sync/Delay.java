/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import io.kdefer.cpu.internal.SleepAwareThread;
import io.kdefer.cpu.CpuContext;

/** Sleeping delays (kernel: linux/delay.h). */
public final class Delay {
    private Delay() {
    }

    /**
     * kernel: msleep_interruptible(): sleeps at least {@code millis} ms of real time (also in MANUAL mode: it is a
     * task-context sleep, not a timer). On a workqueue worker the pool counts the worker as sleeping meanwhile.
     *
     * @throws IllegalArgumentException for a negative duration
     * @throws IllegalStateException in atomic context
     */
    public static void msleep(long millis) throws InterruptedException {
        if (millis < 0) {
            throw new IllegalArgumentException("msleep: negative duration " + millis + " ms");
        }
        CpuContext.mightSleep("msleep");
        SleepAwareThread token = SleepAwareThread.blockBegin();
        try {
            Thread.sleep(millis);
        } finally {
            SleepAwareThread.blockEnd(token);
        }
    }
}
