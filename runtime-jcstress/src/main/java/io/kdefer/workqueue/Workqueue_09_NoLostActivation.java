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
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * MO-WQ-9 (in {@link Workqueue}'s javadoc, B-WQ-5/19/38): an item that has to wait for a max_active slot is never
 * left waiting once the slot is free. Two sides race: the queuer finds no slot and adds the item to the pwq's
 * inactive list; the worker finishing the active item releases its slot and activates the first waiting item. Both
 * decide under the pool lock, so one of them sees the other: the queuer finds the slot already free, or the
 * releaser finds the item waiting. (The kernel does this per NUMA node with a lock-free counter: a full barrier
 * after the pwq joins the node's waiting list pairs with the decrement's; here one unbound node and the pool lock.)
 *
 * <pre>
 *   (proofs' core; wq unbound, max_active 1; A queued and active before the actors start)
 *   worker: run the unbound pool once (A, then whatever its completion activated); r0 = B ran here
 *   queuer: wq.queue(B)              (no slot: B waits on the inactive list)
 *   arbiter: r1 = B waits while a slot is free (read under the pool lock); run the pool again; r2 = runs of B
 *   Forbids: r1 == 1 (lost activation); r2 != 1 (B never ran, or ran twice)
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Workqueue_09}.
 * <pre>
 *   RESULT   EXPECT      DESCRIPTION
 *   1, 0, 1  Acceptable  B waited for A's slot; A's completion activated it and the worker ran it next
 *   0, 0, 1  Acceptable  B was queued after the worker finished (slot free): it ran in the arbiter
 *   *, 1, *  Forbidden   B waits on the inactive list while the slot is free: nobody will activate it
 *   others   Forbidden   B never ran, or ran twice
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * 1, 0, 1: 2,012,340; 0, 0, 1: 1,067,981; forbidden: 0.
 * Mutants {@code MO-WQ-9-release-no-activate} (1,948,584 forbidden samples) and {@code MO-WQ-9-slot-check-unlocked}
 * (7,614) are caught (runtime-jcstress/mutants, JDK 17, quick).
 */
@JCStressTest
@Description("MO-WQ-9: an item waiting for a max_active slot is activated when the slot is released, never stranded")
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "B waited; A's completion activated it; the worker ran it")
@Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "B queued after the worker finished: ran in the arbiter")
@Outcome(expect = FORBIDDEN, desc = "B stranded on the inactive list with a free slot, or run other than once")
@State
public class Workqueue_09_NoLostActivation {
    final Workqueues wqs = Workqueues.forProofs(Bare.kernel(1, Cpu.class));
    final Workqueue wq = wqs.alloc("limited", WorkqueueFlags.UNBOUND, 1);
    final Worker worker = Worker.detached(wqs.unboundPool(false));
    int bRuns;          // written by B's function (worker actor or arbiter), read afterwards on the same thread
    final Work a = new Work(() -> Thread.onSpinWait());
    final Work b = new Work(() -> bRuns++);

    public Workqueue_09_NoLostActivation() {
        wq.queue(a);
    }

    @Actor
    public void worker(III_Result r) {
        worker.runOnce();
        r.r1 = bRuns;
    }

    @Actor
    public void queuer() {
        if (!wq.queue(b)) {
            throw new AssertionError("queue() of an idle item must succeed");
        }
    }

    @Arbiter
    public void arbiter(III_Result r) {
        Pwq p = wq.pwqs[0];
        p.pool.lock.lock();
        try {
            r.r2 = !p.inactive.isEmpty() && p.nrActive < wq.effectiveMaxActive() ? 1 : 0;
        } finally {
            p.pool.lock.unlock();
        }
        worker.runOnce();
        r.r3 = bRuns;
    }
}
