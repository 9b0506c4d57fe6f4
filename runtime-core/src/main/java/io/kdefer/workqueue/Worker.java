/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.cpu.internal.SleepAwareThread;
import io.kdefer.internal.Latency;
import io.kdefer.internal.Tracepoints;

import java.util.concurrent.locks.Condition;

/**
 * A worker thread of a pool ({@code kworker/N:M}, {@code kworker/N:MH}, {@code kworker/uP:M}) or a workqueue's
 * rescuer ({@code kworker/R-name}) (kernel: struct worker).
 *
 * <h2>States (B-WQ-28)</h2>
 * <pre>
 *   IDLE      on pool.idle, prep           -&gt; PREP      woken by kick() (or created): leaves idle
 *   PREP      not counted                  -&gt; IDLE      !needMoreWorker
 *                                          -&gt; MANAGER   last idle one left and no manager: create a spare
 *                                          -&gt; RUNNING   counted in nrRunning (bound pools)
 *   RUNNING   runs items while keepWorking -&gt; SLEEPING  blocks in a runtime primitive / managedBlock / sampled
 *                                          -&gt; PREP      keepWorking false
 *   SLEEPING  not counted; kick()ed pool   -&gt; RUNNING   the block ended
 *   DEAD      left pool.workers            (culled after the idle timeout, or the machine closed)
 * </pre>
 */
final class Worker extends SleepAwareThread {
    final Workqueues wqs;                       // I
    final boolean rescuer;                      // I
    final Workqueue rescuerOf;                  // I: for rescuers
    volatile WorkerPool pool;                   // O(this thread) for rescuers (attach); I for pool workers
    private final Condition wakeCond;           // I: of pool.lock (pool workers only)
    final WorkList scheduled = new WorkList();  // L(pool.lock)
    Work currentWork;                           // L(pool.lock); describeWork() reads it racily (a snapshot)
    Pwq currentPwq;                             // L(pool.lock)
    boolean woken;                              // L(pool.lock)
    boolean prep = true;                        // L(pool.lock)
    boolean cpuIntensive;                       // L(pool.lock)
    boolean autoIntensive;                      // L(pool.lock)
    boolean sleeping;                           // L(pool.lock)
    boolean sampledSleeping;                    // L(pool.lock)
    long runStartNanos;                         // L(pool.lock)
    private boolean busyCounted;                // O(this thread): counted in pool.nrBusy while in its work loop
    private long chainNanos;                    // O(this thread): the previous item's end, while items run back to
                                                //   back under one lock hold (its start stamp); 0 otherwise
    long idleSinceNanos;                        // L(pool.lock)
    private int sleepDepth;                     // O(this thread)
    private long sleepStartNanos;               // O(this thread): start of the outermost recorded sleep
    private long sleptNanos;                    // O(this thread): recorded sleep within the current item

    /** A pool worker; rescuers come from {@link #rescuer(Workqueue)}. */
    Worker(WorkerPool pool, String name) {
        this(pool.wqs, pool, name, null);
    }

    private Worker(Workqueues wqs, WorkerPool pool, String name, Workqueue rescuerOf) {
        super(wqs.threadOwner(), null, name);
        this.wqs = wqs;
        this.pool = pool;
        this.rescuer = rescuerOf != null;
        this.rescuerOf = rescuerOf;
        this.wakeCond = pool != null ? pool.lock.newCondition() : null;
        if (pool != null && pool.highpri || rescuerOf != null) {
            setPriority(Thread.MAX_PRIORITY);                 // nice -20 (a hint on most JVMs)
        }
    }

    static Worker rescuer(Workqueue wq) {
        return new Worker(wq.wqs, null, "kworker/R-" + wq.name(), wq);
    }

    /** The worker the calling thread is, or null. */
    static Worker current() {
        Thread t = Thread.currentThread();
        return t instanceof Worker ? (Worker) t : null;
    }

    // ------------------------------------------------------------------------------------------ accounting

    /** Counted in pool.nrRunning (B-WQ-30). Lock held. */
    boolean counted() {
        WorkerPool p = pool;
        return p != null && p.isBound() && !p.disassociated && !rescuer && !prep && !cpuIntensive && !sleeping
                && !sampledSleeping;
    }

    private void adjust(boolean before) {
        boolean after = counted();
        if (before != after) {
            WorkerPool p = pool;
            p.setNrRunning(p.nrRunning + (after ? 1 : -1));
        }
    }

    void setPrep(boolean v) {
        boolean b = counted();
        prep = v;
        adjust(b);
    }

    void setCpuIntensive(boolean v) {
        boolean b = counted();
        cpuIntensive = v;
        adjust(b);
    }

    void setSleeping(boolean v) {
        boolean b = counted();
        sleeping = v;
        adjust(b);
    }

    void setSampledSleeping(boolean v) {
        boolean b = counted();
        sampledSleeping = v;
        adjust(b);
    }

    /** wq_worker_sleeping: the item this worker runs blocks. */
    @Override
    protected void sleeping() {
        if (currentWork == null || sleepDepth++ > 0) {
            return;
        }
        sleepStartNanos = System.nanoTime();
        WorkerPool p = pool;
        p.lock.lock();
        try {
            setSleeping(true);
            if (p.needMoreWorker()) {
                if (currentPwq != null) {
                    currentPwq.wq.stats.cmWakeups.incrementAndGet();
                }
                p.kick();
            }
        } finally {
            p.lock.unlock();
        }
    }

    /** wq_worker_running: the block ended. */
    @Override
    protected void running() {
        if (currentWork == null || --sleepDepth > 0) {
            return;
        }
        long now = System.nanoTime();
        sleptNanos += now - sleepStartNanos;
        WorkerPool p = pool;
        p.lock.lock();
        try {
            setSleeping(false);
            runStartNanos = now;
        } finally {
            p.lock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------ idle

    void enterIdle() {
        idleSinceNanos = System.nanoTime();
        pool.idle.addFirst(this);
    }

    private void leaveIdle() {
        pool.idle.remove(this);
    }

    @Override
    public String describeWork() {
        Work w = currentWork;
        return w != null ? "running " + w : rescuer ? "waiting for a mayday" : "idle";
    }

    /** kick(): wake this idle worker. Lock held. */
    void wake() {
        woken = true;
        if (wakeCond != null) {
            wakeCond.signal();
        }
    }

    // ------------------------------------------------------------------------------------------ loop

    @Override
    public void run() {
        enterHost();
        if (rescuer) {
            rescuerLoop();
            return;
        }
        WorkerPool p = pool;
        p.lock.lock();
        try {
            bindTo(wqs.bindingOf(p));                                    // under the lock: hotplug rebinds under it
            while (true) {
                // IDLE (on p.idle)
                while (!woken && !p.dying) {
                    long left;
                    try {
                        left = wakeCond.awaitNanos(wqs.idleTimeoutNanos);
                    } catch (InterruptedException e) {
                        wqs.faults.interruptCleared(this, "idle");   // the runtime's threads ignore interrupts
                        continue;
                    }
                    if (left <= 0 && !woken && p.tooManyWorkers() && p.idle.peekLast() == this
                            && System.nanoTime() - idleSinceNanos >= wqs.idleTimeoutNanos) {
                        leaveIdle();                                     // B-WQ-36: cull the oldest idle worker
                        p.workers.remove(this);
                        return;
                    }
                }
                woken = false;
                leaveIdle();
                if (p.dying && !p.needMoreWorker()) {
                    // Close: this worker is not needed (nothing queued, or a running worker keeps working through
                    // it). A dying pool never parks its idle workers, so they must leave here rather than loop.
                    p.workers.remove(this);
                    return;
                }
                while (p.needMoreWorker()) {
                    if (!p.mayStartWorking() && p.manage()) {
                        continue;                                        // re-check after managing
                    }
                    workBatch();
                    break;
                }
                enterIdle();
            }
        } finally {
            p.lock.unlock();
        }
    }

    /**
     * B-WQ-28, the working part of one wake-up: counted (leaves PREP), takes the first worklist item while
     * keepWorking holds, back to PREP. Lock held; the worklist is not empty on entry.
     */
    private void workBatch() {
        WorkerPool p = pool;
        setPrep(false);
        do {
            takeAndProcess(p.worklist.first());
        } while (p.keepWorking());
        leaveBusy();
        setPrep(true);
    }

    /** Out of the work loop (lock held): no longer counted in nrBusy, and the next item reads the clock anew. */
    private void leaveBusy() {
        chainNanos = 0;
        if (busyCounted) {
            busyCounted = false;
            pool.nrBusy--;
        }
    }

    // ------------------------------------------------------------------------------------------ the proofs' core

    /**
     * The proofs' core only ({@link Workqueues#forProofs}): a worker of {@code pool} whose thread
     * is never started; the test's actor thread plays it with {@link #runOnce()}.
     */
    static Worker detached(WorkerPool pool) {
        if (!pool.wqs.isThreadless()) {
            throw new IllegalStateException("detached workers exist only on the proofs' core (Workqueues.forProofs)");
        }
        pool.lock.lock();
        try {
            return new Worker(pool, pool.workerName(pool.nextWorkerId++));
        } finally {
            pool.lock.unlock();
        }
    }

    /**
     * Detached cores only: the calling thread acts as this worker for one wake-up — the same {@code workBatch},
     * {@code assignWork} and {@code processOne} (PENDING clear, function, completion) a worker thread runs.
     *
     * @return {@code false} if the pool's worklist was empty (nothing done)
     */
    boolean runOnce() {
        WorkerPool p = pool;
        p.lock.lock();
        try {
            if (p.worklist.isEmpty()) {
                return false;
            }
            workBatch();
            return true;
        } finally {
            p.lock.unlock();
        }
    }

    /**
     * B-WQ-28 assign_work: moves {@code w} to this worker's scheduled list, unless another worker of this pool
     * runs it right now (collision): then to that worker's list, which it processes before going idle (B-WQ-4).
     *
     * @return whether this worker got it
     */
    boolean assignWork(Work w) {
        WorkerPool p = pool;
        w.list.remove(w);
        Worker r = w.runner;
        if (r != null && r != this && r.pool == p) {
            r.scheduled.addLast(w);
            return false;
        }
        scheduled.addLast(w);
        return true;
    }

    /**
     * As {@link #assignWork} then {@link #processScheduled}, the common case without the detour: an item no other
     * worker of the pool runs goes from the worklist straight to processOne (no barrier items ride along here).
     */
    private void takeAndProcess(Work w) {
        Worker r = w.runner;
        if ((r == null || r == this || r.pool != pool) && scheduled.isEmpty()) {
            w.list.remove(w);
            processOne(w);
            processScheduled();     // collisions other workers handed over meanwhile
        } else if (assignWork(w)) {
            processScheduled();
        }
    }

    void processScheduled() {
        Work w;
        while ((w = scheduled.removeFirst()) != null) {
            processOne(w);
        }
    }

    /** B-WQ-29 process_one_work, for an item already off every list. Lock held on entry and exit; dropped around the
     *  function. */
    private void processOne(Work w) {
        WorkerPool p = pool;
        Pwq pwq = w.pwq;
        int color = Work.color(w.data());
        currentWork = w;
        currentPwq = pwq;
        if (!busyCounted) {                            // once per work loop, not per item
            busyCounted = true;
            if (p.nrBusy++ == 0) {
                wqs.itemStarted(p);                    // the sampler needs the CPU's tick (NOHZ)
            }
        }
        Work.RUNNER.setRelease(w, this);               // before the PENDING clear (a full fence) publishes it
        long seq = w.seqQueued;
        Workqueue wq = pwq.wq;
        if ((wq.flags & WorkqueueFlags.CPU_INTENSIVE) != 0) {
            setCpuIntensive(true);
        }
        p.kick();                                      // chains execution for uncounted workers
        long t0 = chainNanos;                          // back to back: the previous item's end is this one's start
        if (t0 == 0) {
            t0 = System.nanoTime();
        }
        p.watchdogTs = t0;
        long queuedAt = w.queuedAt;                    // under the lock, before PENDING is given up
        Work.PWQ_FIELD.setRelease(w, (Pwq) null);      // idem
        w.clearPendingForRun(p.id);                    // last update to the item, then a full fence (MO-WQ-2)
        sleepDepth = 0;
        sleptNanos = 0;
        runStartNanos = t0;
        p.lock.unlock();
        Object ev = Tracepoints.workExecuteBegin(queuedAt);   // workqueue_execute_start
        try {
            w.fn.run();
        } catch (Throwable t) {
            wq.stats.failures.incrementAndGet();
            w.reportFailure(wq, t);
        } finally {
            wqs.faults.afterCallback(w, this);         // an interrupt aimed at this item does not leak to the next
            long end = System.nanoTime();
            long ran = Math.max(0, end - t0 - sleptNanos);
            if (ev != null) {                          // workqueue_execute_end
                Tracepoints.workExecuteEnd(ev, wqs.machineName(), wq.name(), p.name(), getName(), sleptNanos,
                        rescuer, w.fn);
            }
            p.lock.acquire();                          // absorbs later, in keepWorking (batches)
            // the pool lock serializes the row's writers (every worker of p; the unbound pools have a row each)
            wqs.latency.record(p.cpu, p.highpri ? Latency.WORK_HIGHPRI : Latency.WORK,
                    queuedAt != 0 ? t0 - queuedAt : -1, end - t0);
            pwq.executed++;                            // per pwq under the pool lock: no shared atomic per item
            pwq.runNanos += ran;
            if (rescuer) {
                wq.stats.rescued.incrementAndGet();
            }
            if (cpuIntensive || sampledSleeping || sleeping) {
                setCpuIntensive(false);
                setSampledSleeping(false);
                setSleeping(false);
            }
            autoIntensive = false;
            currentWork = null;
            currentPwq = null;
            chainNanos = end;
            Work.RUNNER.setRelease(w, (Worker) null);  // under the lock every waiter re-checks it under
            if (w.seqDone < seq) {
                Work.SEQ_DONE.setRelease(w, seq);      // idem
            }
            if (w.flushWaiters > 0) {
                p.flushCond.signalAll();
            }
            pwq.itemDone(color, true);
        }
    }

    // ------------------------------------------------------------------------------------------ rescuer

    /** B-WQ-35: serve mayday requests until the workqueue is destroyed or the machine closes. */
    private void rescuerLoop() {
        Workqueue wq = rescuerOf;
        while (true) {
            Pwq pwq = wq.takeMayday();
            if (pwq == null) {
                return;
            }
            wqs.faults.beforeIdle(this);                // an interrupt while it waited: cleared, not carried into items
            WorkerPool p = pwq.pool;
            Object ev = Tracepoints.rescuerBegin();             // rescuer_thread's one mayday
            int rescued = 0;
            p.lock.lock();
            try {
                pool = p;                                       // attach
                while (true) {
                    int n = 0;
                    Work w = p.worklist.first();
                    while (w != null && n < Workqueues.RESCUER_BATCH) {
                        Work next = w.next;
                        if (w.pwq == pwq) {
                            assignWork(w);
                            n++;
                        }
                        w = next;
                    }
                    if (n == 0) {
                        break;
                    }
                    rescued += n;
                    processScheduled();
                    leaveBusy();
                    if (!p.needToCreateWorker() && !p.managerActive) {
                        break;
                    }
                }
                boolean left = false;
                for (Work w = p.worklist.first(); w != null; w = w.next) {
                    if (w.pwq == pwq) {
                        left = true;
                        break;
                    }
                }
                if (left && p.needToCreateWorker()) {
                    wq.sendMayday(pwq);
                }
                p.kick();
            } finally {
                pool = null;                                    // detach
                p.lock.unlock();
                Tracepoints.rescuerEnd(ev, wqs.machineName(), wq.name(), p.name(), rescued);
            }
        }
    }
}
