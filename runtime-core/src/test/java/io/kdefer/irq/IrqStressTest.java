/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.Stress;
import io.kdefer.gic.Gic;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * THREADED stress of the generic IRQ layer: device threads pulse edge lines and assert/deassert level lines on
 * fasteoi, edge and level flows while another thread keeps moving their affinity; the invariants are checked at
 * quiescence. And an idle machine costs (almost) no CPU. Run with {@code mvn verify -Pstress}.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Nothing lost, edge (B-FLOW-7/9/10, MO-FLOW-2): a device stores sequence number k and then pulses; edges may
 *       coalesce while pending, so the handler may run fewer times than pulses, but some run starts after each
 *       pulse, hence the last run sees the device's final sequence number; and never more runs than pulses.</li>
 *   <li>Nothing lost, level (B-FLOW-6/9): a device adds work and asserts under its own lock; the handler takes all
 *       the work and deasserts under the same lock. At quiescence everything raised was served, and no run found
 *       the line raised without work (no delivery of a withdrawn level interrupt).</li>
 *   <li>Never concurrent (B-FLOW-1): a per-line in-handler flag is never found set on entry.</li>
 *   <li>No completion the GIC had to ignore, no unexpected interrupt, no handler failure.</li>
 * </ul>
 */
@Tag("stress")
class IrqStressTest {
    private static final int EDGE_PULSES = 100_000;
    private static final int LEVEL_RAISES = 20_000;

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;

    /** Per-line bookkeeping shared by the device thread and the handler. */
    static final class Line {
        final int irq;
        final FlowHandler flow;
        final boolean edge;
        final AtomicInteger seq = new AtomicInteger();          // edge: last sequence number stored by the device
        final AtomicInteger lastSeen = new AtomicInteger();     // edge: highest sequence number a run saw
        final AtomicBoolean inHandler = new AtomicBoolean();
        final AtomicLong runs = new AtomicLong();
        final AtomicLong concurrent = new AtomicLong();
        final AtomicLong emptyRuns = new AtomicLong();
        long work;                                               // level: guarded by this
        long raised;                                             // level: guarded by this
        long served;                                             // level: guarded by this

        Line(int irq, FlowHandler flow, boolean edge) {
            this.irq = irq;
            this.flow = flow;
            this.edge = edge;
        }

        synchronized long unserved() {
            return raised - served;
        }

        @Override
        public String toString() {
            return "irq " + irq + " (" + flow + (edge ? ", edge" : ", level") + ")";
        }
    }

    private IrqReturn handle(Line l, Gic gic) {
        if (!l.inHandler.compareAndSet(false, true)) {
            l.concurrent.incrementAndGet();
        }
        try {
            l.runs.incrementAndGet();
            if (l.edge) {
                l.lastSeen.accumulateAndGet(l.seq.get(), Math::max);
                return IrqReturn.HANDLED;
            }
            synchronized (l) {
                if (l.work == 0) {
                    l.emptyRuns.incrementAndGet();
                    return IrqReturn.NONE;
                }
                l.served += l.work;
                l.work = 0;
                gic.deassertLine(l.irq);          // the device's status register is acknowledged: line drops
                return IrqReturn.HANDLED;
            }
        } finally {
            l.inHandler.set(false);
        }
    }

    private static void device(Line l, Gic gic, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int events = l.edge ? EDGE_PULSES : LEVEL_RAISES;
        for (int k = 1; k <= events; k++) {
            if (l.edge) {
                l.seq.set(k);
                gic.pulse(l.irq);
            } else {
                synchronized (l) {
                    l.work++;
                    l.raised++;
                    gic.assertLine(l.irq);
                }
            }
            int r = rnd.nextInt(64);
            if (r == 0) {
                LockSupport.parkNanos(rnd.nextInt(50_000));
            } else if (r < 8) {
                Thread.yield();
            }
        }
    }

    @ParameterizedTest(name = "{0} CPUs")
    @ValueSource(ints = {2, 4})
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void noEventIsLostAndNoHandlerRunsConcurrently(int cpuCount) throws InterruptedException {
        m = machines.threaded(b -> b.cpus(cpuCount));
        Irqs irqs = m.irqs();
        Gic gic = m.gic();
        List<Line> lines = List.of(
                new Line(40, FlowHandler.FASTEOI, true),
                new Line(41, FlowHandler.EDGE, true),
                new Line(42, FlowHandler.FASTEOI, true),
                new Line(43, FlowHandler.EDGE, true),
                new Line(50, FlowHandler.LEVEL, false),
                new Line(51, FlowHandler.FASTEOI, false));
        for (Line l : lines) {
            irqs.setFlowHandler(l.irq, l.flow);
            irqs.setAffinity(l.irq, l.irq % cpuCount);
            irqs.request(l.irq, (irq, dev) -> handle(l, gic),
                    l.edge ? IrqFlags.TRIGGER_RISING : IrqFlags.TRIGGER_HIGH, "dev" + l.irq, l);
        }

        Stress devices = new Stress();
        for (Line l : lines) {
            devices.thread("device-" + l.irq, () -> device(l, gic, l.irq * 31L));
        }
        AtomicBoolean moving = new AtomicBoolean(true);
        AtomicLong moves = new AtomicLong();
        Stress mover = new Stress().thread("affinity-mover", () -> {
            SplittableRandom rnd = new SplittableRandom(7);
            while (moving.get()) {
                Line l = lines.get(rnd.nextInt(lines.size()));
                irqs.setAffinity(l.irq, rnd.nextInt(cpuCount));
                moves.incrementAndGet();
                LockSupport.parkNanos(200_000);
            }
        });
        mover.start();
        try {
            devices.start().join(Duration.ofSeconds(120));
        } finally {
            moving.set(false);
        }
        mover.join();

        // Quiescence: the CPUs drain what the devices left; bounded.
        Stress.await(Duration.ofSeconds(30),
                () -> lines.stream().allMatch(l -> l.edge ? l.lastSeen.get() == EDGE_PULSES : l.unserved() == 0));
        for (Line l : lines) {
            irqs.synchronize(l.irq);
        }

        List<String> problems = new ArrayList<>();
        for (Line l : lines) {
            if (l.concurrent.get() != 0) {
                problems.add(l + ": " + l.concurrent.get() + " runs overlapped another run");
            }
            if (l.edge) {
                if (l.lastSeen.get() != EDGE_PULSES) {
                    problems.add(l + ": last run saw sequence " + l.lastSeen.get() + " of " + EDGE_PULSES);
                }
                if (l.runs.get() < 1 || l.runs.get() > EDGE_PULSES) {
                    problems.add(l + ": " + l.runs.get() + " runs for " + EDGE_PULSES + " pulses");
                }
            } else {
                synchronized (l) {
                    if (l.raised != LEVEL_RAISES || l.served != l.raised || l.work != 0) {
                        problems.add(l + ": raised " + l.raised + ", served " + l.served + ", left " + l.work);
                    }
                }
                if (l.emptyRuns.get() != 0) {
                    problems.add(l + ": " + l.emptyRuns.get() + " runs found the line raised without work");
                }
                if (gic.isLineHigh(l.irq, 0)) {
                    problems.add(l + ": line still high");
                }
            }
            IrqDesc d = irqs.desc(l.irq);
            if (d.isInProgress() || d.isPending() || d.isDisabled() || d.failures() != 0) {
                problems.add(l + ": left in state " + d);
            }
        }
        for (int c = 0; c < cpuCount; c++) {
            if (gic.cpuInterface(c).ignoredCompletions() != 0) {
                problems.add("cpu/" + c + ": " + gic.cpuInterface(c).ignoredCompletions() + " ignored completions");
            }
        }
        if (irqs.unexpectedInterrupts() != 0) {
            problems.add(irqs.unexpectedInterrupts() + " unexpected interrupts");
        }
        assertEquals(List.of(), problems, "after " + moves.get() + " affinity moves\n" + m.stats().interrupts());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anIdleMachineCostsLessThanOnePercentOfACore() throws InterruptedException {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assertTrue(mx.isThreadCpuTimeSupported(), "this JVM cannot measure thread CPU time");
        if (!mx.isThreadCpuTimeEnabled()) {
            mx.setThreadCpuTimeEnabled(true);
        }
        Set<Long> before = cpuThreadIds();
        m = machines.threaded();
        Set<Long> mine = cpuThreadIds();
        mine.removeAll(before);
        assertEquals(2, mine.size(), "cpu/0 and cpu/1 of this machine");

        Thread.sleep(1000);                       // settle: JIT, first ticks, the idle strategy reaching park
        long start = cpuNanos(mx, mine);
        long wall = System.nanoTime();
        Thread.sleep(2000);
        long used = cpuNanos(mx, mine) - start;
        long elapsed = System.nanoTime() - wall;
        assertTrue(used < elapsed / 100,
                String.format("idle cpu/N threads used %.2f ms of CPU in %.0f ms (limit 1%%: %.2f ms)",
                        used / 1e6, elapsed / 1e6, elapsed / 1e8));
    }

    private static Set<Long> cpuThreadIds() {
        Set<Long> ids = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().matches("cpu/\\d+")) {
                ids.add(t.getId());
            }
        }
        return ids;
    }

    private static long cpuNanos(ThreadMXBean mx, Set<Long> ids) {
        long sum = 0;
        for (long id : ids) {
            long t = mx.getThreadCpuTime(id);
            assertTrue(t >= 0, "thread " + id + " is gone");
            sum += t;
        }
        return sum;
    }
}
