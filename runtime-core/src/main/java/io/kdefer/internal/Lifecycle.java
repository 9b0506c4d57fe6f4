/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A machine's lifecycle as its subsystems see it (not API: {@code Machine.State} is): the state word every entry
 * point reads, the participants that close drains and stops, and the count of what close left unrun.
 *
 * <h2>States</h2>
 * <pre>
 *   state       value  entry points                     -&gt; next
 *   RUNNING     0      accept work                      -&gt; CLOSING     the first close()/shutdown()
 *   CLOSING     1      refuse new work (false or ISE)   -&gt; DRAINING    participants began their drain (delayed work
 *                                                                      fired early, lazy irq_work raised, due timers
 *                                                                      raised)
 *   DRAINING    2      refuse new work                  -&gt; TERMINATED  accepted work ran (or the deadline passed),
 *                                                                      every runtime thread stopped and was joined
 *                                                                      (or reported), leftovers counted
 *   TERMINATED  3      refuse new work; waits that cannot finish any more throw instead of blocking
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>The state only moves forward. Reading it is one volatile load: entry points check it on their fast path.</li>
 *   <li>An entry point that read RUNNING may still publish its item after close began. Such an item was accepted:
 *       it runs in the drain, or, if it lands after the CPUs stopped, the enqueuer finds its CPU stopped when it
 *       re-checks after publishing (the same check that moves work off a CPU going offline) and counts it as a
 *       leftover. So every accepted item runs or is counted, exactly once (Lifecycle_02_QueueRacingClose).</li>
 * </ul>
 */
public final class Lifecycle {
    /* Implementation notes
     *
     * state is written only by the closer thread (and once, RUNNING -> CLOSING, by a CAS that elects it); every
     * other access is a read. Leftover counters are atomic because a late enqueuer (see Properties) may add to them
     * after the closer reported, from any thread.
     *
     * Participants are registered while the machine boots (before it is published) and read by the closer.
     */
    public static final int RUNNING = 0;
    public static final int CLOSING = 1;
    public static final int DRAINING = 2;
    public static final int TERMINATED = 3;

    private static final String[] NAMES = {"RUNNING", "CLOSING", "DRAINING", "TERMINATED"};

    /** What a subsystem does when its machine closes. Every method is called on the closer thread, in order. */
    public interface Participant {
        /** CLOSING: entry points already refuse; start draining what was accepted (no waiting here). */
        default void beginDrain() {
        }

        /**
         * DRAINING: wait, until {@code deadlineNanos} ({@code System.nanoTime()} based), for the accepted work this
         * subsystem holds to run. Returns whether it is idle now (nothing left that would still run).
         */
        default boolean drain(long deadlineNanos) {
            return true;
        }

        /** Ask this subsystem's threads to stop once they ran what is pending (does not wait). */
        default void stop() {
        }

        /**
         * Wait until {@code deadlineNanos} for this subsystem's threads to end; return the ones still alive. The
         * closer interrupts those, waits a short grace, and reports the ones that still did not end.
         */
        default List<Thread> join(long deadlineNanos) {
            return List.of();
        }

        /** TERMINATED: count what was accepted and will never run ({@link #leftover}). */
        default void reportLeftovers() {
        }

        /** TERMINATED: wake threads blocked in this subsystem's waits, so they see the state and return. */
        default void releaseWaiters() {
        }

        /** TERMINATED, after every participant released its waiters: drop what outlives no machine (MBeans). */
        default void terminated() {
        }
    }

    /**
     * A timer callback that close fires early, on the closer thread, instead of counting it as a leftover (delayed
     * work: the kernel's flush-on-close choice). Plain timers that are not due are cancelled and counted.
     */
    public interface EarlyFire extends Runnable {
        /** The primitive this timer belongs to, for the close report ("delayed work"). */
        String leftoverKind();
    }

    private volatile int state;                                            // A: see States
    private final List<Participant> participants = new ArrayList<>();      // I after boot
    private final ConcurrentHashMap<String, AtomicLong> leftovers = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> leftoverExamples = new ConcurrentLinkedQueue<>();
    private final AtomicLong examples = new AtomicLong();
    private final String owner;                                            // I: for messages ("machine-1")
    private final int cpus;                                                // I: for the kdefer.MachineState event
    private final String mode;                                             // I: for the kdefer.MachineState event

    public Lifecycle(String owner) {
        this(owner, 0, "");
    }

    /** A machine's lifecycle; {@code cpus} and {@code mode} describe the machine in its state events. */
    public Lifecycle(String owner, int cpus, String mode) {
        this.owner = Objects.requireNonNull(owner, "owner");
        this.cpus = cpus;
        this.mode = Objects.requireNonNull(mode, "mode");
    }

    /** The machine finished booting: the kdefer.MachineState event BOOTING -&gt; RUNNING (nothing else changes). */
    public void booted() {
        Tracepoints.machineState(owner, "BOOTING", NAMES[RUNNING], cpus, mode);
    }

    public String owner() {
        return owner;
    }

    /** Registers a participant (boot time). Close calls participants in registration order. */
    public synchronized void register(Participant p) {
        participants.add(Objects.requireNonNull(p, "participant"));
    }

    public synchronized List<Participant> participants() {
        return new ArrayList<>(participants);
    }

    public int state() {
        return state;
    }

    public static String name(int state) {
        return NAMES[state];
    }

    /** Whether close began: from CLOSING on, entry points refuse new work. One volatile read. */
    public boolean isClosed() {
        return state != RUNNING;
    }

    public boolean isTerminated() {
        return state == TERMINATED;
    }

    /** RUNNING -&gt; CLOSING; true for the one caller that moved it (the closer). */
    public boolean beginClose() {
        synchronized (this) {
            if (state != RUNNING) {
                return false;
            }
            state = CLOSING;
            notifyAll();
        }
        Tracepoints.machineState(owner, NAMES[RUNNING], NAMES[CLOSING], cpus, mode);
        return true;
    }

    /** The closer advances the state (forward only) and wakes {@link #awaitState} waiters. */
    public void advance(int next) {
        int from;
        synchronized (this) {
            from = state;
            if (next <= from) {
                throw new IllegalStateException("lifecycle of " + owner + " cannot go from " + name(from) + " to "
                        + name(next));
            }
            state = next;
            notifyAll();
        }
        Tracepoints.machineState(owner, NAMES[from], NAMES[next], cpus, mode);
    }

    /**
     * Waits until the state reaches {@code target} or {@code timeoutNanos} passed (uninterruptibly: an interrupt is
     * kept for the caller). Returns whether it reached it.
     */
    public boolean awaitState(int target, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        boolean interrupted = false;
        try {
            synchronized (this) {
                while (state < target) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    try {
                        wait(Math.max(1, left / 1_000_000));
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                return true;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Interruptible variant of {@link #awaitState} (awaitTermination). */
    public boolean awaitStateInterruptibly(int target, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (this) {
            while (state < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }

    /** The exception an entry point throws after close: "{@code what}: machine-1 is closed". */
    public IllegalStateException closedException(String what) {
        return new IllegalStateException(what + ": the machine is closed (" + owner + " is " + name(state) + ")");
    }

    /** Throws {@link #closedException} unless RUNNING. */
    public void checkOpen(String what) {
        if (state != RUNNING) {
            throw closedException(what);
        }
    }

    // ---------------------------------------------------------------------------------------------- leftovers

    /** Most example names kept per close report. */
    static final int MAX_EXAMPLES = 20;

    /**
     * Counts {@code n} accepted items of {@code primitive} ("irq_work", "tasklet", ...) that will never run;
     * {@code example} (may be null) names one of them for the report.
     */
    public void leftover(String primitive, long n, Object example) {
        if (n <= 0) {
            return;
        }
        leftovers.computeIfAbsent(primitive, k -> new AtomicLong()).addAndGet(n);
        if (example != null && examples.getAndIncrement() < MAX_EXAMPLES) {
            leftoverExamples.add(primitive + ": " + example);
        }
    }

    /** Leftover counts per primitive, a snapshot. */
    public java.util.Map<String, Long> leftovers() {
        java.util.Map<String, Long> m = new java.util.TreeMap<>();
        leftovers.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    public List<String> leftoverExamples() {
        return new ArrayList<>(leftoverExamples);
    }

    @Override
    public String toString() {
        return "Lifecycle[" + owner + " " + name(state) + "]";
    }
}
