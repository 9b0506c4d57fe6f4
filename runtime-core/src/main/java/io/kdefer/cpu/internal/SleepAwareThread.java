/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu.internal;

/**
 * A thread that wants to hear when it blocks and when it runs again (kernel: the scheduler's
 * {@code wq_worker_sleeping()} / {@code wq_worker_running()} calls). Runtime SPI: workqueue workers extend it;
 * applications never need it.
 *
 * <p>The JVM has no scheduler hook, so every sleeping primitive of the runtime (every wait variant of
 * {@code Completion} and {@code WaitQueue}, every lock variant of {@code Mutex} when contended, {@code Delay.msleep},
 * and the workqueue's own flush and cancel waits) brackets its block with {@link #blockBegin()} and
 * {@link #blockEnd(SleepAwareThread)}.
 * For a thread that is not a {@code SleepAwareThread} both are a type check and nothing else (no allocation).
 */
public abstract class SleepAwareThread extends KernelThread {
    /**
     * A runtime thread of {@code machine} (see {@link KernelThread}) that does not inherit its creator's
     * {@code InheritableThreadLocal} values (pool threads serve everyone; it also makes an unstarted thread cheaper
     * to build).
     */
    protected SleepAwareThread(Object machine, Runnable body, String name) {
        super(machine, body, name, false);
    }

    /** Called on this thread just before it blocks. Must not block itself. */
    protected abstract void sleeping();

    /** Called on this thread right after it stopped blocking. Must not block itself. */
    protected abstract void running();

    /**
     * Before a block: tells the calling thread's pool (if it is a {@code SleepAwareThread}) that it sleeps.
     *
     * @return the token to hand to {@link #blockEnd}; {@code null} for other threads
     */
    public static SleepAwareThread blockBegin() {
        Thread t = Thread.currentThread();
        if (t instanceof SleepAwareThread) {
            SleepAwareThread s = (SleepAwareThread) t;
            s.sleeping();
            return s;
        }
        return null;
    }

    /** After a block: the thread runs again. {@code token} is what {@link #blockBegin()} returned. */
    public static void blockEnd(SleepAwareThread token) {
        if (token != null) {
            token.running();
        }
    }
}
