/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.internal.Handles;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A busy-waiting lock for short critical sections, usable from any context (kernel: spinlock_t).
 *
 * <pre>{@code
 * long f = lock.lockIrqSave();     // shared with an interrupt handler on this CPU
 * try { ring.add(x); } finally { lock.unlockIrqRestore(f); }
 * }</pre>
 *
 * <h2>The variants (kernel: include/linux/spinlock.h)</h2>
 * <pre>
 *   kernel                       Java                          also does                       use when
 *   spin_lock / spin_unlock      lock() / unlock()             nothing                         no IRQ or softirq user
 *   spin_trylock                 tryLock()                     nothing; never spins            opportunistic
 *   spin_lock_bh / _unlock_bh    lockBh() / unlockBh()         local_bh_disable / _enable      shared with a softirq,
 *                                                                                              tasklet or timer
 *   spin_lock_irq / _unlock_irq  lockIrq() / unlockIrq()       local_irq_disable / _enable     shared with a hardirq,
 *                                                                                              IRQs known to be on
 *   spin_lock_irqsave /          lockIrqSave() /               local_irq_save / _restore       shared with a hardirq,
 *   spin_unlock_irqrestore       unlockIrqRestore(flags)                                       IRQ state unknown
 * </pre>
 * The IRQ and BH parts act on the calling thread's CPU ({@link Cpu#current()}): on a CPU's own thread they mask
 * what that CPU takes at its checkpoints; on a task thread bound to a CPU (a worker, an IRQ thread, a bound
 * application thread) they mark that thread's context, so sleeping in between is refused (might_sleep). An
 * unbound application thread has no local CPU: every variant then only takes the lock.
 *
 * <h2>States</h2>
 * <pre>
 *   UNLOCKED  owner == null   -&gt; LOCKED    lock(): CAS null -&gt; thread (spins with onSpinWait while held);
 *                                           tryLock(): one CAS, false if held
 *   LOCKED    owner == thread -&gt; UNLOCKED  unlock() by the owner: release store of null
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Never sleeps, so it is neither refused in atomic context nor counted as sleeping by a workqueue pool.
 *       Not recursive: locking it twice on one thread throws {@link IllegalStateException} (the kernel would
 *       spin forever), before any IRQ or BH state is touched; unlocking it from a thread that does not own it
 *       throws too, also before any IRQ or BH state is touched. {@link #tryLock()} by the owner returns
 *       {@code false} (a trylock cannot deadlock).</li>
 *   <li>{@link #unlockIrq()} enables interrupts <em>unconditionally</em>, so {@link #lockIrq()} where they were
 *       already off is a bug: the unlock turns them on inside the caller's IRQ-off section (in a hardirq handler,
 *       inside the handler). {@code lockIrq} detects it as lockdep would: a WARNING on logger {@code io.kdefer.sync}
 *       naming the lock, the context and the call site (with the stack), once per call site, and every occurrence
 *       counted in {@link #lockIrqMisuses()}. The lock is still taken and IRQs stay off, as the kernel does.</li>
 *   <li>{@link #unlockIrq()} and {@link #unlockBh()} are checkpoints (pending interrupts, or pending softirqs on
 *       the CPU's own thread, run before they return), as {@link Cpu#localIrqEnable()} and
 *       {@link Cpu#localBhEnable()} are.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   l.lock(); x = 1; l.unlock();      l.lock(); r = x; l.unlock();
 *   Forbids: the second section follows the first and reads r == 0 (CAS acquire, setRelease)
 *
 *   A: l.lock(); r2 = y; x = 1; l.unlock();      B: if (l.tryLock()) { r1 = x; y = 1; l.unlock(); } else r1 = -1;
 *   Forbids: r1 == 0 &amp;&amp; r2 == 0 (a successful tryLock after A's section must see x == 1, and A's lock after
 *            B's section must see y == 1), r1 == 1 &amp;&amp; r2 == 1 (the sections overlapped)
 *                                                                      (SpinLock_01_TryLockAcquires)
 * </pre>
 * Every variant takes and drops the lock through the same CAS and release store, so these hold for all of them.
 */
public final class SpinLock {
    /* Implementation notes
     *
     * Order of the composite variants. Lock side: the recursion check, then the IRQ/BH disable, then the spin; so a
     * refused recursion leaves the caller's IRQ/BH state as it was (nothing to undo), and the lock is never held
     * with IRQs on where the caller asked for them off. Unlock side: the ownership check and the release, then the
     * IRQ/BH enable (kernel order: spin_unlock_irq releases before local_irq_enable), so an interrupt taken at the
     * enable checkpoint can take the lock itself.
     *
     * The lockIrq misuse report. The test is the calling context's irqsDisabled before lockIrq disables them; an
     * unbound thread has no local IRQ state and is never reported. Call sites are deduplicated process-wide (as
     * lockdep's reports are per kernel), keyed by the first stack frame outside this class; the stack walk happens
     * only on a misuse, never on the correct path.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer.sync");

    /** Call sites whose lockIrq misuse was reported (process-wide, like lockdep's report-once). */
    private static final Set<String> REPORTED_SITES = ConcurrentHashMap.newKeySet();   // A

    private final String name;          // I: for reports, as lockdep names a lock by its declaration
    private volatile Thread owner;      // A: CAS to take, setRelease to drop
    private volatile long lockIrqMisuses;   // A: lockIrq with IRQs already disabled, every occurrence

    private static final VarHandle OWNER = Handles.field(MethodHandles.lookup(), SpinLock.class, "owner",
            Thread.class);
    private static final VarHandle LOCK_IRQ_MISUSES = Handles.field(MethodHandles.lookup(), SpinLock.class,
            "lockIrqMisuses", long.class);

    /** An unnamed lock; reports call it {@code SpinLock@<identity hash>}. */
    public SpinLock() {
        this.name = "SpinLock@" + Integer.toHexString(System.identityHashCode(this));
    }

    /** A lock with a name for reports (kernel: lockdep names a lock after its declaration, e.g. "&amp;dev-&gt;lock"). */
    public SpinLock(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    /** kernel: spin_lock(). Spins until the lock is free. Any context. */
    public void lock() {
        checkNotHeld("spin_lock");
        acquire();
    }

    /**
     * kernel: spin_trylock(): takes the lock if it is free, never spins. Any context. On success it acquires exactly
     * as {@link #lock()} does (SpinLock_01_TryLockAcquires); on failure it changes nothing.
     *
     * @return {@code true} if the caller now holds the lock; {@code false} if someone (the caller included) held it
     */
    public boolean tryLock() {
        return OWNER.compareAndSet(this, null, Thread.currentThread());   // acquire; pairs with unlock's setRelease
    }

    /**
     * kernel: spin_unlock().
     *
     * @throws IllegalStateException if the calling thread does not hold it
     */
    public void unlock() {
        checkOwner("spin_unlock");
        OWNER.setRelease(this, null);   // pairs with the acquiring CAS in lock() / tryLock()
    }

    /**
     * kernel: spin_lock_bh(): disables bottom halves on the calling thread's CPU (local_bh_disable), then locks.
     * For data shared with a softirq, tasklet or timer of this CPU.
     *
     * @throws IllegalStateException on recursion (nothing is disabled then)
     */
    public void lockBh() {
        checkNotHeld("spin_lock_bh");
        Cpu c = Cpu.current();
        if (c != null) {
            c.localBhDisable();
        }
        acquire();
    }

    /**
     * kernel: spin_unlock_bh(): unlocks, then enables bottom halves (local_bh_enable: softirqs that became pending
     * meanwhile run before it returns, on the CPU's own thread).
     *
     * @throws IllegalStateException if the calling thread does not hold it (bottom halves are left as they are)
     */
    public void unlockBh() {
        unlock();
        Cpu c = Cpu.current();
        if (c != null) {
            c.localBhEnable();
        }
    }

    /**
     * kernel: spin_lock_irq(): disables interrupts on the calling thread's CPU (local_irq_disable), then locks.
     * Only where interrupts are known to be enabled, because {@link #unlockIrq()} enables them unconditionally;
     * called with them already disabled it is reported (WARNING once per call site, counted in
     * {@link #lockIrqMisuses()}) and then does what the kernel does: locks, with IRQs off. Where the state is not
     * known, use {@link #lockIrqSave()}.
     *
     * @throws IllegalStateException on recursion (nothing is disabled then)
     */
    public void lockIrq() {
        checkNotHeld("spin_lock_irq");
        Cpu c = Cpu.current();
        if (c != null) {
            CpuContext x = CpuContext.current();
            if (x.irqsDisabled()) {
                reportLockIrqMisuse(c, x);
            }
            c.localIrqDisable();
        }
        acquire();
    }

    /**
     * kernel: spin_unlock_irq(): unlocks, then enables interrupts on the calling thread's CPU unconditionally
     * (local_irq_enable; a checkpoint: interrupts that became pending are taken before it returns).
     *
     * @throws IllegalStateException if the calling thread does not hold it (interrupts are left as they are)
     */
    public void unlockIrq() {
        unlock();
        Cpu c = Cpu.current();
        if (c != null) {
            c.localIrqEnable();
        }
    }

    /**
     * kernel: spin_lock_irqsave(): disables local interrupts, then locks; returns the previous interrupt state for
     * {@link #unlockIrqRestore}. Correct whether interrupts were on or off.
     *
     * @throws IllegalStateException on recursion (nothing is disabled then)
     */
    public long lockIrqSave() {
        checkNotHeld("spin_lock_irqsave");
        Cpu c = Cpu.current();
        long flags = c != null ? c.localIrqSave() : Cpu.IRQS_ENABLED;
        acquire();
        return flags;
    }

    /**
     * kernel: spin_unlock_irqrestore(): unlocks, then restores the interrupt state {@link #lockIrqSave()} returned.
     *
     * @throws IllegalStateException if the calling thread does not hold it (interrupts are left as they are)
     */
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

    /** The name reports use. */
    public String name() {
        return name;
    }

    /** How many times {@link #lockIrq()} was called on this lock with interrupts already disabled (a snapshot). */
    public long lockIrqMisuses() {
        return (long) LOCK_IRQ_MISUSES.getOpaque(this);
    }

    // ---------------------------------------------------------------------------------------------- internals

    private void checkNotHeld(String op) {
        if (owner == Thread.currentThread()) {
            throw new IllegalStateException(op + "(" + name + "): recursive locking by "
                    + Thread.currentThread().getName() + " (spinlock recursion would spin forever)");
        }
    }

    private void checkOwner(String op) {
        if (owner != Thread.currentThread()) {
            throw new IllegalStateException(op + "(" + name + "): " + Thread.currentThread().getName()
                    + " does not hold this spinlock");
        }
    }

    private void acquire() {
        Thread me = Thread.currentThread();
        while (!OWNER.compareAndSet(this, null, me)) {   // acquire; pairs with unlock's setRelease
            while (OWNER.getOpaque(this) != null) {
                Thread.onSpinWait();
            }
        }
    }

    private void reportLockIrqMisuse(Cpu c, CpuContext x) {
        LOCK_IRQ_MISUSES.getAndAdd(this, 1L);
        StackWalker.StackFrame site = StackWalker.getInstance()
                .walk(s -> s.filter(f -> !f.getClassName().equals(SpinLock.class.getName())).findFirst())
                .orElse(null);
        String where = site == null ? "unknown" : site.toStackTraceElement().toString();
        if (!REPORTED_SITES.add(where)) {
            return;
        }
        String on = x.cpu() != null ? c.toString()
                : "thread " + Thread.currentThread().getName() + " (bound to " + c + ")";
        Throwable stack = new Throwable("spin_lock_irq call site");
        LOG.log(Level.WARNING, "WARNING: spin_lock_irq(" + name + ") called with IRQs already disabled, in "
                + x.describe() + " on " + on + ", at " + where + ": spin_unlock_irq will enable them "
                + "unconditionally inside the caller's IRQ-off section; use lockIrqSave/unlockIrqRestore "
                + "(reported once per call site)", stack);
    }

    @Override
    public String toString() {
        Thread o = owner;
        return "SpinLock[" + name + ", " + (o == null ? "unlocked" : "held by " + o.getName()) + "]";
    }
}
