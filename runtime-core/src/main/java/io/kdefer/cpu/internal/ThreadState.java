/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu.internal;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;

/**
 * What one thread is on a machine: the CPU whose atomic context it executes (a CPU thread, or a MANUAL-mode driver
 * inside {@code runPending}), the CPU it is bound to as a task (a worker, an IRQ thread, an application thread after
 * {@code bindCurrentThread}), and its own task-context word. The runtime's own threads ({@link KernelThread}) carry
 * it as a field; any other thread gets one from a thread-local on first use.
 *
 * <p>This is the only place that answers "which CPU am I on" ({@code Cpu.current()}, {@code Cpus.thisCpu()},
 * {@code CpuContext.current()} all read it). Code that already has the CPU it runs on receives it as an argument
 * (hooks, flow handlers, softirq actions) and never asks.
 */
public final class ThreadState {
    /* Implementation notes
     *
     * executing is written only by the thread itself (enterManual/exitManual; a CPU thread sets it once before it
     * starts). bound is written by the thread itself (bindCurrentThread, a worker or IRQ thread binding at start or
     * after its affinity moved) or, for a kernel thread, by CPU hotplug unbinding a pool's workers from a CPU going
     * offline: hence volatile. task is touched only by the thread itself.
     */
    public Cpu executing;                                // O(this thread)
    public volatile Cpu bound;                           // A
    public CpuContext task;                              // C(this thread): created on first use by io.kdefer.cpu

    private static final ThreadLocal<ThreadState> LOCAL = new ThreadLocal<>();

    /** The calling thread's state, created on first use for a thread that is not a kernel thread. */
    public static ThreadState current() {
        Thread t = Thread.currentThread();
        if (t instanceof KernelThread) {
            return ((KernelThread) t).threadState;
        }
        ThreadState s = LOCAL.get();
        if (s == null) {
            s = new ThreadState();
            LOCAL.set(s);
        }
        return s;
    }

    /** The calling thread's state, or null for a thread that never needed one (allocation-free). */
    public static ThreadState peek() {
        Thread t = Thread.currentThread();
        return t instanceof KernelThread ? ((KernelThread) t).threadState : LOCAL.get();
    }
}
