/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.internal.KernelThread;
import io.kdefer.internal.Lifecycle;

import java.util.ArrayList;
import java.util.List;

/**
 * The IRQ threads of a machine at its close (no kernel file: the kernel never stops them all at once). Close lets
 * every IRQ thread run its pending wake-up, stops and joins it; wake-ups that arrive after that are counted in the
 * close report. Registered as a {@link Lifecycle.Participant}.
 */
final class IrqThreads implements Lifecycle.Participant {
    private final IrqTable table;             // I
    private final Lifecycle lifecycle;        // I
    private volatile boolean stopped;         // A: close stopped the IRQ threads; no new ones start

    IrqThreads(IrqTable table, Lifecycle lifecycle) {
        this.table = table;
        this.lifecycle = lifecycle;
    }

    /** Whether close stopped the threads: a request that would start one is refused. */
    boolean stopped() {
        return stopped;
    }

    /**
     * DRAINING: waits until {@code deadlineNanos} for every IRQ thread to finish its woken runs (threads_active 0 on
     * every line). Returns whether they all did.
     */
    @Override
    public boolean drain(long deadlineNanos) {
        return awaitThreadsIdle(deadlineNanos);
    }

    private boolean awaitThreadsIdle(long deadlineNanos) {
        for (IrqDesc d : table.all()) {
            while (d.threadsActive != 0) {
                if (System.nanoTime() - deadlineNanos >= 0) {
                    return false;
                }
                synchronized (d.threadWaiters) {
                    if (d.threadsActive != 0) {
                        try {
                            d.threadWaiters.wait(1);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return false;
                        }
                    }
                }
            }
        }
        return true;
    }

    /** Stop: every IRQ thread runs what is pending and exits (B-TI-14's last run); no new thread starts. */
    @Override
    public void stop() {
        stopped = true;      // first: a request that has not linked its thread yet is refused, or collected below
        for (IrqThread t : threads()) {
            t.requestStop();
        }
    }

    /** Join: waits until {@code deadlineNanos} for the IRQ threads; returns those still alive. */
    @Override
    public List<Thread> join(long deadlineNanos) {
        List<Thread> alive = new ArrayList<>();
        for (IrqThread t : threads()) {
            if (!KernelThread.join(t, deadlineNanos)) {
                alive.add(t);
            }
        }
        return alive;
    }

    /** Leftovers: wake-ups that found their thread already stopped did not run; count them. */
    @Override
    public void reportLeftovers() {
        for (IrqDesc d : table.all()) {
            for (IrqAction a : d.actions) {
                for (IrqAction x = a; x != null; x = x == a ? a.secondary : null) {
                    long n = x.ignoredWakes();
                    if (n > 0) {
                        lifecycle.leftover("IRQ thread wake", n, x.thread.getName());
                    }
                }
            }
        }
    }

    @Override
    public void releaseWaiters() {
        for (IrqDesc d : table.all()) {
            IrqThread.notifyWaiters(d);
        }
    }

    private List<IrqThread> threads() {
        List<IrqThread> threads = new ArrayList<>();
        for (IrqDesc d : table.all()) {
            d.requestLock.lock();
            try {
                for (IrqAction a : d.actions) {
                    if (a.thread != null) {
                        threads.add(a.thread);
                    }
                    if (a.secondary != null && a.secondary.thread != null) {
                        threads.add(a.secondary.thread);      // after its primary: stopped after it
                    }
                }
            } finally {
                d.requestLock.unlock();
            }
        }
        return threads;
    }

    @Override
    public String toString() {
        return "genirq";
    }
}
