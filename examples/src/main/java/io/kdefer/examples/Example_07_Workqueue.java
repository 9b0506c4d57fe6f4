/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.sync.Completion;
import io.kdefer.sync.Delay;
import io.kdefer.workqueue.DelayedWork;
import io.kdefer.workqueue.Work;
import io.kdefer.workqueue.Workqueue;
import io.kdefer.workqueue.WorkqueueFlags;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lesson 7: workqueues, the bottom half that runs in task context: a {@link Work} item is a function a worker
 * thread ({@code kworker/N:M}) runs later, where it may sleep, take sleeping locks and wait for I/O. Interrupt
 * handlers, softirqs and threaded IRQs queue work when the follow-up is slow or must block.
 *
 * <ul>
 *   <li><b>Coalescing.</b> {@code queue(w)} returns {@code true} if this call made the item pending, {@code false}
 *       if it already was (on any queue); the pending run still sees what the caller stored before the
 *       {@code false} call (MO-WQ-2). One item is one pending run at most: queue it as often as there is news.</li>
 *   <li><b>{@code flush()}</b> waits for the last queued instance and returns whether it had to wait;
 *       {@code cancelSync()} returns with the item neither pending nor running, also for an item that re-queues
 *       itself: queue attempts fail while it waits (B-WQ-9).</li>
 *   <li><b>Ordered queues</b> run one item at a time, in queueing order, system-wide (B-WQ-17). An ordinary queue
 *       gives no order between different items, only that one item never runs twice at once (B-WQ-4).</li>
 *   <li><b>{@link DelayedWork}</b> is a work item plus a timer: {@code queueDelayed} is first-wins,
 *       {@code modDelayed} last-wins (it moves a pending expiry and says whether there was one).</li>
 *   <li><b>Concurrency management.</b> A CPU's pool keeps one runnable worker while it has items. When that worker
 *       blocks in a runtime wait ({@code io.kdefer.sync}: {@code Completion}, {@code WaitQueue}, {@code Mutex},
 *       {@code Delay}; {@code flush}; {@code Workqueues.managedBlock}), the pool wakes or creates another worker
 *       for its other items: so an item may wait for another item of the same pool (B-WQ-30). Foreign blocking
 *       calls are caught only by a per-tick sampler, and a busy loop only after the 10 ms CPU-intensive
 *       threshold, so block through the runtime.</li>
 *   <li><b>Executors.</b> {@code asExecutor()} and {@code asExecutorService()} wrap each task in a fresh item, for
 *       code that expects the JDK interfaces; the service follows the {@code ExecutorService} contract, and
 *       shutting it down does not destroy the queue.</li>
 * </ul>
 *
 * <p>HOW TO RUN: {@code ./kdefer example workqueue}. Observed (2 cores, JDK 17; worker names, times and counts vary
 * run to run):
 * <pre>
 *   coalescing: queue() returned true, then false (pending), false (pending, asked on another queue); the one
 *   run saw data=3 (stored before the last false call) on kworker/u4:0; flush() waited: true, then on the idle
 *   item: false
 *   ordered queue fw_update: 8 items ran in order [0, 1, 2, 3, 4, 5, 6, 7], at most 1 at a time; an unbound
 *   queue with the same items: at most 7 at a time, order [2, 1, 0, 5, 4, 7, 3, 6]
 *   delayed: queueDelayed(10 s) true, queueDelayed(1 ms) false (first wins), modDelayed(20 ms) true (was
 *   pending): ran once, 20.8 ms later
 *     modDelayed(10 s) on the idle item false; flush() queued it now and returned false, with the run done (runs
 *     2); queueDelayed(10 s) then cancel(): true, runs still 2
 *   cancelSync: a self-requeueing item ran 10 times; cancelSync() returned false (its running instance's
 *   re-queue was refused); then 0 more runs in 20 ms; queue() afterwards: true
 *   concurrency management: kworker/0:0 blocked in Completion.await; cpu/0's pool ran the replier on
 *   kworker/0:1 meanwhile, which completed it (the waiter waited 0.6 ms)
 *   executor service: 100 submitted tasks summed to 338350; after shutdown() submit threw
 *   RejectedExecutionException; awaitTermination: true; supplyAsync on asExecutor(): 42; queue still alive
 *
 *                                 total   infl    CPUtime  CPUhog   CMW/RPR  mayday  rescued
 *   events                           31      0         31       0       0/0       -        -
 *   ...
 *   log_writer                        2      0         45       0       0/0       -        -
 *   fw_update                         8      0         19       0       0/0       -        -
 *   parallel                          8      0         18       0       6/0       -        -
 *   cm_lesson                         2      0          0       0       0/0       -        -
 *   es_lesson                       101      0          1       0       0/0       -        -
 * </pre>
 * Every claim is checked; what {@code flush()} returns is only printed: it is {@code true} if it found the instance
 * queued or running and waited, {@code false} if the run had already finished (the worker can be that fast), and
 * either way the run is complete on return. The lesson throws (and exits non-zero) if a claim does not hold.
 */
public final class Example_07_Workqueue {
    private Example_07_Workqueue() {
    }

    public static void main(String[] args) throws Exception {
        try (Machine m = Machine.boot(2)) {
            coalescing(m);
            ordered(m);
            delayed(m);
            cancelSelfRequeueing(m);
            concurrencyManagement(m);
            executorService(m);
            System.out.println();
            System.out.print(m.stats().workqueues());
        }
    }

    /** queue() is true once per pending period; the pending run sees the stores before every false call. */
    private static void coalescing(Machine m) throws InterruptedException {
        Workqueue wq = m.workqueues().allocOrdered("log_writer", 0);
        Completion plugEntered = new Completion();
        Completion plugOpen = new Completion();
        wq.queue(new Work(() -> {                         // occupies the ordered queue, so the next item waits
            plugEntered.complete();
            awaitQuietly(plugOpen);
        }));
        plugEntered.await();

        int[] data = {0};
        int[] seen = {-1};
        AtomicInteger runs = new AtomicInteger();
        String[] where = {""};
        Work flushLog = new Work(() -> {
            runs.incrementAndGet();
            seen[0] = data[0];
            where[0] = Thread.currentThread().getName();
        });
        data[0] = 1;
        boolean first = wq.queue(flushLog);               // true: now pending
        data[0] = 2;
        boolean second = wq.queue(flushLog);              // false: already pending
        data[0] = 3;
        boolean third = m.workqueues().system().queue(flushLog);   // false: pending is per item, not per queue
        m.workqueues().system().queueDelayed(new DelayedWork(plugOpen::complete), Duration.ofMillis(20));
        boolean waited = flushLog.flush();                // waits for the pending instance: true (unless the
                                                          // plug opened and the run finished before this call)
        boolean idle = flushLog.flush();                  // false: nothing queued or running
        System.out.printf("coalescing: queue() returned %s, then %s (pending), %s (pending, asked on another"
                        + " queue); the one run saw data=%d (stored before the last false call) on %s; flush()"
                        + " waited: %s, then on the idle item: %s%n",
                first, second, third, seen[0], where[0], waited, idle);
        check(first && !second && !third && runs.get() == 1 && seen[0] == 3 && !idle, "coalescing or flush");
    }

    /** An ordered queue runs its items one at a time in queueing order; an unbound one does not. */
    private static void ordered(Machine m) {
        int n = 8;
        Workqueue oq = m.workqueues().allocOrdered("fw_update", 0);
        Result inOrder = runBatch(oq, n);
        Workqueue uq = m.workqueues().alloc("parallel", WorkqueueFlags.UNBOUND, 0);
        Result parallel = runBatch(uq, n);
        System.out.printf("ordered queue %s: %d items ran in order %s, at most %d at a time; an unbound queue with"
                        + " the same items: at most %d at a time, order %s%n",
                oq.name(), n, inOrder.order, inOrder.maxInside, parallel.maxInside, parallel.order);
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            expected.add(i);
        }
        check(inOrder.order.equals(expected) && inOrder.maxInside == 1 && parallel.order.size() == n,
                "the ordered queue ran items out of order or in parallel");
    }

    private record Result(List<Integer> order, int maxInside) {
    }

    private static Result runBatch(Workqueue wq, int n) {
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        for (int i = 0; i < n; i++) {
            int id = i;
            wq.queue(new Work(() -> {
                maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                sleepQuietly(3 - id % 3);                 // uneven lengths: a parallel queue reorders them
                order.add(id);
                inside.decrementAndGet();
            }));
        }
        wq.flush();                                       // everything queued before this call has run
        return new Result(new ArrayList<>(order), maxInside.get());
    }

    /** queueDelayed is first-wins, modDelayed last-wins; flush fires a pending timer now; cancel disarms it. */
    private static void delayed(Machine m) throws InterruptedException {
        Workqueue wq = m.workqueues().system();
        AtomicInteger runs = new AtomicInteger();
        AtomicLong ranAt = new AtomicLong();
        DelayedWork dw = new DelayedWork(() -> {
            ranAt.set(m.uptime().toNanos());
            runs.incrementAndGet();
        });
        boolean a = wq.queueDelayed(dw, Duration.ofSeconds(10));
        boolean b = wq.queueDelayed(dw, Duration.ofMillis(1));    // first wins: still 10 s
        long t0 = m.uptime().toNanos();
        boolean c = wq.modDelayed(dw, Duration.ofMillis(20));      // last wins: now 20 ms from now
        awaitCount(runs, 1);
        Thread.sleep(10);
        long after = ranAt.get() - t0;
        System.out.printf("delayed: queueDelayed(10 s) %s, queueDelayed(1 ms) %s (first wins), modDelayed(20 ms) %s"
                + " (was pending): ran %s, %.1f ms later%n", a, b, c, runs.get() == 1 ? "once" : runs.get() + " times",
                after / 1e6);
        check(a && !b && c && runs.get() == 1 && after >= TimeUnit.MILLISECONDS.toNanos(20)
                && after < TimeUnit.SECONDS.toNanos(5), "queueDelayed / modDelayed");

        boolean d = wq.modDelayed(dw, Duration.ofSeconds(10));     // idle: false, and now armed
        boolean flushed = dw.flush();                              // queues it now and waits for that run: true,
                                                                   // or false if it had already finished
        int afterFlush = runs.get();
        wq.queueDelayed(dw, Duration.ofSeconds(10));
        boolean cancelled = dw.cancel();                           // timer deleted: it will not run
        System.out.printf("  modDelayed(10 s) on the idle item %s; flush() queued it now and returned %s, with the"
                + " run done (runs %d); queueDelayed(10 s) then cancel(): %s, runs still %d%n", d, flushed, afterFlush,
                cancelled, runs.get());
        check(!d && afterFlush == 2 && cancelled && !dw.isPending() && runs.get() == 2,
                "DelayedWork flush / cancel");
    }

    /** cancelSync() stops an item that re-queues itself from its own function. */
    private static void cancelSelfRequeueing(Machine m) throws InterruptedException {
        Workqueue wq = m.workqueues().system();
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        Work[] self = new Work[1];
        self[0] = new Work(() -> {
            runs.incrementAndGet();
            sleepQuietly(1);                              // "poll the device"
            if (!wq.queue(self[0])) {                     // refused only while a cancelSync() waits for this run
                refused.incrementAndGet();
            }
        });
        wq.queue(self[0]);
        awaitCount(runs, 10);                             // it keeps itself going; stop it after 10 runs or more
        boolean wasPending = self[0].cancelSync();
        int atCancel = runs.get();
        int refusedAtCancel = refused.get();
        boolean stopped = !self[0].isPending() && !self[0].isRunning();
        Thread.sleep(20);
        int more = runs.get() - atCancel;
        boolean again = wq.queue(self[0]);                // cancelSync re-enabled it on return
        self[0].cancelSync();
        System.out.printf("cancelSync: a self-requeueing item ran %d times; cancelSync() returned %s (%s);"
                        + " then %d more runs in 20 ms; queue() afterwards: %s%n", atCancel, wasPending,
                wasPending ? "it took a queued instance back" : "its running instance's re-queue was refused",
                more, again);
        check(stopped && more == 0 && atCancel >= 10 && again && wasPending == (refusedAtCancel == 0),
                "cancelSync of a self-requeueing item");
    }

    /** An item that blocks in a runtime wait does not hold back the other items of its CPU's pool. */
    private static void concurrencyManagement(Machine m) throws InterruptedException {
        Workqueue wq = m.workqueues().alloc("cm_lesson", 0, 0);   // bound: per-CPU pools
        Completion entered = new Completion();
        Completion reply = new Completion();
        String[] names = new String[2];
        boolean[] got = {false};
        long[] waitedNanos = {0};
        Work waiter = new Work(() -> {
            names[0] = Thread.currentThread().getName();
            entered.complete();
            long t0 = System.nanoTime();
            try {
                got[0] = reply.await(Duration.ofSeconds(5));  // the pool counts this worker as sleeping
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            waitedNanos[0] = System.nanoTime() - t0;
        });
        Work replier = new Work(() -> {
            names[1] = Thread.currentThread().getName();
            reply.complete();
        });
        wq.queueOn(0, waiter);
        entered.await();
        wq.queueOn(0, replier);                           // same pool: needs a second worker to run
        waiter.flush();
        replier.flush();
        System.out.printf("concurrency management: %s blocked in Completion.await; cpu/0's pool ran the replier on"
                        + " %s meanwhile, which completed it (the waiter waited %.1f ms)%n", names[0], names[1],
                waitedNanos[0] / 1e6);
        check(got[0] && names[0].startsWith("kworker/0:") && names[1].startsWith("kworker/0:")
                && !names[0].equals(names[1]), "a blocked worker held back its pool");
    }

    /** The JDK views of a queue: ExecutorService (submit, shutdown, awaitTermination) and Executor. */
    private static void executorService(Machine m) throws Exception {
        Workqueue wq = m.workqueues().alloc("es_lesson", WorkqueueFlags.UNBOUND, 4);
        ExecutorService es = wq.asExecutorService();
        List<Future<Long>> futures = new ArrayList<>();
        int n = 100;
        for (int i = 1; i <= n; i++) {
            long v = i;
            futures.add(es.submit(() -> v * v));
        }
        long sum = 0;
        for (Future<Long> f : futures) {
            sum += f.get(5, TimeUnit.SECONDS);
        }
        es.shutdown();                                    // no new tasks; accepted ones still run
        boolean rejected = false;
        try {
            es.submit(() -> 0L);
        } catch (RejectedExecutionException e) {
            rejected = true;
        }
        boolean terminated = es.awaitTermination(5, TimeUnit.SECONDS);
        int answer = CompletableFuture.supplyAsync(() -> 6 * 7, wq.asExecutor()).get(5, TimeUnit.SECONDS);
        long expected = (long) n * (n + 1) * (2 * n + 1) / 6;
        System.out.printf("executor service: %d submitted tasks summed to %d; after shutdown() submit threw%s"
                        + " RejectedExecutionException; awaitTermination: %s; supplyAsync on asExecutor(): %d; queue"
                        + " still %s%n", n, sum, rejected ? "" : " NO", terminated, answer,
                wq.isDestroyed() ? "DESTROYED" : "alive");
        check(sum == expected && rejected && terminated && es.isTerminated() && answer == 42 && !wq.isDestroyed(),
                "ExecutorService contract");
    }

    private static void sleepQuietly(long millis) {
        try {
            Delay.msleep(millis);                         // through the runtime: the pool sees the worker sleep
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitQuietly(Completion c) {
        try {
            c.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitCount(AtomicInteger count, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (count.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("a claim does not hold: " + what);
        }
    }
}
