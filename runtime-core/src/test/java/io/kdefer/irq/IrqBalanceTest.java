/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.Platform;
import io.kdefer.cpu.Cpu;
import io.kdefer.gic.Gic;
import io.kdefer.gic.Trigger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The IRQ balancer (B-FLOW-15): off by default; moves the busiest movable line off the hottest CPU when that lowers
 * its load, never a line alone on its CPU, never a NOBALANCING or per-CPU line, only within a line's mask; IRQ threads
 * follow. MANUAL mode: the test raises the lines, runs the CPUs, and advances virtual time to the balancer's look.
 */
@Timeout(20)
class IrqBalanceTest {
    private static final int A = 40;
    private static final int B = 41;
    private static final Duration PERIOD = Duration.ofMillis(10);

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;
    private Irqs irqs;

    private void boot(int cpus, Duration interval) {
        m = machines.boot(b -> b.cpus(cpus).irqBalanceInterval(interval));
        irqs = m.irqs();
    }

    private void request(int irq, int flags) {
        irqs.request(irq, (i, d) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING | flags, "dev" + irq, null);
    }

    private void load(int irq, int interrupts) {
        for (int i = 0; i < interrupts; i++) {
            irqs.pulse(irq);
            m.runUntilIdle();
        }
    }

    private static BitSet cpus(int... ids) {
        BitSet b = new BitSet();
        for (int i : ids) {
            b.set(i);
        }
        return b;
    }

    @Test
    void offByDefault() {
        m = machines.boot(b -> b.cpus(2));
        irqs = m.irqs();
        request(A, 0);
        request(B, 0);
        load(A, 100);
        load(B, 50);
        m.advance(Duration.ofSeconds(1));
        assertEquals(0, irqs.balancerMoves());
        assertEquals(cpus(0), irqs.effectiveAffinity(A));
        assertEquals(cpus(0), irqs.effectiveAffinity(B));
    }

    @Test
    void theBusiestLineMovesToTheCoolestCpuAndThenItIsStable() {
        boot(2, PERIOD);
        request(A, 0);
        request(B, 0);
        load(A, 100);
        load(B, 50);
        m.advance(PERIOD);
        assertEquals(1, irqs.balancerMoves());
        assertEquals(cpus(1), irqs.effectiveAffinity(A), "150 vs 0: moving A (100) lowers the hot CPU's load");
        assertEquals(cpus(0), irqs.effectiveAffinity(B));
        assertEquals(cpus(0, 1), irqs.affinity(A), "the mask is left as it was");
        assertEquals(1, m.gic().routeOf(A));

        load(A, 100);
        load(B, 50);
        m.advance(PERIOD);
        assertEquals(1, irqs.balancerMoves(), "100 vs 50: moving A back would not help; nothing moves");
        assertTrue(irqs.procAffinity().contains("balancer: every 10 ms, 1 lines moved"), irqs.procAffinity());
    }

    @Test
    void aLineAloneOnItsCpuNeverPingPongs() {
        boot(2, PERIOD);
        request(A, 0);
        for (int round = 0; round < 3; round++) {
            load(A, 100);
            m.advance(PERIOD);
        }
        assertEquals(0, irqs.balancerMoves());
        assertEquals(cpus(0), irqs.effectiveAffinity(A));
    }

    @Test
    void noBalancingLinesStayAndTheNextBusiestMoves() {
        boot(2, PERIOD);
        request(A, IrqFlags.NOBALANCING);
        request(B, 0);
        load(A, 100);
        load(B, 50);
        m.advance(PERIOD);
        assertEquals(cpus(0), irqs.effectiveAffinity(A), "IRQF_NOBALANCING: never moved");
        assertEquals(cpus(1), irqs.effectiveAffinity(B), "the unmovable line's load still counts for its CPU");
        assertTrue(irqs.procAffinity().contains("NOBALANCING"), irqs.procAffinity());
    }

    @Test
    void aLineMovesOnlyWithinItsMask() {
        boot(3, PERIOD);
        request(A, 0);
        request(B, 0);
        irqs.setAffinity(A, cpus(0, 2));
        irqs.setAffinity(B, cpus(0, 2));
        load(A, 100);
        load(B, 50);
        m.advance(PERIOD);
        assertEquals(cpus(2), irqs.effectiveAffinity(A), "cpu/1 is as cool, but not in A's mask");
        assertEquals(1, irqs.balancerMoves());
    }

    @Test
    void aLineWhoseMaskExcludesTheCoolestCpuIsNotMoved() {
        boot(2, PERIOD);
        request(A, 0);
        request(B, 0);
        irqs.setAffinity(A, cpus(0));
        load(A, 100);
        load(B, 50);
        m.advance(PERIOD);
        assertEquals(cpus(0), irqs.effectiveAffinity(A));
        assertEquals(cpus(1), irqs.effectiveAffinity(B), "the busiest line that may go there");
    }

    @Test
    void perCpuLinesAreNeitherCountedNorMoved() {
        boot(2, PERIOD);
        m.gic().configure(27, Trigger.EDGE_RISING, Gic.PRIORITY_IRQ);
        irqs.requestPercpu(27, (i, d) -> IrqReturn.HANDLED, "ppi", null);
        for (int i = 0; i < 100; i++) {
            m.gic().pulse(27, 0);
            m.runUntilIdle();
        }
        request(A, 0);
        load(A, 10);
        m.advance(PERIOD);
        assertEquals(0, irqs.balancerMoves(), "A is alone in the counted load: moving it would not help");
        assertEquals(cpus(0, 1), irqs.effectiveAffinity(27));
    }

    @Test
    void aThreadedLinesThreadFollowsTheMove() throws Exception {
        boot(2, PERIOD);
        AtomicReference<Cpu> where = new AtomicReference<>();
        CountDownLatch[] ran = {new CountDownLatch(1)};
        irqs.requestThreaded(A, null, (i, d) -> {
            where.set(Cpu.current());
            ran[0].countDown();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "sensor", null);
        request(B, 0);
        irqs.pulse(A);
        m.runUntilIdle();
        assertTrue(ran[0].await(5, TimeUnit.SECONDS));
        irqs.synchronize(A);
        assertEquals(m.cpu(0), where.get());
        for (int i = 1; i < 100; i++) {
            irqs.pulse(A);
            m.runUntilIdle();
            irqs.synchronize(A);            // each interrupt runs the thread and unmasks before the next
        }
        load(B, 50);
        m.advance(PERIOD);
        assertEquals(cpus(1), irqs.effectiveAffinity(A));
        ran[0] = new CountDownLatch(1);
        irqs.pulse(A);
        m.runUntilIdle();
        assertTrue(ran[0].await(5, TimeUnit.SECONDS));
        assertEquals(m.cpu(1), where.get(), "the IRQ thread re-bound before its next run (B-TI-9)");
    }

    @Test
    @DisplayName("an XT-PIC line stays on CPU 0: the balancer skips a CPU the chip refuses, a mask without 0 is -EINVAL")
    void anXtPicLineNeverLeavesCpu0() {
        m = machines.boot(b -> b.cpus(2).platform(Platform.X86_LEGACY_PIC).irqBalanceInterval(PERIOD));
        irqs = m.irqs();
        int kbd = 1;                                        // ISA IRQ 1 on the master 8259A
        int com1 = 4;
        request(kbd, 0);
        request(com1, 0);
        load(kbd, 100);
        load(com1, 50);
        m.advance(PERIOD);
        assertEquals(0, irqs.balancerMoves(), "150 vs 0 would move IRQ 1, but the 8259A delivers to CPU 0 only");
        assertEquals(cpus(0), irqs.effectiveAffinity(kbd));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> irqs.setAffinity(kbd, cpus(1)));
        assertTrue(e.getMessage().startsWith("-EINVAL"), e.getMessage());
        assertEquals(cpus(0), irqs.effectiveAffinity(kbd), "a refused mask changes nothing");
    }
}
