/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqwork;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.Cpus;
import io.kdefer.internal.Faults;
import io.kdefer.internal.LList;
import io.kdefer.internal.Lifecycle;
import io.kdefer.irq.Ipi;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irq.Irqs;
import io.kdefer.smp.SmpCore;

import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The per-CPU irq_work lists and their hooks into the CPU (the IRQ_WORK IPI, the tick, NOHZ, hotplug): the runtime
 * SPI behind {@link IrqWork}. Not for applications.
 */
public final class IrqWorkCore {
    /* Implementation notes
     *
     * Each CPU has a raised list (hard items; the IWI SGI runs it) and a lazy list (the tick runs it), both
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
     * "Detached" cores (no machine) exist for the jcstress proofs: they run the same claim/push/run code with
     * the IPI replaced by nothing and "this CPU" fixed to 0.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.irqwork");

    static final class Lists {
        final LList<Object> raised = new LList<>();
        final LList<Object> lazy = new LList<>();
    }

    private final Cpus cpus;              // I; null when detached
    private final SmpCore smp;            // I; null when detached
    final Lifecycle lifecycle;            // I; null when detached
    private final Faults faults;          // I; null when detached
    private final Lists[] lists;          // I
    private final AtomicLong raises = new AtomicLong();
    private volatile boolean closing;     // A: set once by the close DRAIN step

    public IrqWorkCore(Cpus cpus, Irqs irqs, SmpCore smp, Lifecycle lifecycle) {
        this.cpus = Objects.requireNonNull(cpus, "cpus");
        this.smp = Objects.requireNonNull(smp, "smp");
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.faults = cpus.faults();
        this.lists = newLists(cpus.count());
        irqs.requestPercpu(Ipi.IRQ_WORK.sgi(), (irq, dev) -> {
            run(cpus.executingCpu().id());
            return IrqReturn.HANDLED;
        }, "IPI", this);
        smp.registerEntryType(IrqWork.class, (item, cpu) -> {
            ((IrqWork) item).run();
            afterCallback((IrqWork) item);
        });
        cpus.addTickHook(cpu -> runList(lists[cpu.id()].lazy));              // B-IW-9
        cpus.addNohzHook(new Cpus.NohzHook() {
            @Override
            public boolean needsTick(Cpu cpu) {
                return !lists[cpu.id()].lazy.isEmpty();                      // irq_work_needs_cpu (B-IW-3)
            }
        });
        cpus.addHotplugHook(new Cpus.HotplugHook() {
            @Override
            public void dying(Cpu cpu) {
                run(cpu.id());                                               // B-IW-13
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

    private IrqWorkCore(int n) {
        this.cpus = null;
        this.smp = null;
        this.lifecycle = null;
        this.faults = null;
        this.lists = newLists(n);
    }

    /** A core with no machine behind it (jcstress proofs): CPU 0 is "this CPU", raising sends nothing. */
    static IrqWorkCore detached(int cpus) {
        return new IrqWorkCore(cpus);
    }

    private static Lists[] newLists(int n) {
        Lists[] l = new Lists[n];
        for (int i = 0; i < n; i++) {
            l[i] = new Lists();
        }
        return l;
    }

    /** IWI self-interrupts sent (one per empty-to-non-empty transition of a raised list, B-IW-2). */
    public long raises() {
        return raises.get();
    }

    int thisCpuId() {
        return cpus == null ? 0 : cpus.thisCpu().id();
    }

    Cpu executingCpu() {
        return cpus == null ? null : cpus.executingCpu();
    }

    boolean isManual() {
        return cpus != null && cpus.isManual();
    }

    Cpu checkTarget(int cpu) {
        if (cpus == null) {
            return null;
        }
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
    void enqueueLocal(int cpu, IrqWork w) {
        Lists l = lists[cpu];
        if (w.isLazy()) {
            if (l.lazy.push(w.node) && cpus != null && (closing || cpus.tickStopped(cpus.cpu(cpu)))) {
                raise(cpu);
            }
        } else if (l.raised.push(w.node)) {
            raise(cpu);
        }
        if (cpus != null && !cpus.cpu(cpu).isOnline()) {
            migrate(cpus.cpu(cpu), cpus.thisOnlineCpu());   // "this CPU" went offline under us (see notes)
        }
    }

    /**
     * Moves the lists of the offline {@code dead} to {@code to}; both lists are raised there (no tick needed). With no
     * CPU left ({@code to} null: the machine stopped) what they hold is counted as a close leftover.
     */
    private void migrate(Cpu dead, Cpu to) {
        Cpu from = dead;
        while (!from.isOnline()) {
            Lists src = lists[from.id()];
            if (to == null) {
                countLeftovers(src.raised.popAll());
                countLeftovers(src.lazy.popAll());
                return;
            }
            Lists dst = lists[to.id()];
            boolean moved = !src.raised.isEmpty() || !src.lazy.isEmpty();
            boolean signal = src.raised.transferTo(dst.raised);
            signal |= src.lazy.transferTo(dst.raised);      // lazy items need no tick on the new CPU: run them now
            if (signal) {
                raise(to.id());
            }
            if (moved) {
                LOG.log(Level.WARNING, "irq_work queued on " + from + " after it went offline runs on " + to
                        + " (B-IW-13)");
            }
            if (to.isOnline()) {
                return;
            }
            from = to;
            to = cpus.thisOnlineCpu();
        }
    }

    void enqueueRemote(Cpu target, IrqWork w) {
        smp.enqueue(target, w.node);
    }

    private void raise(int cpu) {
        if (cpus != null) {
            raises.incrementAndGet();
            cpus.gic().sendSgi(Ipi.IRQ_WORK.sgi(), cpu);
        }
    }

    /** Close, DRAIN phase: no tick will come for lazy items any more; raise for them now (see notes). */
    private void flushLazyForClose() {
        closing = true;
        for (int c = 0; c < lists.length; c++) {
            if (!lists[c].lazy.isEmpty()) {
                raise(c);
            }
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
            lifecycle.leftover("irq_work", n, example);
            LOG.log(Level.ERROR, "close: " + n + " irq_work item(s) queued after their CPU stopped never ran, e.g. "
                    + example);
        }
    }

    /** irq_work_run: the raised list, then the lazy list (B-IW-5). Hardirq context on {@code cpu}. */
    void run(int cpu) {
        runList(lists[cpu].raised);
        runList(lists[cpu].lazy);
    }

    /** Runs the raised list of {@code cpu} (for the jcstress proofs). */
    void runRaised(int cpu) {
        runList(lists[cpu].raised);
    }

    private void runList(LList<Object> list) {
        for (LList.Node<Object> n = list.popAll(); n != null; ) {
            LList.Node<Object> next = n.next();          // before run(): the item may be pushed again at once
            IrqWork w = (IrqWork) n.item();
            w.run();
            afterCallback(w);
            n = next;
            Cpu.checkpoint();                             // pseudo-NMIs between items
        }
    }

    /** The interrupt policy after an item ran (any CPU, including a remote item from the call-single queue). */
    void afterCallback(IrqWork w) {
        if (faults != null) {
            faults.afterCallback(w, Thread.currentThread().getName());
        }
    }

    /** Whether queue() must refuse: the machine is closed to the caller (never on a detached core). */
    boolean refusesNewWork() {
        return cpus != null && cpus.refusesNewWork();
    }

    void reportFailure(IrqWork w, Throwable t) {
        LOG.log(Level.ERROR, w + ": callback threw; contained, the CPU keeps running (reported once per item)", t);
    }
}
