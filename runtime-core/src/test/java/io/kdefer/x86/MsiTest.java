/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

import static io.kdefer.x86.LocalApic.NO_INTERRUPT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MSI: message decoding, delivery and every dropped case. */
@DisplayName("MSI")
class MsiTest {
    private final List<Integer> signals = new ArrayList<>();

    private X86Chips board(int cpus) {
        return new X86Chips(cpus, signals::add, () -> -1, () -> 0L);
    }

    private static void take(LocalApic a, int vector) {
        assertEquals(vector, a.acknowledge(), "acknowledge on APIC " + a.id());
        a.eoi();
    }

    @Test
    @DisplayName("a write to 0xFEE0_0000 | dest << 12 with the vector in the data requests it on that CPU, edge")
    void delivers() {
        X86Chips x = board(3);
        assertEquals(0xfee0_2000L, Msi.address(2));
        assertEquals(0x41, Msi.data(0x41));
        signals.clear();
        x.msi().send(2, 0x41);
        assertEquals(List.of(2), signals);
        assertFalse(x.localApic(2).isLevelTriggered(0x41));
        take(x.localApic(2), 0x41);
        x.msi().write(Msi.address(1) | Msi.ADDRESS_REDIRECTION_HINT, 0x42 | Msi.DATA_LEVEL_ASSERT);
        take(x.localApic(1), 0x42);
        x.msi().write(Msi.address(0xff), 0x43);
        for (int c = 0; c < 3; c++) {
            take(x.localApic(c), 0x43);
        }
        x.msi().write(Msi.address(0), DeliveryMode.NMI.encoding() << 8);
        assertTrue(x.localApic(0).takeNmi());
        x.msi().write(Msi.address(1), DeliveryMode.LOWEST_PRIORITY.encoding() << 8 | 0x44);
        take(x.localApic(1), 0x44);
        x.msi().write(Msi.address(1), 0x45 | Msi.DATA_TRIGGER_LEVEL);
        assertTrue(x.localApic(1).isLevelTriggered(0x45), "a level MSI is accepted as level: TMR set");
        take(x.localApic(1), 0x45);
        assertEquals(0, x.msi().dropped());
    }

    @Test
    @DisplayName("bad messages (raw writes) are dropped and counted: outside the window, no such CPU, logical mode,"
            + " SMI/INIT/reserved; an illegal vector reaches the local APIC as an ESR error")
    void drops() {
        X86Chips x = board(2);
        Msi msi = x.msi();
        msi.write(0xfed0_0000L, 0x40);
        msi.write(0x1_fee0_0000L, 0x40);
        msi.write(Msi.address(5), 0x40);
        msi.write(Msi.address(1) | Msi.ADDRESS_DEST_LOGICAL, 0x40);
        msi.write(Msi.address(1), DeliveryMode.SMI.encoding() << 8);
        msi.write(Msi.address(1), DeliveryMode.INIT.encoding() << 8);
        msi.write(Msi.address(1), 3 << 8 | 0x40);
        assertEquals(7, msi.dropped());
        assertEquals(NO_INTERRUPT, x.localApic(0).acknowledge());
        assertEquals(NO_INTERRUPT, x.localApic(1).acknowledge());
        msi.write(Msi.address(1), 0x02);
        assertEquals(7, msi.dropped(), "delivered; the local APIC rejects it");
        assertEquals(1, x.localApic(1).errorCount());
        take(x.localApic(1), IrqVectors.ERROR_APIC_VECTOR);
    }

    @Test
    @DisplayName("the typed send rejects what the kernel's MSI domain never writes, naming the rule")
    void typedRejects() {
        X86Chips x = board(2);
        assertThrows(IllegalArgumentException.class, () -> x.msi().send(2, 0x40));
        assertThrows(IllegalArgumentException.class, () -> x.msi().send(0, 0x02));
        assertThrows(IllegalArgumentException.class, () -> x.msi().send(0, 0x1f));
        assertThrows(IllegalArgumentException.class, () -> Msi.address(256));
        assertThrows(IllegalArgumentException.class, () -> Msi.data(256));
        assertEquals(0, x.msi().dropped());
    }
}
