/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.cpu.Cpu;
import io.kdefer.jcstress.Bare;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * MO-WQ-3, non-reentrancy (in {@link Work}'s javadoc, B-WQ-3/4): successive runs of one item never overlap, also
 * when it is queued on a second CPU while it runs on the first, and each run happens-before the next. The function
 * does a plain read-increment-write of a counter plus an atomic run count, and flags an entry that finds another
 * run still inside (a volatile "running" flag). Queueing to CPU 1 while CPU 0's worker runs the item is redirected
 * to CPU 0's pool ({@code insertClaimed}), and a worker that takes an item another worker of its pool runs hands
 * it over ({@code assignWork}); without those, CPU 1's worker would run it concurrently.
 *
 * <pre>
 *   (proofs' core, 2 CPUs; w is queued on CPU 0's pool before the actors start)
 *   CPU 0's worker: run pool 0 once        queuer + CPU 1's worker: r0 = wq.queueOn(1, w); run pool 1 once
 *   arbiter: run pool 0 and pool 1 again (a redirected or re-queued run happens now);
 *            r1 = runs; r2 = counter; r3 = entries that found a run inside
 *   Forbids: r2 != r1 (lost update), r3 != 0 (overlap), r1 != 1 + r0 (a lost or duplicated run)
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Workqueue_03}.
 * <pre>
 *   RESULT      EXPECT                   DESCRIPTION
 *   0, 1, 1, 0  Acceptable               the second queue coalesced with the pending run: one run
 *   1, 2, 2, 0  Acceptable, interesting  queued again after PENDING was cleared: two runs, one after the other
 *   others      Forbidden                overlapping runs, a lost update, or a lost / extra run
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-11-23):
 * 0, 1, 1, 0: 684,974; 1, 2, 2, 0: 701,071; forbidden: 0. With the redirect in {@code insertClaimed} removed (mutant),
 * overlapping runs were observed (1, 2, 1, 1: 14; 1, 2, 2, 1: 4).
 */
@JCStressTest
@Description("MO-WQ-3: runs of one item never overlap, also when queued on another CPU while running")
@Outcome(id = "0, 1, 1, 0", expect = ACCEPTABLE, desc = "the second queue coalesced with the pending run")
@Outcome(id = "1, 2, 2, 0", expect = ACCEPTABLE_INTERESTING, desc = "queued again: two runs, one after the other")
@Outcome(expect = FORBIDDEN, desc = "overlapping runs, a lost update, or a lost / extra run")
@State
public class Workqueue_03_NoOverlappingRuns {
    final Workqueues wqs = Workqueues.forProofs(Bare.kernel(2, Cpu.class));
    final Workqueue wq = wqs.system();
    final Worker worker0 = Worker.detached(wqs.cpuPool(0, false));
    final Worker worker1 = Worker.detached(wqs.cpuPool(1, false));
    int counter;                                    // plain on purpose
    volatile boolean inside;
    final AtomicInteger runs = new AtomicInteger();
    final AtomicInteger overlaps = new AtomicInteger();
    final Work w = new Work(() -> {
        if (inside) {
            overlaps.incrementAndGet();
        }
        inside = true;
        int c = counter;
        runs.incrementAndGet();
        Thread.onSpinWait();                        // widen the window a little
        counter = c + 1;
        inside = false;
    });

    public Workqueue_03_NoOverlappingRuns() {
        wq.queueOn(0, w);
    }

    @Actor
    public void cpu0() {
        worker0.runOnce();
    }

    @Actor
    public void cpu1(IIII_Result r) {
        r.r1 = wq.queueOn(1, w) ? 1 : 0;
        worker1.runOnce();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        worker0.runOnce();
        worker1.runOnce();
        r.r2 = runs.get();
        r.r3 = counter;
        r.r4 = overlaps.get();
    }
}
