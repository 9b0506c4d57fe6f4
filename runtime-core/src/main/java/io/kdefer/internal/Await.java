/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The runtime's one uninterruptible wait for a condition another thread makes true. Two shapes, one loop:
 * <ul>
 *   <li>{@link #until}: the other thread does not signal (irq_work_sync, tasklet_kill, del_timer_sync,
 *       synchronize_irq's hardirq part, a CPU hotplug step): the runner never touches the waited-for object after the
 *       state change the waiter keys on (spec §13.3), so the waiter polls, spinning briefly and then parking in
 *       growing steps ({@link Backoff}).</li>
 *   <li>{@link #untilWoken}: the other thread unparks the waiter after making the condition true (a waiting cross-CPU
 *       call: csd_lock_wait), so after the spins the waiter parks for the longest step; the timeout only serves to
 *       notice that the machine terminated.</li>
 * </ul>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Uninterruptible, like the kernel's waits: a Java interrupt neither ends the wait nor makes it spin (a set
 *       interrupt flag makes every park return at once, so the flag is taken aside while waiting); it is restored
 *       before the method returns or throws.</li>
 *   <li>Bounded by the machine: once the machine is TERMINATED, nothing will ever make the condition true, so the
 *       wait throws {@link IllegalStateException} ("... the machine is closed") instead of blocking forever.</li>
 *   <li>The condition is read after the last park, so a true condition is never missed; what the condition reads
 *       decides the ordering (use acquire reads: the caller then sees the runner's stores).</li>
 *   <li>Parks with {@code blocker} as its blocker object, so a thread dump names what it waits for.</li>
 * </ul>
 */
public final class Await {
    private Await() {
    }

    /**
     * Waits until {@code done} is true.
     *
     * @param blocker   what is waited for (the IrqWork, the Tasklet, ...), for thread dumps
     * @param lifecycle the machine whose termination ends the wait
     * @param what      the operation, for the exception ("irq_work_sync")
     * @throws IllegalStateException if the machine terminated before {@code done} became true
     */
    public static void until(Object blocker, BooleanSupplier done, Lifecycle lifecycle, String what) {
        await(blocker, done, lifecycle, what, Backoff.MIN_PARK_NANOS);
    }

    /**
     * Waits until {@code done} is true, for a condition whose maker unparks the waiter after it made it true (the
     * maker must read the waiter's identity after its own store, and the waiter publish itself before it waits).
     * Otherwise as {@link #until}.
     */
    public static void untilWoken(Object blocker, BooleanSupplier done, Lifecycle lifecycle, String what) {
        await(blocker, done, lifecycle, what, Backoff.MAX_PARK_NANOS);
    }

    /**
     * As {@link #untilWoken(Object, BooleanSupplier, Lifecycle, String)}, naming the wait {@code a + b + c}, built
     * only if the machine terminates during it (a hot path's waits allocate nothing).
     */
    public static void untilWoken(Object blocker, BooleanSupplier done, Lifecycle lifecycle, String a, Object b,
                                  String c) {
        await(blocker, done, lifecycle, a, b, c, Backoff.MAX_PARK_NANOS);
    }

    /**
     * Takes {@code lock}, waiting until {@code deadlineNanos} ({@code System.nanoTime()}), uninterruptibly (an
     * interrupt is kept for the caller). Returns whether the caller holds the lock.
     */
    public static boolean lockUntil(Lock lock, long deadlineNanos) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return lock.tryLock(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void await(Object blocker, BooleanSupplier done, Lifecycle lifecycle, String what,
                              long firstPark) {
        await(blocker, done, lifecycle, what, "", "", firstPark);
    }

    private static void await(Object blocker, BooleanSupplier done, Lifecycle lifecycle, String a, Object b,
                              String c, long firstPark) {
        if (done.getAsBoolean()) {
            return;
        }
        boolean interrupted = false;
        int spins = 0;
        long park = firstPark;
        try {
            while (!done.getAsBoolean()) {
                if (lifecycle.isTerminated()) {
                    if (done.getAsBoolean()) {
                        return;
                    }
                    throw lifecycle.closedException(a + b + c);
                }
                if (spins < Backoff.SPINS) {
                    spins++;
                    Thread.onSpinWait();
                    continue;
                }
                LockSupport.parkNanos(blocker, park);
                park = Math.min(Backoff.MAX_PARK_NANOS, park << 1);
                if (Thread.interrupted()) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
