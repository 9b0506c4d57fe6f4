/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

/**
 * One 8259A (master or slave) of an {@link I8259Pair}: its registers and the command decoding of the Intel 8259A
 * datasheet. Every field is guarded by the pair's lock; this class takes no lock itself. Bit {@code i} of each
 * 8-bit word is IR input {@code i}.
 *
 * <pre>
 *   request(i)  = IRR(i) &amp; ~IMR(i)                       while initialized
 *   blocking    = ISR (&amp; ~IMR in special mask mode)
 *   INT output  = the highest-priority request beats the highest-priority blocking level (or, in special fully
 *                 nested mode on the master, is the same cascade IR)
 *   priority    = (i - lowest - 1) mod 8, 0 highest; lowest = 7 gives IR0 highest (fully nested)
 * </pre>
 */
final class I8259 {
    static final int NOT_INITIALIZED = -1;
    static final int READY = 0;
    static final int EXPECT_ICW2 = 1;
    static final int EXPECT_ICW3 = 2;
    static final int EXPECT_ICW4 = 3;

    final boolean master;       // I
    final int elcrMask;         // I: ELCR bits that exist (IRQ 0, 1, 2, 8, 13 are always edge on a PC)

    int input;                  // L(pair): IR input levels
    int irr;                    // L(pair): edge lines latched on the rising edge; level lines follow the input
    int isr;                    // L(pair)
    int imr;                    // L(pair)
    int elcr;                   // L(pair): 1 = level-triggered (PIIX-style edge/level control register)
    boolean ltim;               // L(pair): ICW1 LTIM, every line level-triggered
    int vectorBase;             // L(pair): ICW2 & 0xf8
    int icw3;                   // L(pair): master: IRs with a slave; slave: its cascade ID (bits 2:0)
    boolean single;             // L(pair): ICW1 SNGL
    boolean icw4Needed;         // L(pair): ICW1 IC4
    boolean autoEoi;            // L(pair): ICW4 AEOI
    boolean sfnm;               // L(pair): ICW4 special fully nested mode
    boolean mcs80;              // L(pair): ICW4 uPM = 0 (MCS-80/85 mode, not modelled)
    int initStep = NOT_INITIALIZED;   // L(pair)
    int lowest = 7;             // L(pair): the lowest-priority IR (rotation)
    boolean rotateInAeoi;       // L(pair)
    boolean specialMask;        // L(pair): OCW3 special mask mode
    boolean readIsr;            // L(pair): OCW3 RR/RIS: the command port reads ISR instead of IRR
    boolean pollNext;           // L(pair): OCW3 P: the next command port read is a poll

    I8259(boolean master) {
        this.master = master;
        this.elcrMask = master ? 0xf8 : 0xde;
    }

    boolean level(int ir) {
        return ltim || (elcr & 1 << ir) != 0;
    }

    int levelMask() {
        return ltim ? 0xff : elcr;
    }

    void setInput(int ir, boolean high) {
        int bit = 1 << ir;
        if (high && (input & bit) == 0 && !level(ir)) {
            irr |= bit;                                // rising edge latches
        }
        input = high ? input | bit : input & ~bit;
        if (level(ir)) {
            irr = high ? irr | bit : irr & ~bit;       // a level request is the input itself
        }
    }

    int priority(int ir) {
        return (ir - lowest - 1) & 7;
    }

    /** The highest-priority IR among {@code bits}, or -1. */
    int highest(int bits) {
        for (int p = 0; p < 8; p++) {
            int ir = (lowest + 1 + p) & 7;
            if ((bits & 1 << ir) != 0) {
                return ir;
            }
        }
        return -1;
    }

    boolean isCascade(int ir) {
        return master && !single && (icw3 & 1 << ir) != 0;
    }

    /** The IR whose request drives INT now (the one INTA would take), or -1. */
    int request() {
        if (initStep != READY) {
            return -1;
        }
        int r = highest(irr & ~imr);
        if (r < 0) {
            return -1;
        }
        int blocking = specialMask ? isr & ~imr : isr;
        int s = highest(blocking);
        if (s < 0 || priority(r) < priority(s)) {
            return r;
        }
        return sfnm && r == s && isCascade(r) ? r : -1;
    }

    /** The first INTA pulse took {@code ir}: IRR (edge) cleared, ISR set unless auto-EOI. */
    void ack(int ir) {
        int bit = 1 << ir;
        if (!level(ir)) {
            irr &= ~bit;
        }
        if (autoEoi) {
            if (rotateInAeoi) {
                lowest = ir;
            }
        } else {
            isr |= bit;
        }
    }

    /** ICW1: starts initialization (datasheet: "Initialization Command Words"). */
    void icw1(int v) {
        initStep = EXPECT_ICW2;
        icw4Needed = (v & 0x01) != 0;
        single = (v & 0x02) != 0;
        ltim = (v & 0x08) != 0;
        irr = input & levelMask();                     // the edge sense circuit is reset
        imr = 0;
        isr = 0;                                       // the datasheet is silent; cleared as QEMU's model does
        lowest = 7;
        if (!master) {
            icw3 = 7;                                  // slave mode address set to 7
        }
        specialMask = false;
        readIsr = false;
        pollNext = false;
        rotateInAeoi = false;
        if (!icw4Needed) {
            autoEoi = false;
            sfnm = false;
            mcs80 = true;
        }
    }

    /**
     * A data-port write: ICW2/3/4 during initialization, OCW1 (IMR) after it.
     *
     * @return false if the write was ignored (the chip was never initialized)
     */
    boolean writeData(int v) {
        switch (initStep) {
            case READY:
                imr = v;
                return true;
            case EXPECT_ICW2:
                vectorBase = v & 0xf8;
                initStep = single ? (icw4Needed ? EXPECT_ICW4 : READY) : EXPECT_ICW3;
                return true;
            case EXPECT_ICW3:
                icw3 = master ? v : v & 7;
                initStep = icw4Needed ? EXPECT_ICW4 : READY;
                return true;
            case EXPECT_ICW4:
                mcs80 = (v & 0x01) == 0;
                autoEoi = (v & 0x02) != 0;
                sfnm = (v & 0x10) != 0;
                initStep = READY;
                return true;
            default:
                return false;
        }
    }

    /**
     * OCW2 (EOI, rotation, set priority).
     *
     * @return false if it was an EOI with nothing (or not that level) in service: ignored
     */
    boolean ocw2(int v) {
        int level = v & 7;
        switch (v >>> 5 & 7) {
            case 1: {                                  // non-specific EOI
                int s = highest(isr);
                if (s < 0) {
                    return false;
                }
                isr &= ~(1 << s);
                return true;
            }
            case 3:                                    // specific EOI
                if ((isr & 1 << level) == 0) {
                    return false;
                }
                isr &= ~(1 << level);
                return true;
            case 5: {                                  // rotate on non-specific EOI
                int s = highest(isr);
                if (s < 0) {
                    return false;
                }
                isr &= ~(1 << s);
                lowest = s;
                return true;
            }
            case 7: {                                  // rotate on specific EOI
                boolean was = (isr & 1 << level) != 0;
                isr &= ~(1 << level);
                lowest = level;
                return was;
            }
            case 4:
                rotateInAeoi = true;
                return true;
            case 0:
                rotateInAeoi = false;
                return true;
            case 6:                                    // set priority
                lowest = level;
                return true;
            default:                                   // 2: no operation
                return true;
        }
    }

    /** OCW3 (special mask mode, poll, read register select). */
    void ocw3(int v) {
        if ((v & 0x40) != 0) {
            specialMask = (v & 0x20) != 0;
        }
        if ((v & 0x04) != 0) {
            pollNext = true;
        }
        if ((v & 0x02) != 0) {
            readIsr = (v & 0x01) != 0;
        }
    }

    /** A command-port read: the poll word after a poll command, else IRR or ISR as OCW3 selected. */
    int readCommand() {
        if (pollNext) {
            pollNext = false;
            int r = request();
            if (r < 0) {
                return 0;                              // I = 0; the W bits are undefined in the datasheet
            }
            ack(r);
            return 0x80 | r;
        }
        return readIsr ? isr : irr;
    }

    void writeElcr(int v) {
        elcr = v & elcrMask;
        int lvl = levelMask();
        irr = (irr & ~lvl) | (input & lvl);
    }
}
