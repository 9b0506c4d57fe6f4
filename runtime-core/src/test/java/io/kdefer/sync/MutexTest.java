/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import org.junit.jupiter.api.extension.RegisterExtension;
import io.kdefer.Machines;
import io.kdefer.Machine;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.workqueue.Work;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Mutex}'s variants: mutex_lock (lockUninterruptible), mutex_lock_interruptible (lockInterruptible and
 * lock), mutex_lock_killable (lockKillable), mutex_trylock; the kernel's order (the mutex before the signal);
 * might_sleep first; recursion; trylock in interrupt context; {@link FatalSignal} refusing a worker.
 */
@Timeout(30)
class MutexTest {
    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private final Mutex mx = new Mutex();

    private Machine manual() {
        m = machines.boot(b -> b.cpus(1));
        return m;
    }

    /** Takes the mutex with {@code body}, then drops it (which throws unless it holds it) and returns true. */
    private Waiter contender(String name, Waiter.Body body) {
        return Waiter.start(name, () -> {
            body.run();
            mx.unlock();
            return true;
        });
    }

    @Test
    void lockInterruptibleEndsWithEintrAndWithoutTheMutex() throws Exception {
        mx.lockUninterruptible();
        Waiter w = contender("c", mx::lockInterruptible).awaitBlocked();
        w.thread.interrupt();
        w.assertInterrupted("-EINTR: mutex_lock_interruptible: interrupted while waiting for the mutex");
        mx.unlock();                               // still ours: the interrupted waiter never got it
        assertFalse(mx.isLocked());
    }

    @Test
    void lockIsLockInterruptible() throws Exception {
        mx.lockUninterruptible();
        Waiter w = contender("c", mx::lock).awaitBlocked();
        w.thread.interrupt();
        w.assertInterrupted("-EINTR: mutex_lock_interruptible: interrupted");
        mx.unlock();
    }

    @Test
    void aFreeMutexIsTakenDespiteAPendingInterruptWhichStaysPending() throws Exception {
        Thread.currentThread().interrupt();
        try {
            mx.lockInterruptible();
            assertTrue(Thread.currentThread().isInterrupted(), "kernel order: the mutex first; the signal stays");
            mx.unlock();
            mx.lockKillable();
            mx.unlock();
            mx.lockUninterruptible();
            mx.unlock();
            assertTrue(Thread.interrupted());
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aHeldMutexWithAPendingInterruptThrowsAtOnce() throws Exception {
        Thread holder = new Thread(mx::lockUninterruptible);
        holder.start();
        holder.join();
        Thread.currentThread().interrupt();
        InterruptedException e = assertThrows(InterruptedException.class, mx::lockInterruptible);
        assertTrue(e.getMessage().startsWith("-EINTR: mutex_lock_interruptible"), e.getMessage());
        assertFalse(Thread.currentThread().isInterrupted());
    }

    @Test
    void lockUninterruptibleWaitsOnThroughAnInterruptAndKeepsIt() throws Exception {
        mx.lockUninterruptible();
        Waiter w = contender("c", mx::lockUninterruptible).awaitBlocked();
        w.thread.interrupt();
        w.awaitBlocked();                          // still waiting: it cannot return without the mutex
        mx.unlock();
        w.assertReturned(true, true);
    }

    @Test
    void lockKillableIgnoresAPlainInterruptButNotAFatalSignal() throws Exception {
        mx.lockUninterruptible();
        Waiter plain = contender("plain", mx::lockKillable).awaitBlocked();
        plain.thread.interrupt();
        plain.awaitBlocked();
        Waiter victim = contender("victim", mx::lockKillable).awaitBlocked();
        FatalSignal.send(victim.thread);
        victim.assertInterrupted("-EINTR: mutex_lock_killable: a fatal signal is pending while waiting for the "
                + "mutex");
        mx.unlock();
        plain.assertReturned(true, true);          // got it in the end, with its interrupt still pending
    }

    @Test
    void recursionIsRefusedByEveryLockVariant() throws Exception {
        mx.lockUninterruptible();
        List<Waiter.Body> variants = List.of(mx::lock, mx::lockInterruptible, mx::lockKillable,
                mx::lockUninterruptible);
        List<String> ops = List.of("mutex_lock_interruptible", "mutex_lock_interruptible", "mutex_lock_killable",
                "mutex_lock");
        for (int i = 0; i < variants.size(); i++) {
            Waiter.Body v = variants.get(i);
            IllegalStateException e = assertThrows(IllegalStateException.class, v::run);
            assertEquals(ops.get(i) + ": recursive locking by " + Thread.currentThread().getName()
                    + " would deadlock", e.getMessage());
        }
        assertFalse(mx.tryLock(), "the owner's trylock fails instead of deadlocking");
        mx.unlock();
        IllegalStateException e = assertThrows(IllegalStateException.class, mx::unlock);
        assertTrue(e.getMessage().contains("does not own this mutex"), e.getMessage());
    }

    @Test
    void everyLockVariantRefusesHardirqContextEvenWhenFreeAndTryLockIsRefusedThere() {
        Machine mm = manual();
        List<String> refused = new ArrayList<>();
        mm.irqs().request(Machines.EDGE_LINE, (irq, dev) -> {
            for (Waiter.Body b : List.<Waiter.Body>of(mx::lock, mx::lockInterruptible, mx::lockKillable,
                    mx::lockUninterruptible, mx::tryLock)) {
                try {
                    b.run();
                    refused.add("allowed");
                } catch (IllegalStateException e) {
                    refused.add(e.getMessage());
                } catch (Exception e) {
                    refused.add(e.toString());
                }
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        mm.irqs().pulse(Machines.EDGE_LINE);
        mm.cpu(0).runPending();
        assertEquals(List.of("sleeping function called from hardirq context on cpu/0: Mutex.lock",
                "sleeping function called from hardirq context on cpu/0: Mutex.lockInterruptible",
                "sleeping function called from hardirq context on cpu/0: Mutex.lockKillable",
                "sleeping function called from hardirq context on cpu/0: Mutex.lockUninterruptible",
                "mutex_trylock called from hardirq context on cpu/0: a mutex is owned by a task and must not be "
                        + "used in interrupt context"), refused);
        assertFalse(mx.isLocked());
    }

    @Test
    void tryLockIsAllowedInAtomicTaskContext() {
        Machine mm = manual();
        mm.bindCurrentThread(0);
        try {
            SpinLock l = new SpinLock();
            long f = l.lockIrqSave();
            try {
                assertTrue(mx.tryLock(), "a task with IRQs off may trylock (it never sleeps)");
                mx.unlock();
            } finally {
                l.unlockIrqRestore(f);
            }
        } finally {
            mm.unbindCurrentThread();
        }
    }

    @Test
    void aWorkqueueWorkerCannotBeSentAFatalSignal() throws Exception {
        Machine mm = manual();
        AtomicReference<Throwable> got = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(1);
        mm.workqueues().system().queue(new Work(() -> {
            try {
                FatalSignal.send(Thread.currentThread());
            } catch (Throwable t) {
                got.set(t);
            }
            ran.countDown();
        }));
        assertTrue(ran.await(Waiter.T, TimeUnit.SECONDS));
        assertTrue(got.get() instanceof IllegalArgumentException, String.valueOf(got.get()));
        assertTrue(got.get().getMessage().contains("kernel threads ignore signals"), got.get().getMessage());
    }

    @Test
    void fatalSignalIsPerThreadAndPublishedBeforeTheInterrupt() throws Exception {
        Thread t = new Thread(() -> {
        });
        assertFalse(FatalSignal.isPending(t));
        FatalSignal.send(t);                       // not started: the mark is kept anyway
        assertTrue(FatalSignal.isPending(t));
        assertFalse(FatalSignal.pending(), "the caller was not sent one");
        assertThrows(NullPointerException.class, () -> FatalSignal.send(null));
        AtomicReference<Boolean> seen = new AtomicReference<>();
        Waiter w = Waiter.start("sleeper", () -> {
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(Waiter.T * 3));
            } catch (InterruptedException e) {
                seen.set(FatalSignal.pending());   // a JDK wait ends too: the signal comes with an interrupt
            }
            return null;
        }).awaitBlocked();
        FatalSignal.send(w.thread);
        w.assertReturned(null, false);
        assertEquals(Boolean.TRUE, seen.get());
        assertNull(w.thrown());
    }
}
