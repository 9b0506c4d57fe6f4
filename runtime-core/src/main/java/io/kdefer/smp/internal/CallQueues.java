/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp.internal;

import io.kdefer.cpu.Cpu;

/**
 * The machine's per-CPU call-single queues as other subsystems use them (not API; kernel: __smp_call_single_queue,
 * which irq_work_queue_on uses). Implemented in {@code io.kdefer.smp}, registered in the machine's {@code Kernel}.
 */
public interface CallQueues {
    /**
     * Pushes {@code e} onto {@code target}'s call-single queue and sends the CALL_FUNC IPI if the queue was empty
     * (B-CSD-1). Lock-free, allocation-free. An entry queued for a CPU that went offline meanwhile moves to one that
     * is online (B-CSD-6); with none left (the machine stopped) it is counted as a close leftover.
     */
    void queue(Cpu target, CallEntry e);
}
