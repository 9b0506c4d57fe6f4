/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.cpu.internal.Arch;
import io.kdefer.cpu.internal.ThreadState;
import io.kdefer.internal.Access;
import io.kdefer.internal.Await;
import io.kdefer.internal.Handles;
import io.kdefer.internal.Parker;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A virtual CPU: one platform thread ({@code cpu/N}) that executes every atomic context of this CPU — hardirq
 * handlers, softirq actions, tasklets, irq_work and cross-CPU call callbacks — strictly one at a time, so state
 * owned by the CPU needs no lock. Task contexts that may sleep (workers, IRQ threads) run on their own threads,
 * in parallel with it.
 *
 * <h2>The duty cycle (DESIGN §2)</h2>
 * <pre>
 *   loop:
 *     tick due?                 raise the CPU's timer interrupt
 *     interrupt signalled?      acknowledge; irq_enter; the platform's root handler (priority drop, genirq);
 *                               irq_exit: softirqs pending and !inInterrupt() -&gt; handle them (budgeted)
 *     softirqs still pending?   run them as this CPU's ksoftirqd (only when no hardirq is signalled)
 *     nothing?                  idle: spin briefly, then park (NOHZ: the tick stops while parked)
 * </pre>
 *
 * <h2>Run states (the wake-up protocol, {@code io.kdefer.internal.Parker})</h2>
 * <pre>
 *   RUNNING  0  -&gt; PARKED         nothing to do after the spin phase
 *   PARKED   1  -&gt; RUNNING        woken: a waker's CAS (then one unpark), a deadline, or a spurious return
 *   STOPPED  2                     the machine closed and everything pending ran (or, still busy at the
 *                                  close timeout, it stopped and reported what it left)
 * </pre>
 *
 * <h2>Hotplug states (kernel: the cpuhp states, reduced to what is observable here)</h2>
 * <pre>
 *   state       takes IRQs  new work  -&gt; next
 *   ONLINE      yes         yes       -&gt; GOING_DOWN  offline(): home CPUs and bound threads stop choosing it
 *   GOING_DOWN  yes         no        -&gt; OFFLINE     pools unbound and IRQs moved (caller), then on the CPU with
 *                                                   IRQs off: call-single queue and irq_work flushed
 *   OFFLINE     no          no        -&gt; COMING_UP   online(); meanwhile its timers, tasklets and softirqs moved
 *   COMING_UP   yes         no        -&gt; ONLINE      tick restarted, workqueue pools rebound
 *   STOPPED     no          no                       Machine.close() stopped the CPU (terminal)
 * </pre>
 * A thread bound to a CPU that does not take new work gets {@code null} from {@link #current()} and queues on its
 * home CPU, so nothing new is ever placed on a CPU on its way down.
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Interrupts are taken only at checkpoints: in the loop, between softirq actions, on
 *       {@link #localIrqRestore}/{@link #localBhEnable} and at {@link #checkpoint()}. Regular IRQs never nest
 *       (handlers run with IRQs disabled); a pseudo-NMI is taken even with IRQs disabled.</li>
 *   <li>A raiser publishes its pending state before it wakes the CPU, and wakes it only if it is parked: at
 *       most one {@code unpark} per sleep, none for a busy CPU.</li>
 *   <li>A handler or action that throws is contained by the layer that called it; the CPU keeps running. A Java
 *       interrupt never stops or spins the CPU thread (DESIGN §5).</li>
 * </ul>
 *
 * <h2>Memory ordering (the wake-up protocol)</h2>
 * <pre>
 *   raiser:  publish pending (volatile RMW);  r0 = runState      CPU:  runState = PARKED;  r1 = pending?
 *   Forbids: r0 == RUNNING (no wake) and r1 == nothing (CPU sleeps): the work would be stranded.
 *   Both sides are volatile accesses, so they are totally ordered (Cpu_01_ParkedCpuWakes).
 * </pre>
 */
public final class Cpu {
    /* Implementation notes
     *
     * Who executes the CPU. In THREADED mode the cpu/N thread, for the machine's lifetime. In MANUAL mode the
     * thread inside runPending()/runUntilIdle()/advance(), which claims the CPU with a CAS on owner so two
     * threads can never run one CPU's atomic contexts at once. Fields coded C below are touched only by that
     * executing thread.
     *
     * The softirq pending word is not here: it belongs to the softirq subsystem (kernel/softirq.c), which the CPU
     * calls through one hook (Cpus.SoftirqEntry) at irq exit, the outermost localBhEnable and its ksoftirqd phase.
     * The interrupt controller is not here either: the platform's Arch says whether something is signalled, takes it
     * and dispatches it; the CPU owns the context around it.
     *
     * NOHZ. While parked with nothing needing the tick, tickStopped is true; a lazy irq_work queued then must
     * raise a self-IPI instead of waiting for a tick (B-IW-3). The CPU publishes tickStopped before it asks the
     * hooks whether anything needs the tick, and the queuer publishes its item before it reads tickStopped:
     * the same store-buffering shape as the wake-up protocol, so one of the two always notices.
     *
     * Non-invariants: Arch.mayBeSignalled is racy and may say yes when nothing is signallable (a masked line) or no
     * just after something became pending; the loop spins or parks accordingly, and park() makes the exact check
     * after publishing PARKED, so neither loses a wake-up.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.cpu");

    static {
        Access.register(Cpu.class, CpuSet::install);
    }

    final CpuSet cpus;                       // I
    private final int id;                    // I
    final CpuContext atomic;                 // C: this CPU's preempt_count word
    final Parker parker = new Parker();      // the wake-up protocol (A inside)

    volatile Thread thread;                  // I after start: the cpu/N thread (THREADED); null in MANUAL
    private volatile Thread owner;           // A: the thread executing this CPU's atomic contexts
    private volatile boolean tickStopped;    // O(executing thread): NOHZ, see implementation notes
    volatile boolean online = true;          // O(executing thread, or the hotplug caller in MANUAL): takes IRQs
    private volatile HotplugState hotplug = HotplugState.ONLINE;   // O(hotplug caller under the hotplug lock)
    volatile boolean stopRequested;          // A: Machine.close()
    private volatile Runnable request;       // A: a hotplug step to run on this CPU (THREADED)
    long nextTickNanos;                      // C
    private volatile long atomicSinceNanos;  // O(executing thread): start of the current atomic section, 0 if none
    boolean wokeAnother;                     // C: this CPU's thread unparked another CPU (see CpuIdle)

    // Statistics: O(executing thread); readers use the opaque getters and tolerate staleness.
    private long hardirqs;
    private long nmis;
    long ticks;
    private long parks;

    private boolean countLeakReported;       // C
    private boolean bhFromHardirqReported;   // C
    private boolean bhEnableIrqsOffReported; // C

    private static final VarHandle OWNER = Handles.field(MethodHandles.lookup(), Cpu.class, "owner", Thread.class);
    private static final VarHandle ATOMIC_SINCE =
            Handles.field(MethodHandles.lookup(), Cpu.class, "atomicSinceNanos", long.class);

    Cpu(CpuSet cpus, int id) {
        this.cpus = cpus;
        this.id = id;
        this.atomic = new CpuContext(this);
    }

    // ---------------------------------------------------------------------------------------------- public API

    /**
     * The CPU the calling thread runs on: the CPU it executes (a {@code cpu/N} thread, or a MANUAL-mode driver
     * inside {@link #runPending()}), else the CPU it is bound to (a worker, an IRQ thread, or an application
     * thread bound with {@code Machine.bindCurrentThread}) while that CPU takes new work; {@code null} otherwise
     * (an unbound application thread still has a home CPU that {@code queue()}, {@code raise()} and
     * {@code schedule()} use).
     */
    public static Cpu current() {
        ThreadState s = ThreadState.peek();
        if (s == null) {
            return null;
        }
        if (s.executing != null) {
            return s.executing;
        }
        Cpu b = s.bound;
        return b != null && b.acceptsWork() ? b : null;
    }

    public int id() {
        return id;
    }

    /**
     * The host (operating-system) CPU this CPU's thread is pinned to, or -1: pinning off
     * ({@code MachineConfig.Builder.pinCpus}), or a MANUAL machine.
     */
    public int hostCpu() {
        return cpus.pinning().hostCpuOf(id);          // a MANUAL machine has no plan: Pinning.NONE
    }

    /** Whether the CPU takes interrupts (ONLINE, GOING_DOWN, COMING_UP). */
    public boolean isOnline() {
        return online;
    }

    /** The CPU's hotplug state (see the table above). */
    public HotplugState hotplugState() {
        return hotplug;
    }

    /** The hotplug states of a CPU (kernel: the cpuhp states, reduced to what is observable here). */
    public enum HotplugState {
        /** Takes interrupts and new work. */
        ONLINE,
        /** offline() in progress: still takes interrupts, no new work is placed on it. */
        GOING_DOWN,
        /** Takes no interrupts; its work moved to another CPU. */
        OFFLINE,
        /** online() in progress: takes interrupts again, not yet new work. */
        COMING_UP,
        /** The machine closed. */
        STOPPED
    }

    /**
     * The calling thread's context (same as {@link CpuContext#current()}): on the thread executing this CPU its
     * preempt_count state; on any other thread that thread's own task context.
     */
    public CpuContext context() {
        return CpuContext.current();
    }

    /**
     * Disables local interrupts (kernel: local_irq_save) and returns the previous state for
     * {@link #localIrqRestore}. On the CPU's own thread this keeps regular IRQs from being taken at checkpoints
     * (pseudo-NMIs still are). On a task thread it only marks that thread's context (sleeping is then refused).
     *
     * @throws IllegalStateException if this is not the calling thread's CPU ("local" means this CPU)
     */
    public long localIrqSave() {
        CpuContext x = localContext("localIrqSave");
        long flags = x.irqsDisabled ? IRQS_DISABLED : IRQS_ENABLED;
        x.irqsDisabled = true;
        return flags;
    }

    /**
     * Restores the state saved by {@link #localIrqSave}; a checkpoint when it re-enables interrupts.
     *
     * @throws IllegalArgumentException if {@code flags} did not come from localIrqSave
     */
    public void localIrqRestore(long flags) {
        if (flags != IRQS_DISABLED && flags != IRQS_ENABLED) {
            throw new IllegalArgumentException("flags 0x" + Long.toHexString(flags) + " did not come from localIrqSave");
        }
        CpuContext x = localContext("localIrqRestore");
        x.irqsDisabled = flags == IRQS_DISABLED;
        if (!x.irqsDisabled && x == atomic) {
            takeInterrupts();
        }
    }

    /**
     * Disables local interrupts unconditionally (kernel: local_irq_disable), with the same effect as
     * {@link #localIrqSave} but without remembering the previous state: the matching {@link #localIrqEnable()}
     * turns them on whatever they were before. Use it only where interrupts are known to be on.
     *
     * @throws IllegalStateException if this is not the calling thread's CPU
     */
    public void localIrqDisable() {
        localContext("localIrqDisable").irqsDisabled = true;
    }

    /**
     * Enables local interrupts unconditionally (kernel: local_irq_enable); a checkpoint, like a
     * {@link #localIrqRestore} that re-enables them.
     *
     * @throws IllegalStateException if this is not the calling thread's CPU
     */
    public void localIrqEnable() {
        CpuContext x = localContext("localIrqEnable");
        x.irqsDisabled = false;
        if (x == atomic) {
            takeInterrupts();
        }
    }

    /** The flags value {@link #localIrqSave()} returns when interrupts were enabled. */
    public static final long IRQS_ENABLED = 0;
    /** The flags value {@link #localIrqSave()} returns when interrupts were already disabled. */
    public static final long IRQS_DISABLED = 1;

    /**
     * Disables bottom halves (kernel: local_bh_disable): softirqs do not run in this context until the matching
     * {@link #localBhEnable()}. Nests up to 127 deep (B-CTX-7). Called in hardirq context it is reported once
     * (B-SIRQ-11).
     */
    public void localBhDisable() {
        CpuContext x = localContext("localBhDisable");
        if (x.inHardirq() && !bhFromHardirqReported) {
            bhFromHardirqReported = true;
            LOG.log(Level.WARNING, "cpu/" + id + ": local_bh_disable called from " + x.describe()
                    + " (B-SIRQ-11; reported once per CPU)");
        }
        if (((x.count & CpuContext.SOFTIRQ_MASK) >>> 9) >= CpuContext.MAX_BH_DISABLE) {
            throw new IllegalStateException("local_bh_disable nested deeper than " + CpuContext.MAX_BH_DISABLE
                    + " on cpu/" + id + " (B-CTX-7)");
        }
        x.count += CpuContext.SOFTIRQ_DISABLE_OFFSET;
    }

    /**
     * Re-enables bottom halves. At the outermost enable, outside interrupt context, pending softirqs run before
     * it returns (on the CPU's own thread; from a task thread the CPU is woken to run them) (B-SIRQ-3b).
     *
     * @throws IllegalStateException on an enable without a matching disable
     */
    public void localBhEnable() {
        CpuContext x = localContext("localBhEnable");
        if ((x.count & CpuContext.SOFTIRQ_MASK) < CpuContext.SOFTIRQ_DISABLE_OFFSET) {
            throw new IllegalStateException("unbalanced local_bh_enable on cpu/" + id + " in " + x.describe());
        }
        x.count -= CpuContext.SOFTIRQ_DISABLE_OFFSET;
        if (x.inInterrupt() || cpus.softirqPending(this) == 0) {
            if (x == atomic && !x.irqsDisabled) {
                takeInterrupts();
            }
            return;
        }
        if (x == atomic) {
            if (x.irqsDisabled) {
                // B-SIRQ-11: running them here would enable IRQs inside the caller's IRQ-off section (the kernel
                // warns and does it anyway); report it and leave them to the ksoftirqd phase.
                if (!bhEnableIrqsOffReported) {
                    bhEnableIrqsOffReported = true;
                    LOG.log(Level.WARNING, "cpu/" + id + ": local_bh_enable with IRQs disabled (B-SIRQ-11; the "
                            + "pending softirqs are left to ksoftirqd; reported once per CPU)");
                }
                return;
            }
            cpus.runSoftirqs(this, false);
            takeInterrupts();
        } else {
            kick();
        }
    }

    /**
     * Takes pending interrupts now if the calling thread executes a CPU whose context allows it (the analogue
     * of {@code cond_resched()} for atomic contexts). A long-running softirq action or tasklet calls this so
     * hardirqs and pseudo-NMIs are not held back until it returns. No effect on other threads.
     */
    public static void checkpoint() {
        Cpu c = executing();
        if (c != null) {
            c.takeInterrupts();
        }
    }

    /**
     * MANUAL mode: runs what is deliverable on this CPU now — interrupts, softirqs (including the ksoftirqd
     * phase) — on the calling thread, without advancing virtual time, until nothing is left or a bound of
     * {@value #MAX_RUN_PENDING} loop iterations is reached.
     *
     * @return the number of work items done (interrupts taken, softirq phases run)
     * @throws IllegalStateException in THREADED mode, when another thread is running this CPU, or when the
     *         calling thread is already running a CPU's atomic context
     */
    public int runPending() {
        if (!cpus.manual) {
            throw new IllegalStateException("runPending is for Mode.MANUAL; cpu/" + id + " runs on its own thread");
        }
        enterManual();
        try {
            int total = 0;
            for (int i = 0; i < MAX_RUN_PENDING; i++) {
                int w = doWork();
                if (w <= 0) {
                    break;
                }
                total += w;
            }
            return total;
        } finally {
            exitManual();
        }
    }

    static final int MAX_RUN_PENDING = 10_000;

    /** Takes this CPU offline (hotplug): see {@link Hotplug#offline}. Refused for the last online CPU. */
    public void offline() {
        cpus.hotplug.offline(this);
    }

    /** Brings this CPU back online (hotplug). */
    public void online() {
        cpus.hotplug.online(this);
    }

    // ---------------------------------------------------------------------------------------------- the loop

    /** One pass of the duty cycle. Executing thread only. Returns the work done, or -1 once the CPU stopped. */
    int doWork() {
        int work = 0;
        Runnable r = request;
        if (r != null) {
            request = null;
            r.run();
            work++;
        }
        if (online) {
            if (!cpus.manual && cpus.clockNanos() >= nextTickNanos) {
                raiseTick();
            }
            int taken = takeInterrupts(MAX_IRQS_PER_PASS);
            work += taken;
            // ksoftirqd only when no hardirq is signalled: a pass that hit the bound may have more to take.
            if (taken < MAX_IRQS_PER_PASS && cpus.softirqPending(this) != 0) {
                cpus.runSoftirqs(this, true);
                work++;
            }
        }
        if (work == 0 && stopRequested && !hasWork()) {
            markStopped();
            return -1;
        }
        if (stopRequested && cpus.giveUp()) {
            abandon();
            return -1;
        }
        return work;
    }

    private void raiseTick() {
        // Until the tick handler reprograms it, do not raise again (a level timer line stays pending).
        nextTickNanos = Long.MAX_VALUE;
        cpus.arch().raiseTick(this);
    }

    /** Called by the tick (hardirq context on this CPU): lowers the timer interrupt, programs the next tick. */
    void tickHandled(long now) {
        ticks++;
        cpus.arch().tickHandled(this);
        long period = cpus.tickNanos;
        nextTickNanos = (now / period + 1) * period;
    }

    /**
     * Interrupts one pass of the duty cycle takes before it returns to the loop. An interrupt storm (a level line
     * whose device is never serviced) keeps the loop busy pass after pass, as it keeps a real CPU busy, but it
     * cannot hold a single pass forever: runPending and runUntilIdle count passes to stay bounded.
     */
    static final int MAX_IRQS_PER_PASS = 100;

    /**
     * Takes every interrupt signallable under the current masks. Executing thread only.
     *
     * @return the number taken
     */
    int takeInterrupts() {
        return takeInterrupts(Integer.MAX_VALUE);
    }

    /** Takes at most {@code max} of the interrupts signallable under the current masks. */
    private int takeInterrupts(int max) {
        int n = 0;
        CpuContext x = atomic;
        Arch arch = cpus.arch();
        while (n < max && online && !x.inNmi() && arch.mayBeSignalled(this)) {
            long ack = arch.acknowledge(this, x.irqsDisabled);
            if (ack == Arch.NONE) {
                break;
            }
            enterException((int) ack, (ack & Arch.NMI) != 0, arch);
            n++;
        }
        return n;
    }

    /**
     * Exception entry for an acknowledged interrupt (kernel: the arch entry code around handle_arch_irq): irq_enter
     * (or nmi_enter), the platform's root handler, irq_exit with its softirq processing (B-SIRQ-3a).
     */
    private void enterException(int token, boolean nmi, Arch arch) {
        CpuContext x = atomic;
        boolean savedIrqs = x.irqsDisabled;
        int saved = x.count;
        boolean outermost = saved == 0;
        if (nmi) {
            if (((saved & CpuContext.NMI_MASK) >>> 20) >= CpuContext.MAX_NMI) {
                throw new IllegalStateException("NMI nesting overflow on cpu/" + id + " (B-CTX-7)");
            }
            x.count = saved + CpuContext.NMI_OFFSET + CpuContext.HARDIRQ_OFFSET;
            nmis++;
        } else {
            if (((saved & CpuContext.HARDIRQ_MASK) >>> 16) >= CpuContext.MAX_HARDIRQ) {
                throw new IllegalStateException("hardirq nesting overflow on cpu/" + id + " (B-CTX-7)");
            }
            x.count = saved + CpuContext.HARDIRQ_OFFSET;
            hardirqs++;
        }
        x.irqsDisabled = true;
        if (outermost) {
            ATOMIC_SINCE.setOpaque(this, Math.max(1, cpus.clockNanos()));
        }
        try {
            arch.handle(this, token);
        } finally {
            // Whatever the handler left behind, the exception returns to exactly the state it interrupted.
            x.count = saved;
            if (!nmi && !x.inInterrupt() && cpus.softirqPending(this) != 0) {
                cpus.runSoftirqs(this, false);        // irq_exit (B-SIRQ-3a)
            }
            x.irqsDisabled = savedIrqs;
            if (outermost) {
                ATOMIC_SINCE.setOpaque(this, 0L);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- softirq context

    /** Softirq serving context: +SOFTIRQ_OFFSET; the soft-lockup clock starts if outermost. Returns the IRQ state. */
    boolean enterServingSoftirq() {
        CpuContext x = atomic;
        if (x.count == 0) {
            ATOMIC_SINCE.setOpaque(this, Math.max(1, cpus.clockNanos()));
        }
        x.count += CpuContext.SOFTIRQ_OFFSET;
        return x.irqsDisabled;
    }

    void exitServingSoftirq(boolean irqsDisabled) {
        CpuContext x = atomic;
        x.count -= CpuContext.SOFTIRQ_OFFSET;
        x.irqsDisabled = irqsDisabled;
        if (x.count == 0) {
            ATOMIC_SINCE.setOpaque(this, 0L);
        }
    }

    /** B-SIRQ-9: an action returned with another preempt_count (or IRQs off): reported once per CPU, restored. */
    void restorePreemptCount(int count, String softirq) {
        CpuContext x = atomic;
        if (!countLeakReported) {
            countLeakReported = true;
            LOG.log(Level.WARNING, String.format("cpu/%d: huh, entered softirq %s with preempt_count %08x, "
                            + "exited with %08x%s? (B-SIRQ-9; restored; reported once per CPU)", id, softirq, count,
                    x.count, x.irqsDisabled ? " and IRQs disabled" : ""));
        }
        x.count = count;
        x.irqsDisabled = false;
    }

    // ---------------------------------------------------------------------------------------------- idle, wake

    /**
     * Wakes this CPU if it is parked. Call after publishing the work (the wake-up protocol); cheap when the CPU
     * is running (one volatile read).
     */
    void kick() {
        if (parker.wake()) {
            Thread t = Thread.currentThread();
            if (t instanceof CpuThread) {
                // The waking CPU must not spin now: on a machine with few cores its spinning would hold the
                // core the woken CPU thread needs (measured: 4-10 ms per hop instead of microseconds). See CpuIdle.
                ((CpuThread) t).cpu.wokeAnother = true;
            }
        }
    }

    /** Exact: is there anything for this CPU to do now? Takes the controller's locks; for the idle decision. */
    boolean hasWork() {
        if (request != null) {
            return true;
        }
        if (!online) {
            return false;
        }
        return cpus.softirqPending(this) != 0 || cpus.arch().isSignalled(this, atomic.irqsDisabled);
    }

    /** The park phase of the idle strategy (THREADED). Executing thread only. */
    void park() {
        parker.prepare(thread);
        tickStopped = true;
        if (hasWork() || stopRequested) {
            parker.finish();
            tickStopped = false;
            return;
        }
        long now = cpus.clockNanos();
        long deadline;
        if (online && cpus.tick.needsTick(this)) {
            tickStopped = false;                 // e.g. lazy irq_work waits for the next tick
            deadline = nextTickNanos;
        } else {
            deadline = online ? cpus.tick.nextEventNanos(this) : Long.MAX_VALUE;
        }
        parks++;
        cpus.faults().beforeIdle(thread);             // a set interrupt flag would make park return at once
        parker.park(this, deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - now);
        if (tickStopped) {
            // Restart the tick at the next boundary (tick_nohz_idle_exit).
            long period = cpus.tickNanos;
            long t = cpus.clockNanos();
            nextTickNanos = Math.min(nextTickNanos, (t / period + 1) * period);
            tickStopped = false;
        }
    }

    /** NOHZ: is this CPU parked with its periodic tick stopped? (B-IW-3: lazy work must then raise.) */
    boolean tickStopped() {
        return tickStopped;
    }

    // ---------------------------------------------------------------------------------------------- ownership

    static Cpu executing() {
        ThreadState s = ThreadState.peek();
        return s == null ? null : s.executing;
    }

    void claimForThread(Thread t) {
        if (!OWNER.compareAndSet(this, null, t)) {
            throw new IllegalStateException("cpu/" + id + " is already being run by " + owner);
        }
    }

    void enterManual() {
        ThreadState s = ThreadState.current();
        if (s.executing != null) {
            throw new IllegalStateException("cpu/" + id + ": cannot run it from inside the atomic context of "
                    + s.executing + " on the same thread");
        }
        Thread me = Thread.currentThread();
        if (!OWNER.compareAndSet(this, null, me)) {
            throw new IllegalStateException("cpu/" + id + " is being run by another thread: " + owner);
        }
        s.executing = this;
    }

    void exitManual() {
        ThreadState.current().executing = null;
        OWNER.setRelease(this, (Thread) null);
    }

    /** The context the local operations act on, checking that this is the caller's CPU. */
    private CpuContext localContext(String op) {
        if (owner == Thread.currentThread()) {
            return atomic;
        }
        Cpu mine = cpus.thisCpu();
        if (mine != this) {
            throw new IllegalStateException(op + " on cpu/" + id + " from a thread running on cpu/" + mine.id
                    + ": local operations act on the calling thread's CPU only");
        }
        return CpuContext.task(ThreadState.current());
    }

    // ---------------------------------------------------------------------------------------------- hotplug, stop

    /** Whether new work may be placed on this CPU (ONLINE): home CPUs and bound threads use only such CPUs. */
    boolean acceptsWork() {
        return hotplug == HotplugState.ONLINE;
    }

    void setHotplugState(HotplugState s) {
        hotplug = s;
    }

    /**
     * Runs {@code step} on this CPU's executing thread and waits for it (THREADED), or inline (MANUAL). The wait is
     * uninterruptible and ends with an exception if the machine terminates first (a CPU stuck in a callback).
     *
     * @throws IllegalStateException if the CPU stopped (the machine closed), or {@code step} threw
     */
    void runOnCpu(Runnable step) {
        if (parker.state() == Parker.STOPPED) {
            throw cpus.lifecycle().closedException("cpu/" + id + " hotplug");
        }
        if (cpus.manual || thread == null) {
            enterManual();
            try {
                step.run();
            } finally {
                exitManual();
            }
            return;
        }
        AtomicBoolean done = new AtomicBoolean();
        Throwable[] failure = new Throwable[1];
        request = () -> {
            try {
                step.run();
            } catch (Throwable t) {
                failure[0] = t;                      // published by the volatile store below
            } finally {
                done.set(true);
            }
        };
        parker.nudge(thread);
        Await.until(this, done::get, cpus.lifecycle(), "cpu/" + id + " hotplug step");
        if (failure[0] != null) {
            throw new IllegalStateException("cpu/" + id + ": hotplug step failed", failure[0]);
        }
    }

    /** Close: still busy at the close timeout (work that re-raises itself forever): stop and say what is left. */
    private void abandon() {
        StringBuilder left = new StringBuilder();
        if (cpus.softirqPending(this) != 0) {
            left.append(' ').append(cpus.describeSoftirqs(this));
        }
        String irq = cpus.arch().describePending(this);
        if (!irq.isEmpty()) {
            left.append(' ').append(irq);
        }
        markStopped();
        LOG.log(Level.ERROR, "cpu/" + id + ": still busy when the close timeout expired (work that re-raises itself "
                + "forever?); stopped with" + (left.length() == 0 ? " nothing" : left.toString()) + " pending");
    }

    /**
     * The CPU is done for good (close): it takes no interrupts and no work. An enqueuer that finds it so after
     * publishing an item (the check that also moves work off a CPU gone offline) counts the item as a leftover.
     */
    void markStopped() {
        online = false;
        hotplug = HotplugState.STOPPED;
        parker.stop();
    }

    void requestStop() {
        stopRequested = true;
        Thread t = thread;
        if (t != null) {
            parker.nudge(t);
        }
    }

    // ---------------------------------------------------------------------------------------------- statistics

    long atomicSinceNanos() {
        return (long) ATOMIC_SINCE.getOpaque(this);
    }

    /** For close reports: what the CPU thread is in. */
    String describeWork() {
        int c = atomic.countOpaque();
        if (c == 0) {
            return parker.state() == Parker.PARKED ? "idle (parked)" : "its loop";
        }
        return CpuContext.describe(c, false);
    }

    long hardirqs() {
        return hardirqs;
    }

    long nmis() {
        return nmis;
    }

    long parks() {
        return parks;
    }

    long unparks() {
        return parker.unparks();
    }

    int runState() {
        return parker.state();
    }

    @Override
    public String toString() {
        return "cpu/" + id;
    }
}
