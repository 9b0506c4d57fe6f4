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
import org.openjdk.jcstress.infra.results.I_Result;

/**
 * MO-CSD-2 (in {@link Smp}'s javadoc): a waiting call returns only after the function ran, and sees its stores
 * (the kernel's release-store unlock and acquire-load wait; LKMM {@code MP+pooncerelease+poacquireonce}).
 *
 * <pre>
 *   (a synchronous csd is queued on cpu b before the actors start)
 *   cpu b: flush; fn: y = 1; unlock               caller: wait while locked (acquire); r = y
 *   Forbids: r == 0
 * </pre>
 * The caller runs the wait loop of {@code Smp.callFunctionSingle(..., true)} on the real csd lock word.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -t Smp_02}.
 * <pre>
 *   RESULT  EXPECT      DESCRIPTION
 *   1       Acceptable  the wait ended after the call and saw its store
 *   0       Forbidden   the wait ended but the callee's store was not visible
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * 1: 6,335,787; forbidden: 0.
 */
@JCStressTest
@Description("MO-CSD-2: a waiting cross-CPU call sees the callee's stores when the wait ends")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "the wait ended after the call and saw its store")
@Outcome(id = "0", expect = FORBIDDEN, desc = "the wait ended but the callee's store was not visible")
@State
public class Smp_02_WaitSeesCallee {
    static final Faults FAULTS = new Faults("jcstress");
    final CallQueue queue = new CallQueue(1);
    int y;   // plain on purpose
    final CallSingleData csd = new CallSingleData(() -> y = 1);

    public Smp_02_WaitSeesCallee() {
        csd.lock(CallSingleData.TYPE_SYNC);
        queue.push(csd.node);
    }

    @Actor
    public void target() {
        queue.flush(null, (src, t) -> { }, FAULTS);
    }

    @Actor
    public void caller(I_Result r) {
        while (csd.lockedAcquire()) {
            Thread.onSpinWait();
        }
        r.r1 = y;
    }
}
