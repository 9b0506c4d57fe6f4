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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The soft-lockup watchdog's report ({@code SoftLockupWatchdog}, kernel: kernel/watchdog.c): a CPU that stays in one
 * atomic section (hardirq, softirq) longer than the threshold is reported once for that section, naming the CPU,
 * how long and in which context. MANUAL mode and virtual time: the watchdog thread is not started, and each look is
 * the test seam {@code CpuSet.checkSoftLockups(now)}, called from inside the section that the CPU is executing (the
 * only place where a MANUAL CPU is in one), with a clock value the test chooses.
 */
@Timeout(10)
class SoftLockupWatchdogTest {
    private static final int LINE = 40;
    private static final long SECOND = 1_000_000_000L;

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private CpuSet cpus;

    private void boot(Consumer<MachineConfig.Builder> config) {
        m = machines.boot(config);
        cpus = (CpuSet) Services.get(m, Cpus.class);
    }

    /** An edge SPI on cpu/0 whose handler runs {@code body} (in hardirq context on cpu/0). */
    private void onHardirq(Runnable body) {
        m.irqs().request(LINE, (irq, dev) -> {
            body.run();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
    }

    private void takeInterrupt() {
        m.gic().pulse(LINE);
        m.cpu(0).runPending();
    }

    @Test
    void aHardirqStuckPastTheThresholdIsReportedOnceWithCpuDurationAndContext() {
        boot(b -> b.softLockupThreshold(Duration.ofSeconds(20)));
        List<Long> seen = new ArrayList<>();
        onHardirq(() -> {
            long since = cpus.cpu(0).atomicSinceNanos();
            cpus.checkSoftLockups(since + 20 * SECOND);          // exactly the threshold: not yet
            seen.add(cpus.softLockups());
            cpus.checkSoftLockups(since + 23 * SECOND);          // past it
            seen.add(cpus.softLockups());
            cpus.checkSoftLockups(since + 60 * SECOND);          // the same section again: already reported
            seen.add(cpus.softLockups());
        });
        try (LogCapture log = LogCapture.of("io.kdefer.cpu")) {
            takeInterrupt();
            assertEquals(List.of(0L, 1L, 1L), seen, "more than the threshold, and once per section");
            assertEquals(1, log.count("watchdog: BUG: soft lockup - CPU#0 stuck for 23s in hardirq context"),
                    log.messages().toString());
        }
    }

    @Test
    void eachNewSectionIsReportedAgainAndAnIdleCpuNever() {
        boot(b -> b.softLockupThreshold(Duration.ofSeconds(1)));
        onHardirq(() -> cpus.checkSoftLockups(cpus.cpu(0).atomicSinceNanos() + 2 * SECOND));
        try (LogCapture log = LogCapture.of("io.kdefer.cpu")) {
            takeInterrupt();
            m.advance(Duration.ofMillis(1));                     // a new section starts at another clock time
            takeInterrupt();
            assertEquals(2, cpus.softLockups(), "two sections, two reports");

            cpus.checkSoftLockups(cpus.clockNanos() + 3600 * SECOND);   // no CPU is in an atomic section now
            assertEquals(2, cpus.softLockups(), "a CPU outside an atomic section is never reported");
            assertEquals(2, log.count("soft lockup - CPU#0"), log.messages().toString());
            assertEquals(0, log.count("CPU#1"), "cpu/1 was idle throughout");
        }
    }

    @Test
    void aSoftirqActionIsTimedFromTheStartOfItsSection() {
        boot(b -> b.softLockupThreshold(Duration.ofSeconds(5)));
        long[] since = new long[1];
        m.softirqs().open(Softirq.NET_RX, () -> {
            since[0] = cpus.cpu(0).atomicSinceNanos();
            cpus.checkSoftLockups(since[0] + 7 * SECOND);
        });
        m.advance(Duration.ofMillis(3));
        try (LogCapture log = LogCapture.of("io.kdefer.cpu")) {
            m.softirqs().raiseOn(0, Softirq.NET_RX);
            m.cpu(0).runPending();                               // the ksoftirqd phase: a softirq section
            assertEquals(3_000_000L, since[0], "the section began at the clock time the CPU entered it");
            assertEquals(1, cpus.softLockups());
            assertEquals(1, log.count("stuck for 7s in softirq context"), log.messages().toString());
        }
    }

    @Test
    void aHardirqInsideASoftirqSectionBelongsToThatSection() {
        boot(b -> b.softLockupThreshold(Duration.ofSeconds(5)));
        long[] sinceInSoftirq = new long[1];
        long[] sinceInHardirq = new long[1];
        onHardirq(() -> sinceInHardirq[0] = cpus.cpu(0).atomicSinceNanos());
        m.softirqs().open(Softirq.NET_RX, () -> {
            sinceInSoftirq[0] = cpus.cpu(0).atomicSinceNanos();
            m.gic().pulse(LINE);
            Cpu.checkpoint();                                    // the hardirq nests in the softirq section
        });
        m.advance(Duration.ofMillis(2));
        m.softirqs().raiseOn(0, Softirq.NET_RX);
        m.cpu(0).runPending();
        assertEquals(2_000_000L, sinceInSoftirq[0]);
        assertEquals(sinceInSoftirq[0], sinceInHardirq[0], "a nested section does not restart the clock");
        assertEquals(0L, cpus.cpu(0).atomicSinceNanos(), "0 outside any atomic section");
    }

    @Test
    void thresholdZeroTurnsTheWatchdogOff() {
        boot(b -> b.softLockupThreshold(Duration.ZERO));
        onHardirq(() -> cpus.checkSoftLockups(cpus.cpu(0).atomicSinceNanos() + 3600 * SECOND));
        takeInterrupt();
        assertEquals(0, cpus.softLockups(), "off: nothing is ever reported");
    }
}
