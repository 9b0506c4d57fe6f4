/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

/**
 * How a line's interrupts are acknowledged, masked and completed around its handlers (kernel: the flow handlers of
 * kernel/irq/chip.c). The GIC chip's operations are: mask/unmask = disable/enable the INTID in the GIC; ack =
 * deactivate at entry (so the next edge can be delivered while the handler runs); eoi = deactivate at the end.
 */
public enum FlowHandler {
    /** handle_fasteoi_irq (B-FLOW-9): the GIC default for SPIs. Deactivated at the end: the GIC's active state
     *  keeps the same SPI from being delivered again, on any CPU, while its handler runs. */
    FASTEOI,
    /** handle_level_irq (B-FLOW-6): mask and ack first, unmask after the handler unless disabled or a ONESHOT
     *  thread is outstanding. */
    LEVEL,
    /** handle_edge_irq (B-FLOW-7): ack first; an edge that arrives while another CPU runs the handler is recorded
     *  PENDING and replayed by that CPU, never lost and never run concurrently. */
    EDGE,
    /** handle_percpu_devid_irq (B-FLOW-11): SGIs and PPIs; no descriptor lock, no INPROGRESS. */
    PERCPU_DEVID,
    /** handle_fasteoi_nmi: pseudo-NMI lines requested with requestNmi; no lock, runs in NMI context. */
    FASTEOI_NMI
}
