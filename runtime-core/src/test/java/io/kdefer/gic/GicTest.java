/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.gic;

import static io.kdefer.gic.InterruptState.ACTIVE;
import static io.kdefer.gic.InterruptState.ACTIVE_PENDING;
import static io.kdefer.gic.InterruptState.INACTIVE;
import static io.kdefer.gic.InterruptState.PENDING;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * Unit tests of the simulated GICv3 against spec §2 (B-GIC-1..23). Deterministic and single-threaded except
 * {@link Concurrency}. Every test is well-formed unless it says otherwise: after each test the distributor's
 * candidate bookkeeping must hold and no CPU interface may have ignored a completion (B-GIC-21).
 */
@DisplayName("GICv3 model (spec §2)")
class GicTest {
    private static final int SGI = 3;
    private static final int PPI = 20;
    private static final int SPI = 40;
    private static final int SPURIOUS = Gic.SPURIOUS;

    private final List<Gic> gics = new ArrayList<>();
    /** PEs passed to the irqLine consumer, in call order (single-threaded tests only). */
    private final List<Integer> signals = new ArrayList<>();
    private boolean ignoredCompletionsExpected;

    /** A GIC whose wake-ups are recorded in {@link #signals}; checked for well-formedness after the test. */
    private Gic gic(int cpus) {
        Gic g = new Gic(cpus, signals::add, () -> -1);
        gics.add(g);
        return g;
    }

    /** For the few tests that provoke ignored completions on purpose (they assert the exact count themselves). */
    private void expectIgnoredCompletions() {
        ignoredCompletionsExpected = true;
    }

    @AfterEach
    void wellFormed() {
        for (Gic g : gics) {
            assertTrue(g.invariantHolds(), "distributor candidate bookkeeping (B-GIC-18)");
            if (!ignoredCompletionsExpected) {
                for (int c = 0; c < g.cpuCount(); c++) {
                    assertEquals(0, g.cpuInterface(c).ignoredCompletions(),
                            "B-GIC-21: ignored completions on cpu/" + c);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- helpers

    /** Configures on every PE (banked) or globally (SPI), and enables. */
    private static void setUp(Gic g, int intid, Trigger t, int prio) {
        g.configure(intid, t, prio);
        g.enable(intid);
    }

    private static void assertState(Gic g, InterruptState expected, int intid, int cpu) {
        assertEquals(expected, g.state(intid, cpu), "state of INTID " + intid + " on cpu/" + cpu);
    }

    /** An SPI has one global state: every PE must report it. */
    private static void assertSpiState(Gic g, InterruptState expected, int spi) {
        for (int c = 0; c < g.cpuCount(); c++) {
            assertState(g, expected, spi, c);
        }
        assertTrue(g.invariantHolds(), "distributor candidate bookkeeping (B-GIC-18)");
    }

    /** Linux's EOImode=1 completion: priority drop, then deactivation. */
    private static void complete(CpuInterface ci, int intid) {
        ci.endOfInterrupt(intid);
        ci.deactivate(intid);
    }

    private static void assertIdle(CpuInterface ci) {
        assertEquals(Gic.PRIORITY_IDLE, ci.runningPriority(), "running priority");
        assertEquals(0, ci.activeDepth(), "active priority stack depth");
    }

    private static IllegalArgumentException assertRejected(Executable op, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, op);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message '" + e.getMessage() + "' should contain '" + f + "'");
        }
        return e;
    }

    // ----------------------------------------------------------------------------------------------- B-GIC-1/14

    @Nested
    @DisplayName("B-GIC-1/14: INTID classes and bad input")
    class BadInput {
        /** Every operation that takes an INTID, so a rejected range is rejected everywhere. */
        private List<Executable> everyIntidOperation(Gic g, int intid) {
            CpuInterface ci = g.cpuInterface(0);
            return List.of(
                    () -> g.configure(intid, Trigger.EDGE_RISING, 0x80),
                    () -> g.configure(intid, 0, Trigger.EDGE_RISING, 0x80),
                    () -> g.enable(intid), () -> g.disable(intid), () -> g.enable(intid, 0), () -> g.disable(intid, 0),
                    () -> g.isEnabled(intid, 0), () -> g.trigger(intid, 0), () -> g.priority(intid, 0),
                    () -> g.setPending(intid, 0), () -> g.clearPending(intid, 0), () -> g.setActive(intid, 0, true),
                    () -> g.state(intid, 0), () -> g.isLineHigh(intid, 0),
                    () -> g.route(intid, 0), () -> g.routeOf(intid),
                    () -> g.assertLine(intid), () -> g.deassertLine(intid), () -> g.pulse(intid),
                    () -> Gic.checkIntid(intid));
        }

        private void assertClassRejected(int intid, String... fragments) {
            Gic g = gic(2);
            for (Executable op : everyIntidOperation(g, intid)) {
                assertRejected(op, fragments);
            }
            // A completion of such an INTID is not an error but an ignored write (B-GIC-21), tested there.
        }

        @Test
        @DisplayName("B-GIC-1: SGI 0-15, PPI 16-31, SPI 32-1019 are accepted; class predicates agree")
        void implementedClasses() {
            assertTrue(Gic.isSgi(0) && Gic.isSgi(15) && !Gic.isSgi(16) && !Gic.isSgi(-1));
            assertTrue(Gic.isPpi(16) && Gic.isPpi(31) && !Gic.isPpi(15) && !Gic.isPpi(32));
            assertTrue(Gic.isSpi(32) && Gic.isSpi(1019) && !Gic.isSpi(31) && !Gic.isSpi(1020));
            assertTrue(Gic.exists(0) && Gic.exists(1019) && !Gic.exists(-1) && !Gic.exists(1020));
            Gic g = gic(2);
            for (int intid : new int[] {0, 15, 16, 31, 32, 1019}) {
                assertEquals(intid, Gic.checkIntid(intid));
                for (int c = 0; c < 2; c++) {
                    assertState(g, INACTIVE, intid, c);
                    assertFalse(g.isEnabled(intid, c), "reset: every INTID disabled");
                    assertEquals(Gic.PRIORITY_IRQ, g.priority(intid, c), "reset: priority 0xc0");
                }
            }
            assertEquals(Trigger.EDGE_RISING, g.trigger(0), "SGIs are edge (B-GIC-14)");
            assertEquals(Trigger.LEVEL_HIGH, g.trigger(PPI), "PPIs reset level");
            assertEquals(Trigger.LEVEL_HIGH, g.trigger(SPI), "SPIs reset level");
            assertEquals(0, g.routeOf(SPI), "SPIs reset routed to PE 0");
        }

        @Test
        @DisplayName("B-GIC-1/23: special INTIDs 1020-1023 are rejected naming the class")
        void special() {
            for (int intid = 1020; intid <= 1023; intid++) {
                assertClassRejected(intid, "INTID " + intid, "special");
            }
        }

        @Test
        @DisplayName("B-GIC-1: extended PPIs 1056-1119 are rejected naming the class")
        void extendedPpi() {
            assertClassRejected(1056, "INTID 1056", "extended PPI");
            assertClassRejected(1119, "INTID 1119", "extended PPI");
        }

        @Test
        @DisplayName("B-GIC-1: extended SPIs 4096-5119 are rejected naming the class")
        void extendedSpi() {
            assertClassRejected(4096, "INTID 4096", "extended SPI");
            assertClassRejected(5119, "INTID 5119", "extended SPI");
        }

        @Test
        @DisplayName("B-GIC-1: LPIs (>= 8192) are rejected naming the class")
        void lpi() {
            assertClassRejected(8192, "INTID 8192", "LPI");
            assertClassRejected(Integer.MAX_VALUE, "LPI");
        }

        @Test
        @DisplayName("B-GIC-1: negative INTIDs are rejected naming the class")
        void negative() {
            assertClassRejected(-1, "INTID -1", "negative");
            assertClassRejected(Integer.MIN_VALUE, "negative");
        }

        @Test
        @DisplayName("B-GIC-1: the reserved gaps between the classes are rejected as invalid INTIDs")
        void reservedGaps() {
            for (int intid : new int[] {1024, 1055, 1120, 4095, 5120, 8191}) {
                assertClassRejected(intid, "INTID " + intid, "not a valid INTID");
            }
        }

        @Test
        @DisplayName("B-GIC-1/11: only SPIs can be routed; SGIs and PPIs are banked")
        void routeNonSpi() {
            Gic g = gic(2);
            assertRejected(() -> g.route(SGI, 1), "not an SPI");
            assertRejected(() -> g.route(PPI, 1), "not an SPI");
            assertRejected(() -> g.routeOf(PPI), "not an SPI");
        }

        @Test
        @DisplayName("B-GIC-1/12: sendSgi of a non-SGI is rejected")
        void sendNonSgi() {
            Gic g = gic(2);
            for (int intid : new int[] {-1, 16, PPI, SPI, 1023}) {
                assertRejected(() -> g.sendSgi(intid, 0), "not an SGI");
                assertRejected(() -> g.sendSgiAllButSelf(intid, 0), "not an SGI");
            }
            assertTrue(signals.isEmpty(), "a rejected send signals nobody");
        }

        @Test
        @DisplayName("B-GIC-1: device lines: pulse/assertLine/deassertLine(spi) need an SPI, (ppi, cpu) a PPI")
        void linesNeedTheRightClass() {
            Gic g = gic(2);
            for (int intid : new int[] {SGI, PPI}) {
                assertRejected(() -> g.pulse(intid), "not an SPI");
                assertRejected(() -> g.assertLine(intid), "not an SPI");
                assertRejected(() -> g.deassertLine(intid), "not an SPI");
            }
            for (int intid : new int[] {SGI, SPI, 1023}) {
                assertRejected(() -> g.pulse(intid, 0), "not a PPI");
                assertRejected(() -> g.assertLine(intid, 0), "not a PPI");
                assertRejected(() -> g.deassertLine(intid, 0), "not a PPI");
            }
        }

        @Test
        @DisplayName("invalid CPU numbers are rejected everywhere")
        void invalidCpu() {
            assertRejected(() -> new Gic(0), "cpus must be 1..256");
            assertRejected(() -> new Gic(Gic.MAX_CPUS + 1), "cpus must be 1..256");
            Gic g = gic(2);
            g.configure(SPI, Trigger.EDGE_RISING, 0x80);
            signals.clear();
            for (int cpu : new int[] {-1, 2, Integer.MAX_VALUE}) {
                List<Executable> ops = List.of(
                        () -> g.cpuInterface(cpu), () -> g.sendSgi(SGI, cpu), () -> g.route(SPI, cpu),
                        () -> g.configure(PPI, cpu, Trigger.LEVEL_HIGH, 0x80), () -> g.enable(PPI, cpu),
                        () -> g.disable(PPI, cpu), () -> g.assertLine(PPI, cpu), () -> g.deassertLine(PPI, cpu),
                        () -> g.pulse(PPI, cpu), () -> g.setPending(SPI, cpu), () -> g.clearPending(SGI, cpu),
                        () -> g.setActive(SGI, cpu, true), () -> g.state(SPI, cpu), () -> g.state(PPI, cpu),
                        () -> g.trigger(PPI, cpu), () -> g.priority(SGI, cpu), () -> g.isEnabled(SPI, cpu),
                        () -> g.isLineHigh(PPI, cpu));
                for (Executable op : ops) {
                    assertRejected(op, "no such CPU: " + cpu);
                }
            }
            assertRejected(() -> g.sendSgiAllButSelf(SGI, 2), "no such CPU");
            assertRejected(() -> g.sendSgiAllButSelf(SGI, -2), "no such CPU");
            assertSpiState(g, INACTIVE, SPI);
            assertTrue(signals.isEmpty(), "a rejected call signals nobody");
        }

        @Test
        @DisplayName("priorities and masks outside 0..255 are rejected and change nothing")
        void priorityRange() {
            Gic g = gic(2);
            CpuInterface ci = g.cpuInterface(0);
            for (int prio : new int[] {-1, 256, Gic.PMR_NONE, Integer.MIN_VALUE}) {
                assertRejected(() -> g.configure(SPI, Trigger.EDGE_RISING, prio), "priority must be 0..255");
                assertRejected(() -> g.configure(PPI, Trigger.LEVEL_HIGH, prio), "priority must be 0..255");
                assertRejected(() -> g.configure(PPI, 1, Trigger.LEVEL_HIGH, prio), "priority must be 0..255");
                assertRejected(() -> ci.setPriorityMask(prio), "priority mask must be 0..255");
            }
            assertEquals(Gic.PRIORITY_IRQ, g.priority(SPI));
            assertEquals(Trigger.LEVEL_HIGH, g.trigger(SPI), "a rejected configure leaves the trigger");
            assertEquals(Gic.PRIORITY_IRQ, g.priority(PPI, 1));
            assertEquals(Gic.PMR_DEFAULT, ci.priorityMask());
            g.configure(SPI, Trigger.EDGE_RISING, 0);
            g.configure(PPI, Trigger.EDGE_RISING, 255);
            assertEquals(0, g.priority(SPI));
            assertEquals(0xf8, g.priority(PPI, 1));
        }

        @Test
        @DisplayName("B-GIC-7/19: EOImode, binary point and fault-injection arguments are range-checked")
        void cpuInterfaceArguments() {
            CpuInterface ci = gic(1).cpuInterface(0);
            assertRejected(() -> ci.setEoiMode(2), "EOImode");
            assertRejected(() -> ci.setEoiMode(-1), "EOImode");
            assertRejected(() -> ci.setBinaryPoint(8), "binary point");
            assertRejected(() -> ci.setBinaryPoint(-1), "binary point");
            assertRejected(() -> ci.injectSpuriousAcknowledges(-1), "count");
            assertEquals(1, ci.eoiMode());
            assertEquals(Gic.BPR1_MIN, ci.binaryPoint());
        }

        @Test
        @DisplayName("B-GIC-14: an SGI takes only EDGE_RISING (-EINVAL otherwise), on every PE and per PE")
        void sgiOnlyEdge() {
            Gic g = gic(2);
            assertRejected(() -> g.configure(SGI, Trigger.LEVEL_HIGH, 0x80), "-EINVAL", "SGI " + SGI, "B-GIC-14");
            assertRejected(() -> g.configure(SGI, 1, Trigger.LEVEL_HIGH, 0x80), "-EINVAL", "B-GIC-14");
            for (int c = 0; c < 2; c++) {
                assertEquals(Trigger.EDGE_RISING, g.trigger(SGI, c));
                assertEquals(Gic.PRIORITY_IRQ, g.priority(SGI, c), "a rejected configure changes nothing");
            }
            assertThrows(NullPointerException.class, () -> g.configure(SGI, null, 0x80));
            g.configure(SGI, Trigger.EDGE_RISING, 0x80);
            assertEquals(0x80, g.priority(SGI, 0));
            assertEquals(0x80, g.priority(SGI, 1));
            g.configure(PPI, Trigger.EDGE_RISING, 0x80);
            assertEquals(Trigger.EDGE_RISING, g.trigger(PPI, 1), "PPIs are configurable (B-GIC-14)");
        }
    }

    // ---------------------------------------------------------------------------------------------- §2a

    @Nested
    @DisplayName("§2a: state machine per INTID (and per target for SGI/PPI)")
    class StateMachine {
        @Test
        @DisplayName("§2a SGI: generate, ICPENDR, ISPENDR, ack, SGI while active, EOI, DIR, ICACTIVER")
        void sgi() {
            Gic g = gic(2);
            g.enable(SGI);
            CpuInterface ci = g.cpuInterface(1);
            assertState(g, INACTIVE, SGI, 1);
            g.sendSgi(SGI, 1);                      // Inactive -> Pending: SGI generated
            assertState(g, PENDING, SGI, 1);
            assertState(g, INACTIVE, SGI, 0);       // banked: PE 0 is not a target
            g.clearPending(SGI, 1);                 // Pending -> Inactive: ICPENDR
            assertState(g, INACTIVE, SGI, 1);
            g.setPending(SGI, 1);                   // Inactive -> Pending: ISPENDR
            assertState(g, PENDING, SGI, 1);
            assertEquals(SPURIOUS, g.cpuInterface(0).acknowledge(), "not pending on PE 0");
            assertEquals(SGI, ci.acknowledge());    // Pending -> Active
            assertState(g, ACTIVE, SGI, 1);
            g.sendSgi(SGI, 1);                      // Active -> Active+Pending: SGI
            assertState(g, ACTIVE_PENDING, SGI, 1);
            g.clearPending(SGI, 1);                 // Active+Pending -> Active: ICPENDR
            assertState(g, ACTIVE, SGI, 1);
            g.setPending(SGI, 1);                   // Active -> Active+Pending: ISPENDR
            assertState(g, ACTIVE_PENDING, SGI, 1);
            ci.endOfInterrupt(SGI);                 // EOImode 1: drop only
            assertState(g, ACTIVE_PENDING, SGI, 1);
            ci.deactivate(SGI);                     // Active+Pending -> Pending: deactivation
            assertState(g, PENDING, SGI, 1);
            assertEquals(SGI, ci.acknowledge());
            assertState(g, ACTIVE, SGI, 1);
            ci.endOfInterrupt(SGI);
            ci.deactivate(SGI);                     // Active -> Inactive: DIR
            assertState(g, INACTIVE, SGI, 1);
            g.sendSgi(SGI, 1);
            assertEquals(SGI, ci.acknowledge());
            g.setActive(SGI, 1, false);             // Active -> Inactive: ICACTIVER
            assertState(g, INACTIVE, SGI, 1);
            ci.endOfInterrupt(SGI);
            assertIdle(ci);
        }

        @Test
        @DisplayName("§2a level PPI: line high/low, ack with line high, line drops while active, ISPENDR")
        void levelPpi() {
            Gic g = gic(2);
            setUp(g, PPI, Trigger.LEVEL_HIGH, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.assertLine(PPI, 0);                   // Inactive -> Pending: level input high
            assertState(g, PENDING, PPI, 0);
            assertState(g, INACTIVE, PPI, 1);       // banked
            g.deassertLine(PPI, 0);                 // Pending -> Inactive: line drops, latch clear (withdrawn)
            assertState(g, INACTIVE, PPI, 0);
            g.assertLine(PPI, 0);
            assertEquals(PPI, ci.acknowledge());    // Pending -> Active+Pending: line still high
            assertState(g, ACTIVE_PENDING, PPI, 0);
            g.deassertLine(PPI, 0);                 // Active+Pending -> Active: line drops
            assertState(g, ACTIVE, PPI, 0);
            g.assertLine(PPI, 0);                   // Active -> Active+Pending: line high while active
            assertState(g, ACTIVE_PENDING, PPI, 0);
            complete(ci, PPI);                      // Active+Pending -> Pending
            assertState(g, PENDING, PPI, 0);
            g.deassertLine(PPI, 0);
            assertState(g, INACTIVE, PPI, 0);
            g.setPending(PPI, 0);                   // Inactive -> Pending: ISPENDR on a level INTID
            assertState(g, PENDING, PPI, 0);
            assertEquals(PPI, ci.acknowledge());    // Pending -> Active: latch cleared, line low
            assertState(g, ACTIVE, PPI, 0);
            complete(ci, PPI);                      // Active -> Inactive
            assertState(g, INACTIVE, PPI, 0);
            assertEquals(SPURIOUS, ci.acknowledge());
        }

        @Test
        @DisplayName("§2a edge PPI: pulse, edge latch survives the line dropping, edge while active")
        void edgePpi() {
            Gic g = gic(2);
            setUp(g, PPI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(1);
            g.pulse(PPI, 1);                        // Inactive -> Pending: edge
            assertState(g, PENDING, PPI, 1);
            assertFalse(g.isLineHigh(PPI, 1), "a pulse leaves the line low");
            assertState(g, INACTIVE, PPI, 0);
            g.clearPending(PPI, 1);                 // Pending -> Inactive: ICPENDR
            assertState(g, INACTIVE, PPI, 1);
            g.assertLine(PPI, 1);                   // rising edge latches
            g.deassertLine(PPI, 1);                 // the latch, not the line, holds an edge interrupt pending
            assertState(g, PENDING, PPI, 1);
            assertEquals(PPI, ci.acknowledge());    // Pending -> Active
            assertState(g, ACTIVE, PPI, 1);
            g.pulse(PPI, 1);                        // Active -> Active+Pending: edge
            assertState(g, ACTIVE_PENDING, PPI, 1);
            g.clearPending(PPI, 1);                 // Active+Pending -> Active: ICPENDR
            assertState(g, ACTIVE, PPI, 1);
            g.pulse(PPI, 1);
            complete(ci, PPI);                      // Active+Pending -> Pending
            assertState(g, PENDING, PPI, 1);
            assertEquals(PPI, ci.acknowledge());
            complete(ci, PPI);                      // Active -> Inactive
            assertState(g, INACTIVE, PPI, 1);
            assertIdle(ci);
        }

        @Test
        @DisplayName("§2a level SPI: one global state; line high/low, ack with line high, ICPENDR, ISPENDR")
        void levelSpi() {
            Gic g = gic(2);
            setUp(g, SPI, Trigger.LEVEL_HIGH, 0x80);
            g.route(SPI, 1);
            CpuInterface ci = g.cpuInterface(1);
            g.assertLine(SPI);                      // Inactive -> Pending: level high
            assertSpiState(g, PENDING, SPI);
            g.deassertLine(SPI);                    // Pending -> Inactive: withdrawn
            assertSpiState(g, INACTIVE, SPI);
            g.setPending(SPI, 0);                   // Inactive -> Pending: ISPENDR (cpu only validated)
            assertSpiState(g, PENDING, SPI);
            g.clearPending(SPI, 0);                 // Pending -> Inactive: ICPENDR
            assertSpiState(g, INACTIVE, SPI);
            g.assertLine(SPI);
            assertEquals(SPI, ci.acknowledge());    // Pending -> Active+Pending: line still high
            assertSpiState(g, ACTIVE_PENDING, SPI);
            g.deassertLine(SPI);                    // Active+Pending -> Active
            assertSpiState(g, ACTIVE, SPI);
            g.setPending(SPI, 1);                   // Active -> Active+Pending: ISPENDR
            assertSpiState(g, ACTIVE_PENDING, SPI);
            g.clearPending(SPI, 1);                 // Active+Pending -> Active: ICPENDR
            assertSpiState(g, ACTIVE, SPI);
            g.assertLine(SPI);                      // Active -> Active+Pending: line high
            assertSpiState(g, ACTIVE_PENDING, SPI);
            complete(ci, SPI);                      // Active+Pending -> Pending
            assertSpiState(g, PENDING, SPI);
            g.deassertLine(SPI);
            g.setPending(SPI, 1);
            assertEquals(SPI, ci.acknowledge());    // Pending -> Active: latch cleared, line low
            assertSpiState(g, ACTIVE, SPI);
            complete(ci, SPI);                      // Active -> Inactive
            assertSpiState(g, INACTIVE, SPI);
            assertIdle(ci);
        }

        @Test
        @DisplayName("§2a edge SPI: pulse, assert/deassert, edge while active, ICACTIVER")
        void edgeSpi() {
            Gic g = gic(2);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI);                           // Inactive -> Pending: edge
            assertSpiState(g, PENDING, SPI);
            assertFalse(g.isLineHigh(SPI, 0));
            g.clearPending(SPI, 0);                 // Pending -> Inactive: ICPENDR
            assertSpiState(g, INACTIVE, SPI);
            g.assertLine(SPI);                      // rising edge
            assertSpiState(g, PENDING, SPI);
            g.deassertLine(SPI);                    // the edge latch stays
            assertSpiState(g, PENDING, SPI);
            assertEquals(SPI, ci.acknowledge());    // Pending -> Active
            assertSpiState(g, ACTIVE, SPI);
            g.pulse(SPI);                           // Active -> Active+Pending
            assertSpiState(g, ACTIVE_PENDING, SPI);
            g.clearPending(SPI, 0);                 // Active+Pending -> Active
            assertSpiState(g, ACTIVE, SPI);
            g.pulse(SPI);
            complete(ci, SPI);                      // Active+Pending -> Pending
            assertSpiState(g, PENDING, SPI);
            assertEquals(SPI, ci.acknowledge());
            g.setActive(SPI, 0, false);             // Active -> Inactive: ICACTIVER
            assertSpiState(g, INACTIVE, SPI);
            ci.endOfInterrupt(SPI);
            assertIdle(ci);
        }

        @Test
        @DisplayName("§2a/B-GIC-7: Active -> Inactive by EOIR in EOImode 0")
        void eoiMode0Deactivates() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            ci.setEoiMode(0);
            g.pulse(SPI);
            assertEquals(SPI, ci.acknowledge());
            assertSpiState(g, ACTIVE, SPI);
            ci.endOfInterrupt(SPI);
            assertSpiState(g, INACTIVE, SPI);
            assertIdle(ci);
        }

        @Test
        @DisplayName("§2a/J-GIC-2: an Active(+Pending) SPI is neither signalled nor acknowledged on any PE")
        void activeSpiOnNoPe() {
            Gic g = gic(3);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            g.pulse(SPI);
            assertEquals(SPI, g.cpuInterface(0).acknowledge());
            g.pulse(SPI);
            assertSpiState(g, ACTIVE_PENDING, SPI);
            for (int target = 0; target < 3; target++) {
                g.route(SPI, target);
                for (int c = 0; c < 3; c++) {
                    CpuInterface ci = g.cpuInterface(c);
                    assertFalse(ci.isSignalled(Gic.PMR_NONE), "cpu/" + c);
                    assertFalse(ci.mayBeSignalled(), "cpu/" + c + " hint");
                    assertEquals(SPURIOUS, ci.highestPending(), "cpu/" + c);
                    assertEquals(SPURIOUS, ci.acknowledge(), "cpu/" + c);
                }
            }
            complete(g.cpuInterface(0), SPI);
            assertSpiState(g, PENDING, SPI);
            assertEquals(SPI, g.cpuInterface(2).acknowledge(), "delivered to the current route once inactive");
            complete(g.cpuInterface(2), SPI);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-GIC-2

    @Nested
    @DisplayName("B-GIC-2: enable gates forwarding, not pending")
    class Enable {
        @Test
        @DisplayName("B-GIC-2: a disabled SPI becomes pending and is forwarded once enabled")
        void disabledSpi() {
            Gic g = gic(2);
            g.configure(SPI, Trigger.EDGE_RISING, 0x80);
            g.route(SPI, 1);
            CpuInterface ci = g.cpuInterface(1);
            g.pulse(SPI);
            assertSpiState(g, PENDING, SPI);
            assertFalse(ci.isSignalled(Gic.PMR_NONE));
            assertEquals(SPURIOUS, ci.highestPending(), "a disabled INTID is no candidate (B-GIC-18)");
            assertEquals(SPURIOUS, ci.acknowledge());
            assertSpiState(g, PENDING, SPI);
            g.enable(SPI);
            assertTrue(ci.isSignalled(Gic.PMR_NONE));
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
            assertSpiState(g, INACTIVE, SPI);
        }

        @Test
        @DisplayName("B-GIC-2: a disabled SGI or level PPI becomes pending and is forwarded once enabled (per PE)")
        void disabledBanked() {
            Gic g = gic(2);
            g.configure(PPI, Trigger.LEVEL_HIGH, 0x90);
            CpuInterface ci = g.cpuInterface(1);
            g.sendSgi(SGI, 1);
            g.assertLine(PPI, 1);
            assertState(g, PENDING, SGI, 1);
            assertState(g, PENDING, PPI, 1);
            assertEquals(SPURIOUS, ci.acknowledge());
            g.enable(SGI, 0);                       // enables PE 0's copy only
            assertEquals(SPURIOUS, ci.acknowledge());
            assertTrue(g.isEnabled(SGI, 0));
            assertFalse(g.isEnabled(SGI, 1));
            g.enable(PPI, 1);
            assertEquals(PPI, ci.acknowledge());
            g.deassertLine(PPI, 1);
            complete(ci, PPI);
            g.enable(SGI);
            assertEquals(SGI, ci.acknowledge());
            complete(ci, SGI);
        }

        @Test
        @DisplayName("B-GIC-2: disabling keeps Pending and Active; a re-pended INTID waits for enable")
        void disablingKeepsState() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI);
            g.disable(SPI);
            assertSpiState(g, PENDING, SPI);
            assertEquals(SPURIOUS, ci.acknowledge());
            g.enable(SPI);
            assertEquals(SPI, ci.acknowledge());
            g.disable(SPI);
            assertSpiState(g, ACTIVE, SPI);         // an acknowledged instance may finish (B-GIC-15)
            g.pulse(SPI);
            assertSpiState(g, ACTIVE_PENDING, SPI);
            complete(ci, SPI);
            assertSpiState(g, PENDING, SPI);
            assertEquals(SPURIOUS, ci.acknowledge(), "disabled: not forwarded");
            g.enable(SPI);
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
        }

        @Test
        @DisplayName("B-GIC-2: disabling a banked SGI keeps its Active+Pending state on that PE")
        void disablingBankedKeepsState() {
            Gic g = gic(2);
            g.enable(SGI);
            CpuInterface ci = g.cpuInterface(0);
            g.sendSgi(SGI, 0);
            assertEquals(SGI, ci.acknowledge());
            g.sendSgi(SGI, 0);
            g.disable(SGI);
            assertState(g, ACTIVE_PENDING, SGI, 0);
            complete(ci, SGI);
            assertState(g, PENDING, SGI, 0);
            assertEquals(SPURIOUS, ci.acknowledge());
            g.enable(SGI, 0);
            assertEquals(SGI, ci.acknowledge());
            complete(ci, SGI);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-GIC-3

    @Nested
    @DisplayName("B-GIC-3: edge-triggered interrupts")
    class Edge {
        @Test
        @DisplayName("B-GIC-3: edges collapse while pending: one delivery for many pulses")
        void edgesCollapse() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            setUp(g, PPI, Trigger.EDGE_RISING, 0x90);
            CpuInterface ci = g.cpuInterface(0);
            for (int i = 0; i < 5; i++) {
                g.pulse(SPI);
                g.pulse(PPI, 0);
            }
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
            assertEquals(PPI, ci.acknowledge());
            complete(ci, PPI);
            assertEquals(SPURIOUS, ci.acknowledge(), "edges are not counted");
            assertSpiState(g, INACTIVE, SPI);
            assertState(g, INACTIVE, PPI, 0);
        }

        @Test
        @DisplayName("B-GIC-3: edges while Active give exactly one re-delivery, after deactivation")
        void edgeWhileActive() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI);
            assertEquals(SPI, ci.acknowledge());
            for (int i = 0; i < 3; i++) {
                g.pulse(SPI);
            }
            assertSpiState(g, ACTIVE_PENDING, SPI);
            ci.endOfInterrupt(SPI);
            assertEquals(SPURIOUS, ci.acknowledge(), "still Active after the drop (B-GIC-7)");
            ci.deactivate(SPI);
            assertSpiState(g, PENDING, SPI);
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
            assertEquals(SPURIOUS, ci.acknowledge(), "exactly one re-delivery");
            assertSpiState(g, INACTIVE, SPI);
        }

        @Test
        @DisplayName("B-GIC-3: a new edge on an SPI line held high needs the line to go low first")
        void spiHeldHigh() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.assertLine(SPI);
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
            assertSpiState(g, INACTIVE, SPI);       // an edge interrupt is not pending by its level
            g.assertLine(SPI);                      // already high: no edge
            assertSpiState(g, INACTIVE, SPI);
            g.pulse(SPI);                           // the line cannot rise while held high
            assertSpiState(g, INACTIVE, SPI);
            assertTrue(g.isLineHigh(SPI, 0));
            g.deassertLine(SPI);
            assertSpiState(g, INACTIVE, SPI);
            g.assertLine(SPI);
            assertSpiState(g, PENDING, SPI);
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
            g.deassertLine(SPI);
        }

        @Test
        @DisplayName("B-GIC-3: a new edge on a PPI line held high needs the line to go low first")
        void ppiHeldHigh() {
            Gic g = gic(1);
            setUp(g, PPI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.assertLine(PPI, 0);
            assertEquals(PPI, ci.acknowledge());
            complete(ci, PPI);
            g.assertLine(PPI, 0);
            g.pulse(PPI, 0);
            assertState(g, INACTIVE, PPI, 0);
            g.deassertLine(PPI, 0);
            g.assertLine(PPI, 0);
            assertState(g, PENDING, PPI, 0);
            assertEquals(PPI, ci.acknowledge());
            complete(ci, PPI);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-GIC-4

    @Nested
    @DisplayName("B-GIC-4: level-triggered interrupts")
    class Level {
        @Test
        @DisplayName("B-GIC-4: pending = latch OR line")
        void latchOrLine() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.LEVEL_HIGH, 0x80);
            g.assertLine(SPI);
            assertTrue(g.isLineHigh(SPI, 0));
            assertSpiState(g, PENDING, SPI);
            g.setPending(SPI, 0);
            g.deassertLine(SPI);
            assertSpiState(g, PENDING, SPI);        // the latch alone
            g.clearPending(SPI, 0);
            assertSpiState(g, INACTIVE, SPI);       // neither
        }

        @Test
        @DisplayName("B-GIC-4: clearPending while the line is high has no visible effect")
        void clearPendingWhileHigh() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.LEVEL_HIGH, 0x80);
            setUp(g, PPI, Trigger.LEVEL_HIGH, 0x90);
            CpuInterface ci = g.cpuInterface(0);
            g.assertLine(SPI);
            g.assertLine(PPI, 0);
            g.clearPending(SPI, 0);
            g.clearPending(PPI, 0);
            assertSpiState(g, PENDING, SPI);
            assertState(g, PENDING, PPI, 0);
            assertEquals(SPI, ci.acknowledge());
            assertSpiState(g, ACTIVE_PENDING, SPI);
            g.clearPending(SPI, 0);
            assertSpiState(g, ACTIVE_PENDING, SPI);
            complete(ci, SPI);
            g.deassertLine(SPI);
            assertEquals(PPI, ci.acknowledge());
            complete(ci, PPI);
            g.deassertLine(PPI, 0);
            assertState(g, INACTIVE, PPI, 0);
        }

        @Test
        @DisplayName("B-GIC-4: setPending latches regardless of the line until acknowledged")
        void setPendingLatchesUntilAck() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.LEVEL_HIGH, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.setPending(SPI, 0);
            g.assertLine(SPI);
            g.deassertLine(SPI);
            assertSpiState(g, PENDING, SPI);        // the line dropping does not withdraw a latched INTID
            assertEquals(SPI, ci.acknowledge());
            assertSpiState(g, ACTIVE, SPI);         // acknowledge cleared the latch
            complete(ci, SPI);
            assertSpiState(g, INACTIVE, SPI);
            assertEquals(SPURIOUS, ci.acknowledge());

            g.setPending(SPI, 0);
            g.assertLine(SPI);
            assertEquals(SPI, ci.acknowledge());
            assertSpiState(g, ACTIVE_PENDING, SPI); // line still high
            g.deassertLine(SPI);
            assertSpiState(g, ACTIVE, SPI);         // the latch was cleared by the acknowledge
            complete(ci, SPI);
            assertSpiState(g, INACTIVE, SPI);
        }

        @Test
        @DisplayName("B-GIC-4: pulse on a level line throws IllegalStateException and changes nothing")
        void pulseOnLevelThrows() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.LEVEL_HIGH, 0x80);
            setUp(g, PPI, Trigger.LEVEL_HIGH, 0x80);
            signals.clear();
            assertThrows(IllegalStateException.class, () -> g.pulse(SPI));
            assertThrows(IllegalStateException.class, () -> g.pulse(PPI, 0));
            assertSpiState(g, INACTIVE, SPI);
            assertState(g, INACTIVE, PPI, 0);
            assertTrue(signals.isEmpty());
            g.assertLine(SPI);
            assertThrows(IllegalStateException.class, () -> g.pulse(SPI));
            assertSpiState(g, PENDING, SPI);
            assertTrue(g.isLineHigh(SPI, 0), "the line is left as it was");
            g.deassertLine(SPI);
        }
    }

    // ----------------------------------------------------------------------------------------------- B-GIC-5/18

    @Nested
    @DisplayName("B-GIC-5/18: acknowledge and the highest-priority pending interrupt")
    class Acknowledge {
        @Test
        @DisplayName("B-GIC-5: the highest priority (lowest value) is acknowledged first, across classes")
        void highestPriorityFirst() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0xa0);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0x80);
            setUp(g, SGI, Trigger.EDGE_RISING, 0x90);
            setUp(g, PPI, Trigger.EDGE_RISING, 0x88);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI);
            g.pulse(SPI + 1);
            g.sendSgi(SGI, 0);
            g.pulse(PPI, 0);
            for (int expected : new int[] {SPI + 1, PPI, SGI, SPI}) {
                assertEquals(expected, ci.highestPending());
                assertEquals(expected, ci.acknowledge());
                complete(ci, expected);
            }
            assertEquals(SPURIOUS, ci.highestPending());
            assertEquals(SPURIOUS, ci.acknowledge());
        }

        @Test
        @DisplayName("B-GIC-5: equal priorities go to the lowest INTID: SGI < PPI < SPI, and among SPIs")
        void tiesToLowestIntid() {
            Gic g = gic(1);
            int[] byIntid = {5, SGI + 10, 16, PPI, 32, SPI, 1019};
            for (int intid : byIntid) {
                setUp(g, intid, Trigger.EDGE_RISING, 0x80);
            }
            CpuInterface ci = g.cpuInterface(0);
            // raise them in reverse order so that arrival order cannot explain the result
            for (int i = byIntid.length - 1; i >= 0; i--) {
                int intid = byIntid[i];
                if (Gic.isSgi(intid)) {
                    g.sendSgi(intid, 0);
                } else if (Gic.isPpi(intid)) {
                    g.pulse(intid, 0);
                } else {
                    g.pulse(intid);
                }
            }
            for (int expected : byIntid) {
                assertEquals(expected, ci.highestPending());
                assertEquals(expected, ci.acknowledge());
                complete(ci, expected);
            }
            assertEquals(SPURIOUS, ci.acknowledge());
        }

        @Test
        @DisplayName("B-GIC-5: a pending priority == PMR gives 1023 and changes nothing; HPPIR ignores the PMR")
        void maskedByPmr() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0xc0);
            CpuInterface ci = g.cpuInterface(0);
            ci.setPriorityMask(0xc0);
            g.pulse(SPI);
            assertFalse(ci.isSignalled(Gic.PMR_NONE));
            assertEquals(SPURIOUS, ci.acknowledge());
            assertSpiState(g, PENDING, SPI);
            assertIdle(ci);
            assertEquals(SPI, ci.highestPending(), "HPPIR1 has no PMR check");
            ci.setPriorityMask(Gic.PMR_DEFAULT);
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
        }

        @Test
        @DisplayName("B-GIC-5: group priority not above the running priority gives 1023; HPPIR ignores it")
        void blockedByRunningPriority() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI);
            assertEquals(SPI, ci.acknowledge());
            g.pulse(SPI + 1);
            assertFalse(ci.isSignalled(Gic.PMR_NONE));
            assertEquals(SPURIOUS, ci.acknowledge());
            assertSpiState(g, PENDING, SPI + 1);
            assertEquals(0x80, ci.runningPriority());
            assertEquals(1, ci.activeDepth());
            assertEquals(SPI + 1, ci.highestPending(), "HPPIR1 has no running-priority check");
            ci.endOfInterrupt(SPI);
            assertEquals(SPI + 1, ci.acknowledge());
            complete(ci, SPI + 1);
            ci.deactivate(SPI);
        }

        @Test
        @DisplayName("B-GIC-5/18: with ICC_IGRPEN1 clear nothing is acknowledged")
        void groupDisabled() {
            Gic g = gic(1);
            setUp(g, SGI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            ci.setGroupEnabled(false);
            g.sendSgi(SGI, 0);
            assertFalse(ci.isSignalled(Gic.PMR_NONE));
            assertEquals(SPURIOUS, ci.acknowledge());
            assertState(g, PENDING, SGI, 0);
            assertIdle(ci);
            ci.setGroupEnabled(true);
            assertEquals(SGI, ci.acknowledge());
            complete(ci, SGI);
        }

        @Test
        @DisplayName("B-GIC-18: a masked HPPI is not bypassed by a lower-priority candidate")
        void hppiOnly() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x40);
            setUp(g, SGI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI);
            g.sendSgi(SGI, 0);
            assertEquals(SPI, ci.acknowledge());
            ci.endOfInterrupt(SPI);                 // SPI still Active (EOImode 1): SGI is now the HPPI
            assertEquals(SGI, ci.highestPending());
            assertEquals(SGI, ci.acknowledge());
            complete(ci, SGI);
            ci.deactivate(SPI);
        }
    }

    // ----------------------------------------------------------------------------------------------- B-GIC-6/20

    @Nested
    @DisplayName("B-GIC-6/20: priority drop and the running priority")
    class PriorityDrop {
        private Gic nested(CpuInterface[] out) {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0xc0);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0xa0);
            setUp(g, SPI + 2, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            out[0] = ci;
            int[] expectedRpr = {0xc0, 0xa0, 0x80};
            for (int i = 0; i < 3; i++) {
                g.pulse(SPI + i);
                assertEquals(SPI + i, ci.acknowledge(), "nested acknowledge " + i);
                assertEquals(expectedRpr[i], ci.runningPriority());
                assertEquals(i + 1, ci.activeDepth());
            }
            return g;
        }

        @Test
        @DisplayName("B-GIC-6/20: drops happen in reverse acknowledge order; RPR after each drop")
        void reverseOrder() {
            CpuInterface[] ci = new CpuInterface[1];
            Gic g = nested(ci);
            ci[0].endOfInterrupt(SPI + 2);
            assertEquals(0xa0, ci[0].runningPriority());
            ci[0].endOfInterrupt(SPI + 1);
            assertEquals(0xc0, ci[0].runningPriority());
            ci[0].endOfInterrupt(SPI);
            assertIdle(ci[0]);
            for (int i = 0; i < 3; i++) {
                assertSpiState(g, ACTIVE, SPI + i);  // EOImode 1: dropped, not deactivated
                ci[0].deactivate(SPI + i);
                assertSpiState(g, INACTIVE, SPI + i);
            }
        }

        @Test
        @DisplayName("B-GIC-6: an out-of-order EOI throws IllegalStateException and changes nothing")
        void outOfOrderThrows() {
            CpuInterface[] ci = new CpuInterface[1];
            Gic g = nested(ci);
            assertThrows(IllegalStateException.class, () -> ci[0].endOfInterrupt(SPI));
            assertThrows(IllegalStateException.class, () -> ci[0].endOfInterrupt(SPI + 1));
            assertThrows(IllegalStateException.class, () -> ci[0].endOfInterrupt(SGI), "never acknowledged");
            assertEquals(0x80, ci[0].runningPriority());
            assertEquals(3, ci[0].activeDepth());
            ci[0].endOfInterrupt(SPI + 2);
            assertThrows(IllegalStateException.class, () -> ci[0].endOfInterrupt(SPI));
            assertEquals(0xa0, ci[0].runningPriority());
            ci[0].endOfInterrupt(SPI + 1);
            ci[0].endOfInterrupt(SPI);
            assertIdle(ci[0]);
            for (int i = 0; i < 3; i++) {
                assertSpiState(g, ACTIVE, SPI + i);
                ci[0].deactivate(SPI + i);
            }
        }

        @Test
        @DisplayName("B-GIC-6: in EOImode 0 an out-of-order EOI deactivates nothing either")
        void outOfOrderEoiMode0() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0xa0);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            ci.setEoiMode(0);
            g.pulse(SPI);
            assertEquals(SPI, ci.acknowledge());
            g.pulse(SPI + 1);
            assertEquals(SPI + 1, ci.acknowledge());
            assertThrows(IllegalStateException.class, () -> ci.endOfInterrupt(SPI));
            assertSpiState(g, ACTIVE, SPI);
            assertSpiState(g, ACTIVE, SPI + 1);
            assertEquals(0x80, ci.runningPriority());
            ci.endOfInterrupt(SPI + 1);
            assertSpiState(g, INACTIVE, SPI + 1);
            assertEquals(0xa0, ci.runningPriority());
            ci.endOfInterrupt(SPI);
            assertSpiState(g, INACTIVE, SPI);
            assertIdle(ci);
        }

        @Test
        @DisplayName("B-GIC-20: RPR is 0xff when idle, the group priority of the latest un-dropped ack otherwise;"
                + " DIR does not touch it")
        void runningPriority() {
            Gic g = gic(1);
            setUp(g, PPI, Trigger.EDGE_RISING, 0xc7);   // stored as 0xc0
            CpuInterface ci = g.cpuInterface(0);
            assertIdle(ci);
            g.pulse(PPI, 0);
            assertEquals(PPI, ci.acknowledge());
            assertEquals(0xc0, ci.runningPriority());
            ci.deactivate(PPI);                       // DIR before the drop is not checked (B-GIC-21)
            assertState(g, INACTIVE, PPI, 0);
            assertEquals(0xc0, ci.runningPriority(), "deactivation never touches the active priorities");
            ci.endOfInterrupt(PPI);
            assertIdle(ci);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-GIC-7

    @Nested
    @DisplayName("B-GIC-7: EOImode")
    class EoiMode {
        @Test
        @DisplayName("B-GIC-7: EOImode 1: EOI drops only; the INTID stays Active and is not re-delivered until DIR")
        void split() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            assertEquals(1, ci.eoiMode(), "EOImode 1 after boot");
            g.pulse(SPI);
            assertEquals(SPI, ci.acknowledge());
            ci.endOfInterrupt(SPI);
            assertIdle(ci);
            assertSpiState(g, ACTIVE, SPI);
            g.pulse(SPI);
            assertSpiState(g, ACTIVE_PENDING, SPI);
            assertEquals(SPURIOUS, ci.acknowledge(), "the same INTID cannot be taken while Active");
            g.pulse(SPI + 1);
            assertEquals(SPI + 1, ci.acknowledge(), "another INTID of the same priority can");
            complete(ci, SPI + 1);
            ci.deactivate(SPI);
            assertSpiState(g, PENDING, SPI);
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
            assertSpiState(g, INACTIVE, SPI);
        }

        @Test
        @DisplayName("B-GIC-7/21: EOImode 0: EOI drops and deactivates; DIR is ignored and counted")
        void combined() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            ci.setEoiMode(0);
            assertEquals(0, ci.eoiMode());
            g.pulse(SPI);
            assertEquals(SPI, ci.acknowledge());
            g.pulse(SPI);
            ci.deactivate(SPI);                      // ignored: EOImode 0
            assertEquals(1, ci.ignoredCompletions());
            assertSpiState(g, ACTIVE_PENDING, SPI);
            assertEquals(0x80, ci.runningPriority());
            ci.endOfInterrupt(SPI);
            assertSpiState(g, PENDING, SPI);
            assertIdle(ci);
            assertEquals(SPI, ci.acknowledge());
            ci.endOfInterrupt(SPI);
            assertSpiState(g, INACTIVE, SPI);
            ci.deactivate(SPI);                      // ignored: EOImode 0 (and not active)
            assertEquals(2, ci.ignoredCompletions());
            expectIgnoredCompletions();
        }
    }

    // ----------------------------------------------------------------------------------------------- B-GIC-9/10

    @Nested
    @DisplayName("B-GIC-9/10: preemption and priority masking")
    class Masking {
        @Test
        @DisplayName("B-GIC-9: preemption needs a strictly higher group priority")
        void preemption() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0x80);
            setUp(g, SPI + 2, Trigger.EDGE_RISING, 0x78);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI);
            assertEquals(SPI, ci.acknowledge());
            g.pulse(SPI + 1);
            assertEquals(SPURIOUS, ci.acknowledge(), "equal priority does not preempt");
            g.pulse(SPI + 2);
            assertEquals(SPI + 2, ci.acknowledge(), "one step higher preempts");
            assertEquals(0x78, ci.runningPriority());
            complete(ci, SPI + 2);
            assertEquals(0x80, ci.runningPriority());
            assertEquals(SPURIOUS, ci.acknowledge());
            complete(ci, SPI);
            assertEquals(SPI + 1, ci.acknowledge());
            complete(ci, SPI + 1);
        }

        @Test
        @DisplayName("B-GIC-10: masked iff priority >= PMR; PMR writes are rounded down to the implemented bits")
        void pmrBoundary() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0xa0);
            CpuInterface ci = g.cpuInterface(0);
            assertEquals(Gic.PMR_DEFAULT, ci.priorityMask(), "K-GIC: PMR 0xf0 after boot");
            g.pulse(SPI);
            ci.setPriorityMask(0xa0);
            assertFalse(ci.isSignalled(Gic.PMR_NONE), "priority == PMR is masked");
            assertEquals(SPURIOUS, ci.acknowledge());
            ci.setPriorityMask(0xa7);
            assertEquals(0xa0, ci.priorityMask(), "rounded down to a multiple of 8");
            assertEquals(SPURIOUS, ci.acknowledge());
            ci.setPriorityMask(0);
            assertEquals(SPURIOUS, ci.acknowledge(), "PMR 0 masks everything");
            ci.setPriorityMask(0xa8);
            assertTrue(ci.isSignalled(Gic.PMR_NONE));
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
        }

        @Test
        @DisplayName("B-GIC-10: PE mask PMR_IRQ_OFF lets a 0x80 pseudo-NMI through and masks a 0xc0 IRQ")
        void peMask() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, Gic.PRIORITY_IRQ);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, Gic.PRIORITY_NMI);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI);
            assertFalse(ci.isSignalled(Gic.PMR_IRQ_OFF));
            assertEquals(SPURIOUS, ci.acknowledge(Gic.PMR_IRQ_OFF), "0xc0 is masked by 0xc0");
            assertSpiState(g, PENDING, SPI);
            g.pulse(SPI + 1);
            assertTrue(ci.isSignalled(Gic.PMR_IRQ_OFF));
            assertEquals(SPI + 1, ci.acknowledge(Gic.PMR_IRQ_OFF));
            assertEquals(Gic.PRIORITY_NMI, ci.runningPriority(), "Linux tells an NMI by RPR (B-GIC-20)");
            complete(ci, SPI + 1);
            assertEquals(SPURIOUS, ci.acknowledge(Gic.PMR_IRQ_OFF));
            assertEquals(SPI, ci.acknowledge(Gic.PMR_NONE));
            complete(ci, SPI);
        }

        @Test
        @DisplayName("B-GIC-10: the effective mask is the lower of PMR and the PE mask")
        void effectiveMask() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, Gic.PRIORITY_NMI);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI);
            ci.setPriorityMask(0x80);
            assertEquals(SPURIOUS, ci.acknowledge(Gic.PMR_NONE));
            assertEquals(SPURIOUS, ci.acknowledge(Gic.PMR_IRQ_OFF));
            ci.setPriorityMask(Gic.PMR_DEFAULT);
            assertEquals(SPURIOUS, ci.acknowledge(0x80), "a PE mask equal to the priority masks it");
            assertEquals(SPI, ci.acknowledge(0x88));
            complete(ci, SPI);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-GIC-11

    @Nested
    @DisplayName("B-GIC-11: SPI routing")
    class Routing {
        @Test
        @DisplayName("B-GIC-11: only the PE an SPI is routed to sees it")
        void onlyRoutedPe() {
            Gic g = gic(3);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            g.route(SPI, 2);
            assertEquals(2, g.routeOf(SPI));
            g.pulse(SPI);
            for (int c = 0; c < 2; c++) {
                CpuInterface ci = g.cpuInterface(c);
                assertFalse(ci.isSignalled(Gic.PMR_NONE));
                assertEquals(SPURIOUS, ci.highestPending());
                assertEquals(SPURIOUS, ci.acknowledge());
            }
            assertEquals(SPI, g.cpuInterface(2).highestPending());
            assertEquals(SPI, g.cpuInterface(2).acknowledge());
            complete(g.cpuInterface(2), SPI);
            assertSpiState(g, INACTIVE, SPI);
        }

        @Test
        @DisplayName("B-GIC-11: re-routing a pending SPI moves it at once and signals the new PE")
        void reroutePending() {
            Gic g = gic(2);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            setUp(g, SPI + 1, Trigger.LEVEL_HIGH, 0x80);
            g.pulse(SPI);
            g.assertLine(SPI + 1);
            assertTrue(g.cpuInterface(0).isSignalled(Gic.PMR_NONE));
            signals.clear();
            g.route(SPI, 1);
            g.route(SPI + 1, 1);
            assertEquals(List.of(1, 1), signals);
            assertTrue(g.invariantHolds());
            assertFalse(g.cpuInterface(0).isSignalled(Gic.PMR_NONE), "withdrawn from the old PE");
            assertEquals(SPURIOUS, g.cpuInterface(0).acknowledge());
            CpuInterface ci = g.cpuInterface(1);
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
            assertEquals(SPI + 1, ci.acknowledge());
            g.deassertLine(SPI + 1);
            complete(ci, SPI + 1);
            assertSpiState(g, INACTIVE, SPI);
            assertSpiState(g, INACTIVE, SPI + 1);
        }

        @Test
        @DisplayName("B-GIC-11/J-GIC-2: an SPI active on the old PE reaches the new PE only after deactivation")
        void activeOnOldPe() {
            Gic g = gic(2);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            CpuInterface old = g.cpuInterface(0);
            CpuInterface now = g.cpuInterface(1);
            g.pulse(SPI);
            assertEquals(SPI, old.acknowledge());
            g.route(SPI, 1);
            g.pulse(SPI);
            assertSpiState(g, ACTIVE_PENDING, SPI);
            assertEquals(SPURIOUS, now.acknowledge());
            old.endOfInterrupt(SPI);
            assertEquals(SPURIOUS, now.acknowledge(), "dropped but still Active");
            assertEquals(SPURIOUS, old.acknowledge(), "no longer routed to the old PE");
            signals.clear();
            old.deactivate(SPI);
            assertEquals(List.of(1), signals, "deactivation signals the PE the SPI is routed to now");
            assertSpiState(g, PENDING, SPI);
            assertEquals(SPI, now.acknowledge());
            complete(now, SPI);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-GIC-12

    @Nested
    @DisplayName("B-GIC-12: SGI generation")
    class Sgis {
        @Test
        @DisplayName("B-GIC-12: SGIs to one target coalesce; only the target sees them")
        void coalesce() {
            Gic g = gic(2);
            g.enable(SGI);
            CpuInterface ci = g.cpuInterface(1);
            for (int i = 0; i < 4; i++) {
                g.sendSgi(SGI, 1);
            }
            assertEquals(SPURIOUS, g.cpuInterface(0).acknowledge());
            assertEquals(SGI, ci.acknowledge());
            assertEquals(SPURIOUS, ci.acknowledge());
            complete(ci, SGI);
            assertEquals(SPURIOUS, ci.acknowledge(), "one delivery for four sends");
            assertState(g, INACTIVE, SGI, 1);
        }

        @Test
        @DisplayName("B-GIC-12: sendSgiAllButSelf targets every PE but self; -1 targets all")
        void allButSelf() {
            Gic g = gic(4);
            g.sendSgiAllButSelf(SGI, 2);
            for (int c = 0; c < 4; c++) {
                assertState(g, c == 2 ? INACTIVE : PENDING, SGI, c);
            }
            g.sendSgiAllButSelf(SGI + 1, -1);
            for (int c = 0; c < 4; c++) {
                assertState(g, PENDING, SGI + 1, c);
            }
        }

        @Test
        @DisplayName("B-GIC-12: sendSgiAllButSelf(sgi) takes self from the current-CPU supplier")
        void allButCurrent() {
            Gic g = new Gic(3, signals::add, () -> 1);
            gics.add(g);
            g.enable(SGI);
            signals.clear();
            g.sendSgiAllButSelf(SGI);
            assertState(g, PENDING, SGI, 0);
            assertState(g, INACTIVE, SGI, 1);
            assertState(g, PENDING, SGI, 2);
            assertEquals(List.of(0, 2), signals);
        }

        @Test
        @DisplayName("B-GIC-12: an SGI while Active becomes Active+Pending and is re-delivered once")
        void whileActive() {
            Gic g = gic(2);
            g.enable(SGI);
            CpuInterface ci = g.cpuInterface(0);
            g.sendSgi(SGI, 0);
            assertEquals(SGI, ci.acknowledge());
            g.sendSgi(SGI, 0);
            g.sendSgi(SGI, 0);
            assertState(g, ACTIVE_PENDING, SGI, 0);
            ci.endOfInterrupt(SGI);
            assertEquals(SPURIOUS, ci.acknowledge());
            ci.deactivate(SGI);
            assertEquals(SGI, ci.acknowledge());
            complete(ci, SGI);
            assertEquals(SPURIOUS, ci.acknowledge());
            assertState(g, INACTIVE, SGI, 0);
        }

        @Test
        @DisplayName("B-GIC-1/12: SGIs are banked: Active on one PE does not block another; per-PE priority")
        void banked() {
            Gic g = gic(2);
            g.enable(SGI);
            g.configure(SGI, 1, Trigger.EDGE_RISING, 0x80);
            assertEquals(0x80, g.priority(SGI, 1));
            assertEquals(Gic.PRIORITY_IRQ, g.priority(SGI, 0));
            g.sendSgi(SGI, 0);
            assertEquals(SGI, g.cpuInterface(0).acknowledge());
            g.sendSgi(SGI, 1);
            assertState(g, ACTIVE, SGI, 0);
            assertState(g, PENDING, SGI, 1);
            assertEquals(SGI, g.cpuInterface(1).acknowledge());
            assertEquals(0x80, g.cpuInterface(1).runningPriority());
            assertEquals(Gic.PRIORITY_IRQ, g.cpuInterface(0).runningPriority());
            complete(g.cpuInterface(0), SGI);
            complete(g.cpuInterface(1), SGI);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-GIC-17

    @Nested
    @DisplayName("B-GIC-17/J-GIC-4: withdrawn interrupts and spurious acknowledges")
    class Withdrawn {
        @Test
        @DisplayName("B-GIC-17: a level SPI whose line drops before acknowledge gives 1023")
        void levelWithdrawn() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.LEVEL_HIGH, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.assertLine(SPI);
            assertTrue(ci.isSignalled(Gic.PMR_NONE));
            g.deassertLine(SPI);
            assertFalse(ci.isSignalled(Gic.PMR_NONE));
            assertEquals(SPURIOUS, ci.acknowledge());
            assertSpiState(g, INACTIVE, SPI);
            assertIdle(ci);
        }

        @Test
        @DisplayName("B-GIC-17: acknowledge returns the current HPPI, not the one that was signalled first")
        void currentHppi() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.LEVEL_HIGH, 0xa0);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.assertLine(SPI);
            assertEquals(SPI, ci.highestPending());
            g.pulse(SPI + 1);
            g.deassertLine(SPI);
            assertEquals(SPI + 1, ci.acknowledge());
            complete(ci, SPI + 1);
            assertEquals(SPURIOUS, ci.acknowledge());
        }

        @Test
        @DisplayName("J-GIC-4: injectSpuriousAcknowledges(n): the next n acknowledges return 1023 and change nothing")
        void injectSpurious() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI);
            ci.injectSpuriousAcknowledges(0);
            ci.injectSpuriousAcknowledges(2);
            for (int i = 0; i < 2; i++) {
                assertEquals(SPURIOUS, ci.acknowledge());
                assertSpiState(g, PENDING, SPI);
                assertIdle(ci);
            }
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-GIC-19

    @Nested
    @DisplayName("B-GIC-19: binary point and implemented priority bits")
    class BinaryPoint {
        @Test
        @DisplayName("B-GIC-19: BPR1 writes below the minimum (3 with 5 priority bits) are raised to it")
        void raisedToMinimum() {
            CpuInterface ci = gic(1).cpuInterface(0);
            assertEquals(3, ci.binaryPoint(), "reset / Linux's BPR1=0 means the minimum");
            for (int bpr = 0; bpr <= 3; bpr++) {
                ci.setBinaryPoint(bpr);
                assertEquals(3, ci.binaryPoint());
            }
            ci.setBinaryPoint(4);
            assertEquals(4, ci.binaryPoint());
            ci.setBinaryPoint(7);
            assertEquals(7, ci.binaryPoint());
        }

        @Test
        @DisplayName("B-GIC-19: with BPR1=4, priorities within one 16-step group cannot preempt; RPR is the group")
        void subpriorityNeverPreempts() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x48);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0x40);
            setUp(g, SPI + 2, Trigger.EDGE_RISING, 0x38);
            CpuInterface ci = g.cpuInterface(0);
            ci.setBinaryPoint(4);
            g.pulse(SPI);
            assertEquals(SPI, ci.acknowledge());
            assertEquals(0x40, ci.runningPriority(), "group priority of 0x48 with BPR1=4");
            g.pulse(SPI + 1);
            assertFalse(ci.isSignalled(Gic.PMR_NONE));
            assertEquals(SPURIOUS, ci.acknowledge(), "0x40 is in the same group as 0x48");
            g.pulse(SPI + 2);
            assertEquals(SPI + 2, ci.acknowledge(), "0x38 is in a higher group");
            assertEquals(0x30, ci.runningPriority());
            complete(ci, SPI + 2);
            assertEquals(SPURIOUS, ci.acknowledge());
            complete(ci, SPI);
            assertEquals(SPI + 1, ci.acknowledge());
            complete(ci, SPI + 1);
        }

        @Test
        @DisplayName("B-GIC-19: with the minimum BPR1 every implemented priority step preempts")
        void minimumBprPreempts() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x48);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0x40);
            CpuInterface ci = g.cpuInterface(0);
            ci.setBinaryPoint(0);
            g.pulse(SPI);
            assertEquals(SPI, ci.acknowledge());
            assertEquals(0x48, ci.runningPriority());
            g.pulse(SPI + 1);
            assertEquals(SPI + 1, ci.acknowledge());
            complete(ci, SPI + 1);
            complete(ci, SPI);
        }

        @Test
        @DisplayName("B-GIC-19: among pending interrupts the full priority (not the group) picks the HPPI")
        void fullPriorityPicksHppi() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x48);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0x40);
            CpuInterface ci = g.cpuInterface(0);
            ci.setBinaryPoint(4);
            g.pulse(SPI);
            g.pulse(SPI + 1);
            assertEquals(SPI + 1, ci.acknowledge());
            ci.endOfInterrupt(SPI + 1);
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
            ci.deactivate(SPI + 1);
        }

        @Test
        @DisplayName("B-GIC-19: priorities are rounded down to 5 bits (multiples of 8), also for ties and PMR")
        void fivePriorityBits() {
            Gic g = gic(2);
            g.configure(SPI, Trigger.EDGE_RISING, 0x47);
            g.configure(PPI, 1, Trigger.LEVEL_HIGH, 0x89);
            g.configure(SGI, Trigger.EDGE_RISING, 0xff);
            assertEquals(0x40, g.priority(SPI));
            assertEquals(0x88, g.priority(PPI, 1));
            assertEquals(0xf8, g.priority(SGI, 0));
            assertEquals(0xf8, g.priority(SGI, 1));
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0x40);
            g.enable(SPI);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI + 1);
            g.pulse(SPI);
            assertEquals(SPI, ci.highestPending(), "0x47 is stored as 0x40: a tie, so the lower INTID wins");
            ci.setPriorityMask(0x47);
            assertEquals(0x40, ci.priorityMask());
            assertEquals(SPURIOUS, ci.acknowledge(), "0x40 is masked by PMR 0x40");
            ci.setPriorityMask(0x48);
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
            assertEquals(SPI + 1, ci.acknowledge());
            complete(ci, SPI + 1);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-GIC-21

    @Nested
    @DisplayName("B-GIC-21: ignored completions are counted and change nothing")
    class IgnoredCompletions {
        @Test
        @DisplayName("B-GIC-21: EOI of 1020-1023 or a non-existent INTID is ignored")
        void eoiOfSpecial() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI);
            assertEquals(SPI, ci.acknowledge());
            int[] bad = {1020, 1021, 1022, 1023, -1, 1024, 4096, 8192};
            for (int intid : bad) {
                ci.endOfInterrupt(intid);
            }
            assertEquals(bad.length, ci.ignoredCompletions());
            assertEquals(0x80, ci.runningPriority());
            assertEquals(1, ci.activeDepth());
            assertSpiState(g, ACTIVE, SPI);
            complete(ci, SPI);
            assertEquals(bad.length, ci.ignoredCompletions());
            expectIgnoredCompletions();
        }

        @Test
        @DisplayName("B-GIC-21: EOI with no active priority is ignored entirely, even in EOImode 0")
        void eoiWithNothingActive() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            ci.endOfInterrupt(SPI);
            assertEquals(1, ci.ignoredCompletions());
            ci.setEoiMode(0);
            g.setActive(SPI, 0, true);
            ci.endOfInterrupt(SPI);
            assertEquals(2, ci.ignoredCompletions());
            assertSpiState(g, ACTIVE, SPI);        // nothing deactivated
            assertIdle(ci);
            g.setActive(SPI, 0, false);
            expectIgnoredCompletions();
        }

        @Test
        @DisplayName("B-GIC-21: DIR of an inactive INTID, of a special INTID, or in EOImode 0 is ignored")
        void dirIgnored() {
            Gic g = gic(2);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            g.enable(SGI);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI);
            ci.deactivate(SPI);                     // pending, not active
            assertSpiState(g, PENDING, SPI);
            ci.deactivate(SGI);                     // inactive
            g.sendSgi(SGI, 1);
            assertEquals(SGI, g.cpuInterface(1).acknowledge());
            ci.deactivate(SGI);                     // active on PE 1, not on PE 0 (banked)
            assertState(g, ACTIVE, SGI, 1);
            ci.deactivate(1023);
            ci.deactivate(8192);
            assertEquals(5, ci.ignoredCompletions());
            ci.setEoiMode(0);
            assertEquals(SPI, ci.acknowledge());
            ci.deactivate(SPI);                     // EOImode 0
            assertSpiState(g, ACTIVE, SPI);
            assertEquals(6, ci.ignoredCompletions());
            ci.endOfInterrupt(SPI);
            assertSpiState(g, INACTIVE, SPI);
            assertIdle(ci);
            complete(g.cpuInterface(1), SGI);
            assertEquals(0, g.cpuInterface(1).ignoredCompletions());
            assertEquals(6, ci.ignoredCompletions());
            expectIgnoredCompletions();
        }
    }

    // ---------------------------------------------------------------------------------------------- B-GIC-22

    @Nested
    @DisplayName("B-GIC-22: ISACTIVER/ICACTIVER")
    class SetActive {
        @Test
        @DisplayName("B-GIC-22: clearing Active of an acknowledged INTID leaves the running priority until EOI")
        void clearKeepsRunningPriority() {
            Gic g = gic(1);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(0);
            g.pulse(SPI);
            assertEquals(SPI, ci.acknowledge());
            g.setActive(SPI, 0, false);
            assertSpiState(g, INACTIVE, SPI);
            assertEquals(0x80, ci.runningPriority());
            assertEquals(1, ci.activeDepth());
            g.pulse(SPI + 1);
            assertEquals(SPURIOUS, ci.acknowledge(), "the running priority still blocks 0x80");
            ci.endOfInterrupt(SPI);
            assertIdle(ci);
            assertEquals(SPI + 1, ci.acknowledge());
            complete(ci, SPI + 1);
        }

        @Test
        @DisplayName("B-GIC-22: setting Active touches no running priority and is not signalled; DIR ends it")
        void setDoesNotSignal() {
            Gic g = gic(2);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            g.enable(SGI);
            g.route(SPI, 1);
            g.pulse(SPI);
            g.sendSgi(SGI, 1);
            signals.clear();
            g.setActive(SPI, 0, true);
            g.setActive(SGI, 1, true);
            assertTrue(signals.isEmpty(), "an INTID made Active is not signalled");
            assertSpiState(g, ACTIVE_PENDING, SPI);
            assertState(g, ACTIVE_PENDING, SGI, 1);
            CpuInterface ci = g.cpuInterface(1);
            assertFalse(ci.isSignalled(Gic.PMR_NONE));
            assertEquals(SPURIOUS, ci.acknowledge());
            assertIdle(ci);
            g.setActive(SPI, 1, false);
            assertEquals(List.of(1), signals);
            assertEquals(SPI, ci.acknowledge());
            ci.endOfInterrupt(SPI);
            ci.deactivate(SGI);                    // DIR ends an ISACTIVER-made Active state (not ignored)
            assertState(g, PENDING, SGI, 1);
            assertEquals(SGI, ci.acknowledge());
            complete(ci, SGI);
            ci.deactivate(SPI);
            assertSpiState(g, INACTIVE, SPI);
        }
    }

    // ---------------------------------------------------------------------------------------------- B-GIC-18, J-GIC-1

    @Nested
    @DisplayName("B-GIC-18/J-GIC-1: signalling (wake-ups) per PE")
    class Signalling {
        @Test
        @DisplayName("B-GIC-12: sendSgi signals the target; a coalesced send does not signal again")
        void sendSgi() {
            Gic g = gic(3);
            g.enable(SGI);
            signals.clear();
            g.sendSgi(SGI, 2);
            assertEquals(List.of(2), signals);
            g.sendSgi(SGI, 2);
            assertEquals(List.of(2), signals, "already pending: coalesced, no second signal");
            g.sendSgiAllButSelf(SGI, 2);
            assertEquals(List.of(2, 0, 1), signals);
            g.sendSgiAllButSelf(SGI, -1);
            assertEquals(List.of(2, 0, 1), signals);
            for (int c = 0; c < 3; c++) {
                assertEquals(SGI, g.cpuInterface(c).acknowledge());
                complete(g.cpuInterface(c), SGI);
            }
        }

        @Test
        @DisplayName("B-GIC-11: pulsing an enabled SPI signals exactly the PE it is routed to")
        void pulseSpi() {
            Gic g = gic(3);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            g.route(SPI, 1);
            signals.clear();
            g.pulse(SPI);
            assertEquals(List.of(1), signals);
            assertEquals(SPI, g.cpuInterface(1).acknowledge());
            complete(g.cpuInterface(1), SPI);
        }

        @Test
        @DisplayName("B-GIC-2: enabling a pending SPI signals its PE")
        void enablePending() {
            Gic g = gic(2);
            g.configure(SPI, Trigger.LEVEL_HIGH, 0x80);
            g.route(SPI, 1);
            g.assertLine(SPI);
            signals.clear();
            g.enable(SPI);
            assertEquals(List.of(1), signals);
            assertEquals(SPI, g.cpuInterface(1).acknowledge());
            g.deassertLine(SPI);
            complete(g.cpuInterface(1), SPI);
        }

        @Test
        @DisplayName("B-GIC-11: a route change of a pending SPI signals the new PE")
        void routeChange() {
            Gic g = gic(3);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            g.pulse(SPI);
            signals.clear();
            g.route(SPI, 2);
            assertEquals(List.of(2), signals);
            assertEquals(SPI, g.cpuInterface(2).acknowledge());
            complete(g.cpuInterface(2), SPI);
        }

        @Test
        @DisplayName("B-GIC-3/12: deactivating an Active+Pending INTID signals its PE (DIR, and EOI in EOImode 0)")
        void deactivateActivePending() {
            Gic g = gic(2);
            g.enable(SGI);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            CpuInterface ci = g.cpuInterface(1);
            g.sendSgi(SGI, 1);
            assertEquals(SGI, ci.acknowledge());
            g.sendSgi(SGI, 1);
            ci.endOfInterrupt(SGI);
            signals.clear();
            ci.deactivate(SGI);
            assertEquals(List.of(1), signals);
            assertEquals(SGI, ci.acknowledge());
            complete(ci, SGI);

            CpuInterface pe0 = g.cpuInterface(0);
            pe0.setEoiMode(0);
            g.pulse(SPI);
            assertEquals(SPI, pe0.acknowledge());
            g.route(SPI, 1);
            g.pulse(SPI);
            signals.clear();
            pe0.endOfInterrupt(SPI);
            assertTrue(signals.contains(1), "EOImode 0 EOI deactivates and signals the routed PE: " + signals);
            assertEquals(SPI, ci.acknowledge());
            complete(ci, SPI);
        }

        @Test
        @DisplayName("B-GIC-18: a priority drop, a PMR raise, a group enable and ISPENDR signal what they unblock")
        void cpuInterfaceChanges() {
            Gic g = gic(2);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x80);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0x80);
            setUp(g, PPI, Trigger.LEVEL_HIGH, 0xa0);
            g.route(SPI, 1);
            g.route(SPI + 1, 1);
            CpuInterface ci = g.cpuInterface(1);
            g.pulse(SPI);
            assertEquals(SPI, ci.acknowledge());
            g.pulse(SPI + 1);                      // held back by the running priority
            signals.clear();
            ci.endOfInterrupt(SPI);
            assertTrue(signals.contains(1), "drop: " + signals);
            ci.setPriorityMask(0x80);
            signals.clear();
            ci.setPriorityMask(0x88);
            assertTrue(signals.contains(1), "PMR raise: " + signals);
            ci.setGroupEnabled(false);
            signals.clear();
            ci.setGroupEnabled(true);
            assertTrue(signals.contains(1), "group enable: " + signals);
            assertEquals(SPI + 1, ci.acknowledge());
            complete(ci, SPI + 1);
            ci.deactivate(SPI);
            ci.setPriorityMask(Gic.PMR_DEFAULT);
            signals.clear();
            g.setPending(PPI, 1);
            assertEquals(List.of(1), signals, "ISPENDR of a banked INTID");
            signals.clear();
            g.assertLine(PPI, 0);
            assertEquals(List.of(0), signals, "level PPI line high");
            assertEquals(PPI, ci.acknowledge());
            complete(ci, PPI);
            assertEquals(PPI, g.cpuInterface(0).acknowledge());
            g.deassertLine(PPI, 0);
            complete(g.cpuInterface(0), PPI);
        }

        @Test
        @DisplayName("B-GIC-18/19: a BPR1 write that lets a held-back interrupt preempt signals the PE")
        void binaryPointUnblocks() {
            Gic g = gic(2);
            setUp(g, SPI, Trigger.EDGE_RISING, 0x48);
            setUp(g, SPI + 1, Trigger.EDGE_RISING, 0x48);
            g.route(SPI, 1);
            g.route(SPI + 1, 1);
            CpuInterface ci = g.cpuInterface(1);
            g.pulse(SPI);
            assertEquals(SPI, ci.acknowledge());
            assertEquals(0x48, ci.runningPriority());
            g.pulse(SPI + 1);
            assertFalse(ci.isSignalled(Gic.PMR_NONE), "same group priority as the running one");
            signals.clear();
            ci.setBinaryPoint(4);                   // group priority of 0x48 is now 0x40 < RPR 0x48
            assertTrue(ci.isSignalled(Gic.PMR_NONE));
            assertTrue(signals.contains(1), "the recomputed signal must wake the PE: " + signals);
            assertEquals(SPI + 1, ci.acknowledge());
            complete(ci, SPI + 1);
            complete(ci, SPI);
        }

        @Test
        @DisplayName("B-GIC-18: reconfiguring a masked pending SPI to an unmasked priority signals its PE")
        void configureUnmasks() {
            Gic g = gic(2);
            setUp(g, SPI, Trigger.EDGE_RISING, 0xf8);
            g.route(SPI, 1);
            g.pulse(SPI);
            assertFalse(g.cpuInterface(1).isSignalled(Gic.PMR_NONE), "0xf8 is masked by PMR 0xf0");
            signals.clear();
            g.configure(SPI, Trigger.EDGE_RISING, 0x80);
            assertEquals(List.of(1), signals);
            assertEquals(SPI, g.cpuInterface(1).acknowledge());
            complete(g.cpuInterface(1), SPI);
        }
    }

    // ---------------------------------------------------------------------------------------------- model test

    /** Reference model of §2a/§2b for the randomized test: the plain definitions, no bookkeeping. */
    static final class Model {
        static final class Irq {
            boolean latch;
            boolean line;
            boolean active;
            boolean enabled;
            boolean edge;
            int prio = Gic.PRIORITY_IRQ;
            int route;
        }

        /** Ascending, so that the first best candidate found is the lowest INTID (B-GIC-5 ties). */
        static final int[] INTIDS = {0, 1, 2, 3, 16, 17, 18, 19, 32, 33, 34, 35, 63, 64, 65, 1019};
        static final int[] SGIS = {0, 1, 2, 3};
        static final int[] LINES = {16, 17, 18, 19, 32, 33, 34, 35, 63, 64, 65, 1019};
        static final int[] SPIS = {32, 33, 34, 35, 63, 64, 65, 1019};

        final int pes;
        final Irq[][] banked;
        final Irq[] spis = new Irq[Gic.SPI_LAST + 1];
        final int[] pmr;
        final int[] bpr;
        final boolean[] split;
        final long[] ignored;
        final List<ArrayList<int[]>> stacks = new ArrayList<>();   // {intid, group priority}, top = last

        Model(int pes) {
            this.pes = pes;
            banked = new Irq[pes][32];
            pmr = new int[pes];
            bpr = new int[pes];
            split = new boolean[pes];
            ignored = new long[pes];
            for (int pe = 0; pe < pes; pe++) {
                for (int i = 0; i < 32; i++) {
                    banked[pe][i] = new Irq();
                    banked[pe][i].edge = Gic.isSgi(i);
                }
                pmr[pe] = Gic.PMR_DEFAULT;
                bpr[pe] = 3;
                split[pe] = true;
                stacks.add(new ArrayList<>());
            }
            for (int s : SPIS) {
                spis[s] = new Irq();
            }
        }

        Irq irq(int intid, int pe) {
            return intid < Gic.SPI_FIRST ? banked[pe][intid] : spis[intid];
        }

        static boolean pending(Irq q) {
            return q.latch || (q.line && !q.edge);
        }

        InterruptState state(int intid, int pe) {
            Irq q = irq(intid, pe);
            return InterruptState.of(pending(q), q.active);
        }

        int groupPriority(int pe, int prio) {
            return prio & (0xff << bpr[pe]) & 0xff;
        }

        int runningPriority(int pe) {
            List<int[]> st = stacks.get(pe);
            return st.isEmpty() ? Gic.PRIORITY_IDLE : st.get(st.size() - 1)[1];
        }

        /** B-GIC-18: pending, enabled, not active, targeted here; lowest priority value, then lowest INTID. */
        int hppi(int pe) {
            int best = SPURIOUS;
            int bestPrio = Integer.MAX_VALUE;
            for (int intid : INTIDS) {
                Irq q = irq(intid, pe);
                if (intid >= Gic.SPI_FIRST && q.route != pe) {
                    continue;
                }
                if (pending(q) && q.enabled && !q.active && q.prio < bestPrio) {
                    best = intid;
                    bestPrio = q.prio;
                }
            }
            return best;
        }

        boolean signallable(int pe, int peMask) {
            int h = hppi(pe);
            if (h == SPURIOUS) {
                return false;
            }
            int p = irq(h, pe).prio;
            return p < Math.min(pmr[pe], peMask) && groupPriority(pe, p) < runningPriority(pe);
        }

        int acknowledge(int pe, int peMask) {
            if (!signallable(pe, peMask)) {
                return SPURIOUS;
            }
            int h = hppi(pe);
            Irq q = irq(h, pe);
            q.latch = false;
            q.active = true;
            stacks.get(pe).add(new int[] {h, groupPriority(pe, q.prio)});
            return h;
        }

        int top(int pe) {
            List<int[]> st = stacks.get(pe);
            return st.isEmpty() ? -1 : st.get(st.size() - 1)[0];
        }

        void endOfInterrupt(int pe) {
            List<int[]> st = stacks.get(pe);
            int intid = st.remove(st.size() - 1)[0];
            if (!split[pe]) {
                deactivate(pe, intid);
            }
        }

        void dir(int pe, int intid) {
            if (!split[pe]) {
                ignored[pe]++;
            } else {
                deactivate(pe, intid);
            }
        }

        private void deactivate(int pe, int intid) {
            Irq q = irq(intid, pe);
            if (q.active) {
                q.active = false;
            } else {
                ignored[pe]++;
            }
        }

        void setLine(Irq q, boolean high) {
            if (high && !q.line && q.edge) {
                q.latch = true;
            }
            q.line = high;
        }
    }

    @Nested
    @DisplayName("§2a/§2b: randomized operations against a reference model")
    class RandomModel {
        private final int[] prios = {
            0x00, 0x38, 0x40, 0x47, 0x78, 0x80, 0x88, 0xa0, 0xc0, 0xc7, 0xe8, 0xf0, 0xf8, 0xff,
        };
        private final int[] pmrs = {0x00, 0x80, 0xa0, 0xc0, 0xc8, 0xf0, 0xf7, 0xff};

        @Test
        @DisplayName("§2a, B-GIC-2..12/17..22: 4 seeds x 6000 random operations on 2-4 PEs match the model")
        void matchesModel() {
            long[][] seedAndPes = {{1, 2}, {42, 3}, {0x5eed, 4}, {20261123, 4}};
            for (long[] run : seedAndPes) {
                run(run[0], (int) run[1], 6000);
            }
            expectIgnoredCompletions();     // asserted exactly against the model
        }

        private void run(long seed, int pes, int steps) {
            java.util.Random rnd = new java.util.Random(seed);
            Gic g = gic(pes);
            Model m = new Model(pes);
            for (int pe = 0; pe < pes; pe++) {
                if (rnd.nextInt(3) == 0) {
                    g.cpuInterface(pe).setEoiMode(0);
                    m.split[pe] = false;
                }
                int bpr = rnd.nextInt(6);
                g.cpuInterface(pe).setBinaryPoint(bpr);
                m.bpr[pe] = Math.max(bpr, 3);
            }
            for (int step = 0; step < steps; step++) {
                boolean[] before = new boolean[pes];
                for (int pe = 0; pe < pes; pe++) {
                    before[pe] = m.signallable(pe, Gic.PMR_NONE);
                }
                signals.clear();
                String op = step(rnd, g, m);
                String where = "seed " + seed + " step " + step + " after " + op;
                compare(g, m, before, where);
            }
        }

        private int pick(java.util.Random rnd, int[] from) {
            return from[rnd.nextInt(from.length)];
        }

        private String step(java.util.Random rnd, Gic g, Model m) {
            int pes = m.pes;
            int pe = rnd.nextInt(pes);
            CpuInterface ci = g.cpuInterface(pe);
            int intid = pick(rnd, Model.INTIDS);
            int kind = rnd.nextInt(24);
            switch (kind) {
                case 0: {
                    Trigger t = rnd.nextBoolean() ? Trigger.EDGE_RISING : Trigger.LEVEL_HIGH;
                    int prio = pick(rnd, prios);
                    boolean onePe = rnd.nextBoolean();
                    String op = "configure(" + intid + (onePe ? ", cpu " + pe : "") + ", " + t + ", 0x"
                            + Integer.toHexString(prio) + ")";
                    if (Gic.isSgi(intid) && t != Trigger.EDGE_RISING) {
                        assertThrows(IllegalArgumentException.class, () -> g.configure(intid, t, prio), op);
                        return op + " rejected";
                    }
                    if (onePe) {
                        g.configure(intid, pe, t, prio);
                    } else {
                        g.configure(intid, t, prio);
                    }
                    for (int c = 0; c < pes; c++) {
                        if (c == pe || !onePe || intid >= Gic.SPI_FIRST) {
                            Model.Irq q = m.irq(intid, c);
                            q.edge = t == Trigger.EDGE_RISING;
                            q.prio = prio & 0xf8;
                        }
                    }
                    return op;
                }
                case 1: {
                    boolean on = rnd.nextInt(3) != 0;
                    boolean onePe = rnd.nextBoolean();
                    if (onePe) {
                        if (on) {
                            g.enable(intid, pe);
                        } else {
                            g.disable(intid, pe);
                        }
                    } else if (on) {
                        g.enable(intid);
                    } else {
                        g.disable(intid);
                    }
                    for (int c = 0; c < pes; c++) {
                        if (c == pe || !onePe || intid >= Gic.SPI_FIRST) {
                            m.irq(intid, c).enabled = on;
                        }
                    }
                    return (on ? "enable(" : "disable(") + intid + (onePe ? ", cpu " + pe : "") + ")";
                }
                case 2: {
                    int spi = pick(rnd, Model.SPIS);
                    g.route(spi, pe);
                    m.spis[spi].route = pe;
                    return "route(" + spi + ", " + pe + ")";
                }
                case 3:
                case 4: {
                    int line = pick(rnd, Model.LINES);
                    boolean high = kind == 3;
                    if (Gic.isSpi(line)) {
                        if (high) {
                            g.assertLine(line);
                        } else {
                            g.deassertLine(line);
                        }
                    } else if (high) {
                        g.assertLine(line, pe);
                    } else {
                        g.deassertLine(line, pe);
                    }
                    m.setLine(m.irq(line, pe), high);
                    return (high ? "assertLine(" : "deassertLine(") + line + ", cpu " + pe + ")";
                }
                case 5: {
                    int line = pick(rnd, Model.LINES);
                    Model.Irq q = m.irq(line, pe);
                    Executable pulse = Gic.isSpi(line) ? () -> g.pulse(line) : () -> g.pulse(line, pe);
                    String op = "pulse(" + line + ", cpu " + pe + ")";
                    if (!q.edge) {
                        assertThrows(IllegalStateException.class, pulse, op);
                        return op + " rejected (level)";
                    }
                    assertDoesNotThrow(pulse);
                    if (!q.line) {
                        q.latch = true;
                    }
                    return op;
                }
                case 6:
                    g.setPending(intid, pe);
                    m.irq(intid, pe).latch = true;
                    return "setPending(" + intid + ", " + pe + ")";
                case 7:
                    g.clearPending(intid, pe);
                    m.irq(intid, pe).latch = false;
                    return "clearPending(" + intid + ", " + pe + ")";
                case 8: {
                    int sgi = pick(rnd, Model.SGIS);
                    if (rnd.nextBoolean()) {
                        g.sendSgi(sgi, pe);
                        m.irq(sgi, pe).latch = true;
                        return "sendSgi(" + sgi + ", " + pe + ")";
                    }
                    int self = rnd.nextInt(pes + 1) - 1;
                    g.sendSgiAllButSelf(sgi, self);
                    for (int c = 0; c < pes; c++) {
                        if (c != self) {
                            m.irq(sgi, c).latch = true;
                        }
                    }
                    return "sendSgiAllButSelf(" + sgi + ", " + self + ")";
                }
                case 9:
                case 10:
                case 11:
                case 12: {
                    int mask = rnd.nextInt(4) == 0 ? Gic.PMR_IRQ_OFF : Gic.PMR_NONE;
                    int expected = m.acknowledge(pe, mask);
                    int got = ci.acknowledge(mask);
                    String op = "acknowledge(cpu " + pe + ", mask 0x" + Integer.toHexString(mask) + ")";
                    assertEquals(expected, got, op);
                    return op + " = " + got;
                }
                case 13:
                case 14:
                case 15:
                case 16: {
                    int top = m.top(pe);
                    if (top < 0) {
                        return "no EOI on cpu " + pe;
                    }
                    List<int[]> st = m.stacks.get(pe);
                    if (st.size() > 1 && rnd.nextInt(4) == 0) {
                        int other = st.get(rnd.nextInt(st.size() - 1))[0];
                        if (other != top) {
                            assertThrows(IllegalStateException.class, () -> ci.endOfInterrupt(other));
                            return "out-of-order EOI(" + other + ") on cpu " + pe + " rejected";
                        }
                    }
                    ci.endOfInterrupt(top);
                    m.endOfInterrupt(pe);
                    return "EOI(" + top + ") on cpu " + pe;
                }
                case 17:
                case 18:
                case 19: {
                    int target = intid;
                    if (rnd.nextInt(8) != 0) {     // mostly an INTID that is active (well-formed DIR)
                        List<Integer> active = new ArrayList<>();
                        for (int i : Model.INTIDS) {
                            if (m.irq(i, pe).active) {
                                active.add(i);
                            }
                        }
                        if (!active.isEmpty()) {
                            target = active.get(rnd.nextInt(active.size()));
                        }
                    }
                    ci.deactivate(target);
                    m.dir(pe, target);
                    return "DIR(" + target + ") on cpu " + pe;
                }
                case 20:
                case 21: {
                    int v = pick(rnd, pmrs);
                    ci.setPriorityMask(v);
                    m.pmr[pe] = v & 0xf8;
                    return "setPriorityMask(0x" + Integer.toHexString(v) + ") on cpu " + pe;
                }
                case 22: {
                    boolean on = rnd.nextBoolean();
                    g.setActive(intid, pe, on);
                    m.irq(intid, pe).active = on;
                    return "setActive(" + intid + ", " + pe + ", " + on + ")";
                }
                default: {
                    int line = pick(rnd, Model.LINES);
                    Model.Irq q = m.irq(line, pe);
                    // toggle the line: a device doing its thing
                    if (Gic.isSpi(line)) {
                        if (q.line) {
                            g.deassertLine(line);
                        } else {
                            g.assertLine(line);
                        }
                    } else if (q.line) {
                        g.deassertLine(line, pe);
                    } else {
                        g.assertLine(line, pe);
                    }
                    m.setLine(q, !q.line);
                    return "toggle line " + line + " (cpu " + pe + ") to " + q.line;
                }
            }
        }

        private void compare(Gic g, Model m, boolean[] before, String where) {
            assertTrue(g.invariantHolds(), () -> "distributor bookkeeping, " + where);
            for (int pe = 0; pe < m.pes; pe++) {
                CpuInterface ci = g.cpuInterface(pe);
                for (int intid : Model.INTIDS) {
                    if (m.state(intid, pe) != g.state(intid, pe)) {
                        assertEquals(m.state(intid, pe), g.state(intid, pe),
                                "state of " + intid + " on cpu " + pe + ", " + where);
                    }
                }
                String cpu = "cpu " + pe + ", " + where;
                assertEquals(m.runningPriority(pe), ci.runningPriority(), () -> "running priority, " + cpu);
                assertEquals(m.stacks.get(pe).size(), ci.activeDepth(), () -> "active depth, " + cpu);
                assertEquals(m.ignored[pe], ci.ignoredCompletions(), () -> "ignored completions, " + cpu);
                assertEquals(m.hppi(pe), ci.highestPending(), () -> "HPPI, " + cpu);
                boolean now = m.signallable(pe, Gic.PMR_NONE);
                assertEquals(now, ci.isSignalled(Gic.PMR_NONE), () -> "signalled, " + cpu);
                assertEquals(m.signallable(pe, Gic.PMR_IRQ_OFF), ci.isSignalled(Gic.PMR_IRQ_OFF),
                        () -> "signalled through PMR_IRQ_OFF, " + cpu);
                if (m.hppi(pe) != SPURIOUS) {
                    assertTrue(ci.mayBeSignalled(), () -> "the hint must not miss a candidate, " + cpu);
                }
                if (now && !before[pe]) {
                    int p = pe;
                    assertTrue(signals.contains(pe), () -> "newly signallable but cpu " + p + " not signalled ("
                            + signals + "), " + where);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- threads

    @Nested
    @DisplayName("concurrency")
    class Concurrency {
        @Test
        @Timeout(value = 60, unit = TimeUnit.SECONDS)
        @DisplayName("B-GIC-12: concurrent sendSgi to one PE: nothing stays pending, every delivery was signalled")
        void concurrentSenders() throws InterruptedException {
            AtomicLong wakeups = new AtomicLong();
            Gic g = new Gic(2, pe -> {
                if (pe == 0) {
                    wakeups.incrementAndGet();
                }
            }, () -> -1);
            gics.add(g);
            g.enable(SGI);
            wakeups.set(0);
            CpuInterface ci = g.cpuInterface(0);
            int senders = 4;
            int sends = 20_000;
            CountDownLatch start = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(senders);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < senders; t++) {
                Thread th = new Thread(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < sends; i++) {
                            g.sendSgi(SGI, 0);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        done.countDown();
                    }
                }, "sgi-sender-" + t);
                th.setDaemon(true);
                threads.add(th);
                th.start();
            }
            start.countDown();
            long acks = 0;
            while (done.getCount() > 0) {
                int intid = ci.acknowledge();
                if (intid == SGI) {
                    acks++;
                    complete(ci, SGI);
                } else {
                    assertEquals(SPURIOUS, intid);
                }
            }
            for (Thread th : threads) {
                th.join();
            }
            // Quiescent: at most the one coalesced SGI of the last sends is still pending.
            if (ci.acknowledge() == SGI) {
                acks++;
                complete(ci, SGI);
            }
            assertEquals(SPURIOUS, ci.acknowledge(), "nothing else pending once the senders are done");
            g.sendSgi(SGI, 0);
            int last;
            do {
                last = ci.acknowledge();
            } while (last != SGI);                  // bounded by the @Timeout
            acks++;
            complete(ci, SGI);
            assertTrue(acks >= 1 && acks <= (long) senders * sends + 1, "acks " + acks);
            assertTrue(wakeups.get() >= acks, "every pending period began with a signal: " + wakeups + " < " + acks);
            assertEquals(0, ci.ignoredCompletions());
            assertState(g, INACTIVE, SGI, 0);
            assertIdle(ci);
        }
    }
}
