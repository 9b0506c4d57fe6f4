/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.tasklet;

import io.kdefer.cpu.Cpu;
import io.kdefer.jcstress.Bare;
import io.kdefer.softirq.Softirqs;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * MO-TL-1 (in {@link Tasklet}'s javadoc): a {@code schedule()} that returns {@code true} is followed by a run that
 * sees the caller's prior stores. The scheduler is a foreign thread, so the tasklet travels through CPU 0's
 * lock-free hand-over list: its SCHED claim and the list push are volatile writes, the action's pop-all and its
 * SCHED clear are volatile reads of the same locations.
 *
 * <pre>
 *   scheduler: x = 1; r0 = t.schedule()           CPU 0: tasklet action; callback reads r1 = x
 *   Forbids: r0 == true &amp;&amp; r1 == 0
 * </pre>
 * A detached core (no machine, no CPU threads): the actor plays CPU 0's TASKLET softirq by calling the action.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Tasklet_01}.
 * <pre>
 *   RESULT    EXPECT      DESCRIPTION
 *   true, -1  Acceptable  the action ran before the hand-over: the run is still to come
 *   true, 1   Acceptable  the run saw the store
 *   true, 0   Forbidden   the run missed the scheduler's store
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 5 JVM configurations): true, 1: 5,413,461; true, -1: 16,186,947; forbidden: 0.
 */
@JCStressTest
@Description("MO-TL-1: schedule() == true releases the caller's stores to the run it caused")
@Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "the run saw the store")
@Outcome(id = "true, -1", expect = ACCEPTABLE, desc = "the action ran before the hand-over; the run is still to come")
@Outcome(expect = FORBIDDEN, desc = "the run missed the scheduler's store, or schedule() of an idle tasklet failed")
@State
public class Tasklet_01_ScheduleReleasesStores {
    final TaskletCore core = Bare.kernel(1, Cpu.class, Softirqs.class, Tasklet.class).get(TaskletCore.class);
    int x;          // plain on purpose
    int seen = -1;
    final Tasklet t = new Tasklet(core, () -> seen = x, 0);

    @Actor
    public void scheduler(ZI_Result r) {
        x = 1;
        r.r1 = t.schedule(core.cpu(0), TaskletCore.NORMAL);
    }

    @Actor
    public void cpu(ZI_Result r) {
        core.action(core.cpu(0), TaskletCore.NORMAL);
        r.r2 = seen;
    }
}
