/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqchip;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Platform;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irq.Irqs;
import io.kdefer.x86.VectorMatrix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.kdefer.irqchip.X86Support.globalCount;
import static io.kdefer.irqchip.X86Support.x86;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * THREADED x86 machines under load: device threads pulse an edge line and an MSI and raise a level line while a
 * mover thread changes the lines' affinity and takes CPU 1 offline and back, for as long as the devices run. At quiescence: every edge's last event
 * was seen by a handler run, every level raise was served, no line ran concurrently with itself, no vector arrived
 * without a handler (ERR 0), no remote IRR is stuck and no vector cleanup is left. Run with {@code -Pstress}.
 */
@Tag("stress")
@Timeout(180)
class X86StressTest {
    private static final int EDGE_PULSES = 50_000;
    private static final int LEVEL_RAISES = 10_000;
    private static final int MOVES = 2_000;

    private Machine m;
    private final LogCapture log = LogCapture.of("io.kdefer");

    @AfterEach
    void close() {
        log.close();
        if (m != null) {
            m.close();
        }
    }

    private static final class Line {
        final int irq;
        final boolean edge;
        final AtomicInteger seq = new AtomicInteger();
        final AtomicInteger lastSeen = new AtomicInteger();
        final AtomicBoolean inHandler = new AtomicBoolean();
        final AtomicLong concurrent = new AtomicLong();
        long work;                                        // level: guarded by this
        long raised;                                      // level: guarded by this
        long served;                                      // level: guarded by this

        Line(int irq, boolean edge) {
            this.irq = irq;
            this.edge = edge;
        }

        @Override
        public String toString() {
            return "irq " + irq + (edge ? " (edge)" : " (level)");
        }
    }

    private IrqReturn handle(Line l, Irqs irqs) {
        if (!l.inHandler.compareAndSet(false, true)) {
            l.concurrent.incrementAndGet();
        }
        try {
            if (l.edge) {
                l.lastSeen.accumulateAndGet(l.seq.get(), Math::max);
                return IrqReturn.HANDLED;
            }
            synchronized (l) {
                if (l.work == 0) {
                    return IrqReturn.NONE;
                }
                l.served += l.work;
                l.work = 0;
                irqs.setLevel(l.irq, false);
                return IrqReturn.HANDLED;
            }
        } finally {
            l.inHandler.set(false);
        }
    }

    private static void device(Line l, Irqs irqs, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int events = l.edge ? EDGE_PULSES : LEVEL_RAISES;
        for (int k = 1; k <= events; k++) {
            if (l.edge) {
                l.seq.set(k);
                irqs.pulse(l.irq);
            } else {
                synchronized (l) {
                    l.work++;
                    l.raised++;
                    irqs.setLevel(l.irq, true);
                }
            }
            if (rnd.nextInt(16) == 0) {
                // Let the CPUs catch up now and then, so that interrupts and moves interleave (not one long burst).
                long until = System.nanoTime() + 200_000;
                while (System.nanoTime() < until && (l.edge ? l.lastSeen.get() < k : unserved(l) != 0)) {
                    Thread.onSpinWait();
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Platform.class, names = {"X86_APIC", "X86_LEGACY_PIC"})
    void linesSurviveMovesAndHotplugUnderLoad(Platform p) throws InterruptedException {
        m = Machine.boot(MachineConfig.builder().cpus(2).platform(p).build());
        Irqs irqs = m.irqs();
        boolean apic = p == Platform.X86_APIC;
        Line edge = new Line(4, true);
        Line level = new Line(apic ? 16 : 10, false);
        Line msi = new Line(irqs.allocMsi("nic0"), true);
        irqs.request(edge.irq, (i, d) -> handle(edge, irqs), IrqFlags.TRIGGER_RISING, "edge", null);
        irqs.request(level.irq, (i, d) -> handle(level, irqs), apic ? IrqFlags.TRIGGER_LOW : IrqFlags.TRIGGER_HIGH,
                "level", null);
        irqs.request(msi.irq, (i, d) -> handle(msi, irqs), 0, "msi", null);
        List<Line> movable = apic ? List.of(edge, level, msi) : List.of(msi);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        long seed = 42;
        for (Line l : List.of(edge, level, msi)) {
            long s = seed++;
            threads.add(new Thread(() -> device(l, irqs, s), "device-" + l.irq));
        }
        List<Thread> devices = new ArrayList<>(threads);
        threads.add(new Thread(() -> {
            SplittableRandom rnd = new SplittableRandom(7);
            for (int k = 0; k < MOVES || devices.stream().anyMatch(Thread::isAlive); k++) {
                if (k % 200 == 199) {
                    m.cpu(1).offline();
                    m.cpu(1).online();
                } else {
                    Line l = movable.get(rnd.nextInt(movable.size()));
                    try {
                        irqs.setAffinity(l.irq, rnd.nextInt(2));
                    } catch (IllegalArgumentException offline) {
                        // the CPU is going offline: allowed to refuse
                    }
                }
            }
        }, "mover"));
        for (Thread t : threads) {
            t.setUncaughtExceptionHandler((th, e) -> {
                synchronized (failures) {
                    failures.add(e);
                }
            });
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(List.of(), failures);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline && (edge.lastSeen.get() != EDGE_PULSES
                || msi.lastSeen.get() != EDGE_PULSES || unserved(level) != 0)) {
            Thread.sleep(1);
        }
        for (Line l : List.of(edge, msi)) {
            assertEquals(EDGE_PULSES, l.lastSeen.get(), l + ": the last edge was seen by a run");
        }
        assertEquals(0, unserved(level), level + ": every raise was served");
        for (Line l : List.of(edge, level, msi)) {
            assertEquals(0, l.concurrent.get(), l + " ran concurrently with itself");
        }
        assertEquals(0, globalCount(m, "ERR"), m.stats().interrupts() + log.messages());
        if (apic) {
            assertEquals(false, m.ioApic().remoteIrr(level.irq));
        }
        VectorMatrix<?> matrix = x86(m).matrix();
        long cleanupDeadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < cleanupDeadline && matrix.cleanupPending(0) + matrix.cleanupPending(1) != 0) {
            Thread.sleep(1);
        }
        assertEquals(0, matrix.cleanupPending(0) + matrix.cleanupPending(1));
    }

    private static long unserved(Line l) {
        synchronized (l) {
            return l.raised - l.served;
        }
    }
}
