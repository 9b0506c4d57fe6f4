/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.internal.Handles;
import io.kdefer.internal.Tracepoints;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pool of worker threads shared by every workqueue that targets it (kernel: worker_pool): per CPU a normal and a
 * high-priority pool, plus the unbound pools.
 *
 * <h2>Predicates (B-WQ-26, pool lock held)</h2>
 * <pre>
 *   needMoreWorker     = worklist non-empty &amp;&amp; nrRunning == 0
 *   mayStartWorking    = an idle worker exists
 *   keepWorking        = worklist non-empty &amp;&amp; nrRunning &lt;= 1
 *   needToCreateWorker = needMoreWorker &amp;&amp; !mayStartWorking
 *   tooManyWorkers     = nrIdle &gt; 2 &amp;&amp; (nrIdle - 2) * 4 &gt;= nrBusy      (the manager counts as idle)
 * </pre>
 * nrRunning counts the workers of a bound pool that run an item and are not sleeping, CPU-intensive, or
 * preparing (B-WQ-30). Unbound pools never count, so every pending item wakes or creates a worker (B-WQ-32).
 *
 * <h2>States of a bound pool (B-WQ-44)</h2>
 * <pre>
 *   ASSOCIATED     workers bound to the pool's CPU, counted        -&gt; DISASSOCIATED  its CPU goes offline: workers
 *                                                                                   unbound, nrRunning 0, kicked
 *   DISASSOCIATED  workers unbound, never counted (as an unbound   -&gt; ASSOCIATED     its CPU came back: workers
 *                  pool): every pending item wakes a worker                         rebound, nrRunning recounted
 *   DYING          close: workers exit once the pool needs them no more; nothing is inserted any more
 * </pre>
 */
final class WorkerPool {
    /* Implementation notes
     *
     * One ReentrantLock per pool guards every list move, the idle list, nrRunning and each worker's flags
     * (J-WQ-2). The idle list is LIFO: kick() wakes the most recently idled worker (B-WQ-27); a woken worker
     * removes itself. Each worker waits on its own Condition of the pool lock, so a kick wakes exactly one.
     * flushCond (also of the pool lock) is signalled when an item some flusher waits for finishes or is
     * cancelled, or when a flush colour of a pwq on this pool drains; waiters re-check their own condition.
     *
     * Worker creation (B-WQ-28/33): the first worker is created by the first kick; afterwards a worker that
     * leaves idle as the last idle one becomes the manager and creates a spare with the lock dropped. Creation can
     * be made to fail (Workqueues.failWorkerCreation) for the mayday tests; then the manager sends maydays at
     * MAYDAY_INITIAL_TIMEOUT and every MAYDAY_INTERVAL, and retries every CREATE_COOLDOWN (B-WQ-34).
     *
     * Inbound list. queue() does not take the pool lock: it pushes the claimed item on `inbound`, a Treiber stack
     * linked through Work.inboundNext (CAS; the item's fields, written before, are published by it), and the locked
     * half of the insertion (Workqueue.insertLocked: colour, in-flight count, max_active, kick) is done by whoever
     * next holds the lock: absorbInbound() takes the whole stack with one getAndSet and inserts it oldest first, so
     * the worklist order is the push order (a linearization of the queue() calls, as the lock's order was). The lock
     * absorbs (a) on every first acquisition (PoolLock.lock: so flush, cancel, drain and the watchdog see every
     * completed push), except the worker's re-acquisition at its item's end (PoolLock.acquire), (b) in
     * keepWorking() once the worklist is empty (a running worker takes what came in meanwhile in one batch: one
     * lock per item for the worker, none for the queuer), and (c) whenever nrRunning drops to 0.
     *
     * Who absorbs a pushed item: the pusher that found the stack empty is responsible for everything pushed on top
     * of it until the next getAndSet. After its CAS it reads nrRunning; if 0 it takes the lock itself (which
     * absorbs and kicks, exactly the old locked insertion). If nrRunning > 0, a counted worker exists: it absorbs in
     * keepWorking() once its worklist runs dry, or nrRunning drops to 0 first, and (c) absorbs right after that
     * volatile write. The pusher's CAS-then-read and (c)'s write-then-read are the two sides of a Dekker pair on volatiles:
     * at least one sees the other, so no push is stranded. Unbound pools never count workers, so there every
     * responsible pusher takes the lock (B-WQ-32: each pending item may wake a worker).
     *
     * Close: stopWorkers() swaps in CLOSED under the lock that sets dying, inserting what it swapped out; a push
     * that finds CLOSED fails, and the queuer refuses the item. So an accepted item is on the worklist before the
     * workers drain it, and none is left on a closed list. Pinned by Workqueue_10_InboundNeverStrands (the Dekker pair)
     * and Workqueue_11_InboundClosed (the close).
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.workqueue");
    private static final int STALL_STACK_DEPTH = 24;      // frames of each busy worker printed in a stall report

    final Workqueues wqs;                       // I
    final int id;                               // I: index in wqs.pools
    final int cpu;                              // I: -1 for unbound pools
    final boolean highpri;                      // I
    final PoolLock lock = new PoolLock(this);              // I
    final Condition flushCond = lock.newCondition();       // I
    final Condition managerCond = lock.newCondition();     // I
    final WorkList worklist = new WorkList();              // L(lock)
    final ArrayDeque<Worker> idle = new ArrayDeque<>();    // L(lock): first = most recently idled
    final List<Worker> workers = new ArrayList<>();        // L(lock): every live worker
    volatile int nrRunning;                     // WO(lock): queuers read it after a push (Inbound list)
    private volatile Work inbound;              // A: the inbound list's newest item, null, or CLOSED
    volatile int nrBusy;                        // WO(lock): workers in their work loop; the tick and the sampler
                                                //   read it unlocked (hint: skip idle pools)
    boolean managerActive;                      // L(lock)
    int flushWaiters;                           // L(lock)
    boolean dying;                              // L(lock): close: workers exit when idle
    volatile boolean disassociated;             // WO(lock): unlocked reads are tick hints (the CPU is offline)
    int nextWorkerId;                           // L(lock)
    long watchdogTs;                            // L(lock): last forward progress (System.nanoTime)
    long stallReportedTs;                       // L(lock)
    long stalls;                                // L(lock)
    long creationFailures;                      // L(lock)

    WorkerPool(Workqueues wqs, int id, int cpu, boolean highpri) {
        this.wqs = wqs;
        this.id = id;
        this.cpu = cpu;
        this.highpri = highpri;
        this.watchdogTs = System.nanoTime();
    }

    boolean isBound() {
        return cpu >= 0;
    }

    String name() {
        return isBound() ? "pool " + id + " (cpu " + cpu + (highpri ? " highpri" : "") + ")"
                : "pool " + id + " (unbound" + (highpri ? " highpri" : "") + ")";
    }

    String workerName(int wid) {
        return isBound() ? "kworker/" + cpu + ":" + wid + (highpri ? "H" : "") : "kworker/u" + id + ":" + wid;
    }

    // ------------------------------------------------------------------------------------------ predicates

    boolean needMoreWorker() {
        return !worklist.isEmpty() && nrRunning == 0;
    }

    boolean mayStartWorking() {
        return !idle.isEmpty();
    }

    boolean keepWorking() {
        if (worklist.isEmpty()) {
            absorbInbound();                           // in batches: the worklist first, then what came in
        }
        return !worklist.isEmpty() && nrRunning <= 1;
    }

    boolean needToCreateWorker() {
        return needMoreWorker() && !mayStartWorking();
    }

    boolean tooManyWorkers() {
        int nrIdle = idle.size() + (managerActive ? 1 : 0);
        int busy = workers.size() - nrIdle;
        return nrIdle > 2 && (nrIdle - 2) * 4 >= busy;
    }

    // ------------------------------------------------------------------------------------------ inbound list

    /** The CLOSED mark of a dying pool's inbound list. */
    private static final Work CLOSED = new Work(() -> { });
    private static final VarHandle INBOUND = Handles.field(MethodHandles.lookup(), WorkerPool.class, "inbound",
            Work.class);

    /**
     * The queuer's half of __queue_work: pushes the claimed item for {@code p} on the inbound list, and takes the
     * lock only if no counted worker will absorb it (see Implementation notes).
     *
     * @return false if the pool is dying (the list is CLOSED): the item was not pushed
     */
    boolean push(Work w, Pwq p) {
        w.target = p;
        Work h;
        do {
            h = inbound;
            if (h == CLOSED) {
                w.target = null;
                return false;
            }
            w.inboundNext = h;
        } while (!INBOUND.compareAndSet(this, h, w));
        if (h == null && nrRunning == 0) {
            lock.lock();                               // absorbs, and the insertion kicks a worker
            lock.unlock();
        }
        return true;
    }

    /** Inserts everything pushed so far, oldest first. Lock held. */
    void absorbInbound() {
        Work h = inbound;
        if (h == null || h == CLOSED) {
            return;
        }
        insertInbound((Work) INBOUND.getAndSet(this, null));
    }

    private void insertInbound(Work h) {
        Work rev = null;
        while (h != null) {                            // newest first -> oldest first
            Work n = h.inboundNext;
            h.inboundNext = rev;
            rev = h;
            h = n;
        }
        while (rev != null) {
            Work n = rev.inboundNext;
            rev.inboundNext = null;
            Pwq p = rev.target;
            p.wq.insertLocked(rev, p);
            rev = n;
        }
    }

    /** nrRunning changed (lock held): the write is volatile; when it reached 0, absorb after it (Dekker pair). */
    void setNrRunning(int n) {
        nrRunning = n;
        if (n == 0) {
            absorbInbound();
        }
    }

    /**
     * Racy hint for the blocked-worker sampler: a counted worker runs and items wait behind it (on the worklist or
     * the inbound list), the only case in which finding that worker blocked lets another one start.
     */
    boolean hasWaitingItems() {
        return nrRunning > 0 && (!worklist.isEmpty() || inbound != null);
    }

    // ------------------------------------------------------------------------------------------ transitions

    void addToWorklist(Work w) {
        if (worklist.isEmpty()) {
            watchdogTs = System.nanoTime();
        }
        worklist.addLast(w);
    }

    /** B-WQ-27 kick_pool: wake the most recently idled worker if the pool needs one. */
    void kick() {
        if (!needMoreWorker()) {
            return;
        }
        Worker w = idle.peekFirst();
        if (w != null) {
            w.wake();
        } else if (workers.isEmpty() && !managerActive && !dying && !wqs.isThreadless()) {
            if (createWorker() == null) {
                sendMayday();
            }
        }
    }

    /** Creates a worker, puts it on the idle list and starts it. Lock held. Returns null if creation failed. */
    Worker createWorker() {
        if (wqs.creationFails()) {
            creationFailures++;
            return null;
        }
        Worker w = new Worker(this, workerName(nextWorkerId));
        try {
            w.enterIdle();
            w.woken = true;                    // a new worker starts awake: leaves idle, looks for work
            workers.add(w);
            wqs.started(w);
            w.start();
        } catch (OutOfMemoryError e) {   // unable to create native thread (J-WQ-5)
            idle.remove(w);
            workers.remove(w);
            creationFailures++;
            LOG.log(Level.WARNING, name() + ": worker creation failed: " + e);
            return null;
        }
        nextWorkerId++;
        return w;
    }

    /**
     * B-WQ-28 manager: creates workers while needToCreateWorker holds, the lock dropped only by the creation's
     * waits. Sends maydays while creation keeps failing.
     */
    boolean manage() {
        if (managerActive || dying) {
            return false;
        }
        managerActive = true;
        try {
            long start = System.nanoTime();
            long nextMayday = start + wqs.maydayInitialNanos;
            while (needToCreateWorker()) {
                if (createWorker() != null) {
                    break;
                }
                long now = System.nanoTime();
                if (now - nextMayday >= 0) {
                    sendMayday();
                    nextMayday = now + wqs.maydayIntervalNanos;
                }
                long wait = Math.min(wqs.createCooldownNanos, Math.max(1, nextMayday - now));
                try {
                    managerCond.awaitNanos(wait);
                } catch (InterruptedException e) {
                    // a worker is never interrupted on purpose; keep managing
                }
                if (dying) {
                    break;
                }
            }
        } finally {
            managerActive = false;
        }
        return true;
    }

    /** B-WQ-34: every pwq with items on the worklist whose workqueue has a rescuer asks it for help. */
    void sendMayday() {
        Set<Pwq> pwqs = new LinkedHashSet<>();
        for (Work w = worklist.first(); w != null; w = w.next) {
            Pwq p = w.pwq;
            if (p != null && p.wq.rescuer != null) {
                pwqs.add(p);
            }
        }
        for (Pwq p : pwqs) {
            p.wq.sendMayday(p);
        }
    }

    /** Watchdog (B-WQ-37): the worklist made no progress for {@code threshNanos}; report once per stall. */
    void checkStall(long now, long threshNanos) {
        lock.lock();
        try {
            if (workers.isEmpty() && !worklist.isEmpty() && !dying && !managerActive) {
                kick();            // the first worker could not be created: retry at the watchdog's cadence (B-WQ-33)
            }
            if (worklist.isEmpty() || now - watchdogTs < threshNanos || stallReportedTs == watchdogTs) {
                return;
            }
            stallReportedTs = watchdogTs;
            stalls++;
            StringBuilder sb = new StringBuilder();
            Throwable where = null;
            Worker stuck = null;
            for (Worker w : workers) {
                Work cur = w.currentWork;
                if (cur != null) {
                    sb.append("\n  ").append(w.getName()).append(" runs ").append(cur).append(" (")
                            .append(w.getState()).append(')');
                    StackTraceElement[] stack = w.getStackTrace();
                    for (int i = 0; i < Math.min(stack.length, STALL_STACK_DEPTH); i++) {
                        sb.append("\n      at ").append(stack[i]);
                    }
                    if (where == null) {
                        where = new Throwable(w.getName() + " stack");
                        where.setStackTrace(stack);
                        stuck = w;
                    }
                }
            }
            Tracepoints.workqueueStall(wqs.machineName(), name(), now - watchdogTs, worklist.size(),
                    sb.length() == 0 ? "none" : sb.toString().trim(), stuck,
                    where != null ? where.getStackTrace() : null);
            LOG.log(Level.ERROR, "BUG: workqueue lockup - " + name() + " stuck for "
                    + TimeUnit.NANOSECONDS.toSeconds(now - watchdogTs) + "s, " + worklist.size()
                    + " item(s) pending; busy workers:" + (sb.length() == 0 ? " none" : sb.toString()), where);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The blocked-thread sampler (J-WQ-3 b): a counted worker found BLOCKED / WAITING / TIMED_WAITING in code that
     * did not tell the pool is counted as sleeping until it is seen runnable again or its item ends. Also marks
     * long runners CPU_INTENSIVE (B-WQ-31).
     */
    void sample(long now, long intensiveNanos) {
        if (!isBound()) {
            return;
        }
        lock.lock();
        try {
            for (Worker w : workers) {
                if (w.currentWork == null || w.sleeping) {
                    continue;
                }
                Thread.State s = w.getState();
                boolean blocked = s == Thread.State.BLOCKED || s == Thread.State.WAITING
                        || s == Thread.State.TIMED_WAITING;
                if (blocked && !w.sampledSleeping) {
                    // may over-count: a worker parked on this pool's lock (its sleep hook or an item's epilogue)
                    // also looks WAITING; the cost is a spare wake-up, never a missed one (J-WQ-3 b)
                    w.setSampledSleeping(true);
                    if (needMoreWorker()) {
                        w.currentPwq.wq.stats.cmWakeups.incrementAndGet();   // as Worker.sleeping(): a real wake
                        kick();
                    }
                } else if (!blocked && w.sampledSleeping) {
                    w.setSampledSleeping(false);
                } else if (!blocked && w.counted() && now - w.runStartNanos >= intensiveNanos) {
                    w.setCpuIntensive(true);
                    w.autoIntensive = true;
                    w.currentPwq.wq.stats.cpuHog.incrementAndGet();
                    kick();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * One wait on flushCond, counted in flushWaiters so that completions and cancellations signal it. Lock held;
     * the caller re-checks its own condition in a loop.
     */
    void awaitFlushCond() {
        if (wqs.isTerminated()) {
            // Nothing will ever signal again. Checked under the pool lock, and close sets TERMINATED before it
            // signals every pool's flushCond under that lock: a waiter either sees TERMINATED here or is woken.
            throw wqs.lifecycle.closedException("workqueue wait");
        }
        flushWaiters++;
        try {
            flushCond.awaitUninterruptibly();
        } finally {
            flushWaiters--;
        }
    }

    /**
     * As {@link #awaitFlushCond()}, for at most {@code nanos}; returns the time left (close's bounded drain).
     * Uninterruptible: an interrupt is kept for the caller.
     */
    long awaitFlushCondNanos(long nanos) {
        flushWaiters++;
        boolean interrupted = false;
        try {
            return flushCond.awaitNanos(nanos);
        } catch (InterruptedException e) {
            interrupted = true;
            return nanos;
        } finally {
            flushWaiters--;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Close: every worker exits once the pool needs it no more; the manager stops creating workers. */
    void stopWorkers() {
        lock.lock();
        try {
            Work h = (Work) INBOUND.getAndSet(this, CLOSED);   // pushes from here on fail; the earlier ones insert
            if (h != CLOSED) {
                insertInbound(h);
            }
            dying = true;
            for (Worker w : workers) {
                w.wake();
            }
            managerCond.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * CPU hotplug, the pool's CPU goes offline (B-WQ-44, the kernel's unbind_workers): workers run unbound and are
     * not counted any more, so every pending item gets a worker, as in an unbound pool.
     */
    void unbind() {
        lock.lock();
        try {
            disassociated = true;
            for (Worker w : workers) {
                w.bindTo(null);
            }
            recountRunning();
            kick();
        } finally {
            lock.unlock();
        }
    }

    /** CPU hotplug, the pool's CPU is back: workers bound to it again and counted (rebind_workers). */
    void rebind(io.kdefer.cpu.Cpu cpu) {
        lock.lock();
        try {
            disassociated = false;
            for (Worker w : workers) {
                w.bindTo(cpu);
            }
            recountRunning();
        } finally {
            lock.unlock();
        }
    }

    /** nrRunning from scratch after the counting rule changed for every worker at once. Lock held. */
    private void recountRunning() {
        int n = 0;
        for (Worker w : workers) {
            if (w.counted()) {
                n++;
            }
        }
        setNrRunning(n);
    }

    /**
     * Close, after every worker stopped: items still on the worklist, on a pwq's inactive list or on a worker's
     * scheduled list never ran; take them off and count them ("work", or "delayed work" for a DelayedWork's item).
     * Lock held.
     */
    int takeLeftovers(io.kdefer.internal.Lifecycle lifecycle) {
        int n = 0;
        List<WorkList> lists = new ArrayList<>();
        lists.add(worklist);
        for (Worker w : workers) {
            lists.add(w.scheduled);
        }
        for (Workqueue wq : wqs.all()) {
            for (Pwq p : wq.pwqs) {
                if (p.pool == this) {
                    lists.add(p.inactive);
                }
            }
        }
        for (WorkList l : lists) {
            Work w;
            while ((w = l.removeFirst()) != null) {
                w.pwq = null;
                w.setData(Work.offq(id, Work.disableCount(w.data())));
                lifecycle.leftover(w.owner != null ? "delayed work" : "work", 1, w.owner != null ? w.owner : w);
                n++;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return name();
    }

    /**
     * The pool lock (kernel: a raw spinlock): held for a few list and counter updates only, so a contended
     * acquisition spins briefly before it parks. A plain ReentrantLock parks at once, and a parked waiter wakes
     * only tens of microseconds after the release (DESIGN §6), which a producer queueing a burst into a pool whose
     * worker takes items one by one paid again and again. The spin is bounded (about a microsecond), so on two
     * cores it never holds off the lock owner for long; waits on the pool's conditions re-acquire without
     * spinning.
     */
    static final class PoolLock extends ReentrantLock {
        private static final long serialVersionUID = 1L;
        static final int SPINS = 64;

        private final transient WorkerPool pool;

        PoolLock(WorkerPool pool) {
            this.pool = pool;
        }

        /** Acquires, then (first acquisition only) absorbs the inbound list: the holder sees every completed push. */
        @Override
        public void lock() {
            acquire();
            if (pool.inbound != null && getHoldCount() == 1) {
                pool.absorbInbound();
            }
        }

        /**
         * Acquires without absorbing: only for the worker re-taking the lock at its item's end, which absorbs in
         * keepWorking() once the worklist is empty (the inbound items are newer than all of the worklist's).
         */
        void acquire() {
            if (tryLock()) {
                return;
            }
            for (int i = 0; i < SPINS; i++) {
                Thread.onSpinWait();
                if (!isLocked() && tryLock()) {
                    return;
                }
            }
            super.lock();
        }
    }
}
