/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Machines;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.gic.Gic;
import io.kdefer.gic.Trigger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Forced interrupt threading (B-TI-12, the kernel's threadirqs, {@code MachineConfig.forceThreadedIrqs}) and
 * {@link IrqFlags#NO_THREAD}: which actions are forced, the context the forced handler runs in, ONESHOT masking,
 * the secondary thread of a primary + thread pair, sharing with NO_THREAD, free. MANUAL mode: hardirqs run when
 * the test steps the CPUs; IRQ threads are real threads, waited for with latches and {@code synchronize}.
 */
@Timeout(20)
class ForcedThreadingTest {
    private static final int LINE = 40;
    private static final int PPI = 25;

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private Irqs irqs;

    private void boot(boolean forced) {
        boot(b -> b.forceThreadedIrqs(forced));
    }

    private void boot(Consumer<MachineConfig.Builder> config) {
        m = machines.boot(config);
        irqs = m.irqs();
    }

    /** Records the thread and context of each run; counts runs. */
    static final class Recorder implements IrqHandler {
        final List<String> where = Collections.synchronizedList(new ArrayList<>());
        final List<String> sleepRefusals = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger runs = new AtomicInteger();
        final CountDownLatch ran = new CountDownLatch(1);
        volatile IrqReturn result = IrqReturn.HANDLED;

        @Override
        public IrqReturn handle(int irq, Object devId) {
            CpuContext x = CpuContext.current();
            String t = Thread.currentThread().getName();
            // a MANUAL machine's CPU runs on the stepping thread: name the CPU then
            String who = t.startsWith("irq/") ? t : String.valueOf(Cpu.current());
            where.add(who + ": " + x.describe() + (x.irqsDisabled() ? ", IRQs off" : ""));
            try {
                CpuContext.mightSleep("msleep");
            } catch (IllegalStateException e) {
                sleepRefusals.add(e.getMessage());
            }
            runs.incrementAndGet();
            ran.countDown();
            return result;
        }

        void awaitRun() throws InterruptedException {
            assertTrue(ran.await(5, TimeUnit.SECONDS), "the handler did not run");
        }
    }

    private void pulseAndRun() {
        irqs.pulse(LINE);
        m.runUntilIdle();
    }

    @Test
    void withoutForcedThreadingAHandlerRunsInHardirqContext() throws Exception {
        boot(false);
        Recorder h = new Recorder();
        irqs.request(LINE, h, IrqFlags.TRIGGER_RISING, "eth0", null);
        assertFalse(irqs.forcesThreading());
        assertEquals(List.of(), irqs.desc(LINE).threadNames());
        pulseAndRun();
        h.awaitRun();
        assertTrue(h.where.get(0).startsWith("cpu/0: hardirq context"), h.where.toString());
    }

    @Test
    void aForcedHandlerRunsInItsThreadWithBhAndIrqsDisabledAndTheLineMaskedUntilItRan() throws Exception {
        boot(true);
        Recorder h = new Recorder();
        CountDownLatch release = new CountDownLatch(1);
        IrqHandler holding = (irq, dev) -> {
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return h.handle(irq, dev);
        };
        irqs.request(LINE, holding, IrqFlags.TRIGGER_HIGH, "eth0", null);
        IrqDesc d = irqs.desc(LINE);
        assertTrue(irqs.forcesThreading());
        assertTrue(d.isForcedThreaded());
        assertEquals(List.of("irq/40-eth0"), d.threadNames(), "a thread, as for request_threaded_irq");
        irqs.setLevel(LINE, true);
        m.runUntilIdle();
        assertTrue(d.isMasked(), "ONESHOT (forced): masked from the hardirq until the thread ran");
        assertEquals(1, d.threadsActive());
        irqs.setLevel(LINE, false);          // the handler "services the device"
        release.countDown();
        h.awaitRun();
        irqs.synchronize(LINE);
        assertFalse(d.isMasked(), "the thread's finalize unmasked it");
        assertEquals(List.of("irq/40-eth0: task context with BH disabled, IRQs off"), h.where);
        assertEquals(1, h.sleepRefusals.size(), "a handler written for hardirq context still must not sleep");
        assertTrue(h.sleepRefusals.get(0).startsWith("sleeping function called from task context with BH disabled"
                + " on thread irq/40-eth0"), h.sleepRefusals.get(0));
        assertEquals(1, d.count(), "the interrupt itself was counted by the hardirq");
        assertEquals(1, d.threadRuns());
    }

    @Test
    void noThreadKeepsAHandlerInHardirqContext() throws Exception {
        boot(true);
        Recorder h = new Recorder();
        irqs.request(LINE, h, IrqFlags.TRIGGER_RISING | IrqFlags.NO_THREAD, "timer", null);
        assertFalse(irqs.desc(LINE).isForcedThreaded());
        assertEquals(List.of(), irqs.desc(LINE).threadNames());
        pulseAndRun();
        h.awaitRun();
        assertTrue(h.where.get(0).startsWith("cpu/0: hardirq context"), h.where.toString());
    }

    @Test
    void oneshotRequestsAndTheDefaultPrimaryAreNotForced() throws Exception {
        boot(true);
        Recorder primary = new Recorder();
        primary.result = IrqReturn.WAKE_THREAD;
        Recorder fn = new Recorder();
        irqs.requestThreaded(LINE, primary, fn, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "oneshot", null);
        assertFalse(irqs.desc(LINE).isForcedThreaded(), "irq_setup_forced_threading skips ONESHOT actions");
        assertEquals(List.of("irq/40-oneshot"), irqs.desc(LINE).threadNames(), "no secondary");
        pulseAndRun();
        fn.awaitRun();
        irqs.synchronize(LINE);
        assertTrue(primary.where.get(0).startsWith("cpu/0: hardirq context"), primary.where.toString());
        irqs.free(LINE, null);

        Recorder only = new Recorder();
        irqs.requestThreaded(LINE, null, only, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "default", null);
        assertFalse(irqs.desc(LINE).isForcedThreaded(), "already threaded: the default primary stays");
        assertEquals(List.of("irq/40-default"), irqs.desc(LINE).threadNames());
    }

    @Test
    void aPrimaryWithAThreadFunctionGetsASecondaryThread() throws Exception {
        boot(true);
        Recorder primary = new Recorder();
        primary.result = IrqReturn.WAKE_THREAD;
        Recorder fn = new Recorder();
        irqs.requestThreaded(LINE, primary, fn, IrqFlags.TRIGGER_RISING, "nic", null);
        IrqDesc d = irqs.desc(LINE);
        assertEquals(List.of("irq/40-nic", "irq/40-s-nic"), d.threadNames());
        assertEquals(Thread.MAX_PRIORITY - 1, d.actions[0].secondary.thread.getPriority(),
                "the secondary runs one priority below (B-TI-4)");
        pulseAndRun();
        fn.awaitRun();
        irqs.synchronize(LINE);
        assertEquals(List.of("irq/40-nic: task context with BH disabled, IRQs off"), primary.where);
        assertEquals(List.of("irq/40-s-nic: task context"), fn.where, "the thread function as requested: may sleep");
        assertEquals(List.of(), fn.sleepRefusals);
        assertEquals(2, d.threadRuns(), "one run of each thread");
        assertEquals(0, d.threadsActive(), "synchronize waited for the secondary too");
        assertTrue(irqs.procInterrupts().contains("[threads: irq/40-nic, irq/40-s-nic; 2 runs]"),
                irqs.procInterrupts());
    }

    @Test
    void theSecondaryRunsOnlyWhenTheForcedPrimaryAsksForIt() throws Exception {
        boot(true);
        Recorder primary = new Recorder();
        primary.result = IrqReturn.HANDLED;
        Recorder fn = new Recorder();
        irqs.requestThreaded(LINE, primary, fn, IrqFlags.TRIGGER_RISING, "nic", null);
        pulseAndRun();
        primary.awaitRun();
        irqs.synchronize(LINE);
        assertEquals(0, fn.runs.get(), "HANDLED: nothing for the secondary");
        assertEquals(1, irqs.desc(LINE).threadsHandled(), "the forced primary's HANDLED counts for the spurious "
                + "detector (B-SPUR-4)");
    }

    @Test
    void aNoThreadActionAndAForcedOneCannotShareALine() {
        boot(true);
        irqs.request(LINE, (i, d) -> IrqReturn.HANDLED, IrqFlags.SHARED | IrqFlags.TRIGGER_HIGH
                | IrqFlags.NO_THREAD, "timer", "a");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> irqs.request(LINE,
                (i, d) -> IrqReturn.HANDLED, IrqFlags.SHARED | IrqFlags.TRIGGER_HIGH, "eth0", "b"));
        assertTrue(e.getMessage().startsWith("-EBUSY: Flags mismatch irq 40."), e.getMessage());
        irqs.free(LINE, "a");

        irqs.request(LINE, (i, d) -> IrqReturn.HANDLED, IrqFlags.SHARED | IrqFlags.TRIGGER_HIGH, "eth0", "a");
        irqs.request(LINE, (i, d) -> IrqReturn.HANDLED, IrqFlags.SHARED | IrqFlags.TRIGGER_HIGH, "eth1", "b");
        assertEquals(List.of("irq/40-eth0", "irq/40-eth1"), irqs.desc(LINE).threadNames(),
                "two forced sharers: both ONESHOT, one oneshot bit each");
    }

    @Test
    void perCpuAndNmiLinesAreNeverForced() throws Exception {
        boot(true);
        Recorder percpu = new Recorder();
        m.gic().configure(PPI, Trigger.EDGE_RISING, Gic.PRIORITY_IRQ);
        irqs.requestPercpu(PPI, percpu, "ppi", null);
        assertEquals(List.of(), irqs.desc(PPI).threadNames());
        m.gic().pulse(PPI, 1);
        m.runUntilIdle();
        percpu.awaitRun();
        assertTrue(percpu.where.get(0).startsWith("cpu/1: hardirq context"), percpu.where.toString());

        Recorder nmi = new Recorder();
        m.gic().configure(41, Trigger.EDGE_RISING, Gic.PRIORITY_IRQ);
        irqs.requestNmi(41, nmi, "watchdog", null);
        assertEquals(List.of(), irqs.desc(41).threadNames());
        irqs.pulse(41);
        m.runUntilIdle();
        nmi.awaitRun();
        assertTrue(nmi.where.get(0).startsWith("cpu/0: NMI context"), nmi.where.toString());
    }

    @Test
    void freeStopsTheForcedThreadAndItsSecondary() {
        boot(true);
        irqs.requestThreaded(LINE, (i, d) -> IrqReturn.WAKE_THREAD, (i, d) -> IrqReturn.HANDLED,
                IrqFlags.TRIGGER_RISING, "nic", "dev");
        IrqAction a = irqs.desc(LINE).actions[0];
        IrqThread primary = a.thread;
        IrqThread secondary = a.secondary.thread;
        assertEquals("nic", irqs.free(LINE, "dev"));
        assertFalse(primary.isAlive(), "free joined irq/40-nic");
        assertFalse(secondary.isAlive(), "free joined irq/40-s-nic");
        assertFalse(irqs.desc(LINE).hasAction());
    }

    @Test
    void freeWaitsForAForcedRunAndTheSecondaryItWoke() throws Exception {
        boot(true);
        CountDownLatch hold = new CountDownLatch(1);
        AtomicInteger primaryRuns = new AtomicInteger();
        Recorder fn = new Recorder();
        irqs.requestThreaded(LINE, (i, d) -> {
            primaryRuns.incrementAndGet();
            try {
                hold.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return IrqReturn.WAKE_THREAD;
        }, fn, IrqFlags.TRIGGER_RISING, "nic", "dev");
        pulseAndRun();                                  // the forced primary runs, held
        Thread releaser = new Thread(() -> {
            while (irqs.desc(LINE).hasAction()) {       // free unlinks the action first, then waits for the threads
                Thread.onSpinWait();
            }
            hold.countDown();
        });
        releaser.start();
        assertEquals("nic", irqs.free(LINE, "dev"));     // waits for the run, which wakes the secondary, then both end
        releaser.join(5000);
        fn.awaitRun();
        assertEquals(1, primaryRuns.get());
        assertEquals(1, fn.runs.get(), "free waited for threads_active == 0: the secondary's run too (B-TI-14)");
        assertEquals(0, irqs.desc(LINE).threadsActive());
    }
}
