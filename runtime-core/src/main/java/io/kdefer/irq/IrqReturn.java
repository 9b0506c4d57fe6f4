/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

/** What a handler did (kernel: irqreturn_t, B-FLOW-2). Results of the handlers on a shared line are OR-ed. */
public enum IrqReturn {
    /** Not my device: the line was not raised by this handler's device. */
    NONE,
    /** Handled. */
    HANDLED,
    /** Handled in part: wake the action's thread to finish (threaded IRQs). */
    WAKE_THREAD
}
