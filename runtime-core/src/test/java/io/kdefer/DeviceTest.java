/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import io.kdefer.irq.IrqContext;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irq.Irqs;
import io.kdefer.irqwork.IrqWork;
import io.kdefer.tasklet.Tasklet;
import io.kdefer.time.TimerList;
import io.kdefer.workqueue.DelayedWork;
import io.kdefer.workqueue.Work;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Device-managed resources (the kernel's devm_*): what a device owns, the reverse-order release at detach with the
 * _sync semantics, requests after detach, double close, devm_free_irq and a free behind the device's back, atomic
 * context, failing releases, a closed machine. MANUAL machine; IRQ threads and workers are real threads, waited for
 * with latches.
 */
@Timeout(20)
class DeviceTest {
    private static final int LINE = 40;
    private static final long T = 5;

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private Irqs irqs;

    @BeforeEach
    void boot() {
        m = machines.boot();
        irqs = m.irqs();
    }

    private static void await(CountDownLatch l) throws InterruptedException {
        assertTrue(l.await(T, TimeUnit.SECONDS), "timed out");
    }

    private static String detachedMessage(Runnable request) {
        IllegalStateException e = assertThrows(IllegalStateException.class, request::run);
        assertTrue(e.getMessage().contains("device nic0 is detached"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aDeviceListsWhatItOwnsInAcquisitionOrder() {
        Device d = m.device("nic0");
        assertEquals("nic0", d.name());
        assertSame(m, d.machine());
        assertEquals(Device.State.ATTACHED, d.state());
        d.requestIrq(LINE, (irq, dev) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING);
        d.requestThreadedIrq(41, null, (irq, dev) -> IrqReturn.HANDLED, IrqFlags.ONESHOT);
        d.tasklet(() -> { });
        d.timer(() -> { });
        d.work(() -> { });
        d.delayedWork(() -> { });
        d.irqWork(() -> { });
        d.addAction(() -> { });
        assertEquals(List.of("irq 40 (nic0)", "threaded irq 41 (nic0)", "tasklet", "timer", "work", "delayed work",
                "irq_work", "action"), d.resources());
        d.close();
        assertEquals(List.of(), d.resources());
        assertEquals(Device.State.DETACHED, d.state());
        assertFalse(d.isAttached());
    }

    @Test
    void anIrqGetsTheDevicesNameAndTheDeviceAsDevId() {
        AtomicReference<Object> seen = new AtomicReference<>();
        try (Device d = m.device("nic0")) {
            d.requestIrq(LINE, (irq, dev) -> {
                seen.set(dev);
                return IrqReturn.HANDLED;
            }, IrqFlags.TRIGGER_RISING);
            assertEquals(List.of("nic0"), irqs.desc(LINE).names());
            irqs.pulse(LINE);
            m.runUntilIdle();
            assertSame(d, seen.get(), "devm_request_irq's dev_id");
            assertTrue(irqs.procInterrupts().contains("nic0"));
        }
        assertFalse(irqs.desc(LINE).hasAction(), "free_irq at detach");
    }

    @Test
    void detachReleasesInReverseOrderOfAcquisition() {
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        Device d = m.device("nic0");
        d.addAction(() -> order.add("first action; irq still requested: " + irqs.desc(LINE).hasAction()));
        d.requestIrq(LINE, (irq, dev) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING);
        d.addAction(() -> order.add("second action; irq still requested: " + irqs.desc(LINE).hasAction()));
        Work w = d.work(() -> { });
        d.addAction(() -> order.add("third action; work owned: " + d.resources().contains("work")));
        d.close();
        assertEquals(List.of("third action; work owned: false", "second action; irq still requested: true",
                "first action; irq still requested: false"), order,
                "last acquired, first released (devres_release_all walks the list backwards)");
        assertFalse(w.isPending());
    }

    @Test
    void detachRunsWhatIsScheduledAndCancelsWhatIsArmed() throws Exception {
        Device d = m.device("nic0");
        AtomicInteger taskletRuns = new AtomicInteger();
        AtomicInteger timerRuns = new AtomicInteger();
        AtomicInteger delayedRuns = new AtomicInteger();
        AtomicInteger irqWorkRuns = new AtomicInteger();
        Tasklet t = d.tasklet(taskletRuns::incrementAndGet);
        TimerList timer = d.timer(timerRuns::incrementAndGet);
        DelayedWork dw = d.delayedWork(delayedRuns::incrementAndGet);
        IrqWork iw = d.irqWork(irqWorkRuns::incrementAndGet);
        assertTrue(t.schedule());
        timer.mod(Duration.ofSeconds(1));
        assertTrue(m.workqueues().scheduleDelayedWork(dw, Duration.ofSeconds(1)));
        assertTrue(iw.queue());
        d.close();
        assertEquals(1, irqWorkRuns.get(), "irq_work_sync: a queued irq_work runs (MANUAL: detach stepped it)");
        assertFalse(iw.isBusy());
        assertFalse(dw.isPending(), "cancel_delayed_work_sync: the timer deleted, never run");
        assertFalse(timer.isPending(), "del_timer_sync");
        assertEquals(1, taskletRuns.get(), "tasklet_kill runs a scheduled tasklet rather than dropping it");
        assertFalse(t.isScheduled());
        m.advance(Duration.ofSeconds(2));
        assertEquals(0, timerRuns.get());
        assertEquals(0, delayedRuns.get());
    }

    @Test
    void detachWaitsForARunningThreadHandlerAndSeesItsStores() throws Exception {
        Device d = m.device("nic0");
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        int[] y = new int[1];
        d.requestThreadedIrq(LINE, null, (irq, dev) -> {
            inside.countDown();
            try {
                release.await(T, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            y[0] = 42;
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT);
        irqs.pulse(LINE);
        m.runUntilIdle();
        await(inside);
        Thread closer = new Thread(d::close, "closer");
        closer.start();
        while (irqs.desc(LINE).hasAction()) {          // free_irq unlinked the action and waits for the thread
            Thread.onSpinWait();
        }
        assertTrue(closer.isAlive(), "detach waits for the running thread function");
        assertEquals(Device.State.DETACHING, d.state());
        detachedMessage(() -> d.tasklet(() -> { }));
        release.countDown();
        closer.join(T * 1000);
        assertFalse(closer.isAlive());
        assertEquals(42, y[0]);
        assertEquals(Device.State.DETACHED, d.state());
    }

    @Test
    void aSecondCloseWaitsForTheFirstAndAThirdReturnsAtOnce() throws Exception {
        Device d = m.device("nic0");
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        d.requestThreadedIrq(LINE, null, (irq, dev) -> {
            inside.countDown();
            try {
                release.await(T, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT);
        irqs.pulse(LINE);
        m.runUntilIdle();
        await(inside);
        Thread first = new Thread(d::close, "first-closer");
        first.start();
        while (d.state() != Device.State.DETACHING) {
            Thread.onSpinWait();
        }
        Thread me = Thread.currentThread();
        Thread releaser = new Thread(() -> {
            while (me.getState() != Thread.State.WAITING) {     // the second close() waits for the first
                Thread.onSpinWait();
            }
            release.countDown();
        }, "releaser");
        releaser.start();
        d.close();
        assertEquals(Device.State.DETACHED, d.state(), "the second close returned after the detach finished");
        first.join(T * 1000);
        releaser.join(T * 1000);
        d.close();                                            // idempotent
        assertEquals(Device.State.DETACHED, d.state());
    }

    @Test
    void everyRequestAfterDetachIsRefusedAndAcquiresNothing() {
        Device d = m.device("nic0");
        d.close();
        String msg = detachedMessage(() -> d.requestIrq(LINE, (i, x) -> IrqReturn.HANDLED, 0));
        assertTrue(msg.startsWith("devm_request_irq(40): device nic0 is detached (DETACHED)"), msg);
        detachedMessage(() -> d.requestThreadedIrq(LINE, null, (i, x) -> IrqReturn.HANDLED, IrqFlags.ONESHOT));
        detachedMessage(() -> d.requestAnyContextIrq(LINE, (i, x) -> IrqReturn.HANDLED, 0));
        detachedMessage(() -> d.tasklet(() -> { }));
        detachedMessage(() -> d.timer(() -> { }));
        detachedMessage(() -> d.work(() -> { }));
        detachedMessage(() -> d.delayedWork(() -> { }));
        detachedMessage(() -> d.irqWork(() -> { }));
        assertFalse(irqs.desc(LINE).hasAction(), "nothing was requested");
        AtomicInteger ran = new AtomicInteger();
        detachedMessage(() -> d.addAction(ran::incrementAndGet));
        assertEquals(1, ran.get(), "devm_add_action_or_reset: the action runs when it cannot be added");
        assertEquals(List.of(), d.resources());
    }

    @Test
    void freeIrqReleasesOneIrqNowAndDetachDoesNotFreeItAgain() {
        Device d = m.device("nic0");
        d.requestIrq(LINE, (i, x) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING);
        d.requestIrq(41, (i, x) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING, "nic0-tx", "tx");
        assertEquals("nic0", d.freeIrq(LINE));
        assertFalse(irqs.desc(LINE).hasAction());
        assertEquals(List.of("irq 41 (nic0-tx)"), d.resources());
        try (LogCapture log = LogCapture.of("io.kdefer")) {
            assertNull(d.freeIrq(41), "devId this device: not how 41 was requested");
            assertTrue(log.contains("devm_free_irq(41): irq 41 with devId Device[nic0"), log.messages().toString());
            assertEquals("nic0-tx", d.freeIrq(41, "tx"));
            d.close();
            assertFalse(log.contains("Trying to free already-free IRQ"), "detach freed nothing twice");
        }
    }

    @Test
    void freeIrqFromTheLinesOwnThreadIsRefusedAndTheIrqStaysManaged() throws Exception {
        Device d = m.device("nic0");
        AtomicReference<String> refused = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(1);
        d.addAction(() -> { });
        d.requestThreadedIrq(LINE, null, (irq, dev) -> {
            try {
                d.freeIrq(LINE);
            } catch (IllegalStateException e) {
                refused.set(e.getMessage());
            }
            ran.countDown();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT);
        d.addAction(() -> { });
        irqs.pulse(LINE);
        m.runUntilIdle();
        await(ran);
        assertTrue(refused.get().startsWith("free_irq(40) called from the line's own IRQ thread irq/40-nic0"),
                refused.get());
        assertEquals(List.of("action", "threaded irq 40 (nic0)", "action"), d.resources(),
                "still managed, in its place");
        d.close();
        assertFalse(irqs.desc(LINE).hasAction());
    }

    @Test
    void anIrqFreedBehindTheDevicesBackIsReportedAtDetach() {
        Device d = m.device("nic0");
        d.requestIrq(LINE, (i, x) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING);
        assertEquals("nic0", irqs.free(LINE, d));               // the driver's bug: it should use freeIrq
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            d.close();
            assertTrue(log.contains("Trying to free already-free IRQ 40"), log.messages().toString());
        }
        assertEquals(Device.State.DETACHED, d.state());
    }

    @Test
    void detachRefusesAtomicContextAndReleasesNothing() {
        Device d = m.device("nic0");
        AtomicReference<String> refused = new AtomicReference<>();
        d.requestIrq(LINE, (irq, dev) -> {
            try {
                d.close();
            } catch (IllegalStateException e) {
                refused.set(e.getMessage());
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING);
        irqs.pulse(LINE);
        m.runUntilIdle();
        assertTrue(refused.get().startsWith("sleeping function called from hardirq context on cpu/0: detach of"
                + " device nic0"), refused.get());
        assertTrue(d.isAttached());
        assertTrue(irqs.desc(LINE).hasAction());
        d.close();
    }

    @Test
    void aFailingReleaseDoesNotKeepTheOthersFromRunning() {
        Device d = m.device("nic0");
        AtomicInteger ran = new AtomicInteger();
        d.addAction(ran::incrementAndGet);
        d.addAction(() -> {
            throw new IllegalArgumentException("broken release");
        });
        d.requestIrq(LINE, (i, x) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING);
        d.addAction(() -> {
            throw new UnsupportedOperationException("second broken release");
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, d::close);
        assertTrue(e.getMessage().startsWith("detach of device nic0: releasing action failed: second broken"),
                e.getMessage());
        assertEquals(1, e.getSuppressed().length);
        assertEquals("broken release", e.getSuppressed()[0].getMessage());
        assertEquals(1, ran.get());
        assertFalse(irqs.desc(LINE).hasAction());
        assertEquals(Device.State.DETACHED, d.state());
    }

    @Test
    void detachFromTheDevicesOwnWorkReleasesTheRestAndReportsTheDeadlock() throws Exception {
        Device d = m.device("nic0");
        AtomicReference<String> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        d.requestIrq(LINE, (i, x) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING);
        Work[] self = new Work[1];
        self[0] = d.work(() -> {
            try {
                d.close();
            } catch (IllegalStateException e) {
                failure.set(e.getMessage());
            }
            done.countDown();
        });
        d.addAction(() -> { });
        m.workqueues().scheduleWork(self[0]);
        await(done);
        assertTrue(failure.get().startsWith("detach of device nic0: releasing work failed: cancelSync of"),
                failure.get());
        assertTrue(failure.get().contains("from its own function would wait for itself"), failure.get());
        assertFalse(irqs.desc(LINE).hasAction(), "the IRQ was freed all the same");
        assertEquals(Device.State.DETACHED, d.state());
    }

    @Test
    void anyContextIrqThroughADevice() {
        irqs.setNestedThread(100, true);
        try (Device d = m.device("nic0")) {
            assertEquals(IrqContext.THREADED, d.requestAnyContextIrq(100, (i, x) -> IrqReturn.HANDLED, 0));
            assertEquals(IrqContext.HARDIRQ, d.requestAnyContextIrq(LINE, (i, x) -> IrqReturn.HANDLED, 0));
            assertEquals(List.of("nested irq 100 (nic0)", "irq 40 (nic0)"), d.resources());
        }
        assertFalse(irqs.desc(100).hasAction());
        assertFalse(irqs.desc(LINE).hasAction());
    }

    @Test
    void aFailedRequestRecordsNothing() {
        Device d = m.device("nic0");
        irqs.request(LINE, (i, x) -> IrqReturn.HANDLED, 0, "other", null);
        assertThrows(IllegalStateException.class, () -> d.requestIrq(LINE, (i, x) -> IrqReturn.HANDLED, 0));
        assertThrows(NullPointerException.class, () -> d.tasklet(null));
        assertEquals(List.of(), d.resources());
        d.close();
        assertEquals(List.of("other"), irqs.desc(LINE).names(), "detach freed nothing it did not own");
    }

    @Test
    void onAClosedMachine() {
        Device d = m.device("nic0");
        AtomicInteger runs = new AtomicInteger();
        Tasklet t = d.tasklet(runs::incrementAndGet);
        t.disable();
        assertTrue(t.schedule());                    // scheduled and disabled: it can never run once the machine stops
        d.requestIrq(LINE, (i, x) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING);
        m.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.device("nic1"));
        assertTrue(e.getMessage().contains("the machine is closed"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> d.work(() -> { }));
        assertTrue(e.getMessage().contains("the machine is closed"), e.getMessage());
        d.addAction(runs::incrementAndGet);          // bookkeeping only: allowed
        d.close();                                   // never blocks, never throws for what the machine could not run
        assertEquals(Device.State.DETACHED, d.state());
        assertEquals(1, runs.get(), "the action ran; the disabled tasklet never did");
        assertFalse(irqs.desc(LINE).hasAction(), "free_irq still works on a closed machine");
    }

    @Test
    void badNames() {
        assertThrows(NullPointerException.class, () -> m.device(null));
        assertThrows(IllegalArgumentException.class, () -> m.device(" "));
    }

    @Test
    void aThreadedMachineDetachesToo() throws Exception {
        Machine real = machines.threaded();
        CountDownLatch ran = new CountDownLatch(3);
        int[] seen = new int[3];
        Device d = real.device("nic0");
        Tasklet t = d.tasklet(() -> {
            seen[0] = 1;
            ran.countDown();
        });
        Work w = d.work(() -> {
            seen[1] = 1;
            ran.countDown();
        });
        d.requestIrq(LINE, (i, x) -> {
            seen[2] = 1;
            t.schedule();
            real.workqueues().scheduleWork(w);
            ran.countDown();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING);
        real.irqs().pulse(LINE);
        await(ran);
        d.close();
        assertEquals(3, seen[0] + seen[1] + seen[2], "every store of the runs visible after detach");
        assertFalse(t.isScheduled() || w.isPending());
    }
}
