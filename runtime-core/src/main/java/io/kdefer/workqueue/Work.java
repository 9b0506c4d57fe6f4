/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.cpu.CpuContext;
import io.kdefer.internal.Backoff;
import io.kdefer.internal.Handles;
import io.kdefer.cpu.internal.SleepAwareThread;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * A function run later by a worker thread, in task context where it may sleep (kernel: work_struct).
 *
 * <pre>{@code
 * Work flush = new Work(() -> log.flush());
 * wq.queue(flush);       // true: now pending; false: already pending, and that run sees our prior stores
 * flush.cancelSync();    // at teardown: not pending, not running, also if it re-queues itself
 * }</pre>
 *
 * <h2>States (kernel: the work_struct data word, include/linux/workqueue.h)</h2>
 * <pre>
 *   state             data bits             lists                  -&gt; next
 *   IDLE              0 (+ last pool id)    none                   -&gt; CLAIMED          queue*(): getAndBitwiseOr(PENDING)
 *   CLAIMED           PENDING               none (in transit, or   -&gt; INBOUND          pushed on its pool's inbound list
 *                                           owned by a canceller)  -&gt; IDLE             disabled, refused, or cancel done
 *   INBOUND           PENDING               pool inbound list;     -&gt; QUEUED_ACTIVE    absorbed, an active slot free
 *                                           target != null         -&gt; QUEUED_INACTIVE  absorbed, over max_active / frozen
 *   TIMER_ARMED       PENDING               none, timer pending    -&gt; CLAIMED          timer fired / grabbed by cancel
 *   QUEUED_ACTIVE     PENDING|PWQ           pool worklist or a     -&gt; RUNNING          a worker took it: PENDING cleared
 *                                           worker's scheduled                         (last store, then a full fence)
 *   QUEUED_INACTIVE   PENDING|PWQ|INACTIVE  pwq inactive list      -&gt; QUEUED_ACTIVE    a slot freed (B-WQ-38)
 *   RUNNING           0 (+ pool id)         none; runner != null   -&gt; IDLE             the function returned
 *                                                                  -&gt; RUNNING+QUEUED   queued again meanwhile
 *   DISABLED          disable count &gt; 0     none                   -&gt; IDLE             enable() to count 0
 * </pre>
 * Bits: PENDING 0, INACTIVE 1, PWQ 2, LINKED 3 (unused: flushes wait on sequence numbers, not barrier items),
 * colour 4..7, disable count 8..23 (max 65 535), last pool id 24..54 (all ones = none).
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>{@code queue} returns {@code true} for exactly one caller per PENDING period (B-WQ-1).</li>
 *   <li>PENDING is cleared before the function runs, so the function (or anyone) may queue it again; it then runs
 *       again after the current run, on the same pool (B-WQ-3, §13.8).</li>
 *   <li>Never runs on two workers at once, system-wide, while it is queued on one workqueue (B-WQ-4): a queue to
 *       another CPU while it runs is redirected to the pool that runs it; each run happens-before the next
 *       (MO-WQ-3, {@code Workqueue_03_NoOverlappingRuns}).</li>
 *   <li>{@link #flush()} waits for the last queued instance only (B-WQ-11); {@link #cancelSync()} returns with
 *       the item neither pending nor running, also for a self-requeueing item; queue attempts during it fail
 *       (B-WQ-9). Both refuse atomic context.</li>
 *   <li>A function that throws is contained, counted per workqueue and reported once per item; the worker
 *       survives. One that leaves the thread's interrupt flag set has it cleared and counted (DESIGN §5).</li>
 *   <li>An item belongs to the machine it is first queued on: queueing it on another machine's workqueue throws
 *       IllegalArgumentException and changes nothing; once its machine terminated and it is idle, it may be queued
 *       on another machine (and then belongs there).</li>
 *   <li>On a closed machine {@link #flush()} and {@link #cancelSync()} return at once when nothing runs, and throw
 *       IllegalStateException once the machine terminated with the item still queued (it would never run);
 *       {@link #cancel()}, {@link #disable()}, {@link #enable()} work as always.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   x = 1; r0 = wq.queue(w);        [function] r1 = x;
 *   Forbids: r0 == true  &amp;&amp; r1 == 0                              (MO-WQ-1, Workqueue_01_QueueReleasesStores)
 *   Forbids: r0 == false &amp;&amp; the run whose PENDING-clear followed the failed claim reads r1 == 0
 *            (getAndBitwiseOr claim vs getAndSet clear + fullFence)  (MO-WQ-2, Workqueue_02_LostRaceStillVisible)
 *   [function] y = 1;               r = w.flush(); s = y;
 *   Forbids: s == 0 when r == true, and when r == false for a run that had completed
 *            (completion recorded under the pool lock the flusher takes)    (MO-WQ-5, Workqueue_05_FlushSeesRun)
 *   [function] z = 1;               r = w.cancelSync(); s = z;
 *   Forbids: cancelSync returning while the function runs, or s == 0 for a run that started before it;
 *            a queue() racing it is accepted (then cancelled or run) or refused, never lost
 *                                                                   (MO-WQ-6, Workqueue_06_CancelSyncWaitsForRun)
 *   successive runs: no overlap, each happens-before the next       (MO-WQ-3, Workqueue_03_NoOverlappingRuns)
 * </pre>
 */
public final class Work {
    /* Implementation notes
     *
     * Who writes data: only the owner of PENDING (the claimer until it inserts; then whoever holds the pool lock of
     * the list the item is on; a canceller that grabbed it; a timer that owns it) — plus getAndBitwiseOr(PENDING)
     * by would-be claimers, which changes nothing while PENDING is set. So every transition out of PENDING is one
     * volatile store by the owner, and a claim racing it either sees PENDING clear (and owns the next period) or
     * sees it set and synchronizes with the owner's last RMW (MO-WQ-2).
     *
     * pwq is non-null exactly while the item is on a list of pwq.pool (written under that pool's lock; volatile
     * so that a canceller can find the pool to lock). runner is the worker executing it, written under the lock of
     * the pool it runs in. seqQueued counts queue insertions, seqDone is the newest instance that finished or was
     * cancelled: flush() waits for seqDone >= the seqQueued it saw, on the condition of the pool that holds the
     * instance (the same lock that guards the completion, hence MO-WQ-5).
     *
     * INBOUND: queue() does not take the pool lock; it pushes the item on the pool's lock-free inbound list with
     * target = the chosen pwq (WorkerPool, "Inbound list"). Whoever next holds that pool's lock absorbs the list and
     * does the locked half of the insertion (pwq, colour, max_active), in push order; it sets pwq before it clears
     * target. So an unlocked reader that reads target, then pwq, and finds both null knows the item is in neither
     * state; one that finds target set locks target.pool, which absorbs the item, and looks again.
     */
    static final long PENDING = 1L;
    static final long INACTIVE = 1L << 1;
    static final long PWQ = 1L << 2;
    static final long LINKED = 1L << 3;
    static final int COLOR_SHIFT = 4;
    static final long COLOR_MASK = 0xFL << COLOR_SHIFT;
    static final int DISABLE_SHIFT = 8;
    static final long DISABLE_MAX = 0xFFFF;
    static final long DISABLE_MASK = DISABLE_MAX << DISABLE_SHIFT;
    static final int POOL_SHIFT = 24;
    static final long POOL_NONE = (1L << 31) - 1;

    private static final System.Logger LOG = System.getLogger("io.kdefer.workqueue");

    final Runnable fn;                  // I
    final DelayedWork owner;            // I: the DelayedWork this is embedded in, or null
    private volatile long data;         // A: see States
    volatile Pwq pwq;                   // WO(pool.lock): cancel reads it unlocked to find the pool, then locks it
    volatile Worker runner;             // WO(running pool's lock): unlocked reads only compare identity
    volatile long seqQueued;            // L(pool holding it): instances inserted
    volatile long seqDone;              // L(pool holding it): newest instance finished or cancelled
    int flushWaiters;                   // L(pool.lock)
    long queuedAt;                      // O(claimer) until pushed, then L(pool.lock): the queue->start stamp
    volatile Pwq target;                // WO(claimer / absorber): the pwq while INBOUND, else null (see notes)
    int queuedCpu;                      // O(claimer) until pushed, then L(pool.lock): the CPU queue_work_on asked for
    Work inboundNext;                   // O(claimer), published by the push CAS: the next item on the inbound list
    Work prev;                          // L(pool.lock): list links
    Work next;                          // L(pool.lock)
    WorkList list;                      // L(pool.lock): the list it is on, or null
    private volatile Workqueues home;   // A: the machine's workqueues it belongs to (set at the first queue)

    private static final VarHandle DATA = Handles.field(MethodHandles.lookup(), Work.class, "data", long.class);
    private static final VarHandle HOME = Handles.field(MethodHandles.lookup(), Work.class, "home",
            Workqueues.class);
    // Release-mode writers of volatile fields whose every reader locks the pool and re-checks (or reads them right
    // after a full fence of the writer): the worker's per-item path pays no StoreLoad fence for them.
    static final VarHandle RUNNER = Handles.field(MethodHandles.lookup(), Work.class, "runner", Worker.class);
    static final VarHandle PWQ_FIELD = Handles.field(MethodHandles.lookup(), Work.class, "pwq", Pwq.class);
    static final VarHandle TARGET = Handles.field(MethodHandles.lookup(), Work.class, "target", Pwq.class);
    static final VarHandle SEQ_DONE = Handles.field(MethodHandles.lookup(), Work.class, "seqDone", long.class);
    static final VarHandle SEQ_QUEUED = Handles.field(MethodHandles.lookup(), Work.class, "seqQueued",
            long.class);

    /** @throws NullPointerException if {@code fn} is null */
    public Work(Runnable fn) {
        this(Objects.requireNonNull(fn, "fn"), null);
    }

    Work(Runnable fn, DelayedWork owner) {
        this.fn = fn;
        this.owner = owner;
        this.data = POOL_NONE << POOL_SHIFT;
    }

    // ------------------------------------------------------------------------------------------ public API

    /** kernel: work_pending(): PENDING is set (queued, claimed or timer armed). Racy snapshot. */
    public boolean isPending() {
        return (data & PENDING) != 0;
    }

    /** kernel: work_busy() & WORK_BUSY_RUNNING: a worker executes it now. Racy snapshot. */
    public boolean isRunning() {
        return runner != null;
    }

    /**
     * kernel: flush_work(): waits until the last queued instance has finished executing (B-WQ-11). On return the
     * caller sees that run's stores; on {@code false} it sees every completed run's stores (MO-WQ-5, proven by
     * {@code Workqueue_05_FlushSeesRun}).
     *
     * @return {@code true} if it waited for an instance, {@code false} if the item was idle
     * @throws IllegalStateException in atomic context, or if waiting would deadlock (the item runs on the calling
     *         worker, or is queued behind it on the same ordered / max_active 1 workqueue)
     */
    public boolean flush() {
        CpuContext.mightSleep("Work.flush");
        if (owner != null) {
            throw new IllegalStateException("flush the DelayedWork, not its embedded Work (the timer is not handled)");
        }
        return flushInternal();
    }

    /**
     * kernel: cancel_work(): takes the item off its queue if it is pending. Does not wait for a running instance;
     * callable from any context (B-WQ-7).
     *
     * @return {@code true} if it was pending
     */
    public boolean cancel() {
        long g = grabPending();
        release(g, 0);
        return (g & GRAB_WAS_PENDING) != 0;
    }

    /**
     * kernel: cancel_work_sync(): cancels and waits for a running instance; concurrent queue attempts fail while it
     * runs (B-WQ-9). On return the item is not running and the stores of a run that started before the call are
     * visible; a racing queue() either wins (and is cancelled, or queued after the cancel) or returns false
     * (MO-WQ-6, proven by {@code Workqueue_06_CancelSyncWaitsForRun}).
     *
     * @return {@code true} if it was pending
     * @throws IllegalStateException in atomic context, or when called from the item's own function
     */
    public boolean cancelSync() {
        CpuContext.mightSleep("Work.cancelSync");
        return cancelSyncInternal();
    }

    /**
     * kernel: disable_work(): disable count +1 (nests), cancels a pending instance; while the count is above 0
     * every queue attempt returns {@code false} (B-WQ-10). Does not wait for a running instance.
     *
     * @return {@code true} if it was pending
     * @throws IllegalStateException when the count would exceed 65 535
     */
    public boolean disable() {
        long g = grabPending();
        long d = disableCount(g & ~GRAB_FLAGS);
        if (d == DISABLE_MAX) {
            release(g, 0);
            throw new IllegalStateException("disable_work: disable count overflow (max " + DISABLE_MAX + ") on " + this);
        }
        release(g, +1);
        return (g & GRAB_WAS_PENDING) != 0;
    }

    /**
     * kernel: disable_work_sync(): {@link #disable()}, then waits for a running instance.
     *
     * @throws IllegalStateException in atomic context or from the item's own function
     */
    public boolean disableSync() {
        CpuContext.mightSleep("Work.disableSync");
        checkNotSelf("disableSync");
        boolean was = disable();
        waitNotRunning();
        return was;
    }

    /**
     * kernel: enable_work(): disable count -1. Does not queue the item.
     *
     * @return {@code true} if the count is now 0 (queue attempts succeed again); an unbalanced enable warns and
     *         returns {@code true}
     */
    public boolean enable() {
        long g = grabPending();
        long d = disableCount(g & ~GRAB_FLAGS);
        if (d == 0) {
            release(g, 0);
            LOG.log(Level.WARNING, "enable_work: unbalanced enable of " + this + " (disable count is already 0)");
            return true;
        }
        release(g, -1);
        return d == 1;
    }

    /** The disable count (racy snapshot). */
    public int disableCount() {
        return (int) disableCount(data);
    }

    // ------------------------------------------------------------------------------------------ machine

    /**
     * Binds the item to {@code wqs}'s machine at its first queue, or checks that it belongs there: one volatile read
     * on the queue path. An item of a terminated machine that is idle moves (its pool id and, for a DelayedWork,
     * its timer belonged to the old machine and are forgotten).
     *
     * @throws IllegalArgumentException if it belongs to another machine that still runs, or is not idle
     */
    void bindTo(Workqueues wqs) {
        Workqueues h = home;
        if (h == wqs) {
            return;
        }
        if (h == null && HOME.compareAndSet(this, null, wqs)) {
            return;
        }
        h = home;
        if (h == wqs) {
            return;
        }
        long d = data;
        // The data word first (no pool of the old machine is "last" any more), then home: nobody touches the item
        // through the new machine before home names it, and a claim through the old one makes the first CAS fail.
        if (h.isTerminated() && (d & PENDING) == 0 && runner == null
                && DATA.compareAndSet(this, d, offq(POOL_NONE, disableCount(d)))
                && HOME.compareAndSet(this, h, wqs)) {
            if (owner != null) {
                owner.forgetTimer();
            }
            return;
        }
        throw new IllegalArgumentException((owner != null ? owner : this) + " belongs to " + h.machineName()
                + " (a work item belongs to the machine it was first queued on); queue it there, or use a new item");
    }

    // ------------------------------------------------------------------------------------------ data word

    static long disableCount(long d) {
        return (d & DISABLE_MASK) >>> DISABLE_SHIFT;
    }

    static int color(long d) {
        return (int) ((d & COLOR_MASK) >>> COLOR_SHIFT);
    }

    static long poolId(long d) {
        return (d >>> POOL_SHIFT) & POOL_NONE;
    }

    static long offq(long poolId, long disable) {
        return (poolId << POOL_SHIFT) | (disable << DISABLE_SHIFT);
    }

    long data() {
        return data;
    }

    /**
     * B-WQ-1 claim: one volatile RMW, also when PENDING is already set (§13.1). The claim of every queue path
     * ({@code Workqueue.queue*}, {@code queueDelayed*}, grab-pending). Pairs with {@link #clearPendingForRun}: a
     * claim that finds PENDING set still publishes the caller's prior stores to the run whose clear follows it
     * (MO-WQ-2, proven by {@code Workqueue_02_LostRaceStillVisible}; a compare-and-set loop that returns on
     * failure here makes that test fail).
     */
    long claim() {
        return (long) DATA.getAndBitwiseOr(this, PENDING);
    }

    /** Owner of PENDING: replace the word (keeps or drops PENDING as {@code v} says). */
    void setData(long v) {
        DATA.setVolatile(this, v);
    }

    /**
     * B-WQ-29: a worker takes the item: record the pool and clear PENDING, then a full fence (MO-WQ-2, proven by
     * {@code Workqueue_02_LostRaceStillVisible}). Called only by {@code Worker.processOne}.
     */
    void clearPendingForRun(int poolId) {
        DATA.getAndSet(this, offq(poolId, 0));
        VarHandle.fullFence();   // pairs with the claim's getAndBitwiseOr; nothing the function reads moves above
    }

    /** Pool lock held, PENDING kept: a release store (claimers RMW the word and read the newest value anyway). */
    void markQueued(int color, boolean inactive) {
        DATA.setRelease(this, PENDING | PWQ | ((long) color << COLOR_SHIFT) | (inactive ? INACTIVE : 0));
    }

    void markActive() {
        DATA.setRelease(this, data & ~INACTIVE);
    }

    // ------------------------------------------------------------------------------------------ grab pending

    static final long GRAB_WAS_PENDING = 1L << 62;
    static final long GRAB_FLAGS = GRAB_WAS_PENDING;

    /**
     * B-WQ-7/8 try_to_grab_pending: owns PENDING on return, from any state (deletes an armed timer, unlinks a queued
     * instance, or claims an idle item). Busy-retries while another party is in the middle of a transition.
     *
     * @return the off-queue data word now held (PENDING set), | GRAB_WAS_PENDING if it was pending
     */
    long grabPending() {
        for (int spins = 0; ; spins = Backoff.pause(spins)) {
            long r = tryGrab();
            if (r >= 0) {
                return r;
            }
        }
    }

    private long tryGrab() {
        if (owner != null && owner.deleteTimer()) {
            return data | GRAB_WAS_PENDING;                 // the timer owned PENDING; now we do
        }
        long old = claim();
        if ((old & PENDING) == 0) {
            return old | PENDING;
        }
        Pwq t = target;                                     // target, then pwq: see Implementation notes
        Pwq p = pwq;
        if (p == null) {
            if (t != null) {
                t.pool.lock.lock();                         // INBOUND: taking its pool's lock absorbs it
                t.pool.lock.unlock();
            }
            return -1;                                      // claimed by someone else / timer mid-queue: retry
        }
        WorkerPool pool = p.pool;
        pool.lock.lock();
        try {
            if (pwq != p || list == null) {
                return -1;
            }
            long d = data;
            boolean wasActive = (d & INACTIVE) == 0;
            list.remove(this);
            pwq = null;
            long off = offq(pool.id, 0) | PENDING;
            setData(off);
            if (seqDone < seqQueued) {
                seqDone = seqQueued;                        // this instance will never run: release its flushers
                if (flushWaiters > 0) {
                    pool.flushCond.signalAll();
                }
            }
            p.itemDone(color(d), wasActive);
            return off | GRAB_WAS_PENDING;
        } finally {
            pool.lock.unlock();
        }
    }

    /** Releases a grabbed item off-queue, with its disable count changed by {@code delta}. */
    void release(long grabbed, int delta) {
        long d = grabbed & ~GRAB_FLAGS;
        setData(offq(poolId(d), disableCount(d) + delta));
    }

    // ------------------------------------------------------------------------------------------ waits

    boolean cancelSyncInternal() {
        checkNotSelf("cancelSync");
        long g = grabPending();
        if (disableCount(g & ~GRAB_FLAGS) == DISABLE_MAX) {
            release(g, 0);
            throw new IllegalStateException("cancel_work_sync: disable count overflow on " + this);
        }
        release(g, +1);                                     // queue attempts fail from here on (B-WQ-9)
        waitNotRunning();
        long e = grabPending();
        release(e, -1);
        return (g & GRAB_WAS_PENDING) != 0;
    }

    private void checkNotSelf(String op) {
        Worker self = Worker.current();
        if (self != null && self.currentWork == this) {
            throw new IllegalStateException(op + " of " + this + " from its own function would wait for itself");
        }
    }

    /** Waits until no worker executes this item (the instance running now, if any, returned). */
    void waitNotRunning() {
        Worker r = runner;
        if (r == null) {
            return;
        }
        WorkerPool pool = r.pool;
        awaitOnPool(pool, () -> runner == null || runner.pool != pool);
        if (runner != null) {
            waitNotRunning();                               // it moved to another pool (queued on another wq)
        }
    }

    boolean flushInternal() {
        Worker self = Worker.current();
        WorkerPool pool;
        long seqTarget;
        while (true) {
            Pwq t = this.target;                                 // target, then pwq: see Implementation notes
            Pwq p = pwq;
            Worker r = runner;
            if (p == null) {
                p = t;                                      // INBOUND: locking its pool absorbs it
            }
            pool = p != null ? p.pool : r != null ? r.pool : null;
            if (pool == null) {
                return false;                               // idle (or claimed in transit): nothing to wait for
            }
            pool.lock.lock();
            try {
                Pwq q = pwq;
                boolean queuedHere = q != null && q.pool == pool;
                boolean runningHere = runner != null && runner.pool == pool;
                if (!queuedHere && !runningHere) {
                    if (this.target == null && pwq == null && runner == null) {
                        return false;
                    }
                    continue;                               // moved meanwhile: look again
                }
                if (self != null) {
                    if (runner == self) {
                        throw new IllegalStateException("flush of " + this + " from its own function would wait "
                                + "for itself (deadlock)");
                    }
                    Workqueue mine = self.currentPwq != null ? self.currentPwq.wq : null;
                    Workqueue its = queuedHere ? q.wq : runner.currentPwq.wq;
                    Workqueue.checkFlushDependency(its);
                    if (mine != null && mine == its && mine.isSerializing()) {
                        throw new IllegalStateException("flush of " + this + " from a work item of the same "
                                + (mine.isOrdered() ? "ordered" : "max_active 1") + " workqueue " + mine.name()
                                + " would deadlock (B-WQ-42)");
                    }
                }
                seqTarget = seqQueued;
                if (seqDone >= seqTarget) {
                    return false;
                }
            } finally {
                pool.lock.unlock();
            }
            break;
        }
        long until = seqTarget;
        awaitOnPool(pool, () -> seqDone >= until);
        return true;
    }

    /**
     * Sleeps (recorded, so a worker calling it lets its pool run another) on {@code pool}'s flush condition until
     * {@code done}, evaluated under the pool lock, holds; completions and cancellations of this item signal it.
     */
    private void awaitOnPool(WorkerPool pool, BooleanSupplier done) {
        SleepAwareThread token = SleepAwareThread.blockBegin();
        pool.lock.lock();
        try {
            while (!done.getAsBoolean()) {
                flushWaiters++;                             // completions of this item signal only if > 0
                try {
                    pool.awaitFlushCond();
                } finally {
                    flushWaiters--;
                }
            }
        } finally {
            pool.lock.unlock();
            SleepAwareThread.blockEnd(token);
        }
    }

    void reportFailure(Workqueue wq, Throwable t) {
        wq.wqs.faults.threw(LOG, this, "workqueue " + wq.name() + ": " + this, Thread.currentThread().getName(), t,
                "the worker keeps running");
    }

    @Override
    public String toString() {
        long d = data;
        return "Work@" + Integer.toHexString(System.identityHashCode(this)) + "[" + fn
                + ((d & PENDING) != 0 ? ", pending" : "") + (runner != null ? ", running" : "")
                + (disableCount(d) > 0 ? ", disabled " + disableCount(d) : "") + "]";
    }
}
