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
import org.openjdk.jcstress.infra.results.ZII_Result;

/**
 * MO-WQ-6 (in {@link Work#cancelSync()}'s javadoc, B-WQ-9): when {@code cancelSync()} returns, the item is neither
 * pending nor running, and the stores of a run that started before it are visible; a queue attempt racing it
 * either wins (and is then cancelled, or queues after the cancel) or is refused, never accepted and lost. Two
 * variants, one actor pair each:
 * <ul>
 *   <li>{@link Running}: the worker takes the item (clears PENDING under the pool lock after setting
 *       {@code runner}) while the canceller grabs it. Either the canceller unlinks it while queued (it never runs)
 *       or its {@code getAndBitwiseOr} sees PENDING clear, hence {@code runner} set, and it waits on the pool lock's
 *       condition until the worker's completion.</li>
 *   <li>{@link RacingQueue}: {@code queue()} against {@code cancelSync()} on an idle item. The canceller raises the
 *       disable count while it waits, so a claim in that window gives PENDING back and returns false.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Workqueue_06}.
 */
public class Workqueue_06_CancelSyncWaitsForRun {

    /**
     * <pre>
     *   (w queued on CPU 0's pool before the actors start)
     *   worker: run CPU 0's pool once; [w] r2 = cancelSync had returned; z = 1
     *   canceller: r0 = w.cancelSync(); r1 = z; returned = true
     *   Forbids: r0 == false &amp;&amp; r1 == 0 (returned while the run was running, or without its store);
     *            r0 == true &amp;&amp; r1 == 1 (it was unlinked, yet ran);
     *            r2 == 1 (a run started after cancelSync returned)
     * </pre>
     * <pre>
     *   RESULT      EXPECT      DESCRIPTION
     *   true, 0, 0  Acceptable  cancelled while queued: the function never ran
     *   false, 1, 0 Acceptable  the worker had taken it: cancelSync waited for the run and saw its store
     *   others      Forbidden
     * </pre>
     * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-11-23):
     * false, 1, 0: 1,855,928; true, 0, 0: 731,567; forbidden: 0. With the wait for the running instance removed
     * (mutant): false, 0, 0: 10,684; false, 0, 1: 10,524.
     */
    @JCStressTest
    @Description("MO-WQ-6: cancelSync() returns with the item not running and a started run's stores visible")
    @Outcome(id = "true, 0, 0", expect = ACCEPTABLE, desc = "cancelled while queued: the function never ran")
    @Outcome(id = "false, 1, 0", expect = ACCEPTABLE, desc = "the worker had taken it: cancelSync waited for it")
    @Outcome(expect = FORBIDDEN, desc = "cancelSync returned while running / without its store, or a late start")
    @State
    public static class Running {
        final Workqueues wqs = Workqueues.forProofs(Bare.kernel(1, Cpu.class));
        final Workqueue wq = wqs.system();
        final Worker worker = Worker.detached(wqs.cpuPool(0, false));
        int z;                          // plain on purpose
        volatile boolean returned;
        int late;
        final Work w = new Work(() -> {
            late = returned ? 1 : 0;
            Thread.onSpinWait();
            z = 1;
        });

        public Running() {
            wq.queue(w);
        }

        @Actor
        public void worker(ZII_Result r) {
            worker.runOnce();
            r.r3 = late;
        }

        @Actor
        public void canceller(ZII_Result r) {
            r.r1 = w.cancelSync();
            r.r2 = z;
            returned = true;
        }
    }

    /**
     * <pre>
     *   (w idle)
     *   queuer: r0 = wq.queue(w)             canceller: r1 = w.cancelSync()
     *   arbiter: run CPU 0's pool; r2 = runs; r3 = still pending afterwards
     *   Forbids: r0 == 1 &amp;&amp; r1 == 0 &amp;&amp; r2 == 0 (queue accepted, not cancelled, never ran: lost);
     *            r3 == 1 (wedged: PENDING on no list); r0 == 0 &amp;&amp; r1 == 1 (cancelled a queue nobody made)
     * </pre>
     * <pre>
     *   RESULT      EXPECT                   DESCRIPTION
     *   1, 1, 0, 0  Acceptable               queued first, then cancelled
     *   1, 0, 1, 0  Acceptable               cancelSync finished first; queued afterwards, and it ran
     *   0, 0, 0, 0  Acceptable, interesting  the queue came during cancelSync and was refused
     *   others      Forbidden
     * </pre>
     * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-11-23):
     * 1, 1, 0, 0: 1,590,756; 1, 0, 1, 0: 1,177,139; 0, 0, 0, 0: 724; forbidden: 0.
     */
    @JCStressTest
    @Description("MO-WQ-6: a queue() racing cancelSync() wins or is refused, never accepted and lost")
    @Outcome(id = "1, 1, 0, 0", expect = ACCEPTABLE, desc = "queued first, then cancelled")
    @Outcome(id = "1, 0, 1, 0", expect = ACCEPTABLE, desc = "cancelSync finished first; queued afterwards, ran")
    @Outcome(id = "0, 0, 0, 0", expect = ACCEPTABLE_INTERESTING, desc = "queued during cancelSync: refused")
    @Outcome(expect = FORBIDDEN, desc = "an accepted queue lost, a wedged item, or a phantom cancel")
    @State
    public static class RacingQueue {
        final Workqueues wqs = Workqueues.forProofs(Bare.kernel(1, Cpu.class));
        final Workqueue wq = wqs.system();
        final Worker worker = Worker.detached(wqs.cpuPool(0, false));
        final AtomicInteger runs = new AtomicInteger();
        final Work w = new Work(runs::incrementAndGet);

        @Actor
        public void queuer(IIII_Result r) {
            r.r1 = wq.queue(w) ? 1 : 0;
        }

        @Actor
        public void canceller(IIII_Result r) {
            r.r2 = w.cancelSync() ? 1 : 0;
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            worker.runOnce();
            r.r3 = runs.get();
            r.r4 = w.isPending() ? 1 : 0;
        }
    }
}
