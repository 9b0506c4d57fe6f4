/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp;

import io.kdefer.internal.Faults;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * The coalescing IPI's ordering claim (in {@link QueueSingleData}'s javadoc): a
 * {@code queueFunctionSingle} that finds the call already pending returns false, and the pending call still sees
 * the caller's prior stores. No MO- id of its own (the spec has none for the coalescing queue): the MO-IW-2 shape.
 *
 * <pre>
 *   (the qsd is pending on cpu b's queue before the actors start)
 *   caller: x = 1; r0 = claim (push if won)        cpu b: flush: clear PENDING (volatile RMW); fn reads r1 = x
 *   Forbids: r0 == false &amp;&amp; r1 == 0
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -t QueueSingleData_01}.
 * <pre>
 *   RESULT    EXPECT      DESCRIPTION
 *   false, 1  Acceptable  coalesced: the pending call saw the store
 *   true, 0   Acceptable  the call had started; the caller queued it again for a later call
 *   true, 1   Acceptable  the call had started and saw the store anyway; queued again
 *   false, 0  Forbidden   coalesced, yet the pending call missed the store
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * false, 1: 3,743,366; true, 0: 481,288; true, 1: 7,951; forbidden: 0.
 */
@JCStressTest
@Description("queueFunctionSingle == false (already pending) still publishes prior stores to the pending call")
@Outcome(id = "false, 1", expect = ACCEPTABLE, desc = "coalesced: the pending call saw the store")
@Outcome(id = "true, 0", expect = ACCEPTABLE, desc = "the call had started; queued again for a later call")
@Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "the call had started and saw the store anyway; queued again")
@Outcome(id = "false, 0", expect = FORBIDDEN, desc = "coalesced, yet the pending call missed the store")
@State
public class QueueSingleData_01_CoalescedStillVisible {
    static final Faults FAULTS = new Faults("jcstress");
    final CallQueue queue = new CallQueue(1);
    int x;   // plain on purpose
    int seen = -1;
    final QueueSingleData qsd = new QueueSingleData(() -> seen = x);

    public QueueSingleData_01_CoalescedStillVisible() {
        qsd.claim();
        queue.push(qsd.node);
    }

    @Actor
    public void caller(ZI_Result r) {
        x = 1;
        boolean won = qsd.claim();
        if (won) {
            queue.push(qsd.node);
        }
        r.r1 = won;
    }

    @Actor
    public void target(ZI_Result r) {
        queue.flush(null, (src, t) -> { }, FAULTS);
        r.r2 = seen;
    }
}
