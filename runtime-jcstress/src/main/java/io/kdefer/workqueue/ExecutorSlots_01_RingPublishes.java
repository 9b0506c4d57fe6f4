/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The slot hand-off in {@link ExecutorSlots}' javadoc: the worker clears a slot's task and offers the slot back;
 * an {@code execute()} that polls it must see the clear (else it could see a finished task where it writes its
 * own, and a failure report would name the wrong task). Message passing through the ring cell's sequence number:
 * the offer's volatile store of seq publishes the cell and everything before it; the poll's volatile load of seq
 * acquires them.
 *
 * <pre>
 *   (a slot whose task is set, an empty ring)
 *   worker: slot.run()  (runs the task, clears slot.task, offers the slot); r1 = runs of the task
 *   caller: s = ring.poll(); r2 = s == null ? -1 : s.task == null ? 0 : 1
 *   Forbids: r2 == 1 (polled the slot, saw the stale task)
 * </pre>
 * On x86-TSO the stale read needs a compiler reordering (stores stay in order, loads too); ARM or POWER could show
 * it with a plain seq store.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t ExecutorSlots_01}.
 * <pre>
 *   RESULT   EXPECT      DESCRIPTION
 *   1, 0     Acceptable  polled after the offer; saw the cleared task
 *   1, -1    Acceptable  polled before the offer: empty
 *   *, 1     Forbidden   polled the slot and saw its stale task
 * </pre>
 * Observed with the first version of this test, whose worker cleared and offered by hand instead of calling
 * {@code Slot.run} (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * 1, 0: 2,114,299; 1, -1: 4,329,300; forbidden: 0.
 */
@JCStressTest
@Description("ExecutorSlots: a polled slot shows the clear its worker made before offering it")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "polled after the offer; saw the cleared task")
@Outcome(id = "1, -1", expect = ACCEPTABLE, desc = "polled before the offer: empty")
@Outcome(expect = FORBIDDEN, desc = "saw the stale task, or the task did not run exactly once")
@State
public class ExecutorSlots_01_RingPublishes {
    final ExecutorSlots ring = new ExecutorSlots(null, 2);
    final ExecutorSlots.Slot slot = new ExecutorSlots.Slot(ring);
    int runs;           // written by the task, on the worker actor's thread

    {
        slot.task = () -> runs++;
    }

    @Actor
    public void worker(II_Result r) {
        slot.run();
        r.r1 = runs;
    }

    @Actor
    public void caller(II_Result r) {
        ExecutorSlots.Slot s = ring.poll();
        r.r2 = s == null ? -1 : s.task == null ? 0 : 1;
    }
}
