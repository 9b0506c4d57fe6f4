/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZI_Result;

/**
 * MO-TI-1 (in {@link IrqThread}'s javadoc): the thread-function run that consumes a wake-up sees the stores the
 * primary handler made before it returned WAKE_THREAD. The hardirq claims with {@code getAndBitwiseOr(RUNTHREAD)};
 * the thread consumes with {@code getAndBitwiseAnd(~RUNTHREAD)} ({@link IrqThread#handleOnce}) and then runs the
 * thread function: a release/acquire pair on one word (message passing).
 *
 * <pre>
 *   (RUNTHREAD clear)
 *   hardirq: x = 1; r0 = wake()                thread: r1 = handleOnce(); thread_fn: r2 = x  (r2 = -1: no run)
 *   Forbids: r1 == true &amp;&amp; r2 == 0
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t ThreadedIrq_01}.
 * Observed (2 cores, JDK 17.0.15, {@code -m quick -sc false}, results across all configurations):
 * <pre>
 *            RESULT    SAMPLES     FREQ      EXPECT  DESCRIPTION
 *   true, false, -1  6,003,888   39.88%  Acceptable  the thread looked first: the run is still pending
 *     true, true, 0          0    0.00%   Forbidden  the run consumed the wake but missed the store
 *     true, true, 1  9,052,800   60.12%  Acceptable  the run consumed the wake and saw the store
 * </pre>
 */
@JCStressTest
@Description("MO-TI-1: the thread run that consumes a wake-up sees the primary handler's prior stores")
@Outcome(id = "true, true, 1", expect = ACCEPTABLE, desc = "the run consumed the wake and saw the store")
@Outcome(id = "true, false, -1", expect = ACCEPTABLE, desc = "the thread looked first: the run is still pending")
@Outcome(id = "true, true, 0", expect = FORBIDDEN, desc = "the run consumed the wake but missed the store")
@State
public class ThreadedIrq_01_WakePublishes {
    final IrqDesc d = LineOnlyChip.line(false);
    int x;          // plain on purpose
    int seen = -1;
    final IrqAction a = LineOnlyChip.action((irq, dev) -> {
        seen = x;
        return IrqReturn.HANDLED;
    }, false);

    @Actor
    public void hardirq(ZZI_Result r) {
        x = 1;
        r.r1 = IrqThread.wake(d, a);
    }

    @Actor
    public void thread(ZZI_Result r) {
        r.r2 = IrqThread.handleOnce(d, a);
        r.r3 = seen;
    }
}
