/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import io.kdefer.cpu.Cpu;
import io.kdefer.internal.Handles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A busy-waiting lock for short critical sections, usable from any context (kernel: spinlock_t).
 *
 * <pre>{@code
 * long f = lock.lockIrqSave();     // shared with an interrupt handler on this CPU
 * try { ring.add(x); } finally { lock.unlockIrqRestore(f); }
 * }</pre>
 *
 * <h2>States</h2>
 * <pre>
 *   UNLOCKED  owner == null   -&gt; LOCKED    lock(): CAS null -&gt; thread (spins with onSpinWait while held)
 *   LOCKED    owner == thread -&gt; UNLOCKED  unlock() by the owner: release store of null
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Never sleeps, so it is neither refused in atomic context nor counted as sleeping by a workqueue pool.
 *       Not recursive: locking it twice on one thread throws {@link IllegalStateException} (the kernel would
 *       spin forever); unlocking it from a thread that does not own it throws too.</li>
 *   <li>{@link #lockIrqSave()} also disables local interrupts on the calling thread's CPU (a CPU thread takes
 *       no IRQ at checkpoints until {@link #unlockIrqRestore}; a task thread bound to a CPU is marked
 *       atomic, so sleeping in between is refused). An unbound application thread has no local CPU: only
 *       the lock is taken.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   l.lock(); x = 1; l.unlock();      l.lock(); r = x; l.unlock();
 *   Forbids: the second section follows the first and reads r == 0 (CAS acquire, setRelease)
 * </pre>
 */
public final class SpinLock {
    private volatile Thread owner;   // A: CAS to take, setRelease to drop

    private static final VarHandle OWNER = Handles.field(MethodHandles.lookup(), SpinLock.class, "owner",
            Thread.class);

    /** kernel: spin_lock(). */
    public void lock() {
        Thread me = Thread.currentThread();
        if (owner == me) {
            throw new IllegalStateException("spin_lock: recursive locking by " + me.getName() + " (spinlock "
                    + "recursion would spin forever)");
        }
        while (!OWNER.compareAndSet(this, null, me)) {
            while (OWNER.getOpaque(this) != null) {
                Thread.onSpinWait();
            }
        }
    }

    /** kernel: spin_trylock(). */
    public boolean tryLock() {
        return OWNER.compareAndSet(this, null, Thread.currentThread());
    }

    /** kernel: spin_unlock(). */
    public void unlock() {
        if (owner != Thread.currentThread()) {
            throw new IllegalStateException("spin_unlock: " + Thread.currentThread().getName()
                    + " does not hold this spinlock");
        }
        OWNER.setRelease(this, null);   // pairs with the acquiring CAS in lock()
    }

    /** kernel: spin_lock_irqsave(): disables local interrupts, then locks. */
    public long lockIrqSave() {
        Cpu c = Cpu.current();
        long flags = c != null ? c.localIrqSave() : Cpu.IRQS_ENABLED;
        lock();
        return flags;
    }

    /** kernel: spin_unlock_irqrestore(). */
    public void unlockIrqRestore(long flags) {
        unlock();
        Cpu c = Cpu.current();
        if (c != null) {
            c.localIrqRestore(flags);
        }
    }

    /** kernel: spin_is_locked() (racy snapshot). */
    public boolean isLocked() {
        return owner != null;
    }
}
