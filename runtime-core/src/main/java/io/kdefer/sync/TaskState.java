/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

/**
 * The state a sleeping primitive sleeps in, which decides what ends the sleep early (kernel: TASK_UNINTERRUPTIBLE,
 * TASK_INTERRUPTIBLE, TASK_KILLABLE and {@code signal_pending_state()}).
 *
 * <pre>
 *   state            ended early by                       a plain interrupt that arrives meanwhile
 *   UNINTERRUPTIBLE  nothing                              stays pending (the flag is set again on return)
 *   INTERRUPTIBLE    an interrupt or a fatal signal       ends the wait: InterruptedException, flag cleared
 *   KILLABLE         a fatal signal ({@link FatalSignal}) stays pending (the flag is set again on return)
 * </pre>
 *
 * Every wait follows the kernel's loop: the condition (or the lock) is tried first, and only when it does not hold
 * is the signal check made, so a wait whose condition holds returns normally even with a signal pending; the
 * interrupt then stays pending for the caller.
 */
enum TaskState {
    UNINTERRUPTIBLE, INTERRUPTIBLE, KILLABLE;

    /* Implementation notes
     *
     * The JDK waits used underneath (Condition.await, ReentrantLock.lockInterruptibly) throw InterruptedException
     * and clear the interrupt status as soon as the thread is interrupted, whatever our state is. Each wait loop
     * therefore catches it, remembers the interrupt in a local ("absorbed") and goes round again: condition first,
     * then signalPending(absorbed), then block again (the status is clear now, so the JDK wait really blocks).
     * On a normal return an absorbed interrupt is set again; when the wait ends with InterruptedException the
     * status is left clear, as every JDK method that throws it does.
     */

    /**
     * The kernel's {@code signal_pending_state(state, current)}, evaluated after the condition was found false.
     *
     * @param absorbed an interrupt this wait already caught (the status itself is then clear)
     */
    boolean signalPending(boolean absorbed) {
        switch (this) {
            case INTERRUPTIBLE:
                return absorbed || Thread.currentThread().isInterrupted() || FatalSignal.pending();
            case KILLABLE:
                return FatalSignal.pending();
            default:
                return false;
        }
    }

    /**
     * The exception that ends a wait in this state (the kernel's -EINTR / -ERESTARTSYS). Clears the interrupt status:
     * the exception reports it.
     *
     * @param op the kernel call, e.g. {@code "mutex_lock_interruptible"}
     * @param errno {@code "-EINTR"} or {@code "-ERESTARTSYS"}, as that call returns
     * @param goal what it waited for, e.g. {@code "the mutex"}
     */
    InterruptedException interrupted(String op, String errno, String goal) {
        Thread.interrupted();
        String why = this == KILLABLE || FatalSignal.pending() ? "a fatal signal is pending" : "interrupted";
        return new InterruptedException(errno + ": " + op + ": " + why + " while waiting for " + goal);
    }

    /** After a normal return: sets the interrupt status again if the wait absorbed an interrupt. */
    static void restore(boolean absorbed) {
        if (absorbed) {
            Thread.currentThread().interrupt();
        }
    }
}
