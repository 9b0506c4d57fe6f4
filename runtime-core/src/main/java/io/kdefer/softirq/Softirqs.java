/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.softirq;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Access;
import io.kdefer.internal.Config;
import io.kdefer.internal.Kernel;
import io.kdefer.softirq.internal.SoftirqEngine;

import java.util.Objects;

/**
 * Softirqs (kernel: open_softirq / raise_softirq): per-CPU pending words drained at irq exit, at the outermost
 * {@code localBhEnable}, and in each CPU's ksoftirqd phase.
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Raising is always local: a softirq runs on the CPU where it was raised (the caller's CPU, or its home
 *       CPU for an unbound application thread) (B-SIRQ-2).</li>
 *   <li>Never nested on a CPU: actions never run while that CPU is in interrupt context; the same vector may run
 *       concurrently on different CPUs, so actions must be reentrant across CPUs (B-SIRQ-4).</li>
 *   <li>A drain runs at most 10 passes and 2 ms (configurable: {@code MachineConfig}); a vector raised during a
 *       pass runs in a later pass; what is left runs in the ksoftirqd phase, after any pending hardirq
 *       (B-SIRQ-5..7).</li>
 *   <li>Actions run with interrupts enabled: hardirqs are taken between actions, and their irq exit does not
 *       re-enter softirqs (B-SIRQ-8).</li>
 *   <li>On a closed machine {@link #open} throws IllegalStateException, and so do {@link #raise} and
 *       {@link #raiseOn} called from outside the machine; raises from its own contexts (an interrupt handler that
 *       the drain runs) go on until the CPUs stop. Vectors pending at close run before the CPUs stop.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   application thread: x = 1; raise(NET_RX)        CPU: NET_RX action reads x
 *   Forbids: the raise returning while neither a later drain runs the vector nor the bit stays pending
 *   (raise is a volatile read-modify-write of the pending word, then a wake-up of the parked CPU;
 *   the drain's getAndSet reads it, so the action also sees x == 1)        (Softirq_01_RaiseNeverLost, MO-SIRQ-1)
 * </pre>
 */
public final class Softirqs {
    static {
        Access.register(Softirqs.class, Softirqs::install);
    }

    private final Cpus cpus;              // I
    private final SoftirqEngine engine;   // I

    /** The softirq subsystem's installer ({@code Access}): the engine, hooked into the CPUs, and this facade. */
    private static void install(Kernel k) {
        Cpus cpus = k.get(Cpus.class);
        Config c = k.config();
        SoftirqEngine engine = new SoftirqEngine(cpus, c.softirqMaxRestart(), c.softirqMaxNanos());
        k.put(SoftirqEngine.class, engine);
        k.put(Softirqs.class, new Softirqs(cpus, engine));
    }

    private Softirqs(Cpus cpus, SoftirqEngine engine) {
        this.cpus = cpus;
        this.engine = engine;
    }

    /**
     * open_softirq: installs the action of {@code vector}. HI, TIMER and TASKLET belong to the runtime (tasklets
     * and timers) and are refused, as is opening a vector twice.
     *
     * @throws IllegalStateException if the vector already has an action, or on a closed machine
     */
    public void open(Softirq vector, Runnable action) {
        Objects.requireNonNull(vector, "vector");
        Objects.requireNonNull(action, "action");
        if (vector == Softirq.HI || vector == Softirq.TIMER || vector == Softirq.TASKLET) {
            throw new IllegalArgumentException("softirq " + vector + " belongs to the runtime ("
                    + (vector == Softirq.TIMER ? "timers" : "tasklets") + "); open another vector");
        }
        cpus.lifecycle().checkOpen("open_softirq");
        if (!engine.open(vector, new UserAction(action))) {
            throw new IllegalStateException("softirq " + vector + " already has an action");
        }
    }

    /** An application's action: it does not need the CPU it runs on (Cpu.current() names it). */
    private static final class UserAction implements SoftirqEngine.Action {
        private final Runnable action;

        UserAction(Runnable action) {
            this.action = action;
        }

        @Override
        public void run(Cpu cpu) {
            action.run();
        }

        @Override
        public String toString() {
            return action.toString();
        }
    }

    /**
     * raise_softirq on this CPU (the home CPU for an unbound thread). Lock-free and allocation-free: one volatile
     * read-modify-write, plus one unpark if that CPU is parked.
     *
     * @throws IllegalStateException from outside the machine once it is closed
     */
    public void raise(Softirq vector) {
        Objects.requireNonNull(vector, "vector");
        if (cpus.refusesNewWork()) {
            throw cpus.lifecycle().closedException("raise_softirq");
        }
        engine.raise(cpus.thisCpu(), vector);
    }

    /**
     * Raises {@code vector} on {@code cpu} (for the runtime's own subsystems and tests; not a kernel API).
     *
     * @throws IllegalStateException from outside the machine once it is closed
     */
    public void raiseOn(int cpu, Softirq vector) {
        Objects.requireNonNull(vector, "vector");
        Cpu c = cpus.cpu(cpu);
        if (cpus.refusesNewWork()) {
            throw cpus.lifecycle().closedException("raise_softirq");
        }
        engine.raise(c, vector);
    }

    /** A snapshot of {@code cpu}'s pending word: bit {@code v.bit()} per vector. */
    public int pending(int cpu) {
        return engine.pending(cpus.cpu(cpu));
    }

    /** Times {@code vector}'s action ran on {@code cpu} (the /proc/softirqs count). */
    public long count(int cpu, Softirq vector) {
        return engine.runs(cpus.cpu(cpu), vector);
    }

    /** Drains on {@code cpu} that ran out of budget and left work to its ksoftirqd phase. */
    public long deferrals(int cpu) {
        return engine.deferrals(cpus.cpu(cpu));
    }

    /** ksoftirqd phases {@code cpu} ran (the drains that waited for a pass of the CPU loop with no hardirq). */
    public long ksoftirqdRuns(int cpu) {
        return engine.ksoftirqdRuns(cpus.cpu(cpu));
    }

    /** Times an action of {@code vector} threw (contained; the CPU kept running). */
    public long failures(Softirq vector) {
        return engine.failures(vector);
    }

    /** The CPU a {@link #raise} from the calling thread lands on. */
    public Cpu thisCpu() {
        return cpus.thisCpu();
    }
}
