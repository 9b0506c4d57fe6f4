/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import io.kdefer.cpu.internal.SleepAwareThread;
import io.kdefer.cpu.CpuContext;

import java.util.concurrent.locks.ReentrantLock;

/**
 * A sleeping lock with an owner (kernel: struct mutex).
 *
 * <pre>{@code
 * mx.lockInterruptible();              // kernel: if (mutex_lock_interruptible(&mx)) return -EINTR;
 * try { configure(dev); } finally { mx.unlock(); }
 * }</pre>
 *
 * <h2>The variants (kernel: include/linux/mutex.h)</h2>
 * <pre>
 *   kernel                       Java                       a plain interrupt (signal)     a FatalSignal
 *   mutex_lock                   lockUninterruptible()      stays pending, keeps waiting   keeps waiting
 *   mutex_lock_interruptible     lockInterruptible(),       InterruptedException (-EINTR)  InterruptedException
 *                                lock()
 *   mutex_lock_killable          lockKillable()             stays pending, keeps waiting   InterruptedException
 *   mutex_trylock                tryLock()                  never waits                    never waits
 * </pre>
 * {@link #lock()} is {@code mutex_lock_interruptible}, not the kernel's {@code mutex_lock}: its name and checked
 * {@link InterruptedException} follow the JDK's waits (API.md), and a Java caller who ignores an interrupt must
 * say so in code. The kernel's uninterruptible {@code mutex_lock} is {@link #lockUninterruptible()}. The
 * exception is checked, so the kernel's classic bug, ignoring {@code mutex_lock_interruptible}'s return value and
 * touching the data without the lock, does not compile here. See {@link FatalSignal} for what "killable" means.
 *
 * <h2>States</h2>
 * <pre>
 *   UNLOCKED   owner == null     -&gt; LOCKED    a lock variant / tryLock()
 *   LOCKED     owner == thread   -&gt; UNLOCKED  unlock() by the owner
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Not recursive: a lock variant by the owner is a self-deadlock in the kernel and throws
 *       {@link IllegalStateException} here; {@link #unlock()} by a thread that does not own it throws too.
 *       {@link #tryLock()} by the owner returns {@code false}.</li>
 *   <li>Every lock variant refuses atomic context first (might_sleep), also when the mutex is free, as the
 *       kernel's do. {@link #tryLock()} never sleeps, so atomic task context may use it, but not interrupt
 *       context (a CPU's hardirq, softirq, tasklet, timer or irq_work): a mutex is owned by a task, and the kernel
 *       forbids {@code mutex_trylock} there too; it throws {@link IllegalStateException}.</li>
 *   <li>The mutex is tried before any signal is looked at (kernel order): a free mutex is taken even with an
 *       interrupt or a fatal signal pending, and the interrupt then stays pending. A variant that ends with
 *       {@link InterruptedException} does not hold the mutex and leaves the interrupt status clear.</li>
 *   <li>When a lock variant blocks on a workqueue worker it tells the pool that the worker sleeps (concurrency
 *       management).</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   mx.lock(); x = 1; mx.unlock();        mx.lock(); r = x; mx.unlock();
 *   Forbids: the second critical section starts after the first and reads r == 0 (acquire/release)
 *
 *   A: mx.lockUninterruptible(); r2 = y; x = 1; mx.unlock();
 *   B: if (mx.tryLock()) { r1 = x; y = 1; mx.unlock(); } else r1 = -1;
 *   Forbids: r1 == 0 &amp;&amp; r2 == 0 (a successful tryLock acquires), r1 == 1 &amp;&amp; r2 == 1 (overlap)
 *                                                                      (Mutex_01_TryLockAcquires)
 * </pre>
 * Every variant acquires through the same {@link ReentrantLock}, whose acquire/release contract is the JDK's.
 */
public final class Mutex {
    private final ReentrantLock lock = new ReentrantLock();   // I: holds the owner

    /** An unlocked mutex (DEFINE_MUTEX / mutex_init). */
    public Mutex() {
    }

    /**
     * kernel: mutex_lock_interruptible() (the same as {@link #lockInterruptible()}; see the class comment for why
     * this is not {@code mutex_lock}).
     *
     * @throws InterruptedException if the mutex was held and the thread was interrupted (or sent a fatal signal)
     *         before it got it; the mutex is then not held (kernel: -EINTR)
     * @throws IllegalStateException in atomic context, or if the caller already holds it (self-deadlock)
     */
    public void lock() throws InterruptedException {
        lock(TaskState.INTERRUPTIBLE, "mutex_lock_interruptible", "Mutex.lock");
    }

    /**
     * kernel: mutex_lock_interruptible(): sleeps until the mutex is free; an interrupt or a {@link FatalSignal}
     * ends the wait.
     *
     * @throws InterruptedException if the mutex was held and the thread was interrupted (or sent a fatal signal)
     *         before it got it; the mutex is then not held (kernel: -EINTR)
     * @throws IllegalStateException in atomic context, or if the caller already holds it (self-deadlock)
     */
    public void lockInterruptible() throws InterruptedException {
        lock(TaskState.INTERRUPTIBLE, "mutex_lock_interruptible", "Mutex.lockInterruptible");
    }

    /**
     * kernel: mutex_lock_killable(): sleeps until the mutex is free; only a {@link FatalSignal} ends the wait.
     * A plain interrupt that arrives meanwhile stays pending: the interrupt status is set when it returns. On a
     * workqueue worker (which cannot be sent a fatal signal) it waits as {@link #lockUninterruptible()} does.
     *
     * @throws InterruptedException if the mutex was held and a fatal signal was sent to the thread before it got
     *         it; the mutex is then not held (kernel: -EINTR)
     * @throws IllegalStateException in atomic context, or if the caller already holds it (self-deadlock)
     */
    public void lockKillable() throws InterruptedException {
        lock(TaskState.KILLABLE, "mutex_lock_killable", "Mutex.lockKillable");
    }

    /**
     * kernel: mutex_lock(): sleeps until the mutex is free, whatever happens meanwhile. An interrupt that arrives
     * meanwhile stays pending: the interrupt status is set when it returns.
     *
     * @throws IllegalStateException in atomic context, or if the caller already holds it (self-deadlock)
     */
    public void lockUninterruptible() {
        try {
            lock(TaskState.UNINTERRUPTIBLE, "mutex_lock", "Mutex.lockUninterruptible");
        } catch (InterruptedException e) {
            throw new AssertionError("an uninterruptible wait ended with " + e, e);
        }
    }

    /**
     * kernel: mutex_trylock(). Never blocks. On success it acquires as the lock variants do.
     *
     * @return {@code true} if the caller now holds the mutex; {@code false} if it was held (by the caller too)
     * @throws IllegalStateException in interrupt context (a CPU's hardirq, softirq, tasklet, timer or irq_work):
     *         "mutex_trylock called from hardirq context on cpu/0: ..."
     */
    public boolean tryLock() {
        CpuContext x = CpuContext.current();
        if (x.cpu() != null) {
            throw new IllegalStateException("mutex_trylock called from " + (x.preemptible() ? "the idle loop"
                    : x.describe()) + " on " + x.cpu() + ": a mutex is owned by a task and must not be used in "
                    + "interrupt context");
        }
        if (lock.isHeldByCurrentThread()) {
            return false;
        }
        return lock.tryLock();
    }

    /**
     * kernel: mutex_unlock().
     *
     * @throws IllegalStateException if the calling thread does not hold it
     */
    public void unlock() {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("mutex_unlock: " + Thread.currentThread().getName()
                    + " does not own this mutex");
        }
        lock.unlock();
    }

    /** kernel: mutex_is_locked() (racy snapshot). */
    public boolean isLocked() {
        return lock.isLocked();
    }

    /**
     * The common slow path (kernel: __mutex_lock_common): might_sleep, the self-deadlock check, the fast path, then
     * block in {@code state}. Each round tries the mutex before it looks at signals.
     */
    private void lock(TaskState state, String op, String javaName) throws InterruptedException {
        CpuContext.mightSleep(javaName);
        if (lock.isHeldByCurrentThread()) {
            throw new IllegalStateException(op + ": recursive locking by " + Thread.currentThread().getName()
                    + " would deadlock");
        }
        if (lock.tryLock()) {
            return;
        }
        if (state == TaskState.UNINTERRUPTIBLE) {
            SleepAwareThread token = SleepAwareThread.blockBegin();
            try {
                lock.lock();                    // keeps the interrupt status as it finds it
            } finally {
                SleepAwareThread.blockEnd(token);
            }
            return;
        }
        boolean absorbed = false;
        SleepAwareThread token = SleepAwareThread.blockBegin();
        try {
            while (true) {
                if (state.signalPending(absorbed)) {
                    absorbed = false;
                    throw state.interrupted(op, "-EINTR", "the mutex");
                }
                try {
                    lock.lockInterruptibly();
                    break;
                } catch (InterruptedException e) {
                    absorbed = true;            // the status is clear now; decided on the next round
                    if (lock.tryLock()) {       // kernel order: the mutex first, then the signal
                        break;
                    }
                }
            }
        } finally {
            SleepAwareThread.blockEnd(token);
            TaskState.restore(absorbed);
        }
    }

    @Override
    public String toString() {
        return "Mutex[" + (lock.isLocked() ? "locked" : "unlocked") + "]";
    }
}
