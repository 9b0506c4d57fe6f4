/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

import io.kdefer.internal.Handles;

import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.BitSet;
import java.util.function.BooleanSupplier;

/**
 * One CPU's local APIC (an xAPIC in physical destination mode; Intel SDM vol. 3 chapter 10): 256 vectors with
 * IRR/ISR/TMR, the task and processor priorities, EOI, the interrupt command register (IPIs), the spurious-vector
 * register, the error status register and the local vector table (timer, LINT0, LINT1, error). Its APIC ID is the
 * CPU index. Get one from {@link X86Chips#localApic(int)}.
 *
 * <h2>States per vector (Intel SDM section 10.8.4)</h2>
 * <pre>
 *   IDLE                IRR=0 ISR=0  -&gt; REQUESTED            accepted: fixed IPI, IO-APIC/MSI message, LVT source
 *   REQUESTED           IRR=1 ISR=0  -&gt; IN_SERVICE           acknowledged: the highest IRR vector, if its class
 *                                                            (vector &gt;&gt; 4) is above the PPR's class
 *   IN_SERVICE          IRR=0 ISR=1  -&gt; IDLE                 EOI, when it is the highest ISR vector
 *                                    -&gt; IN_SERVICE_REQUESTED accepted again while in service
 *   IN_SERVICE_REQUESTED IRR=1 ISR=1 -&gt; REQUESTED            EOI: exactly one more delivery
 * </pre>
 * A vector accepted while already REQUESTED is coalesced: the APIC holds at most one request and one in-service
 * instance per vector. TMR bit v is set when a level-triggered message for v is accepted and cleared when an edge
 * one is; an EOI of a vector whose TMR bit is set is broadcast to the IO-APIC ({@link IoApic#eoi}).
 *
 * <h2>Priorities</h2>
 * <pre>
 *   ISRV = highest in-service vector (0 if none)
 *   PPR  = TPR                if TPR[7:4] &gt;= ISRV[7:4]
 *        = ISRV &amp; 0xf0        otherwise
 *   deliverable = highest IRR vector v with v[7:4] &gt; PPR[7:4]
 * </pre>
 *
 * <h2>The INTA side (what a CPU loop calls)</h2>
 * <pre>
 *   takeNmi()          an NMI (LINT1, NMI IPI, NMI-mode IO-APIC entry or MSI) is consumed: run the NMI handler
 *   isSignalled()      INTR is asserted to the core: a deliverable vector, or an ExtINT request
 *   acknowledge()      the INTA cycle: a vector (now in service), the 8259A's vector for ExtINT (which may be its
 *                      spurious IRQ 7/15 vector), {@link #spuriousVector()} (only by fault injection: the
 *                      request vanished between INTR and INTA; not in service, needs no EOI), or
 *                      {@link #NO_INTERRUPT} when INTR is not asserted (no INTA cycle runs)
 *   eoi()              end of interrupt: clears the highest ISR bit (not for ExtINT, NMI or spurious vectors)
 *   timerDeadline()    when the LVT timer next expires (System.nanoTime scale of the board's clock);
 *   expireTimer()        called once the clock reached it: requests the timer vector, re-arms a periodic timer
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Acknowledge takes the highest deliverable vector and makes it in service; an EOI ends the highest in-service
 *       vector, whatever vector the caller thinks it is ending (there is no vector in the EOI write).</li>
 *   <li>A vector is never in service twice; requests coalesce (one IRR bit per vector).</li>
 *   <li>A send or receive of an illegal vector (0-15) is not delivered: it sets an ESR bit, is counted in
 *       {@link #errorCount()} and raises the error LVT interrupt if that is unmasked (section 10.5.3).</li>
 *   <li>Software-disabled (SVR bit 8 clear): fixed interrupts are not accepted (counted in
 *       {@link #droppedWhileDisabled()}, as KVM's model does; the SDM lists only INIT, NMI, SMI and SIPI as still
 *       answered), requests and in-service vectors already held stay and are delivered, every LVT entry is masked
 *       and cannot be unmasked, and IPIs can still be sent (section 10.4.7.2).</li>
 *   <li>Globally disabled (IA32_APIC_BASE bit 11 clear, {@link #setGlobalEnable}): the APIC returns to its
 *       power-up state and behaves as absent; LINT0 is the core's INTR pin (acknowledge runs the 8259A's INTA
 *       cycle while it is high) and LINT1 its NMI pin (section 10.4.3). Messages to it are dropped and counted.</li>
 *   <li>An EOI with nothing in service is ignored and counted ({@link #ignoredEois()}).</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   sender: x = 1; apic0.sendIpi(v, 1)         CPU 1: r0 = apic1.acknowledge(); r1 = x
 *   Forbids: r0 == v &amp;&amp; r1 == 0                 (X86_01_IcrIpiPublishes, the twin of Gic_01_SgiPublishes)
 * </pre>
 * Sending a fixed IPI is one volatile {@code getAndBitwiseOr} on the target's IRR word; acknowledge reads and clears
 * that word with volatile accesses, so it sees every store the sender made before the send.
 *
 * <h2>Not modelled</h2>
 * x2APIC, logical destination mode (messages using it are dropped and counted), directed EOI (SVR bit 12),
 * TSC-deadline timer mode (the timer never fires in it), level-triggered fixed LINT inputs (treated as edge),
 * the thermal, performance-counter and CMCI sources (their LVT registers exist and store values), INIT/SIPI/SMI.
 */
public final class LocalApic {
    /* Implementation notes
     *
     * Lock: the per-CPU lock (lock below) guards every register except the IRR words, the NMI latch and the ICR
     * copy. Acknowledge, EOI, TPR/SVR/LVT writes, level and error acceptances and the timer take it; the fixed
     * edge-triggered acceptance (every IPI, MSI and edge IO-APIC message) takes no lock: it is one getAndBitwiseOr
     * on the IRR word, like Redistributor.setLatch for SGIs. Signalling (irqLine) happens after the lock is
     * released. This lock is never held while calling another chip (ExtINT's INTA on the 8259A and the EOI
     * broadcast run after it), and no other chip calls in while holding its own lock. The 8259A's INTR reaches
     * LINT0 through followLint(), which reads the PIC's output (a volatile) inside this lock.
     *
     * Why the lock-free IRR set is consistent: IRR and ISR are independent bits. An IPI landing right after
     * acknowledge cleared the IRR bit makes the vector IN_SERVICE_REQUESTED, the architectural outcome.
     *
     * TMR on the lock-free path: the fast path reads the TMR word and takes it only when the vector's TMR bit is
     * clear (no TMR change needed). When it is set (the vector was last accepted level-triggered) the edge
     * acceptance takes the lock to clear it. A racing level acceptance of the same vector (under the lock) and a
     * fast-path edge acceptance leave TMR set, the outcome of the order edge-then-level; both coalesce into one
     * IRR bit either way. Linux never sends one vector both ways (device vectors are per IRQ).
     *
     * Non-invariants: mayBeSignalled() is a racy hint; ppr and tpr are volatile only so that hints and lowest-
     * priority arbitration can read them without the lock.
     */
    static final System.Logger LOG = System.getLogger("io.kdefer.x86");

    // xAPIC register offsets (Intel SDM vol. 3 table 10-1), for read(offset)/write(offset, value)
    public static final int ID = 0x020;
    public static final int VERSION = 0x030;
    public static final int TPR = 0x080;
    public static final int APR = 0x090;
    public static final int PPR = 0x0a0;
    public static final int EOI = 0x0b0;
    public static final int RRD = 0x0c0;
    public static final int LDR = 0x0d0;
    public static final int DFR = 0x0e0;
    public static final int SVR = 0x0f0;
    public static final int ISR_BASE = 0x100;
    public static final int TMR_BASE = 0x180;
    public static final int IRR_BASE = 0x200;
    public static final int ESR = 0x280;
    public static final int LVT_CMCI = 0x2f0;
    public static final int ICR_LOW = 0x300;
    public static final int ICR_HIGH = 0x310;
    public static final int LVT_TIMER = 0x320;
    public static final int LVT_THERMAL = 0x330;
    public static final int LVT_PERF = 0x340;
    public static final int LVT_LINT0 = 0x350;
    public static final int LVT_LINT1 = 0x360;
    public static final int LVT_ERROR = 0x370;
    public static final int TIMER_INITIAL_COUNT = 0x380;
    public static final int TIMER_CURRENT_COUNT = 0x390;
    public static final int TIMER_DIVIDE = 0x3e0;

    /** Version register: integrated xAPIC version 0x14, max LVT entry 5 (6 entries: CMCI is extra). */
    public static final int VERSION_VALUE = 0x0005_0014;

    // LVT bits
    public static final int LVT_VECTOR = 0xff;
    public static final int LVT_SEND_PENDING = 1 << 12;
    public static final int LVT_ACTIVE_LOW = 1 << 13;
    public static final int LVT_REMOTE_IRR = 1 << 14;
    public static final int LVT_LEVEL = 1 << 15;
    public static final int LVT_MASKED = 1 << 16;
    public static final int LVT_TIMER_PERIODIC = 1 << 17;
    public static final int LVT_TIMER_TSC_DEADLINE = 2 << 17;
    private static final int LVT_TIMER_MODE = 3 << 17;

    // SVR bits
    public static final int SVR_APIC_ENABLED = 1 << 8;

    // ESR bits (Intel SDM figure 10-9); the P6-era checksum and accept errors are not modelled
    public static final int ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
    public static final int ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6;
    public static final int ESR_ILLEGAL_REGISTER = 1 << 7;

    // ICR fields
    public static final long ICR_DEST_LOGICAL = 1L << 11;
    public static final long ICR_LEVEL_ASSERT = 1L << 14;
    public static final long ICR_TRIGGER_LEVEL = 1L << 15;
    public static final int SHORTHAND_NONE = 0;
    public static final int SHORTHAND_SELF = 1;
    public static final int SHORTHAND_ALL = 2;
    public static final int SHORTHAND_ALL_BUT_SELF = 3;

    /** {@link #acknowledge()} when INTR is not asserted: no INTA cycle runs. */
    public static final int NO_INTERRUPT = -1;

    /** Timer input clock: one count per nanosecond at divide-by-1 (a 1 GHz bus clock). */
    public static final long TIMER_HZ = 1_000_000_000L;
    /** The largest initial count (TMICT is 32 bits). */
    public static final long MAX_TIMER_COUNT = 0xffff_ffffL;

    // acceptFixed() result bits
    static final int ACCEPTED = 1;
    static final int SIGNAL = 2;

    private final X86Chips board;                 // I
    private final int id;                         // I: APIC ID == CPU index
    private final Object lock = new Object();     // I: the per-CPU lock

    private final long[] irr = new long[4];       // A: through IRR_WORD; fixed edge acceptance sets bits lock-free
    private final long[] isr = new long[4];       // L(lock)
    private final long[] tmr = new long[4];       // L(lock) writes; A reads (the acceptance fast path)
    private volatile int tpr;                     // L(lock) writes; volatile for lowest-priority arbitration
    private volatile int ppr;                     // L(lock) writes; volatile for observers
    private volatile int svr;                     // L(lock) writes; volatile: acceptsFixed() reads the enable bit
    private volatile boolean globallyEnabled = true;  // L(lock) writes; volatile for the acceptance paths
    private int ldr;                              // L(lock): stored only (logical mode not modelled)
    private int dfr;                              // L(lock): stored only
    private int lvtTimer;                         // L(lock)
    private int lvtThermal;                       // L(lock): stored only
    private int lvtPerf;                          // L(lock): stored only
    private int lvtLint0;                         // L(lock)
    private int lvtLint1;                         // L(lock)
    private int lvtError;                         // L(lock)
    private int lvtCmci;                          // L(lock): stored only
    private boolean lint0High;                    // L(lock): LINT0 input level (electrical)
    private boolean lint1High;                    // L(lock): LINT1 input level (electrical)
    private boolean extIntLatch;                  // L(lock): an ExtINT message not yet acknowledged
    private volatile boolean extIntHint;          // L(lock) writes: an ExtINT request may be up (for the hint)
    private volatile int nmi;                     // A: 1 while an NMI is pending, through NMI
    private int pendingErrors;                    // L(lock): errors since the last ESR write
    private int esr;                              // L(lock): the ESR as last latched by an ESR write
    private long errorCount;                      // L(lock)
    private long ignoredEois;                     // L(lock)
    private long droppedWhileDisabled;            // L(lock)
    private long undeliverableIpis;               // L(lock)
    private boolean ignoredEoiReported;           // L(lock)
    private volatile long icr;                    // R: the last ICR value written; read back for observers only
    private int divideConfig;                     // L(lock): the DCR encoding
    private long timerInitial;                    // L(lock): TMICT
    private long timerPeriod;                     // L(lock): nanoseconds per count-down, fixed at load
    private volatile long timerDeadline = Long.MAX_VALUE;  // L(lock) writes; volatile for the CPU loop
    private int injectedSpurious;                 // L(lock): fault injection

    private static final VarHandle IRR_WORD = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle TMR_WORD = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle NMI =
            Handles.field(MethodHandles.lookup(), LocalApic.class, "nmi", int.class);

    LocalApic(X86Chips board, int id) {
        this.board = board;
        this.id = id;
        synchronized (lock) {
            powerOnLocked();
            // What Linux's setup_local_APIC / lapic_setup_esr / the clockevent leave (symmetric I/O mode).
            svr = SVR_APIC_ENABLED | IrqVectors.SPURIOUS_APIC_VECTOR;
            lvtTimer = LVT_MASKED | IrqVectors.LOCAL_TIMER_VECTOR;
            lvtLint0 = LVT_MASKED | DeliveryMode.EXTINT.encoding() << 8;
            lvtLint1 = (id == 0 ? 0 : LVT_MASKED) | DeliveryMode.NMI.encoding() << 8;
            lvtError = IrqVectors.ERROR_APIC_VECTOR;
            divideConfig = 0b0011;                  // divide by 16 (Linux's APIC_DIVISOR)
            refreshExtIntLocked();
        }
    }

    // Intel SDM section 10.4.7.1: the state after power-up or RESET. Lock held.
    private void powerOnLocked() {
        for (int w = 0; w < 4; w++) {
            IRR_WORD.setVolatile(irr, w, 0L);
            isr[w] = 0;
            TMR_WORD.setVolatile(tmr, w, 0L);
        }
        tpr = 0;
        ppr = 0;
        ldr = 0;
        dfr = 0xffff_ffff;
        svr = IrqVectors.SPURIOUS_APIC_VECTOR;      // software-disabled
        lvtTimer = LVT_MASKED;
        lvtThermal = LVT_MASKED;
        lvtPerf = LVT_MASKED;
        lvtLint0 = LVT_MASKED;
        lvtLint1 = LVT_MASKED;
        lvtError = LVT_MASKED;
        lvtCmci = LVT_MASKED;
        extIntLatch = false;
        pendingErrors = 0;
        esr = 0;
        icr = 0;
        divideConfig = 0;
        timerInitial = 0;
        timerPeriod = 0;
        timerDeadline = Long.MAX_VALUE;
    }

    /** The APIC ID (the CPU index). */
    public int id() {
        return id;
    }

    // ---------------------------------------------------------------------------------------------- INTA side

    /**
     * The INTA cycle. Takes, in this order: an ExtINT request (LINT0/LINT1 in ExtINT mode with the pin asserted,
     * or an ExtINT message), whose vector the 8259A pair supplies (its INTA cycle runs after this APIC's lock is
     * released, so it may answer with its spurious IRQ 7/15 vector if the request vanished); else the highest
     * deliverable vector, which moves from IRR to ISR and raises the PPR. ExtINT and NMI bypass IRR, ISR and the
     * priorities (section 10.8.1).
     *
     * @return the vector; {@link #spuriousVector()} when fault injection says the request vanished (nothing moves
     *         to ISR, no EOI is due); {@link #NO_INTERRUPT} when INTR is not asserted
     */
    public int acknowledge() {
        synchronized (lock) {
            if (!globallyEnabled) {
                if (!lint0High) {
                    return NO_INTERRUPT;
                }
                // LINT0 is the core's INTR pin: the INTA cycle goes to the 8259A (below).
            } else if (injectedSpurious > 0) {
                injectedSpurious--;
                return svr & 0xff;
            } else if (extIntPendingLocked()) {
                extIntLatch = false;
                refreshExtIntLocked();
            } else {
                int v = deliverableLocked();
                if (v < 0) {
                    return NO_INTERRUPT;
                }
                long bit = 1L << (v & 63);
                IRR_WORD.getAndBitwiseAnd(irr, v >>> 6, ~bit);
                isr[v >>> 6] |= bit;
                updatePprLocked();
                return v;
            }
        }
        return board.extIntAcknowledge();
    }

    /**
     * Whether INTR is asserted to the core: {@link #acknowledge()} would return a vector now. Exact (takes the
     * lock). NMIs are separate ({@link #nmiPending()}).
     */
    public boolean isSignalled() {
        synchronized (lock) {
            if (!globallyEnabled) {
                return lint0High;
            }
            return injectedSpurious > 0 || extIntPendingLocked() || deliverableLocked() >= 0;
        }
    }

    /**
     * Lock-free, racy hint: could INTR be asserted? {@code false} is reliable only when the caller re-checks with
     * {@link #isSignalled()} after publishing that it is going to sleep (as the CPU loop does for the GIC).
     */
    public boolean mayBeSignalled() {
        return extIntHint || (long) IRR_WORD.getVolatile(irr, 0) != 0 || (long) IRR_WORD.getVolatile(irr, 1) != 0
                || (long) IRR_WORD.getVolatile(irr, 2) != 0 || (long) IRR_WORD.getVolatile(irr, 3) != 0;
    }

    /** Consumes a pending NMI: true if one was pending (the CPU then runs its NMI handler). */
    public boolean takeNmi() {
        return (int) NMI.getAndSet(this, 0) != 0;
    }

    /** Whether an NMI is pending (not consumed). */
    public boolean nmiPending() {
        return nmi != 0;
    }

    /**
     * Writes the EOI register: ends the highest in-service vector and, if its TMR bit is set (it was accepted
     * level-triggered), broadcasts the EOI to the IO-APIC, which clears the remote IRR of the pins with that
     * vector. An EOI with nothing in service is ignored and counted ({@link #ignoredEois()}).
     */
    public void eoi() {
        int broadcast = -1;
        boolean wake;
        synchronized (lock) {
            if (!globallyEnabled) {
                return;                                 // no EOI register while the APIC is absent
            }
            int v = highest(isr);
            if (v < 0) {
                ignoredEois++;
                if (!ignoredEoiReported) {
                    ignoredEoiReported = true;
                    LOG.log(Level.WARNING, "APIC " + id + ": EOI with nothing in service ignored (reported once)");
                }
                return;
            }
            long bit = 1L << (v & 63);
            isr[v >>> 6] &= ~bit;
            if (((long) TMR_WORD.getVolatile(tmr, v >>> 6) & bit) != 0) {
                broadcast = v;
            }
            updatePprLocked();
            wake = deliverableLocked() >= 0;
        }
        if (broadcast >= 0) {
            board.broadcastEoi(broadcast);
        }
        if (wake) {
            board.signal(id);                      // the PPR fell: a held-back request may be deliverable now
        }
    }

    /**
     * Fault injection: the next {@code n} acknowledges return {@link #spuriousVector()}, as when an interrupt is
     * withdrawn (or masked by a TPR raise) between INTR and the INTA cycle (section 10.9).
     */
    public void injectSpuriousAcknowledges(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("count must be >= 0: " + n);
        }
        synchronized (lock) {
            injectedSpurious += n;
        }
    }

    // ---------------------------------------------------------------------------------------------- priorities

    /** TPR: vectors whose class is not above the TPR's class are held back. */
    public void setTaskPriority(int tpr) {
        if (tpr < 0 || tpr > 0xff) {
            throw new IllegalArgumentException("task priority must be 0..255: " + tpr);
        }
        write(TPR, tpr);
    }

    public int taskPriority() {
        return tpr;
    }

    /** PPR: the priority below which (by class) nothing is delivered; see the class comment. */
    public int processorPriority() {
        return ppr;
    }

    // ---------------------------------------------------------------------------------------------- IPIs

    /**
     * Writes the ICR (both halves; the low half's write sends). Behaves as the hardware does for bad values: an
     * illegal vector (0-15) in a fixed or lowest-priority IPI is not sent and sets {@link #ESR_SEND_ILLEGAL_VECTOR};
     * a destination no CPU has, logical destination mode, an unmodelled delivery mode (SMI, INIT, start-up,
     * reserved, ExtINT) or a self shorthand with anything but fixed mode (invalid, section 10.6.1 table 10-3) is
     * dropped and counted in {@link #undeliverableIpis()}. Delivery status always reads idle: delivery is synchronous.
     */
    public void writeIcr(long value) {
        icr = value & ~(long) LVT_SEND_PENDING;
        send(value);
    }

    /** The last ICR value written (delivery status idle). */
    public long icr() {
        return icr;
    }

    /**
     * A fixed, edge-triggered IPI to one CPU (ICR: vector, fixed, physical, no shorthand). Lock-free unless the
     * vector was last accepted level-triggered at the target.
     *
     * @throws IllegalArgumentException for a vector outside 0x20-0xff or an APIC ID no CPU has (the kernel never
     *         sends either; {@link #writeIcr} shows what the hardware does with them)
     */
    public void sendIpi(int vector, int destApicId) {
        IrqVectors.checkExternalVector(vector);
        if (!board.exists(destApicId)) {
            throw new IllegalArgumentException("no CPU with APIC ID " + destApicId + " (this board has "
                    + board.cpuCount() + " CPUs; use sendIpiAll for a broadcast)");
        }
        icr = (long) destApicId << 56 | vector;
        if (!globallyEnabled) {
            lostIpi("ICR write with the APIC globally disabled");
            return;
        }
        LocalApic target = board.lapicOrNull(destApicId);
        if ((target.acceptFixed(vector, false) & SIGNAL) != 0) {
            board.signal(destApicId);
        }
    }

    /** A fixed IPI to this CPU (the self shorthand). */
    public void sendIpiSelf(int vector) {
        sendShorthand(IrqVectors.checkExternalVector(vector), SHORTHAND_SELF);
    }

    /** A fixed IPI to every CPU including this one (the all-including-self shorthand). */
    public void sendIpiAll(int vector) {
        sendShorthand(IrqVectors.checkExternalVector(vector), SHORTHAND_ALL);
    }

    /** A fixed IPI to every other CPU (the all-excluding-self shorthand). */
    public void sendIpiAllButSelf(int vector) {
        sendShorthand(IrqVectors.checkExternalVector(vector), SHORTHAND_ALL_BUT_SELF);
    }

    /**
     * An NMI IPI to one CPU (delivery mode NMI; the vector field is ignored).
     *
     * @throws IllegalArgumentException for an APIC ID no CPU has
     */
    public void sendNmi(int destApicId) {
        if (!board.exists(destApicId)) {
            throw new IllegalArgumentException("no CPU with APIC ID " + destApicId);
        }
        writeIcr((long) destApicId << 56 | DeliveryMode.NMI.encoding() << 8 | IrqVectors.NMI_VECTOR);
    }

    /** An NMI IPI to every other CPU (Linux's backtrace NMI). */
    public void sendNmiAllButSelf() {
        writeIcr((long) SHORTHAND_ALL_BUT_SELF << 18 | DeliveryMode.NMI.encoding() << 8 | IrqVectors.NMI_VECTOR);
    }

    private void sendShorthand(int vector, int shorthand) {
        writeIcr((long) shorthand << 18 | vector);
    }

    private void send(long value) {
        int vector = (int) value & 0xff;
        DeliveryMode mode = DeliveryMode.decode((int) (value >>> 8));
        int shorthand = (int) (value >>> 18) & 3;
        int dest = (int) (value >>> 56) & 0xff;
        if (!globallyEnabled) {
            lostIpi("ICR write with the APIC globally disabled");
            return;
        }
        if (mode == null || mode == DeliveryMode.EXTINT || mode == DeliveryMode.SMI || mode == DeliveryMode.INIT
                || mode == DeliveryMode.STARTUP) {
            lostIpi("ICR delivery mode " + (mode == null ? "011 (reserved)" : mode) + " is not modelled");
            return;
        }
        if (shorthand == SHORTHAND_SELF && mode != DeliveryMode.FIXED) {
            lostIpi("the self shorthand is valid only with fixed delivery (SDM table 10-3), not " + mode);
            return;
        }
        if (shorthand == SHORTHAND_NONE && (value & ICR_DEST_LOGICAL) != 0) {
            lostIpi("logical destination mode is not modelled");
            return;
        }
        if (mode != DeliveryMode.NMI && vector < IrqVectors.FIRST_LEGAL_APIC_VECTOR) {
            boolean wake;
            synchronized (lock) {
                wake = errorLocked(ESR_SEND_ILLEGAL_VECTOR);
            }
            if (wake) {
                board.signal(id);
            }
            return;
        }
        int r = board.deliver(this, shorthand, dest, mode, vector, false);
        if (r != X86Chips.DELIVERED) {
            lostIpi(r == X86Chips.NO_DESTINATION ? "no CPU has APIC ID " + dest : "unsupported message");
        }
    }

    private void lostIpi(String why) {
        synchronized (lock) {
            undeliverableIpis++;
            if (undeliverableIpis == 1) {
                LOG.log(Level.WARNING, "APIC " + id + ": IPI dropped: " + why + " (reported once)");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- acceptance

    /** Whether a fixed message would be accepted now (globally and software enabled). */
    boolean acceptsFixed() {
        return globallyEnabled && (svr & SVR_APIC_ENABLED) != 0;
    }

    /**
     * Accepts a fixed (or lowest-priority) message. Lock-free for an edge message whose vector's TMR bit is clear.
     * The caller signals this CPU when {@link #SIGNAL} is set, after releasing its own locks.
     *
     * @return {@link #ACCEPTED} if the vector is now requested, plus {@link #SIGNAL} if its IRR bit (or the error
     *         vector's) was newly set
     */
    int acceptFixed(int vector, boolean level) {
        if (vector < IrqVectors.FIRST_LEGAL_APIC_VECTOR || !acceptsFixed()) {
            synchronized (lock) {
                if (!globallyEnabled || (svr & SVR_APIC_ENABLED) == 0) {
                    droppedWhileDisabled++;
                    return 0;
                }
                return errorLocked(ESR_RECEIVE_ILLEGAL_VECTOR) ? SIGNAL : 0;
            }
        }
        int w = vector >>> 6;
        long bit = 1L << (vector & 63);
        if (!level && ((long) TMR_WORD.getVolatile(tmr, w) & bit) == 0) {
            // Volatile RMW: publishes the sender's prior stores; pairs with the volatile IRR read in acknowledge()
            // (highestIrrLocked) on the target CPU (X86_01_IcrIpiPublishes).
            long prev = (long) IRR_WORD.getAndBitwiseOr(irr, w, bit);
            return (prev & bit) == 0 ? ACCEPTED | SIGNAL : ACCEPTED;
        }
        synchronized (lock) {
            return requestLocked(vector, level) ? ACCEPTED | SIGNAL : ACCEPTED;
        }
    }

    /** An NMI message or LINT1 edge. @return true if the NMI became pending (signal the CPU). */
    boolean acceptNmi() {
        return (int) NMI.getAndSet(this, 1) == 0;
    }

    /** An ExtINT message (IO-APIC or MSI). @return true if the CPU should be signalled. */
    boolean acceptExtInt() {
        synchronized (lock) {
            if (!globallyEnabled) {
                droppedWhileDisabled++;
                return false;
            }
            boolean was = extIntLatch;
            extIntLatch = true;
            refreshExtIntLocked();
            return !was;
        }
    }

    // Sets TMR to the trigger and the IRR bit. Lock held. Returns whether the IRR bit was newly set.
    private boolean requestLocked(int vector, boolean level) {
        int w = vector >>> 6;
        long bit = 1L << (vector & 63);
        long t = (long) TMR_WORD.getVolatile(tmr, w);
        TMR_WORD.setVolatile(tmr, w, level ? t | bit : t & ~bit);
        long prev = (long) IRR_WORD.getAndBitwiseOr(irr, w, bit);
        return (prev & bit) == 0;
    }

    // Records an error (ESR bit, count) and raises the error LVT interrupt if it is unmasked and its vector legal.
    // Lock held. Returns whether the error vector was newly requested.
    private boolean errorLocked(int esrBit) {
        pendingErrors |= esrBit;
        errorCount++;
        int v = lvtError & LVT_VECTOR;
        if ((lvtError & LVT_MASKED) != 0 || !globallyEnabled || (svr & SVR_APIC_ENABLED) == 0) {
            return false;
        }
        if (v < IrqVectors.FIRST_LEGAL_APIC_VECTOR) {
            pendingErrors |= ESR_RECEIVE_ILLEGAL_VECTOR;   // the error interrupt itself is illegal; not delivered
            return false;
        }
        return requestLocked(v, false);
    }

    // ---------------------------------------------------------------------------------------------- SVR, enables

    /** The spurious-interrupt vector (SVR bits 7:0). */
    public int spuriousVector() {
        return svr & 0xff;
    }

    /** SVR bit 8. Clearing it masks every LVT entry (section 10.4.7.2). */
    public void setSoftwareEnabled(boolean enabled) {
        int v;
        synchronized (lock) {
            v = enabled ? svr | SVR_APIC_ENABLED : svr & ~SVR_APIC_ENABLED;
        }
        write(SVR, v);
    }

    public boolean isSoftwareEnabled() {
        return (svr & SVR_APIC_ENABLED) != 0;
    }

    /**
     * IA32_APIC_BASE bit 11. Clearing it returns this APIC to its power-up state (software-disabled, everything
     * masked and cleared, section 10.4.3 says prior initialization "may be lost": here it always is) and makes
     * LINT0/LINT1 the core's INTR/NMI pins; setting it again leaves the APIC software-disabled, as after reset.
     */
    public void setGlobalEnable(boolean enabled) {
        boolean wake;
        synchronized (lock) {
            if (enabled == globallyEnabled) {
                return;
            }
            globallyEnabled = enabled;
            if (!enabled) {
                powerOnLocked();
            }
            refreshExtIntLocked();
            wake = !enabled && lint0High;
        }
        if (wake) {
            board.signal(id);
        }
    }

    public boolean isGloballyEnabled() {
        return globallyEnabled;
    }

    // ---------------------------------------------------------------------------------------------- LVT, LINT

    /**
     * Programs LINT0 or LINT1 (edge, active high): {@link DeliveryMode#FIXED} with a vector,
     * {@link DeliveryMode#NMI} or {@link DeliveryMode#EXTINT} (the 8259A, on LINT0).
     *
     * @throws IllegalArgumentException for a pin other than 0/1, another delivery mode (not modelled), or a fixed
     *         vector outside 0x20-0xff
     */
    public void setLintEntry(int pin, DeliveryMode mode, int vector, boolean masked) {
        checkPin(pin);
        if (mode != DeliveryMode.FIXED && mode != DeliveryMode.NMI && mode != DeliveryMode.EXTINT) {
            throw new IllegalArgumentException("LINT" + pin + " delivery mode " + mode + " is not modelled "
                    + "(FIXED, NMI and EXTINT are)");
        }
        int v = mode == DeliveryMode.FIXED ? IrqVectors.checkExternalVector(vector) : 0;
        write(pin == 0 ? LVT_LINT0 : LVT_LINT1, v | mode.encoding() << 8 | (masked ? LVT_MASKED : 0));
    }

    /** Programs the error LVT. @throws IllegalArgumentException for a vector outside 0x20-0xff */
    public void setErrorEntry(int vector, boolean masked) {
        write(LVT_ERROR, IrqVectors.checkExternalVector(vector) | (masked ? LVT_MASKED : 0));
    }

    /** Whether LVT entry {@code offset} (LVT_TIMER, LVT_LINT0, ...) is masked. */
    public boolean isLvtMasked(int offset) {
        return (read(offset) & LVT_MASKED) != 0;
    }

    /**
     * Drives the LINT0 or LINT1 input pin (electrical level; the LVT's polarity says which level is asserted).
     * Fixed and NMI entries act on the asserting edge; ExtINT is level-sensitive (requested while asserted). With
     * the APIC globally disabled LINT0 is the INTR pin and LINT1 the NMI pin (rising edge).
     */
    public void setLint(int pin, boolean high) {
        checkPin(pin);
        lintChanged(pin, high, null);
    }

    /**
     * A wire from another chip's output to LINT{@code pin}: {@code level} is read inside this APIC's lock, so when
     * racing calls follow racing changes of the output, the last one applied reads the newest level.
     */
    void followLint(int pin, BooleanSupplier level) {
        lintChanged(pin, false, level);
    }

    private void lintChanged(int pin, boolean value, BooleanSupplier source) {
        boolean wake = false;
        boolean fire = false;
        boolean nmiEdge = false;
        int vector = 0;
        synchronized (lock) {
            boolean high = source != null ? source.getAsBoolean() : value;
            boolean was = pin == 0 ? lint0High : lint1High;
            if (pin == 0) {
                lint0High = high;
            } else {
                lint1High = high;
            }
            if (!globallyEnabled) {
                nmiEdge = pin == 1 && high && !was;
                wake = pin == 0 && high && !was;
            } else {
                int lvt = pin == 0 ? lvtLint0 : lvtLint1;
                boolean activeLow = (lvt & LVT_ACTIVE_LOW) != 0;
                boolean edge = (high ^ activeLow) && !(was ^ activeLow);
                if ((lvt & LVT_MASKED) == 0) {
                    DeliveryMode mode = DeliveryMode.decode(lvt >>> 8);
                    if (mode == DeliveryMode.FIXED) {
                        fire = edge;
                        vector = lvt & LVT_VECTOR;
                    } else if (mode == DeliveryMode.NMI) {
                        nmiEdge = edge;
                    } else if (mode == DeliveryMode.EXTINT) {
                        wake = edge;
                    } else if (edge) {
                        droppedWhileDisabled++;        // SMI/INIT/reserved: not modelled
                    }
                }
            }
            refreshExtIntLocked();
        }
        if (fire && (acceptFixed(vector, false) & SIGNAL) != 0) {
            wake = true;
        }
        if (nmiEdge && acceptNmi()) {
            wake = true;
        }
        if (wake) {
            board.signal(id);
        }
    }

    public boolean lintHigh(int pin) {
        checkPin(pin);
        synchronized (lock) {
            return pin == 0 ? lint0High : lint1High;
        }
    }

    private static void checkPin(int pin) {
        if (pin != 0 && pin != 1) {
            throw new IllegalArgumentException("a local APIC has LINT0 and LINT1, not LINT" + pin);
        }
    }

    // Lock held.
    private boolean extIntPendingLocked() {
        return extIntLatch || lintExtIntLocked(lvtLint0, lint0High) || lintExtIntLocked(lvtLint1, lint1High);
    }

    private static boolean lintExtIntLocked(int lvt, boolean high) {
        return (lvt & LVT_MASKED) == 0 && DeliveryMode.decode(lvt >>> 8) == DeliveryMode.EXTINT
                && (high ^ (lvt & LVT_ACTIVE_LOW) != 0);
    }

    private void refreshExtIntLocked() {
        extIntHint = globallyEnabled ? extIntPendingLocked() : lint0High;
    }

    // ---------------------------------------------------------------------------------------------- timer

    /**
     * Programs the timer LVT.
     *
     * @throws IllegalArgumentException for a vector outside 0x20-0xff
     */
    public void setTimerEntry(int vector, boolean periodic, boolean masked) {
        write(LVT_TIMER, IrqVectors.checkExternalVector(vector) | (periodic ? LVT_TIMER_PERIODIC : 0)
                | (masked ? LVT_MASKED : 0));
    }

    /**
     * The divide configuration as a divisor: 1, 2, 4, ..., 128. It applies from the next write of the initial
     * count (a running count and its periodic reloads keep the rate they were loaded with).
     */
    public void setTimerDivide(int divisor) {
        int enc;
        switch (divisor) {
            case 1: enc = 0b1011; break;
            case 2: enc = 0b0000; break;
            case 4: enc = 0b0001; break;
            case 8: enc = 0b0010; break;
            case 16: enc = 0b0011; break;
            case 32: enc = 0b1000; break;
            case 64: enc = 0b1001; break;
            case 128: enc = 0b1010; break;
            default:
                throw new IllegalArgumentException("the APIC timer divides by 1, 2, 4, 8, 16, 32, 64 or 128, not "
                        + divisor);
        }
        write(TIMER_DIVIDE, enc);
    }

    public int timerDivide() {
        synchronized (lock) {
            return divisorLocked();
        }
    }

    private int divisorLocked() {
        int v = (divideConfig & 3) | (divideConfig & 8) >>> 1;
        return v == 7 ? 1 : 2 << v;
    }

    /**
     * Writes the initial count (TMICT): 0 stops the timer; any other value (re)starts it, expiring after
     * {@code count * divisor} nanoseconds of the board's clock ({@link #TIMER_HZ}).
     */
    public void setTimerInitialCount(long count) {
        if (count < 0 || count > MAX_TIMER_COUNT) {
            throw new IllegalArgumentException("the initial count is a 32-bit register: " + count);
        }
        write(TIMER_INITIAL_COUNT, (int) count);
    }

    /** Arms the timer to expire in {@code nanos} (rounded up to whole counts at the current divisor). */
    public void startTimer(long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException("timer period must be positive: " + nanos + " ns");
        }
        long count;
        synchronized (lock) {
            int d = divisorLocked();
            count = (nanos + d - 1) / d;
        }
        if (count > MAX_TIMER_COUNT) {
            throw new IllegalArgumentException(nanos + " ns is more than the 32-bit count holds at divide-by-"
                    + timerDivide() + "; raise the divisor");
        }
        setTimerInitialCount(count);
    }

    public long timerInitialCount() {
        synchronized (lock) {
            return timerInitial;
        }
    }

    /** TMCCT: counts left before expiry (0 when stopped or a one-shot expired). */
    public long timerCurrentCount() {
        synchronized (lock) {
            return currentCountLocked(board.nanoTime());
        }
    }

    private long currentCountLocked(long now) {
        long deadline = timerDeadline;
        if (deadline == Long.MAX_VALUE || timerPeriod == 0) {
            return 0;
        }
        long left = deadline - now;
        if (left <= 0) {
            if ((lvtTimer & LVT_TIMER_MODE) != LVT_TIMER_PERIODIC) {
                return 0;
            }
            left = timerPeriod - Math.floorMod(now - deadline, timerPeriod);
        }
        long perCount = timerPeriod / Math.max(1, timerInitial);
        return Math.min(timerInitial, (left + perCount - 1) / perCount);
    }

    /**
     * When the timer next expires (the board clock's nanoseconds), {@link Long#MAX_VALUE} when it is stopped, a
     * one-shot already expired, or in TSC-deadline mode. Lock-free: the CPU loop reads it to plan its sleep.
     */
    public long timerDeadline() {
        return timerDeadline;
    }

    /**
     * The timer's expiry, called by the owning CPU once the clock reached {@link #timerDeadline()}: requests the
     * timer vector unless the entry is masked (a masked timer still counts and expires), then re-arms a periodic
     * timer at the next period boundary after now (expiries missed meanwhile coalesce, as into one IRR bit) or
     * stops a one-shot.
     *
     * @return whether the timer expired (false if the deadline has not been reached)
     */
    public boolean expireTimer() {
        int vector = -1;
        synchronized (lock) {
            long now = board.nanoTime();
            long deadline = timerDeadline;
            if (deadline == Long.MAX_VALUE || now < deadline) {
                return false;
            }
            if ((lvtTimer & LVT_TIMER_MODE) == LVT_TIMER_PERIODIC && timerPeriod > 0) {
                timerDeadline = deadline + (Math.floorDiv(now - deadline, timerPeriod) + 1) * timerPeriod;
            } else {
                timerDeadline = Long.MAX_VALUE;
            }
            if ((lvtTimer & LVT_MASKED) == 0) {
                vector = lvtTimer & LVT_VECTOR;
            }
        }
        if (vector >= 0 && (acceptFixed(vector, false) & SIGNAL) != 0) {
            board.signal(id);
        }
        return true;
    }

    /**
     * The timer fires now, whatever its count: the expiry as a platform sees it whose clock-event code, not this
     * model's count-down, decides when the tick is due (the runtime's CPU loop keeps the tick's time, and on each
     * due tick the local APIC timer fires). Requests the timer vector unless the entry is masked (which it always is
     * while the APIC is software- or globally disabled). A one-shot count stops; a periodic one restarts a full
     * period from now.
     *
     * @return whether the timer vector was requested (false: the LVT timer entry is masked)
     */
    public boolean fireTimer() {
        int vector = -1;
        synchronized (lock) {
            if ((lvtTimer & LVT_TIMER_MODE) == LVT_TIMER_PERIODIC && timerPeriod > 0) {
                timerDeadline = board.nanoTime() + timerPeriod;
            } else {
                timerDeadline = Long.MAX_VALUE;
            }
            if ((lvtTimer & LVT_MASKED) == 0) {
                vector = lvtTimer & LVT_VECTOR;
            }
        }
        if (vector < 0) {
            return false;
        }
        int r = acceptFixed(vector, false);
        if ((r & SIGNAL) != 0) {
            board.signal(id);
        }
        return (r & ACCEPTED) != 0;
    }

    // Lock held.
    private void loadTimerLocked(long count) {
        timerInitial = count;
        if (count == 0) {
            timerPeriod = 0;
            timerDeadline = Long.MAX_VALUE;
            return;
        }
        timerPeriod = count * divisorLocked();
        int mode = lvtTimer & LVT_TIMER_MODE;
        timerDeadline = mode == 0 || mode == LVT_TIMER_PERIODIC ? board.nanoTime() + timerPeriod : Long.MAX_VALUE;
    }

    // ---------------------------------------------------------------------------------------------- ESR

    /**
     * Writes the ESR: latches the errors seen since the previous write into the readable register and clears the
     * accumulation (a write must precede a read, section 10.5.3).
     */
    public void writeEsr() {
        write(ESR, 0);
    }

    /** The ESR as latched by the last {@link #writeEsr()}. */
    public int esr() {
        return read(ESR);
    }

    // ---------------------------------------------------------------------------------------------- registers

    /**
     * Reads an xAPIC register by its MMIO offset (16-byte aligned, 0x000-0x3f0). A reserved offset reads 0 and
     * records {@link #ESR_ILLEGAL_REGISTER}.
     */
    public int read(int offset) {
        boolean wake = false;
        int value;
        synchronized (lock) {
            switch (offset) {
                case ID: value = id << 24; break;
                case VERSION: value = VERSION_VALUE; break;
                case TPR: value = tpr; break;
                case APR: value = 0; break;
                case PPR: value = ppr; break;
                case EOI: value = 0; break;
                case RRD: value = 0; break;
                case LDR: value = ldr; break;
                case DFR: value = dfr; break;
                case SVR: value = svr; break;
                case ESR: value = esr; break;
                case LVT_CMCI: value = lvtCmci; break;
                case ICR_LOW: value = (int) icr; break;
                case ICR_HIGH: value = (int) (icr >>> 32); break;
                case LVT_TIMER: value = lvtTimer; break;
                case LVT_THERMAL: value = lvtThermal; break;
                case LVT_PERF: value = lvtPerf; break;
                case LVT_LINT0: value = lvtLint0; break;
                case LVT_LINT1: value = lvtLint1; break;
                case LVT_ERROR: value = lvtError; break;
                case TIMER_INITIAL_COUNT: value = (int) timerInitial; break;
                case TIMER_CURRENT_COUNT: value = (int) currentCountLocked(board.nanoTime()); break;
                case TIMER_DIVIDE: value = divideConfig; break;
                default:
                    if (offset >= ISR_BASE && offset < IRR_BASE + 0x80 && (offset & 0xf) == 0) {
                        int chunk = (offset - ISR_BASE) >>> 4;     // 0-7 ISR, 8-15 TMR, 16-23 IRR
                        int i = chunk & 7;
                        long word;
                        if (chunk < 8) {
                            word = isr[i >>> 1];
                        } else if (chunk < 16) {
                            word = (long) TMR_WORD.getVolatile(tmr, i >>> 1);
                        } else {
                            word = (long) IRR_WORD.getVolatile(irr, i >>> 1);
                        }
                        value = (int) (word >>> ((i & 1) * 32));
                    } else {
                        value = 0;
                        wake = errorLocked(ESR_ILLEGAL_REGISTER);
                    }
            }
        }
        if (wake) {
            board.signal(id);
        }
        return value;
    }

    /**
     * Writes an xAPIC register by its MMIO offset. Read-only registers ignore writes; a reserved offset records
     * {@link #ESR_ILLEGAL_REGISTER}. Writing {@link #EOI} is {@link #eoi()}; {@link #ICR_LOW} sends with the stored
     * {@link #ICR_HIGH} destination; {@link #ESR} latches the errors; {@link #TIMER_INITIAL_COUNT} (re)starts the
     * timer. While the APIC is software-disabled every LVT write keeps the mask bit set; while it is globally
     * disabled every write is ignored.
     */
    public void write(int offset, int value) {
        if (!globallyEnabled) {
            return;                                     // the register page is not decoded (section 10.4.3)
        }
        if (offset == EOI) {
            eoi();
            return;
        }
        if (offset == ICR_LOW) {
            long v = (icr & 0xffff_ffff_0000_0000L) | (value & 0xffff_ffffL);
            writeIcr(v);
            return;
        }
        boolean wake = false;
        synchronized (lock) {
            boolean disabled = (svr & SVR_APIC_ENABLED) == 0;
            int forceMask = disabled ? LVT_MASKED : 0;
            switch (offset) {
                case ID:
                case VERSION:
                case APR:
                case PPR:
                case RRD:
                case TIMER_CURRENT_COUNT:
                    return;                             // read-only
                case TPR:
                    tpr = value & 0xff;
                    updatePprLocked();
                    wake = deliverableLocked() >= 0;
                    break;
                case LDR:
                    ldr = value & 0xff00_0000;
                    break;
                case DFR:
                    dfr = value | 0x0fff_ffff;
                    break;
                case SVR: {
                    // Bits 7:0 vector, 8 enable; focus (9) and EOI-broadcast suppression (12) are not modelled.
                    svr = value & 0x1ff;
                    if ((svr & SVR_APIC_ENABLED) == 0) {
                        lvtTimer |= LVT_MASKED;
                        lvtThermal |= LVT_MASKED;
                        lvtPerf |= LVT_MASKED;
                        lvtLint0 |= LVT_MASKED;
                        lvtLint1 |= LVT_MASKED;
                        lvtError |= LVT_MASKED;
                        lvtCmci |= LVT_MASKED;
                    }
                    break;
                }
                case ESR:
                    esr = pendingErrors;
                    pendingErrors = 0;
                    break;
                case ICR_HIGH:
                    icr = (icr & 0xffff_ffffL) | ((long) value & 0xff00_0000L) << 32;
                    break;
                case LVT_TIMER: {
                    int mode = lvtTimer & LVT_TIMER_MODE;
                    lvtTimer = (value & (LVT_VECTOR | LVT_MASKED | LVT_TIMER_MODE)) | forceMask;
                    int now = lvtTimer & LVT_TIMER_MODE;
                    if (now != mode && (now == LVT_TIMER_TSC_DEADLINE || mode == LVT_TIMER_TSC_DEADLINE)) {
                        loadTimerLocked(0);             // switching to or from TSC-deadline mode stops the timer
                    }
                    break;
                }
                case LVT_THERMAL:
                    lvtThermal = (value & (LVT_VECTOR | 7 << 8 | LVT_MASKED)) | forceMask;
                    break;
                case LVT_PERF:
                    lvtPerf = (value & (LVT_VECTOR | 7 << 8 | LVT_MASKED)) | forceMask;
                    break;
                case LVT_CMCI:
                    lvtCmci = (value & (LVT_VECTOR | 7 << 8 | LVT_MASKED)) | forceMask;
                    break;
                case LVT_LINT0:
                case LVT_LINT1: {
                    int v = (value & (LVT_VECTOR | 7 << 8 | LVT_ACTIVE_LOW | LVT_LEVEL | LVT_MASKED)) | forceMask;
                    if (offset == LVT_LINT0) {
                        lvtLint0 = v;
                    } else {
                        lvtLint1 = v;
                    }
                    boolean before = extIntHint;
                    refreshExtIntLocked();
                    wake = extIntHint && !before;      // an unmasked ExtINT with the pin already asserted
                    break;
                }
                case LVT_ERROR:
                    lvtError = (value & (LVT_VECTOR | LVT_MASKED)) | forceMask;
                    break;
                case TIMER_INITIAL_COUNT:
                    loadTimerLocked(value & 0xffff_ffffL);
                    break;
                case TIMER_DIVIDE:
                    divideConfig = value & 0b1011;
                    break;
                default:
                    wake = errorLocked(ESR_ILLEGAL_REGISTER);
            }
        }
        if (wake) {
            board.signal(id);
        }
    }

    // ---------------------------------------------------------------------------------------------- state views

    /** IRR bit {@code vector}: requested, not yet acknowledged. */
    public boolean isRequested(int vector) {
        IrqVectors.checkVector(vector);
        return ((long) IRR_WORD.getVolatile(irr, vector >>> 6) & 1L << (vector & 63)) != 0;
    }

    /** ISR bit {@code vector}: acknowledged, no EOI yet. */
    public boolean isInService(int vector) {
        IrqVectors.checkVector(vector);
        synchronized (lock) {
            return (isr[vector >>> 6] & 1L << (vector & 63)) != 0;
        }
    }

    /** TMR bit {@code vector}: last accepted level-triggered (its EOI is broadcast). */
    public boolean isLevelTriggered(int vector) {
        IrqVectors.checkVector(vector);
        return ((long) TMR_WORD.getVolatile(tmr, vector >>> 6) & 1L << (vector & 63)) != 0;
    }

    /** The highest requested vector, or -1. */
    public int highestRequested() {
        synchronized (lock) {
            return highestIrrLocked();
        }
    }

    /** The highest in-service vector, or -1. */
    public int highestInService() {
        synchronized (lock) {
            return highest(isr);
        }
    }

    /** A snapshot of IRR, ISR or TMR as a BitSet of vectors. */
    public BitSet requested() {
        synchronized (lock) {
            long[] w = new long[4];
            for (int i = 0; i < 4; i++) {
                w[i] = (long) IRR_WORD.getVolatile(irr, i);
            }
            return BitSet.valueOf(w);
        }
    }

    public BitSet inService() {
        synchronized (lock) {
            return BitSet.valueOf(isr.clone());
        }
    }

    /** Errors recorded (ESR events), whether or not software read the ESR. */
    public long errorCount() {
        synchronized (lock) {
            return errorCount;
        }
    }

    /** EOI writes with nothing in service, ignored. */
    public long ignoredEois() {
        synchronized (lock) {
            return ignoredEois;
        }
    }

    /** Fixed, ExtINT or LINT messages not accepted because this APIC was disabled (or the mode not modelled). */
    public long droppedWhileDisabled() {
        synchronized (lock) {
            return droppedWhileDisabled;
        }
    }

    /** IPIs this APIC dropped: no such destination, an unmodelled mode or an invalid combination. */
    public long undeliverableIpis() {
        synchronized (lock) {
            return undeliverableIpis;
        }
    }

    // ---------------------------------------------------------------------------------------------- internals

    // Lock held.
    private void updatePprLocked() {
        int isrv = highest(isr);
        int isrvClass = isrv < 0 ? 0 : isrv & 0xf0;
        ppr = (tpr & 0xf0) >= isrvClass ? tpr : isrvClass;
    }

    // Lock held. The highest IRR vector whose class is above the PPR's, or -1.
    private int deliverableLocked() {
        int v = highestIrrLocked();
        return v >= 0 && (v & 0xf0) > (ppr & 0xf0) ? v : -1;
    }

    private int highestIrrLocked() {
        for (int w = 3; w >= 0; w--) {
            long bits = (long) IRR_WORD.getVolatile(irr, w);
            if (bits != 0) {
                return (w << 6) + 63 - Long.numberOfLeadingZeros(bits);
            }
        }
        return -1;
    }

    private static int highest(long[] words) {
        for (int w = 3; w >= 0; w--) {
            if (words[w] != 0) {
                return (w << 6) + 63 - Long.numberOfLeadingZeros(words[w]);
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return "LocalApic[id " + id + " tpr=0x" + Integer.toHexString(tpr) + " ppr=0x" + Integer.toHexString(ppr)
                + " svr=0x" + Integer.toHexString(svr) + "]";
    }
}
