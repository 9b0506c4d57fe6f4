/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.time;

import io.kdefer.cpu.Host;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.internal.Backoff;
import io.kdefer.internal.Await;
import io.kdefer.internal.Handles;
import io.kdefer.internal.Lifecycle;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Access;
import io.kdefer.internal.Kernel;
import io.kdefer.internal.Services;
import io.kdefer.softirq.internal.SoftirqEngine;
import io.kdefer.time.internal.Timers;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;

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
 *   <li>On a closed machine {@link #mod} throws IllegalStateException; {@link #delete()} and {@link #deleteSync()}
 *       still work and never block once the machine terminated. At close, timers due by then fire; timers not yet
 *       due are cancelled and counted in the close report.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   x = 1; t.mod(d);                 [callback] r = x
 *   Forbids: r == 0 (the arming is published through the base lock the softirq takes); an armed timer that
 *   neither fires nor stays pending                                                      (TimerList_01_ArmPublishes)
 *   r0 = t.delete() racing the TIMER softirq that expires t
 *   Forbids: r0 == true and the callback runs; r0 == false and it never runs              (TimerList_02_DeleteWins)
 *   r0 = t.deleteSync(); r1 = y   racing the TIMER softirq that expires t, whose callback does y = 1
 *   Forbids: r0 == false &amp;&amp; r1 == 0 (returned before the callback's stores); r0 == true and the callback runs
 *                                                                                   (TimerList_03_DeleteSyncSeesRun)
 * </pre>
 */
public final class TimerList {
    /* Implementation notes
     *
     * Locking (kernel: lock_timer_base and the MIGRATING flag). A timer is always associated with one CPU's base:
     * the one it is armed on, or last was (at first the creating thread's CPU). entry, pending, expiring and
     * expPrev/expNext are guarded by that base's lock. base is volatile and changes only under the lock of the
     * base it leaves: mod() to another CPU writes MIGRATING there, unlocks, locks the new base, arms and writes
     * the new base. Every operation starts with lockBase(): read base, spin while it is MIGRATING, lock it, and
     * re-check that base still names it (else unlock and retry). So one lock acquisition per operation, no
     * per-timer monitor, and operations on one timer are serialised by whichever base lock guards it at the time.
     * The TIMER softirq only moves timers between its own wheel, its expiring list and "running", under its base
     * lock, and never reads base. Hotplug migration moves a dead CPU's timers under both base locks (taken in
     * CPU order; the only place that holds two) and rewrites each timer's base, so an operation racing with it
     * waits on the old lock, sees base changed and retries on the new one.
     *
     * Why not the previous design (a per-timer monitor, then the base lock): twice the synchronisation per
     * operation, and its migration re-armed each timer after it had emptied the dead wheel, so a delete() in
     * between found the entry idle, returned false, and the timer then fired on the new CPU anyway (also after
     * a deleteSync() had returned).
     */
    private final TimerCore core;                                     // I
    private final Runnable fn;                                        // I
    final TimerWheel.Entry entry = new TimerWheel.Entry(this);        // L(base.lock)
    volatile TimerCore.Base base;                                     // A: written under the lock it leaves
    volatile boolean pending;                                 // WO(base.lock), release stores: isPending() reads it
    boolean expiring;                                                 // L(base.lock)
    TimerList expPrev;                                                // L(base.lock)
    TimerList expNext;                                                // L(base.lock)

    // pending is a racy snapshot for isPending(); every decision reads it under the base lock. Its stores are
    // release stores: a volatile store is a full fence on x86 and cost the arm+cancel churn ~10 ns (TimerBench).
    private static final VarHandle PENDING = Handles.field(MethodHandles.lookup(), TimerList.class, "pending",
            boolean.class);

    public TimerList(Host machine, Runnable fn) {
        this(Services.get(machine, TimerCore.class), fn);
    }

    static {
        Access.register(TimerList.class, TimerList::install);
    }

    /** The timer subsystem's installer ({@code Access}): the per-CPU bases and the TIMER softirq. */
    static void install(Kernel k) {
        TimerCore core = new TimerCore(k.get(Cpus.class), k.get(SoftirqEngine.class));
        k.put(TimerCore.class, core);
        k.put(Timers.class, fn -> new TimerList(core, fn));
    }

    TimerList(TimerCore core, Runnable fn) {
        this.core = core;
        this.fn = Objects.requireNonNull(fn, "fn");
        this.base = core.thisBase();
    }

    /**
     * mod_timer: (re)arms the timer to fire {@code delay} from now, on this CPU.
     *
     * @return {@code true} if it was pending (armed, or fired but not yet started) and has been moved
     * @throws IllegalArgumentException for a negative delay
     * @throws IllegalStateException    on a closed machine
     */
    public boolean mod(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("timer delay must not be negative: " + delay);
        }
        if (core.refusesNewWork()) {
            throw core.lifecycle.closedException("mod_timer");
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
        TimerCore.Base b = lockBase();
        boolean was;
        boolean move;
        try {
            was = detach(b);
            move = b != to && b.running != this;             // a running timer stays on its CPU (deleteSync)
            if (move) {
                b.updateNext();
                base = TimerCore.MIGRATING;
            } else {
                arm(b, expires);
                to = b;
            }
        } finally {
            b.lock.unlock();
        }
        if (move) {
            to.lock.lock();
            try {
                arm(to, expires);
                base = to;
            } finally {
                to.lock.unlock();
            }
        }
        if (to.cpu != null && !to.cpu.isOnline()) {
            rescue();
        }
        return was;
    }

    /**
     * del_timer: disarms the timer if it is pending. Does not wait for a running callback. Any context.
     *
     * @return {@code true} if it was pending
     */
    public boolean delete() {
        TimerCore.Base b = lockBase();
        try {
            boolean was = detach(b);
            if (was) {
                b.updateNext();
            }
            return was;
        } finally {
            b.lock.unlock();
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
        Cpu exec = core.cpus.executingCpu();
        TimerCore.Base on = base;
        if (exec != null && on.running == this && on.cpu == exec) {
            throw new IllegalStateException("deleteSync() called from the timer's own callback on " + exec
                    + ": it would wait for itself forever");
        }
        CpuContext.mightSleep("del_timer_sync");
        boolean was = false;
        while (true) {
            TimerCore.Base b = lockBase();
            boolean running;
            try {
                if (detach(b)) {
                    was = true;
                    b.updateNext();
                }
                running = b.running == this;
            } finally {
                b.lock.unlock();
            }
            if (!running) {
                return was;
            }
            Await.until(this, () -> b.running != this, core.lifecycle, "del_timer_sync");
        }
    }

    /** timer_pending: armed, or fired and not yet started. A racy snapshot. */
    public boolean isPending() {
        return pending;
    }

    // ---------------------------------------------------------------------------------------------- internals

    /** lock_timer_base: locks the base the timer is on and returns it. */
    private TimerCore.Base lockBase() {
        for (int spins = 0; ; spins = Backoff.pause(spins)) {
            TimerCore.Base b = base;
            if (b != TimerCore.MIGRATING) {
                b.lock.lock();
                if (base == b) {
                    return b;
                }
                b.lock.unlock();
            }
        }
    }

    // base lock held. Takes the timer off the wheel or the expiring list.
    private boolean detach(TimerCore.Base b) {
        boolean was;
        if (expiring) {
            b.unlinkExpiring(this);
            was = true;
        } else {
            was = b.wheel.remove(entry);
        }
        PENDING.setRelease(this, false);
        return was;
    }

    // base lock held.
    void arm(TimerCore.Base b, long expires) {
        long before = b.nextExpiry;
        b.wheel.add(entry, expires);
        PENDING.setRelease(this, true);
        b.updateNext();
        core.kickIfEarlier(b, before);
    }

    /**
     * The CPU chosen by mod() went offline before the timer was armed on it (after the migration of its timers),
     * so nothing would ever fire it. Offline clears the CPU's online flag before the migration takes the base
     * lock, and mod() reads the flag after releasing it, so either the migration moved this timer or this read
     * sees the CPU offline.
     */
    private void rescue() {
        TimerCore.Base live = core.thisBase();
        TimerCore.Base b = lockBase();
        long expires;
        try {
            if (b.cpu == null || b.cpu.isOnline() || (!entry.isArmed() && !expiring)) {
                return;                                  // moved meanwhile, or deleted
            }
            if (!live.cpu.isOnline()) {
                // No CPU runs any more (the machine stopped after this mod() read it open): the timer was accepted
                // and will never fire. Take it off and count it, unless close's sweep already did (it holds this
                // lock while it takes timers off, so exactly one of the two counts it).
                detach(b);
                b.updateNext();
                core.lifecycle.leftover(leftoverKind(), 1, this);
                return;
            }
            if (b == live) {
                return;
            }
            expires = entry.expires();
            detach(b);
            b.updateNext();
            base = TimerCore.MIGRATING;
        } finally {
            b.lock.unlock();
        }
        live.lock.lock();
        try {
            arm(live, expires);
            base = live;
        } finally {
            live.lock.unlock();
        }
    }

    void fire() {
        fn.run();
    }

    /** The callback (named in the kdefer.TimerExpire event). */
    Runnable callback() {
        return fn;
    }

    /** Close fires this timer early instead of counting it (delayed work). */
    boolean firesEarlyOnClose() {
        return fn instanceof Lifecycle.EarlyFire;
    }

    /** The close report's name for what this timer carries. */
    String leftoverKind() {
        return fn instanceof Lifecycle.EarlyFire ? ((Lifecycle.EarlyFire) fn).leftoverKind() : "timer";
    }

    /** Close took the timer off its wheel and expiring list: it is no longer pending. */
    void takenByClose() {
        PENDING.setRelease(this, false);
    }

    @Override
    public String toString() {
        return "TimerList[" + (pending ? "pending" : "idle") + ", " + fn + "]";
    }
}
