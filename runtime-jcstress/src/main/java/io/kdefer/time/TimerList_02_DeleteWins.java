/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.time;

import io.kdefer.cpu.Cpu;
import io.kdefer.jcstress.Bare;
import io.kdefer.softirq.Softirqs;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * Delete versus expiry (in {@link TimerList}'s javadoc): {@code delete()} of a due timer racing its TIMER softirq
 * has exactly one winner. {@code true} means the timer was still pending (on the wheel, or fired but not yet
 * started) and its callback will not run; {@code false} means the softirq had already taken it to run. Both
 * sides decide under the base lock.
 * No MO- claim of the spec (it has none for timers): TimerList's own.
 *
 * <pre>
 *   (t is armed and due on CPU 0 before the actors start)
 *   D: r0 = t.delete()                        CPU 0: TIMER softirq
 *   arbiter: r1 = callback runs
 *   Forbids: r0 == true &amp;&amp; r1 == 1 (ran after delete won); r0 == false &amp;&amp; r1 == 0 (lost)
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t TimerList_02}.
 * <pre>
 *   RESULT    EXPECT      DESCRIPTION
 *   true, 0   Acceptable  delete() won: the callback did not run
 *   false, 1  Acceptable  the softirq won: it ran, delete() found it no longer pending
 *   true, 1   Forbidden   the callback ran although delete() returned true
 *   false, 0  Forbidden   neither: the timer was lost
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 5 JVM configurations): true, 0: 2,038,848; false, 1: 259,832; forbidden: 0.
 */
@JCStressTest
@Description("TimerList.delete() racing the expiry: delete() == true iff the callback does not run")
@Outcome(id = "true, 0", expect = ACCEPTABLE, desc = "delete() won: the callback did not run")
@Outcome(id = "false, 1", expect = ACCEPTABLE, desc = "the softirq won: it ran; delete() found it not pending")
@Outcome(expect = FORBIDDEN, desc = "ran after delete() returned true, or lost")
@State
public class TimerList_02_DeleteWins {
    final TimerCore core = Bare.kernel(1, true, Cpu.class, Softirqs.class, TimerList.class).get(TimerCore.class);
    int runs;
    final TimerList t = new TimerList(core, () -> runs++);

    public TimerList_02_DeleteWins() {
        t.mod(Duration.ZERO);
    }

    @Actor
    public void deleter(ZI_Result r) {
        r.r1 = t.delete();
    }

    @Actor
    public void cpu() {
        core.runTimers(core.cpus.cpu(0));
    }

    @Arbiter
    public void arbiter(ZI_Result r) {
        r.r2 = runs;
    }
}
