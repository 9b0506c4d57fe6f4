/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.cpu.Cpu;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The system queue's shorthands (kernel: schedule_work, schedule_work_on, schedule_delayed_work(_on)): each is the
 * matching call on {@code Workqueues.system()}, with its return value. MANUAL machine; workers are real threads, so
 * every wait is bounded.
 */
@Timeout(30)
class ScheduleWorkTest {
    @RegisterExtension
    final Machines machines = new Machines();

    Machine m;
    Workqueues wqs;

    @BeforeEach
    void boot() {
        m = machines.boot();
        wqs = m.workqueues();
    }

    private static void await(CountDownLatch l) throws InterruptedException {
        assertTrue(l.await(10, TimeUnit.SECONDS), "timed out");
    }

    @Test
    void scheduleWorkQueuesOnTheSystemQueue() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        Work w = new Work(ran::countDown);
        long before = wqs.system().executed();
        assertTrue(wqs.scheduleWork(w), "idle item: this call made it pending");
        await(ran);
        w.flush();
        assertEquals(before + 1, wqs.system().executed(), "it ran on the system queue (\"events\")");
    }

    @Test
    void returnValuesAreQueueWorks() {
        Work w = new Work(() -> { });
        assertFalse(w.disable());
        assertFalse(wqs.scheduleWork(w), "disabled: refused, as queue_work refuses it");
        assertFalse(w.isPending());
        DelayedWork dw = new DelayedWork(() -> { });
        assertTrue(wqs.scheduleDelayedWork(dw, Duration.ofSeconds(1)));
        assertFalse(wqs.scheduleDelayedWork(dw, Duration.ZERO), "timer armed: already pending, first wins");
        assertFalse(wqs.scheduleDelayedWorkOn(0, dw, Duration.ZERO), "still pending");
        assertTrue(dw.cancel());
    }

    @Test
    void scheduleWorkOnRunsOnThatCpusPool() throws Exception {
        AtomicReference<Cpu> where = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(1);
        Work w = new Work(() -> {
            where.set(Cpu.current());
            ran.countDown();
        });
        assertTrue(wqs.scheduleWorkOn(1, w));
        await(ran);
        assertSame(m.cpu(1), where.get(), "a worker of cpu/1's pool (kworker/1:M)");
        assertThrows(IllegalArgumentException.class, () -> wqs.scheduleWorkOn(5, new Work(() -> { })));
    }

    @Test
    void scheduleDelayedWorkFiresAfterItsDelayOnTheSystemQueue() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        DelayedWork dw = new DelayedWork(() -> {
            runs.incrementAndGet();
            ran.countDown();
        });
        long before = wqs.system().executed();
        assertTrue(wqs.scheduleDelayedWork(dw, Duration.ofMillis(5)));
        m.advance(Duration.ofMillis(4));
        assertEquals(0, runs.get(), "never before its delay");
        assertTrue(dw.isPending());
        m.advance(Duration.ofMillis(1));
        await(ran);
        dw.flush();
        assertEquals(before + 1, wqs.system().executed());
        assertThrows(IllegalArgumentException.class, () -> wqs.scheduleDelayedWork(dw, Duration.ofMillis(-1)));
    }

    @Test
    void scheduleDelayedWorkOnRunsOnThatCpu() throws Exception {
        AtomicReference<Cpu> where = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(1);
        DelayedWork dw = new DelayedWork(() -> {
            where.set(Cpu.current());
            ran.countDown();
        });
        assertTrue(wqs.scheduleDelayedWorkOn(1, dw, Duration.ofMillis(2)));
        m.advance(Duration.ofMillis(2));
        await(ran);
        assertSame(m.cpu(1), where.get());
    }

    @Test
    void onAClosedMachineEveryShorthandReturnsFalse() {
        Work w = new Work(() -> { });
        DelayedWork dw = new DelayedWork(() -> { });
        m.close();
        assertFalse(wqs.scheduleWork(w));
        assertFalse(wqs.scheduleWorkOn(0, w));
        assertFalse(wqs.scheduleDelayedWork(dw, Duration.ofMillis(1)));
        assertFalse(wqs.scheduleDelayedWorkOn(1, dw, Duration.ZERO));
        assertFalse(w.isPending() || dw.isPending(), "refused items stay idle");
    }
}
