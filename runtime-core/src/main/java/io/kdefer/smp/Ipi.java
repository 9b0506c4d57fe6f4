/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp;

/**
 * The inter-processor interrupt kinds, numbered as Linux numbers them on arm64 (B-GIC-13): IPI n is sent with SGI n
 * on the GICv3; x86 sends each kind with its own system vector. {@code /proc/interrupts} shows one row per kind.
 */
public enum Ipi {
    RESCHEDULE("RES", "Rescheduling interrupts", false),
    CALL_FUNC("CAL", "Function call interrupts", false),
    CPU_STOP("STP", "CPU stop interrupts", false),
    CPU_STOP_NMI("SNM", "CPU stop NMIs", true),
    TIMER("TMR", "Timer broadcast interrupts", false),
    IRQ_WORK("IWI", "IRQ work interrupts", false),
    CPU_BACKTRACE("BTR", "CPU backtrace interrupts", true),
    KGDB_ROUNDUP("KGD", "KGDB roundup interrupts", true);

    private static final Ipi[] ALL = values();

    private final String label;
    private final String description;
    private final boolean nmi;

    Ipi(String label, String description, boolean nmi) {
        this.label = label;
        this.description = description;
        this.nmi = nmi;
    }

    /** The IPI number (arm64: the SGI it is sent with). */
    public int number() {
        return ordinal();
    }

    /** The row label in {@code /proc/interrupts} (x86-style mnemonic: CAL, IWI, ...). */
    public String label() {
        return label;
    }

    public String description() {
        return description;
    }

    /** Linux sets this IPI up as a pseudo-NMI when priority masking is in use. */
    public boolean isNmi() {
        return nmi;
    }

    /** The IPI numbered {@code n}, or null. */
    public static Ipi ofNumber(int n) {
        return n >= 0 && n < ALL.length ? ALL[n] : null;
    }
}
