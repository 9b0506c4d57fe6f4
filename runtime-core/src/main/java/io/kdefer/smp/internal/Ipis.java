/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp.internal;

import io.kdefer.cpu.Cpu;
import io.kdefer.smp.Ipi;

/**
 * Inter-processor interrupts (not API; kernel: arch/arm64/kernel/smp.c's IPI layer, x86's apic->send_IPI and the
 * system vectors): what a subsystem sends to a CPU, and the one entry through which the platform delivers it.
 * Implemented in {@code io.kdefer.smp}, registered in the machine's {@code Kernel}.
 *
 * <pre>
 *   sender subsystem                    smp (this)                 platform driver
 *   ipis.send(IRQ_WORK, cpu)   -&gt;   count, Sender.send   -&gt;   GIC: SGI 5 to cpu   (x86: ICR write, vector 0xf6)
 *   ...                                                         the CPU takes it; the driver's root handler:
 *   Handler.handle(cpu)        &lt;-   count, dispatch      &lt;-   ipis.handle(cpu, IRQ_WORK)
 * </pre>
 *
 * Handlers are set while the machine boots by the subsystem that owns each kind (smp: CALL_FUNC; irq_work:
 * IRQ_WORK); the sender is set by the platform. A kind with no handler is counted and ignored, as the kernel's
 * do_handle_IPI does for an IPI it has no case for. A bare kernel (tests) has no platform: its IPIs go nowhere.
 */
public interface Ipis {
    /** How the platform raises an IPI (the GIC's SGI write, the local APIC's ICR). */
    interface Sender {
        void send(Ipi ipi, Cpu target);
    }

    /** What a CPU does for one IPI kind, in hardirq context on it. */
    interface Handler {
        void handle(Cpu cpu);
    }

    /** The platform's sender (boot time, once). */
    void setSender(Sender sender);

    /** The handler of {@code ipi} (boot time, once per kind). */
    void setHandler(Ipi ipi, Handler handler);

    /** Sends {@code ipi} to {@code target}. Lock-free; callable from any context. */
    void send(Ipi ipi, Cpu target);

    /** The platform's entry for a taken IPI: counts it on {@code cpu} and runs its handler. Hardirq context. */
    void handle(Cpu cpu, Ipi ipi);

    /** IPIs of {@code ipi} taken on {@code cpu} (a racy snapshot). */
    long count(Cpu cpu, Ipi ipi);

    /**
     * The platform shows the IPI counts in its own /proc/interrupts rows (x86: RES, CAL, IWI among its system-vector
     * rows, kernel arch_show_interrupts); smp then adds none (its rows are arm64's show_ipi_list). Boot time.
     */
    void leaveProcRowsToPlatform();
}
