/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import io.kdefer.Machines;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.kdefer.Machine;
import io.kdefer.workqueue.Work;
import io.kdefer.workqueue.Workqueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Concurrency management (B-WQ-30) for every sleeping variant of io.kdefer.sync: on a one-CPU pool, a work item
 * blocked in the variant does not hold back the next item, because the variant told the pool that its worker
 * sleeps (SleepAwareThread.blockBegin / blockEnd) and the pool woke another worker.
 */
@Timeout(30)
class SleepOnWorkerTest {
    @RegisterExtension
    final Machines machines = new Machines();

    private static final Duration LONG = Duration.ofSeconds(30);

    /** Something a work item can block in, and the action that lets it go. */
    interface Gate {
        void block() throws Exception;

        void open();
    }

    interface QueueWait {
        void await(WaitQueue q, BooleanSupplier cond) throws Exception;
    }

    /** A wait-queue variant over a flag. */
    static Gate waitQueue(QueueWait v) {
        WaitQueue q = new WaitQueue();
        AtomicBoolean flag = new AtomicBoolean();
        return new Gate() {
            @Override
            public void block() throws Exception {
                v.await(q, flag::get);
            }

            @Override
            public void open() {
                flag.set(true);
                q.wakeUpAll();
            }
        };
    }

    interface CompletionWait {
        void await(Completion c) throws Exception;
    }

    static Gate completion(CompletionWait v) {
        Completion c = new Completion();
        return new Gate() {
            @Override
            public void block() throws Exception {
                v.await(c);
            }

            @Override
            public void open() {
                c.completeAll();
            }
        };
    }

    interface MutexLock {
        void lock(Mutex mx) throws Exception;
    }

    /** The test thread holds the mutex until open(). */
    static Gate mutex(MutexLock v) {
        Mutex mx = new Mutex();
        mx.lockUninterruptible();
        return new Gate() {
            @Override
            public void block() throws Exception {
                v.lock(mx);
                mx.unlock();
            }

            @Override
            public void open() {
                mx.unlock();
            }
        };
    }

    static Stream<Arguments> variants() {
        return Stream.of(
                gate("WaitQueue.waitEvent", () -> waitQueue(WaitQueue::waitEvent)),
                gate("WaitQueue.waitEventUninterruptible", () -> waitQueue(WaitQueue::waitEventUninterruptible)),
                gate("WaitQueue.waitEventTimeout", () -> waitQueue((q, c) -> q.waitEventTimeout(c, LONG))),
                gate("WaitQueue.waitEventInterruptible", () -> waitQueue(WaitQueue::waitEventInterruptible)),
                gate("WaitQueue.waitEventInterruptibleTimeout",
                        () -> waitQueue((q, c) -> q.waitEventInterruptibleTimeout(c, LONG))),
                gate("WaitQueue.waitEventKillable", () -> waitQueue(WaitQueue::waitEventKillable)),
                gate("WaitQueue.waitEventKillableTimeout",
                        () -> waitQueue((q, c) -> q.waitEventKillableTimeout(c, LONG))),
                gate("Completion.await", () -> completion(Completion::await)),
                gate("Completion.await(d)", () -> completion(c -> c.await(LONG))),
                gate("Completion.awaitUninterruptible", () -> completion(Completion::awaitUninterruptible)),
                gate("Completion.awaitTimeout", () -> completion(c -> c.awaitTimeout(LONG))),
                gate("Completion.awaitInterruptible", () -> completion(Completion::awaitInterruptible)),
                gate("Completion.awaitInterruptibleTimeout", () -> completion(c -> c.awaitInterruptibleTimeout(LONG))),
                gate("Completion.awaitKillable", () -> completion(Completion::awaitKillable)),
                gate("Completion.awaitKillableTimeout", () -> completion(c -> c.awaitKillableTimeout(LONG))),
                gate("Mutex.lock", () -> mutex(Mutex::lock)),
                gate("Mutex.lockInterruptible", () -> mutex(Mutex::lockInterruptible)),
                gate("Mutex.lockKillable", () -> mutex(Mutex::lockKillable)),
                gate("Mutex.lockUninterruptible", () -> mutex(Mutex::lockUninterruptible)));
    }

    private static Arguments gate(String name, Supplier<Gate> make) {
        return Arguments.of(name, make);
    }

    private Machine m;
    private Gate gate;

    @BeforeEach
    void boot() {
        m = machines.boot(b -> b.cpus(1));
    }

    @AfterEach
    void close() {
        if (gate != null) {
            try {
                gate.open();
            } catch (IllegalStateException alreadyOpen) {
                // the test opened it
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void anItemBlockedInTheVariantDoesNotHoldBackTheNextItem(String name, Supplier<Gate> make)
            throws Exception {
        gate = make.get();
        Workqueue wq = m.workqueues().system();
        AtomicReference<Thread> aThread = new AtomicReference<>();
        AtomicReference<Thread> bThread = new AtomicReference<>();
        AtomicReference<Throwable> aFailed = new AtomicReference<>();
        AtomicBoolean aReturned = new AtomicBoolean();
        AtomicBoolean aStillBlocked = new AtomicBoolean();
        CountDownLatch bRan = new CountDownLatch(1);
        Work a = new Work(() -> {
            aThread.set(Thread.currentThread());
            try {
                gate.block();
                aReturned.set(true);
            } catch (Throwable t) {
                aFailed.set(t);
            }
        });
        Work b = new Work(() -> {
            bThread.set(Thread.currentThread());
            aStillBlocked.set(!aReturned.get());
            bRan.countDown();
        });
        assertTrue(wq.queueOn(0, a));
        assertTrue(wq.queueOn(0, b));
        assertTrue(bRan.await(Waiter.T, TimeUnit.SECONDS), name + ": the next item never ran (the pool was not "
                + "told that the worker sleeps)");
        assertTrue(aStillBlocked.get(), name + ": b ran while a was blocked");
        assertNotEquals(aThread.get(), bThread.get());
        gate.open();
        gate = null;
        a.flush();
        assertNull(aFailed.get());
        assertTrue(aReturned.get(), name + ": a returned once opened");
    }
}
