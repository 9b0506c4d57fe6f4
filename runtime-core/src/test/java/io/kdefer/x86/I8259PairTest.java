/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

import static io.kdefer.x86.I8259Pair.ELCR1;
import static io.kdefer.x86.I8259Pair.ELCR2;
import static io.kdefer.x86.I8259Pair.MASTER_COMMAND;
import static io.kdefer.x86.I8259Pair.MASTER_DATA;
import static io.kdefer.x86.I8259Pair.SLAVE_COMMAND;
import static io.kdefer.x86.I8259Pair.SLAVE_DATA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The 8259A pair: initialization, priority, EOI, spurious IRQ 7/15, ELCR, the OCW modes and every bad-programming
 * case of the class comment, then randomized operations against a reference model. Deterministic.
 */
@DisplayName("8259A pair")
class I8259PairTest {
    private int intrCallbacks;

    /** A pair initialized as Linux leaves it, counting INTR callbacks. */
    private I8259Pair pic() {
        return new I8259Pair(() -> intrCallbacks++);
    }

    /** Linux's state with {@code irqs} unmasked (and the cascade if any is a slave line). */
    private I8259Pair pic(int... irqs) {
        I8259Pair p = pic();
        for (int irq : irqs) {
            p.unmask(irq);
            if (irq >= 8) {
                p.unmask(I8259Pair.CASCADE_IRQ);
            }
        }
        return p;
    }

    private static void assertClean(I8259Pair p) {
        assertEquals(0, p.badProgramming(), "bad programming");
        assertEquals(0, p.ignoredEois(), "ignored EOIs");
        assertEquals(0, p.spuriousAcknowledges(), "spurious acknowledges");
    }

    @Nested
    @DisplayName("initialization")
    class Initialization {
        @Test
        @DisplayName("a new pair is as Linux's init_8259A(0) leaves it: vectors 0x30/0x38, every line masked, INTR low")
        void linuxState() {
            I8259Pair p = pic();
            assertTrue(p.isInitialized());
            assertEquals(0x30, p.vectorBase(false));
            assertEquals(0x38, p.vectorBase(true));
            assertEquals(0xffff, p.imr());
            assertEquals(0xff, p.in(MASTER_DATA), "a data-port read is the IMR");
            assertEquals(0, p.irr());
            assertEquals(0, p.isr());
            assertFalse(p.intr());
            p.setLine(1, true);
            assertFalse(p.intr(), "masked");
            assertEquals(0x02, p.irr(), "a masked request is still latched in IRR");
            assertClean(p);
        }

        @Test
        @DisplayName("ICW1-ICW4 through the ports: the vector base comes from ICW2 bits 7:3")
        void icwSequence() {
            I8259Pair p = I8259Pair.powerOn(() -> intrCallbacks++);
            assertFalse(p.isInitialized());
            p.out(MASTER_COMMAND, 0x11);
            p.out(MASTER_DATA, 0x47);                   // bits 2:0 are the IR number in 8086 mode: ignored
            p.out(MASTER_DATA, 0x04);
            p.out(MASTER_DATA, 0x01);
            p.out(SLAVE_COMMAND, 0x11);
            p.out(SLAVE_DATA, 0x70);
            p.out(SLAVE_DATA, 0x02);
            p.out(SLAVE_DATA, 0x01);
            assertTrue(p.isInitialized());
            assertEquals(0x40, p.vectorBase(false));
            assertEquals(0x70, p.vectorBase(true));
            assertEquals(0, p.imr(), "ICW1 clears the IMR");
            p.setLine(3, true);
            assertTrue(p.intr());
            assertEquals(0x43, p.acknowledge());
            p.setLine(11, true);
            p.out(MASTER_COMMAND, 0x63);                // EOI IRQ 3
            assertEquals(0x73, p.acknowledge());
            assertClean(p);
        }

        @Test
        @DisplayName("bad programming: data and OCW writes before the first ICW1 are ignored and counted; INTR low")
        void beforeIcw1() {
            I8259Pair p = I8259Pair.powerOn(() -> intrCallbacks++);
            p.out(MASTER_DATA, 0x00);                   // OCW1 on an uninitialized chip
            p.out(MASTER_COMMAND, 0x20);                // OCW2
            p.out(MASTER_COMMAND, 0x0b);                // OCW3
            assertEquals(3, p.badProgramming());
            p.setLine(1, true);
            assertFalse(p.intr(), "an uninitialized chip requests nothing");
            assertEquals(0x07, p.acknowledge(), "INTA on an uninitialized master: IR7 of base 0");
            assertEquals(1, p.spuriousAcknowledges());
        }

        @Test
        @DisplayName("bad programming: an OCW2/OCW3 while ICW2-4 are expected is ignored; the sequence goes on")
        void ocwDuringInit() {
            I8259Pair p = pic();
            p.out(MASTER_COMMAND, 0x11);
            p.out(MASTER_COMMAND, 0x20);                // non-specific EOI where ICW2 belongs: ignored
            assertEquals(1, p.badProgramming());
            p.out(MASTER_DATA, 0x50);                   // still taken as ICW2
            p.out(MASTER_COMMAND, 0x0a);                // OCW3 where ICW3 belongs: ignored
            p.out(MASTER_DATA, 0x04);
            p.out(MASTER_DATA, 0x01);
            assertEquals(2, p.badProgramming());
            assertEquals(0x50, p.vectorBase(false));
            assertTrue(p.isInitialized());
            p.setLine(0, true);
            assertEquals(0x50, p.acknowledge());
        }

        @Test
        @DisplayName("ICW1 in the middle of an initialization starts a new one (not counted)")
        void icw1Restarts() {
            I8259Pair p = pic();
            p.out(MASTER_COMMAND, 0x11);
            p.out(MASTER_DATA, 0x50);
            p.out(MASTER_COMMAND, 0x11);                // restart before ICW3
            p.out(MASTER_DATA, 0x60);
            p.out(MASTER_DATA, 0x04);
            p.out(MASTER_DATA, 0x01);
            assertEquals(0x60, p.vectorBase(false));
            assertEquals(0, p.badProgramming());
        }

        @Test
        @DisplayName("single mode skips ICW3; no ICW4 leaves MCS-80/85 mode, counted (INTA still answers 8086-style)")
        void singleAndMcs80() {
            I8259Pair p = pic();
            p.out(MASTER_COMMAND, 0x12);                // SNGL, no IC4
            p.out(MASTER_DATA, 0x40);                   // ICW2 completes it
            assertEquals(1, p.badProgramming(), "MCS-80/85 mode");
            assertEquals(0, p.in(MASTER_DATA), "the next data write is OCW1: IMR reads 0 after ICW1");
            p.out(MASTER_DATA, 0xfe);
            assertEquals(0xfe, p.in(MASTER_DATA));
            p.setLine(0, true);
            assertEquals(0x40, p.acknowledge());
        }

        @Test
        @DisplayName("ICW1 resets the edge sense: a line held high through it needs a new rising edge")
        void edgeSenseReset() {
            I8259Pair p = pic(5);
            p.setLine(5, true);
            assertTrue(p.intr());
            p.init(false);                              // everything masked again, IRR cleared
            p.unmask(5);
            assertFalse(p.intr(), "the edge before ICW1 is forgotten");
            p.setLine(5, true);
            assertFalse(p.intr(), "still high: no edge");
            p.setLine(5, false);
            p.setLine(5, true);
            assertTrue(p.intr());
            assertEquals(0x35, p.acknowledge());
        }

        @Test
        @DisplayName("bad programming: a slave whose ICW3 ID is not the master's cascade IR leaves the bus at 0xff")
        void cascadeMismatch() {
            I8259Pair p = pic(9);
            p.out(SLAVE_COMMAND, 0x11);
            p.out(SLAVE_DATA, 0x38);
            p.out(SLAVE_DATA, 0x03);                    // claims IR3
            p.out(SLAVE_DATA, 0x01);
            p.unmask(9);
            p.setLine(9, true);
            assertTrue(p.intr());
            assertEquals(0xff, p.acknowledge());
            assertEquals(1, p.badProgramming());
        }
    }

    @Nested
    @DisplayName("requests and priority")
    class Priority {
        @Test
        @DisplayName("edge: a rising edge latches IRR, INTA moves it to ISR and returns base + IR; EOI ends it")
        void edgeCycle() {
            I8259Pair p = pic(4);
            intrCallbacks = 0;
            p.setLine(4, true);
            assertTrue(p.intr());
            assertEquals(1, intrCallbacks, "INTR rose: one callback");
            assertEquals(0x10, p.irr());
            assertEquals(0x34, p.acknowledge());
            assertEquals(0, p.irr());
            assertEquals(0x10, p.isr());
            assertFalse(p.intr());
            assertEquals(2, intrCallbacks, "INTR fell at INTA");
            p.eoi(4);
            assertEquals(0, p.isr());
            assertFalse(p.intr(), "held high: no new edge");
            p.setLine(4, false);
            p.pulse(4);
            assertTrue(p.intr());
            assertEquals(0x34, p.acknowledge());
            p.eoi(4);
            assertClean(p);
        }

        @Test
        @DisplayName("an edge request stays latched if the line drops before INTA (QEMU's model, see class comment)")
        void edgeLatchSurvivesDrop() {
            I8259Pair p = pic(6);
            p.setLine(6, true);
            p.setLine(6, false);
            assertTrue(p.intr());
            assertEquals(0x36, p.acknowledge());
            p.eoi(6);
            assertClean(p);
        }

        @Test
        @DisplayName("fully nested: IRQ 0 highest; a request waits for every higher level in service; higher preempts")
        void fullyNested() {
            I8259Pair p = pic(1, 3, 5);
            p.setLine(5, true);
            p.setLine(3, true);
            assertEquals(0x33, p.acknowledge(), "IRQ 3 before IRQ 5");
            assertFalse(p.intr(), "IRQ 5 is below IRQ 3 in service");
            p.setLine(1, true);
            assertTrue(p.intr(), "IRQ 1 is above IRQ 3");
            assertEquals(0x31, p.acknowledge());
            assertEquals(0x0a, p.isr());
            p.out(MASTER_COMMAND, 0x20);               // non-specific EOI: the highest in service, IRQ 1
            assertEquals(0x08, p.isr());
            assertFalse(p.intr());
            p.out(MASTER_COMMAND, 0x20);
            assertTrue(p.intr());
            assertEquals(0x35, p.acknowledge());
            p.eoi(5);
            assertClean(p);
        }

        @Test
        @DisplayName("the slave's lines sit at the master's IR2: IRQ 1 > IRQ 8-15 > IRQ 3")
        void slaveAtIr2() {
            I8259Pair p = pic(1, 3, 9, 14);
            p.setLine(3, true);
            p.setLine(14, true);
            p.setLine(9, true);
            assertEquals(0x39, p.acknowledge(), "IRQ 9 (slave IR1) beats IRQ 3");
            assertEquals(0x0204, p.isr(), "master IR2 and slave IR1 in service");
            assertFalse(p.intr(), "IRQ 14 is below IRQ 9 on the slave; IRQ 3 below IR2 on the master");
            p.setLine(1, true);
            assertEquals(0x31, p.acknowledge());
            p.eoi(1);
            p.eoi(9);                                   // slave IR1, then master IR2
            assertEquals(0, p.isr());
            assertEquals(0x3e, p.acknowledge(), "IRQ 14 next (slave, via IR2)");
            p.eoi(14);
            assertEquals(0x33, p.acknowledge());
            p.eoi(3);
            assertClean(p);
        }

        @Test
        @DisplayName("a slave line needs EOIs to both chips: the master's IR2 blocks the slave until its EOI")
        void slaveNeedsBothEois() {
            I8259Pair p = pic(10, 12);
            p.setLine(12, true);
            assertEquals(0x3c, p.acknowledge());
            p.out(SLAVE_COMMAND, 0x64);                 // slave only
            p.setLine(10, true);
            assertFalse(p.intr(), "master IR2 still in service");
            p.out(MASTER_COMMAND, 0x62);
            assertTrue(p.intr());
            assertEquals(0x3a, p.acknowledge());
            p.eoi(10);
            assertClean(p);
        }

        @Test
        @DisplayName("IMR: a masked request stays in IRR and is delivered when unmasked")
        void masking() {
            I8259Pair p = pic();
            p.setLine(7, true);
            assertFalse(p.intr());
            p.unmask(7);
            assertTrue(p.intr());
            p.mask(7);
            assertFalse(p.intr());
            p.out(MASTER_DATA, p.in(MASTER_DATA) & ~0x80);
            assertEquals(0x37, p.acknowledge(), "a real IRQ 7: ISR set");
            assertTrue(p.isInService(7));
            p.eoi(7);
            assertClean(p);
        }
    }

    @Nested
    @DisplayName("level triggering and spurious interrupts")
    class LevelAndSpurious {
        @Test
        @DisplayName("ELCR: a level line requests while high and again after EOI while still high")
        void levelLine() {
            I8259Pair p = pic(5);
            p.out(ELCR1, 0x20);
            assertTrue(p.isLevel(5));
            p.setLine(5, true);
            assertEquals(0x35, p.acknowledge());
            assertEquals(0x20, p.irr(), "a level request is the line itself");
            p.eoi(5);
            assertTrue(p.intr(), "still high after EOI: requested again");
            assertEquals(0x35, p.acknowledge());
            p.setLine(5, false);
            p.eoi(5);
            assertFalse(p.intr());
            assertClean(p);
        }

        @Test
        @DisplayName("ELCR: IRQ 0, 1, 2, 8 and 13 cannot be level (bits read 0)")
        void elcrReservedBits() {
            I8259Pair p = pic();
            p.out(ELCR1, 0xff);
            p.out(ELCR2, 0xff);
            assertEquals(0xf8, p.in(ELCR1));
            assertEquals(0xde, p.in(ELCR2));
            assertEquals(0xdef8, p.elcr());
            assertFalse(p.isLevel(0));
            assertFalse(p.isLevel(13));
            assertTrue(p.isLevel(15));
        }

        @Test
        @DisplayName("spurious IRQ 7: a level line dropped before INTA; the master answers IR7 with ISR clear")
        void spuriousIrq7() {
            I8259Pair p = pic(5);
            p.out(ELCR1, 0x20);
            p.setLine(5, true);
            assertTrue(p.intr());                       // the CPU sampled INTR here
            p.setLine(5, false);
            assertEquals(0x37, p.acknowledge());
            assertEquals(0, p.isr(), "no ISR bit for a spurious IRQ 7");
            assertFalse(p.isInService(7), "what Linux's mask_and_ack_8259A checks");
            assertEquals(1, p.spuriousAcknowledges());
        }

        @Test
        @DisplayName("spurious IRQ 15: the slave's request vanished after the master latched IR2; the master's IR2"
                + " stays in service and needs its EOI")
        void spuriousIrq15() {
            I8259Pair p = pic(10);
            p.out(ELCR2, 0x04);                         // IRQ 10 level
            p.setLine(10, true);
            assertTrue(p.intr());
            p.setLine(10, false);
            assertTrue(p.intr(), "the master's IR2 edge stays latched");
            assertEquals(0x3f, p.acknowledge());
            assertEquals(1, p.spuriousAcknowledges());
            assertEquals(0x0004, p.isr(), "master IR2 in service, slave IR7 not");
            p.setLine(10, true);
            assertFalse(p.intr(), "the slave is blocked behind the master's IR2 until it gets its EOI");
            p.out(MASTER_COMMAND, 0x62);
            assertTrue(p.intr());
            assertEquals(0x3a, p.acknowledge());
            p.eoi(10);
            p.setLine(10, false);
            assertEquals(0, p.ignoredEois());
        }

        @Test
        @DisplayName("device misuse throws: a pulse on a level line, IRQ 2, lines outside 0-15, unknown ports")
        void misuse() {
            I8259Pair p = pic();
            p.out(ELCR1, 0x08);
            assertThrows(IllegalStateException.class, () -> p.pulse(3));
            assertThrows(IllegalArgumentException.class, () -> p.setLine(2, true));
            assertThrows(IllegalArgumentException.class, () -> p.pulse(2));
            assertThrows(IllegalArgumentException.class, () -> p.setLine(16, true));
            assertThrows(IllegalArgumentException.class, () -> p.setLine(-1, true));
            assertThrows(IllegalArgumentException.class, () -> p.out(0x22, 0));
            assertThrows(IllegalArgumentException.class, () -> p.in(0x61));
            assertThrows(IllegalArgumentException.class, () -> p.mask(16));
        }

        @Test
        @DisplayName("a pulse while the line is held high is no edge")
        void pulseWhileHigh() {
            I8259Pair p = pic(4);
            p.setLine(4, true);
            assertEquals(0x34, p.acknowledge());
            p.eoi(4);
            p.pulse(4);
            assertFalse(p.intr());
            assertTrue(p.lineHigh(4), "the pulse leaves the line as it was");
        }
    }

    @Nested
    @DisplayName("EOI, OCW2 and OCW3")
    class Commands {
        @Test
        @DisplayName("bad programming: an EOI with nothing (or not that level) in service is ignored and counted")
        void ignoredEois() {
            I8259Pair p = pic(3);
            p.out(MASTER_COMMAND, 0x20);                // non-specific, nothing in service
            p.out(MASTER_COMMAND, 0x63);                // specific, IRQ 3 not in service
            p.out(MASTER_COMMAND, 0xa0);                // rotate on non-specific EOI, nothing in service
            assertEquals(3, p.ignoredEois());
            p.setLine(3, true);
            p.acknowledge();
            p.out(MASTER_COMMAND, 0x64);                // IRQ 4, not in service
            assertEquals(4, p.ignoredEois());
            assertEquals(0x08, p.isr(), "IRQ 3 still in service");
            p.out(MASTER_COMMAND, 0x63);
            assertEquals(4, p.ignoredEois());
            assertEquals(0, p.isr());
        }

        @Test
        @DisplayName("OCW3 selects what the command port reads: IRR (default), ISR (0x0b), IRR (0x0a)")
        void readRegister() {
            I8259Pair p = pic(3, 6);
            p.setLine(3, true);
            p.acknowledge();
            p.setLine(6, true);
            assertEquals(0x40, p.in(MASTER_COMMAND), "IRR by default");
            p.out(MASTER_COMMAND, 0x0b);
            assertEquals(0x08, p.in(MASTER_COMMAND), "ISR");
            assertEquals(0x08, p.in(MASTER_COMMAND), "stays selected");
            p.out(MASTER_COMMAND, 0x0a);
            assertEquals(0x40, p.in(MASTER_COMMAND), "IRR");
            assertTrue(p.isInService(3));
            assertFalse(p.isInService(6));
            assertEquals(0x40, p.in(MASTER_COMMAND), "isInService leaves IRR selected, as Linux does");
        }

        @Test
        @DisplayName("auto-EOI: INTA sets no ISR bit, so the same line can interrupt again at once")
        void autoEoi() {
            I8259Pair p = pic();
            p.init(true);
            p.unmask(4);
            p.setLine(4, true);
            assertEquals(0x34, p.acknowledge());
            assertEquals(0, p.isr());
            p.setLine(4, false);
            p.setLine(4, true);
            assertTrue(p.intr());
            assertEquals(0x34, p.acknowledge());
            assertClean(p);
        }

        @Test
        @DisplayName("OCW3 poll: the next command port read is the poll word and acknowledges like INTA")
        void poll() {
            I8259Pair p = pic(5);
            p.out(MASTER_COMMAND, 0x0c);
            assertEquals(0x00, p.in(MASTER_COMMAND), "nothing requested: I = 0");
            p.setLine(5, true);
            p.out(MASTER_COMMAND, 0x0c);
            assertEquals(0x85, p.in(MASTER_COMMAND));
            assertEquals(0x20, p.isr());
            assertFalse(p.intr());
            p.eoi(5);
            assertClean(p);
        }

        @Test
        @DisplayName("OCW2 set priority and rotate on EOI move the lowest-priority level")
        void rotation() {
            I8259Pair p = pic(1, 6);
            p.out(MASTER_COMMAND, 0xc5);                // IR5 lowest: IR6 is now highest
            p.setLine(1, true);
            p.setLine(6, true);
            assertEquals(0x36, p.acknowledge());
            assertFalse(p.intr(), "IR1 is below IR6 now");
            p.out(MASTER_COMMAND, 0xa0);                // rotate on non-specific EOI: IR6 becomes lowest
            assertEquals(0x31, p.acknowledge());
            p.out(MASTER_COMMAND, 0xe1);                // rotate on specific EOI of IR1: IR1 lowest
            assertEquals(0, p.isr());
            p.out(MASTER_COMMAND, 0xc7);                // back to fully nested
            assertClean(p);
        }

        @Test
        @DisplayName("rotate in auto-EOI mode: each acknowledged level becomes the lowest")
        void rotateInAeoi() {
            I8259Pair p = pic();
            p.init(true);
            p.unmask(1);
            p.unmask(3);
            p.out(MASTER_COMMAND, 0x80);
            p.setLine(1, true);
            p.setLine(3, true);
            assertEquals(0x31, p.acknowledge());        // IR1 now lowest
            p.setLine(1, false);
            p.setLine(1, true);
            assertEquals(0x33, p.acknowledge(), "IR3 beats IR1 after the rotation");
            assertEquals(0x31, p.acknowledge());
            p.out(MASTER_COMMAND, 0x00);
            assertClean(p);
        }

        @Test
        @DisplayName("special mask mode: with the level in service masked, lower levels get through")
        void specialMask() {
            I8259Pair p = pic(3, 5);
            p.setLine(3, true);
            assertEquals(0x33, p.acknowledge());
            p.setLine(5, true);
            assertFalse(p.intr());
            p.out(MASTER_COMMAND, 0x68);                // ESMM + SMM
            p.mask(3);
            assertTrue(p.intr(), "IR3 in service but masked: IR5 passes");
            assertEquals(0x35, p.acknowledge());
            p.out(MASTER_COMMAND, 0x48);                // ESMM, SMM off
            p.eoi(5);
            p.eoi(3);
            assertClean(p);
        }

        @Test
        @DisplayName("special fully nested mode: a higher slave request passes the master while IR2 is in service")
        void specialFullyNested() {
            I8259Pair p = pic();
            p.out(MASTER_COMMAND, 0x11);
            p.out(MASTER_DATA, 0x30);
            p.out(MASTER_DATA, 0x04);
            p.out(MASTER_DATA, 0x11);                   // 8086, SFNM
            p.unmask(2);
            p.unmask(9);
            p.unmask(12);
            p.setLine(12, true);
            assertEquals(0x3c, p.acknowledge());
            p.setLine(9, true);
            assertTrue(p.intr(), "IRQ 9 is above IRQ 12 on the slave: passes the master's IR2 in SFNM");
            assertEquals(0x39, p.acknowledge());
            p.out(SLAVE_COMMAND, 0x61);                 // SFNM: EOI the slave, and the master only once the
            p.out(SLAVE_COMMAND, 0x64);                 // slave has nothing left in service
            p.out(MASTER_COMMAND, 0x62);
            assertEquals(0, p.isr());
            assertClean(p);
        }
    }

    // ---------------------------------------------------------------------------------------------- model test

    /**
     * Reference model: two 8-line chips with fixed priority (IR0 highest), normal EOI, the master's IR2 latching the
     * slave's INT; plain definitions of the class comment, no modes.
     */
    static final class Model {
        final int[] input = new int[2];
        final int[] irr = new int[2];
        final int[] isr = new int[2];
        final int[] imr = {0xff, 0xff};
        final int[] elcr = new int[2];
        long ignoredEois;
        long spurious;

        boolean level(int chip, int ir) {
            return (elcr[chip] & 1 << ir) != 0;
        }

        void setInput(int chip, int ir, boolean high) {
            int bit = 1 << ir;
            if (high && (input[chip] & bit) == 0 && !level(chip, ir)) {
                irr[chip] |= bit;
            }
            input[chip] = high ? input[chip] | bit : input[chip] & ~bit;
            if (level(chip, ir)) {
                irr[chip] = high ? irr[chip] | bit : irr[chip] & ~bit;
            }
        }

        static int lowestBit(int bits) {
            return bits == 0 ? -1 : Integer.numberOfTrailingZeros(bits);
        }

        int request(int chip) {
            int r = lowestBit(irr[chip] & ~imr[chip]);
            int s = lowestBit(isr[chip]);
            return r >= 0 && (s < 0 || r < s) ? r : -1;
        }

        void update() {
            setInput(0, 2, request(1) >= 0);
        }

        boolean intr() {
            return request(0) >= 0;
        }

        int acknowledge() {
            int m = request(0);
            int vector;
            if (m < 0) {
                spurious++;
                vector = 0x37;
            } else {
                take(0, m);
                if (m == 2) {
                    int s = request(1);
                    if (s < 0) {
                        spurious++;
                        vector = 0x3f;
                    } else {
                        take(1, s);
                        vector = 0x38 + s;
                    }
                } else {
                    vector = 0x30 + m;
                }
            }
            update();
            return vector;
        }

        private void take(int chip, int ir) {
            if (!level(chip, ir)) {
                irr[chip] &= ~(1 << ir);
            }
            isr[chip] |= 1 << ir;
        }

        void specificEoi(int chip, int ir) {
            if ((isr[chip] & 1 << ir) == 0) {
                ignoredEois++;
            }
            isr[chip] &= ~(1 << ir);
            update();
        }

        void nonSpecificEoi(int chip) {
            int s = lowestBit(isr[chip]);
            if (s < 0) {
                ignoredEois++;
            } else {
                isr[chip] &= ~(1 << s);
            }
            update();
        }

        void setElcr(int chip, int v) {
            elcr[chip] = v & (chip == 0 ? 0xf8 : 0xde);
            irr[chip] = (irr[chip] & ~elcr[chip]) | (input[chip] & elcr[chip]);
            update();
        }
    }

    @Nested
    @DisplayName("randomized operations against a reference model")
    class RandomModel {
        private static final int[] LINES = {0, 1, 3, 4, 5, 7, 8, 9, 10, 12, 13, 15};

        @Test
        @DisplayName("4 seeds x 5000 operations: IRR, ISR, IMR, INTR, vectors, counters and INTR callbacks match")
        void matchesModel() {
            for (long seed : new long[] {1, 7, 0x8259, 20260101}) {
                run(seed, 5000);
            }
        }

        private void run(long seed, int steps) {
            Random rnd = new Random(seed);
            intrCallbacks = 0;
            I8259Pair p = new I8259Pair(() -> intrCallbacks++);
            Model m = new Model();
            for (int step = 0; step < steps; step++) {
                boolean intrBefore = m.intr();
                int callbacksBefore = intrCallbacks;
                String op = step(rnd, p, m);
                String where = "seed " + seed + " step " + step + " after " + op;
                assertEquals(m.irr[1] << 8 | m.irr[0], p.irr(), () -> "IRR, " + where);
                assertEquals(m.isr[1] << 8 | m.isr[0], p.isr(), () -> "ISR, " + where);
                assertEquals(m.imr[1] << 8 | m.imr[0], p.imr(), () -> "IMR, " + where);
                assertEquals(m.intr(), p.intr(), () -> "INTR, " + where);
                assertEquals(m.ignoredEois, p.ignoredEois(), () -> "ignored EOIs, " + where);
                assertEquals(m.spurious, p.spuriousAcknowledges(), () -> "spurious, " + where);
                assertEquals(0, p.badProgramming(), () -> "bad programming, " + where);
                int expectedCallbacks = intrBefore != m.intr() ? 1 : 0;
                assertEquals(expectedCallbacks, intrCallbacks - callbacksBefore,
                        () -> "one INTR callback per change of INTR, " + where);
            }
        }

        private String step(Random rnd, I8259Pair p, Model m) {
            int line = LINES[rnd.nextInt(LINES.length)];
            int chip = line >>> 3;
            int ir = line & 7;
            switch (rnd.nextInt(14)) {
                case 0:
                case 1:
                case 2: {
                    boolean high = rnd.nextBoolean();
                    p.setLine(line, high);
                    m.setInput(chip, ir, high);
                    m.update();
                    return "setLine(" + line + ", " + high + ")";
                }
                case 3: {
                    if (m.level(chip, ir)) {
                        assertThrows(IllegalStateException.class, () -> p.pulse(line));
                        return "pulse(" + line + ") rejected";
                    }
                    p.pulse(line);
                    if ((m.input[chip] & 1 << ir) == 0) {
                        m.setInput(chip, ir, true);
                        m.setInput(chip, ir, false);
                    }
                    m.update();
                    return "pulse(" + line + ")";
                }
                case 4: {
                    int v = rnd.nextInt(256);
                    int c = rnd.nextInt(2);
                    p.out(c == 0 ? MASTER_DATA : SLAVE_DATA, v);
                    m.imr[c] = v;
                    m.update();
                    return "OCW1(" + c + ", 0x" + Integer.toHexString(v) + ")";
                }
                case 5: {
                    int c = rnd.nextInt(2);
                    int v = rnd.nextInt(256);
                    p.out(c == 0 ? ELCR1 : ELCR2, v);
                    m.setElcr(c, v);
                    return "ELCR(" + c + ", 0x" + Integer.toHexString(v) + ")";
                }
                case 6:
                case 7:
                case 8: {
                    int expected = m.acknowledge();
                    assertEquals(expected, p.acknowledge(), "INTA");
                    return "ack = 0x" + Integer.toHexString(expected);
                }
                case 9:
                case 10: {
                    int c = rnd.nextInt(2);
                    int level = rnd.nextInt(4) == 0 ? rnd.nextInt(8) : Math.max(0, Model.lowestBit(m.isr[c]));
                    p.out(c == 0 ? MASTER_COMMAND : SLAVE_COMMAND, 0x60 | level);
                    m.specificEoi(c, level);
                    return "specific EOI(" + c + ", " + level + ")";
                }
                case 11: {
                    int c = rnd.nextInt(2);
                    p.out(c == 0 ? MASTER_COMMAND : SLAVE_COMMAND, 0x20);
                    m.nonSpecificEoi(c);
                    return "non-specific EOI(" + c + ")";
                }
                case 12: {
                    int c = rnd.nextInt(2);
                    int port = c == 0 ? MASTER_COMMAND : SLAVE_COMMAND;
                    p.out(port, 0x0b);
                    assertEquals(m.isr[c], p.in(port), "ISR through OCW3");
                    p.out(port, 0x0a);
                    assertEquals(m.irr[c], p.in(port), "IRR through OCW3");
                    return "read IRR/ISR(" + c + ")";
                }
                default: {
                    int irq = LINES[rnd.nextInt(LINES.length)];
                    boolean mask = rnd.nextBoolean();
                    if (mask) {
                        p.mask(irq);
                        m.imr[irq >>> 3] |= 1 << (irq & 7);
                    } else {
                        p.unmask(irq);
                        m.imr[irq >>> 3] &= ~(1 << (irq & 7));
                    }
                    m.update();
                    return (mask ? "mask(" : "unmask(") + irq + ")";
                }
            }
        }
    }
}
