/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.softirq;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.cpu.Cpu;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link Softirqs} API around the drain (which cpu/SoftirqDrainTest covers): open rules (B-SIRQ-1), raising is
 * local to the caller's CPU (B-SIRQ-2), a dead CPU's pending vectors move to a live CPU (B-SIRQ-13). MANUAL mode.
 */
@Timeout(10)
class SoftirqsTest {
    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;

    @BeforeEach
    void boot() {
        m = machines.boot();
    }

    @Test
    void openRefusesRuntimeVectorsASecondActionAndNulls() {
        Softirqs s = m.softirqs();
        for (Softirq v : new Softirq[] {Softirq.HI, Softirq.TIMER, Softirq.TASKLET}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.open(v, () -> { }));
            assertTrue(e.getMessage().contains("belongs to the runtime"), e.getMessage());
        }
        s.open(Softirq.BLOCK, () -> { });
        assertThrows(IllegalStateException.class, () -> s.open(Softirq.BLOCK, () -> { }));
        assertThrows(NullPointerException.class, () -> s.open(Softirq.RCU, null));
        assertThrows(NullPointerException.class, () -> s.open(null, () -> { }));
    }

    @Test
    void raiseLandsOnTheCallersCpuAndRunsThere() {
        List<Integer> ran = new ArrayList<>();
        m.softirqs().open(Softirq.NET_RX, () -> ran.add(Cpu.current().id()));
        m.bindCurrentThread(1);
        m.softirqs().raise(Softirq.NET_RX);
        assertEquals(0, m.softirqs().pending(0));
        assertEquals(Softirq.NET_RX.bit(), m.softirqs().pending(1));
        assertEquals(1, m.softirqs().thisCpu().id());
        m.runUntilIdle();
        assertEquals(List.of(1), ran);
    }

    @Test
    void aDeadCpusPendingVectorsMoveToALiveCpu() {
        List<String> ran = new ArrayList<>();
        m.softirqs().open(Softirq.NET_RX, () -> ran.add("NET_RX@" + Cpu.current().id()));
        m.softirqs().open(Softirq.BLOCK, () -> ran.add("BLOCK@" + Cpu.current().id()));
        m.softirqs().raiseOn(1, Softirq.BLOCK);
        m.softirqs().raiseOn(1, Softirq.NET_RX);
        m.cpu(1).offline();
        m.runUntilIdle();
        assertEquals(List.of("NET_RX@0", "BLOCK@0"), ran, "B-SIRQ-13: moved, and run in bit order");
        m.cpu(1).online();
    }
}
