/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.cpu.internal.KernelThread;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Tracepoints;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The soft-lockup watchdog (kernel: kernel/watchdog.c) and the machine's other periodic checks: a thread
 * {@code kdefer-watchdog} that wakes every quarter of the threshold and reports a CPU stuck in one atomic section
 * longer than the threshold, with the CPU thread's stack; it also runs the checks other subsystems registered (the
 * workqueue stall detector). THREADED mode only; off when the threshold is 0.
 */
final class SoftLockupWatchdog {
    /* Implementation notes
     *
     * Each CPU publishes the clock time its outermost atomic section began (atomicSinceNanos, opaque), 0 outside one.
     * A report is made once per section: the watchdog remembers the start it reported. reported[] and softLockups
     * are written only by the watchdog thread; softLockups is volatile for readers.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.cpu");
    private static final long MIN_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final CpuSet cpus;                                   // I
    private final Faults faults;                                 // I
    private final long thresholdNanos;                           // I: 0 = off
    private final long[] reported;                               // O(watchdog thread)
    private final List<Runnable> checks = new CopyOnWriteArrayList<>();
    private volatile long softLockups;                           // O(watchdog thread)
    private volatile boolean stop;                               // A
    private Thread thread;                                       // L(this)

    SoftLockupWatchdog(CpuSet cpus, Faults faults, long thresholdNanos) {
        this.cpus = cpus;
        this.faults = faults;
        this.thresholdNanos = thresholdNanos;
        this.reported = new long[cpus.count()];
    }

    void addCheck(Runnable check) {
        checks.add(Objects.requireNonNull(check, "check"));
    }

    synchronized void start() {
        if (thresholdNanos > 0 && thread == null) {
            thread = new KernelThread(cpus, this::loop, "kdefer-watchdog", false) {
            };
            thread.start();
        }
    }

    /** Close, stop phase: the watchdog ends. */
    synchronized Thread stop() {
        stop = true;
        if (thread != null) {
            LockSupport.unpark(thread);
        }
        return thread;
    }

    long softLockups() {
        return softLockups;
    }

    private void loop() {
        long period = Math.max(MIN_PERIOD_NANOS, thresholdNanos / 4);
        while (!stop) {
            LockSupport.parkNanos(this, period);
            faults.beforeIdle(Thread.currentThread());
            if (stop) {
                break;
            }
            check(cpus.clockNanos());
            for (Runnable c : checks) {
                try {
                    c.run();
                } catch (Throwable t) {
                    LOG.log(Level.ERROR, "watchdog check threw", t);
                }
            }
        }
    }

    /** One look at every CPU (also called by tests with a virtual clock). Nothing when the watchdog is off. */
    void check(long now) {
        if (thresholdNanos == 0) {
            return;
        }
        for (int i = 0; i < reported.length; i++) {
            Cpu c = cpus.cpu(i);
            long since = c.atomicSinceNanos();
            if (since != 0 && now - since > thresholdNanos && reported[i] != since) {
                reported[i] = since;
                softLockups++;
                Thread t = c.thread;
                Throwable where = new Throwable(c + " stack");
                StackTraceElement[] stack = t != null ? t.getStackTrace() : null;   // once: the log and the event
                if (stack != null) {
                    where.setStackTrace(stack);
                }
                String context = CpuContext.describe(c.atomic.countOpaque(), false);
                LOG.log(Level.ERROR, String.format("watchdog: BUG: soft lockup - CPU#%d stuck for %ds in %s",
                        i, TimeUnit.NANOSECONDS.toSeconds(now - since), context), where);
                Tracepoints.softLockup(cpus.lifecycle().owner(), i, now - since, context, t, stack);
            }
        }
    }
}
