/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.internal.Tracepoints;

/**
 * The link between one workqueue and one pool (kernel: pool_workqueue): max_active accounting, the inactive list
 * and the flush-colour counters. Every field is guarded by {@code pool.lock}.
 */
final class Pwq {
    static final int NR_COLORS = 16;   // WORK_NR_COLORS

    final Workqueue wq;                 // I
    final WorkerPool pool;              // I
    final WorkList inactive = new WorkList();          // L(pool.lock): B-WQ-5, FIFO
    final int[] nrInFlight = new int[NR_COLORS];       // L(pool.lock): queued or running, per colour
    int nrActive;                       // L(pool.lock): on the worklist or running (not inactive)
    int workColor;                      // L(pool.lock): colour given to newly queued items
    boolean onMayday;                   // L(wq.maydayLock)
    long executed;                      // L(pool.lock): items run to completion (wq_monitor total)
    long runNanos;                      // L(pool.lock): their run time minus recorded sleeps (CPUtime)

    Pwq(Workqueue wq, WorkerPool pool) {
        this.wq = wq;
        this.pool = pool;
    }

    /** B-WQ-5: an active slot, if the wq's (effective) max_active allows one. */
    boolean tryGetActive() {
        if (nrActive < wq.effectiveMaxActive()) {
            nrActive++;
            return true;
        }
        return false;
    }

    /** B-WQ-38: activate inactive items while slots are free. Caller holds pool.lock. */
    void activateInactive() {
        while (!inactive.isEmpty() && tryGetActive()) {
            Work w = inactive.removeFirst();
            w.markActive();
            pool.addToWorklist(w);
            if (Tracepoints.on(Tracepoints.WORK_ACTIVATE)) {        // workqueue_activate_work
                Tracepoints.workActivate(pool.wqs.machineName(), wq.name(), pool.name(), true, w.fn);
            }
        }
    }

    /** An item left this pwq (completed, or cancelled while queued). Caller holds pool.lock. */
    void itemDone(int color, boolean wasActive) {
        nrInFlight[color]--;
        if (wasActive) {
            nrActive--;
            activateInactive();
        }
        // Waiters re-check their own condition: a flush waits for a colour to drain, freeze (waitNoActive) for
        // nrActive to reach 0 while inactive items of the same colour stay, so signal on either.
        if (pool.flushWaiters > 0 && (nrInFlight[color] == 0 || wasActive && nrActive == 0)) {
            pool.flushCond.signalAll();
        }
    }

    int inFlight() {
        int n = 0;
        for (int c : nrInFlight) {
            n += c;
        }
        return n;
    }

    boolean isIdle() {
        return nrActive == 0 && inactive.isEmpty();
    }

    @Override
    public String toString() {
        return "pwq[" + wq.name() + " on " + pool.name() + "]";
    }
}
