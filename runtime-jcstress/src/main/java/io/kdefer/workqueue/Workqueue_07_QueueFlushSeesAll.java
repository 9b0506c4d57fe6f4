/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.cpu.Cpu;
import io.kdefer.jcstress.Bare;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * MO-WQ-7 (in {@link Workqueue#flush()}'s javadoc, B-WQ-13): {@code wq.flush()} returns only after every item
 * queued before the call has finished, on every pool the queue feeds, and the caller then sees their stores. The
 * flusher takes a colour per pwq under the pool lock and waits (on a condition of that lock) until the colour's
 * in-flight count is zero; the worker decrements it under the same lock after the function returned.
 *
 * <pre>
 *   (proofs' core, 2 CPUs; w1 queued on CPU 1 before the actors start)
 *   flusher: x = 1; wq.queueOn(0, w0); wq.flush(); r1 = y0; r2 = y1
 *   worker:  run pool 0 until w0 ran (the flusher always queues it, so this ends); run pool 1 once
 *            [w0] r0 = x; y0 = 1        [w1] y1 = 1
 *   Forbids: r0 == 0 (MO-WQ-1 through this path), r1 == 0 || r2 == 0 (flush returned before an earlier item
 *            finished, or without its store)
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Workqueue_07}.
 * <pre>
 *   RESULT   EXPECT      DESCRIPTION
 *   1, 1, 1  Acceptable  w0 saw x; flush waited for both items and saw their stores
 *   others   Forbidden   flush returned before an item queued before it finished, or without its store
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-11-23):
 * 1, 1, 1: 1,244,910; forbidden: 0. With the colour wait removed (mutant): 1, 0, 0: 1,675,512; 1, 1, 0: 2,030;
 * 1, 0, 1: 1.
 */
@JCStressTest
@Description("MO-WQ-7: Workqueue.flush() returns after every earlier-queued item finished, with their stores")
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "w0 saw x; flush waited for both items and saw their stores")
@Outcome(expect = FORBIDDEN, desc = "flush returned before an earlier item finished, or without its store")
@State
public class Workqueue_07_QueueFlushSeesAll {
    final Workqueues wqs = Workqueues.forProofs(Bare.kernel(2, Cpu.class));
    final Workqueue wq = wqs.system();
    final Worker worker0 = Worker.detached(wqs.cpuPool(0, false));
    final Worker worker1 = Worker.detached(wqs.cpuPool(1, false));
    int x;              // plain on purpose
    int xSeen = -1;
    int y0;
    int y1;
    volatile boolean w0Ran;
    final Work w0 = new Work(() -> {
        xSeen = x;
        y0 = 1;
        w0Ran = true;
    });
    final Work w1 = new Work(() -> y1 = 1);

    public Workqueue_07_QueueFlushSeesAll() {
        wq.queueOn(1, w1);
    }

    @Actor
    public void flusher(III_Result r) {
        x = 1;
        wq.queueOn(0, w0);
        wq.flush();
        r.r2 = y0;
        r.r3 = y1;
    }

    @Actor
    public void worker(III_Result r) {
        while (!w0Ran) {
            if (!worker0.runOnce()) {
                Thread.onSpinWait();
            }
        }
        r.r1 = xSeen;
        worker1.runOnce();
    }
}
