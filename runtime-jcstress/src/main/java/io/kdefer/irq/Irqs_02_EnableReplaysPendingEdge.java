/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.gic.CpuInterface;
import io.kdefer.gic.Gic;
import io.kdefer.internal.Kernel;
import io.kdefer.irqchip.GicV3;
import io.kdefer.jcstress.Bare;
import io.kdefer.smp.Smp;
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
 * MO-FLOW-2 (in {@link Irqs}' javadoc, B-FLOW-3/8/9): an edge that arrives while its line is disabled is recorded
 * (PENDING) and never lost: once {@code enable()} returns, either a handler run that starts after it sees
 * everything the device stored before raising the edge, or the edge is replayed. The flow records PENDING (and
 * masks the lazily disabled line) under the descriptor lock; enable clears DISABLED, unmasks and, if PENDING is set,
 * retriggers the edge at the controller (ISPENDR) under the same lock. Whichever takes the lock first, the other
 * sees it.
 *
 * <pre>
 *   (edge SPI 40 requested on cpu/0, then disabled without waiting: lazily, still unmasked at the GIC)
 *   device: x = 1; irqs.pulse(40); irqs.enable(40); done = true
 *   CPU 0:  wait until signalled (or done); take it (fasteoi flow: disabled -&gt; PENDING, mask, EOI; enabled -&gt;
 *           handler r = x); r0 = runs so far
 *   arbiter: step cpu/0 again (a replayed or still pending edge runs now); r1 = runs; r2 = x as the run saw it
 *   Forbids: r1 == 0 (the edge was lost); r2 == 0 (a run missed the device's store); r1 == 2 (one edge ran twice,
 *            B-FLOW-8: a recorded edge is replayed once)
 * </pre>
 * The real path on a bare kernel with the GICv3 platform and MANUAL CPUs: the device actor drives the line and then
 * enables it through the public API, so the record of the edge on the CPU actor's thread races the enable; the
 * handler's read of x on the CPU actor's thread covers the producer-to-handler half of the claim. The CPU takes the
 * interrupt as soon as its GIC interface signals one, as a real CPU does, so its flow meets the enable as early as
 * the hardware allows.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Irqs_02}.
 * <pre>
 *   RESULT   EXPECT      DESCRIPTION
 *   1, 1, 1  Acceptable  the CPU took the edge after the enable and ran the handler, which saw the store
 *   0, 1, 1  Acceptable  the CPU looked first or recorded the edge while disabled; it ran once, later (replay)
 *   0, 0, -1 Forbidden   the edge was lost: recorded while disabled and never replayed
 *   *, *, 0  Forbidden   a run missed the device's store
 *   *, 2, *  Forbidden   one edge ran twice
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * 1, 1, 1: 58,601; 0, 1, 1: 15; forbidden: 0. The replay outcome is rare (the CPU actor usually takes the edge
 * after the enable), yet both mutants of MO-FLOW-2 in the catalogue land in it and are caught.
 * ({@code MO-FLOW-2-disabled-read-unlocked}: 67 forbidden samples, {@code MO-FLOW-2-enable-no-resend}: 11; JDK 17,
 * quick).
 */
@JCStressTest
@Description("MO-FLOW-2: an edge recorded while disabled is replayed by enable, never lost, and sees the producer")
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "taken after the enable; the handler saw the store")
@Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "looked first, or recorded while disabled: ran once later")
@Outcome(id = "0, 0, -1", expect = FORBIDDEN, desc = "the edge was lost: recorded while disabled, never replayed")
@Outcome(expect = FORBIDDEN, desc = "a run missed the device's store, or one edge ran twice")
@State
public class Irqs_02_EnableReplaysPendingEdge {
    static final int LINE = 40;
    final Kernel kernel = Bare.kernel(1, true, Cpu.class, Softirqs.class, Irqs.class, Smp.class, GicV3.class);
    final Irqs irqs = kernel.get(Irqs.class);
    final Cpu cpu = kernel.get(Cpus.class).cpu(0);
    final CpuInterface pe = kernel.get(Gic.class).cpuInterface(0);
    volatile boolean done;
    int x;          // plain on purpose
    int runs;       // written by the handler (CPU actor or arbiter thread, never both at once)
    int seen = -1;

    public Irqs_02_EnableReplaysPendingEdge() {
        irqs.request(LINE, (irq, dev) -> {
            runs++;
            seen = x;
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "jcstress", null);
        irqs.disableNosync(LINE);
    }

    @Actor
    public void device() {
        x = 1;
        irqs.pulse(LINE);
        irqs.enable(LINE);
        done = true;
    }

    @Actor
    public void cpu(III_Result r) {
        while (!pe.mayBeSignalled() && !done) {
            Thread.onSpinWait();
        }
        cpu.runPending();
        r.r1 = runs;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        cpu.runPending();
        r.r2 = runs;
        r.r3 = seen;
    }
}
