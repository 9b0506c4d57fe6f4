/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * The IRQ thread's wake-up protocol (the "wake-up" line in {@link IrqThread}'s javadoc): a thread that goes to
 * sleep while a hardirq claims a run always wakes up for it, although the claimer unparks only a thread it sees
 * PARKED (one unpark per sleep, none while the thread function runs). No MO- claim of the spec: the protocol's own
 * pairing (spec §11: wake_up_process against set_current_state), which MO-TI-1's run depends on.
 *
 * <pre>
 *   claimer: RUNTHREAD (getAndBitwiseOr); r0 = state; if PARKED: CAS to RUNNING, unpark
 *   thread:  loop { if handleOnce(): done; state = PARKED; r1 = RUNTHREAD?; if !r1: park }
 *   Forbids: the thread parked for good while a run is owed (STALE)
 * </pre>
 * The actor plays the IRQ thread's loop with the real {@code IrqThread.sleep} (the runtime's one wake-up protocol,
 * {@code internal.Parker}); the signal plays the hardirq with the real {@link IrqThread#wake}.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t ThreadedIrq_05}.
 * Observed (2 cores, JDK 17.0.15, {@code -m quick -sc false}, results across all configurations):
 * <pre>
 *       RESULT  SAMPLES     FREQ      EXPECT  DESCRIPTION
 *        STALE        0    0.00%   Forbidden  the thread slept through a claimed run (lost wake-up)
 *   TERMINATED    6,055  100.00%  Acceptable  the sleeping thread woke and ran the claimed run
 * </pre>
 */
@JCStressTest(Mode.Termination)
@Description("A parked IRQ thread always wakes for a run claimed by a hardirq")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the sleeping thread woke and ran the claimed run")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "the thread slept through a claimed run (lost wake-up)")
@State
public class ThreadedIrq_05_ParkedThreadWakes {
    final IrqDesc d = LineOnlyChip.line(false);
    final IrqAction a = LineOnlyChip.action((irq, dev) -> IrqReturn.HANDLED, false);

    public ThreadedIrq_05_ParkedThreadWakes() {
        a.parker = new io.kdefer.internal.Parker();
    }

    @Actor
    public void thread() {
        while (!IrqThread.handleOnce(d, a)) {
            IrqThread.sleep(a);
        }
    }

    @Signal
    public void hardirq() {
        IrqThread.wake(d, a);
    }
}
