/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.sync;

import org.junit.jupiter.api.extension.RegisterExtension;
import io.kdefer.Machines;
import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.softirq.Softirq;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SpinLock}'s variants: spin_lock_irq / spin_unlock_irq (and the lockdep-style report when IRQs were already
 * off), spin_lock_bh / spin_unlock_bh, spin_trylock, and the misuse cases (recursion, unlock by a non-owner) for
 * each. MANUAL mode; "task" tests bind the test thread to a CPU.
 */
@Timeout(10)
class SpinLockTest {
    @RegisterExtension
    final Machines machines = new Machines();

    private static final int LINE = Machines.EDGE_LINE;

    private Machine m;

    @BeforeEach
    void boot() {
        m = machines.boot(b -> b.cpus(2));
    }

    private static boolean irqsOff() {
        return CpuContext.current().irqsDisabled();
    }

    // ---------------------------------------------------------------------------------------------- spin_lock_irq

    @Test
    void lockIrqDisablesIrqsOfABoundTaskAndUnlockIrqEnablesThem() {
        m.bindCurrentThread(1);
        SpinLock l = new SpinLock("dev->lock");
        l.lockIrq();
        assertTrue(l.isLocked());
        assertTrue(irqsOff());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Completion().awaitTimeout(java.time.Duration.ZERO));
        assertTrue(e.getMessage().contains("task context with IRQs disabled"), e.getMessage());
        l.unlockIrq();
        assertFalse(l.isLocked());
        assertFalse(irqsOff());
        assertEquals(0, l.lockIrqMisuses(), "IRQs were on: no misuse");
    }

    @Test
    void onACpuTheIrqIsTakenAtUnlockIrqAfterTheLockWasDropped() {
        SpinLock l = new SpinLock("ring.lock");
        List<String> order = new ArrayList<>();
        m.irqs().request(LINE, (irq, dev) -> {
            boolean got = l.tryLock();        // the lock is already free when unlockIrq takes the interrupt
            if (got) {
                l.unlock();
            }
            order.add("hardirq, lock was free " + got);
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        m.softirqs().open(Softirq.NET_RX, () -> {
            l.lockIrq();
            m.irqs().pulse(LINE);
            Cpu.checkpoint();
            order.add("held, checkpoint");
            l.unlockIrq();
            order.add("unlocked, IRQs disabled " + irqsOff());
        });
        m.softirqs().raiseOn(0, Softirq.NET_RX);
        m.cpu(0).runPending();
        assertEquals(List.of("held, checkpoint", "hardirq, lock was free true", "unlocked, IRQs disabled false"),
                order);
        assertEquals(0, l.lockIrqMisuses(), "a softirq runs with IRQs on: no misuse");
    }

    /** The chapter's warning: spin_lock_irq where IRQs were already off; unlockIrq then turns them on. */
    @Test
    void lockIrqWithIrqsAlreadyOffIsReportedOncePerCallSiteAndCountedEachTime() {
        m.bindCurrentThread(1);
        SpinLock outer = new SpinLock("outer.lock");
        SpinLock inner = new SpinLock("inner.lock");
        try (LogCapture log = LogCapture.of("io.kdefer.sync")) {
            long f = outer.lockIrqSave();
            for (int i = 0; i < 3; i++) {
                inner.lockIrq();                                              // one call site, three times
                assertTrue(irqsOff(), "the lock is taken with IRQs off, as the kernel does");
                inner.unlockIrq();
                assertFalse(irqsOff(), "the bug itself: unlockIrq enabled IRQs inside outer's IRQ-off section");
                Cpu.current().localIrqDisable();                              // back into outer's section
            }
            inner.lockIrq();                                                  // a second call site
            inner.unlockIrq();
            outer.unlockIrqRestore(f);
            assertEquals(4, inner.lockIrqMisuses(), "every occurrence is counted");
            assertEquals(0, outer.lockIrqMisuses());
            List<String> reports = log.messages();
            assertEquals(2, log.count("spin_lock_irq(inner.lock) called with IRQs already disabled"),
                    "reported once per call site: " + reports);
            String first = reports.get(0);
            assertTrue(first.startsWith("WARNING "), first);
            assertTrue(first.contains("in task context with IRQs disabled on thread " + Thread.currentThread().getName()
                    + " (bound to cpu/1)"), first);
            assertTrue(first.contains("io.kdefer.sync.SpinLockTest."
                    + "lockIrqWithIrqsAlreadyOffIsReportedOncePerCallSiteAndCountedEachTime(SpinLockTest.java:"),
                    "names the call site: " + first);
            assertTrue(first.contains("use lockIrqSave/unlockIrqRestore"), first);
        }
    }

    @Test
    void lockIrqInAHardirqHandlerIsReportedNamingTheContext() {
        SpinLock l = new SpinLock("handler.lock");
        AtomicReference<Boolean> irqsOffAfterUnlock = new AtomicReference<>();
        m.irqs().request(LINE, (irq, dev) -> {
            l.lockIrq();
            l.unlockIrq();
            irqsOffAfterUnlock.set(irqsOff());
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        try (LogCapture log = LogCapture.of("io.kdefer.sync")) {
            m.irqs().pulse(LINE);
            m.cpu(0).runPending();
            assertEquals(1, log.count("spin_lock_irq(handler.lock) called with IRQs already disabled, in hardirq "
                    + "context on cpu/0"), log.messages().toString());
        }
        assertEquals(Boolean.FALSE, irqsOffAfterUnlock.get(), "the handler ran on with IRQs enabled: the bug");
        assertEquals(1, l.lockIrqMisuses());
    }

    @Test
    void lockIrqOnAnUnboundThreadOnlyLocks() {
        SpinLock l = new SpinLock();
        try (LogCapture log = LogCapture.of("io.kdefer.sync")) {
            l.lockIrq();
            assertTrue(l.isLocked());
            l.unlockIrq();
            assertTrue(log.messages().isEmpty(), log.messages().toString());
        }
        assertFalse(l.isLocked());
        assertTrue(l.name().startsWith("SpinLock@"), l.name());
    }

    // ---------------------------------------------------------------------------------------------- spin_lock_bh

    @Test
    void lockBhDisablesBottomHalvesOfABoundTaskUntilUnlockBh() {
        m.bindCurrentThread(0);
        SpinLock l = new SpinLock("bh.lock");
        l.lockBh();
        CpuContext x = CpuContext.current();
        assertTrue(x.inSoftirq() && x.inTask(), "BH-disabled task context");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new Mutex().lockUninterruptible());
        assertTrue(e.getMessage().contains("task context with BH disabled"), e.getMessage());
        l.unlockBh();
        assertFalse(CpuContext.current().inSoftirq());
        assertTrue(CpuContext.current().preemptible());
        assertFalse(l.isLocked());
    }

    @Test
    void lockBhNestedInASoftirqRunsNothingNested() {
        // On the CPU's own thread only a hardirq can hold the lock outside softirq context; there, lockBh is the
        // kernel's B-SIRQ-11 report. What we check here: nested in a softirq, lockBh/unlockBh keep the count
        // balanced and run nothing nested (softirqs never nest).
        SpinLock l = new SpinLock("bh.lock");
        List<String> order = new ArrayList<>();
        m.softirqs().open(Softirq.NET_TX, () -> order.add("NET_TX"));
        m.softirqs().open(Softirq.NET_RX, () -> {
            l.lockBh();
            m.softirqs().raiseOn(0, Softirq.NET_TX);
            l.unlockBh();
            order.add("NET_RX done, serving " + CpuContext.current().inServingSoftirq());
        });
        m.softirqs().raiseOn(0, Softirq.NET_RX);
        m.cpu(0).runPending();
        assertEquals(List.of("NET_RX done, serving true", "NET_TX"), order);
    }

    // ---------------------------------------------------------------------------------------------- spin_trylock

    @Test
    void tryLockTakesAFreeLockAndNeverSpins() throws Exception {
        SpinLock l = new SpinLock("t.lock");
        assertTrue(l.tryLock());
        assertTrue(l.isLocked());
        assertFalse(l.tryLock(), "the owner's trylock fails instead of deadlocking");
        AtomicReference<Boolean> other = new AtomicReference<>();
        Thread t = new Thread(() -> other.set(l.tryLock()));
        t.start();
        t.join();
        assertEquals(Boolean.FALSE, other.get(), "held: trylock fails at once");
        l.unlock();
        Thread t2 = new Thread(() -> {
            other.set(l.tryLock());
            l.unlock();
        });
        t2.start();
        t2.join();
        assertEquals(Boolean.TRUE, other.get());
        assertFalse(l.isLocked());
    }

    // ---------------------------------------------------------------------------------------------- misuse

    @Test
    void recursionIsRefusedBeforeAnyIrqOrBhStateChanges() {
        m.bindCurrentThread(1);
        SpinLock l = new SpinLock("rec.lock");
        l.lock();
        IllegalStateException e = assertThrows(IllegalStateException.class, l::lockIrq);
        assertTrue(e.getMessage().startsWith("spin_lock_irq(rec.lock): recursive locking by"), e.getMessage());
        assertFalse(irqsOff(), "a refused lockIrq disabled nothing");
        e = assertThrows(IllegalStateException.class, l::lockIrqSave);
        assertTrue(e.getMessage().startsWith("spin_lock_irqsave(rec.lock): recursive"), e.getMessage());
        assertFalse(irqsOff(), "a refused lockIrqSave disabled nothing");
        e = assertThrows(IllegalStateException.class, l::lockBh);
        assertTrue(e.getMessage().startsWith("spin_lock_bh(rec.lock): recursive"), e.getMessage());
        assertTrue(CpuContext.current().preemptible(), "a refused lockBh disabled nothing");
        e = assertThrows(IllegalStateException.class, l::lock);
        assertTrue(e.getMessage().contains("would spin forever"), e.getMessage());
        l.unlock();
        assertEquals(0, l.lockIrqMisuses());
    }

    @Test
    void unlockByANonOwnerIsRefusedAndLeavesIrqAndBhStateAlone() throws Exception {
        m.bindCurrentThread(1);
        SpinLock l = new SpinLock("own.lock");
        Thread holder = new Thread(l::lock);
        holder.start();
        holder.join();
        Cpu.current().localIrqDisable();                       // our own IRQ-off section
        assertTrue(irqsOff());
        IllegalStateException e = assertThrows(IllegalStateException.class, l::unlockIrq);
        assertTrue(e.getMessage().startsWith("spin_unlock(own.lock): " + Thread.currentThread().getName()
                + " does not hold this spinlock"), e.getMessage());
        assertTrue(irqsOff(), "a refused unlockIrq enabled nothing");
        assertThrows(IllegalStateException.class, () -> l.unlockIrqRestore(Cpu.IRQS_ENABLED));
        assertTrue(irqsOff(), "a refused unlockIrqRestore restored nothing");
        Cpu.current().localIrqEnable();
        Cpu.current().localBhDisable();
        assertThrows(IllegalStateException.class, l::unlockBh);
        assertTrue(CpuContext.current().inSoftirq(), "a refused unlockBh enabled nothing");
        Cpu.current().localBhEnable();
        assertTrue(l.isLocked(), "still held by the thread that took it");
    }
}
