/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.cpu.Cpu;
import io.kdefer.jcstress.Bare;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * MO-WQ-2, the workqueue's most important ordering claim (in {@link Work}'s javadoc, {@code Work.claim()} and
 * {@code Work.clearPendingForRun}): a {@code queue()} that returns {@code false} because the item is already
 * pending is still followed by a run that sees the caller's prior stores. Store-buffering shape (LKMM
 * {@code SB+fencembonceonces}): the queuer stores x, then {@code getAndBitwiseOr(PENDING)} on the data word; the
 * worker's {@code processOne} clears PENDING with {@code getAndSet} plus a full fence, then the function loads x.
 * Both are volatile read-modify-writes of one word, so one sees the other. A claim written as a compare-and-set
 * that returns on "already pending" (a failed CAS publishes nothing), or a clear without the fence ("ghost
 * PENDING"), makes {@code false, 0} observable: the 2022 and 2016 kernel bugs (spec §13.1, §13.2).
 *
 * <p>Both sides are the production code: {@code wq.queue(w)} (whose claim is {@code Work.claim()}) and the detached
 * worker's {@code runOnce()}, which goes through {@code assignWork} and {@code processOne}, which calls
 * {@code Work.clearPendingForRun}.
 *
 * <pre>
 *   (w is queued on CPU 0's pool before the actors start: PENDING|PWQ)
 *   queuer: x = 1; r0 = wq.queue(w)      worker: run CPU 0's pool once: clear PENDING; fence; w reads r1 = x
 *                                        (r1 is the first run's value; a re-queued second run may follow)
 *   Forbids: r0 == false &amp;&amp; r1 == 0
 * </pre>
 * With {@code r0 == true} the worker had cleared PENDING first and the queuer queued the item again: that later
 * run is the one that must see x (MO-WQ-1), so {@code true, 0} is acceptable.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Workqueue_02}.
 * <pre>
 *   RESULT    EXPECT      DESCRIPTION
 *   false, 1  Acceptable  coalesced: the pending run saw the store
 *   true, 1   Acceptable  PENDING was already clear; queued again, and the first run saw the store anyway
 *   true, 0   Acceptable  the run started first; queue() made the item pending again for a later run
 *   false, 0  Forbidden   coalesced, yet the pending run missed the store (lost event)
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-11-23):
 * false, 1: 2,188,381; true, 0: 174,630; true, 1: 602; forbidden: 0. With {@code Work.claim()} rewritten as a
 * compare-and-exchange loop that returns on "already pending" (a mutant, not committed) the same run observed
 * {@code false, 0} twice and failed (6 times in a second run). A clear written as a release store without the fence
 * (another mutant) passed a quick run here: on x86 the pool-lock release between the clear and the function is a
 * locked instruction, so the hardware orders it anyway; the fence is for the JMM and for weaker hardware.
 */
@JCStressTest
@Description("MO-WQ-2: queue() == false (already pending) still publishes prior stores to the pending run")
@Outcome(id = "false, 1", expect = ACCEPTABLE, desc = "coalesced: the pending run saw the store")
@Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "PENDING already clear; queued again; the run saw the store")
@Outcome(id = "true, 0", expect = ACCEPTABLE, desc = "the run started first; queue() made the item pending again")
@Outcome(id = "false, 0", expect = FORBIDDEN, desc = "coalesced, yet the pending run missed the store (lost event)")
@State
public class Workqueue_02_LostRaceStillVisible {
    final Workqueues wqs = Workqueues.forProofs(Bare.kernel(1, Cpu.class));
    final Workqueue wq = wqs.system();
    final Worker worker = Worker.detached(wqs.cpuPool(0, false));
    int x;              // plain on purpose
    int first = -1;     // the first run's read of x (runs happen on the worker actor's thread only)
    final Work w = new Work(() -> {
        int v = x;
        if (first == -1) {
            first = v;
        }
    });

    public Workqueue_02_LostRaceStillVisible() {
        wq.queue(w);
    }

    @Actor
    public void queuer(ZI_Result r) {
        x = 1;
        r.r1 = wq.queue(w);
    }

    @Actor
    public void worker(ZI_Result r) {
        worker.runOnce();
        r.r2 = first;
    }
}
