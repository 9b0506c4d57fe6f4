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

/** The IO-APIC: registers, edge and level pins, remote IRR and EOI, polarity, routing and bad programming. */
@DisplayName("IO-APIC")
class IoApicTest {
    private final List<Integer> signals = new ArrayList<>();

    private X86Chips board(int cpus) {
        return new X86Chips(cpus, signals::add, () -> -1, () -> 0L);
    }

    private static void take(LocalApic a, int vector) {
        assertEquals(vector, a.acknowledge(), "acknowledge on APIC " + a.id());
        a.eoi();
    }

    @Test
    @DisplayName("reset: every entry masked; version 0x11 with 24 entries; IOREGSEL/IOWIN access")
    void registers() {
        X86Chips x = board(2);
        IoApic io = x.ioApic();
        for (int p = 0; p < IoApic.PINS; p++) {
            assertTrue(io.isMasked(p));
        }
        assertEquals(0x00170011, io.readRegister(IoApic.IOAPICVER));
        assertEquals(2 << 24, io.readRegister(IoApic.IOAPICID), "the ID after the CPUs'");
        io.writeRegister(IoApic.IOAPICID, 9 << 24);
        assertEquals(9 << 24, io.readRegister(IoApic.IOAPICID));
        io.writeRegister(IoApic.IOAPICVER, 0);
        assertEquals(0x00170011, io.readRegister(IoApic.IOAPICVER), "read-only");
        io.select(IoApic.IOREDTBL + 2 * 5);
        io.writeWindow(0x0000_8045 | (int) IoApic.RTE_REMOTE_IRR | (int) IoApic.RTE_DELIVERY_PENDING);
        io.select(IoApic.IOREDTBL + 2 * 5 + 1);
        io.writeWindow(1 << 24);
        assertEquals(1 << 24, io.readWindow());
        assertEquals(0x45, io.vector(5));
        assertEquals(1, io.destination(5));
        assertTrue(io.isLevel(5));
        assertFalse(io.isMasked(5));
        assertFalse(io.remoteIrr(5), "remote IRR and delivery status are read-only");
        assertEquals(0x8045, io.readRegister(IoApic.IOREDTBL + 10));
        assertEquals(0, io.readRegister(0x70), "reserved index");
        io.writeRegister(0x70, 5);
        assertEquals(DeliveryMode.FIXED, io.deliveryMode(5));
    }

    @Test
    @DisplayName("edge: the asserting transition sends once; a held line sends nothing more; a masked edge is lost")
    void edge() {
        X86Chips x = board(2);
        IoApic io = x.ioApic();
        LocalApic a1 = x.localApic(1);
        io.program(4, 0x34, DeliveryMode.FIXED, 1, false, false, false);
        signals.clear();
        io.setPin(4, true);
        assertEquals(List.of(1), signals);
        take(a1, 0x34);
        io.setPin(4, true);
        assertEquals(NO_INTERRUPT, a1.acknowledge());
        io.setPin(4, false);
        io.mask(4);
        io.setPin(4, true);
        assertEquals(1, io.maskedEdges());
        io.unmask(4);
        assertEquals(NO_INTERRUPT, a1.acknowledge(), "the datasheet: edges on a masked pin are not held");
        io.setPin(4, false);
        io.pulse(4);
        take(a1, 0x34);
        assertFalse(io.remoteIrr(4));
        assertEquals(0, io.undeliverable());
    }

    @Test
    @DisplayName("level: sent while asserted with remote IRR clear; the EOI broadcast clears it and re-sends if"
            + " still asserted")
    void level() {
        X86Chips x = board(2);
        IoApic io = x.ioApic();
        LocalApic a0 = x.localApic(0);
        io.program(9, 0x59, DeliveryMode.FIXED, 0, true, false, false);
        io.setPin(9, true);
        assertTrue(io.remoteIrr(9));
        assertTrue(a0.isLevelTriggered(0x59), "TMR set: the EOI will be broadcast");
        assertEquals(0x59, a0.acknowledge());
        io.setPin(9, false);
        io.setPin(9, true);
        assertFalse(a0.isRequested(0x59), "remote IRR set: not re-sent");
        a0.eoi();
        assertTrue(io.remoteIrr(9), "still asserted at the EOI: sent again at once");
        assertTrue(a0.isRequested(0x59));
        assertEquals(0x59, a0.acknowledge());
        io.setPin(9, false);
        a0.eoi();
        assertFalse(io.remoteIrr(9));
        assertEquals(NO_INTERRUPT, a0.acknowledge());
        io.pulse(9);
        assertTrue(io.remoteIrr(9), "a pulse on a level pin is sent once and waits for its EOI");
        take(a0, 0x59);
        assertFalse(io.remoteIrr(9));
        assertEquals(NO_INTERRUPT, a0.acknowledge());
    }

    @Test
    @DisplayName("level: a masked pin's asserts have no effect until unmasked, then it is sent")
    void maskedLevel() {
        X86Chips x = board(1);
        IoApic io = x.ioApic();
        io.program(7, 0x47, DeliveryMode.FIXED, 0, true, false, true);
        io.setPin(7, true);
        assertFalse(io.remoteIrr(7));
        signals.clear();
        io.unmask(7);
        assertEquals(List.of(0), signals);
        assertTrue(io.remoteIrr(7));
        io.setPin(7, false);
        take(x.localApic(0), 0x47);
    }

    @Test
    @DisplayName("polarity: an active-low line asserts when low; the wrong polarity storms on an idle line")
    void polarity() {
        X86Chips x = board(1);
        IoApic io = x.ioApic();
        LocalApic a = x.localApic(0);
        x.setPciGsi(16, false);                        // idle: electrically high
        io.program(16, 0x60, DeliveryMode.FIXED, 0, true, true, false);
        assertFalse(io.isAsserted(16));
        assertEquals(NO_INTERRUPT, a.acknowledge());
        x.setPciGsi(16, true);
        assertTrue(io.isAsserted(16));
        take(a, 0x60);
        assertTrue(io.remoteIrr(16), "still asserted: re-sent at the EOI");
        x.setPciGsi(16, false);
        take(a, 0x60);
        assertFalse(io.remoteIrr(16));
        io.program(16, 0x60, DeliveryMode.FIXED, 0, true, false, false);   // wrong: active high
        for (int i = 0; i < 3; i++) {
            take(a, 0x60);                             // the idle (high) line is "asserted": a storm
        }
        io.mask(16);
        take(a, 0x60);
        assertEquals(NO_INTERRUPT, a.acknowledge());
    }

    @Test
    @DisplayName("an EOI clears the remote IRR of every entry with that vector; level -> edge clears it too")
    void sharedVectorAndEdgeSwitch() {
        X86Chips x = board(1);
        IoApic io = x.ioApic();
        LocalApic a = x.localApic(0);
        io.program(10, 0x70, DeliveryMode.FIXED, 0, true, false, false);
        io.program(11, 0x70, DeliveryMode.FIXED, 0, true, false, false);
        io.setPin(10, true);
        io.setPin(11, true);
        assertTrue(io.remoteIrr(10));
        assertTrue(io.remoteIrr(11));
        io.setPin(10, false);
        io.setPin(11, false);
        take(a, 0x70);
        assertFalse(io.remoteIrr(10));
        assertFalse(io.remoteIrr(11), "one EOI for two pins: the reason shared level lines share a vector");
        io.setPin(10, true);
        assertTrue(io.remoteIrr(10));
        io.writeRegister(IoApic.IOREDTBL + 20, 0x70);    // edge, unmasked
        assertFalse(io.remoteIrr(10), "switching to edge clears remote IRR (Linux's __eoi_ioapic_pin)");
        take(a, 0x70);
        io.setPin(10, false);
    }

    @Test
    @DisplayName("retargeting a level entry before its EOI leaves the remote IRR stuck (the EOI carries the old"
            + " vector); an edge/level toggle unsticks it, as Linux's __eoi_ioapic_pin does")
    void retargetBeforeEoi() {
        X86Chips x = board(2);
        IoApic io = x.ioApic();
        io.program(9, 0x49, DeliveryMode.FIXED, 0, true, false, false);
        io.setPin(9, true);
        assertEquals(0x49, x.localApic(0).acknowledge());
        io.setTarget(9, 0x4a, 1);
        x.localApic(0).eoi();
        assertTrue(io.remoteIrr(9), "the broadcast of 0x49 matches no entry now");
        assertEquals(NO_INTERRUPT, x.localApic(1).acknowledge(), "stuck");
        int low = io.readRegister(IoApic.IOREDTBL + 18);
        io.writeRegister(IoApic.IOREDTBL + 18, low & ~(int) IoApic.RTE_LEVEL);   // edge: remote IRR cleared
        io.writeRegister(IoApic.IOREDTBL + 18, low | (int) IoApic.RTE_LEVEL);    // level again: still asserted
        assertEquals(0x4a, x.localApic(1).acknowledge());
        io.setPin(9, false);
        x.localApic(1).eoi();
        assertFalse(io.remoteIrr(9));
    }

    @Test
    @DisplayName("routing: setTarget retargets a pending level pin; 0xff broadcasts; NMI and ExtINT entries")
    void routing() {
        X86Chips x = board(3);
        IoApic io = x.ioApic();
        io.program(5, 0x55, DeliveryMode.FIXED, 0, true, false, true);
        io.setPin(5, true);
        io.setTarget(5, 0x65, 2);
        io.unmask(5);
        assertTrue(x.localApic(2).isRequested(0x65));
        io.setPin(5, false);
        take(x.localApic(2), 0x65);
        io.program(6, 0x56, DeliveryMode.FIXED, X86Chips.BROADCAST_ID, false, false, false);
        io.pulse(6);
        for (int c = 0; c < 3; c++) {
            take(x.localApic(c), 0x56);
        }
        io.program(7, 0, DeliveryMode.NMI, 1, false, false, false);
        io.pulse(7);
        assertTrue(x.localApic(1).takeNmi());
        io.program(0, 0, DeliveryMode.EXTINT, 1, false, false, false);   // the 8259A's INTR is on pin 0
        x.pic().unmask(3);
        x.setIsaIrq(3, true);
        assertTrue(x.localApic(1).isSignalled());
        assertEquals(0x33, x.localApic(1).acknowledge(), "ExtINT through the IO-APIC: the 8259A's vector");
        x.pic().eoi(3);
        io.program(8, 0x58, DeliveryMode.LOWEST_PRIORITY, 2, false, false, false);
        io.pulse(8);
        take(x.localApic(2), 0x58);
        assertEquals(0, io.undeliverable());
    }

    @Test
    @DisplayName("bad programming (raw writes): vector < 0x10 is dropped by the local APIC with an ESR error and"
            + " no remote IRR; no such CPU, logical mode and SMI are dropped and counted")
    void badProgramming() {
        X86Chips x = board(2);
        IoApic io = x.ioApic();
        LocalApic a1 = x.localApic(1);
        io.writeRegister(IoApic.IOREDTBL + 2 * 3 + 1, 1 << 24);
        io.writeRegister(IoApic.IOREDTBL + 2 * 3, (int) IoApic.RTE_LEVEL | 0x05);
        io.setPin(3, true);
        assertFalse(io.remoteIrr(3), "no local APIC accepted it");
        assertEquals(1, a1.errorCount());
        a1.writeEsr();
        assertEquals(LocalApic.ESR_RECEIVE_ILLEGAL_VECTOR, a1.esr());
        take(a1, IrqVectors.ERROR_APIC_VECTOR);
        io.setPin(3, false);
        io.writeRegister(IoApic.IOREDTBL + 2 * 3, 0x15);                   // edge 0x15: legal on the APIC bus
        io.setPin(3, true);
        take(a1, 0x15);
        io.writeRegister(IoApic.IOREDTBL + 2 * 4 + 1, 9 << 24);            // no CPU 9
        io.writeRegister(IoApic.IOREDTBL + 2 * 4, (int) IoApic.RTE_LEVEL | 0x44);
        io.setPin(4, true);
        assertFalse(io.remoteIrr(4));
        assertEquals(1, io.undeliverable());
        io.writeRegister(IoApic.IOREDTBL + 2 * 5, (int) IoApic.RTE_DEST_LOGICAL | 0x45);
        io.pulse(5);
        io.writeRegister(IoApic.IOREDTBL + 2 * 6, DeliveryMode.SMI.encoding() << 8);
        io.pulse(6);
        io.writeRegister(IoApic.IOREDTBL + 2 * 7, 3 << 8 | 0x47);          // reserved mode
        io.pulse(7);
        assertEquals(4, io.undeliverable());
        assertEquals(NO_INTERRUPT, x.localApic(0).acknowledge());
        assertEquals(NO_INTERRUPT, a1.acknowledge());
    }

    @Test
    @DisplayName("level message to a software-disabled local APIC: dropped there, remote IRR not set")
    void softwareDisabledTarget() {
        X86Chips x = board(2);
        IoApic io = x.ioApic();
        LocalApic a1 = x.localApic(1);
        a1.setSoftwareEnabled(false);
        io.program(12, 0x62, DeliveryMode.FIXED, 1, true, false, false);
        io.setPin(12, true);
        assertFalse(io.remoteIrr(12));
        assertEquals(1, a1.droppedWhileDisabled());
        a1.setSoftwareEnabled(true);
        io.setPin(12, true);                           // the level is re-sampled on the next event
        assertTrue(io.remoteIrr(12));
        io.setPin(12, false);
        take(a1, 0x62);
    }

    @Test
    @DisplayName("the typed setters reject bad entries, naming the rule")
    void typedRejects() {
        X86Chips x = board(2);
        IoApic io = x.ioApic();
        assertThrows(IllegalArgumentException.class,
                () -> io.program(24, 0x40, DeliveryMode.FIXED, 0, false, false, false));
        String low = assertThrows(IllegalArgumentException.class,
                () -> io.program(1, 0x05, DeliveryMode.FIXED, 0, false, false, false)).getMessage();
        assertTrue(low.contains("illegal"), low);
        assertThrows(IllegalArgumentException.class,
                () -> io.program(1, 0x1f, DeliveryMode.FIXED, 0, false, false, false));
        String dest = assertThrows(IllegalArgumentException.class,
                () -> io.program(1, 0x40, DeliveryMode.FIXED, 2, false, false, false)).getMessage();
        assertTrue(dest.contains("APIC ID 2"), dest);
        assertThrows(IllegalArgumentException.class,
                () -> io.program(1, 0x40, DeliveryMode.SMI, 0, false, false, false));
        assertThrows(IllegalArgumentException.class,
                () -> io.program(1, 0x40, DeliveryMode.INIT, 0, false, false, false));
        assertThrows(IllegalArgumentException.class,
                () -> io.program(1, 0, DeliveryMode.NMI, 0, true, false, false));
        assertThrows(IllegalArgumentException.class,
                () -> io.program(1, 0, DeliveryMode.EXTINT, 0, true, false, false));
        io.program(1, 0x40, DeliveryMode.FIXED, 0, false, false, true);
        assertThrows(IllegalArgumentException.class, () -> io.setTarget(1, 0x40, 7));
        assertThrows(IllegalArgumentException.class, () -> io.setTarget(1, 0x0f, 1));
        assertThrows(IllegalArgumentException.class, () -> io.setPin(-1, true));
        assertThrows(IllegalArgumentException.class, () -> io.eoi(256));
        assertEquals(0x40, io.vector(1), "a rejected setTarget changes nothing");
    }
}
