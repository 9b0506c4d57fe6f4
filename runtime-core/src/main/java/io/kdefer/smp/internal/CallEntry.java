/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp.internal;

import io.kdefer.cpu.Cpu;
import io.kdefer.internal.LList;

/**
 * An entry of a CPU's call-single queue (kernel: struct __call_single_node, whose u_flags carry a CSD_TYPE): a
 * synchronous or asynchronous cross-CPU call, a coalescing queued call, or an irq_work queued on another CPU. The
 * queue runs synchronous entries first, then the rest in FIFO order (B-CSD-4), and asks each entry to run itself:
 * a virtual call on a typed entry, where the kernel switches on the type bits; no registry of types.
 *
 * <p>Each item that can travel through a call-single queue embeds one entry, allocated with it; the entry is the
 * queue's link (an {@link LList.Node} that is its own item).
 */
public abstract class CallEntry extends LList.Node<CallEntry> {
    /** CSD_TYPE_ASYNC: a call nobody waits for. */
    public static final int ASYNC = 0;
    /** CSD_TYPE_SYNC: a call a thread waits for: run before the others. */
    public static final int SYNC = 1;
    /** CSD_TYPE_IRQ_WORK: an irq_work queued on another CPU. */
    public static final int IRQ_WORK = 2;
    /** A coalescing queued call (the kernel's CSD_TYPE_TTWU plays this part for the scheduler). */
    public static final int QUEUED = 3;

    protected CallEntry() {
    }

    /** The entry's type now (a csd is synchronous or not per submission). Read by the target before it runs it. */
    public abstract int type();

    /**
     * Runs the entry in hardirq context on {@code cpu}, its executing thread (a jcstress actor playing the CPU passes the CPU it
     * plays, or null). Returns what the entry's function threw, for the queue to count and report, or null (also when
     * the entry reported a failure itself, or handed it to a waiter).
     */
    public abstract Throwable run(Cpu cpu);

    /** The object the user holds for this entry (the csd, the IrqWork): the source in reports. */
    public abstract Object owner();

    /** What the entry is, for the close report's leftovers ("cross-CPU call", "irq_work"). */
    public abstract String kind();
}
