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
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * MO-TI-2 (in {@link IrqThread}'s javadoc): a wake-up that finds RUNTHREAD already set (coalesced, it wakes
 * nobody) is still covered: the run that consumes that RUNTHREAD sees the stores made before it. Store-buffering
 * shape (LKMM {@code SB+fencembonceonces}): the hardirq's claim {@code getAndBitwiseOr} is a volatile
 * read-modify-write even when it changes nothing, and the thread's consume {@code getAndBitwiseAnd} is one too, so
 * one sees the other. A claim written as a compare-and-set that returns on "already set" would make
 * {@code false, 0} observable (spec §11, §13.1).
 *
 * <pre>
 *   (RUNTHREAD set: a run is pending before the actors start)
 *   hardirq: x = 1; r0 = wake()                thread: handleOnce(): consume RUNTHREAD; thread_fn: r1 = x
 *   Forbids: r0 == false &amp;&amp; r1 == 0
 * </pre>
 * With {@code r0 == true} the thread consumed first and the hardirq made a new run pending: that later run (not
 * executed here) is the one that must see x, so {@code true, 0} is acceptable.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t ThreadedIrq_02}.
 * Observed (2 cores, JDK 17.0.15, {@code -m quick -sc false}, results across all configurations):
 * <pre>
 *     RESULT     SAMPLES     FREQ      EXPECT  DESCRIPTION
 *   false, 0           0    0.00%   Forbidden  coalesced, yet the pending run missed the store (lost event)
 *   false, 1  11,955,857   95.15%  Acceptable  coalesced: the pending run saw the store
 *    true, 0     584,428    4.65%  Acceptable  the run consumed first; the wake made a new run pending
 *    true, 1      25,523    0.20%  Acceptable  the run had consumed; woken again, and it saw the store anyway
 * </pre>
 */
@JCStressTest
@Description("MO-TI-2: a coalesced wake-up (RUNTHREAD already set) is still seen by the pending run")
@Outcome(id = "false, 1", expect = ACCEPTABLE, desc = "coalesced: the pending run saw the store")
@Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "the run had consumed; woken again, and it saw the store anyway")
@Outcome(id = "true, 0", expect = ACCEPTABLE, desc = "the run consumed first; the wake made a new run pending")
@Outcome(id = "false, 0", expect = FORBIDDEN, desc = "coalesced, yet the pending run missed the store (lost event)")
@State
public class ThreadedIrq_02_CoalescedWakeStillVisible {
    final IrqDesc d = LineOnlyChip.line(false);
    int x;          // plain on purpose
    int seen = -1;
    final IrqAction a = LineOnlyChip.action((irq, dev) -> {
        seen = x;
        return IrqReturn.HANDLED;
    }, false);

    public ThreadedIrq_02_CoalescedWakeStillVisible() {
        IrqThread.wake(d, a);
    }

    @Actor
    public void hardirq(ZI_Result r) {
        x = 1;
        r.r1 = IrqThread.wake(d, a);
    }

    @Actor
    public void thread(ZI_Result r) {
        IrqThread.handleOnce(d, a);
        r.r2 = seen;
    }
}
