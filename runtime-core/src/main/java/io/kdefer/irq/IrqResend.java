/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Tracepoints;

/**
 * Replaying an edge that arrived while its line could not take it (kernel: kernel/irq/resend.c, check_irq_resend):
 * when the line is enabled again, a recorded PENDING edge is made pending again at the controller (the chip's
 * retrigger: on the GIC, ISPENDR), so it is delivered like a fresh one (B-FLOW-8, B-GIC-16). A level line needs no
 * replay: it is still asserted if the device still wants service.
 */
final class IrqResend {
    private final Cpus cpus;    // I

    IrqResend(Cpus cpus) {
        this.cpus = cpus;
    }

    /** check_irq_resend. Descriptor lock held; the line was just unmasked. */
    void check(IrqDesc d) {
        if (d.isLevel()) {
            d.clear(IrqDesc.PENDING);           // the line re-asserts by itself
            return;
        }
        if (d.nestedThread) {
            // The kernel resends a nested line through its parent (irq_set_parent); no parent is modelled here, so the
            // edge is dropped, as the kernel drops it for a nested line without a parent (-EINVAL). B-TI-16.
            d.clear(IrqDesc.PENDING);
            return;
        }
        if (d.has(IrqDesc.REPLAY) || !d.has(IrqDesc.PENDING)) {
            return;
        }
        d.clear(IrqDesc.PENDING);
        d.set(IrqDesc.REPLAY);
        Cpu target = d.percpu ? cpus.thisCpu() : cpus.cpu(d.target);
        Tracepoints.irqReplay(cpus.lifecycle().owner(), target.id(), d.irq, Tracepoints.RESENT, Tracepoints.ENABLE);
        d.chip().retrigger(d.data, target);
    }
}
