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
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * MO-TL-3 (in {@link Tasklet}'s javadoc): {@code disable()} returns only after a running callback has returned,
 * with its stores visible, and no callback starts between {@code disable()} returning and {@code enable()}.
 * disable() increments the count and then reads RUN; the runner sets RUN (trylock) and then reads the count; all
 * volatile, so one of them sees the other: the runner does not call the callback, or disable() waits for RUN.
 *
 * <pre>
 *   (t is scheduled on CPU 0 before the actors start)
 *   CPU 0: action; callback: r2 = done (late start?); y = 1        D: t.disable(); r0 = y; done = 1
 *   arbiter: r1 = y
 *   Forbids: r0 == 0 &amp;&amp; r1 == 1 (the callback ran, yet disable() returned without seeing it)
 *   Forbids: r2 == 1 (a callback started after disable() returned)
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Tasklet_03}.
 * <pre>
 *   RESULT   EXPECT      DESCRIPTION
 *   1, 1, 0  Acceptable  the callback ran first; disable() waited for it and saw its store
 *   0, 0, 0  Acceptable  disable() came first: the callback did not run (the tasklet stays scheduled)
 *   0, 1, *  Forbidden   the callback ran but disable() returned without seeing it
 *   *, *, 1  Forbidden   a callback started after disable() returned
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 5 JVM configurations): 1, 1, 0: 2,047,162; 0, 0, 0: 19,174,366; forbidden: 0.
 */
@JCStressTest
@Description("MO-TL-3: disable() waits for a running callback; no callback starts after disable() returned")
@Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "the callback ran first; disable() waited and saw its store")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "disable() came first: the callback did not run")
@Outcome(expect = FORBIDDEN, desc = "disable() returned while the callback ran or before its store, or a late start")
@State
public class Tasklet_03_DisableWaitsForRun {
    final TaskletCore core = Bare.kernel(1, Cpu.class, Softirqs.class, Tasklet.class).get(TaskletCore.class);
    int y;                      // plain on purpose
    volatile int done;
    int lateStart;
    final Tasklet t = new Tasklet(core, () -> {
        lateStart = done;
        y = 1;
    }, 0);

    public Tasklet_03_DisableWaitsForRun() {
        t.schedule(core.cpu(0), TaskletCore.NORMAL);
    }

    @Actor
    public void cpu() {
        core.action(core.cpu(0), TaskletCore.NORMAL);
    }

    @Actor
    public void disabler(III_Result r) {
        t.disable();
        r.r1 = y;
        done = 1;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r2 = y;
        r.r3 = lateStart;
    }
}
