/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.cpu.Cpu;
import io.kdefer.jcstress.Bare;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZII_Result;

/**
 * MO-WQ-1 through the inbound list ({@link WorkerPool}'s "Inbound list" notes): a {@code queue()} that returns
 * {@code true} while the pool's worker is counted (nrRunning 1) takes no lock; the worker absorbs the item when its
 * worklist runs dry, or, once it stops counting, its volatile write of nrRunning 0 is followed by an absorb. The
 * queuer's push CAS then read of nrRunning and the worker's write of nrRunning then read of the list are the two
 * sides of a Dekker pair: an accepted item is absorbed by one of them, and its run sees the queuer's prior stores.
 *
 * <pre>
 *   (proofs' core, 1 CPU; A queued before the actors start, so the worker counts while it runs A)
 *   queuer: x = 1; r1 = wq.queue(w)           worker: run CPU 0's pool once (A, then what it absorbed)
 *   arbiter: r2 = x as read by w's run (-1: not run); r3 = w absorbed (on a pool list), if it has not run
 *   Forbids: r1 &amp;&amp; r2 == 0 (the run missed the store); r1 &amp;&amp; r2 == -1 &amp;&amp; r3 == 0 (accepted, then stranded
 *            on the inbound list with no worker counting: nobody would absorb it)
 * </pre>
 * {@code r1 == false} cannot happen (nobody else claims the item), so it is forbidden too. Covers the absorbing
 * worker, the queuer that absorbs itself (it pushed after the worker stopped counting), and the absorb that follows
 * nrRunning reaching 0. {@code Workqueue_01_QueueReleasesStores} covers an idle pool (the queuer absorbs).
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Workqueue_10}.
 * <pre>
 *   RESULT         EXPECT      DESCRIPTION
 *   true, 1, 0     Acceptable  absorbed by the worker (or before it looked) and run in its batch; saw the store
 *   true, -1, 1    Acceptable  pushed after the worker's last look: absorbed (by the queuer or at nrRunning 0), queued
 *   true, -1, 0    Forbidden   accepted and stranded on the inbound list
 *   true, 0, *     Forbidden   the run missed the store
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * true, 1, 0: 1,648,448; true, -1, 1: 437,408; forbidden: 0.
 */
@JCStressTest
@Description("MO-WQ-1 via the inbound list: an accepted push is absorbed by the counted worker or by the queuer")
@Outcome(id = "true, 1, 0", expect = ACCEPTABLE, desc = "run in the worker's batch; saw the store")
@Outcome(id = "true, -1, 1", expect = ACCEPTABLE, desc = "pushed after the worker's last look: absorbed, queued")
@Outcome(id = "true, -1, 0", expect = FORBIDDEN, desc = "accepted and stranded on the inbound list")
@Outcome(expect = FORBIDDEN, desc = "the run missed the store, or the only claim failed")
@State
public class Workqueue_10_InboundNeverStrands {
    final Workqueues wqs = Workqueues.forProofs(Bare.kernel(1, Cpu.class));
    final Workqueue wq = wqs.system();
    final WorkerPool pool = wqs.cpuPool(0, false);
    final Worker worker = Worker.detached(pool);
    int x;              // plain on purpose
    int seen = -1;      // written by w's function, on the worker actor's thread
    final Work a = new Work(() -> Thread.onSpinWait());
    final Work w = new Work(() -> seen = x);

    {
        wq.queueOn(0, a);
    }

    @Actor
    public void queuer(ZII_Result r) {
        x = 1;
        r.r1 = wq.queueOn(0, w);
    }

    @Actor
    public void worker() {
        worker.runOnce();
    }

    @Arbiter
    public void arbiter(ZII_Result r) {
        r.r2 = seen;
        pool.lock.acquire();               // look without absorbing: what no one absorbed is still inbound
        try {
            r.r3 = seen == -1 && w.target == null && w.pwq != null && w.list == pool.worklist ? 1 : 0;
        } finally {
            pool.lock.unlock();
        }
    }
}
