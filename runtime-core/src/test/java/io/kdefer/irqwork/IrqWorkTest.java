/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqwork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kdefer.Machine;
import io.kdefer.Platform;
import io.kdefer.Machines;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.cpu.IdlePolicy;
import io.kdefer.gic.Trigger;
import io.kdefer.internal.Services;
import io.kdefer.smp.Ipi;
import io.kdefer.x86.IrqVectors;
import io.kdefer.smp.internal.Ipis;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Behaviour of {@link IrqWork} against spec §7 (B-IW-1..14). MANUAL mode unless a test says otherwise: the test
 * thread queues, then steps the CPUs, so every interleaving is exactly reproducible. The ordering claims (MO-IW-*)
 * are proved by the jcstress tests {@code IrqWork_01..05} and are not repeated here.
 */
@DisplayName("irq_work (spec §7)")
class IrqWorkTest {
    private static final int IWI = Ipi.IRQ_WORK.number();
    private static final int NMI_SPI = 40;

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;

    private Machine manual(int cpus) {
        m = machines.boot(b -> b.cpus(cpus).hz(1000));
        return m;
    }

    private IrqWorkCore core() {
        return Services.get(m, IrqWorkCore.class);
    }

    /** IWI interrupts taken by {@code cpu}, as smp's IPI dispatch counts them (on every platform). */
    private long iwiCount(int cpu) {
        return Services.get(m, Ipis.class).count(m.cpu(cpu), Ipi.IRQ_WORK);
    }

    /** The IWI row of {@code /proc/interrupts}, one number per CPU. */
    private long[] iwiRow() {
        for (String line : m.stats().interrupts().split("\n")) {
            String t = line.trim();
            if (t.startsWith(Ipi.IRQ_WORK.label() + ":")) {
                String[] f = t.substring(t.indexOf(':') + 1).trim().split("\\s+");
                long[] row = new long[m.cpuCount()];
                for (int c = 0; c < row.length; c++) {
                    row[c] = Long.parseLong(f[c]);
                }
                return row;
            }
        }
        throw new AssertionError("no IWI row in\n" + m.stats().interrupts());
    }

    /** What a callback saw of the CPU and context it ran in. */
    private static final class Seen {
        final Cpu cpu;
        final boolean hardirq;
        final boolean nmi;
        final boolean irqsDisabled;

        Seen() {
            this.cpu = Cpu.current();
            CpuContext x = CpuContext.current();
            this.hardirq = x.inHardirq();
            this.nmi = x.inNmi();
            this.irqsDisabled = x.irqsDisabled();
        }
    }

    // ---------------------------------------------------------------------------------------------- §7a states

    @Nested
    @DisplayName("§7a state machine")
    class States {
        @Test
        @DisplayName("FREE -> PENDING -> BUSY -> FREE as isPending/isBusy show it")
        void freePendingBusyFree() {
            manual(2);
            m.bindCurrentThread(0);
            boolean[] inside = new boolean[2];
            IrqWork[] self = new IrqWork[1];
            self[0] = new IrqWork(m, () -> {
                inside[0] = self[0].isPending();
                inside[1] = self[0].isBusy();
            });
            IrqWork w = self[0];
            assertFalse(w.isPending(), "FREE: not pending");
            assertFalse(w.isBusy(), "FREE: not busy");
            assertTrue(w.toString().contains("FREE"), w.toString());

            assertTrue(w.queue());
            assertTrue(w.isPending(), "PENDING after queue()");
            assertTrue(w.isBusy(), "PENDING is PENDING|BUSY: BUSY from claim to the end of the run");
            assertTrue(w.toString().contains("PENDING"), w.toString());

            m.runUntilIdle();
            assertFalse(inside[0], "BUSY: PENDING is cleared before the callback starts (B-IW-5)");
            assertTrue(inside[1], "BUSY: BUSY stays set while the callback runs");
            assertFalse(w.isPending(), "FREE after the run");
            assertFalse(w.isBusy(), "FREE after the run");
            assertEquals(1, w.runs());
        }

        @Test
        @DisplayName("BUSY -> CLAIMED when queue() is called during the callback; it runs again")
        void busyToClaimed() {
            manual(1);
            List<String> states = new ArrayList<>();
            IrqWork[] self = new IrqWork[1];
            self[0] = new IrqWork(m, () -> {
                if (self[0].runs() == 1) {
                    states.add("before:" + self[0].isPending() + "/" + self[0].isBusy());
                    states.add("queue:" + self[0].queue());
                    states.add("after:" + self[0].isPending() + "/" + self[0].isBusy());
                }
            });
            self[0].queue();
            m.runUntilIdle();
            assertEquals(List.of("before:false/true", "queue:true", "after:true/true"), states);
            assertEquals(2, self[0].runs(), "the re-claimed item ran again (B-IW-5 end-of-run CAS failed)");
            assertFalse(self[0].isBusy(), "FREE at the end");
        }

        @Test
        @DisplayName("re-queued during its callback, the item is still PENDING after that run returns, never FREE")
        void requeuedStaysPendingAfterRun() {
            manual(2);
            m.bindCurrentThread(0);
            List<Cpu> where = new ArrayList<>();
            IrqWork[] self = new IrqWork[1];
            self[0] = new IrqWork(m, () -> {
                where.add(Cpu.current());
                if (where.size() == 1) {
                    assertTrue(self[0].queueOn(1));         // re-queued elsewhere while BUSY
                }
            });
            assertTrue(self[0].queue());
            m.cpu(0).runPending();                          // run 1 only; cpu/1 has not run yet
            assertEquals(List.of(m.cpu(0)), where);
            assertTrue(self[0].isPending(), "the end-of-run CAS failed: still claimed (MO-IW-3)");
            assertTrue(self[0].isBusy());
            assertFalse(self[0].queue(), "still PENDING: a second claim would link it twice");
            m.runUntilIdle();
            assertEquals(List.of(m.cpu(0), m.cpu(1)), where);
            assertFalse(self[0].isBusy());
        }

        @Test
        @DisplayName("lazy items report themselves lazy and keep LAZY across runs")
        void lazyFlagSurvivesRuns() {
            manual(1);
            IrqWork l = IrqWork.lazy(m, () -> { });
            assertTrue(l.isLazy());
            assertFalse(new IrqWork(m, () -> { }).isLazy());
            l.queue();
            m.advance(Duration.ofMillis(1));
            assertEquals(1, l.runs());
            assertTrue(l.isLazy(), "the end-of-run CAS only clears BUSY");
            assertTrue(l.toString().contains("lazy"), l.toString());
        }

        @Test
        @DisplayName("a null callback is refused")
        void nullCallback() {
            manual(1);
            assertThrows(NullPointerException.class, () -> new IrqWork(m, null));
            assertThrows(NullPointerException.class, () -> IrqWork.lazy(m, null));
        }
    }

    // ----------------------------------------------------------------------------------------------- B-IW-1/2

    @Nested
    @DisplayName("B-IW-1/2 queue() result and IWI coalescing")
    class QueueAndRaise {
        @Test
        @DisplayName("B-IW-1: true makes it pending, false while it already is; one run for both")
        void trueThenFalse() {
            manual(2);
            m.bindCurrentThread(0);
            IrqWork w = new IrqWork(m, () -> { });
            assertTrue(w.queue(), "first queue() claims");
            assertFalse(w.queue(), "already PENDING");
            assertFalse(w.queue(), "still PENDING");
            m.runUntilIdle();
            assertEquals(1, w.runs(), "one PENDING period, one run");
            assertTrue(w.queue(), "FREE again: the next queue() claims");
            m.runUntilIdle();
            assertEquals(2, w.runs());
        }

        @Test
        @DisplayName("B-IW-2: N items queued in a burst raise exactly one IWI")
        void oneIwiPerBurst() {
            manual(2);
            m.bindCurrentThread(0);
            long raises0 = core().raises();
            long[] row0 = iwiRow();
            int n = 8;
            List<IrqWork> items = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                items.add(new IrqWork(m, () -> { }));
            }
            for (IrqWork w : items) {
                assertTrue(w.queue());
            }
            assertEquals(raises0 + 1, core().raises(), "one raise for the empty-to-non-empty transition");
            m.runUntilIdle();
            assertEquals(1, iwiCount(0), "cpu/0 took one IWI for " + n + " items");
            assertEquals(0, iwiCount(1), "cpu/1 took none");
            long[] row = iwiRow();
            assertEquals(row0[0] + 1, row[0], "/proc/interrupts IWI column of cpu/0");
            assertEquals(row0[1], row[1], "/proc/interrupts IWI column of cpu/1");
            for (IrqWork w : items) {
                assertEquals(1, w.runs());
            }

            // The list is empty again: the next burst raises again, exactly once.
            for (IrqWork w : items) {
                assertTrue(w.queue());
            }
            assertEquals(raises0 + 2, core().raises());
            m.runUntilIdle();
            assertEquals(2, iwiCount(0));
        }

        @Test
        @DisplayName("B-IW-2: coalesced queue() calls (already pending) raise nothing")
        void coalescedRaisesNothing() {
            manual(1);
            IrqWork w = new IrqWork(m, () -> { });
            w.queue();
            long r = core().raises();
            for (int i = 0; i < 10; i++) {
                assertFalse(w.queue());
            }
            assertEquals(r, core().raises());
            m.runUntilIdle();
            assertEquals(1, iwiCount(0));
        }

        @Test
        @DisplayName("B-IW-2: each CPU's list has its own transition: one IWI per CPU")
        void oneIwiPerCpu() {
            manual(2);
            long r0 = core().raises();
            for (int cpu = 0; cpu < 2; cpu++) {
                m.bindCurrentThread(cpu);
                for (int i = 0; i < 3; i++) {
                    new IrqWork(m, () -> { }).queue();
                }
            }
            assertEquals(r0 + 2, core().raises());
            m.runUntilIdle();
            assertEquals(1, iwiCount(0));
            assertEquals(1, iwiCount(1));
        }
    }

    // ----------------------------------------------------------------------------------------------- B-IW-3/9

    @Nested
    @DisplayName("B-IW-3/9 lazy items")
    class Lazy {
        @Test
        @DisplayName("a lazy item raises no IWI and runs at the next tick, not before")
        void runsAtTickOnly() {
            manual(2);
            m.bindCurrentThread(1);
            List<Seen> seen = new ArrayList<>();
            IrqWork l = IrqWork.lazy(m, () -> seen.add(new Seen()));
            long r0 = core().raises();
            assertTrue(l.queue());
            assertEquals(r0, core().raises(), "no self-IPI for a lazy item while the tick runs");
            m.runUntilIdle();
            assertEquals(0, iwiCount(1), "no IWI taken");
            assertTrue(seen.isEmpty(), "runUntilIdle alone does not run a lazy item (time did not advance)");
            assertTrue(l.isPending());
            m.cpu(1).runPending();
            assertTrue(seen.isEmpty(), "runPending alone does not run it either");

            m.advance(Duration.ofMillis(1));
            assertEquals(1, seen.size(), "the tick ran it");
            Seen s = seen.get(0);
            assertSame(m.cpu(1), s.cpu, "on the CPU it was queued on");
            assertTrue(s.hardirq, "tick: hardirq context");
            assertTrue(s.irqsDisabled);
            assertFalse(l.isBusy());
            assertEquals(0, iwiCount(1));
        }

        @Test
        @Timeout(20)
        @DisplayName("THREADED: on a CPU idle with its tick stopped (NOHZ), a lazy item raises the IWI and runs")
        void lazyRaisesWhenTickStopped() throws InterruptedException {
            m = machines.threaded(b -> b.idle(IdlePolicy.PARK));
            Cpus cpus = Services.get(m, Cpus.class);
            Cpu c1 = m.cpu(1);
            // No timers and nothing queued: cpu/1 parks with its tick stopped and stays so until woken.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!(cpus.isParked(c1) && cpus.tickStopped(c1))) {
                assertTrue(System.nanoTime() - deadline < 0, "cpu/1 never went NOHZ idle");
                Thread.yield();
            }
            long r0 = core().raises();
            CountDownLatch ran = new CountDownLatch(1);
            AtomicReference<Cpu> where = new AtomicReference<>();
            IrqWork l = IrqWork.lazy(m, () -> {
                where.set(Cpu.current());
                ran.countDown();
            });
            m.bindCurrentThread(1);
            assertTrue(l.queue());
            assertEquals(r0 + 1, core().raises(), "tick stopped: the lazy item raised like a hard one (B-IW-3)");
            assertTrue(ran.await(10, TimeUnit.SECONDS), "the IWI woke cpu/1 and ran it");
            assertSame(c1, where.get());
        }

        @Test
        @DisplayName("a hard item's IWI also runs the lazy list (irq_work_run takes both)")
        void iwiRunsLazyListToo() {
            manual(1);
            List<String> order = new ArrayList<>();
            IrqWork l = IrqWork.lazy(m, () -> order.add("lazy"));
            IrqWork h = new IrqWork(m, () -> order.add("hard"));
            l.queue();
            h.queue();
            m.runUntilIdle();
            assertEquals(List.of("hard", "lazy"), order, "raised list first, then lazy (B-IW-5)");
        }

        @Test
        @DisplayName("several lazy items queued in one jiffy all run at that tick")
        void severalLazyAtOneTick() {
            manual(1);
            AtomicInteger runs = new AtomicInteger();
            for (int i = 0; i < 5; i++) {
                IrqWork.lazy(m, runs::incrementAndGet).queue();
            }
            m.runUntilIdle();
            assertEquals(0, runs.get());
            m.advance(Duration.ofMillis(1));
            assertEquals(5, runs.get());
        }
    }

    // ----------------------------------------------------------------------------------------------- B-IW-5/7

    @Nested
    @DisplayName("B-IW-5/7 re-queue from the callback")
    class Requeue {
        @Test
        @DisplayName("a callback that re-queues its own item (true) makes it run again")
        void selfRequeue() {
            manual(1);
            List<Boolean> results = new ArrayList<>();
            IrqWork[] self = new IrqWork[1];
            self[0] = new IrqWork(m, () -> {
                if (self[0].runs() < 3) {
                    results.add(self[0].queue());
                }
            });
            long r0 = core().raises();
            self[0].queue();
            m.runUntilIdle();
            assertEquals(3, self[0].runs());
            assertEquals(List.of(true, true), results, "re-queue from the callback claims (B-IW-7)");
            assertFalse(self[0].isBusy());
            assertEquals(r0 + 3, core().raises(), "each re-queue found the raised list empty again and raised");
        }

        @Test
        @DisplayName("a lazy item re-queued from its callback runs at the following tick")
        void lazySelfRequeue() {
            manual(1);
            List<Long> at = new ArrayList<>();
            IrqWork[] self = new IrqWork[1];
            self[0] = IrqWork.lazy(m, () -> {
                at.add(m.uptime().toMillis());
                if (at.size() < 3) {
                    self[0].queue();
                }
            });
            self[0].queue();
            m.advance(Duration.ofMillis(5));
            assertEquals(List.of(1L, 2L, 3L), at, "one run per tick");
        }
    }

    // ---------------------------------------------------------------------------------------------- B-IW-7/10

    /**
     * An item that re-queues itself from its callback: what the kernel guarantees (B-IW-7: the re-queue claims and
     * the item runs again; B-IW-5: one run per PENDING period, so never twice in one batch; B-IW-10: sync may never
     * return while it keeps re-queueing) and what it does not (fairness: an unconditional self-requeue is an
     * interrupt storm on its CPU).
     */
    @Nested
    @DisplayName("B-IW-7/10 an item that re-queues itself")
    @Timeout(30)
    class SelfRequeue {
        private static final int DEVICE_SPI = 40;

        @Test
        @DisplayName("each run is its own interrupt: a self-requeue never runs twice in the batch that re-queued it")
        void oneRunPerInterrupt() {
            manual(1);
            List<Long> iwiAtRun = new ArrayList<>();
            IrqWork[] self = new IrqWork[1];
            self[0] = new IrqWork(m, () -> {
                iwiAtRun.add(iwiCount(0));
                if (iwiAtRun.size() < 5) {
                    assertTrue(self[0].queue(), "B-IW-7: the re-queue claims (PENDING was cleared before the run)");
                }
            });
            long before = iwiCount(0);
            self[0].queue();
            m.cpu(0).runPending();
            assertEquals(List.of(before + 1, before + 2, before + 3, before + 4, before + 5), iwiAtRun,
                    "run k happened in the k-th IWI: the batch that ran it had already been taken off the list");
            assertFalse(self[0].isBusy(), "it stopped re-queueing: FREE");
        }

        @Test
        @DisplayName("items queued meanwhile run in the next batch: a self-requeueing item does not starve irq_work")
        void otherItemsAreNotStarved() {
            manual(1);
            List<String> order = new ArrayList<>();
            IrqWork other = new IrqWork(m, () -> order.add("other"));
            IrqWork[] self = new IrqWork[1];
            self[0] = new IrqWork(m, () -> {
                order.add("self" + self[0].runs());
                if (self[0].runs() == 2) {
                    other.queue();
                }
                if (self[0].runs() < 6) {
                    self[0].queue();
                }
            });
            self[0].queue();
            m.cpu(0).runPending();
            int at = order.indexOf("other");
            assertEquals(List.of("self1", "self2"), order.subList(0, 2));
            assertTrue(at == 2 || at == 3, "queued during run 2, it runs in the next batch, with run 3: " + order);
            assertEquals(7, order.size(), "six runs of the re-queueing item, one of the other: " + order);
        }

        @Test
        @DisplayName("re-queueing forever is a livelock that runUntilIdle names; the CPU's steps stay bounded")
        void foreverIsALivelockNamedByRunUntilIdle() {
            manual(1);
            AtomicReference<Boolean> forever = new AtomicReference<>(true);
            IrqWork[] self = new IrqWork[1];
            self[0] = new IrqWork(m, () -> {
                if (forever.get()) {
                    self[0].queue();
                }
            });
            self[0].queue();
            IllegalStateException e = assertThrows(IllegalStateException.class, m::runUntilIdle);
            String iwi = Machines.PLATFORM == Platform.ARM64_GICV3 ? "INTID " + IWI
                    : String.format("vector 0x%x", IrqVectors.IRQ_WORK_VECTOR);
            assertTrue(e.getMessage().contains("cpu/0") && e.getMessage().contains(iwi),
                    "names the CPU and the IWI that keeps it busy: " + e.getMessage());
            assertTrue(self[0].isBusy(), "B-IW-10: still queued, so sync() would not return");
            forever.set(false);
            m.runUntilIdle();
            assertFalse(self[0].isBusy());
        }

        @Test
        @Tag(Machines.GIC_ONLY)          // the GIC's order among equal priorities (on x86 the vector's class decides)
        @DisplayName("a device of the same priority waits out the storm (no fairness promised) and is not lost")
        void aDeviceOfTheSamePriorityWaitsAndIsNotLost() {
            manual(1);
            AtomicInteger device = new AtomicInteger();
            m.irqs().request(DEVICE_SPI, (irq, dev) -> {
                device.incrementAndGet();
                return IrqReturn.HANDLED;
            }, IrqFlags.TRIGGER_RISING, "dev", null);
            AtomicReference<Boolean> forever = new AtomicReference<>(true);
            IrqWork[] self = new IrqWork[1];
            self[0] = new IrqWork(m, () -> {
                if (forever.get()) {
                    self[0].queue();
                }
            });
            self[0].queue();
            m.gic().pulse(DEVICE_SPI);
            m.cpu(0).runPending();
            // The GIC takes the lowest INTID among equal priorities (B-GIC-5, QEMU's choice): SGI 5 before SPI 40,
            // every time, while the item keeps re-queueing itself. The kernel makes no promise either way.
            assertEquals(0, device.get(), "the device waited: the storm kept the CPU in the IWI");
            assertTrue(self[0].isPending(), "still re-queueing itself when the bounded step returned");
            forever.set(false);
            m.runUntilIdle();
            assertEquals(1, device.get(), "its edge stayed pending at the GIC and ran once the storm ended");
        }
    }

    // ---------------------------------------------------------------------------------------------- B-IW-6

    @Nested
    @DisplayName("B-IW-6 order")
    class Order {
        @Test
        @DisplayName("a batch from one CPU's raised list runs newest first (LIFO)")
        void localBatchIsLifo() {
            manual(2);
            m.bindCurrentThread(0);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int id = i;
                new IrqWork(m, () -> order.add(id)).queue();
            }
            m.runUntilIdle();
            // Observed and asserted for one batch queued by one thread before the CPU ran: newest first.
            assertEquals(List.of(4, 3, 2, 1, 0), order);
        }

        @Test
        @DisplayName("a lazy batch taken at a tick also runs newest first")
        void lazyBatchIsLifo() {
            manual(1);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int id = i;
                IrqWork.lazy(m, () -> order.add(id)).queue();
            }
            m.advance(Duration.ofMillis(1));
            assertEquals(List.of(3, 2, 1, 0), order);
        }

        @Test
        @DisplayName("items queued with queueOn arrive FIFO through the call-single queue")
        void remoteIsFifo() {
            manual(2);
            m.bindCurrentThread(0);
            io.kdefer.smp.Smp smp = m.smp();
            long ipis0 = smp.ipisSent();
            List<Integer> order = new ArrayList<>();
            List<Cpu> where = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int id = i;
                assertTrue(new IrqWork(m, () -> {
                    order.add(id);
                    where.add(Cpu.current());
                }).queueOn(1));
            }
            assertEquals(ipis0 + 1, smp.ipisSent(), "one CALL_FUNC IPI for the burst, no IWI");
            m.runUntilIdle();
            assertEquals(List.of(0, 1, 2, 3, 4), order);
            assertEquals(Collections.nCopies(5, m.cpu(1)), where);
            assertEquals(0, iwiCount(1), "remote items come through CALL_FUNC, not the IWI");
        }

        @Test
        @DisplayName("queueOn(own cpu) takes the local path (IWI, LIFO)")
        void queueOnSelfIsLocal() {
            manual(2);
            m.bindCurrentThread(1);
            io.kdefer.smp.Smp smp = m.smp();
            long ipis0 = smp.ipisSent();
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int id = i;
                assertTrue(new IrqWork(m, () -> order.add(id)).queueOn(1));
            }
            assertEquals(ipis0, smp.ipisSent());
            m.runUntilIdle();
            assertEquals(1, iwiCount(1));
            assertEquals(List.of(2, 1, 0), order);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-IW-12

    @Nested
    @DisplayName("B-IW-12 callback context and NMI")
    class Context {
        @Test
        @DisplayName("a hard item's callback runs in hardirq context with IRQs disabled on its CPU")
        void hardirqContext() {
            manual(2);
            m.bindCurrentThread(1);
            List<Seen> seen = new ArrayList<>();
            new IrqWork(m, () -> seen.add(new Seen())).queue();
            m.runUntilIdle();
            assertEquals(1, seen.size());
            Seen s = seen.get(0);
            assertSame(m.cpu(1), s.cpu);
            assertTrue(s.hardirq, "inHardirq");
            assertFalse(s.nmi);
            assertTrue(s.irqsDisabled, "irqsDisabled");
        }

        @Test
        @DisplayName("a remote item's callback runs in hardirq context with IRQs disabled on the target")
        void remoteHardirqContext() {
            manual(2);
            m.bindCurrentThread(0);
            List<Seen> seen = new ArrayList<>();
            new IrqWork(m, () -> seen.add(new Seen())).queueOn(1);
            m.runUntilIdle();
            Seen s = seen.get(0);
            assertSame(m.cpu(1), s.cpu);
            assertTrue(s.hardirq);
            assertTrue(s.irqsDisabled);
        }

        @Tag(Machines.GIC_ONLY)          // programs the GIC directly (a pseudo-NMI priority)
        @Test
        @DisplayName("queue() from a pseudo-NMI handler works; the item runs after the NMI, in hardirq context")
        void queueFromNmi() {
            manual(2);
            List<Seen> seen = new ArrayList<>();
            IrqWork w = new IrqWork(m, () -> seen.add(new Seen()));
            List<Object> inNmi = new ArrayList<>();
            m.gic().configure(NMI_SPI, Trigger.EDGE_RISING, 0xa0);
            m.irqs().requestNmi(NMI_SPI, (irq, dev) -> {
                inNmi.add(CpuContext.current().inNmi());
                inNmi.add(w.queue());
                inNmi.add(w.isPending());
                return IrqReturn.HANDLED;
            }, "pmu", this);
            m.gic().pulse(NMI_SPI);
            m.runUntilIdle();
            assertEquals(List.of(true, true, true), inNmi, "in NMI; queue() claimed; pending");
            assertEquals(1, seen.size(), "ran after the NMI returned");
            Seen s = seen.get(0);
            assertSame(m.cpu(0), s.cpu, "on the CPU that took the NMI (the SPI routes to cpu/0)");
            assertTrue(s.hardirq);
            assertFalse(s.nmi, "the IWI is a regular interrupt, not an NMI");
            assertEquals(1, iwiCount(0));
        }

        @Tag(Machines.GIC_ONLY)          // programs the GIC directly (a pseudo-NMI priority)
        @Test
        @DisplayName("a pseudo-NMI taken between two items of a batch can queue more; that item runs after the batch")
        void nmiBetweenItems() {
            manual(1);
            List<String> order = new ArrayList<>();
            IrqWork c = new IrqWork(m, () -> order.add("C nmi=" + CpuContext.current().inNmi()));
            m.gic().configure(NMI_SPI, Trigger.EDGE_RISING, 0xa0);
            m.irqs().requestNmi(NMI_SPI, (irq, dev) -> {
                order.add("NMI queue(C)=" + c.queue());
                return IrqReturn.HANDLED;
            }, "pmu", this);
            IrqWork b = new IrqWork(m, () -> order.add("B"));
            IrqWork a = new IrqWork(m, () -> {
                order.add("A");
                m.gic().pulse(NMI_SPI);         // taken at the checkpoint after this item, IRQs still disabled
            });
            b.queue();
            a.queue();                          // newest first: A runs before B
            m.runUntilIdle();
            assertEquals(List.of("A", "NMI queue(C)=true", "B", "C nmi=false"), order);
            assertEquals(2, iwiCount(0), "C's push found the raised list empty (the batch was taken): a second IWI");
        }

        @Tag(Machines.GIC_ONLY)          // programs the GIC directly (a pseudo-NMI priority)
        @Test
        @DisplayName("B-IW-4: queueOn a remote CPU from NMI context is refused; the item stays FREE")
        void queueOnRemoteFromNmiRefused() {
            manual(2);
            IrqWork w = new IrqWork(m, () -> { });
            AtomicReference<Throwable> failure = new AtomicReference<>();
            m.gic().configure(NMI_SPI, Trigger.EDGE_RISING, 0xa0);
            m.irqs().requestNmi(NMI_SPI, (irq, dev) -> {
                try {
                    w.queueOn(1);
                } catch (Throwable t) {
                    failure.set(t);
                }
                return IrqReturn.HANDLED;
            }, "pmu", this);
            m.gic().pulse(NMI_SPI);
            m.runUntilIdle();
            assertNotNull(failure.get(), "queueOn(remote) from NMI must be refused");
            assertTrue(failure.get() instanceof IllegalStateException, failure.get().toString());
            assertTrue(failure.get().getMessage().contains("NMI"), failure.get().getMessage());
            assertFalse(w.isPending(), "refused before the claim: still FREE");
            assertFalse(w.isBusy());
            assertEquals(0, w.runs());
        }

        @Tag(Machines.GIC_ONLY)          // programs the GIC directly (a pseudo-NMI priority)
        @Test
        @DisplayName("B-IW-4: queueOn the NMI's own CPU from NMI context is the local path and works")
        void queueOnSelfFromNmi() {
            manual(2);
            IrqWork w = new IrqWork(m, () -> { });
            List<Boolean> r = new ArrayList<>();
            m.gic().configure(NMI_SPI, Trigger.EDGE_RISING, 0xa0);
            m.irqs().requestNmi(NMI_SPI, (irq, dev) -> {
                r.add(w.queueOn(0));
                return IrqReturn.HANDLED;
            }, "pmu", this);
            m.gic().pulse(NMI_SPI);
            m.runUntilIdle();
            assertEquals(List.of(true), r);
            assertEquals(1, w.runs());
        }
    }

    // ----------------------------------------------------------------------------------------------- B-IW-13/4

    @Nested
    @DisplayName("B-IW-13 hotplug and B-IW-4 bad targets")
    class Hotplug {
        @Test
        @DisplayName("taking a CPU offline runs the items pending on it, on that CPU")
        void offlineRunsPending() {
            manual(2);
            m.bindCurrentThread(1);
            List<Seen> seen = new ArrayList<>();
            IrqWork hard = new IrqWork(m, () -> seen.add(new Seen()));
            IrqWork lazy = IrqWork.lazy(m, () -> seen.add(new Seen()));
            assertTrue(hard.queue());
            assertTrue(lazy.queue());
            m.unbindCurrentThread();
            m.cpu(1).offline();
            assertFalse(m.cpu(1).isOnline());
            assertEquals(2, seen.size(), "both pending items ran in the dying step");
            for (Seen s : seen) {
                assertSame(m.cpu(1), s.cpu, "on the dying CPU");
                assertTrue(s.irqsDisabled, "dying step: IRQs disabled");
            }
            assertFalse(hard.isBusy());
            assertFalse(lazy.isBusy());
            m.cpu(1).online();
            m.runUntilIdle();
            assertEquals(2, seen.size(), "nothing ran twice");
        }

        @Test
        @DisplayName("items queued remotely and still in the target's call-single queue run when it goes offline")
        void offlineRunsRemotePending() {
            manual(2);
            m.bindCurrentThread(0);
            List<Cpu> where = new ArrayList<>();
            IrqWork w = new IrqWork(m, () -> where.add(Cpu.current()));
            assertTrue(w.queueOn(1));
            m.unbindCurrentThread();
            m.cpu(1).offline();
            assertEquals(List.of(m.cpu(1)), where);
            m.cpu(1).online();
        }

        @Test
        @DisplayName("an item queued on a CPU after its dying step is not stranded: it runs on the CPU taking over")
        void queuedAfterDyingRunsElsewhere() {
            manual(2);
            List<Cpu> where = new ArrayList<>();
            IrqWork hard = new IrqWork(m, () -> where.add(Cpu.current()));
            IrqWork lazy = IrqWork.lazy(m, () -> where.add(Cpu.current()));
            Services.get(m, Cpus.class).addHotplugHook(new Cpus.HotplugHook() {
                @Override
                public void dying(Cpu cpu) {
                    // An application thread whose "this CPU" is still the (online) dying cpu/1.
                    Thread t = new Thread(() -> {
                        m.bindCurrentThread(1);
                        assertTrue(hard.queue());
                        assertTrue(lazy.queue());
                        m.unbindCurrentThread();
                    });
                    t.start();
                    try {
                        t.join(10_000);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }
            });
            m.cpu(1).offline();
            m.runUntilIdle();
            assertEquals(List.of(m.cpu(0), m.cpu(0)), where, "both ran, on cpu/0, without waiting for a tick");
            assertFalse(hard.isBusy());
            assertFalse(lazy.isBusy());
        }

        @Test
        @DisplayName("queueOn an offline CPU is refused and does not claim")
        void queueOnOfflineRefused() {
            manual(2);
            m.cpu(1).offline();
            IrqWork w = new IrqWork(m, () -> { });
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.queueOn(1));
            assertTrue(e.getMessage().contains("offline"), e.getMessage());
            assertFalse(w.isPending());
            assertTrue(w.queueOn(0), "still FREE: usable at once");
            m.runUntilIdle();
            assertEquals(1, w.runs());
        }

        @Test
        @DisplayName("queueOn a CPU that does not exist is refused")
        void queueOnNoSuchCpu() {
            manual(2);
            IrqWork w = new IrqWork(m, () -> { });
            assertThrows(IllegalArgumentException.class, () -> w.queueOn(2));
            assertThrows(IllegalArgumentException.class, () -> w.queueOn(-1));
            assertFalse(w.isPending());
        }

        @Test
        @DisplayName("queue() from a thread bound to an offline CPU lands on an online CPU")
        void boundToOfflineFallsBackToHome() {
            manual(2);
            m.cpu(1).offline();
            m.bindCurrentThread(1);
            List<Cpu> where = new ArrayList<>();
            new IrqWork(m, () -> where.add(Cpu.current())).queue();
            m.runUntilIdle();
            assertEquals(List.of(m.cpu(0)), where);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-IW-10

    @Nested
    @DisplayName("B-IW-10 sync")
    class Sync {
        @Test
        @DisplayName("sync() from hardirq context is refused with the might_sleep message")
        void syncFromAtomicRefused() {
            manual(1);
            IrqWork target = new IrqWork(m, () -> { });
            AtomicReference<Throwable> failure = new AtomicReference<>();
            new IrqWork(m, () -> {
                try {
                    target.sync();
                } catch (Throwable t) {
                    failure.set(t);
                }
            }).queue();
            m.runUntilIdle();
            Throwable t = failure.get();
            assertTrue(t instanceof IllegalStateException, String.valueOf(t));
            assertTrue(t.getMessage().contains("sleeping function called from hardirq context on cpu/0"),
                    t.getMessage());
        }

        @Test
        @DisplayName("sync() from a task with BH disabled is refused")
        void syncWithBhDisabledRefused() {
            manual(1);
            m.bindCurrentThread(0);
            IrqWork w = new IrqWork(m, () -> { });
            m.cpu(0).localBhDisable();
            try {
                IllegalStateException e = assertThrows(IllegalStateException.class, w::sync);
                assertTrue(e.getMessage().contains("sleeping function called from"), e.getMessage());
            } finally {
                m.cpu(0).localBhEnable();
            }
        }

        @Test
        @DisplayName("sync() in MANUAL mode on a pending item is refused with a clear message")
        void syncManualPendingRefused() {
            manual(1);
            IrqWork w = new IrqWork(m, () -> { });
            w.queue();
            IllegalStateException e = assertThrows(IllegalStateException.class, w::sync);
            assertTrue(e.getMessage().contains("MANUAL"), e.getMessage());
            assertTrue(e.getMessage().contains("runUntilIdle"), e.getMessage());
            assertTrue(w.isPending(), "the refusal changed nothing");
            m.runUntilIdle();
            w.sync();                           // FREE now: returns at once
            assertEquals(1, w.runs());
        }

        @Test
        @Timeout(20)
        @DisplayName("sync() in MANUAL mode waits for a callback that another thread is stepping")
        void syncManualWaitsForRunningCallback() throws InterruptedException {
            manual(1);
            Thread syncer = Thread.currentThread();
            CountDownLatch started = new CountDownLatch(1);
            boolean[] syncerWaited = new boolean[1];
            int[] z = new int[1];
            IrqWork[] self = new IrqWork[1];
            IrqWork w = new IrqWork(m, () -> {
                started.countDown();
                // Hold the callback open until the syncing thread is parked inside sync() (bounded): sync() parks
                // with the item as its blocker.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                boolean parkedInSync;
                while (!(parkedInSync = LockSupport.getBlocker(syncer) == self[0])
                        && System.nanoTime() - deadline < 0) {
                    Thread.onSpinWait();
                }
                syncerWaited[0] = parkedInSync;
                z[0] = 7;
            });
            self[0] = w;
            w.queue();
            AtomicReference<Throwable> stepFailure = new AtomicReference<>();
            Thread stepper = new Thread(() -> {
                try {
                    m.runUntilIdle();
                } catch (Throwable t) {
                    stepFailure.set(t);
                }
            }, "stepper");
            stepper.start();
            assertTrue(started.await(10, TimeUnit.SECONDS));
            assertTrue(w.isBusy());
            assertFalse(w.isPending(), "BUSY, not PENDING: another thread is running it");
            w.sync();                           // must wait for the stepper, not refuse
            assertEquals(7, z[0], "returned after the callback's stores");
            assertTrue(syncerWaited[0], "the callback saw sync() waiting");
            stepper.join();
            assertNull(stepFailure.get());
        }

        @Test
        @DisplayName("sync() on a FREE item returns at once")
        void syncFree() {
            manual(1);
            new IrqWork(m, () -> { }).sync();
        }

        @Test
        @Timeout(10)
        @DisplayName("THREADED: sync() waits for a queued item's callback to finish and sees its stores")
        void syncWaitsThreaded() throws InterruptedException {
            m = machines.threaded(b -> b.idle(IdlePolicy.PARK));
            m.bindCurrentThread(0);
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            int[] z = new int[1];
            IrqWork w = new IrqWork(m, () -> {
                started.countDown();
                awaitQuietly(release);
                z[0] = 42;
            });
            assertTrue(w.queueOn(1));
            assertTrue(started.await(5, TimeUnit.SECONDS));
            assertTrue(w.isBusy());
            assertFalse(w.isPending());
            Thread releaser = new Thread(release::countDown);
            releaser.start();
            w.sync();
            assertEquals(42, z[0], "sync() returns after the callback's stores (MO-IW-4, acquire)");
            assertFalse(w.isBusy());
            releaser.join();
        }
    }

    // ---------------------------------------------------------------------------------------------- failures

    @Nested
    @DisplayName("DESIGN §5 failures")
    class Failures {
        @Test
        @DisplayName("a throwing callback is contained and counted; the item and the CPU keep working")
        void throwingCallbackContained() {
            manual(1);
            IrqWork bad = new IrqWork(m, () -> {
                throw new IllegalStateException("boom");
            });
            AtomicInteger good = new AtomicInteger();
            IrqWork ok = new IrqWork(m, good::incrementAndGet);
            bad.queue();
            ok.queue();
            m.runUntilIdle();
            assertEquals(1, bad.failures());
            assertEquals(1, bad.runs());
            assertEquals(1, good.get(), "the other item of the same batch still ran");
            assertFalse(bad.isBusy(), "FREE after a throwing run");
            assertTrue(bad.queue(), "and can be queued again");
            m.runUntilIdle();
            assertEquals(2, bad.failures());
            assertTrue(ok.queue());
            m.runUntilIdle();
            assertEquals(2, good.get(), "the CPU keeps running irq_work");
        }

        @Test
        @DisplayName("a callback that throws after re-queueing itself still runs again")
        void throwAfterRequeue() {
            manual(1);
            IrqWork[] self = new IrqWork[1];
            self[0] = new IrqWork(m, () -> {
                if (self[0].runs() == 1) {
                    self[0].queue();
                    throw new IllegalStateException("boom");
                }
            });
            self[0].queue();
            m.runUntilIdle();
            assertEquals(2, self[0].runs());
            assertEquals(1, self[0].failures());
            assertFalse(self[0].isBusy());
        }
    }

    // ---------------------------------------------------------------------------------------------- close

    @Nested
    @DisplayName("DESIGN §5 close loses nothing")
    class Close {
        @Test
        @DisplayName("MANUAL: close() runs pending hard and lazy items (no tick is left to run the lazy ones)")
        void closeRunsPendingManual() {
            manual(2);
            List<String> ran = new ArrayList<>();
            m.bindCurrentThread(1);
            IrqWork lazy = IrqWork.lazy(m, () -> ran.add("lazy@" + Cpu.current()));
            IrqWork hard = new IrqWork(m, () -> ran.add("hard@" + Cpu.current()));
            IrqWork remote = new IrqWork(m, () -> ran.add("remote@" + Cpu.current()));
            assertTrue(lazy.queue());
            assertTrue(hard.queue());
            assertTrue(remote.queueOn(0));
            m.unbindCurrentThread();
            m.close();
            ran.sort(null);
            assertEquals(List.of("hard@cpu/1", "lazy@cpu/1", "remote@cpu/0"), ran);
            assertFalse(lazy.isBusy());
        }

        @Test
        @DisplayName("MANUAL: close() runs a lazy item queued alone")
        void closeRunsLoneLazyManual() {
            manual(1);
            IrqWork lazy = IrqWork.lazy(m, () -> { });
            lazy.queue();
            m.close();
            assertEquals(1, lazy.runs());
            assertFalse(lazy.isPending());
        }

        @Test
        @Timeout(20)
        @DisplayName("THREADED: close() right after queueing runs the pending lazy items")
        void closeRunsPendingThreaded() {
            m = machines.threaded(b -> b.hz(1).idle(IdlePolicy.PARK));
            List<IrqWork> items = new ArrayList<>();
            for (int cpu = 0; cpu < 2; cpu++) {
                m.bindCurrentThread(cpu);
                IrqWork l = IrqWork.lazy(m, () -> { });
                items.add(l);
                assertTrue(l.queue());
            }
            m.unbindCurrentThread();
            m.close();
            for (IrqWork l : items) {
                assertEquals(1, l.runs(), "HZ=1, no tick before close: run by close() (or a NOHZ raise), not lost");
                assertFalse(l.isPending());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- this CPU

    @Nested
    @DisplayName("\"this CPU\" for application threads")
    class ThisCpu {
        @Test
        @DisplayName("queue() from unbound application threads lands on each thread's home CPU")
        void unboundGoesHome() throws InterruptedException {
            manual(2);
            Cpus cpus = Services.get(m, Cpus.class);
            int n = 4;
            List<Cpu> home = Collections.synchronizedList(new ArrayList<>());
            List<Cpu> ran = Collections.synchronizedList(new ArrayList<>());
            List<Cpu> current = Collections.synchronizedList(new ArrayList<>());
            Thread[] threads = new Thread[n];
            for (int i = 0; i < n; i++) {
                IrqWork w = new IrqWork(m, () -> ran.add(Cpu.current()));
                threads[i] = new Thread(() -> {
                    current.add(Cpu.current());
                    home.add(cpus.homeCpu(Thread.currentThread()));
                    w.queue();
                });
            }
            // Run them one at a time so home.get(i) and ran.get(i) belong to thread i.
            for (int i = 0; i < n; i++) {
                threads[i].start();
                threads[i].join();
                m.runUntilIdle();
                assertEquals(home.get(i), ran.get(i), "thread " + i + " queued on its home CPU");
            }
            assertEquals(2, home.stream().distinct().count(), "consecutive threads spread over both CPUs");
            assertEquals(Collections.nCopies(n, null), current, "an unbound application thread has no current CPU");
            assertEquals(cpus.homeCpu(Thread.currentThread()), cpus.thisCpu());
        }

        @Test
        @DisplayName("queue() from a thread bound with bindCurrentThread(1) lands on cpu/1")
        void boundGoesToBoundCpu() {
            manual(2);
            m.bindCurrentThread(1);
            assertSame(m.cpu(1), Cpu.current());
            List<Cpu> where = new ArrayList<>();
            IrqWork w = new IrqWork(m, () -> where.add(Cpu.current()));
            w.queue();
            m.runUntilIdle();
            m.bindCurrentThread(0);
            w.queue();
            m.runUntilIdle();
            assertEquals(List.of(m.cpu(1), m.cpu(0)), where);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-IW-8

    @Nested
    @DisplayName("B-IW-8 overlap through queueOn (THREADED)")
    class Overlap {
        @Test
        @Timeout(20)
        @DisplayName("queueOn to a second CPU while BUSY makes two runs of one item overlap")
        void twoRunsOverlap() throws InterruptedException {
            m = machines.threaded(b -> b.idle(IdlePolicy.PARK));
            m.bindCurrentThread(0);
            CountDownLatch firstStarted = new CountDownLatch(1);
            CountDownLatch secondRan = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger running = new AtomicInteger();
            AtomicInteger maxRunning = new AtomicInteger();
            List<Cpu> cpus = Collections.synchronizedList(new ArrayList<>());
            IrqWork w = new IrqWork(m, () -> {
                int now = running.incrementAndGet();
                maxRunning.accumulateAndGet(now, Math::max);
                cpus.add(Cpu.current());
                try {
                    if (Cpu.current().id() == 0) {
                        firstStarted.countDown();
                        awaitQuietly(release);          // holds the first run open until the second has run
                    } else {
                        secondRan.countDown();
                    }
                } finally {
                    running.decrementAndGet();
                }
            });
            assertTrue(w.queueOn(0), "first run on cpu/0 (local path)");
            assertTrue(firstStarted.await(10, TimeUnit.SECONDS), "first run started");
            assertTrue(w.isBusy());
            assertFalse(w.isPending(), "PENDING was cleared when the run started: the item can be claimed again");
            assertTrue(w.queueOn(1), "queueOn(1) while BUSY claims (PENDING, not BUSY, guards queueing)");
            boolean overlapped = secondRan.await(10, TimeUnit.SECONDS);
            release.countDown();
            assertTrue(overlapped, "the second run on cpu/1 ran while the first was still running on cpu/0");
            assertEquals(2, maxRunning.get(), "two runs of one item at the same time");
            m.unbindCurrentThread();
            w.sync();
            assertFalse(w.isBusy());
            assertEquals(List.of(m.cpu(0), m.cpu(1)), List.copyOf(cpus));
        }
    }

    static void awaitQuietly(CountDownLatch l) {
        try {
            if (!l.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
