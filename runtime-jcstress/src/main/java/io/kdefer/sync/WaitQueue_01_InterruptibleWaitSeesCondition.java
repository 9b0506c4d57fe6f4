/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The claim in {@link WaitQueue}'s javadoc (Memory ordering): {@code waitEventInterruptible} (kernel:
 * wait_event_interruptible) returns normally only with its condition seen true and then sees the waker's stores
 * made before the condition; otherwise it reports the interrupt with {@link InterruptedException}. Neither answer
 * loses the interrupt: after a normal return it is still pending, after the exception the status is clear.
 * No MO- claim of the spec (it has none for the sleeping primitives; spec §11 maps the kernel's to Java): WaitQueue's
 * own claim.
 *
 * <pre>
 *   waker:  x = 1; waiter.interrupt(); flag = true; q.wakeUp();                 (flag volatile, x plain)
 *   waiter: try { q.waitEventInterruptible(() -&gt; flag); r1 = 1; } catch (InterruptedException e) { r1 = 2; }
 *           r2 = x; r3 = Thread.interrupted() ? 1 : 0;
 *   Forbids: r2 == 0 (a normal return sees the stores before flag; an exception sees the stores before the
 *            interrupt, which happens-before its detection, JLS 17.4.4)
 *            1, *, 0 (returned, and the interrupt issued before flag was swallowed)
 *            2, *, 1 (reported the interrupt and left it set)
 * </pre>
 * The waiter publishes its thread first and the waker spins until it sees it, so the interrupt always targets the
 * waiter while it is inside this actor; the waiter cannot leave before the interrupt was issued (it needs flag, or
 * the interrupt) and clears the status before it leaves, so nothing leaks to the harness.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -sc false -t WaitQueue_01}.
 * <pre>
 *   RESULT   EXPECT                   DESCRIPTION
 *   1, 1, 1  Acceptable               condition seen: returned, saw x, the interrupt still pending
 *   2, 1, 0  Acceptable, interesting  the interrupt came first: InterruptedException, saw x, status clear
 *   other    Forbidden
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick -sc false}, all 8 JVM configurations, 2026-12-03):
 * 1, 1, 1: 6,290,060; 2, 1, 0: 576,166; forbidden: 0. With the re-set of an absorbed interrupt removed
 * (mutant of {@code TaskState.restore}): 1, 1, 0: 216,817 (FAILED).
 */
@JCStressTest
@Description("WaitQueue.waitEventInterruptible returns only with the condition seen (and the waker's stores), "
        + "else reports the interrupt; the interrupt is never lost")
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "condition seen: returned, saw x, interrupt still pending")
@Outcome(id = "2, 1, 0", expect = ACCEPTABLE_INTERESTING, desc = "interrupt first: InterruptedException, saw x")
@Outcome(expect = FORBIDDEN, desc = "returned without the waker's store, or lost / leaked the interrupt")
@State
public class WaitQueue_01_InterruptibleWaitSeesCondition {
    final WaitQueue q = new WaitQueue();
    volatile Thread waiter;
    volatile boolean flag;
    int x;          // plain on purpose

    @Actor
    public void waker() {
        Thread t;
        while ((t = waiter) == null) {
            Thread.onSpinWait();
        }
        x = 1;
        t.interrupt();
        flag = true;
        q.wakeUp();
    }

    @Actor
    public void waiter(III_Result r) {
        waiter = Thread.currentThread();
        try {
            q.waitEventInterruptible(() -> flag);
            r.r1 = 1;
        } catch (InterruptedException e) {
            r.r1 = 2;
        }
        r.r2 = x;
        r.r3 = Thread.interrupted() ? 1 : 0;
    }
}
