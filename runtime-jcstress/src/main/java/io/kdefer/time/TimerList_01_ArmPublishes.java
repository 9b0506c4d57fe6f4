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
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * TimerList arming publishes (in {@link TimerList}'s javadoc): the callback of a timer armed by another thread
 * sees the stores the armer made before {@code mod()}; and an armed timer is either fired by a concurrent expiry
 * or still pending after it. The armer adds the entry under the CPU's base lock; the TIMER softirq takes the same
 * lock to take due timers off the wheel, so the unlock/lock pair orders the store before the callback.
 * No MO- claim of the spec (it has none for timers): TimerList's own.
 *
 * <pre>
 *   armer: x = 1; t.mod(0)                   CPU 0: TIMER softirq (run_timer_softirq); callback r0 = x
 *   arbiter: r1 = t.isPending()
 *   Forbids: r0 == 0 (callback missed the store); r0 == -1 &amp;&amp; r1 == 0 (armed timer lost)
 * </pre>
 * A detached core: time stands at jiffy 0, so mod(0) makes the timer due at the next expiry pass.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t TimerList_01}.
 * <pre>
 *   RESULT  EXPECT      DESCRIPTION
 *   1, 0    Acceptable  the softirq fired it; the callback saw the store
 *   -1, 1   Acceptable  the softirq ran first; the timer is still pending
 *   0, *    Forbidden   the callback missed the armer's store
 *   -1, 0   Forbidden   the armed timer was lost
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 5 JVM configurations): 1, 0: 1,722,965; -1, 1: 1,037,539; forbidden: 0.
 */
@JCStressTest
@Description("TimerList.mod() publishes the armer's stores to the callback; an armed timer is never lost")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "fired; the callback saw the store")
@Outcome(id = "-1, 1", expect = ACCEPTABLE, desc = "the softirq ran first; still pending")
@Outcome(expect = FORBIDDEN, desc = "the callback missed the store, or the armed timer was lost")
@State
public class TimerList_01_ArmPublishes {
    final TimerCore core = Bare.kernel(1, true, Cpu.class, Softirqs.class, TimerList.class).get(TimerCore.class);
    int x;          // plain on purpose
    int seen = -1;
    final TimerList t = new TimerList(core, () -> seen = x);

    @Actor
    public void armer() {
        x = 1;
        t.mod(Duration.ZERO);
    }

    @Actor
    public void cpu(II_Result r) {
        core.runTimers(core.cpus.cpu(0));
        r.r1 = seen;
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r2 = t.isPending() ? 1 : 0;
    }
}
