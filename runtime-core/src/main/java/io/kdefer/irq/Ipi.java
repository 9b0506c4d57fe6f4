/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

/**
 * The inter-processor interrupts and the SGI each uses, as Linux assigns them on arm64 (B-GIC-13). The runtime
 * requests the SGIs it uses as per-CPU lines; {@code /proc/interrupts} shows one row per IPI.
 */
public enum Ipi {
    RESCHEDULE(0, "RES", "Rescheduling interrupts", false),
    CALL_FUNC(1, "CAL", "Function call interrupts", false),
    CPU_STOP(2, "STP", "CPU stop interrupts", false),
    CPU_STOP_NMI(3, "SNM", "CPU stop NMIs", true),
    TIMER(4, "TMR", "Timer broadcast interrupts", false),
    IRQ_WORK(5, "IWI", "IRQ work interrupts", false),
    CPU_BACKTRACE(6, "BTR", "CPU backtrace interrupts", true),
    KGDB_ROUNDUP(7, "KGD", "KGDB roundup interrupts", true);

    private final int sgi;
    private final String label;
    private final String description;
    private final boolean nmi;

    Ipi(int sgi, String label, String description, boolean nmi) {
        this.sgi = sgi;
        this.label = label;
        this.description = description;
        this.nmi = nmi;
    }

    /** The SGI (INTID 0-7) this IPI is sent with. */
    public int sgi() {
        return sgi;
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

    /** The IPI sent with {@code sgi}, or null for SGIs 8-15. */
    public static Ipi ofSgi(int sgi) {
        return sgi >= 0 && sgi < 8 ? values()[sgi] : null;
    }
}
