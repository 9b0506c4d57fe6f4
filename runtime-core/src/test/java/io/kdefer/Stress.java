/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.function.ThrowingConsumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The frame the {@code @Tag("stress")} tests share: threads released together from one latch, a time budget they
 * stop at, the first failure of any of them rethrown on the test thread, a bounded wait for quiescence, and one line
 * of figures per test.
 *
 * <pre>{@code
 * Stress run = new Stress(Duration.ofSeconds(5));
 * run.threads(4, "producer", p -> {
 *     for (int i = 1; i <= CALLS && !run.expired(); i++) { ... }
 * });
 * run.start().join();                                   // rethrows the first failure of a producer
 * Stress.await(Duration.ofSeconds(30), () -> runs.get() == calls.get());
 * Stress.report("irq_work: %d calls, %d runs", calls.get(), runs.get());
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>No thread body runs before {@link #start()}; then all are released at once by one latch, so they overlap
 *       as much as the OS lets them.</li>
 *   <li>{@link #join()} returns only when every thread has ended. If a body threw, it throws an
 *       {@link AssertionError} naming the first thread that failed, with that failure as its cause; later failures
 *       are not reported.</li>
 *   <li>{@link #join(Duration)} also fails, naming them, if threads are still running when the timeout has passed
 *       (one deadline for all of them).</li>
 *   <li>The budget runs from construction; {@link #expired()} becomes true once it is spent and stays true. A run
 *       without a budget never expires: the test's {@code @Timeout} bounds it.</li>
 *   <li>The threads are daemon threads: one left hanging by a failed test does not keep the JVM alive.</li>
 * </ul>
 * An instance is driven by one test thread (add threads, start, join); its threads may call {@link #expired()}.
 */
public final class Stress {
    private final long deadline;                           // I: System.nanoTime() at which the budget is spent
    private final boolean budgeted;                        // I
    private final CountDownLatch start = new CountDownLatch(1);
    private final List<Thread> threads = new ArrayList<>();                 // O(test thread)
    private final AtomicReference<AssertionError> failure = new AtomicReference<>();   // A: the first failure
    private boolean started;                               // O(test thread)

    /** A run without a time budget: its threads stop on their own (a count, a flag). */
    public Stress() {
        this.budgeted = false;
        this.deadline = 0;
    }

    /** A run whose threads stop producing once {@code budget} has passed since now ({@link #expired()}). */
    public Stress(Duration budget) {
        Objects.requireNonNull(budget, "budget");
        this.budgeted = true;
        this.deadline = System.nanoTime() + budget.toNanos();
    }

    /** Adds one thread named {@code name} running {@code body}. */
    public Stress thread(String name, Executable body) {
        Objects.requireNonNull(body, "body");
        return add(name, body);
    }

    /** Adds {@code n} threads named {@code name-0} .. {@code name-(n-1)}; thread {@code i} runs {@code body(i)}. */
    public Stress threads(int n, String name, ThrowingConsumer<Integer> body) {
        Objects.requireNonNull(body, "body");
        for (int i = 0; i < n; i++) {
            int index = i;
            add(name + "-" + i, () -> body.accept(index));
        }
        return this;
    }

    private Stress add(String name, Executable body) {
        if (started) {
            throw new IllegalStateException("add threads before start()");
        }
        Thread t = new Thread(() -> {
            try {
                start.await();
                body.execute();
            } catch (Throwable e) {
                failure.compareAndSet(null, new AssertionError(Thread.currentThread().getName() + " failed", e));
            }
        }, name);
        t.setDaemon(true);
        threads.add(t);
        return this;
    }

    /** Starts every thread added so far and releases them together. */
    public Stress start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        for (Thread t : threads) {
            t.start();
        }
        start.countDown();
        return this;
    }

    /** Whether the budget is spent (never, for a run without one). Callable from any thread. */
    public boolean expired() {
        return budgeted && System.nanoTime() - deadline >= 0;
    }

    /** Waits until every thread has ended, then rethrows the first failure. */
    public void join() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
        rethrowFailure(null);
    }

    /**
     * Waits until every thread has ended or {@code timeout} has passed, then rethrows the first failure, or fails
     * naming the threads still running.
     */
    public void join(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        List<String> running = new ArrayList<>();
        for (Thread t : threads) {
            long left = end - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(t, left);
            }
            if (t.isAlive()) {
                running.add(t.getName());
            }
        }
        rethrowFailure(running.isEmpty() ? null
                : new AssertionError(running + " still running " + timeout.toMillis() + " ms after join began"));
    }

    private void rethrowFailure(AssertionError stuck) {
        AssertionError first = failure.get();
        if (first != null) {
            if (stuck != null) {
                first.addSuppressed(stuck);
            }
            throw first;
        }
        if (stuck != null) {
            throw stuck;
        }
    }

    /**
     * Polls {@code condition} about once a millisecond until it holds or {@code timeout} has passed: the bounded
     * wait for quiescence (or for a load to build up) before a test checks its invariants.
     *
     * @return whether {@code condition} held
     */
    public static boolean await(Duration timeout, BooleanSupplier condition) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end >= 0) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return true;
    }

    /**
     * A short random pause between two calls (0..63 spin hints), so that calls land in every phase of the consumer's
     * run (before it takes its list, between clearing PENDING and the callback, during the callback) instead of
     * almost all coalescing into one long PENDING period.
     */
    public static void pause(ThreadLocalRandom rnd) {
        for (int k = rnd.nextInt(64); k > 0; k--) {
            Thread.onSpinWait();
        }
    }

    /** Prints one line of a test's figures, prefixed {@code [stress]} so a run's figures can be collected by grep. */
    public static void report(String format, Object... args) {
        System.out.println("[stress] " + String.format(format, args));
    }
}
