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
import org.openjdk.jcstress.infra.results.I_Result;

/**
 * MO-TL-3, its tasklet_kill half (in {@link Tasklet}'s javadoc): {@code kill()} of a scheduled tasklet returns only
 * after the scheduled run returned, with its stores visible (a scheduled tasklet is run, not dropped). kill's
 * test-and-set of SCHED and its wait read the state word the runner's SCHED and RUN clears wrote (volatile
 * read-modify-writes, acquire reads).
 *
 * <pre>
 *   (t is scheduled on CPU 0 before the actors start)
 *   CPU 0: TASKLET action; callback: y = 1              K: t.kill(); r = y
 *   Forbids: r == 0
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Tasklet_05}.
 * <pre>
 *   RESULT  EXPECT      DESCRIPTION
 *   1       Acceptable  kill() returned after the run and saw its store
 *   0       Forbidden   kill() returned without the run's store (dropped, or not waited for)
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick -sc false}, all 8 JVM configurations): 1: 5,424,756;
 * forbidden: 0.
 */
@JCStressTest
@Description("MO-TL-3 (kill): kill() of a scheduled tasklet returns after its run, and sees the run's stores")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "kill() returned after the run and saw its store")
@Outcome(id = "0", expect = FORBIDDEN, desc = "kill() returned without the run's store")
@State
public class Tasklet_05_KillSeesRun {
    final TaskletCore core = Bare.kernel(1, Cpu.class, Softirqs.class, Tasklet.class).get(TaskletCore.class);
    int y;                      // plain on purpose
    final Tasklet t = new Tasklet(core, () -> y = 1, 0);

    public Tasklet_05_KillSeesRun() {
        t.schedule(core.cpu(0), TaskletCore.NORMAL);
    }

    @Actor
    public void cpu() {
        core.action(core.cpu(0), TaskletCore.NORMAL);
    }

    @Actor
    public void killer(I_Result r) {
        t.kill();
        r.r1 = y;
    }
}
