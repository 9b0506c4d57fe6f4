/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.time;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Services;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.softirq.Softirq;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TimerList} on a machine: expiry exactness, re-arming, deletion, arming from other threads and contexts,
 * hotplug migration, close reporting (MANUAL, virtual clock), and NOHZ (THREADED, one short test).
 */
@Timeout(30)
class TimerListTest {
    private static final int LINE = Machines.EDGE_LINE;
    private static final long MS = 1_000_000;

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;

    private Machine boot(int hz) {
        m = machines.boot(b -> b.hz(hz));
        return m;
    }

    private Machine boot() {
        return boot(1000);
    }

    private TimerCore core() {
        return Services.get(m, TimerCore.class);
    }

    private long now() {
        return m.uptime().toNanos();
    }

    /** A timer that records the machine time of each run. */
    private TimerList recording(List<Long> at) {
        return new TimerList(m, () -> at.add(now()));
    }

    private static void onOtherThread(Runnable body) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable x) {
                failure.set(x);
            }
        });
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        if (failure.get() != null) {
            throw new AssertionError("helper thread failed", failure.get());
        }
    }

    // ---------------------------------------------------------------------------------------------- expiry

    @Test
    void firesAtTheFirstTickAtOrAfterItsExpiryNeverEarly() {
        boot();
        m.bindCurrentThread(0);
        List<Long> at = new ArrayList<>();
        TimerList t = recording(at);
        assertFalse(t.mod(Duration.ofMillis(5)));
        assertTrue(t.isPending());
        m.advance(Duration.ofNanos(5 * MS - 1));
        assertEquals(List.of(), at, "never early");
        m.advance(Duration.ofNanos(1));
        assertEquals(List.of(5 * MS), at, "exactly at the 5 ms tick");
        assertFalse(t.isPending());

        at.clear();
        m.advance(Duration.ofNanos(300_000));                // now 5.3 ms: off a tick boundary
        t.mod(Duration.ofMillis(5));                          // expiry 10.3 ms: first tick at or after is 11 ms
        m.advance(Duration.ofNanos(11 * MS - 1 - now()));
        assertEquals(List.of(), at);
        m.advance(Duration.ofNanos(1));
        assertEquals(List.of(11 * MS), at);
    }

    @Test
    void zeroAndTinyDelaysFireAtTheNextTickNotNow() {
        boot();
        m.bindCurrentThread(0);
        List<Long> at = new ArrayList<>();
        recording(at).mod(Duration.ZERO);
        recording(at).mod(Duration.ofNanos(1));
        m.runUntilIdle();
        assertEquals(List.of(), at, "due timers wait for the tick: TIMER softirq runs from the tick");
        m.advance(Duration.ofMillis(1));
        assertEquals(List.of(MS, MS), at);
    }

    @Test
    void expiryIsExactAcrossWheelLevelsAndOtherHz() {
        long[] delaysMs = {1, 2, 63, 64, 65, 100, 4095, 4096, 4097, 5000};
        for (int hz : new int[] {1000, 100}) {
            boot(hz);
            m.bindCurrentThread(1);
            long tick = 1_000_000_000L / hz;
            List<long[]> runs = new ArrayList<>();
            m.advance(Duration.ofNanos(tick / 3));            // off the tick grid
            for (long d : delaysMs) {
                long armedAt = now();
                long expect = ((armedAt + d * MS) + tick - 1) / tick * tick;
                new TimerList(m, () -> runs.add(new long[] {now(), expect})).mod(Duration.ofMillis(d));
            }
            m.advance(Duration.ofMillis(5100));
            assertEquals(delaysMs.length, runs.size(), "HZ " + hz);
            for (long[] r : runs) {
                assertEquals(r[1], r[0], "HZ " + hz + ": fired at the first tick at or after the expiry");
            }
            m.unbindCurrentThread();
            m.close();
        }
    }

    @Test
    void runsInTimerSoftirqOnTheArmingCpu() {
        boot();
        AtomicReference<String> where = new AtomicReference<>();
        m.bindCurrentThread(1);
        new TimerList(m, () -> where.set(Cpu.current() + " " + CpuContext.current().describe()))
                .mod(Duration.ofMillis(2));
        m.advance(Duration.ofMillis(2));
        assertEquals("cpu/1 softirq context", where.get());
        assertEquals(1, m.softirqs().count(1, Softirq.TIMER));
    }

    // ---------------------------------------------------------------------------------------------- re-arming

    @Test
    void modReturnsWhetherItWasPendingAndMovesTheExpiry() {
        boot();
        m.bindCurrentThread(0);
        List<Long> at = new ArrayList<>();
        TimerList t = recording(at);
        assertFalse(t.mod(Duration.ofMillis(10)), "idle: false");
        assertTrue(t.mod(Duration.ofMillis(3)), "pending: true, moved earlier");
        m.advance(Duration.ofMillis(3));
        assertEquals(List.of(3 * MS), at);
        assertFalse(t.mod(Duration.ofMillis(2)), "fired: idle again");
        assertTrue(t.mod(Duration.ofMillis(7)), "moved later");
        m.advance(Duration.ofMillis(6));
        assertEquals(List.of(3 * MS), at);
        m.advance(Duration.ofMillis(1));
        assertEquals(List.of(3 * MS, 10 * MS), at);
        assertEquals(2, core().fired());
    }

    @Test
    void aPeriodicTimerReArmsItselfFromItsCallback() {
        boot();
        m.bindCurrentThread(0);
        List<Long> at = new ArrayList<>();
        List<Boolean> pendingInCallback = new ArrayList<>();
        TimerList[] t = new TimerList[1];
        t[0] = new TimerList(m, () -> {
            at.add(now());
            pendingInCallback.add(t[0].isPending());
            if (at.size() < 4) {
                assertFalse(t[0].mod(Duration.ofMillis(5)), "not pending while its callback runs");
            }
        });
        t[0].mod(Duration.ofMillis(5));
        m.advance(Duration.ofMillis(50));
        assertEquals(List.of(5 * MS, 10 * MS, 15 * MS, 20 * MS), at);
        assertEquals(List.of(false, false, false, false), pendingInCallback);
    }

    // ---------------------------------------------------------------------------------------------- delete

    @Test
    void deleteDisarmsAndReturnsWhetherItWasPending() {
        boot();
        m.bindCurrentThread(0);
        List<Long> at = new ArrayList<>();
        TimerList t = recording(at);
        assertFalse(t.delete(), "never armed");
        t.mod(Duration.ofMillis(2));
        assertTrue(t.delete());
        assertFalse(t.isPending());
        assertFalse(t.delete());
        m.advance(Duration.ofMillis(10));
        assertEquals(List.of(), at, "a deleted timer does not fire");
        assertEquals(0, core().armed(0));
    }

    @Test
    void aFiredTimerWhoseCallbackHasNotStartedCanStillBeDeleted() {
        boot();
        m.bindCurrentThread(0);
        List<String> ran = new ArrayList<>();
        AtomicBoolean deleted = new AtomicBoolean();
        TimerList second = new TimerList(m, () -> ran.add("second"));
        TimerList first = new TimerList(m, () -> {
            ran.add("first");
            deleted.set(second.delete());
        });
        first.mod(Duration.ofMillis(1));
        second.mod(Duration.ofMillis(1));
        m.advance(Duration.ofMillis(1));
        assertEquals(List.of("first"), ran, "both expired at the same tick; the first deleted the second");
        assertTrue(deleted.get(), "fired but not started counts as pending (kernel semantics)");
    }

    @Test
    void deleteSyncStopsASelfReArmingTimer() {
        boot();
        m.bindCurrentThread(0);
        AtomicInteger runs = new AtomicInteger();
        TimerList[] t = new TimerList[1];
        t[0] = new TimerList(m, () -> {
            runs.incrementAndGet();
            t[0].mod(Duration.ofMillis(1));
        });
        t[0].mod(Duration.ofMillis(1));
        m.advance(Duration.ofMillis(5));
        assertEquals(5, runs.get());
        assertTrue(t[0].deleteSync());
        assertFalse(t[0].isPending());
        m.advance(Duration.ofMillis(5));
        assertEquals(5, runs.get(), "neither pending nor running: it is off for good");
        assertFalse(t[0].deleteSync());
    }

    @Test
    void deleteSyncWaitsForTheRunningCallback() {
        boot();
        m.bindCurrentThread(0);
        AtomicBoolean returned = new AtomicBoolean();
        AtomicBoolean returnedWhileRunning = new AtomicBoolean();
        Thread[] waiter = new Thread[1];
        TimerList[] t = new TimerList[1];
        t[0] = new TimerList(m, () -> {
            waiter[0] = new Thread(() -> {
                t[0].deleteSync();
                returned.set(true);
            });
            waiter[0].start();
            while (waiter[0].getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait();                          // parked in deleteSync, waiting for this run
            }
            returnedWhileRunning.set(returned.get());
            t[0].mod(Duration.ofMillis(1));                   // re-arm: deleteSync must take that off too
        });
        t[0].mod(Duration.ofMillis(1));
        m.advance(Duration.ofMillis(1));
        try {
            waiter[0].join(10_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertFalse(returnedWhileRunning.get(), "deleteSync waited while the callback ran");
        assertTrue(returned.get());
        assertFalse(t[0].isPending(), "the callback's re-arm was taken off as well");
        m.advance(Duration.ofMillis(5));
        assertEquals(1, core().fired());
    }

    @Test
    void deleteSyncFromItsOwnCallbackOrAtomicContextIsRefused() {
        boot();
        m.bindCurrentThread(0);
        List<String> refused = new ArrayList<>();
        TimerList other = new TimerList(m, () -> { });
        TimerList[] t = new TimerList[1];
        t[0] = new TimerList(m, () -> {
            try {
                t[0].deleteSync();
            } catch (IllegalStateException e) {
                refused.add(e.getMessage());
            }
            try {
                other.deleteSync();
            } catch (IllegalStateException e) {
                refused.add(e.getMessage());
            }
            other.delete();                                   // delete() is fine in any context
        });
        t[0].mod(Duration.ofMillis(1));
        other.mod(Duration.ofMillis(10));
        m.advance(Duration.ofMillis(1));
        assertEquals(2, refused.size(), refused.toString());
        assertTrue(refused.get(0).contains("own callback"), refused.get(0));
        assertTrue(refused.get(1).contains("sleeping function called from softirq context on cpu/0: del_timer_sync"),
                refused.get(1));
        assertFalse(other.isPending());
    }

    // ---------------------------------------------------------------------------------------------- arming contexts

    @Test
    void armedFromAHardirqOrASoftirqItRunsOnThatCpu() {
        boot();
        List<String> where = new ArrayList<>();
        TimerList fromIrq = new TimerList(m, () -> where.add("irq-armed@" + Cpu.current().id()));
        TimerList fromSoftirq = new TimerList(m, () -> where.add("softirq-armed@" + Cpu.current().id()));
        m.irqs().request(LINE, (irq, dev) -> {
            fromIrq.mod(Duration.ofMillis(2));
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        m.irqs().setAffinity(LINE, 1);
        m.softirqs().open(Softirq.NET_RX, () -> fromSoftirq.mod(Duration.ofMillis(3)));
        m.irqs().pulse(LINE);
        m.softirqs().raiseOn(0, Softirq.NET_RX);
        m.runUntilIdle();
        assertEquals(1, core().armed(1));
        assertEquals(1, core().armed(0));
        m.advance(Duration.ofMillis(3));
        assertEquals(List.of("irq-armed@1", "softirq-armed@0"), where);
    }

    @Test
    void armedFromAnotherThreadItRunsOnThatThreadsCpu() {
        boot();
        AtomicReference<String> where = new AtomicReference<>();
        TimerList t = new TimerList(m, () -> where.set("cpu/" + Cpu.current().id()));
        onOtherThread(() -> {
            m.bindCurrentThread(1);
            t.mod(Duration.ofMillis(1));
        });
        assertEquals(1, core().armed(1));
        m.advance(Duration.ofMillis(1));
        assertEquals("cpu/1", where.get());
    }

    @Test
    void aRunningTimerReArmedFromAnotherCpuStaysOnItsCpu() {
        boot();
        m.bindCurrentThread(0);
        List<Integer> cpus = new ArrayList<>();
        TimerList[] t = new TimerList[1];
        t[0] = new TimerList(m, () -> {
            cpus.add(Cpu.current().id());
            if (cpus.size() == 1) {
                onOtherThread(() -> {
                    m.bindCurrentThread(1);
                    assertFalse(t[0].mod(Duration.ofMillis(1)));
                });
            }
        });
        t[0].mod(Duration.ofMillis(1));
        m.advance(Duration.ofMillis(3));
        assertEquals(List.of(0, 0), cpus, "a running timer is not migrated (deleteSync can wait for it there)");
    }

    // ---------------------------------------------------------------------------------------------- hotplug, close

    @Test
    void anOfflineCpusTimersMoveAndKeepTheirExpiry() {
        boot();
        List<String> at = new ArrayList<>();
        m.bindCurrentThread(1);
        new TimerList(m, () -> at.add(now() / MS + "ms@" + Cpu.current().id())).mod(Duration.ofMillis(7));
        new TimerList(m, () -> at.add(now() / MS + "ms@" + Cpu.current().id())).mod(Duration.ofMillis(3));
        m.unbindCurrentThread();
        m.advance(Duration.ofMillis(1));
        m.cpu(1).offline();
        assertEquals(0, core().armed(1));
        assertEquals(2, core().armed(0));
        m.advance(Duration.ofMillis(10));
        assertEquals(List.of("3ms@0", "7ms@0"), at);
        m.cpu(1).online();
    }

    @Test
    void aModThatLandsOnAnOfflineCpuMovesTheTimerToTheCallersCpu() {
        boot();
        List<String> at = new ArrayList<>();
        TimerList t = new TimerList(m, () -> at.add(now() / MS + "ms@" + Cpu.current().id()));
        m.cpu(1).offline();
        m.bindCurrentThread(0);
        // The race: the caller chose cpu/1 while it was online; the timer is armed after its timers moved.
        assertFalse(t.mod(core().expiryJiffy(2 * MS), core().base(1)));
        assertEquals(0, core().armed(1), "not stranded on the dead CPU");
        assertEquals(1, core().armed(0));
        m.advance(Duration.ofMillis(2));
        assertEquals(List.of("2ms@0"), at);
        m.cpu(1).online();
    }

    @Test
    void closeReportsTimersThatWereStillArmed() {
        boot();
        m.bindCurrentThread(0);
        TimerList t = new TimerList(m, () -> { });
        t.mod(Duration.ofSeconds(10));
        try (LogCapture rec = LogCapture.of("io.kdefer.time")) {
            m.unbindCurrentThread();
            m.close();
            assertTrue(rec.contains("1 timer(s) were still armed when the machine closed"), rec.messages().toString());
        }
    }

    // ---------------------------------------------------------------------------------------------- failures, input

    @Test
    void aThrowingCallbackIsContainedCountedAndReportedOnce() {
        boot();
        m.bindCurrentThread(0);
        AtomicInteger good = new AtomicInteger();
        TimerList bad = new TimerList(m, () -> {
            throw new IllegalStateException("boom");
        });
        try (LogCapture rec = LogCapture.of("io.kdefer.time")) {
            bad.mod(Duration.ofMillis(1));
            new TimerList(m, good::incrementAndGet).mod(Duration.ofMillis(1));
            m.advance(Duration.ofMillis(1));
            bad.mod(Duration.ofMillis(1));
            m.advance(Duration.ofMillis(1));
            assertEquals(1, rec.count("callback threw"), rec.messages().toString());
        }
        assertEquals(1, good.get(), "the other timer of that tick still ran");
        assertEquals(2, core().failures());
    }

    @Test
    void badInputIsRefused() {
        boot();
        TimerList t = new TimerList(m, () -> { });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.mod(Duration.ofMillis(-1)));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
        assertThrows(NullPointerException.class, () -> t.mod(null));
        assertThrows(NullPointerException.class, () -> new TimerList(m, null));
        assertFalse(t.mod(Duration.ofSeconds(Long.MAX_VALUE)), "a delay past the end of time saturates");
        assertTrue(t.isPending());
        assertTrue(t.delete());
    }

    // ---------------------------------------------------------------------------------------------- NOHZ (THREADED)

    @Test
    void anIdleCpuWithOneFarTimerTicksAHandfulOfTimesAndFiresItOnTime() throws InterruptedException {
        m = machines.threaded();
        Cpus cpus = Services.get(m, Cpus.class);
        Cpu c1 = m.cpu(1);
        long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!cpus.isParked(c1) && System.nanoTime() < settle) {
            Thread.onSpinWait();                              // wait until cpu/1 is idle and parked
        }
        CountDownLatch fired = new CountDownLatch(1);
        AtomicLong firedAt = new AtomicLong();
        m.bindCurrentThread(1);
        long delay = TimeUnit.MILLISECONDS.toNanos(300);
        long ticksBefore = cpus.ticks(c1);
        long armedAt = m.uptime().toNanos();
        new TimerList(m, () -> {
            firedAt.set(m.uptime().toNanos());
            fired.countDown();
        }).mod(Duration.ofNanos(delay));
        assertTrue(fired.await(10, TimeUnit.SECONDS), "the far timer fired");
        long ticks = cpus.ticks(c1) - ticksBefore;
        long late = firedAt.get() - (armedAt + delay);
        assertTrue(late >= 0, "never early: " + late + " ns");
        assertTrue(late < TimeUnit.MILLISECONDS.toNanos(250), "on time (within the first ticks after expiry on a "
                + "loaded 2-core box): " + late / 1000 + " us late");
        assertTrue(ticks < 30, "NOHZ: an idle CPU does not tick every ms; it ticked " + ticks + " times in 300 ms");
    }
}
