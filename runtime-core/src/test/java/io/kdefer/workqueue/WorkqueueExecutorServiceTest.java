/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.sync.Completion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Workqueue#asExecutor()} and {@link Workqueue#asExecutorService()} against the JDK's ExecutorService
 * contract (API.md): shutdown lets accepted tasks run and refuses new ones, shutdownNow returns the never-started
 * ones and interrupts running ones, awaitTermination / isTerminated, invokeAll / invokeAny, Future.cancel. Blocking
 * calls of the view on a worker count as sleeping (B-WQ-30). MANUAL machine with one CPU; latches with timeouts.
 */
@Timeout(30)
class WorkqueueExecutorServiceTest {
    static final long T = 10;

    @RegisterExtension
    final Machines machines = new Machines();

    Machine m;
    Workqueues wqs;
    final List<Completion> gates = new CopyOnWriteArrayList<>();

    @BeforeEach
    void boot() {
        m = machines.boot(b -> b.cpus(1));
        wqs = m.workqueues();
    }

    /** Before the machine is closed, so a failed test does not leave a task blocked (close would wait for it). */
    @AfterEach
    void releaseBlockedTasks() {
        gates.forEach(Completion::completeAll);
    }

    Completion gate() {
        Completion c = new Completion();
        gates.add(c);
        return c;
    }

    static void await(CountDownLatch l) throws InterruptedException {
        assertTrue(l.await(T, TimeUnit.SECONDS), "timed out");
    }

    /** A task that blocks (through the runtime) until its gate opens; records an interrupt. */
    final class Blocker implements Runnable {
        final Completion open = gate();
        final CountDownLatch entered = new CountDownLatch(1);
        final AtomicBoolean interrupted = new AtomicBoolean();

        @Override
        public void run() {
            entered.countDown();
            try {
                open.await();
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        }
    }

    /** ExecutorService.shutdown: previously submitted tasks run, new ones are rejected; then terminated. */
    @Test
    void shutdownLetsAcceptedTasksRunThenRefuses() throws Exception {
        Workqueue oq = wqs.allocOrdered("es", 0);
        ExecutorService es = oq.asExecutorService();
        Blocker b = new Blocker();
        es.execute(b);
        AtomicInteger ran = new AtomicInteger();
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            fs.add(es.submit(ran::incrementAndGet));
        }
        await(b.entered);
        es.shutdown();
        assertTrue(es.isShutdown());
        assertFalse(es.isTerminated(), "accepted tasks still to run");
        assertThrows(RejectedExecutionException.class, () -> es.execute(() -> { }));
        assertThrows(RejectedExecutionException.class, () -> es.submit(() -> 1));
        assertFalse(es.awaitTermination(1, TimeUnit.MILLISECONDS));
        b.open.complete();
        assertTrue(es.awaitTermination(T, TimeUnit.SECONDS));
        assertTrue(es.isTerminated());
        assertEquals(3, ran.get());
        for (Future<?> f : fs) {
            assertTrue(f.isDone());
            assertFalse(f.isCancelled());
        }
        assertTrue(oq.queue(new Work(() -> { })), "shutting the view down does not destroy the queue");
        es.shutdown();                                   // idempotent
        assertTrue(es.isTerminated());
    }

    /**
     * ExecutorService.shutdownNow: returns the accepted tasks that never started, in submission order, and they never
     * run; the running task is interrupted; then terminated.
     */
    @Test
    void shutdownNowReturnsTheNeverStartedTasksAndInterruptsTheRunningOne() throws Exception {
        Workqueue oq = wqs.allocOrdered("es_now", 0);
        ExecutorService es = oq.asExecutorService();
        Blocker b = new Blocker();
        es.execute(b);
        await(b.entered);
        AtomicInteger ran = new AtomicInteger();
        List<Runnable> queued = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Runnable r = ran::incrementAndGet;
            queued.add(r);
            es.execute(r);
        }
        List<Runnable> never = es.shutdownNow();
        assertEquals(queued.size(), never.size());
        for (int i = 0; i < queued.size(); i++) {
            assertSame(queued.get(i), never.get(i));
        }
        assertTrue(es.awaitTermination(T, TimeUnit.SECONDS));
        assertTrue(b.interrupted.get(), "the running task was interrupted");
        oq.flush();
        assertEquals(0, ran.get(), "returned tasks never run");
        assertTrue(es.isTerminated());
        assertEquals(List.of(), es.shutdownNow());
    }

    /** awaitTermination: false until shut down (after the timeout), true at once when shut down with nothing left. */
    @Test
    void awaitTerminationNeedsShutdownAndHonoursTheTimeout() throws Exception {
        ExecutorService es = wqs.system().asExecutorService();
        assertFalse(es.awaitTermination(0, TimeUnit.NANOSECONDS));
        assertFalse(es.awaitTermination(5, TimeUnit.MILLISECONDS));
        assertFalse(es.isTerminated());
        es.shutdown();
        assertTrue(es.awaitTermination(0, TimeUnit.NANOSECONDS));
        assertTrue(es.isTerminated());
    }

    /** invokeAll: every future done, results in the order of the tasks; with a timeout, unfinished ones cancelled. */
    @Test
    void invokeAllReturnsDoneFuturesInOrderAndCancelsWhatTheTimeoutCutsOff() throws Exception {
        ExecutorService es = wqs.alloc("es_all", 0, 0).asExecutorService();
        List<Callable<Integer>> tasks = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int v = i;
            tasks.add(() -> v * v);
        }
        tasks.add(() -> {
            throw new IllegalStateException("task 5");
        });
        List<Future<Integer>> fs = es.invokeAll(tasks);
        assertEquals(6, fs.size());
        for (int i = 0; i < 5; i++) {
            assertTrue(fs.get(i).isDone());
            assertEquals(i * i, fs.get(i).get());
        }
        ExecutionException e = assertThrows(ExecutionException.class, () -> fs.get(5).get());
        assertEquals("task 5", e.getCause().getMessage());

        ExecutorService oes = wqs.allocOrdered("es_all_timed", 0).asExecutorService();
        Completion never = gate();
        List<Callable<String>> slow = List.of(() -> {
            never.await();
            return "a";
        }, () -> "b");
        List<Future<String>> ts = oes.invokeAll(slow, 20, TimeUnit.MILLISECONDS);
        assertTrue(ts.get(0).isCancelled());
        assertTrue(ts.get(1).isCancelled(), "never started: cancelled");
        assertThrows(CancellationException.class, () -> ts.get(1).get());
        oes.shutdown();
        assertTrue(oes.awaitTermination(T, TimeUnit.SECONDS));
    }

    /** invokeAny: the result of a task that completed normally; ExecutionException if none did; empty is refused. */
    @Test
    void invokeAnyReturnsASuccessfulResultOrThrows() throws Exception {
        ExecutorService es = wqs.alloc("es_any", 0, 0).asExecutorService();
        String r = es.invokeAny(List.of(() -> {
            throw new IllegalStateException("first fails");
        }, () -> "ok"));
        assertEquals("ok", r);
        assertThrows(ExecutionException.class, () -> es.invokeAny(List.<Callable<String>>of(() -> {
            throw new IllegalStateException("only one, fails");
        })));
        assertThrows(IllegalArgumentException.class, () -> es.invokeAny(List.<Callable<String>>of()));
        assertThrows(NullPointerException.class, () -> es.invokeAny(null));
        assertThrows(NullPointerException.class, () -> es.execute(null));
    }

    /** Future.cancel: a cancelled not-yet-started task never runs; cancel(true) interrupts a running one. */
    @Test
    void futureCancelStopsQueuedTasksAndInterruptsRunningOnes() throws Exception {
        Workqueue oq = wqs.allocOrdered("es_cancel", 0);
        ExecutorService es = oq.asExecutorService();
        Blocker b = new Blocker();
        Future<?> running = es.submit(b);
        await(b.entered);
        AtomicBoolean ran = new AtomicBoolean();
        Future<?> queued = es.submit(() -> ran.set(true));
        assertTrue(queued.cancel(false));
        assertTrue(queued.isCancelled());
        assertTrue(running.cancel(true));
        assertTrue(running.isCancelled());
        es.shutdown();
        assertTrue(es.awaitTermination(T, TimeUnit.SECONDS));
        assertTrue(b.interrupted.get());
        assertFalse(ran.get());
    }

    /** Each call returns a separate view: one component shutting its view down does not stop another's. */
    @Test
    void viewsHaveIndependentLifecycles() throws Exception {
        Workqueue wq = wqs.system();
        ExecutorService a = wq.asExecutorService();
        ExecutorService b = wq.asExecutorService();
        assertNotSame(a, b);
        a.shutdown();
        assertTrue(a.isTerminated());
        assertEquals(7, b.submit(() -> 7).get(T, TimeUnit.SECONDS));
        assertFalse(b.isShutdown());
    }

    /**
     * B-WQ-30: a worker waiting in Future.get or invokeAll of the view counts as sleeping, so the tasks it waits for
     * run on the same one-CPU pool instead of deadlocking behind it.
     */
    @Test
    void waitingOnTheViewFromAWorkerLetsThePoolRunTheTasks() throws Exception {
        Workqueue wq = wqs.system();
        ExecutorService es = wq.asExecutorService();
        AtomicReference<Object> got = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        assertTrue(wq.queueOn(0, new Work(() -> {
            try {
                Future<String> f = es.submit(() -> "inner");
                List<Future<Integer>> all = es.invokeAll(List.of(() -> 1, () -> 2));
                got.set(f.get() + all.get(0).get() + all.get(1).get());
            } catch (Exception e) {
                got.set(e);
            }
            done.countDown();
        })));
        await(done);
        assertEquals("inner12", got.get());
    }

    /** asExecutor: runs each task as a work item; a refusing queue (destroyed) rejects. */
    @Test
    void executorRunsTasksAndRejectsWhenTheQueueRefuses() throws Exception {
        Workqueue wq = wqs.alloc("ex", 0, 0);
        Executor ex = wq.asExecutor();
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch two = new CountDownLatch(2);
        ex.execute(() -> {
            seen.add(1);
            two.countDown();
        });
        ex.execute(() -> {
            seen.add(2);
            two.countDown();
        });
        await(two);
        assertEquals(2, seen.size());
        assertThrows(NullPointerException.class, () -> ex.execute(null));
        wq.destroy();
        assertThrows(RejectedExecutionException.class, () -> ex.execute(() -> { }));
        ExecutorService es = wq.asExecutorService();
        assertThrows(RejectedExecutionException.class, () -> es.execute(() -> { }));
        es.shutdown();
        assertTrue(es.awaitTermination(1, TimeUnit.SECONDS), "a rejected task is not left accepted");
    }
}
