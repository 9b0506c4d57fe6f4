/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.internal.Lifecycle;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.I_Result;

/**
 * MO-TI-4 (in {@link IrqThread}'s javadoc): when synchronize's wait for threads ends, the stores of the thread
 * function runs it waited for are visible. The thread decrements threads_active (a volatile read-modify-write)
 * after the thread function; the waiter returns on a volatile read of 0 ({@link IrqThread#waitForThreads}, the
 * third step of {@code Irqs.synchronize}).
 *
 * <pre>
 *   (a run is claimed before the actors start: RUNTHREAD set, threads_active = 1)
 *   thread: handleOnce(): thread_fn: y = 1; threads_active--        waiter: waitForThreads(); r = y
 *   Forbids: r == 0
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t ThreadedIrq_04}.
 * Observed (2 cores, JDK 17.0.15, {@code -m quick -sc false}, results across all configurations):
 * <pre>
 *   RESULT     SAMPLES     FREQ      EXPECT  DESCRIPTION
 *        0           0    0.00%   Forbidden  the wait ended but the thread function's store was not visible
 *        1  16,173,531  100.00%  Acceptable  the wait ended after the run and saw its store
 * </pre>
 */
@JCStressTest
@Description("MO-TI-4: synchronize's wait for threads_active == 0 sees the thread function's stores")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "the wait ended after the run and saw its store")
@Outcome(id = "0", expect = FORBIDDEN, desc = "the wait ended but the thread function's store was not visible")
@State
public class ThreadedIrq_04_SynchronizeSeesThread {
    static final Lifecycle LIFECYCLE = new Lifecycle("jcstress");   // never closes
    final IrqDesc d = LineOnlyChip.line(false);
    int y;          // plain on purpose
    final IrqAction a = LineOnlyChip.action((irq, dev) -> {
        y = 1;
        return IrqReturn.HANDLED;
    }, false);

    public ThreadedIrq_04_SynchronizeSeesThread() {
        IrqThread.wake(d, a);
    }

    @Actor
    public void thread() {
        IrqThread.handleOnce(d, a);
    }

    @Actor
    public void waiter(I_Result r) {
        IrqThread.waitForThreads(d, LIFECYCLE);
        r.r1 = y;
    }
}
