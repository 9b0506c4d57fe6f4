/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqwork;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.gic.CpuInterface;
import io.kdefer.gic.Gic;
import io.kdefer.internal.Kernel;
import io.kdefer.irq.Irqs;
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
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * MO-IW-1 (the claim in {@link IrqWork}'s javadoc): a successful {@code queue()} publishes the caller's prior
 * stores to the run that consumes the claim, and that run happens: the item is never left queued with nothing on
 * its way to run it. Two variants:
 * <ul>
 *   <li>{@link Core}: the claim and push against the CPU's list run, on a bare kernel with no platform (the
 *       self-IPI goes nowhere; the actor runs the raised list directly). The sharpest probe of the message passing
 *       itself: nothing but the list's push and pop-all stands between the two actors.</li>
 *   <li>{@link SelfIpi}: the whole path, on a bare kernel with the GICv3 platform and a MANUAL CPU that the actor
 *       steps ({@code Cpu.runPending}): the push, the IWI (SGI 5) sent on the empty-to-non-empty transition, its
 *       acknowledge, the percpu flow, the IPI dispatch and the list run. It adds what Core cannot see: that the
 *       interrupt is sent after the item is on the list (B-IW-2), so a CPU that takes it always finds the item, or
 *       the interrupt is still pending for it.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t IrqWork_01}.
 */
public class IrqWork_01_QueueReleasesStores {

    /**
     * <pre>
     *   queuer: x = 1; r0 = w.queue()            CPU: run the raised list; the callback reads r1 = x
     *   Forbids: r0 == true &amp;&amp; the callback ran &amp;&amp; r1 == 0
     * </pre>
     * The item starts FREE, so {@code queue()} always returns true here.
     * <pre>
     *   RESULT     EXPECT      DESCRIPTION
     *   true, 1    Acceptable  the run consumed the claim and saw the store
     *   false, -1  Acceptable  the CPU looked before the push: nothing ran yet
     *   true, 0    Forbidden   the run consumed the claim but missed the store before queue()
     * </pre>
     * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
     * true, 1: 522,631; false, -1: 673,346; forbidden: 0.
     */
    @JCStressTest
    @Description("MO-IW-1: queue() == true publishes prior stores to the run that consumes the claim")
    @Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "the run consumed the claim and saw the store")
    @Outcome(id = "false, -1", expect = ACCEPTABLE, desc = "the CPU looked before the push: nothing ran yet")
    @Outcome(id = "true, 0", expect = FORBIDDEN, desc = "the run consumed the claim but missed the store before queue()")
    @State
    public static class Core {
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

    /**
     * <pre>
     *   queuer: x = 1; w.queue()     (push; IWI to cpu/0 on the empty-to-non-empty transition); done = true
     *   CPU:    wait until cpu/0 is signalled (or done); step cpu/0 (take the IWI: the raised list runs; the
     *           callback reads x); r0 = runs, r1 = x seen
     *   arbiter: step cpu/0 again; r2 = runs
     *   Forbids: r1 == 0 (the run missed the store); r2 == 0 (queued, and no interrupt left to run it); r2 == 2
     * </pre>
     * The CPU actor takes the interrupt as soon as its GIC interface signals one, as a real CPU does, which gives an
     * interrupt sent before the item is on the list (the weakening B-IW-2 forbids) the best chance to find the list
     * empty: the window is the few instructions between the SGI write and the push.
     * <pre>
     *   RESULT    EXPECT      DESCRIPTION
     *   1, 1, 1   Acceptable  the CPU took the IWI and the run saw the store
     *   0, -1, 1  Acceptable  the CPU looked before the IWI was sent; the arbiter's step took it
     *   0, -1, 0  Forbidden   the item is queued but no interrupt is pending for it: stranded
     *   1, 0, *   Forbidden   the run missed the store made before queue()
     * </pre>
     * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
     * 1, 1, 1: 59,892; forbidden: 0 (the CPU actor waits for the signal, so it always takes the IWI itself).
     * Mutant {@code MO-IW-1-iwi-before-push} (the IWI sent before the push) is caught here: 5 forbidden samples
     * (runtime-jcstress/mutants, JDK 17, quick); {@code Core} sends no interrupt, so it cannot see that weakening.
     */
    @JCStressTest
    @Description("MO-IW-1 through the IWI: the CPU that takes the self-IPI runs the item and sees the caller's stores")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "the CPU took the IWI and the run saw the store")
    @Outcome(id = "0, -1, 1", expect = ACCEPTABLE, desc = "the CPU looked before the IWI; the arbiter's step ran it")
    @Outcome(id = "0, -1, 0", expect = FORBIDDEN, desc = "queued, but no interrupt pending for it: stranded")
    @Outcome(expect = FORBIDDEN, desc = "the run missed the store, or the item ran twice")
    @State
    public static class SelfIpi {
        final Kernel kernel = Bare.kernel(1, true, Cpu.class, Softirqs.class, Irqs.class, Smp.class, GicV3.class,
                IrqWork.class);
        final Cpu cpu = kernel.get(Cpus.class).cpu(0);
        final CpuInterface pe = kernel.get(Gic.class).cpuInterface(0);
        volatile boolean done;
        int x;          // plain on purpose
        int runs;       // written by the callback (CPU actor or arbiter), read afterwards on the same thread
        int seen = -1;
        final IrqWork w = new IrqWork(kernel.get(IrqWorkCore.class), () -> {
            runs++;
            seen = x;
        }, false);

        @Actor
        public void queuer() {
            x = 1;
            if (!w.queue()) {
                throw new AssertionError("a FREE item's first queue() must return true");
            }
            done = true;
        }

        @Actor
        public void cpu(III_Result r) {
            while (!pe.mayBeSignalled() && !done) {
                Thread.onSpinWait();
            }
            cpu.runPending();
            r.r1 = runs;
            r.r2 = seen;
        }

        @Arbiter
        public void arbiter(III_Result r) {
            cpu.runPending();
            r.r3 = runs;
        }
    }
}
