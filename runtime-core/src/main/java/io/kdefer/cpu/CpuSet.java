/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.cpu.internal.Arch;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.cpu.internal.KernelThread;
import io.kdefer.cpu.internal.Pinning;
import io.kdefer.cpu.internal.ThreadState;
import io.kdefer.internal.Config;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Kernel;
import io.kdefer.internal.Latency;
import io.kdefer.internal.Lifecycle;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A machine's virtual CPUs: the registry, "which CPU am I on", the threads and their stop, and the seams the other
 * subsystems plug into ({@link Cpus}, the runtime SPI it implements). Time, hotplug, the MANUAL driver and the
 * watchdog are the jobs of {@link Tick}, {@link Hotplug}, {@link ManualDriver} and {@link SoftLockupWatchdog}.
 */
final class CpuSet implements Cpus {
    /* Implementation notes
     *
     * Home CPU: an unbound thread's home is its thread id modulo the CPU count (the next CPU that takes work if that
     * one does not): stable for the thread's life, spread evenly over consecutive threads, and free of any per-thread
     * allocation on the queue() hot path.
     *
     * arch and softirq are set once while the machine boots, before the CPU threads start (the start publishes them).
     */
    static final int MAX_CPUS = 256;

    final boolean manual;                       // I
    final long tickNanos;                       // I
    private final IdlePolicy idle;              // I
    private final Lifecycle lifecycle;          // I
    private final Faults faults;                // I
    private final Latency latency;              // I
    private final Cpu[] cpus;                   // I
    final Tick tick;                            // I
    final Hotplug hotplug;                      // I
    private final ManualDriver manualDriver;    // I
    private final SoftLockupWatchdog watchdog;  // I
    private final Pinning pinning;              // I
    private Arch arch;                          // I after boot
    private SoftirqEntry softirq;               // I after boot
    private volatile boolean stopping;          // A: close began (CLOSING)
    private volatile long giveUpNanos;          // A: System.nanoTime() at which a still-busy CPU stops (after requestStop)

    /** The cpu subsystem's installer ({@code Access}, registered by {@link Cpu}): builds the machine's CPUs. */
    static void install(Kernel k) {
        Config c = k.config();
        k.put(Cpus.class, new CpuSet(c.cpus(), c.manual(), c.hz(), IdlePolicy.values()[c.idlePolicy()],
                c.softLockupNanos(), k.lifecycle(), k.faults(), k.latency(), k.getOrDefault(Pinning.class,
                        Pinning.NONE)));
    }

    CpuSet(int cpus, boolean manual, int hz, IdlePolicy idle, long softLockupNanos, Lifecycle lifecycle,
           Faults faults, Latency latency, Pinning pinning) {
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("cpus must be 1.." + MAX_CPUS + ": " + cpus);
        }
        if (hz < 1 || hz > 100_000) {
            throw new IllegalArgumentException("hz must be 1..100000: " + hz);
        }
        this.manual = manual;
        this.tickNanos = TimeUnit.SECONDS.toNanos(1) / hz;
        this.idle = Objects.requireNonNull(idle, "idle");
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.faults = Objects.requireNonNull(faults, "faults");
        this.latency = Objects.requireNonNull(latency, "latency");
        this.pinning = Objects.requireNonNull(pinning, "pinning");
        this.tick = new Tick(tickNanos, manual);
        this.cpus = new Cpu[cpus];
        for (int i = 0; i < cpus; i++) {
            this.cpus[i] = new Cpu(this, i);
            this.cpus[i].nextTickNanos = tickNanos;
        }
        this.hotplug = new Hotplug(this, lifecycle);
        this.manualDriver = new ManualDriver(this, tick);
        this.watchdog = new SoftLockupWatchdog(this, faults, softLockupNanos);
    }

    // ---------------------------------------------------------------------------------------------- topology

    @Override
    public int count() {
        return cpus.length;
    }

    @Override
    public Cpu cpu(int id) {
        if (id < 0 || id >= cpus.length) {
            throw new IllegalArgumentException("no such CPU: " + id + " (this machine has cpu/0-cpu/" + (cpus.length - 1)
                    + ")");
        }
        return cpus[id];
    }

    @Override
    public Pinning pinning() {
        return pinning;
    }

    @Override
    public int onlineCount() {
        int n = 0;
        for (Cpu c : cpus) {
            if (c.online) {
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------------------------------------- "this CPU"

    @Override
    public Cpu executingCpu() {
        Cpu c = Cpu.executing();
        return c != null && c.cpus == this ? c : null;
    }

    @Override
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
    @Override
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

    @Override
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

    @Override
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

    @Override
    public boolean isInsideMachine() {
        Thread t = Thread.currentThread();
        if (t instanceof KernelThread) {
            return ((KernelThread) t).belongsTo(this);
        }
        ThreadState s = ThreadState.peek();
        return s != null && s.executing != null && s.executing.cpus == this;
    }

    @Override
    public boolean isRuntimeThread() {
        return KernelThread.currentOf(this) != null;
    }

    /**
     * The machine's own contexts (a CPU's atomic contexts, its workers and IRQ threads) go on submitting while it
     * drains: they finish work it accepted (an interrupt's bottom half, a work item's next step), and whatever they
     * leave unrun at the end is counted. One volatile read while the machine runs.
     */
    @Override
    public boolean refusesNewWork() {
        return lifecycle.isClosed() && !isInsideMachine();
    }

    /** For the GIC's irqLine and SGI "all but self": the CPU the caller runs on, or -1. */
    int currentCpuId() {
        Cpu c = Cpu.current();
        return c != null && c.cpus == this ? c.id() : -1;
    }

    // ---------------------------------------------------------------------------------------------- time

    @Override
    public boolean isManual() {
        return manual;
    }

    @Override
    public long clockNanos() {
        return tick.clockNanos();
    }

    @Override
    public long tickNanos() {
        return tickNanos;
    }

    @Override
    public long jiffies() {
        return tick.jiffies();
    }

    @Override
    public void tick(Cpu cpu) {
        tick.tick(cpu);
    }

    @Override
    public long ticks(Cpu cpu) {
        return cpu.ticks;
    }

    @Override
    public boolean tickStopped(Cpu cpu) {
        return cpu.tickStopped();
    }

    // ---------------------------------------------------------------------------------------------- wake-up, context

    @Override
    public void kick(Cpu cpu) {
        cpu.kick();
    }

    @Override
    public void checkpoint(Cpu cpu) {
        if (Cpu.executing() == cpu) {       // a jcstress actor playing the CPU is not its executing thread
            cpu.takeInterrupts();
        }
    }

    @Override
    public boolean enterServingSoftirq(Cpu cpu) {
        return cpu.enterServingSoftirq();
    }

    @Override
    public void exitServingSoftirq(Cpu cpu, boolean irqsDisabled) {
        cpu.exitServingSoftirq(irqsDisabled);
    }

    @Override
    public void setIrqsDisabled(Cpu cpu, boolean disabled) {
        cpu.atomic.irqsDisabled = disabled;
    }

    @Override
    public int preemptCount(Cpu cpu) {
        return cpu.atomic.count;
    }

    @Override
    public boolean irqsDisabled(Cpu cpu) {
        return cpu.atomic.irqsDisabled;
    }

    @Override
    public void restorePreemptCount(Cpu cpu, int count, String softirq) {
        cpu.restorePreemptCount(count, softirq);
    }

    int softirqPending(Cpu cpu) {
        SoftirqEntry s = softirq;
        return s == null ? 0 : s.pending(cpu);
    }

    void runSoftirqs(Cpu cpu, boolean ksoftirqd) {
        softirq.run(cpu, ksoftirqd);
    }

    String describeSoftirqs(Cpu cpu) {
        SoftirqEntry s = softirq;
        return s == null ? "" : s.describePending(cpu);
    }

    Arch arch() {
        return arch;
    }

    // ---------------------------------------------------------------------------------------------- hooks

    @Override
    public void addTickHook(TickHook h) {
        tick.addTickHook(h);
    }

    @Override
    public void addNohzHook(NohzHook h) {
        tick.addNohzHook(h);
    }

    @Override
    public void addHotplugHook(HotplugHook h) {
        hotplug.addHook(h);
    }

    @Override
    public void addWatchdogCheck(Runnable check) {
        watchdog.addCheck(check);
    }

    @Override
    public void setArch(Arch a) {
        if (arch != null) {
            throw new IllegalStateException("the platform is already set");
        }
        arch = Objects.requireNonNull(a, "arch");
    }

    @Override
    public void setSoftirqEntry(SoftirqEntry e) {
        if (softirq != null) {
            throw new IllegalStateException("the softirq subsystem is already set");
        }
        softirq = Objects.requireNonNull(e, "softirq");
        hotplug.addHook(new HotplugHook() {
            @Override
            public void dead(Cpu cpu, Cpu target) {
                e.migrate(cpu, target);               // B-SIRQ-13: pending vectors move with the CPU's work
            }
        });
    }

    // ---------------------------------------------------------------------------------------------- lifecycle

    @Override
    public Lifecycle lifecycle() {
        return lifecycle;
    }

    @Override
    public Faults faults() {
        return faults;
    }

    @Override
    public Latency latency() {
        return latency;
    }

    @Override
    public boolean isStopping() {
        return stopping;
    }

    @Override
    public void runUntilIdle() {
        manualDriver.runUntilIdle();
    }

    @Override
    public void advance(long nanos) {
        manualDriver.advance(nanos);
    }

    @Override
    public synchronized void start() {
        if (arch == null || softirq == null) {
            throw new IllegalStateException("the machine is not wired: no platform or no softirq subsystem");
        }
        if (manual) {
            return;
        }
        for (Cpu c : cpus) {
            CpuThread t = new CpuThread(c, idle);
            c.thread = t;
            t.start();
        }
        watchdog.start();
    }

    @Override
    public void beginStop() {
        stopping = true;
    }

    @Override
    public boolean quiesceHotplug(long deadlineNanos) {
        return hotplug.quiesce(deadlineNanos);
    }

    @Override
    public void releaseHotplug() {
        hotplug.release();
    }

    @Override
    public boolean quiescent() {
        for (Cpu c : cpus) {
            if (c.isOnline() && (c.atomicSinceNanos() != 0 || c.hasWork())) {
                return false;
            }
        }
        return true;
    }

    @Override
    public synchronized void requestStop(long giveUpAtNanos) {
        stopping = true;
        giveUpNanos = giveUpAtNanos;
        watchdog.stop();
        for (Cpu c : cpus) {
            if (manual || c.thread == null) {
                c.markStopped();
            } else {
                c.requestStop();
            }
        }
    }

    @Override
    public List<Thread> joinCpus(long deadlineNanos) {
        List<Thread> all = new ArrayList<>();
        for (Cpu c : cpus) {
            if (c.thread != null) {
                all.add(c.thread);
            }
        }
        Thread w = watchdog.stop();
        if (w != null) {
            all.add(w);
        }
        List<Thread> alive = new ArrayList<>();
        for (Thread t : all) {
            if (!KernelThread.join(t, deadlineNanos)) {
                alive.add(t);
            }
        }
        return alive;
    }

    /** Close: the deadline passed; a CPU still busy stops anyway (see {@link #requestStop}). */
    boolean giveUp() {
        return System.nanoTime() - giveUpNanos >= 0;
    }

    @Override
    public long softLockups() {
        return watchdog.softLockups();
    }

    /** For tests: one watchdog look at every CPU at clock time {@code now}. */
    void checkSoftLockups(long now) {
        watchdog.check(now);
    }

    // ---------------------------------------------------------------------------------------------- statistics

    @Override
    public long hardirqs(Cpu cpu) {
        return cpu.hardirqs();
    }

    @Override
    public long nmis(Cpu cpu) {
        return cpu.nmis();
    }

    @Override
    public long parks(Cpu cpu) {
        return cpu.parks();
    }

    @Override
    public long unparks(Cpu cpu) {
        return cpu.unparks();
    }

    @Override
    public boolean isParked(Cpu cpu) {
        return cpu.runState() == io.kdefer.internal.Parker.PARKED;
    }

    @Override
    public String toString() {
        return "Cpus[" + cpus.length + (manual ? ", MANUAL" : ", THREADED") + "]";
    }
}
