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
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * MO-CSD-1 and MO-CSD-4 (in {@link CallSingleData}'s and {@link Smp}'s javadoc): submitting a csd publishes the
 * caller's prior stores and the csd's info to the target's call.
 *
 * <pre>
 *   caller: x = 1; csd.setInfo(7); lock; push onto cpu b's queue      cpu b: flush; fn(info) reads r1 = x, r2 = info
 *   Forbids: the call ran &amp;&amp; (r1 == 0 || r2 != 7)
 * </pre>
 * The caller does what {@code Smp.callFunctionSingleAsync} does after its target checks (claim, push; the IPI is
 * left out); the target runs the real queue flush of the CALL_FUNC handler.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -t CallSingleData_01}.
 * <pre>
 *   RESULT  EXPECT      DESCRIPTION
 *   1, 7    Acceptable  the call ran and saw the store and the info
 *   -1, -1  Acceptable  the target flushed before the push
 *   other   Forbidden   the call ran but missed the store or saw another info
 * </pre>
 */
@JCStressTest
@Description("MO-CSD-1/4: a submitted csd publishes prior stores and its info to the target's call")
@Outcome(id = "1, 7", expect = ACCEPTABLE, desc = "the call ran and saw the store and the info")
@Outcome(id = "-1, -1", expect = ACCEPTABLE, desc = "the target flushed before the push")
@Outcome(expect = FORBIDDEN, desc = "the call ran but missed the store or saw another info")
@State
public class CallSingleData_01_SubmitPublishes {
    static final Faults FAULTS = new Faults("jcstress");
    final CallQueue queue = new CallQueue(1);
    int x;              // plain on purpose
    int seenX = -1;
    int seenInfo = -1;
    final CallSingleData csd = new CallSingleData((Integer info) -> {
        seenX = x;
        seenInfo = info;
    });

    @Actor
    public void caller() {
        x = 1;
        csd.setInfo(7);
        if (csd.lock(CallSingleData.TYPE_ASYNC)) {
            queue.push(csd.node);
        }
    }

    @Actor
    public void target(II_Result r) {
        queue.flush(null, (src, t) -> { }, FAULTS);
        r.r1 = seenX;
        r.r2 = seenInfo;
    }
}
