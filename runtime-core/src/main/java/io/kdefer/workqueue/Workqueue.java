/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.internal.SleepAwareThread;
import io.kdefer.internal.Await;
import io.kdefer.internal.Tracepoints;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToLongFunction;

/**
 * A workqueue (kernel: workqueue_struct): a name, flags, a max_active limit, and one pwq per pool it feeds
 * (per CPU for bound queues, one for unbound and ordered queues). The worker pools are shared.
 *
 * <pre>{@code
 * Workqueue wq = m.workqueues().alloc("events_nic", WorkqueueFlags.MEM_RECLAIM, 0);
 * wq.queue(work);                                       // this CPU's pool
 * wq.queueDelayed(retry, Duration.ofMillis(200));
 * wq.flush();                                           // everything queued before this call has run
 * wq.destroy();
 * }</pre>
 *
 * <h2>States</h2>
 * <pre>
 *   LIVE        accepts every queue call               -&gt; DRAINING   drain() / destroy()
 *   DRAINING    only chained queueing (from its own    -&gt; LIVE       drain() returned
 *               items) is accepted; others: false      -&gt; DESTROYED  destroy()
 *   DESTROYED   every queue call returns false, warns
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>max_active (B-WQ-5/16/19): per CPU pool for bound queues, system-wide for unbound ones (one node);
 *       items over the limit wait, FIFO per pwq, on the inactive list.</li>
 *   <li>Ordered (B-WQ-17): at most one item executing at a time, in queueing order, system-wide.</li>
 *   <li>{@link #flush()} waits for every item queued before the call, not for later ones, also chained ones
 *       (B-WQ-13). {@link #drain()} repeats flushes until nothing is queued (B-WQ-14); during a drain a queue call
 *       from outside the queue's own items returns {@code false} and leaves the item idle (deviation: the kernel
 *       returns true and wedges the item).</li>
 *   <li>Queueing never blocks and never allocates for a pre-built {@link Work}; callable from any context.</li>
 *   <li>On a closed machine the {@code queue*} calls return {@code false} (the item stays idle),
 *       {@link #modDelayed} throws IllegalStateException, {@link #flush()}/{@link #drain()} wait only for what can
 *       still run and throw once the machine terminated with items that never ran, {@link #destroy()} only marks
 *       the queue destroyed.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   x = 1; wq.queue(w)  --hb--&gt;  wq.flush(); r = y;        [w] y = x;
 *   Forbids: flush returns before w finished, or r reads the old y
 *            (pool lock hand-off)                             (MO-WQ-7, Workqueue_07_QueueFlushSeesAll)
 *   oq.queue(w1); oq.queue(w2) on an ordered queue; w1 writes a, w2 reads a
 *   Forbids: w2 starts before w1 returned, or reads the old a  (MO-WQ-4, Workqueue_04_OrderedRunsInOrder)
 *   A active (max_active reached); wq.queue(B) waits inactive     A completes: releases its slot
 *   Forbids: B left waiting with the slot free (lost activation)  (MO-WQ-9, Workqueue_09_NoLostActivation)
 *            (both decide under the pool lock: the queuer sees the slot free, or the releaser sees B waiting)
 * </pre>
 */
public final class Workqueue {
    /* Implementation notes
     *
     * Flush colours (B-WQ-13): each pwq gives newly queued items its workColor and counts nrInFlight per colour. A
     * flush takes flushLock (so flushers queue up in arrival order), advances every pwq's workColor under its pool
     * lock, and waits per pwq until the old colour's count is zero. Items queued after the colour advanced carry
     * the new colour, so the flush cannot be livelocked by them. Deviation: the kernel lets up to 15 flushers hold
     * colours at once; here flushers are serialised, so at most two colours are live. Each flusher still waits
     * only for what was queued before it took its colour.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.workqueue");

    static final int DFL_ACTIVE = 1024;        // WQ_DFL_ACTIVE
    static final int MAX_ACTIVE = 2048;        // WQ_MAX_ACTIVE
    static final int NAME_LEN = 32;            // WQ_NAME_LEN (31 characters + NUL)

    final Workqueues wqs;                      // I
    private final String name;                 // I
    final int flags;                           // I
    final Pwq[] pwqs;                          // I: per CPU (bound) or a single one (unbound / ordered)
    final Worker rescuer;                      // I: MEM_RECLAIM only
    private volatile int maxActive;            // A: written under wqs.lock
    private volatile boolean frozen;           // A: FREEZABLE queues while the system is frozen
    private volatile int draining;             // A: nesting count of drain()
    private volatile boolean destroyed;        // A
    private volatile boolean warnedDrain;      // R
    private volatile boolean warnedReclaimFlush;   // R: B-WQ-42 warning given once
    private final ReentrantLock flushLock = new ReentrantLock(true);   // I: serialises flushers
    private final ReentrantLock maydayLock = new ReentrantLock();      // I
    private final Condition maydayCond = maydayLock.newCondition();    // I
    private final ArrayDeque<Pwq> maydays = new ArrayDeque<>();        // L(maydayLock)
    private boolean rescuerStop;                                       // L(maydayLock)
    final Stats stats = new Stats();           // A: counters
    private volatile ExecutorSlots slots;      // A: asExecutor()'s recycled items, made on first use

    /** wq_monitor counters. */
    static final class Stats {
        final AtomicLong cpuHog = new AtomicLong();
        final AtomicLong cmWakeups = new AtomicLong();
        final AtomicLong mayday = new AtomicLong();
        final AtomicLong rescued = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
    }

    Workqueue(Workqueues wqs, String name, int flags, int maxActive) {
        this.wqs = wqs;
        this.name = name;
        this.flags = flags;
        this.maxActive = maxActive;
        if ((flags & WorkqueueFlags.UNBOUND) != 0) {
            pwqs = new Pwq[] {new Pwq(this, wqs.unboundPool((flags & WorkqueueFlags.HIGHPRI) != 0))};
        } else {
            pwqs = new Pwq[wqs.cpuCount()];
            for (int c = 0; c < pwqs.length; c++) {
                pwqs[c] = new Pwq(this, wqs.cpuPool(c, (flags & WorkqueueFlags.HIGHPRI) != 0));
            }
        }
        rescuer = (flags & WorkqueueFlags.MEM_RECLAIM) != 0 ? Worker.rescuer(this) : null;
        if (rescuer != null) {
            wqs.started(rescuer);
            rescuer.start();
        }
    }

    public String name() {
        return name;
    }

    /** The flags given to alloc ({@link WorkqueueFlags}). */
    public int flags() {
        return flags & WorkqueueFlags.KNOWN;
    }

    public int maxActive() {
        return maxActive;
    }

    boolean isOrdered() {
        return (flags & WorkqueueFlags.ORDERED) != 0;
    }

    /** Flushing an item of this queue from one of its own items deadlocks (B-WQ-42). */
    boolean isSerializing() {
        return isOrdered() || maxActive == 1;
    }

    int effectiveMaxActive() {
        return frozen ? 0 : maxActive;
    }

    // ------------------------------------------------------------------------------------------ queueing

    /**
     * kernel: queue_work(): queues on this CPU's pool (the calling thread's CPU, or its home CPU).
     *
     * <p>Ordering: {@code true} publishes the caller's prior stores to the run it requested (MO-WQ-1, proven by
     * {@code Workqueue_01_QueueReleasesStores}); {@code false} because the item was already pending publishes them
     * to that pending run (MO-WQ-2, {@code Workqueue_02_LostRaceStillVisible}).
     *
     * @return {@code true} if this call made the item pending; {@code false} if it already was, is disabled, or
     *         the queue refuses it (draining, destroyed, or the machine is closed)
     * @throws IllegalArgumentException if the item belongs to another machine (it was first queued there)
     */
    public boolean queue(Work w) {
        Objects.requireNonNull(w, "work");
        return queueChecked(-1, w);
    }

    /**
     * kernel: queue_work_on(). A CPU that is offline is a valid target, as in the kernel: its pool is unbound then
     * and runs the item anyway (B-WQ-2, B-WQ-44).
     *
     * @throws IllegalArgumentException if {@code cpu} does not exist, or the item belongs to another machine
     */
    public boolean queueOn(int cpu, Work w) {
        Objects.requireNonNull(w, "work");
        wqs.checkCpu(cpu);
        return queueChecked(cpu, w);
    }

    private boolean queueChecked(int cpu, Work w) {
        if (w.owner != null) {
            throw new IllegalArgumentException("queue the DelayedWork with queueDelayed, not its embedded Work");
        }
        w.bindTo(wqs);
        if (wqs.refusesNewWork()) {
            return false;
        }
        long old = w.claim();
        if ((old & Work.PENDING) != 0) {
            return false;
        }
        if (Work.disableCount(old) > 0) {
            w.setData(old);                                   // B-WQ-1: disabled: give PENDING back
            return false;
        }
        return insertClaimed(w, cpu);
    }

    /**
     * kernel: queue_delayed_work(): first wins. The run the timer queues sees the caller's prior stores (MO-WQ-8,
     * proven by {@code Workqueue_08_DelayedTimerPublishes.ArmPublishes}).
     *
     * @return {@code true} if this call made it pending; {@code false} if it already was, is disabled, or the queue
     *         refuses it (draining, destroyed, or the machine is closed)
     * @throws IllegalArgumentException for a negative delay, or an item that belongs to another machine
     */
    public boolean queueDelayed(DelayedWork dw, Duration delay) {
        return queueDelayedOn(-1, dw, delay);
    }

    /** kernel: queue_delayed_work_on(). {@code cpu} -1 means "the local CPU when the timer fires". */
    public boolean queueDelayedOn(int cpu, DelayedWork dw, Duration delay) {
        Objects.requireNonNull(dw, "dw");
        checkDelay(delay);
        if (cpu != -1) {
            wqs.checkCpu(cpu);
        }
        Work w = dw.work;
        w.bindTo(wqs);
        if (wqs.refusesNewWork()) {
            return false;
        }
        long old = w.claim();
        if ((old & Work.PENDING) != 0) {
            return false;
        }
        if (Work.disableCount(old) > 0) {
            w.setData(old);
            return false;
        }
        return startDelayed(dw, cpu, delay);
    }

    /**
     * kernel: mod_delayed_work(): last wins; takes the item from whatever state it is in and re-arms it. Racing
     * the timer's expiry it never loses, duplicates or wedges the item (MO-WQ-8, proven by
     * {@code Workqueue_08_DelayedTimerPublishes.ModVsFire}).
     *
     * @return {@code true} if it was pending (timer or queue modified); {@code false} if it was idle and is now
     *         pending (or disabled and left idle)
     * @throws IllegalStateException on a closed machine
     */
    public boolean modDelayed(DelayedWork dw, Duration delay) {
        return modDelayedOn(-1, dw, delay);
    }

    /** kernel: mod_delayed_work_on(). */
    public boolean modDelayedOn(int cpu, DelayedWork dw, Duration delay) {
        Objects.requireNonNull(dw, "dw");
        checkDelay(delay);
        if (cpu != -1) {
            wqs.checkCpu(cpu);
        }
        Work w = dw.work;
        w.bindTo(wqs);
        if (wqs.refusesNewWork()) {
            throw wqs.lifecycle.closedException("mod_delayed_work");
        }
        long g = w.grabPending();
        boolean was = (g & Work.GRAB_WAS_PENDING) != 0;
        if (Work.disableCount(g & ~Work.GRAB_FLAGS) > 0) {
            w.release(g, 0);
            return was;
        }
        w.setData(g & ~Work.GRAB_FLAGS);
        startDelayed(dw, cpu, delay);
        return was;
    }

    private static void checkDelay(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delayed work: negative delay " + delay);
        }
    }

    /** Owner of PENDING: queue now (delay 0) or arm the timer. */
    private boolean startDelayed(DelayedWork dw, int cpu, Duration delay) {
        dw.wq = this;
        dw.cpu = cpu;
        if (delay.isZero()) {
            return insertClaimed(dw.work, cpu);
        }
        if (refuses()) {
            dw.work.release(dw.work.data(), 0);
            return false;
        }
        if (wqs.lifecycle.isClosed()) {
            // The machine's own contexts may still queue while it closes (refusesNewWork let this caller in), but a
            // delay has no "later" any more: the item is accepted and counted, not armed. This is what ends a
            // retry-with-backoff chain at close at once instead of running it until the close deadline.
            dw.work.release(dw.work.data(), 0);
            wqs.lifecycle.leftover("delayed work", 1, dw);
            return true;
        }
        DelayedWork.Timer t = dw.timer(this);
        try {
            t.mod(delay);
        } catch (IllegalStateException closed) {
            dw.work.release(dw.work.data(), 0);          // close began after the check above: refused after all
            return false;
        }
        return true;
    }

    private boolean refuses() {
        if (wqs.isClosed()) {
            warnRefused("closed machine's");
            return true;
        }
        if (destroyed) {
            warnRefused("destroyed");
            return true;
        }
        if (draining > 0 && !isChained()) {
            warnRefused("draining");
            return true;
        }
        return false;
    }

    /** A claimed item is refused: back to idle, and counted if it had been accepted before close refused it. */
    private void refused(Work w, boolean accepted) {
        w.release(w.data(), 0);
        if (accepted && wqs.isClosed()) {
            wqs.lifecycle.leftover(w.owner != null ? "delayed work" : "work", 1, w.owner != null ? w.owner : w);
        }
    }

    private void warnRefused(String why) {
        if (!warnedDrain) {
            warnedDrain = true;
            LOG.log(Level.WARNING, "workqueue: cannot queue on " + why + " workqueue " + name
                    + " (returned false, item left idle; reported once)");
        }
    }

    /**
     * B-WQ-42 check_flush_dependency: an item of a MEM_RECLAIM queue that waits for a queue without a rescuer can
     * lose its forward-progress guarantee (that queue may need a new worker, which may not be creatable under
     * memory pressure). Warns once per flushed queue; the flush still proceeds, as in the kernel.
     */
    static void checkFlushDependency(Workqueue target) {
        Worker self = Worker.current();
        if (self == null || self.currentPwq == null || target.rescuer != null) {
            return;
        }
        Workqueue mine = self.currentPwq.wq;
        if (mine.rescuer != null && !target.warnedReclaimFlush) {
            target.warnedReclaimFlush = true;
            LOG.log(Level.WARNING, "workqueue: WQ_MEM_RECLAIM " + mine.name() + " is flushing !WQ_MEM_RECLAIM "
                    + target.name() + " (reported once per flushed queue)");
        }
    }

    /** B-WQ-41 is_chained_work: the calling thread is a worker executing an item of this queue. */
    boolean isChained() {
        Worker self = Worker.current();
        return self != null && self.currentPwq != null && self.currentPwq.wq == this;
    }

    /**
     * __queue_work: the caller owns PENDING. Picks the pwq (B-WQ-2), redirects to the pool still running the item
     * (B-WQ-3), and pushes it on that pool's lock-free inbound list; the pool's next lock holder inserts it active
     * or inactive ({@link #insertLocked}, B-WQ-5). Takes no pool lock unless the pool has no running worker.
     */
    boolean insertClaimed(Work w, int cpu) {
        return insertClaimed(w, cpu, false);
    }

    /**
     * As {@link #insertClaimed(Work, int)}.
     *
     * @param accepted whether a caller already got {@code true} for this item (its delayed-work timer fires, or is
     *                 fired early by flush or close): if the machine's close refuses it now, it is counted as a close
     *                 leftover instead of being dropped
     */
    boolean insertClaimed(Work w, int cpu, boolean accepted) {
        if (refuses()) {
            refused(w, accepted);
            return false;
        }
        Pwq p = pwqs.length == 1 ? pwqs[0] : pwqs[cpu >= 0 ? cpu : wqs.thisCpuId()];
        if (!isOrdered()) {
            long last = Work.poolId(w.data());
            if (last != Work.POOL_NONE && last != p.pool.id) {
                WorkerPool lp = wqs.pool((int) last);
                lp.lock.lock();
                try {
                    Worker r = w.runner;
                    if (r != null && r.pool == lp && r.currentWork == w && r.currentPwq != null
                            && r.currentPwq.wq == this) {
                        p = r.currentPwq;
                    }
                } finally {
                    lp.lock.unlock();
                }
            }
        }
        w.queuedCpu = cpu;
        w.queuedAt = wqs.latency.stamp(Tracepoints.WORK_EXECUTE);
        if (!p.pool.push(w, p)) {
            // close stopped this pool's workers after refuses() passed: its inbound list is closed under the lock
            // that set dying, so an accepted item is always absorbed before the workers drain it and exit
            warnRefused("closed machine's");
            refused(w, accepted);
            return false;
        }
        return true;
    }

    /**
     * The locked half of __queue_work, for one item the pool took off its inbound list (WorkerPool.absorbInbound),
     * in push order: colour, in-flight count, an active slot or the inactive list (B-WQ-5), kick. Pool lock held.
     */
    void insertLocked(Work w, Pwq p) {
        WorkerPool pool = p.pool;
        Work.SEQ_QUEUED.setRelease(w, w.seqQueued + 1);   // read under this lock only
        int color = p.workColor;
        p.nrInFlight[color]++;
        Work.PWQ_FIELD.setRelease(w, p);
        Work.TARGET.setRelease(w, (Pwq) null);             // after pwq: unlocked readers read target, then pwq
        boolean active = p.inactive.isEmpty() && p.tryGetActive();
        if (Tracepoints.on(Tracepoints.WORK_QUEUE)) {          // workqueue_queue_work
            Tracepoints.workQueue(wqs.machineName(), name, pool.name(), w.queuedCpu, pool.cpu, !active, w.fn);
        }
        if (active) {
            w.markQueued(color, false);
            pool.addToWorklist(w);
            pool.kick();
            if (Tracepoints.on(Tracepoints.WORK_ACTIVATE)) {   // workqueue_activate_work
                Tracepoints.workActivate(wqs.machineName(), name, pool.name(), false, w.fn);
            }
        } else {
            w.markQueued(color, true);
            p.inactive.addLast(w);
        }
    }

    // ------------------------------------------------------------------------------------------ flush, drain

    /**
     * kernel: flush_workqueue(): waits until every item queued before this call has finished (B-WQ-13), on
     * every pool this queue feeds; the caller then sees their stores (MO-WQ-7, proven by
     * {@code Workqueue_07_QueueFlushSeesAll}).
     *
     * @throws IllegalStateException in atomic context, from one of this queue's own items (deadlock), or once the
     *         machine terminated with items queued before this call that never ran
     */
    public void flush() {
        CpuContext.mightSleep("Workqueue.flush");
        if (isChained()) {
            throw new IllegalStateException("flush of workqueue " + name + " from one of its own items would wait "
                    + "for itself (deadlock)");
        }
        checkFlushDependency(this);
        flushUntil(Long.MAX_VALUE);
    }

    /**
     * The flush, bounded: waits until every item queued before the call finished or {@code deadlineNanos}
     * ({@code System.nanoTime()}; {@code Long.MAX_VALUE}: no bound) passed. Returns whether it completed.
     */
    boolean flushUntil(long deadlineNanos) {
        boolean bounded = deadlineNanos != Long.MAX_VALUE;
        SleepAwareThread token = SleepAwareThread.blockBegin();
        boolean locked = false;
        try {
            if (bounded) {
                locked = Await.lockUntil(flushLock, deadlineNanos);
            } else {
                flushLock.lock();
                locked = true;
            }
        } finally {
            if (!locked) {
                SleepAwareThread.blockEnd(token);
            }
        }
        if (!locked) {
            return false;
        }
        try {
            int[] colors = new int[pwqs.length];
            for (int i = 0; i < pwqs.length; i++) {
                Pwq p = pwqs[i];
                p.pool.lock.lock();
                try {
                    colors[i] = p.workColor;
                    p.workColor = (p.workColor + 1) % Pwq.NR_COLORS;
                } finally {
                    p.pool.lock.unlock();
                }
            }
            for (int i = 0; i < pwqs.length; i++) {
                Pwq p = pwqs[i];
                WorkerPool pool = p.pool;
                pool.lock.lock();
                try {
                    while (p.nrInFlight[colors[i]] > 0) {
                        if (!bounded) {
                            pool.awaitFlushCond();
                            continue;
                        }
                        long left = deadlineNanos - System.nanoTime();
                        if (left <= 0) {
                            return false;
                        }
                        pool.awaitFlushCondNanos(left);
                    }
                } finally {
                    pool.lock.unlock();
                }
            }
            return true;
        } finally {
            flushLock.unlock();
            SleepAwareThread.blockEnd(token);
        }
    }

    /**
     * kernel: drain_workqueue(): flushes until no item is queued; meanwhile only chained queueing is accepted
     * (B-WQ-14).
     *
     * @throws IllegalStateException in atomic context, or from one of this queue's own items
     */
    public void drain() {
        CpuContext.mightSleep("Workqueue.drain");
        synchronized (this) {
            draining++;
        }
        try {
            flushUntilIdle("drain_workqueue");
        } finally {
            synchronized (this) {
                draining--;
            }
        }
    }

    /** Flushes until every pwq is idle; warns at the 10th retry and every 100th up to 1000 (B-WQ-14). */
    void flushUntilIdle(String what) {
        for (int round = 1; ; round++) {
            flush();
            if (isIdle()) {
                return;
            }
            if (round == 10 || (round > 10 && round <= 1000 && round % 100 == 0)) {
                LOG.log(Level.WARNING, "workqueue " + name + ": " + what + " isn't complete after " + round
                        + " tries");
            }
        }
    }

    boolean isIdle() {
        for (Pwq p : pwqs) {
            p.pool.lock.lock();
            try {
                if (!p.isIdle()) {
                    return false;
                }
            } finally {
                p.pool.lock.unlock();
            }
        }
        return true;
    }

    /**
     * kernel: destroy_workqueue(): drains, stops the rescuer, and refuses further queueing. Armed delayed works are
     * invisible to it: cancel them first (§13.10).
     *
     * @throws IllegalStateException in atomic context, from one of its own items, or for a system workqueue
     */
    public void destroy() {
        CpuContext.mightSleep("Workqueue.destroy");
        if (wqs.isSystem(this)) {
            throw new IllegalStateException("destroy: " + name + " is a system workqueue");
        }
        if (destroyed) {
            return;
        }
        if (wqs.refusesNewWork()) {
            destroyed = true;                 // the machine's close drains and stops it: nothing left to wait for
            return;
        }
        drain();
        destroyed = true;
        stopRescuer();
        wqs.remove(this);
        if (!isIdle()) {
            LOG.log(Level.WARNING, "destroy_workqueue: " + name + " still busy after drain; leaked");
        }
    }

    /** Whether {@link #destroy()} completed. */
    public boolean isDestroyed() {
        return destroyed;
    }

    // ------------------------------------------------------------------------------------------ max_active

    /**
     * kernel: workqueue_set_max_active(): clamps to [1, 2048] with a warning, then activates inactive items up to
     * the new limit (B-WQ-18). Lowering it never preempts running items. An ordered queue warns and keeps 1.
     */
    public void setMaxActive(int n) {
        if (isOrdered()) {
            LOG.log(Level.WARNING, "workqueue_set_max_active: " + name + " is ordered; max_active stays 1");
            return;
        }
        maxActive = Workqueues.clampMaxActive(name, n);
        activateAll();
    }

    void setFrozen(boolean v) {
        frozen = v;
        if (!v) {
            activateAll();
        }
    }

    private void activateAll() {
        for (Pwq p : pwqs) {
            p.pool.lock.lock();
            try {
                p.activateInactive();
                p.pool.kick();
            } finally {
                p.pool.lock.unlock();
            }
        }
    }

    /** Waits until no item of this queue is active (freeze: running ones finish). */
    void waitNoActive() {
        SleepAwareThread token = SleepAwareThread.blockBegin();
        try {
            for (Pwq p : pwqs) {
                p.pool.lock.lock();
                try {
                    while (p.nrActive > 0) {
                        p.pool.awaitFlushCond();
                    }
                } finally {
                    p.pool.lock.unlock();
                }
            }
        } finally {
            SleepAwareThread.blockEnd(token);
        }
    }

    /** kernel: workqueue_congested(): some pwq has inactive items (racy). */
    public boolean isCongested() {
        for (Pwq p : pwqs) {
            p.pool.lock.lock();
            try {
                if (!p.inactive.isEmpty()) {
                    return true;
                }
            } finally {
                p.pool.lock.unlock();
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------ rescuer

    void sendMayday(Pwq p) {
        maydayLock.lock();
        try {
            if (!p.onMayday && !rescuerStop) {
                p.onMayday = true;
                maydays.addLast(p);
                stats.mayday.incrementAndGet();
                Tracepoints.workqueueMayday(wqs.machineName(), name, p.pool.name());   // send_mayday
                maydayCond.signal();
            }
        } finally {
            maydayLock.unlock();
        }
    }

    /** The rescuer's wait; null when it should exit. */
    Pwq takeMayday() {
        maydayLock.lock();
        try {
            while (maydays.isEmpty()) {
                if (rescuerStop) {
                    return null;
                }
                maydayCond.awaitUninterruptibly();
            }
            Pwq p = maydays.removeFirst();
            p.onMayday = false;
            return p;
        } finally {
            maydayLock.unlock();
        }
    }

    /** Stops the rescuer (destroy): it empties its mayday list first; waits for it. */
    void stopRescuer() {
        if (rescuer == null) {
            return;
        }
        requestRescuerStop();
        if (rescuer != Thread.currentThread()) {
            io.kdefer.cpu.internal.KernelThread.join(rescuer, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        }
    }

    /** Asks the rescuer to stop once its mayday list is empty (close's stop phase); does not wait. */
    void requestRescuerStop() {
        if (rescuer == null) {
            return;
        }
        maydayLock.lock();
        try {
            rescuerStop = true;
            maydayCond.signalAll();
        } finally {
            maydayLock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------ executors

    /**
     * A drop-in {@link Executor}: each task runs as a work item of its own on this queue (queued on the calling
     * thread's CPU, as {@link #queue}). The items are recycled: once as many are pooled as tasks are in flight
     * (up to 4096 per queue), {@code execute} allocates nothing. Every call returns a view of the same pool.
     *
     * <p>Ordering: the task's construction and the caller's prior stores happen-before its run (MO-WQ-1, as
     * {@link #queue}; the slot hand-off: {@code ExecutorSlots_01_RingPublishes}).
     *
     * @throws RejectedExecutionException (from execute) when the queue refuses work (draining, destroyed, or the
     *         machine is closed)
     */
    public Executor asExecutor() {
        ExecutorSlots slots = executorSlots();
        return task -> {
            Objects.requireNonNull(task, "task");
            ExecutorSlots.Slot s = slots.take();
            s.task = task;
            if (!queue(s.work)) {
                s.task = null;
                slots.offer(s);
                throw new RejectedExecutionException("workqueue " + name + " refused the task (draining or "
                        + "destroyed)");
            }
        };
    }

    ExecutorSlots executorSlots() {
        ExecutorSlots s = slots;
        if (s == null) {
            synchronized (this) {
                s = slots;
                if (s == null) {
                    slots = s = new ExecutorSlots(this);
                }
            }
        }
        return s;
    }

    /**
     * A new {@link ExecutorService} view of this queue that follows the JDK's contract: {@code shutdown()} stops
     * accepting tasks and lets the accepted ones run (it does not wait: use {@code awaitTermination});
     * {@code shutdownNow()} also takes back the not-yet-started ones (returned, never run) and interrupts the
     * running ones. Each call returns a separate view with its own lifecycle (so one component shutting its view
     * of {@code system()} down does not stop another's); shutting a view down never destroys the queue. Its
     * blocking calls ({@code Future.get}, {@code invokeAll}, {@code invokeAny}, {@code awaitTermination}) count
     * as sleeping on a worker (B-WQ-30).
     */
    public ExecutorService asExecutorService() {
        return new WorkqueueExecutorService(this);
    }

    // ------------------------------------------------------------------------------------------ stats

    /** Items queued or running now (the wq_monitor {@code infl}). */
    public int inFlight() {
        return (int) sumOverPwqs(Pwq::inFlight);
    }

    /** {@link #runNanos()}: the wq_monitor {@code CPUtime}, in nanoseconds. */
    public long cpuTimeNanos() {
        return runNanos();
    }

    /** Items the sampler marked CPU-intensive (the wq_monitor {@code CPUhog}). */
    public long cpuHog() {
        return stats.cpuHog.get();
    }

    /** Concurrency-management wake-ups: a worker blocked and another was woken (the wq_monitor {@code CMW}). */
    public long cmWakeups() {
        return stats.cmWakeups.get();
    }

    /** Mayday requests to this queue's rescuer (the wq_monitor {@code mayday}); -1 without MEM_RECLAIM. */
    public long maydays() {
        return rescuer != null ? stats.mayday.get() : -1;
    }

    /** Items this queue's rescuer ran (the wq_monitor {@code rescued}); -1 without MEM_RECLAIM. */
    public long rescued() {
        return rescuer != null ? stats.rescued.get() : -1;
    }

    /** Sums a per-pwq counter, reading each under its pool's lock (the counters are L(pool.lock)). */
    private long sumOverPwqs(ToLongFunction<Pwq> counter) {
        long n = 0;
        for (Pwq p : pwqs) {
            p.pool.lock.lock();
            try {
                n += counter.applyAsLong(p);
            } finally {
                p.pool.lock.unlock();
            }
        }
        return n;
    }

    /** Items that threw (contained). */
    public long failures() {
        return stats.failures.get();
    }

    /** Items executed (the wq_monitor {@code total}). */
    public long executed() {
        return sumOverPwqs(p -> p.executed);
    }

    /** Run time of executed items minus the time they were recorded sleeping (the wq_monitor {@code CPUtime}). */
    long runNanos() {
        return sumOverPwqs(p -> p.runNanos);
    }

    @Override
    public String toString() {
        return "Workqueue[" + name + ", " + WorkqueueFlags.describe(flags) + ", max_active " + maxActive + "]";
    }
}
