/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Machines;
import io.kdefer.Mode;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.IdlePolicy;
import io.kdefer.gic.Gic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spurious / unhandled interrupt detection (spec §5, B-SPUR-1..5, B-TI-7), tripped cheaply with a window of 100
 * and a threshold of 90 on a MANUAL machine, whose virtual clock ({@code m.advance}) spaces interrupts in time; and
 * the kernel's real thresholds as the defaults.
 */
@Timeout(30)
class SpuriousTest {
    private static final int LINE = 40;

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private Irqs irqs;
    private Gic gic;

    private void boot(Consumer<MachineConfig.Builder> config) {
        m = machines.boot(config);
        irqs = m.irqs();
        gic = m.gic();
    }

    private void boot() {
        boot(b -> b.spuriousDetection(100, 90, Duration.ofMillis(100)));
    }

    /** A handler whose results follow {@code results} cyclically; counts its runs and their CPUs. */
    static final class Scripted implements IrqHandler {
        final List<String> contexts = new ArrayList<>();
        final AtomicInteger runs = new AtomicInteger();
        private final IrqReturn[] results;

        Scripted(IrqReturn... results) {
            this.results = results;
        }

        @Override
        public IrqReturn handle(int irq, Object devId) {
            int n = runs.getAndIncrement();
            contexts.add(CpuContext.current().describe() + " on " + Cpu.current());
            return results[n % results.length];
        }
    }

    private Scripted request(int flags, Object dev, IrqReturn... results) {
        Scripted h = new Scripted(results);
        irqs.request(LINE, h, flags | IrqFlags.TRIGGER_RISING, "dev-" + dev, dev);
        return h;
    }

    private void interrupts(int n) {
        for (int i = 0; i < n; i++) {
            gic.pulse(LINE);
            m.runUntilIdle();
        }
    }

    private void interruptsSpaced(int n, Duration gap) {
        for (int i = 0; i < n; i++) {
            gic.pulse(LINE);
            m.runUntilIdle();
            m.advance(gap);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-SPUR-3

    @Test
    void aLineUnhandledOnEveryInterruptOfTheWindowIsDisabled() {
        boot();
        Scripted h = request(0, null, IrqReturn.NONE);
        IrqDesc d = irqs.desc(LINE);
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            interrupts(99);
            assertFalse(d.isSpuriousDisabled(), "the window is not full yet");
            assertEquals(0, d.depth());
            interrupts(1);
            assertTrue(d.isSpuriousDisabled(), "100 of 100 unhandled > 90");
            assertTrue(log.contains("irq 40: nobody cared"), log.messages().toString());
            assertTrue(log.contains("Disabling IRQ #40"), log.messages().toString());
        }
        assertEquals(1, d.depth(), "depth incremented");
        assertTrue(d.isDisabled());
        assertTrue(d.isMasked());
        assertFalse(gic.isEnabled(LINE, 0));
        assertTrue(m.stats().interrupts().contains("(disabled: nobody cared)"), m.stats().interrupts());

        interrupts(5);
        assertEquals(100, h.runs.get(), "no more runs: the line is off");
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            irqs.enable(LINE);
            assertTrue(log.contains("disabled by the spurious detector"), log.messages().toString());
        }
        assertTrue(d.isSpuriousDisabled(), "B-SPUR-5: enable does not bring it back");
        assertEquals(1, d.depth());
    }

    @Test
    void theThresholdIsStrictlyMoreThanNinetyOfTheWindow() {
        boot();
        IrqReturn[] ninety = new IrqReturn[100];
        for (int i = 0; i < 100; i++) {
            ninety[i] = i < 90 ? IrqReturn.NONE : IrqReturn.HANDLED;
        }
        Scripted h = request(0, null, ninety);
        interrupts(100);
        assertFalse(irqs.desc(LINE).isSpuriousDisabled(), "90 of 100 is not more than 90");

        irqs.free(LINE, null);
        IrqReturn[] ninetyOne = new IrqReturn[100];
        for (int i = 0; i < 100; i++) {
            ninetyOne[i] = i < 91 ? IrqReturn.NONE : IrqReturn.HANDLED;
        }
        request(0, null, ninetyOne);
        interrupts(99);
        assertFalse(irqs.desc(LINE).isSpuriousDisabled());
        interrupts(1);
        assertTrue(irqs.desc(LINE).isSpuriousDisabled(), "91 of 100");
        assertEquals(100, h.runs.get());
    }

    @Test
    void handledInterruptsInterleavedKeepTheLineAlive() {
        boot();
        Scripted h = request(0, null, IrqReturn.NONE, IrqReturn.HANDLED);
        interrupts(1000);
        assertEquals(1000, h.runs.get());
        assertFalse(irqs.desc(LINE).isSpuriousDisabled(), "half unhandled per window");
    }

    @Test
    void aThrowingHandlerCountsAsUnhandled() {
        boot();
        AtomicInteger runs = new AtomicInteger();
        irqs.request(LINE, (irq, dev) -> {
            runs.incrementAndGet();
            throw new IllegalStateException("broken driver");
        }, IrqFlags.TRIGGER_RISING, "broken", null);
        interrupts(100);
        assertTrue(irqs.desc(LINE).isSpuriousDisabled(), "DESIGN §5: a failing line is treated like an unhandled one");
        assertEquals(100, irqs.desc(LINE).failures());
    }

    @Test
    void noDebugLinesAreNotAccounted() {
        boot();
        request(IrqFlags.NO_DEBUG, null, IrqReturn.NONE);
        interrupts(300);
        assertFalse(irqs.desc(LINE).isSpuriousDisabled(), "B-SPUR-1");
    }

    // ---------------------------------------------------------------------------------------------- B-SPUR-2

    @Test
    void isolatedUnhandledInterruptsMoreThanTheQuietTimeApartNeverAccumulate() {
        boot();
        Scripted h = request(0, null, IrqReturn.NONE);
        interruptsSpaced(250, Duration.ofMillis(101));
        assertEquals(250, h.runs.get());
        assertFalse(irqs.desc(LINE).isSpuriousDisabled(), "each restarts the count at 1");
    }

    @Test
    void unhandledInterruptsExactlyTheQuietTimeApartDoAccumulate() {
        boot();
        Scripted h = request(0, null, IrqReturn.NONE);
        interruptsSpaced(100, Duration.ofMillis(100));
        assertTrue(irqs.desc(LINE).isSpuriousDisabled(), "only a gap of more than HZ/10 restarts the count");
        assertEquals(100, h.runs.get());
    }

    // ---------------------------------------------------------------------------------------------- B-SPUR-5, B-TI-7

    @Test
    void aSharedSpuriousDisabledLineIsPolledOnCpu0UntilANewSharedActionReenablesIt() {
        boot();
        irqs.setAffinity(LINE, 1);
        Scripted a = request(IrqFlags.SHARED, "a", IrqReturn.NONE);
        interrupts(100);
        IrqDesc d = irqs.desc(LINE);
        assertTrue(d.isSpuriousDisabled());
        assertEquals(List.of("hardirq context on cpu/1"), a.contexts.subList(0, 1));

        long polls = irqs.spuriousPolls();
        m.advance(Duration.ofMillis(300));
        assertEquals(polls + 3, irqs.spuriousPolls(), "polled every HZ/10 (100 ticks)");
        assertEquals(103, a.runs.get(), "each poll runs the handlers");
        assertEquals("hardirq context on cpu/0", a.contexts.get(102), "from CPU 0's tick");
        assertTrue(d.isSpuriousDisabled(), "B-SPUR-5: polling does not re-enable it");

        Scripted b = request(IrqFlags.SHARED, "b", IrqReturn.HANDLED);
        assertFalse(d.isSpuriousDisabled(), "B-TI-7: a new shared action re-enables it");
        assertEquals(0, d.depth());
        assertFalse(d.isMasked());
        assertTrue(gic.isEnabled(LINE, 0));
        interrupts(1);
        assertEquals(104, a.runs.get());
        assertEquals(1, b.runs.get());
        m.advance(Duration.ofMillis(300));
        assertEquals(polls + 3, irqs.spuriousPolls(), "no more polling");
    }

    @Test
    void theNobodyCaredReportPromisesPollingOnlyForSharedLines() {
        boot();
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            request(0, null, IrqReturn.NONE);
            interrupts(100);
            assertTrue(log.contains("it is not shared, so it is not polled"), log.messages().toString());
            assertFalse(log.contains("polled every"), log.messages().toString());
        }
        irqs.free(LINE, null);
        try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
            request(IrqFlags.SHARED, "a", IrqReturn.NONE);
            interrupts(100);
            assertTrue(log.contains("it is polled every 100 ms from now on"), log.messages().toString());
        }
    }

    @Test
    void aNonSharedSpuriousDisabledLineIsNotPolled() {
        boot();
        Scripted h = request(0, null, IrqReturn.NONE);
        interrupts(100);
        assertTrue(irqs.desc(LINE).isSpuriousDisabled());
        long polls = irqs.spuriousPolls();
        m.advance(Duration.ofMillis(300));
        assertEquals(polls, irqs.spuriousPolls());
        assertEquals(100, h.runs.get());
    }

    @Test
    void reenablingByANewSharedActionUndoesOnlyTheDetectorsDisable() {
        boot();
        request(IrqFlags.SHARED, "a", IrqReturn.NONE);
        interrupts(100);
        IrqDesc d = irqs.desc(LINE);
        assertEquals(1, d.depth());
        irqs.disableNosync(LINE);                 // the driver's own disable on top
        assertEquals(2, d.depth());

        Scripted b = request(IrqFlags.SHARED, "b", IrqReturn.HANDLED);
        assertFalse(d.isSpuriousDisabled());
        assertEquals(1, d.depth(), "the driver's disable still holds");
        assertTrue(d.isDisabled());
        interrupts(1);
        assertEquals(0, b.runs.get());
        irqs.enable(LINE);                        // ... until the driver enables it: balanced
        assertEquals(0, d.depth());
        m.runUntilIdle();
        interrupts(1);
        assertTrue(b.runs.get() >= 1);
    }

    @Test
    void installingAnActionRestartsTheCount() {
        boot();
        request(IrqFlags.SHARED, "a", IrqReturn.NONE);
        interrupts(60);
        request(IrqFlags.SHARED, "b", IrqReturn.NONE);
        interrupts(60);
        assertFalse(irqs.desc(LINE).isSpuriousDisabled(), "B-TI-7: only 60 counted since the new action");
        interrupts(40);
        assertTrue(irqs.desc(LINE).isSpuriousDisabled());
    }

    @Test
    void detectionParametersAreChecked() {
        assertThrows(IllegalArgumentException.class,
                () -> MachineConfig.builder().spuriousDetection(100, 100, Duration.ofMillis(100)));
        assertThrows(IllegalArgumentException.class,
                () -> MachineConfig.builder().spuriousDetection(0, 0, Duration.ofMillis(100)));
        assertThrows(IllegalArgumentException.class,
                () -> MachineConfig.builder().spuriousDetection(100, 90, Duration.ZERO));
    }

    // ---------------------------------------------------------------------------------------------- K-SPUR defaults

    @Test
    void theKernelThresholdsAreTheDefaults() {
        assertEquals(100_000, Irqs.SPURIOUS_WINDOW);
        assertEquals(99_900, Irqs.SPURIOUS_THRESHOLD);
        assertEquals(Duration.ofMillis(100).toNanos(), Irqs.SPURIOUS_QUIET_NANOS);
        MachineConfig c = MachineConfig.defaults();
        assertEquals(100_000, c.spuriousWindow());
        assertEquals(99_900, c.spuriousThreshold());
        assertEquals(Duration.ofMillis(100), c.spuriousQuietTime());
        assertEquals(10, c.softirqMaxRestart(), "K-SIRQ MAX_SOFTIRQ_RESTART");
        assertEquals(Duration.ofMillis(2), c.softirqMaxTime(), "K-SIRQ MAX_SOFTIRQ_TIME");
        assertEquals(1000, c.hz());
        assertEquals(Mode.THREADED, c.mode());
        assertEquals(IdlePolicy.BACKOFF, c.idle());
    }

    @Test
    void withTheDefaultsTheHundredThousandthUnhandledInterruptTripsTheDetector() {
        boot(b -> { });
        Scripted h = request(0, null, IrqReturn.NONE);
        IrqDesc d = irqs.desc(LINE);
        for (int i = 0; i < 99_999; i++) {
            gic.pulse(LINE);
            m.cpu(0).runPending();
        }
        assertFalse(d.isSpuriousDisabled(), "99 999 interrupts do not fill the window");
        gic.pulse(LINE);
        m.cpu(0).runPending();
        assertTrue(d.isSpuriousDisabled(), "100 000 of 100 000 unhandled > 99 900");
        assertEquals(100_000, h.runs.get());
    }
}
