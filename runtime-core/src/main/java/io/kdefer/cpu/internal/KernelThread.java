/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu.internal;

import io.kdefer.cpu.Cpu;

/**
 * A platform thread the runtime itself runs for a machine (kernel: a kthread): a CPU thread {@code cpu/N}, a worker
 * {@code kworker/...}, an IRQ thread {@code irq/N-name}, a rescuer. Runtime SPI: applications never create one.
 *
 * <p>It carries its CPU binding and task-context word as fields (no thread-local lookup on the runtime's paths),
 * knows its machine (so {@code Machine.close()} can refuse to be called from one of them: it would wait for itself),
 * and says what it is running for close reports.
 */
public abstract class KernelThread extends Thread {
    final ThreadState threadState = new ThreadState();   // see ThreadState
    private final Object machine;                        // I: the Cpus of the machine it belongs to

    /**
     * @param machine             the machine's {@code Cpus} (identity only)
     * @param inheritThreadLocals whether to inherit the creator's {@code InheritableThreadLocal} values (pool
     *                            threads serve everyone: false)
     */
    protected KernelThread(Object machine, Runnable body, String name, boolean inheritThreadLocals) {
        super(null, body, name, 0, inheritThreadLocals);
        this.machine = machine;
        setDaemon(true);
    }

    /**
     * Runs the body given to the constructor, after {@link #enterHost()}. Subclasses that override {@code run()} call
     * {@code enterHost()} (or, a CPU thread, its pinning's {@code enterCpuThread}) first themselves.
     */
    @Override
    public void run() {
        enterHost();
        super.run();
    }

    /**
     * The thread's first step: with OS pinning on ({@link Pinning}), moves it to the machine's housekeeping host CPUs.
     * Must be called on this thread.
     */
    protected final void enterHost() {
        if (machine instanceof Cpus) {
            ((Cpus) machine).pinning().enterOtherThread();
        }
    }

    /** The calling thread's task binding and context words (see {@link ThreadState}). */
    public final ThreadState threadState() {
        return threadState;
    }

    /** Whether this thread belongs to the machine whose {@code Cpus} is {@code machine}. */
    public final boolean belongsTo(Object machine) {
        return this.machine == machine;
    }

    /** The calling thread as a kernel thread of {@code machine}, or null. */
    public static KernelThread currentOf(Object machine) {
        Thread t = Thread.currentThread();
        return t instanceof KernelThread && ((KernelThread) t).machine == machine ? (KernelThread) t : null;
    }

    /**
     * Binds this thread to {@code cpu} as a task context (null: unbound). Called by the thread itself, or by CPU
     * hotplug for a worker of a pool whose CPU goes offline (it then runs unbound until the CPU is back).
     */
    public final void bindTo(Cpu cpu) {
        threadState.bound = cpu;
    }

    /** The CPU this thread is bound to as a task, or null (whether or not that CPU is online). */
    public final Cpu boundCpu() {
        return threadState.bound;
    }

    /** Joins {@code t} until {@code deadlineNanos} ({@code System.nanoTime()}), uninterruptibly; true if it ended. */
    public static boolean join(Thread t, long deadlineNanos) {
        boolean interrupted = false;
        try {
            while (t.isAlive()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    t.join(Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** What the thread is doing, for close and watchdog reports ("idle", "running Work@1f[...]"). */
    public String describeWork() {
        return getState() == State.RUNNABLE ? "running" : getState().toString().toLowerCase(java.util.Locale.ROOT);
    }
}
