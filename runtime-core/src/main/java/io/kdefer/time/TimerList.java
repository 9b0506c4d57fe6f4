/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.time;

import io.kdefer.Machine;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.internal.Services;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * A one-shot kernel timer (kernel: struct timer_list): its callback runs in TIMER softirq context on the CPU that
 * armed it, at the first tick at or after its expiry — never early.
 *
 * <pre>{@code
 * TimerList watchdog = new TimerList(m, () -> resetDevice());
 * watchdog.mod(Duration.ofMillis(500));     // (re)arm: fires in >= 500 ms unless modified or deleted first
 * watchdog.deleteSync();                    // off, and not running anywhere
 * }</pre>
 *
 * <h2>States</h2>
 * <pre>
 *   IDLE      not armed                    -&gt; ARMED     mod() (returns false)
 *   ARMED     in a CPU's timer wheel       -&gt; ARMED     mod() moves the expiry (returns true)
 *                                          -&gt; IDLE      delete() / deleteSync() (return true)
 *                                          -&gt; EXPIRING  its tick came: taken out of the wheel by TIMER softirq
 *   EXPIRING  fired, callback not started  -&gt; RUNNING   the softirq calls it (still "pending" until then:
 *                                                       delete()/mod() may take it back, as in the kernel)
 *   RUNNING   callback on its CPU          -&gt; IDLE      returned (RUNNING + ARMED if it re-armed itself)
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Never fires early: at the first tick of the arming CPU at or after {@code now + delay}.</li>
 *   <li>{@code mod} arms on the calling thread's CPU (the home CPU of an unbound thread), unless the callback is
 *       running right now, in which case the timer stays on its CPU (kernel: a running timer is not
 *       migrated, so {@link #deleteSync()} can wait for it there).</li>
 *   <li>Arming and deleting are safe from any thread and any context, and allocate nothing.</li>
 *   <li>{@link #deleteSync()} returns with the timer neither pending nor running anywhere, also for a timer that
 *       re-arms itself; it refuses to run in atomic context and from the timer's own callback.</li>
 *   <li>A callback that throws is contained and counted; the CPU keeps running.</li>
 *   <li>NOHZ: an idle CPU with armed timers parks until its next expiry, then ticks and expires them.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   x = 1; t.mod(d);                 [callback] r = x
 *   Forbids: r == 0 (the arming is published through the base lock the softirq takes); an armed timer that
 *   neither fires nor stays pending                                                      (TimerList_01_ArmPublishes)
 *   r0 = t.delete() racing the TIMER softirq that expires t
 *   Forbids: r0 == true and the callback runs; r0 == false and it never runs              (TimerList_02_DeleteWins)
 * </pre>
 */
public final class TimerList {
    /* Implementation notes
     *
     * Field discipline: entry, expiring, expPrev/expNext and pending are guarded by the lock of the base the
     * timer is on (base); base itself by this object's monitor (held by mod/delete/deleteSync/migrate, before
     * any base lock). The TIMER softirq never takes the monitor: it only moves timers between its own wheel, its
     * expiring list and "running", all under its base lock; so a mod() that holds the monitor and then the base
     * lock sees a consistent state.
     */
    private final TimerCore core;                                     // I
    private final Runnable fn;                                        // I
    final TimerWheel.Entry entry = new TimerWheel.Entry(this);        // L(base.lock)
    private TimerCore.Base base;                                      // L(this): the base it is on or last ran on
    volatile boolean pending;                                         // L(base.lock) writes; racy reads
    boolean expiring;                                                 // L(base.lock)
    TimerList expPrev;                                                // L(base.lock)
    TimerList expNext;                                                // L(base.lock)
    private volatile boolean failureReported;                         // A

    public TimerList(Machine machine, Runnable fn) {
        this(Services.get(machine, TimerCore.class), fn);
    }

    TimerList(TimerCore core, Runnable fn) {
        this.core = core;
        this.fn = Objects.requireNonNull(fn, "fn");
    }

    /**
     * mod_timer: (re)arms the timer to fire {@code delay} from now, on this CPU.
     *
     * @return {@code true} if it was pending (armed, or fired but not yet started) and has been moved
     * @throws IllegalArgumentException for a negative delay
     */
    public boolean mod(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("timer delay must not be negative: " + delay);
        }
        long nanos;
        try {
            nanos = delay.toNanos();
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE;
        }
        return mod(core.expiryJiffy(nanos), core.thisBase());
    }

    /** mod() onto base {@code to} (the caller's CPU), expiring at jiffy {@code expires}. */
    boolean mod(long expires, TimerCore.Base to) {
        synchronized (this) {
            TimerCore.Base from = base;
            boolean was = false;
            boolean armed = false;
            if (from != null) {
                from.lock.lock();
                try {
                    was = detach(from);
                    if (from == to || from.running == this) {
                        arm(from, expires);           // a running timer stays on its CPU
                        armed = true;
                    } else {
                        from.updateNext();
                    }
                } finally {
                    from.lock.unlock();
                }
            }
            if (!armed) {
                to.lock.lock();
                try {
                    arm(to, expires);
                    base = to;
                } finally {
                    to.lock.unlock();
                }
            }
            TimerCore.Base on = base;
            if (on.cpu != null && !on.cpu.isOnline()) {
                rescue(on);
            }
            return was;
        }
    }

    /**
     * Monitor held. The CPU chosen by mod() went offline before the timer was armed on it: after the migration of
     * its timers, so nothing would ever fire it. Offline clears the CPU's online flag before the migration takes
     * the base lock, and mod() reads the flag after releasing it, so either the migration saw this timer or this
     * read sees the CPU offline.
     */
    private void rescue(TimerCore.Base dead) {
        TimerCore.Base live = core.thisBase();
        if (live == dead) {
            return;
        }
        long expires;
        dead.lock.lock();
        try {
            if (!entry.isArmed() && !expiring) {
                return;                                  // the migration already moved it
            }
            expires = entry.expires();
            detach(dead);
            dead.updateNext();
        } finally {
            dead.lock.unlock();
        }
        live.lock.lock();
        try {
            arm(live, expires);
            base = live;
        } finally {
            live.lock.unlock();
        }
    }

    /**
     * del_timer: disarms the timer if it is pending. Does not wait for a running callback. Any context.
     *
     * @return {@code true} if it was pending
     */
    public boolean delete() {
        synchronized (this) {
            TimerCore.Base b = base;
            if (b == null) {
                return false;
            }
            b.lock.lock();
            try {
                boolean was = detach(b);
                b.updateNext();
                return was;
            } finally {
                b.lock.unlock();
            }
        }
    }

    /**
     * del_timer_sync: disarms the timer and waits until its callback is not running on any CPU. On return it is
     * neither pending nor running, also if it re-arms itself, unless someone else arms it again meanwhile.
     *
     * @return {@code true} if it was pending
     * @throws IllegalStateException from atomic context (it may sleep), or from the timer's own callback (it
     *         would wait for itself)
     */
    public boolean deleteSync() {
        Cpu exec = core.executingCpu();
        synchronized (this) {
            if (exec != null && base != null && base.running == this && base.cpu == exec) {
                throw new IllegalStateException("deleteSync() called from the timer's own callback on " + exec
                        + ": it would wait for itself forever");
            }
        }
        CpuContext.mightSleep("del_timer_sync");
        boolean was = false;
        int spins = 0;
        while (true) {
            TimerCore.Base b;
            boolean running;
            synchronized (this) {
                b = base;
                if (b == null) {
                    return was;
                }
                b.lock.lock();
                try {
                    was |= detach(b);
                    b.updateNext();
                    running = b.running == this;
                } finally {
                    b.lock.unlock();
                }
            }
            if (!running) {
                return was;
            }
            while (b.running == this) {
                if (spins++ < 100) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 20_000);
                }
            }
        }
    }

    /** timer_pending: armed, or fired and not yet started. A racy snapshot. */
    public boolean isPending() {
        return pending;
    }

    // ---------------------------------------------------------------------------------------------- internals

    // base lock held. Takes the timer off the wheel or the expiring list.
    private boolean detach(TimerCore.Base b) {
        boolean was;
        if (expiring) {
            b.unlinkExpiring(this);
            was = true;
        } else {
            was = b.wheel.remove(entry);
        }
        pending = false;
        return was;
    }

    // base lock held.
    private void arm(TimerCore.Base b, long expires) {
        long before = b.nextExpiry;
        b.wheel.add(entry, expires);
        pending = true;
        b.updateNext();
        core.kickIfEarlier(b, before);
    }

    /** Hotplug: re-arm on {@code to} with the same expiry, unless someone moved or disarmed it meanwhile. */
    void migrate(TimerCore.Base from, TimerCore.Base to) {
        synchronized (this) {
            if (base != from) {
                return;
            }
            from.lock.lock();
            try {
                if (entry.isArmed() || expiring) {
                    return;       // re-armed by a racing mod(), which moves it itself (rescue)
                }
            } finally {
                from.lock.unlock();
            }
            to.lock.lock();
            try {
                arm(to, entry.expires());
                base = to;
            } finally {
                to.lock.unlock();
            }
        }
    }

    void fire() {
        fn.run();
    }

    boolean firstFailure() {
        if (failureReported) {
            return false;
        }
        failureReported = true;
        return true;
    }

    @Override
    public String toString() {
        return "TimerList[" + (pending ? "pending" : "idle") + ", " + fn + "]";
    }
}
