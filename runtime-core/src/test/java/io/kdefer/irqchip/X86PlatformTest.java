/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqchip;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Platform;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irq.Irqs;
import io.kdefer.irqwork.IrqWork;
import io.kdefer.smp.CallSingleData;
import io.kdefer.softirq.Softirq;
import io.kdefer.tasklet.Tasklet;
import io.kdefer.time.TimerList;
import io.kdefer.workqueue.Work;
import io.kdefer.x86.IoApic;
import io.kdefer.x86.VectorMatrix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.kdefer.irqchip.X86Support.await;
import static io.kdefer.irqchip.X86Support.globalCount;
import static io.kdefer.irqchip.X86Support.manual;
import static io.kdefer.irqchip.X86Support.rowCount;
import static io.kdefer.irqchip.X86Support.vector;
import static io.kdefer.irqchip.X86Support.vectorCpu;
import static io.kdefer.irqchip.X86Support.x86;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end on each x86 platform: the deferral primitives run unchanged (irq_work local and remote, cross-CPU calls,
 * softirqs, tasklets, timers, a threaded ONESHOT level line, workqueues) driven by the x86 chips; CPU hotplug moves an
 * IO-APIC line's vector; a THREADED machine boots, serves a device and closes. MANUAL mode unless stated.
 */
@Timeout(30)
class X86PlatformTest {
    private Machine m;

    @AfterEach
    void close() {
        if (m != null) {
            m.unbindCurrentThread();
            m.close();
        }
    }

    /** An edge line of the platform (an ISA IRQ: IO-APIC-edge or XT-PIC). */
    private static final int EDGE_IRQ = 4;

    /** A level line of the platform: a PCI GSI (IO-APIC-fasteoi), or an ELCR level ISA IRQ on the XT-PIC. */
    private static int levelIrq(Platform p) {
        return p == Platform.X86_APIC ? 16 : 10;
    }

    private static int levelFlags(Platform p) {
        return p == Platform.X86_APIC ? IrqFlags.TRIGGER_LOW : IrqFlags.TRIGGER_HIGH;
    }

    @ParameterizedTest
    @EnumSource(value = Platform.class, names = {"X86_APIC", "X86_LEGACY_PIC"})
    void irqWorkLocalAndRemote(Platform p) {
        m = manual(p, 2);
        m.bindCurrentThread(0);
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        IrqWork local = new IrqWork(m, () -> ran.add("local on " + Cpu.current() + " hardirq="
                + Cpu.current().context().inHardirq()));
        IrqWork remote = new IrqWork(m, () -> ran.add("remote on " + Cpu.current()));
        assertTrue(local.queue());
        assertTrue(remote.queueOn(1));
        m.runUntilIdle();
        assertEquals(List.of("local on cpu/0 hardirq=true", "remote on cpu/1"), ran);
        assertEquals(1, rowCount(m, "IWI", 0), "the self-IPI on vector 0xf6");
        assertEquals(1, rowCount(m, "CAL", 1), "remote irq_work goes through the call-single queue");
    }

    @ParameterizedTest
    @EnumSource(value = Platform.class, names = {"X86_APIC", "X86_LEGACY_PIC"})
    void crossCpuCalls(Platform p) {
        m = manual(p, 3);
        AtomicReference<Cpu> where = new AtomicReference<>();
        m.smp().callFunctionSingle(2, () -> where.set(Cpu.current()), true);
        assertSame(m.cpu(2), where.get());
        AtomicInteger async = new AtomicInteger();
        CallSingleData csd = new CallSingleData(async::incrementAndGet);
        assertTrue(m.smp().callFunctionSingleAsync(1, csd));
        m.runUntilIdle();
        assertEquals(1, async.get());
        AtomicInteger each = new AtomicInteger();
        m.smp().onEachCpu(each::incrementAndGet, true);
        assertEquals(3, each.get());
    }

    @ParameterizedTest
    @EnumSource(value = Platform.class, names = {"X86_APIC", "X86_LEGACY_PIC"})
    void aDeviceInterruptRaisesASoftirqSchedulesATaskletAndQueuesWork(Platform p) {
        m = manual(p, 2);
        Irqs irqs = m.irqs();
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch worked = new CountDownLatch(1);
        Work work = new Work(() -> {
            order.add("work in task context=" + CpuContext.current().inTask());
            worked.countDown();
        });
        Tasklet tasklet = new Tasklet(m, () -> order.add("tasklet in softirq=" + Cpu.current().context()
                .inServingSoftirq()));
        m.softirqs().open(Softirq.NET_RX, () -> order.add("NET_RX on " + Cpu.current()));
        irqs.request(EDGE_IRQ, (irq, dev) -> {
            order.add("hardirq on " + Cpu.current());
            m.softirqs().raise(Softirq.NET_RX);
            tasklet.schedule();
            m.workqueues().system().queue(work);
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "nic", null);
        irqs.pulse(EDGE_IRQ);
        m.runUntilIdle();
        await(worked);
        // The softirq and its tasklet run at this CPU's irq exit, in that order; the work item runs on a kworker
        // thread, which may take it before, between or after them: the kernel orders nothing there.
        List<String> seen = new ArrayList<>(order);
        assertTrue(seen.remove("work in task context=true"), "the work ran, in task context: " + order);
        assertEquals(List.of("hardirq on cpu/0", "NET_RX on cpu/0", "tasklet in softirq=true"), seen);
        assertEquals("hardirq on cpu/0", order.get(0), "everything follows the hardirq that queued it");
    }

    @ParameterizedTest
    @EnumSource(value = Platform.class, names = {"X86_APIC", "X86_LEGACY_PIC"})
    void timersFireOnTheLapicTick(Platform p) {
        m = manual(p, 2);
        m.bindCurrentThread(1);
        List<String> fired = new ArrayList<>();
        TimerList t = new TimerList(m, () -> fired.add("fired on " + Cpu.current() + " at " + m.jiffies()));
        t.mod(Duration.ofMillis(5));
        m.advance(Duration.ofMillis(4));
        assertTrue(fired.isEmpty());
        m.advance(Duration.ofMillis(1));
        assertEquals(List.of("fired on cpu/1 at 5"), fired);
    }

    @ParameterizedTest
    @EnumSource(value = Platform.class, names = {"X86_APIC", "X86_LEGACY_PIC"})
    void aThreadedOneshotLevelLineRunsItsThreadOncePerAssertion(Platform p) {
        m = manual(p, 2);
        Irqs irqs = m.irqs();
        int irq = levelIrq(p);
        AtomicInteger hardirqs = new AtomicInteger();
        AtomicInteger threadRuns = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(2);
        irqs.requestThreaded(irq, null, (i, dev) -> {
            threadRuns.incrementAndGet();
            irqs.setLevel(irq, false);                    // the device is serviced in task context
            done.countDown();
            return IrqReturn.HANDLED;
        }, IrqFlags.ONESHOT | levelFlags(p), "sensor", null);
        irqs.request(EDGE_IRQ, (i, dev) -> {
            hardirqs.incrementAndGet();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "other", null);
        for (int round = 0; round < 2; round++) {
            irqs.setLevel(irq, true);
            m.runUntilIdle();
            irqs.synchronize(irq);
            m.runUntilIdle();
        }
        await(done);
        assertEquals(2, threadRuns.get());
        assertEquals(2, irqs.desc(irq).count(), "one hardirq per assertion: masked until the thread ran");
        assertFalse(irqs.desc(irq).isMasked());
        irqs.pulse(EDGE_IRQ);
        m.runUntilIdle();
        assertEquals(1, hardirqs.get(), "the other line was never held up");
    }

    @Test
    void hotplugMovesAnIoApicLinesVectorAndBack() {
        m = manual(Platform.X86_APIC, 2);
        Irqs irqs = m.irqs();
        IoApic ioApic = m.ioApic();
        List<Integer> ran = new ArrayList<>();
        irqs.request(16, (irq, dev) -> {
            ran.add(Cpu.current().id());
            irqs.setLevel(16, false);
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_LOW, "eth0", null);
        irqs.setAffinity(16, 1);
        int onCpu1 = vector(m, 16);
        assertEquals(1, ioApic.destination(16));
        VectorMatrix<?> matrix = x86(m).matrix();
        try (LogCapture log = LogCapture.of("io.kdefer.irqchip")) {
            m.cpu(1).offline();
            assertEquals(0, vectorCpu(m, 16), "fixup_irqs: the line left the dying CPU");
            assertEquals(0, ioApic.destination(16));
            assertEquals(vector(m, 16), ioApic.vector(16));
            assertEquals(0, irqs.desc(16).affinity());
            irqs.setLevel(16, true);
            m.runUntilIdle();
            assertEquals(List.of(0), ran);
            assertFalse(matrix.isAllocated(1, onCpu1), "the old vector on the offline CPU was freed");
            m.cpu(1).online();
            irqs.setAffinity(16, 1);
            irqs.setLevel(16, true);
            m.runUntilIdle();
            assertEquals(List.of(0, 1), ran);
            assertEquals(0, log.count("No irq handler"));
        }
        assertEquals(0, globalCount(m, "ERR"));
        assertFalse(ioApic.remoteIrr(16));
    }

    @Test
    void aLevelInstancePendingOnTheDyingCpuIsResentToTheLinesNewCpuOnce() {
        m = manual(Platform.X86_APIC, 2);
        Irqs irqs = m.irqs();
        IoApic ioApic = m.ioApic();
        List<Integer> ran = new ArrayList<>();
        irqs.request(17, (irq, dev) -> {
            ran.add(Cpu.current().id());
            irqs.setLevel(17, false);
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_LOW, "dev", null);
        irqs.setAffinity(17, 1);
        int old = vector(m, 17);
        irqs.setLevel(17, true);                          // accepted by CPU 1, not taken: remote IRR set
        assertTrue(ioApic.remoteIrr(17));
        assertTrue(m.localApic(1).isRequested(old));
        try (LogCapture log = LogCapture.of("io.kdefer.irqchip")) {
            m.cpu(1).offline();
            m.runUntilIdle();
            assertEquals(List.of(0), ran, "resent to CPU 0 and handled there, once");
            assertFalse(ioApic.remoteIrr(17), "the resent (edge) instance's EOI went to the pin: the MIS path");
            assertEquals(1, x86(m).misCount());
            m.cpu(1).online();
            m.runUntilIdle();                             // CPU 1 takes its stale IRR bit: swallowed
            assertEquals(List.of(0), ran);
            assertEquals(0, log.count("No irq handler"));
        }
        assertEquals(0, globalCount(m, "ERR"));
        assertTrue(m.localApic(1).requested().isEmpty());
        irqs.setLevel(17, true);
        m.runUntilIdle();
        assertEquals(List.of(0, 0), ran);
    }

    @Test
    void anEdgeStillRequestedOnTheOldVectorOfADyingCpuIsResentOnceAndItsStaleBitSwallowed() {
        m = manual(Platform.X86_APIC, 2);
        Irqs irqs = m.irqs();
        List<Integer> ran = new ArrayList<>();
        irqs.request(5, (irq, dev) -> {
            ran.add(Cpu.current().id());
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        irqs.setAffinity(5, 1);
        irqs.pulse(5);
        m.runUntilIdle();
        assertEquals(List.of(1), ran);
        int onCpu1 = vector(m, 5);
        irqs.pulse(5);                                    // requested in CPU 1's IRR, not taken
        irqs.setAffinity(5, 0);                           // a move back in progress; the old vector keeps the edge
        VectorMatrix<?> matrix = x86(m).matrix();
        try (LogCapture log = LogCapture.of("io.kdefer.irqchip")) {
            m.cpu(1).offline();
            assertFalse(matrix.isAllocated(1, onCpu1), "the dying CPU's old vector was freed");
            m.runUntilIdle();
            assertEquals(List.of(1, 0), ran, "resent to CPU 0, once");
            m.cpu(1).online();
            m.runUntilIdle();
            assertEquals(List.of(1, 0), ran, "the stale IRR bit on CPU 1 is swallowed");
            assertEquals(0, log.count("No irq handler"));
        }
        assertEquals(0, globalCount(m, "ERR"));
        assertTrue(m.localApic(1).requested().isEmpty() && m.localApic(1).inService().isEmpty());
    }

    @Test
    void anMsiPendingMoveToTheDyingCpuIsForcedElsewhere() {
        m = manual(Platform.X86_APIC, 3);
        Irqs irqs = m.irqs();
        int irq = irqs.allocMsi("nic0");
        List<Integer> ran = new ArrayList<>();
        irqs.request(irq, (i, dev) -> {
            ran.add(Cpu.current().id());
            return IrqReturn.HANDLED;
        }, 0, "eth0", null);
        irqs.setAffinity(irq, 2);                         // move in progress: nothing arrived on CPU 2
        m.cpu(2).offline();                               // genirq moves it to CPU 0; the matrix is busy; forced
        assertNotEquals(2, vectorCpu(m, irq));
        irqs.pulse(irq);
        m.runUntilIdle();
        assertEquals(1, ran.size());
        assertNotEquals(2, (int) ran.get(0));
        VectorMatrix<?> matrix = x86(m).matrix();
        assertEquals(0, matrix.allocated(2), "nothing left on the offline CPU");
        assertEquals(0, globalCount(m, "ERR"));
    }

    @ParameterizedTest
    @EnumSource(value = Platform.class, names = {"X86_APIC", "X86_LEGACY_PIC"})
    void aThreadedMachineServesDevicesAndCloses(Platform p) {
        m = Machine.boot(MachineConfig.builder().cpus(2).platform(p).build());
        Irqs irqs = m.irqs();
        CountDownLatch edge = new CountDownLatch(1);
        CountDownLatch thread = new CountDownLatch(1);
        CountDownLatch msi = new CountDownLatch(1);
        CountDownLatch remote = new CountDownLatch(1);
        irqs.request(EDGE_IRQ, (irq, dev) -> {
            edge.countDown();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "serial", null);
        int level = levelIrq(p);
        irqs.requestThreaded(level, null, (irq, dev) -> {
            irqs.setLevel(level, false);
            thread.countDown();
            return IrqReturn.HANDLED;
        }, IrqFlags.ONESHOT | levelFlags(p), "sensor", null);
        int msiIrq = irqs.allocMsi("nic0");
        irqs.request(msiIrq, (irq, dev) -> {
            msi.countDown();
            return IrqReturn.HANDLED;
        }, 0, "eth0", null);
        irqs.setAffinity(msiIrq, 1);
        irqs.pulse(EDGE_IRQ);
        irqs.setLevel(level, true);
        irqs.pulse(msiIrq);
        new IrqWork(m, remote::countDown).queueOn(1);
        await(edge);
        await(thread);
        await(msi);
        await(remote);
        m.close();
        assertEquals(Machine.State.TERMINATED, m.state());
        assertTrue(m.closeReport().isClean(), m.closeReport().toString());
    }
}
