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
 * MO-TL-2, the store-buffering claim (in {@link Tasklet}'s javadoc): a {@code schedule()} that returns
 * {@code false} because the tasklet is already scheduled is still followed by a run that sees the caller's prior
 * stores. The scheduler's claim is an unconditional {@code getAndBitwiseOr(SCHED)} and the runner clears SCHED
 * with {@code getAndBitwiseAnd(~SCHED)} before the callback: two volatile read-modify-writes of one word, so one
 * sees the other. A claim written as a compare-and-set loop that returns on "already scheduled" publishes nothing
 * when it fails and makes {@code false, 0} observable (spec §13.1).
 *
 * <pre>
 *   (t is scheduled on CPU 0 before the actors start)
 *   scheduler: x = 1; r0 = t.schedule()     CPU 0: action: trylock RUN, clear SCHED; callback reads r1 = x
 *   Forbids: r0 == false &amp;&amp; r1 == 0
 * </pre>
 * With {@code r0 == true} the runner had already cleared SCHED and the scheduler scheduled it again: that later run
 * (not executed here) is the one that must see x, so {@code true, 0} is acceptable.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Tasklet_02}.
 * <pre>
 *   RESULT    EXPECT      DESCRIPTION
 *   false, 1  Acceptable  coalesced: the pending run saw the store
 *   true, 0   Acceptable  the run started first; schedule() made the tasklet pending again
 *   true, 1   Acceptable  the run had started and saw the store anyway
 *   false, 0  Forbidden   coalesced, yet the pending run missed the store (lost event)
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 5 JVM configurations): false, 1: 30,183,271; true, 0: 306,564; true, 1: 29,613; forbidden: 0.
 */
@JCStressTest
@Description("MO-TL-2: schedule() == false (already scheduled) still publishes prior stores to the pending run")
@Outcome(id = "false, 1", expect = ACCEPTABLE, desc = "coalesced: the pending run saw the store")
@Outcome(id = "true, 0", expect = ACCEPTABLE, desc = "the run started first; schedule() made it pending again")
@Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "the run had started and saw the store anyway")
@Outcome(id = "false, 0", expect = FORBIDDEN, desc = "coalesced, yet the pending run missed the store (lost event)")
@State
public class Tasklet_02_CoalescedStillVisible {
    final TaskletCore core = Bare.kernel(1, Cpu.class, Softirqs.class, Tasklet.class).get(TaskletCore.class);
    int x;          // plain on purpose
    int seen = -1;
    final Tasklet t = new Tasklet(core, () -> seen = x, 0);

    public Tasklet_02_CoalescedStillVisible() {
        t.schedule(core.cpu(0), TaskletCore.NORMAL);
    }

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
