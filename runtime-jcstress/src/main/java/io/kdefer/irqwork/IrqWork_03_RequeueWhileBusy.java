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
 * MO-IW-3 (in {@link IrqWork}'s javadoc): a {@code queue()} that succeeds while the callback runs is never lost:
 * the runner's final compare-and-exchange fails, the item stays claimed and on the list, and its next run sees
 * the queuer's stores.
 *
 * <pre>
 *   (the item is PENDING before the actors start)
 *   CPU: run the raised list (PENDING cleared, callback, CAS BUSY off)       queuer: x = 1; r0 = w.queue()
 *   arbiter: r1 = w is still pending; if so run the list again and r2 = what that run saw of x
 *   Forbids: r0 == true &amp;&amp; !r1 (the item ended FREE without another run)
 *   Forbids: r0 == true &amp;&amp; r1 &amp;&amp; r2 == 0
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -t IrqWork_03}.
 * <pre>
 *   RESULT            EXPECT      DESCRIPTION
 *   false, false, -1  Acceptable  coalesced into the run that was pending; the item ended FREE
 *   true, true, 1     Acceptable  queued during or after the run; it ran again and saw the store
 *   true, false, -1   Forbidden   queue() returned true but the item ended FREE: lost
 *   true, true, 0     Forbidden   the run after the re-queue missed the store
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * true, true, 1: 494,255; false, false, -1: 340,163; forbidden: 0.
 */
@JCStressTest
@Description("MO-IW-3: a re-queue while BUSY always leads to another run that sees the queuer's stores")
@Outcome(id = "false, false, -1", expect = ACCEPTABLE, desc = "coalesced into the pending run; the item ended FREE")
@Outcome(id = "true, true, 1", expect = ACCEPTABLE, desc = "queued during or after the run; it ran again and saw the store")
@Outcome(id = "true, false, -1", expect = FORBIDDEN, desc = "queue() returned true but the item ended FREE: lost")
@Outcome(id = "true, true, 0", expect = FORBIDDEN, desc = "the run after the re-queue missed the store")
@State
public class IrqWork_03_RequeueWhileBusy {
    final IrqWorkCore core = Bare.kernel(1, Cpu.class, Softirqs.class, Irqs.class, Smp.class, IrqWork.class)
            .get(IrqWorkCore.class);
    int x;          // plain on purpose
    int seen = -1;
    final IrqWork w = new IrqWork(core, () -> seen = x, false);

    public IrqWork_03_RequeueWhileBusy() {
        w.queue();
    }

    @Actor
    public void cpu() {
        core.runRaised(0);
    }

    @Actor
    public void queuer(ZZI_Result r) {
        x = 1;
        r.r1 = w.queue();
    }

    @Arbiter
    public void arbiter(ZZI_Result r) {
        boolean pending = w.isPending();
        r.r2 = pending;
        if (pending) {
            seen = -1;
            core.runRaised(0);
            r.r3 = seen;
        } else {
            r.r3 = -1;
        }
    }
}
