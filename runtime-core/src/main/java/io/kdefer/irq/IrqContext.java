/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

/**
 * Where {@link Irqs#requestAnyContext} installed a handler (kernel: the IRQC_IS_HARDIRQ / IRQC_IS_NESTED results of
 * request_any_context_irq), so that the driver knows whether its handler may sleep.
 */
public enum IrqContext {
    /** An ordinary line: the handler is the primary handler, run in hardirq context; it must not sleep. */
    HARDIRQ,
    /**
     * A nested-thread line (kernel: IRQC_IS_NESTED): the handler is a thread function, run in the task context of the
     * parent's IRQ thread that delivers the line with {@link Irqs#handleNestedIrq}; it may sleep.
     */
    THREADED
}
