/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */

/**
 * kdefer: the Linux kernel's deferral primitives (irq_work, softirqs, tasklets, timers, threaded IRQs, cross-CPU
 * calls, the concurrency-managed workqueue) as a real concurrent runtime on JVM platform threads acting as virtual
 * CPUs, driven by a simulated ARM GICv3 or, on the x86 platforms ({@link io.kdefer.Platform}), the PC's local APICs,
 * IO-APIC, 8259A pair and MSI. Start with {@link io.kdefer.Machine#boot(int)}.
 *
 * <h2>Packages</h2>
 * <pre>
 *   io.kdefer            Machine, MachineConfig, Mode, Platform       boot, shutdown, home CPUs
 *   io.kdefer.cpu        Cpu, CpuContext, IdlePolicy, PerCpu          preempt_count, checkpoints, idle, hotplug
 *   io.kdefer.gic        Gic, CpuInterface, Trigger, InterruptState   the simulated interrupt controller
 *   io.kdefer.x86        X86Chips, LocalApic, IoApic, I8259Pair, Msi  the simulated x86 interrupt hardware
 *                        VectorMatrix, IrqVectors
 *   io.kdefer.irqchip    (not API) GicV3, X86Apic and their chips     the platform drivers: genirq's IrqChips, the
 *                                                                     root handlers (do_IRQ), IPIs, the tick
 *   io.kdefer.irq        Irqs, IrqDesc, IrqHandler, IrqReturn, ...    genirq: flow handlers, actions
 *   io.kdefer.smp        Smp, CallSingleData, QueueSingleData         cross-CPU calls over IPIs
 *   io.kdefer.irqwork    IrqWork                                      NMI-safe coalescing callbacks
 *   io.kdefer.softirq    Softirq, Softirqs                            pending words, bounded drain, ksoftirqd
 *   io.kdefer.tasklet    Tasklet                                      SCHED/RUN, per-CPU hi and normal lists
 *   io.kdefer.time       TimerList                                    kernel timers on per-CPU timer wheels
 *   io.kdefer.trace      Stats                                        /proc-style tables
 *   io.kdefer.internal   not API                                      shared building blocks of the runtime
 * </pre>
 * Classes named {@code *Core} and {@code Cpus} are the runtime's SPI between its packages; applications never
 * need them.
 *
 * <h2>Field concurrency codes</h2>
 * Every field in the runtime carries one of these codes in a trailing comment (after the kernel's workqueue.c):
 * <pre>
 *   I     set before publication (constructor, or before the machine starts); read-only after.
 *   C     CPU-local: touched only by the thread executing that virtual CPU. Plain access.
 *   L(x)  guarded by lock x. Plain access under x.
 *   O(t)  single writer t; others read with getAcquire/getOpaque.
 *   A     atomic: every access through the field's VarHandle (or volatile); mode named at the call site.
 *   R     racy by design (statistics, hints); stale reads tolerated, the comment says why.
 * </pre>
 * One discipline per field: a field that seems to need two codes is split.
 *
 * <h2>Memory-ordering claims</h2>
 * Each class that promises an ordering writes it as a litmus test with a {@code Forbids:} line and names the
 * jcstress test (module {@code runtime-jcstress}) that checks it; that test names the class back.
 */
package io.kdefer;
