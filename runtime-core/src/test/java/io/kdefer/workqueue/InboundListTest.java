/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.IdlePolicy;
import io.kdefer.cpu.internal.Arch;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Access;
import io.kdefer.internal.Config;
import io.kdefer.internal.Kernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pool's inbound list ({@link WorkerPool}'s "Inbound list" notes) and the executor's recycled items
 * ({@link ExecutorSlots}), white-box on the proofs' core (no worker threads: the test decides who counts).
 */
@Timeout(30)
class InboundListTest {
    @RegisterExtension
    final Machines machines = new Machines();

    static Workqueues proofsCore() {
        Kernel k = new Kernel(new Config("inbound", 1, false, 1000, IdlePolicy.PARK.ordinal(), 10, 2_000_000, 0,
                100_000, 99_900, 100_000_000, "none"));
        Access.install(Cpu.class, k);
        k.get(Cpus.class).setArch(Arch.none());
        return Workqueues.forProofs(k);
    }

    final Workqueues wqs = proofsCore();
    final Workqueue wq = wqs.system();
    final WorkerPool pool = wqs.cpuPool(0, false);

    private void setRunning(int n) {
        pool.lock.lock();
        try {
            pool.setNrRunning(n);
        } finally {
            pool.lock.unlock();
        }
    }

    private List<Work> worklist() {
        pool.lock.acquire();                       // a look that does not absorb
        try {
            List<Work> l = new ArrayList<>();
            for (Work w = pool.worklist.first(); w != null; w = w.next) {
                l.add(w);
            }
            return l;
        } finally {
            pool.lock.unlock();
        }
    }

    @Test
    void aPushOnAPoolWithNoCountedWorkerIsInsertedByTheQueuer() {
        Work w = new Work(() -> { });
        assertTrue(wq.queueOn(0, w));
        assertEquals(List.of(w), worklist(), "nrRunning 0: the queuer took the lock and inserted it");
        assertNull(w.target);
        assertSame(pool, w.pwq.pool);
    }

    @Test
    void whileAWorkerCountsPushesWaitInboundAndAreAbsorbedInPushOrder() {
        setRunning(1);
        Work a = new Work(() -> { });
        Work b = new Work(() -> { });
        Work c = new Work(() -> { });
        assertTrue(wq.queueOn(0, a));
        assertTrue(wq.queueOn(0, b));
        assertTrue(wq.queueOn(0, c));
        assertEquals(List.of(), worklist(), "a counted worker absorbs them: the queuers took no lock");
        assertTrue(a.isPending() && a.target != null && a.pwq == null, "INBOUND: pending, target set, no pwq");
        setRunning(0);                             // the worker stops counting: the absorb follows the write
        assertEquals(List.of(a, b, c), worklist(), "oldest first: the push order");
        assertEquals(3, wq.inFlight());
    }

    @Test
    void anyLockHolderAbsorbsFirstSoCancelAndFlushFindAnInboundItem() {
        setRunning(1);
        Work a = new Work(() -> { });
        assertTrue(wq.queueOn(0, a));
        assertTrue(a.cancel(), "cancel found the inbound item (locking its pool absorbed it) and took it back");
        assertFalse(a.isPending());
        assertEquals(0, wq.inFlight(), "its in-flight count went back");
        Work b = new Work(() -> { });
        assertTrue(wq.queueOn(0, b));
        assertEquals(1, wq.inFlight(), "inFlight locks each pool: the inbound item is counted");
        assertEquals(List.of(b), worklist());
        setRunning(0);
    }

    @Test
    void theCountedWorkerAbsorbsWhenItsWorklistRunsDry() {
        List<String> ran = new ArrayList<>();
        Worker worker = Worker.detached(pool);
        Work second = new Work(() -> ran.add("second"));
        Work first = new Work(() -> {
            ran.add("first");
            assertTrue(wq.queueOn(0, second));     // the worker counts now: no lock taken, absorbed after 'first'
            assertTrue(second.target != null, "inbound while the worker counts");
        });
        assertTrue(wq.queueOn(0, first));
        assertTrue(worker.runOnce());
        assertEquals(List.of("first", "second"), ran, "one wake-up ran both: keepWorking absorbed the push");
        assertEquals(0, wq.inFlight());
        assertEquals(0, pool.nrRunning);
    }

    @Test
    void aClosedPoolRefusesPushesAndInsertsWhatCameBefore() {
        setRunning(1);
        Work before = new Work(() -> { });
        assertTrue(wq.queueOn(0, before));
        pool.stopWorkers();
        assertEquals(List.of(before), worklist(), "the close inserted what was inbound before CLOSED");
        Work after = new Work(() -> { });
        assertFalse(wq.queueOn(0, after), "the list is CLOSED: refused");
        assertFalse(after.isPending(), "refused means idle again");
        assertNull(after.target);
    }

    // ------------------------------------------------------------------------------------------ ExecutorSlots

    @Test
    void theSlotRingIsFifoBoundedAndWrapsAround() {
        ExecutorSlots ring = new ExecutorSlots(null, 4);
        assertNull(ring.poll(), "empty");
        List<ExecutorSlots.Slot> slots = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            slots.add(new ExecutorSlots.Slot(ring));
            assertTrue(ring.offer(slots.get(i)));
        }
        assertFalse(ring.offer(new ExecutorSlots.Slot(ring)), "full: the fifth is dropped");
        for (int lap = 0; lap < 3; lap++) {
            for (int i = 0; i < 4; i++) {
                ExecutorSlots.Slot s = ring.poll();
                assertSame(slots.get(i), s, "FIFO, lap " + lap);
                assertTrue(ring.offer(s));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new ExecutorSlots(null, 3));
    }

    @Test
    void aSlotRunsItsTaskOnceClearsItAndReturnsToTheRingAlsoWhenTheTaskThrows() {
        ExecutorSlots ring = new ExecutorSlots(null, 2);
        ExecutorSlots.Slot s = ring.take();
        int[] runs = {0};
        s.task = () -> runs[0]++;
        s.run();
        assertEquals(1, runs[0]);
        assertNull(s.task, "cleared: the ring keeps no task alive");
        assertSame(s, ring.take(), "back in the ring, taken again");
        s.task = () -> {
            throw new IllegalStateException("boom");
        };
        assertThrows(IllegalStateException.class, s::run, "the worker sees the failure and reports it");
        assertSame(s, ring.take(), "back in the ring after a throw too");
    }

    @Test
    void asExecutorReusesItsItemsOnceTasksComplete() throws Exception {
        Machine m = machines.boot();
        Workqueue sys = m.workqueues().system();
        Executor ex = sys.asExecutor();
        CountDownLatch one = new CountDownLatch(1);
        ex.execute(one::countDown);
        assertTrue(one.await(10, TimeUnit.SECONDS));
        sys.flush();
        ExecutorSlots.Slot s = sys.executorSlots().poll();
        assertTrue(s != null && s.task == null, "the finished task's item is back in the ring, its task cleared");
        sys.executorSlots().offer(s);
        CountDownLatch two = new CountDownLatch(1);
        ex.execute(two::countDown);
        assertTrue(two.await(10, TimeUnit.SECONDS));
        sys.flush();
        assertSame(s, sys.executorSlots().poll(), "the second task ran on the same item: nothing allocated");
        m.close();
        assertThrows(RejectedExecutionException.class, () -> ex.execute(() -> { }), "closed: refused");
    }
}
