/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

import java.lang.System.Logger.Level;
import java.util.Objects;

/**
 * The PC/AT pair of Intel 8259A programmable interrupt controllers: a master (ports 0x20/0x21, ISA IRQ 0-7) and a
 * slave (0xA0/0xA1, IRQ 8-15) cascaded on the master's IR2, 15 usable lines, plus the edge/level control registers
 * (ELCR, ports 0x4D0/0x4D1). It is programmed only through its I/O ports ({@link #out}, {@link #in}); it asserts one
 * INTR output, which X86Chips wires to CPU 0's LINT0 (ExtINT) and to IO-APIC pin 0.
 *
 * <h2>Initialization (8259A datasheet; Linux's {@code init_8259A})</h2>
 * <pre>
 *   state          port write                               -&gt; next
 *   (any)          command port, bit 4 set: ICW1            -&gt; EXPECT_ICW2   resets IMR, ISR, edge sense, rotation,
 *                                                                            special mask, read-IRR; slave ID 7
 *   EXPECT_ICW2    data port: ICW2 (vector base, bits 7:3)  -&gt; EXPECT_ICW3 (cascade), EXPECT_ICW4 (single, IC4),
 *                                                              READY
 *   EXPECT_ICW3    data port: ICW3 (master: IRs with a slave; slave: its ID)  -&gt; EXPECT_ICW4 (IC4) or READY
 *   EXPECT_ICW4    data port: ICW4 (uPM, AEOI, SFNM)        -&gt; READY
 *   READY          data port: OCW1 (IMR); command port: OCW2 (EOI, rotation), OCW3 (read IRR/ISR, poll, special mask)
 * </pre>
 * Linux writes ICW1 0x11 (edge, cascade, ICW4 follows), ICW2 0x30 / 0x38 ({@link IrqVectors#isaIrqVector}), ICW3
 * 0x04 / 0x02, ICW4 0x01 (8086 mode, normal EOI; 0x03 with auto-EOI): {@link #init(boolean)}.
 *
 * <h2>States per line</h2>
 * <pre>
 *   IDLE        -&gt; REQUESTED    edge: the input rises (IRR latched); level (ELCR or LTIM): while the input is high
 *   REQUESTED   -&gt; IDLE         level: the input drops (the request is withdrawn)
 *   REQUESTED   -&gt; IN_SERVICE   INTA took it: the highest-priority unmasked request, above every level in service
 *                               (IRR cleared for edge; ISR set unless auto-EOI)
 *   IN_SERVICE  -&gt; IDLE         EOI: specific (that level) or non-specific (the highest level in service)
 * </pre>
 * Priority is fully nested: IR0 highest, IR7 lowest, until OCW2 rotates it. The slave's eight lines sit at the
 * master's IR2 position: a slave request passes the master only as an IR2 request.
 *
 * <h2>The INTA cycle ({@link #acknowledge()})</h2>
 * The master takes its highest deliverable IR. If that is the cascade IR the slave supplies the vector from its own
 * highest deliverable IR. Spurious answers:
 * <ul>
 *   <li>the master has no deliverable request (it went away after INTR was sampled, e.g. a level line dropped):
 *       it answers with its IR7 vector and sets no ISR bit: a spurious IRQ 7;</li>
 *   <li>the master took IR2 but the slave has nothing: the slave answers with its IR7 vector (IRQ 15) and sets no ISR
 *       bit, but the master's ISR bit 2 is set, so the spurious IRQ 15 still needs an EOI to the master (Linux's
 *       {@code mask_and_ack_8259A} sends it).</li>
 * </ul>
 * An edge request stays latched in IRR until acknowledged even if its input drops first (as in QEMU's model; the
 * datasheet asks the input to stay high until the first INTA pulse). So the master's IR2, which latches the slave's
 * INT output, is how a spurious IRQ 15 arises here: a slave level line that dropped after the master latched IR2.
 *
 * <h2>Bad programming (what the chip does; counted, never thrown)</h2>
 * <pre>
 *   OCW2/OCW3 while ICW2-4 are expected            ignored            badProgramming()
 *   any data or OCW write before the first ICW1    ignored            badProgramming()
 *   initialization completed in MCS-80/85 mode     INTA still answers in 8086 format   badProgramming()
 *   (no ICW4, or ICW4 uPM = 0)
 *   slave ID (ICW3) not the master's cascade IR    INTA reads 0xff (nobody drives the bus)   badProgramming()
 *   EOI with nothing / not that level in service   ignored            ignoredEois()
 *   ICW1 in the middle of an initialization        honoured: ICW1 always starts initialization
 *   ELCR bits of IRQ 0, 1, 2, 8, 13                read 0, writes ignored (always edge on a PC)
 * </pre>
 * Until the first ICW1 (a chip made with {@link #powerOn}) INTR stays low. Device-side misuse (a line outside 0-15,
 * IRQ 2, a pulse on a level line) and unknown ports throw.
 *
 * <h2>Reset state</h2>
 * A new pair is as Linux's {@code init_8259A(0)} leaves it, with every line masked (IMR 0xff / 0xff) and every line
 * edge-triggered. {@link #powerOn} gives an uninitialized pair that needs ICW1-ICW4.
 *
 * <h2>Thread safety</h2>
 * One lock guards both chips (the kernel serialises all 8259A access with {@code i8259A_lock}). INTR is published in
 * a volatile field; the {@code intrChanged} callback runs after the lock is released whenever an operation changed
 * INTR, and the listener reads {@link #intr()} (the value may have moved on again).
 */
public final class I8259Pair {
    public static final int MASTER_COMMAND = 0x20;
    public static final int MASTER_DATA = 0x21;
    public static final int SLAVE_COMMAND = 0xa0;
    public static final int SLAVE_DATA = 0xa1;
    public static final int ELCR1 = 0x4d0;
    public static final int ELCR2 = 0x4d1;
    /** The master IR the slave is cascaded on. */
    public static final int CASCADE_IRQ = 2;
    /** The vector a chip answers with on a spurious INTA: its base + 7. */
    public static final int SPURIOUS_IR = 7;

    private final Object lock = new Object();     // I
    private final I8259 master = new I8259(true);  // I; fields L(lock)
    private final I8259 slave = new I8259(false);  // I; fields L(lock)
    private final Runnable intrChanged;            // I
    private volatile boolean intr;                 // L(lock) writes; volatile: the wire reads it lock-free
    private long badProgramming;                   // L(lock)
    private long ignoredEois;                      // L(lock)
    private long spuriousAcknowledges;             // L(lock)
    private boolean badReported;                   // L(lock)

    /** A pair nobody listens to, initialized as Linux leaves it, every line masked. */
    public I8259Pair() {
        this(() -> { });
    }

    /**
     * A pair initialized as Linux leaves it, every line masked.
     *
     * @param intrChanged called with no lock held after an operation changed INTR
     */
    public I8259Pair(Runnable intrChanged) {
        this(intrChanged, true);
    }

    private I8259Pair(Runnable intrChanged, boolean linuxInit) {
        this.intrChanged = Objects.requireNonNull(intrChanged, "intrChanged");
        if (linuxInit) {
            synchronized (lock) {
                initLocked(false);
            }
        }
    }

    /** A pair as at power-up: neither chip initialized (INTR low until ICW1-ICW4 are written). */
    public static I8259Pair powerOn(Runnable intrChanged) {
        return new I8259Pair(intrChanged, false);
    }

    // ---------------------------------------------------------------------------------------------- ports

    /**
     * outb: writes {@code value} (8 bits) to {@code port}.
     *
     * @throws IllegalArgumentException for a port that is not 0x20, 0x21, 0xa0, 0xa1, 0x4d0 or 0x4d1
     */
    public void out(int port, int value) {
        boolean changed;
        synchronized (lock) {
            outLocked(port, value & 0xff);
            changed = updateLocked();
        }
        if (changed) {
            intrChanged.run();
        }
    }

    /**
     * inb: reads {@code port}. A command port reads IRR or ISR as OCW3 selected, or the poll word (which
     * acknowledges, as an INTA does) after a poll command; a data port reads IMR.
     *
     * @throws IllegalArgumentException for an unknown port
     */
    public int in(int port) {
        int value;
        boolean changed;
        synchronized (lock) {
            switch (port) {
                case MASTER_COMMAND: value = master.readCommand(); break;
                case SLAVE_COMMAND: value = slave.readCommand(); break;
                case MASTER_DATA: value = master.imr; break;
                case SLAVE_DATA: value = slave.imr; break;
                case ELCR1: value = master.elcr; break;
                case ELCR2: value = slave.elcr; break;
                default: throw badPort(port);
            }
            changed = updateLocked();
        }
        if (changed) {
            intrChanged.run();
        }
        return value;
    }

    private void outLocked(int port, int v) {
        switch (port) {
            case MASTER_COMMAND: command(master, v); break;
            case SLAVE_COMMAND: command(slave, v); break;
            case MASTER_DATA: data(master, v); break;
            case SLAVE_DATA: data(slave, v); break;
            case ELCR1: master.writeElcr(v); break;
            case ELCR2: slave.writeElcr(v); break;
            default: throw badPort(port);
        }
    }

    private void command(I8259 chip, int v) {
        if ((v & 0x10) != 0) {
            chip.icw1(v);
            if (chip.initStep == I8259.READY) {
                initDone(chip);
            }
        } else if (chip.initStep != I8259.READY) {
            bad(chip, (v & 0x08) != 0 ? "OCW3" : "OCW2", chip.initStep == I8259.NOT_INITIALIZED
                    ? "before the first ICW1" : "while the initialization sequence expects ICW" + (chip.initStep + 1));
        } else if ((v & 0x08) != 0) {
            chip.ocw3(v);
        } else if (!chip.ocw2(v)) {
            ignoredEois++;
        }
    }

    private void data(I8259 chip, int v) {
        int step = chip.initStep;
        if (!chip.writeData(v)) {
            bad(chip, "data-port write", "before the first ICW1");
        } else if (step != I8259.READY && chip.initStep == I8259.READY) {
            initDone(chip);
        }
    }

    private void initDone(I8259 chip) {
        if (chip.mcs80) {
            bad(chip, "initialization", "completed in MCS-80/85 mode (no ICW4, or ICW4 uPM = 0); INTA answers as"
                    + " in 8086 mode");
        }
    }

    private void bad(I8259 chip, String what, String why) {
        badProgramming++;
        if (!badReported) {
            badReported = true;
            LocalApic.LOG.log(Level.WARNING, "8259A " + (chip.master ? "master" : "slave") + ": " + what + " " + why
                    + " (reported once)");
        }
    }

    private static IllegalArgumentException badPort(int port) {
        return new IllegalArgumentException("port 0x" + Integer.toHexString(port) + " is not an 8259A port (0x20,"
                + " 0x21, 0xa0, 0xa1) or an ELCR (0x4d0, 0x4d1)");
    }

    // ---------------------------------------------------------------------------------------------- INTA, INTR

    /**
     * The INTA cycle: the vector of the highest-priority deliverable line, now in service (unless auto-EOI), or a
     * spurious IRQ 7 / IRQ 15 vector (see the class comment).
     */
    public int acknowledge() {
        int vector;
        boolean changed;
        synchronized (lock) {
            int m = master.request();
            if (m < 0) {
                spuriousAcknowledges++;
                vector = master.vectorBase | SPURIOUS_IR;
            } else {
                master.ack(m);
                if (!master.isCascade(m)) {
                    vector = master.vectorBase | m;
                } else if (slave.initStep != I8259.READY || (slave.icw3 & 7) != m) {
                    bad(slave, "cascade ID " + (slave.icw3 & 7), "does not match the master's IR" + m
                            + ": no chip answers the INTA, the bus reads 0xff");
                    vector = 0xff;
                } else {
                    int s = slave.request();
                    if (s < 0) {
                        spuriousAcknowledges++;
                        vector = slave.vectorBase | SPURIOUS_IR;
                    } else {
                        slave.ack(s);
                        vector = slave.vectorBase | s;
                    }
                }
            }
            changed = updateLocked();
        }
        if (changed) {
            intrChanged.run();
        }
        return vector;
    }

    /** The INTR output: whether the master requests an interrupt now. */
    public boolean intr() {
        return intr;
    }

    // Lock held: the slave's INT output drives the master's IR2 input; recomputes INTR. Returns whether it changed.
    private boolean updateLocked() {
        master.setInput(CASCADE_IRQ, slave.request() >= 0);
        boolean now = master.request() >= 0;
        boolean changed = now != intr;
        intr = now;
        return changed;
    }

    // ---------------------------------------------------------------------------------------------- device side

    /**
     * Drives ISA line {@code irq}'s input (high = asserted). An edge line requests on the rising edge; a level line
     * (ELCR) requests while high.
     *
     * @throws IllegalArgumentException for a line outside 0-15 or IRQ 2 (the cascade input)
     */
    public void setLine(int irq, boolean high) {
        checkDeviceIrq(irq);
        boolean changed;
        synchronized (lock) {
            (irq < 8 ? master : slave).setInput(irq & 7, high);
            changed = updateLocked();
        }
        if (changed) {
            intrChanged.run();
        }
    }

    /**
     * A rising then falling edge on edge-triggered line {@code irq}: latches a request unless the line is already
     * held high (no new edge).
     *
     * @throws IllegalStateException on a level-triggered line: its request would be withdrawn before any INTA
     *         could see it; use setLine
     */
    public void pulse(int irq) {
        checkDeviceIrq(irq);
        boolean changed;
        synchronized (lock) {
            I8259 chip = irq < 8 ? master : slave;
            int ir = irq & 7;
            if (chip.level(ir)) {
                throw new IllegalStateException("pulse on level-triggered IRQ " + irq + " (ELCR/LTIM): a level "
                        + "request exists only while the line is high; use setLine");
            }
            if ((chip.input & 1 << ir) == 0) {
                chip.setInput(ir, true);
                chip.setInput(ir, false);
            }
            changed = updateLocked();
        }
        if (changed) {
            intrChanged.run();
        }
    }

    public boolean lineHigh(int irq) {
        checkIrq(irq);
        synchronized (lock) {
            return ((irq < 8 ? master : slave).input & 1 << (irq & 7)) != 0;
        }
    }

    /** Whether {@code irq}'s line is level-triggered (ELCR, or ICW1 LTIM on its chip). */
    public boolean isLevel(int irq) {
        checkIrq(irq);
        synchronized (lock) {
            return (irq < 8 ? master : slave).level(irq & 7);
        }
    }

    // ---------------------------------------------------------------------------------------------- driver helpers

    /**
     * Linux's {@code init_8259A(autoEoi)} through the ports: masks the master, ICW1-4 to both chips (vectors 0x30
     * and 0x38, slave on IR2), then masks every line. Undoes any earlier programming.
     */
    public void init(boolean autoEoi) {
        boolean changed;
        synchronized (lock) {
            initLocked(autoEoi);
            changed = updateLocked();
        }
        if (changed) {
            intrChanged.run();
        }
    }

    private void initLocked(boolean autoEoi) {
        if (master.initStep == I8259.READY) {
            outLocked(MASTER_DATA, 0xff);              // mask while reprogramming (meaningless before any ICW1)
        }
        outLocked(MASTER_COMMAND, 0x11);
        outLocked(MASTER_DATA, IrqVectors.isaIrqVector(0));
        outLocked(MASTER_DATA, 1 << CASCADE_IRQ);
        outLocked(MASTER_DATA, autoEoi ? 0x03 : 0x01);
        outLocked(SLAVE_COMMAND, 0x11);
        outLocked(SLAVE_DATA, IrqVectors.isaIrqVector(8));
        outLocked(SLAVE_DATA, CASCADE_IRQ);
        outLocked(SLAVE_DATA, 0x01);
        outLocked(MASTER_DATA, 0xff);
        outLocked(SLAVE_DATA, 0xff);
    }

    /** Sets line {@code irq}'s IMR bit (OCW1 with the current mask). IRQ 2 masks the whole slave. */
    public void mask(int irq) {
        setMask(irq, true);
    }

    /** Clears line {@code irq}'s IMR bit. Unmask IRQ 2 (the cascade) for any slave line to get through. */
    public void unmask(int irq) {
        setMask(irq, false);
    }

    private void setMask(int irq, boolean masked) {
        checkIrq(irq);
        boolean changed;
        synchronized (lock) {
            I8259 chip = irq < 8 ? master : slave;
            int bit = 1 << (irq & 7);
            outLocked(irq < 8 ? MASTER_DATA : SLAVE_DATA, masked ? chip.imr | bit : chip.imr & ~bit);
            changed = updateLocked();
        }
        if (changed) {
            intrChanged.run();
        }
    }

    /**
     * Specific EOI for {@code irq}, as Linux's {@code mask_and_ack_8259A} sends it: for a slave line to the slave and
     * then to the master's IR2; for a master line to the master.
     */
    public void eoi(int irq) {
        checkIrq(irq);
        if (irq >= 8) {
            out(SLAVE_COMMAND, 0x60 | (irq & 7));
            out(MASTER_COMMAND, 0x60 | CASCADE_IRQ);
        } else {
            out(MASTER_COMMAND, 0x60 | irq);
        }
    }

    /** Whether {@code irq} is in service, read as Linux's {@code i8259A_irq_real} does (OCW3 0x0b, read, 0x0a). */
    public boolean isInService(int irq) {
        checkIrq(irq);
        int port = irq < 8 ? MASTER_COMMAND : SLAVE_COMMAND;
        I8259 chip = irq < 8 ? master : slave;
        int isr;
        boolean changed;
        synchronized (lock) {
            outLocked(port, 0x0b);
            isr = chip.readCommand();              // a poll command left pending would be consumed here
            outLocked(port, 0x0a);
            changed = updateLocked();
        }
        if (changed) {
            intrChanged.run();
        }
        return (isr & 1 << (irq & 7)) != 0;
    }

    // ---------------------------------------------------------------------------------------------- state views

    /** IRR of both chips, slave in bits 15:8 (no side effect, unlike a port read). */
    public int irr() {
        synchronized (lock) {
            return slave.irr << 8 | master.irr;
        }
    }

    public int isr() {
        synchronized (lock) {
            return slave.isr << 8 | master.isr;
        }
    }

    public int imr() {
        synchronized (lock) {
            return slave.imr << 8 | master.imr;
        }
    }

    public int elcr() {
        synchronized (lock) {
            return slave.elcr << 8 | master.elcr;
        }
    }

    /** The vector base (ICW2) of the master ({@code slave == false}) or the slave. */
    public int vectorBase(boolean slave) {
        synchronized (lock) {
            return (slave ? this.slave : master).vectorBase;
        }
    }

    /** Whether both chips completed their initialization sequence. */
    public boolean isInitialized() {
        synchronized (lock) {
            return master.initStep == I8259.READY && slave.initStep == I8259.READY;
        }
    }

    /** Writes the hardware ignored or misread (see the class comment). */
    public long badProgramming() {
        synchronized (lock) {
            return badProgramming;
        }
    }

    /** EOIs with nothing (or not that level) in service. */
    public long ignoredEois() {
        synchronized (lock) {
            return ignoredEois;
        }
    }

    /** INTA cycles answered with a spurious IRQ 7 or IRQ 15 vector. */
    public long spuriousAcknowledges() {
        synchronized (lock) {
            return spuriousAcknowledges;
        }
    }

    static void checkIrq(int irq) {
        if (irq < 0 || irq >= IrqVectors.NR_IRQS_LEGACY) {
            throw new IllegalArgumentException("ISA IRQ " + irq + " outside 0-15");
        }
    }

    static void checkDeviceIrq(int irq) {
        checkIrq(irq);
        if (irq == CASCADE_IRQ) {
            throw new IllegalArgumentException("IRQ 2 is the cascade: the master's IR2 input is the slave's INT "
                    + "output, no device drives it (ISA's IRQ 2 line is routed to IRQ 9)");
        }
    }

    @Override
    public String toString() {
        return "I8259Pair[irr=0x" + Integer.toHexString(irr()) + " isr=0x" + Integer.toHexString(isr()) + " imr=0x"
                + Integer.toHexString(imr()) + " intr=" + intr + "]";
    }
}
