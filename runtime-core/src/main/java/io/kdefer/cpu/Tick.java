/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Handles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A machine's time (kernel: kernel/time/tick-common.c, tick-sched.c): the machine clock (real, or virtual in MANUAL
 * mode), jiffies, the tick each CPU takes, and the NOHZ questions an idle CPU asks before it parks.
 */
final class Tick {
    /* Implementation notes
     *
     * jiffies is advanced by whichever CPU ticks (tick_do_update_jiffies64): a CAS loop that only ever raises it, so
     * CPUs catching up after NOHZ idle never move it back. The virtual clock is written only by the MANUAL driver
     * (advance), volatile for the CPUs' threads that read it (workers, IRQ threads).
     *
     * Hooks are registered while the machine boots (copy-on-write lists: a late registration is still safe).
     */
    final long tickNanos;                       // I
    private final boolean manual;               // I
    private final long clockBase;               // I: System.nanoTime() at boot (THREADED)
    private volatile long virtualNanos;         // O(the MANUAL driver): the MANUAL clock
    private volatile long jiffies;              // A: advanced by whichever CPU ticks
    private final List<Cpus.TickHook> tickHooks = new CopyOnWriteArrayList<>();
    private final List<Cpus.NohzHook> nohzHooks = new CopyOnWriteArrayList<>();

    private static final VarHandle JIFFIES = Handles.field(MethodHandles.lookup(), Tick.class, "jiffies", long.class);

    Tick(long tickNanos, boolean manual) {
        this.tickNanos = tickNanos;
        this.manual = manual;
        this.clockBase = System.nanoTime();
    }

    /** Nanoseconds since boot on the machine clock. */
    long clockNanos() {
        return manual ? virtualNanos : System.nanoTime() - clockBase;
    }

    long jiffies() {
        return jiffies;
    }

    long virtualNanos() {
        return virtualNanos;
    }

    /** MANUAL driver only: sets the virtual clock. */
    void setVirtualNanos(long nanos) {
        virtualNanos = nanos;
    }

    void addTickHook(Cpus.TickHook h) {
        tickHooks.add(Objects.requireNonNull(h, "hook"));
    }

    void addNohzHook(Cpus.NohzHook h) {
        nohzHooks.add(Objects.requireNonNull(h, "hook"));
    }

    /**
     * The timer interrupt's handler (the platform calls it in hardirq context on {@code cpu}): advances jiffies,
     * reprograms the CPU's tick and runs the tick hooks.
     */
    void tick(Cpu cpu) {
        long now = clockNanos();
        long j = now / tickNanos;
        long cur;
        while ((cur = jiffies) < j && !JIFFIES.compareAndSet(this, cur, j)) {
            Thread.onSpinWait();
        }
        cpu.tickHandled(now);
        for (Cpus.TickHook h : tickHooks) {
            h.tick(cpu);
        }
    }

    /** Does something on {@code cpu} need its periodic tick (tick_nohz_stop_tick refuses)? */
    boolean needsTick(Cpu cpu) {
        for (Cpus.NohzHook h : nohzHooks) {
            if (h.needsTick(cpu)) {
                return true;
            }
        }
        return false;
    }

    /** The clock time of {@code cpu}'s next event (timer), or {@code Long.MAX_VALUE}. */
    long nextEventNanos(Cpu cpu) {
        long next = Long.MAX_VALUE;
        for (Cpus.NohzHook h : nohzHooks) {
            next = Math.min(next, h.nextEventNanos(cpu));
        }
        return next;
    }
}
