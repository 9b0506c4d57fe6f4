/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu.internal;

import io.kdefer.LogCapture;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OS pinning plan ({@link Pinning}) against a fake {@link HostAffinity}: the housekeeping split for fewer, as
 * many and more virtual CPUs than host CPUs, non-contiguous host masks, what each thread kind asks the OS for, and a
 * refused pin logged once and never thrown into the thread.
 */
class PinningTest {
    /** A host whose calling thread may run on {@code allowed}; records every set call; refuses when told. */
    static final class FakeHost implements HostAffinity {
        final BitSet allowed;
        final List<BitSet> sets = new ArrayList<>();
        boolean refuse;

        FakeHost(int... cpus) {
            allowed = bits(cpus);
        }

        @Override
        public BitSet currentThread() {
            return (BitSet) allowed.clone();
        }

        @Override
        public void setCurrentThread(BitSet hostCpus) {
            if (refuse) {
                throw new IllegalStateException("sched_setaffinity(" + hostCpus + ") failed: errno 22");
            }
            sets.add((BitSet) hostCpus.clone());
        }
    }

    static BitSet bits(int... cpus) {
        BitSet b = new BitSet();
        for (int c : cpus) {
            b.set(c);
        }
        return b;
    }

    @Test
    void fewerCpusThanHostCpusTakeTheHighestAndLeaveTheRestToHousekeeping() {
        FakeHost host = new FakeHost(0, 1, 2, 3, 4, 5, 6, 7);
        Pinning p = Pinning.plan(host, 2);
        assertTrue(p.enabled());
        assertEquals(6, p.hostCpuOf(0));
        assertEquals(7, p.hostCpuOf(1));
        assertEquals(bits(0, 1, 2, 3, 4, 5), p.housekeeping());
        assertEquals("cpu/0 on host 6, cpu/1 on host 7; other runtime threads on host {0, 1, 2, 3, 4, 5}",
                p.toString());
    }

    @Test
    void aNonContiguousMaskIsUsedInAscendingOrder() {
        Pinning p = Pinning.plan(new FakeHost(9, 2, 5, 12), 3);     // a cpuset: host CPUs 2, 5, 9, 12
        assertEquals(5, p.hostCpuOf(0));
        assertEquals(9, p.hostCpuOf(1));
        assertEquals(12, p.hostCpuOf(2));
        assertEquals(bits(2), p.housekeeping());
    }

    @Test
    void asManyCpusAsHostCpusGiveEachItsOwnAndTheOthersAllOfThem() {
        Pinning p = Pinning.plan(new FakeHost(3, 4), 2);
        assertEquals(3, p.hostCpuOf(0));
        assertEquals(4, p.hostCpuOf(1));
        assertEquals(bits(3, 4), p.housekeeping());
    }

    @Test
    void moreCpusThanHostCpusShareThemRoundRobin() {
        Pinning p = Pinning.plan(new FakeHost(1, 3), 5);
        int[] got = new int[5];
        for (int i = 0; i < 5; i++) {
            got[i] = p.hostCpuOf(i);
        }
        assertEquals(List.of(1, 3, 1, 3, 1), java.util.Arrays.stream(got).boxed().toList());
        assertEquals(bits(1, 3), p.housekeeping());
    }

    @Test
    void eachThreadKindAsksForItsOwnSet() {
        FakeHost host = new FakeHost(0, 1, 2, 3);
        Pinning p = Pinning.plan(host, 2);
        p.enterCpuThread(1);
        p.enterCpuThread(0);
        p.enterOtherThread();
        assertEquals(List.of(bits(3), bits(2), bits(0, 1)), host.sets);
    }

    @Test
    void otherThreadsAreMovedEvenWhenNothingIsLeftOver() {
        // a Linux thread inherits its creator's mask: a worker started by a pinned cpu/0 would stay on its core
        FakeHost host = new FakeHost(0, 1);
        Pinning.plan(host, 2).enterOtherThread();
        assertEquals(List.of(bits(0, 1)), host.sets);
    }

    @Test
    void aRefusedPinIsLoggedOnceAndNeverThrown() {
        FakeHost host = new FakeHost(0, 1, 2);
        Pinning p = Pinning.plan(host, 1);
        host.refuse = true;
        try (LogCapture log = LogCapture.of("io.kdefer.cpu")) {
            p.enterCpuThread(0);
            p.enterOtherThread();
            p.enterCpuThread(0);
            assertEquals(1, log.count("OS pinning: could not pin"), log.messages().toString());
            assertTrue(log.contains("could not pin cpu/0 to host CPUs {2}"), log.messages().toString());
        }
    }

    @Test
    void noHostCpuIsRefusedAtPlanning() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Pinning.plan(new FakeHost(), 2));
        assertTrue(e.getMessage().contains("no host CPU"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Pinning.plan(new FakeHost(0), 0));
    }

    @Test
    void noneAsksTheOsNothing() {
        Pinning p = Pinning.NONE;
        assertFalse(p.enabled());
        assertEquals(-1, p.hostCpuOf(0));
        assertNull(p.housekeeping());
        p.enterCpuThread(0);        // no OS to ask: nothing happens, nothing throws
        p.enterOtherThread();
        assertEquals("not pinned", p.toString());
    }
}
