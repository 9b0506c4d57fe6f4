/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.cpu.internal.ThreadState;

/**
 * The execution context of one thread on a virtual CPU, with the kernel's {@code preempt_count} semantics
 * (spec §1). A CPU's own thread (which runs every atomic context of that CPU) has one shared word per CPU; every
 * other thread (workers, IRQ threads, application threads) has a task-context word of its own, which counts
 * only its own {@code localBhDisable}/{@code localIrqSave} nesting.
 *
 * <h2>Layout (K-CTX; predicates only are API, the bit positions are not)</h2>
 * <pre>
 *   bits 0-7    preempt-disable depth          +1
 *   bits 8-15   softirq: 0x100 serving,         +0x200 per localBhDisable
 *   bits 16-19  hardirq nesting                 +0x10000 irq_enter
 *   bits 20-23  NMI nesting                     +0x100000 nmi_enter (also +0x10000: NMI implies hardirq)
 *   IRQs disabled is separate (PSTATE.I), as in the kernel.
 * </pre>
 *
 * <h2>Properties (B-CTX-1..6)</h2>
 * <ul>
 *   <li>{@link #inHardirq()} is true inside an NMI.</li>
 *   <li>{@link #inSoftirq()} is true while serving a softirq <em>and</em> while merely BH-disabled;
 *       {@link #inServingSoftirq()} only while serving.</li>
 *   <li>{@link #inInterrupt()} is true with BH disabled, so a BH-disabled task is both in interrupt and in task.</li>
 *   <li>A hardirq taken during a softirq sees {@link #inHardirq()} and {@link #inServingSoftirq()}.</li>
 *   <li>{@link #inAtomic()} is true iff the word is non-zero; {@link #preemptible()} also needs IRQs enabled.</li>
 * </ul>
 * Code that uses {@code inInterrupt()} to decide whether it may sleep is wrong (§13.16): use
 * {@link #preemptible()}, or let the runtime check ({@code might_sleep}) for you.
 */
public final class CpuContext {
    /* Implementation notes
     *
     * count and irqsDisabled are C: written only by the thread that owns this context (the CPU's executing
     * thread for the CPU's word, the task thread itself for a task word). Other threads read them only through
     * countOpaque() (stats, the soft-lockup watchdog), which tolerates staleness.
     */
    public static final int PREEMPT_MASK = 0x000000ff;
    public static final int SOFTIRQ_MASK = 0x0000ff00;
    public static final int HARDIRQ_MASK = 0x000f0000;
    public static final int NMI_MASK = 0x00f00000;

    static final int PREEMPT_OFFSET = 0x1;
    static final int SOFTIRQ_OFFSET = 0x100;
    static final int SOFTIRQ_DISABLE_OFFSET = 0x200;
    static final int HARDIRQ_OFFSET = 0x10000;
    static final int NMI_OFFSET = 0x100000;

    /** B-CTX-7 nesting limits. */
    static final int MAX_PREEMPT = 255;
    static final int MAX_BH_DISABLE = 127;
    static final int MAX_HARDIRQ = 15;
    static final int MAX_NMI = 15;

    private final Cpu cpu;          // I: the CPU whose atomic context this is; null for a task context
    int count;                      // C
    boolean irqsDisabled;           // C

    CpuContext(Cpu cpu) {
        this.cpu = cpu;
    }

    /**
     * The calling thread's context: the preempt_count word of the CPU it executes (a {@code cpu/N} thread, or a
     * MANUAL-mode driver inside {@code runPending}), else the thread's own task-context word.
     */
    public static CpuContext current() {
        ThreadState s = ThreadState.current();
        return s.executing != null ? s.executing.atomic : task(s);
    }

    /** The task-context word of the thread whose state is {@code s} (created on first use). That thread only. */
    static CpuContext task(ThreadState s) {
        CpuContext t = s.task;
        if (t == null) {
            t = new CpuContext(null);
            s.task = t;
        }
        return t;
    }

    /**
     * The kernel's {@code might_sleep()}: refuses a call that may block unless the calling thread is
     * {@link #preemptible()}. A thread that executes a CPU's atomic contexts may never block.
     *
     * @param what the blocking operation, for the message (e.g. {@code "Completion.await"})
     * @throws IllegalStateException "sleeping function called from hardirq context on cpu/2: Completion.await"
     */
    public static void mightSleep(String what) {
        ThreadState s = ThreadState.peek();
        if (s == null) {
            return;                                  // a thread that never touched the runtime: task context
        }
        Cpu c = s.executing;
        if (c != null) {
            CpuContext x = c.atomic;
            String ctx = x.preemptible() ? "the idle loop" : x.describe();
            throw new IllegalStateException("sleeping function called from " + ctx + " on " + c + ": " + what);
        }
        CpuContext t = s.task;
        if (t != null && !t.preemptible()) {
            throw new IllegalStateException("sleeping function called from " + t.describe() + " on thread "
                    + Thread.currentThread().getName() + (s.bound != null ? " (bound to " + s.bound + ")" : "")
                    + ": " + what);
        }
    }

    /** B-CTX-1: NMI nesting is non-zero. */
    public boolean inNmi() {
        return (count & NMI_MASK) != 0;
    }

    /** B-CTX-1: hardirq nesting is non-zero (also true inside an NMI). */
    public boolean inHardirq() {
        return (count & HARDIRQ_MASK) != 0;
    }

    /** B-CTX-2: a softirq action is being served. */
    public boolean inServingSoftirq() {
        return (count & SOFTIRQ_OFFSET) != 0;
    }

    /** B-CTX-2: serving a softirq or BH-disabled. */
    public boolean inSoftirq() {
        return (count & SOFTIRQ_MASK) != 0;
    }

    /** B-CTX-3: NMI, hardirq or softirq (including BH-disabled). */
    public boolean inInterrupt() {
        return (count & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_MASK)) != 0;
    }

    /** B-CTX-4: not in NMI, hardirq or a <em>served</em> softirq (a BH-disabled task is still in task). */
    public boolean inTask() {
        return (count & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET)) == 0;
    }

    /** B-CTX-6: the whole word is non-zero. */
    public boolean inAtomic() {
        return count != 0;
    }

    /** Local IRQs are disabled (PSTATE.I; kept outside the word, as in the kernel). */
    public boolean irqsDisabled() {
        return irqsDisabled;
    }

    /** B-CTX-6: the word is zero and IRQs are enabled; the only state in which sleeping is allowed. */
    public boolean preemptible() {
        return count == 0 && !irqsDisabled;
    }

    /** B-CTX-5 {@code interrupt_context_level()}: 0 task, 1 softirq, 2 hardirq, 3 NMI — the innermost. */
    public int level() {
        if (inNmi()) {
            return 3;
        }
        if (inHardirq()) {
            return 2;
        }
        return inServingSoftirq() ? 1 : 0;
    }

    /** The CPU whose atomic context this is, or {@code null} for a thread's own task context. */
    public Cpu cpu() {
        return cpu;
    }

    /** Words such as "hardirq context" or "task context with BH disabled", as the kernel's messages name them. */
    public String describe() {
        return describe(count, irqsDisabled);
    }

    /** {@link #describe()} of a preempt_count word and IRQ state (for reports about another CPU's context). */
    static String describe(int count, boolean irqsDisabled) {
        if ((count & NMI_MASK) != 0) {
            return "NMI context";
        }
        if ((count & HARDIRQ_MASK) != 0) {
            return "hardirq context";
        }
        if ((count & SOFTIRQ_OFFSET) != 0) {
            return "softirq context";
        }
        if ((count & SOFTIRQ_MASK) != 0) {
            return "task context with BH disabled";
        }
        if ((count & PREEMPT_MASK) != 0) {
            return "task context with preemption disabled";
        }
        if (irqsDisabled) {
            return "task context with IRQs disabled";
        }
        return "task context";
    }

    /** For observers on other threads (stats, watchdog): a possibly stale snapshot of the word. */
    int countOpaque() {
        return (int) COUNT.getOpaque(this);
    }

    private static final java.lang.invoke.VarHandle COUNT = io.kdefer.internal.Handles.field(
            java.lang.invoke.MethodHandles.lookup(), CpuContext.class, "count", int.class);

    @Override
    public String toString() {
        return "CpuContext[" + (cpu == null ? "task" : "cpu/" + cpu.id()) + ", " + describe()
                + ", count=0x" + Integer.toHexString(count) + "]";
    }
}
