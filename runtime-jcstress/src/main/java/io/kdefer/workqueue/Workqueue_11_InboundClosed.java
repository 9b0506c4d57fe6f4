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
 * A push racing the pool's close ({@link WorkerPool#stopWorkers()}, which swaps CLOSED into the inbound list under
 * the lock that sets dying and inserts what it swapped out): an accepted item is on the worklist before the workers
 * drain it; a refused one is back to idle, never half inserted. No MO- claim: the close protocol (DESIGN §5,
 * {@code WorkerPool}'s "Inbound list" notes).
 *
 * <pre>
 *   (proofs' core, 1 CPU, the pool idle)
 *   queuer: r1 = wq.queueOn(0, w)            closer: pool.stopWorkers()
 *   arbiter: r2 = w on the pool's worklist; r3 = w still pending
 *   Forbids: r1 &amp;&amp; !r2 (accepted, not on the worklist: stranded or lost); !r1 &amp;&amp; (r2 || r3) (refused yet queued)
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Workqueue_11}.
 * <pre>
 *   RESULT        EXPECT      DESCRIPTION
 *   true, 1, 1    Acceptable  pushed before CLOSED (absorbed by the queuer or by the close): on the worklist
 *   false, 0, 0   Acceptable  the push found CLOSED: refused, idle again
 *   true, 0, *    Forbidden   accepted and not on the worklist
 *   false, 1, *   Forbidden   refused yet queued
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * true, 1, 1: 239,675; false, 0, 0: 95,488; forbidden: 0.
 */
@JCStressTest
@Description("queue() racing the pool's close: accepted items reach the worklist, refused ones stay idle")
@Outcome(id = "true, 1, 1", expect = ACCEPTABLE, desc = "pushed before CLOSED: on the worklist")
@Outcome(id = "false, 0, 0", expect = ACCEPTABLE, desc = "found CLOSED: refused, idle again")
@Outcome(expect = FORBIDDEN, desc = "accepted and not on the worklist, or refused yet queued")
@State
public class Workqueue_11_InboundClosed {
    final Workqueues wqs = Workqueues.forProofs(Bare.kernel(1, Cpu.class));
    final Workqueue wq = wqs.system();
    final WorkerPool pool = wqs.cpuPool(0, false);
    final Work w = new Work(() -> { });

    @Actor
    public void queuer(ZII_Result r) {
        r.r1 = wq.queueOn(0, w);
    }

    @Actor
    public void closer() {
        pool.stopWorkers();
    }

    @Arbiter
    public void arbiter(ZII_Result r) {
        pool.lock.acquire();
        try {
            r.r2 = w.list == pool.worklist ? 1 : 0;
        } finally {
            pool.lock.unlock();
        }
        r.r3 = w.isPending() ? 1 : 0;
    }
}
