/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.cpu.Cpu;
import io.kdefer.jcstress.Bare;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * MO-WQ-8 (in {@link DelayedWork}'s javadoc, B-WQ-6): {@code x = 1; wq.queueDelayed(dw, d)}, and the function that
 * runs when the timer fires reads 1: the timer path publishes like MO-WQ-1. The claim is the same
 * {@code getAndBitwiseOr(PENDING)}; the caller then writes the target queue and CPU (volatile) and arms the timer;
 * the timer callback ({@code timerFn}, run by whoever fires it) owns PENDING and inserts the item under the pool
 * lock. On a proofs' core the timer is a stand-in that fires when the test calls {@code DelayedWork.fireTimer()}
 * (its arm and fire are {@code getAndSet}s of one flag); the machine's timer hand-off itself is proven by
 * {@code TimerList_01_ArmPublishes}. Two variants:
 * <ul>
 *   <li>{@link ArmPublishes}: arming vs the timer firing and a worker running the result.</li>
 *   <li>{@link ModVsFire}: {@code modDelayed} (last wins) against the timer firing: the item is never lost,
 *       duplicated or wedged, whichever wins. A fired timer that has not finished queueing makes the
 *       modifier's grab busy-retry (B-WQ-8) until the item is on the worklist, then it is unlinked and re-armed.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Workqueue_08}.
 */
public class Workqueue_08_DelayedTimerPublishes {

    /**
     * <pre>
     *   (dw idle; proofs' core, 1 CPU)
     *   queuer: x = 1; r0 = wq.queueDelayed(dw, 1 ms)     timer + worker: dw.fireTimer(); run CPU 0's pool once;
     *                                                    r1 = x as read by the function (-1: not run)
     *   Forbids: r1 == 0; r0 == false (the only claim of an idle item)
     * </pre>
     * <pre>
     *   RESULT    EXPECT      DESCRIPTION
     *   true, 1   Acceptable  the timer fired after arming; the run saw the store
     *   true, -1  Acceptable  the timer side looked before the arming (the timer stays armed)
     *   others    Forbidden
     * </pre>
     * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
     * true, 1: 1,267,573; true, -1: 522,132; forbidden: 0.
     */
    @JCStressTest
    @Description("MO-WQ-8: queueDelayed publishes the caller's prior stores to the run the timer queues")
    @Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "the timer fired after arming; the run saw the store")
    @Outcome(id = "true, -1", expect = ACCEPTABLE, desc = "the timer side looked before the arming")
    @Outcome(expect = FORBIDDEN, desc = "the run missed the store, or the only claim failed")
    @State
    public static class ArmPublishes {
        final Workqueues wqs = Workqueues.forProofs(Bare.kernel(1, Cpu.class));
        final Workqueue wq = wqs.system();
        final Worker worker = Worker.detached(wqs.cpuPool(0, false));
        int x;              // plain on purpose
        int seen = -1;
        final DelayedWork dw = new DelayedWork(() -> seen = x);

        @Actor
        public void queuer(ZI_Result r) {
            x = 1;
            r.r1 = wq.queueDelayed(dw, Duration.ofMillis(1));
        }

        @Actor
        public void timer(ZI_Result r) {
            dw.fireTimer();
            worker.runOnce();
            r.r2 = seen;
        }
    }

    /**
     * <pre>
     *   (dw armed by queueDelayed before the actors start)
     *   modifier: r0 = wq.modDelayed(dw, 1 ms)          timer: r1 = dw.fireTimer()
     *   arbiter: fire the timer if armed; run CPU 0's pool; r2 = runs; r3 = still pending afterwards
     *   Forbids: r0 == 0 (it was pending all along); r2 != 1 (lost or duplicated; -1: the worklist was corrupted,
     *            the item inserted twice); r3 == 1 (wedged)
     * </pre>
     * <pre>
     *   RESULT      EXPECT                   DESCRIPTION
     *   1, 1, 1, 0  Acceptable               the timer fired (before the mod, or the re-armed one); one run
     *   1, 0, 1, 0  Acceptable, interesting  the timer side found no armed timer (mid-mod); the arbiter fired it
     *   others      Forbidden
     * </pre>
     * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03, after the
     * arbiter learned to report a corrupted worklist): 1, 1, 1, 0: 2,199,007; 1, 0, 1, 0: 1,992; forbidden: 0.
     */
    @JCStressTest
    @Description("MO-WQ-8: modDelayed racing the timer firing never loses, duplicates or wedges the item")
    @Outcome(id = "1, 1, 1, 0", expect = ACCEPTABLE, desc = "the timer fired (before the mod, or the re-armed one)")
    @Outcome(id = "1, 0, 1, 0", expect = ACCEPTABLE_INTERESTING, desc = "no armed timer mid-mod; arbiter fired it")
    @Outcome(expect = FORBIDDEN, desc = "lost, duplicated or wedged item, or mod missed that it was pending")
    @State
    public static class ModVsFire {
        final Workqueues wqs = Workqueues.forProofs(Bare.kernel(1, Cpu.class));
        final Workqueue wq = wqs.system();
        final Worker worker = Worker.detached(wqs.cpuPool(0, false));
        final AtomicInteger runs = new AtomicInteger();
        final DelayedWork dw = new DelayedWork(runs::incrementAndGet);

        public ModVsFire() {
            wq.queueDelayed(dw, Duration.ofMillis(1));
        }

        @Actor
        public void modifier(IIII_Result r) {
            r.r1 = wq.modDelayed(dw, Duration.ofMillis(1)) ? 1 : 0;
        }

        @Actor
        public void timer(IIII_Result r) {
            r.r2 = dw.fireTimer() ? 1 : 0;
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            try {
                dw.fireTimer();
                worker.runOnce();
                r.r3 = runs.get();
            } catch (RuntimeException e) {
                r.r3 = -1;          // the worklist is corrupt: the item was inserted twice (two owners of PENDING)
            }
            r.r4 = dw.isPending() ? 1 : 0;
        }
    }
}
