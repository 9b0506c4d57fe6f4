/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.cpu.Cpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Affinity as a CPU mask (B-FLOW-14): the requested mask (smp_affinity) and the effective CPU the GICv3 chip picks
 * from it, validation, the /proc view, hotplug moving a line within its mask or breaking it. MANUAL mode.
 */
@Timeout(20)
class AffinityTest {
    private static final int LINE = 40;

    @RegisterExtension
    final Machines machines = new Machines();

    private static BitSet cpus(int... ids) {
        BitSet b = new BitSet();
        for (int i : ids) {
            b.set(i);
        }
        return b;
    }

    private static String einval(Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().startsWith("-EINVAL: "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void byDefaultEveryCpuMayTakeALineAndTheFirstOnlineOneDoes() {
        Machine m = machines.boot(b -> b.cpus(4));
        Irqs irqs = m.irqs();
        assertEquals(cpus(0, 1, 2, 3), irqs.affinity(LINE), "irq_default_affinity: every CPU");
        assertEquals(cpus(0), irqs.effectiveAffinity(LINE));
        assertEquals(0, m.gic().routeOf(LINE));
    }

    @Test
    void aMaskIsKeptAndTheChipRoutesToItsFirstOnlineCpu() {
        Machine m = machines.boot(b -> b.cpus(4));
        Irqs irqs = m.irqs();
        AtomicReference<Cpu> ran = new AtomicReference<>();
        irqs.request(LINE, (i, d) -> {
            ran.set(Cpu.current());
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "eth0", null);
        irqs.setAffinity(LINE, cpus(2, 3));
        assertEquals(cpus(2, 3), irqs.affinity(LINE));
        assertEquals(cpus(2), irqs.effectiveAffinity(LINE), "GICv3 routes an SPI to one PE: the first of the mask");
        assertEquals(2, m.gic().routeOf(LINE));
        assertEquals(2, irqs.desc(LINE).affinity());
        irqs.pulse(LINE);
        m.runUntilIdle();
        assertEquals(m.cpu(2), ran.get());

        m.cpu(2).offline();
        irqs.setAffinity(LINE, cpus(1, 2));
        assertEquals(cpus(1, 2), irqs.affinity(LINE), "offline CPUs stay in the mask");
        assertEquals(cpus(1), irqs.effectiveAffinity(LINE), "only an online CPU is chosen");
    }

    @Test
    void theOneCpuFormIsAOneCpuMask() {
        Machine m = machines.boot(b -> b.cpus(4));
        m.irqs().setAffinity(LINE, 3);
        assertEquals(cpus(3), m.irqs().affinity(LINE));
        assertEquals(cpus(3), m.irqs().effectiveAffinity(LINE));
    }

    @Test
    void badMasksAreRefusedAndChangeNothing() {
        Machine m = machines.boot(b -> b.cpus(4));
        Irqs irqs = m.irqs();
        irqs.setAffinity(LINE, cpus(1, 2));
        assertTrue(einval(() -> irqs.setAffinity(LINE, new BitSet())).contains("empty CPU mask"));
        assertTrue(einval(() -> irqs.setAffinity(LINE, cpus(1, 4))).contains("names cpu/4, but this machine has 4"));
        m.cpu(3).offline();
        assertTrue(einval(() -> irqs.setAffinity(LINE, cpus(3))).contains("no CPU of 3 is online (online: 0-2)"));
        assertTrue(einval(() -> irqs.setAffinity(27, cpus(1))).contains("per-CPU"));
        assertThrows(NullPointerException.class, () -> irqs.setAffinity(LINE, (BitSet) null));
        assertEquals(cpus(1, 2), irqs.affinity(LINE), "unchanged");
        assertEquals(cpus(1), irqs.effectiveAffinity(LINE));
    }

    @Test
    void theCallersMaskIsCopied() {
        Machine m = machines.boot(b -> b.cpus(4));
        BitSet mine = cpus(1, 2);
        m.irqs().setAffinity(LINE, mine);
        mine.clear();
        assertEquals(cpus(1, 2), m.irqs().affinity(LINE));
        m.irqs().affinity(LINE).clear();
        assertEquals(cpus(1, 2), m.irqs().affinity(LINE), "the getter returns a copy");
    }

    @Test
    void hotplugMovesALineWithinItsMask() {
        Machine m = machines.boot(b -> b.cpus(4));
        Irqs irqs = m.irqs();
        irqs.request(LINE, (i, d) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING, "eth0", null);
        irqs.setAffinity(LINE, cpus(1, 3));
        m.cpu(1).offline();
        assertEquals(cpus(3), irqs.effectiveAffinity(LINE), "the next online CPU of the mask, not cpu/0");
        assertEquals(cpus(1, 3), irqs.affinity(LINE), "the mask is kept");
        m.cpu(1).online();
        assertEquals(cpus(3), irqs.effectiveAffinity(LINE), "a CPU coming back takes no line back");
    }

    @Test
    void hotplugBreaksAnAffinityWithNoOnlineCpuLeft() {
        Machine m = machines.boot(b -> b.cpus(4));
        Irqs irqs = m.irqs();
        irqs.request(LINE, (i, d) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING, "eth0", null);
        irqs.setAffinity(LINE, 2);
        m.cpu(2).offline();
        assertEquals(cpus(0, 1, 3), irqs.affinity(LINE), "broken affinity: every online CPU");
        assertEquals(cpus(0), irqs.effectiveAffinity(LINE));
    }

    @Test
    void perCpuLinesAreDeliveredEverywhere() {
        Machine m = machines.boot(b -> b.cpus(2));
        assertEquals(cpus(0, 1), m.irqs().affinity(27));
        assertEquals(cpus(0, 1), m.irqs().effectiveAffinity(27));
    }

    @Test
    void theProcViewShowsMaskListAndEffectiveCpu() {
        Machine m = machines.boot(b -> b.cpus(4));
        Irqs irqs = m.irqs();
        irqs.request(LINE, (i, d) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING, "eth0", null);
        irqs.request(42, (i, d) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING | IrqFlags.NOBALANCING, "timer",
                null);
        irqs.setAffinity(LINE, cpus(1, 2, 3));
        String view = irqs.procAffinity();
        assertTrue(view.startsWith(" IRQ  smp_affinity  smp_affinity_list  effective_affinity_list"), view);
        assertTrue(view.contains("  40  e             1-3                1                        off"), view);
        assertTrue(view.contains("  42  f             0-3                0                        NOBALANCING   timer"),
                view);
        assertTrue(!view.contains("balancer:"), "no balancer on this machine");
    }

    @Test
    void hexMasksAreWrittenAsTheKernelWritesACpumask() {
        assertEquals("3", IrqProc.hexMask(cpus(0, 1), 2));
        assertEquals("0f", IrqProc.hexMask(cpus(0, 1, 2, 3), 8));
        assertEquals("10", IrqProc.hexMask(cpus(4), 8));
        BitSet all = new BitSet();
        all.set(0, 40);
        assertEquals("ff,ffffffff", IrqProc.hexMask(all, 40));
        assertEquals("00,00000002", IrqProc.hexMask(cpus(1), 40));
        assertEquals("0-2,5,7-8", IrqManage.cpuList(cpus(0, 1, 2, 5, 7, 8)));
    }
}
