/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irqchip;

import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.internal.IrqData;
import io.kdefer.x86.VectorMatrix;

/**
 * One x86 interrupt line as its chip driver keeps it (kernel: the chip data of arch/x86's irq domains:
 * {@code mp_chip_data} of an IO-APIC pin, {@code apic_chip_data} of its vector, the msi_desc of an MSI): which pin or
 * message it is, its vector assignment, a move waiting for the line's next interrupt, and for an MSI the device's
 * message registers. The {@link IrqData#chipData()} of every line {@link X86Apic} maps.
 *
 * <h2>States of a line's vector (IO-APIC and MSI lines; the XT-PIC's vectors are fixed)</h2>
 * <pre>
 *   SETTLED    vector on one CPU                  -&gt; MOVING    setAffinity: a new vector on the new CPU, the chip
 *                                                              reprogrammed, the old vector still installed
 *   MOVING     old and new vector installed       -&gt; CLEANUP   the first interrupt arrived on the new vector
 *                                                              (its ack or eoi)
 *   CLEANUP    old vector queued on its CPU       -&gt; SETTLED   the move-cleanup IPI ran there (or a later move
 *                                                              forced it)
 *   any        setAffinity refused (-EBUSY), or a level pin with its remote IRR set
 *                                                 -&gt; the move is PENDING (pendingCpu) until the line's next ack/eoi
 *   MSI only   FREED (vector == null)             -&gt; SETTLED   allocMsi hands the IRQ out again
 * </pre>
 */
final class X86Line {
    static final int IOAPIC = 0;
    static final int MSI = 1;
    static final int PIC = 2;

    final int kind;                                    // I: IOAPIC, MSI or PIC
    final int irq;                                     // I
    final int hw;                                      // I: the IO-APIC pin, the MSI index, or the ISA IRQ (PIC)
    final int isaIrq;                                  // I: the ISA IRQ of an ISA line (IO-APIC or PIC), else -1
    IrqData data;                                      // I after map

    // All below: L(this). Lock order: descriptor lock -> this -> the vector matrix -> the chip models.
    VectorMatrix.Assignment<IrqData> vector;           // null: a PIC line, or an MSI given back (FREED)
    int pendingCpu = -1;                               // a move waiting for the line's next interrupt
    boolean level;                                     // IO-APIC and PIC: the trigger as configured
    boolean activeLow;                                 // IO-APIC: the polarity as configured
    String device;                                     // MSI: the device's name
    int msgCpu;                                        // MSI: the message's destination APIC ID
    int msgVector;                                     // MSI: the message's vector
    boolean msiMasked = true;                          // MSI: the function's per-vector mask bit
    boolean msiPending;                                // MSI: a message held while masked (MSI-X pending bit)

    X86Line(int kind, int irq, int hw, int isaIrq) {
        this.kind = kind;
        this.irq = irq;
        this.hw = hw;
        this.isaIrq = isaIrq;
    }

    static X86Line of(IrqData d) {
        return (X86Line) d.chipData();
    }

    /** An IO-APIC pin wired to a PCI interrupt line (GSI 16-23: level, active low, shared). */
    boolean isPci() {
        return kind == IOAPIC && isaIrq < 0;
    }

    /** The trigger as IrqFlags says it. Lock held. */
    int typeLocked() {
        if (!level) {
            return IrqFlags.TRIGGER_RISING;
        }
        return activeLow ? IrqFlags.TRIGGER_LOW : IrqFlags.TRIGGER_HIGH;
    }

    @Override
    public String toString() {
        String what = kind == IOAPIC ? "IO-APIC pin " + hw : kind == MSI ? "MSI " + hw : "XT-PIC IRQ " + hw;
        return "irq " + irq + " (" + what + ")";
    }
}
