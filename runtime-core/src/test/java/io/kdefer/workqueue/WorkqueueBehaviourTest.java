/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.sync.Completion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * B-WQ items of spec §10 that {@link WorkqueueTest} and {@link WorkqueuePoolTest} leave out: target pool selection,
 * max_active scope, flag values, high-priority pools, unbound concurrency, activation on cancel, flushing a
 * cancelled inactive item, lowering max_active, introspection, the MEM_RECLAIM flush dependency warning. MANUAL
 * machine with two CPUs; real worker threads; latches and completions with timeouts.
 */
@Timeout(30)
class WorkqueueBehaviourTest {
    static final long T = 10;

    @RegisterExtension
    final Machines machines = new Machines();

    Machine m;
    Workqueues wqs;
    final List<Completion> gates = new CopyOnWriteArrayList<>();
    final List<CountDownLatch> latches = new CopyOnWriteArrayList<>();
    final List<AtomicBoolean> flags = new CopyOnWriteArrayList<>();

    @BeforeEach
    void boot() {
        m = machines.boot();
        wqs = m.workqueues();
    }

    /** Before the machine is closed, so a failed test does not leave an item blocked (close would wait for it). */
    @AfterEach
    void releaseBlockedItems() {
        gates.forEach(Completion::completeAll);
        latches.forEach(CountDownLatch::countDown);
        flags.forEach(f -> f.set(true));
    }

    Completion gate() {
        Completion c = new Completion();
        gates.add(c);
        return c;
    }

    CountDownLatch latch(int n) {
        CountDownLatch l = new CountDownLatch(n);
        latches.add(l);
        return l;
    }

    AtomicBoolean flag() {
        AtomicBoolean f = new AtomicBoolean();
        flags.add(f);
        return f;
    }

    static void await(CountDownLatch l) throws InterruptedException {
        assertTrue(l.await(T, TimeUnit.SECONDS), "timed out");
    }

    static void spinUntil(AtomicBoolean f) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(T);
        while (!f.get() && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    /** An item that blocks through the runtime (counted as sleeping) until its gate opens. */
    Work blocker(CountDownLatch entered, Completion open) {
        return new Work(() -> {
            entered.countDown();
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** B-WQ-2: queue() on a per-CPU queue uses the caller's CPU; queueOn(cpu) that CPU's pool. */
    @Test
    void queueUsesTheCallersCpuAndQueueOnTheGivenOne() throws Exception {
        AtomicReference<String> local = new AtomicReference<>();
        AtomicReference<String> explicit = new AtomicReference<>();
        m.bindCurrentThread(1);
        assertTrue(wqs.system().queue(new Work(() -> local.set(Thread.currentThread().getName()))));
        assertTrue(wqs.system().queueOn(0, new Work(() -> explicit.set(Thread.currentThread().getName()))));
        wqs.system().flush();
        assertTrue(local.get().startsWith("kworker/1:"), local.get());
        assertTrue(explicit.get().startsWith("kworker/0:"), explicit.get());
    }

    /**
     * B-WQ-19: max_active of a per-CPU queue is per CPU pool (max_active 1 still runs one item on each CPU at once);
     * of an unbound queue system-wide (max_active 1 without ORDERED: one at a time, the rest inactive).
     */
    @Test
    void maxActiveIsPerCpuForBoundQueuesAndGlobalForUnboundOnes() throws Exception {
        Workqueue bound = wqs.alloc("b1", 0, 1);
        Completion open = gate();
        CountDownLatch both = latch(2);
        assertTrue(bound.queueOn(0, blocker(both, open)));
        assertTrue(bound.queueOn(1, blocker(both, open)));
        await(both);
        assertFalse(bound.isCongested());

        Workqueue unbound = wqs.alloc("u1", WorkqueueFlags.UNBOUND, 1);
        CountDownLatch first = latch(1);
        CountDownLatch second = latch(1);
        assertTrue(unbound.queueOn(0, blocker(first, open)));
        assertTrue(unbound.queueOn(1, blocker(second, open)));
        await(first);
        assertTrue(unbound.isCongested(), "the second waits inactive: the limit is system-wide");
        assertEquals(1, second.getCount());
        open.completeAll();
        unbound.flush();
        assertEquals(0, second.getCount());
        bound.flush();
    }

    /** B-WQ-20: the flag constants have the kernel's values. */
    @Test
    void flagValuesAreTheKernels() {
        assertEquals(1, WorkqueueFlags.BH);
        assertEquals(1 << 1, WorkqueueFlags.UNBOUND);
        assertEquals(1 << 2, WorkqueueFlags.FREEZABLE);
        assertEquals(1 << 3, WorkqueueFlags.MEM_RECLAIM);
        assertEquals(1 << 4, WorkqueueFlags.HIGHPRI);
        assertEquals(1 << 5, WorkqueueFlags.CPU_INTENSIVE);
        assertEquals(1 << 6, WorkqueueFlags.SYSFS);
        assertEquals(1 << 7, WorkqueueFlags.POWER_EFFICIENT);
    }

    /**
     * B-WQ-21: HIGHPRI items run on the CPU's high-priority pool, whose concurrency management is separate: a
     * normal item hogging cpu 0's normal pool holds back normal items there, not high-priority ones.
     */
    @Test
    void highpriPoolIsSeparateFromTheNormalPool() throws Exception {
        AtomicBoolean release = flag();
        CountDownLatch hogIn = latch(1);
        assertTrue(wqs.system().queueOn(0, new Work(() -> {
            hogIn.countDown();
            spinUntil(release);
        })));
        await(hogIn);
        CountDownLatch normal = latch(1);
        assertTrue(wqs.system().queueOn(0, new Work(normal::countDown)));
        AtomicReference<String> hiThread = new AtomicReference<>();
        CountDownLatch hi = latch(1);
        assertTrue(wqs.systemHighpri().queueOn(0, new Work(() -> {
            hiThread.set(Thread.currentThread().getName());
            hi.countDown();
        })));
        await(hi);
        assertTrue(hiThread.get().matches("kworker/0:\\d+H"), hiThread.get());
        assertEquals(1, normal.getCount(), "the normal pool still has its one running worker");
        release.set(true);
        await(normal);
    }

    /**
     * B-WQ-32: unbound workers are never counted, so items blocked in foreign code (plain JDK latches the runtime
     * cannot see) still run side by side: every pending item gets a worker.
     */
    @Test
    void unboundItemsBlockedInForeignCodeAllRun() throws Exception {
        Workqueue wq = wqs.alloc("ub", WorkqueueFlags.UNBOUND, 0);
        int n = 4;
        CountDownLatch entered = latch(n);
        CountDownLatch release = latch(1);
        for (int i = 0; i < n; i++) {
            assertTrue(wq.queue(new Work(() -> {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            })));
        }
        await(entered);
        release.countDown();
        wq.flush();
    }

    /**
     * B-WQ-38: cancelling an active queued item frees its max_active slot, and the first inactive item is
     * activated.
     */
    @Test
    void cancellingAnActiveItemActivatesTheNextInactiveOne() throws Exception {
        Workqueue wq = wqs.alloc("act", 0, 2);
        AtomicBoolean release = flag();
        CountDownLatch aIn = latch(1);
        assertTrue(wq.queueOn(0, new Work(() -> {
            aIn.countDown();
            spinUntil(release);                           // runnable: holds the pool, b stays on the worklist
        })));
        await(aIn);
        AtomicBoolean bRan = new AtomicBoolean();
        Work b = new Work(() -> bRan.set(true));
        CountDownLatch cRan = latch(1);
        Work c = new Work(cRan::countDown);
        assertTrue(wq.queueOn(0, b));
        assertTrue(wq.queueOn(0, c));
        assertTrue(wq.isCongested(), "c over max_active 2");
        assertTrue(b.cancel());
        assertFalse(wq.isCongested(), "c took b's slot");
        release.set(true);
        await(cRan);
        wq.flush();
        assertFalse(bRan.get());
    }

    /** B-WQ-40/11: a flush waiting for an inactive item returns (true) when that item is cancelled. */
    @Test
    void flushOfAnInactiveItemReturnsWhenItIsCancelled() throws Exception {
        Workqueue wq = wqs.alloc("fl_inactive", 0, 1);
        Completion open = gate();
        CountDownLatch aIn = latch(1);
        assertTrue(wq.queueOn(0, blocker(aIn, open)));
        await(aIn);
        Work x = new Work(() -> { });
        assertTrue(wq.queueOn(0, x));
        assertTrue(wq.isCongested());
        AtomicReference<Boolean> flushed = new AtomicReference<>();
        CountDownLatch done = latch(1);
        Thread flusher = new Thread(() -> {
            flushed.set(x.flush());
            done.countDown();
        }, "flusher");
        flusher.start();
        WorkerPool pool = wqs.cpuPool(0, false);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(T);
        while (true) {
            pool.lock.lock();
            try {
                if (x.flushWaiters > 0) {
                    break;
                }
            } finally {
                pool.lock.unlock();
            }
            assertTrue(System.nanoTime() < end, "flusher never waited");
            Thread.onSpinWait();
        }
        assertTrue(x.cancel());
        await(done);
        assertTrue(flushed.get());
        open.complete();
        wq.flush();
    }

    /** B-WQ-18: lowering max_active never preempts running items; it only throttles later activations. */
    @Test
    void loweringMaxActiveDoesNotPreemptRunningItems() throws Exception {
        Workqueue wq = wqs.alloc("lower", 0, 3);
        Completion open = gate();
        CountDownLatch three = latch(3);
        for (int i = 0; i < 3; i++) {
            assertTrue(wq.queueOn(0, blocker(three, open)));
        }
        await(three);
        wq.setMaxActive(1);
        assertEquals(1, wq.maxActive());
        CountDownLatch laterIn = latch(1);
        assertTrue(wq.queueOn(0, blocker(laterIn, gate())));
        assertTrue(wq.isCongested(), "3 running, limit 1: the new one waits");
        open.completeAll();
        await(laterIn);
        gates.forEach(Completion::completeAll);
        wq.flush();
    }

    /** B-WQ-24: isPending / isRunning / isCongested follow the item through queued, running and idle. */
    @Test
    void introspectionFollowsTheItem() throws Exception {
        Workqueue wq = wqs.alloc("intro", 0, 1);
        Completion open = gate();
        CountDownLatch in = latch(1);
        Work a = blocker(in, open);
        assertFalse(a.isPending());
        assertFalse(a.isRunning());
        assertTrue(wq.queueOn(0, a));
        await(in);
        assertFalse(a.isPending(), "PENDING cleared when it started");
        assertTrue(a.isRunning());
        Work b = new Work(() -> { });
        assertTrue(wq.queueOn(0, b));
        assertTrue(b.isPending());
        assertFalse(b.isRunning());
        assertTrue(wq.isCongested());
        open.complete();
        wq.flush();
        assertFalse(a.isRunning());
        assertFalse(b.isPending());
        assertFalse(wq.isCongested());
    }

    /** B-WQ-42: an item of a MEM_RECLAIM queue flushing a queue without a rescuer is warned about, once. */
    @Test
    void reclaimItemFlushingANonReclaimQueueWarnsOnce() throws Exception {
        Workqueue reclaim = wqs.alloc("rq", WorkqueueFlags.MEM_RECLAIM, 0);
        Workqueue plain = wqs.alloc("pq", 0, 0);
        Workqueue otherReclaim = wqs.alloc("rq2", WorkqueueFlags.MEM_RECLAIM, 0);
        try (LogCapture log = LogCapture.of("io.kdefer.workqueue")) {
            AtomicInteger done = new AtomicInteger();
            for (int i = 0; i < 2; i++) {
                assertTrue(reclaim.queueOn(0, new Work(() -> {
                    plain.flush();
                    otherReclaim.flush();
                    done.incrementAndGet();
                })));
                reclaim.flush();
            }
            assertEquals(2, done.get());
            assertEquals(1, log.count("WQ_MEM_RECLAIM rq is flushing !WQ_MEM_RECLAIM pq"), log.messages().toString());
            assertFalse(log.contains("rq2"), "flushing another MEM_RECLAIM queue is fine");
            plain.flush();
            assertEquals(1, log.count("is flushing"), "no warning off a reclaim worker");
        }
    }
}
