/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

/**
 * The runtime's one set of spin-then-park constants, measured on a 2-core machine (DESIGN §6). Used by the CPU's idle
 * strategy, {@link Await}, and the few waits that need their own loop.
 *
 * <ul>
 *   <li>Spin briefly: a thread that busy-spins while another is being woken delays that wake-up by 1-5 ms on
 *       2 cores, so spinning is kept to about a microsecond or two.</li>
 *   <li>Never yield: a yielding thread with other runnable threads on its core queues behind them for a whole
 *       scheduler slice while still RUNNING, so a waker sees no need to unpark it (measured: ping-pong between
 *       two CPUs with one unrelated busy thread went from 34-40 us to more than 6 ms per round trip with
 *       4 yields).</li>
 *   <li>Then park, in steps doubling from {@link #MIN_PARK_NANOS} to {@link #MAX_PARK_NANOS}: the first park
 *       costs the timer slack (about 50-85 us here) whatever it asks for, and 1 ms bounds the extra latency of a
 *       long wait at a negligible CPU cost.</li>
 * </ul>
 */
public final class Backoff {
    /** Spins of a waiter before it parks ({@code Thread.onSpinWait()} each). */
    public static final int SPINS = 100;
    /** Spins of an idle virtual CPU before it parks (each spin also polls its GIC interface and clock). */
    public static final int CPU_SPINS = 64;
    /** First park of a waiter. */
    public static final long MIN_PARK_NANOS = 20_000;
    /** Longest park of a waiter. */
    public static final long MAX_PARK_NANOS = 1_000_000;

    private Backoff() {
    }

    /**
     * One step of a waiter's spin-then-park loop: {@code Thread.onSpinWait()} for the first {@link #SPINS} steps,
     * then a park of {@link #MIN_PARK_NANOS} (which costs the timer slack, about 50-85 us here) per step. For
     * waits that are usually short (a handler finishing on another CPU) and must re-check a condition under a lock
     * between steps; {@link Await} is the wait that also ends at machine termination.
     *
     * <pre>{@code
     * for (int spins = 0; busy(); ) { spins = Backoff.pause(spins); }
     * }</pre>
     *
     * @param spins the steps taken so far
     * @return {@code spins + 1}
     */
    public static int pause(int spins) {
        if (spins < SPINS) {
            Thread.onSpinWait();
        } else {
            java.util.concurrent.locks.LockSupport.parkNanos(MIN_PARK_NANOS);
        }
        return spins + 1;
    }
}
