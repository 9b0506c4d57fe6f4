/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqwork;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.cpu.internal.WorkMigration;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Latency;
import io.kdefer.internal.LList;
import io.kdefer.internal.Lifecycle;
import io.kdefer.smp.Ipi;
import io.kdefer.smp.internal.CallEntry;
import io.kdefer.smp.internal.CallQueues;
import io.kdefer.smp.internal.Ipis;

import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The per-CPU irq_work lists and their hooks into the CPU (the IRQ_WORK IPI, the tick, NOHZ, hotplug): what
 * {@link IrqWork} stands on (kernel: kernel/irq_work.c's per-CPU state).
 */
final class IrqWorkCore {
    /* Implementation notes
     *
     * Each CPU has a raised list (hard items; the IRQ_WORK IPI runs it) and a lazy list (the tick runs it), both
     * intrusive lock-free lists: push is a CAS, the run takes the whole list with one getAndSet (kernel: llist).
     * Items queued for a remote CPU go through that CPU's call-single queue instead (B-IW-4).
     *
     * NOHZ (B-IW-3): a lazy push that finds the list empty raises the IWI only if the CPU's tick is stopped; the
     * CPU publishes "tick stopped" before it checks needsTick (which reads this lazy list), and the pusher
     * publishes its node before it reads "tick stopped" (Cpu's implementation notes).
     *
     * Close (DESIGN §5: close loses nothing). queue() refuses (false) once the machine is closed. Lazy items wait
     * for a tick, and a stopping CPU does not wait for ticks, so a lazy item queued shortly before close() would be
     * dropped silently. The drain's first step sets closing and then raises the IWI on every CPU whose lazy list is
     * non-empty; from then on a lazy push that finds its list empty raises as it does on a NOHZ-idle CPU. The pusher
     * publishes its node before it reads closing and the close step publishes closing before it reads the lists
     * (both volatile), so one of the two raises. An item that a racing queue() pushed after its CPU stopped is found
     * by that queue()'s re-check (a stopped CPU is not online, as after hotplug) and counted as a close leftover,
     * as is whatever the close report's sweep finds on a list: each item once, since popAll is atomic.
     *
     * Hotplug (B-IW-13). The dying CPU runs both lists. An application thread's "this CPU" is its home CPU, which
     * may go offline between the thread's choice of it and its push: the pusher re-reads "online" after the push
     * and the dead hook runs after "online" was cleared, so one of them moves the lists to a live CPU (the same
     * argument as SmpCore's notes). Queued items are never dropped.
     *
     * The jcstress proofs build this core on a bare kernel (no platform: its IPIs go nowhere, and a test thread
     * plays the CPU by calling runRaised): the same claim/push/run code, no test-only branches.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.irqwork");

    static final class Lists {
        final LList<CallEntry> raised = new LList<>();
        final LList<CallEntry> lazy = new LList<>();
    }

    final Cpus cpus;                      // I
    private final Ipis ipis;              // I
    private final CallQueues callQueues;  // I
    final Lifecycle lifecycle;            // I
    private final Faults faults;          // I
    final Latency latency;                // I
    final String machine;                 // I: for the events
    private final Lists[] lists;          // I
    private final AtomicLong raises = new AtomicLong();
    private volatile boolean closing;     // A: set once by the close DRAIN step
    private final Migration migration;    // I

    IrqWorkCore(Cpus cpus, Ipis ipis, CallQueues callQueues) {
        this.cpus = Objects.requireNonNull(cpus, "cpus");
        this.ipis = Objects.requireNonNull(ipis, "ipis");
        this.callQueues = Objects.requireNonNull(callQueues, "callQueues");
        this.lifecycle = cpus.lifecycle();
        this.faults = cpus.faults();
        this.latency = cpus.latency();
        this.machine = lifecycle.owner();
        this.lists = new Lists[cpus.count()];
        for (int i = 0; i < lists.length; i++) {
            lists[i] = new Lists();
        }
        this.migration = new Migration();
        ipis.setHandler(Ipi.IRQ_WORK, this::run);
        cpus.addTickHook(cpu -> runList(cpu, lists[cpu.id()].lazy));        // B-IW-9
        cpus.addNohzHook(new Cpus.NohzHook() {
            @Override
            public boolean needsTick(Cpu cpu) {
                return !lists[cpu.id()].lazy.isEmpty();                      // irq_work_needs_cpu (B-IW-3)
            }
        });
        cpus.addHotplugHook(new Cpus.HotplugHook() {
            @Override
            public void dying(Cpu cpu) {
                run(cpu);                                                    // B-IW-13
            }

            @Override
            public void dead(Cpu cpu, Cpu target) {
                migrate(cpu, target);
            }
        });
        lifecycle.register(new Lifecycle.Participant() {
            @Override
            public void beginDrain() {
                flushLazyForClose();
            }

            @Override
            public void reportLeftovers() {
                for (Lists l : lists) {
                    countLeftovers(l.raised.popAll());
                    countLeftovers(l.lazy.popAll());
                }
            }

            @Override
            public String toString() {
                return "irq_work";
            }
        });
    }

    /** IWI self-interrupts sent (one per empty-to-non-empty transition of a raised list, B-IW-2). */
    public long raises() {
        return raises.get();
    }

    Cpu checkTarget(int cpu) {
        if (cpu < 0 || cpu >= cpus.count()) {
            throw new IllegalArgumentException("no cpu/" + cpu + " (this machine has " + cpus.count() + " CPUs)");
        }
        Cpu c = cpus.cpu(cpu);
        if (!c.isOnline()) {
            throw new IllegalArgumentException("irq_work queueOn(" + c + "): the CPU is offline (B-IW-4)");
        }
        return c;
    }

    /** The local path of queue(): push, and raise the IWI on the empty-to-non-empty transition. */
    void enqueueLocal(Cpu cpu, IrqWork w) {
        Lists l = lists[cpu.id()];
        if (w.isLazy()) {
            if (l.lazy.push(w.node) && (closing || cpus.tickStopped(cpu))) {
                raise(cpu);
            }
        } else if (l.raised.push(w.node)) {
            raise(cpu);
        }
        if (!cpu.isOnline()) {
            migrate(cpu, cpus.thisOnlineCpu());             // "this CPU" went offline under us (see notes)
        }
    }

    private void migrate(Cpu dead, Cpu to) {
        migration.migrate(dead, to);
    }

    /** A dead CPU's lists to a live CPU's raised list: lazy items need no tick there, they run now (WorkMigration). */
    private final class Migration extends WorkMigration {
        Migration() {
            super(cpus);
        }

        @Override
        protected boolean hasWork(Cpu cpu) {
            Lists l = lists[cpu.id()];
            return !l.raised.isEmpty() || !l.lazy.isEmpty();
        }

        @Override
        protected boolean move(Cpu from, Cpu to) {
            Lists src = lists[from.id()];
            Lists dst = lists[to.id()];
            boolean signal = src.raised.transferTo(dst.raised);
            signal |= src.lazy.transferTo(dst.raised);
            return signal;
        }

        @Override
        protected void signal(Cpu cpu) {
            raise(cpu);
        }

        @Override
        protected void countLeftovers(Cpu cpu) {
            Lists l = lists[cpu.id()];
            IrqWorkCore.this.countLeftovers(l.raised.popAll());
            IrqWorkCore.this.countLeftovers(l.lazy.popAll());
        }

        @Override
        protected void moved(Cpu from, Cpu to) {
            LOG.log(Level.WARNING, "irq_work queued on " + from + " after it went offline runs on " + to
                    + " (B-IW-13)");
        }
    }

    void enqueueRemote(Cpu target, IrqWork w) {
        callQueues.queue(target, w.node);
    }

    private void raise(Cpu cpu) {
        raises.incrementAndGet();
        ipis.send(Ipi.IRQ_WORK, cpu);
    }

    /** Close, DRAIN phase: no tick will come for lazy items any more; raise for them now (see notes). */
    private void flushLazyForClose() {
        closing = true;
        for (int c = 0; c < lists.length; c++) {
            if (!lists[c].lazy.isEmpty()) {
                raise(cpus.cpu(c));
            }
        }
    }

    private void countLeftovers(LList.Node<CallEntry> chain) {
        long n = 0;
        Object example = null;
        for (LList.Node<CallEntry> p = chain; p != null; p = p.next()) {
            n++;
            example = p.item().owner();
        }
        if (n > 0) {
            lifecycle.leftover("irq_work", n, example);
            LOG.log(Level.ERROR, "close: " + n + " irq_work item(s) queued after their CPU stopped never ran, e.g. "
                    + example);
        }
    }

    /** irq_work_run: the raised list, then the lazy list (B-IW-5). Hardirq context on {@code cpu}. */
    void run(Cpu cpu) {
        Lists l = lists[cpu.id()];
        runList(cpu, l.raised);
        runList(cpu, l.lazy);
    }

    /** Runs the raised list of {@code cpu} (for the jcstress proofs: the actor thread plays the CPU). */
    void runRaised(int cpu) {
        runList(cpus.cpu(cpu), lists[cpu].raised);
    }

    private void runList(Cpu cpu, LList<CallEntry> list) {
        for (LList.Node<CallEntry> n = list.popAll(); n != null; ) {
            LList.Node<CallEntry> next = n.next();       // before run(): the item may be pushed again at once
            IrqWork w = ((IrqWork.Entry) n.item()).work;
            w.run(cpu);
            faults.afterCallback(w, cpu);
            n = next;
            cpus.checkpoint(cpu);                        // pseudo-NMIs between items
        }
    }

    /** Whether queue() must refuse: the machine is closed to the caller. */
    boolean refusesNewWork() {
        return cpus.refusesNewWork();
    }

    void reportFailure(IrqWork w, Throwable t) {
        faults.threw(LOG, w, w.toString() + ": callback", Thread.currentThread().getName(), t,
                "the CPU keeps running");
    }
}
