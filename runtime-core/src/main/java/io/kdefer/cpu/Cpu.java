/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.gic.CpuInterface;
import io.kdefer.gic.Gic;
import io.kdefer.internal.Handles;
import org.agrona.concurrent.AgentTerminationException;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A virtual CPU: one platform thread ({@code cpu/N}) that executes every atomic context of this CPU — hardirq
 * handlers, softirq actions, tasklets, irq_work and cross-CPU call callbacks — strictly one at a time, so state
 * owned by the CPU needs no lock. Task contexts that may sleep (workers, IRQ threads) run on their own threads,
 * in parallel with it.
 *
 * <h2>The duty cycle (DESIGN §2)</h2>
 * <pre>
 *   loop:
 *     tick due?                 assert the timer PPI (INTID 30)
 *     interrupt signalled?      acknowledge; drop priority (EOImode=1); irq_enter; flow handler; irq_exit
 *                               irq_exit: softirqs pending and !inInterrupt() -&gt; handle them (budgeted)
 *     softirqs still pending?   run them as this CPU's ksoftirqd (only when no hardirq is signalled)
 *     nothing?                  idle: spin briefly, then park (NOHZ: the tick stops while parked)
 * </pre>
 *
 * <h2>Run states</h2>
 * <pre>
 *   RUNNING  0  -&gt; PARKED         nothing to do after the spin phase
 *   PARKED   1  -&gt; RUNNING        woken: a waker's CAS (then one unpark), a deadline, or a spurious return
 *   STOPPED  2                     the machine closed and everything pending ran (or, still busy at the
 *                                  close timeout, it stopped and reported what it left)
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Interrupts are taken only at checkpoints: in the loop, between softirq actions, on
 *       {@link #localIrqRestore}/{@link #localBhEnable} and at {@link #checkpoint()}. Regular IRQs never nest
 *       (handlers run with IRQs disabled); a pseudo-NMI is taken even with IRQs disabled.</li>
 *   <li>A raiser publishes its pending state before it wakes the CPU, and wakes it only if it is parked: at
 *       most one {@code unpark} per sleep, none for a busy CPU.</li>
 *   <li>The softirq drain runs at most {@code softirqMaxRestart} passes (10) and {@code softirqMaxTime} (2 ms)
 *       per invocation; what is left runs in the ksoftirqd phase, after any signalled hardirq (B-SIRQ-5/6).</li>
 *   <li>A handler or action that throws is contained by the layer that called it; the CPU keeps running.</li>
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
     * Softirq pending word. The kernel's word is CPU-local with IRQs off. Ours is raised from other threads too
     * (application threads raise on their home CPU), so it is atomic: raise is getAndBitwiseOr, the drain
     * snapshots and clears it in one getAndSet (a separate read then clear could drop a bit raised in between).
     *
     * NOHZ. While parked with nothing needing the tick, tickStopped is true; a lazy irq_work queued then must
     * raise a self-IPI instead of waiting for a tick (B-IW-3). The CPU publishes tickStopped before it asks the
     * hooks whether anything needs the tick, and the queuer publishes its item before it reads tickStopped:
     * the same store-buffering shape as the wake-up protocol, so one of the two always notices.
     *
     * Non-invariants: hint() (mayBeSignalled) is racy and may say yes when nothing is signallable (a masked
     * line) or no just after something became pending; the loop spins or parks accordingly, and park() makes
     * the exact check after publishing PARKED, so neither loses a wake-up.
     */
    static final int RUNNING = 0;
    static final int PARKED = 1;
    static final int STOPPED = 2;

    private static final System.Logger LOG = System.getLogger("io.kdefer.cpu");

    final Cpus cpus;                         // I
    private final int id;                    // I
    final CpuContext atomic;                 // C: this CPU's preempt_count word
    private final CpuInterface ci;           // I
    private final Gic gic;                   // I

    volatile Thread thread;                  // I after start: the cpu/N thread (THREADED); null in MANUAL
    private volatile Thread owner;           // A: the thread executing this CPU's atomic contexts
    private volatile int runState;           // A: RUNNING / PARKED / STOPPED
    private volatile int softirqPending;     // A: one bit per Softirq vector
    private volatile boolean tickStopped;    // O(executing thread): NOHZ, see implementation notes
    volatile boolean online = true;          // O(executing thread, or the hotplug caller in MANUAL)
    volatile boolean stopRequested;          // A: Machine.close()
    private volatile Runnable request;       // A: a hotplug step to run on this CPU (THREADED)
    long nextTickNanos;                      // C
    private volatile long atomicSinceNanos;  // O(executing thread): start of the current atomic section, 0 if none

    // Statistics: O(executing thread); readers use the opaque getters and tolerate staleness.
    final long[] softirqRuns = new long[Cpus.NR_SOFTIRQS];
    private long hardirqs;
    private long nmis;
    private long ksoftirqdRuns;
    private long softirqDeferrals;
    private long ticks;
    private long parks;
    private volatile long unparks;           // A: incremented by the waker that won the CAS

    private boolean softirqFailureReported;  // C
    private boolean countLeakReported;       // C
    private boolean bhFromHardirqReported;   // C
    private boolean bhEnableIrqsOffReported; // C

    private static final VarHandle OWNER = Handles.field(MethodHandles.lookup(), Cpu.class, "owner", Thread.class);
    private static final VarHandle RUN_STATE = Handles.field(MethodHandles.lookup(), Cpu.class, "runState", int.class);
    private static final VarHandle SOFTIRQ_PENDING =
            Handles.field(MethodHandles.lookup(), Cpu.class, "softirqPending", int.class);
    private static final VarHandle UNPARKS = Handles.field(MethodHandles.lookup(), Cpu.class, "unparks", long.class);
    private static final VarHandle ATOMIC_SINCE =
            Handles.field(MethodHandles.lookup(), Cpu.class, "atomicSinceNanos", long.class);

    Cpu(Cpus cpus, int id, Gic gic) {
        this.cpus = cpus;
        this.id = id;
        this.gic = gic;
        this.ci = gic.cpuInterface(id);
        this.atomic = new CpuContext(this);
    }

    // ---------------------------------------------------------------------------------------------- public API

    /**
     * The CPU the calling thread runs on: the CPU it executes (a {@code cpu/N} thread, or a MANUAL-mode driver
     * inside {@link #runPending()}), else the CPU it is bound to (a worker, an IRQ thread, or an application
     * thread bound with {@code Machine.bindCurrentThread}); {@code null} for an unbound application thread,
     * which still has a home CPU that {@code queue()}, {@code raise()} and {@code schedule()} use.
     */
    public static Cpu current() {
        Thread t = Thread.currentThread();
        if (t instanceof CpuThread) {
            return ((CpuThread) t).cpu;
        }
        Cpus.ThreadState s = Cpus.STATE.get();
        if (s == null) {
            return null;
        }
        return s.executing != null ? s.executing : s.bound;
    }

    public int id() {
        return id;
    }

    public boolean isOnline() {
        return online;
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
        if (x.inInterrupt() || softirqPending == 0) {
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
            handleSoftirqs(false);
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
                if (w == 0) {
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

    /** Takes this CPU offline (hotplug): see {@link Cpus#offline}. Refused for the last online CPU. */
    public void offline() {
        cpus.offline(this);
    }

    /** Brings this CPU back online (hotplug). */
    public void online() {
        cpus.online(this);
    }

    // ---------------------------------------------------------------------------------------------- the loop

    /** One pass of the duty cycle. Executing thread only. Returns the number of work items done. */
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
            if (taken < MAX_IRQS_PER_PASS && softirqPending != 0) {
                ksoftirqdRuns++;
                handleSoftirqs(true);
                work++;
            }
        }
        if (work == 0 && stopRequested && !hasWork()) {
            runState = STOPPED;
            throw new AgentTerminationException("cpu/" + id + " stopped");
        }
        if (stopRequested && cpus.giveUp()) {
            abandon();
        }
        return work;
    }

    private void raiseTick() {
        // Until the tick handler reprograms it, do not assert again (the PPI is level: it stays pending).
        nextTickNanos = Long.MAX_VALUE;
        gic.assertLine(Gic.TIMER_PPI, id);
    }

    /** Called by the timer PPI's handler, in hardirq context on this CPU. */
    void tickHandled(long now) {
        ticks++;
        gic.deassertLine(Gic.TIMER_PPI, id);
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
        while (n < max && online && !x.inNmi() && ci.mayBeSignalled()) {
            int intid = ci.acknowledge(x.irqsDisabled ? Gic.PMR_IRQ_OFF : Gic.PMR_NONE);
            if (intid == Gic.SPURIOUS) {
                break;
            }
            enterException(intid);
            n++;
        }
        return n;
    }

    /** Exception entry for an acknowledged INTID: Linux's EOImode=1 flow (B-GIC-8). */
    private void enterException(int intid) {
        int rpr = ci.runningPriority();
        ci.endOfInterrupt(intid);                  // priority drop right after acknowledge
        boolean nmi = rpr < Gic.PMR_IRQ_OFF;       // taken through the IRQ-off mask: a pseudo-NMI
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
            cpus.dispatch(this, intid);
        } finally {
            // Whatever the handler left behind, the exception returns to exactly the state it interrupted.
            x.count = saved;
            if (!nmi && !x.inInterrupt() && softirqPending != 0) {
                handleSoftirqs(false);           // irq_exit (B-SIRQ-3a)
            }
            x.irqsDisabled = savedIrqs;
            if (outermost) {
                ATOMIC_SINCE.setOpaque(this, 0L);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- softirqs

    /**
     * Raises softirq {@code nr} on this CPU. From a thread that does not execute this CPU, the CPU is woken if
     * it is parked (MO-SIRQ-1: never lost).
     */
    void raiseSoftirq(int nr) {
        int bit = 1 << nr;
        int old = (int) SOFTIRQ_PENDING.getAndBitwiseOr(this, bit);
        if ((old & bit) == 0 && owner != Thread.currentThread()) {
            kick();
        }
    }

    int softirqPending() {
        return softirqPending;
    }

    /**
     * handle_softirqs (B-SIRQ-5..9): snapshot-and-clear the pending word, run the vectors in ascending bit order
     * with IRQs enabled (hardirqs are taken between actions), and repeat while more are pending, at most
     * softirqMaxRestart passes and softirqMaxTime; what is left waits for the ksoftirqd phase.
     */
    void handleSoftirqs(boolean ksoftirqd) {
        CpuContext x = atomic;
        boolean savedIrqs = x.irqsDisabled;
        boolean outermost = x.count == 0;
        long end = cpus.clockNanos() + cpus.softirqMaxNanos;
        int restart = cpus.softirqMaxRestart;
        x.count += CpuContext.SOFTIRQ_OFFSET;
        if (outermost) {
            ATOMIC_SINCE.setOpaque(this, Math.max(1, cpus.clockNanos()));
        }
        try {
            int pending;
            while ((pending = (int) SOFTIRQ_PENDING.getAndSet(this, 0)) != 0) {
                x.irqsDisabled = false;
                runVectors(x, pending);
                x.irqsDisabled = true;
                if (softirqPending == 0) {
                    break;
                }
                if (--restart <= 0 || cpus.clockNanos() - end >= 0) {
                    softirqDeferrals++;          // the rest runs in the ksoftirqd phase (B-SIRQ-5, "squeeze")
                    break;
                }
            }
        } finally {
            x.count -= CpuContext.SOFTIRQ_OFFSET;
            x.irqsDisabled = savedIrqs;
            if (outermost) {
                ATOMIC_SINCE.setOpaque(this, 0L);
            }
        }
    }

    private void runVectors(CpuContext x, int pending) {
        for (int bits = pending; bits != 0; bits &= bits - 1) {
            int nr = Integer.numberOfTrailingZeros(bits);
            Runnable action = cpus.softirqAction(nr);
            softirqRuns[nr]++;
            int before = x.count;
            if (action != null) {
                try {
                    action.run();
                } catch (Throwable t) {
                    cpus.softirqFailed(this, nr, t);
                }
            } else if (!softirqFailureReported) {
                softirqFailureReported = true;
                LOG.log(Level.WARNING, "cpu/" + id + ": softirq " + Cpus.softirqName(nr)
                        + " raised with no action opened (reported once per CPU)");
            }
            if (x.count != before || x.irqsDisabled) {
                if (!countLeakReported) {
                    countLeakReported = true;
                    LOG.log(Level.WARNING, String.format("cpu/%d: huh, entered softirq %s with preempt_count %08x, "
                                    + "exited with %08x%s? (B-SIRQ-9; restored; reported once per CPU)", id,
                            Cpus.softirqName(nr), before, x.count, x.irqsDisabled ? " and IRQs disabled" : ""));
                }
                x.count = before;
                x.irqsDisabled = false;
            }
            takeInterrupts();                    // hardirqs between actions (B-SIRQ-8)
        }
    }

    // ---------------------------------------------------------------------------------------------- idle, wake

    /**
     * Wakes this CPU if it is parked. Call after publishing the work (the wake-up protocol); cheap when the CPU
     * is running (one volatile read).
     */
    void kick() {
        if (runState == PARKED && RUN_STATE.compareAndSet(this, PARKED, RUNNING)) {
            UNPARKS.getAndAdd(this, 1L);
            LockSupport.unpark(thread);
            Thread t = Thread.currentThread();
            if (t instanceof CpuThread) {
                // The waking CPU must not spin now: on a machine with few cores its spinning would hold the
                // core the woken CPU thread needs (measured: 4-10 ms per hop instead of microseconds). See CpuIdle.
                ((CpuThread) t).cpu.wokeAnother = true;
            }
        }
    }

    /** Set when this CPU's thread unparked another CPU; the idle strategy then parks without spinning. */
    boolean wokeAnother;                     // C

    /** Exact: is there anything for this CPU to do now? Takes the GIC locks; for the idle decision. */
    boolean hasWork() {
        if (request != null) {
            return true;
        }
        if (!online) {
            return false;
        }
        return softirqPending != 0 || ci.isSignalled(atomic.irqsDisabled ? Gic.PMR_IRQ_OFF : Gic.PMR_NONE);
    }

    /** The park phase of the idle strategy (THREADED). Executing thread only. */
    void park() {
        runState = PARKED;
        tickStopped = true;
        if (hasWork() || stopRequested) {
            wakeSelf();
            return;
        }
        long now = cpus.clockNanos();
        long deadline;
        if (online && cpus.tickNeeded(this)) {
            tickStopped = false;                 // e.g. lazy irq_work waits for the next tick
            deadline = nextTickNanos;
        } else {
            deadline = online ? cpus.nextEventNanos(this) : Long.MAX_VALUE;
        }
        parks++;
        if (deadline == Long.MAX_VALUE) {
            LockSupport.park(this);
        } else if (deadline > now) {
            LockSupport.parkNanos(this, deadline - now);
        }
        wakeSelf();
        if (tickStopped) {
            // Restart the tick at the next boundary (tick_nohz_idle_exit).
            long period = cpus.tickNanos;
            long t = cpus.clockNanos();
            nextTickNanos = Math.min(nextTickNanos, (t / period + 1) * period);
            tickStopped = false;
        }
    }

    private void wakeSelf() {
        RUN_STATE.compareAndSet(this, PARKED, RUNNING);
        tickStopped = false;
    }

    /** NOHZ: is this CPU parked with its periodic tick stopped? (B-IW-3: lazy work must then raise.) */
    boolean tickStopped() {
        return tickStopped;
    }

    // ---------------------------------------------------------------------------------------------- ownership

    static Cpu executing() {
        Thread t = Thread.currentThread();
        if (t instanceof CpuThread) {
            return ((CpuThread) t).cpu;
        }
        Cpus.ThreadState s = Cpus.STATE.get();
        return s == null ? null : s.executing;
    }

    boolean isExecutingThread() {
        return owner == Thread.currentThread();
    }

    void claimForThread(Thread t) {
        if (!OWNER.compareAndSet(this, null, t)) {
            throw new IllegalStateException("cpu/" + id + " is already being run by " + owner);
        }
    }

    void enterManual() {
        Cpus.ThreadState s = Cpus.threadState();
        if (s.executing != null) {
            throw new IllegalStateException("cpu/" + id + ": cannot run it from inside the atomic context of cpu/"
                    + s.executing.id + " on the same thread");
        }
        Thread me = Thread.currentThread();
        if (!OWNER.compareAndSet(this, null, me)) {
            throw new IllegalStateException("cpu/" + id + " is being run by another thread: " + owner);
        }
        s.executing = this;
    }

    void exitManual() {
        Cpus.threadState().executing = null;
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
        return Cpus.threadState().task;
    }

    // ---------------------------------------------------------------------------------------------- hotplug, stop

    /** Runs {@code step} on this CPU's executing thread and waits for it (THREADED), or inline (MANUAL). */
    void runOnCpu(Runnable step) {
        if (cpus.manual || thread == null) {
            enterManual();
            try {
                step.run();
            } finally {
                exitManual();
            }
            return;
        }
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Throwable[] failure = new Throwable[1];
        request = () -> {
            try {
                step.run();
            } catch (Throwable t) {
                failure[0] = t;
            } finally {
                done.countDown();
            }
        };
        RUN_STATE.compareAndSet(this, PARKED, RUNNING);
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure[0] != null) {
            throw new IllegalStateException("cpu/" + id + ": hotplug step failed", failure[0]);
        }
    }

    /** Close: still busy at the close timeout (work that re-raises itself forever): stop and say what is left. */
    private void abandon() {
        StringBuilder left = new StringBuilder();
        for (int bits = softirqPending; bits != 0; bits &= bits - 1) {
            left.append(" softirq ").append(Cpus.softirqName(Integer.numberOfTrailingZeros(bits)));
        }
        if (ci.isSignalled(Gic.PMR_NONE)) {
            left.append(" INTID ").append(ci.highestPending());
        }
        runState = STOPPED;
        LOG.log(Level.ERROR, "cpu/" + id + ": still busy when the close timeout expired (work that re-raises itself "
                + "forever?); stopped with" + (left.length() == 0 ? " nothing" : left.toString()) + " pending");
        throw new AgentTerminationException("cpu/" + id + " gave up at the close timeout");
    }

    void requestStop() {
        stopRequested = true;
        Thread t = thread;
        if (t != null) {
            RUN_STATE.compareAndSet(this, PARKED, RUNNING);
            LockSupport.unpark(t);
        }
    }

    // ---------------------------------------------------------------------------------------------- statistics

    long atomicSinceNanos() {
        return (long) ATOMIC_SINCE.getOpaque(this);
    }

    long hardirqs() {
        return hardirqs;
    }

    long nmis() {
        return nmis;
    }

    long ticks() {
        return ticks;
    }

    long ksoftirqdRuns() {
        return ksoftirqdRuns;
    }

    long softirqDeferrals() {
        return softirqDeferrals;
    }

    long parks() {
        return parks;
    }

    long unparks() {
        return unparks;
    }

    int runState() {
        return runState;
    }

    @Override
    public String toString() {
        return "cpu/" + id;
    }
}
