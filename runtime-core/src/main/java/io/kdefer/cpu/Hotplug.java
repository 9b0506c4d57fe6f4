/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Await;
import io.kdefer.internal.Lifecycle;
import io.kdefer.internal.Tracepoints;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * CPU hotplug (kernel: kernel/cpu.c, the cpuhp state machine): takes a CPU offline and back, running the hooks the
 * subsystems registered at their places in the teardown and startup order. See {@link Cpu}'s hotplug state table.
 */
final class Hotplug {
    /* Implementation notes
     *
     * One lock serialises transitions (the kernel's cpu_hotplug_lock). The closer takes it at CLOSING and keeps it
     * until the machine terminated, so no CPU changes state under the drain; a transition in progress finishes first
     * (within the close deadline). Entry points check the lifecycle before and after taking the lock, so a caller
     * that waited for the closer finds the machine closed and is refused, never blocked past the close.
     */
    private final CpuSet cpus;                                         // I
    private final Lifecycle lifecycle;                                 // I
    private final ReentrantLock lock = new ReentrantLock();            // the hotplug lock
    private final List<Cpus.HotplugHook> hooks = new CopyOnWriteArrayList<>();

    Hotplug(CpuSet cpus, Lifecycle lifecycle) {
        this.cpus = cpus;
        this.lifecycle = lifecycle;
    }

    void addHook(Cpus.HotplugHook h) {
        hooks.add(Objects.requireNonNull(h, "hook"));
    }

    /**
     * Takes {@code cpu} offline, in the kernel's teardown order:
     * <pre>
     *   ONLINE      -&gt; GOING_DOWN  no longer a target for new work: home CPUs skip it, Cpu.current() stops naming
     *                              it to the threads bound to it
     *   GOING_DOWN  offlining hooks on the caller: workqueue pools unbind (their items run on unbound workers,
     *               B-WQ-44), IRQs routed to it move to another CPU and their threads follow (fixup_irqs)
     *   GOING_DOWN  -&gt; OFFLINE     on the CPU, IRQs disabled: dying hooks flush what only it can run (the call-single
     *                              queue, irq_work; B-CSD-6, B-IW-13); then it takes no more interrupts
     *   OFFLINE     dead hooks on the caller: timers, tasklets and pending softirqs move to another CPU (B-TL-11,
     *               B-SIRQ-13)
     * </pre>
     *
     * @throws IllegalStateException for the last online CPU, from atomic context (hotplug may sleep), or on a
     *         closed machine
     */
    void offline(Cpu cpu) {
        CpuContext.mightSleep("cpu offline");
        lifecycle.checkOpen("cpu offline");
        lock.lock();
        Object ev = null;
        Cpu target = null;
        try {
            lifecycle.checkOpen("cpu offline");
            if (cpu.hotplugState() == Cpu.HotplugState.OFFLINE) {
                return;
            }
            ev = Tracepoints.hotplugBegin();                 // cpuhp_enter
            for (int i = 0; i < cpus.count(); i++) {
                Cpu c = cpus.cpu(i);
                if (c != cpu && c.acceptsWork()) {
                    target = c;
                    break;
                }
            }
            if (target == null) {
                throw new IllegalStateException("cannot take " + cpu + " offline: it is the last online CPU");
            }
            cpu.setHotplugState(Cpu.HotplugState.GOING_DOWN);
            for (Cpus.HotplugHook h : hooks) {
                h.offlining(cpu, target);
            }
            cpu.runOnCpu(() -> {
                CpuContext x = cpu.atomic;
                boolean saved = x.irqsDisabled;
                x.irqsDisabled = true;
                try {
                    for (Cpus.HotplugHook h : hooks) {
                        h.dying(cpu);
                    }
                } finally {
                    x.irqsDisabled = saved;
                }
                cpu.online = false;
                cpu.setHotplugState(Cpu.HotplugState.OFFLINE);
            });
            for (Cpus.HotplugHook h : hooks) {
                h.dead(cpu, target);
            }
        } finally {
            Tracepoints.hotplugEnd(ev, lifecycle.owner(), cpu.id(), Tracepoints.OFFLINE,
                    target != null ? target.id() : -1);                           // cpuhp_exit
            lock.unlock();
        }
    }

    /**
     * Brings {@code cpu} back: OFFLINE -&gt; COMING_UP (it takes interrupts again, its tick restarts) -&gt; online hooks
     * on the caller (workqueue pools rebind) -&gt; ONLINE (a target for new work again).
     *
     * @throws IllegalStateException from atomic context, or on a closed machine
     */
    void online(Cpu cpu) {
        CpuContext.mightSleep("cpu online");
        lifecycle.checkOpen("cpu online");
        lock.lock();
        Object ev = null;
        try {
            lifecycle.checkOpen("cpu online");
            if (cpu.hotplugState() != Cpu.HotplugState.OFFLINE) {
                return;
            }
            ev = Tracepoints.hotplugBegin();                 // cpuhp_enter
            long tickNanos = cpus.tickNanos;
            cpu.runOnCpu(() -> {
                cpu.setHotplugState(Cpu.HotplugState.COMING_UP);
                cpu.online = true;
                cpu.nextTickNanos = Math.min(cpu.nextTickNanos, (cpus.clockNanos() / tickNanos + 1) * tickNanos);
            });
            for (Cpus.HotplugHook h : hooks) {
                h.online(cpu);
            }
            cpu.setHotplugState(Cpu.HotplugState.ONLINE);
            cpu.kick();
        } finally {
            Tracepoints.hotplugEnd(ev, lifecycle.owner(), cpu.id(), Tracepoints.ONLINE, -1);   // cpuhp_exit
            lock.unlock();
        }
    }

    /** Close: waits until {@code deadlineNanos} for a transition in progress; the closer then holds the lock. */
    boolean quiesce(long deadlineNanos) {
        return Await.lockUntil(lock, deadlineNanos);
    }

    void release() {
        if (lock.isHeldByCurrentThread()) {
            lock.unlock();
        }
    }
}
