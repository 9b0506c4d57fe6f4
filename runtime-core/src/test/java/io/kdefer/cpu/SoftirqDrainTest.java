/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Machines;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Services;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.softirq.Softirq;
import io.kdefer.softirq.Softirqs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The softirq drain that the CPU loop implements (spec §8): processing points (B-SIRQ-3), bit order (B-SIRQ-5),
 * the restart budget (B-SIRQ-6), raises during a pass (B-SIRQ-7), hardirqs between actions (B-SIRQ-8), count
 * leaks (B-SIRQ-9), throwing actions, and the livelock report of {@code runUntilIdle}. MANUAL mode throughout.
 */
@Timeout(10)
class SoftirqDrainTest {
    private static final int LINE = 40;

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private Softirqs s;
    private Cpus cpus;
    private final List<String> log = new ArrayList<>();

    private void boot(Consumer<MachineConfig.Builder> config) {
        m = machines.boot(config);
        s = m.softirqs();
        cpus = Services.get(m, Cpus.class);
    }

    private void boot() {
        boot(b -> { });
    }

    /** Opens {@code v} with an action that logs its name, then runs {@code then}. */
    private void open(Softirq v, Runnable then) {
        s.open(v, () -> {
            log.add(v.name());
            then.run();
        });
    }

    private void open(Softirq v) {
        open(v, () -> { });
    }

    /** An edge SPI on cpu/0 whose handler logs "hardirq" and runs {@code body}. */
    private void line(Runnable body) {
        m.irqs().request(LINE, (irq, dev) -> {
            log.add("hardirq");
            body.run();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
    }

    private long ksoftirqdRuns(int cpu) {
        return s.ksoftirqdRuns(cpu);
    }

    /** Runs {@code body} as the executing thread of {@code cpu}, in its task context (the CPU loop's level). */
    private static void onCpuThread(Cpu cpu, Runnable body) {
        cpu.enterManual();
        try {
            body.run();
        } finally {
            cpu.exitManual();
        }
    }

    // ------------------------------------------------------------------------------------ B-SIRQ-3 processing points

    @Test
    void irqExitRunsSoftirqsRaisedByTheHandler() {
        boot();
        AtomicReference<String> ctx = new AtomicReference<>();
        open(Softirq.NET_RX, () -> ctx.set(CpuContext.current().describe()));
        line(() -> {
            s.raise(Softirq.NET_RX);
            log.add("handler-end");
        });
        m.gic().pulse(LINE);
        m.cpu(0).runPending();

        assertEquals(List.of("hardirq", "handler-end", "NET_RX"), log);
        assertEquals("softirq context", ctx.get());
        assertEquals(0, ksoftirqdRuns(0), "B-SIRQ-3a: run at irq exit, not left to ksoftirqd");
        assertEquals(0, s.pending(0));
        assertEquals(1, s.count(0, Softirq.NET_RX));
        assertEquals(0, s.count(1, Softirq.NET_RX), "B-SIRQ-2: raising is local");
    }

    @Test
    void ksoftirqdPhaseRunsWhatWasRaisedFromOutside() {
        boot();
        open(Softirq.NET_RX);
        s.raiseOn(1, Softirq.NET_RX);
        assertEquals(Softirq.NET_RX.bit(), s.pending(1));
        assertTrue(log.isEmpty(), "nothing runs until the CPU is stepped");
        m.cpu(1).runPending();
        assertEquals(List.of("NET_RX"), log);
        assertEquals(1, ksoftirqdRuns(1), "B-SIRQ-3d: the ksoftirqd phase");
        assertEquals(0, s.pending(1));
    }

    @Test
    void outermostLocalBhEnableOnTheCpuThreadRunsPendingSoftirqs() {
        boot();
        AtomicReference<String> ctx = new AtomicReference<>();
        open(Softirq.NET_RX, () -> ctx.set(CpuContext.current().describe()));
        Cpu c0 = m.cpu(0);
        onCpuThread(c0, () -> {
            c0.localBhDisable();
            c0.localBhDisable();
            s.raise(Softirq.NET_RX);
            c0.localBhEnable();
            log.add("inner enable");
            c0.localBhEnable();
            log.add("outer enable");
        });
        assertEquals(List.of("inner enable", "NET_RX", "outer enable"), log,
                "B-SIRQ-3b: only the enable that brings the BH count to 0 runs them, before it returns");
        assertEquals("softirq context", ctx.get());
        assertEquals(0, ksoftirqdRuns(0));
        assertEquals(0, s.pending(0));
    }

    @Test
    void localBhEnableInsideAHardirqHandlerIsNotAProcessingPoint() {
        boot();
        open(Softirq.NET_RX);
        line(() -> {
            Cpu c = Cpu.current();
            c.localBhDisable();
            s.raise(Softirq.NET_RX);
            c.localBhEnable();
            log.add("handler-end");
        });
        m.gic().pulse(LINE);
        m.cpu(0).runPending();
        assertEquals(List.of("hardirq", "handler-end", "NET_RX"), log, "run at irq exit, not inside the handler");
        assertEquals(0, ksoftirqdRuns(0));
    }

    @Test
    void localBhEnableInsideASoftirqActionDoesNotNest() {
        boot();
        open(Softirq.BLOCK);
        open(Softirq.NET_RX, () -> {
            Cpu c = Cpu.current();
            c.localBhDisable();
            s.raise(Softirq.BLOCK);
            c.localBhEnable();
            log.add("NET_RX-end");
        });
        s.raiseOn(0, Softirq.NET_RX);
        m.cpu(0).runPending();
        assertEquals(List.of("NET_RX", "NET_RX-end", "BLOCK"), log, "B-SIRQ-4: no nesting on a CPU");
    }

    @Test
    void localBhEnableOnABoundTaskThreadLeavesTheRunToTheCpu() {
        boot();
        AtomicReference<Cpu> ranOn = new AtomicReference<>();
        open(Softirq.NET_RX, () -> ranOn.set(Cpu.current()));
        m.bindCurrentThread(1);
        Cpu c1 = m.cpu(1);
        c1.localBhDisable();
        s.raise(Softirq.NET_RX);
        c1.localBhEnable();
        assertTrue(log.isEmpty(), "a task thread never runs the CPU's softirqs itself");
        assertEquals(Softirq.NET_RX.bit(), s.pending(1), "B-SIRQ-2: raised on the bound CPU");
        m.unbindCurrentThread();
        m.cpu(1).runPending();
        assertEquals(List.of("NET_RX"), log);
        assertEquals(m.cpu(1), ranOn.get());
    }

    // ------------------------------------------------------------------------------------ B-SIRQ-5 order

    @Test
    void vectorsRunInAscendingBitOrder() {
        boot();
        Softirq[] opened = {Softirq.NET_TX, Softirq.NET_RX, Softirq.BLOCK, Softirq.IRQ_POLL, Softirq.SCHED,
                Softirq.HRTIMER, Softirq.RCU};
        for (Softirq v : opened) {
            open(v);
        }
        line(() -> {
            for (int i = opened.length - 1; i >= 0; i--) {
                s.raise(opened[i]);
            }
        });
        m.gic().pulse(LINE);
        m.cpu(0).runPending();
        assertEquals(List.of("hardirq", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "SCHED", "HRTIMER", "RCU"), log);
    }

    // ------------------------------------------------------------------------------------ B-SIRQ-7

    @Test
    void vectorRaisedDuringAPassRunsInTheNextPassEvenIfItsBitIsHigher() {
        boot();
        AtomicBoolean again = new AtomicBoolean(true);
        open(Softirq.NET_TX, () -> {
            s.raise(Softirq.NET_RX);      // bit 3: above NET_TX, below BLOCK which is in this pass
            s.raise(Softirq.RCU);         // bit 9: above everything in this pass
            if (again.getAndSet(false)) {
                s.raise(Softirq.NET_TX);  // itself
            }
        });
        open(Softirq.NET_RX);
        open(Softirq.BLOCK);
        open(Softirq.RCU);
        line(() -> {
            s.raise(Softirq.BLOCK);
            s.raise(Softirq.NET_TX);
        });
        m.gic().pulse(LINE);
        m.cpu(0).runPending();
        assertEquals(List.of("hardirq", "NET_TX", "BLOCK", "NET_TX", "NET_RX", "RCU", "NET_RX", "RCU"), log,
                "pass 1 = the snapshot {NET_TX, BLOCK}: NET_RX and RCU, raised by NET_TX, wait although BLOCK runs; "
                        + "pass 2 = {NET_TX, NET_RX, RCU}; NET_TX raises NET_RX and RCU again for pass 3");
        assertEquals(0, ksoftirqdRuns(0), "3 passes fit the budget of one drain");
    }

    // ------------------------------------------------------------------------------------ B-SIRQ-6 budget

    /** A NET_RX action that re-raises itself until it ran {@code total} times, logging ksoftirqd phases seen. */
    private List<Long> selfRaising(int total) {
        List<Long> phaseOfRun = new ArrayList<>();
        AtomicInteger runs = new AtomicInteger();
        s.open(Softirq.NET_RX, () -> {
            phaseOfRun.add(ksoftirqdRuns(0));
            if (runs.incrementAndGet() < total) {
                s.raise(Softirq.NET_RX);
            }
        });
        line(() -> s.raise(Softirq.NET_RX));
        return phaseOfRun;
    }

    private static long runsIn(List<Long> phaseOfRun, long phase) {
        return phaseOfRun.stream().filter(p -> p == phase).count();
    }

    @Test
    void aDrainRunsAtMostTenPassesThenLeavesTheRestToKsoftirqd() {
        boot();
        List<Long> phaseOfRun = selfRaising(25);
        m.gic().pulse(LINE);
        m.cpu(0).runPending();

        assertEquals(25, phaseOfRun.size());
        assertEquals(10, runsIn(phaseOfRun, 0), "the irq-exit drain: exactly 10 passes (B-SIRQ-6)");
        assertEquals(10, runsIn(phaseOfRun, 1), "the first ksoftirqd run: again at most 10 passes");
        assertEquals(5, runsIn(phaseOfRun, 2), "the rest");
        assertEquals(2, s.deferrals(0), "two drains ran out of budget");
        assertEquals(0, s.deferrals(1));
        assertEquals(0, s.pending(0));
        assertTrue(m.stats().softirqs().matches("(?s).*ksoftirqd:\\s+2\\s+0.*"), m.stats().softirqs());
    }

    @Test
    void exactlyTenPassesDoNotDefer() {
        boot();
        List<Long> phaseOfRun = selfRaising(10);
        m.gic().pulse(LINE);
        m.cpu(0).runPending();
        assertEquals(10, runsIn(phaseOfRun, 0));
        assertEquals(10, phaseOfRun.size());
        assertEquals(0, s.deferrals(0), "the tenth pass left nothing pending");
        assertEquals(0, ksoftirqdRuns(0));
    }

    @Test
    void softirqMaxRestartIsConfigurable() {
        boot(b -> b.softirqMaxRestart(3));
        List<Long> phaseOfRun = selfRaising(7);
        m.gic().pulse(LINE);
        m.cpu(0).runPending();
        assertEquals(3, runsIn(phaseOfRun, 0));
        assertEquals(3, runsIn(phaseOfRun, 1));
        assertEquals(1, runsIn(phaseOfRun, 2));
        assertEquals(2, s.deferrals(0));
        assertThrows(IllegalArgumentException.class, () -> MachineConfig.builder().softirqMaxRestart(0));
    }

    // ------------------------------------------------------------------------------------ B-SIRQ-6 time budget

    /**
     * A NET_RX action that takes {@code nanos} of virtual time per run (it moves the MANUAL clock, as a run that long
     * would) and re-raises itself until it ran {@code total} times; logs the ksoftirqd phase of each run.
     */
    private List<Long> selfRaisingTaking(int total, long nanos) {
        Tick tick = ((CpuSet) cpus).tick;
        List<Long> phaseOfRun = new ArrayList<>();
        AtomicInteger runs = new AtomicInteger();
        s.open(Softirq.NET_RX, () -> {
            phaseOfRun.add(ksoftirqdRuns(0));
            tick.setVirtualNanos(tick.virtualNanos() + nanos);
            if (runs.incrementAndGet() < total) {
                s.raise(Softirq.NET_RX);
            }
        });
        line(() -> s.raise(Softirq.NET_RX));
        return phaseOfRun;
    }

    @Test
    void aDrainStopsAfterTwoMillisecondsAndLeavesTheRestToKsoftirqd() {
        boot();
        List<Long> phaseOfRun = selfRaisingTaking(5, 1_000_000);
        m.gic().pulse(LINE);
        m.cpu(0).runPending();

        assertEquals(5, phaseOfRun.size());
        assertEquals(2, runsIn(phaseOfRun, 0), "the irq-exit drain: 2 passes of 1 ms fill its 2 ms (K-SIRQ)");
        assertEquals(2, runsIn(phaseOfRun, 1), "each ksoftirqd run has its own 2 ms");
        assertEquals(1, runsIn(phaseOfRun, 2), "the rest");
        assertEquals(2, s.deferrals(0), "two drains ran out of time, none out of passes");
        assertEquals(0, s.pending(0));
    }

    @Test
    void theTimeBudgetEndsADrainLongBeforeTenPasses() {
        boot();
        List<Long> phaseOfRun = selfRaisingTaking(12, 400_000);
        m.gic().pulse(LINE);
        m.cpu(0).runPending();

        assertEquals(12, phaseOfRun.size());
        assertEquals(5, runsIn(phaseOfRun, 0), "5 passes of 0.4 ms reach 2 ms: the time budget, not the 10 passes");
        assertEquals(5, runsIn(phaseOfRun, 1));
        assertEquals(2, runsIn(phaseOfRun, 2));
        assertEquals(2, s.deferrals(0));
    }

    @Test
    void theTimeBudgetIsCheckedBetweenPassesAndNeverCutsAPassShort() {
        boot();
        Tick tick = ((CpuSet) cpus).tick;
        AtomicInteger again = new AtomicInteger(2);
        for (Softirq v : new Softirq[] {Softirq.NET_TX, Softirq.NET_RX}) {
            s.open(v, () -> {
                log.add(v.name() + "@" + ksoftirqdRuns(0));
                tick.setVirtualNanos(tick.virtualNanos() + 1_500_000);     // 1.5 ms each: one pass takes 3 ms
                if (again.getAndDecrement() > 0) {
                    s.raise(v);
                }
            });
        }
        line(() -> {
            s.raise(Softirq.NET_TX);
            s.raise(Softirq.NET_RX);
        });
        m.gic().pulse(LINE);
        m.cpu(0).runPending();

        assertEquals(List.of("hardirq", "NET_TX@0", "NET_RX@0", "NET_TX@1", "NET_RX@1"), log,
                "the whole first pass runs although it overran 2 ms; what it raised waits for ksoftirqd");
        assertEquals(1, s.deferrals(0));
    }

    @Test
    void softirqMaxTimeIsConfigurable() {
        boot(b -> b.softirqMaxTime(Duration.ofMillis(5)));
        List<Long> phaseOfRun = selfRaisingTaking(7, 1_000_000);
        m.gic().pulse(LINE);
        m.cpu(0).runPending();
        assertEquals(5, runsIn(phaseOfRun, 0), "5 passes of 1 ms in a 5 ms budget");
        assertEquals(2, runsIn(phaseOfRun, 1));
        assertEquals(1, s.deferrals(0));
    }

    // ------------------------------------------------------------------------------------ B-SIRQ-8

    @Test
    void hardirqTakenBetweenActionsDoesNotReenterSoftirqsAtItsIrqExit() {
        boot();
        AtomicReference<String> hardirqCtx = new AtomicReference<>();
        open(Softirq.NET_TX, () -> m.gic().pulse(LINE));
        open(Softirq.NET_RX);
        open(Softirq.BLOCK);
        line(() -> {
            CpuContext x = CpuContext.current();
            hardirqCtx.set(x.inHardirq() + "/" + x.inServingSoftirq());
            s.raise(Softirq.BLOCK);
        });
        s.raiseOn(0, Softirq.NET_TX);
        s.raiseOn(0, Softirq.NET_RX);
        m.cpu(0).runPending();
        assertEquals(List.of("NET_TX", "hardirq", "NET_RX", "BLOCK"), log,
                "BLOCK, raised by the hardirq, waits for the next pass: the irq exit inside the drain runs nothing");
        assertEquals("true/true", hardirqCtx.get());
    }

    @Test
    void hardirqTakenAtACheckpointInsideAnActionDoesNotReenterSoftirqs() {
        boot();
        open(Softirq.NET_TX, () -> {
            m.gic().pulse(LINE);
            Cpu.checkpoint();
            log.add("NET_TX-end");
        });
        open(Softirq.BLOCK);
        line(() -> s.raise(Softirq.BLOCK));
        s.raiseOn(0, Softirq.NET_TX);
        m.cpu(0).runPending();
        assertEquals(List.of("NET_TX", "hardirq", "NET_TX-end", "BLOCK"), log);
    }

    // ------------------------------------------------------------------------------------ B-SIRQ-9, failures

    @Test
    void anActionThatLeaksBhDisableIsReportedAndTheCountRestored() {
        boot();
        try (LogCapture logs = LogCapture.of("io.kdefer.cpu")) {
            AtomicReference<String> nextAction = new AtomicReference<>();
            AtomicReference<String> laterHardirq = new AtomicReference<>();
            open(Softirq.NET_RX, () -> Cpu.current().localBhDisable());   // never enabled again
            open(Softirq.BLOCK, () -> {
                // With the leak restored, this enable is unbalanced: the word holds only the serving bit.
                try {
                    Cpu.current().localBhEnable();
                    nextAction.set("leak still there");
                } catch (IllegalStateException e) {
                    nextAction.set("restored");
                }
            });
            line(() -> laterHardirq.set(CpuContext.current().describe() + "/" + CpuContext.current().inSoftirq()));
            s.raiseOn(0, Softirq.NET_RX);
            s.raiseOn(0, Softirq.BLOCK);
            m.cpu(0).runPending();
            m.gic().pulse(LINE);
            m.cpu(0).runPending();

            assertEquals("restored", nextAction.get());
            assertEquals("hardirq context/false", laterHardirq.get(), "no BH count left behind after the drain");
            assertEquals(1, logs.count("huh, entered softirq NET_RX"), logs.messages().toString());
        }
    }

    @Test
    void anActionThatLeavesIrqsDisabledIsReportedAndRestored() {
        boot();
        try (LogCapture logs = LogCapture.of("io.kdefer.cpu")) {
            AtomicReference<Boolean> nextSawDisabled = new AtomicReference<>();
            open(Softirq.NET_RX, () -> Cpu.current().localIrqSave());   // never restored
            open(Softirq.BLOCK, () -> nextSawDisabled.set(CpuContext.current().irqsDisabled()));
            s.raiseOn(0, Softirq.NET_RX);
            s.raiseOn(0, Softirq.BLOCK);
            m.cpu(0).runPending();
            assertFalse(nextSawDisabled.get(), "B-SIRQ-8: the next action runs with IRQs enabled again");
            assertTrue(logs.contains("and IRQs disabled"), logs.messages().toString());
        }
    }

    @Test
    void aThrowingActionIsContainedAndCounted() {
        boot();
        AtomicInteger runs = new AtomicInteger();
        try (LogCapture logs = LogCapture.of("io.kdefer.softirq")) {
            s.open(Softirq.NET_RX, () -> {
                log.add("NET_RX");
                if (runs.incrementAndGet() <= 2) {
                    throw new IllegalStateException("boom " + runs.get());
                }
            });
            open(Softirq.BLOCK);
            s.raiseOn(0, Softirq.NET_RX);
            s.raiseOn(0, Softirq.BLOCK);
            m.cpu(0).runPending();
            assertEquals(List.of("NET_RX", "BLOCK"), log, "the pass goes on after the throw");
            assertEquals(1, s.failures(Softirq.NET_RX));
            assertEquals(0, s.failures(Softirq.BLOCK));

            s.raiseOn(0, Softirq.NET_RX);
            m.cpu(0).runPending();
            s.raiseOn(0, Softirq.NET_RX);
            m.cpu(0).runPending();
            assertEquals(3, runs.get(), "the CPU keeps running the vector");
            assertEquals(2, s.failures(Softirq.NET_RX));
            assertEquals(1, logs.count("softirq NET_RX action threw"), "reported once per vector");
        }
    }

    @Test
    void runUntilIdleNamesAVectorThatReraisesItselfForever() {
        boot();
        AtomicBoolean forever = new AtomicBoolean(true);
        s.open(Softirq.NET_RX, () -> {
            if (forever.get()) {
                s.raise(Softirq.NET_RX);
            }
        });
        s.raiseOn(1, Softirq.NET_RX);
        IllegalStateException e = assertThrows(IllegalStateException.class, m::runUntilIdle);
        assertTrue(e.getMessage().contains("cpu/1") && e.getMessage().contains("softirq NET_RX"), e.getMessage());
        assertNotEquals(0, s.deferrals(1));
        forever.set(false);
        m.runUntilIdle();
        assertEquals(0, s.pending(1));
    }

    @Test
    void runPendingIsBoundedForALivelockedVector() {
        boot();
        AtomicBoolean forever = new AtomicBoolean(true);
        s.open(Softirq.NET_RX, () -> {
            if (forever.get()) {
                s.raise(Softirq.NET_RX);
            }
        });
        s.raiseOn(0, Softirq.NET_RX);
        int done = m.cpu(0).runPending();
        assertEquals(Cpu.MAX_RUN_PENDING, done, "one ksoftirqd phase per loop iteration, then it returns");
        assertEquals(Softirq.NET_RX.bit(), s.pending(0));
        assertEquals(Cpu.MAX_RUN_PENDING, s.deferrals(0));
        forever.set(false);
    }
}
