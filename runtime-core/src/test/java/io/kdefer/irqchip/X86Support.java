/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqchip;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Mode;
import io.kdefer.Platform;
import io.kdefer.internal.Services;
import io.kdefer.irq.internal.GenIrq;
import io.kdefer.irq.internal.IrqData;
import io.kdefer.x86.X86Chips;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the x86 tests share: booting, the driver behind a machine, and reading /proc/interrupts rows. */
final class X86Support {
    static final long WAIT_SECONDS = 5;

    private X86Support() {
    }

    /** A MANUAL machine on {@code p} with {@code cpus} CPUs. */
    static Machine manual(Platform p, int cpus) {
        return Machine.boot(MachineConfig.builder().cpus(cpus).mode(Mode.MANUAL).platform(p).build());
    }

    static X86Apic x86(Machine m) {
        return Services.get(m, X86Apic.class);
    }

    static X86Chips chips(Machine m) {
        return Services.get(m, X86Chips.class);
    }

    static IrqData data(Machine m, int irq) {
        return Services.get(m, GenIrq.class).data(irq);
    }

    /** The vector and CPU the line of {@code irq} is assigned (its apic_chip_data). */
    static int vector(Machine m, int irq) {
        X86Line line = X86Line.of(data(m, irq));
        synchronized (line) {
            return line.vector.vector();
        }
    }

    static int vectorCpu(Machine m, int irq) {
        X86Line line = X86Line.of(data(m, irq));
        synchronized (line) {
            return line.vector.cpu();
        }
    }

    /** The /proc/interrupts row starting with {@code label + ":"} (leading spaces ignored). */
    static String row(Machine m, String label) {
        String all = m.stats().interrupts();
        return all.lines().filter(l -> l.trim().startsWith(label + ":")).findFirst()
                .orElseThrow(() -> new AssertionError("no " + label + " row in\n" + all));
    }

    /** The count of CPU {@code cpu} in the per-CPU row {@code label}. */
    static long rowCount(Machine m, String label, int cpu) {
        String[] f = row(m, label).trim().split("\\s+");
        return Long.parseLong(f[1 + cpu]);
    }

    /** The single count of a global row (ERR, MIS). */
    static long globalCount(Machine m, String label) {
        return Long.parseLong(row(m, label).trim().split("\\s+")[1]);
    }

    static String einval(Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().startsWith("-EINVAL"), e.getMessage());
        return e.getMessage();
    }

    static void await(CountDownLatch l) {
        try {
            assertTrue(l.await(WAIT_SECONDS, TimeUnit.SECONDS), "latch not released in " + WAIT_SECONDS + " s");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    static void assertRow(Machine m, int irq, String chipAndFlow, String names) {
        String r = row(m, String.valueOf(irq));
        assertTrue(r.matches("\\s*" + irq + ":(\\s+\\d+)+\\s+" + java.util.regex.Pattern.quote(chipAndFlow) + "\\s+"
                + java.util.regex.Pattern.quote(names) + ".*"), "row: " + r);
    }

    /** A call that throws (JUnit's Executable without the checked exception). */
    interface Executable {
        void run();
    }

    static void assertEqualsHex(int expected, int actual, String what) {
        assertEquals(Integer.toHexString(expected), Integer.toHexString(actual), what);
    }
}
