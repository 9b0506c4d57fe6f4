/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.Host;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.cpu.internal.HostAffinity;
import io.kdefer.cpu.internal.KernelThread;
import io.kdefer.cpu.internal.Pinning;
import io.kdefer.gic.Gic;
import io.kdefer.internal.Access;
import io.kdefer.internal.Config;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Kernel;
import io.kdefer.internal.Lifecycle;
import io.kdefer.internal.Services;
import io.kdefer.irq.Irqs;
import io.kdefer.irq.internal.IrqOptions;
import io.kdefer.irqchip.GicV3;
import io.kdefer.irqchip.X86Apic;
import io.kdefer.irqwork.IrqWork;
import io.kdefer.smp.Smp;
import io.kdefer.softirq.Softirqs;
import io.kdefer.tasklet.Tasklet;
import io.kdefer.time.TimerList;
import io.kdefer.trace.Stats;
import io.kdefer.workqueue.Workqueues;
import io.kdefer.x86.I8259Pair;
import io.kdefer.x86.IoApic;
import io.kdefer.x86.LocalApic;
import io.kdefer.x86.Msi;
import io.kdefer.x86.X86Chips;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A machine: N virtual CPUs on platform threads, simulated interrupt hardware (a GICv3 by default; the PC's local
 * APICs, IO-APIC, 8259A pair and MSI with {@link Platform#X86_APIC} or {@link Platform#X86_LEGACY_PIC}), and the
 * kernel subsystems that run on them.
 *
 * <pre>{@code
 * try (Machine m = Machine.boot(4)) {
 *     m.irqs().request(40, (irq, dev) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING, "eth0", nic);
 *     m.gic().pulse(40);                      // the device raises its line; cpu/0 runs the handler
 * }
 * }</pre>
 *
 * <h2>Lifecycle ({@link State}, the shape of {@code ExecutorService}'s RUNNING, SHUTDOWN, TERMINATED)</h2>
 * <pre>
 *   state       entry points              -&gt; next
 *   RUNNING     accept work               -&gt; CLOSING     close() or shutdown(), the first caller
 *   CLOSING     refuse new work           -&gt; DRAINING    delayed work fired early (queued now), lazy irq_work
 *                                                       raised, due timers raised
 *   DRAINING    refuse new work           -&gt; TERMINATED  what was accepted ran: CPUs, IRQ threads and
 *                                                       workqueues idle (or the deadline passed); then every
 *                                                       runtime thread stopped and was joined, and what never
 *                                                       ran was counted ({@link #closeReport()})
 *   TERMINATED  refuse new work; a wait that can no longer finish throws IllegalStateException instead of blocking
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>After CLOSING every entry point refuses new work, from every thread, consistently: a call that returns
 *       whether it made an item pending ({@code IrqWork.queue}, {@code Tasklet.schedule}, {@code Workqueue.queue})
 *       returns {@code false}; any other throws {@link IllegalStateException} ("... the machine is closed").
 *       Work the runtime itself continues (a delayed item's timer queueing it, a softirq drain restarting) is not
 *       new work. Each method's javadoc says what it does on a closed machine.</li>
 *   <li>Everything accepted before CLOSING runs, or is counted exactly in {@link #closeReport()}: irq_work,
 *       softirqs, tasklets and cross-CPU calls run on their CPUs; due timers fire; delayed work fires early (the
 *       kernel's flush-on-close choice) and runs; workqueues drain; IRQ threads run their pending wake-ups. Timers
 *       not yet due are cancelled and counted.</li>
 *   <li>One deadline ({@link MachineConfig#closeTimeout()}) bounds the whole close: CPUs, workers, IRQ threads,
 *       rescuers. Past three quarters of it the drain stops; runtime threads still running near the deadline (an
 *       item that never returns) are interrupted, and those that still do not end are reported with their stack
 *       and what they were running, and left behind. close() returns by the deadline.</li>
 *   <li>{@link #close()} is idempotent: every caller returns only when the machine is TERMINATED. It is refused
 *       (IllegalStateException) from the machine's own threads (a CPU, a worker, an IRQ thread), which it would
 *       wait for; {@link #shutdown()} begins the same close from anywhere and returns at once.</li>
 *   <li>Waits that can no longer finish ({@code IrqWork.sync}, {@code Tasklet.kill}, {@code Work.flush},
 *       {@code cancelSync}, a waiting cross-CPU call, {@code Irqs.synchronize}, CPU hotplug) are released with an
 *       IllegalStateException when the machine terminates.</li>
 *   <li>A Java interrupt never ends or spins a runtime thread: the flag is cleared after each callback, counted and
 *       reported once per source (DESIGN §5).</li>
 *   <li>If close() is never called: the runtime's threads are daemon threads, so they never keep the JVM alive,
 *       and work still pending when the JVM exits does not run. {@link MachineConfig.Builder#closeOnExit(boolean)}
 *       closes the machine from a shutdown hook instead.</li>
 * </ul>
 * Proofs: {@code MachineLifecycleTest} (one test per lifecycle rule), {@code LifecycleStressTest} (THREADED,
 * {@code -Pstress}), jcstress {@code Lifecycle_01_EnqueueRacingDyingCpu} and {@code Lifecycle_02_QueueRacingClose}.
 *
 * <h2>"This CPU"</h2>
 * A thread running on a CPU (its {@code cpu/N} thread, a worker, an IRQ thread, or a thread bound with
 * {@link #bindCurrentThread}) uses that CPU; any other thread has a stable home CPU, so {@code queue()},
 * {@code raise()} and {@code schedule()} from application threads spread over the CPUs.
 */
public final class Machine implements Host, AutoCloseable {
    /* Implementation notes
     *
     * Boot: the root package only wires. Machine builds the machine's Kernel (its configuration, lifecycle and
     * interrupt policy) and has each subsystem install itself into it (internal.Access), bottom layer first, each
     * finding what it stands on in the Kernel:
     *   cpu (the CPUs, tick, hotplug)  -> softirq (pending words, drain)  -> irq (genirq)  -> smp (IPIs, call-single
     *   queues)  -> the platform (the GICv3 driver: chip, domain, root handler, SGIs, timer PPI; or the x86 driver:
     *   local APICs, IO-APIC, 8259A, MSI, vector matrix, do_IRQ)  -> irq_work  -> tasklets  -> timers  ->
     *   workqueues  -> statistics
     * Each subsystem registers its hooks and its Lifecycle.Participant as it installs; close calls the participants
     * in that order. Then the CPU threads start.
     *
     * The closer is the first thread to move RUNNING -> CLOSING: a close() caller, or the thread shutdown() starts.
     * Deadlines, all from the start of close (T = closeTimeout): the drain ends at 3T/4, the stop-and-join at 7T/8,
     * then threads still alive are interrupted and given until T. The closer holds the hotplug lock from CLOSING to
     * the end, so no CPU changes state under the drain (a transition in progress finishes first, within the
     * deadline).
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer");
    private static final AtomicInteger NEXT_ID = new AtomicInteger();

    /** A machine's lifecycle states (see the class javadoc). */
    public enum State {
        /** Accepts work. */
        RUNNING,
        /** close() or shutdown() began: new work is refused. */
        CLOSING,
        /** Accepted work runs; then the runtime's threads stop. */
        DRAINING,
        /** Every runtime thread stopped (or was reported); nothing runs any more. */
        TERMINATED
    }

    static {
        Services.install(new Services.Lookup() {
            @Override
            public <T> T get(Object machine, Class<T> type) {
                if (!(machine instanceof Machine)) {
                    throw new IllegalArgumentException("not a Machine: " + machine);
                }
                return ((Machine) machine).service(type);
            }
        });
    }

    /** The subsystems in install order (see the implementation notes); PLATFORM is replaced by the platform driver. */
    private static final Class<?>[] SUBSYSTEMS = {
        Cpu.class, Softirqs.class, Irqs.class, Smp.class, Platform.class, IrqWork.class, Tasklet.class,
        TimerList.class, Workqueues.class, Stats.class,
    };

    private final MachineConfig config;        // I
    private final String name;                 // I
    private final Kernel kernel;               // I
    private final Cpus cpus;                   // I
    private final Irqs irqs;                   // I
    private final Softirqs softirqs;           // I
    private final Smp smp;                     // I
    private final Stats stats;                 // I
    private final Workqueues workqueues;       // I
    private final Lifecycle lifecycle;         // I
    private final Faults faults;               // I
    private volatile CloseReport report;       // A: set by the closer before TERMINATED
    private volatile Thread exitHook;          // A: closeOnExit's shutdown hook, removed by close

    private Machine(MachineConfig config) {
        this.config = config;
        this.name = config.name() != null ? config.name() : "machine-" + NEXT_ID.incrementAndGet();
        this.kernel = new Kernel(new Config(name, config.cpus(), config.mode() == Mode.MANUAL, config.hz(),
                config.idle().ordinal(), config.softirqMaxRestart(), config.softirqMaxTime().toNanos(),
                config.softLockupThreshold().toNanos(), config.spuriousWindow(), config.spuriousThreshold(),
                config.spuriousQuietTime().toNanos(), config.platform().name(), config.latencyHistograms(),
                config.jmx()));
        kernel.put(MachineConfig.class, config);
        kernel.put(IrqOptions.class, new IrqOptions(config.forceThreadedIrqs(), config.irqBalanceInterval().toNanos()));
        if (config.pinCpus() && config.mode() == Mode.THREADED) {
            kernel.put(Pinning.class, Pinning.plan(HostAffinity.linux(), config.cpus()));    // throws: no boot
        }
        for (Class<?> subsystem : SUBSYSTEMS) {
            Access.install(subsystem == Platform.class ? platformDriver(config.platform()) : subsystem, kernel);
        }
        this.lifecycle = kernel.lifecycle();
        this.faults = kernel.faults();
        kernel.put(Lifecycle.class, lifecycle);
        kernel.put(Faults.class, faults);
        this.cpus = kernel.get(Cpus.class);
        this.irqs = kernel.get(Irqs.class);
        this.softirqs = kernel.get(Softirqs.class);
        this.smp = kernel.get(Smp.class);
        this.workqueues = kernel.get(Workqueues.class);
        this.stats = kernel.get(Stats.class);
    }

    private static Class<?> platformDriver(Platform p) {
        return p == Platform.ARM64_GICV3 ? GicV3.class : X86Apic.class;
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
        m.lifecycle.booted();                                    // the kdefer.MachineState event BOOTING -> RUNNING
        if (config.closeOnExit()) {
            Thread hook = new Thread(m::closeFromHook, m.name + "-close-on-exit");
            m.exitHook = hook;
            Runtime.getRuntime().addShutdownHook(hook);
        }
        return m;
    }

    <T> T service(Class<T> type) {
        return kernel.get(type);
    }

    public MachineConfig config() {
        return config;
    }

    /** The machine's name ({@link MachineConfig.Builder#name}, or "machine-N"): in reports and thread names. */
    public String name() {
        return name;
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

    /** The interrupt hardware this machine booted with ({@link MachineConfig.Builder#platform}). */
    public Platform platform() {
        return config.platform();
    }

    /**
     * The GICv3 model (the arm64 platform's interrupt controller): configure lines, raise them, inspect state.
     *
     * @throws IllegalStateException on an x86 machine (it has no GIC)
     */
    public Gic gic() {
        requirePlatform("gic()", Platform.ARM64_GICV3);
        return kernel.get(Gic.class);
    }

    /**
     * The IO-APIC model (x86): 24 pins with their redirection entries. On {@link Platform#X86_LEGACY_PIC} it exists
     * on the board but is unused (every entry masked).
     *
     * @throws IllegalStateException on an arm64 machine
     */
    public IoApic ioApic() {
        return x86("ioApic()").ioApic();
    }

    /**
     * CPU {@code cpu}'s local APIC model (x86; its APIC ID is {@code cpu}).
     *
     * @throws IllegalStateException on an arm64 machine
     * @throws IllegalArgumentException for a CPU this machine does not have
     */
    public LocalApic localApic(int cpu) {
        return x86("localApic(" + cpu + ")").localApic(cpu);
    }

    /**
     * The 8259A pair model (x86): the legacy PIC. On {@link Platform#X86_APIC} every line is masked off.
     *
     * @throws IllegalStateException on an arm64 machine
     */
    public I8259Pair pic() {
        return x86("pic()").pic();
    }

    /**
     * The MSI window model (x86): a device's message write becomes an interrupt. Drivers get MSI-backed IRQs with
     * {@code irqs().allocMsi(device)}; a device sends its programmed message with {@code irqs().pulse(irq)}.
     *
     * @throws IllegalStateException on an arm64 machine
     */
    public Msi msi() {
        return x86("msi()").msi();
    }

    private X86Chips x86(String what) {
        if (!config.platform().isX86()) {
            throw new IllegalStateException(what + ": " + name + " is an " + config.platform() + " machine; the x86 "
                    + "chips exist on X86_APIC and X86_LEGACY_PIC (MachineConfig.builder().platform(...)). Devices "
                    + "raise lines on any platform with irqs().pulse(irq) and irqs().setLevel(irq, high)");
        }
        return kernel.get(X86Chips.class);
    }

    private void requirePlatform(String what, Platform p) {
        if (config.platform() != p) {
            throw new IllegalStateException(what + ": " + name + " is an " + config.platform() + " machine, it has no"
                    + " GICv3 (use ioApic(), localApic(cpu), pic(), msi(); devices raise lines on any platform with "
                    + "irqs().pulse(irq) and irqs().setLevel(irq, high))");
        }
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

    /**
     * A device of this machine named {@code name}, attached: the scope of a driver's device-managed resources (the
     * kernel's devm_*), released in reverse order when it is closed (detached). See {@link Device}.
     *
     * @throws IllegalArgumentException for a blank name
     * @throws IllegalStateException    on a closed machine
     */
    public Device device(String name) {
        return new Device(this, name);
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
     * Binds the calling application thread to CPU {@code cpu}: {@code Cpu.current()} then returns it (while it is
     * online), and {@code queue()}/{@code raise()}/{@code schedule()} from this thread target it. The thread stays a
     * task context: it runs in parallel with the CPU's own atomic contexts, not inside them. Allowed on a closed
     * machine (it changes nothing there).
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
     * @throws IllegalStateException in THREADED mode, when work keeps itself busy forever (naming it), or on a
     *         closed machine
     */
    public void runUntilIdle() {
        lifecycle.checkOpen("runUntilIdle");
        cpus.runUntilIdle();
    }

    /**
     * MANUAL mode: moves virtual time forward by {@code d}, firing every tick and timer due at or before the new
     * time (inclusive), and running everything deliverable after each one.
     *
     * @throws IllegalStateException in THREADED mode, or on a closed machine
     */
    public void advance(Duration d) {
        Objects.requireNonNull(d, "duration");
        lifecycle.checkOpen("advance");
        cpus.advance(d.toNanos());
    }

    // ---------------------------------------------------------------------------------------------- lifecycle

    /** The lifecycle state (see the class javadoc). */
    public State state() {
        return State.values()[lifecycle.state()];
    }

    /** Whether close began: true from CLOSING on (new work is refused). */
    public boolean isClosed() {
        return lifecycle.isClosed();
    }

    /**
     * Closes the machine and waits until it is TERMINATED (see the class javadoc): new work is refused, accepted
     * work runs or is counted, every runtime thread is stopped and joined, all within
     * {@link MachineConfig#closeTimeout()}. Idempotent: a concurrent or later caller waits for the same
     * termination. Uninterruptible: an interrupt is kept for the caller.
     *
     * @throws IllegalStateException from a thread of this machine (a CPU thread or an atomic context it runs, a
     *         worker, an IRQ thread, a rescuer): it would wait for itself; call {@link #shutdown()} there
     */
    @Override
    public void close() {
        refuseOwnThread("Machine.close()");
        if (lifecycle.beginClose()) {
            runClose();
        } else {
            lifecycle.awaitState(Lifecycle.TERMINATED, Long.MAX_VALUE);
        }
        removeExitHook();
    }

    /**
     * Begins closing the machine and returns at once (the close runs on a thread {@code <name>-close}); callable
     * from anywhere, including the machine's own threads. {@link #awaitTermination} or {@link #close()} waits for
     * the end. Idempotent.
     */
    public void shutdown() {
        if (lifecycle.beginClose()) {
            Thread closer = new Thread(this::runClose, name + "-close");
            closer.setDaemon(true);
            closer.start();
        }
    }

    /**
     * Waits until the machine is TERMINATED or {@code timeout} passed.
     *
     * @return whether it terminated
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE;
        }
        return lifecycle.awaitStateInterruptibly(Lifecycle.TERMINATED, nanos);
    }

    /**
     * What the close could not do (empty while the machine has not terminated, and after a clean close): accepted
     * work that never ran, counted per primitive, and threads left behind.
     */
    public CloseReport closeReport() {
        CloseReport r = report;
        if (r == null) {
            return new CloseReport(lifecycle.leftovers(), lifecycle.leftoverExamples(), List.of(), Duration.ZERO);
        }
        // a late enqueuer may have counted an item after the close (see CloseReport)
        return new CloseReport(lifecycle.leftovers(), lifecycle.leftoverExamples(), r.stuckThreads(), r.took());
    }

    private void refuseOwnThread(String what) {
        Cpu exec = cpus.executingCpu();
        if (exec != null) {
            throw new IllegalStateException(what + " called from the atomic context of " + exec
                    + ": a CPU cannot wait for itself to stop; call shutdown() instead");
        }
        if (cpus.isRuntimeThread()) {
            throw new IllegalStateException(what + " called from " + Thread.currentThread().getName()
                    + ", a thread of this machine: it would wait for itself to stop; call shutdown() instead (it "
                    + "returns at once, and the machine closes once this thread returns)");
        }
    }

    private void closeFromHook() {
        exitHook = null;                      // running: Runtime refuses to remove a hook in progress
        if (lifecycle.beginClose()) {
            runClose();
        } else {
            lifecycle.awaitState(Lifecycle.TERMINATED, config.closeTimeout().toNanos());
        }
    }

    private void removeExitHook() {
        Thread hook = exitHook;
        if (hook != null) {
            exitHook = null;
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down already: the hook runs (and finds the machine closed)
            }
        }
    }

    /** The close itself, on the closer thread (see the implementation notes for the deadlines). */
    private void runClose() {
        long start = System.nanoTime();
        long t = config.closeTimeout().toNanos();
        long drainUntil = start + t / 4 * 3;
        long joinUntil = start + t / 8 * 7;
        long deadline = start + t;
        List<Lifecycle.Participant> ps = lifecycle.participants();
        try {
            cpus.beginStop();
            boolean hotplugQuiet = cpus.quiesceHotplug(drainUntil);
            if (!hotplugQuiet) {
                LOG.log(Level.ERROR, name + ": close: a CPU hotplug transition did not finish; closing anyway");
            }
            for (Lifecycle.Participant p : ps) {
                step(p, "beginDrain", () -> p.beginDrain());
            }
            lifecycle.advance(Lifecycle.DRAINING);
            drain(ps, drainUntil);
            for (Lifecycle.Participant p : ps) {
                step(p, "stop", p::stop);
            }
            cpus.requestStop(joinUntil);
            List<Thread> alive = new ArrayList<>();
            for (Lifecycle.Participant p : ps) {
                alive.addAll(p.join(joinUntil));
            }
            alive.addAll(cpus.joinCpus(joinUntil + TimeUnit.MILLISECONDS.toNanos(50)));
            List<String> stuck = reportStuck(alive, deadline);
            for (Lifecycle.Participant p : ps) {
                step(p, "reportLeftovers", p::reportLeftovers);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            CloseReport r = new CloseReport(lifecycle.leftovers(), lifecycle.leftoverExamples(), stuck, took);
            report = r;
            if (!r.isClean()) {
                LOG.log(Level.WARNING, name + ": close: " + r);
            }
        } catch (RuntimeException | Error e) {
            LOG.log(Level.ERROR, name + ": close failed; terminating anyway", e);
        } finally {
            lifecycle.advance(Lifecycle.TERMINATED);
            for (Lifecycle.Participant p : ps) {
                step(p, "releaseWaiters", p::releaseWaiters);
            }
            for (Lifecycle.Participant p : ps) {
                step(p, "terminated", p::terminated);
            }
            cpus.releaseHotplug();
        }
    }

    /** DRAINING until every participant and CPU is idle, or {@code until}. */
    private void drain(List<Lifecycle.Participant> ps, long until) {
        int quietRounds = 0;
        while (System.nanoTime() - until < 0) {
            boolean idle = true;
            if (cpus.isManual()) {
                try {
                    cpus.runUntilIdle();
                } catch (IllegalStateException livelock) {
                    idle = false;                    // work that re-raises itself: the deadline ends it
                }
            }
            for (Lifecycle.Participant p : ps) {
                idle &= p.drain(until);
            }
            idle &= cpus.quiescent();
            // Two quiet rounds in a row: a CPU that looked idle while another CPU's callback was about to hand it
            // work has been looked at again after that callback finished.
            quietRounds = idle ? quietRounds + 1 : 0;
            if (quietRounds >= 2) {
                return;
            }
            if (!idle && !cpus.isManual()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
        LOG.log(Level.WARNING, name + ": close: work was still running when the drain deadline passed (work that "
                + "keeps itself busy?); stopping the machine anyway");
    }

    private List<String> reportStuck(List<Thread> alive, long deadline) {
        List<String> stuck = new ArrayList<>();
        for (Thread th : alive) {
            th.interrupt();                          // a blocked item may give up; the runtime ignores the flag
        }
        for (Thread th : alive) {
            if (KernelThread.join(th, deadline)) {
                continue;
            }
            String what = th instanceof KernelThread ? ((KernelThread) th).describeWork() : "";
            stuck.add(th.getName() + " (" + what + ")");
            Throwable where = new Throwable(th.getName() + " stack");
            where.setStackTrace(th.getStackTrace());
            LOG.log(Level.ERROR, name + ": close: " + th.getName() + " did not end within the close timeout of "
                    + config.closeTimeout().toMillis() + " ms; it was " + what + "; left running", where);
        }
        return stuck;
    }

    private void step(Lifecycle.Participant p, String what, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, name + ": close step " + what + " of " + p + " failed; continuing the shutdown", e);
        }
    }

    @Override
    public String toString() {
        return "Machine[" + name + ", " + config.platform() + ", " + cpus.count() + " CPUs, " + config.mode() + ", "
                + config.hz() + " Hz, " + state() + "]";
    }
}
