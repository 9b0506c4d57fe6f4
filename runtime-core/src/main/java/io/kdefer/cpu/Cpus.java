/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.gic.Gic;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Lifecycle;

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
import java.util.concurrent.locks.ReentrantLock;

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
     * with IRQs disabled, "offlining", "dead" and "online" hooks on the caller's thread.
     *
     * Home CPU: an unbound thread's home is its thread id modulo the CPU count (the next online CPU if that one
     * is offline): stable for the thread's life, spread evenly over consecutive threads, and free of any
     * per-thread allocation on the queue() hot path.
     */
    public static final int NR_SOFTIRQS = 10;
    private static final String[] SOFTIRQ_NAMES =
            {"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"};

    private static final System.Logger LOG = System.getLogger("io.kdefer.cpu");

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

    /**
     * CPU hotplug steps, in the order {@link Cpu#offline()} runs them (kernel: the cpuhp teardown states, each
     * subsystem at its place): offlining (caller), dying (on the CPU), dead (caller); {@link Cpu#online()} runs
     * online (caller) once the CPU takes interrupts again.
     */
    public interface HotplugHook {
        /**
         * On the caller, while the CPU still runs but no longer takes new work (GOING_DOWN): stop targeting it
         * (workqueue pools unbind, B-WQ-44; IRQs routed to it move to {@code target}, the kernel's fixup_irqs).
         */
        default void offlining(Cpu cpu, Cpu target) {
        }

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
    final Faults faults;                        // I
    final Lifecycle lifecycle;                  // I
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
    private final ReentrantLock hotplugLock = new ReentrantLock();   // I: serialises hotplug; the closer holds it at the end
    private Thread watchdog;                    // L(this)
    private volatile boolean stopping;          // A: close began (CLOSING)
    private volatile boolean cpusStopping;      // A: close asked the CPUs to stop (the watchdog ends too)
    private volatile long giveUpNanos;         // A: System.nanoTime() at which a still-busy CPU stops (after requestStop)
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
     * @param lifecycle         the machine's lifecycle (hotplug refused after close; waits released at the end)
     * @param faults            the machine's interrupt policy
     */
    public Cpus(int cpus, boolean manual, int hz, IdlePolicy idle, int softirqMaxRestart, long softirqMaxNanos,
                long softLockupNanos, Lifecycle lifecycle, Faults faults) {
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
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.faults = Objects.requireNonNull(faults, "faults");
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
        this.softLockupReported = new long[cpus];
    }

    public Gic gic() {
        return gic;
    }

    /** The machine's lifecycle (entry points check it; waits end with it). */
    public Lifecycle lifecycle() {
        return lifecycle;
    }

    /** The machine's interrupt policy (see {@code Faults}). */
    public Faults faults() {
        return faults;
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
     * "This CPU" for the calling thread: the CPU whose atomic context it executes; else the CPU it is bound to, if
     * that CPU takes new work (ONLINE); else its home CPU. Never null while some CPU is online; allocation-free for
     * threads that never bound themselves.
     */
    public Cpu thisCpu() {
        ThreadState s = ThreadState.peek();
        if (s != null) {
            Cpu c = s.executing;
            if (c != null && c.cpus == this) {
                return c;
            }
            c = s.bound;
            if (c != null && c.cpus == this && c.acceptsWork()) {
                return c;
            }
        }
        return homeCpu(Thread.currentThread());
    }

    /**
     * The home CPU of {@code t}: stable, spread over the CPUs that take new work (the next one after its preferred
     * CPU when that is offline). When none does (the machine stopped), its preferred CPU.
     */
    public Cpu homeCpu(Thread t) {
        int n = cpus.length;
        int start = (int) Long.remainderUnsigned(t.getId(), n);
        for (int i = 0; i < n; i++) {
            Cpu c = cpus[(start + i) % n];
            if (c.acceptsWork()) {
                return c;
            }
        }
        return cpus[start];
    }

    private int currentCpuId() {
        Cpu c = Cpu.current();
        return c != null && c.cpus == this ? c.id() : -1;
    }

    /** Binds the calling thread to {@code cpu} (a task context on it), or unbinds it with {@code null}. */
    public void bindCurrentThread(Cpu cpu) {
        if (cpu != null && cpu.cpus != this) {
            throw new IllegalArgumentException(cpu + " belongs to another machine");
        }
        if (Thread.currentThread() instanceof CpuThread) {
            throw new IllegalStateException("a CPU thread cannot be rebound: it is " + Cpu.current());
        }
        ThreadState s = ThreadState.current();
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

    private static final String[] SOFTIRQ_LABELS = new String[NR_SOFTIRQS];

    static {
        for (int i = 0; i < NR_SOFTIRQS; i++) {
            SOFTIRQ_LABELS[i] = "softirq " + SOFTIRQ_NAMES[i] + " action";
        }
    }

    /** "softirq NET_RX action": a constant per vector (the fault policy's source, no allocation). */
    static String softirqLabel(int nr) {
        return SOFTIRQ_LABELS[nr];
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

    /** Starts the CPU threads (THREADED) and the soft-lockup watchdog. */
    public synchronized void start() {
        if (manual) {
            return;
        }
        for (Cpu c : cpus) {
            CpuThread t = new CpuThread(c, idle);
            c.thread = t;
            t.start();
        }
        if (softLockupNanos > 0) {
            watchdog = new KernelThread(this, this::watchdogLoop, "kdefer-watchdog", false) {
            };
            watchdog.start();
        }
    }

    /**
     * Close, CLOSING: from now on {@link #isStopping()} is true (subsystems stop re-raising work that can only wait,
     * such as a disabled tasklet, so the CPUs can go idle).
     */
    public void beginStop() {
        stopping = true;
    }

    /**
     * Close, stop phase: asks every CPU to run everything pending and then stop (THREADED); a CPU still busy at
     * {@code giveUpAtNanos} ({@code System.nanoTime()}: work that re-raises itself forever) stops at its next loop
     * pass and reports what it left. In MANUAL mode the CPUs are marked stopped here: the closer ran them until idle.
     * Does not wait: see {@link #joinCpus}.
     */
    public synchronized void requestStop(long giveUpAtNanos) {
        stopping = true;
        giveUpNanos = giveUpAtNanos;
        cpusStopping = true;
        if (watchdog != null) {
            LockSupport.unpark(watchdog);
        }
        for (Cpu c : cpus) {
            if (manual || c.thread == null) {
                c.markStopped();
            } else {
                c.requestStop();
            }
        }
    }

    /** Waits until {@code deadlineNanos} for the CPU threads and the watchdog to end; returns those still alive. */
    public List<Thread> joinCpus(long deadlineNanos) {
        List<Thread> alive = new ArrayList<>();
        List<Thread> all = new ArrayList<>();
        for (Cpu c : cpus) {
            if (c.thread != null) {
                all.add(c.thread);
            }
        }
        synchronized (this) {
            if (watchdog != null) {
                all.add(watchdog);
            }
        }
        for (Thread t : all) {
            if (!join(t, deadlineNanos)) {
                alive.add(t);
            }
        }
        return alive;
    }

    /** Joins {@code t} until {@code deadlineNanos} ({@code System.nanoTime()}), uninterruptibly; true if it ended. */
    public static boolean join(Thread t, long deadlineNanos) {
        boolean interrupted = false;
        try {
            while (t.isAlive()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Close: the deadline passed; a CPU still busy stops anyway (see {@link #requestStop}). */
    boolean giveUp() {
        return System.nanoTime() - giveUpNanos >= 0;
    }

    /**
     * Close: whether no CPU has anything to do right now (nothing signalled or pending, not inside a callback, no
     * hotplug step waiting). A snapshot; the closer looks twice.
     */
    public boolean quiescent() {
        for (Cpu c : cpus) {
            if (c.isOnline() && (c.atomicSinceNanos() != 0 || c.hasWork())) {
                return false;
            }
        }
        return true;
    }

    /** Whether the calling thread is one of this machine's runtime threads (a CPU, worker, IRQ thread, ...). */
    public boolean isRuntimeThread() {
        return KernelThread.currentOf(this) != null;
    }

    /**
     * Whether new work from the calling thread is refused: the machine is closed and the caller is not one of its
     * own contexts. The machine's own contexts (a CPU's atomic contexts, its workers and IRQ threads) go on
     * submitting while it drains: they finish work it accepted (an interrupt's bottom half, a work item's next
     * step), and whatever they leave unrun at the end is counted. One volatile read while the machine runs.
     */
    public boolean refusesNewWork() {
        return lifecycle.isClosed() && !isInsideMachine();
    }

    /** Whether the calling thread runs one of this machine's contexts: a CPU (or a MANUAL stepper in one), a kernel thread. */
    public boolean isInsideMachine() {
        Thread t = Thread.currentThread();
        if (t instanceof KernelThread) {
            return ((KernelThread) t).belongsTo(this);
        }
        ThreadState s = ThreadState.peek();
        return s != null && s.executing != null && s.executing.cpus == this;
    }

    private void watchdogLoop() {
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), softLockupNanos / 4);
        while (!cpusStopping) {
            LockSupport.parkNanos(this, period);
            faults.beforeIdle(Thread.currentThread());
            if (cpusStopping) {
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
     * Takes {@code cpu} offline, in the kernel's teardown order (the cpuhp states, DESIGN §5):
     * <pre>
     *   ONLINE      -&gt; GOING_DOWN  no longer a target for new work: home CPUs skip it, Cpu.current() stops naming
     *                              it to the threads bound to it
     *   GOING_DOWN  offlining hooks on the caller: workqueue pools unbind (their items run on unbound workers,
     *               B-WQ-44), IRQs routed to it move to another CPU and their threads follow (fixup_irqs)
     *   GOING_DOWN  -&gt; OFFLINE     on the CPU, IRQs disabled: dying hooks flush what only it can run (the call-single
     *                              queue, irq_work; B-CSD-6, B-IW-13); then it takes no more interrupts
     *   OFFLINE     dead hooks on the caller: timers, tasklets and pending softirqs move to another CPU (B-TL-11,
     *               B-SIRQ-13)
     * </pre>
     *
     * @throws IllegalStateException for the last online CPU, from atomic context (hotplug may sleep), or on a
     *         closed machine
     */
    void offline(Cpu cpu) {
        CpuContext.mightSleep("cpu offline");
        lifecycle.checkOpen("cpu offline");
        hotplugLock.lock();
        try {
            lifecycle.checkOpen("cpu offline");
            if (cpu.hotplugState() == Cpu.HotplugState.OFFLINE) {
                return;
            }
            Cpu target = null;
            for (Cpu c : cpus) {
                if (c != cpu && c.acceptsWork()) {
                    target = c;
                    break;
                }
            }
            if (target == null) {
                throw new IllegalStateException("cannot take " + cpu + " offline: it is the last online CPU");
            }
            cpu.setHotplugState(Cpu.HotplugState.GOING_DOWN);
            for (HotplugHook h : hotplugHooks) {
                h.offlining(cpu, target);
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
                cpu.setHotplugState(Cpu.HotplugState.OFFLINE);
            });
            for (HotplugHook h : hotplugHooks) {
                h.dead(cpu, target);
            }
            // Softirqs still pending on the dead CPU move to the target (B-SIRQ-13).
            int pending = cpu.takeSoftirqPending();
            for (int bits = pending; bits != 0; bits &= bits - 1) {
                target.raiseSoftirq(Integer.numberOfTrailingZeros(bits));
            }
        } finally {
            hotplugLock.unlock();
        }
    }

    /**
     * Brings {@code cpu} back: OFFLINE -&gt; COMING_UP (it takes interrupts again, its tick restarts) -&gt; online hooks
     * on the caller (workqueue pools rebind) -&gt; ONLINE (a target for new work again).
     *
     * @throws IllegalStateException from atomic context, or on a closed machine
     */
    void online(Cpu cpu) {
        CpuContext.mightSleep("cpu online");
        lifecycle.checkOpen("cpu online");
        hotplugLock.lock();
        try {
            lifecycle.checkOpen("cpu online");
            if (cpu.hotplugState() != Cpu.HotplugState.OFFLINE) {
                return;
            }
            cpu.runOnCpu(() -> {
                cpu.setHotplugState(Cpu.HotplugState.COMING_UP);
                cpu.online = true;
                cpu.nextTickNanos = Math.min(cpu.nextTickNanos, (clockNanos() / tickNanos + 1) * tickNanos);
            });
            for (HotplugHook h : hotplugHooks) {
                h.online(cpu);
            }
            cpu.setHotplugState(Cpu.HotplugState.ONLINE);
            cpu.kick();
        } finally {
            hotplugLock.unlock();
        }
    }

    /**
     * Close: waits until {@code deadlineNanos} for a hotplug transition in progress to finish and keeps every later
     * one out (they find the machine closed). Returns whether it got the hotplug lock; the closer then holds it until
     * the machine terminated ({@link #releaseHotplug}).
     */
    public boolean quiesceHotplug(long deadlineNanos) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return hotplugLock.tryLock(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
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

    public void releaseHotplug() {
        if (hotplugLock.isHeldByCurrentThread()) {
            hotplugLock.unlock();
        }
    }

    /**
     * This CPU if it takes work, else the first CPU that does: where work found on an offline CPU's queues goes. A
     * snapshot: the CPU may go offline right after. Null when no CPU takes work any more (the machine stopped): the
     * caller then counts what it holds as a close leftover.
     */
    public Cpu thisOnlineCpu() {
        Cpu c = thisCpu();
        if (c.acceptsWork()) {
            return c;
        }
        for (Cpu x : cpus) {
            if (x.acceptsWork()) {
                return x;
            }
        }
        return null;
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
}
