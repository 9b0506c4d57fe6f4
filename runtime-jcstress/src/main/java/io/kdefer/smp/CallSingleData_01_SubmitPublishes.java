/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.gic.CpuInterface;
import io.kdefer.gic.Gic;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Kernel;
import io.kdefer.irq.Irqs;
import io.kdefer.irqchip.GicV3;
import io.kdefer.jcstress.Bare;
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
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * MO-CSD-1 and MO-CSD-4 (in {@link CallSingleData}'s and {@link Smp}'s javadoc): submitting a csd publishes the
 * caller's prior stores and the csd's info to the target's call, and the call happens. Two variants:
 * <ul>
 *   <li>{@link Core}: the caller does what {@code Smp.callFunctionSingleAsync} does after its target checks (claim,
 *       push; the IPI is left out) and the target runs the real queue flush of the CALL_FUNC handler. The sharpest
 *       probe of the publication: only the csd's lock word and the queue's push and pop-all are in between.</li>
 *   <li>{@link CallFuncIpi}: the whole path, on a bare kernel with the GICv3 platform and MANUAL CPUs: the caller
 *       calls the public {@code callFunctionSingleAsync(1, csd)} (claim, push, CALL_FUNC = SGI 1 on the
 *       empty-to-non-empty transition) and the actor steps cpu/1 ({@code Cpu.runPending}: acknowledge, percpu flow,
 *       IPI dispatch, queue flush). It adds that the IPI is sent after the push (B-CSD-1): a CPU that takes it finds
 *       the call, or the IPI is still pending for it.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t CallSingleData_01}.
 */
public class CallSingleData_01_SubmitPublishes {
    static final Faults FAULTS = new Faults("jcstress");

    /**
     * <pre>
     *   caller: x = 1; csd.setInfo(7); lock; push onto cpu b's queue      cpu b: flush; fn(info) reads r1 = x, r2 = info
     *   Forbids: the call ran &amp;&amp; (r1 == 0 || r2 != 7)
     * </pre>
     * <pre>
     *   RESULT  EXPECT      DESCRIPTION
     *   1, 7    Acceptable  the call ran and saw the store and the info
     *   -1, -1  Acceptable  the target flushed before the push
     *   other   Forbidden   the call ran but missed the store or saw another info
     * </pre>
     * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
     * 1, 7: 4,409,492; -1, -1: 36,964,356; forbidden: 0.
     */
    @JCStressTest
    @Description("MO-CSD-1/4: a submitted csd publishes prior stores and its info to the target's call")
    @Outcome(id = "1, 7", expect = ACCEPTABLE, desc = "the call ran and saw the store and the info")
    @Outcome(id = "-1, -1", expect = ACCEPTABLE, desc = "the target flushed before the push")
    @Outcome(expect = FORBIDDEN, desc = "the call ran but missed the store or saw another info")
    @State
    public static class Core {
        final CallQueue queue = new CallQueue(1);
        int x;              // plain on purpose
        int seenX = -1;
        int seenInfo = -1;
        final CallSingleData csd = new CallSingleData((Integer info) -> {
            seenX = x;
            seenInfo = info;
        });

        @Actor
        public void caller() {
            x = 1;
            csd.setInfo(7);
            if (csd.lock(CallSingleData.TYPE_ASYNC)) {
                queue.push(csd.node);
            }
        }

        @Actor
        public void target(II_Result r) {
            queue.flush(null, (src, t) -> { }, FAULTS);
            r.r1 = seenX;
            r.r2 = seenInfo;
        }
    }

    /**
     * <pre>
     *   caller: x = 1; csd.setInfo(7); smp.callFunctionSingleAsync(1, csd); done = true
     *   cpu/1:  wait until signalled (or done); step (take CALL_FUNC, flush the queue; fn records x and info);
     *           r0 = x seen, r1 = info seen
     *   arbiter: step cpu/1 again; r2 = calls
     *   Forbids: a call in the actor with r0 == 0 or r1 != 7; r2 == 0 (submitted, and no IPI left to run it)
     * </pre>
     * cpu/1 takes the interrupt as soon as its GIC interface signals one, as a real CPU does, which gives an IPI sent
     * before the call is on the queue (the weakening B-CSD-1 forbids) the best chance to find the queue empty.
     * <pre>
     *   RESULT     EXPECT      DESCRIPTION
     *   1, 7, 1    Acceptable  cpu/1 took the IPI; the call saw the store and the info
     *   -1, -1, 1  Acceptable  cpu/1 looked before the IPI was sent; the arbiter's step ran the call
     *   -1, -1, 0  Forbidden   the csd is queued but no IPI is pending for it: stranded
     *   other      Forbidden   the call missed the store or the info, or ran twice
     * </pre>
     * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
     * 1, 7, 1: 59,496; forbidden: 0.
     * Mutant {@code MO-CSD-1-ipi-before-push} (the IPI sent before the push) is caught here: 3 forbidden samples
     * (runtime-jcstress/mutants, JDK 17, quick); {@code Core} sends no IPI, so it cannot see that weakening.
     */
    @JCStressTest
    @Description("MO-CSD-1/4 through CALL_FUNC: the CPU that takes the IPI runs the call with the caller's stores")
    @Outcome(id = "1, 7, 1", expect = ACCEPTABLE, desc = "cpu/1 took the IPI; the call saw the store and the info")
    @Outcome(id = "-1, -1, 1", expect = ACCEPTABLE, desc = "cpu/1 looked before the IPI; the arbiter's step ran it")
    @Outcome(id = "-1, -1, 0", expect = FORBIDDEN, desc = "queued, but no IPI pending for it: stranded")
    @Outcome(expect = FORBIDDEN, desc = "the call missed the store or the info, or ran twice")
    @State
    public static class CallFuncIpi {
        final Kernel kernel = Bare.kernel(2, true, Cpu.class, Softirqs.class, Irqs.class, Smp.class, GicV3.class);
        final Smp smp = kernel.get(Smp.class);
        final Cpu target = kernel.get(Cpus.class).cpu(1);
        final CpuInterface pe = kernel.get(Gic.class).cpuInterface(1);
        volatile boolean done;
        int x;              // plain on purpose
        int calls;          // written by the call (CPU actor or arbiter), read afterwards on the same thread
        int seenX = -1;
        int seenInfo = -1;
        final CallSingleData csd = new CallSingleData((Integer info) -> {
            calls++;
            seenX = x;
            seenInfo = info;
        });

        @Actor
        public void caller() {
            x = 1;
            csd.setInfo(7);
            if (!smp.callFunctionSingleAsync(1, csd)) {
                throw new AssertionError("an unlocked csd must be accepted");
            }
            done = true;
        }

        @Actor
        public void cpu1(III_Result r) {
            while (!pe.mayBeSignalled() && !done) {
                Thread.onSpinWait();
            }
            target.runPending();
            r.r1 = seenX;
            r.r2 = seenInfo;
        }

        @Arbiter
        public void arbiter(III_Result r) {
            target.runPending();
            r.r3 = calls;
        }
    }
}
