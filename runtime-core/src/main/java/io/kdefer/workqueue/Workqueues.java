/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.cpu.internal.KernelThread;
import io.kdefer.cpu.internal.SleepAwareThread;
import io.kdefer.internal.Access;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Inventory;
import io.kdefer.internal.Kernel;
import io.kdefer.internal.Latency;
import io.kdefer.internal.Lifecycle;
import io.kdefer.time.internal.Timers;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A machine's workqueues and the worker pools they share (kernel: the CMWQ core, kernel/workqueue.c).
 *
 * <pre>{@code
 * Workqueues wqs = m.workqueues();
 * wqs.system().queue(new Work(() -> log.flush()));
 * Workqueue oq = wqs.allocOrdered("fw_loader", 0);
 * }</pre>
 *
 * <h2>Pools</h2>
 * Per CPU a normal pool ({@code kworker/N:M}) and a high-priority pool ({@code kworker/N:MH}); one normal and one
 * high-priority unbound pool ({@code kworker/uP:M}). Every worker is a real platform thread (in both modes); a
 * worker of a CPU's pool is bound to that CPU ({@code Cpu.current()} names it) and runs in parallel with the CPU's
 * own atomic contexts. Pools are logical (J-WQ-4): "one runnable worker per CPU" is concurrency-management
 * bookkeeping, the host OS still runs workers in parallel.
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Concurrency management (B-WQ-30): a bound pool keeps one counted runnable worker while it has work. When
 *       that worker blocks in a runtime primitive ({@code io.kdefer.sync}, {@link Work#flush()}, cancelSync,
 *       {@link Workqueue#flush()}), in {@link #managedBlock}, or in foreign code the blocked-thread sampler sees
 *       (BLOCKED / WAITING / TIMED_WAITING), another worker is woken, or created, for the pool's pending items.</li>
 *   <li>An item that runs for longer than the CPU-intensive threshold (10 ms) without sleeping stops counting
 *       (B-WQ-31), so it no longer holds back the pool.</li>
 *   <li>MEM_RECLAIM queues have a rescuer that runs their items when worker creation fails (B-WQ-34/35).</li>
 *   <li>The stall watchdog reports a pool whose worklist made no progress for 30 s, with a busy worker's stack
 *       (B-WQ-37).</li>
 *   <li>{@code Machine.close()} drains every queue (accepted items all run; delayed items fire early), then stops
 *       the workers and rescuers. On a closed machine {@code queue*} return {@code false}, {@link #alloc},
 *       {@link #allocOrdered}, {@link #freeze} and {@code modDelayed} throw IllegalStateException, and a flush or
 *       cancel waits only for what can still finish (once the machine terminated, a wait for an item that never ran
 *       throws instead of blocking).</li>
 *   <li>CPU hotplug (B-WQ-44): the pools of a CPU going offline unbind: their workers run unbound (not counted
 *       by concurrency management, {@code Cpu.current()} is null in them) and still run the pools' items, also
 *       items queued there with {@code queueOn} meanwhile; when the CPU comes back they rebind.</li>
 *   <li>A {@link Work} belongs to the machine it is first queued on; queueing it on another machine's workqueue is
 *       refused with IllegalArgumentException and leaves it usable where it belongs (once that machine terminated
 *       and the item is idle, it may move on).</li>
 * </ul>
 */
public final class Workqueues {
    /* Implementation notes
     *
     * Pool ids: 2 * cpu (+1 for highpri) for the bound pools, then the two unbound pools. A Work's data word keeps
     * its last pool's id; pool(id) maps it back (the array is final, so ids are stable).
     *
     * The sampler and the CPU-intensive check run on every tick of the pool's CPU (hardirq context; they take the
     * pool lock only when some worker of the pool runs an item), the stall check on the machine's watchdog thread.
     * Workers run on their own threads, so a CPU is usually idle (NOHZ, tick stopped) while its pools work: the
     * CPU keeps its tick while one of its pools runs an item (needsTick), and a pool that starts running an item
     * kicks its CPU if the tick is stopped (itemStarted). Without this neither the sampler nor the CPU-intensive
     * check ever ran on an idle CPU (BlockingMixBench, WorkqueueSamplerTest).
     * On the proofs' core (Workqueues.forProofs: no hooks) tests call sample() and checkStalls() themselves.
     *
     * The blocked-worker sampler (THREADED machines): the tick's sampler sees a worker blocked in foreign code up
     * to a tick late, when a 1 ms sleep is nearly over. A thread of the machine's own (kworker-sampler) repeats the
     * blocked-thread half of the sample every SAMPLER_PERIOD_NANOS while some bound pool runs an item and has items
     * waiting behind a counted worker (the only case where marking a blocked worker helps: it wakes another), and
     * parks while no pool is busy. itemStarted unparks it: nrBusy is written before `samplerIdle` is read, and the
     * sampler writes samplerIdle before it re-reads every nrBusy (a Dekker pair on volatiles), so it never sleeps
     * through a pool's first item. Not on MANUAL machines (their tests decide when sampling happens) nor on the
     * proofs' core. The CPU-intensive check stays on the tick (it needs a clock, not speed).
     *
     * Tunables are fields so tests can shorten them; the defaults are the kernel's constants (K-WQ). A worker reads
     * idleTimeoutNanos when it starts an idle wait, so a change applies to waits started afterwards.
     *
     * A pool with no worker at all whose first creation failed retries at its next kick (the next queue to it) and
     * on every run of the stall check (the machine's watchdog thread); MEM_RECLAIM queues are rescued meanwhile.
     * The kernel creates the first worker when the pool is set up, and its manager retries every CREATE_COOLDOWN.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.workqueue");

    static final int RESCUER_BATCH = 16;
    static final long SAMPLER_PERIOD_NANOS = TimeUnit.MICROSECONDS.toNanos(100);   // the blocked-worker sampler

    private final String machineName;           // I
    final Latency latency;                      // I: the WORK rows (written under each pool's lock)
    private final Inventory inventory;          // I: announces queues to the JMX registration
    private final Cpus cpus;                    // I
    final Lifecycle lifecycle;                  // I
    final Faults faults;                        // I
    private final Timers timers;                // I; null for the proofs' core (threadless)
    private final boolean threadless;           // I: the proofs' core: no worker threads, hand-fired timers
    private final int nCpus;                    // I
    private final WorkerPool[] pools;           // I
    private final List<Workqueue> queues = new CopyOnWriteArrayList<>();   // A
    // I on a machine (built at boot); on the proofs' core built on first use by the single setup thread, which
    // keeps a jcstress state (one core per sample) cheap
    private Workqueue system;
    private Workqueue systemHighpri;
    private Workqueue systemLong;
    private Workqueue systemUnbound;
    private Workqueue systemFreezable;
    private volatile boolean frozen;            // A
    private volatile boolean closed;            // A: close's stop phase: pools are dying, nothing is inserted
    private volatile BooleanSupplier creationFault;   // A: test hook (J-WQ-5)
    // Every worker and rescuer thread started and maybe still alive: close joins these. A worker leaves its pool's
    // list before its thread ends, so the pools' lists cannot tell close which threads to wait for. Dead threads are
    // pruned when the next one starts (creation is rare: idle workers live 5 minutes).
    private final Set<Thread> started = ConcurrentHashMap.newKeySet();     // A
    private final Thread sampler;               // I: the blocked-worker sampler; null on MANUAL machines, proofs' core
    private volatile boolean samplerIdle;       // A: the sampler parks (no pool busy); see Implementation notes

    volatile long idleTimeoutNanos = TimeUnit.SECONDS.toNanos(300);        // IDLE_WORKER_TIMEOUT
    volatile long maydayInitialNanos = TimeUnit.MILLISECONDS.toNanos(10);  // MAYDAY_INITIAL_TIMEOUT
    volatile long maydayIntervalNanos = TimeUnit.MILLISECONDS.toNanos(100);   // MAYDAY_INTERVAL
    volatile long createCooldownNanos = TimeUnit.SECONDS.toNanos(1);       // CREATE_COOLDOWN
    volatile long intensiveNanos = TimeUnit.MILLISECONDS.toNanos(10);      // wq_cpu_intensive_thresh_us
    volatile long stallNanos = TimeUnit.SECONDS.toNanos(30);               // wq_watchdog_thresh

    static {
        Access.register(Workqueues.class, Workqueues::install);
    }

    /** The workqueue subsystem's installer ({@code Access}): the pools, the system queues, their hooks. */
    static void install(Kernel k) {
        k.put(Workqueues.class, new Workqueues(k, false));
    }

    /**
     * The core the jcstress proofs (MO-WQ-*) use, on a bare kernel: the same pools and queues, but no worker threads
     * (a test plays a worker on its own thread with {@link Worker#detached} and {@link Worker#runOnce()}) and delayed
     * work on a timer that fires only when the test calls {@link DelayedWork#fireTimer()}. No hooks are registered.
     */
    static Workqueues forProofs(Kernel k) {
        return new Workqueues(k, true);
    }

    private Workqueues(Kernel k, boolean threadless) {
        this.machineName = k.name();
        this.latency = k.latency();
        this.inventory = k.inventory();
        this.cpus = k.get(Cpus.class);
        this.lifecycle = cpus.lifecycle();
        this.faults = cpus.faults();
        this.threadless = threadless;
        this.timers = threadless ? null : k.get(Timers.class);
        int n = cpus.count();
        this.nCpus = n;
        this.pools = new WorkerPool[2 * n + 2];
        for (int i = 0; i < 2 * n; i++) {
            pools[i] = new WorkerPool(this, i, i / 2, (i & 1) != 0);
        }
        pools[2 * n] = new WorkerPool(this, 2 * n, -1, false);
        pools[2 * n + 1] = new WorkerPool(this, 2 * n + 1, -1, true);
        if (threadless) {
            this.sampler = null;
            return;
        }
        if (cpus.isManual()) {
            this.sampler = null;
        } else {
            this.sampler = new KernelThread(threadOwner(), this::samplerLoop, "kworker-sampler", false) {
                @Override
                public String describeWork() {
                    return samplerIdle ? "idle" : "sampling busy pools";
                }
            };
            sampler.setDaemon(true);
            started.add(sampler);
            sampler.start();
        }
        system();
        systemHighpri();
        systemLong();
        systemUnbound();
        systemFreezable();
        cpus.addTickHook(this::tick);
        cpus.addNohzHook(new Cpus.NohzHook() {
            @Override
            public boolean needsTick(Cpu cpu) {
                // The blocked-thread sampler runs on the tick: keep it while an item runs in one of the CPU's pools
                return cpuPool(cpu.id(), false).nrBusy > 0 || cpuPool(cpu.id(), true).nrBusy > 0;
            }
        });
        cpus.addWatchdogCheck(this::checkStalls);
        cpus.addHotplugHook(new Cpus.HotplugHook() {
            @Override
            public void offlining(Cpu cpu, Cpu target) {
                cpuPool(cpu.id(), false).unbind();
                cpuPool(cpu.id(), true).unbind();
            }

            @Override
            public void online(Cpu cpu) {
                cpuPool(cpu.id(), false).rebind(cpu);
                cpuPool(cpu.id(), true).rebind(cpu);
            }
        });
        lifecycle.register(new Lifecycle.Participant() {
            @Override
            public void beginDrain() {
                if (frozen) {
                    LOG.log(Level.WARNING, "close: workqueues are frozen; thawing so that the held items run");
                    thaw();
                }
            }

            @Override
            public boolean drain(long deadlineNanos) {
                return drainForClose(deadlineNanos);
            }

            @Override
            public void stop() {
                stopForClose();
            }

            @Override
            public List<Thread> join(long deadlineNanos) {
                return joinForClose(deadlineNanos);
            }

            @Override
            public void reportLeftovers() {
                countLeftovers();
            }

            @Override
            public void releaseWaiters() {
                for (WorkerPool p : pools) {
                    p.lock.lock();
                    try {
                        p.flushCond.signalAll();
                    } finally {
                        p.lock.unlock();
                    }
                }
            }

            @Override
            public String toString() {
                return "workqueues";
            }
        });
    }

    // ------------------------------------------------------------------------------------------ public API

    /** system_wq ("events"): per-CPU, max_active 1024. */
    public Workqueue system() {
        Workqueue q = system;
        return q != null ? q : (system = alloc("events", 0, 0));
    }

    /** system_highpri_wq: the high-priority per-CPU pools. */
    public Workqueue systemHighpri() {
        Workqueue q = systemHighpri;
        return q != null ? q : (systemHighpri = alloc("events_highpri", WorkqueueFlags.HIGHPRI, 0));
    }

    /** system_long_wq: for items that may run long. */
    public Workqueue systemLong() {
        Workqueue q = systemLong;
        return q != null ? q : (systemLong = alloc("events_long", 0, 0));
    }

    /** system_unbound_wq: the unbound pool, max_active 2048. */
    public Workqueue systemUnbound() {
        Workqueue q = systemUnbound;
        return q != null ? q : (systemUnbound = alloc("events_unbound", WorkqueueFlags.UNBOUND, Workqueue.MAX_ACTIVE));
    }

    /** system_freezable_wq: stops activating items during {@link #freeze()}. */
    public Workqueue systemFreezable() {
        Workqueue q = systemFreezable;
        return q != null ? q : (systemFreezable = alloc("events_freezable", WorkqueueFlags.FREEZABLE, 0));
    }

    // ----- the system queue's shorthands (kernel: include/linux/workqueue.h, the schedule_* inlines) -----

    /**
     * kernel: schedule_work(): {@code system().queue(w)}, on this CPU's pool of the system queue ("events").
     *
     * @return as {@link Workqueue#queue}: {@code true} if this call made it pending; {@code false} if it already
     *         was, is disabled, or the machine is closed
     */
    public boolean scheduleWork(Work w) {
        return system().queue(w);
    }

    /**
     * kernel: schedule_work_on(): {@code system().queueOn(cpu, w)}, on CPU {@code cpu}'s pool of the system queue.
     *
     * @throws IllegalArgumentException if {@code cpu} does not exist
     */
    public boolean scheduleWorkOn(int cpu, Work w) {
        return system().queueOn(cpu, w);
    }

    /**
     * kernel: schedule_delayed_work(): {@code system().queueDelayed(dw, delay)}; the timer queues it on the CPU it
     * fires on.
     *
     * @throws IllegalArgumentException for a negative delay
     */
    public boolean scheduleDelayedWork(DelayedWork dw, Duration delay) {
        return system().queueDelayed(dw, delay);
    }

    /** kernel: schedule_delayed_work_on(): {@code system().queueDelayedOn(cpu, dw, delay)}. */
    public boolean scheduleDelayedWorkOn(int cpu, DelayedWork dw, Duration delay) {
        return system().queueDelayedOn(cpu, dw, delay);
    }

    /**
     * kernel: alloc_workqueue() (B-WQ-16): {@code maxActive} 0 means 1024; values outside [1, 2048] are clamped
     * with a warning; names longer than 31 characters are truncated with a warning. MEM_RECLAIM starts the
     * rescuer {@code kworker/R-<name>}.
     *
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException for WQ_BH (not supported here) or unknown flag bits
     */
    public Workqueue alloc(String name, int flags, int maxActive) {
        Objects.requireNonNull(name, "name");
        checkOpen("alloc_workqueue");
        if ((flags & ~WorkqueueFlags.KNOWN) != 0) {
            throw new IllegalArgumentException("alloc_workqueue: unknown flag bits 0x"
                    + Integer.toHexString(flags & ~WorkqueueFlags.KNOWN) + " for " + name);
        }
        return allocInternal(name, flags, maxActive);
    }

    /**
     * kernel: alloc_ordered_workqueue() (B-WQ-17): unbound, max_active 1, at most one item executing at a time, in
     * queueing order: an item queued after another returned starts after that one returned and sees its stores
     * (MO-WQ-4, proven by {@code Workqueue_04_OrderedRunsInOrder}).
     */
    public Workqueue allocOrdered(String name, int flags) {
        Objects.requireNonNull(name, "name");
        checkOpen("alloc_ordered_workqueue");
        if ((flags & ~WorkqueueFlags.KNOWN) != 0) {
            throw new IllegalArgumentException("alloc_ordered_workqueue: unknown flag bits 0x"
                    + Integer.toHexString(flags & ~WorkqueueFlags.KNOWN) + " for " + name);
        }
        return allocInternal(name, flags | WorkqueueFlags.UNBOUND | WorkqueueFlags.ORDERED, 1);
    }

    private Workqueue allocInternal(String name, int flags, int maxActive) {
        if ((flags & WorkqueueFlags.BH) != 0) {
            throw new IllegalArgumentException("alloc_workqueue: WQ_BH is not supported by this runtime (" + name
                    + "); use a tasklet or softirq");
        }
        if (name.length() > Workqueue.NAME_LEN - 1) {
            String t = name.substring(0, Workqueue.NAME_LEN - 1);
            LOG.log(Level.WARNING, "workqueue: name exceeds WQ_NAME_LEN. Truncating to: " + t);
            name = t;
        }
        int max = maxActive == 0 ? Workqueue.DFL_ACTIVE : clampMaxActive(name, maxActive);
        Workqueue wq = new Workqueue(this, name, flags, max);
        if (frozen && (flags & WorkqueueFlags.FREEZABLE) != 0) {
            wq.setFrozen(true);
        }
        queues.add(wq);
        inventory.added(wq);
        return wq;
    }

    static int clampMaxActive(String name, int n) {
        if (n < 1 || n > Workqueue.MAX_ACTIVE) {
            int c = Math.max(1, Math.min(n, Workqueue.MAX_ACTIVE));
            LOG.log(Level.WARNING, "workqueue: max_active " + n + " requested for " + name
                    + " is out of range, clamping between 1 and " + Workqueue.MAX_ACTIVE + ": " + c);
            return c;
        }
        return n;
    }

    /**
     * Freezes the FREEZABLE queues (B-WQ-23): their max_active becomes 0, so new items stay inactive; waits until
     * their running items have finished.
     *
     * @throws IllegalStateException in atomic context, from an item of a FREEZABLE queue (it would wait for
     *         itself), or on a closed machine
     */
    public void freeze() {
        CpuContext.mightSleep("Workqueues.freeze");
        checkOpen("freeze_workqueues");
        Worker self = Worker.current();
        if (self != null && self.currentPwq != null
                && (self.currentPwq.wq.flags & WorkqueueFlags.FREEZABLE) != 0) {
            throw new IllegalStateException("freeze from an item of the freezable workqueue "
                    + self.currentPwq.wq.name() + " would wait for itself");
        }
        frozen = true;
        for (Workqueue wq : queues) {
            if ((wq.flags & WorkqueueFlags.FREEZABLE) != 0) {
                wq.setFrozen(true);
            }
        }
        for (Workqueue wq : queues) {
            if ((wq.flags & WorkqueueFlags.FREEZABLE) != 0) {
                wq.waitNoActive();
            }
        }
    }

    /** Thaws: restores max_active of the FREEZABLE queues and activates their waiting items. */
    public void thaw() {
        frozen = false;
        for (Workqueue wq : queues) {
            if ((wq.flags & WorkqueueFlags.FREEZABLE) != 0) {
                wq.setFrozen(false);
            }
        }
    }

    public boolean isFrozen() {
        return frozen;
    }

    /**
     * Runs {@code blocking} and tells the calling worker's pool that it blocks meanwhile, so another worker takes
     * over the pool's pending items (the analogue of {@code ForkJoinPool.managedBlock}). On other threads it just
     * runs {@code blocking}.
     *
     * @throws IllegalStateException in atomic context
     * @throws Exception whatever {@code blocking} throws
     */
    public static <T> T managedBlock(Callable<T> blocking) throws Exception {
        Objects.requireNonNull(blocking, "blocking");
        CpuContext.mightSleep("Workqueues.managedBlock");
        SleepAwareThread token = SleepAwareThread.blockBegin();
        try {
            return blocking.call();
        } finally {
            SleepAwareThread.blockEnd(token);
        }
    }

    /** Every workqueue of this machine that is not destroyed, system ones first. */
    public List<Workqueue> all() {
        return new ArrayList<>(queues);
    }

    /**
     * kernel: the {@code workqueue.watchdog_thresh} parameter (30 s, writable at run time): how long a pool's worklist
     * may make no progress before the watchdog reports "BUG: workqueue lockup" (B-WQ-37) and emits
     * {@code kdefer.WorkqueueStall}. The machine's watchdog thread checks at its own cadence (a quarter of the soft
     * lockup threshold, THREADED mode with soft lockup detection on).
     *
     * @throws IllegalArgumentException if {@code d} is not positive
     */
    public void setWatchdogThreshold(Duration d) {
        Objects.requireNonNull(d, "threshold");
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("-EINVAL: workqueue watchdog threshold must be positive: " + d);
        }
        stallNanos = d.toNanos();
    }

    /** Stalls the watchdog reported (B-WQ-37). */
    public long stalls() {
        long n = 0;
        for (WorkerPool p : pools) {
            p.lock.lock();
            try {
                n += p.stalls;
            } finally {
                p.lock.unlock();
            }
        }
        return n;
    }

    /**
     * The wq_monitor table, one row per workqueue: {@code total} items executed; {@code infl} items queued or
     * running now; {@code CPUtime} ms the items ran, minus the time they spent in recorded sleeps (the
     * runtime's primitives, {@code msleep}, {@code managedBlock}, waits on {@code Work}s and the executor views); a
     * block only the sampler sees counts as running. Not thread CPU time: reading that costs a system call (about
     * 0.6 us on the development machine) at each end of every item, several times the cost of a tiny item, where
     * the kernel samples it at the tick. {@code CPUhog} items
     * marked CPU_INTENSIVE automatically (B-WQ-31); {@code CMW/RPR} concurrency-management wake-ups (a worker
     * blocked and another was woken) / repatriations (always 0: no affinity scopes here, J-WQ-7); {@code mayday}
     * and {@code rescued} for MEM_RECLAIM queues, "-" otherwise.
     */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-24s %10s %6s %10s %7s %9s %7s %8s%n", "", "total", "infl",
                "CPUtime", "CPUhog",
                "CMW/RPR", "mayday", "rescued"));
        for (Workqueue wq : queues) {
            Workqueue.Stats s = wq.stats;
            boolean reclaim = wq.rescuer != null;
            sb.append(String.format("%-24s %10d %6d %10d %7d %9s %7s %8s%n", wq.name(), wq.executed(), wq.inFlight(),
                    TimeUnit.NANOSECONDS.toMillis(wq.runNanos()), s.cpuHog.get(), s.cmWakeups.get() + "/0",
                    reclaim ? Long.toString(s.mayday.get()) : "-", reclaim ? Long.toString(s.rescued.get()) : "-"));
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------------ internal

    /** The proofs' core ({@link #forProofs}): pools start no worker threads. */
    boolean isThreadless() {
        return threadless;
    }

    int cpuCount() {
        return nCpus;
    }

    WorkerPool cpuPool(int cpu, boolean highpri) {
        return pools[2 * cpu + (highpri ? 1 : 0)];
    }

    WorkerPool unboundPool(boolean highpri) {
        return pools[2 * nCpus + (highpri ? 1 : 0)];
    }

    WorkerPool pool(int id) {
        return pools[id];
    }

    boolean isSystem(Workqueue wq) {
        return wq == system || wq == systemHighpri || wq == systemLong || wq == systemUnbound
                || wq == systemFreezable;
    }

    void remove(Workqueue wq) {
        queues.remove(wq);
        inventory.removed(wq);
    }

    /** The stop phase of close began: pools are dying and take nothing more (internal insertions included). */
    boolean isClosed() {
        return closed;
    }

    /** Whether new work from the caller is refused: the machine is closed to it. */
    boolean refusesNewWork() {
        return cpus.refusesNewWork();
    }

    boolean isTerminated() {
        return lifecycle.isTerminated();
    }

    void checkOpen(String what) {
        lifecycle.checkOpen(what);
    }

    /** The machine's name, for messages about work items that belong elsewhere. */
    String machineName() {
        return machineName;
    }

    /**
     * B-WQ-2: an explicit CPU must exist; an offline one is fine, its pool is unbound and runs the item anyway
     * (B-WQ-44).
     */
    void checkCpu(int cpu) {
        if (cpu < 0 || cpu >= nCpus) {
            throw new IllegalArgumentException("cpu " + cpu + " does not exist (this machine has " + nCpus
                    + " CPUs)");
        }
    }

    int thisCpuId() {
        return cpus.thisCpu().id();
    }

    /**
     * A bound pool started running an item: if its CPU is NOHZ-idle, wake it so that it restarts its tick (the
     * sampler's clock). Pairs with the CPU's publication of tickStopped before it asks needsTick, which reads
     * nrBusy: the worker has already written nrBusy, so one of the two sides sees the other.
     */
    void itemStarted(WorkerPool p) {
        if (p.isBound() && !p.disassociated) {
            Cpu c = cpus.cpu(p.cpu);
            if (cpus.tickStopped(c)) {
                cpus.kick(c);
            }
            if (samplerIdle) {
                LockSupport.unpark(sampler);
            }
        }
    }

    /** The blocked-worker sampler's loop (see Implementation notes); ends when close stops the pools. */
    private void samplerLoop() {
        while (!closed) {
            if (sampleBusyPools()) {
                LockSupport.parkNanos(this, SAMPLER_PERIOD_NANOS);
            } else {
                samplerIdle = true;
                if (!anyPoolBusy() && !closed) {
                    LockSupport.park(this);
                }
                samplerIdle = false;
            }
            if (Thread.interrupted()) {
                faults.interruptCleared(Thread.currentThread(), "sampler");   // our threads ignore interrupts
            }
        }
    }

    /** One pass over the bound pools; whether any was busy. */
    private boolean sampleBusyPools() {
        boolean busy = false;
        long now = 0;
        for (int i = 0; i < 2 * nCpus; i++) {
            WorkerPool p = pools[i];
            if (p.nrBusy > 0) {
                busy = true;
                if (p.hasWaitingItems()) {
                    if (now == 0) {
                        now = System.nanoTime();
                    }
                    p.sample(now, Long.MAX_VALUE);         // blocked workers only: never the CPU-intensive mark
                }
            }
        }
        return busy;
    }

    private boolean anyPoolBusy() {
        for (int i = 0; i < 2 * nCpus; i++) {
            if (pools[i].nrBusy > 0) {
                return true;
            }
        }
        return false;
    }

    /** The CPU of bound pool {@code p}'s workers, or null (unbound pool, or CPU offline). */
    Cpu bindingOf(WorkerPool p) {
        return !p.isBound() || p.disassociated ? null : cpus.cpu(p.cpu);
    }

    /** The identity of this machine's runtime threads (a worker is one). */
    Object threadOwner() {
        return cpus;
    }

    DelayedWork.Timer newTimer(Runnable fn) {
        if (threadless) {
            return new HandFiredTimer(fn);
        }
        return DelayedWork.machineTimer(timers.newTimer(fn));
    }

    /** A worker or rescuer thread is about to start (close joins it). */
    void started(Thread t) {
        started.removeIf(x -> !x.isAlive() && x.getState() == Thread.State.TERMINATED);
        started.add(t);
    }

    /** Test hook (J-WQ-5): while {@code fault} returns true, worker creation fails. {@code null} clears it. */
    void failWorkerCreation(BooleanSupplier fault) {
        creationFault = fault;
    }

    boolean creationFails() {
        BooleanSupplier f = creationFault;
        return f != null && f.getAsBoolean();
    }

    /** Tick of {@code cpu} (hardirq context): sample that CPU's pools if some worker runs an item. */
    private void tick(Cpu cpu) {
        long now = System.nanoTime();
        for (int h = 0; h < 2; h++) {
            WorkerPool p = cpuPool(cpu.id(), h == 1);
            if (p.nrBusy > 0) {                         // racy hint: only pools with an item running
                p.sample(now, intensiveNanos);
            }
        }
    }

    /** Runs the blocked-thread sampler and the CPU-intensive check on every bound pool now. */
    void sample() {
        long now = System.nanoTime();
        for (WorkerPool p : pools) {
            p.sample(now, intensiveNanos);
        }
    }

    /** The stall watchdog (B-WQ-37), run by the machine's watchdog thread. */
    void checkStalls() {
        long now = System.nanoTime();
        for (WorkerPool p : pools) {
            p.checkStall(now, stallNanos);
        }
    }

    /**
     * Close, DRAINING: flushes every queue (new work is refused, so this converges) until {@code deadlineNanos}.
     * Returns whether every queue is idle.
     */
    private boolean drainForClose(long deadlineNanos) {
        boolean idle = true;
        for (Workqueue wq : queues) {
            idle &= wq.flushUntil(deadlineNanos) && wq.isIdle();
        }
        return idle;
    }

    /** Close, stop: pools take nothing more; idle workers exit, busy ones after their items; rescuers stop. */
    private void stopForClose() {
        closed = true;
        if (sampler != null) {
            LockSupport.unpark(sampler);                   // it sees closed and ends; close joins it
        }
        for (Workqueue wq : queues) {
            wq.requestRescuerStop();
        }
        for (WorkerPool p : pools) {
            p.stopWorkers();
        }
    }

    /** Close, join: waits until {@code deadlineNanos} for workers and rescuers; returns those still alive. */
    private List<Thread> joinForClose(long deadlineNanos) {
        List<Thread> alive = new ArrayList<>();
        for (Thread t : new ArrayList<>(started)) {
            if (!KernelThread.join(t, deadlineNanos)) {
                alive.add(t);
            }
        }
        return alive;
    }

    /** Close, leftovers: items still on a pool's lists never ran; take them off and count them. */
    private void countLeftovers() {
        int n = 0;
        for (WorkerPool p : pools) {
            p.lock.lock();
            try {
                n += p.takeLeftovers(lifecycle);
            } finally {
                p.lock.unlock();
            }
        }
        if (n > 0) {
            LOG.log(Level.ERROR, "close: " + n + " queued work item(s) could not run before the workers stopped");
        }
    }

    /** The proofs' core's timer: armed and deleted like a TimerList, fired only by {@link DelayedWork#fireTimer()}. */
    private static final class HandFiredTimer implements DelayedWork.Timer {
        private final Runnable fn;
        private final AtomicBoolean armed = new AtomicBoolean();

        HandFiredTimer(Runnable fn) {
            this.fn = fn;
        }

        @Override
        public boolean mod(Duration d) {
            return armed.getAndSet(true);
        }

        @Override
        public boolean delete() {
            return armed.getAndSet(false);
        }

        @Override
        public boolean isPending() {
            return armed.get();
        }

        @Override
        public boolean fire() {
            if (armed.getAndSet(false)) {
                fn.run();
                return true;
            }
            return false;
        }
    }
}
