/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A thread that runs one blocking call and records how it ended: its result or its exception, and its interrupt
 * status right after. Tests wait for it to block ({@link #awaitBlocked()}), poke it, and {@link #join()} it.
 * Every wait here is bounded, so a broken primitive fails a test instead of hanging it.
 */
final class Waiter {
    static final long T = 10;   // seconds: upper bound of any wait, never a timing assumption

    /** A blocking call. */
    interface Body {
        void run() throws Exception;
    }

    final Thread thread;
    private volatile Object result;
    private volatile Throwable thrown;
    private volatile boolean returned;
    private volatile boolean interruptedAfter;

    private Waiter(String name, Callable<?> body) {
        thread = new Thread(() -> {
            try {
                result = body.call();
                returned = true;
            } catch (Throwable t) {
                thrown = t;
            } finally {
                interruptedAfter = Thread.currentThread().isInterrupted();
            }
        }, name);
    }

    static Waiter start(String name, Callable<?> body) {
        Waiter w = new Waiter(name, body);
        w.thread.start();
        return w;
    }

    /** Until the thread is parked in a wait (WAITING / TIMED_WAITING); fails if it ended instead. */
    Waiter awaitBlocked() {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(T);
        while (true) {
            Thread.State s = thread.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                return this;
            }
            if (s == Thread.State.TERMINATED) {
                fail(thread.getName() + " ended instead of blocking: returned " + returned + " (" + result
                        + "), threw " + thrown);
            }
            assertTrue(System.nanoTime() < end, thread.getName() + " never blocked (state " + s + ")");
            LockSupport.parkNanos(100_000);
        }
    }

    Waiter join() throws InterruptedException {
        thread.join(TimeUnit.SECONDS.toMillis(T));
        assertFalse(thread.isAlive(), thread.getName() + " is still blocked");
        return this;
    }

    /** Joins, then asserts a normal return with {@code expected} and the given interrupt status. */
    void assertReturned(Object expected, boolean interrupted) throws InterruptedException {
        join();
        assertTrue(returned, thread.getName() + " threw " + thrown);
        assertEquals(expected, result);
        assertEquals(interrupted, interruptedAfter, "interrupt status after the return");
    }

    /** Joins, then asserts an InterruptedException whose message starts with {@code prefix}, status clear. */
    void assertInterrupted(String prefix) throws InterruptedException {
        join();
        assertFalse(returned, thread.getName() + " returned " + result + " instead of reporting the interrupt");
        assertTrue(thrown instanceof InterruptedException, String.valueOf(thrown));
        assertTrue(thrown.getMessage().startsWith(prefix), thrown.getMessage());
        assertFalse(interruptedAfter, "the exception reports the interrupt: the status is clear");
    }

    Throwable thrown() {
        return thrown;
    }
}
