/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Kernel;
import io.kdefer.irqchip.GicV3;
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
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * MO-FLOW-1 (in {@link Irqs}' javadoc, B-FLOW-4/13): when {@code disable()} returns, no hardirq run of the line
 * that started before it is still running, and that run's stores are visible to the caller. The flow sets
 * INPROGRESS under the descriptor lock before it drops the lock to run the handlers and clears it under the lock
 * afterwards; disable sets DISABLED under the same lock (so a flow that comes later records PENDING and runs
 * nothing), then waits until INPROGRESS is clear, re-checked under the lock.
 *
 * <pre>
 *   (edge SPI 40 requested on cpu/0, its edge pending at the GIC before the actors start)
 *   CPU 0: take the interrupt (GICv3 root handler, fasteoi flow); handler: x = 1; runs++
 *   caller: irqs.disable(40); r0 = x
 *   arbiter: r1 = runs
 *   Forbids: r0 == 0 &amp;&amp; r1 == 1 (the handler ran, yet disable returned before it finished, or without its store)
 * </pre>
 * The real path on a bare kernel with the GICv3 platform and MANUAL CPUs: the actor steps cpu/0
 * ({@code Cpu.runPending}: acknowledge, EOIR, genirq's fasteoi flow, the handler, DIR) and the caller is an
 * application thread calling the public {@code disable}. MANUAL mode leaves out synchronize's second question, whether
 * the GIC still has the SPI active (a MANUAL CPU finishes an interrupt within one step): INPROGRESS alone has to
 * hold the caller, which makes this the sharper probe of it. The handler spins a little (100 onSpinWait) before its
 * store, as a handler doing some work would, so a caller that does not wait reads the old value.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Irqs_01}.
 * <pre>
 *   RESULT  EXPECT      DESCRIPTION
 *   1, 1    Acceptable  the handler started first; disable waited for it and saw its store
 *   0, 0    Acceptable  disable came first: the flow found the line disabled and ran nothing (edge PENDING)
 *   0, 1    Forbidden   the handler ran, yet disable returned without its store (did not wait)
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * 0, 0: 37,840; 1, 1: 26,055; forbidden: 0.
 * Mutant {@code MO-FLOW-1-inprogress-cleared-early} is caught: 60 forbidden samples (runtime-jcstress/mutants, JDK 17,
 * quick).
 */
@JCStressTest
@Description("MO-FLOW-1: disable_irq returns only after a running handler finished, and sees its stores")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "the handler started first; disable waited and saw its store")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "disable came first: the flow ran nothing (edge recorded)")
@Outcome(id = "0, 1", expect = FORBIDDEN, desc = "the handler ran, yet disable returned without its store")
@Outcome(expect = FORBIDDEN, desc = "impossible: the store without a run")
@State
public class Irqs_01_DisableWaitsForHandler {
    static final int LINE = 40;
    final Kernel kernel = Bare.kernel(1, true, Cpu.class, Softirqs.class, Irqs.class, Smp.class, GicV3.class);
    final Irqs irqs = kernel.get(Irqs.class);
    final Cpu cpu = kernel.get(Cpus.class).cpu(0);
    int x;          // plain on purpose
    int runs;       // written by the handler on the CPU actor's thread, read by the arbiter

    public Irqs_01_DisableWaitsForHandler() {
        irqs.request(LINE, (irq, dev) -> {
            runs++;
            for (int i = 0; i < 100; i++) {
                Thread.onSpinWait();        // a handler that does some work: the window a caller that does not wait hits
            }
            x = 1;
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "jcstress", null);
        irqs.pulse(LINE);
    }

    @Actor
    public void cpu() {
        cpu.runPending();
    }

    @Actor
    public void caller(II_Result r) {
        irqs.disable(LINE);
        r.r1 = x;
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r2 = runs;
    }
}
