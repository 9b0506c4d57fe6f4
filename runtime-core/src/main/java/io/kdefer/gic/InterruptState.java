/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.gic;

/** The architectural state of one INTID on one target (spec §2a). */
public enum InterruptState {
    INACTIVE,
    PENDING,
    /** Acknowledged and not yet deactivated: never signalled again until deactivated. */
    ACTIVE,
    /** Active, and pending again: delivered once more after deactivation (B-GIC-3). */
    ACTIVE_PENDING;

    static InterruptState of(boolean pending, boolean active) {
        if (active) {
            return pending ? ACTIVE_PENDING : ACTIVE;
        }
        return pending ? PENDING : INACTIVE;
    }
}
