/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.gic;

import static io.kdefer.gic.InterruptState.ACTIVE;
import static io.kdefer.gic.InterruptState.ACTIVE_PENDING;
import static io.kdefer.gic.InterruptState.INACTIVE;
import static io.kdefer.gic.InterruptState.PENDING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
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

    // ---------------------------------------------------------------------------------------------- B-GIC-1, 14

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
}
