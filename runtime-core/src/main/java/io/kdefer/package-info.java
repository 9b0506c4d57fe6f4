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
 * Exported (module {@code io.kdefer}), top layer first; each layer uses only those below it:
 * <pre>
 *   io.kdefer            Machine, MachineConfig, Mode, Platform, CloseReport   boot, wiring, close
 *                        Device                                       device-managed resources (devm_*)
 *   io.kdefer.trace      Stats                                        /proc-style tables
 *   io.kdefer.workqueue  Workqueue, Work, DelayedWork, Workqueues     CMWQ pools, workers, rescuers
 *   io.kdefer.irqwork    IrqWork                                      NMI-safe coalescing callbacks
 *   io.kdefer.tasklet    Tasklet                                      SCHED/RUN, per-CPU hi and normal lists
 *   io.kdefer.time       TimerList                                    kernel timers on per-CPU timer wheels
 *   io.kdefer.sync       SpinLock, Mutex, WaitQueue, Completion       kernel-style locks and waits
 *   io.kdefer.smp        Smp, CallSingleData, QueueSingleData, Ipi    cross-CPU calls, the IPI kinds
 *   io.kdefer.irq        Irqs, IrqDesc, IrqHandler, IrqReturn, ...    genirq: flow handlers, actions, threads
 *   io.kdefer.softirq    Softirq, Softirqs                            pending words, bounded drain, ksoftirqd
 *   io.kdefer.cpu        Cpu, CpuContext, IdlePolicy, PerCpu, Host    preempt_count, checkpoints, idle, hotplug
 *   io.kdefer.gic        Gic, CpuInterface, Trigger, InterruptState   the simulated GICv3 (arm64)
 *   io.kdefer.x86        X86Chips, LocalApic, IoApic, I8259Pair, Msi  the simulated x86 interrupt hardware
 * </pre>
 * Not exported: {@code io.kdefer.irqchip} (the platform drivers: GicV3, X86Apic and their chips), the {@code *.internal} packages (the seams
 * between the subsystems, and {@code io.kdefer.internal}'s shared idioms), and each subsystem's package-private
 * core. The layers are checked by {@code ArchitectureTest}; docs/ARCHITECTURE.md walks through them.
 *
 * <h2>Field concurrency codes</h2>
 * Every field in the runtime carries one of these codes in a trailing comment (after the kernel's workqueue.c):
 * <pre>
 *   I     set before publication (constructor, or before the machine starts); read-only after.
 *   C     CPU-local: touched only by the thread executing that virtual CPU. Plain access.
 *   L(x)  guarded by lock x. Plain access under x.
 *   O(t)  single writer t; others read with getAcquire/getOpaque.
 *   WO(x) written only under lock x; read without it, as a snapshot (kernel WO: WRITE_ONCE under the lock,
 *         READ_ONCE outside). The field is volatile or accessed through its VarHandle; an unlocked reader takes
 *         only a hint or a statistic from it, or re-reads under x before it decides.
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
