/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

import java.lang.System.Logger.Level;
import java.util.function.BooleanSupplier;

/**
 * The I/O APIC (Intel 82093AA): 24 interrupt input pins, each with a 64-bit redirection table entry (RTE) that
 * turns a pin event into an interrupt message to a local APIC. Get it from {@link X86Chips#ioApic()}.
 *
 * <h2>Redirection table entry (82093AA datasheet section 3.2.4)</h2>
 * <pre>
 *   63:56  destination APIC ID (physical mode; 0xff = every local APIC)
 *   16     mask                      1 = masked (the reset value)
 *   15     trigger mode              0 = edge, 1 = level
 *   14     remote IRR (read-only)    level only: set when a local APIC accepted the message, cleared by its EOI
 *   13     polarity                  0 = active high, 1 = active low
 *   12     delivery status (RO)      always 0 here: messages are delivered synchronously
 *   11     destination mode          0 = physical; 1 = logical (not modelled: such messages are dropped, counted)
 *   10:8   delivery mode             {@link DeliveryMode}: FIXED, LOWEST_PRIORITY, NMI, EXTINT modelled
 *   7:0    vector                    0x10-0xfe per the datasheet
 * </pre>
 *
 * <h2>States per pin</h2>
 * <pre>
 *   edge:   IDLE      -&gt; IDLE        asserting edge, unmasked: one message sent
 *                                    asserting edge while masked: ignored (lost; counted in maskedEdges())
 *   level:  IDLE      -&gt; SENT        pin asserted and unmasked with remote IRR clear: message sent, remote IRR set
 *                                    (only if a local APIC accepts it; see X86Chips#accepts)
 *           SENT      -&gt; IDLE        EOI broadcast of the entry's vector clears remote IRR ...
 *           SENT      -&gt; SENT        ... and, if the pin is still asserted and unmasked, sends again at once
 *           masked    : asserts and deasserts have no side effect; unmasking an asserted pin sends
 * </pre>
 * "Asserted" is the pin's electrical level read through the entry's polarity: an active-low line programmed active
 * high is asserted while idle, exactly the storm a wrong polarity gives on real hardware.
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>A level pin is never re-sent while its remote IRR is set; an EOI with the vector clears the remote IRR of
 *       every entry with that vector (the reason Linux gives shared level lines one vector).</li>
 *   <li>Switching an entry from level to edge clears its remote IRR (Linux's {@code __eoi_ioapic_pin} relies on
 *       this to unstick a pin on IO-APICs without an EOI register).</li>
 *   <li>Bad programming behaves as the hardware does, through {@link #writeRegister}: a vector below 0x10 is sent
 *       and the receiving local APIC drops it with an ESR "receive illegal vector" error (and remote IRR is not
 *       set, since no APIC accepted it); a destination no CPU has, logical mode, SMI/INIT or a reserved delivery
 *       mode is dropped and counted in {@link #undeliverable()}. The typed setters ({@link #program},
 *       {@link #setTarget}) reject all of these, and vectors 0x10-0x1f (the CPU's exceptions), with an exception
 *       naming the rule.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * Pin changes, register writes and EOIs serialise on the IO-APIC lock. The message is delivered by the thread that
 * drove the pin, after the lock, with a volatile read-modify-write of the local APIC's IRR, so a handler that
 * acknowledges it sees everything that thread stored before {@link #setPin} (the same publication as an IPI,
 * proved for the ICR by X86_01_IcrIpiPublishes).
 */
public final class IoApic {
    /* Implementation notes
     *
     * One lock (lock below) guards every entry and pin level: the IO-APIC is not on the IPI hot path. The decision
     * to send (and the remote IRR it sets) is made under the lock from the entry as it is then; the message is
     * packed into a long (no allocation) and delivered after the lock is released, so no local APIC lock is ever
     * taken inside it. A reprogramming that lands in between finds the message already "on the bus", as on real
     * hardware. The remote IRR is set only when a local APIC will accept the message (X86Chips.accepts); if it is
     * software-disabled by the time the message arrives, the message is lost and the remote IRR stays set until
     * software clears it (an edge/level toggle), which is what a lost level message does to a real IO-APIC.
     */
    public static final int PINS = 24;
    /** Version register: 82093AA version 0x11, maximum redirection entry 23. */
    public static final int VERSION_VALUE = (PINS - 1) << 16 | 0x11;

    // register indexes (through IOREGSEL/IOWIN)
    public static final int IOAPICID = 0x00;
    public static final int IOAPICVER = 0x01;
    public static final int IOAPICARB = 0x02;
    /** Entry {@code pin}: low dword at {@code IOREDTBL + 2 * pin}, high dword at {@code IOREDTBL + 2 * pin + 1}. */
    public static final int IOREDTBL = 0x10;

    // RTE bits
    public static final long RTE_VECTOR = 0xff;
    public static final long RTE_DEST_LOGICAL = 1L << 11;
    public static final long RTE_DELIVERY_PENDING = 1L << 12;
    public static final long RTE_ACTIVE_LOW = 1L << 13;
    public static final long RTE_REMOTE_IRR = 1L << 14;
    public static final long RTE_LEVEL = 1L << 15;
    public static final long RTE_MASKED = 1L << 16;
    public static final int RTE_DEST_SHIFT = 56;
    private static final long RTE_WRITABLE_LOW = RTE_VECTOR | 7L << 8 | RTE_DEST_LOGICAL | RTE_ACTIVE_LOW | RTE_LEVEL
            | RTE_MASKED;

    private final X86Chips board;                     // I
    private final Object lock = new Object();         // I
    private final long[] rte = new long[PINS];        // L(lock)
    private int pinHigh;                              // L(lock): electrical level of each pin, bit per pin
    private int select;                               // L(lock): IOREGSEL
    private int apicId;                               // L(lock): IOAPICID bits 27:24
    private long undeliverable;                       // L(lock)
    private long maskedEdges;                         // L(lock)
    private boolean undeliverableReported;            // L(lock)

    IoApic(X86Chips board) {
        this.board = board;
        for (int p = 0; p < PINS; p++) {
            rte[p] = RTE_MASKED;
        }
        apicId = board.cpuCount() & 0xf;
    }

    /** The board's idle pin levels at power-up (bit per pin), set without pin events. */
    void initPinLevels(int highPins) {
        synchronized (lock) {
            pinHigh = highPins & ((1 << PINS) - 1);
        }
    }

    // ---------------------------------------------------------------------------------------------- registers

    /** Writes IOREGSEL: selects the register IOWIN accesses. */
    public void select(int index) {
        synchronized (lock) {
            select = index & 0xff;
        }
    }

    /** Reads IOWIN: the selected register. */
    public int readWindow() {
        synchronized (lock) {
            return readLocked(select);
        }
    }

    /** Writes IOWIN: the selected register. */
    public void writeWindow(int value) {
        int index;
        synchronized (lock) {
            index = select;
        }
        writeRegister(index, value);
    }

    /** Reads register {@code index} (IOREGSEL = index, then IOWIN). Reserved indexes read 0. */
    public int readRegister(int index) {
        synchronized (lock) {
            select = index & 0xff;
            return readLocked(select);
        }
    }

    private int readLocked(int index) {
        switch (index) {
            case IOAPICID: return apicId << 24;
            case IOAPICVER: return VERSION_VALUE;
            case IOAPICARB: return apicId << 24;
            default:
                if (index >= IOREDTBL && index < IOREDTBL + 2 * PINS) {
                    long e = rte[(index - IOREDTBL) >>> 1];
                    return (index & 1) == 0 ? (int) e : (int) (e >>> 32);
                }
                return 0;
        }
    }

    /**
     * Writes register {@code index} (IOREGSEL = index, then IOWIN) as the hardware takes it: read-only bits and
     * registers ignore the write, reserved indexes too. A redirection entry write takes effect at once (an asserted
     * level pin that became unmasked is sent); see the class comment for what bad values do.
     */
    public void writeRegister(int index, int value) {
        int pin = -1;
        synchronized (lock) {
            select = index & 0xff;
            if (index == IOAPICID) {
                apicId = value >>> 24 & 0xf;
                return;
            }
            if (index < IOREDTBL || index >= IOREDTBL + 2 * PINS) {
                return;
            }
            pin = (index - IOREDTBL) >>> 1;
            long e = rte[pin];
            if ((index & 1) == 0) {
                long low = value & 0xffff_ffffL;
                long n = (e & ~RTE_WRITABLE_LOW) | (low & RTE_WRITABLE_LOW);
                if ((n & RTE_LEVEL) == 0) {
                    n &= ~RTE_REMOTE_IRR;          // remote IRR is undefined for edge: the 82093AA clears it
                }
                rte[pin] = n;
            } else {
                rte[pin] = (e & 0xffff_ffffL) | ((long) value & 0xff00_0000L) << 32;
            }
        }
        service(pin);
    }

    // ---------------------------------------------------------------------------------------------- typed API

    /**
     * Programs entry {@code pin} completely (physical destination mode). The remote IRR is cleared if the entry
     * becomes edge-triggered.
     *
     * @throws IllegalArgumentException for a pin outside 0-23; a delivery mode other than FIXED, LOWEST_PRIORITY,
     *         NMI or EXTINT; a FIXED/LOWEST_PRIORITY vector outside 0x20-0xff (0x00-0x0f are illegal on the APIC
     *         bus, 0x10-0x1f are the CPU's exceptions); an NMI or EXTINT entry that is level-triggered (the datasheet
     *         requires edge); a destination no CPU has (0xff, every CPU, is allowed)
     */
    public void program(int pin, int vector, DeliveryMode mode, int destApicId, boolean level, boolean activeLow,
                        boolean masked) {
        checkPin(pin);
        java.util.Objects.requireNonNull(mode, "mode");
        checkEntry(vector, mode, destApicId, level);
        long low = (mode == DeliveryMode.FIXED || mode == DeliveryMode.LOWEST_PRIORITY ? vector : 0)
                | (long) mode.encoding() << 8 | (activeLow ? RTE_ACTIVE_LOW : 0) | (level ? RTE_LEVEL : 0)
                | (masked ? RTE_MASKED : 0);
        synchronized (lock) {
            long e = rte[pin];
            long n = (e & (RTE_REMOTE_IRR | RTE_DELIVERY_PENDING)) | low | (long) destApicId << RTE_DEST_SHIFT;
            if (!level) {
                n &= ~RTE_REMOTE_IRR;
            }
            rte[pin] = n;
        }
        service(pin);
    }

    /**
     * Retargets entry {@code pin}: a new vector and destination, everything else kept (Linux's IO-APIC
     * set_affinity after the vector matrix moved the interrupt). A pending level pin is sent to the new target.
     * An EOI carries only the vector, so a level entry whose remote IRR was set under the old vector is not
     * cleared by the EOI of that instance once retargeted: it stays stuck (until an edge/level toggle), as on real
     * IO-APICs. Linux therefore moves a level interrupt from its ack path: mask, EOI, retarget, unmask
     * ({@code ioapic_ack_level} with {@code irq_move_masked_irq}).
     *
     * @throws IllegalArgumentException as for {@link #program}
     */
    public void setTarget(int pin, int vector, int destApicId) {
        checkPin(pin);
        synchronized (lock) {
            long e = rte[pin];
            checkEntry(vector, DeliveryMode.decode((int) (e >>> 8)), destApicId, (e & RTE_LEVEL) != 0);
            rte[pin] = (e & ~(RTE_VECTOR | 0xffL << RTE_DEST_SHIFT)) | vector | (long) destApicId << RTE_DEST_SHIFT;
        }
        service(pin);
    }

    private void checkEntry(int vector, DeliveryMode mode, int dest, boolean level) {
        if (mode == null || mode == DeliveryMode.SMI || mode == DeliveryMode.INIT || mode == DeliveryMode.STARTUP) {
            throw new IllegalArgumentException("-EINVAL: IO-APIC delivery mode " + (mode == null ? "011" : mode)
                    + " is not modelled (FIXED, LOWEST_PRIORITY, NMI, EXTINT are)");
        }
        if (mode == DeliveryMode.FIXED || mode == DeliveryMode.LOWEST_PRIORITY) {
            IrqVectors.checkExternalVector(vector);
        } else if (level) {
            throw new IllegalArgumentException("-EINVAL: an " + mode + " redirection entry must be edge-triggered"
                    + " (82093AA datasheet section 3.2.4)");
        }
        if (dest != X86Chips.BROADCAST_ID && !board.exists(dest)) {
            throw new IllegalArgumentException("-EINVAL: no CPU with APIC ID " + dest + " (this board has "
                    + board.cpuCount() + " CPUs; 0xff names them all)");
        }
    }

    /** Sets the entry's mask bit (Linux's mask_ioapic_irq). */
    public void mask(int pin) {
        setMasked(checkPin(pin), true);
    }

    /** Clears the entry's mask bit; an asserted level pin is sent at once (Linux's unmask_ioapic_irq). */
    public void unmask(int pin) {
        setMasked(checkPin(pin), false);
    }

    private void setMasked(int pin, boolean masked) {
        synchronized (lock) {
            rte[pin] = masked ? rte[pin] | RTE_MASKED : rte[pin] & ~RTE_MASKED;
        }
        if (!masked) {
            service(pin);
        }
    }

    /** The whole entry, including the read-only remote IRR and delivery status bits. */
    public long redirection(int pin) {
        checkPin(pin);
        synchronized (lock) {
            return rte[pin];
        }
    }

    public int vector(int pin) {
        return (int) (redirection(pin) & RTE_VECTOR);
    }

    public int destination(int pin) {
        return (int) (redirection(pin) >>> RTE_DEST_SHIFT) & 0xff;
    }

    public DeliveryMode deliveryMode(int pin) {
        return DeliveryMode.decode((int) (redirection(pin) >>> 8));
    }

    public boolean isMasked(int pin) {
        return (redirection(pin) & RTE_MASKED) != 0;
    }

    public boolean isLevel(int pin) {
        return (redirection(pin) & RTE_LEVEL) != 0;
    }

    public boolean isActiveLow(int pin) {
        return (redirection(pin) & RTE_ACTIVE_LOW) != 0;
    }

    /** The remote IRR bit: a level message was accepted and its EOI has not come back. */
    public boolean remoteIrr(int pin) {
        return (redirection(pin) & RTE_REMOTE_IRR) != 0;
    }

    // ---------------------------------------------------------------------------------------------- device side

    /**
     * Drives pin {@code pin} to an electrical level. An edge entry sends on the transition to its asserted level
     * (if unmasked); a level entry sends while asserted (unmasked, remote IRR clear).
     */
    public void setPin(int pin, boolean high) {
        checkPin(pin);
        long msg;
        synchronized (lock) {
            msg = transitionLocked(pin, high);
        }
        send(msg);
    }

    /** A wire from another chip's output to pin {@code pin}: {@code level} is read inside the IO-APIC lock. */
    void followPin(int pin, BooleanSupplier level) {
        long msg;
        synchronized (lock) {
            msg = transitionLocked(pin, level.getAsBoolean());
        }
        send(msg);
    }

    /**
     * A pulse on pin {@code pin}: the level goes to the opposite of its current value and back, and each transition
     * is seen. An edge entry whose asserted level is the pulse's sends once; a level entry sends once (the pin is
     * asserted briefly) and then deasserts, its remote IRR waiting for the EOI.
     */
    public void pulse(int pin) {
        checkPin(pin);
        long first;
        long second;
        synchronized (lock) {
            boolean high = (pinHigh & 1 << pin) != 0;
            first = transitionLocked(pin, !high);
            second = transitionLocked(pin, high);
        }
        send(first);
        send(second);
    }

    /** The pin's electrical level. */
    public boolean pinHigh(int pin) {
        checkPin(pin);
        synchronized (lock) {
            return (pinHigh & 1 << pin) != 0;
        }
    }

    /** Whether the pin is at its asserted level per the entry's polarity. */
    public boolean isAsserted(int pin) {
        checkPin(pin);
        synchronized (lock) {
            return assertedLocked(pin);
        }
    }

    // ---------------------------------------------------------------------------------------------- EOI

    /**
     * An EOI for {@code vector} from a local APIC (the broadcast of a level-triggered vector's EOI, or a write of the
     * EOI register of later IO-APICs): clears the remote IRR of every entry with that vector and sends again each
     * such pin that is still asserted and unmasked.
     */
    public void eoi(int vector) {
        IrqVectors.checkVector(vector);
        for (int p = 0; p < PINS; p++) {
            long msg = -1;
            synchronized (lock) {
                long e = rte[p];
                if ((e & RTE_VECTOR) == vector && (e & RTE_REMOTE_IRR) != 0) {
                    rte[p] = e & ~RTE_REMOTE_IRR;
                    msg = serviceLocked(p);
                }
            }
            send(msg);
        }
    }

    // ---------------------------------------------------------------------------------------------- counters

    /** Messages that reached no local APIC: no such APIC ID, logical mode, SMI/INIT/reserved delivery modes. */
    public long undeliverable() {
        synchronized (lock) {
            return undeliverable;
        }
    }

    /** Asserting edges on masked edge entries, ignored as the datasheet says. */
    public long maskedEdges() {
        synchronized (lock) {
            return maskedEdges;
        }
    }

    // ---------------------------------------------------------------------------------------------- internals

    private boolean assertedLocked(int pin) {
        return ((pinHigh & 1 << pin) != 0) ^ ((rte[pin] & RTE_ACTIVE_LOW) != 0);
    }

    // Lock held. Returns the message to send, or -1.
    private long transitionLocked(int pin, boolean high) {
        boolean was = assertedLocked(pin);
        pinHigh = high ? pinHigh | 1 << pin : pinHigh & ~(1 << pin);
        boolean now = assertedLocked(pin);
        long e = rte[pin];
        if ((e & RTE_LEVEL) != 0) {
            return now ? serviceLocked(pin) : -1;
        }
        if (now && !was) {
            if ((e & RTE_MASKED) != 0) {
                maskedEdges++;
                return -1;
            }
            return message(e, false);
        }
        return -1;
    }

    private void service(int pin) {
        long msg;
        synchronized (lock) {
            msg = serviceLocked(pin);
        }
        send(msg);
    }

    // Lock held: a level entry that is asserted, unmasked and not awaiting its EOI is sent; its remote IRR is set
    // if a local APIC will accept the message. Edge entries are sent only on a transition.
    private long serviceLocked(int pin) {
        long e = rte[pin];
        if ((e & RTE_LEVEL) == 0 || (e & (RTE_MASKED | RTE_REMOTE_IRR)) != 0 || !assertedLocked(pin)) {
            return -1;
        }
        int dest = (int) (e >>> RTE_DEST_SHIFT) & 0xff;
        if ((e & RTE_DEST_LOGICAL) == 0
                && board.accepts(dest, DeliveryMode.decode((int) (e >>> 8)), (int) (e & RTE_VECTOR))) {
            rte[pin] = e | RTE_REMOTE_IRR;
        }
        return message(e, true);
    }

    // Packs what send() needs: vector 7:0, mode 10:8, logical 11, level 15, dest 23:16, valid bit 32.
    private static long message(long e, boolean level) {
        return 1L << 32 | (e & (RTE_VECTOR | 7L << 8 | RTE_DEST_LOGICAL)) | (level ? RTE_LEVEL : 0)
                | ((e >>> RTE_DEST_SHIFT) & 0xff) << 16;
    }

    // No IO-APIC lock held: delivery takes the local APICs' locks (or none) and signals.
    private void send(long msg) {
        if (msg < 0) {
            return;
        }
        int r;
        if ((msg & RTE_DEST_LOGICAL) != 0) {
            r = X86Chips.UNSUPPORTED;
        } else {
            r = board.deliver(null, LocalApic.SHORTHAND_NONE, (int) (msg >>> 16) & 0xff,
                    DeliveryMode.decode((int) (msg >>> 8)), (int) (msg & RTE_VECTOR), (msg & RTE_LEVEL) != 0);
        }
        if (r != X86Chips.DELIVERED) {
            synchronized (lock) {
                undeliverable++;
                if (!undeliverableReported) {
                    undeliverableReported = true;
                    LocalApic.LOG.log(Level.WARNING, "IO-APIC: message dropped ("
                            + (r == X86Chips.NO_DESTINATION ? "no CPU has APIC ID " + ((msg >>> 16) & 0xff)
                            : "unsupported delivery or destination mode") + "; reported once)");
                }
            }
        }
    }

    private static int checkPin(int pin) {
        if (pin < 0 || pin >= PINS) {
            throw new IllegalArgumentException("IO-APIC pin " + pin + " outside 0-" + (PINS - 1));
        }
        return pin;
    }

    @Override
    public String toString() {
        return "IoApic[" + PINS + " pins]";
    }
}
