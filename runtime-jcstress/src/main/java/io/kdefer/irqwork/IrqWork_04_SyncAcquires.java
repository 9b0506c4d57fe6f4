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
import org.openjdk.jcstress.infra.results.I_Result;

/**
 * MO-IW-4, our stronger form (in {@link IrqWork}'s javadoc): when {@code sync()} returns, the stores of the run
 * it waited for are visible. The kernel only promises "not in use" (its busy-wait has no acquire); our sync reads
 * the flags with acquire, pairing with the runner's final compare-and-exchange.
 *
 * <pre>
 *   (the item is PENDING, so BUSY, before the actors start)
 *   CPU: run the raised list; callback z = 1                  waiter: w.sync(); r = z
 *   Forbids: r == 0
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -t IrqWork_04}.
 * <pre>
 *   RESULT  EXPECT      DESCRIPTION
 *   1       Acceptable  sync returned after the run and saw its store
 *   0       Forbidden   sync returned but the run's store was not visible
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * 1: 968,549; forbidden: 0.
 */
@JCStressTest
@Description("MO-IW-4: sync() returns only after the run, with acquire: the run's stores are visible")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "sync returned after the run and saw its store")
@Outcome(id = "0", expect = FORBIDDEN, desc = "sync returned but the run's store was not visible")
@State
public class IrqWork_04_SyncAcquires {
    final IrqWorkCore core = Bare.kernel(1, Cpu.class, Softirqs.class, Irqs.class, Smp.class, IrqWork.class)
            .get(IrqWorkCore.class);
    int z;          // plain on purpose
    final IrqWork w = new IrqWork(core, () -> z = 1, false);

    public IrqWork_04_SyncAcquires() {
        w.queue();
    }

    @Actor
    public void cpu() {
        core.runRaised(0);
    }

    @Actor
    public void waiter(I_Result r) {
        w.sync();
        r.r1 = z;
    }
}
