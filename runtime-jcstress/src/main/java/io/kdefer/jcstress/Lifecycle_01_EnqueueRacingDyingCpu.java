/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Mode;
import io.kdefer.cpu.Cpu;
import io.kdefer.irqwork.IrqWork;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * An irq_work item queued on a CPU that is going offline runs exactly once: on the dying CPU (its dying flush took
 * it) or on the CPU that took over (the enqueuer's re-check after its push, or the dead hook, moved it). The claim in
 * {@code Machine}'s and {@code Cpu}'s javadoc (hotplug) and {@code IrqWorkCore}'s implementation notes. No MO- claim:
 * hotplug (B-IW-13).
 *
 * <pre>
 *   enqueuer (bound to cpu/1): w.queue()          hotplug: cpu(1).offline()   (dying flush on cpu/1, then dead hook)
 *   arbiter: run the machine until idle; r1 = runs of w, r2 = the CPU it ran on
 *   Forbids: r1 == 0 (lost on the dead CPU), r1 == 2 (run by both the dying flush and the successor)
 * </pre>
 *
 * <p>The whole real path on a MANUAL machine: IrqWork.queue (claim, push, IWI, online re-check), Cpu.offline (the
 * hotplug state machine, the dying step run on the actor thread as cpu/1, the dead hook's migration).
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -t Lifecycle_01}. Observed (quick mode, 8 JVM
 * configurations, JDK 17.0.15, 2 CPUs, 2026-12-03; each sample boots a machine, hence the small counts):
 * <pre>
 *   RESULT  SAMPLES  EXPECT      DESCRIPTION
 *   1, 1     51,000  Acceptable  ran once, on the dying CPU (its dying flush)
 *   1, 0      2,168  Acceptable  ran once, on cpu/0, which took over
 *   0, *          0  Forbidden   lost: queued on the dead CPU and never run
 * </pre>
 */
@JCStressTest
@Description("An irq_work queued on a CPU going offline runs exactly once, on it or on its successor")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "ran once, on the dying CPU (its dying flush)")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "ran once, on cpu/0, which took over")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "lost: queued on the dead CPU and never run")
@Outcome(expect = FORBIDDEN, desc = "ran twice, or somewhere else")
@State
public class Lifecycle_01_EnqueueRacingDyingCpu {
    final Machine m = Machine.boot(MachineConfig.builder().cpus(2).mode(Mode.MANUAL).name("jcstress").build());
    int runs;                 // written by whichever thread runs the callback; read by the arbiter
    int ranOn = -1;
    final IrqWork w = new IrqWork(m, () -> {
        runs++;
        ranOn = Cpu.current().id();
    });

    @Actor
    public void enqueue() {
        m.bindCurrentThread(1);
        try {
            w.queue();
        } finally {
            m.unbindCurrentThread();
        }
    }

    @Actor
    public void hotplug() {
        m.cpu(1).offline();
    }

    @Arbiter
    public void check(II_Result r) {
        m.runUntilIdle();
        r.r1 = runs;
        r.r2 = ranOn;
        m.close();
    }
}
