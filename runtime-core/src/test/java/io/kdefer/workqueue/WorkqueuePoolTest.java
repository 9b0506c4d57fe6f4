/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.JfrCapture;
import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.sync.Completion;
import io.kdefer.sync.Delay;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pools and workers (B-WQ-22/23/26..37): concurrency management, managedBlock, the blocked-thread sampler, automatic
 * CPU_INTENSIVE, idle culling, mayday and the rescuer, the stall watchdog, the wq_monitor table, freeze/thaw.
 * MANUAL machine with one CPU (so "the pool" is cpu 0's normal pool and no tick runs unless the test advances
 * time); workers are real threads, so every wait is a latch or completion with a timeout. A test that needs an
 * item to hold its worker without sleeping spins on a flag (RUNNABLE), never on the clock.
 */
@Timeout(30)
class WorkqueuePoolTest {
    static final long T = 10;   // seconds: upper bound of any wait, never a timing assumption

    @RegisterExtension
    final Machines machines = new Machines();

    Machine m;
    Workqueues wqs;
    WorkerPool pool;

    @BeforeEach
    void boot() {
        m = machines.boot(b -> b.cpus(1));
        wqs = m.workqueues();
        pool = wqs.cpuPool(0, false);
    }

    /** Released before close, so a failed test does not leave an item blocked (close would wait for it). */
    final List<Completion> gates = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<AtomicBoolean> flags = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<CountDownLatch> latches = new java.util.concurrent.CopyOnWriteArrayList<>();

    Completion gate() {
        Completion c = new Completion();
        gates.add(c);
        return c;
    }

    AtomicBoolean flag() {
        AtomicBoolean f = new AtomicBoolean();
        flags.add(f);
        return f;
    }

    CountDownLatch latch() {
        CountDownLatch l = new CountDownLatch(1);
        latches.add(l);
        return l;
    }

    /** Before the machine is closed: undoes injected faults, releases blocked items, thaws a freeze. */
    @AfterEach
    void resetBeforeClose() {
        wqs.failWorkerCreation(null);
        wqs.stallNanos = TimeUnit.SECONDS.toNanos(30);
        gates.forEach(Completion::completeAll);
        flags.forEach(f -> f.set(true));
        latches.forEach(CountDownLatch::countDown);
        if (wqs.isFrozen()) {
            wqs.thaw();
        }
    }

    static void await(CountDownLatch l) throws InterruptedException {
        assertTrue(l.await(T, TimeUnit.SECONDS), "timed out");
    }

    /** Spins (RUNNABLE, never sleeping) until {@code f} is set; bounded so a broken runtime fails, not hangs. */
    static void spinUntil(AtomicBoolean f) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(T);
        while (!f.get() && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    /** For behaviours that are driven by a timeout (culling, mayday cooldown): polls {@code c} until the bound. */
    static void eventually(BooleanSupplier c, String what) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(T);
        while (!c.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, "timed out waiting for: " + what);
            LockSupport.parkNanos(1_000_000);
        }
    }

    static void awaitState(Thread t, Thread.State s) {
        eventually(() -> t.getState() == s, t.getName() + " " + s);
    }

    int workers() {
        pool.lock.lock();
        try {
            return pool.workers.size();
        } finally {
            pool.lock.unlock();
        }
    }

    int nrRunning() {
        pool.lock.lock();
        try {
            return pool.nrRunning;
        } finally {
            pool.lock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------ B-WQ-30

    /**
     * B-WQ-30: on a one-CPU pool, an item blocked in {@link Completion#await()} does not hold back the next item:
     * the pool wakes another worker, which runs it while the first is still blocked.
     */
    @Test
    void itemBlockedInACompletionDoesNotDelayTheNextItem() throws Exception {
        Workqueue wq = wqs.system();
        Completion open = gate();
        CountDownLatch bRan = new CountDownLatch(1);
        AtomicReference<Thread> aThread = new AtomicReference<>();
        AtomicReference<Thread> bThread = new AtomicReference<>();
        AtomicBoolean aStillBlocked = new AtomicBoolean();
        Work a = new Work(() -> {
            aThread.set(Thread.currentThread());
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Work b = new Work(() -> {
            bThread.set(Thread.currentThread());
            aStillBlocked.set(!open.isDone());
            bRan.countDown();
        });
        assertTrue(wq.queueOn(0, a));
        assertTrue(wq.queueOn(0, b));
        await(bRan);
        assertTrue(aStillBlocked.get(), "b ran while a was blocked");
        assertTrue(a.isRunning());
        assertNotEquals(aThread.get(), bThread.get());
        open.complete();
        assertTrue(a.flush() || !a.isRunning());
        // b's worker may still be in b's epilogue (counted) when a's flush returns: wait for it, bounded
        eventually(() -> nrRunning() == 0, "every worker idle again: nothing counted (now " + nrRunning() + ")");
    }

    /** B-WQ-30 (and B-WQ-28 keep_working): with no block, queued items run one after another on one worker. */
    @Test
    void itemsThatDoNotBlockRunOnOneWorker() throws Exception {
        Workqueue wq = wqs.system();
        AtomicBoolean bQueued = flag();
        AtomicReference<Thread> aThread = new AtomicReference<>();
        AtomicReference<Thread> bThread = new AtomicReference<>();
        CountDownLatch aIn = new CountDownLatch(1);
        CountDownLatch bRan = new CountDownLatch(1);
        Work a = new Work(() -> {
            aThread.set(Thread.currentThread());
            aIn.countDown();
            spinUntil(bQueued);
        });
        Work b = new Work(() -> {
            bThread.set(Thread.currentThread());
            bRan.countDown();
        });
        assertTrue(wq.queueOn(0, a));
        await(aIn);
        assertTrue(wq.queueOn(0, b));
        assertEquals(1, nrRunning(), "one counted worker");
        bQueued.set(true);
        await(bRan);
        assertEquals(aThread.get(), bThread.get(), "b waited for a's worker instead of waking another");
    }

    /**
     * B-WQ-30 with the workqueue's own waits and msleep: an item waiting in {@link Work#cancelSync()} for another
     * item that is blocked in a Completion, and a third item that opens that Completion, all complete on a
     * one-CPU pool; an item in {@link Delay#msleep} lets the next item run (which ends the sleep).
     */
    @Test
    void cancelSyncFlushAndMsleepCountAsSleeping() throws Exception {
        Workqueue wq = wqs.system();
        Completion open = gate();
        CountDownLatch wIn = new CountDownLatch(1);
        Work w = new Work(() -> {
            wIn.countDown();
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        AtomicBoolean cancelled = new AtomicBoolean();
        Work canceller = new Work(() -> {
            w.cancelSync();
            cancelled.set(true);
        });
        Work opener = new Work(open::complete);
        AtomicBoolean flushed = new AtomicBoolean();
        Work flusher = new Work(() -> flushed.set(canceller.flush()));
        assertTrue(wq.queueOn(0, w));
        await(wIn);
        assertTrue(wq.queueOn(0, canceller));
        assertTrue(wq.queueOn(0, flusher));
        assertTrue(wq.queueOn(0, opener));
        wq.flush();
        assertTrue(cancelled.get());
        assertTrue(flushed.get(), "flusher waited for the canceller");

        AtomicReference<Thread> sleeper = new AtomicReference<>();
        AtomicBoolean interrupted = new AtomicBoolean();
        CountDownLatch slept = new CountDownLatch(1);
        Work s = new Work(() -> {
            sleeper.set(Thread.currentThread());
            try {
                Delay.msleep(TimeUnit.SECONDS.toMillis(60));
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
            slept.countDown();
        });
        Work waker = new Work(() -> sleeper.get().interrupt());
        assertTrue(wq.queueOn(0, s));
        eventually(() -> sleeper.get() != null, "sleeper started");
        assertTrue(wq.queueOn(0, waker));
        await(slept);
        assertTrue(interrupted.get(), "the second item ran while the first slept in msleep");
    }

    /** managedBlock: a worker blocked in foreign code inside it lets the pool run the next item (B-WQ-30). */
    @Test
    void managedBlockLetsThePoolRunOtherItems() throws Exception {
        Workqueue wq = wqs.system();
        CountDownLatch foreign = latch();
        AtomicReference<Object> result = new AtomicReference<>();
        Work a = new Work(() -> {
            try {
                result.set(Workqueues.managedBlock(() -> {
                    foreign.await();
                    return "done";
                }));
            } catch (Exception e) {
                result.set(e);
            }
        });
        Work b = new Work(foreign::countDown);
        assertTrue(wq.queueOn(0, a));
        assertTrue(wq.queueOn(0, b));
        wq.flush();
        assertEquals("done", result.get());
        assertEquals(0, nrRunning());
    }

    /** managedBlock off a worker just runs the callable: value and exception pass through; null is refused. */
    @Test
    void managedBlockOffAWorkerPassesValuesAndExceptionsThrough() throws Exception {
        assertEquals(42, Workqueues.managedBlock(() -> 42));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Workqueues.managedBlock(() -> {
                    throw new IllegalArgumentException("boom");
                }));
        assertEquals("boom", e.getMessage());
        assertThrows(NullPointerException.class, () -> Workqueues.managedBlock(null));
    }

    /**
     * J-WQ-3 (b) sampler, B-WQ-30: an item blocked in foreign code (a plain CountDownLatch) holds back the pool until
     * the tick's sampler sees its worker WAITING; then another worker runs the next item. Counted as a CM wakeup.
     */
    @Test
    void samplerWakesAWorkerForAnItemBlockedInForeignCode() throws Exception {
        Workqueue wq = wqs.system();
        CountDownLatch foreign = latch();
        AtomicReference<Thread> aThread = new AtomicReference<>();
        CountDownLatch bRan = new CountDownLatch(1);
        Work a = new Work(() -> {
            aThread.set(Thread.currentThread());
            try {
                foreign.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Work b = new Work(bRan::countDown);
        assertTrue(wq.queueOn(0, a));
        eventually(() -> aThread.get() != null, "a started");
        awaitState(aThread.get(), Thread.State.WAITING);
        assertTrue(wq.queueOn(0, b));
        assertEquals(1, bRan.getCount(), "nothing told the pool: b waits");
        long cmw = wq.stats.cmWakeups.get();
        m.advance(Duration.ofMillis(1));                    // a tick: the sampler runs on cpu 0's pools
        await(bRan);
        assertTrue(wq.stats.cmWakeups.get() > cmw);
        foreign.countDown();
        wq.flush();
        assertEquals(0, nrRunning());
    }

    // ------------------------------------------------------------------------------------------ B-WQ-22/31

    /**
     * B-WQ-31: a counted item that runs past the CPU-intensive threshold without sleeping is marked CPU_INTENSIVE at
     * the next tick, stops counting, and the pool runs the next item; CPUhog counts it.
     */
    @Test
    void longRunnerBecomesCpuIntensiveAtTheNextTick() throws Exception {
        wqs.intensiveNanos = 0;
        Workqueue wq = wqs.system();
        AtomicBoolean release = flag();
        CountDownLatch aIn = new CountDownLatch(1);
        CountDownLatch bRan = new CountDownLatch(1);
        Work a = new Work(() -> {
            aIn.countDown();
            spinUntil(release);
        });
        Work b = new Work(bRan::countDown);
        assertTrue(wq.queueOn(0, a));
        await(aIn);
        assertTrue(wq.queueOn(0, b));
        assertEquals(1, bRan.getCount());
        m.advance(Duration.ofMillis(1));
        await(bRan);
        assertTrue(a.isRunning(), "b ran while a still hogged its worker");
        assertEquals(1, wq.stats.cpuHog.get());
        release.set(true);
        wq.flush();
        assertEquals(0, nrRunning());
    }

    /** B-WQ-22: items of a CPU_INTENSIVE queue never count, so a spinning one does not hold back the pool. */
    @Test
    void cpuIntensiveQueueItemsDoNotHoldBackThePool() throws Exception {
        Workqueue hog = wqs.alloc("hog", WorkqueueFlags.CPU_INTENSIVE, 0);
        AtomicBoolean release = flag();
        CountDownLatch aIn = new CountDownLatch(1);
        CountDownLatch bRan = new CountDownLatch(1);
        Work a = new Work(() -> {
            aIn.countDown();
            spinUntil(release);
        });
        assertTrue(hog.queueOn(0, a));
        await(aIn);
        assertEquals(0, nrRunning());
        assertTrue(wqs.system().queueOn(0, new Work(bRan::countDown)));
        await(bRan);
        release.set(true);
        hog.flush();
    }

    // ------------------------------------------------------------------------------------------ B-WQ-27

    /** B-WQ-27: kick_pool wakes the most recently idled worker (the idle list is LIFO). */
    @Test
    void kickWakesTheMostRecentlyIdledWorker() throws Exception {
        Workqueue wq = wqs.system();
        Completion openA = gate();
        Completion openB = gate();
        AtomicReference<Thread> aThread = new AtomicReference<>();
        AtomicReference<Thread> bThread = new AtomicReference<>();
        CountDownLatch both = new CountDownLatch(2);
        Work a = new Work(() -> {
            aThread.set(Thread.currentThread());
            both.countDown();
            try {
                openA.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Work b = new Work(() -> {
            bThread.set(Thread.currentThread());
            both.countDown();
            try {
                openB.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(wq.queueOn(0, a));
        assertTrue(wq.queueOn(0, b));
        await(both);
        openA.complete();
        assertTrue(a.flush() || !a.isRunning());
        openB.complete();
        assertTrue(b.flush() || !b.isRunning());
        // settle: every worker idle, parked and not woken (a woken spare re-enters the idle list at its head)
        AtomicReference<Worker> first = new AtomicReference<>();
        eventually(() -> {
            pool.lock.lock();
            try {
                if (pool.idle.size() != pool.workers.size()) {
                    return false;
                }
                long prev = Long.MAX_VALUE;
                for (Worker w : pool.idle) {
                    if (w.woken || w.getState() != Thread.State.TIMED_WAITING) {
                        return false;
                    }
                    assertTrue(w.idleSinceNanos <= prev, "idle list is LIFO: most recently idled first");
                    prev = w.idleSinceNanos;
                }
                first.set(pool.idle.peekFirst());
                return true;
            } finally {
                pool.lock.unlock();
            }
        }, "all workers idle");
        assertTrue(workers() >= 3, "a's, b's and a spare");
        AtomicReference<Thread> xThread = new AtomicReference<>();
        Work x = new Work(() -> xThread.set(Thread.currentThread()));
        assertTrue(wq.queueOn(0, x));
        wq.flush();
        assertEquals(first.get(), xThread.get(), "the most recently idled worker ran x");
    }

    // ------------------------------------------------------------------------------------------ B-WQ-36

    /**
     * B-WQ-26/36: after a burst that needed many workers, workers idle for the (here shortened) idle timeout are
     * culled while too_many_workers holds, i.e. down to 2 idle workers.
     */
    @Test
    void idleWorkersAreCulledDownToTwoAfterTheIdleTimeout() throws Exception {
        wqs.idleTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(50);
        Workqueue wq = wqs.system();
        Completion open = gate();
        CountDownLatch in = new CountDownLatch(5);
        for (int i = 0; i < 5; i++) {
            assertTrue(wq.queueOn(0, new Work(() -> {
                in.countDown();
                try {
                    open.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            })));
        }
        await(in);
        assertTrue(workers() >= 6, "5 blocked + a spare: " + workers());
        open.completeAll();
        wq.flush();
        eventually(() -> workers() == 2, "culled to 2 (now " + workers() + ")");
        CountDownLatch again = new CountDownLatch(1);
        assertTrue(wq.queueOn(0, new Work(again::countDown)));
        await(again);
    }

    // ------------------------------------------------------------------------------------------ B-WQ-34/35

    /**
     * B-WQ-34/35, J-WQ-5: when no worker can be created, the pool sends a mayday and the MEM_RECLAIM queue's
     * rescuer runs its items; mayday and rescued are counted. B-WQ-33: creation is retried (here by the
     * watchdog's check) once it works again, and the other queue's item runs.
     */
    @Test
    void rescuerRunsAMemReclaimQueueWhenWorkerCreationFails() throws Exception {
        try (JfrCapture jfr = new JfrCapture()) {
            rescuerRunsAMemReclaimQueueWhenWorkerCreationFails(jfr);
        }
    }

    /** ... and the kdefer.WorkqueueMayday, kdefer.WorkqueueRescuer and rescued kdefer.WorkExecute events say so. */
    private void rescuerRunsAMemReclaimQueueWhenWorkerCreationFails(JfrCapture jfr) throws Exception {
        Workqueue reclaim = wqs.alloc("reclaim", WorkqueueFlags.MEM_RECLAIM, 0);
        wqs.failWorkerCreation(() -> true);
        int n = 3;
        CountDownLatch ran = new CountDownLatch(n);
        List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int i = 0; i < n; i++) {
            assertTrue(reclaim.queueOn(0, new Work(() -> {
                threads.add(Thread.currentThread().getName());
                ran.countDown();
            })));
        }
        await(ran);
        reclaim.flush();                                 // the counters are updated after each function returns
        assertEquals(0, workers(), "no worker could be created");
        for (String t : threads) {
            assertEquals("kworker/R-reclaim", t);
        }
        assertTrue(reclaim.stats.mayday.get() >= 1);
        assertEquals(n, reclaim.stats.rescued.get());
        List<RecordedEvent> maydays = jfr.events("kdefer.WorkqueueMayday");
        assertFalse(maydays.isEmpty());
        assertEquals("reclaim", maydays.get(0).getString("workqueue"));
        assertEquals(wqs.cpuPool(0, false).name(), maydays.get(0).getString("pool"));
        List<RecordedEvent> rescues = jfr.events("kdefer.WorkqueueRescuer");
        assertEquals(n, rescues.stream().mapToInt(e -> e.getInt("items")).sum(), "the rescuer's runs add up");
        List<RecordedEvent> rescued = jfr.events("kdefer.WorkExecute").stream()
                .filter(e -> e.getString("workqueue").equals("reclaim")).collect(java.util.stream.Collectors.toList());
        assertEquals(n, rescued.size());
        for (RecordedEvent e : rescued) {
            assertTrue(e.getBoolean("rescued"));
            assertEquals("kworker/R-reclaim", e.getString("worker"));
        }
        CountDownLatch normal = new CountDownLatch(1);
        assertTrue(wqs.system().queueOn(0, new Work(normal::countDown)));
        assertEquals(1, normal.getCount(), "not MEM_RECLAIM: waits for a worker");
        wqs.failWorkerCreation(null);
        wqs.checkStalls();                               // the watchdog's periodic check retries the creation
        await(normal);
    }

    /**
     * B-WQ-28/33/34/35: a manager that cannot create a spare (every worker blocked) sends maydays after
     * MAYDAY_INITIAL_TIMEOUT; the rescuer runs the MEM_RECLAIM items only; the other queue's item waits until
     * creation works again (retried every CREATE_COOLDOWN).
     */
    @Test
    void managerMaydaysWhileCreationFailsAndRetriesAfterTheCooldown() throws Exception {
        wqs.createCooldownNanos = TimeUnit.MILLISECONDS.toNanos(20);
        Workqueue reclaim = wqs.alloc("reclaim", WorkqueueFlags.MEM_RECLAIM, 0);
        Workqueue wq = wqs.system();
        Completion open = gate();
        CountDownLatch aIn = new CountDownLatch(1);
        Work a = new Work(() -> {
            aIn.countDown();
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(wq.queueOn(0, a));
        await(aIn);
        eventually(() -> workers() == 2, "a's worker and one idle spare");
        wqs.failWorkerCreation(() -> true);
        CountDownLatch rescued = new CountDownLatch(2);
        List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch normalRan = new CountDownLatch(1);
        assertTrue(wq.queueOn(0, new Work(normalRan::countDown)));
        for (int i = 0; i < 2; i++) {
            assertTrue(reclaim.queueOn(0, new Work(() -> {
                threads.add(Thread.currentThread().getName());
                rescued.countDown();
            })));
        }
        await(rescued);
        reclaim.flush();                                 // the counters are updated after each function returns
        assertEquals(List.of("kworker/R-reclaim", "kworker/R-reclaim"), threads);
        assertEquals(1, normalRan.getCount(), "not MEM_RECLAIM: not rescued");
        assertTrue(reclaim.stats.mayday.get() >= 1);
        assertEquals(2, reclaim.stats.rescued.get());
        wqs.failWorkerCreation(null);
        await(normalRan);
        open.complete();
        wq.flush();
    }

    // ------------------------------------------------------------------------------------------ B-WQ-37

    /** B-WQ-37: a pool whose worklist makes no progress is reported once, with the stuck worker's stack. */
    @Test
    void watchdogReportsAStallWithTheStuckWorkersStack() throws Exception {
        Workqueue wq = wqs.system();
        AtomicBoolean release = flag();
        CountDownLatch aIn = new CountDownLatch(1);
        Work a = new Work(() -> stuckInThisMethod(aIn, release));
        try (LogCapture log = LogCapture.of("io.kdefer.workqueue"); JfrCapture jfr = new JfrCapture()) {
            assertTrue(wq.queueOn(0, a));
            await(aIn);
            assertTrue(wq.queueOn(0, new Work(() -> { })));   // waits behind a: the worklist does not move
            wqs.stallNanos = 0;
            wqs.checkStalls();
            wqs.checkStalls();
            assertEquals(1, wqs.stalls(), "one report per stall");
            assertEquals(1, log.count("workqueue lockup"), log.messages().toString());
            assertTrue(log.contains("stuckInThisMethod"), "the report names where the worker is stuck: "
                    + log.messages());
            List<RecordedEvent> stall = jfr.events("kdefer.WorkqueueStall");
            assertEquals(1, stall.size(), "one event per stall, as one report");
            assertEquals(wqs.cpuPool(0, false).name(), stall.get(0).getString("pool"));
            assertEquals(1, stall.get(0).getInt("pending"));
            assertTrue(stall.get(0).getString("stack").contains("stuckInThisMethod"), stall.get(0).getString("stack"));
            assertTrue(stall.get(0).getThread("stuckThread").getJavaName().startsWith("kworker/0:"));
            wqs.stallNanos = TimeUnit.SECONDS.toNanos(30);
            release.set(true);
            wq.flush();
        }
    }

    /** Counts down from inside, so that once {@code in} opens every stack sample of the worker shows this frame. */
    private static void stuckInThisMethod(CountDownLatch in, AtomicBoolean release) {
        in.countDown();
        spinUntil(release);
    }

    // ------------------------------------------------------------------------------------------ stats

    /**
     * wq_monitor columns (API.md): total counts executions, infl the queued-or-running items, CPUtime the items'
     * run time minus recorded sleeps (an item in msleep(200) adds almost none), CPUhog the automatic CPU_INTENSIVE
     * marks, mayday and rescued only for MEM_RECLAIM queues ("-" otherwise).
     */
    @Test
    void statsTableShowsTheWqMonitorColumns() throws Exception {
        Workqueue wq = wqs.alloc("stats_wq", 0, 0);
        Completion open = gate();
        for (int i = 0; i < 3; i++) {
            assertTrue(wq.queueOn(0, new Work(() -> { })));
        }
        assertTrue(wq.queueOn(0, new Work(() -> {
            try {
                Delay.msleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })));
        wq.flush();
        CountDownLatch in = new CountDownLatch(1);
        assertTrue(wq.queueOn(0, new Work(() -> {
            in.countDown();
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })));
        await(in);
        String table = m.stats().workqueues();
        String header = table.lines().findFirst().orElseThrow();
        for (String col : List.of("total", "infl", "CPUtime", "CPUhog", "CMW/RPR", "mayday", "rescued")) {
            assertTrue(header.contains(col), header);
        }
        String[] row = row(table, "stats_wq");
        assertEquals("4", row[1], "total");
        assertEquals("1", row[2], "infl: the blocked item");
        assertTrue(Long.parseLong(row[3]) < 150, "CPUtime excludes the 200 ms of recorded sleep: " + table);
        assertEquals("0", row[4], "CPUhog");
        assertEquals("-", row[6], "mayday: not MEM_RECLAIM");
        assertEquals("-", row[7], "rescued");
        assertTrue(row(table, "events").length == 8);
        open.complete();
        wq.flush();
        assertEquals("0", row(m.stats().workqueues(), "stats_wq")[2]);
    }

    static String[] row(String table, String name) {
        return table.lines().map(String::trim).filter(l -> l.startsWith(name + " "))
                .map(l -> l.split("\\s+")).findFirst().orElseThrow(() -> new AssertionError(name + " in " + table));
    }

    // ------------------------------------------------------------------------------------------ B-WQ-23

    /**
     * B-WQ-23: while frozen a FREEZABLE queue holds new items inactive (the queue is congested) and runs them after
     * thaw; other queues keep running.
     */
    @Test
    void freezableQueueHoldsItemsWhileFrozenAndRunsThemAfterThaw() throws Exception {
        Workqueue fq = wqs.systemFreezable();
        wqs.freeze();
        assertTrue(wqs.isFrozen());
        CountDownLatch ran = new CountDownLatch(1);
        Work x = new Work(ran::countDown);
        assertTrue(fq.queueOn(0, x));
        assertTrue(fq.isCongested(), "held inactive");
        assertTrue(x.isPending());
        CountDownLatch other = new CountDownLatch(1);
        assertTrue(wqs.system().queueOn(0, new Work(other::countDown)));
        await(other);
        assertEquals(1, ran.getCount());
        wqs.thaw();
        await(ran);
        assertFalse(fq.isCongested());
    }

    /** B-WQ-23: freeze waits for the running item of a FREEZABLE queue, also when items queue behind it meanwhile. */
    @Test
    void freezeWaitsForRunningItems() throws Exception {
        Workqueue fq = wqs.systemFreezable();
        Completion open = gate();
        CountDownLatch aIn = new CountDownLatch(1);
        assertTrue(fq.queueOn(0, new Work(() -> {
            aIn.countDown();
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })));
        await(aIn);
        CountDownLatch frozen = new CountDownLatch(1);
        AtomicReference<Throwable> err = new AtomicReference<>();
        Thread freezer = new Thread(() -> {
            try {
                wqs.freeze();
            } catch (Throwable t) {
                err.set(t);
            }
            frozen.countDown();
        }, "freezer");
        freezer.start();
        eventually(wqs::isFrozen, "freeze started");
        CountDownLatch bRan = new CountDownLatch(1);
        assertTrue(fq.queueOn(0, new Work(bRan::countDown)));
        assertTrue(fq.isCongested());
        assertEquals(1, frozen.getCount(), "freeze still waits for the running item");
        open.complete();
        await(frozen);
        assertNull(err.get());
        assertEquals(1, bRan.getCount());
        wqs.thaw();
        await(bRan);
    }

    /** DESIGN §5 close loses nothing: closing a frozen machine thaws, so items held by the freeze still run. */
    @Test
    void closeWhileFrozenRunsTheHeldItems() throws Exception {
        wqs.freeze();
        AtomicInteger ran = new AtomicInteger();
        assertTrue(wqs.systemFreezable().queueOn(0, new Work(ran::incrementAndGet)));
        m.close();
        assertEquals(1, ran.get());
    }
}
