/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqwork;

import io.kdefer.cpu.Cpu;
import io.kdefer.irq.Irqs;
import io.kdefer.jcstress.Bare;
import io.kdefer.smp.Smp;
import io.kdefer.softirq.Softirqs;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * MO-IW-2, the project's most important ordering claim (in {@link IrqWork}'s javadoc): a {@code queue()} that
 * returns {@code false} because the item is already pending is still followed by a callback start that sees the
 * caller's prior stores. This is the store-buffering shape (LKMM {@code SB+fencembonceonces}): the queuer's
 * unconditional {@code getAndBitwiseOr} and the runner's {@code getAndBitwiseAnd(~PENDING)} are volatile
 * read-modify-writes of one word, so one of them sees the other. A claim written as a compare-and-set loop that
 * returns on "already pending" publishes nothing when it fails and makes {@code false, 0} observable — the bug
 * the kernel fixed in 2019 (spec §13.1).
 *
 * <pre>
 *   (the item is PENDING on CPU 0's raised list before the actors start)
 *   queuer: x = 1; r0 = w.queue()            CPU: run the raised list: clear PENDING; callback reads r1 = x
 *   Forbids: r0 == false &amp;&amp; r1 == 0
 * </pre>
 * With {@code r0 == true} the CPU cleared PENDING first and the queuer queued the item again: that later run (not
 * executed here) is the one that must see x, so {@code true, 0} is acceptable.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -t IrqWork_02}.
 * <pre>
 *   RESULT    EXPECT      DESCRIPTION
 *   false, 1  Acceptable  coalesced: the pending run saw the store
 *   true, 1   Acceptable  the run had started; queued again, and the run saw the store anyway
 *   true, 0   Acceptable  the run started first; queue() made the item pending again for a later run
 *   false, 0  Forbidden   coalesced, yet the pending run missed the store (lost event)
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * false, 1: 853,464; true, 0: 127,362; true, 1: 2,891; forbidden: 0.
 */
@JCStressTest
@Description("MO-IW-2: queue() == false (already pending) still publishes prior stores to the pending run")
@Outcome(id = "false, 1", expect = ACCEPTABLE, desc = "coalesced: the pending run saw the store")
@Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "the run had started; queued again, and the run saw the store anyway")
@Outcome(id = "true, 0", expect = ACCEPTABLE, desc = "the run started first; queue() made the item pending again")
@Outcome(id = "false, 0", expect = FORBIDDEN, desc = "coalesced, yet the pending run missed the store (lost event)")
@State
public class IrqWork_02_LostRaceStillVisible {
    final IrqWorkCore core = Bare.kernel(1, Cpu.class, Softirqs.class, Irqs.class, Smp.class, IrqWork.class)
            .get(IrqWorkCore.class);
    int x;          // plain on purpose
    int seen = -1;
    final IrqWork w = new IrqWork(core, () -> seen = x, false);

    public IrqWork_02_LostRaceStillVisible() {
        w.queue();
    }

    @Actor
    public void queuer(ZI_Result r) {
        x = 1;
        r.r1 = w.queue();
    }

    @Actor
    public void cpu(ZI_Result r) {
        core.runRaised(0);
        r.r2 = seen;
    }
}
