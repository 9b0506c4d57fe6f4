/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * request_any_context_irq and nested-thread lines (B-TI-16): an ordinary line gets a hardirq handler, a nested one
 * (behind a slow-bus expander) a thread function run in its parent's IRQ thread by handle_nested_irq; the argument
 * rules; disabled and unrequested nested lines; synchronize waiting for a nested run. MANUAL mode for the parent's
 * hardirq; the parent's thread is a real thread.
 */
@Timeout(20)
class NestedIrqTest {
    private static final int EXPANDER = 41;     // the expander's own line (a GIC SPI)
    private static final int CHILD = 100;       // a pin of the expander: a nested line
    private static final int PLAIN = 40;

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private Irqs irqs;

    @BeforeEach
    void boot() {
        m = machines.boot();
        irqs = m.irqs();
    }

    /** The expander's driver: a threaded handler that reads the expander "over I2C" and delivers its pins. */
    private void requestExpander(AtomicInteger pending) {
        irqs.setNestedThread(CHILD, true);
        irqs.requestThreaded(EXPANDER, null, (irq, dev) -> {
            while (pending.get() > 0) {
                pending.decrementAndGet();
                irqs.handleNestedIrq(CHILD);
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_HIGH | IrqFlags.ONESHOT, "gpio-expander", null);
    }

    @Test
    void onAnOrdinaryLineTheHandlerRunsInHardirqContext() {
        List<String> where = new ArrayList<>();
        IrqContext k = irqs.requestAnyContext(PLAIN, (irq, dev) -> {
            where.add(Cpu.current() + ": " + CpuContext.current().describe());
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "button", null);
        assertEquals(IrqContext.HARDIRQ, k);
        assertEquals(List.of(), irqs.desc(PLAIN).threadNames());
        irqs.pulse(PLAIN);
        m.runUntilIdle();
        assertEquals(List.of("cpu/0: hardirq context"), where);
    }

    @Test
    void onANestedLineTheHandlerRunsInTheParentsThreadAndMaySleep() throws Exception {
        AtomicInteger pending = new AtomicInteger();
        requestExpander(pending);
        List<String> where = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch ran = new CountDownLatch(2);
        Object dev = new Object();
        IrqContext k = irqs.requestAnyContext(CHILD, (irq, d) -> {
            CpuContext.mightSleep("i2c read");                 // allowed: task context
            where.add(irq + " " + (d == dev) + " " + Thread.currentThread().getName() + ": "
                    + CpuContext.current().describe());
            ran.countDown();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "button", dev);
        assertEquals(IrqContext.THREADED, k);
        IrqDesc child = irqs.desc(CHILD);
        assertTrue(child.isNestedThread());
        assertEquals(List.of(), child.threadNames(), "no thread of its own: it runs in the parent's");

        pending.set(2);                                         // two pin events latched in the expander
        irqs.setLevel(EXPANDER, true);
        m.runUntilIdle();                                      // the expander's hardirq wakes its thread
        irqs.setLevel(EXPANDER, false);
        assertTrue(ran.await(5, TimeUnit.SECONDS));
        irqs.synchronize(EXPANDER);
        irqs.synchronize(CHILD);
        assertEquals(List.of("100 true irq/41-gpio-expander: task context",
                "100 true irq/41-gpio-expander: task context"), where);
        assertEquals(2, child.count(), "counted on the parent thread's CPU");
        assertEquals(2, child.threadRuns());
        assertTrue(irqs.procInterrupts().contains("button"), irqs.procInterrupts());
    }

    @Test
    void aNestedLineNeedsAThreadFunctionAndIsNeverAnNmi() {
        irqs.setNestedThread(CHILD, true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> irqs.request(CHILD, (i, d) -> IrqReturn.HANDLED, 0, "x", null));
        assertTrue(e.getMessage().startsWith("-EINVAL: irq 100 (x) is a nested-thread line"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> irqs.requestNmi(CHILD, (i, d) -> IrqReturn.HANDLED, "x", null));
        assertTrue(e.getMessage().contains("cannot be an NMI"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> irqs.requestThreaded(CHILD, (i, d) -> IrqReturn.HANDLED, null, 0, "x", null));
        assertTrue(e.getMessage().contains("nested-thread line"), e.getMessage());
        assertFalse(irqs.desc(CHILD).hasAction());
    }

    @Test
    void aThreadedRequestOnANestedLineNeedsNoOneshotAndItsPrimaryIsNeverCalled() throws Exception {
        irqs.setNestedThread(CHILD, true);
        AtomicInteger primary = new AtomicInteger();
        AtomicInteger fn = new AtomicInteger();
        irqs.requestThreaded(CHILD, (i, d) -> {
            primary.incrementAndGet();
            return IrqReturn.WAKE_THREAD;
        }, (i, d) -> {
            fn.incrementAndGet();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "pin", null);
        irqs.handleNestedIrq(CHILD);                             // the test thread plays the parent's thread
        assertEquals(0, primary.get());
        assertEquals(1, fn.get());
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            irqs.pulse(CHILD);                                   // raised at the GIC: no device does this
            m.runUntilIdle();
            assertTrue(log.contains("Primary handler called for nested irq 100"), log.messages().toString());
        }
        assertEquals(0, primary.get(), "the requested primary is replaced (irq_nested_primary_handler)");
    }

    @Test
    void markingRules() {
        irqs.request(PLAIN, (i, d) -> IrqReturn.HANDLED, 0, "eth0", null);
        IllegalStateException busy = assertThrows(IllegalStateException.class,
                () -> irqs.setNestedThread(PLAIN, true));
        assertTrue(busy.getMessage().startsWith("-EBUSY: irq 40 has actions"), busy.getMessage());
        IllegalArgumentException percpu = assertThrows(IllegalArgumentException.class,
                () -> irqs.setNestedThread(25, true));
        assertTrue(percpu.getMessage().contains("per-CPU"), percpu.getMessage());
        IllegalArgumentException notNested = assertThrows(IllegalArgumentException.class,
                () -> irqs.handleNestedIrq(PLAIN));
        assertTrue(notNested.getMessage().contains("is not a nested-thread line"), notNested.getMessage());
        irqs.setNestedThread(CHILD, true);
        irqs.setNestedThread(CHILD, false);
        assertEquals(IrqContext.HARDIRQ, irqs.requestAnyContext(CHILD, (i, d) -> IrqReturn.HANDLED, 0, "x", null));
    }

    @Test
    void handleNestedIrqRefusesAtomicContext() {
        irqs.setNestedThread(CHILD, true);
        irqs.requestAnyContext(CHILD, (i, d) -> IrqReturn.HANDLED, 0, "pin", null);
        AtomicReference<String> refused = new AtomicReference<>();
        irqs.request(PLAIN, (i, d) -> {
            try {
                irqs.handleNestedIrq(CHILD);
            } catch (IllegalStateException e) {
                refused.set(e.getMessage());
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "wrong-parent", null);
        irqs.pulse(PLAIN);
        m.runUntilIdle();
        assertTrue(refused.get().startsWith("sleeping function called from hardirq context on cpu/0: "
                + "handle_nested_irq(100)"), refused.get());
        assertEquals(0, irqs.desc(CHILD).count());
    }

    @Test
    void aDisabledOrUnrequestedNestedLineRecordsPendingAndRunsNothing() {
        irqs.setNestedThread(CHILD, true);
        irqs.handleNestedIrq(CHILD);
        assertTrue(irqs.desc(CHILD).isPending(), "no action: recorded");
        AtomicInteger runs = new AtomicInteger();
        irqs.requestAnyContext(CHILD, (i, d) -> {
            runs.incrementAndGet();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "pin", null);
        irqs.disable(CHILD);
        irqs.handleNestedIrq(CHILD);
        assertEquals(0, runs.get());
        assertTrue(irqs.desc(CHILD).isPending());
        irqs.enable(CHILD);
        m.runUntilIdle();
        assertFalse(irqs.desc(CHILD).isPending(), "no parent to replay through: dropped at enable");
        assertEquals(0, runs.get());
        irqs.handleNestedIrq(CHILD);
        assertEquals(1, runs.get());
    }

    @Test
    void synchronizeAndFreeWaitForANestedRun() throws Exception {
        irqs.setNestedThread(CHILD, true);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        int[] y = new int[1];
        irqs.requestAnyContext(CHILD, (i, d) -> {
            inside.countDown();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            y[0] = 7;
            return IrqReturn.HANDLED;
        }, 0, "pin", null);
        Thread parent = new Thread(() -> irqs.handleNestedIrq(CHILD), "parent");
        parent.start();
        assertTrue(inside.await(5, TimeUnit.SECONDS));
        assertEquals(1, irqs.desc(CHILD).threadsActive(), "a nested run counts as a thread run");
        release.countDown();
        irqs.synchronize(CHILD);
        assertEquals(7, y[0], "synchronize returned after the run and sees its store");
        assertEquals("pin", irqs.free(CHILD, null));
        parent.join(5000);
    }
}
