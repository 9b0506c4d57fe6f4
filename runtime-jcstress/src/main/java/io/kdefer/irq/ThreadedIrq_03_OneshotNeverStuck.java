/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.gic.Gic;
import io.kdefer.internal.Kernel;
import io.kdefer.irqchip.GicV3;
import io.kdefer.jcstress.Bare;
import io.kdefer.smp.Smp;
import io.kdefer.softirq.Softirqs;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * MO-TI-3 (in {@link IrqThread}'s javadoc): on a ONESHOT line, a hardirq of the line racing with its thread
 * finishing a run never leaves the line masked with nothing owed to unmask it (a dead line), nor unmasked while a
 * woken oneshot thread has not finished (a level device would storm). threads_oneshot is set by the hardirq while
 * it owns INPROGRESS and cleared by the thread under the descriptor lock once INPROGRESS is clear, re-checking
 * RUNTHREAD there ({@link IrqThread#finalizeOneshot}, B-TI-10, spec §13.5). Two variants:
 * <ul>
 *   <li>{@link Core}: the hardirq actor is {@code IrqFlows.handleFasteoi}'s locking skeleton on a descriptor whose
 *       chip has no hardware ({@code LineOnlyChip}), so the hardirq can be in progress at any point of the thread's
 *       finalize, the window of spec §13.5 (in the kernel a shared line, the spurious poller or a hardirq taken
 *       before the mask reaches it). The sharper probe of the INPROGRESS/RUNTHREAD re-checks.</li>
 *   <li>{@link ThroughGic}: the real path on a bare kernel with the GICv3 platform and a MANUAL CPU: the device
 *       pulses SPI 40 and the actor steps cpu/0 (acknowledge, fasteoi flow with its ONESHOT mask at the GIC, the
 *       default primary handler waking the thread, condUnmask, DIR); the thread actor runs the real thread step.
 *       The GIC keeps the masked line from being delivered, so the second hardirq can only come after the thread
 *       unmasked it; what this variant adds is that the line's state at the controller agrees with the descriptor
 *       (masked at the GIC exactly while MASKED is set) after every interleaving of the thread's unmask with the
 *       next edge's delivery.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t ThreadedIrq_03}.
 */
public class ThreadedIrq_03_OneshotNeverStuck {

    /**
     * <pre>
     *   (after a first hardirq: line masked, RUNTHREAD set, threads_oneshot = bit 0)
     *   hardirq: lock; mask; INPROGRESS; unlock;     thread: handleOnce(): consume RUNTHREAD; thread_fn;
     *            wake(); lock; clear INPROGRESS;             finalizeOneshot (waits while INPROGRESS);
     *            condUnmask; unlock                           threads_active--
     *   arbiter: r1 = masked, r2 = RUNTHREAD set, r3 = threads_oneshot != 0
     *   Forbids: every outcome except "1, 1, 1" (masked, a run owed, its bit held) and "0, 0, 0" (unmasked, idle)
     * </pre>
     * The hardirq actor is {@code IrqFlows.handleFasteoi}'s locking skeleton for a ONESHOT line whose only action's
     * primary returns WAKE_THREAD, with the GIC left out (the chip records MASKED only); wake, condUnmask and the
     * thread's step are the runtime's own methods.
     *
     * <p>Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
     * 0, 0, 0: 19,396,415; 1, 1, 1: 859,341; forbidden: 0 (each of the six forbidden outcomes had 0 samples).
     * The test has teeth: with finalizeOneshot's wait for INPROGRESS removed (mutant
     * {@code MO-TI-3-finalize-ignores-inprogress}) the thread unmasks between the hardirq's mask and its wake, and
     * the same run reported, in one JVM configuration, {@code 0, 1, 0} 27 times and {@code 0, 1, 1} 241 times.
     */
    @JCStressTest
    @Description("MO-TI-3: a oneshot line is never left masked with no run owed, nor unmasked while a thread is owed")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "masked; the hardirq woke the thread again: a run is owed")
    @Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "the wake coalesced into the run that finished: unmasked, idle")
    @Outcome(id = "1, 0, 0", expect = FORBIDDEN, desc = "masked forever: no thread owed to unmask it")
    @Outcome(id = "1, 0, 1", expect = FORBIDDEN, desc = "masked forever: a bit left behind by a finished thread")
    @Outcome(id = "1, 1, 0", expect = FORBIDDEN, desc = "a run owed without its oneshot bit")
    @Outcome(id = "0, 1, 1", expect = FORBIDDEN, desc = "unmasked while a woken oneshot thread has not finished")
    @Outcome(id = "0, 1, 0", expect = FORBIDDEN, desc = "unmasked with a run owed")
    @Outcome(id = "0, 0, 1", expect = FORBIDDEN, desc = "unmasked with a bit left behind")
    @State
    public static class Core {
        final IrqDesc d = LineOnlyChip.line(true);
        final IrqAction a = LineOnlyChip.action((irq, dev) -> IrqReturn.HANDLED, true);

        public Core() {
            d.lock.lock();
            try {
                d.mask();
            } finally {
                d.lock.unlock();
            }
            IrqThread.wake(d, a);
        }

        @Actor
        public void hardirq() {
            d.lock.lock();
            try {
                d.mask();          // handle_fasteoi_irq: ONESHOT lines are masked before handling
                d.set(IrqDesc.INPROGRESS);
            } finally {
                d.lock.unlock();
            }
            IrqThread.wake(d, a);                       // the primary handler returned WAKE_THREAD
            d.lock.lock();
            try {
                d.clear(IrqDesc.INPROGRESS);
                IrqThread.condUnmask(d);
            } finally {
                d.lock.unlock();
            }
        }

        @Actor
        public void thread() {
            IrqThread.handleOnce(d, a);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = d.isMasked() ? 1 : 0;
            r.r2 = a.hasFlag(IrqAction.RUNTHREAD) ? 1 : 0;
            r.r3 = d.threadsOneshot != 0 ? 1 : 0;
        }
    }

    /**
     * <pre>
     *   (edge SPI 40 on cpu/0 with one ONESHOT threaded action; a first edge was taken: masked at the GIC, RUNTHREAD
     *    set, threads_oneshot = bit 0)
     *   device + CPU: irqs.pulse(40); step cpu/0; r5 = the second hardirq ran here
     *   thread:       handleOnce(): consume RUNTHREAD; thread_fn; finalizeOneshot (unmask at the GIC); threads_active--
     *   arbiter: step cpu/0 again (the edge, if it waited for the unmask); r1 = MASKED, r2 = RUNTHREAD,
     *            r3 = threads_oneshot != 0, r4 = SPI 40 enabled at the GIC
     *   Forbids: anything but "1, 1, 1, 0, *": the second edge always comes (after the thread's unmask), wakes the
     *            thread again and leaves the line masked, at the GIC too, with the run and its bit owed
     * </pre>
     * The action is linked by hand in place of a requested one: {@code requestThreaded} would start the line's own
     * IRQ thread, and here the actor is the thread. The line itself is set up by a real {@code request}.
     * <pre>
     *   RESULT         EXPECT      DESCRIPTION
     *   1, 1, 1, 0, 1  Acceptable  the thread unmasked first; the CPU actor took the next edge, which re-woke it
     *   1, 1, 1, 0, 0  Acceptable  the edge waited at the masked GIC; the arbiter's step took it after the unmask
     *   other          Forbidden   a dead or storming line, a lost edge, or MASKED disagreeing with the GIC
     * </pre>
     * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
     * 1, 1, 1, 0, 1: 22,350; 1, 1, 1, 0, 0: 37,542; forbidden: 0.
     * Mutant {@code MO-TI-3-gic-mask-noop} (the chip's mask does not reach the GIC) is caught here: 61,886 forbidden
     * samples, every sample (runtime-jcstress/mutants, JDK 17, quick); {@code Core} has no GIC, so it cannot see it.
     */
    @JCStressTest
    @Description("MO-TI-3 through the GIC: the thread's unmask racing the next edge leaves the line consistent")
    @Outcome(id = "1, 1, 1, 0, 1", expect = ACCEPTABLE, desc = "unmasked first; the CPU actor took the next edge")
    @Outcome(id = "1, 1, 1, 0, 0", expect = ACCEPTABLE, desc = "the edge waited at the masked GIC; taken later")
    @Outcome(expect = FORBIDDEN, desc = "a dead or storming line, a lost edge, or MASKED disagreeing with the GIC")
    @State
    public static class ThroughGic {
        static final int LINE = 40;
        final Kernel kernel = Bare.kernel(1, true, Cpu.class, Softirqs.class, Irqs.class, Smp.class, GicV3.class);
        final Irqs irqs = kernel.get(Irqs.class);
        final Gic gic = kernel.get(Gic.class);
        final Cpu cpu = kernel.get(Cpus.class).cpu(0);
        final IrqDesc d = irqs.desc(LINE);
        final IrqAction a = LineOnlyChip.action((irq, dev) -> IrqReturn.HANDLED, true);

        public ThroughGic() {
            irqs.request(LINE, (irq, dev) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING, "jcstress", null);
            d.requestLock.lock();
            d.lock.lock();
            try {
                d.set(IrqDesc.ONESHOT);             // what requestThreaded(..., ONESHOT) leaves, minus the thread
                d.actions = new IrqAction[] {a};
            } finally {
                d.lock.unlock();
                d.requestLock.unlock();
            }
            irqs.pulse(LINE);
            cpu.runPending();                       // the first hardirq: masked, the thread woken (outcomes check it)
        }

        @Actor
        public void hardirq(IIIII_Result r) {
            irqs.pulse(LINE);
            cpu.runPending();
            r.r5 = (int) d.count(0) - 1;
        }

        @Actor
        public void thread() {
            IrqThread.handleOnce(d, a);
        }

        @Arbiter
        public void arbiter(IIIII_Result r) {
            cpu.runPending();
            r.r1 = d.isMasked() ? 1 : 0;
            r.r2 = a.hasFlag(IrqAction.RUNTHREAD) ? 1 : 0;
            r.r3 = d.threadsOneshot != 0 ? 1 : 0;
            r.r4 = gic.isEnabled(LINE) ? 1 : 0;
        }
    }
}
