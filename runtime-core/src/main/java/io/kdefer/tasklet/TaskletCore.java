/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.tasklet;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.cpu.internal.WorkMigration;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Handles;
import io.kdefer.internal.Latency;
import io.kdefer.internal.Lifecycle;
import io.kdefer.internal.LList;
import io.kdefer.softirq.Softirq;
import io.kdefer.softirq.internal.SoftirqEngine;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The per-CPU tasklet lists and their softirq actions (kernel: tasklet_vec / tasklet_hi_vec, tasklet_action,
 * tasklet_hi_action, takeover_tasklets): the runtime SPI behind {@link Tasklet}. Not for applications.
 */
public final class TaskletCore {
    /* Implementation notes
     *
     * Lists. Each CPU has, per priority (HI_SOFTIRQ, TASKLET_SOFTIRQ), two lists:
     *   - a hand-over list (LList: CAS push from any thread, getAndSet pop-all by the consumer), and
     *   - a CPU-local FIFO (head/tail through Tasklet.next), touched only by the CPU's executing thread.
     * schedule() on the thread that executes the target CPU (a hardirq handler, a softirq action, a tasklet) first
     * moves the hand-over list to the FIFO tail, then appends: plain stores, FIFO by linearization point. Any other
     * thread pushes onto the hand-over list. The action moves the hand-over list (reversed to FIFO order) to the
     * FIFO tail, detaches the whole FIFO, and runs it; busy tasklets go back to the (new) FIFO tail.
     *
     * Raising. A push raises the vector only when it found the hand-over list empty, and a local append only when
     * it found the FIFO empty (one raise per empty-to-non-empty transition, like irq_work's IPI). Sound because
     * the drain clears the pending bit (snapshot) before the action empties the lists: a list that is non-empty
     * had a raise after the action last emptied it, so a later pass, or the ksoftirqd phase, runs it.
     *
     * Budget. One action runs the whole detached list, with a checkpoint between tasklets so hardirqs and
     * pseudo-NMIs are taken (DESIGN §2). A tasklet that cannot run (RUN held by another CPU, or disabled) is
     * requeued and the vector re-raised (B-TL-3/6): that busy loop is bounded only by the softirq drain's budget
     * (10 passes / 2 ms), after which it continues in the ksoftirqd phase, behind any hardirq. While the machine
     * is closing, a disabled tasklet is requeued without a re-raise: it stays scheduled and is reported by close
     * instead of keeping its CPU busy until the close timeout.
     *
     * Hotplug (B-TL-11). The dead CPU's FIFO and hand-over lists, in that order, are pushed onto the target CPU's
     * hand-over lists and both vectors raised there. A push that races with the offline (the pusher chose the CPU
     * while it was still online) re-reads the CPU's online flag after its push; offline writes the flag before
     * the dead hook pops the hand-over list, so either the dead hook sees the push or the pusher sees the CPU
     * offline and moves the hand-over list itself (a second consumer of an LList is safe: pop-all is atomic).
     *
     * The jcstress proofs build this core on a bare kernel (MANUAL CPUs nobody steps, no platform): a test thread
     * plays the CPU by calling action(), every other caller is on the hand-over path. Same code, no test branches.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.tasklet");

    static final int HI = 0;                 // list index: tasklet_hi_vec, HI_SOFTIRQ
    static final int NORMAL = 1;             // list index: tasklet_vec, TASKLET_SOFTIRQ
    private static final Softirq[] VECTOR = {Softirq.HI, Softirq.TASKLET};

    /** One CPU's lists of one priority. */
    static final class Lists {
        final LList<Tasklet> handover = new LList<>();   // A (through LList)
        Tasklet head;                                    // C: CPU-local FIFO
        Tasklet tail;                                    // C
        long runs;                                       // O(the CPU): readers use getOpaque (stats)
        long requeues;                                   // O(the CPU): readers use getOpaque (stats)

        private static final VarHandle RUNS = Handles.field(MethodHandles.lookup(), Lists.class, "runs", long.class);
        private static final VarHandle REQUEUES =
                Handles.field(MethodHandles.lookup(), Lists.class, "requeues", long.class);

        void append(Tasklet t) {
            t.next = null;
            if (tail == null) {
                head = t;
            } else {
                tail.next = t;
            }
            tail = t;
        }

        /** Moves the hand-over list, oldest first, to the FIFO tail. */
        void takeHandover() {
            LList.Node<Tasklet> n = LList.reverse(handover.popAll());
            while (n != null) {
                LList.Node<Tasklet> following = n.next();    // before append: the node is ours until it runs
                append(n.item());
                n = following;
            }
        }

        int size() {
            int n = 0;
            for (Tasklet t = head; t != null; t = t.next) {
                n++;
            }
            for (LList.Node<Tasklet> p = handover.peekAll(); p != null; p = p.next()) {
                n++;
            }
            return n;
        }
    }

    final Cpus cpus;                          // I
    private final SoftirqEngine softirqs;     // I
    final Lifecycle lifecycle;                // I
    private final Faults faults;              // I
    final Latency latency;                    // I
    final String machine;                     // I: for the events
    private final Lists[][] lists;            // I: [cpu][HI or NORMAL]
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean schedWarned;     // A: "SCHED not set" reported once
    private final Rescue rescue;              // I

    TaskletCore(Cpus cpus, SoftirqEngine softirqs) {
        this.cpus = Objects.requireNonNull(cpus, "cpus");
        this.softirqs = Objects.requireNonNull(softirqs, "softirqs");
        this.lifecycle = cpus.lifecycle();
        this.faults = cpus.faults();
        this.latency = cpus.latency();
        this.machine = lifecycle.owner();
        this.lists = newLists(cpus.count());
        this.rescue = new Rescue();
        softirqs.open(Softirq.HI, named(cpu -> action(cpu, HI), "tasklet_hi_action"));
        softirqs.open(Softirq.TASKLET, named(cpu -> action(cpu, NORMAL), "tasklet_action"));
        cpus.addHotplugHook(new Cpus.HotplugHook() {
            @Override
            public void dead(Cpu cpu, Cpu target) {
                takeover(cpu, target);
            }
        });
        lifecycle.register(new Lifecycle.Participant() {
            @Override
            public void reportLeftovers() {
                TaskletCore.this.reportLeftovers();
            }

            @Override
            public String toString() {
                return "tasklets";
            }
        });
    }

    private static SoftirqEngine.Action named(SoftirqEngine.Action a, String name) {
        return new SoftirqEngine.Action() {
            @Override
            public void run(Cpu cpu) {
                a.run(cpu);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    private static Lists[][] newLists(int n) {
        Lists[][] l = new Lists[n][2];
        for (int i = 0; i < n; i++) {
            l[i][HI] = new Lists();
            l[i][NORMAL] = new Lists();
        }
        return l;
    }

    /** Tasklet callbacks run so far. */
    public long runs() {
        long n = 0;
        for (Lists[] cpu : lists) {
            for (Lists l : cpu) {
                n += (long) Lists.RUNS.getOpaque(l);
            }
        }
        return n;
    }

    /** Tasklet callbacks that threw (contained). */
    public long failures() {
        return failures.get();
    }

    /** Times a scheduled tasklet could not run (disabled, or running on another CPU) and was requeued. */
    public long requeues() {
        long n = 0;
        for (Lists[] cpu : lists) {
            for (Lists l : cpu) {
                n += (long) Lists.REQUEUES.getOpaque(l);
            }
        }
        return n;
    }

    /** Tasklets on {@code cpu}'s lists (racy unless called on that CPU or with the machine quiescent). */
    public int queued(int cpu) {
        return lists[cpu][HI].size() + lists[cpu][NORMAL].size();
    }

    /** Whether schedule() must refuse: the machine is closed to the caller. */
    boolean refusesNewWork() {
        return cpus.refusesNewWork();
    }

    /** CPU {@code id} (for the jcstress proofs, which play a CPU by number). */
    Cpu cpu(int id) {
        return cpus.cpu(id);
    }

    /** MANUAL mode: run the machine (kill() waiting for a scheduled run that nobody else would perform). */
    void runUntilIdle() {
        cpus.runUntilIdle();
    }

    // ---------------------------------------------------------------------------------------------- schedule

    /** Puts {@code t} (whose SCHED bit the caller just set) on {@code cpu}'s list of priority {@code prio}. */
    void enqueue(Cpu cpu, int prio, Tasklet t) {
        Lists l = lists[cpu.id()][prio];
        if (cpus.executingCpu() == cpu) {
            boolean wasEmpty = l.head == null;
            l.takeHandover();                        // FIFO: earlier hand-overs go first
            l.append(t);
            if (wasEmpty) {
                raise(cpu, prio);
            }
            return;
        }
        if (l.handover.push(t.node)) {
            raise(cpu, prio);
        }
        if (!cpu.isOnline()) {
            rescue(cpu);                             // raced with offline: see implementation notes
        }
    }

    private void raise(Cpu cpu, int prio) {
        softirqs.raise(cpu, VECTOR[prio]);
    }

    // ---------------------------------------------------------------------------------------------- the action

    /**
     * tasklet_action / tasklet_hi_action on {@code cpu} (B-TL-3): takes the hand-over list, detaches the FIFO and
     * runs it in order; a tasklet that cannot run now goes back to the FIFO tail and the vector is raised again.
     * Softirq context on {@code cpu} (or a jcstress actor playing that CPU on a bare kernel).
     */
    void action(Cpu cpu, int prio) {
        Lists l = lists[cpu.id()][prio];
        l.takeHandover();
        Tasklet t = l.head;
        l.head = null;
        l.tail = null;
        int ran = 0;
        while (t != null) {
            Tasklet following = t.next;              // before run(): afterwards the runtime never touches t
            t.next = null;
            int r = t.run(cpu, prio == HI);
            if (r == Tasklet.RAN) {
                ran++;
                faults.afterCallback(t, cpu);
                Lists.RUNS.setOpaque(l, l.runs + 1);     // per CPU: no shared counter on the run path
            } else {
                Lists.REQUEUES.setOpaque(l, l.requeues + 1);
                boolean wasEmpty = l.head == null;
                l.append(t);
                // A disabled tasklet at close: leave it queued without a re-raise (reported by close).
                if (wasEmpty && (r == Tasklet.BUSY || !cpus.isStopping())) {
                    raise(cpu, prio);
                }
            }
            t = following;
            cpus.checkpoint(cpu);                    // hardirqs between tasklets (DESIGN §2)
        }
        softirqs.noteItems(cpu, ran);                // the kdefer.Softirq event's items
    }

    void failed(Tasklet t, Throwable x) {
        failures.incrementAndGet();
        faults.threw(LOG, t, t + ": callback", Cpu.current(), x, "the CPU keeps running");
    }

    void schedNotSet(Tasklet t) {
        if (!schedWarned) {
            schedWarned = true;
            LOG.log(Level.WARNING, t + ": ran from a tasklet list without SCHED set (reported once)");
        }
    }

    // ---------------------------------------------------------------------------------------------- hotplug, close

    /** takeover_tasklets (B-TL-11): the dead CPU's lists, in order, go to {@code target}; both vectors raised. */
    private void takeover(Cpu dead, Cpu target) {
        for (int prio = HI; prio <= NORMAL; prio++) {
            Lists from = lists[dead.id()][prio];
            Lists to = lists[target.id()][prio];
            Tasklet t = from.head;                   // C of the dead CPU: published to us by the offline hand-shake
            from.head = null;
            from.tail = null;
            boolean moved = false;
            while (t != null) {
                Tasklet following = t.next;
                t.next = null;
                to.handover.push(t.node);
                moved = true;
                t = following;
            }
            for (LList.Node<Tasklet> n = LList.reverse(from.handover.popAll()); n != null; ) {
                LList.Node<Tasklet> following = n.next();
                to.handover.push(n);
                moved = true;
                n = following;
            }
            if (moved) {
                raise(target, prio);
            }
        }
    }

    /**
     * A push landed on an offline CPU's hand-over lists: move them to a CPU that takes work, or, with none left (the
     * machine stopped), count them as close leftovers.
     */
    private void rescue(Cpu dead) {
        rescue.migrate(dead, cpus.thisOnlineCpu());
    }

    /** A dead CPU's hand-over lists (both priorities) to a live CPU's (see WorkMigration). */
    private final class Rescue extends WorkMigration {
        Rescue() {
            super(cpus);
        }

        @Override
        protected boolean hasWork(Cpu cpu) {
            return !lists[cpu.id()][HI].handover.isEmpty() || !lists[cpu.id()][NORMAL].handover.isEmpty();
        }

        @Override
        protected boolean move(Cpu from, Cpu to) {
            for (int prio = HI; prio <= NORMAL; prio++) {
                LList<Tasklet> src = lists[from.id()][prio].handover;
                if (!src.isEmpty()) {
                    src.transferTo(lists[to.id()][prio].handover);
                    raise(to, prio);
                }
            }
            return false;                            // raised per priority above
        }

        @Override
        protected void signal(Cpu cpu) {
        }

        @Override
        protected void countLeftovers(Cpu cpu) {
            for (int prio = HI; prio <= NORMAL; prio++) {
                TaskletCore.this.countLeftovers(lists[cpu.id()][prio].handover.popAll(), null);
            }
        }
    }

    /**
     * Close, after the CPUs stopped: tasklets still scheduled (disabled ones, or scheduled after their CPU stopped)
     * will never run; count them. Lists of a stopped CPU belong to nobody now: the sweep takes them.
     */
    private void reportLeftovers() {
        StringBuilder names = new StringBuilder();
        long n = 0;
        for (Lists[] cpu : lists) {
            for (Lists l : cpu) {
                Tasklet t = l.head;
                l.head = null;
                l.tail = null;
                while (t != null) {
                    n += count(t, names);
                    t = t.next;
                }
                n += countLeftovers(l.handover.popAll(), names);
            }
        }
        if (n > 0) {
            LOG.log(Level.WARNING, n + " tasklet(s) were still scheduled when the machine closed (disabled, or "
                    + "scheduled after their CPU stopped); they will not run:" + names + (n > 10 ? " ..." : ""));
        }
    }

    /** Counts a chain of tasklets as close leftovers; returns how many. */
    private long countLeftovers(LList.Node<Tasklet> chain, StringBuilder names) {
        long n = 0;
        for (LList.Node<Tasklet> p = chain; p != null; p = p.next()) {
            n += count(p.item(), names);
        }
        return n;
    }

    private long count(Tasklet t, StringBuilder names) {
        lifecycle.leftover("tasklet", 1, t);
        if (names != null && names.length() < 1000) {
            names.append(' ').append(t);
        }
        return 1;
    }
}
