/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.Cpus;
import io.kdefer.gic.Gic;
import io.kdefer.internal.Lifecycle;
import io.kdefer.internal.Services;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irq.Irqs;
import io.kdefer.irqwork.IrqWorkCore;
import io.kdefer.smp.Smp;
import io.kdefer.smp.SmpCore;
import io.kdefer.softirq.Softirqs;
import io.kdefer.tasklet.TaskletCore;
import io.kdefer.time.TimerCore;
import io.kdefer.trace.Stats;
import io.kdefer.workqueue.Workqueues;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A machine: N virtual CPUs on platform threads, a simulated GICv3, and the kernel subsystems that run on them.
 *
 * <pre>{@code
 * try (Machine m = Machine.boot(4)) {
 *     m.irqs().request(40, (irq, dev) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING, "eth0", nic);
 *     m.gic().pulse(40);                      // the device raises its line; cpu/0 runs the handler
 * }
 * }</pre>
 *
 * <h2>Lifecycle</h2>
 * <pre>
 *   BOOTED  -&gt; CLOSED   close(): drain steps (IRQ threads run what is pending and exit, workqueues), then every
 *                        CPU runs what is pending and stops,
 *                        then what could not run is reported; idempotent, joins every thread it started
 * </pre>
 *
 * <h2>"This CPU"</h2>
 * A thread running on a CPU (its {@code cpu/N} thread, a worker, an IRQ thread, or a thread bound with
 * {@link #bindCurrentThread}) uses that CPU; any other thread has a stable home CPU, so {@code queue()},
 * {@code raise()} and {@code schedule()} from application threads spread over the CPUs.
 */
public final class Machine implements AutoCloseable {
    /* Implementation notes
     *
     * Boot order: Cpus (which builds the GIC), Irqs (which installs the IRQ dispatch into the CPU loop), Softirqs,
     * SmpCore (CALL_FUNC IPI), IrqWorkCore (IRQ_WORK IPI, tick, NOHZ and close hooks), TaskletCore (HI and
     * TASKLET softirqs, hotplug hook), TimerCore (TIMER softirq, tick, NOHZ and hotplug hooks), Stats, the timer
     * PPI's handler, Workqueues (tick hook: worker sampler; watchdog check: stalls; close: flush, then stop
     * workers); then the CPU threads start. Subsystems find each other's internal state through the services
     * map, filled before the machine is published and read-only afterwards.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer");

    static {
        Services.install(new Services.Lookup() {
            @Override
            public <T> T get(Object machine, Class<T> type) {
                return ((Machine) machine).service(type);
            }
        });
    }

    private final MachineConfig config;        // I
    private final Cpus cpus;                   // I
    private final Irqs irqs;                   // I
    private final Softirqs softirqs;           // I
    private final SmpCore smpCore;             // I
    private final Smp smp;                     // I
    private final IrqWorkCore irqWork;         // I
    private final TaskletCore tasklets;        // I
    private final TimerCore timers;            // I
    private final Stats stats;                 // I
    private final Workqueues workqueues;       // I
    private final Lifecycle lifecycle = new Lifecycle();       // I
    private final Map<Class<?>, Object> services = new HashMap<>();   // I: filled during boot
    private boolean closed;                    // L(this)

    private Machine(MachineConfig config) {
        this.config = config;
        this.cpus = new Cpus(config.cpus(), config.mode() == Mode.MANUAL, config.hz(), config.idle(),
                config.softirqMaxRestart(), config.softirqMaxTime().toNanos(),
                config.softLockupThreshold().toNanos());
        this.irqs = new Irqs(cpus, lifecycle, config.spuriousWindow(), config.spuriousThreshold(),
                config.spuriousQuietTime().toNanos());
        this.softirqs = new Softirqs(cpus);
        this.smpCore = new SmpCore(cpus, irqs);
        this.smp = new Smp(smpCore);
        this.irqWork = new IrqWorkCore(cpus, irqs, smpCore, lifecycle);
        this.tasklets = new TaskletCore(cpus, lifecycle);
        this.timers = new TimerCore(cpus, lifecycle);
        this.stats = new Stats(cpus, irqs, softirqs);
        irqs.requestPercpu(Gic.TIMER_PPI, (irq, dev) -> {
            cpus.tick(cpus.executingCpu());
            return IrqReturn.HANDLED;
        }, "arch_timer", null);
        services.put(MachineConfig.class, config);
        services.put(Cpus.class, cpus);
        services.put(Gic.class, cpus.gic());
        services.put(Irqs.class, irqs);
        services.put(Softirqs.class, softirqs);
        services.put(SmpCore.class, smpCore);
        services.put(Smp.class, smp);
        services.put(IrqWorkCore.class, irqWork);
        services.put(TaskletCore.class, tasklets);
        services.put(TimerCore.class, timers);
        services.put(Stats.class, stats);
        services.put(Lifecycle.class, lifecycle);
        this.workqueues = new Workqueues(this, cpus, lifecycle, stats);   // needs the services (delayed-work timers)
        services.put(Workqueues.class, workqueues);
    }

    /** Boots a THREADED machine with one CPU per available processor. */
    public static Machine boot() {
        return boot(MachineConfig.defaults());
    }

    /** Boots a THREADED machine with {@code cpus} virtual CPUs. */
    public static Machine boot(int cpus) {
        return boot(MachineConfig.builder().cpus(cpus).build());
    }

    public static Machine boot(MachineConfig config) {
        Objects.requireNonNull(config, "config");
        Machine m = new Machine(config);
        m.cpus.start();
        return m;
    }

    <T> T service(Class<T> type) {
        Object s = services.get(type);
        if (s == null) {
            throw new IllegalStateException("this machine has no " + type.getSimpleName());
        }
        return type.cast(s);
    }

    public MachineConfig config() {
        return config;
    }

    public Mode mode() {
        return config.mode();
    }

    public int cpuCount() {
        return cpus.count();
    }

    /** CPU {@code id}, 0-based. */
    public Cpu cpu(int id) {
        return cpus.cpu(id);
    }

    public Gic gic() {
        return cpus.gic();
    }

    public Irqs irqs() {
        return irqs;
    }

    public Softirqs softirqs() {
        return softirqs;
    }

    /** The workqueues (CMWQ) and their shared worker pools. */
    public Workqueues workqueues() {
        return workqueues;
    }

    /** Cross-CPU function calls. */
    public Smp smp() {
        return smp;
    }

    public Stats stats() {
        return stats;
    }

    /** Ticks since boot (HZ per second), as the CPUs' ticks advanced it. */
    public long jiffies() {
        return cpus.jiffies();
    }

    /** Time since boot on the machine clock (virtual in MANUAL mode). */
    public Duration uptime() {
        return Duration.ofNanos(cpus.clockNanos());
    }

    /**
     * Binds the calling application thread to CPU {@code cpu}: {@code Cpu.current()} then returns it, and
     * {@code queue()}/{@code raise()}/{@code schedule()} from this thread target it. The thread stays a task
     * context: it runs in parallel with the CPU's own atomic contexts, not inside them.
     */
    public void bindCurrentThread(int cpu) {
        cpus.bindCurrentThread(cpus.cpu(cpu));
    }

    /** Undoes {@link #bindCurrentThread}: the thread uses its home CPU again. */
    public void unbindCurrentThread() {
        cpus.bindCurrentThread(null);
    }

    /**
     * MANUAL mode: runs every CPU until none has deliverable work, without advancing virtual time.
     *
     * @throws IllegalStateException in THREADED mode, or when work keeps itself busy forever (naming it)
     */
    public void runUntilIdle() {
        cpus.runUntilIdle();
    }

    /**
     * MANUAL mode: moves virtual time forward by {@code d}, firing every tick and timer due at or before the new
     * time (inclusive), and running everything deliverable after each one.
     */
    public void advance(Duration d) {
        Objects.requireNonNull(d, "duration");
        cpus.advance(d.toNanos());
    }

    /**
     * Shuts the machine down in order and loses nothing: queued work drains, every CPU runs what is pending
     * (interrupts, softirqs, and the irq_work, tasklets and timers due), threads are joined, and anything that
     * could not run is reported. Idempotent.
     *
     * @throws IllegalStateException from a thread running a CPU's atomic context (it would wait for itself)
     */
    @Override
    public void close() {
        if (cpus.executingCpu() != null) {
            throw new IllegalStateException("Machine.close() called from the atomic context of "
                    + cpus.executingCpu() + ": a CPU cannot wait for itself to stop");
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // Stopping from here on: every close step, and the CPUs' last drain, may rely on it (e.g. a scheduled but
        // disabled tasklet stops re-raising its softirq, which would otherwise look like a livelock).
        cpus.beginStop();
        for (Runnable step : lifecycle.steps(Lifecycle.Phase.DRAIN)) {
            runStep(step);
        }
        if (cpus.isManual()) {
            try {
                cpus.runUntilIdle();
            } catch (IllegalStateException e) {
                LOG.log(Level.ERROR, "close: the machine did not become idle; pending work is left unrun", e);
            }
        }
        List<Cpu> stuck = cpus.stop(config.closeTimeout().toNanos());
        if (!stuck.isEmpty()) {
            LOG.log(Level.ERROR, "close: " + stuck + " did not finish their work within " + config.closeTimeout());
        }
        for (Runnable step : lifecycle.steps(Lifecycle.Phase.AFTER_STOP)) {
            runStep(step);
        }
    }

    private static void runStep(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "close step failed; continuing the shutdown", e);
        }
    }

    /** Whether {@link #close()} was called. */
    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "Machine[" + cpus.count() + " CPUs, " + config.mode() + ", " + config.hz() + " Hz]";
    }
}
