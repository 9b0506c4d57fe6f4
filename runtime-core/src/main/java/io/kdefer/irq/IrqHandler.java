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
     * @return {@link IrqReturn#NONE} if this handler's device did not raise the line; {@link IrqReturn#WAKE_THREAD}
     *         (primary handler of a threaded action) to make a run of the thread pending. {@code null} is a bogus
     *         value: it is reported (at most 100 times) and the interrupt is left out of the spurious accounting,
     *         neither handled nor unhandled, as the kernel's note_interrupt does with a bad return value. From a
     *         thread function, only HANDLED counts as handled for the deferred spurious verdict (B-SPUR-4).
     */
    IrqReturn handle(int irq, Object devId);
}
