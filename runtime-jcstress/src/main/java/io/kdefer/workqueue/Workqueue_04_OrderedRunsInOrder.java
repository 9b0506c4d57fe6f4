/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.cpu.Cpu;
import io.kdefer.jcstress.Bare;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * MO-WQ-4, ordered workqueue (in {@link Workqueues#allocOrdered}'s and {@link Workqueue}'s javadoc, B-WQ-17): on
 * an ordered queue, an item B queued after A returned runs after A has returned and sees A's effects, even when
 * two workers of the (unbound) pool are free to take items. B waits on the pwq's inactive list (max_active 1)
 * until A's completion frees the slot ({@code Pwq.itemDone} under the pool lock), and a worker then takes it under
 * the same lock. Unbound workers are never counted, so both actors keep taking items while the worklist is not
 * empty: if B were active too early, the second worker would run it alongside A.
 *
 * <pre>
 *   (proofs' core; oq = allocOrdered; A writes a; B reads a and whether A is still inside)
 *   queuer + worker 1: oq.queue(A); oq.queue(B); run the unbound pool once      worker 2: run the unbound pool once
 *   arbiter: run the unbound pool (what the actors left); r0 = a seen by B; r1 = A was inside when B started;
 *            r2 = B ran in the arbiter
 *   Forbids: r0 == 0 (B missed A's store, or started before A), r1 == 1 (overlap)
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Workqueue_04}.
 * <pre>
 *   RESULT   EXPECT                   DESCRIPTION
 *   1, 0, 0  Acceptable               B ran in an actor, after A, and saw a
 *   1, 0, 1  Acceptable, interesting  both workers looked before B was active; the arbiter ran B, after A
 *   others   Forbidden                B started before A returned, or missed A's store
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-11-23):
 * 1, 0, 0: 2,155,650; forbidden: 0 (B always ran in an actor). With the ordered queue's max_active set to 2 (mutant):
 * 0, 0, 0: 43; 0, 1, 0: 8.
 */
@JCStressTest
@Description("MO-WQ-4: on an ordered queue, B queued after A runs after A returned and sees A's stores")
@Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "B ran in an actor, after A, and saw a")
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE_INTERESTING, desc = "the arbiter ran B, after A, and B saw a")
@Outcome(expect = FORBIDDEN, desc = "B started before A returned, or missed A's store")
@State
public class Workqueue_04_OrderedRunsInOrder {
    final Workqueues wqs = Workqueues.forProofs(Bare.kernel(1, Cpu.class));
    final Workqueue oq = wqs.allocOrdered("ordered", 0);
    final Worker worker1 = Worker.detached(wqs.unboundPool(false));
    final Worker worker2 = Worker.detached(wqs.unboundPool(false));
    int a;                      // plain on purpose
    volatile boolean aInside;
    int bSaw = -1;
    int bOverlap = -1;
    volatile boolean arbiterPhase;
    int bInArbiter = -1;
    final Work wa = new Work(() -> {
        aInside = true;
        Thread.onSpinWait();
        a = 1;
        aInside = false;
    });
    final Work wb = new Work(() -> {
        bOverlap = aInside ? 1 : 0;
        bSaw = a;
        bInArbiter = arbiterPhase ? 1 : 0;
    });

    @Actor
    public void queuer() {
        oq.queue(wa);
        oq.queue(wb);
        worker1.runOnce();
    }

    @Actor
    public void worker() {
        worker2.runOnce();
    }

    @Arbiter
    public void arbiter(III_Result r) {
        arbiterPhase = true;
        worker1.runOnce();
        worker1.runOnce();
        r.r1 = bSaw;
        r.r2 = bOverlap;
        r.r3 = bInArbiter;
    }
}
