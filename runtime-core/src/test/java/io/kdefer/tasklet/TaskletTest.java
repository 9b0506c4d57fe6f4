/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.tasklet;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.internal.Services;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.softirq.Softirq;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Tasklet} in MANUAL mode: one test (or group) per B-TL behaviour of spec §9 and per property bullet of the
 * javadoc. Where a behaviour needs a second thread (a waiter blocked while a callback runs), the callback itself
 * starts and joins it, so the interleaving is fixed.
 */
@Timeout(20)
class TaskletTest {
    private static final int LINE = Machines.EDGE_LINE;

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private final List<String> log = new ArrayList<>();

    @BeforeEach
    void boot() {
        m = machines.boot();
    }

    private TaskletCore core() {
        return Services.get(m, TaskletCore.class);
    }

    private Tasklet logging(String name) {
        return new Tasklet(m, () -> log.add(name));
    }

    /** Runs {@code body} on a new thread and waits for it; its failure fails the test. */
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

    // ---------------------------------------------------------------------------------------------- B-TL-1, B-TL-2

    @Test
    void scheduleRunsOnceInTaskletSoftirqOnTheSchedulingCpu() {
        m.bindCurrentThread(1);
        AtomicReference<String> where = new AtomicReference<>();
        AtomicInteger runs = new AtomicInteger();
        Tasklet t = new Tasklet(m, () -> {
            runs.incrementAndGet();
            where.set(Cpu.current() + " " + CpuContext.current().describe());
        });
        assertTrue(t.schedule(), "B-TL-1: this call scheduled it");
        assertFalse(t.schedule(), "B-TL-1: already scheduled: coalesced");
        assertTrue(t.isScheduled());
        assertEquals(Softirq.TASKLET.bit(), m.softirqs().pending(1));
        assertEquals(0, m.softirqs().pending(0));
        m.runUntilIdle();
        assertEquals(1, runs.get(), "two schedules before the run: one run");
        assertEquals("cpu/1 softirq context", where.get(), "B-TL-2: on the CPU where it was scheduled");
        assertFalse(t.isScheduled());
        assertFalse(t.isRunning());
        assertEquals(1, m.softirqs().count(1, Softirq.TASKLET));
        assertEquals(0, m.softirqs().count(0, Softirq.TASKLET));
        assertEquals(1, t.runs());
        assertTrue(t.schedule(), "idle again: the next schedule() schedules");
        m.runUntilIdle();
        assertEquals(2, runs.get());
    }

    @Test
    void scheduleHiRunsInHiSoftirq() {
        m.bindCurrentThread(0);
        Tasklet t = logging("hi");
        assertTrue(t.scheduleHi());
        assertFalse(t.scheduleHi());
        assertFalse(t.schedule(), "SCHED is one bit for both priorities");
        assertEquals(Softirq.HI.bit(), m.softirqs().pending(0));
        m.runUntilIdle();
        assertEquals(List.of("hi"), log);
        assertEquals(1, m.softirqs().count(0, Softirq.HI));
        assertEquals(0, m.softirqs().count(0, Softirq.TASKLET));
    }

    @Test
    void eachCpuRunsItsOwnTasklets() {
        AtomicReference<Cpu> ran0 = new AtomicReference<>();
        AtomicReference<Cpu> ran1 = new AtomicReference<>();
        Tasklet a = new Tasklet(m, () -> ran0.set(Cpu.current()));
        Tasklet b = new Tasklet(m, () -> ran1.set(Cpu.current()));
        m.bindCurrentThread(0);
        a.schedule();
        m.bindCurrentThread(1);
        b.schedule();
        m.cpu(1).runPending();
        assertNull(ran0.get(), "cpu/1 does not run cpu/0's tasklets");
        assertEquals(1, ran1.get().id());
        m.cpu(0).runPending();
        assertEquals(0, ran0.get().id());
    }

    @Test
    void fifoPerCpuAcrossHandOverAndLocalScheduling() {
        Tasklet a = logging("a");
        Tasklet b = logging("b");
        Tasklet c = logging("c");
        Tasklet d = logging("d");
        m.irqs().request(LINE, (irq, dev) -> {
            c.schedule();                              // on the CPU's own thread: the local path
            d.schedule();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        m.bindCurrentThread(0);
        a.schedule();                                  // from a task thread: the hand-over path
        b.schedule();
        m.irqs().pulse(LINE);
        m.runUntilIdle();
        assertEquals(List.of("a", "b", "c", "d"), log, "B-TL-2: FIFO by the time of schedule()");
    }

    @Test
    void tasklesScheduledByATaskletRunInALaterPassInOrder() {
        Tasklet b = logging("b");
        Tasklet c = logging("c");
        Tasklet a = new Tasklet(m, () -> {
            log.add("a");
            c.schedule();
            b.schedule();
            log.add("a-end");
        });
        m.bindCurrentThread(0);
        a.schedule();
        m.runUntilIdle();
        assertEquals(List.of("a", "a-end", "c", "b"), log);
        assertEquals(2, m.softirqs().count(0, Softirq.TASKLET), "one pass for a, one for c and b");
    }

    // ---------------------------------------------------------------------------------------------- B-TL-10

    @Test
    void hiTaskletsRunBeforeNetRxAndNormalTaskletsAfterItBeforeSched() {
        m.softirqs().open(Softirq.NET_RX, () -> log.add("NET_RX"));
        m.softirqs().open(Softirq.SCHED, () -> log.add("SCHED"));
        Tasklet hi = logging("hi-tasklet");
        Tasklet normal = logging("tasklet");
        m.bindCurrentThread(0);
        m.softirqs().raise(Softirq.SCHED);
        normal.schedule();
        m.softirqs().raise(Softirq.NET_RX);
        hi.scheduleHi();
        m.runUntilIdle();
        assertEquals(List.of("hi-tasklet", "NET_RX", "tasklet", "SCHED"), log, "B-TL-10: vector order");
    }

    @Test
    void theRuntimeOwnsHiAndTaskletVectors() {
        assertThrows(IllegalArgumentException.class, () -> m.softirqs().open(Softirq.HI, () -> { }));
        assertThrows(IllegalArgumentException.class, () -> m.softirqs().open(Softirq.TASKLET, () -> { }));
    }

    // ---------------------------------------------------------------------------------------------- B-TL-5

    @Test
    void schedClearedBeforeTheCallbackSoItMayRescheduleItself() {
        AtomicInteger runs = new AtomicInteger();
        AtomicReference<String> seen = new AtomicReference<>();
        Tasklet[] self = new Tasklet[1];
        self[0] = new Tasklet(m, () -> {
            if (runs.incrementAndGet() == 1) {
                seen.set("scheduled=" + self[0].isScheduled() + " running=" + self[0].isRunning());
            }
            if (runs.get() < 5) {
                assertTrue(self[0].schedule(), "B-TL-5: SCHED was cleared before the callback");
            }
        });
        m.bindCurrentThread(0);
        self[0].schedule();
        m.runUntilIdle();
        assertEquals("scheduled=false running=true", seen.get());
        assertEquals(5, runs.get(), "each reschedule ran once more, in a later pass");
        assertEquals(5, m.softirqs().count(0, Softirq.TASKLET));
    }

    @Test
    void scheduledOnAnotherCpuWhileRunningItWaitsForRunToClear() {
        AtomicInteger active = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        List<Integer> cpus = new ArrayList<>();
        Tasklet[] t = new Tasklet[1];
        t[0] = new Tasklet(m, () -> {
            if (active.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
            }
            cpus.add(Cpu.current().id());
            if (cpus.size() == 1) {
                // While it runs on cpu/0, another thread schedules it on cpu/1 and steps cpu/1.
                onOtherThread(() -> {
                    m.bindCurrentThread(1);
                    assertTrue(t[0].schedule(), "SCHED was cleared: the schedule succeeds");
                    m.cpu(1).runPending();
                });
                assertEquals(1, core().queued(1), "B-TL-5: cpu/1 requeued it: RUN is held by cpu/0");
                assertTrue(core().requeues() > 10, "it requeued and re-raised, pass after pass");
                assertEquals(Softirq.TASKLET.bit(), m.softirqs().pending(1), "still raised on cpu/1");
            }
            active.decrementAndGet();
        });
        m.bindCurrentThread(0);
        t[0].schedule();
        m.cpu(0).runPending();
        assertEquals(List.of(0), cpus);
        m.runUntilIdle();
        assertEquals(List.of(0, 1), cpus, "B-TL-4: it ran on cpu/1 only after cpu/0 cleared RUN");
        assertEquals(0, overlaps.get());
    }

    // ---------------------------------------------------------------------------------------------- B-TL-6, B-TL-7

    @Test
    void aScheduledDisabledTaskletStaysQueuedAndRunsAfterEnable() {
        m.bindCurrentThread(0);
        Tasklet t = Tasklet.disabled(m, () -> log.add("t"));
        assertTrue(t.isDisabled(), "B-TL-9: DECLARE_TASKLET_DISABLED starts at count 1");
        assertTrue(t.schedule());
        long before = core().requeues();
        m.cpu(0).runPending();                       // bounded: the busy requeue never makes it idle
        assertEquals(List.of(), log);
        assertTrue(t.isScheduled(), "B-TL-6: still scheduled");
        assertTrue(core().requeues() - before > 100, "requeued and re-raised every pass");
        assertEquals(Softirq.TASKLET.bit(), m.softirqs().pending(0), "the vector stays raised");
        assertTrue(m.softirqs().deferrals(0) > 0, "the busy loop ran into the drain budget (ksoftirqd)");
        assertThrows(IllegalStateException.class, m::runUntilIdle, "MANUAL: a busy softirq is named as livelock");
        t.enable();
        m.runUntilIdle();
        assertEquals(List.of("t"), log, "B-TL-6: it runs after enable");
        assertFalse(t.isScheduled());
    }

    @Test
    void enableDoesNotScheduleAndDisablesNest() {
        m.bindCurrentThread(0);
        Tasklet t = logging("t");
        t.disable();
        t.disable();
        t.enable();
        assertTrue(t.isDisabled());
        assertTrue(t.schedule());
        m.cpu(0).runPending();
        assertEquals(List.of(), log, "still disabled once");
        t.enable();
        assertFalse(t.isDisabled());
        m.runUntilIdle();
        assertEquals(List.of("t"), log);
        t.disableNosync();
        t.enable();
        m.runUntilIdle();
        assertEquals(List.of("t"), log, "B-TL-6: enable does not schedule");
        assertEquals(0, m.softirqs().pending(0));
    }

    @Test
    void unbalancedEnableIsRefused() {
        Tasklet t = logging("t");
        IllegalStateException e = assertThrows(IllegalStateException.class, t::enable);
        assertTrue(e.getMessage().contains("unbalanced tasklet_enable"), e.getMessage());
        assertFalse(t.isDisabled(), "the count stays 0");
    }

    @Test
    void disableWaitsForTheRunningCallbackAndNosyncDoesNot() {
        AtomicBoolean disableReturned = new AtomicBoolean();
        AtomicBoolean nosyncReturnedWhileRunning = new AtomicBoolean();
        AtomicInteger runs = new AtomicInteger();
        Tasklet[] t = new Tasklet[1];
        t[0] = new Tasklet(m, () -> {
            if (runs.incrementAndGet() > 1) {
                return;
            }
            onOtherThread(() -> {
                t[0].disableNosync();
                nosyncReturnedWhileRunning.set(t[0].isRunning());
            });
            Thread waiter = new Thread(() -> {
                t[0].disable();
                disableReturned.set(true);
            });
            waiter.start();
            while (waiter.getState() != Thread.State.TIMED_WAITING && waiter.getState() != Thread.State.WAITING) {
                Thread.onSpinWait();                 // the waiter is inside disable(), parked on RUN
            }
            assertFalse(disableReturned.get(), "MO-TL-3: disable() waits while the callback runs");
            assertTrue(waiter.isAlive());
        });
        m.bindCurrentThread(0);
        t[0].schedule();
        m.runUntilIdle();
        assertTrue(nosyncReturnedWhileRunning.get(), "B-TL-7: disableNosync returns while the callback runs");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!disableReturned.get() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(disableReturned.get(), "disable() returned once the callback did");
        assertTrue(t[0].schedule());
        m.cpu(0).runPending();
        assertEquals(1, runs.get(), "disabled twice: it does not run");
        t[0].enable();
        t[0].enable();
        m.runUntilIdle();
        assertEquals(2, runs.get());
    }

    // ---------------------------------------------------------------------------------------------- might_sleep

    @Test
    void disableAndKillAreRefusedInAtomicContext() {
        List<String> refused = new ArrayList<>();
        Tasklet[] t = new Tasklet[1];
        t[0] = new Tasklet(m, () -> {
            try {
                t[0].disable();
            } catch (IllegalStateException e) {
                refused.add(e.getMessage());
            }
            try {
                t[0].kill();
            } catch (IllegalStateException e) {
                refused.add(e.getMessage());
            }
            t[0].disableNosync();                    // allowed in atomic context
            t[0].enable();
        });
        Tasklet other = logging("other");
        m.irqs().request(LINE, (irq, dev) -> {
            try {
                other.kill();
            } catch (IllegalStateException e) {
                refused.add(e.getMessage());
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        m.bindCurrentThread(0);
        t[0].schedule();
        m.irqs().pulse(LINE);
        m.runUntilIdle();
        assertEquals(3, refused.size(), refused.toString());
        assertTrue(refused.get(0).contains("sleeping function called from hardirq context on cpu/0: tasklet_kill"),
                refused.get(0));
        assertTrue(refused.get(1).contains("softirq context on cpu/0: tasklet_disable"), refused.get(1));
        assertTrue(refused.get(2).contains("softirq context on cpu/0: tasklet_kill"), refused.get(2));
        assertFalse(t[0].isDisabled(), "the refused disable() left the count alone");
        Cpu c0 = m.cpu(0);
        c0.localBhDisable();                          // a task thread with BH disabled is atomic too
        try {
            assertThrows(IllegalStateException.class, other::disable);
        } finally {
            c0.localBhEnable();
        }
    }

    // ---------------------------------------------------------------------------------------------- B-TL-8 kill

    @Test
    void killRunsAScheduledTaskletRatherThanDroppingIt() {
        m.bindCurrentThread(1);
        Tasklet t = logging("t");
        t.kill();
        assertEquals(List.of(), log, "an idle tasklet: kill returns at once");
        assertTrue(t.schedule());
        t.kill();
        assertEquals(List.of("t"), log, "B-TL-8 (i): kill ran it (MANUAL: by stepping the machine)");
        assertFalse(t.isScheduled());
        assertFalse(t.isRunning());
        assertEquals(0, m.softirqs().pending(1));
        assertTrue(t.schedule(), "B-TL-8 (iv): it may be scheduled again after kill");
        m.runUntilIdle();
        assertEquals(List.of("t", "t"), log);
    }

    @Test
    void killBreaksASelfReschedulingChain() {
        m.bindCurrentThread(0);
        AtomicInteger runs = new AtomicInteger();
        List<Boolean> reschedules = new ArrayList<>();
        Tasklet[] t = new Tasklet[1];
        t[0] = new Tasklet(m, () -> {
            runs.incrementAndGet();
            reschedules.add(t[0].schedule());
        });
        t[0].schedule();
        m.cpu(0).runPending();                        // bounded: the chain would go on forever
        int before = runs.get();
        assertTrue(before > 100);
        assertTrue(t[0].isScheduled());
        t[0].kill();
        assertEquals(before + 1, runs.get(), "B-TL-8 (iii): one more run, whose reschedule did nothing");
        assertFalse(reschedules.get(reschedules.size() - 1), "schedule() during kill returns false");
        assertFalse(t[0].isScheduled());
        m.runUntilIdle();
        assertEquals(before + 1, runs.get(), "the chain is broken");
    }

    @Test
    void killOfAScheduledDisabledTaskletIsRefusedInManualMode() {
        m.bindCurrentThread(0);
        Tasklet t = Tasklet.disabled(m, () -> log.add("t"));
        t.schedule();
        IllegalStateException e = assertThrows(IllegalStateException.class, t::kill);
        assertTrue(e.getMessage().contains("B-TL-8"), e.getMessage());
        assertTrue(t.isScheduled(), "left as it was");
        assertEquals(0, t.state() & ~(Tasklet.SCHED | Tasklet.RUN), "no kill mark left behind");
        t.enable();
        t.kill();
        assertEquals(List.of("t"), log);
    }

    @Test
    void killWaitsForARunningCallback() {
        AtomicBoolean killReturned = new AtomicBoolean();
        Tasklet[] t = new Tasklet[1];
        Thread[] killer = new Thread[1];
        t[0] = new Tasklet(m, () -> {
            killer[0] = new Thread(() -> {
                t[0].kill();
                killReturned.set(true);
            });
            killer[0].start();
            while (t[0].state() < Tasklet.KILL_UNIT || killer[0].getState() == Thread.State.RUNNABLE) {
                Thread.onSpinWait();                  // the killer owns SCHED and waits for RUN
            }
            assertTrue(t[0].isScheduled(), "kill owns SCHED");
            assertFalse(t[0].schedule(), "schedule() during kill is a no-op");
            assertFalse(killReturned.get(), "kill waits while the callback runs");
        });
        m.bindCurrentThread(0);
        t[0].schedule();
        m.runUntilIdle();
        try {
            killer[0].join(10_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertTrue(killReturned.get());
        assertFalse(t[0].isScheduled());
        assertEquals(0, m.softirqs().pending(0), "the schedule() during kill queued nothing");
    }

    // ---------------------------------------------------------------------------------------------- failures

    @Test
    void aThrowingCallbackIsContainedCountedAndReportedOnce() {
        m.bindCurrentThread(0);
        Tasklet bad = new Tasklet(m, () -> {
            throw new IllegalArgumentException("boom");
        });
        Tasklet good = logging("good");
        try (LogCapture rec = LogCapture.of("io.kdefer.tasklet")) {
            bad.schedule();
            good.schedule();
            m.runUntilIdle();
            bad.schedule();
            m.runUntilIdle();
            assertEquals(1, rec.count("callback threw"), rec.messages().toString());
        }
        assertEquals(List.of("good"), log, "the next tasklet still ran");
        assertEquals(2, bad.failures());
        assertEquals(2, core().failures());
        assertFalse(bad.isRunning(), "RUN cleared after a throwing callback");
        assertTrue(bad.schedule());
    }

    @Test
    void nullCallbackIsRefused() {
        assertThrows(NullPointerException.class, () -> new Tasklet(m, null));
        assertThrows(NullPointerException.class, () -> Tasklet.disabled(m, null));
    }

    // ---------------------------------------------------------------------------------------------- B-TL-11 hotplug

    @Test
    void aDeadCpusTaskletsMoveInOrderToALiveCpu() {
        List<String> where = new ArrayList<>();
        Tasklet d = Tasklet.disabled(m, () -> where.add("d@" + Cpu.current().id()));
        Tasklet a = new Tasklet(m, () -> where.add("a@" + Cpu.current().id()));
        Tasklet b = new Tasklet(m, () -> where.add("b@" + Cpu.current().id()));
        Tasklet h = new Tasklet(m, () -> where.add("h@" + Cpu.current().id()));
        m.bindCurrentThread(1);
        d.schedule();
        m.cpu(1).runPending();                        // d now sits in cpu/1's local FIFO (requeued, disabled)
        a.schedule();                                 // a, b, h on cpu/1's hand-over lists
        b.schedule();
        h.scheduleHi();
        m.unbindCurrentThread();
        assertEquals(4, core().queued(1));
        m.cpu(1).offline();
        assertEquals(0, core().queued(1), "B-TL-11: nothing left on the dead CPU");
        assertEquals(4, core().queued(0));
        d.enable();
        m.runUntilIdle();
        assertEquals(List.of("h@0", "d@0", "a@0", "b@0"), where, "HI first; then the FIFO, then the hand-overs");
        m.cpu(1).online();
    }

    @Test
    void aScheduleThatLandsOnAnOfflineCpuIsMovedToTheCallersCpu() {
        m.cpu(1).offline();
        Tasklet t = logging("t");
        m.bindCurrentThread(0);
        assertTrue(t.schedule(m.cpu(1), TaskletCore.NORMAL), "the race: the CPU was chosen while it was still online");
        assertEquals(0, core().queued(1));
        assertEquals(1, core().queued(0));
        m.runUntilIdle();
        assertEquals(List.of("t"), log);
        m.cpu(1).online();
    }

    // ---------------------------------------------------------------------------------------------- close

    @Test
    void closeReportsADisabledScheduledTaskletInsteadOfSpinning() {
        m.bindCurrentThread(0);
        Tasklet t = Tasklet.disabled(m, () -> log.add("t"));
        Tasklet u = logging("u");
        t.schedule();
        u.schedule();
        try (LogCapture rec = LogCapture.of("io.kdefer")) {
            m.unbindCurrentThread();
            m.close();
            assertTrue(rec.contains("1 tasklet(s) were still scheduled when the machine closed"),
                    rec.messages().toString());
            assertFalse(rec.contains("did not become idle"), rec.messages().toString());
        }
        assertEquals(List.of("u"), log, "what could run ran");
    }

    @Test
    void softirqTableCountsTaskletVectors() {
        m.bindCurrentThread(1);
        logging("a").scheduleHi();
        logging("b").schedule();
        m.runUntilIdle();
        String table = m.stats().softirqs();
        assertTrue(table.matches("(?s).*\\n +HI: +0 +1\\n.*"), table);
        assertTrue(table.matches("(?s).*\\n +TASKLET: +0 +1\\n.*"), table);
        assertNotEquals(0, core().runs());
    }
}
