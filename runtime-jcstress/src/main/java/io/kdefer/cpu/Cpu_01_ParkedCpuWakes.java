/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Kernel;
import io.kdefer.irq.Irqs;
import io.kdefer.irqchip.GicV3;
import io.kdefer.jcstress.Bare;
import io.kdefer.smp.Smp;
import io.kdefer.softirq.Softirqs;
import io.kdefer.softirq.internal.SoftirqEngine;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kdefer.gic.Gic;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * The CPU wake-up protocol (the claim in {@link Cpu}'s javadoc): a CPU that parks while a raiser publishes work
 * always wakes up for it. Two raisers: a softirq raised from a foreign thread (MO-SIRQ-1) and an SGI (the path of
 * every irq_work self-IPI and cross-CPU call). The Softirq variant is the wake-up half of MO-SIRQ-1; the Sgi variant
 * has no MO- id of its own (MO-GIC-1 is the publication half of the same SGI).
 *
 * <pre>
 *   raiser:  publish pending (volatile RMW); r0 = runState; if PARKED: CAS to RUNNING, unpark
 *   CPU:     runState = PARKED; r1 = hasWork(); if !r1: park
 *   Forbids: the CPU parked for good while the work is pending (STALE)
 * </pre>
 *
 * <p>The actor plays the CPU thread with the real {@code Cpu.park()} (the idle strategy's last phase); the
 * signal plays an application thread.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -t Cpu_01}.
 * <pre>
 *   RESULT      EXPECT      DESCRIPTION
 *   TERMINATED  Acceptable  the parked CPU woke and saw the work
 *   STALE       Forbidden   the CPU slept through work raised for it (lost wake-up)
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * Softirq: TERMINATED: 4,694; Sgi: TERMINATED: 2,474; STALE (forbidden): 0 in both.
 */
public class Cpu_01_ParkedCpuWakes {

    @JCStressTest(Mode.Termination)
    @Description("A parked CPU always wakes for a softirq raised from another thread (MO-SIRQ-1)")
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the parked CPU woke and saw the raised softirq")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "the CPU slept through a raised softirq (lost wake-up)")
    @State
    public static class Softirq {
        final Kernel kernel = Bare.kernel(1, false, Cpu.class, Softirqs.class);
        final SoftirqEngine engine = kernel.get(SoftirqEngine.class);
        final Cpu cpu = kernel.get(Cpus.class).cpu(0);

        @Actor
        public void cpu() {
            cpu.thread = Thread.currentThread();
            while (engine.pending(cpu) == 0) {
                cpu.park();
            }
        }

        @Signal
        public void raise() {
            engine.raise(cpu, io.kdefer.softirq.Softirq.NET_RX);
        }
    }

    @JCStressTest(Mode.Termination)
    @Description("A parked CPU always wakes for an SGI sent to it (the IPI path)")
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the parked CPU woke and saw the SGI signalled")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "the CPU slept through an SGI sent to it (lost wake-up)")
    @State
    public static class Sgi {
        // The platform maps SGIs 0-7 as the IPI lines and enables them.
        final Kernel kernel = Bare.kernel(1, false, Cpu.class, Softirqs.class, Irqs.class, Smp.class, GicV3.class);
        final Gic gic = kernel.get(Gic.class);
        final Cpu cpu = kernel.get(Cpus.class).cpu(0);

        @Actor
        public void cpu() {
            cpu.thread = Thread.currentThread();
            while (!gic.cpuInterface(0).isSignalled(Gic.PMR_NONE)) {
                cpu.park();
            }
        }

        @Signal
        public void send() {
            gic.sendSgi(5, 0);
        }
    }
}
