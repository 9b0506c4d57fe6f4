/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.cpu.Cpu;
import io.kdefer.tasklet.Tasklet;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Lesson 4: tasklets, a callback that runs soon after in softirq context on the CPU that scheduled it. Tasklets are
 * built on two softirq vectors (TASKLET, and HI for {@code scheduleHi()}); what they add is a per-object state:
 *
 * <ul>
 *   <li><b>Coalescing with visibility.</b> {@code schedule()} returns {@code false} while the tasklet is already
 *       scheduled, yet that pending run sees everything the caller stored before calling (MO-TL-2, proved by
 *       {@code Tasklet_02_CoalescedStillVisible}). Every {@code true} is followed by exactly one run, so runs equal
 *       trues, and the data is never missed.</li>
 *   <li><b>Never concurrent with itself</b>, also when scheduled on two CPUs at once: the second CPU requeues it
 *       until the first has finished (B-TL-4, B-TL-5, proved by {@code Tasklet_04_NoOverlappingRuns}). So the
 *       callback may use plain fields; two <i>different</i> tasklets do run in parallel.</li>
 *   <li><b>{@code disable()}</b> waits until a running callback has returned, and no callback starts until the
 *       matching {@code enable()} (MO-TL-3); a tasklet scheduled while disabled stays scheduled and runs after
 *       {@code enable()} (B-TL-6) — meanwhile its CPU requeues it at every softirq pass, busily, as the kernel
 *       does, so keep such windows short. Disabling is for task context: it may sleep.</li>
 *   <li><b>{@code kill()}</b> at teardown returns with the tasklet neither scheduled nor running, and breaks a
 *       chain of a tasklet that reschedules itself (B-TL-8).</li>
 * </ul>
 * The kernel now recommends threaded IRQs or BH workqueues for new code; tasklets are still everywhere in drivers.
 *
 * <p>HOW TO RUN: {@code ./kdefer example tasklet}. Observed (2 cores, JDK 17; the counts vary run to run):
 * <pre>
 * </pre>
 */
public final class Example_04_Tasklet {
    private Example_04_Tasklet() {
    }

    public static void main(String[] args) throws InterruptedException {
        try (Machine m = Machine.boot(2)) {
            coalescing(m);
            disableEnable(m);
            kill(m);
        }
    }

    /** Four producers, two bound to each CPU, log entries and schedule one flush tasklet after each entry. */
    private static void coalescing(Machine m) throws InterruptedException {
        int producers = 4;
        int perProducer = 100_000;
        AtomicLongArray appended = new AtomicLongArray(producers);   // one slot per producer, set before schedule()
        long[] flushed = new long[producers];     // written only by the callback: plain, it never overlaps itself
        long[] runs = {0};                        // plain too
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        Set<String> where = ConcurrentHashMap.newKeySet();

        Tasklet flush = new Tasklet(m, () -> {
            if (inside.incrementAndGet() != 1) {
                overlaps.incrementAndGet();        // another run of the same tasklet is inside: never happens
            }
            runs[0]++;
            for (int p = 0; p < producers; p++) {
                flushed[p] = appended.get(p);      // "write out everything appended so far"
            }
            Cpu c = Cpu.current();
            where.add(c + (c.context().inSoftirq() ? " softirq" : " " + c.context().describe()));
            inside.decrementAndGet();
        });

        LongAdder trues = new LongAdder();
        LongAdder falses = new LongAdder();
        Thread[] threads = new Thread[producers];
        for (int p = 0; p < producers; p++) {
            int id = p;
            threads[p] = new Thread(() -> {
                m.bindCurrentThread(id % 2);           // schedule() lands on the CPU the caller runs on
                for (int i = 1; i <= perProducer; i++) {
                    appended.lazySet(id, i);           // the data: a plain-release store, no fence of its own
                    if (flush.schedule()) {            // the signal: coalesces while scheduled
                        trues.increment();
                    } else {
                        falses.increment();
                    }
                }
            }, "producer-" + p);
            threads[p].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        flush.kill();                                  // runs it if still scheduled; then neither scheduled nor running
        long lost = 0;
        for (int p = 0; p < producers; p++) {
            lost += perProducer - flushed[p];          // kill() ordered the last run's stores before us
        }
        System.out.printf("coalescing: %d schedule() calls from 4 threads on cpu/0 and cpu/1: true %d times, "
                + "false %d times%n", (long) producers * perProducer, trues.sum(), falses.sum());
        System.out.printf("  the callback ran %d times (= the number of true results), in %s, %d overlapping runs;"
                + " the last flush saw every entry: %s%n", runs[0], new TreeSet<>(where), overlaps.get(),
                lost == 0 ? "nothing lost" : "LOST " + lost);
        check(runs[0] == trues.sum() && flush.runs() == runs[0], "runs != trues");
        check(overlaps.get() == 0, "the tasklet ran concurrently with itself");
        check(lost == 0, "a coalesced schedule() was not seen by a later run");
    }

    /** disable() waits for the running callback; a tasklet scheduled while disabled runs after enable(). */
    private static void disableEnable(Machine m) throws InterruptedException {
        int[] y = {0};                                 // plain: published by disable()
        AtomicInteger runs = new AtomicInteger();
        AtomicBoolean started = new AtomicBoolean();
        Tasklet slow = new Tasklet(m, () -> {
            started.set(true);
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
            while (System.nanoTime() < end) {
                Thread.onSpinWait();                   // 20 ms of work in softirq context (it must not sleep)
            }
            y[0]++;
            runs.incrementAndGet();
        });
        slow.schedule();
        while (!started.get()) {
            Thread.onSpinWait();
        }
        long t0 = System.nanoTime();
        slow.disable();                                // the callback is running: waits for it to return
        long waited = System.nanoTime() - t0;
        int seen = y[0];
        boolean scheduled = slow.schedule();           // scheduled while disabled: stays scheduled, does not run
        Thread.sleep(30);
        int runsWhileDisabled = runs.get() - 1;
        boolean stillScheduled = slow.isScheduled();
        slow.enable();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (runs.get() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        slow.kill();
        System.out.printf("disable: called while the callback ran, it waited %.1f ms for it and then saw its store "
                + "(y = %d)%n", waited / 1e6, seen);
        System.out.printf("  schedule() while disabled returned %s; in 30 ms it ran %d times and stayed scheduled "
                + "(%s); after enable() it ran: %d runs in all%n", scheduled, runsWhileDisabled, stillScheduled,
                runs.get());
        check(seen == 1, "disable() returned before the running callback's store was visible");
        check(scheduled && runsWhileDisabled == 0 && stillScheduled, "a disabled tasklet ran or was dropped");
        check(runs.get() == 2, "the tasklet scheduled while disabled did not run after enable()");
    }

    /** kill() stops a tasklet that reschedules itself from its own callback. */
    private static void kill(Machine m) throws InterruptedException {
        AtomicInteger runs = new AtomicInteger();
        Tasklet[] self = new Tasklet[1];
        self[0] = new Tasklet(m, () -> {
            runs.incrementAndGet();
            self[0].schedule();                        // "more to do": again, until killed
        });
        self[0].schedule();
        Thread.sleep(20);
        self[0].kill();                                // its reschedule during kill is refused: one more run at most
        int atKill = runs.get();
        boolean scheduled = self[0].isScheduled();
        boolean running = self[0].isRunning();
        Thread.sleep(20);
        int after = runs.get() - atKill;
        System.out.printf("kill: a tasklet rescheduling itself ran %d times in 20 ms; after kill() returned it was "
                + "scheduled=%s running=%s and ran %d more times in 20 ms%n", atKill, scheduled, running, after);
        check(atKill > 0 && !scheduled && !running && after == 0, "kill() did not stop the tasklet");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("a count does not add up: " + what);
        }
    }
}
