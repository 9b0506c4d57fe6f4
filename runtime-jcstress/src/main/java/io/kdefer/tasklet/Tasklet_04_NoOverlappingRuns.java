/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.tasklet;

import io.kdefer.cpu.Cpu;
import io.kdefer.jcstress.Bare;
import io.kdefer.softirq.Softirqs;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * MO-TL-4, self-exclusion (in {@link Tasklet}'s javadoc): a tasklet never runs on two CPUs at once, also when it
 * is scheduled on a second CPU while it runs on the first. The callback does a plain read-increment-write of a
 * counter and an atomic increment of a run count: overlapping runs would lose a plain update. The RUN bit
 * (trylock with getAndBitwiseOr, unlock with getAndBitwiseAnd) makes the later CPU requeue the tasklet instead.
 *
 * <pre>
 *   (t is scheduled on CPU 0 before the actors start)
 *   CPU 0: action                 CPU 1: t.schedule() on CPU 1; action
 *   arbiter: run both actions again (a requeued tasklet runs now); r0 = counter; r1 = runs; r2 = CPU 1 requeued it
 *   Forbids: r0 != r1 (lost update: two runs overlapped)
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Tasklet_04}.
 * <pre>
 *   RESULT   EXPECT                  DESCRIPTION
 *   1, 1, 0  Acceptable              CPU 1's schedule coalesced with the pending run: one run
 *   2, 2, 0  Acceptable              two runs, one after the other
 *   2, 2, 1  Acceptable, interesting CPU 1 found RUN held, requeued, and ran it later
 *   1, 2, *  Forbidden               two runs overlapped: a lost update
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 5 JVM configurations): 1, 1, 0: 9,526,810; 2, 2, 0: 2,369,706; 2, 2, 1: 2,668; forbidden: 0.
 */
@JCStressTest
@Description("MO-TL-4: no overlapping runs of one tasklet on two CPUs (lost-update detector)")
@Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "CPU 1's schedule coalesced with the pending run: one run")
@Outcome(id = "2, 2, 0", expect = ACCEPTABLE, desc = "two runs, one after the other")
@Outcome(id = "2, 2, 1", expect = ACCEPTABLE_INTERESTING, desc = "CPU 1 found RUN held, requeued, ran it later")
@Outcome(expect = FORBIDDEN, desc = "overlapping runs (lost update) or a lost run")
@State
public class Tasklet_04_NoOverlappingRuns {
    final TaskletCore core = Bare.kernel(2, Cpu.class, Softirqs.class, Tasklet.class).get(TaskletCore.class);
    int counter;                                   // plain on purpose
    final AtomicInteger runs = new AtomicInteger();
    final Tasklet t = new Tasklet(core, () -> {
        int c = counter;
        runs.incrementAndGet();
        counter = c + 1;
    }, 0);

    public Tasklet_04_NoOverlappingRuns() {
        t.schedule(core.cpu(0), TaskletCore.NORMAL);
    }

    @Actor
    public void cpu0() {
        core.action(core.cpu(0), TaskletCore.NORMAL);
    }

    @Actor
    public void cpu1() {
        t.schedule(core.cpu(1), TaskletCore.NORMAL);
        core.action(core.cpu(1), TaskletCore.NORMAL);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        long requeues = core.requeues();
        core.action(core.cpu(0), TaskletCore.NORMAL);
        core.action(core.cpu(1), TaskletCore.NORMAL);
        r.r1 = counter;
        r.r2 = runs.get();
        r.r3 = requeues > 0 ? 1 : 0;
    }
}
