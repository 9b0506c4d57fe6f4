/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Tracepoints;

import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;

/**
 * The spurious-interrupt detector (kernel: kernel/irq/spurious.c): a line that keeps going unhandled is reported
 * ("nobody cared"), disabled, and, if shared, polled from then on (B-SPUR-1..5).
 *
 * <ul>
 *   <li>{@link #noteInterrupt} (note_interrupt) runs at the end of every handled interrupt of a line, in its hardirq
 *       with the descriptor lock re-taken. Per-CPU lines and lines with a NO_DEBUG action are not accounted
 *       (B-SPUR-1, B-FLOW-11); an interrupt with a bogus result is left out (the kernel returns early on it).</li>
 *   <li>An unhandled interrupt more than the quiet time (HZ/10) after the previous one restarts the count; once a
 *       window of interrupts is complete with more than the threshold unhandled (99 900 of 100 000 by default,
 *       K-SPUR), the line is disabled (B-SPUR-3).</li>
 *   <li>A result of exactly WAKE_THREAD defers its verdict to the next interrupt, which counts as handled if some
 *       thread returned HANDLED in between (B-SPUR-4).</li>
 *   <li>{@link #poll} (poll_spurious_irqs), a tick hook: every HZ/10 on CPU 0, the handlers of each shared line the
 *       detector disabled run once (B-SPUR-5).</li>
 * </ul>
 */
final class IrqSpurious {
    private static final System.Logger LOG = System.getLogger("io.kdefer.irq");

    /** Kernel defaults (K-SPUR). */
    static final int WINDOW = 100_000;
    static final int THRESHOLD = 99_900;
    static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Cpus cpus;                 // I
    private final IrqTable table;            // I
    private final int window;                // I
    private final int threshold;             // I
    private final long quietNanos;           // I
    private final long pollEveryTicks;       // I
    private volatile long polls;             // O(CPU 0's tick)

    /**
     * @param window     interrupts per detection window (kernel: 100 000)
     * @param threshold  unhandled interrupts in a window above which the line is disabled (kernel: 99 900)
     * @param quietNanos an unhandled interrupt this long after the previous one restarts the count (HZ/10)
     */
    IrqSpurious(Cpus cpus, IrqTable table, int window, int threshold, long quietNanos) {
        if (window < 1 || threshold < 0 || threshold >= window) {
            throw new IllegalArgumentException("spurious detection needs 0 <= threshold < window: threshold="
                    + threshold + " window=" + window);
        }
        this.cpus = cpus;
        this.table = table;
        this.window = window;
        this.threshold = threshold;
        this.quietNanos = quietNanos;
        this.pollEveryTicks = Math.max(1, QUIET_NANOS / cpus.tickNanos());
    }

    /** note_interrupt (B-SPUR-1..4). Descriptor lock held. */
    void noteInterrupt(Cpu cpu, IrqDesc d, IrqAction[] acts, int result) {
        if (d.has(IrqDesc.POLL_INPROGRESS)) {
            return;
        }
        for (IrqAction a : acts) {
            if ((a.flags & IrqFlags.NO_DEBUG) != 0) {
                return;
            }
        }
        if ((result & IrqFlows.BOGUS) != 0) {
            return;                                   // reported by the flow; a bad value is not a verdict
        }
        if (result == IrqReturn.WAKE_THREAD.ordinal()) {
            // B-SPUR-4: only threads were woken. Their verdict is known at the next interrupt: the first such
            // interrupt only marks "deferred"; later ones count as handled iff some thread returned HANDLED since.
            if ((d.threadsHandledLast & IrqDesc.SPURIOUS_DEFERRED) == 0) {
                d.threadsHandledLast |= IrqDesc.SPURIOUS_DEFERRED;
                return;
            }
            int handled = d.threadsHandled | IrqDesc.SPURIOUS_DEFERRED;
            if (handled != d.threadsHandledLast) {
                d.threadsHandledLast = handled;
                result = IrqReturn.HANDLED.ordinal();
            } else {
                result = IrqReturn.NONE.ordinal();
            }
        } else {
            d.threadsHandledLast &= ~IrqDesc.SPURIOUS_DEFERRED;
        }
        if (result == IrqReturn.NONE.ordinal()) {
            long now = cpus.clockNanos();
            if (now - d.lastUnhandledNanos > quietNanos) {
                d.irqsUnhandled = 1;
            } else {
                d.irqsUnhandled++;
            }
            d.lastUnhandledNanos = now;
        }
        if (d.irqsUnhandled == 0) {
            return;                                   // nothing counted while no unhandled ones (B-SPUR-3)
        }
        if (++d.irqCount < window) {
            return;
        }
        d.irqCount = 0;
        if (d.irqsUnhandled > threshold) {
            reportNobodyCared(cpu, d, acts);
            d.set(IrqDesc.SPURIOUS_DISABLED);
            d.spuriousDisables++;
            IrqManage.disableLocked(d);
            d.mask();
        }
        d.irqsUnhandled = 0;
    }

    private void reportNobodyCared(Cpu cpu, IrqDesc d, IrqAction[] acts) {
        StringBuilder sb = new StringBuilder();
        sb.append("irq ").append(d.irq).append(": nobody cared (").append(d.irqsUnhandled).append(" of ")
                .append(window).append(" interrupts unhandled, on ").append(cpu).append(")\nhandlers:");
        for (IrqAction a : acts) {
            sb.append("\n[<").append(a.handler.getClass().getName()).append(">] ").append(a.name);
            if (a.failures() > 0) {
                sb.append(" (threw ").append(a.failures()).append(" times)");
            }
        }
        sb.append("\nDisabling IRQ #").append(d.irq).append(" (B-SPUR-3); ");
        if (acts.length > 0 && acts[0].isShared()) {
            sb.append("it is polled every ").append(TimeUnit.NANOSECONDS.toMillis(QUIET_NANOS))
                    .append(" ms from now on");
        } else {
            sb.append("it is not shared, so it is not polled: it stays off until it is freed (B-SPUR-5)");
        }
        LOG.log(Level.ERROR, sb.toString());
        Tracepoints.irqNobodyCared(cpus.lifecycle().owner(), cpu.id(), d.irq, d.irqsUnhandled, window,
                String.join(", ", d.names()), acts.length > 0 && acts[0].isShared());
    }

    /** Tick hook: every HZ/10 on CPU 0, run the handlers of spurious-disabled shared lines (B-SPUR-5). */
    void poll(Cpu cpu, IrqFlows flows) {
        if (cpu.id() != 0 || cpus.ticks(cpu) % pollEveryTicks != 0) {
            return;
        }
        for (IrqDesc d : table.all()) {
            if (d.percpu || !d.has(IrqDesc.SPURIOUS_DISABLED)) {
                continue;
            }
            IrqAction[] acts = d.actions;
            if (acts.length == 0 || !acts[0].isShared()) {
                continue;
            }
            d.lock.lock();
            try {
                if (d.has(IrqDesc.INPROGRESS)) {
                    continue;
                }
                d.set(IrqDesc.POLL_INPROGRESS);
                polls++;
                flows.handleIrqEvent(cpu, d);
                d.clear(IrqDesc.POLL_INPROGRESS);
            } finally {
                d.lock.unlock();
            }
        }
    }

    /** Times the poller ran a disabled line's handlers. */
    long polls() {
        return polls;
    }
}
