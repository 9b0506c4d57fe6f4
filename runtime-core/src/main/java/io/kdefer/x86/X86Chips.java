/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The x86 interrupt hardware of one PC board, wired together: one {@link LocalApic} per CPU, one {@link IoApic}
 * (24 pins), the {@link I8259Pair} and the {@link Msi} window. It is also the APIC bus: every interrupt message
 * (an IPI from an ICR, an IO-APIC redirection, an MSI write) is routed here to the local APIC(s) it names.
 *
 * <h2>Wiring (as on a PC with an ACPI MADT; Intel MP spec "virtual wire" and "symmetric I/O" modes)</h2>
 * <pre>
 *   ISA IRQ n (n != 0, 2)  -> 8259A input n      and IO-APIC pin n       active high  ({@link #setIsaIrq})
 *   ISA IRQ 0 (the PIT)    -> 8259A input 0      and IO-APIC pin 2       (the MADT's interrupt source override)
 *   PCI INTx lines         -> IO-APIC pins 16-23, active low, shared     ({@link #setPciGsi})
 *   8259A INTR output      -> CPU 0's LINT0 (ExtINT: virtual wire)  and IO-APIC pin 0 (ExtINT through the IO-APIC)
 *   board NMI line         -> every CPU's LINT1 (Linux unmasks it on CPU 0 only)   ({@link #setNmiLine})
 *   EOI of a level vector  -> broadcast to the IO-APIC (clears the remote IRR of the pins with that vector)
 * </pre>
 *
 * <h2>Reset state</h2>
 * As Linux leaves the hardware in symmetric I/O (IO-APIC) mode: every local APIC software-enabled with spurious
 * vector 0xff, TPR 0, the timer LVT masked with {@link IrqVectors#LOCAL_TIMER_VECTOR} and divide-by-16, LINT0
 * ExtINT masked, LINT1 NMI (unmasked on CPU 0 only), the error LVT on {@link IrqVectors#ERROR_APIC_VECTOR}; every
 * IO-APIC entry masked; the 8259A pair initialized as Linux's {@code init_8259A(0)} (vectors 0x30/0x38, normal
 * EOI) with every line masked. {@link #enableVirtualWire()} switches to the legacy-PIC setup.
 *
 * <h2>Messages that reach nobody</h2>
 * A message naming an APIC ID no CPU has (physical mode, not the broadcast ID 0xff), a logical-mode message (not
 * modelled), or a delivery mode the model does not implement (SMI, INIT, start-up, reserved) is dropped and counted
 * by the chip that sent it ({@link LocalApic#undeliverableIpis()}, {@link IoApic#undeliverable()},
 * {@link Msi#dropped()}). On real xAPIC hardware such a message is lost silently; only P6-era APIC buses reported a
 * send accept error, which is not modelled.
 *
 * <h2>Thread safety</h2>
 * Every chip is thread-safe on its own (see each class); this class holds no lock. No chip lock is held while the
 * irqLine consumer runs.
 */
public final class X86Chips {
    /* Implementation notes
     *
     * Signalling: the irqLine consumer is called with a CPU index after a change that may have made an interrupt
     * (or an NMI) newly deliverable on that CPU, always after the chip that changed released its own lock (as
     * Gic does). The machine wires it to Cpu.kick(). Spurious signals are harmless.
     *
     * The PIC's INTR wire. The 8259A pair calls picIntrChanged() after releasing its lock whenever its output may
     * have changed. Two such calls can race (one thread raises INTR, another lowers it), so neither passes a level:
     * each sink (CPU 0's LINT0, IO-APIC pin 0) reads the PIC's output, a volatile, inside its own lock. The sink's
     * lock orders the reads, and every change is followed by a read, so the last level a sink applies is never older
     * than the last change. No chip calls another chip while holding its own lock.
     */
    /** Most CPUs: xAPIC physical IDs are 8 bits and 0xff is the broadcast ID. */
    public static final int MAX_CPUS = 255;
    /** The physical-mode destination that names every local APIC. */
    public static final int BROADCAST_ID = 0xff;
    /** The first IO-APIC pin wired to PCI interrupt lines (active low). */
    public static final int FIRST_PCI_GSI = 16;

    // deliver() results
    static final int DELIVERED = 0;
    static final int NO_DESTINATION = 1;
    static final int UNSUPPORTED = 2;

    private final int cpus;                      // I
    private final LocalApic[] lapics;            // I
    private final IoApic ioApic;                 // I
    private final I8259Pair pic;                 // I
    private final Msi msi;                       // I
    private final IntConsumer irqLine;           // I
    private final IntSupplier currentCpu;        // I
    private final LongSupplier clock;            // I
    private final BooleanSupplier picIntr;   // I: the 8259A's INTR output

    /** A board with {@code cpus} CPUs, nobody listening to interrupt signals, timers on System.nanoTime. */
    public X86Chips(int cpus) {
        this(cpus, cpu -> { }, () -> -1, System::nanoTime);
    }

    /** As {@link #X86Chips(int, IntConsumer, IntSupplier, LongSupplier)} with timers on System.nanoTime. */
    public X86Chips(int cpus, IntConsumer irqLine, IntSupplier currentCpu) {
        this(cpus, irqLine, currentCpu, System::nanoTime);
    }

    /**
     * @param irqLine    called with a CPU index after a change that may have made an interrupt or an NMI newly
     *                   deliverable on it (never with a chip lock held)
     * @param currentCpu the CPU the calling thread runs on, or -1; used by {@link #currentLocalApic()}
     * @param clockNanos the time base of the local APIC timers (System.nanoTime, or a virtual clock)
     */
    public X86Chips(int cpus, IntConsumer irqLine, IntSupplier currentCpu, LongSupplier clockNanos) {
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("cpus must be 1.." + MAX_CPUS + " (xAPIC physical IDs 0x00-0xfe): "
                    + cpus);
        }
        this.cpus = cpus;
        this.irqLine = Objects.requireNonNull(irqLine, "irqLine");
        this.currentCpu = Objects.requireNonNull(currentCpu, "currentCpu");
        this.clock = Objects.requireNonNull(clockNanos, "clockNanos");
        this.lapics = new LocalApic[cpus];
        for (int i = 0; i < cpus; i++) {
            lapics[i] = new LocalApic(this, i);
        }
        this.ioApic = new IoApic(this);
        this.msi = new Msi(this);
        this.pic = new I8259Pair(this::picIntrChanged);
        this.picIntr = pic::intr;
        ioApic.initPinLevels(-1 << FIRST_PCI_GSI);      // PCI lines idle high (active low)
    }

    public int cpuCount() {
        return cpus;
    }

    /** CPU {@code cpu}'s local APIC (its APIC ID is {@code cpu}). */
    public LocalApic localApic(int cpu) {
        return lapics[checkCpu(cpu)];
    }

    /**
     * The calling thread's CPU's local APIC, the kernel's "this CPU's APIC".
     *
     * @throws IllegalStateException if the calling thread is not on a CPU
     */
    public LocalApic currentLocalApic() {
        int cpu = currentCpu.getAsInt();
        if (cpu < 0 || cpu >= cpus) {
            throw new IllegalStateException("the calling thread (" + Thread.currentThread().getName()
                    + ") runs on no CPU, so it has no local APIC");
        }
        return lapics[cpu];
    }

    public IoApic ioApic() {
        return ioApic;
    }

    public I8259Pair pic() {
        return pic;
    }

    public Msi msi() {
        return msi;
    }

    // ---------------------------------------------------------------------------------------------- board setups

    /**
     * The legacy-PIC ("virtual wire") setup Linux uses without an IO-APIC: CPU 0's LINT0 becomes ExtINT, unmasked,
     * so the 8259A's INTR reaches CPU 0 through its local APIC; the IO-APIC stays masked.
     */
    public void enableVirtualWire() {
        LocalApic a = lapics[0];
        a.write(LocalApic.LVT_LINT0, DeliveryMode.EXTINT.encoding() << 8);
    }

    // ---------------------------------------------------------------------------------------------- device side

    /**
     * The IO-APIC pin of ISA IRQ {@code irq}: 2 for IRQ 0 (the PIT, through the MADT's interrupt source override),
     * {@code irq} otherwise.
     *
     * @throws IllegalArgumentException for IRQ 2 (the 8259A cascade, no ISA device) or an IRQ outside 0-15
     */
    public static int isaToGsi(int irq) {
        I8259Pair.checkDeviceIrq(irq);
        return irq == 0 ? 2 : irq;
    }

    /** Drives ISA line {@code irq} (active high): the 8259A input and its IO-APIC pin. */
    public void setIsaIrq(int irq, boolean asserted) {
        int gsi = isaToGsi(irq);
        pic.setLine(irq, asserted);
        ioApic.setPin(gsi, asserted);
    }

    /**
     * A pulse on ISA line {@code irq} as an edge-triggered ISA device gives: both the 8259A and the IO-APIC see one
     * rising edge.
     *
     * @throws IllegalStateException if the 8259A has the line level-triggered (ELCR), see {@link I8259Pair#pulse}
     */
    public void pulseIsaIrq(int irq) {
        int gsi = isaToGsi(irq);
        pic.pulse(irq);
        ioApic.pulse(gsi);
    }

    /** Drives PCI interrupt line {@code gsi} (16-23, active low: asserted is electrically low). */
    public void setPciGsi(int gsi, boolean asserted) {
        if (gsi < FIRST_PCI_GSI || gsi >= IoApic.PINS) {
            throw new IllegalArgumentException("GSI " + gsi + " is not a PCI line (16-23 on this board)");
        }
        ioApic.setPin(gsi, !asserted);
    }

    /** Drives the board's NMI line, wired to every CPU's LINT1. */
    public void setNmiLine(boolean high) {
        for (LocalApic a : lapics) {
            a.setLint(1, high);
        }
    }

    // ---------------------------------------------------------------------------------------------- the APIC bus

    void signal(int cpu) {
        if (cpu >= 0) {
            irqLine.accept(cpu);
        }
    }

    long nanoTime() {
        return clock.getAsLong();
    }

    LocalApic lapicOrNull(int apicId) {
        return apicId >= 0 && apicId < cpus ? lapics[apicId] : null;
    }

    /** The INTA cycle an ExtINT interrupt runs on the 8259A pair. No APIC lock is held. */
    int extIntAcknowledge() {
        return pic.acknowledge();
    }

    /** A local APIC's EOI of a level-triggered vector, broadcast to the IO-APIC(s). No APIC lock is held. */
    void broadcastEoi(int vector) {
        ioApic.eoi(vector);
    }

    private void picIntrChanged() {
        lapics[0].followLint(0, picIntr);
        ioApic.followPin(0, picIntr);
    }

    /**
     * Whether a message would be accepted by at least one local APIC now (for the IO-APIC's remote IRR, which is
     * set only when a level interrupt was accepted). Racy by nature: the message may still be lost in flight.
     */
    boolean accepts(int dest, DeliveryMode mode, int vector) {
        if (mode == null) {
            return false;
        }
        switch (mode) {
            case FIXED:
            case LOWEST_PRIORITY:
                if (vector < IrqVectors.FIRST_LEGAL_APIC_VECTOR) {
                    return false;
                }
                if (dest == BROADCAST_ID) {
                    for (LocalApic a : lapics) {
                        if (a.acceptsFixed()) {
                            return true;
                        }
                    }
                    return false;
                }
                LocalApic a = lapicOrNull(dest);
                return a != null && a.acceptsFixed();
            case NMI:
            case EXTINT:
                return dest == BROADCAST_ID || lapicOrNull(dest) != null;
            default:
                return false;
        }
    }

    /**
     * Routes one interrupt message to the local APIC(s) it names (physical destination mode) and signals them.
     * Called with no chip lock held.
     *
     * @param self      the sending local APIC for an ICR shorthand, else null
     * @param shorthand {@link LocalApic#SHORTHAND_NONE} for messages from the IO-APIC and MSI
     * @return {@link #DELIVERED}, {@link #NO_DESTINATION} or {@link #UNSUPPORTED}
     */
    int deliver(LocalApic self, int shorthand, int dest, DeliveryMode mode, int vector, boolean level) {
        if (mode == null) {
            return UNSUPPORTED;
        }
        switch (mode) {
            case FIXED:
            case NMI:
            case EXTINT:
            case LOWEST_PRIORITY:
                break;
            default:
                return UNSUPPORTED;
        }
        int from;
        int to;
        int skip = -1;
        switch (shorthand) {
            case LocalApic.SHORTHAND_SELF:
                from = self.id();
                to = from;
                break;
            case LocalApic.SHORTHAND_ALL:
                from = 0;
                to = cpus - 1;
                break;
            case LocalApic.SHORTHAND_ALL_BUT_SELF:
                from = 0;
                to = cpus - 1;
                skip = self.id();
                break;
            default:
                if (dest == BROADCAST_ID) {
                    from = 0;
                    to = cpus - 1;
                } else if (dest >= 0 && dest < cpus) {
                    from = dest;
                    to = dest;
                } else {
                    return NO_DESTINATION;
                }
        }
        if (mode == DeliveryMode.LOWEST_PRIORITY && from != to) {
            // Arbitration: the APIC with the lowest task priority class wins, ties to the lowest APIC ID.
            int best = -1;
            int bestClass = Integer.MAX_VALUE;
            for (int c = from; c <= to; c++) {
                if (c != skip && (lapics[c].taskPriority() >>> 4) < bestClass) {
                    best = c;
                    bestClass = lapics[c].taskPriority() >>> 4;
                }
            }
            if (best < 0) {
                return DELIVERED;                    // all-but-self on a one-CPU board: an empty set
            }
            from = best;
            to = best;
        }
        for (int c = from; c <= to; c++) {
            if (c == skip) {
                continue;
            }
            LocalApic a = lapics[c];
            boolean wake;
            switch (mode) {
                case NMI:
                    wake = a.acceptNmi();
                    break;
                case EXTINT:
                    wake = a.acceptExtInt();
                    break;
                default:
                    wake = (a.acceptFixed(vector, level) & LocalApic.SIGNAL) != 0;
            }
            if (wake) {
                signal(c);
            }
        }
        return DELIVERED;
    }

    int checkCpu(int cpu) {
        if (cpu < 0 || cpu >= cpus) {
            throw new IllegalArgumentException("no such CPU: " + cpu + " (this board has CPUs 0-" + (cpus - 1) + ")");
        }
        return cpu;
    }

    /** Whether {@code apicId} names a local APIC of this board (not the broadcast ID). */
    boolean exists(int apicId) {
        return apicId >= 0 && apicId < cpus;
    }

    @Override
    public String toString() {
        return "X86Chips[" + cpus + " CPUs, IO-APIC, 8259A pair, MSI]";
    }
}
