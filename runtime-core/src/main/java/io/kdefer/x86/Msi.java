/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

import io.kdefer.internal.Handles;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Message-signalled interrupts: the 0xFEExxxxx address window in which a device's memory write becomes an interrupt
 * message to a local APIC (Intel SDM vol. 3 section 10.11). No pin, no IO-APIC, no remote IRR: an MSI is an edge.
 * Get it from {@link X86Chips#msi()}.
 *
 * <h2>Message format</h2>
 * <pre>
 *   address  31:20  0xFEE                 (anything else is not an interrupt message)
 *            19:12  destination APIC ID   (physical mode; 0xff = every local APIC)
 *            3      redirection hint      (ignored: physical mode, one destination)
 *            2      destination mode      0 = physical; 1 = logical (not modelled: dropped, counted)
 *            63:32  0                     (x2APIC extended destination IDs are not modelled)
 *   data     7:0    vector
 *            10:8   delivery mode         FIXED, LOWEST_PRIORITY (as fixed to the one destination), NMI, EXTINT
 *            14     level (assert)        ignored for edge
 *            15     trigger mode          0 = edge (what PCI MSI always uses); 1 = level, accepted as the local
 *                                         APIC accepts a level message (TMR set, EOI broadcast, no remote IRR)
 * </pre>
 *
 * <h2>Bad messages</h2>
 * {@link #write} behaves as the hardware does: an address outside the window is not an interrupt (on a real machine
 * it is an ordinary memory write, or an IOMMU fault) and is dropped; a destination no CPU has, logical mode and
 * SMI/INIT/reserved delivery modes are dropped; all counted in {@link #dropped()}. A vector below 0x10 reaches the
 * local APIC, which drops it with an ESR "receive illegal vector" error. {@link #send} rejects each of these (and
 * vectors 0x10-0x1f) with an exception naming the rule.
 *
 * <h2>Thread safety</h2>
 * Lock-free: a write decodes the message and hands it to the destination local APIC; an edge, fixed message is one
 * getAndBitwiseOr on its IRR word, and it publishes the writer's prior stores to the CPU that acknowledges it as an
 * IPI does (see {@link LocalApic}, X86_01_IcrIpiPublishes).
 */
public final class Msi {
    /** The interrupt message window: address bits 31:20. */
    public static final long ADDRESS_BASE = 0xfee0_0000L;
    public static final long ADDRESS_DEST_LOGICAL = 1L << 2;
    public static final long ADDRESS_REDIRECTION_HINT = 1L << 3;
    public static final int DATA_LEVEL_ASSERT = 1 << 14;
    public static final int DATA_TRIGGER_LEVEL = 1 << 15;

    private final X86Chips board;      // I
    private volatile long dropped;     // A: through DROPPED

    private static final VarHandle DROPPED = Handles.field(MethodHandles.lookup(), Msi.class, "dropped", long.class);

    Msi(X86Chips board) {
        this.board = board;
    }

    /** The MSI address that names APIC {@code destApicId} in physical mode (what the kernel's MSI domain writes). */
    public static long address(int destApicId) {
        if (destApicId < 0 || destApicId > 0xff) {
            throw new IllegalArgumentException("APIC ID " + destApicId + " outside 0-255 (8-bit xAPIC IDs)");
        }
        return ADDRESS_BASE | (long) destApicId << 12;
    }

    /** MSI data for a fixed, edge-triggered {@code vector}. */
    public static int data(int vector) {
        return IrqVectors.checkVector(vector);
    }

    /**
     * The device's memory write of {@code data} to {@code address}: decoded and delivered, or dropped and counted
     * (see the class comment). Lock-free.
     */
    public void write(long address, int data) {
        if ((address & 0xffff_ffff_fff0_0000L) != ADDRESS_BASE) {
            drop("address 0x" + Long.toHexString(address) + " is outside the 0xFEExxxxx interrupt window");
            return;
        }
        if ((address & ADDRESS_DEST_LOGICAL) != 0) {
            drop("logical destination mode is not modelled");
            return;
        }
        int dest = (int) (address >>> 12) & 0xff;
        DeliveryMode mode = DeliveryMode.decode(data >>> 8);
        boolean level = (data & DATA_TRIGGER_LEVEL) != 0 && mode != DeliveryMode.NMI && mode != DeliveryMode.EXTINT;
        int r = board.deliver(null, LocalApic.SHORTHAND_NONE, dest, mode, data & 0xff, level);
        if (r != X86Chips.DELIVERED) {
            drop(r == X86Chips.NO_DESTINATION ? "no CPU has APIC ID " + dest
                    : "delivery mode " + (mode == null ? "011 (reserved)" : mode) + " is not modelled");
        }
    }

    /**
     * A fixed, edge-triggered MSI of {@code vector} to CPU {@code destApicId}: {@code write(address(dest),
     * data(vector))} after checking what the kernel's MSI domain guarantees.
     *
     * @throws IllegalArgumentException for a vector outside 0x20-0xff or an APIC ID no CPU has
     */
    public void send(int destApicId, int vector) {
        IrqVectors.checkExternalVector(vector);
        if (!board.exists(destApicId)) {
            throw new IllegalArgumentException("-EINVAL: no CPU with APIC ID " + destApicId + " (this board has "
                    + board.cpuCount() + " CPUs)");
        }
        write(address(destApicId), data(vector));
    }

    /** Messages dropped: outside the window, no such destination, logical or unmodelled delivery mode. */
    public long dropped() {
        return (long) DROPPED.getVolatile(this);
    }

    private void drop(String why) {
        long n = (long) DROPPED.getAndAdd(this, 1L) + 1;
        if (n == 1) {
            LocalApic.LOG.log(Level.WARNING, "MSI dropped: " + why + " (reported once)");
        }
    }

    @Override
    public String toString() {
        return "Msi[0xFEExxxxx window]";
    }
}
