/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqchip;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Platform;
import io.kdefer.cpu.Cpu;
import io.kdefer.internal.Services;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irqwork.IrqWork;
import io.kdefer.smp.Ipi;
import io.kdefer.smp.internal.Ipis;
import io.kdefer.x86.IrqVectors;
import io.kdefer.x86.LocalApic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.kdefer.irqchip.X86Support.chips;
import static io.kdefer.irqchip.X86Support.globalCount;
import static io.kdefer.irqchip.X86Support.manual;
import static io.kdefer.irqchip.X86Support.row;
import static io.kdefer.irqchip.X86Support.rowCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The x86 platform driver's root handler and platform wiring (MANUAL mode): platform selection and accessors, the
 * tick on the local APIC timer, the IPI vectors, do_IRQ's unhandled vectors, APIC errors, spurious APIC interrupts,
 * NMIs, and the /proc/interrupts layout.
 */
@Timeout(20)
class X86ApicTest {
    private Machine m;

    @AfterEach
    void close() {
        if (m != null) {
            m.unbindCurrentThread();
            m.close();
        }
    }

    // ---------------------------------------------------------------------------------------------- platforms

    @Test
    void theDefaultPlatformIsArm64AndEachPlatformHasOnlyItsOwnChips() {
        assertEquals(Platform.ARM64_GICV3, MachineConfig.defaults().platform());
        m = manual(Platform.ARM64_GICV3, 1);
        assertEquals(Platform.ARM64_GICV3, m.platform());
        m.gic();
        for (Runnable x86 : List.<Runnable>of(m::ioApic, () -> m.localApic(0), m::pic, m::msi)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, x86::run);
            assertTrue(e.getMessage().contains("is an ARM64_GICV3 machine"), e.getMessage());
        }
        m.close();
        for (Platform p : new Platform[] {Platform.X86_APIC, Platform.X86_LEGACY_PIC}) {
            m = manual(p, 2);
            assertEquals(p, m.platform());
            IllegalStateException e = assertThrows(IllegalStateException.class, m::gic);
            assertTrue(e.getMessage().contains("is an " + p + " machine, it has no GICv3"), e.getMessage());
            assertSame(chips(m).ioApic(), m.ioApic());
            assertSame(chips(m).localApic(1), m.localApic(1));
            assertSame(chips(m).pic(), m.pic());
            assertSame(chips(m).msi(), m.msi());
            assertThrows(IllegalArgumentException.class, () -> m.localApic(2));
            assertTrue(m.toString().contains(p.name()), m.toString());
            m.close();
        }
        m = null;
    }

    @Test
    void x86AddressesAtMost255Cpus() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MachineConfig.builder().platform(Platform.X86_APIC).cpus(256).build());
        assertTrue(e.getMessage().contains("cpus must be 1..255 on X86_APIC"), e.getMessage());
        assertEquals(256, MachineConfig.builder().cpus(256).build().cpus(), "the GIC takes 256");
        assertThrows(NullPointerException.class, () -> MachineConfig.builder().platform(null));
    }

    @Test
    void legacyPicModeIsTheVirtualWireOnCpu0() {
        m = manual(Platform.X86_LEGACY_PIC, 2);
        assertFalse(m.localApic(0).isLvtMasked(LocalApic.LVT_LINT0), "CPU 0's LINT0 is ExtINT, unmasked");
        assertTrue(m.localApic(1).isLvtMasked(LocalApic.LVT_LINT0));
        for (int pin = 0; pin < 24; pin++) {
            assertTrue(m.ioApic().isMasked(pin), "the IO-APIC is unused");
        }
    }

    // ---------------------------------------------------------------------------------------------- system vectors

    @ParameterizedTest
    @EnumSource(value = Platform.class, names = {"X86_APIC", "X86_LEGACY_PIC"})
    void theTickIsTheLocalApicTimerVector(Platform p) {
        m = manual(p, 2);
        m.advance(Duration.ofMillis(5));
        assertEquals(5, m.jiffies());
        for (int c = 0; c < 2; c++) {
            assertEquals(5, rowCount(m, "LOC", c), "one LAPIC timer interrupt per tick on CPU " + c);
        }
        assertFalse(m.localApic(0).isLvtMasked(LocalApic.LVT_TIMER));
        assertEquals(IrqVectors.LOCAL_TIMER_VECTOR, m.localApic(0).read(LocalApic.LVT_TIMER) & 0xff);
        assertTrue(m.localApic(0).inService().isEmpty(), "EOIed");
    }

    @Test
    void ipisUseTheX86SystemVectors() {
        m = manual(Platform.X86_APIC, 2);
        Ipis ipis = Services.get(m, Ipis.class);
        m.bindCurrentThread(0);
        AtomicInteger work = new AtomicInteger();
        assertTrue(new IrqWork(m, work::incrementAndGet).queue());
        assertTrue(m.localApic(0).isRequested(IrqVectors.IRQ_WORK_VECTOR), "irq_work's self-IPI");
        m.runUntilIdle();
        assertEquals(1, work.get());
        assertEquals(1, rowCount(m, "IWI", 0));
        m.smp().callFunctionSingle(1, work::incrementAndGet, false);
        assertTrue(m.localApic(1).isRequested(IrqVectors.CALL_FUNCTION_SINGLE_VECTOR));
        m.runUntilIdle();
        assertEquals(2, work.get());
        assertEquals(1, rowCount(m, "CAL", 1));
        ipis.send(Ipi.RESCHEDULE, m.cpu(1));
        assertTrue(m.localApic(1).isRequested(IrqVectors.RESCHEDULE_VECTOR));
        ipis.send(Ipi.CPU_STOP, m.cpu(1));
        assertTrue(m.localApic(1).isRequested(IrqVectors.REBOOT_VECTOR));
        m.runUntilIdle();
        assertEquals(1, rowCount(m, "RES", 1));
        assertEquals(1, ipis.count(m.cpu(1), Ipi.CPU_STOP));
        ipis.send(Ipi.CPU_BACKTRACE, m.cpu(1));           // an NMI IPI, dispatched by kind
        assertTrue(m.localApic(1).nmiPending());
        m.runUntilIdle();
        assertEquals(1, ipis.count(m.cpu(1), Ipi.CPU_BACKTRACE));
        assertEquals(1, rowCount(m, "NMI", 1));
        assertTrue(m.localApic(0).inService().isEmpty() && m.localApic(1).inService().isEmpty());
    }

    @Test
    void aVectorWithNoHandlerIsAckedAndReportedOncePerVector() {
        m = manual(Platform.X86_APIC, 2);
        long err0 = globalCount(m, "ERR");
        try (LogCapture log = LogCapture.of("io.kdefer.irqchip")) {
            for (int i = 0; i < 3; i++) {
                m.localApic(0).sendIpi(0x99, 1);
                m.runUntilIdle();
            }
            m.localApic(0).sendIpi(0x9a, 1);
            m.runUntilIdle();
            assertEquals(1, log.count("do_IRQ: 1.153 No irq handler for vector"));
            assertEquals(1, log.count("do_IRQ: 1.154 No irq handler for vector"));
        }
        assertEquals(err0 + 4, globalCount(m, "ERR"));
        assertEquals(err0 + 4, m.irqs().unexpectedInterrupts());
        assertTrue(m.localApic(1).inService().isEmpty(), "acked: nothing left in service");
        assertEquals(0, m.localApic(1).ignoredEois());
    }

    @Test
    void anApicErrorInterruptLatchesTheEsrAndCountsInErr() {
        m = manual(Platform.X86_APIC, 1);
        long err0 = globalCount(m, "ERR");
        try (LogCapture log = LogCapture.of("io.kdefer.irqchip")) {
            m.localApic(0).write(LocalApic.ICR_LOW, 0x05);      // a fixed IPI of an illegal vector to self... via ICR
            m.runUntilIdle();
            assertEquals(1, log.count("APIC error on CPU0: 20, Send illegal vector"));
        }
        assertEquals(err0 + 1, globalCount(m, "ERR"));
        assertTrue(m.localApic(0).inService().isEmpty());
    }

    @Test
    void aSpuriousApicInterruptIsCountedAndNotAcked() {
        m = manual(Platform.X86_APIC, 1);
        m.bindCurrentThread(0);
        m.localApic(0).injectSpuriousAcknowledges(1);
        new IrqWork(m, () -> { }).queue();                // something to take: the INTA finds the spurious first
        m.runUntilIdle();
        assertEquals(1, rowCount(m, "SPU", 0));
        assertEquals(1, rowCount(m, "IWI", 0));
        assertEquals(0, m.localApic(0).ignoredEois(), "a spurious vector is not in service: no EOI");
    }

    @Test
    void anNmiIsTakenWithInterruptsDisabledAndAnUnknownOneIsReportedOnce() {
        m = manual(Platform.X86_APIC, 1);
        AtomicLong nmisSeenInHandler = new AtomicLong(-1);
        AtomicInteger handled = new AtomicInteger();
        m.irqs().request(3, (irq, dev) -> {
            chips(m).setNmiLine(true);                    // the board's NMI line: CPU 0's LINT1
            chips(m).setNmiLine(false);
            m.localApic(0).sendIpiSelf(0x99);             // a regular vector: not taken in here
            Cpu.checkpoint();                             // IRQs disabled (hardirq): only the NMI is taken
            nmisSeenInHandler.set(rowCount(m, "NMI", 0));
            handled.incrementAndGet();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        try (LogCapture log = LogCapture.of("io.kdefer.irqchip")) {
            m.irqs().pulse(3);
            m.runUntilIdle();
            chips(m).setNmiLine(true);
            chips(m).setNmiLine(false);
            m.runUntilIdle();
            assertEquals(1, log.count("Uhhuh. NMI received for unknown reason on CPU 0"));
        }
        assertEquals(1, handled.get());
        assertEquals(1, nmisSeenInHandler.get(), "the NMI ran at the checkpoint inside the hardirq");
        assertEquals(2, rowCount(m, "NMI", 0));
        assertEquals(1, m.irqs().unexpectedInterrupts(), "the regular vector 0x99 came after, unhandled");
    }

    // ---------------------------------------------------------------------------------------------- /proc

    @ParameterizedTest
    @EnumSource(value = Platform.class, names = {"X86_APIC", "X86_LEGACY_PIC"})
    void procInterruptsHasTheX86Layout(Platform p) {
        m = manual(p, 2);
        String all = m.stats().interrupts();
        List<String> labels = new ArrayList<>();
        for (String l : all.lines().skip(1).toArray(String[]::new)) {
            String label = l.trim().split(":")[0];
            if (!label.matches("\\d+")) {
                labels.add(label);
            }
        }
        assertEquals(List.of("NMI", "LOC", "SPU", "IWI", "RES", "CAL", "ERR", "MIS"), labels, all);
        assertFalse(all.contains("Err:"), all);
        assertTrue(row(m, "ERR").matches("\\s*ERR:\\s+0"), row(m, "ERR"));
        assertEquals(List.of("CPU0", "CPU1"), List.of(all.lines().findFirst().orElseThrow().trim().split("\\s+")));
    }
}
