/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Mode;
import io.kdefer.cpu.Cpu;
import io.kdefer.time.TimerList;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lesson 5: kernel timers ({@code TimerList}, the kernel's timer_list). A timer is a one-shot callback that runs in
 * TIMER softirq context on the CPU that armed it, at the first tick at or after its expiry: never early, and late by
 * up to a tick (1 ms at the default HZ 1000) plus scheduling delay. Timeouts, watchdogs and retransmits use them;
 * most are deleted before they fire.
 *
 * <ul>
 *   <li>{@code mod(delay)} arms it, or re-arms it if it is already pending: one timer, one expiry, the latest
 *       {@code mod} wins. It returns whether the timer was pending, so the caller knows whether it took over an
 *       expiry or started a new one.</li>
 *   <li>{@code delete()} disarms it and returns whether it was pending; it does not wait for a callback that is
 *       already running. {@code deleteSync()} does: on return the timer is neither pending nor running anywhere,
 *       also when its callback re-arms it (the usual periodic timer) — the call to make before freeing what the
 *       callback uses. It may sleep, so not from atomic context, and never from the timer's own callback.</li>
 *   <li>A periodic timer re-arms itself from its callback. {@code mod} takes a delay from <i>now</i>, so each
 *       period also carries the callback's lateness and the period drifts (below: 9 ticks of 10 ms in 105 ms);
 *       if the phase matters, compute each delay from the intended next expiry.</li>
 *   <li>In MANUAL mode the clock is virtual: {@code m.advance(d)} moves it and fires every tick and timer due on
 *       the way, in the caller's thread, so a test sees exactly when a timer fires.</li>
 * </ul>
 *
 * <p>HOW TO RUN: {@code ./kdefer example timer}. Observed (2 cores, JDK 17; the late-by times vary run to run):
 * <pre>
 *   never early: 20 timers of 1..20 ms fired in cpu/1 softirq; 0 early, the latest late by 6.29 ms (a cold JVM:
 *   the first expiries run cold code)
 *   never early: 20 timers of 1..20 ms fired in cpu/1 softirq; 0 early, the latest late by 0.45 ms (warm)
 *   re-arm: mod(200 ms) returned false, then mod(10 ms) returned true; it fired 1 time, after 11.0 ms
 *   delete: mod(10 ms) returned false, delete() true, a second delete() false; 30 ms later it had fired 0 more
 *   times
 *   periodic: 10 ms timer re-arming itself ticked 9 times in ~105 ms; deleteSync() returned true, pending=false,
 *   then 0 more ticks in 30 ms
 *   MANUAL: after advance(4 ms) the 5 ms timer fired=false pending=true; after 1 ms more fired=true (at 5 ms on
 *   cpu/1, in the caller's thread main); jiffies=30
 *     a 3 ms timer re-arming itself ticked 10 times in 30 ms of virtual time (the same every run)
 * </pre>
 * Every count is checked; the lesson throws (and exits non-zero) if one does not add up.
 */
public final class Example_05_Timer {
    private Example_05_Timer() {
    }

    public static void main(String[] args) throws InterruptedException {
        try (Machine m = Machine.boot(2)) {
            neverEarly(m, "a cold JVM: the first expiries run cold code");
            neverEarly(m, "warm");
            reArmAndDelete(m);
            periodic(m);
        }
        manual();
    }

    /** Arms timers of 1..20 ms and checks each fired at or after its expiry, on the machine clock. */
    private static void neverEarly(Machine m, String round) throws InterruptedException {
        int n = 20;
        long[] armedAt = new long[n];
        long[] firedAt = new long[n];
        AtomicInteger fired = new AtomicInteger();
        String[] where = {""};
        List<TimerList> timers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int id = i;
            timers.add(new TimerList(m, () -> {
                firedAt[id] = m.uptime().toNanos();
                Cpu c = Cpu.current();
                where[0] = c + " " + (c.context().inSoftirq() ? "softirq" : c.context().describe());
                fired.incrementAndGet();
            }));
        }
        for (int i = 0; i < n; i++) {
            armedAt[i] = m.uptime().toNanos();
            timers.get(i).mod(Duration.ofMillis(i + 1));
        }
        awaitCount(fired, n);
        long early = 0;
        long maxLate = 0;
        for (int i = 0; i < n; i++) {
            long late = firedAt[i] - (armedAt[i] + TimeUnit.MILLISECONDS.toNanos(i + 1));
            if (late < 0) {
                early++;
            }
            maxLate = Math.max(maxLate, late);
        }
        System.out.printf("never early: %d timers of 1..%d ms fired in %s; %d early, the latest late by %.2f ms "
                + "(%s)%n", n, n, where[0], early, maxLate / 1e6, round);
        check(early == 0, "a timer fired early");
    }

    /** mod() on a pending timer moves its expiry; delete() disarms it. */
    private static void reArmAndDelete(Machine m) throws InterruptedException {
        AtomicInteger fired = new AtomicInteger();
        AtomicLong firedAt = new AtomicLong();
        TimerList t = new TimerList(m, () -> {
            firedAt.set(m.uptime().toNanos());
            fired.incrementAndGet();
        });
        long t0 = m.uptime().toNanos();
        boolean first = t.mod(Duration.ofMillis(200));    // idle: a new expiry
        boolean second = t.mod(Duration.ofMillis(10));    // pending: moved to 10 ms from now
        awaitCount(fired, 1);
        Thread.sleep(20);
        System.out.printf("re-arm: mod(200 ms) returned %s, then mod(10 ms) returned %s; it fired %d time, after "
                + "%.1f ms%n", first, second, fired.get(), (firedAt.get() - t0) / 1e6);
        check(!first && second && fired.get() == 1 && firedAt.get() - t0 < TimeUnit.MILLISECONDS.toNanos(200),
                "re-arming did not move the expiry");

        boolean armed = t.mod(Duration.ofMillis(10));
        boolean deleted = t.delete();                     // pending: disarmed
        boolean again = t.delete();                       // idle: nothing to do
        Thread.sleep(30);
        System.out.printf("delete: mod(10 ms) returned %s, delete() %s, a second delete() %s; 30 ms later it had "
                + "fired %d more times%n", armed, deleted, again, fired.get() - 1);
        check(!armed && deleted && !again && fired.get() == 1, "a deleted timer fired");
    }

    /** A timer that re-arms itself every 10 ms; deleteSync() stops it for good. */
    private static void periodic(Machine m) throws InterruptedException {
        AtomicInteger ticks = new AtomicInteger();
        TimerList[] self = new TimerList[1];
        Duration period = Duration.ofMillis(10);
        self[0] = new TimerList(m, () -> {
            ticks.incrementAndGet();
            self[0].mod(period);                          // re-arm from the callback: on this CPU
        });
        self[0].mod(period);
        Thread.sleep(105);
        boolean wasPending = self[0].deleteSync();        // wins against the re-arm, waits for a running callback
        int atDelete = ticks.get();
        Thread.sleep(30);
        System.out.printf("periodic: 10 ms timer re-arming itself ticked %d times in ~105 ms; deleteSync() returned "
                + "%s, pending=%s, then %d more ticks in 30 ms%n", atDelete, wasPending, self[0].isPending(),
                ticks.get() - atDelete);
        check(atDelete >= 1 && atDelete <= 11 && !self[0].isPending() && ticks.get() == atDelete,
                "the periodic timer did not stop");
    }

    /** MANUAL mode: the virtual clock moves only in advance(), which fires what is due, deterministically. */
    private static void manual() {
        try (Machine m = Machine.boot(MachineConfig.builder().cpus(2).hz(1000).mode(Mode.MANUAL).build())) {
            List<String> log = new ArrayList<>();
            TimerList once = new TimerList(m, () -> log.add("at " + m.uptime().toMillis() + " ms on "
                    + Cpu.current() + ", in the caller's thread " + Thread.currentThread().getName()));
            TimerList[] self = new TimerList[1];
            int[] periodicTicks = {0};
            self[0] = new TimerList(m, () -> {
                periodicTicks[0]++;
                self[0].mod(Duration.ofMillis(3));
            });
            once.mod(Duration.ofMillis(5));
            self[0].mod(Duration.ofMillis(3));
            m.advance(Duration.ofMillis(4));
            boolean firedAt4 = !log.isEmpty();
            boolean pendingAt4 = once.isPending();
            m.advance(Duration.ofMillis(1));
            boolean firedAt5 = !log.isEmpty();
            m.advance(Duration.ofMillis(25));             // 30 ms in all: the 3 ms timer fires at 3, 6, ..., 30
            self[0].deleteSync();
            System.out.printf("MANUAL: after advance(4 ms) the 5 ms timer fired=%s pending=%s; after 1 ms more "
                    + "fired=%s (%s); jiffies=%d%n", firedAt4, pendingAt4, firedAt5, log.isEmpty() ? "-" : log.get(0),
                    m.jiffies());
            System.out.printf("  a 3 ms timer re-arming itself ticked %d times in 30 ms of virtual time (the same"
                    + " every run)%n",
                    periodicTicks[0]);
            check(!firedAt4 && pendingAt4 && firedAt5 && log.size() == 1 && periodicTicks[0] == 10,
                    "MANUAL timers did not fire exactly when due");
        }
    }

    private static void awaitCount(AtomicInteger count, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (count.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("a count does not add up: " + what);
        }
    }
}
