/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Services;
import io.kdefer.irqwork.IrqWork;
import io.kdefer.softirq.Softirq;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;

/**
 * Behaviour of cross-CPU calls ({@link Smp}, {@link CallSingleData}, {@link QueueSingleData}) against spec §6
 * (B-CSD-1..7). MANUAL mode: the test thread submits, then steps the CPUs. A waiting call in MANUAL mode runs the
 * target CPU on the calling thread. The ordering claims (MO-CSD-*) are proved by the jcstress tests
 * {@code CallSingleData_01/02}, {@code Smp_02}, {@code QueueSingleData_01}.
 */
@DisplayName("cross-CPU calls (spec §6)")
class SmpTest {
    private static final int CAL = Ipi.CALL_FUNC.number();

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private Smp smp;

    private Machine manual(int cpus) {
        m = machines.boot(b -> b.cpus(cpus).hz(1000));
        smp = m.smp();
        return m;
    }

    private SmpCore core() {
        return Services.get(m, SmpCore.class);
    }

    /** CALL_FUNC IPIs taken by {@code cpu}, as smp's IPI dispatch counts them (on every platform). */
    private long calCount(int cpu) {
        return Services.get(m, io.kdefer.smp.internal.Ipis.class).count(m.cpu(cpu), Ipi.CALL_FUNC);
    }

    /** Runs {@code body} in hardirq context on {@code cpu} (as an irq_work callback) and steps the machine. */
    private void inHardirqOn(int cpu, Runnable body) {
        m.bindCurrentThread(cpu);
        new IrqWork(m, body).queue();
        m.unbindCurrentThread();
        m.runUntilIdle();
    }

    /** What a function saw of the CPU and context it ran in. */
    private static final class Seen {
        final String tag;
        final Cpu cpu;
        final boolean hardirq;
        final boolean servingSoftirq;
        final boolean irqsDisabled;

        Seen(String tag) {
            this.tag = tag;
            this.cpu = Cpu.current();
            CpuContext x = CpuContext.current();
            this.hardirq = x.inHardirq();
            this.servingSoftirq = x.inServingSoftirq();
            this.irqsDisabled = x.irqsDisabled();
        }

        @Override
        public String toString() {
            return tag + "@" + cpu;
        }
    }

    private static void assertEnxio(Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains("-ENXIO"), e.getMessage());
    }

    private static BitSet mask(int... cpus) {
        BitSet b = new BitSet();
        for (int c : cpus) {
            b.set(c);
        }
        return b;
    }

    // ----------------------------------------------------------------------------------------------- B-CSD-1/2

    @Nested
    @DisplayName("B-CSD-1/2 callFunctionSingle")
    class Single {
        @Test
        @DisplayName("a remote call runs on the target in hardirq context with IRQs disabled")
        void remoteRunsInHardirq() {
            manual(2);
            m.bindCurrentThread(0);
            List<Seen> seen = new ArrayList<>();
            smp.callFunctionSingle(1, () -> seen.add(new Seen("f")), false);
            assertTrue(seen.isEmpty(), "wait=false: not run until the target takes the IPI");
            m.runUntilIdle();
            assertEquals(1, seen.size());
            assertSame(m.cpu(1), seen.get(0).cpu);
            assertTrue(seen.get(0).hardirq);
            assertTrue(seen.get(0).irqsDisabled);
        }

        @Test
        @DisplayName("wait=true returns after the function ran on the target (MANUAL: the caller steps the target)")
        void waitReturnsAfterRun() {
            manual(2);
            List<Seen> seen = new ArrayList<>();
            smp.callFunctionSingle(1, () -> seen.add(new Seen("f")), true);
            assertEquals(1, seen.size(), "ran before the waiting call returned");
            assertSame(m.cpu(1), seen.get(0).cpu);
            assertTrue(seen.get(0).hardirq);
            assertTrue(seen.get(0).irqsDisabled);
        }

        @Test
        @DisplayName("a call to the caller's own CPU from a hardirq handler runs inline, no IPI")
        void selfFromHardirqInline() {
            manual(2);
            long ipis0 = core().ipisSent();
            List<String> order = new ArrayList<>();
            List<Seen> seen = new ArrayList<>();
            inHardirqOn(1, () -> {
                order.add("before");
                smp.callFunctionSingle(1, () -> {
                    order.add("fn");
                    seen.add(new Seen("fn"));
                }, false);
                order.add("after");
            });
            assertEquals(List.of("before", "fn", "after"), order, "inline: ran before the call returned");
            assertSame(m.cpu(1), seen.get(0).cpu);
            assertTrue(seen.get(0).irqsDisabled);
            assertEquals(ipis0, core().ipisSent(), "no CALL_FUNC IPI for a self call");
            assertEquals(0, calCount(1));
        }

        @Test
        @DisplayName("a self call from a softirq (IRQs enabled) runs inline with IRQs disabled, then restores them")
        void selfFromSoftirqDisablesIrqs() {
            manual(2);
            List<Seen> seen = new ArrayList<>();
            boolean[] irqsAfter = new boolean[1];
            m.softirqs().open(Softirq.NET_RX, () -> {
                seen.add(new Seen("action"));
                smp.callFunctionSingle(0, () -> seen.add(new Seen("fn")), false);
                irqsAfter[0] = CpuContext.current().irqsDisabled();
            });
            m.softirqs().raiseOn(0, Softirq.NET_RX);
            m.runUntilIdle();
            assertEquals(2, seen.size(), seen.toString());
            assertFalse(seen.get(0).irqsDisabled, "softirq actions run with IRQs enabled");
            Seen fn = seen.get(1);
            assertSame(m.cpu(0), fn.cpu);
            assertTrue(fn.servingSoftirq, "inline: in the caller's (softirq) context");
            assertTrue(fn.irqsDisabled, "B-CSD-1: the self call runs with local IRQs disabled");
            assertFalse(irqsAfter[0], "and the caller's IRQ state is restored afterwards");
        }

        @Test
        @DisplayName("B-CSD-1: an offline or invalid target is refused with -ENXIO")
        void badTargets() {
            manual(3);
            m.cpu(2).offline();
            Runnable fn = () -> { };
            assertEnxio(() -> smp.callFunctionSingle(2, fn, false));
            assertEnxio(() -> smp.callFunctionSingle(2, fn, true));
            assertEnxio(() -> smp.callFunctionSingle(3, fn, false));
            assertEnxio(() -> smp.callFunctionSingle(-1, fn, true));
            CallSingleData csd = new CallSingleData(fn);
            assertEnxio(() -> smp.callFunctionSingleAsync(2, csd));
            assertEnxio(() -> smp.callFunctionSingleAsync(7, csd));
            assertFalse(csd.isLocked(), "a refused async submission leaves the csd unlocked");
            QueueSingleData qsd = new QueueSingleData(fn);
            assertEnxio(() -> smp.queueFunctionSingle(2, qsd));
            assertEnxio(() -> smp.queueFunctionSingle(3, qsd));
            assertEnxio(() -> smp.queueFunctionSingle(-1, qsd));
            assertFalse(qsd.isPending());
            assertEnxio(() -> smp.callFunctionMany(mask(0, 5), fn, false));
        }

        @Test
        @DisplayName("B-CSD-2: wait=true from hardirq context is refused, naming the context and the deadlock")
        void waitFromHardirqRefused() {
            manual(2);
            List<Throwable> failures = new ArrayList<>();
            boolean[] ran = new boolean[1];
            inHardirqOn(0, () -> {
                for (Runnable call : List.<Runnable>of(
                        () -> smp.callFunctionSingle(1, () -> ran[0] = true, true),
                        () -> smp.callFunctionMany(mask(1), () -> ran[0] = true, true),
                        () -> smp.onEachCpu(() -> ran[0] = true, true))) {
                    try {
                        call.run();
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }
            });
            assertEquals(3, failures.size(), failures.toString());
            for (Throwable t : failures) {
                assertTrue(t instanceof IllegalStateException, t.toString());
                assertTrue(t.getMessage().contains("hardirq context"), t.getMessage());
                assertTrue(t.getMessage().contains("cpu/0"), t.getMessage());
                assertTrue(t.getMessage().contains("deadlock"), t.getMessage());
            }
            assertFalse(ran[0], "nothing was queued");
        }

        @Test
        @DisplayName("B-CSD-2: wait=true from a task with BH or IRQs disabled is refused")
        void waitFromAtomicTaskRefused() {
            manual(2);
            m.bindCurrentThread(0);
            Cpu c = m.cpu(0);
            c.localBhDisable();
            try {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> smp.callFunctionSingle(1, () -> { }, true));
                assertTrue(e.getMessage().contains("BH disabled"), e.getMessage());
                assertTrue(e.getMessage().contains("deadlock"), e.getMessage());
            } finally {
                c.localBhEnable();
            }
            long f = c.localIrqSave();
            try {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> smp.callFunctionSingle(1, () -> { }, true));
                assertTrue(e.getMessage().contains("IRQs disabled"), e.getMessage());
            } finally {
                c.localIrqRestore(f);
            }
            boolean[] ran = new boolean[1];
            smp.callFunctionSingle(1, () -> ran[0] = true, true);
            assertTrue(ran[0], "allowed again once the task is preemptible");
        }

        @Test
        @DisplayName("wait=false from hardirq context to another CPU is allowed")
        void noWaitFromHardirqAllowed() {
            manual(2);
            List<Seen> seen = new ArrayList<>();
            inHardirqOn(0, () -> smp.callFunctionSingle(1, () -> seen.add(new Seen("f")), false));
            assertEquals(1, seen.size());
            assertSame(m.cpu(1), seen.get(0).cpu);
        }

        @Test
        @DisplayName("null arguments are refused")
        void nulls() {
            manual(2);
            assertThrows(NullPointerException.class, () -> smp.callFunctionSingle(1, null, false));
            assertThrows(NullPointerException.class, () -> smp.callFunctionSingleAsync(1, null));
            assertThrows(NullPointerException.class, () -> smp.queueFunctionSingle(1, null));
            assertThrows(NullPointerException.class, () -> new CallSingleData((Runnable) null));
            assertThrows(NullPointerException.class, () -> new QueueSingleData(null));
        }
    }

    // ----------------------------------------------------------------------------------------------- B-CSD-3/5

    @Nested
    @DisplayName("B-CSD-3/5 callFunctionSingleAsync")
    class Async {
        @Test
        @DisplayName("B-CSD-3: false (EBUSY) while the csd is in flight, true after the target ran it")
        void ebusyWhileInFlight() {
            manual(2);
            List<Seen> seen = new ArrayList<>();
            CallSingleData csd = new CallSingleData(() -> seen.add(new Seen("f")));
            assertFalse(csd.isLocked());
            assertTrue(smp.callFunctionSingleAsync(1, csd));
            assertTrue(csd.isLocked());
            assertFalse(smp.callFunctionSingleAsync(1, csd), "still in flight: EBUSY");
            assertFalse(smp.callFunctionSingleAsync(0, csd), "EBUSY whatever the target");
            m.runUntilIdle();
            assertEquals(1, seen.size(), "the EBUSY submissions added nothing");
            assertSame(m.cpu(1), seen.get(0).cpu);
            assertTrue(seen.get(0).hardirq);
            assertTrue(seen.get(0).irqsDisabled);
            assertFalse(csd.isLocked());
            assertTrue(smp.callFunctionSingleAsync(0, csd), "unlocked: can be submitted again");
            m.runUntilIdle();
            assertEquals(2, seen.size());
            assertSame(m.cpu(0), seen.get(1).cpu);
        }

        @Test
        @DisplayName("B-CSD-3: EBUSY is checked before the target: an in-flight csd to an offline CPU gives false")
        void ebusyBeforeEnxio() {
            manual(3);
            m.cpu(2).offline();
            boolean[] ran = new boolean[1];
            CallSingleData csd = new CallSingleData(() -> ran[0] = true);
            assertTrue(smp.callFunctionSingleAsync(1, csd));
            assertFalse(smp.callFunctionSingleAsync(2, csd), "in flight: -EBUSY, never waits");
            assertFalse(smp.callFunctionSingleAsync(9, csd), "in flight: -EBUSY");
            assertTrue(csd.isLocked(), "the EBUSY answers did not unlock the first submission");
            m.runUntilIdle();
            assertTrue(ran[0]);
            assertEnxio(() -> smp.callFunctionSingleAsync(2, csd));
            assertFalse(csd.isLocked(), "-ENXIO unlocks again");
        }

        @Test
        @DisplayName("the function gets the info set for its submission; setInfo is refused while in flight")
        void infoPerSubmission() {
            manual(2);
            List<Object> got = new ArrayList<>();
            CallSingleData csd = new CallSingleData((Consumer<Object>) got::add);
            csd.setInfo("a");
            assertTrue(smp.callFunctionSingleAsync(1, csd));
            assertThrows(IllegalStateException.class, () -> csd.setInfo("b"));
            m.runUntilIdle();
            csd.setInfo("c");
            assertTrue(smp.callFunctionSingleAsync(1, csd));
            m.runUntilIdle();
            assertEquals(List.of("a", "c"), got);
        }

        @Test
        @DisplayName("B-CSD-5: the csd is unlocked before its function runs, so the function can resubmit it")
        void resubmitFromOwnCallback() {
            manual(2);
            List<Boolean> resubmitted = new ArrayList<>();
            List<Cpu> where = new ArrayList<>();
            CallSingleData[] self = new CallSingleData[1];
            self[0] = new CallSingleData(() -> {
                where.add(Cpu.current());
                if (where.size() == 1) {
                    resubmitted.add(self[0].isLocked());
                    resubmitted.add(smp.callFunctionSingleAsync(1, self[0]));
                } else if (where.size() == 2) {
                    resubmitted.add(smp.callFunctionSingleAsync(0, self[0]));   // even to another CPU
                }
            });
            assertTrue(smp.callFunctionSingleAsync(1, self[0]));
            m.runUntilIdle();
            assertEquals(List.of(false, true, true), resubmitted, "unlocked inside; both resubmissions accepted");
            assertEquals(List.of(m.cpu(1), m.cpu(1), m.cpu(0)), where);
            assertFalse(self[0].isLocked());
        }

        @Test
        @DisplayName("an async call to the caller's own CPU runs inline with IRQs disabled and unlocks first")
        void asyncSelfInline() {
            manual(2);
            List<Object> seen = new ArrayList<>();
            CallSingleData[] self = new CallSingleData[1];
            self[0] = new CallSingleData(() -> {
                seen.add(self[0].isLocked());
                seen.add(new Seen("f"));
            });
            List<Boolean> result = new ArrayList<>();
            long ipis0 = core().ipisSent();
            m.softirqs().open(Softirq.NET_RX, () -> result.add(smp.callFunctionSingleAsync(0, self[0])));
            m.softirqs().raiseOn(0, Softirq.NET_RX);
            m.runUntilIdle();
            assertEquals(List.of(true), result);
            assertEquals(false, seen.get(0), "unlocked before the function runs");
            Seen s = (Seen) seen.get(1);
            assertSame(m.cpu(0), s.cpu);
            assertTrue(s.irqsDisabled);
            assertEquals(ipis0, core().ipisSent());
        }
    }

    // ---------------------------------------------------------------------------------------------- B-CSD-4

    @Nested
    @DisplayName("B-CSD-4 target-side order")
    class Order {
        @Test
        @DisplayName("one flush: the synchronous call first, then everything else FIFO")
        void syncFirstThenFifo() {
            manual(2);
            List<String> order = new ArrayList<>();
            CallSingleData a1 = new CallSingleData(() -> order.add("A1"));
            CallSingleData a2 = new CallSingleData(() -> order.add("A2"));
            QueueSingleData q = new QueueSingleData(() -> order.add("Q"));
            IrqWork w = new IrqWork(m, () -> order.add("W"));
            m.bindCurrentThread(0);
            assertTrue(smp.callFunctionSingleAsync(1, a1));
            assertTrue(smp.queueFunctionSingle(1, q));
            assertTrue(w.queueOn(1));
            smp.callFunctionSingle(1, () -> order.add("A3"), false);
            assertTrue(smp.callFunctionSingleAsync(1, a2));
            assertTrue(order.isEmpty(), "nothing ran yet");
            // The waiting call runs cpu/1 (MANUAL) and returns only after S ran; the flush runs S first.
            smp.callFunctionSingle(1, () -> order.add("S"), true);
            assertEquals("S", order.get(0), "pass 1: synchronous csds before everything queued earlier");
            m.runUntilIdle();
            assertEquals(List.of("S", "A1", "Q", "W", "A3", "A2"), order, "pass 2: FIFO in queueing order");
            assertEquals(1, calCount(1), "one CALL_FUNC IPI carried all six");
        }

        @Test
        @DisplayName("asynchronous calls from one thread run in submission order")
        void asyncFifo() {
            manual(2);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int k = i;
                smp.callFunctionSingle(1, () -> order.add(k), false);
            }
            m.runUntilIdle();
            assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), order);
        }
    }

    // ---------------------------------------------------------------------------------------------- IPIs

    @Nested
    @DisplayName("B-CSD-1 IPI coalescing")
    class Ipis {
        @Test
        @DisplayName("one CALL_FUNC IPI per empty-to-non-empty transition of a target's queue")
        void onePerTransition() {
            manual(3);
            long ipis0 = core().ipisSent();
            List<Integer> ran = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                smp.callFunctionSingle(1, () -> ran.add(1), false);
            }
            assertEquals(ipis0 + 1, core().ipisSent(), "five calls, one IPI to cpu/1");
            smp.callFunctionSingle(2, () -> ran.add(2), false);
            smp.callFunctionSingleAsync(2, new CallSingleData(() -> ran.add(2)));
            smp.queueFunctionSingle(2, new QueueSingleData(() -> ran.add(2)));
            assertEquals(ipis0 + 2, core().ipisSent(), "cpu/2's queue has its own transition");
            m.runUntilIdle();
            assertEquals(8, ran.size());
            assertEquals(1, calCount(1));
            assertEquals(1, calCount(2));
            assertEquals(0, calCount(0));
            smp.callFunctionSingle(1, () -> ran.add(1), false);
            assertEquals(ipis0 + 3, core().ipisSent(), "the queue was flushed: the next call sends again");
            m.runUntilIdle();
            assertEquals(2, calCount(1));
            assertTrue(m.stats().interrupts().contains(Ipi.CALL_FUNC.label() + ":"));
        }
    }

    // ---------------------------------------------------------------------------------------------- B-CSD-6

    @Nested
    @DisplayName("B-CSD-6 hotplug")
    class Hotplug {
        @Test
        @DisplayName("a CPU going offline runs its queue on itself without waiting for the IPI")
        void offlineFlushes() {
            manual(2);
            List<Seen> seen = new ArrayList<>();
            smp.callFunctionSingle(1, () -> seen.add(new Seen("call")), false);
            smp.callFunctionSingleAsync(1, new CallSingleData(() -> seen.add(new Seen("csd"))));
            QueueSingleData qsd = new QueueSingleData(() -> seen.add(new Seen("qsd")));
            smp.queueFunctionSingle(1, qsd);
            m.cpu(1).offline();
            assertEquals("[call@cpu/1, csd@cpu/1, qsd@cpu/1]", seen.toString());
            for (Seen s : seen) {
                assertTrue(s.irqsDisabled);
            }
            assertFalse(qsd.isPending());
            m.cpu(1).online();
            m.runUntilIdle();
            assertEquals(3, seen.size(), "nothing ran twice when the CPU came back and took the stale IPI");
            smp.callFunctionSingle(1, () -> seen.add(new Seen("back")), true);
            assertEquals(4, seen.size(), "calls to the CPU work again once it is online");
        }
    }

    // ---------------------------------------------------------------------------------------------- B-CSD-7

    @Nested
    @DisplayName("B-CSD-7 callFunctionMany and onEachCpu")
    class Many {
        @Test
        @DisplayName("callFunctionMany from an application thread runs on every online CPU of the mask")
        void manyFromTask() {
            manual(4);
            m.cpu(3).offline();
            List<Seen> seen = new ArrayList<>();
            smp.callFunctionMany(mask(0, 1, 3), () -> seen.add(new Seen("f")), true);
            assertEquals("[f@cpu/0, f@cpu/1]", seen.toString(), "offline cpu/3 skipped; cpu/2 not in the mask");
            for (Seen s : seen) {
                assertTrue(s.hardirq);
            }
        }

        @Test
        @DisplayName("callFunctionMany from a handler skips the caller's own CPU and offline CPUs")
        void manySkipsSelf() {
            manual(4);
            m.cpu(3).offline();
            List<Seen> seen = new ArrayList<>();
            List<String> order = new ArrayList<>();
            inHardirqOn(0, () -> {
                smp.callFunctionMany(mask(0, 1, 2, 3), () -> seen.add(new Seen("f")), false);
                order.add("returned with " + seen.size());
            });
            assertEquals(List.of("returned with 0"), order, "not even inline on the caller's CPU");
            seen.sort((a, b) -> a.cpu.id() - b.cpu.id());
            assertEquals("[f@cpu/1, f@cpu/2]", seen.toString());
        }

        @Test
        @DisplayName("onEachCpu from an application thread: every online CPU exactly once")
        void onEachFromTask() {
            manual(4);
            m.cpu(2).offline();
            List<Seen> seen = new ArrayList<>();
            smp.onEachCpu(() -> seen.add(new Seen("f")), true);
            assertEquals("[f@cpu/0, f@cpu/1, f@cpu/3]", seen.toString());
            m.runUntilIdle();
            assertEquals(3, seen.size(), "exactly once");
            for (Seen s : seen) {
                assertTrue(s.hardirq);
                assertTrue(s.irqsDisabled);
            }
        }

        @Test
        @DisplayName("onEachCpu from a handler: inline on the caller's CPU, by IPI on the others, once each")
        void onEachFromHandler() {
            manual(3);
            long ipis0 = core().ipisSent();
            List<Seen> seen = new ArrayList<>();
            List<String> atReturn = new ArrayList<>();
            inHardirqOn(1, () -> {
                smp.onEachCpu(() -> seen.add(new Seen("f")), false);
                atReturn.add(seen.toString());
            });
            assertEquals(List.of("[f@cpu/1]"), atReturn, "the caller's CPU ran it inline before the return");
            assertEquals(3, seen.size(), seen.toString());
            seen.sort((a, b) -> a.cpu.id() - b.cpu.id());
            assertEquals("[f@cpu/0, f@cpu/1, f@cpu/2]", seen.toString());
            for (Seen s : seen) {
                assertTrue(s.irqsDisabled);
            }
            assertEquals(ipis0 + 2, core().ipisSent(), "IPIs only to the two other CPUs");
        }
    }

    // ---------------------------------------------------------------------------------------------- failures

    @Nested
    @DisplayName("DESIGN §5 failures")
    class Failures {
        @Test
        @DisplayName("an async function that throws is contained and counted; the target keeps running")
        void asyncContained() {
            manual(2);
            long f0 = core().failures();
            List<String> ran = new ArrayList<>();
            CallSingleData bad = new CallSingleData(() -> {
                throw new IllegalStateException("boom");
            });
            assertTrue(smp.callFunctionSingleAsync(1, bad));
            smp.callFunctionSingle(1, () -> {
                throw new IllegalStateException("boom2");
            }, false);
            smp.callFunctionSingle(1, () -> ran.add("after"), false);
            m.runUntilIdle();
            assertEquals(f0 + 2, core().failures());
            assertEquals(List.of("after"), ran, "the rest of the batch ran");
            assertFalse(bad.isLocked());
            assertTrue(smp.callFunctionSingleAsync(1, bad));
            m.runUntilIdle();
            assertEquals(f0 + 3, core().failures());
            smp.callFunctionSingle(1, () -> ran.add("later"), true);
            assertEquals(List.of("after", "later"), ran, "the CPU keeps running");
        }

        @Test
        @DisplayName("a waiting call whose function throws gets a CompletionException with that cause")
        void syncRethrown() {
            manual(2);
            long f0 = core().failures();
            IllegalStateException boom = new IllegalStateException("boom");
            CompletionException e = assertThrows(CompletionException.class,
                    () -> smp.callFunctionSingle(1, () -> {
                        throw boom;
                    }, true));
            assertSame(boom, e.getCause());
            assertTrue(e.getMessage().contains("cpu/1"), e.getMessage());
            assertEquals(f0, core().failures(), "given to the waiter, not counted as contained");
            boolean[] ran = new boolean[1];
            smp.callFunctionSingle(1, () -> ran[0] = true, true);
            assertTrue(ran[0]);
        }

        @Test
        @DisplayName("callFunctionMany with wait: a throwing CPU is reported after all ran")
        void manySyncRethrown() {
            manual(3);
            List<Integer> ran = new ArrayList<>();
            CompletionException e = assertThrows(CompletionException.class,
                    () -> smp.callFunctionMany(mask(0, 1, 2), () -> {
                        ran.add(Cpu.current().id());
                        if (Cpu.current().id() == 1) {
                            throw new IllegalStateException("boom on 1");
                        }
                    }, true));
            assertEquals("boom on 1", e.getCause().getMessage());
            assertEquals(List.of(0, 1, 2), ran);
        }

        @Test
        @DisplayName("a non-waiting call that runs inline (own CPU) is contained and counted like a remote one")
        void inlineNoWaitContained() {
            manual(2);
            long f0 = core().failures();
            List<String> order = new ArrayList<>();
            inHardirqOn(0, () -> {
                smp.callFunctionSingle(0, () -> {
                    throw new IllegalStateException("boom inline");
                }, false);
                order.add("call returned");
                smp.callFunctionSingleAsync(0, new CallSingleData(() -> {
                    throw new IllegalStateException("boom inline async");
                }));
                order.add("async returned");
                smp.onEachCpu(() -> {
                    throw new IllegalStateException("boom on each");
                }, false);
                order.add("onEachCpu returned");
            });
            assertEquals(List.of("call returned", "async returned", "onEachCpu returned"), order,
                    "the caller did not ask to wait: the function's failure is not its failure");
            assertEquals(f0 + 4, core().failures(), "three inline failures and onEachCpu's remote one");
            assertFalse(CpuContext.current().irqsDisabled());
        }
    }

    // ---------------------------------------------------------------------------------------------- QueueSingleData

    @Nested
    @DisplayName("QueueSingleData")
    class Qsd {
        @Test
        @DisplayName("coalesces: false while pending, one run for many queue calls")
        void coalesces() {
            manual(2);
            List<Seen> seen = new ArrayList<>();
            QueueSingleData qsd = new QueueSingleData(() -> seen.add(new Seen("q")));
            assertTrue(smp.queueFunctionSingle(1, qsd));
            assertTrue(qsd.isPending());
            for (int i = 0; i < 10; i++) {
                assertFalse(smp.queueFunctionSingle(1, qsd));
            }
            assertFalse(smp.queueFunctionSingle(0, qsd), "already pending anywhere");
            m.runUntilIdle();
            assertEquals(1, seen.size());
            assertEquals(1, qsd.runs());
            assertSame(m.cpu(1), seen.get(0).cpu);
            assertTrue(seen.get(0).hardirq, "runs in hardirq context");
            assertTrue(seen.get(0).irqsDisabled);
            assertFalse(qsd.isPending());
            assertTrue(smp.queueFunctionSingle(0, qsd));
            m.runUntilIdle();
            assertEquals(2, qsd.runs());
            assertSame(m.cpu(0), seen.get(1).cpu);
        }

        @Test
        @DisplayName("PENDING is cleared before the function runs: it can re-queue itself")
        void requeueFromOwnFunction() {
            manual(2);
            List<Boolean> r = new ArrayList<>();
            QueueSingleData[] self = new QueueSingleData[1];
            self[0] = new QueueSingleData(() -> {
                r.add(self[0].isPending());
                if (self[0].runs() < 2) {
                    r.add(smp.queueFunctionSingle(1, self[0]));
                }
            });
            smp.queueFunctionSingle(1, self[0]);
            m.runUntilIdle();
            assertEquals(List.of(false, true, false), r);
            assertEquals(2, self[0].runs());
        }

        @Test
        @DisplayName("an offline target: -ENXIO and the pending state is reset")
        void offlineResets() {
            manual(2);
            m.cpu(1).offline();
            boolean[] ran = new boolean[1];
            QueueSingleData qsd = new QueueSingleData(() -> ran[0] = true);
            assertEnxio(() -> smp.queueFunctionSingle(1, qsd));
            assertFalse(qsd.isPending(), "reset after the refused send");
            assertTrue(smp.queueFunctionSingle(0, qsd), "and usable at once");
            m.runUntilIdle();
            assertTrue(ran[0]);
        }

        @Test
        @DisplayName("a throwing function is contained and counted; the qsd can be queued again")
        void throwingContained() {
            manual(2);
            long f0 = core().failures();
            QueueSingleData qsd = new QueueSingleData(() -> {
                throw new IllegalStateException("boom");
            });
            smp.queueFunctionSingle(1, qsd);
            m.runUntilIdle();
            assertEquals(f0 + 1, core().failures());
            assertFalse(qsd.isPending());
            assertTrue(smp.queueFunctionSingle(1, qsd));
            m.runUntilIdle();
            assertEquals(f0 + 2, core().failures());
            assertEquals(2, qsd.runs());
        }
    }

    @Test
    @DisplayName("a failed send leaves no trace: the csd of a refused async call is reusable")
    void refusedAsyncReusable() {
        manual(2);
        m.cpu(1).offline();
        AtomicReference<Cpu> where = new AtomicReference<>();
        CallSingleData csd = new CallSingleData(() -> where.set(Cpu.current()));
        assertEnxio(() -> smp.callFunctionSingleAsync(1, csd));
        assertTrue(smp.callFunctionSingleAsync(0, csd));
        m.runUntilIdle();
        assertNotNull(where.get());
        assertSame(m.cpu(0), where.get());
    }
    // ---------------------------------------------------------------------------------------------- hotplug races

    /** Runs {@code body} on a fresh thread bound to {@code cpu} and waits for it (a sender on another CPU). */
    private void fromCpu(int cpu, Runnable body) {
        Thread t = new Thread(() -> {
            m.bindCurrentThread(cpu);
            try {
                body.run();
            } finally {
                m.unbindCurrentThread();
            }
        }, "sender");
        t.start();
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertFalse(t.isAlive(), "sender finished");
    }

    @Test
    @DisplayName("B-CSD-6: a call accepted after the dying flush is not stranded; it runs on the CPU taking over")
    void acceptedAfterDyingFlushRunsElsewhere() {
        manual(2);
        AtomicReference<Cpu> where = new AtomicReference<>();
        CallSingleData csd = new CallSingleData(() -> where.set(Cpu.current()));
        // Hooks registered after the runtime's run after its dying flush: cpu/1 is still online, so the send
        // is accepted and lands on a queue nobody will flush again.
        Services.get(m, Cpus.class).addHotplugHook(new Cpus.HotplugHook() {
            @Override
            public void dying(Cpu cpu) {
                fromCpu(0, () -> assertTrue(smp.callFunctionSingleAsync(1, csd)));
            }
        });
        m.cpu(1).offline();
        m.runUntilIdle();
        assertSame(m.cpu(0), where.get(), "moved by the dead hook to the CPU that took over");
        assertEquals(1, core().migrations());
        assertTrue(smp.callFunctionSingleAsync(0, csd), "the csd was released");
        m.runUntilIdle();
    }

    @Test
    @DisplayName("B-CSD-6: a sender that checked 'online' before the CPU died moves its entry itself")
    void senderRechecksAfterPush() {
        manual(2);
        AtomicReference<Cpu> where = new AtomicReference<>();
        CallSingleData csd = new CallSingleData(() -> where.set(Cpu.current()));
        m.cpu(1).offline();
        assertTrue(csd.lock(CallSingleData.TYPE_ASYNC));
        // The push of a sender whose online check passed before the offline (SmpCore.enqueue is what follows it).
        fromCpu(0, () -> core().queue(m.cpu(1), csd.node));
        m.runUntilIdle();
        assertSame(m.cpu(0), where.get());
        assertEquals(1, core().migrations());
        m.cpu(1).online();
        m.runUntilIdle();
        assertSame(m.cpu(0), where.get(), "ran once");
    }
}
