/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.tasklet;

import io.kdefer.cpu.Host;
import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Access;
import io.kdefer.internal.Await;
import io.kdefer.internal.Kernel;
import io.kdefer.internal.Latency;
import io.kdefer.internal.Tracepoints;
import io.kdefer.softirq.internal.SoftirqEngine;
import io.kdefer.internal.Handles;
import io.kdefer.internal.LList;
import io.kdefer.internal.Services;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * A callback run soon after in softirq context on the CPU that scheduled it, never concurrently with itself
 * (kernel: tasklet_struct). Scheduling is lock-free and allocation-free from any thread and any context.
 *
 * <pre>{@code
 * Tasklet rx = new Tasklet(m, () -> ring.drain());
 * ring.add(packet);          // in the RX interrupt handler, or any thread
 * rx.schedule();             // true: now scheduled; false: already scheduled, and that run sees the add
 * rx.kill();                 // at teardown: runs it if scheduled, then it is idle (task context only)
 * }</pre>
 *
 * <h2>States (kernel: include/linux/interrupt.h, TASKLET_STATE_SCHED / TASKLET_STATE_RUN)</h2>
 * <pre>
 *   state           bits        list   -&gt; next
 *   IDLE            0           no     -&gt; SCHEDULED        schedule()/scheduleHi() set SCHED (returns true)
 *   SCHEDULED       SCHED       yes    -&gt; RUNNING          the CPU's HI/TASKLET softirq took RUN, count == 0,
 *                                                          cleared SCHED, called the callback
 *                                      -&gt; SCHEDULED        took RUN but count &gt; 0, or RUN was held by another
 *                                                          CPU: back to the list tail, vector re-raised
 *   RUNNING         RUN         no     -&gt; IDLE             the callback returned (RUN cleared)
 *                                      -&gt; RUNNING+SCHED    schedule() during the callback (any CPU)
 *   RUNNING+SCHED   SCHED|RUN   yes    -&gt; SCHEDULED        the callback returned; if the scheduling CPU tries
 *                                                          before that, it requeues and re-raises (B-TL-5)
 *   KILLED          SCHED       no     -&gt; IDLE             kill() owns SCHED while it waits for RUN to clear
 * </pre>
 * Independent of the state: the disable count ({@link #disable()} +1, {@link #enable()} -1). A tasklet runs only
 * at count 0; a scheduled tasklet with count &gt; 0 stays scheduled.
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>{@link #schedule()} returns {@code true} for exactly one caller per SCHED period; every schedule(),
 *       whatever it returns, is followed by a callback start that sees the caller's prior stores (MO-TL-1,
 *       MO-TL-2), unless a {@link #kill()} is in progress (kill owns SCHED: it returns {@code false} and no run
 *       follows).</li>
 *   <li>Runs on the CPU where it was scheduled (the home CPU of an unbound thread); per CPU and priority in FIFO
 *       order; HI tasklets (HI_SOFTIRQ, vector 0) before timers and networking, normal ones (TASKLET_SOFTIRQ,
 *       vector 6) after NET_RX, BLOCK and IRQ_POLL (B-TL-1, B-TL-2, B-TL-10).</li>
 *   <li>Never runs concurrently with itself, also when scheduled on two CPUs: the later CPU requeues it and
 *       re-raises until the first clears RUN (B-TL-4, B-TL-5, MO-TL-4). Different tasklets run in parallel.</li>
 *   <li>SCHED is cleared before the callback starts, so the callback (or anyone) may schedule it again (B-TL-5).</li>
 *   <li>{@link #disable()} waits until a running callback has returned, and no callback starts until the
 *       matching {@link #enable()} (MO-TL-3); {@link #disableNosync()} does not wait. Disables nest.
 *       A scheduled tasklet that is disabled stays scheduled (its CPU requeues it and re-raises, busily, as the
 *       kernel does) and runs after enable; {@code enable} does not schedule it (B-TL-6, B-TL-7).</li>
 *   <li>{@link #kill()} returns with the tasklet neither scheduled nor running: a scheduled tasklet is run, not
 *       dropped; a scheduled disabled one blocks kill until it is enabled; a tasklet that reschedules itself
 *       runs at most once more, because schedule() during a kill does nothing. It may be scheduled again after
 *       kill returns (B-TL-8).</li>
 *   <li>{@link #disable()} and {@link #kill()} may sleep: refused from atomic context (including the tasklet's
 *       own callback) with {@link IllegalStateException}.</li>
 *   <li>The runtime never touches a tasklet after its callback returned and RUN was cleared (spec §13.3): a
 *       waiter that saw RUN clear may reuse it at once.</li>
 *   <li>A callback that throws is contained and counted ({@link #failures()}); the CPU keeps running.</li>
 *   <li>When a CPU goes offline its scheduled tasklets move, in order, to another CPU (B-TL-11).</li>
 *   <li>On a closed machine {@link #schedule()} and {@link #scheduleHi()} return {@code false} and schedule
 *       nothing; {@link #disable()} and {@link #kill()} return at once when the tasklet is idle and throw
 *       IllegalStateException once the machine terminated with it still scheduled or running (it would never
 *       finish); a tasklet scheduled before close runs in the drain or is counted in the close report.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   x = 1; r0 = t.schedule();            [callback]  r1 = x;
 *   Forbids: r0 == true  &amp;&amp; r1 == 0 for the run that cleared this SCHED       (Tasklet_01_ScheduleReleasesStores)
 *   Forbids: r0 == false &amp;&amp; r1 == 0 for the run whose SCHED clear followed    (Tasklet_02_CoalescedStillVisible)
 *   [callback] y = 1;                     t.disable(); r2 = y;
 *   Forbids: the callback ran and r2 == 0; a callback starting after disable() returned
 *                                                                              (Tasklet_03_DisableWaitsForRun)
 *   two CPUs run their tasklet action on t, the callback does c = c + 1 (plain)
 *   Forbids: a lost update (overlapping runs)                                  (Tasklet_04_NoOverlappingRuns)
 *   (t scheduled) [callback] y = 1;       t.kill(); r3 = y;
 *   Forbids: r3 == 0 (the scheduled run dropped, or kill() returned without its stores; MO-TL-3)
 *                                                                              (Tasklet_05_KillSeesRun)
 * </pre>
 */
public final class Tasklet {
    /* Implementation notes
     *
     * The state word holds SCHED (bit 0), RUN (bit 1) and, from bit 2 up, the number of kill() calls in progress.
     *
     * schedule() claims with getAndBitwiseOr(SCHED): an unconditional volatile read-modify-write, also when SCHED
     * is already set. The runner clears SCHED with getAndBitwiseAnd(~SCHED), another volatile read-modify-write of
     * the same word, before it calls the callback; so of a coalesced schedule and the clear, one sees the other
     * (MO-TL-2, the store-buffering shape). A compare-and-set loop that returned on "already scheduled" would
     * publish nothing when it fails (spec §13.1).
     *
     * run(): getAndBitwiseOr(RUN) is tasklet_trylock. The disable count is read after it: disable() increments
     * the count and then reads RUN, the runner sets RUN and then reads the count, all volatile, so at least one
     * sees the other (MO-TL-3): either the runner sees the count and does not call the callback, or disable()
     * sees RUN and waits. RUN is cleared with getAndBitwiseAnd(~RUN), a release that pairs with the acquire reads
     * of RUN in the next runner's trylock (MO-TL-4) and in disable()/kill().
     *
     * Waiting (disable, kill) polls with getAcquire (Await: spin briefly, then park in steps up to 1 ms). The
     * runner never wakes anybody, so it does not touch the tasklet after clearing RUN (§13.3); 1 ms bounds the
     * extra latency of a long wait (kill blocked on a disabled tasklet) at a negligible CPU cost.
     *
     * kill() is B-TL-8 with one change that makes it deterministic: it first adds itself to the kill count, and
     * a schedule() that sets SCHED while the count is non-zero clears it again and returns false. The kernel's
     * kill can lose the race against a callback that reschedules itself at once (its test_and_set must land
     * between the runner's SCHED clear and the reschedule); here the reschedule sees the count (kill incremented
     * it before its test_and_set saw SCHED set, which was before the runner cleared SCHED, which was before the
     * reschedule), so the chain always ends after one more run. The outcome is one the kernel allows.
     *
     * Linearization points: schedule() at its getAndBitwiseOr; a run starts at the SCHED clear and ends at the RUN
     * clear; disableNosync() at its getAndAdd; enable() at its successful compare-and-set.
     *
     * queuedAt (the kdefer.Tasklet event's and the latency histograms' queue->start stamp, io.kdefer.internal.
     * Tracepoints): written by the schedule() that set SCHED, once no kill owns the tasklet, before the push that
     * publishes it (published to the CPU like the caller's own stores, Tasklet_01); read by the run before its SCHED
     * clear, which is fully ordered: a schedule() after that clear writes the next stamp only after the read. A run
     * that finds the tasklet BUSY or disabled leaves SCHED and the stamp alone, so the latency of a requeued
     * tasklet counts from its schedule(). A plain store of 0 when nothing records. A wrong value could only skew a
     * statistic.
     */
    static final int SCHED = 0x1;
    static final int RUN = 0x2;
    static final int KILL_UNIT = 0x4;

    /** run() results. */
    static final int RAN = 0;
    static final int BUSY = 1;         // RUN held by another CPU
    static final int DISABLED = 2;     // count > 0

    private final TaskletCore core;                               // I
    private final Runnable fn;                                    // I
    final LList.Node<Tasklet> node = new LList.Node<>(this);      // link in a CPU's hand-over list
    Tasklet next;                                                 // C: link in the owning CPU's FIFO list
    private volatile int state;                                   // A: SCHED | RUN | kills * KILL_UNIT
    private volatile int count;                                   // A: disable depth
    private long queuedAt;                                        // O(SCHED owner): see implementation notes
    private long runs;                                            // O(RUN holder): R for readers
    private volatile long failures;                               // A

    private static final VarHandle STATE = Handles.field(MethodHandles.lookup(), Tasklet.class, "state", int.class);
    private static final VarHandle COUNT = Handles.field(MethodHandles.lookup(), Tasklet.class, "count", int.class);
    private static final VarHandle RUNS = Handles.field(MethodHandles.lookup(), Tasklet.class, "runs", long.class);
    private static final VarHandle FAILURES = Handles.field(MethodHandles.lookup(), Tasklet.class, "failures",
            long.class);

    /** tasklet_setup: an enabled, idle tasklet of {@code machine}. */
    public Tasklet(Host machine, Runnable fn) {
        this(Services.get(machine, TaskletCore.class), fn, 0);
    }

    /** DECLARE_TASKLET_DISABLED: the disable count starts at 1; it runs only after {@link #enable()}. */
    public static Tasklet disabled(Host machine, Runnable fn) {
        return new Tasklet(Services.get(machine, TaskletCore.class), fn, 1);
    }

    static {
        Access.register(Tasklet.class, Tasklet::install);
    }

    /** The tasklet subsystem's installer ({@code Access}): the per-CPU lists and the HI and TASKLET actions. */
    static void install(Kernel k) {
        k.put(TaskletCore.class, new TaskletCore(k.get(Cpus.class), k.get(SoftirqEngine.class)));
    }

    Tasklet(TaskletCore core, Runnable fn, int count) {
        this.core = core;
        this.fn = Objects.requireNonNull(fn, "fn");
        this.count = count;
    }

    // ---------------------------------------------------------------------------------------------- public API

    /**
     * tasklet_schedule: schedules the tasklet on this CPU (the home CPU of an unbound thread) in TASKLET_SOFTIRQ.
     * Never blocks, never allocates.
     *
     * @return {@code true} if this call scheduled it; {@code false} if it already was scheduled — that pending run
     *         still sees everything the caller stored before this call — or a {@link #kill()} is in progress, or the
     *         machine is closed
     */
    public boolean schedule() {
        return schedule(core.cpus.thisCpu(), TaskletCore.NORMAL);
    }

    /** tasklet_hi_schedule: as {@link #schedule()}, in HI_SOFTIRQ (vector 0, before timers and networking). */
    public boolean scheduleHi() {
        return schedule(core.cpus.thisCpu(), TaskletCore.HI);
    }

    /**
     * tasklet_disable: increments the disable count, then waits until a running callback has returned. Until the
     * matching {@link #enable()} no callback starts; a scheduled tasklet stays scheduled. On return the stores of
     * the last run are visible to the caller.
     *
     * @throws IllegalStateException from atomic context (it may sleep), including the tasklet's own callback
     */
    public void disable() {
        CpuContext.mightSleep("tasklet_disable");
        disableNosync();
        awaitClear(RUN, "tasklet_disable");
    }

    /** tasklet_disable_nosync: increments the disable count and returns at once (a running callback goes on). */
    public void disableNosync() {
        int c = (int) COUNT.getAndAdd(this, 1);          // fully ordered (B-TL-7)
        if (c < 0 || c == Integer.MAX_VALUE) {
            COUNT.getAndAdd(this, -1);
            throw new IllegalStateException("tasklet disable count overflow: " + c);
        }
    }

    /**
     * tasklet_enable: decrements the disable count. Does not schedule: a tasklet that is scheduled runs at its
     * CPU's next softirq pass once the count is 0 (B-TL-6).
     *
     * @throws IllegalStateException on an enable without a matching disable (the count stays 0)
     */
    public void enable() {
        int c;
        do {
            c = count;
            if (c <= 0) {
                throw new IllegalStateException("unbalanced tasklet_enable: " + this + " is not disabled");
            }
        } while (!COUNT.compareAndSet(this, c, c - 1));   // a successful CAS is fully ordered (B-TL-7)
    }

    /**
     * tasklet_kill: waits until the tasklet is neither scheduled nor running, running it first if it is scheduled
     * (B-TL-8). A scheduled tasklet that is disabled keeps kill waiting until it is enabled. schedule() calls made
     * while kill runs return {@code false} and schedule nothing, so a tasklet that reschedules itself stops.
     * In MANUAL mode, when the tasklet is scheduled, kill steps the machine itself (as {@code runUntilIdle}) so
     * that the run happens.
     *
     * @throws IllegalStateException from atomic context (it may sleep); in MANUAL mode, for a scheduled tasklet
     *         that is disabled (kill would wait forever for an enable that nobody else can make)
     */
    public void kill() {
        CpuContext.mightSleep("tasklet_kill");
        STATE.getAndAdd(this, KILL_UNIT);
        boolean owned = false;
        try {
            // test_and_set_bit(SCHED): a full RMW also when it fails, so the wait below is ordered after it.
            while (((int) STATE.getAndBitwiseOr(this, SCHED) & SCHED) != 0) {
                if (core.cpus.isManual()) {
                    stepUntilRun();
                } else {
                    awaitClear(SCHED, "tasklet_kill");
                }
            }
            owned = true;
            awaitClear(RUN, "tasklet_kill");
        } finally {
            STATE.getAndAdd(this, -(KILL_UNIT | (owned ? SCHED : 0)));   // SCHED released with the kill mark
        }
    }

    /** Whether SCHED is set (scheduled, or owned by a kill in progress). A racy snapshot. */
    public boolean isScheduled() {
        return (state & SCHED) != 0;
    }

    /**
     * Whether RUN is set: the callback is running, or a CPU briefly holds RUN to find the tasklet disabled. A racy
     * snapshot.
     */
    public boolean isRunning() {
        return (state & RUN) != 0;
    }

    /** Whether the disable count is non-zero. A racy snapshot. */
    public boolean isDisabled() {
        return count != 0;
    }

    /** Times the callback ran (racy count). */
    public long runs() {
        return (long) RUNS.getOpaque(this);
    }

    /** Times the callback threw (contained). */
    public long failures() {
        return failures;
    }

    // ---------------------------------------------------------------------------------------------- transitions

    /** IDLE -&gt; SCHEDULED on {@code cpu}'s list of priority {@code prio}; true if this call scheduled it. */
    boolean schedule(Cpu cpu, int prio) {
        if (core.refusesNewWork()) {
            return false;
        }
        int old = (int) STATE.getAndBitwiseOr(this, SCHED);   // unconditional volatile RMW (MO-TL-2)
        if ((old & SCHED) != 0) {
            return false;
        }
        if (old >= KILL_UNIT) {
            STATE.getAndBitwiseAnd(this, ~SCHED);             // a kill owns the tasklet (B-TL-8 iii)
            return false;
        }
        queuedAt = core.latency.stamp(Tracepoints.TASKLET);
        core.enqueue(cpu, prio, this);
        return true;
    }

    /**
     * One attempt of the softirq action to run this tasklet (B-TL-3). Called by the CPU that took it off its list.
     *
     * @return RAN (the runtime no longer touches the tasklet), BUSY or DISABLED (the caller requeues it)
     */
    int run(Cpu cpu, boolean hi) {
        int old = (int) STATE.getAndBitwiseOr(this, RUN);     // tasklet_trylock
        if ((old & RUN) != 0) {
            return BUSY;                                      // running on another CPU (B-TL-5)
        }
        if (count != 0) {                                     // after the trylock: MO-TL-3
            STATE.getAndBitwiseAnd(this, ~RUN);
            return DISABLED;
        }
        long q = queuedAt;                                    // before the SCHED clear (see notes)
        old = (int) STATE.getAndBitwiseAnd(this, ~SCHED);     // before the callback, fully ordered (§13.2)
        if ((old & SCHED) == 0) {
            core.schedNotSet(this);
        }
        RUNS.setOpaque(this, (long) RUNS.getOpaque(this) + 1);
        long t0 = core.latency.start();
        Object ev = Tracepoints.taskletBegin(q);              // tasklet_entry
        try {
            fn.run();
        } catch (Throwable t) {
            FAILURES.getAndAdd(this, 1L);
            core.failed(this, t);
        }
        Tracepoints.taskletEnd(ev, core.machine, cpu.id(), hi, fn);   // tasklet_exit
        core.latency.end(cpu.id(), Latency.TASKLET, q, t0);
        STATE.getAndBitwiseAnd(this, ~RUN);                   // tasklet_unlock: release; the last touch (§13.3)
        return RAN;
    }

    /**
     * Waits until {@code bit} is clear, with acquire (pairs with the runner's RUN/SCHED clears); throws once the
     * machine terminated with it still set.
     */
    private void awaitClear(int bit, String what) {
        Await.until(this, () -> ((int) STATE.getAcquire(this) & bit) == 0, core.lifecycle, what);
    }

    /** MANUAL kill: the tasklet is scheduled; run the machine so that its run happens. */
    private void stepUntilRun() {
        if (core.lifecycle.isTerminated()) {
            throw core.lifecycle.closedException("tasklet_kill of a scheduled tasklet");
        }
        if (count != 0) {
            throw new IllegalStateException("tasklet_kill of a scheduled, disabled tasklet waits until it is "
                    + "enabled (B-TL-8); in MANUAL mode nothing else runs the machine: enable it first (" + this + ")");
        }
        core.runUntilIdle();
        if ((state & SCHED) != 0 && count == 0 && (state & RUN) == 0) {
            throw new IllegalStateException("tasklet_kill: " + this + " is still scheduled after the machine ran "
                    + "until idle (is its CPU offline?)");
        }
    }

    int state() {
        return state;
    }

    @Override
    public String toString() {
        int s = state;
        int c = count;
        StringBuilder sb = new StringBuilder("Tasklet[");
        sb.append((s & SCHED) != 0 ? "SCHED" : "");
        if ((s & RUN) != 0) {
            sb.append((s & SCHED) != 0 ? "|RUN" : "RUN");
        }
        if ((s & (SCHED | RUN)) == 0) {
            sb.append("idle");
        }
        if (c != 0) {
            sb.append(", disabled ").append(c);
        }
        return sb.append(", ").append(fn).append(']').toString();
    }
}
