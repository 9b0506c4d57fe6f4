/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.x86;

import static io.kdefer.x86.IrqVectors.CALL_FUNCTION_VECTOR;
import static io.kdefer.x86.IrqVectors.ERROR_APIC_VECTOR;
import static io.kdefer.x86.IrqVectors.LOCAL_TIMER_VECTOR;
import static io.kdefer.x86.IrqVectors.RESCHEDULE_VECTOR;
import static io.kdefer.x86.LocalApic.NO_INTERRUPT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The local APIC: vector states, priorities, EOI, IPIs and shorthands, SVR and global enable, ESR errors, LINT pins
 * and the timer, then randomized operations against a reference model. Deterministic except {@link Concurrency}.
 */
@DisplayName("local APIC")
class LocalApicTest {
    private final List<Integer> signals = new ArrayList<>();
    private final long[] now = {1_000_000L};

    private X86Chips board(int cpus) {
        return new X86Chips(cpus, signals::add, () -> -1, () -> now[0]);
    }

    /** Acknowledge and EOI, asserting the vector. */
    private static void take(LocalApic a, int vector) {
        assertEquals(vector, a.acknowledge(), "acknowledge on APIC " + a.id());
        a.eoi();
    }

    private static void assertIdle(LocalApic a) {
        assertEquals(NO_INTERRUPT, a.acknowledge(), "nothing deliverable on APIC " + a.id());
        assertEquals(-1, a.highestInService());
        assertEquals(0, a.processorPriority() & 0xf0);
    }

    @Nested
    @DisplayName("reset state and registers")
    class Registers {
        @Test
        @DisplayName("a new APIC is as Linux's setup_local_APIC leaves it")
        void linuxState() {
            X86Chips x = board(2);
            LocalApic a0 = x.localApic(0);
            LocalApic a1 = x.localApic(1);
            assertEquals(0x1ff, a0.read(LocalApic.SVR), "enabled, spurious vector 0xff");
            assertTrue(a0.isSoftwareEnabled());
            assertTrue(a0.isGloballyEnabled());
            assertEquals(IrqVectors.SPURIOUS_APIC_VECTOR, a0.spuriousVector());
            assertEquals(1 << 24, a1.read(LocalApic.ID));
            assertEquals(LocalApic.VERSION_VALUE, a0.read(LocalApic.VERSION));
            assertEquals(0, a0.taskPriority());
            assertEquals(LocalApic.LVT_MASKED | LOCAL_TIMER_VECTOR, a0.read(LocalApic.LVT_TIMER));
            assertEquals(LocalApic.LVT_MASKED | 7 << 8, a0.read(LocalApic.LVT_LINT0), "ExtINT, masked");
            assertEquals(4 << 8, a0.read(LocalApic.LVT_LINT1), "NMI on the boot CPU");
            assertEquals(LocalApic.LVT_MASKED | 4 << 8, a1.read(LocalApic.LVT_LINT1), "NMI masked on the others");
            assertEquals(ERROR_APIC_VECTOR, a0.read(LocalApic.LVT_ERROR));
            assertEquals(16, a0.timerDivide());
            assertEquals(Long.MAX_VALUE, a0.timerDeadline());
            assertIdle(a0);
            assertFalse(a0.mayBeSignalled());
        }

        @Test
        @DisplayName("IRR/ISR/TMR read through their eight 32-bit registers each")
        void bitmapRegisters() {
            X86Chips x = board(2);
            LocalApic a = x.localApic(0);
            x.localApic(1).sendIpi(0x41, 0);
            x.localApic(1).sendIpi(0xfd, 0);
            assertEquals(1 << 1, a.read(LocalApic.IRR_BASE + 0x20), "vector 0x41: register 2, bit 1");
            assertEquals(1 << 29, a.read(LocalApic.IRR_BASE + 0x70), "vector 0xfd: register 7, bit 29");
            assertEquals(0xfd, a.acknowledge());
            assertEquals(1 << 29, a.read(LocalApic.ISR_BASE + 0x70));
            assertEquals(0, a.read(LocalApic.IRR_BASE + 0x70));
            assertEquals(0, a.read(LocalApic.TMR_BASE + 0x70));
            BitSet irr = a.requested();
            assertEquals(1, irr.cardinality());
            assertTrue(irr.get(0x41));
            assertTrue(a.inService().get(0xfd));
            a.eoi();
            take(a, 0x41);
            assertIdle(a);
        }

        @Test
        @DisplayName("bad programming: a reserved register offset sets ESR 'illegal register address', counted")
        void illegalRegister() {
            X86Chips x = board(1);
            LocalApic a = x.localApic(0);
            assertEquals(0, a.read(0x040));
            a.write(0x3f0, 1);
            a.write(LocalApic.TPR + 4, 1);              // not 16-byte aligned
            assertEquals(3, a.errorCount());
            assertEquals(0, a.esr(), "the ESR shows errors only after a write to it");
            a.writeEsr();
            assertEquals(LocalApic.ESR_ILLEGAL_REGISTER, a.esr());
            a.writeEsr();
            assertEquals(0, a.esr(), "the write cleared the accumulation");
            assertEquals(ERROR_APIC_VECTOR, a.acknowledge(), "the error LVT raised the error vector");
            a.eoi();
        }

        @Test
        @DisplayName("read-only registers ignore writes")
        void readOnly() {
            X86Chips x = board(1);
            LocalApic a = x.localApic(0);
            a.write(LocalApic.ID, 5 << 24);
            a.write(LocalApic.VERSION, 0);
            a.write(LocalApic.PPR, 0x80);
            assertEquals(0, a.read(LocalApic.ID));
            assertEquals(LocalApic.VERSION_VALUE, a.read(LocalApic.VERSION));
            assertEquals(0, a.processorPriority());
            assertEquals(0, a.errorCount());
        }
    }

    @Nested
    @DisplayName("vector states, priorities and EOI")
    class Delivery {
        @Test
        @DisplayName("IDLE -> REQUESTED -> IN_SERVICE -> IDLE; acknowledge raises PPR to the vector's class")
        void cycle() {
            X86Chips x = board(2);
            LocalApic a = x.localApic(1);
            signals.clear();
            x.localApic(0).sendIpi(0x45, 1);
            assertEquals(List.of(1), signals);
            assertTrue(a.isRequested(0x45));
            assertTrue(a.isSignalled());
            assertTrue(a.mayBeSignalled());
            assertEquals(0x45, a.acknowledge());
            assertFalse(a.isRequested(0x45));
            assertTrue(a.isInService(0x45));
            assertEquals(0x40, a.processorPriority());
            a.eoi();
            assertFalse(a.isInService(0x45));
            assertIdle(a);
        }

        @Test
        @DisplayName("requests coalesce; a request while in service is delivered exactly once more after the EOI")
        void coalesce() {
            X86Chips x = board(2);
            LocalApic s = x.localApic(0);
            LocalApic a = x.localApic(1);
            signals.clear();
            s.sendIpi(0x50, 1);
            s.sendIpi(0x50, 1);
            assertEquals(List.of(1), signals, "the second IPI found the IRR bit set: no new signal");
            assertEquals(0x50, a.acknowledge());
            assertEquals(NO_INTERRUPT, a.acknowledge());
            s.sendIpi(0x50, 1);
            s.sendIpi(0x50, 1);
            assertFalse(a.isSignalled(), "same class as the one in service");
            signals.clear();
            a.eoi();
            assertEquals(List.of(1), signals, "the EOI makes the held request deliverable: signalled");
            take(a, 0x50);
            assertIdle(a);
        }

        @Test
        @DisplayName("priority: highest vector first; a higher class preempts; same or lower class waits")
        void classes() {
            X86Chips x = board(2);
            LocalApic s = x.localApic(0);
            LocalApic a = x.localApic(1);
            s.sendIpi(0x41, 1);
            s.sendIpi(0x52, 1);
            s.sendIpi(0x5a, 1);
            assertEquals(0x5a, a.acknowledge());
            assertEquals(0x50, a.processorPriority());
            assertFalse(a.isSignalled(), "0x52 is the same class, 0x41 lower");
            s.sendIpi(0x61, 1);
            assertEquals(0x61, a.acknowledge(), "class 6 preempts class 5");
            a.eoi();                                    // the highest in service: 0x61
            assertTrue(a.isInService(0x5a));
            assertFalse(a.isInService(0x61));
            a.eoi();
            take(a, 0x52);
            take(a, 0x41);
            assertIdle(a);
        }

        @Test
        @DisplayName("TPR: PPR = TPR while its class is at least the in-service class; classes <= PPR's wait")
        void taskPriority() {
            X86Chips x = board(2);
            LocalApic s = x.localApic(0);
            LocalApic a = x.localApic(1);
            a.setTaskPriority(0x57);
            assertEquals(0x57, a.processorPriority());
            s.sendIpi(0x5f, 1);
            assertFalse(a.isSignalled());
            assertEquals(NO_INTERRUPT, a.acknowledge());
            s.sendIpi(0x60, 1);
            assertEquals(0x60, a.acknowledge());
            assertEquals(0x60, a.processorPriority(), "ISRV class above the TPR class");
            a.eoi();
            assertEquals(0x57, a.processorPriority());
            signals.clear();
            a.setTaskPriority(0x20);
            assertEquals(List.of(1), signals, "lowering the TPR signals what it unblocked");
            take(a, 0x5f);
            a.setTaskPriority(0);
            assertIdle(a);
            assertThrows(IllegalArgumentException.class, () -> a.setTaskPriority(0x100));
        }

        @Test
        @DisplayName("bad programming: an EOI with nothing in service is ignored and counted")
        void eoiNothingInService() {
            X86Chips x = board(1);
            LocalApic a = x.localApic(0);
            a.eoi();
            a.write(LocalApic.EOI, 0);
            assertEquals(2, a.ignoredEois());
            assertIdle(a);
        }

        @Test
        @DisplayName("fault injection: a spurious INTA answers the SVR vector and sets no ISR bit")
        void spurious() {
            X86Chips x = board(2);
            LocalApic a = x.localApic(1);
            a.injectSpuriousAcknowledges(1);
            assertTrue(a.isSignalled());
            assertEquals(0xff, a.acknowledge());
            assertFalse(a.isInService(0xff));
            assertIdle(a);
            a.write(LocalApic.SVR, LocalApic.SVR_APIC_ENABLED | 0xef);
            a.injectSpuriousAcknowledges(1);
            assertEquals(0xef, a.acknowledge(), "the SVR's vector");
            assertEquals(0, a.ignoredEois());
            assertThrows(IllegalArgumentException.class, () -> a.injectSpuriousAcknowledges(-1));
        }
    }

    @Nested
    @DisplayName("IPIs through the ICR")
    class Ipis {
        @Test
        @DisplayName("shorthands: self, all including self, all excluding self")
        void shorthands() {
            X86Chips x = board(3);
            LocalApic a1 = x.localApic(1);
            signals.clear();
            a1.sendIpiSelf(IrqVectors.IRQ_WORK_VECTOR);
            assertEquals(List.of(1), signals);
            take(a1, IrqVectors.IRQ_WORK_VECTOR);
            signals.clear();
            a1.sendIpiAll(CALL_FUNCTION_VECTOR);
            assertEquals(List.of(0, 1, 2), signals);
            for (int c = 0; c < 3; c++) {
                take(x.localApic(c), CALL_FUNCTION_VECTOR);
            }
            signals.clear();
            a1.sendIpiAllButSelf(RESCHEDULE_VECTOR);
            assertEquals(List.of(0, 2), signals);
            take(x.localApic(0), RESCHEDULE_VECTOR);
            take(x.localApic(2), RESCHEDULE_VECTOR);
            assertIdle(a1);
            assertEquals((long) LocalApic.SHORTHAND_ALL_BUT_SELF << 18 | RESCHEDULE_VECTOR, a1.icr());
        }

        @Test
        @DisplayName("writeIcr: destination 0xff in physical mode is a broadcast; lowest priority picks the lowest TPR")
        void broadcastAndLowestPriority() {
            X86Chips x = board(3);
            LocalApic a0 = x.localApic(0);
            a0.writeIcr(0xffL << 56 | 0x70);
            for (int c = 0; c < 3; c++) {
                take(x.localApic(c), 0x70);
            }
            x.localApic(0).setTaskPriority(0x30);
            x.localApic(1).setTaskPriority(0x10);
            x.localApic(2).setTaskPriority(0x10);
            a0.writeIcr(0xffL << 56 | DeliveryMode.LOWEST_PRIORITY.encoding() << 8 | 0x71);
            assertTrue(x.localApic(1).isRequested(0x71), "lowest TPR class, ties to the lowest ID");
            assertFalse(x.localApic(2).isRequested(0x71));
            assertFalse(x.localApic(0).isRequested(0x71));
            take(x.localApic(1), 0x71);
            a0.writeIcr(2L << 56 | DeliveryMode.LOWEST_PRIORITY.encoding() << 8 | 0x72);
            assertTrue(x.localApic(2).isRequested(0x72), "one destination: lowest priority is that one");
            take(x.localApic(2), 0x72);
        }

        @Test
        @DisplayName("NMI IPIs set the target's NMI latch (vector ignored); takeNmi consumes it")
        void nmi() {
            X86Chips x = board(3);
            signals.clear();
            x.localApic(0).sendNmi(2);
            assertEquals(List.of(2), signals);
            assertTrue(x.localApic(2).nmiPending());
            assertFalse(x.localApic(2).isSignalled(), "an NMI is not INTR");
            x.localApic(0).sendNmi(2);
            assertTrue(x.localApic(2).takeNmi());
            assertFalse(x.localApic(2).takeNmi(), "NMIs coalesce: one latch");
            x.localApic(1).sendNmiAllButSelf();
            assertTrue(x.localApic(0).takeNmi());
            assertFalse(x.localApic(1).takeNmi());
            assertTrue(x.localApic(2).takeNmi());
        }

        @Test
        @DisplayName("bad programming: an illegal vector is not sent; the sender's ESR gets 'send illegal vector'")
        void sendIllegalVector() {
            X86Chips x = board(2);
            LocalApic a0 = x.localApic(0);
            signals.clear();
            a0.writeIcr(1L << 56 | 0x05);
            assertFalse(x.localApic(1).isRequested(0x05));
            assertEquals(0, x.localApic(1).errorCount());
            assertEquals(1, a0.errorCount());
            a0.writeEsr();
            assertEquals(LocalApic.ESR_SEND_ILLEGAL_VECTOR, a0.esr());
            assertEquals(List.of(0), signals, "the error interrupt signals the sender");
            take(a0, ERROR_APIC_VECTOR);
            a0.writeIcr(1L << 56 | 0x15);               // legal for the APIC (an exception vector for the CPU)
            assertTrue(x.localApic(1).isRequested(0x15));
            take(x.localApic(1), 0x15);
        }

        @Test
        @DisplayName("bad programming: no such destination, logical mode, INIT/SIPI/SMI, self+NMI: dropped, counted")
        void undeliverable() {
            X86Chips x = board(2);
            LocalApic a0 = x.localApic(0);
            a0.writeIcr(7L << 56 | 0x40);                                       // no CPU 7
            a0.writeIcr(1L << 56 | LocalApic.ICR_DEST_LOGICAL | 0x40);          // logical
            a0.writeIcr(1L << 56 | DeliveryMode.INIT.encoding() << 8);
            a0.writeIcr(1L << 56 | DeliveryMode.STARTUP.encoding() << 8 | 0x10);
            a0.writeIcr(1L << 56 | DeliveryMode.SMI.encoding() << 8);
            a0.writeIcr(1L << 56 | 3 << 8 | 0x40);                              // reserved mode
            a0.writeIcr((long) LocalApic.SHORTHAND_SELF << 18 | DeliveryMode.NMI.encoding() << 8);
            assertEquals(7, a0.undeliverableIpis());
            assertIdle(x.localApic(1));
            assertFalse(x.localApic(1).nmiPending());
            assertFalse(a0.nmiPending());
            assertEquals(0, a0.errorCount(), "xAPICs report no send accept error");
        }

        @Test
        @DisplayName("the typed senders reject what the kernel never sends, naming the rule")
        void typedRejects() {
            X86Chips x = board(2);
            LocalApic a0 = x.localApic(0);
            assertThrows(IllegalArgumentException.class, () -> a0.sendIpi(0x05, 1));
            assertThrows(IllegalArgumentException.class, () -> a0.sendIpi(0x1f, 1));
            assertThrows(IllegalArgumentException.class, () -> a0.sendIpi(0x100, 1));
            assertThrows(IllegalArgumentException.class, () -> a0.sendIpi(0x40, 2));
            assertThrows(IllegalArgumentException.class, () -> a0.sendIpi(0x40, 0xff));
            assertThrows(IllegalArgumentException.class, () -> a0.sendIpiSelf(0x0f));
            assertThrows(IllegalArgumentException.class, () -> a0.sendNmi(5));
            String msg = assertThrows(IllegalArgumentException.class, () -> a0.sendIpi(0x1f, 1)).getMessage();
            assertTrue(msg.contains("exception"), msg);
            assertEquals(0, a0.errorCount());
        }

        @Test
        @DisplayName("ICR_LOW's write sends with the destination stored in ICR_HIGH")
        void icrRegisters() {
            X86Chips x = board(2);
            LocalApic a0 = x.localApic(0);
            a0.write(LocalApic.ICR_HIGH, 1 << 24);
            a0.write(LocalApic.ICR_LOW, 0x66);
            assertTrue(x.localApic(1).isRequested(0x66));
            assertEquals(1 << 24, a0.read(LocalApic.ICR_HIGH));
            assertEquals(0x66, a0.read(LocalApic.ICR_LOW), "delivery status reads idle");
            take(x.localApic(1), 0x66);
        }
    }

    @Nested
    @DisplayName("software and global enable")
    class Enable {
        @Test
        @DisplayName("software-disabled: LVTs masked and stay masked, fixed messages dropped, held requests still"
                + " delivered, NMIs accepted, IPIs can still be sent")
        void softwareDisabled() {
            X86Chips x = board(2);
            LocalApic a = x.localApic(1);
            x.localApic(0).sendIpi(0x40, 1);
            a.setSoftwareEnabled(false);
            assertFalse(a.isSoftwareEnabled());
            assertTrue(a.isLvtMasked(LocalApic.LVT_ERROR));
            assertTrue(a.isLvtMasked(LocalApic.LVT_LINT1));
            a.write(LocalApic.LVT_ERROR, ERROR_APIC_VECTOR);
            assertTrue(a.isLvtMasked(LocalApic.LVT_ERROR), "the mask cannot be cleared while disabled");
            x.localApic(0).sendIpi(0x50, 1);
            assertEquals(1, a.droppedWhileDisabled());
            assertFalse(a.isRequested(0x50));
            take(a, 0x40);
            x.localApic(0).sendNmi(1);
            assertTrue(a.takeNmi());
            a.sendIpi(0x51, 0);
            take(x.localApic(0), 0x51);
            a.setSoftwareEnabled(true);
            assertTrue(a.isLvtMasked(LocalApic.LVT_ERROR), "re-enabling does not unmask");
            x.localApic(0).sendIpi(0x50, 1);
            take(a, 0x50);
        }

        @Test
        @DisplayName("globally disabled: power-up state, writes ignored, messages dropped, LINT0 = INTR, LINT1 = NMI")
        void globallyDisabled() {
            X86Chips x = board(2);
            LocalApic a = x.localApic(0);
            x.localApic(1).sendIpi(0x40, 0);
            a.setGlobalEnable(false);
            assertFalse(a.isGloballyEnabled());
            assertFalse(a.isRequested(0x40), "power-up state: IRR cleared");
            assertEquals(0xff, a.read(LocalApic.SVR), "software-disabled, vector 0xff");
            a.write(LocalApic.TPR, 0x30);
            assertEquals(0, a.taskPriority(), "no register page");
            x.localApic(1).sendIpi(0x40, 0);
            assertEquals(1, a.droppedWhileDisabled());
            a.sendIpi(0x41, 1);
            assertEquals(1, a.undeliverableIpis());
            assertFalse(x.localApic(1).isRequested(0x41));
            // LINT0 is the INTR pin: the 8259A's INTR goes straight to the core.
            x.pic().unmask(3);
            x.setIsaIrq(3, true);
            assertTrue(a.lintHigh(0));
            assertTrue(a.isSignalled());
            assertEquals(0x33, a.acknowledge(), "the 8259A answered the INTA");
            assertFalse(a.isSignalled());
            x.pic().eoi(3);
            assertEquals(NO_INTERRUPT, a.acknowledge());
            x.setNmiLine(true);
            assertTrue(a.takeNmi(), "LINT1 is the NMI pin");
            assertFalse(x.localApic(1).nmiPending(), "LINT1 masked on CPU 1");
            a.setGlobalEnable(true);
            assertFalse(a.isSoftwareEnabled(), "re-enabled as after reset: software-disabled");
            a.setSoftwareEnabled(true);
            x.localApic(1).sendIpi(0x42, 0);
            take(a, 0x42);
        }
    }

    @Nested
    @DisplayName("errors (ESR)")
    class Errors {
        @Test
        @DisplayName("bad programming: receiving an illegal vector sets 'receive illegal vector', no delivery")
        void receiveIllegal() {
            X86Chips x = board(2);
            LocalApic a = x.localApic(1);
            x.msi().write(Msi.address(1), 0x07);
            assertFalse(a.isRequested(0x07));
            assertEquals(1, a.errorCount());
            a.writeEsr();
            assertEquals(LocalApic.ESR_RECEIVE_ILLEGAL_VECTOR, a.esr());
            take(a, ERROR_APIC_VECTOR);
            a.write(LocalApic.LVT_ERROR, LocalApic.LVT_MASKED | ERROR_APIC_VECTOR);
            x.msi().write(Msi.address(1), 0x07);
            assertEquals(2, a.errorCount());
            assertIdle(a);
        }

        @Test
        @DisplayName("an error LVT with an illegal vector records the error but raises nothing")
        void illegalErrorVector() {
            X86Chips x = board(1);
            LocalApic a = x.localApic(0);
            a.write(LocalApic.LVT_ERROR, 0x03);
            a.read(0x050);
            a.writeEsr();
            assertEquals(LocalApic.ESR_ILLEGAL_REGISTER | LocalApic.ESR_RECEIVE_ILLEGAL_VECTOR, a.esr());
            assertIdle(a);
        }
    }

    @Nested
    @DisplayName("LINT0/LINT1")
    class Lint {
        @Test
        @DisplayName("virtual wire: LINT0 ExtINT takes the 8259A's vector, bypassing IRR, ISR and the TPR")
        void extInt() {
            X86Chips x = board(2);
            x.enableVirtualWire();
            LocalApic a = x.localApic(0);
            a.setTaskPriority(0xff);
            x.pic().unmask(6);
            signals.clear();
            x.setIsaIrq(6, true);
            assertTrue(signals.contains(0));
            assertTrue(a.isSignalled());
            assertTrue(a.mayBeSignalled());
            assertEquals(0x36, a.acknowledge());
            assertEquals(-1, a.highestInService(), "the local APIC keeps no ISR bit for ExtINT");
            assertTrue(x.pic().isInService(6));
            assertFalse(a.isSignalled(), "INTR fell at the 8259A's INTA");
            x.pic().eoi(6);
            x.setIsaIrq(6, false);
            assertEquals(NO_INTERRUPT, a.acknowledge());
            assertEquals(0, a.ignoredEois());
        }

        @Test
        @DisplayName("ExtINT is level-sensitive: unmasking LINT0 with INTR already high signals at once")
        void extIntUnmaskWhileHigh() {
            X86Chips x = board(1);
            x.pic().unmask(4);
            x.setIsaIrq(4, true);
            LocalApic a = x.localApic(0);
            assertFalse(a.isSignalled(), "LINT0 masked in IO-APIC mode");
            signals.clear();
            x.enableVirtualWire();
            assertEquals(List.of(0), signals);
            assertEquals(0x34, a.acknowledge());
            x.pic().eoi(4);
        }

        @Test
        @DisplayName("LINT1 NMI: the rising edge latches one NMI; holding the line gives no more")
        void lint1Nmi() {
            X86Chips x = board(2);
            signals.clear();
            x.setNmiLine(true);
            assertEquals(List.of(0), signals, "CPU 1's LINT1 is masked");
            assertTrue(x.localApic(0).takeNmi());
            x.setNmiLine(true);
            assertFalse(x.localApic(0).nmiPending());
            x.setNmiLine(false);
            x.setNmiLine(true);
            assertTrue(x.localApic(0).takeNmi());
        }

        @Test
        @DisplayName("LINT fixed mode and polarity: the asserting edge requests the vector; active low inverts")
        void fixedAndPolarity() {
            X86Chips x = board(2);
            LocalApic a = x.localApic(1);
            a.setLintEntry(1, DeliveryMode.FIXED, 0x48, false);
            a.setLint(1, true);
            take(a, 0x48);
            a.setLint(1, false);
            a.write(LocalApic.LVT_LINT1, LocalApic.LVT_ACTIVE_LOW | 0x49);
            a.setLint(1, true);
            assertIdle(a);
            a.setLint(1, false);
            take(a, 0x49);
            a.setLintEntry(1, DeliveryMode.NMI, 0, true);
            a.setLint(1, true);
            assertFalse(a.nmiPending(), "masked");
            assertThrows(IllegalArgumentException.class, () -> a.setLintEntry(2, DeliveryMode.NMI, 0, false));
            assertThrows(IllegalArgumentException.class, () -> a.setLintEntry(0, DeliveryMode.INIT, 0, false));
            assertThrows(IllegalArgumentException.class, () -> a.setLintEntry(0, DeliveryMode.FIXED, 0x10, false));
        }
    }

    @Nested
    @DisplayName("timer")
    class Timer {
        @Test
        @DisplayName("one-shot: expires after count x divisor ns, requests its vector, then stops")
        void oneShot() {
            X86Chips x = board(1);
            LocalApic a = x.localApic(0);
            a.setTimerEntry(LOCAL_TIMER_VECTOR, false, false);
            a.setTimerInitialCount(1000);
            assertEquals(now[0] + 16_000, a.timerDeadline(), "divide by 16: 16 ns per count");
            assertEquals(1000, a.timerCurrentCount());
            now[0] += 8_000;
            assertEquals(500, a.timerCurrentCount());
            assertFalse(a.expireTimer());
            now[0] += 8_000;
            signals.clear();
            assertTrue(a.expireTimer());
            assertEquals(List.of(0), signals);
            assertEquals(Long.MAX_VALUE, a.timerDeadline());
            assertEquals(0, a.timerCurrentCount());
            assertEquals(1000, a.timerInitialCount());
            take(a, LOCAL_TIMER_VECTOR);
            assertFalse(a.expireTimer());
        }

        @Test
        @DisplayName("periodic: re-arms at the next period boundary; missed periods coalesce into one request")
        void periodic() {
            X86Chips x = board(1);
            LocalApic a = x.localApic(0);
            a.setTimerDivide(1);
            a.setTimerEntry(LOCAL_TIMER_VECTOR, true, false);
            long start = now[0];
            a.startTimer(1_000_000);                    // a 1 ms tick
            assertEquals(start + 1_000_000, a.timerDeadline());
            now[0] = start + 1_000_000;
            assertTrue(a.expireTimer());
            assertEquals(start + 2_000_000, a.timerDeadline());
            take(a, LOCAL_TIMER_VECTOR);
            now[0] = start + 5_500_000;
            assertTrue(a.expireTimer());
            assertEquals(start + 6_000_000, a.timerDeadline());
            assertEquals(500_000, a.timerCurrentCount());
            take(a, LOCAL_TIMER_VECTOR);
            assertIdle(a);
            a.setTimerInitialCount(0);
            assertEquals(Long.MAX_VALUE, a.timerDeadline(), "an initial count of 0 stops the timer");
        }

        @Test
        @DisplayName("a masked timer counts and expires without a request; divide changes apply at the next load")
        void maskedAndDivide() {
            X86Chips x = board(1);
            LocalApic a = x.localApic(0);
            a.setTimerEntry(LOCAL_TIMER_VECTOR, false, true);
            a.setTimerInitialCount(10);
            a.setTimerDivide(128);
            assertEquals(now[0] + 160, a.timerDeadline(), "loaded at divide-by-16");
            now[0] += 160;
            assertTrue(a.expireTimer());
            assertIdle(a);
            a.setTimerInitialCount(10);
            assertEquals(now[0] + 1280, a.timerDeadline());
            assertEquals(128, a.timerDivide());
            assertEquals(0b1010, a.read(LocalApic.TIMER_DIVIDE));
        }

        @Test
        @DisplayName("TSC-deadline mode is not modelled: the timer never fires in it")
        void tscDeadline() {
            X86Chips x = board(1);
            LocalApic a = x.localApic(0);
            a.write(LocalApic.LVT_TIMER, LocalApic.LVT_TIMER_TSC_DEADLINE | LOCAL_TIMER_VECTOR);
            a.setTimerInitialCount(100);
            assertEquals(Long.MAX_VALUE, a.timerDeadline());
        }

        @Test
        @DisplayName("bad programming: a timer vector below 0x10 raises 'receive illegal vector' at expiry")
        void illegalTimerVector() {
            X86Chips x = board(1);
            LocalApic a = x.localApic(0);
            a.write(LocalApic.LVT_TIMER, 0x02);
            a.setTimerInitialCount(1);
            now[0] += 16;
            assertTrue(a.expireTimer());
            assertEquals(1, a.errorCount());
            take(a, ERROR_APIC_VECTOR);
            assertThrows(IllegalArgumentException.class, () -> a.setTimerEntry(0x02, false, false));
            assertThrows(IllegalArgumentException.class, () -> a.setTimerDivide(3));
            assertThrows(IllegalArgumentException.class, () -> a.setTimerInitialCount(-1));
            assertThrows(IllegalArgumentException.class, () -> a.setTimerInitialCount(1L << 32));
            assertThrows(IllegalArgumentException.class, () -> a.startTimer(0));
        }
    }

    // ---------------------------------------------------------------------------------------------- model test

    /**
     * Reference model of one local APIC (CPU 0 of a 2-CPU board) and three level-triggered IO-APIC pins that target
     * it: the plain definitions of the class comments, no bookkeeping.
     */
    static final class Model {
        final boolean[] irr = new boolean[256];
        final boolean[] isr = new boolean[256];
        final boolean[] tmr = new boolean[256];
        int tpr;
        boolean enabled = true;
        int pendingErrors;
        int esr;
        long errors;
        long ignoredEois;
        long dropped;
        int spuriousInjected;
        final boolean[] pinAsserted = new boolean[3];
        final boolean[] remoteIrr = new boolean[3];
        static final int[] PIN_VECTORS = {0x33, 0x58, 0x9c};

        static int highest(boolean[] bits) {
            for (int v = 255; v >= 0; v--) {
                if (bits[v]) {
                    return v;
                }
            }
            return -1;
        }

        int ppr() {
            int isrv = Math.max(0, highest(isr));
            return (tpr & 0xf0) >= (isrv & 0xf0) ? tpr : isrv & 0xf0;
        }

        int deliverable() {
            int v = highest(irr);
            return v >= 0 && (v & 0xf0) > (ppr() & 0xf0) ? v : -1;
        }

        boolean signalled() {
            return spuriousInjected > 0 || deliverable() >= 0;
        }

        void error(int bit) {
            pendingErrors |= bit;
            errors++;
            if (enabled) {
                accept(ERROR_APIC_VECTOR, false);
            }
        }

        /** A fixed message arrives. */
        void accept(int v, boolean level) {
            if (!enabled) {
                dropped++;
                return;
            }
            if (v < 16) {
                error(LocalApic.ESR_RECEIVE_ILLEGAL_VECTOR);
                return;
            }
            tmr[v] = level;
            irr[v] = true;
        }

        int acknowledge() {
            if (spuriousInjected > 0) {
                spuriousInjected--;
                return 0xff;
            }
            int v = deliverable();
            if (v < 0) {
                return NO_INTERRUPT;
            }
            irr[v] = false;
            isr[v] = true;
            return v;
        }

        void eoi() {
            int v = highest(isr);
            if (v < 0) {
                ignoredEois++;
                return;
            }
            isr[v] = false;
            if (tmr[v]) {
                for (int p = 0; p < 3; p++) {
                    if (PIN_VECTORS[p] == v && remoteIrr[p]) {
                        remoteIrr[p] = false;
                        service(p);
                    }
                }
            }
        }

        void service(int p) {
            if (pinAsserted[p] && !remoteIrr[p]) {
                if (enabled) {
                    remoteIrr[p] = true;
                }
                accept(PIN_VECTORS[p], true);
            }
        }

        void setEnabled(boolean on) {
            enabled = on;
        }
    }

    @Nested
    @DisplayName("randomized operations against a reference model")
    class RandomModel {
        private final int[] vectors = {0x05, 0x21, 0x2f, 0x31, 0x33, 0x45, 0x4a, 0x58, 0x9c, 0xec, 0xf6, 0xfd};
        private final int[] tprs = {0x00, 0x10, 0x2f, 0x45, 0x50, 0x9c, 0xef, 0xff};

        @Test
        @DisplayName("4 seeds x 6000 operations: IRR, ISR, TMR, PPR, INTR, acknowledges, remote IRRs, ESR and counters")
        void matchesModel() {
            for (long seed : new long[] {3, 11, 0xa91c, 20261123}) {
                run(seed, 6000);
            }
        }

        private void run(long seed, int steps) {
            Random rnd = new Random(seed);
            X86Chips x = board(2);
            LocalApic a = x.localApic(0);
            LocalApic sender = x.localApic(1);
            IoApic io = x.ioApic();
            for (int p = 0; p < 3; p++) {
                io.program(p + 3, Model.PIN_VECTORS[p], DeliveryMode.FIXED, 0, true, false, false);
            }
            Model m = new Model();
            for (int step = 0; step < steps; step++) {
                boolean before = m.signalled();
                signals.clear();
                String op = step(rnd, x, a, sender, io, m);
                String where = "seed " + seed + " step " + step + " after " + op;
                for (int v = 0; v < 256; v++) {
                    if (m.irr[v] != a.isRequested(v) || m.isr[v] != a.isInService(v)
                            || m.tmr[v] != a.isLevelTriggered(v)) {
                        int vv = v;
                        assertEquals(m.irr[v] + "/" + m.isr[v] + "/" + m.tmr[v],
                                a.isRequested(v) + "/" + a.isInService(v) + "/" + a.isLevelTriggered(v),
                                () -> "IRR/ISR/TMR of 0x" + Integer.toHexString(vv) + ", " + where);
                    }
                }
                assertEquals(m.ppr(), a.processorPriority(), () -> "PPR, " + where);
                assertEquals(m.signalled(), a.isSignalled(), () -> "INTR, " + where);
                assertEquals(m.errors, a.errorCount(), () -> "errors, " + where);
                assertEquals(m.ignoredEois, a.ignoredEois(), () -> "ignored EOIs, " + where);
                assertEquals(m.dropped, a.droppedWhileDisabled(), () -> "dropped while disabled, " + where);
                for (int p = 0; p < 3; p++) {
                    int pp = p;
                    assertEquals(m.remoteIrr[p], io.remoteIrr(p + 3), () -> "remote IRR of pin " + (pp + 3) + ", "
                            + where);
                }
                if (Model.highest(m.irr) >= 0) {
                    assertTrue(a.mayBeSignalled(), () -> "the hint must not miss a request, " + where);
                }
                if (m.signalled() && !before && m.spuriousInjected == 0) {
                    assertTrue(signals.contains(0), () -> "newly signalled but CPU 0 not signalled (" + signals
                            + "), " + where);
                }
            }
        }

        private String step(Random rnd, X86Chips x, LocalApic a, LocalApic sender, IoApic io, Model m) {
            int v = vectors[rnd.nextInt(vectors.length)];
            switch (rnd.nextInt(20)) {
                case 0:
                case 1:
                case 2:
                    sender.writeIcr(v);                  // fixed, physical, destination 0
                    if (v >= 16) {
                        m.accept(v, false);
                    }
                    drain(sender);                       // an illegal vector is the sender's error, not ours
                    return "IPI 0x" + Integer.toHexString(v);
                case 3:
                    a.writeIcr((long) LocalApic.SHORTHAND_SELF << 18 | v);
                    if (v < 16) {
                        m.error(LocalApic.ESR_SEND_ILLEGAL_VECTOR);
                    } else {
                        m.accept(v, false);
                    }
                    return "self IPI 0x" + Integer.toHexString(v);
                case 4:
                    x.msi().write(Msi.address(0), v | Msi.DATA_TRIGGER_LEVEL);
                    m.accept(v, true);
                    return "level MSI 0x" + Integer.toHexString(v);
                case 5:
                case 6: {
                    int p = rnd.nextInt(3);
                    boolean high = rnd.nextBoolean();
                    io.setPin(p + 3, high);
                    m.pinAsserted[p] = high;
                    if (high) {
                        m.service(p);
                    }
                    return "pin " + (p + 3) + " " + high;
                }
                case 7:
                case 8:
                case 9:
                case 10: {
                    int expected = m.acknowledge();
                    int got = a.acknowledge();
                    assertEquals(expected, got, "acknowledge");
                    return "acknowledge = " + got;
                }
                case 11:
                case 12:
                case 13:
                    a.eoi();
                    m.eoi();
                    return "EOI";
                case 14: {
                    int t = tprs[rnd.nextInt(tprs.length)];
                    a.setTaskPriority(t);
                    m.tpr = t;
                    return "TPR 0x" + Integer.toHexString(t);
                }
                case 15: {
                    boolean on = rnd.nextInt(4) != 0;
                    a.setSoftwareEnabled(on);
                    m.setEnabled(on);
                    if (on) {
                        a.write(LocalApic.LVT_ERROR, ERROR_APIC_VECTOR);   // unmask again, as Linux would
                    }
                    return "software enable " + on;
                }
                case 16:
                    if (rnd.nextInt(4) == 0) {
                        a.injectSpuriousAcknowledges(1);
                        m.spuriousInjected++;
                        return "inject spurious";
                    }
                    a.read(0x3f0);
                    m.error(LocalApic.ESR_ILLEGAL_REGISTER);
                    return "illegal register";
                case 17: {
                    a.writeEsr();
                    m.esr = m.pendingErrors;
                    m.pendingErrors = 0;
                    assertEquals(m.esr, a.esr(), "ESR");
                    return "ESR";
                }
                default: {
                    if (rnd.nextInt(3) == 0) {
                        x.msi().write(Msi.address(0), v);
                        m.accept(v, false);
                        return "edge MSI 0x" + Integer.toHexString(v);
                    }
                    sender.writeIcr(0xffL << 56 | v);   // broadcast: both CPUs (an illegal vector: neither)
                    if (v >= 16) {
                        m.accept(v, false);
                    }
                    drain(sender);
                    return "broadcast IPI 0x" + Integer.toHexString(v);
                }
            }
        }

        /** Keeps CPU 1 (the sender, not modelled) from accumulating requests. */
        private void drain(LocalApic b) {
            for (int i = 0; i < 300 && b.isSignalled(); i++) {
                b.acknowledge();
                b.eoi();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- threads

    @Nested
    @DisplayName("concurrency")
    class Concurrency {
        @Test
        @Timeout(value = 60, unit = TimeUnit.SECONDS)
        @DisplayName("concurrent senders to one CPU: every pending period began with a signal, nothing stays pending")
        void concurrentSenders() throws InterruptedException {
            AtomicLong wakeups = new AtomicLong();
            X86Chips x = new X86Chips(3, cpu -> {
                if (cpu == 0) {
                    wakeups.incrementAndGet();
                }
            }, () -> -1);
            LocalApic target = x.localApic(0);
            int sends = 20_000;
            CountDownLatch start = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(2);
            List<Thread> threads = new ArrayList<>();
            for (int t = 1; t <= 2; t++) {
                LocalApic s = x.localApic(t);
                Thread th = new Thread(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < sends; i++) {
                            s.sendIpi(RESCHEDULE_VECTOR, 0);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        done.countDown();
                    }
                }, "ipi-sender-" + t);
                th.setDaemon(true);
                threads.add(th);
                th.start();
            }
            start.countDown();
            long acks = 0;
            while (done.getCount() > 0) {
                int v = target.acknowledge();
                if (v == RESCHEDULE_VECTOR) {
                    acks++;
                    target.eoi();
                } else {
                    assertEquals(NO_INTERRUPT, v);
                }
            }
            for (Thread th : threads) {
                th.join();
            }
            if (target.acknowledge() == RESCHEDULE_VECTOR) {
                acks++;
                target.eoi();
            }
            assertEquals(NO_INTERRUPT, target.acknowledge(), "nothing left once the senders are done");
            assertTrue(acks >= 1 && acks <= 2L * sends, "acks " + acks);
            assertTrue(wakeups.get() >= acks, "every pending period began with a signal: " + wakeups + " < " + acks);
            assertEquals(0, target.ignoredEois());
            assertIdle(target);
        }
    }
}
