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
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The claim in {@link SpinLock}'s javadoc (Memory ordering): a successful {@code tryLock()} (kernel: spin_trylock)
 * acquires exactly as {@code lock()} does, so it sees the stores of the critical section that held the lock before
 * it, and the section after it sees its stores. Each section reads the other's variable, then writes its own;
 * whichever section runs second must see the first one's store.
 * No MO- claim of the spec (it has none for the sleeping primitives; spec §11 maps the kernel's to Java): SpinLock's
 * own claim.
 *
 * <pre>
 *   A: l.lock(); r2 = y; x = 1; l.unlock();      B: if (l.tryLock()) { r1 = x; y = 1; l.unlock(); } else r1 = -1;
 *   Forbids: r1 == 0 &amp;&amp; r2 == 0 (neither section saw the other: a missing acquire, in tryLock or lock)
 *            r1 == 1 &amp;&amp; r2 == 1 (each saw the other: the sections overlapped)
 *            r1 == -1 &amp;&amp; r2 == 1 (A saw a store of a section that never ran)
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -sc false -t SpinLock_01}.
 * <pre>
 *   RESULT  EXPECT                   DESCRIPTION
 *   1, 0    Acceptable               A's section, then B's tryLock succeeded and saw x
 *   0, 1    Acceptable               B's section first; A's lock saw y
 *   -1, 0   Acceptable, interesting  B's tryLock found the lock held by A
 *   other   Forbidden
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick -sc false}, all 8 JVM configurations, 2026-12-03):
 * 0, 1: 30,523,092; 1, 0: 2,817,526; -1, 0: 424,910; forbidden: 0.
 */
@JCStressTest
@Description("SpinLock.tryLock() that succeeds acquires: it sees the previous holder's critical-section stores")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "A's section, then B's successful tryLock saw x")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "B's section first; A's lock saw y")
@Outcome(id = "-1, 0", expect = ACCEPTABLE_INTERESTING, desc = "B's tryLock found the lock held and changed nothing")
@Outcome(expect = FORBIDDEN, desc = "a section missed the other's store, or the sections overlapped")
@State
public class SpinLock_01_TryLockAcquires {
    final SpinLock l = new SpinLock("jcstress");
    int x;          // plain on purpose: only the lock orders it
    int y;          // plain on purpose

    @Actor
    public void locker(II_Result r) {
        l.lock();
        r.r2 = y;
        x = 1;
        l.unlock();
    }

    @Actor
    public void trier(II_Result r) {
        if (l.tryLock()) {
            r.r1 = x;
            y = 1;
            l.unlock();
        } else {
            r.r1 = -1;
        }
    }
}
