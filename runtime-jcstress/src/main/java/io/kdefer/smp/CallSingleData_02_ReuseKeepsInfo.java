/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp;

import io.kdefer.internal.Faults;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * MO-CSD-3 (in {@link CallSingleData}'s javadoc): an async csd is unlocked before its function runs, so it may be
 * resubmitted at once; the first call must still get the first submission's info. The target snapshots the info
 * before it releases the lock, and a resubmitter can only write new info after it has seen that release.
 *
 * <pre>
 *   (submitted with info 1 before the actors start)
 *   cpu b: flush; the call records r1 = info        resubmitter: wait until unlocked; setInfo(2); resubmit
 *   arbiter: flush again; the second call records r2 = info
 *   Forbids: r1 == 2 (the first call saw the second payload)
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -t CallSingleData_02}.
 * <pre>
 *   RESULT  EXPECT      DESCRIPTION
 *   1, 2    Acceptable  each call saw its own submission's info
 *   2, *    Forbidden   the first call saw the resubmission's info
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * 1, 2: 7,569,139; forbidden: 0.
 */
@JCStressTest
@Description("MO-CSD-3: resubmitting an unlocked async csd never changes the info of the call already taken")
@Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "each call saw its own submission's info")
@Outcome(expect = FORBIDDEN, desc = "the first call saw the resubmission's info, or a call was lost")
@State
public class CallSingleData_02_ReuseKeepsInfo {
    static final Faults FAULTS = new Faults("jcstress");
    final CallQueue queue = new CallQueue(1);
    int first = -1;
    int second = -1;
    int calls;
    final CallSingleData csd = new CallSingleData((Integer info) -> {
        if (calls++ == 0) {
            first = info;
        } else {
            second = info;
        }
    });

    public CallSingleData_02_ReuseKeepsInfo() {
        csd.setInfo(1);
        csd.lock(CallSingleData.TYPE_ASYNC);
        queue.push(csd.node);
    }

    @Actor
    public void target() {
        queue.flush(null, (src, t) -> { }, FAULTS);
    }

    @Actor
    public void resubmitter() {
        while (csd.isLocked()) {
            Thread.onSpinWait();
        }
        csd.setInfo(2);
        if (csd.lock(CallSingleData.TYPE_ASYNC)) {
            queue.push(csd.node);
        }
    }

    @Arbiter
    public void arbiter(II_Result r) {
        queue.flush(null, (src, t) -> { }, FAULTS);
        r.r1 = first;
        r.r2 = second;
    }
}
