/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.cpu.internal.WorkMigration;
import io.kdefer.internal.Faults;
import io.kdefer.internal.LList;
import io.kdefer.internal.Lifecycle;
import io.kdefer.smp.internal.CallEntry;
import io.kdefer.smp.internal.CallQueues;
import io.kdefer.smp.internal.Ipis;

import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The per-CPU call-single queues and the CALL_FUNC IPI (kernel: kernel/smp.c internals): what {@link Smp} stands
 * on, and what irq_work uses to queue work on a remote CPU ({@link CallQueues}).
 */
final class SmpCore implements CallQueues {
    /* Implementation notes
     *
     * queue() sends the CALL_FUNC IPI only when the push found the target's queue empty (B-CSD-1): one IPI per
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
     * Entries are typed (CallEntry): the queue runs synchronous ones first and asks each to run itself.
     *
     * Close. The CPUs run their queues before they stop. An entry pushed after its target stopped is found by the
     * sender's re-check (a stopped CPU is not online) and, with no CPU left to take it, counted as a close leftover
     * by whoever pops it (the sender, or the close report's final sweep): exactly once, popAll is atomic. A waiter
     * of such a synchronous call is released with an exception when the machine terminates.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.smp");

    private final Cpus cpus;                                    // I
    private final Ipis ipis;                                    // I
    final Lifecycle lifecycle;                                  // I
    final Faults faults;                                        // I
    private final CallQueue[] queues;                           // I
    private final Migration migration;                          // I
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong ipisSent = new AtomicLong();
    private final AtomicLong migrated = new AtomicLong();

    SmpCore(Cpus cpus, Ipis ipis) {
        this.cpus = Objects.requireNonNull(cpus, "cpus");
        this.ipis = Objects.requireNonNull(ipis, "ipis");
        this.lifecycle = cpus.lifecycle();
        this.faults = cpus.faults();
        this.queues = new CallQueue[cpus.count()];
        for (int i = 0; i < queues.length; i++) {
            queues[i] = new CallQueue(i);
        }
        this.migration = new Migration();
        ipis.setHandler(Ipi.CALL_FUNC, this::flush);
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
                    ipis.send(Ipi.CALL_FUNC, cpu);
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

    @Override
    public void queue(Cpu target, CallEntry e) {
        if (queues[target.id()].push(e)) {
            ipisSent.incrementAndGet();
            ipis.send(Ipi.CALL_FUNC, target);
        }
        if (!target.isOnline()) {
            migrate(target, cpus.thisOnlineCpu());      // the target went offline after the sender's check (see notes)
        }
    }

    private void migrate(Cpu dead, Cpu to) {
        migration.migrate(dead, to);
    }

    /** A dead CPU's call-single queue to a live CPU's (WorkMigration; B-CSD-6). */
    private final class Migration extends WorkMigration {
        Migration() {
            super(cpus);
        }

        @Override
        protected boolean hasWork(Cpu cpu) {
            return !queues[cpu.id()].isEmpty();
        }

        @Override
        protected boolean move(Cpu from, Cpu to) {
            return queues[from.id()].list.transferTo(queues[to.id()].list);
        }

        @Override
        protected void signal(Cpu cpu) {
            ipisSent.incrementAndGet();
            ipis.send(Ipi.CALL_FUNC, cpu);
        }

        @Override
        protected void countLeftovers(Cpu cpu) {
            SmpCore.this.countLeftovers(queues[cpu.id()].list.popAll());
        }

        @Override
        protected void moved(Cpu from, Cpu to) {
            migrated.incrementAndGet();
            LOG.log(Level.WARNING, "cross-CPU calls queued for " + from + " after it went offline run on " + to
                    + " (B-CSD-6)");
        }
    }

    private void countLeftovers(LList.Node<CallEntry> chain) {
        for (LList.Node<CallEntry> p = chain; p != null; p = p.next()) {
            CallEntry e = p.item();
            lifecycle.leftover(e.kind(), 1, e.owner());    // irq_work queued remotely is counted as irq_work
        }
    }

    /** Times entries queued for a CPU that went offline were moved to another CPU (see the notes). */
    long migrations() {
        return migrated.get();
    }

    /** CALL_FUNC IPIs sent (one per empty-to-non-empty queue transition). */
    long ipisSent() {
        return ipisSent.get();
    }

    /** Functions nobody waited for (async csds, qsds, non-waiting calls, also run inline) that threw (contained). */
    long failures() {
        return failures.get();
    }

    /** Runs everything on {@code cpu}'s queue (the CALL_FUNC handler; hardirq context). */
    void flush(Cpu cpu) {
        queues[cpu.id()].flush(cpu, this::failed, faults);
    }

    /** Counts a contained failure of a function nobody waits for, reported once per csd, qsd or function. */
    void failed(Object source, Throwable t) {
        failures.incrementAndGet();
        faults.threw(LOG, source, "cross-CPU call " + source, Cpu.current(), t, null);
    }

    Cpus cpus() {
        return cpus;
    }
}
