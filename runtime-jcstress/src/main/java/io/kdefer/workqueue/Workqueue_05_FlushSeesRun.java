/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.cpu.Cpu;
import io.kdefer.jcstress.Bare;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * MO-WQ-5 (in {@link Work#flush()}'s javadoc, B-WQ-11): a {@code flush()} that returns {@code true} has waited for
 * the run and sees its stores; one that returns {@code false} found the item idle, and then every completed run's
 * stores are visible too. The worker records completion ({@code seqDone}, {@code runner = null}) under the pool
 * lock after the function returned; the flusher waits for it on a condition of that lock, or reads
 * {@code runner}/{@code pwq} (volatile) written after the function.
 *
 * <pre>
 *   (w queued on CPU 0's pool before the actors start; the worker actor always runs it, so flush cannot hang)
 *   worker: run CPU 0's pool once; [w] y = 1         flusher: r0 = w.flush(); r1 = y
 *   Forbids: r1 == 0, whatever r0 (true: the wait returned before the run's store; false: an item found idle
 *            whose completed run is not visible)
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Workqueue_05}.
 * <pre>
 *   RESULT    EXPECT                   DESCRIPTION
 *   true, 1   Acceptable               flush found the item queued or running, waited, saw the store
 *   false, 1  Acceptable, interesting  the run had completed; flush found the item idle and saw the store
 *   *, 0      Forbidden                flush returned without the run's store
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-11-23):
 * false, 1: 2,696,112; true, 1: 139,508; forbidden: 0. With the flusher's wait removed (mutant): true, 0: 1,788,685.
 */
@JCStressTest
@Description("MO-WQ-5: Work.flush() returning (true or false) sees the stores of the run it waited for / found done")
@Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "flush waited for the run and saw its store")
@Outcome(id = "false, 1", expect = ACCEPTABLE_INTERESTING, desc = "the run had completed; flush saw its store")
@Outcome(expect = FORBIDDEN, desc = "flush returned without the run's store")
@State
public class Workqueue_05_FlushSeesRun {
    final Workqueues wqs = Workqueues.forProofs(Bare.kernel(1, Cpu.class));
    final Workqueue wq = wqs.system();
    final Worker worker = Worker.detached(wqs.cpuPool(0, false));
    int y;              // plain on purpose
    final Work w = new Work(() -> y = 1);

    public Workqueue_05_FlushSeesRun() {
        wq.queue(w);
    }

    @Actor
    public void worker() {
        worker.runOnce();
    }

    @Actor
    public void flusher(ZI_Result r) {
        r.r1 = w.flush();
        r.r2 = y;
    }
}
