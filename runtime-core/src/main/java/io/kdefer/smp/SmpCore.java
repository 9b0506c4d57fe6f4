/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.Cpus;
import io.kdefer.internal.Faults;
import io.kdefer.internal.LList;
import io.kdefer.internal.Lifecycle;
import io.kdefer.irq.Ipi;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irq.Irqs;

import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * The per-CPU call-single queues and the CALL_FUNC IPI (kernel: kernel/smp.c internals): the runtime SPI behind
 * {@link Smp}, which irq_work also uses to queue work on a remote CPU. Not for applications.
 */
public final class SmpCore {
    /* Implementation notes
     *
     * enqueue() sends the CALL_FUNC SGI only when the push found the target's queue empty (B-CSD-1): one IPI per
     * empty-to-non-empty transition. The handler flushes the whole queue, so an entry pushed onto a non-empty
     * queue is covered by the IPI its first entry sent (the flush's getAndSet happens after that push or the
     * push found the queue empty again and sent its own IPI).
     *
     * Hotplug (B-CSD-6). The dying CPU flushes its queue itself. A sender checks that its target is online, then
     * pushes; in the kernel stop_machine cannot run between the two, here the target may go offline in between and
     * the entry would be stranded. So the dead hook moves whatever is still queued to the CPU that takes over the
     * dead CPU's work, and a sender re-reads "online" after its push and, if the target is gone, moves the queue
     * itself. The push (a successful CAS) precedes the re-read and the hotplug path clears online before its dead
     * hook reads the queue, all volatile: either the sender sees the CPU offline or the dead hook sees the entry
     * (both may; each entry moves once, popAll is atomic). Moved entries run on the new CPU, reported once per
     * move: the kernel cannot reach this state, and dropping accepted work is worse than running it elsewhere.
     *
     * Foreign entry types (irq_work) register a runner; the registry is written at boot, before any entry can
     * be queued, and read-only afterwards.
     *
     * Close. The CPUs run their queues before they stop. An entry pushed after its target stopped is found by the
     * sender's re-check (a stopped CPU is not online) and, with no CPU left to take it, counted as a close leftover
     * by whoever pops it (the sender, or the close report's final sweep): exactly once, popAll is atomic. A waiter
     * of such a synchronous call is released with an exception when the machine terminates.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.smp");

    private final Cpus cpus;                                    // I
    final Lifecycle lifecycle;                                  // I
    final Faults faults;                                        // I
    private final CallQueue[] queues;                           // I
    private volatile Class<?> foreignType;                      // I after boot (one registered type: irq_work)
    private volatile BiConsumer<Object, Cpu> foreignRunner;     // I after boot
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong ipis = new AtomicLong();
    private final AtomicLong migrated = new AtomicLong();

    public SmpCore(Cpus cpus, Irqs irqs) {
        this.cpus = Objects.requireNonNull(cpus, "cpus");
        this.lifecycle = cpus.lifecycle();
        this.faults = cpus.faults();
        this.queues = new CallQueue[cpus.count()];
        for (int i = 0; i < queues.length; i++) {
            queues[i] = new CallQueue(i);
        }
        irqs.requestPercpu(Ipi.CALL_FUNC.sgi(), (irq, dev) -> {
            flush(cpus.executingCpu());
            return IrqReturn.HANDLED;
        }, "IPI", this);
        cpus.addHotplugHook(new Cpus.HotplugHook() {
            @Override
            public void dying(Cpu cpu) {
                flush(cpu);                 // B-CSD-6: an offlining CPU runs its queue without waiting for the IPI
            }

            @Override
            public void dead(Cpu cpu, Cpu target) {
                migrate(cpu, target);       // entries pushed between the dying flush and "offline"
            }

            @Override
            public void online(Cpu cpu) {
                if (!queues[cpu.id()].isEmpty()) {
                    cpus.gic().sendSgi(Ipi.CALL_FUNC.sgi(), cpu.id());
                }
            }
        });
        lifecycle.register(new Lifecycle.Participant() {
            @Override
            public void reportLeftovers() {
                for (CallQueue q : queues) {
                    countLeftovers(q.list.popAll());
                }
            }

            @Override
            public String toString() {
                return "smp";
            }
        });
    }

    /** Registers the runner for queued items of {@code type} (irq_work). Boot time only. */
    public void registerEntryType(Class<?> type, BiConsumer<Object, Cpu> runner) {
        if (foreignType != null) {
            throw new IllegalStateException("an entry type is already registered: " + foreignType.getName());
        }
        foreignRunner = Objects.requireNonNull(runner, "runner");
        foreignType = Objects.requireNonNull(type, "type");
    }

    /**
     * Pushes {@code node} onto {@code target}'s call-single queue and sends the CALL_FUNC IPI if the queue was
     * empty. Lock-free, allocation-free.
     */
    public void enqueue(Cpu target, LList.Node<Object> node) {
        if (queues[target.id()].push(node)) {
            ipis.incrementAndGet();
            cpus.gic().sendSgi(Ipi.CALL_FUNC.sgi(), target.id());
        }
        if (!target.isOnline()) {
            migrate(target, cpus.thisOnlineCpu());      // the target went offline after the sender's check (see notes)
        }
    }

    /**
     * Moves what is queued on the offline {@code dead} to {@code to} (and on, should {@code to} go offline too); with
     * no CPU left to take it ({@code to} null: the machine stopped) counts it as a close leftover.
     */
    private void migrate(Cpu dead, Cpu to) {
        Cpu from = dead;
        while (!from.isOnline()) {
            if (to == null) {
                countLeftovers(queues[from.id()].list.popAll());
                return;
            }
            boolean moved = !queues[from.id()].isEmpty();
            if (queues[from.id()].list.transferTo(queues[to.id()].list)) {
                ipis.incrementAndGet();
                cpus.gic().sendSgi(Ipi.CALL_FUNC.sgi(), to.id());
            }
            if (moved) {
                migrated.incrementAndGet();
                LOG.log(Level.WARNING, "cross-CPU calls queued for " + from + " after it went offline run on " + to
                        + " (B-CSD-6)");
            }
            if (to.isOnline()) {
                return;
            }
            from = to;
            to = cpus.thisOnlineCpu();
        }
    }

    private void countLeftovers(LList.Node<Object> chain) {
        long n = 0;
        Object example = null;
        for (LList.Node<Object> p = chain; p != null; p = p.next()) {
            n++;
            example = p.item();
        }
        if (n > 0) {
            Object ex = example;
            // irq_work queued remotely travels as a call-single entry: count it as what it is
            lifecycle.leftover(ex.getClass() == foreignType ? "irq_work" : "cross-CPU call", n, ex);
        }
    }

    /** Times entries queued for a CPU that went offline were moved to another CPU (see the notes). */
    public long migrations() {
        return migrated.get();
    }

    /** CALL_FUNC IPIs sent (one per empty-to-non-empty queue transition). */
    public long ipisSent() {
        return ipis.get();
    }

    /** Functions nobody waited for (async csds, qsds, non-waiting calls, also run inline) that threw (contained). */
    public long failures() {
        return failures.get();
    }

    /** Runs everything on {@code cpu}'s queue (the CALL_FUNC handler; hardirq context). */
    void flush(Cpu cpu) {
        queues[cpu.id()].flush(this::runForeign, this::failed, faults, cpu);
    }

    private void runForeign(Object item, Integer cpu) {
        if (item.getClass() == foreignType) {
            foreignRunner.accept(item, cpus.cpu(cpu));
        } else {
            LOG.log(Level.ERROR, "cpu/" + cpu + ": unknown entry on the call-single queue: " + item);
        }
    }

    /**
     * Counts a contained failure of a function nobody waits for. Reported once per csd or qsd; a plain function run
     * inline (no descriptor to remember it by) is reported each time, as each call of it is a new submission.
     */
    void failed(Object source, Throwable t) {
        failures.incrementAndGet();
        boolean first = source instanceof CallSingleData ? ((CallSingleData) source).firstFailure()
                : !(source instanceof QueueSingleData) || ((QueueSingleData) source).firstFailure();
        if (first) {
            LOG.log(Level.ERROR, "cross-CPU call " + source + " threw; contained (reported once per csd or qsd)", t);
        }
    }

    Cpus cpus() {
        return cpus;
    }
}
