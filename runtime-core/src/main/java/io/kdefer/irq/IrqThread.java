/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.cpu.internal.KernelThread;
import io.kdefer.internal.Backoff;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Tracepoints;
import io.kdefer.internal.Lifecycle;
import io.kdefer.internal.Parker;

import java.lang.System.Logger.Level;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The thread of one threaded action, {@code irq/<irq>-<name>} (kernel: irq_thread), and the wake-up, oneshot and
 * accounting transitions it shares with the hardirq path (kernel: __irq_wake_thread, irq_finalize_oneshot,
 * wake_threads_waitq, synchronize_irq's wait).
 *
 * <h2>States (spec §4a)</h2>
 * <pre>
 *   CREATED  -&gt; READY     started by request: binds itself to the line's CPU, sets READY; request returns after
 *   READY    -&gt; WAITING   parks while RUNTHREAD is clear
 *   WAITING  -&gt; RUNNING   a claim set RUNTHREAD and unparked it; the thread consumes RUNTHREAD (test-and-clear)
 *   RUNNING  -&gt; WAITING   thread function returned (or threw): finalize oneshot, threads_active--
 *   any      -&gt; STOPPED   free/close asked it to stop: a RUNTHREAD still set gets one last run first (B-TI-14)
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Wake-ups coalesce: while RUNTHREAD is set, further WAKE_THREAD results and wakeThread calls only find it
 *       set (one volatile read-modify-write each) and return; the pending run covers them (B-TI-8).</li>
 *   <li>threads_active counts claimed, unfinished runs; it is incremented by the claimer and decremented by the
 *       thread after the run; whoever brings it to 0 wakes the waiters of synchronize (B-TI-15).</li>
 *   <li>ONESHOT: the line stays masked from the hardirq that woke a oneshot thread until every woken oneshot
 *       thread of the line finished; the last one unmasks it, after waiting out a hardirq of the line that is
 *       in progress elsewhere (B-TI-10/11, spec §13.5).</li>
 *   <li>A thread that exits with a run owed (stopped, or killed by an Error) still does that run's bookkeeping,
 *       so threads_active and threads_oneshot never stay elevated (spec §13.4). After it exited, a claim finds
 *       EXITED, counts an ignored wake-up and pretends it was handled (B-TI-8).</li>
 *   <li>A thread function that leaves the thread's interrupt flag set does not make the thread spin: the flag is
 *       cleared after every run, counted and reported once (the runtime's interrupt policy, DESIGN §5); an
 *       interrupt from outside wakes the thread, which clears it before it sleeps again.</li>
 *   <li>The thread runs in task context, bound to the CPU of the line's affinity ({@code Cpu.current()}); it
 *       re-binds before the next run after the affinity moved (AFFINITY, B-TI-9). It runs in parallel with that
 *       CPU's atomic contexts, as DESIGN §2 says of every task context. Its Java priority is
 *       {@link Thread#MAX_PRIORITY}: a hint only, the JVM has no SCHED_FIFO (J-TI-1).</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   MO-TI-1  hardirq: x = 1; r0 = wake()          thread: r1 = consume RUNTHREAD; thread_fn reads r2 = x
 *            Forbids: r1 == true (the run that consumed this wake) &amp;&amp; r2 == 0    (ThreadedIrq_01_WakePublishes)
 *   MO-TI-2  (RUNTHREAD already set) hardirq: x = 1; r0 = wake()   thread: consume; thread_fn reads r1 = x
 *            Forbids: r0 == false (coalesced) &amp;&amp; r1 == 0             (ThreadedIrq_02_CoalescedWakeStillVisible)
 *   MO-TI-3  hardirq of a oneshot line vs the thread finishing: the line never ends masked with no run owed,
 *            nor unmasked while a woken oneshot thread has not finished   (ThreadedIrq_03_OneshotNeverStuck)
 *   MO-TI-4  thread: y = 1 in thread_fn; threads_active--      waiter: waitForThreads(); r = y
 *            Forbids: r == 0                                              (ThreadedIrq_04_SynchronizeSeesThread)
 *   wake-up  claimer: RUNTHREAD (RMW); r0 = PARKED?          thread: state = PARKED; r1 = RUNTHREAD?; park
 *            Forbids: the thread parked for good with a run owed          (ThreadedIrq_05_ParkedThreadWakes)
 * </pre>
 * The claim is {@code getAndBitwiseOr(RUNTHREAD)} and the consume {@code getAndBitwiseAnd(~RUNTHREAD)}: volatile
 * read-modify-writes of one word, totally ordered, and ordered even when they change nothing. A compare-and-set
 * that returns on "already set" would publish nothing when it fails (spec §11, §13.1).
 */
final class IrqThread extends KernelThread {
    /* Implementation notes
     *
     * EXITED is a thread-flag bit, set together with clearing RUNTHREAD in one atomic step when the thread
     * leaves its loop. A claim's getAndBitwiseOr then sees either no EXITED (the thread's exit step comes later
     * in the flag word's order and finds RUNTHREAD: it runs or accounts for it) or EXITED (the thread is gone;
     * the claim backs off). There is no window in which a claim is taken and nobody owes its run.
     *
     * threads_active may go transiently negative: a thread already awake can consume RUNTHREAD, run and
     * decrement before the claimer's increment (the kernel orders it the same way). Hence "whoever brings it to
     * 0 notifies", on the decrement and on the increment; waiters wait for exactly 0.
     *
     * Wake-up of the thread: the runtime's one wake-up protocol, io.kdefer.internal.Parker (the kernel's
     * wake_up_process / set_current_state pairing, spec §11), which the CPUs use too: the claimer publishes RUNTHREAD
     * (volatile RMW), then Parker.wake reads the state and unparks only a PARKED thread, winning the PARKED -> RUNNING
     * CAS (one unpark per sleep). The thread publishes PARKED (Parker.prepare), then re-reads RUNTHREAD,
     * stopRequested and AFFINITY before it parks (sleep). Both sides are volatile accesses, so one of them
     * sees the other: a run is never stranded. A running thread is never unparked, so a thread function that
     * sleeps with parkNanos or blocks in j.u.c is not cut short by wake-ups that arrive meanwhile (an unpark
     * already in flight when the thread woke spuriously can still land once: parkNanos may return early anyway).
     */
    static final int EXITED = 1 << 5;

    private static final System.Logger LOG = System.getLogger("io.kdefer.irq");

    /** report_bad_irq budget for thread functions (K-FLOW), process-wide like the kernel's. */
    private static final AtomicInteger BOGUS_REPORTS = new AtomicInteger();

    private final IrqManage manage;       // I
    private final Cpus cpus;              // I
    private final Faults faults;          // I
    private final String machine;         // I: for the kdefer.IrqThread event
    final IrqDesc desc;                   // I
    final IrqAction action;               // I
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Parker parker;          // I: action.parker

    IrqThread(IrqManage manage, Cpus cpus, IrqDesc desc, IrqAction action) {
        this(manage, cpus, desc, action, "irq/" + desc.irq + "-" + action.name, Thread.MAX_PRIORITY);
    }

    /**
     * A thread named {@code name}: {@code irq/<irq>-<name>}, or {@code irq/<irq>-s-<name>} for forced threading's
     * secondary, which the kernel runs one RT priority lower.
     */
    IrqThread(IrqManage manage, Cpus cpus, IrqDesc desc, IrqAction action, String name, int priority) {
        super(cpus, null, name, false);
        this.manage = manage;
        this.cpus = cpus;
        this.faults = cpus.faults();
        this.machine = cpus.lifecycle().owner();
        this.desc = desc;
        this.action = action;
        this.parker = new Parker();
        action.parker = parker;
        setPriority(priority);              // J-TI-1: a hint; SCHED_FIFO 50 has no JVM equivalent
    }

    // ---------------------------------------------------------------------------------------------- lifecycle

    /** Starts the thread and returns once it reached its loop (READY, B-TI-4). */
    void startAndAwaitReady() {
        start();
        boolean interrupted = false;
        while (true) {
            try {
                ready.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (!action.hasFlag(IrqAction.READY)) {
            throw new IllegalStateException(getName() + " died before it reached its loop");
        }
    }

    /** kthread_stop, first half: ask the thread to leave its loop after any owed run. */
    void requestStop() {
        action.stopRequested = true;
        parker.wake();
    }

    /**
     * Waits, uninterruptibly, for the thread to end (free_irq's kthread_stop); ends with an exception if the machine
     * terminates first (a thread function that never returns).
     */
    void awaitEnd(Lifecycle lifecycle) {
        boolean interrupted = false;
        try {
            while (isAlive()) {
                if (lifecycle.isTerminated()) {
                    throw lifecycle.closedException("free_irq(" + desc.irq + "): " + getName() + " did not end");
                }
                try {
                    join(10);
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

    @Override
    public String describeWork() {
        return (action.hasFlag(IrqAction.RUNTHREAD) || getState() == State.RUNNABLE
                ? "running the thread function of " : "waiting for a wake-up of ") + action.name;
    }

    boolean hasExited() {
        return action.hasFlag(EXITED);
    }

    @Override
    public void run() {
        enterHost();
        IrqAction a = action;
        try {
            a.testAndClearFlag(IrqAction.AFFINITY);
            manage.bindThread(this);
            a.testAndSetFlag(IrqAction.READY);
            ready.countDown();
            while (true) {
                if (a.testAndClearFlag(IrqAction.AFFINITY)) {
                    manage.bindThread(this);                // irq_thread_check_affinity
                }
                if (handleOnce(desc, a)) {
                    faults.afterCallback(a, this);
                    continue;
                }
                if (a.stopRequested) {
                    if ((exit(a) & IrqAction.RUNTHREAD) != 0) {
                        run(desc, a);                       // the one last run (B-TI-14)
                        faults.afterCallback(a, this);
                    }
                    return;
                }
                faults.beforeIdle(this);                    // a set flag would make the park return at once
                sleep(a);
            }
        } finally {
            // irq_thread_dtor (J-TI-3): an Error escaped the loop. Account for a run still owed.
            if (!a.hasFlag(EXITED) && (exit(a) & IrqAction.RUNTHREAD) != 0) {
                finalizeOneshot(desc, a);
                threadDone(desc);
            }
            ready.countDown();
        }
    }

    /**
     * The thread's idle step (the Parker protocol): publishes PARKED, then parks unless a run is owed, a stop was
     * asked or its affinity moved. Called by the action's thread (or the jcstress actor playing it).
     */
    static void sleep(IrqAction a) {
        Parker p = a.parker;
        p.prepare(Thread.currentThread());
        if (!a.hasFlag(IrqAction.RUNTHREAD) && !a.stopRequested && !a.hasFlag(IrqAction.AFFINITY)) {
            p.park(a, Long.MAX_VALUE);
        } else {
            p.finish();
        }
    }

    /** Sets EXITED and clears RUNTHREAD in one step; returns the flags before. */
    private static int exit(IrqAction a) {
        int f = a.threadFlags;
        while (true) {
            int seen = (int) IrqAction.THREAD_FLAGS.compareAndExchange(a, f,
                    (f | EXITED) & ~IrqAction.RUNTHREAD);
            if (seen == f) {
                return f;
            }
            f = seen;
        }
    }

    // ---------------------------------------------------------------------------------------------- transitions

    /**
     * __irq_wake_thread (B-TI-8): claims a run of {@code a}'s thread. Called by the hardirq that owns INPROGRESS
     * (with the descriptor lock dropped), or with the descriptor lock held (wakeThread). Allocation-free.
     *
     * @return true if this call made the run pending; false if it was pending already (coalesced) or the thread
     *         has exited (ignored, counted)
     */
    static boolean wake(IrqDesc d, IrqAction a) {
        int old = (int) IrqAction.THREAD_FLAGS.getAndBitwiseOr(a, IrqAction.RUNTHREAD);
        if ((old & (IrqAction.RUNTHREAD | EXITED)) != 0) {
            if ((old & EXITED) != 0) {
                a.countIgnoredWake();
            }
            return false;
        }
        if (a.threadMask != 0) {
            IrqDesc.THREADS_ONESHOT.getAndBitwiseOr(d, a.threadMask);
        }
        if ((int) IrqDesc.THREADS_ACTIVE.getAndAdd(d, 1) == -1) {
            notifyWaiters(d);                                // see implementation notes: transiently negative
        }
        Parker p = a.parker;
        if (p != null) {
            p.wake();
        }
        return true;
    }

    /**
     * One step of the thread loop: consumes RUNTHREAD (test-and-clear, a volatile RMW even when clear) and, if it
     * was set, runs the thread function with its bookkeeping.
     *
     * @return whether a run happened
     */
    static boolean handleOnce(IrqDesc d, IrqAction a) {
        if (!a.testAndClearFlag(IrqAction.RUNTHREAD)) {
            return false;
        }
        run(d, a);
        return true;
    }

    /**
     * irq_thread_fn (irq_forced_thread_fn for a FORCED_THREAD action) + wake_threads_waitq: thread function,
     * threads_handled, finalize oneshot, wake the secondary on WAKE_THREAD (forced threading), threads_active--.
     */
    static void run(IrqDesc d, IrqAction a) {
        IrqReturn r;
        IrqThread self = a.thread;
        // irq_forced_thread_fn (B-TI-12): the requested primary handler runs with BH and IRQs disabled, as it would in
        // hardirq context (!PREEMPT_RT): sleeping in it is refused, and softirqs it raises run at the BH enable.
        Cpu forcedOn = a.hasFlag(IrqAction.FORCED_THREAD) && self != null ? self.cpus.thisCpu() : null;
        if (forcedOn != null) {
            forcedOn.localBhDisable();
            forcedOn.localIrqDisable();
        }
        boolean threw = false;
        Object ev = Tracepoints.irqThreadBegin();
        try {
            r = a.threadFn.handle(d.irq, a.devId);
        } catch (Throwable t) {
            threw = true;
            a.countThreadFailure();
            if (self != null) {
                self.faults.threw(LOG, self, "irq " + d.irq + ": thread function of " + a.name, self.getName(), t,
                        "counted as unhandled, the line finalized as if it returned");
            } else {
                LOG.log(Level.ERROR, "irq " + d.irq + ": thread function of " + a.name + " threw; contained", t);
            }
            r = IrqReturn.NONE;
        } finally {
            if (forcedOn != null) {
                endForced(d, a, self);
            }
        }
        if (ev != null) {
            Tracepoints.irqThreadEnd(ev, self != null ? self.machine : null, d.affinity(), d.irq, a.name,
                    threw ? Tracepoints.RESULT_THREW : r == null ? Tracepoints.RESULT_BOGUS : r.ordinal());
        }
        a.countThreadRun();
        boolean wakeSecondary = false;
        if (r == IrqReturn.HANDLED) {
            IrqDesc.THREADS_HANDLED.getAndAdd(d, 1);
        } else if (r == null) {
            if (BOGUS_REPORTS.getAndIncrement() < IrqFlows.BAD_IRQ_REPORTS) {
                LOG.log(Level.ERROR, "irq " + d.irq + ": bogus return value null from the thread function of "
                        + a.name + " (not counted as handled; B-FLOW-2)");
            }
        } else if (r == IrqReturn.WAKE_THREAD) {
            if (a.secondary != null) {
                wakeSecondary = true;
            } else if (a.testAndSetFlag(IrqAction.WARNED)) {
                LOG.log(Level.WARNING, "irq " + d.irq + ": thread function of " + a.name + " returned WAKE_THREAD,"
                        + " but there is no secondary thread to wake (B-TI-9; reported once)");
            }
        }
        finalizeOneshot(d, a);
        if (wakeSecondary) {
            // irq_wake_secondary: before this run's threads_active--, so synchronize never sees 0 in between
            d.lock.lock();
            try {
                wake(d, a.secondary);
            } finally {
                d.lock.unlock();
            }
        }
        threadDone(d);
    }

    /**
     * The end of irq_forced_thread_fn: IRQs and BH enabled again (a handler that unbalanced them is reported). Through
     * the thread's CPU as it is now: the state is the thread's own task-context word, whichever CPU it is bound to,
     * and the binding may have moved meanwhile (hotplug).
     */
    private static void endForced(IrqDesc d, IrqAction a, IrqThread self) {
        Cpu cpu = self.cpus.thisCpu();
        try {
            cpu.localIrqEnable();
            cpu.localBhEnable();
        } catch (IllegalStateException e) {
            LOG.log(Level.ERROR, "irq " + d.irq + ": the forced-threaded handler of " + a.name
                    + " left the bottom-half state unbalanced (" + e.getMessage() + ")");
        }
    }

    /**
     * irq_finalize_oneshot (B-TI-10): on a ONESHOT line, wait until no hardirq of the line is in progress, then
     * under the descriptor lock: if RUNTHREAD was set again, keep this action's bit (the next run finalizes);
     * otherwise clear it, and if no woken oneshot thread is left and the line is masked and not disabled, unmask.
     */
    static void finalizeOneshot(IrqDesc d, IrqAction a) {
        if (!d.has(IrqDesc.ONESHOT) || a.handler == IrqManage.FORCED_SECONDARY) {
            return;                                 // the secondary holds no oneshot bit: the line is unmasked already
        }
        int spins = 0;
        while (true) {
            d.lock.lock();
            try {
                if (!d.has(IrqDesc.INPROGRESS)) {
                    if (!a.hasFlag(IrqAction.RUNTHREAD)) {
                        long left = (long) IrqDesc.THREADS_ONESHOT.getAndBitwiseAnd(d, ~a.threadMask)
                                & ~a.threadMask;
                        if (left == 0 && !d.has(IrqDesc.DISABLED) && d.has(IrqDesc.MASKED)) {
                            d.unmask();
                        }
                    }
                    return;
                }
            } finally {
                d.lock.unlock();
            }
            // A hardirq of this line runs on some CPU (spec §13.5): were we to unmask now, it could wake us
            // again and finish with the line unmasked while our next run is owed. Wait it out.
            spins = Backoff.pause(spins);
        }
    }

    /*
     * Backoff.pause above: the hardirq that holds INPROGRESS is usually the one that just woke us, microseconds from
     * its end: spin a little (the kernel's cpu_relax), then park briefly between checks. Parking costs 50-80 us of timer slack,
     * but yielding is worse on a shared box: sched_yield can hand the core to another process for a whole time
     * slice. Measured with ThreadedIrqBench, oneshot, under load from other processes: 60-120 us/op with this,
     * 440-1200 us/op with 10 yields before the parks, up to ~1 ms with 10 000 yields.
     */

    /**
     * cond_unmask (B-FLOW-6/9, B-TI-11): the end of a flow handler's run on a ONESHOT line unmasks only if no woken
     * oneshot thread is outstanding. Descriptor lock held, INPROGRESS already cleared.
     */
    static void condUnmask(IrqDesc d) {
        if (!d.has(IrqDesc.DISABLED) && d.has(IrqDesc.MASKED) && d.threadsOneshot == 0) {
            d.unmask();
        }
    }

    /** wake_threads_waitq: one claimed run finished. Notifies synchronize waiters when threads_active reaches 0. */
    static void threadDone(IrqDesc d) {
        if ((int) IrqDesc.THREADS_ACTIVE.getAndAdd(d, -1) == 1) {
            notifyWaiters(d);
        }
    }

    static void notifyWaiters(IrqDesc d) {
        synchronized (d.threadWaiters) {
            d.threadWaiters.notifyAll();
        }
    }

    /**
     * synchronize_irq step 3 (B-FLOW-13): sleeps until threads_active == 0. The volatile read of 0 pairs with the
     * decrement that made it 0, which follows the thread function (MO-TI-4). Uninterruptible, like the kernel's
     * wait_event; an interrupt is kept for the caller. Ends with an exception if {@code lifecycle}'s machine
     * terminates first (its close wakes these waiters): a woken run that never finishes can then never finish.
     */
    static void waitForThreads(IrqDesc d, Lifecycle lifecycle) {
        if (d.threadsActive == 0) {
            return;
        }
        boolean interrupted = false;
        try {
            synchronized (d.threadWaiters) {
                while (d.threadsActive != 0) {
                    if (lifecycle.isTerminated()) {
                        throw lifecycle.closedException("synchronize_irq(" + d.irq + "): " + d.threadsActive
                                + " thread run(s) of the line never finished");
                    }
                    try {
                        d.threadWaiters.wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
