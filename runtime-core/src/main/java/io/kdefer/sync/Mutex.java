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
 * <h2>States</h2>
 * <pre>
 *   UNLOCKED   owner == null     -&gt; LOCKED    lock() / tryLock()
 *   LOCKED     owner == thread   -&gt; UNLOCKED  unlock() by the owner
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Not recursive: {@link #lock()} by the owner is a self-deadlock in the kernel and throws
 *       {@link IllegalStateException} here; {@link #unlock()} by a thread that does not own it throws too.</li>
 *   <li>{@code lock} refuses atomic context (might_sleep), also when uncontended, as the kernel's
 *       {@code mutex_lock} does. When contended on a workqueue worker it tells the pool that the worker sleeps.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   mx.lock(); x = 1; mx.unlock();        mx.lock(); r = x; mx.unlock();
 *   Forbids: the second critical section starts after the first and reads r == 0 (acquire/release)
 * </pre>
 */
public final class Mutex {
    private final ReentrantLock lock = new ReentrantLock();   // I: holds the owner

    /**
     * kernel: mutex_lock_interruptible().
     *
     * @throws IllegalStateException in atomic context, or if the caller already holds it (self-deadlock)
     */
    public void lock() throws InterruptedException {
        CpuContext.mightSleep("Mutex.lock");
        if (lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("mutex_lock: recursive locking by " + Thread.currentThread().getName()
                    + " would deadlock");
        }
        if (lock.tryLock()) {
            return;
        }
        SleepAwareThread token = SleepAwareThread.blockBegin();
        try {
            lock.lockInterruptibly();
        } finally {
            SleepAwareThread.blockEnd(token);
        }
    }

    /** kernel: mutex_trylock(). Never blocks. */
    public boolean tryLock() {
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

    @Override
    public String toString() {
        return "Mutex[" + (lock.isLocked() ? "locked" : "unlocked") + "]";
    }
}
