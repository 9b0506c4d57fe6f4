/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** io.kdefer.sync: Completion, WaitQueue, Mutex, SpinLock, msleep; might_sleep refusals. */
@Timeout(30)
class SyncPrimitivesTest {
    @RegisterExtension
    final Machines machines = new Machines();

    @Test
    void eachCompleteLetsExactlyOneAwaitPass() throws Exception {
        Completion c = new Completion();
        c.complete();
        c.complete();
        assertTrue(c.await(Duration.ZERO));
        assertTrue(c.await(Duration.ZERO));
        assertFalse(c.await(Duration.ZERO), "a third await must not pass after two completes");
        assertFalse(c.isDone());
    }

    @Test
    void completeAllLetsEveryWaiterPassAndStaysDone() throws Exception {
        Completion c = new Completion();
        int n = 4;
        CountDownLatch passed = new CountDownLatch(n);
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                try {
                    c.await();
                    passed.countDown();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            t.start();
            ts.add(t);
        }
        c.completeAll();
        assertTrue(passed.await(10, TimeUnit.SECONDS));
        assertTrue(c.await(Duration.ZERO), "completeAll stays done for later waiters");
        c.reinit();
        assertFalse(c.await(Duration.ZERO));
    }

    @Test
    void completionPublishesTheCompletersStores() throws Exception {
        int[] box = new int[1];
        Completion c = new Completion();
        Thread t = new Thread(() -> {
            box[0] = 42;
            c.complete();
        });
        t.start();
        c.await();
        assertEquals(42, box[0]);
    }

    @Test
    void awaitIsInterruptible() throws Exception {
        Completion c = new Completion();
        AtomicReference<Throwable> got = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                c.await();
            } catch (Throwable e) {
                got.set(e);
            }
        });
        t.start();
        t.interrupt();
        t.join(10_000);
        assertTrue(got.get() instanceof InterruptedException, String.valueOf(got.get()));
    }

    @Test
    void sleepingPrimitivesRefuseHardirqContext() {
        Machine mm = machines.boot();
        List<String> refused = new ArrayList<>();
        Completion c = new Completion();
        WaitQueue q = new WaitQueue();
        Mutex mx = new Mutex();
        mm.irqs().request(Machines.EDGE_LINE, (irq, dev) -> {
            for (Runnable r : List.<Runnable>of(
                    () -> call(c::await), () -> call(() -> q.waitEvent(() -> false)), () -> call(mx::lock),
                    () -> call(() -> Delay.msleep(1)))) {
                try {
                    r.run();
                } catch (IllegalStateException e) {
                    refused.add(e.getMessage());
                }
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        mm.irqs().pulse(Machines.EDGE_LINE);
        mm.cpu(0).runPending();
        assertEquals(4, refused.size(), refused.toString());
        assertTrue(refused.get(0).startsWith("sleeping function called from hardirq context on cpu/0: Completion.await"),
                refused.get(0));
        assertTrue(refused.get(1).endsWith("WaitQueue.waitEvent"), refused.get(1));
        assertTrue(refused.get(2).endsWith("Mutex.lock"), refused.get(2));
        assertTrue(refused.get(3).endsWith("msleep"), refused.get(3));
    }

    interface Blocking {
        void run() throws InterruptedException;
    }

    private static void call(Blocking b) {
        try {
            b.run();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void spinLockIrqSaveMakesABoundTaskAtomic() throws Exception {
        Machine mm = machines.boot();
        mm.bindCurrentThread(1);
        try {
            SpinLock l = new SpinLock();
            long f = l.lockIrqSave();
            try {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> new Completion().await());
                assertTrue(e.getMessage().contains("Completion.await"), e.getMessage());
                assertTrue(l.isLocked());
            } finally {
                l.unlockIrqRestore(f);
            }
            assertFalse(l.isLocked());
            Completion c = new Completion();
            c.complete();
            c.await();                                            // allowed again
        } finally {
            mm.unbindCurrentThread();
        }
    }

    @Test
    void spinLockIsExclusiveAndRefusesRecursion() throws Exception {
        SpinLock l = new SpinLock();
        int[] counter = new int[1];
        int n = 2, per = 20_000;
        Thread[] ts = new Thread[n];
        for (int i = 0; i < n; i++) {
            ts[i] = new Thread(() -> {
                for (int k = 0; k < per; k++) {
                    l.lock();
                    counter[0]++;
                    l.unlock();
                }
            });
            ts[i].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        assertEquals(n * per, counter[0]);
        l.lock();
        assertThrows(IllegalStateException.class, l::lock);
        l.unlock();
        assertThrows(IllegalStateException.class, l::unlock);
    }

    @Test
    void mutexIsExclusiveNotRecursiveAndOwned() throws Exception {
        Mutex mx = new Mutex();
        mx.lock();
        IllegalStateException rec = assertThrows(IllegalStateException.class, mx::lock);
        assertTrue(rec.getMessage().contains("recursive"), rec.getMessage());
        AtomicReference<Throwable> foreign = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                mx.unlock();
            } catch (Throwable t) {
                foreign.set(t);
            }
        });
        other.start();
        other.join();
        assertTrue(foreign.get() instanceof IllegalStateException);
        AtomicBoolean inside = new AtomicBoolean();
        CountDownLatch got = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            try {
                mx.lock();
                inside.set(true);
                got.countDown();
                mx.unlock();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        assertFalse(got.await(50, TimeUnit.MILLISECONDS), "the waiter got the mutex while it was held");
        assertFalse(inside.get());
        mx.unlock();
        assertTrue(got.await(10, TimeUnit.SECONDS));
        waiter.join();
        assertFalse(mx.isLocked());
    }

    @Test
    void waitEventReturnsOnlyOnceTheConditionHolds() throws Exception {
        WaitQueue q = new WaitQueue();
        AtomicInteger level = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                q.waitEvent(() -> level.get() >= 2);
                done.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        while (!q.hasWaiters()) {
            Thread.onSpinWait();
        }
        level.set(1);
        q.wakeUp();
        assertFalse(done.await(50, TimeUnit.MILLISECONDS), "woke with the condition false");
        level.set(2);
        q.wakeUp();
        assertTrue(done.await(10, TimeUnit.SECONDS));
    }

    @Test
    void msleepRejectsNegativeDurations() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Delay.msleep(-1));
        assertTrue(e.getMessage().contains("negative"));
    }
}
