/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.kdefer.x86.VectorMatrix.Assignment;
import io.kdefer.x86.VectorMatrix.Slot;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The vector matrix: reservations, first fit, best CPU, the vector_irq slots and the move/cleanup protocol. */
@DisplayName("vector matrix")
class VectorMatrixTest {
    /** Stands in for genirq's descriptor. */
    record Desc(String name) {
    }

    private static BitSet cpus(int... ids) {
        BitSet b = new BitSet();
        for (int c : ids) {
            b.set(c);
        }
        return b;
    }

    /** Vectors in [0x20, 0xec) minus 0x80, minus 0x32 with a legacy PIC. */
    private static final int RANGE = IrqVectors.FIRST_SYSTEM_VECTOR - IrqVectors.FIRST_EXTERNAL_VECTOR;

    @Test
    @DisplayName("system vectors are reserved on every CPU: 0xec-0xff, 0x80, and the cascade's 0x32 with a PIC")
    void reservations() {
        VectorMatrix<Desc> m = new VectorMatrix<>(2, true);
        assertEquals(RANGE - 2, m.available(0));
        assertEquals(2 * (RANGE - 2), m.globalAvailable());
        assertTrue(m.isSystemVector(0x80));
        assertTrue(m.isSystemVector(0x32));
        assertTrue(m.isSystemVector(IrqVectors.LOCAL_TIMER_VECTOR));
        assertTrue(m.isSystemVector(0xff));
        assertFalse(m.isSystemVector(0x31));
        assertEquals(Slot.SYSTEM, m.slot(1, IrqVectors.RESCHEDULE_VECTOR));
        assertEquals(Slot.UNUSED, m.slot(1, 0x40));
        VectorMatrix<Desc> noPic = new VectorMatrix<>(1, false);
        assertEquals(RANGE - 1, noPic.available(0));
        assertFalse(noPic.isSystemVector(0x32));
        noPic.reserveSystemVector(0x40);
        assertEquals(RANGE - 2, noPic.available(0));
        noPic.allocate(new Desc("x"), cpus(0));
        assertThrows(IllegalStateException.class, () -> noPic.reserveSystemVector(0x20), "allocated already");
    }

    @Test
    @DisplayName("first fit from 0x20 on one CPU, skipping reserved vectors; -ENOSPC when the CPU is full")
    void firstFit() {
        VectorMatrix<Desc> m = new VectorMatrix<>(1, true);
        List<Integer> got = new ArrayList<>();
        for (int i = 0; i < RANGE - 2; i++) {
            got.add(m.allocate(new Desc("d" + i), cpus(0)).vector());
        }
        assertEquals(0x20, got.get(0));
        assertEquals(0x31, got.get(0x11));
        assertEquals(0x33, got.get(0x12), "0x32 is the cascade's");
        assertFalse(got.contains(0x80));
        assertEquals(IrqVectors.FIRST_SYSTEM_VECTOR - 1, got.get(got.size() - 1));
        assertEquals(0, m.available(0));
        String msg = assertThrows(IllegalStateException.class, () -> m.allocate(new Desc("z"), cpus(0)))
                .getMessage();
        assertTrue(msg.startsWith("-ENOSPC"), msg);
    }

    @Test
    @DisplayName("the best CPU is the allowed online one with the most available vectors, ties to the lowest")
    void bestCpu() {
        VectorMatrix<Desc> m = new VectorMatrix<>(3, false);
        assertEquals(0, m.allocate(new Desc("a"), cpus(0, 1, 2)).cpu());
        assertEquals(1, m.allocate(new Desc("b"), cpus(0, 1, 2)).cpu());
        assertEquals(2, m.allocate(new Desc("c"), cpus(0, 1, 2)).cpu());
        assertEquals(0, m.allocate(new Desc("d"), cpus(0, 1, 2)).cpu());
        Assignment<Desc> e = m.allocate(new Desc("e"), cpus(0, 1));
        assertEquals(1, e.cpu());
        assertEquals(0x21, e.vector(), "vectors are first fit per CPU, not spread over classes");
        m.setOnline(2, false);
        assertEquals(1, m.allocate(new Desc("f"), cpus(1, 2)).cpu(), "offline CPU 2 is skipped");
        String msg = assertThrows(IllegalArgumentException.class, () -> m.allocate(new Desc("g"), cpus(2)))
                .getMessage();
        assertTrue(msg.startsWith("-EINVAL"), msg);
        assertThrows(IllegalArgumentException.class, () -> m.allocate(new Desc("h"), new BitSet()));
        assertThrows(IllegalArgumentException.class, () -> m.allocate(new Desc("i"), cpus(7)));
    }

    @Test
    @DisplayName("vector_irq: descriptor lookup; free marks SHUTDOWN (one late interrupt swallowed); UNUSED is"
            + " counted per vector for a once-only report")
    void slots() {
        VectorMatrix<Desc> m = new VectorMatrix<>(2, false);
        Desc d = new Desc("nic");
        Assignment<Desc> a = m.allocate(d, cpus(1));
        assertSame(d, m.descriptor(1, a.vector()));
        assertSame(d, a.descriptor());
        assertEquals(Slot.ASSIGNED, m.slot(1, a.vector()));
        assertNull(m.descriptor(0, a.vector()));
        assertEquals(1, m.unhandled(0, a.vector()), "UNUSED: the first hit is reported");
        assertEquals(2, m.unhandled(0, a.vector()));
        int v = a.vector();
        m.free(a);
        assertTrue(a.isFreed());
        assertEquals(-1, a.cpu());
        assertEquals(Slot.SHUTDOWN, m.slot(1, v));
        assertNull(m.descriptor(1, v));
        assertEquals(0, m.unhandled(1, v), "SHUTDOWN swallows one late interrupt");
        assertEquals(Slot.UNUSED, m.slot(1, v));
        assertEquals(1, m.unhandled(1, v));
        assertFalse(m.isAllocated(1, v));
        m.free(a);                                      // idempotent
        assertThrows(IllegalStateException.class, () -> m.setAffinity(a, cpus(0)));
        Assignment<Desc> b = m.allocate(new Desc("reuse"), cpus(1));
        assertEquals(v, b.vector(), "a freed vector is reused first fit");
    }

    @Test
    @DisplayName("move: new vector installed, old one kept; -EBUSY until the first interrupt on the new target;"
            + " cleanup on the old CPU waits while the old vector is still requested")
    void moveProtocol() {
        VectorMatrix<Desc> m = new VectorMatrix<>(2, false);
        Desc d = new Desc("eth0");
        m.allocate(new Desc("filler"), cpus(1));       // CPU 1's first free vector is now 0x21
        Assignment<Desc> a = m.allocate(d, cpus(0));
        assertEquals(0, a.cpu());
        assertEquals(0x20, a.vector());
        assertTrue(m.setAffinity(a, cpus(0, 1)), "the current CPU is allowed: nothing to do");
        assertEquals(0, a.cpu());
        assertFalse(a.moveInProgress());
        assertTrue(m.setAffinity(a, cpus(1)));
        assertEquals(1, a.cpu());
        assertEquals(0x21, a.vector());
        assertEquals(0, a.prevCpu());
        assertEquals(0x20, a.prevVector());
        assertTrue(a.moveInProgress());
        assertSame(d, m.descriptor(0, 0x20), "the old vector stays installed: the device may still use it");
        assertSame(d, m.descriptor(1, 0x21));
        assertFalse(m.setAffinity(a, cpus(0)), "-EBUSY while moving");
        assertEquals(-1, m.completeMove(a, 0, 0x20), "an interrupt on the old vector does not end the move");
        assertTrue(a.moveInProgress());
        assertEquals(0, m.completeMove(a, 1, 0x21), "the first interrupt on the new target: clean up on CPU 0");
        assertFalse(a.moveInProgress());
        assertTrue(a.cleanupPending());
        assertEquals(1, m.cleanupPending(0));
        assertFalse(m.setAffinity(a, cpus(0)), "-EBUSY until the cleanup ran");
        assertEquals(1, m.cleanup(0, v -> v == 0x20), "still requested in CPU 0's IRR: retry later");
        assertTrue(m.isAllocated(0, 0x20));
        int before = m.available(0);
        assertEquals(0, m.cleanup(0, v -> false));
        assertFalse(m.isAllocated(0, 0x20));
        assertEquals(before + 1, m.available(0));
        assertEquals(Slot.UNUSED, m.slot(0, 0x20));
        assertEquals(0, a.prevVector());
        assertFalse(a.cleanupPending());
        assertEquals(-1, m.completeMove(a, 1, 0x21), "settled");
        assertTrue(m.setAffinity(a, cpus(0)));
        assertEquals(0, a.cpu());
    }

    @Test
    @DisplayName("free during a move frees both vectors (SHUTDOWN) and drops the pending cleanup")
    void freeWhileMoving() {
        VectorMatrix<Desc> m = new VectorMatrix<>(2, false);
        Assignment<Desc> a = m.allocate(new Desc("x"), cpus(0));
        m.setAffinity(a, cpus(1));
        m.completeMove(a, a.cpu(), a.vector());
        assertEquals(1, m.cleanupPending(0));
        m.free(a);
        assertEquals(0, m.cleanupPending(0));
        assertEquals(Slot.SHUTDOWN, m.slot(0, 0x20));
        assertEquals(Slot.SHUTDOWN, m.slot(1, 0x20));
        assertEquals(0, m.allocated(0));
        assertEquals(0, m.allocated(1));
        assertEquals(0, m.cleanup(0, v -> false));
    }

    @Test
    @DisplayName("offline CPUs: a move away frees the old vector at once; so does completing a move from one")
    void offline() {
        VectorMatrix<Desc> m = new VectorMatrix<>(3, false);
        Assignment<Desc> a = m.allocate(new Desc("a"), cpus(2));
        m.setOnline(2, false);
        assertFalse(m.isOnline(2));
        assertTrue(m.setAffinity(a, cpus(0, 2)));
        assertEquals(0, a.cpu());
        assertFalse(a.moveInProgress(), "the old CPU is offline: nothing to wait for");
        assertEquals(0, m.allocated(2));
        Assignment<Desc> b = m.allocate(new Desc("b"), cpus(1));
        assertTrue(m.setAffinity(b, cpus(0)));
        m.setOnline(1, false);
        assertEquals(-1, m.completeMove(b, b.cpu(), b.vector()), "old CPU offline: freed at once");
        assertEquals(0, m.allocated(1));
        assertEquals(0, b.prevVector());
        int avail = m.globalAvailable();
        m.setOnline(1, true);
        assertEquals(avail + m.available(1), m.globalAvailable());
    }

    @Test
    @DisplayName("legacy PIC IRQs: ISA_IRQ_VECTOR(irq) on CPU 0, installed on every CPU, not movable")
    void legacy() {
        VectorMatrix<Desc> m = new VectorMatrix<>(2, true);
        Desc timer = new Desc("timer");
        Assignment<Desc> a = m.assignLegacy(0, timer);
        assertTrue(a.isLegacy());
        assertEquals(0x30, a.vector());
        assertSame(timer, m.descriptor(0, 0x30));
        assertSame(timer, m.descriptor(1, 0x30), "the 8259A's vectors are installed on every CPU");
        assertTrue(m.isAllocated(0, 0x30));
        assertTrue(m.isAllocated(1, 0x30), "taken on every CPU: no device vector can collide with the slot");
        VectorMatrix<Desc> other = new VectorMatrix<>(2, true);
        other.assignLegacy(1, new Desc("i8042"));
        for (int i = 0; i < RANGE - 3; i++) {
            assertFalse(other.allocate(new Desc("d" + i), cpus(1)).vector() == 0x31);
        }
        assertThrows(IllegalStateException.class, () -> m.assignLegacy(0, timer));
        assertThrows(IllegalArgumentException.class, () -> m.assignLegacy(2, timer), "the cascade");
        assertThrows(IllegalArgumentException.class, () -> m.assignLegacy(16, timer));
        String msg = assertThrows(IllegalArgumentException.class, () -> m.setAffinity(a, cpus(1))).getMessage();
        assertTrue(msg.startsWith("-EINVAL"), msg);
        Assignment<Desc> kbd = m.assignLegacy(1, new Desc("i8042"));
        m.setOnline(1, false);
        m.setOnline(1, true);
        assertSame(kbd.descriptor(), m.descriptor(1, 0x31), "reinstalled when the CPU comes online");
        m.free(a);
        assertEquals(Slot.SHUTDOWN, m.slot(0, 0x30));
        assertEquals(Slot.SHUTDOWN, m.slot(1, 0x30));
        assertFalse(m.isAllocated(0, 0x30));
        assertFalse(m.isAllocated(1, 0x30));
        assertEquals(0x30, m.assignLegacy(0, timer).vector(), "assignable again after free");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    @DisplayName("concurrent allocate/move/free: accounting balances at quiescence")
    void concurrentAccounting() throws InterruptedException {
        VectorMatrix<Desc> m = new VectorMatrix<>(4, true);
        int total = m.globalAvailable();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 3; t++) {
            int seed = t;
            Thread th = new Thread(() -> {
                java.util.Random rnd = new java.util.Random(seed);
                try {
                    start.await();
                    for (int i = 0; i < 3000; i++) {
                        Assignment<Desc> a = m.allocate(new Desc("t" + seed), cpus(rnd.nextInt(4)));
                        if (m.setAffinity(a, cpus(rnd.nextInt(4))) && a.moveInProgress()) {
                            int prev = m.completeMove(a, a.cpu(), a.vector());
                            if (prev >= 0) {
                                m.cleanup(prev, v -> false);
                            }
                        }
                        m.free(a);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads.add(th);
            th.start();
        }
        start.countDown();
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(List.of(), failures);
        assertEquals(total, m.globalAvailable());
        for (int c = 0; c < 4; c++) {
            assertEquals(0, m.allocated(c));
            assertEquals(0, m.cleanupPending(c));
        }
    }
}
