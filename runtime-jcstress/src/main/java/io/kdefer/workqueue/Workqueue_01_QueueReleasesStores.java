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
 * MO-WQ-1 (in {@link Work}'s and {@link Workqueue#queue(Work)}'s javadoc): a {@code queue()} that returns
 * {@code true} publishes the caller's prior stores to the run it requested. Message passing: the claim
 * ({@code getAndBitwiseOr(PENDING)}) and the push on the pool's inbound list (a CAS) are the release; the
 * absorption ({@code getAndSet} of the list, here by the queuer itself under the pool lock: the pool is idle, no
 * worker counts), the worker's {@code processOne} under the same lock, then the PENDING clear, are the acquire.
 * {@code Workqueue_10_InboundNeverStrands} covers the push a counted worker absorbs.
 *
 * <pre>
 *   (w idle; proofs' core, 1 CPU; the worker is the real assign/process path played on the actor thread)
 *   queuer: x = 1; r0 = wq.queue(w)          worker: run CPU 0's pool once; r1 = x as read by w (-1: not run)
 *   Forbids: r0 == true &amp;&amp; r1 == 0
 * </pre>
 * {@code r0 == false} cannot happen (nobody else claims the item), so it is forbidden too.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Workqueue_01}.
 * <pre>
 *   RESULT    EXPECT      DESCRIPTION
 *   true, 1   Acceptable  the worker found the item and its run saw the store
 *   true, -1  Acceptable  the worker looked before the item was queued (it stays queued)
 *   true, 0   Forbidden   the run missed the store queue() released
 *   false, *  Forbidden   an idle item's only claim failed
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-11-23):
 * true, 1: 1,763,885; true, -1: 988,711; forbidden: 0.
 */
@JCStressTest
@Description("MO-WQ-1: queue() == true publishes the caller's prior stores to the run")
@Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "the worker found the item and its run saw the store")
@Outcome(id = "true, -1", expect = ACCEPTABLE, desc = "the worker looked before the item was queued")
@Outcome(expect = FORBIDDEN, desc = "the run missed the store, or the only claim failed")
@State
public class Workqueue_01_QueueReleasesStores {
    final Workqueues wqs = Workqueues.forProofs(Bare.kernel(1, Cpu.class));
    final Workqueue wq = wqs.system();
    final Worker worker = Worker.detached(wqs.cpuPool(0, false));
    int x;              // plain on purpose
    int seen = -1;      // written by the function, on the worker actor's thread
    final Work w = new Work(() -> seen = x);

    @Actor
    public void queuer(ZI_Result r) {
        x = 1;
        r.r1 = wq.queue(w);
    }

    @Actor
    public void worker(ZI_Result r) {
        worker.runOnce();
        r.r2 = seen;
    }
}
