/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import io.kdefer.cpu.internal.KernelThread;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;

/**
 * The fatal signal that ends this runtime's killable waits (kernel: SIGKILL as seen by {@code
 * fatal_signal_pending()}, which is what {@code mutex_lock_killable}, {@code wait_event_killable} and
 * {@code wait_for_completion_killable} test).
 *
 * <pre>{@code
 * Thread t = ...;                 // an application thread blocked in mx.lockKillable()
 * FatalSignal.send(t);            // kill -9: t's killable (and interruptible) waits end with InterruptedException
 * }</pre>
 *
 * <h2>The mapping, and why</h2>
 * The kernel has many signals and three sleep states: an interruptible sleep ends on any signal, a killable sleep
 * only on a fatal one (the task is going to die, so letting it out cannot break anything it would still do), an
 * uninterruptible sleep on none. A Java thread has one signal, the interrupt, which this runtime treats as the
 * kernel treats an ordinary signal (the {@code *Interruptible} calls end with {@link InterruptedException}, the
 * kernel's -EINTR / -ERESTARTSYS). "Fatal" is defined here, precisely, as this class:
 * <ul>
 *   <li>{@link #send(Thread)} marks the thread as dying and then interrupts it. The mark is never cleared: as in
 *       the kernel, a task with SIGKILL pending stays that way until it exits, so every later killable or
 *       interruptible wait of the thread ends at once when its condition does not hold, and the thread unwinds.
 *       Send it only to a thread that is meant to end (not to a pool thread that will be reused).</li>
 *   <li>Killable waits end only for the mark; a plain interrupt that arrives meanwhile stays pending (the flag is
 *       set again when the wait returns). Interruptible waits end for either (the kernel's
 *       {@code signal_pending()} includes a pending SIGKILL). Uninterruptible waits end for neither.</li>
 *   <li>Threads of the runtime are the kernel's kernel threads, which ignore signals, SIGKILL included:
 *       {@code send} refuses every one of them (a CPU thread, a workqueue worker or rescuer, an IRQ thread: a worker
 *       serves every queue, and a mark would outlive the item that deserved it), so a killable wait in a work
 *       function or an IRQ thread function behaves as an uninterruptible one, exactly as
 *       {@code mutex_lock_killable} does in a kworker.</li>
 * </ul>
 * The alternative mapping, "a runtime stop of the calling worker or IRQ thread aborts its killable waits", was not
 * taken: kthreads never receive fatal signals in the kernel; a worker is stopped only once idle ({@code close}
 * drains the queues first) and an IRQ thread only after its thread function returned, so a stop never meets a
 * blocked wait; and aborting waits to get a close done would lose work, which DESIGN §5 forbids.
 *
 * <h2>Memory ordering</h2>
 * {@code send} publishes the mark before it interrupts, and an interrupt happens-before the interrupted thread's
 * detection of it (JLS 17.4.4), so a wait woken by that interrupt sees the mark.
 */
public final class FatalSignal {
    /* Implementation notes
     *
     * The marks live in a weak map keyed by thread identity (Thread keeps Object's equals/hashCode), so a dead
     * thread's mark goes with it. Waits ask pending() only on their slow path (after the condition or the lock was
     * found unavailable), and anySent spares even that lookup until a first signal was ever sent.
     */
    private static final Map<Thread, Boolean> KILLED = Collections.synchronizedMap(new WeakHashMap<>());  // L(KILLED)
    private static volatile boolean anySent;   // A: set once, after the first mark was put (pairs with pending())

    private FatalSignal() {
    }

    /**
     * Sends the fatal signal to {@code t} (kernel: {@code send_sig(SIGKILL, t, 1)}): marks it as dying for the rest
     * of its life, then interrupts it so that a wait it is blocked in notices.
     *
     * @throws IllegalArgumentException if {@code t} is one of a machine's runtime threads (a CPU, a workqueue worker
     *         or rescuer, an IRQ thread): kernel threads ignore signals
     */
    public static void send(Thread t) {
        Objects.requireNonNull(t, "t");
        if (t instanceof KernelThread) {
            throw new IllegalArgumentException("send_sig(SIGKILL): " + t.getName() + " is a kernel thread (a CPU, a "
                    + "workqueue worker or an IRQ thread), and kernel threads ignore signals");
        }
        KILLED.put(t, Boolean.TRUE);
        anySent = true;          // after the mark: a pending() that reads true then finds it
        t.interrupt();           // after both: the woken wait sees them (interrupt happens-before its detection)
    }

    /** Whether the calling thread was sent the fatal signal (kernel: {@code fatal_signal_pending(current)}). */
    public static boolean pending() {
        return isPending(Thread.currentThread());
    }

    /** Whether {@code t} was sent the fatal signal (a snapshot). */
    public static boolean isPending(Thread t) {
        return anySent && KILLED.containsKey(t);
    }
}
