/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.gic.Gic;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irq.Irqs;
import io.kdefer.softirq.Softirq;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * B-CTX-1..7: the {@link CpuContext} predicates, recorded from inside real contexts of a MANUAL machine (hardirq,
 * softirq, hardirq in softirq, pseudo-NMI in hardirq, BH-disabled task, IRQs-disabled task), and
 * {@link CpuContext#mightSleep} refusing in each atomic context.
 */
@Timeout(10)
class CpuContextTest {
    private static final int LINE = 40;      // edge SPI, routed to cpu/0
    private static final int OTHER = 42;     // a second edge SPI
    private static final int NMI_LINE = 41;  // level SPI requested as a pseudo-NMI

    /** The predicates of one context, captured where the code runs. */
    record Ctx(boolean nmi, boolean hardirq, boolean servingSoftirq, boolean softirq, boolean interrupt,
               boolean task, boolean atomic, boolean irqsDisabled, boolean preemptible, int level, Cpu cpu,
               Cpu current) {
        static Ctx now() {
            CpuContext x = CpuContext.current();
            return new Ctx(x.inNmi(), x.inHardirq(), x.inServingSoftirq(), x.inSoftirq(), x.inInterrupt(),
                    x.inTask(), x.inAtomic(), x.irqsDisabled(), x.preemptible(), x.level(), x.cpu(), Cpu.current());
        }
    }

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private Irqs irqs;
    private Gic gic;

    @BeforeEach
    void boot() {
        m = machines.boot();
        irqs = m.irqs();
        gic = m.gic();
    }

    @AfterEach
    void noHandlerOrActionThrew() {
        m.close();                          // first, so that what the close drain runs is checked too
        // An assertion error inside a handler or action would be contained by the CPU: make it visible here.
        for (Softirq v : Softirq.values()) {
            assertEquals(0, m.softirqs().failures(v), v + " action threw");
        }
        for (int line : new int[] {LINE, OTHER, NMI_LINE}) {
            assertEquals(0, irqs.desc(line).failures(), "handler of " + line + " threw");
        }
    }

    private void onLine(int line, Runnable body) {
        irqs.request(line, (irq, dev) -> {
            body.run();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "test" + line, null);
    }

    @Test
    void hardirqHandlerSeesHardirqContextWithIrqsDisabled() {
        AtomicReference<Ctx> seen = new AtomicReference<>();
        onLine(LINE, () -> seen.set(Ctx.now()));
        gic.pulse(LINE);
        assertEquals(1, m.cpu(0).runPending());

        Ctx c = seen.get();
        assertNotNull(c, "the handler did not run");
        assertTrue(c.hardirq(), "B-CTX-1 in_hardirq");
        assertFalse(c.nmi());
        assertFalse(c.servingSoftirq());
        assertFalse(c.softirq());
        assertTrue(c.interrupt(), "B-CTX-3");
        assertFalse(c.task(), "B-CTX-4");
        assertTrue(c.atomic(), "B-CTX-6");
        assertTrue(c.irqsDisabled(), "handlers run with IRQs disabled (B-FLOW-1)");
        assertFalse(c.preemptible());
        assertEquals(2, c.level());
        assertSame(m.cpu(0), c.cpu());
        assertSame(m.cpu(0), c.current());
    }

    @Test
    void softirqActionSeesServingSoftirqWithIrqsEnabled() {
        AtomicReference<Ctx> seen = new AtomicReference<>();
        m.softirqs().open(Softirq.NET_RX, () -> seen.set(Ctx.now()));
        m.softirqs().raiseOn(1, Softirq.NET_RX);
        assertEquals(0, m.cpu(0).runPending(), "raising is local to cpu/1");
        m.cpu(1).runPending();

        Ctx c = seen.get();
        assertNotNull(c, "the action did not run");
        assertTrue(c.servingSoftirq(), "B-CTX-2");
        assertTrue(c.softirq(), "B-CTX-2");
        assertTrue(c.interrupt(), "B-CTX-3");
        assertFalse(c.task(), "B-CTX-4: serving a softirq is not task context");
        assertFalse(c.hardirq());
        assertFalse(c.nmi());
        assertTrue(c.atomic());
        assertFalse(c.irqsDisabled(), "B-SIRQ-8: actions run with IRQs enabled");
        assertEquals(1, c.level());
        assertSame(m.cpu(1), c.cpu());
    }

    @Test
    void hardirqTakenAtCheckpointInsideSoftirqSeesBothBits() {
        List<String> order = new ArrayList<>();
        AtomicReference<Ctx> inHardirq = new AtomicReference<>();
        AtomicReference<Ctx> afterHardirq = new AtomicReference<>();
        onLine(LINE, () -> {
            order.add("hardirq");
            inHardirq.set(Ctx.now());
        });
        m.softirqs().open(Softirq.NET_RX, () -> {
            order.add("action-start");
            gic.pulse(LINE);
            Cpu.checkpoint();
            order.add("action-end");
            afterHardirq.set(Ctx.now());
        });
        m.softirqs().raiseOn(0, Softirq.NET_RX);
        m.cpu(0).runPending();

        assertEquals(List.of("action-start", "hardirq", "action-end"), order,
                "the hardirq is taken at the checkpoint, inside the action");
        Ctx c = inHardirq.get();
        assertTrue(c.hardirq(), "B-CTX-5");
        assertTrue(c.servingSoftirq(), "B-CTX-5: the interrupted softirq's serving bit is still in the word");
        assertTrue(c.softirq());
        assertFalse(c.task());
        assertEquals(2, c.level(), "B-CTX-5: the innermost level");
        // Back in the action: exactly the softirq context it was before.
        Ctx a = afterHardirq.get();
        assertFalse(a.hardirq());
        assertTrue(a.servingSoftirq());
        assertFalse(a.irqsDisabled());
        assertEquals(1, a.level());
    }

    @Test
    void pseudoNmiTakenAtCheckpointInsideHardirqWithIrqsDisabled() {
        List<String> order = new ArrayList<>();
        AtomicReference<Ctx> inNmi = new AtomicReference<>();
        AtomicReference<Ctx> outerAfter = new AtomicReference<>();
        irqs.requestNmi(NMI_LINE, (irq, dev) -> {
            order.add("nmi");
            inNmi.set(Ctx.now());
            gic.deassertLine(NMI_LINE);
            return IrqReturn.HANDLED;
        }, "nmi", null);
        onLine(OTHER, () -> order.add("other"));
        onLine(LINE, () -> {
            order.add("outer-start");
            gic.pulse(OTHER);             // a regular IRQ: masked while IRQs are disabled
            gic.assertLine(NMI_LINE);     // a pseudo-NMI: gets through
            Cpu.checkpoint();
            order.add("outer-end");
            outerAfter.set(Ctx.now());
        });
        gic.pulse(LINE);
        m.cpu(0).runPending();

        assertTrue(outerAfter.get().irqsDisabled());
        assertEquals(List.of("outer-start", "nmi", "outer-end", "other"), order,
                "the NMI nests at the checkpoint; the regular IRQ waits for the handler to return");
        Ctx c = inNmi.get();
        assertTrue(c.nmi(), "B-CTX-1 in_nmi");
        assertTrue(c.hardirq(), "B-CTX-1: in_hardirq is also true inside an NMI");
        assertTrue(c.interrupt());
        assertFalse(c.task());
        assertFalse(c.servingSoftirq());
        assertTrue(c.irqsDisabled());
        assertEquals(3, c.level());
        Ctx o = outerAfter.get();
        assertFalse(o.nmi(), "the NMI's offsets are gone once it returned");
        assertTrue(o.hardirq());
        assertEquals(2, o.level());
        assertEquals(1, m.irqs().desc(NMI_LINE).count(0));
    }

    @Test
    void bhDisabledTaskIsInInterruptAndInTask() {
        m.bindCurrentThread(0);
        Cpu c0 = m.cpu(0);
        assertSame(c0, Cpu.current());
        Ctx before = Ctx.now();
        assertTrue(before.task());
        assertFalse(before.interrupt());
        assertTrue(before.preemptible());
        assertNull(before.cpu(), "a bound thread has its own task-context word");

        c0.localBhDisable();
        Ctx c = Ctx.now();
        assertTrue(c.interrupt(), "B-CTX-3: in_interrupt() with BH disabled");
        assertTrue(c.task(), "B-CTX-3/4: ... and in_task() at the same time");
        assertTrue(c.softirq(), "B-CTX-2: in_softirq() while merely BH-disabled");
        assertFalse(c.servingSoftirq());
        assertFalse(c.hardirq());
        assertTrue(c.atomic());
        assertFalse(c.preemptible());
        assertEquals(0, c.level(), "interrupt_context_level(): still task");

        c0.localBhDisable();
        c0.localBhEnable();
        assertTrue(Ctx.now().softirq(), "nested: one enable leaves BH disabled");
        c0.localBhEnable();
        Ctx after = Ctx.now();
        assertFalse(after.interrupt());
        assertFalse(after.atomic());
        assertTrue(after.preemptible());
        assertThrows(IllegalStateException.class, c0::localBhEnable, "unbalanced local_bh_enable");
    }

    @Test
    void bhDisableNestingIsLimitedTo127() {
        m.bindCurrentThread(1);
        Cpu c1 = m.cpu(1);
        for (int i = 0; i < 127; i++) {
            c1.localBhDisable();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, c1::localBhDisable);
        assertTrue(e.getMessage().contains("B-CTX-7"), e.getMessage());
        for (int i = 0; i < 127; i++) {
            c1.localBhEnable();
        }
        assertTrue(CpuContext.current().preemptible());
    }

    @Test
    void localIrqSaveRestoreNestsAndRestoreIsACheckpoint() {
        List<String> order = new ArrayList<>();
        List<Long> flags = new ArrayList<>();
        onLine(LINE, () -> order.add("hardirq"));
        m.softirqs().open(Softirq.NET_RX, () -> {
            Cpu c = Cpu.current();
            long f1 = c.localIrqSave();
            long f2 = c.localIrqSave();
            flags.add(f1);
            flags.add(f2);
            gic.pulse(LINE);
            Cpu.checkpoint();
            order.add("checkpoint with IRQs disabled");
            c.localIrqRestore(f2);
            order.add("inner restore, IRQs disabled " + CpuContext.current().irqsDisabled());
            c.localIrqRestore(f1);
            order.add("outer restore, IRQs disabled " + CpuContext.current().irqsDisabled());
        });
        m.softirqs().raiseOn(0, Softirq.NET_RX);
        m.cpu(0).runPending();

        assertEquals(List.of(Cpu.IRQS_ENABLED, Cpu.IRQS_DISABLED), flags);
        assertEquals(List.of("checkpoint with IRQs disabled", "inner restore, IRQs disabled true", "hardirq",
                "outer restore, IRQs disabled false"), order,
                "the IRQ is taken at the restore that re-enables interrupts, not before");
    }

    @Test
    void localIrqRestoreRejectsForeignFlagsAndOtherCpus() {
        m.bindCurrentThread(0);
        assertThrows(IllegalArgumentException.class, () -> m.cpu(0).localIrqRestore(7));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.cpu(1).localIrqSave());
        assertTrue(e.getMessage().contains("cpu/1") && e.getMessage().contains("cpu/0"), e.getMessage());
    }

    @Test
    void irqsDisabledTaskIsNotPreemptibleButNotAtomic() {
        m.bindCurrentThread(0);
        long f = m.cpu(0).localIrqSave();
        try {
            Ctx c = Ctx.now();
            assertTrue(c.irqsDisabled());
            assertFalse(c.atomic(), "B-CTX-6: IRQs-off is outside the word");
            assertFalse(c.preemptible(), "B-CTX-6: preemptible() needs IRQs enabled");
            assertTrue(c.task());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> CpuContext.mightSleep("op"));
            assertTrue(e.getMessage().contains("task context with IRQs disabled"), e.getMessage());
        } finally {
            m.cpu(0).localIrqRestore(f);
        }
        CpuContext.mightSleep("op");   // preemptible again: allowed
    }

    @Test
    void levelIsTheInnermostContext() {
        List<Integer> levels = new ArrayList<>();
        irqs.requestNmi(NMI_LINE, (irq, dev) -> {
            levels.add(CpuContext.current().level());
            gic.deassertLine(NMI_LINE);
            return IrqReturn.HANDLED;
        }, "nmi", null);
        onLine(LINE, () -> {
            levels.add(CpuContext.current().level());
            gic.assertLine(NMI_LINE);
            Cpu.checkpoint();
            levels.add(CpuContext.current().level());
        });
        m.softirqs().open(Softirq.NET_RX, () -> {
            levels.add(CpuContext.current().level());
            gic.pulse(LINE);
            Cpu.checkpoint();
            levels.add(CpuContext.current().level());
        });
        levels.add(CpuContext.current().level());
        m.softirqs().raiseOn(0, Softirq.NET_RX);
        m.cpu(0).runPending();
        assertEquals(List.of(0, 1, 2, 3, 2, 1), levels, "task, softirq, hardirq in softirq, NMI in hardirq, back");
    }

    @Test
    void mightSleepRefusesInEveryAtomicContextNamingContextAndCpu() {
        List<String> refused = new ArrayList<>();
        Runnable probe = () -> {
            try {
                CpuContext.mightSleep("test-op");
                refused.add("allowed");
            } catch (IllegalStateException e) {
                refused.add(e.getMessage());
            }
        };
        irqs.requestNmi(NMI_LINE, (irq, dev) -> {
            probe.run();
            gic.deassertLine(NMI_LINE);
            return IrqReturn.HANDLED;
        }, "nmi", null);
        onLine(LINE, () -> {
            probe.run();
            gic.assertLine(NMI_LINE);
            Cpu.checkpoint();
        });
        m.softirqs().open(Softirq.NET_RX, probe);
        irqs.setAffinity(LINE, 1);
        irqs.setAffinity(NMI_LINE, 1);
        gic.pulse(LINE);
        m.cpu(1).runPending();
        m.softirqs().raiseOn(0, Softirq.NET_RX);
        m.cpu(0).runPending();

        assertEquals(List.of(
                "sleeping function called from hardirq context on cpu/1: test-op",
                "sleeping function called from NMI context on cpu/1: test-op",
                "sleeping function called from softirq context on cpu/0: test-op"), refused);
    }

    @Test
    void mightSleepRefusesInBhDisabledTaskAndAllowsPlainTask() {
        CpuContext.mightSleep("unbound application thread");
        m.bindCurrentThread(1);
        CpuContext.mightSleep("bound, preemptible");
        m.cpu(1).localBhDisable();
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> CpuContext.mightSleep("Completion.await"));
            assertTrue(e.getMessage().startsWith("sleeping function called from task context with BH disabled"),
                    e.getMessage());
            assertTrue(e.getMessage().endsWith(": Completion.await"), e.getMessage());
        } finally {
            m.cpu(1).localBhEnable();
        }
    }

    @Test
    void sleepingRuntimeCallsAreRefusedFromSoftirq() {
        AtomicReference<String> refused = new AtomicReference<>();
        onLine(LINE, () -> { });
        m.softirqs().open(Softirq.NET_RX, () -> {
            try {
                irqs.synchronize(LINE);
                refused.set("allowed");
            } catch (IllegalStateException e) {
                refused.set(e.getMessage());
            }
        });
        m.softirqs().raiseOn(0, Softirq.NET_RX);
        m.cpu(0).runPending();
        assertEquals("sleeping function called from softirq context on cpu/0: synchronize_irq", refused.get());
    }

    @Test
    void localBhDisableInHardirqIsReportedOnce() {
        try (LogCapture log = LogCapture.of("io.kdefer.cpu")) {
            AtomicReference<Ctx> seen = new AtomicReference<>();
            onLine(LINE, () -> {
                Cpu c = Cpu.current();
                c.localBhDisable();
                seen.set(Ctx.now());
                c.localBhEnable();
            });
            gic.pulse(LINE);
            m.cpu(0).runPending();
            gic.pulse(LINE);
            m.cpu(0).runPending();
            assertTrue(seen.get().hardirq() && seen.get().softirq(), "BH count nested inside the hardirq word");
            assertEquals(1, log.count("local_bh_disable called from hardirq context"), log.messages().toString());
        }
    }

    @Test
    void contextOfAnUnboundThreadIsItsOwnTaskContext() {
        assertNull(Cpu.current(), "an unbound application thread runs on no CPU");
        CpuContext x = m.cpu(1).context();
        assertSame(CpuContext.current(), x, "context() is the calling thread's context");
        assertNull(x.cpu());
        assertTrue(x.inTask());
        assertTrue(x.preemptible());
        assertEquals("task context", x.describe());
    }
}
