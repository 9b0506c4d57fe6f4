/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

/**
 * The 3-bit delivery mode of an APIC interrupt message, as encoded in the ICR, an IO-APIC redirection entry, an
 * LVT entry and MSI data (Intel SDM vol. 3 section 10.5.1, section 10.6.1; 82093AA datasheet section 3.2.4).
 *
 * <pre>
 *   FIXED            000  the vector, to every destination                 modelled
 *   LOWEST_PRIORITY  001  the vector, to the lowest-priority destination   modelled (see X86Chips)
 *   SMI              010  system management interrupt                      not modelled: dropped, counted
 *   (reserved)       011                                                   dropped, counted
 *   NMI              100  non-maskable interrupt, vector ignored           modelled
 *   INIT             101  INIT reset                                       not modelled: dropped, counted
 *   STARTUP          110  start-up IPI (ICR only; reserved elsewhere)      not modelled: dropped, counted
 *   EXTINT           111  the 8259A supplies the vector (INTA cycle)       modelled (IO-APIC, LVT, MSI; not ICR)
 * </pre>
 */
public enum DeliveryMode {
    FIXED(0),
    LOWEST_PRIORITY(1),
    SMI(2),
    NMI(4),
    INIT(5),
    STARTUP(6),
    EXTINT(7);

    private static final DeliveryMode[] BY_ENCODING = {FIXED, LOWEST_PRIORITY, SMI, null, NMI, INIT, STARTUP, EXTINT};

    private final int encoding;

    DeliveryMode(int encoding) {
        this.encoding = encoding;
    }

    /** The 3-bit field value (bits 10:8 of the ICR low word, an RTE, an LVT entry or MSI data). */
    public int encoding() {
        return encoding;
    }

    /** The mode for a 3-bit field value, or {@code null} for the reserved encoding 011. */
    public static DeliveryMode decode(int bits) {
        return BY_ENCODING[bits & 7];
    }
}
