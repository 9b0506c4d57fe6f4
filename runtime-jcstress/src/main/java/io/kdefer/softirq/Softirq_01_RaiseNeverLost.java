/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.softirq;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Kernel;
import io.kdefer.jcstress.Bare;
import io.kdefer.softirq.internal.SoftirqEngine;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * MO-SIRQ-1 (in {@code io.kdefer.softirq.Softirqs}' javadoc): a raise from a thread that does not execute the CPU
 * is never lost, and the action that runs for it sees the raiser's prior stores. The raise is a volatile
 * getAndBitwiseOr of the CPU's pending word; the drain snapshots and clears the word with one getAndSet, so a bit
 * raised concurrently is either in this drain's snapshot or still in the word for the next one. (That a parked
 * CPU wakes for the raise is Cpu_01_ParkedCpuWakes.)
 *
 * <pre>
 *   (TIMER is pending on CPU 0 before the actors start, so the CPU always drains)
 *   raiser: x = 1; raise(NET_RX) on CPU 0          CPU 0: handle_softirqs (the ksoftirqd phase); NET_RX action r0 = x
 *   arbiter: r1 = NET_RX still pending
 *   Forbids: r0 == -1 &amp;&amp; r1 == 0 (lost raise); r0 == 0 (the action missed the store)
 * </pre>
 * The CPU actor drains a word that is never empty when it starts (TIMER), so the raise of NET_RX can land while the
 * drain takes the word: a drain that read the word and then cleared it in a second step would wipe it out. A bare
 * kernel (Cpu, Softirqs, no platform): the actor calls the drain as the CPU's ksoftirqd phase does.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Softirq_01}.
 * <pre>
 *   RESULT  EXPECT      DESCRIPTION
 *   1, 0    Acceptable  this drain ran the action, which saw the store
 *   -1, 1   Acceptable  the drain came first; the bit stays pending for the next processing point
 *   -1, 0   Forbidden   the raise was lost
 *   0, *    Forbidden   the action missed the raiser's store
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * 1, 0: 4,784,813; -1, 1: 140,893; forbidden: 0.
 */
@JCStressTest
@Description("MO-SIRQ-1: a raise from a foreign thread is never lost and its action sees the raiser's stores")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "this drain ran the action, which saw the store")
@Outcome(id = "-1, 1", expect = ACCEPTABLE, desc = "the drain came first; the bit stays pending")
@Outcome(expect = FORBIDDEN, desc = "the raise was lost, or the action missed the raiser's store")
@State
public class Softirq_01_RaiseNeverLost {
    final Kernel kernel = Bare.kernel(1, false, Cpu.class, Softirqs.class);
    final SoftirqEngine engine = kernel.get(SoftirqEngine.class);
    final Cpu cpu = kernel.get(Cpus.class).cpu(0);
    int x;          // plain on purpose
    int seen = -1;

    public Softirq_01_RaiseNeverLost() {
        engine.open(Softirq.NET_RX, c -> seen = x);
        engine.open(Softirq.TIMER, c -> { });
        engine.raise(cpu, Softirq.TIMER);
    }

    @Actor
    public void raiser() {
        x = 1;
        engine.raise(cpu, Softirq.NET_RX);
    }

    @Actor
    public void cpu(II_Result r) {
        engine.run(cpu, true);                    // handle_softirqs, as the CPU's ksoftirqd phase
        r.r1 = seen;
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r2 = (engine.pending(cpu) >>> Softirq.NET_RX.ordinal()) & 1;
    }
}
