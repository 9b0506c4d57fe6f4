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
 * MO-IW-1 (the claim in {@link IrqWork}'s javadoc): a successful {@code queue()} publishes the caller's prior
 * stores to the run that consumes the claim.
 *
 * <pre>
 *   queuer: x = 1; r0 = w.queue()            CPU: run the raised list; the callback reads r1 = x
 *   Forbids: r0 == true &amp;&amp; the callback ran &amp;&amp; r1 == 0
 * </pre>
 * The actors call the real {@code queue()} and the real list run on a core with no machine behind it (the
 * self-IPI is the only thing left out); the item starts FREE, so {@code queue()} always returns true here.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -t IrqWork_01}.
 * <pre>
 *   RESULT     EXPECT      DESCRIPTION
 *   true, 1    Acceptable  the run consumed the claim and saw the store
 *   false, -1  Acceptable  the CPU looked before the push: nothing ran yet
 *   true, 0    Forbidden   the run consumed the claim but missed the store before queue()
 * </pre>
 */
@JCStressTest
@Description("MO-IW-1: queue() == true publishes prior stores to the run that consumes the claim")
@Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "the run consumed the claim and saw the store")
@Outcome(id = "false, -1", expect = ACCEPTABLE, desc = "the CPU looked before the push: nothing ran yet")
@Outcome(id = "true, 0", expect = FORBIDDEN, desc = "the run consumed the claim but missed the store before queue()")
@State
public class IrqWork_01_QueueReleasesStores {
    final IrqWorkCore core = Bare.kernel(1, Cpu.class, Softirqs.class, Irqs.class, Smp.class, IrqWork.class)
            .get(IrqWorkCore.class);
    int x;          // plain on purpose
    boolean ran;    // written by the callback, read by the same actor afterwards
    int seen = -1;
    final IrqWork w = new IrqWork(core, () -> {
        ran = true;
        seen = x;
    }, false);

    @Actor
    public void queuer() {
        x = 1;
        if (!w.queue()) {
            throw new AssertionError("a FREE item's first queue() must return true");
        }
    }

    @Actor
    public void cpu(ZI_Result r) {
        core.runRaised(0);
        r.r1 = ran;
        r.r2 = seen;
    }
}
