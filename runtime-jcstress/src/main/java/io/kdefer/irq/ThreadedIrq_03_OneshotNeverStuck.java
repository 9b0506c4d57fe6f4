/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * MO-TI-3 (in {@link IrqThread}'s javadoc): on a ONESHOT line, a hardirq of the line racing with its thread
 * finishing a run never leaves the line masked with nothing owed to unmask it (a dead line), nor unmasked while a
 * woken oneshot thread has not finished (a level device would storm). threads_oneshot is set by the hardirq while
 * it owns INPROGRESS and cleared by the thread under the descriptor lock once INPROGRESS is clear, re-checking
 * RUNTHREAD there ({@link IrqThread#finalizeOneshot}, B-TI-10, spec §13.5).
 *
 * <pre>
 *   (after a first hardirq: line masked, RUNTHREAD set, threads_oneshot = bit 0)
 *   hardirq: lock; mask; INPROGRESS; unlock;     thread: handleOnce(): consume RUNTHREAD; thread_fn;
 *            wake(); lock; clear INPROGRESS;             finalizeOneshot (waits while INPROGRESS);
 *            condUnmask; unlock                           threads_active--
 *   arbiter: r1 = masked, r2 = RUNTHREAD set, r3 = threads_oneshot != 0
 *   Forbids: every outcome except "1, 1, 1" (masked, a run owed, its bit held) and "0, 0, 0" (unmasked, idle)
 * </pre>
 * The hardirq actor is {@code Irqs.handleFasteoi}'s locking skeleton for a ONESHOT line whose only action's primary
 * returns WAKE_THREAD, with the GIC left out (the chip records MASKED only); wake, condUnmask and the thread's
 * step are the runtime's own methods.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t ThreadedIrq_03}.
 * Observed (2 cores, JDK 17.0.15, {@code -m quick -sc false}, results across all configurations; each of the six
 * forbidden outcomes had 0 samples):
 * <pre>
 *    RESULT    SAMPLES     FREQ      EXPECT  DESCRIPTION
 *   0, 0, 0  8,301,377   93.30%  Acceptable  the wake coalesced into the run that finished: unmasked, idle
 *   1, 1, 1    596,171    6.70%  Acceptable  masked; the hardirq woke the thread again: a run is owed
 * </pre>
 * The test has teeth: with finalizeOneshot's wait for INPROGRESS removed (a deliberately broken build, not
 * committed) the thread unmasks between the hardirq's mask and its wake, and the same run reported, in one JVM
 * configuration, {@code 0, 1, 0} 27 times and {@code 0, 1, 1} 241 times (FAILED).
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
public class ThreadedIrq_03_OneshotNeverStuck {
    final IrqDesc d = LineOnlyChip.line(true);
    final IrqAction a = LineOnlyChip.action((irq, dev) -> IrqReturn.HANDLED, true);

    public ThreadedIrq_03_OneshotNeverStuck() {
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
