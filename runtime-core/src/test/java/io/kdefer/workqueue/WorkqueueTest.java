/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.sync.Completion;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Work items and queues (B-WQ-1..17): claim and return values, non-reentrancy, max_active, ordered queues, flush,
 * cancel, disable, drain, destroy, argument checks. MANUAL machine (deterministic atomic contexts); the workers are
 * real threads, so every wait is on a latch or completion with a timeout.
 */
@Timeout(30)
class WorkqueueTest {
    static final long T = 10;   // seconds: upper bound of any wait, never a timing assumption

    @RegisterExtension
    final Machines machines = new Machines();

    Machine m;
    Workqueues wqs;

    @BeforeEach
    void boot() {
        m = machines.boot();
        wqs = m.workqueues();
    }

    static void await(CountDownLatch l) throws InterruptedException {
        assertTrue(l.await(T, TimeUnit.SECONDS), "timed out");
    }

    static void await(Completion c) throws InterruptedException {
        assertTrue(c.await(Duration.ofSeconds(T)), "timed out");
    }

    /** A work item whose function blocks (through the runtime, so the pool counts it as sleeping) until opened. */
    static final class Gate {
        final CountDownLatch entered = new CountDownLatch(1);
        final Completion open = new Completion();
        final AtomicInteger runs = new AtomicInteger();
        final AtomicReference<String> thread = new AtomicReference<>();
        final Work work = new Work(this::body);

        void body() {
            runs.incrementAndGet();
            thread.set(Thread.currentThread().getName());
            entered.countDown();
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------------------------------ B-WQ-1

    @Test
    void queueReturnsTrueOncePerPendingPeriodAndPublishesPriorStores() throws Exception {
        Workqueue oq = wqs.allocOrdered("q1", 0);
        Gate g = new Gate();
        assertTrue(oq.queue(g.work));
        await(g.entered);
        int[] x = new int[1];
        AtomicInteger seen = new AtomicInteger(-1);
        CountDownLatch ran = new CountDownLatch(1);
        Work w = new Work(() -> {
            seen.set(x[0]);
            ran.countDown();
        });
        x[0] = 1;
        assertTrue(oq.queue(w), "idle item: queue makes it pending");
        assertTrue(w.isPending());
        assertFalse(oq.queue(w), "already pending: false, no effect");
        assertFalse(wqs.system().queue(w), "pending on another queue: still false");
        g.open.complete();
        await(ran);
        assertEquals(1, seen.get());
        oq.flush();
        assertFalse(w.isPending());
        assertEquals(1, g.runs.get());
    }

    @Test
    void itemRequeuedFromItsOwnFunctionRunsAgain() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch three = new CountDownLatch(3);
        Work[] self = new Work[1];
        Workqueue wq = wqs.system();
        self[0] = new Work(() -> {
            assertFalse(self[0].isPending(), "PENDING is cleared before the function runs");
            if (runs.incrementAndGet() < 3) {
                assertTrue(wq.queue(self[0]));
            }
            three.countDown();
        });
        assertTrue(wq.queueOn(0, self[0]));
        await(three);
        assertTrue(self[0].flush() || runs.get() == 3);
        assertEquals(3, runs.get());
    }

    // ------------------------------------------------------------------------------------------ B-WQ-3/4

    @Test
    void queueElsewhereWhileRunningIsRedirectedToTheRunningPool() throws Exception {
        Workqueue wq = wqs.system();
        AtomicInteger inside = new AtomicInteger();
        AtomicBoolean overlap = new AtomicBoolean();
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        Completion open = new Completion();
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch two = new CountDownLatch(2);
        AtomicInteger n = new AtomicInteger();
        Work w = new Work(() -> {
            if (inside.incrementAndGet() != 1) {
                overlap.set(true);
            }
            threads.add(Thread.currentThread().getName());
            if (n.incrementAndGet() == 1) {
                first.countDown();
                try {
                    open.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            inside.decrementAndGet();
            two.countDown();
        });
        assertTrue(wq.queueOn(0, w));
        await(first);
        assertTrue(wq.queueOn(1, w), "running, not pending: queue succeeds");
        open.complete();
        await(two);
        assertFalse(overlap.get(), "two executions overlapped");
        assertEquals(2, threads.size());
        assertTrue(threads.get(0).startsWith("kworker/0:"), threads.toString());
        assertTrue(threads.get(1).startsWith("kworker/0:"), "redirected to cpu 0's pool: " + threads);
    }

    // ------------------------------------------------------------------------------------------ B-WQ-5/18

    @Test
    void maxActiveLimitsConcurrentItemsPerPoolAndSetMaxActiveActivatesMore() throws Exception {
        Workqueue wq = wqs.alloc("limited", 0, 2);
        List<Gate> gates = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Gate g = new Gate();
            gates.add(g);
            assertTrue(wq.queueOn(0, g.work));
        }
        await(gates.get(0).entered);
        await(gates.get(1).entered);       // both block through Completion: the pool wakes another worker
        assertTrue(wq.isCongested(), "items over max_active wait inactive");
        assertEquals(0, gates.get(2).runs.get());
        wq.setMaxActive(3);
        await(gates.get(2).entered);
        assertEquals(0, gates.get(3).runs.get());
        assertEquals(0, gates.get(4).runs.get());
        for (Gate g : gates) {
            g.open.complete();
        }
        wq.flush();
        for (Gate g : gates) {
            assertEquals(1, g.runs.get());
        }
        assertFalse(wq.isCongested());
    }

    @Test
    void maxActiveIsClampedWithAWarning() {
        try (LogCapture log = LogCapture.of("io.kdefer.workqueue")) {
            assertEquals(1024, wqs.alloc("dfl", 0, 0).maxActive());
            assertEquals(2048, wqs.alloc("big", 0, 5000).maxActive());
            assertEquals(1, wqs.alloc("neg", 0, -3).maxActive());
            assertTrue(log.contains("max_active 5000 requested for big is out of range"), log.messages().toString());
            assertTrue(log.contains("max_active -3 requested for neg is out of range"));
            Workqueue oq = wqs.allocOrdered("ord", 0);
            oq.setMaxActive(4);
            assertEquals(1, oq.maxActive());
            assertTrue(log.contains("is ordered"));
            Workqueue lng = wqs.alloc("a_workqueue_name_that_is_much_longer_than_31", 0, 0);
            assertEquals(31, lng.name().length());
            assertTrue(log.contains("Truncating"));
        }
    }

    // ------------------------------------------------------------------------------------------ B-WQ-17

    @Test
    void orderedQueueRunsOneAtATimeInQueueingOrder() throws Exception {
        Workqueue oq = wqs.allocOrdered("ordered", 0);
        int n = 200;
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger inside = new AtomicInteger();
        AtomicBoolean overlap = new AtomicBoolean();
        for (int i = 0; i < n; i++) {
            int id = i;
            assertTrue(oq.queueOn(i % 2, new Work(() -> {
                if (inside.incrementAndGet() != 1) {
                    overlap.set(true);
                }
                order.add(id);
                inside.decrementAndGet();
            })));
        }
        oq.flush();
        assertFalse(overlap.get());
        assertEquals(n, order.size());
        for (int i = 0; i < n; i++) {
            assertEquals(i, order.get(i));
        }
    }

    // ------------------------------------------------------------------------------------------ B-WQ-7/9/10/11

    @Test
    void flushReturnsFalseWhenIdleAndTrueAfterWaitingForTheQueuedInstance() throws Exception {
        Workqueue oq = wqs.allocOrdered("fl", 0);
        int[] y = new int[1];
        Work w = new Work(() -> y[0] = 7);
        assertFalse(w.flush(), "idle: nothing to wait for");
        Gate g = new Gate();
        oq.queue(g.work);
        await(g.entered);
        oq.queue(w);
        Thread opener = new Thread(() -> g.open.complete());
        AtomicBoolean flushed = new AtomicBoolean();
        Thread flusher = new Thread(() -> flushed.set(w.flush()));
        flusher.start();
        WorkerPool pool = oq.pwqs[0].pool;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(T);
        while (true) {                      // open the gate only once the flusher waits (else flush may find w idle)
            pool.lock.lock();
            try {
                if (w.flushWaiters > 0) {
                    break;
                }
            } finally {
                pool.lock.unlock();
            }
            assertTrue(System.nanoTime() < end, "flusher never waited");
            Thread.onSpinWait();
        }
        opener.start();
        flusher.join(T * 1000);
        assertTrue(flushed.get());
        assertEquals(7, y[0], "flush returned true: the run's stores are visible (MO-WQ-5)");
        assertFalse(w.flush());
    }

    @Test
    void cancelTakesAQueuedItemBackAndItNeverRuns() throws Exception {
        Workqueue oq = wqs.allocOrdered("cancel", 0);
        Gate g = new Gate();
        oq.queue(g.work);
        await(g.entered);
        AtomicInteger runs = new AtomicInteger();
        Work w = new Work(runs::incrementAndGet);
        assertTrue(oq.queue(w));
        assertTrue(w.cancel(), "was pending");
        assertFalse(w.isPending());
        assertFalse(w.cancel(), "idle: not pending");
        g.open.complete();
        oq.flush();
        assertEquals(0, runs.get());
        assertTrue(oq.queue(w), "a cancelled item can be queued again");
        oq.flush();
        assertEquals(1, runs.get());
    }

    @Test
    void cancelSyncStopsASelfRequeueingItemAndQueueingFailsMeanwhile() throws Exception {
        Workqueue wq = wqs.system();
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch running = new CountDownLatch(3);
        AtomicBoolean requeueRefused = new AtomicBoolean();
        Work[] self = new Work[1];
        self[0] = new Work(() -> {
            running.countDown();
            if (runs.incrementAndGet() == 3) {
                // hold the third run until cancelSync has disabled the item, so the requeue below races it
                // deterministically (otherwise cancelSync may grab the item between two runs)
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(T);
                while (self[0].disableCount() == 0 && System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
            }
            if (!wq.queue(self[0])) {
                requeueRefused.set(true);
            }
        });
        wq.queueOn(1, self[0]);
        await(running);
        self[0].cancelSync();
        int after = runs.get();
        assertFalse(self[0].isPending());
        assertFalse(self[0].isRunning());
        assertTrue(requeueRefused.get(), "the requeue during cancelSync must fail (item disabled)");
        wq.flush();
        assertEquals(after, runs.get(), "ran after cancelSync returned");
        assertEquals(0, self[0].disableCount(), "cancelSync re-enables the item");
    }

    @Test
    void cancelSyncWaitsForTheRunningInstance() throws Exception {
        Workqueue wq = wqs.systemUnbound();
        Gate g = new Gate();
        int[] z = new int[1];
        Work w = new Work(() -> {
            g.body();
            z[0] = 5;
        });
        wq.queue(w);
        await(g.entered);
        AtomicBoolean returned = new AtomicBoolean();
        Thread c = new Thread(() -> {
            w.cancelSync();
            returned.set(true);
        });
        c.start();
        assertFalse(returned.get());
        g.open.complete();
        c.join(T * 1000);
        assertTrue(returned.get());
        assertEquals(5, z[0], "cancelSync returned: the running instance finished and its stores are visible");
    }

    @Test
    void disabledItemRefusesQueueingUntilEnabled() throws Exception {
        Workqueue wq = wqs.system();
        AtomicInteger runs = new AtomicInteger();
        Work w = new Work(runs::incrementAndGet);
        assertFalse(w.disable(), "was idle");
        w.disable();
        assertEquals(2, w.disableCount());
        assertFalse(wq.queue(w));
        assertFalse(w.isPending(), "a refused queue leaves the item idle");
        assertFalse(w.enable(), "count 1: still disabled");
        assertFalse(wq.queue(w));
        assertTrue(w.enable());
        assertEquals(0, runs.get(), "enable does not queue");
        assertTrue(wq.queue(w));
        wq.flush();
        assertEquals(1, runs.get());
        try (LogCapture log = LogCapture.of("io.kdefer.workqueue")) {
            assertTrue(w.enable());
            assertTrue(log.contains("unbalanced enable"));
        }
    }

    // ------------------------------------------------------------------------------------------ B-WQ-13/14/15

    @Test
    void workqueueFlushWaitsForEarlierItemsAndIsNotLivelockedBySelfRequeueing() throws Exception {
        Workqueue wq = wqs.alloc("flushwq", 0, 0);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger spins = new AtomicInteger();
        Work[] spinner = new Work[1];
        spinner[0] = new Work(() -> {
            spins.incrementAndGet();
            if (!stop.get()) {
                wq.queue(spinner[0]);
            }
        });
        int[] done = new int[20];
        for (int i = 0; i < 20; i++) {
            int id = i;
            wq.queueOn(i % 2, new Work(() -> done[id] = 1));
        }
        wq.queueOn(0, spinner[0]);
        wq.flush();                                // returns although the spinner keeps re-queueing itself
        for (int d : done) {
            assertEquals(1, d);
        }
        assertTrue(spins.get() >= 1);
        stop.set(true);
        spinner[0].cancelSync();
    }

    @Test
    void drainAcceptsChainedItemsAndRefusesOthersLeavingThemIdle() throws Exception {
        Workqueue wq = wqs.alloc("drainme", WorkqueueFlags.UNBOUND, 0);
        AtomicInteger chain = new AtomicInteger();
        Work[] c = new Work[1];
        Completion inDrain = new Completion();
        Completion foreignDone = new Completion();
        c[0] = new Work(() -> {
            if (chain.incrementAndGet() == 1) {
                try {
                    inDrain.await();               // hold the drain open until the foreign queue was tried
                    foreignDone.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (chain.get() < 5) {
                assertTrue(wq.queue(c[0]), "chained queueing is accepted while draining");
            }
        });
        wq.queue(c[0]);
        AtomicBoolean foreignQueued = new AtomicBoolean(true);
        Work foreign = new Work(() -> { });
        Thread t = new Thread(() -> {
            inDrain.complete();
            foreignQueued.set(wq.queue(foreign));
            foreignDone.complete();
        });
        try (LogCapture log = LogCapture.of("io.kdefer.workqueue")) {
            Thread drainer = new Thread(wq::drain);
            drainer.start();
            while (!isDraining(wq)) {
                Thread.onSpinWait();
            }
            t.start();
            drainer.join(T * 1000);
            assertFalse(drainer.isAlive());
            assertTrue(log.contains("cannot queue on draining workqueue drainme"), log.messages().toString());
        }
        assertFalse(foreignQueued.get(), "deviation from the kernel: a refused queue returns false");
        assertFalse(foreign.isPending(), "and leaves the item idle, not wedged");
        assertEquals(5, chain.get());
        assertTrue(wq.queue(foreign), "after the drain the queue accepts work again");
        wq.flush();
    }

    private static boolean isDraining(Workqueue wq) {
        return wq.toString() != null && drainingField(wq);
    }

    private static boolean drainingField(Workqueue wq) {
        try {
            java.lang.reflect.Field f = Workqueue.class.getDeclaredField("draining");
            f.setAccessible(true);
            return f.getInt(wq) > 0;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void destroyDrainsThenRefuses() throws Exception {
        Workqueue wq = wqs.alloc("doomed", WorkqueueFlags.MEM_RECLAIM, 0);
        AtomicInteger runs = new AtomicInteger();
        for (int i = 0; i < 10; i++) {
            wq.queueOn(i % 2, new Work(runs::incrementAndGet));
        }
        wq.destroy();
        assertEquals(10, runs.get(), "destroy drains first");
        assertTrue(wq.isDestroyed());
        assertFalse(wq.queue(new Work(runs::incrementAndGet)));
        assertFalse(wqs.all().contains(wq));
        assertThrows(IllegalStateException.class, () -> wqs.system().destroy());
    }

    // ------------------------------------------------------------------------------------------ B-WQ-6/12 delayed

    @Test
    void delayedWorkNeverRunsBeforeItsDelayAndFirstWins() throws Exception {
        Workqueue wq = wqs.system();
        CountDownLatch ran = new CountDownLatch(1);
        int[] x = new int[1];
        AtomicInteger seen = new AtomicInteger();
        DelayedWork dw = new DelayedWork(() -> {
            seen.set(x[0]);
            ran.countDown();
        });
        x[0] = 3;
        assertTrue(wq.queueDelayed(dw, Duration.ofMillis(5)));
        assertFalse(wq.queueDelayed(dw, Duration.ofMillis(1)), "first wins while timer-armed");
        m.advance(Duration.ofMillis(4));
        assertTrue(dw.isPending());
        assertEquals(1, ran.getCount(), "not before its delay");
        assertFalse(dw.work.pwq != null, "the timer has not queued it yet");
        m.advance(Duration.ofMillis(1));
        await(ran);
        assertEquals(3, seen.get(), "MO-WQ-8: the timer path publishes the queuer's stores");
    }

    @Test
    void modDelayedIsLastWinsAndReportsWhetherItWasPending() throws Exception {
        Workqueue wq = wqs.system();
        AtomicInteger runs = new AtomicInteger();
        DelayedWork dw = new DelayedWork(runs::incrementAndGet);
        assertFalse(wq.modDelayed(dw, Duration.ofMillis(50)), "was idle");
        assertTrue(wq.modDelayed(dw, Duration.ofMillis(2)), "was pending: timer modified");
        m.advance(Duration.ofMillis(2));
        assertTrue(dw.flush() || runs.get() == 1);
        assertEquals(1, runs.get());
        m.advance(Duration.ofMillis(60));
        wq.flush();
        assertEquals(1, runs.get(), "the earlier expiry was replaced, not added");
    }

    @Test
    void cancelDeletesTheTimerAndFlushFiresItNow() throws Exception {
        Workqueue wq = wqs.system();
        AtomicInteger runs = new AtomicInteger();
        DelayedWork dw = new DelayedWork(runs::incrementAndGet);
        wq.queueDelayed(dw, Duration.ofSeconds(5));
        assertTrue(dw.cancel());
        assertFalse(dw.isPending());
        m.advance(Duration.ofSeconds(6));
        wq.flush();
        assertEquals(0, runs.get());
        wq.queueDelayed(dw, Duration.ofSeconds(5));
        assertTrue(dw.flush(), "flush_delayed_work queues now and waits");
        assertEquals(1, runs.get());
        wq.queueDelayed(dw, Duration.ofSeconds(5));
        assertTrue(dw.cancelSync());
        assertFalse(dw.isPending());
        assertThrows(IllegalArgumentException.class, () -> wq.queueDelayed(dw, Duration.ofMillis(-1)));
    }

    // ------------------------------------------------------------------------------------------ argument checks

    @Test
    void badArgumentsFailFastNamingTheRule() {
        Workqueue wq = wqs.system();
        NullPointerException npe = assertThrows(NullPointerException.class, () -> wq.queue(null));
        assertEquals("work", npe.getMessage());
        assertEquals("fn", assertThrows(NullPointerException.class, () -> new Work(null)).getMessage());
        assertEquals("name", assertThrows(NullPointerException.class, () -> wqs.alloc(null, 0, 0)).getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> wq.queueOn(7, new Work(() -> { })));
        assertTrue(bad.getMessage().contains("cpu 7 does not exist"), bad.getMessage());
        m.cpu(1).offline();
        java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
        Work onOffline = new Work(() -> ran.set(true));
        assertTrue(wq.queueOn(1, onOffline), "B-WQ-2/44: an offline CPU's pool is unbound and still runs items");
        onOffline.flush();           // true if it waited; false if the item already ran (a race either way)
        assertTrue(ran.get(), "flush returned, so the item ran");
        m.cpu(1).online();
        assertThrows(IllegalArgumentException.class, () -> wqs.alloc("bh", WorkqueueFlags.BH, 0));
        assertThrows(IllegalArgumentException.class, () -> wqs.alloc("x", 1 << 12, 0));
    }

    @Test
    void waitsRefuseAtomicContext() {
        List<String> refused = new ArrayList<>();
        Work w = new Work(() -> { });
        m.irqs().request(Machines.EDGE_LINE, (irq, dev) -> {
            for (Runnable r : List.<Runnable>of(w::flush, w::cancelSync, wqs.system()::flush)) {
                try {
                    r.run();
                } catch (IllegalStateException e) {
                    refused.add(e.getMessage());
                }
            }
            assertTrue(wqs.system().queue(w), "queueing is fine in hardirq context");
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        m.irqs().pulse(Machines.EDGE_LINE);
        m.cpu(0).runPending();
        assertEquals(3, refused.size(), refused.toString());
        assertTrue(refused.get(0).contains("hardirq context on cpu/0: Work.flush"), refused.get(0));
        assertTrue(refused.get(1).endsWith("Work.cancelSync"));
        assertTrue(refused.get(2).endsWith("Workqueue.flush"));
    }

    @Test
    void selfFlushOnAnOrderedQueueIsRefusedAsADeadlock() throws Exception {
        Workqueue oq = wqs.allocOrdered("selfflush", 0);
        Work later = new Work(() -> { });
        AtomicReference<Throwable> got = new AtomicReference<>();
        AtomicReference<Throwable> gotOwn = new AtomicReference<>();
        AtomicReference<Throwable> gotWq = new AtomicReference<>();
        Work[] first = new Work[1];
        first[0] = new Work(() -> {
            oq.queue(later);
            try {
                later.flush();
            } catch (IllegalStateException e) {
                got.set(e);
            }
            try {
                first[0].flush();
            } catch (IllegalStateException e) {
                gotOwn.set(e);
            }
            try {
                oq.flush();
            } catch (IllegalStateException e) {
                gotWq.set(e);
            }
        });
        oq.queue(first[0]);
        oq.flush();
        assertNotNull(got.get());
        assertTrue(got.get().getMessage().contains("same ordered workqueue selfflush would deadlock"),
                got.get().getMessage());
        assertTrue(gotOwn.get().getMessage().contains("would wait for itself"));
        assertTrue(gotWq.get().getMessage().contains("from one of its own items"));
    }

    @Test
    void aThrowingItemIsContainedCountedAndTheWorkerSurvives() throws Exception {
        Workqueue wq = wqs.allocOrdered("thrower", 0);
        try (LogCapture log = LogCapture.of("io.kdefer.workqueue")) {
            Work bad = new Work(() -> {
                throw new IllegalStateException("boom");
            });
            wq.queue(bad);
            wq.flush();
            wq.queue(bad);
            wq.flush();
            CountDownLatch ok = new CountDownLatch(1);
            wq.queue(new Work(ok::countDown));
            await(ok);
            assertEquals(2, wq.failures());
            assertEquals(1, log.count("threw; contained"), "reported once per item");
        }
    }

    @Test
    void workerNamesFollowTheKernel() throws Exception {
        AtomicReference<String> bound = new AtomicReference<>();
        AtomicReference<String> high = new AtomicReference<>();
        AtomicReference<String> unbound = new AtomicReference<>();
        AtomicReference<String> cpuSeen = new AtomicReference<>();
        wqs.system().queueOn(1, new Work(() -> {
            bound.set(Thread.currentThread().getName());
            cpuSeen.set(String.valueOf(io.kdefer.cpu.Cpu.current()));
        }));
        wqs.systemHighpri().queueOn(0, new Work(() -> high.set(Thread.currentThread().getName())));
        wqs.systemUnbound().queue(new Work(() -> unbound.set(Thread.currentThread().getName())));
        wqs.system().flush();
        wqs.systemHighpri().flush();
        wqs.systemUnbound().flush();
        assertTrue(bound.get().matches("kworker/1:\\d+"), bound.get());
        assertEquals("cpu/1", cpuSeen.get(), "a bound worker runs on its CPU");
        assertTrue(high.get().matches("kworker/0:\\d+H"), high.get());
        assertTrue(unbound.get().matches("kworker/u\\d+:\\d+"), unbound.get());
    }

    @Test
    void closeRunsEveryAcceptedItem() throws Exception {
        Machine mm = machines.boot();
        AtomicInteger runs = new AtomicInteger();
        Workqueue wq = mm.workqueues().alloc("closing", 0, 0);
        int n = 500;
        for (int i = 0; i < n; i++) {
            assertTrue(wq.queueOn(i % 2, new Work(runs::incrementAndGet)));
        }
        DelayedWork due = new DelayedWork(runs::incrementAndGet);
        mm.workqueues().systemUnbound().queueDelayed(due, Duration.ofMillis(1));
        mm.advance(Duration.ofMillis(1));
        mm.close();
        assertEquals(n + 1, runs.get());
        assertFalse(wq.queue(new Work(runs::incrementAndGet)), "a closed machine refuses work");
    }
}
