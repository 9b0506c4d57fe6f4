/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.softirq;

/**
 * The ten softirq vectors in the kernel's bit order (K-SIRQ): a lower bit runs first in a drain pass, so HI
 * tasklets run before timers and networking, normal tasklets after NET_RX, BLOCK and IRQ_POLL (B-TL-10).
 */
public enum Softirq {
    HI, TIMER, NET_TX, NET_RX, BLOCK, IRQ_POLL, TASKLET, SCHED, HRTIMER, RCU;

    /** The bit of this vector in a pending word ({@link Softirqs#pending(int)}). */
    public int bit() {
        return 1 << ordinal();
    }
}
