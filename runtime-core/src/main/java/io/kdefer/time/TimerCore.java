/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.time;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Backoff;
import io.kdefer.softirq.Softirq;
import io.kdefer.softirq.internal.SoftirqEngine;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Latency;
import io.kdefer.internal.Tracepoints;
import io.kdefer.internal.Handles;
import io.kdefer.internal.Lifecycle;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The per-CPU timer bases (kernel: struct timer_base) and their hooks into the CPU: the TIMER softirq that expires
 * timers, the tick that raises it, the NOHZ deadline of an idle CPU, and hotplug migration: what
 * {@link TimerList} stands on (kernel: kernel/time/timer.c's per-CPU state).
 */
final class TimerCore {
    /* Implementation notes
     *
     * Each CPU's base is a TimerWheel guarded by the base lock (kernel: the base's raw spinlock). An operation on
     * a timer from any thread locks the base the timer is on (TimerList: lock_timer_base, with a MIGRATING
     * sentinel while a mod() moves it between CPUs); the TIMER softirq locks its own base. Only hotplug migration
     * holds two base locks, taken in CPU order.
     *
     * The base lock is a spin lock (BaseLock): every critical section is O(1) wheel work, except the softirq's
     * advance (O(fired + cascaded), released around each callback). Measured (TimerBench, shared 2-core box, JDK
     * 17): with a ReentrantLock plus a per-timer monitor, arm+cancel among 1e5-1e6 armed timers cost 64-94 ns,
     * about what ScheduledThreadPoolExecutor with removeOnCancel costs; with one spin lock per operation (the
     * kernel's design) and release stores (Base.updateNext) 31 ns with nothing else armed and 40-70 ns typical
     * with 1e5-1e6, noisy. A waiter backs off as every waiter of the runtime does (internal.Backoff: spins
     * briefly, never yields, then parks in short steps), so a holder preempted by the OS costs the waiter latency,
     * not a core.
     *
     * Expiry (kernel: __run_timers / expire_timers): under the base lock the wheel is advanced to the current
     * jiffy and every fired timer moves to the base's expiring list, where it is still pending: delete() or mod()
     * may take it off again before its callback runs. Then, one at a time: take the head, record it as running,
     * drop the lock, call it, retake the lock. deleteSync() waits while a timer is recorded as running.
     *
     * nextExpiry is the wheel's next expiry (jiffies), volatile so that the tick hook and the NOHZ hook read it
     * without the lock; it is written under the lock after every change. Arming an earlier timer on a parked CPU
     * wakes it (kick) so it re-computes its park deadline; the CPU publishes PARKED before it reads nextExpiry
     * and the armer publishes nextExpiry before it reads PARKED, so one of them notices (Cpu's wake-up protocol).
     *
     * Close. mod() refuses once the machine is closed. The drain's first step fires delayed work early: every armed
     * timer whose callback is an EarlyFire is taken off its wheel under the base lock and its callback run on the
     * closer thread (it queues the item now); then every CPU with a due timer gets TIMER raised. After the CPUs
     * stopped, whatever is still armed (plain timers not yet due) is taken off the wheels and counted by kind.
     *
     * "Detached" cores (no machine) exist for the jcstress proofs: the same arm/delete/expire code on bases
     * without CPUs, a clock fixed at 0, "this CPU" fixed to 0 and no wake-ups.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.time");

    /** TimerList.base while a mod() moves the timer from one CPU's base to another's. */
    static final Base MIGRATING = new Base(null, -1, 0);

    /** The base lock: test-and-test-and-set, release by a release store. Not reentrant. */
    static final class BaseLock {
        private volatile int locked;                     // A

        private static final VarHandle LOCKED = Handles.field(MethodHandles.lookup(), BaseLock.class, "locked",
                int.class);

        void lock() {
            if (!LOCKED.compareAndSet(this, 0, 1)) {
                contended();
            }
        }

        private void contended() {
            int spins = 0;
            do {
                spins = Backoff.pause(spins);            // never yield: DESIGN §6, internal.Backoff
            } while (locked != 0 || !LOCKED.compareAndSet(this, 0, 1));
        }

        void unlock() {
            LOCKED.setRelease(this, 0);                  // pairs with the acquiring CAS of the next holder
        }
    }

    static final class Base {
        final Cpu cpu;                                   // I
        final int id;                                    // I
        final BaseLock lock = new BaseLock();            // the base lock
        final TimerWheel wheel;                          // L(lock)
        volatile long nextExpiry = Long.MAX_VALUE;       // WO(lock), see updateNext: jiffy of the next expiry
        TimerList expiringHead;                          // L(lock): fired, callback not yet started
        TimerList expiringTail;                          // L(lock)
        volatile TimerList running;                      // WO(lock): callback running on this CPU

        Base(Cpu cpu, int id, long nowJiffies) {
            this.cpu = cpu;
            this.id = id;
            this.wheel = new TimerWheel(nowJiffies);
        }

        /**
         * Publishes the wheel's next expiry. Only a decrease needs a volatile store: an earlier deadline may have
         * to wake a parked CPU, and the store must be ordered before kickIfEarlier reads the CPU's run state (the
         * wake-up protocol). A later deadline, or none, is published with a release store: a reader that still
         * sees the earlier value only wakes or raises TIMER once for nothing. Unchanged: no store (TimerBench:
         * the churn of one timer among many rarely moves the next expiry).
         */
        void updateNext() {
            long n = expiringHead != null ? wheel.now() : wheel.nextExpiry();
            long cur = (long) NEXT_EXPIRY.getOpaque(this);
            if (n < cur) {
                nextExpiry = n;
            } else if (n > cur) {
                NEXT_EXPIRY.setRelease(this, n);
            }
        }

        private static final VarHandle NEXT_EXPIRY = Handles.field(MethodHandles.lookup(), Base.class, "nextExpiry",
                long.class);

        void appendExpiring(TimerList t) {
            t.expPrev = expiringTail;
            t.expNext = null;
            if (expiringTail == null) {
                expiringHead = t;
            } else {
                expiringTail.expNext = t;
            }
            expiringTail = t;
            t.expiring = true;
        }

        void unlinkExpiring(TimerList t) {
            if (t.expPrev == null) {
                expiringHead = t.expNext;
            } else {
                t.expPrev.expNext = t.expNext;
            }
            if (t.expNext == null) {
                expiringTail = t.expPrev;
            } else {
                t.expNext.expPrev = t.expPrev;
            }
            t.expPrev = null;
            t.expNext = null;
            t.expiring = false;
        }
    }

    final Cpus cpus;                  // I
    private final SoftirqEngine softirqs;   // I
    final Lifecycle lifecycle;        // I
    private final Faults faults;      // I
    private final Latency latency;    // I
    private final String machine;     // I: for the events
    private final Base[] bases;       // I
    private final AtomicLong fired = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    TimerCore(Cpus cpus, SoftirqEngine softirqs) {
        this.cpus = Objects.requireNonNull(cpus, "cpus");
        this.softirqs = Objects.requireNonNull(softirqs, "softirqs");
        this.lifecycle = cpus.lifecycle();
        this.faults = cpus.faults();
        this.latency = cpus.latency();
        this.machine = lifecycle.owner();
        this.bases = new Base[cpus.count()];
        long now = jiffiesNow();
        for (int i = 0; i < bases.length; i++) {
            bases[i] = new Base(cpus.cpu(i), i, now);
        }
        softirqs.open(Softirq.TIMER, new SoftirqEngine.Action() {
            @Override
            public void run(Cpu cpu) {
                runTimers(cpu);
            }

            @Override
            public String toString() {
                return "run_timer_softirq";
            }
        });
        cpus.addTickHook(cpu -> {
            // run_local_timers: raise TIMER_SOFTIRQ when something is due at this tick.
            if (bases[cpu.id()].nextExpiry <= jiffiesNow()) {
                softirqs.raise(cpu, Softirq.TIMER);
            }
        });
        cpus.addNohzHook(new Cpus.NohzHook() {
            @Override
            public long nextEventNanos(Cpu cpu) {
                long j = bases[cpu.id()].nextExpiry;
                return j == Long.MAX_VALUE || j > Long.MAX_VALUE / cpus.tickNanos() ? Long.MAX_VALUE
                        : j * cpus.tickNanos();
            }
        });
        cpus.addHotplugHook(new Cpus.HotplugHook() {
            @Override
            public void dead(Cpu cpu, Cpu target) {
                migrate(bases[cpu.id()], bases[target.id()]);
            }
        });
        lifecycle.register(new Lifecycle.Participant() {
            @Override
            public void beginDrain() {
                fireEarlyForClose();
                raiseDue();
            }

            @Override
            public void reportLeftovers() {
                TimerCore.this.reportLeftovers();
            }

            @Override
            public String toString() {
                return "timers";
            }
        });
    }

    long jiffiesNow() {
        return Math.floorDiv(cpus.clockNanos(), cpus.tickNanos());
    }

    /** The jiffy of the first tick at or after {@code nanos} from now: a timer never fires early. */
    long expiryJiffy(long delayNanos) {
        long t = cpus.clockNanos();
        long expiry = delayNanos > Long.MAX_VALUE - t ? Long.MAX_VALUE : t + delayNanos;
        long tick = cpus.tickNanos();
        long j = Math.floorDiv(expiry, tick);
        return j * tick == expiry ? j : j + 1;
    }

    Base base(int cpu) {
        return bases[cpu];
    }

    Base thisBase() {
        return bases[cpus.thisCpu().id()];
    }

    /** Timer callbacks run so far. */
    long fired() {
        return fired.get();
    }

    /** Timer callbacks that threw (contained). */
    long failures() {
        return failures.get();
    }

    /** Timers currently armed on {@code cpu} (racy). */
    int armed(int cpu) {
        Base b = bases[cpu];
        b.lock.lock();
        try {
            int n = b.wheel.size();
            for (TimerList t = b.expiringHead; t != null; t = t.expNext) {
                n++;
            }
            return n;
        } finally {
            b.lock.unlock();
        }
    }

    void kickIfEarlier(Base b, long before) {
        if (b.nextExpiry < before) {
            cpus.kick(b.cpu);
        }
    }

    /** The TIMER softirq on {@code cpu} (kernel: run_timer_softirq). */
    void runTimers(Cpu cpu) {
        Base b = bases[cpu.id()];
        b.lock.lock();
        try {
            long j = Math.max(jiffiesNow(), b.wheel.now());
            b.wheel.advance(j, e -> {
                TimerList t = (TimerList) e.owner();
                b.appendExpiring(t);
            });
            TimerList t;
            int n = 0;
            while ((t = b.expiringHead) != null) {
                b.unlinkExpiring(t);
                t.pending = t.entry.isArmed();
                b.running = t;
                b.updateNext();
                long expires = t.entry.expires();          // under the lock: the callback may re-arm it
                b.lock.unlock();
                n++;
                try {
                    fireTraced(t, cpu, expires);
                } finally {
                    b.lock.lock();
                    b.running = null;
                }
            }
            b.updateNext();
            softirqs.noteItems(cpu, n);                     // the kdefer.Softirq event's items
        } finally {
            b.lock.unlock();
        }
    }

    /** {@link #fire} in the TIMER softirq, with its tracepoint (timer_expire_entry/exit) and latency row. */
    private void fireTraced(TimerList t, Cpu cpu, long expires) {
        long t0 = latency.start();
        Object ev = Tracepoints.timerBegin();
        long late = t0 != 0 || ev != null ? Math.max(0, cpus.clockNanos() - expires * cpus.tickNanos()) : 0;
        fire(t, cpu);
        Tracepoints.timerEnd(ev, machine, cpu.id(), expires, late, t.callback());
        if (t0 != 0) {
            latency.record(cpu.id(), Latency.TIMER, late, System.nanoTime() - t0);
        }
    }

    /** Runs {@code t}'s callback, contained (a throw counted and reported once per timer, an interrupt cleared). */
    private void fire(TimerList t, Object where) {
        fired.incrementAndGet();
        try {
            t.fire();
        } catch (Throwable x) {
            failures.incrementAndGet();
            faults.threw(LOG, t, "timer " + t + " callback", where, x, null);
        }
        faults.afterCallback(t, where);
    }

    /**
     * Hotplug (kernel: timers_dead_cpu): a dead CPU's armed and expiring timers move to {@code to}, keeping their
     * expiry, under both base locks (in CPU order), so no operation on a timer sees it half-moved.
     */
    private void migrate(Base from, Base to) {
        Base first = from.id < to.id ? from : to;
        Base second = first == from ? to : from;
        first.lock.lock();
        second.lock.lock();
        try {
            long before = to.nextExpiry;
            from.wheel.removeAll(e -> moveTo(to, (TimerList) e.owner()));
            TimerList t;
            while ((t = from.expiringHead) != null) {
                from.unlinkExpiring(t);
                moveTo(to, t);
            }
            from.updateNext();
            to.updateNext();
            kickIfEarlier(to, before);
        } finally {
            second.lock.unlock();
            first.lock.unlock();
        }
    }

    // both locks held; t is off from's wheel and expiring list.
    private static void moveTo(Base to, TimerList t) {
        to.wheel.add(t.entry, t.entry.expires());
        t.pending = true;
        t.base = to;
    }

    /** Whether mod() must refuse: the machine is closed to the caller. */
    boolean refusesNewWork() {
        return cpus.refusesNewWork();
    }

    /** Close, beginning of the drain: delayed work's timers fire now, on the closer thread (see notes). */
    private void fireEarlyForClose() {
        List<TimerList> early = new ArrayList<>();
        for (Base b : bases) {
            b.lock.lock();
            try {
                List<TimerList> keep = new ArrayList<>();
                b.wheel.removeAll(e -> {
                    TimerList t = (TimerList) e.owner();
                    (t.firesEarlyOnClose() ? early : keep).add(t);
                });
                for (TimerList t : keep) {
                    b.wheel.add(t.entry, t.entry.expires());
                }
                b.updateNext();
            } finally {
                b.lock.unlock();
            }
        }
        for (TimerList t : early) {
            t.takenByClose();
            fire(t, "close");
        }
    }

    /** Close, beginning of the drain: make every CPU with a due timer run its TIMER softirq. */
    private void raiseDue() {
        long j = jiffiesNow();
        for (Base b : bases) {
            if (b.nextExpiry <= j && b.cpu.isOnline()) {
                softirqs.raise(b.cpu, Softirq.TIMER);
            }
        }
    }

    /** Close, after the CPUs stopped: timers still armed will never fire; take them off and count them by kind. */
    private void reportLeftovers() {
        long n = 0;
        StringBuilder names = new StringBuilder();
        for (Base b : bases) {
            List<TimerList> left = new ArrayList<>();
            b.lock.lock();
            try {
                b.wheel.removeAll(e -> left.add((TimerList) e.owner()));
                TimerList t;
                while ((t = b.expiringHead) != null) {
                    b.unlinkExpiring(t);
                    left.add(t);
                }
                b.updateNext();
            } finally {
                b.lock.unlock();
            }
            for (TimerList t : left) {
                t.takenByClose();
                lifecycle.leftover(t.leftoverKind(), 1, t);
                n++;
                if (names.length() < 1000) {
                    names.append(' ').append(t);
                }
            }
        }
        if (n > 0) {
            LOG.log(Level.WARNING, n + " timer(s) were still armed when the machine closed; they will not fire "
                    + "(cancelled):" + names);
        }
    }
}
