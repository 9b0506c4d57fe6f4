/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.Platform;

/**
 * Where the demo's devices sit on each platform, as real boards wire them:
 * <pre>
 *   device            ARM64_GICV3              X86_APIC
 *   thermal sensor    SPI 40, level            IRQ 9 (ISA, level: the ACPI SCI's line), IO-APIC-fasteoi
 *   serial ports      SPI 41, edge, shared     IRQ 4 (COM1 and COM3 share it), IO-APIC-edge
 *   perf sampler      SPI 42, pseudo-NMI       -  (x86 takes PMIs through the local APIC's LVT, not a line)
 *   NIC rx / link     SPIs 43, 44, edge        two MSIs (MSI-X style), PCI-MSI-edge
 *   I2C sensor        SPI 45, level, threaded  IRQ 10 (ISA, level), IO-APIC-fasteoi
 * </pre>
 */
final class DemoBoard {
    final int thermal;
    final int serial;
    final int perf;          // -1: no line for it on this platform
    final int nicRx;
    final int nicLink;
    final int i2c;

    private DemoBoard(int thermal, int serial, int perf, int nicRx, int nicLink, int i2c) {
        this.thermal = thermal;
        this.serial = serial;
        this.perf = perf;
        this.nicRx = nicRx;
        this.nicLink = nicLink;
        this.i2c = i2c;
    }

    /** The board of {@code m}'s platform; on x86 it allocates the NIC's MSIs (pci_alloc_irq_vectors). */
    static DemoBoard of(Machine m) {
        if (m.platform() == Platform.ARM64_GICV3) {
            return new DemoBoard(40, 41, 42, 43, 44, 45);
        }
        return new DemoBoard(9, 4, -1, m.irqs().allocMsi("nic0-rx"), m.irqs().allocMsi("nic0-link"), 10);
    }
}
