/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZI_Result;

/**
 * The claim in {@link Completion}'s javadoc (Memory ordering) for the timed, uninterruptible variant
 * ({@code awaitTimeout}, kernel: wait_for_completion_timeout), which shares its consume step with every other
 * variant: a wait that returns {@code true} sees the completer's stores made before {@code complete()}. Two
 * variants: a zero timeout (never blocks: the consume races the completion) and a long one (blocks and is woken).
 * No MO- claim of the spec (it has none for the sleeping primitives; spec §11 maps the kernel's to Java): Completion's
 * own claim.
 *
 * <pre>
 *   completer: x = 1; c.complete();        waiter: r1 = c.awaitTimeout(d); r2 = x;
 *   Forbids: r1 == true &amp;&amp; r2 == 0;  with the long timeout also r1 == false (the completion was lost)
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -sc false -t Completion_01}.
 * <pre>
 *   RESULT    EXPECT                   DESCRIPTION
 *   true, 1   Acceptable               completed: saw the completer's store
 *   false, *  Acceptable, interesting  zero timeout only: the completion was not there yet
 *   true, 0   Forbidden                passed without the completer's store
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick -sc false}, all 8 JVM configurations, 2026-12-03):
 * NoWait: true, 1: 31,567,438; false, 0: 864,599; false, 1: 678,131; forbidden: 0.
 * Blocking: true, 1: 31,717,528; forbidden: 0.
 */
public class Completion_01_TimedAwaitSeesCompleter {

    @JCStressTest
    @Description("Completion.awaitTimeout(ZERO) that returns true sees the completer's stores")
    @Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "completed: saw the completer's store")
    @Outcome(id = {"false, 0", "false, 1"}, expect = ACCEPTABLE_INTERESTING, desc = "not completed yet")
    @Outcome(expect = FORBIDDEN, desc = "passed without the completer's store")
    @State
    public static class NoWait {
        final Completion c = new Completion();
        int x;          // plain on purpose

        @Actor
        public void completer() {
            x = 1;
            c.complete();
        }

        @Actor
        public void waiter(ZI_Result r) {
            r.r1 = c.awaitTimeout(Duration.ZERO);
            r.r2 = x;
        }
    }

    @JCStressTest
    @Description("Completion.awaitTimeout(long) always completes and then sees the completer's stores")
    @Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "completed: saw the completer's store")
    @Outcome(expect = FORBIDDEN, desc = "timed out although completed, or passed without the completer's store")
    @State
    public static class Blocking {
        final Completion c = new Completion();
        int x;          // plain on purpose

        @Actor
        public void completer() {
            x = 1;
            c.complete();
        }

        @Actor
        public void waiter(ZI_Result r) {
            r.r1 = c.awaitTimeout(Duration.ofSeconds(60));
            r.r2 = x;
        }
    }
}
