/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

/**
 * The x86 interrupt vector layout as Linux assigns it (kernel: arch/x86/include/asm/irq_vectors.h; values cited
 * as facts from torvalds/linux at commit 6cc0d5f4a9a51d71851099e115d0bbb49354ca4c).
 *
 * <pre>
 *   0x00-0x1f   CPU exceptions (0x02 NMI); 0x00-0x0f are also illegal on the APIC bus (ESR errors)
 *   0x20-0xeb   device vectors, handed out per CPU by the vector matrix ({@link VectorMatrix})
 *     0x30-0x3f   the ISA IRQs 0-15 while the 8259A delivers them (ISA_IRQ_VECTOR(irq))
 *     0x80        IA32_SYSCALL_VECTOR, reserved for the legacy int 0x80 entry
 *   0xec-0xff   system vectors: the local APIC timer, IPIs, errors, the spurious vector
 * </pre>
 * The APIC's priority class of a vector is {@code vector >> 4}: the system vectors sit in the highest classes, so an
 * IPI or the timer is taken before any device interrupt of a lower class.
 */
public final class IrqVectors {
    private IrqVectors() {
    }

    /** Number of vectors (IDT entries). */
    public static final int NR_VECTORS = 256;
    /** The NMI exception vector; also what Linux programs as the vector of an NMI-mode APIC message. */
    public static final int NMI_VECTOR = 0x02;
    /** The APIC rejects vectors below this one as illegal (Intel SDM vol. 3 section 10.5.2); not a kernel constant. */
    public static final int FIRST_LEGAL_APIC_VECTOR = 0x10;
    /** First vector usable by external interrupt sources; 0x00-0x1f are the CPU's exceptions. */
    public static final int FIRST_EXTERNAL_VECTOR = 0x20;
    /** The legacy {@code int 0x80} system call entry: never handed to a device. */
    public static final int IA32_SYSCALL_VECTOR = 0x80;

    public static final int SPURIOUS_APIC_VECTOR = 0xff;
    public static final int ERROR_APIC_VECTOR = 0xfe;
    public static final int RESCHEDULE_VECTOR = 0xfd;
    public static final int CALL_FUNCTION_VECTOR = 0xfc;
    public static final int CALL_FUNCTION_SINGLE_VECTOR = 0xfb;
    public static final int THERMAL_APIC_VECTOR = 0xfa;
    public static final int THRESHOLD_APIC_VECTOR = 0xf9;
    public static final int REBOOT_VECTOR = 0xf8;
    public static final int X86_PLATFORM_IPI_VECTOR = 0xf7;
    public static final int IRQ_WORK_VECTOR = 0xf6;
    public static final int DEFERRED_ERROR_VECTOR = 0xf4;
    public static final int HYPERVISOR_CALLBACK_VECTOR = 0xf3;
    public static final int POSTED_INTR_VECTOR = 0xf2;
    public static final int POSTED_INTR_WAKEUP_VECTOR = 0xf1;
    public static final int POSTED_INTR_NESTED_VECTOR = 0xf0;
    public static final int MANAGED_IRQ_SHUTDOWN_VECTOR = 0xef;
    public static final int HYPERV_REENLIGHTENMENT_VECTOR = 0xee;
    public static final int HYPERV_STIMER0_VECTOR = 0xed;
    /** The local APIC timer: the CPU's tick on x86. */
    public static final int LOCAL_TIMER_VECTOR = 0xec;
    /** Vectors from here up are system vectors, installed on every CPU; the matrix allocates below it. */
    public static final int FIRST_SYSTEM_VECTOR = LOCAL_TIMER_VECTOR;
    public static final int NR_EXTERNAL_VECTORS = FIRST_SYSTEM_VECTOR - FIRST_EXTERNAL_VECTOR;
    public static final int NR_SYSTEM_VECTORS = NR_VECTORS - FIRST_SYSTEM_VECTOR;

    /** Number of legacy (ISA) IRQs the 8259A pair serves. */
    public static final int NR_IRQS_LEGACY = 16;

    /**
     * ISA_IRQ_VECTOR(irq): the vector of ISA IRQ {@code irq} while the 8259A delivers it, the first 16-vector
     * boundary above FIRST_EXTERNAL_VECTOR plus the IRQ: 0x30 + irq.
     *
     * @throws IllegalArgumentException if {@code irq} is not 0-15
     */
    public static int isaIrqVector(int irq) {
        if (irq < 0 || irq >= NR_IRQS_LEGACY) {
            throw new IllegalArgumentException("ISA IRQ " + irq + " outside 0-15");
        }
        return ((FIRST_EXTERNAL_VECTOR + 16) & ~15) + irq;
    }

    /** The APIC priority class of a vector (0-15): {@code vector >> 4}. */
    public static int priorityClass(int vector) {
        return (vector & 0xff) >>> 4;
    }

    /** Whether {@code vector} is 0-255. */
    public static boolean exists(int vector) {
        return vector >= 0 && vector < NR_VECTORS;
    }

    static int checkVector(int vector) {
        if (!exists(vector)) {
            throw new IllegalArgumentException("vector " + vector + " outside 0-255 (vectors are 8-bit)");
        }
        return vector;
    }

    /**
     * Rejects a vector the kernel would never give a device or an IPI.
     *
     * @throws IllegalArgumentException for a vector outside 0x20-0xff, naming the rule
     */
    static int checkExternalVector(int vector) {
        checkVector(vector);
        if (vector < FIRST_LEGAL_APIC_VECTOR) {
            throw new IllegalArgumentException("-EINVAL: vector 0x" + Integer.toHexString(vector)
                    + " is illegal on the APIC bus (0x00-0x0f; the receiving APIC would report it in its ESR and drop"
                    + " it, Intel SDM vol. 3 section 10.5.2); external interrupts use 0x20-0xff"
                    + " (FIRST_EXTERNAL_VECTOR)");
        }
        if (vector < FIRST_EXTERNAL_VECTOR) {
            throw new IllegalArgumentException("-EINVAL: vector 0x" + Integer.toHexString(vector)
                    + " is one of the CPU's exception vectors (0x10-0x1f); external interrupts use 0x20-0xff"
                    + " (FIRST_EXTERNAL_VECTOR)");
        }
        return vector;
    }
}
