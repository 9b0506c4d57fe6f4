/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.gic;

/**
 * How an interrupt's input becomes pending (GICD_ICFGR). SGIs are always {@link #EDGE_RISING}; SPIs and PPIs may
 * be either (B-GIC-14).
 */
public enum Trigger {
    /** Pending while the line is high, or while the software pending latch is set (B-GIC-4). */
    LEVEL_HIGH,
    /** A 0-to-1 transition sets the pending latch; edges collapse while pending (B-GIC-3). */
    EDGE_RISING
}
