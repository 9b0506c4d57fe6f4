/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

/**
 * An interrupt handler (kernel: irq_handler_t). A primary handler runs in hardirq context on the CPU that took the
 * interrupt, with interrupts disabled: it must not block, and should be short. A thread function runs in task
 * context on its IRQ thread and may block.
 */
@FunctionalInterface
public interface IrqHandler {
    /**
     * @param irq   the interrupt number (the GIC INTID)
     * @param devId the cookie given at request, identifying the device on a shared line
     * @return {@link IrqReturn#NONE} if this handler's device did not raise the line; {@code null} is a bogus
     *         value, reported and counted as unhandled
     */
    IrqReturn handle(int irq, Object devId);
}
