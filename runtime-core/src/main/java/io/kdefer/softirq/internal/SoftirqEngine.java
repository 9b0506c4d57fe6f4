/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.softirq.internal;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Latency;
import io.kdefer.internal.Tracepoints;
import io.kdefer.softirq.Softirq;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The softirq subsystem (kernel: kernel/softirq.c): one pending word per CPU, the vector table, and the drain with its
 * budget and its ksoftirqd hand-off. The CPU calls it through its one softirq hook ({@link Cpus.SoftirqEntry}) at irq
 * exit, at the outermost {@code localBhEnable} and in its ksoftirqd phase; tasklets, timers and applications raise
 * through {@link #raise}.
 *
 * <h2>The drain (B-SIRQ-5..9)</h2>
 * <pre>
 *   enter serving (+SOFTIRQ_OFFSET)
 *   loop:  pending = take the word (one getAndSet)
 *          IRQs on; every vector of pending in bit order (a hardirq checkpoint after each); IRQs off
 *          nothing raised meanwhile -&gt; done
 *          10 passes or 2 ms used -&gt; leave the rest to the ksoftirqd phase ("squeeze")
 *   leave serving
 * </pre>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   application thread: x = 1; raise(NET_RX)        CPU: NET_RX action reads x
 *   Forbids: the raise returning while neither a later drain runs the vector nor the bit stays pending
 *   (raise is a volatile read-modify-write of the pending word, then a wake-up of the parked CPU; the drain's
 *   getAndSet reads it, so the action also sees x == 1)        (Softirq_01_RaiseNeverLost, MO-SIRQ-1)
 * </pre>
 */
public final class SoftirqEngine implements Cpus.SoftirqEntry {
    /* Implementation notes
     *
     * Pending word. The kernel's word is CPU-local with IRQs off. Ours is raised from other threads too (application
     * threads raise on their home CPU), so it is atomic: raise is getAndBitwiseOr, the drain takes it with one
     * getAndSet (a separate read then clear could drop a bit raised in between). A raise that finds the word empty
     * wakes the CPU (one volatile read of its run state when it is running: the CPU itself, raising from an action,
     * never parks meanwhile).
     *
     * The pending words are one int array, each CPU's word 64 bytes from the next (PENDING_STRIDE): raisers on
     * different CPUs write different cache lines, and a raise is one array element RMW with no per-CPU object to
     * load first (the raise path is the hot one: SoftirqBench.raisePending). Each CPU's counters live in their own
     * object, written only by that CPU.
     *
     * Tracepoints and latency (io.kdefer.internal.Tracepoints, Latency): raise emits kdefer.SoftirqRaise (off by
     * default) after its read-modify-write; a drain wraps each action in kdefer.Softirq. With latency recording on, the
     * raise that sets a vector's bit (0 -> 1) stamps raisedAt[cpu][vector] with an opaque store after its RMW, and the
     * action's start reads and clears it. raisedAt is racy by design (R): a drain that took the word before the
     * raiser's stamp landed records no queue value for that run (or, if an older stamp was left by such a race, a
     * larger one); the duration is always recorded. No stamp is taken while recording is off.
     */
    public static final int NR_SOFTIRQS = Softirq.values().length;
    private static final Softirq[] VECTORS = Softirq.values();
    private static final System.Logger LOG = System.getLogger("io.kdefer.softirq");

    /** A vector's action; receives the CPU it runs on. */
    public interface Action {
        void run(Cpu cpu);
    }

    /** One CPU's softirq counters. */
    static final class PerCpu {
        final long[] runs = new long[NR_SOFTIRQS];          // O(the CPU): readers use getOpaque
        long deferrals;                                     // O(the CPU)
        long ksoftirqdRuns;                                 // O(the CPU)
        boolean noActionReported;                           // C
        int items = -1;                                     // C: what the running action reported (noteItems)
    }

    /** ints between two CPUs' pending words: 64 bytes, a cache line. */
    private static final int PENDING_STRIDE = 16;
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final Cpus cpus;                                         // I
    private final Faults faults;                                     // I
    private final Latency latency;                                   // I
    private final String machine;                                    // I: for the events
    private final long[] raisedAt;                                   // R (elements): see implementation notes
    private final int maxRestart;                                    // I
    private final long maxNanos;                                     // I
    private final int[] pending;                                     // A (elements): CPU n's word at n * STRIDE
    private final PerCpu[] perCpu;                                   // I
    private final AtomicReferenceArray<Action> actions = new AtomicReferenceArray<>(NR_SOFTIRQS);
    private final AtomicLongArray failures = new AtomicLongArray(NR_SOFTIRQS);
    private static final String[] LABELS = new String[NR_SOFTIRQS];

    static {
        for (Softirq v : VECTORS) {
            LABELS[v.ordinal()] = "softirq " + v + " action";
        }
    }

    /**
     * @param maxRestart passes per drain (kernel: 10)
     * @param maxNanos   time budget per drain (kernel: 2 ms)
     */
    public SoftirqEngine(Cpus cpus, int maxRestart, long maxNanos) {
        if (maxRestart < 1) {
            throw new IllegalArgumentException("softirqMaxRestart must be >= 1: " + maxRestart);
        }
        if (maxNanos <= 0) {
            throw new IllegalArgumentException("softirqMaxNanos must be > 0: " + maxNanos);
        }
        this.cpus = Objects.requireNonNull(cpus, "cpus");
        this.faults = cpus.faults();
        this.latency = cpus.latency();
        this.machine = cpus.lifecycle().owner();
        this.raisedAt = new long[cpus.count() * NR_SOFTIRQS];
        this.maxRestart = maxRestart;
        this.maxNanos = maxNanos;
        this.pending = new int[cpus.count() * PENDING_STRIDE];
        this.perCpu = new PerCpu[cpus.count()];
        for (int i = 0; i < perCpu.length; i++) {
            perCpu[i] = new PerCpu();
        }
        cpus.setSoftirqEntry(this);
    }

    // ---------------------------------------------------------------------------------------------- vectors

    /** open_softirq (B-SIRQ-1): installs {@code action}; false if the vector already has one. */
    public boolean open(Softirq vector, Action action) {
        return actions.compareAndSet(vector.ordinal(), null, Objects.requireNonNull(action, "action"));
    }

    public boolean isOpen(Softirq vector) {
        return actions.get(vector.ordinal()) != null;
    }

    /**
     * raise_softirq on {@code cpu}: sets the pending bit (a volatile read-modify-write) and wakes the CPU if it is
     * parked (MO-SIRQ-1). Lock-free, allocation-free.
     */
    public void raise(Cpu cpu, Softirq vector) {
        int bit = 1 << vector.ordinal();
        int old = (int) INTS.getAndBitwiseOr(pending, cpu.id() * PENDING_STRIDE, bit);
        if ((old & bit) == 0 && latency.isEnabled()) {
            LONGS.setOpaque(raisedAt, cpu.id() * NR_SOFTIRQS + vector.ordinal(), System.nanoTime());
        }
        if (old == 0) {
            cpus.kick(cpu);
        }
        Tracepoints.softirqRaise(machine, cpu.id(), vector.ordinal(), (old & bit) != 0);   // softirq_raise
    }

    /**
     * Called by a runtime action (tasklets, timers) before it returns: how many items it ran, for the
     * {@code kdefer.Softirq} event's {@code items} field. Executing CPU only.
     */
    public void noteItems(Cpu cpu, int items) {
        perCpu[cpu.id()].items = items;
    }

    // ---------------------------------------------------------------------------------------------- the CPU's hook

    @Override
    public int pending(Cpu cpu) {
        return (int) INTS.getVolatile(pending, cpu.id() * PENDING_STRIDE);
    }

    @Override
    public void run(Cpu cpu, boolean ksoftirqd) {
        PerCpu s = perCpu[cpu.id()];
        if (ksoftirqd) {
            s.ksoftirqdRuns++;
        }
        boolean savedIrqs = cpus.enterServingSoftirq(cpu);
        long end = cpus.clockNanos() + maxNanos;
        int restart = maxRestart;
        try {
            int word = cpu.id() * PENDING_STRIDE;
            int taken;
            while ((taken = (int) INTS.getAndSet(pending, word, 0)) != 0) {
                cpus.setIrqsDisabled(cpu, false);
                runVectors(cpu, s, taken, ksoftirqd);
                cpus.setIrqsDisabled(cpu, true);
                if ((int) INTS.getVolatile(pending, word) == 0) {
                    break;
                }
                boolean restarts = --restart <= 0;
                if (restarts || cpus.clockNanos() - end >= 0) {
                    s.deferrals++;                       // the rest runs in the ksoftirqd phase (B-SIRQ-5, "squeeze")
                    if (Tracepoints.on(Tracepoints.KSOFTIRQD)) {
                        Tracepoints.ksoftirqd(machine, cpu.id(), (int) INTS.getVolatile(pending, word),
                                restarts ? Tracepoints.RESTARTS : Tracepoints.TIME);   // wakeup_softirqd
                    }
                    break;
                }
            }
        } finally {
            cpus.exitServingSoftirq(cpu, savedIrqs);
        }
    }

    private void runVectors(Cpu cpu, PerCpu s, int pending, boolean ksoftirqd) {
        for (int bits = pending; bits != 0; bits &= bits - 1) {
            int nr = Integer.numberOfTrailingZeros(bits);
            Action action = actions.get(nr);
            LONGS.setOpaque(s.runs, nr, s.runs[nr] + 1);
            int before = cpus.preemptCount(cpu);
            if (action != null) {
                runAction(cpu, s, nr, action, ksoftirqd);
            } else if (!s.noActionReported) {
                s.noActionReported = true;
                LOG.log(Level.WARNING, cpu + ": softirq " + VECTORS[nr] + " raised with no action opened (reported "
                        + "once per CPU)");
            }
            if (cpus.preemptCount(cpu) != before || cpus.irqsDisabled(cpu)) {
                cpus.restorePreemptCount(cpu, before, VECTORS[nr].name());   // B-SIRQ-9
            }
            cpus.checkpoint(cpu);                        // hardirqs between actions (B-SIRQ-8)
        }
    }

    /**
     * One vector's action, contained, between its tracepoints and latency stamps. A method of its own so that
     * runVectors stays under the JIT's hot-method inlining limit (FreqInlineSize, 325 bytes of bytecode).
     */
    private void runAction(Cpu cpu, PerCpu s, int nr, Action action, boolean ksoftirqd) {
        long raised = 0;
        long t0 = latency.start();
        if (t0 != 0) {
            int i = cpu.id() * NR_SOFTIRQS + nr;
            raised = (long) LONGS.getOpaque(raisedAt, i);
            LONGS.setOpaque(raisedAt, i, 0L);
        }
        s.items = -1;
        Object ev = Tracepoints.softirqBegin();                          // softirq_entry
        try {
            action.run(cpu);
        } catch (Throwable t) {
            failures.getAndIncrement(nr);
            faults.threw(LOG, LABELS[nr], "softirq " + VECTORS[nr] + " action", cpu, t, "the CPU keeps running");
        }
        Tracepoints.softirqEnd(ev, machine, cpu.id(), nr, s.items, ksoftirqd);   // softirq_exit
        latency.end(cpu.id(), Latency.SOFTIRQ, raised, t0);
        faults.afterCallback(LABELS[nr], cpu);
    }

    @Override
    public void migrate(Cpu dead, Cpu target) {
        int taken = (int) INTS.getAndSet(pending, dead.id() * PENDING_STRIDE, 0);
        for (int bits = taken; bits != 0; bits &= bits - 1) {
            raise(target, VECTORS[Integer.numberOfTrailingZeros(bits)]);
        }
    }

    @Override
    public String describePending(Cpu cpu) {
        StringBuilder sb = new StringBuilder();
        for (int bits = pending(cpu); bits != 0; bits &= bits - 1) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append("softirq ").append(VECTORS[Integer.numberOfTrailingZeros(bits)]);
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------------------------------------- statistics

    /** Times {@code vector}'s action ran on {@code cpu} (the /proc/softirqs count). */
    public long runs(Cpu cpu, Softirq vector) {
        return (long) LONGS.getOpaque(perCpu[cpu.id()].runs, vector.ordinal());
    }

    /** Drains on {@code cpu} that ran out of budget and left work to its ksoftirqd phase. */
    public long deferrals(Cpu cpu) {
        return perCpu[cpu.id()].deferrals;
    }

    /** ksoftirqd phases {@code cpu} ran. */
    public long ksoftirqdRuns(Cpu cpu) {
        return perCpu[cpu.id()].ksoftirqdRuns;
    }

    /** Times an action of {@code vector} threw (contained). */
    public long failures(Softirq vector) {
        return failures.get(vector.ordinal());
    }
}
