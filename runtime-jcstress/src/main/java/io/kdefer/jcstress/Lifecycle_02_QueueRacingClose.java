/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Mode;
import io.kdefer.irqwork.IrqWork;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZII_Result;

/**
 * A queue() racing {@code Machine.close()}: accepted implies it runs or is counted in the close report, exactly
 * once; refused implies it never runs (the claim in {@code Machine}'s javadoc and {@code Lifecycle}'s Properties).
 * No MO- claim: the close protocol (DESIGN §5).
 *
 * <pre>
 *   application thread: r1 = w.queue()           closer: m.close()   (refuse, drain, stop the CPUs, sweep)
 *   arbiter: r2 = runs of w, r3 = closeReport().leftover("irq_work")
 *   Forbids: r1 &amp;&amp; r2 + r3 != 1 (an accepted item lost, or run and counted); !r1 &amp;&amp; r2 + r3 != 0
 * </pre>
 *
 * <p>The queue() that read the machine as running may publish its item after the CPUs stopped: its re-check after
 * the push finds its CPU stopped (not online), and with no CPU left it pops the list and counts what it took; the
 * close's sweep pops whatever is left. popAll is atomic, so each item is counted by exactly one of them.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -t Lifecycle_02}. Observed (quick mode, 8 JVM
 * configurations, JDK 17.0.15, 2 CPUs, 2026-12-03; each sample boots a machine, hence the small counts):
 * <pre>
 *   RESULT       SAMPLES  EXPECT      DESCRIPTION
 *   true, 1, 0    62,735  Acceptable  accepted before close: ran in the drain
 *   true, 0, 1        11  Acceptable  accepted as the CPUs stopped: counted in the close report
 *   false, 0, 0      980  Acceptable  refused: the machine was closed
 *   true, 0, 0         0  Forbidden   accepted, then lost
 * </pre>
 */
@JCStressTest
@Description("queue() racing close(): accepted means run or counted, exactly once; refused means never run")
@Outcome(id = "true, 1, 0", expect = ACCEPTABLE, desc = "accepted before close: ran in the drain")
@Outcome(id = "true, 0, 1", expect = ACCEPTABLE, desc = "accepted as the CPUs stopped: counted in the close report")
@Outcome(id = "false, 0, 0", expect = ACCEPTABLE, desc = "refused: the machine was closed")
@Outcome(id = "true, 0, 0", expect = FORBIDDEN, desc = "accepted, then lost: neither run nor counted")
@Outcome(expect = FORBIDDEN, desc = "run and counted, run twice, or a refused item ran")
@State
public class Lifecycle_02_QueueRacingClose {
    final Machine m = Machine.boot(MachineConfig.builder().cpus(1).mode(Mode.MANUAL).name("jcstress").build());
    int runs;                 // written by the closer thread (MANUAL: it steps the CPU), read by the arbiter
    final IrqWork w = new IrqWork(m, () -> runs++);

    @Actor
    public void queue(ZII_Result r) {
        r.r1 = w.queue();
    }

    @Actor
    public void close() {
        m.close();
    }

    @Arbiter
    public void check(ZII_Result r) {
        r.r2 = runs;
        r.r3 = (int) m.closeReport().leftover("irq_work");
    }
}
