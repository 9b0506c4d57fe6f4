/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.gic.Gic;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.IdleStrategy;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A machine's virtual CPUs as the runtime's subsystems see them: the runtime SPI behind {@link Cpu}. Not for
 * applications (they use {@code Machine}, {@link Cpu} and the subsystem APIs); subsystems reach it through
 * {@code io.kdefer.internal.Services}.
 *
 * <p>It owns the CPUs, their GIC, the machine clock (real, or virtual in MANUAL mode), the softirq vector
 * table, the hooks subsystems register into the CPU loop (tick, NOHZ, hotplug, IRQ dispatch), thread binding and
 * home CPUs, the MANUAL-mode stepping and the soft-lockup watchdog.
 */
public final class Cpus {
    /* Implementation notes
     *
     * Hooks are registered while the machine boots, before the CPU threads start (copy-on-write lists, so a
     * late registration is still safe). Hooks run on the CPU's executing thread: tick hooks in hardirq
     * context, NOHZ hooks in the idle path (task context, IRQs enabled), hotplug "dying" hooks on the dying CPU
     * with IRQs disabled, "dead" and "online" hooks on the caller's thread.
     *
     * Home CPU: an unbound thread's home is its thread id modulo the CPU count (the next online CPU if that one
     * is offline): stable for the thread's life, spread evenly over consecutive threads, and free of any
     * per-thread allocation on the queue() hot path.
     */
    public static final int NR_SOFTIRQS = 10;
    private static final String[] SOFTIRQ_NAMES =
            {"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"};

    private static final System.Logger LOG = System.getLogger("io.kdefer.cpu");

    /** Per-thread binding and task context (created on first use; one small object per thread). */
    static final class ThreadState {
        Cpu executing;                                  // MANUAL driver: the CPU run by this thread right now
        Cpu bound;                                      // bindCurrentThread / worker binding
        final CpuContext task = new CpuContext(null);   // this thread's own task-context word
    }

    static final ThreadLocal<ThreadState> STATE = new ThreadLocal<>();

    /** The generic IRQ layer's entry point, called in hardirq context after irq_enter. */
    public interface Dispatch {
        void handleIrq(Cpu cpu, int intid);
    }

    /** Runs on every tick of every CPU, in hardirq context on that CPU. */
    public interface TickHook {
        void tick(Cpu cpu);
    }

    /** Consulted by an idle CPU before it parks (NOHZ). */
    public interface NohzHook {
        /** Something on {@code cpu} needs the periodic tick to keep running (e.g. lazy irq_work). */
        default boolean needsTick(Cpu cpu) {
            return false;
        }

        /** The clock time at which {@code cpu} must wake (its next timer), or {@code Long.MAX_VALUE}. */
        default long nextEventNanos(Cpu cpu) {
            return Long.MAX_VALUE;
        }
    }

    /** CPU hotplug steps. */
    public interface HotplugHook {
        /** On the dying CPU, IRQs disabled: flush what only it can run (irq_work, call-single queue). */
        default void dying(Cpu cpu) {
        }

        /** On the caller, after the CPU went offline: move its remaining work (tasklets, timers, IRQs). */
        default void dead(Cpu cpu, Cpu target) {
        }

        /** On the caller, after the CPU came back. */
        default void online(Cpu cpu) {
        }
    }

    final boolean manual;                       // I
    final long tickNanos;                       // I
    final int softirqMaxRestart;                // I
    final long softirqMaxNanos;                 // I
    private final IdlePolicy idle;              // I
    private final long softLockupNanos;         // I
    private final long clockBase;               // I: System.nanoTime() at boot (THREADED)
    private volatile long virtualNanos;         // A: the MANUAL clock; written by advance()
    private final Gic gic;                      // I
    private final Cpu[] cpus;                   // I
    private final AtomicReferenceArray<Runnable> softirqActions = new AtomicReferenceArray<>(NR_SOFTIRQS);
    private final AtomicLongArray softirqFailures = new AtomicLongArray(NR_SOFTIRQS);
    private final List<TickHook> tickHooks = new CopyOnWriteArrayList<>();
    private final List<NohzHook> nohzHooks = new CopyOnWriteArrayList<>();
    private final List<HotplugHook> hotplugHooks = new CopyOnWriteArrayList<>();
    private final List<Runnable> watchdogChecks = new CopyOnWriteArrayList<>();
    private volatile Dispatch dispatch;         // A: set at boot
    private volatile long jiffies;              // A: advanced by whichever CPU ticks (tick_do_update_jiffies64)
    private final Object hotplugLock = new Object();
    private final AgentRunner[] runners;        // L(this) until started, then read-only
    private Thread watchdog;                    // L(this)
    private volatile boolean stopping;          // A
    private volatile long giveUpNanos = Long.MAX_VALUE;   // A: clock time at which a still-busy CPU stops anyway
    private final long[] softLockupReported;    // O(watchdog thread)
    private volatile long softLockups;          // O(watchdog thread)

    private static final VarHandle JIFFIES = io.kdefer.internal.Handles.field(MethodHandles.lookup(), Cpus.class,
            "jiffies", long.class);

    /**
     * @param cpus              number of virtual CPUs (1..{@link Gic#MAX_CPUS})
     * @param manual            MANUAL mode: no CPU threads, virtual clock starting at 0
     * @param hz                ticks per second (the tick period is 1 s / hz)
     * @param softirqMaxRestart passes per softirq drain (kernel: 10)
     * @param softirqMaxNanos   time budget per softirq drain (kernel: 2 ms)
     * @param softLockupNanos   soft-lockup report threshold, 0 = off
     */
    public Cpus(int cpus, boolean manual, int hz, IdlePolicy idle, int softirqMaxRestart, long softirqMaxNanos,
                long softLockupNanos) {
        if (cpus < 1 || cpus > Gic.MAX_CPUS) {
            throw new IllegalArgumentException("cpus must be 1.." + Gic.MAX_CPUS + ": " + cpus);
        }
        if (hz < 1 || hz > 100_000) {
            throw new IllegalArgumentException("hz must be 1..100000: " + hz);
        }
        if (softirqMaxRestart < 1) {
            throw new IllegalArgumentException("softirqMaxRestart must be >= 1: " + softirqMaxRestart);
        }
        if (softirqMaxNanos <= 0) {
            throw new IllegalArgumentException("softirqMaxNanos must be > 0: " + softirqMaxNanos);
        }
        this.manual = manual;
        this.tickNanos = TimeUnit.SECONDS.toNanos(1) / hz;
        this.idle = Objects.requireNonNull(idle, "idle");
        this.softirqMaxRestart = softirqMaxRestart;
        this.softirqMaxNanos = softirqMaxNanos;
        this.softLockupNanos = softLockupNanos;
        this.clockBase = System.nanoTime();
        this.gic = new Gic(cpus, this::kick, this::currentCpuId);
        this.cpus = new Cpu[cpus];
        for (int i = 0; i < cpus; i++) {
            this.cpus[i] = new Cpu(this, i, gic);
            this.cpus[i].nextTickNanos = tickNanos;
        }
        this.runners = new AgentRunner[cpus];
        this.softLockupReported = new long[cpus];
    }

    public Gic gic() {
        return gic;
    }

    public int count() {
        return cpus.length;
    }

    public Cpu cpu(int id) {
        if (id < 0 || id >= cpus.length) {
            throw new IllegalArgumentException("no such CPU: " + id + " (this machine has cpu/0-cpu/" + (cpus.length - 1)
                    + ")");
        }
        return cpus[id];
    }

    public boolean isManual() {
        return manual;
    }

    public long tickNanos() {
        return tickNanos;
    }

    /** The machine clock: nanoseconds since boot (virtual in MANUAL mode). */
    public long clockNanos() {
        return manual ? virtualNanos : System.nanoTime() - clockBase;
    }

    /** Ticks since boot, as the CPUs' ticks have advanced it (catching up after NOHZ idle). */
    public long jiffies() {
        return jiffies;
    }

    // ---------------------------------------------------------------------------------------------- current CPU

    /** The CPU whose atomic context the calling thread executes, or null. */
    public Cpu executingCpu() {
        Cpu c = Cpu.executing();
        return c != null && c.cpus == this ? c : null;
    }

    /**
     * "This CPU" for the calling thread: the CPU it executes or is bound to (if online), else its home CPU.
     * Never null; allocation-free for threads that never bound themselves.
     */
    public Cpu thisCpu() {
        Thread t = Thread.currentThread();
        if (t instanceof CpuThread) {
            Cpu c = ((CpuThread) t).cpu;
            if (c.cpus == this) {
                return c;
            }
        }
        ThreadState s = STATE.get();
        if (s != null) {
            Cpu c = s.executing != null ? s.executing : s.bound;
            if (c != null && c.cpus == this && c.online) {
                return c;
            }
        }
        return homeCpu(t);
    }

    /** The home CPU of {@code t}: stable, spread over the online CPUs. */
    public Cpu homeCpu(Thread t) {
        int n = cpus.length;
        int start = (int) Long.remainderUnsigned(t.getId(), n);
        for (int i = 0; i < n; i++) {
            Cpu c = cpus[(start + i) % n];
            if (c.online) {
                return c;
            }
        }
        return cpus[start];
    }

    private int currentCpuId() {
        Cpu c = executingCpu();
        if (c == null) {
            ThreadState s = STATE.get();
            c = s != null && s.bound != null && s.bound.cpus == this ? s.bound : null;
        }
        return c == null ? -1 : c.id();
    }

    static ThreadState threadState() {
        ThreadState s = STATE.get();
        if (s == null) {
            s = new ThreadState();
            STATE.set(s);
        }
        return s;
    }

    /** Binds the calling thread to {@code cpu} (a task context on it), or unbinds it with {@code null}. */
    public void bindCurrentThread(Cpu cpu) {
        if (cpu != null && cpu.cpus != this) {
            throw new IllegalArgumentException(cpu + " belongs to another machine");
        }
        if (Thread.currentThread() instanceof CpuThread) {
            throw new IllegalStateException("a CPU thread cannot be rebound: it is " + Cpu.current());
        }
        ThreadState s = threadState();
        if (s.executing != null) {
            throw new IllegalStateException("cannot rebind a thread while it runs the atomic context of "
                    + s.executing);
        }
        s.bound = cpu;
    }

    // ---------------------------------------------------------------------------------------------- hooks

    public void setDispatch(Dispatch d) {
        this.dispatch = Objects.requireNonNull(d, "dispatch");
    }

    public void addTickHook(TickHook h) {
        tickHooks.add(Objects.requireNonNull(h, "hook"));
    }

    public void addNohzHook(NohzHook h) {
        nohzHooks.add(Objects.requireNonNull(h, "hook"));
    }

    public void addHotplugHook(HotplugHook h) {
        hotplugHooks.add(Objects.requireNonNull(h, "hook"));
    }

    /** A periodic check run by the watchdog thread (THREADED mode), e.g. the workqueue stall detector. */
    public void addWatchdogCheck(Runnable check) {
        watchdogChecks.add(Objects.requireNonNull(check, "check"));
    }

    void dispatch(Cpu cpu, int intid) {
        Dispatch d = dispatch;
        if (d != null) {
            d.handleIrq(cpu, intid);
        } else {
            // No IRQ layer attached: warn and deactivate, as Linux does for an INTID it does not know (B-GIC-8).
            LOG.log(Level.WARNING, cpu + ": unexpected INTID " + intid + " with no IRQ layer; deactivated");
            gic.cpuInterface(cpu.id()).deactivate(intid);
        }
    }

    boolean tickNeeded(Cpu cpu) {
        for (NohzHook h : nohzHooks) {
            if (h.needsTick(cpu)) {
                return true;
            }
        }
        return false;
    }

    long nextEventNanos(Cpu cpu) {
        long next = Long.MAX_VALUE;
        for (NohzHook h : nohzHooks) {
            next = Math.min(next, h.nextEventNanos(cpu));
        }
        return next;
    }

    /**
     * The timer PPI's handler: advances jiffies, reprograms the CPU's tick and runs the tick hooks. Called in
     * hardirq context on {@code cpu}.
     */
    public void tick(Cpu cpu) {
        long now = clockNanos();
        long j = now / tickNanos;
        long cur;
        while ((cur = jiffies) < j && !JIFFIES.compareAndSet(this, cur, j)) {
            Thread.onSpinWait();
        }
        cpu.tickHandled(now);
        for (TickHook h : tickHooks) {
            h.tick(cpu);
        }
    }

    /** NOHZ: is {@code cpu} parked with its periodic tick stopped (so lazy work must raise)? */
    public boolean tickStopped(Cpu cpu) {
        return cpu.tickStopped();
    }

    /** Wakes {@code cpu} if it is parked (after the caller published its work). */
    public void kick(Cpu cpu) {
        cpu.kick();
    }

    private void kick(int cpu) {
        cpus[cpu].kick();
    }

    // ---------------------------------------------------------------------------------------------- softirqs

    /** open_softirq: installs {@code action} for vector {@code nr} (B-SIRQ-1). */
    public void openSoftirq(int nr, Runnable action) {
        checkVector(nr);
        softirqActions.set(nr, Objects.requireNonNull(action, "action"));
    }

    public Runnable softirqAction(int nr) {
        return softirqActions.get(nr);
    }

    /**
     * raise_softirq on {@code cpu}: sets the pending bit (a volatile read-modify-write) and, from a thread that
     * does not execute that CPU, wakes it if parked (MO-SIRQ-1). Lock-free, allocation-free.
     */
    public void raiseSoftirq(Cpu cpu, int nr) {
        checkVector(nr);
        cpu.raiseSoftirq(nr);
    }

    public int softirqPending(Cpu cpu) {
        return cpu.softirqPending();
    }

    public long softirqRuns(Cpu cpu, int nr) {
        checkVector(nr);
        return (long) LONGS.getOpaque(cpu.softirqRuns, nr);
    }

    public long softirqFailures(int nr) {
        return softirqFailures.get(nr);
    }

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    void softirqFailed(Cpu cpu, int nr, Throwable t) {
        if (softirqFailures.getAndIncrement(nr) == 0) {
            LOG.log(Level.ERROR, cpu + ": softirq " + softirqName(nr)
                    + " action threw; contained, the CPU keeps running (reported once per vector)", t);
        }
    }

    public static String softirqName(int nr) {
        return nr >= 0 && nr < NR_SOFTIRQS ? SOFTIRQ_NAMES[nr] : String.valueOf(nr);
    }

    private static void checkVector(int nr) {
        if (nr < 0 || nr >= NR_SOFTIRQS) {
            throw new IllegalArgumentException("softirq vector " + nr + " outside 0.." + (NR_SOFTIRQS - 1));
        }
    }

    // ---------------------------------------------------------------------------------------------- statistics

    public long hardirqs(Cpu cpu) {
        return cpu.hardirqs();
    }

    public long nmis(Cpu cpu) {
        return cpu.nmis();
    }

    public long ticks(Cpu cpu) {
        return cpu.ticks();
    }

    public long ksoftirqdRuns(Cpu cpu) {
        return cpu.ksoftirqdRuns();
    }

    /** Drains that ran out of budget and left work to the ksoftirqd phase (softnet_stat's "squeeze"). */
    public long softirqDeferrals(Cpu cpu) {
        return cpu.softirqDeferrals();
    }

    public long parks(Cpu cpu) {
        return cpu.parks();
    }

    public long unparks(Cpu cpu) {
        return cpu.unparks();
    }

    public boolean isParked(Cpu cpu) {
        return cpu.runState() == Cpu.PARKED;
    }

    public long softLockups() {
        return softLockups;
    }

    /**
     * Whether the machine is shutting down (its CPUs run what is pending, then stop). Subsystems use it to stop
     * re-raising work that can only wait (a disabled tasklet), so the CPUs can go idle and stop.
     */
    public boolean isStopping() {
        return stopping;
    }

    // ---------------------------------------------------------------------------------------------- lifecycle

    /** Starts the CPU threads (THREADED) and the watchdog. */
    public synchronized void start() {
        if (manual) {
            return;
        }
        for (Cpu c : cpus) {
            CpuIdle idleStrategy = new CpuIdle(c, idle);
            AgentRunner runner = new AgentRunner(idleStrategy, t -> {
                if (!(t instanceof AgentTerminationException)) {
                    LOG.log(Level.ERROR, c + ": error escaped the CPU loop", t);
                }
            }, null, new CpuAgent(c));
            runners[c.id()] = runner;
            AgentRunner.startOnThread(runner, r -> {
                CpuThread t = new CpuThread(c, r);
                c.thread = t;
                return t;
            });
        }
        if (softLockupNanos > 0) {
            watchdog = new Thread(this::watchdogLoop, "kdefer-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
        }
    }

    /**
     * Stops the CPU threads after each has run everything pending, and joins them.
     *
     * @return the CPUs that did not stop within {@code timeoutNanos} (reported with their stacks), empty if all did
     */
    public synchronized List<Cpu> stop(long timeoutNanos) {
        stopping = true;
        List<Cpu> stuck = new ArrayList<>();
        if (watchdog != null) {
            LockSupport.unpark(watchdog);
        }
        if (manual) {
            return stuck;
        }
        // A CPU that is still busy at the timeout (work that re-raises itself forever) stops at its next loop pass
        // and reports what it left; only a CPU stuck inside one callback is left running. The grace lets it reach
        // that pass.
        giveUpNanos = clockNanos() + timeoutNanos;
        for (Cpu c : cpus) {
            c.requestStop();
        }
        long deadline = System.nanoTime() + timeoutNanos + Math.min(timeoutNanos, STOP_GRACE_NANOS);
        for (Cpu c : cpus) {
            Thread t = c.thread;
            if (t == null) {
                continue;
            }
            long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            try {
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                stuck.add(c);
                Throwable where = new Throwable(c + " stack");
                where.setStackTrace(t.getStackTrace());
                LOG.log(Level.ERROR, c + " did not stop within the close timeout: still in "
                        + c.atomic.describe() + "; its thread is left running", where);
            } else {
                runners[c.id()].close();
            }
        }
        if (watchdog != null) {
            try {
                watchdog.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return stuck;
    }

    /** How long after the close timeout {@link #stop} still waits for a busy CPU to reach its next loop pass. */
    static final long STOP_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** Close: the timeout passed; a CPU still busy stops anyway (see {@link #stop}). */
    boolean giveUp() {
        return clockNanos() - giveUpNanos >= 0;
    }

    /**
     * Close, before the CPUs run what is left (MANUAL: before the final runUntilIdle): from now on
     * {@link #isStopping()} is true.
     */
    public void beginStop() {
        stopping = true;
    }

    private void watchdogLoop() {
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), softLockupNanos / 4);
        while (!stopping) {
            LockSupport.parkNanos(this, period);
            if (stopping) {
                break;
            }
            long now = clockNanos();
            for (Cpu c : cpus) {
                long since = c.atomicSinceNanos();
                if (since != 0 && now - since > softLockupNanos && softLockupReported[c.id()] != since) {
                    softLockupReported[c.id()] = since;
                    softLockups++;
                    Thread t = c.thread;
                    Throwable where = new Throwable(c + " stack");
                    if (t != null) {
                        where.setStackTrace(t.getStackTrace());
                    }
                    LOG.log(Level.ERROR, String.format("watchdog: BUG: soft lockup - CPU#%d stuck for %ds in %s",
                            c.id(), TimeUnit.NANOSECONDS.toSeconds(now - since),
                            describeContext(c.atomic.countOpaque())), where);
                }
            }
            for (Runnable check : watchdogChecks) {
                try {
                    check.run();
                } catch (Throwable t) {
                    LOG.log(Level.ERROR, "watchdog check threw", t);
                }
            }
        }
    }

    private static String describeContext(int count) {
        CpuContext probe = new CpuContext(null);
        probe.count = count;
        return probe.describe();
    }

    // ---------------------------------------------------------------------------------------------- MANUAL mode

    /** Rounds {@link #runUntilIdle()} allows before it declares the machine livelocked. */
    public static final int MAX_IDLE_ROUNDS = 10_000;

    /**
     * MANUAL mode: runs every CPU, one duty-cycle pass per CPU per round, until a round finds nothing to do.
     * Does not advance virtual time.
     *
     * @throws IllegalStateException in THREADED mode, or if the machine is still busy after
     *         {@value #MAX_IDLE_ROUNDS} rounds (naming what stays busy)
     */
    public void runUntilIdle() {
        requireManual("runUntilIdle");
        for (int round = 0; round < MAX_IDLE_ROUNDS; round++) {
            int work = 0;
            for (Cpu c : cpus) {
                c.enterManual();
                try {
                    work += c.doWork();
                } finally {
                    c.exitManual();
                }
            }
            if (work == 0) {
                return;
            }
        }
        throw new IllegalStateException("the machine is still busy after " + MAX_IDLE_ROUNDS
                + " rounds (something re-raises itself forever): " + describeBusy());
    }

    private String describeBusy() {
        StringBuilder sb = new StringBuilder();
        for (Cpu c : cpus) {
            int pending = c.softirqPending();
            int hppi = gic.cpuInterface(c.id()).highestPending();
            if (pending == 0 && hppi == Gic.SPURIOUS) {
                continue;
            }
            sb.append(c).append(':');
            for (int bits = pending; bits != 0; bits &= bits - 1) {
                sb.append(" softirq ").append(softirqName(Integer.numberOfTrailingZeros(bits)));
            }
            if (hppi != Gic.SPURIOUS) {
                sb.append(" INTID ").append(hppi).append(" pending");
            }
            sb.append("; ");
        }
        return sb.length() == 0 ? "(nothing pending now)" : sb.toString();
    }

    /**
     * MANUAL mode: moves virtual time forward by {@code nanos}, firing every CPU's tick at each jiffy boundary
     * up to and including the new time, and running everything deliverable after each tick.
     */
    public void advance(long nanos) {
        requireManual("advance");
        if (nanos < 0) {
            throw new IllegalArgumentException("cannot advance time by a negative amount: " + nanos + " ns");
        }
        runUntilIdle();
        long target = virtualNanos + nanos;
        while (true) {
            long next = (virtualNanos / tickNanos + 1) * tickNanos;
            if (next > target) {
                break;
            }
            virtualNanos = next;
            for (Cpu c : cpus) {
                if (c.online) {
                    gic.assertLine(Gic.TIMER_PPI, c.id());
                }
            }
            runUntilIdle();
        }
        virtualNanos = target;
        runUntilIdle();
    }

    private void requireManual(String op) {
        if (!manual) {
            throw new IllegalStateException(op + " is for Mode.MANUAL; in THREADED mode the CPUs run on their own "
                    + "threads");
        }
    }

    // ---------------------------------------------------------------------------------------------- hotplug

    /**
     * Takes {@code cpu} offline: runs the "dying" hooks on it (IRQs disabled) so it flushes what only it can run,
     * marks it offline (it takes no more interrupts; home CPUs skip it), then runs the "dead" hooks, which move
     * its remaining work (tasklets, timers, routed SPIs, pending softirqs) to another online CPU.
     *
     * @throws IllegalStateException for the last online CPU, or from atomic context (hotplug may sleep)
     */
    void offline(Cpu cpu) {
        CpuContext.mightSleep("cpu offline");
        synchronized (hotplugLock) {
            if (!cpu.online) {
                return;
            }
            Cpu target = null;
            for (Cpu c : cpus) {
                if (c != cpu && c.online) {
                    target = c;
                    break;
                }
            }
            if (target == null) {
                throw new IllegalStateException("cannot take " + cpu + " offline: it is the last online CPU");
            }
            cpu.runOnCpu(() -> {
                CpuContext x = cpu.atomic;
                boolean saved = x.irqsDisabled;
                x.irqsDisabled = true;
                try {
                    for (HotplugHook h : hotplugHooks) {
                        h.dying(cpu);
                    }
                } finally {
                    x.irqsDisabled = saved;
                }
                cpu.online = false;
            });
            for (HotplugHook h : hotplugHooks) {
                h.dead(cpu, target);
            }
            // Softirqs still pending on the dead CPU move to the target (B-SIRQ-13).
            int pending = cpu.softirqPending();
            for (int bits = pending; bits != 0; bits &= bits - 1) {
                target.raiseSoftirq(Integer.numberOfTrailingZeros(bits));
            }
        }
    }

    void online(Cpu cpu) {
        CpuContext.mightSleep("cpu online");
        synchronized (hotplugLock) {
            if (cpu.online) {
                return;
            }
            cpu.runOnCpu(() -> {
                cpu.online = true;
                cpu.nextTickNanos = Math.min(cpu.nextTickNanos, (clockNanos() / tickNanos + 1) * tickNanos);
            });
            for (HotplugHook h : hotplugHooks) {
                h.online(cpu);
            }
            cpu.kick();
        }
    }

    /**
     * This CPU if it is online, else the first online CPU: where work found on an offline CPU's queues goes (there
     * always is one; the last online CPU cannot go offline). A snapshot: the CPU may go offline right after.
     */
    public Cpu thisOnlineCpu() {
        Cpu c = thisCpu();
        for (int i = 0; !c.online && i < cpus.length; i++) {
            c = cpus[i];
        }
        return c;
    }

    public int onlineCount() {
        int n = 0;
        for (Cpu c : cpus) {
            if (c.online) {
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------------------------------------- THREADED driver

    private static final class CpuAgent implements Agent {
        private final Cpu cpu;

        CpuAgent(Cpu cpu) {
            this.cpu = cpu;
        }

        @Override
        public void onStart() {
            cpu.claimForThread(Thread.currentThread());
        }

        @Override
        public int doWork() {
            return cpu.doWork();
        }

        @Override
        public String roleName() {
            return "cpu/" + cpu.id();
        }
    }

    /**
     * Agrona idle strategy with the CPU's park protocol as its last phase: spin briefly, then
     * park until woken or the next NOHZ deadline.
     */
    static final class CpuIdle implements IdleStrategy {
        /* Spins are deliberately few: on a 2-core machine a spinning CPU thread delays the wake-up of the thread it
         * is waiting for by milliseconds (DESIGN §6). About 64 spins of the loop (each a few volatile reads and a
         * clock read) is a few microseconds.
         *
         * No yield phase (it was 4 yields). Under CFS a yielding thread with other runnable threads on its core
         * queues behind them for up to a full slice (milliseconds) while still RUNNING, so a waker sees no need to
         * unpark it and the work waits. Measured: ping-pong between two CPUs with one unrelated busy thread on the
         * 2-core box took more than 6 ms per round trip with 4 yields, 34-40 us without (two single-thread
         * executors: 36 us); idle box 12 vs 10 us. A parked thread instead gets the scheduler's wake-up
         * preemption. */
        static final int MAX_SPINS = 64;

        private final Cpu cpu;
        private final IdlePolicy policy;
        private int spins;

        CpuIdle(Cpu cpu, IdlePolicy policy) {
            this.cpu = cpu;
            this.policy = policy;
        }

        @Override
        public void idle(int workCount) {
            if (workCount > 0) {
                reset();
            } else {
                idle();
            }
        }

        @Override
        public void idle() {
            if (policy == IdlePolicy.SPIN) {
                Thread.onSpinWait();
                return;
            }
            if (policy == IdlePolicy.BACKOFF && cpu.wokeAnother) {
                // This CPU just woke another one: leave the core to it instead of spinning (DESIGN §6: a spinning
                // thread delays a woken thread by milliseconds on 2 cores). Measured with IrqWorkLatencyBench.pingPong.
                cpu.wokeAnother = false;
                spins = MAX_SPINS;
            }
            if (policy == IdlePolicy.BACKOFF) {
                if (spins < MAX_SPINS) {
                    spins++;
                    Thread.onSpinWait();
                    return;
                }
            }
            cpu.park();
        }

        @Override
        public void reset() {
            if (cpu.wokeAnother) {
                return;               // keep skipping the spin phase: see idle()
            }
            spins = 0;
        }

        @Override
        public String alias() {
            return "kdefer-" + policy.name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
