/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntPredicate;

/**
 * The per-CPU vector allocator and the per-CPU {@code vector_irq} tables (kernel: kernel/irq/matrix.c and
 * arch/x86/kernel/apic/vector.c). On x86 an interrupt is a (CPU, vector) pair: the IO-APIC entry or MSI message
 * names one CPU and one of its 256 vectors, and that CPU's {@code vector_irq[vector]} gives do_IRQ the descriptor.
 * {@code D} is the descriptor type of the layer above (genirq's IrqDesc); this class never looks into it.
 *
 * <h2>How the kernel allocates (described from matrix.c, vector.c)</h2>
 * <ul>
 *   <li>Every CPU has the same vector space; device vectors come from [FIRST_EXTERNAL_VECTOR 0x20,
 *       FIRST_SYSTEM_VECTOR 0xec). System vectors (the APIC timer, IPIs, error, spurious: 0xec-0xff) lie above that
 *       range; the ones inside it, IA32_SYSCALL_VECTOR (0x80) and, with a legacy PIC, the cascade's
 *       ISA_IRQ_VECTOR(2) (0x32), are reserved on every CPU at boot and never handed out.</li>
 *   <li>An allocation for an allowed CPU set picks the online CPU of the set with the most available vectors
 *       (ties to the lowest-numbered CPU), then takes the lowest free vector of that CPU (first fit). So
 *       allocations spread over CPUs, not over priority classes: the pre-4.15 allocator
 *       ({@code __assign_irq_vector}) stepped through vectors 16 apart to spread classes; the matrix allocator does
 *       not, and neither does this one.</li>
 *   <li>The legacy PIC's IRQs 0-15 (but 2) start with ISA_IRQ_VECTOR(irq) preallocated on the boot CPU, and their
 *       descriptors are installed in every CPU's table (the PIC's platform may deliver to any CPU). Deviation: the
 *       kernel accounts the vector on the boot CPU only; here it is taken on every CPU, so that a device allocation
 *       on another CPU can never land on a slot the legacy descriptor occupies.</li>
 *   <li>Changing affinity: if the current CPU is online and allowed, nothing changes. If a move is already in
 *       progress, or its cleanup has not run, the change is refused (-EBUSY; genirq retries later). Otherwise a
 *       new vector is allocated on the best allowed CPU and installed there, and the old one stays installed: the
 *       device may still send on it until the chip is reprogrammed ("move in progress").</li>
 *   <li>The first interrupt that arrives on the new (CPU, vector) ends the move ({@code irq_complete_move}, from
 *       the chip's ack): the old vector is queued for cleanup on the old CPU. The cleanup runs on the old CPU and
 *       frees the old vector only if it is not still requested in that CPU's local APIC IRR (else it retries
 *       later). If the old CPU is offline the old vector is freed at once.</li>
 *   <li>Freeing (deactivation) marks the slots {@code SHUTDOWN}: one late interrupt on them is swallowed silently
 *       (the slot then becomes {@code UNUSED}); an interrupt on an UNUSED slot is do_IRQ's "No irq handler for
 *       vector" case.</li>
 * </ul>
 * Not modelled: managed interrupts (reserved per CPU at allocation), reservation mode (a global reservation that
 * becomes a vector at activation), contiguous multi-MSI allocation.
 *
 * <h2>Slot states of {@code vector_irq[cpu][vector]}</h2>
 * <pre>
 *   UNUSED    null        -&gt; ASSIGNED   allocate / setAffinity installs a descriptor
 *   ASSIGNED  descriptor  -&gt; SHUTDOWN   free (deactivation)
 *                         -&gt; UNUSED     the old vector of a completed move is cleaned up
 *   SHUTDOWN  sentinel    -&gt; UNUSED     do_IRQ swallows one late interrupt ({@link #unhandled}), or CPU online
 *                         -&gt; ASSIGNED  reused by an allocation
 * </pre>
 *
 * <h2>Per-interrupt move states ({@link Assignment}; kernel: apic_chip_data)</h2>
 * <pre>
 *   SETTLED        -&gt; MOVING        setAffinity to a set without the current CPU (new vector allocated)
 *   MOVING         -&gt; CLEANUP       completeMove: the first interrupt arrived on the new (cpu, vector)
 *   CLEANUP        -&gt; SETTLED       cleanup on the old CPU found the old vector no longer requested; freed
 *   MOVING/CLEANUP -&gt; SETTLED       the old CPU is offline: freed at once
 *   any            -&gt; FREED         free
 *   setAffinity while MOVING or CLEANUP returns false (-EBUSY)
 * </pre>
 *
 * <h2>Thread safety</h2>
 * One lock (the kernel's {@code vector_lock}) serialises allocation, moves and cleanup. The tables are read
 * lock-free by do_IRQ ({@link #descriptor}: an acquire read that pairs with the release store that installs a
 * slot), and {@link Assignment#moveInProgress()} can be polled lock-free by the ack path as the kernel does.
 */
public final class VectorMatrix<D> {
    /* Implementation notes
     *
     * Accounting follows matrix.c: available[cpu] = size of the allocation range - system vectors inside it -
     * vectors allocated on the CPU; globalAvailable sums it over online CPUs. Legacy vectors are assigned like
     * irq_matrix_assign (allocated, no longer available) on CPU 0.
     *
     * The tables are Object[][] so that one sentinel object can mark SHUTDOWN; every slot store is a release and
     * every do_IRQ read an acquire, so a handler that finds a descriptor sees it fully built.
     */

    /** One interrupt's vector assignment (kernel: apic_chip_data): where it is, and where it was while moving. */
    public static final class Assignment<D> {
        private final D desc;                     // I
        private final boolean legacy;             // I
        private volatile int cpu;                 // L(matrix lock) writes; volatile: read by the ack path
        private volatile int vector;              // L(matrix lock) writes
        private volatile int prevCpu = -1;        // L(matrix lock) writes
        private volatile int prevVector;          // L(matrix lock) writes; 0 = none
        private volatile boolean moveInProgress;  // L(matrix lock) writes
        private volatile boolean cleanupPending;  // L(matrix lock) writes
        private volatile boolean freed;           // L(matrix lock) writes

        Assignment(D desc, int cpu, int vector, boolean legacy) {
            this.desc = desc;
            this.cpu = cpu;
            this.vector = vector;
            this.legacy = legacy;
        }

        public D descriptor() {
            return desc;
        }

        /** The CPU (APIC ID) the chip must target, or -1 after free. */
        public int cpu() {
            return cpu;
        }

        /** The vector the chip must send, or 0 after free. */
        public int vector() {
            return vector;
        }

        /** The CPU of the vector being moved away from, or -1. */
        public int prevCpu() {
            return prevCpu;
        }

        /** The vector being moved away from (still installed on {@link #prevCpu()}), or 0. */
        public int prevVector() {
            return prevVector;
        }

        /** Moved, but no interrupt has arrived on the new (cpu, vector) yet. Lock-free read. */
        public boolean moveInProgress() {
            return moveInProgress;
        }

        /** The old vector waits for its cleanup on {@link #prevCpu()}. */
        public boolean cleanupPending() {
            return cleanupPending;
        }

        /** A legacy PIC interrupt: ISA_IRQ_VECTOR(irq) on CPU 0, installed on every CPU, not movable. */
        public boolean isLegacy() {
            return legacy;
        }

        public boolean isFreed() {
            return freed;
        }

        @Override
        public String toString() {
            return "Assignment[cpu " + cpu + " vector 0x" + Integer.toHexString(vector)
                    + (prevVector != 0 ? " prev cpu " + prevCpu + " vector 0x" + Integer.toHexString(prevVector) : "")
                    + (moveInProgress ? " moving" : "") + (cleanupPending ? " cleanup" : "") + (freed ? " freed" : "")
                    + "]";
        }
    }

    /** The state of one {@code vector_irq} slot. */
    public enum Slot {
        /** No descriptor: an interrupt here is do_IRQ's "No irq handler for vector". */
        UNUSED,
        /** A freed vector: one late interrupt is swallowed silently. */
        SHUTDOWN,
        /** A descriptor is installed. */
        ASSIGNED,
        /** A system vector (handled by its own IDT entry, never looked up here). */
        SYSTEM
    }

    private static final Object SHUTDOWN = new Object() {
        @Override
        public String toString() {
            return "VECTOR_SHUTDOWN";
        }
    };
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);

    private static final int START = IrqVectors.FIRST_EXTERNAL_VECTOR;
    private static final int END = IrqVectors.FIRST_SYSTEM_VECTOR;

    private final int cpus;                               // I
    private final Object lock = new Object();             // I: the kernel's vector_lock
    private final long[] system = new long[4];            // L(lock)
    private final long[][] allocMap;                      // L(lock)
    private final int[] available;                        // L(lock)
    private final int[] allocated;                        // L(lock)
    private final boolean[] online;                       // L(lock)
    private int globalAvailable;                          // L(lock)
    private final Object[][] table;                       // A: through SLOT (release stores, acquire loads)
    private final List<List<Assignment<D>>> cleanup;      // L(lock): per CPU, moves whose old vector awaits cleanup
    @SuppressWarnings({"unchecked", "rawtypes"})
    private final Assignment<D>[] legacyIrqs = new Assignment[IrqVectors.NR_IRQS_LEGACY];   // L(lock)
    private final AtomicLongArray unhandledHits;          // A: per (cpu, vector)

    /**
     * A matrix for {@code cpus} CPUs, all online, with the system vectors reserved: every vector from
     * FIRST_SYSTEM_VECTOR up, IA32_SYSCALL_VECTOR, and, if {@code legacyPic}, the cascade's ISA_IRQ_VECTOR(2).
     */
    public VectorMatrix(int cpus, boolean legacyPic) {
        if (cpus < 1 || cpus > X86Chips.MAX_CPUS) {
            throw new IllegalArgumentException("cpus must be 1.." + X86Chips.MAX_CPUS + ": " + cpus);
        }
        this.cpus = cpus;
        allocMap = new long[cpus][4];
        available = new int[cpus];
        allocated = new int[cpus];
        online = new boolean[cpus];
        table = new Object[cpus][IrqVectors.NR_VECTORS];
        cleanup = new ArrayList<>(cpus);
        for (int c = 0; c < cpus; c++) {
            cleanup.add(new ArrayList<>());
        }
        unhandledHits = new AtomicLongArray(cpus * IrqVectors.NR_VECTORS);
        synchronized (lock) {
            for (int v = IrqVectors.FIRST_SYSTEM_VECTOR; v < IrqVectors.NR_VECTORS; v++) {
                setBit(system, v);
            }
            setBit(system, IrqVectors.IA32_SYSCALL_VECTOR);
            if (legacyPic) {
                setBit(system, IrqVectors.isaIrqVector(I8259Pair.CASCADE_IRQ));
            }
            int inRange = 0;
            for (int v = START; v < END; v++) {
                if (bit(system, v)) {
                    inRange++;
                }
            }
            for (int c = 0; c < cpus; c++) {
                available[c] = END - START - inRange;
                online[c] = true;
                globalAvailable += available[c];
            }
        }
    }

    public int cpuCount() {
        return cpus;
    }

    // ---------------------------------------------------------------------------------------------- allocation

    /**
     * Allocates a vector for {@code desc} on the allowed online CPU with the most available vectors (ties to the
     * lowest CPU), first fit from FIRST_EXTERNAL_VECTOR, and installs {@code desc} in that CPU's table (kernel:
     * assign_irq_vector / irq_matrix_alloc / apic_update_vector).
     *
     * @throws IllegalArgumentException -EINVAL: {@code allowed} names no online CPU of this matrix
     * @throws IllegalStateException    -ENOSPC: none of them has a free vector
     */
    public Assignment<D> allocate(D desc, BitSet allowed) {
        Objects.requireNonNull(desc, "desc");
        Objects.requireNonNull(allowed, "allowed");
        synchronized (lock) {
            int cpu = bestCpuLocked(allowed);
            int vector = allocLocked(cpu, allowed);
            Assignment<D> a = new Assignment<>(desc, cpu, vector, false);
            install(cpu, vector, desc);
            return a;
        }
    }

    /**
     * Assigns ISA IRQ {@code isaIrq}'s legacy vector, ISA_IRQ_VECTOR(irq) (kernel: irq_matrix_assign in
     * lapic_assign_system_vectors), taking it on every CPU, and installs {@code desc} for that vector on every online
     * CPU, as lapic_online does for interrupts the 8259A delivers. The assignment's CPU is 0.
     *
     * @throws IllegalArgumentException for IRQ 2 (the cascade) or an IRQ outside 0-15
     * @throws IllegalStateException    if the vector is already taken on some CPU, or the IRQ already has one
     */
    public Assignment<D> assignLegacy(int isaIrq, D desc) {
        I8259Pair.checkDeviceIrq(isaIrq);
        Objects.requireNonNull(desc, "desc");
        int vector = IrqVectors.isaIrqVector(isaIrq);
        synchronized (lock) {
            if (legacyIrqs[isaIrq] != null) {
                throw new IllegalStateException("-EBUSY: ISA IRQ " + isaIrq + " already has its legacy vector");
            }
            for (int c = 0; c < cpus; c++) {
                if (bit(allocMap[c], vector) || bit(system, vector)) {
                    throw new IllegalStateException("-EBUSY: vector 0x" + Integer.toHexString(vector)
                            + " is already taken on CPU " + c);
                }
            }
            for (int c = 0; c < cpus; c++) {
                setBit(allocMap[c], vector);
                allocated[c]++;
                available[c]--;
                if (online[c]) {
                    globalAvailable--;
                }
            }
            Assignment<D> a = new Assignment<>(desc, 0, vector, true);
            legacyIrqs[isaIrq] = a;
            for (int c = 0; c < cpus; c++) {
                if (online[c]) {
                    install(c, vector, desc);
                }
            }
            return a;
        }
    }

    /**
     * Moves {@code a} to a CPU of {@code allowed} (kernel: apic_set_affinity / assign_vector_locked). If its CPU is
     * online and allowed, nothing changes. Otherwise a new vector is allocated and installed on the best allowed
     * CPU and the old one stays installed (move in progress) until {@link #completeMove} and {@link #cleanup}; if
     * the old CPU is offline, the old vector is freed at once. The chip must then be reprogrammed with
     * {@code a.cpu()} and {@code a.vector()}.
     *
     * @return true if {@code a} now targets an allowed CPU (moved or already there); false for the kernel's
     *         -EBUSY: a move or its cleanup is still pending (retry after the next interrupt)
     * @throws IllegalArgumentException -EINVAL: {@code allowed} names no online CPU, or {@code a} is a legacy PIC
     *         interrupt (the 8259A has no affinity)
     * @throws IllegalStateException    -ENOSPC: no allowed CPU has a free vector; or {@code a} was freed
     */
    public boolean setAffinity(Assignment<D> a, BitSet allowed) {
        Objects.requireNonNull(allowed, "allowed");
        synchronized (lock) {
            checkLive(a);
            if (a.legacy) {
                throw new IllegalArgumentException("-EINVAL: a legacy PIC interrupt (vector 0x"
                        + Integer.toHexString(a.vector) + ") is delivered by the 8259A to CPU 0; it cannot move");
            }
            int cur = a.cpu;
            if (online[cur] && allowed.get(cur)) {
                return true;
            }
            if (a.moveInProgress || a.cleanupPending) {
                return false;
            }
            int cpu = bestCpuLocked(allowed);
            int vector = allocLocked(cpu, allowed);
            if (online[cur]) {
                a.prevCpu = cur;
                a.prevVector = a.vector;
                a.moveInProgress = true;
            } else {
                freeVectorLocked(cur, a.vector);
                SLOT.setRelease(table[cur], a.vector, null);
            }
            a.cpu = cpu;
            a.vector = vector;
            install(cpu, vector, a.desc);
            return true;
        }
    }

    /**
     * The ack path's {@code irq_complete_move}: an interrupt of {@code a} arrived on {@code cpu}, {@code vector}.
     * If that is the new target of a move in progress, the move ends and the old vector is queued for cleanup on
     * its CPU (or freed at once if that CPU is offline). Cheap when no move is in progress (a volatile read).
     *
     * @return the CPU that must now run {@link #cleanup} (the kernel arms a timer there), or -1
     */
    public int completeMove(Assignment<D> a, int cpu, int vector) {
        if (!a.moveInProgress) {
            return -1;
        }
        synchronized (lock) {
            if (!a.moveInProgress || a.freed || a.cpu != cpu || a.vector != vector) {
                return -1;
            }
            a.moveInProgress = false;
            int prev = a.prevCpu;
            if (!online[prev]) {
                freeMovedLocked(a);
                return -1;
            }
            a.cleanupPending = true;
            cleanup.get(prev).add(a);
            return prev;
        }
    }

    /**
     * The cleanup of moved vectors, run on {@code cpu} (kernel: vector_cleanup / the old IRQ_MOVE_CLEANUP_VECTOR
     * handler): frees each old vector of this CPU unless {@code stillRequested} says it is still pending in this
     * CPU's local APIC IRR (typically {@code lapic::isRequested}); those stay queued for a later run.
     *
     * @return the number of old vectors still waiting on {@code cpu}
     */
    public int cleanup(int cpu, IntPredicate stillRequested) {
        checkCpu(cpu);
        Objects.requireNonNull(stillRequested, "stillRequested");
        synchronized (lock) {
            List<Assignment<D>> list = cleanup.get(cpu);
            list.removeIf(a -> {
                if (stillRequested.test(a.prevVector)) {
                    return false;
                }
                freeMovedLocked(a);
                return true;
            });
            return list.size();
        }
    }

    /**
     * Frees {@code a}'s vector (and its old vector if a move is pending) (kernel: clear_irq_vector): the slots
     * become SHUTDOWN so a late interrupt is swallowed once. Idempotent.
     */
    public void free(Assignment<D> a) {
        synchronized (lock) {
            if (a.freed) {
                return;
            }
            a.freed = true;
            int v = a.vector;
            if (a.legacy) {
                for (int c = 0; c < cpus; c++) {
                    if (SLOT.getAcquire(table[c], v) == a.desc) {
                        SLOT.setRelease(table[c], v, SHUTDOWN);
                    }
                }
                legacyIrqs[v - IrqVectors.isaIrqVector(0)] = null;
                for (int c = 0; c < cpus; c++) {
                    freeVectorLocked(c, v);
                }
            } else {
                SLOT.setRelease(table[a.cpu], v, SHUTDOWN);
                freeVectorLocked(a.cpu, v);
            }
            if (a.prevVector != 0) {
                SLOT.setRelease(table[a.prevCpu], a.prevVector, SHUTDOWN);
                freeVectorLocked(a.prevCpu, a.prevVector);
                if (a.cleanupPending) {
                    cleanup.get(a.prevCpu).remove(a);
                }
            }
            a.prevVector = 0;
            a.prevCpu = -1;
            a.moveInProgress = false;
            a.cleanupPending = false;
            a.vector = 0;
            a.cpu = -1;
        }
    }

    // ---------------------------------------------------------------------------------------------- hotplug

    /**
     * Brings a CPU's matrix online or offline (kernel: irq_matrix_online/offline, lapic_online). Coming online
     * clears the CPU's table except the legacy PIC vectors, which are installed again. Interrupts still targeting an
     * offline CPU must be moved by the caller (setAffinity then frees their old vector at once).
     */
    public void setOnline(int cpu, boolean up) {
        checkCpu(cpu);
        synchronized (lock) {
            if (online[cpu] == up) {
                return;
            }
            online[cpu] = up;
            globalAvailable += up ? available[cpu] : -available[cpu];
            if (up) {
                for (int v = 0; v < IrqVectors.NR_VECTORS; v++) {
                    SLOT.setRelease(table[cpu], v, null);
                }
                for (Assignment<D> a : legacyIrqs) {
                    if (a != null) {
                        install(cpu, a.vector, a.desc);
                    }
                }
            }
        }
    }

    public boolean isOnline(int cpu) {
        checkCpu(cpu);
        synchronized (lock) {
            return online[cpu];
        }
    }

    // ---------------------------------------------------------------------------------------------- do_IRQ side

    /**
     * {@code vector_irq[cpu][vector]}: the descriptor do_IRQ dispatches to, or null (UNUSED or SHUTDOWN).
     * Lock-free (an acquire load).
     */
    @SuppressWarnings("unchecked")
    public D descriptor(int cpu, int vector) {
        Object o = SLOT.getAcquire(table[checkCpu(cpu)], IrqVectors.checkVector(vector));
        return o == SHUTDOWN ? null : (D) o;
    }

    /**
     * do_IRQ's path for a vector whose {@link #descriptor} was null, after it acked the local APIC. A SHUTDOWN slot
     * swallows this one late interrupt silently and becomes UNUSED (returns 0). An UNUSED slot is the kernel's "No
     * irq handler for vector": the hits on this (cpu, vector) are counted and returned, so the caller reports when
     * the result is 1 (once per vector).
     */
    public long unhandled(int cpu, int vector) {
        Object[] t = table[checkCpu(cpu)];
        IrqVectors.checkVector(vector);
        if (SLOT.getAcquire(t, vector) == SHUTDOWN && SLOT.compareAndSet(t, vector, SHUTDOWN, null)) {
            return 0;
        }
        return unhandledHits.incrementAndGet(cpu * IrqVectors.NR_VECTORS + vector);
    }

    /** The state of {@code vector_irq[cpu][vector]}. */
    public Slot slot(int cpu, int vector) {
        Object o = SLOT.getAcquire(table[checkCpu(cpu)], IrqVectors.checkVector(vector));
        if (o == SHUTDOWN) {
            return Slot.SHUTDOWN;
        }
        if (o != null) {
            return Slot.ASSIGNED;
        }
        synchronized (lock) {
            return bit(system, vector) ? Slot.SYSTEM : Slot.UNUSED;
        }
    }

    // ---------------------------------------------------------------------------------------------- accounting

    /** Vectors still free for devices on {@code cpu}. */
    public int available(int cpu) {
        checkCpu(cpu);
        synchronized (lock) {
            return available[cpu];
        }
    }

    /** Vectors allocated on {@code cpu} (including legacy vectors and old vectors awaiting cleanup). */
    public int allocated(int cpu) {
        checkCpu(cpu);
        synchronized (lock) {
            return allocated[cpu];
        }
    }

    /** Available vectors summed over online CPUs (irq_matrix_available). */
    public int globalAvailable() {
        synchronized (lock) {
            return globalAvailable;
        }
    }

    public boolean isAllocated(int cpu, int vector) {
        checkCpu(cpu);
        IrqVectors.checkVector(vector);
        synchronized (lock) {
            return bit(allocMap[cpu], vector);
        }
    }

    /** Whether {@code vector} is reserved as a system vector on every CPU. */
    public boolean isSystemVector(int vector) {
        IrqVectors.checkVector(vector);
        synchronized (lock) {
            return bit(system, vector);
        }
    }

    /**
     * Reserves {@code vector} as a system vector on every CPU (irq_matrix_assign_system, at boot).
     *
     * @throws IllegalStateException if some CPU already has it allocated
     */
    public void reserveSystemVector(int vector) {
        IrqVectors.checkVector(vector);
        synchronized (lock) {
            if (bit(system, vector)) {
                return;
            }
            for (int c = 0; c < cpus; c++) {
                if (bit(allocMap[c], vector)) {
                    throw new IllegalStateException("vector 0x" + Integer.toHexString(vector)
                            + " is allocated on CPU " + c + "; system vectors are reserved at boot, before devices");
                }
            }
            setBit(system, vector);
            if (vector >= START && vector < END) {
                for (int c = 0; c < cpus; c++) {
                    available[c]--;
                    if (online[c]) {
                        globalAvailable--;
                    }
                }
            }
        }
    }

    /** Moves waiting for their cleanup on {@code cpu}. */
    public int cleanupPending(int cpu) {
        checkCpu(cpu);
        synchronized (lock) {
            return cleanup.get(cpu).size();
        }
    }

    // ---------------------------------------------------------------------------------------------- internals

    // Lock held: matrix_find_best_cpu: the online allowed CPU with the most available vectors, ties to the lowest.
    private int bestCpuLocked(BitSet allowed) {
        int best = -1;
        int maxAvailable = 0;
        boolean anyOnline = false;
        for (int c = allowed.nextSetBit(0); c >= 0 && c < cpus; c = allowed.nextSetBit(c + 1)) {
            if (!online[c]) {
                continue;
            }
            anyOnline = true;
            if (available[c] > maxAvailable) {
                best = c;
                maxAvailable = available[c];
            }
        }
        if (!anyOnline) {
            throw new IllegalArgumentException("-EINVAL: the allowed CPUs " + allowed + " include no online CPU of "
                    + "this matrix (CPUs 0-" + (cpus - 1) + ")");
        }
        if (best < 0) {
            throw new IllegalStateException("-ENOSPC: no free vector on CPUs " + allowed);
        }
        return best;
    }

    // Lock held: matrix_alloc_area with one vector: the lowest vector free on cpu.
    private int allocLocked(int cpu, BitSet allowed) {
        long[] map = allocMap[cpu];
        for (int v = START; v < END; v++) {
            if (!bit(map, v) && !bit(system, v)) {
                setBit(map, v);
                allocated[cpu]++;
                available[cpu]--;
                if (online[cpu]) {
                    globalAvailable--;
                }
                return v;
            }
        }
        throw new IllegalStateException("-ENOSPC: no free vector on CPUs " + allowed);
    }

    private void freeVectorLocked(int cpu, int vector) {
        long[] map = allocMap[cpu];
        if (!bit(map, vector)) {
            return;
        }
        map[vector >>> 6] &= ~(1L << (vector & 63));
        allocated[cpu]--;
        available[cpu]++;
        if (online[cpu]) {
            globalAvailable++;
        }
    }

    // Lock held: free_moved_vector.
    private void freeMovedLocked(Assignment<D> a) {
        freeVectorLocked(a.prevCpu, a.prevVector);
        SLOT.setRelease(table[a.prevCpu], a.prevVector, null);
        a.prevVector = 0;
        a.prevCpu = -1;
        a.moveInProgress = false;
        a.cleanupPending = false;
    }

    private void install(int cpu, int vector, D desc) {
        Object o = SLOT.getAcquire(table[cpu], vector);
        if (o != null && o != SHUTDOWN) {
            throw new IllegalStateException("vector_irq[" + cpu + "][0x" + Integer.toHexString(vector)
                    + "] is already in use (the kernel's BUG_ON in apic_update_vector)");
        }
        SLOT.setRelease(table[cpu], vector, desc);     // pairs with getAcquire in descriptor()
    }

    private void checkLive(Assignment<D> a) {
        Objects.requireNonNull(a, "assignment");
        if (a.freed) {
            throw new IllegalStateException("the assignment was freed: " + a);
        }
    }

    private int checkCpu(int cpu) {
        if (cpu < 0 || cpu >= cpus) {
            throw new IllegalArgumentException("no such CPU: " + cpu + " (this matrix has CPUs 0-" + (cpus - 1) + ")");
        }
        return cpu;
    }

    private static boolean bit(long[] set, int i) {
        return (set[i >>> 6] & 1L << (i & 63)) != 0;
    }

    private static void setBit(long[] set, int i) {
        set[i >>> 6] |= 1L << (i & 63);
    }

    @Override
    public String toString() {
        return "VectorMatrix[" + cpus + " CPUs, " + globalAvailable() + " vectors available]";
    }
}
