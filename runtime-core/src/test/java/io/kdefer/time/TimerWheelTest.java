/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kdefer.time.TimerWheel.Entry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Unit tests for {@link TimerWheel}: one test (or group) per property bullet of its javadoc. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)   // a broken cascade loops forever: fail instead of hanging the build
class TimerWheelTest {

    /** Starting jiffies: zero, just below level boundaries, unaligned, the kernel-like negative start, extremes. */
    private static final long[] STARTS = {
        0, 1, 62, 63, 4094, 4095, 12345, -300_000, -1, Long.MIN_VALUE, Long.MIN_VALUE + 77, 1L << 40,
    };

    /** Records fired entries. */
    private static final class Recorder implements Consumer<Entry> {
        final List<Entry> fired = new ArrayList<>();

        @Override
        public void accept(Entry e) {
            assertFalse(e.isArmed(), "an entry is disarmed before its callback sees it");
            fired.add(e);
            assertTrue(fired.size() <= 100_000, "runaway firing: an entry re-armed in advance() fired in it again?");
        }

        List<Entry> take() {
            List<Entry> r = new ArrayList<>(fired);
            fired.clear();
            return r;
        }
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) {
            return b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        return r;
    }

    /** Deltas from now at and around every level boundary (64^L - 1, 64^L, 64^L + 1), plus 1 and 2. */
    private static List<Long> boundaryDeltas() {
        List<Long> deltas = new ArrayList<>(List.of(1L, 2L));
        for (int level = 1; level < TimerWheel.LEVELS; level++) {
            long b = 1L << (TimerWheel.LEVEL_BITS * level);
            deltas.add(b - 1);
            deltas.add(b);
            deltas.add(b + 1);
        }
        deltas.add(Long.MAX_VALUE / 2);   // far beyond any kernel wheel's top level
        return deltas;
    }

    // ---- Exact expiry

    @Test
    void exactExpiryAtEveryLevelBoundary() {
        for (long start : STARTS) {
            for (long d : boundaryDeltas()) {
                long e = saturatingAdd(start, d);
                if (e <= start) {
                    continue;
                }
                TimerWheel w = new TimerWheel(start);
                Entry a = new Entry("d=" + d);
                assertFalse(w.add(a, e));
                assertEquals(e, w.nextExpiry(), () -> "start " + start + " delta " + d);
                Recorder r = new Recorder();
                // Approach in a few hops, so that the entry cascades on the way.
                for (long gap : new long[] {d / 2, d / 64, 64, 1}) {
                    long t = e - gap;
                    if (gap > 0 && t < e && t > w.now()) {
                        assertEquals(0, w.advance(t, r), () -> "fired early at " + t + ", expiry " + e);
                        assertTrue(a.isArmed());
                        assertEquals(e, w.nextExpiry());
                    }
                }
                assertEquals(1, w.advance(e, r), () -> "not fired at its expiry " + e + " from " + start);
                assertEquals(List.of(a), r.take());
                assertEquals(Long.MAX_VALUE, w.nextExpiry());
                assertEquals(0, w.size());
            }
        }
    }

    @Test
    void exactExpiryWithAllBoundariesInOneWheel() {
        for (long start : STARTS) {
            TimerWheel w = new TimerWheel(start);
            List<Long> expiries = new ArrayList<>();
            for (long d : boundaryDeltas()) {
                long e = saturatingAdd(start, d);
                if (e > start && !expiries.contains(e)) {
                    expiries.add(e);
                    w.add(new Entry(e), e);
                }
            }
            expiries.add(Long.MAX_VALUE);
            w.add(new Entry(Long.MAX_VALUE), Long.MAX_VALUE);
            expiries.sort(null);
            Recorder r = new Recorder();
            for (long e : expiries) {
                assertEquals(e, w.nextExpiry());
                if (e - 1 > w.now()) {
                    assertEquals(0, w.advance(e - 1, r), () -> "early before " + e);
                }
                assertEquals(e, w.nextExpiry());
                assertEquals(1, w.advance(e, r), () -> "missed " + e + " from " + start);
                assertEquals(e, (long) (Long) r.take().get(0).owner());
            }
            assertEquals(0, w.size());
            assertTrue(w.cascaded() <= (long) (TimerWheel.LEVELS - 1) * expiries.size());
        }
    }

    @Test
    void tickByTickAcrossTheFirstLevels() {
        for (long start : STARTS) {
            if (start > Long.MAX_VALUE - 10_000) {
                continue;
            }
            TimerWheel w = new TimerWheel(start);
            int n = 4200;
            Entry[] es = new Entry[n + 1];
            for (int d = 1; d <= n; d++) {
                es[d] = new Entry(d);
                w.add(es[d], start + d);
            }
            Recorder r = new Recorder();
            for (int d = 1; d <= n; d++) {
                assertEquals(start + d, w.nextExpiry());
                assertEquals(1, w.advance(start + d, r), "start " + start + " tick " + d);
                assertSame(es[d], r.take().get(0));
            }
            assertEquals(0, w.size());
        }
    }

    // ---- Already due

    @Test
    void dueEntryFiresAtTheNextAdvance() {
        TimerWheel w = new TimerWheel(100);
        Entry past = new Entry("past");
        Entry present = new Entry("present");
        w.add(past, 40);
        w.add(present, 100);
        assertEquals(100, w.nextExpiry());
        assertTrue(past.isArmed());
        Recorder r = new Recorder();
        assertEquals(2, w.advance(100, r), "same jiffy: still the next advance");
        assertEquals(List.of(past, present), r.take());
        assertEquals(40, past.expires(), "expires() keeps the requested value");
        assertEquals(0, w.advance(100, r));
    }

    @Test
    void dueAtExactlyNowOnEveryBoundary() {
        // expires == now is the edge between DUE and the wheel: clk (now + 1) may start a new level interval.
        for (long start : STARTS) {
            long[] nows = {start, start + 63 - Math.floorMod(start, 64), start + 4095 - Math.floorMod(start, 4096)};
            for (long now : nows) {
                TimerWheel w = new TimerWheel(now);
                Entry atNow = new Entry("now");
                Entry next = new Entry("next");
                w.add(atNow, now);
                w.add(next, now + 1);
                assertEquals(now, w.nextExpiry());
                Recorder r = new Recorder();
                assertEquals(1, w.advance(now, r), () -> "now " + now);
                assertEquals(List.of(atNow), r.take());
                assertEquals(now + 1, w.nextExpiry());
                assertEquals(1, w.advance(now + 1, r));
                assertEquals(List.of(next), r.take());
            }
        }
    }

    @Test
    void reAddFromCallbackFiresAtTheNextAdvanceNotThisOne() {
        TimerWheel w = new TimerWheel(0);
        Entry zero = new Entry("period 0");
        Entry one = new Entry("period 1");
        Entry far = new Entry("period 1000");
        w.add(zero, 5);
        w.add(one, 5);
        w.add(far, 5);
        Map<Entry, Long> period = Map.of(zero, 0L, one, 1L, far, 1000L);
        List<Entry> fired = new ArrayList<>();
        Consumer<Entry> periodic = e -> {
            fired.add(e);
            assertTrue(fired.size() <= 3, "livelock: a re-added entry fired again in the same advance()");
            assertSame(e, w.running());
            assertFalse(w.add(e, e.expires() + period.get(e)));
            assertTrue(e.isArmed());
            assertSame(e, w.running());
        };
        assertEquals(3, w.advance(5, periodic));
        assertNull(w.running());
        assertEquals(List.of(zero, one, far), fired);
        assertEquals(5, w.nextExpiry(), "period 0 is due again");
        fired.clear();
        assertEquals(1, w.advance(5, periodic));
        assertEquals(List.of(zero), fired);
        fired.clear();
        // A jump: period 1 fires once per advance(), not once per skipped jiffy.
        assertEquals(2, w.advance(100, periodic));
        assertEquals(List.of(zero, one), fired);
        assertEquals(7, one.expires());
        fired.clear();
        assertEquals(2, w.advance(100, periodic));
        assertEquals(List.of(zero, one), fired);
        fired.clear();
        assertEquals(3, w.advance(1005, periodic));
        assertEquals(List.of(zero, one, far), fired);
        assertEquals(2005, far.expires());
    }

    // ---- Order

    @Test
    void firesInExpiryOrderFifoOnTies() {
        Random rnd = new Random(7);
        TimerWheel w = new TimerWheel(1000);
        List<Entry> armed = new ArrayList<>();
        Map<Entry, Integer> armOrder = new HashMap<>();
        for (int i = 0; i < 5000; i++) {
            Entry e = new Entry(i);
            long d = switch (i % 5) {
                case 0 -> rnd.nextInt(70);
                case 1 -> rnd.nextInt(5000);
                case 2 -> rnd.nextInt(400_000);
                case 3 -> rnd.nextInt(20) * 4096L;   // many ties on level boundaries
                default -> -rnd.nextInt(50);         // already due
            };
            w.add(e, 1000 + d);
            armed.add(e);
            armOrder.put(e, i);
        }
        // Move some: their arming order becomes "last".
        for (int i = 0; i < 500; i++) {
            Entry e = armed.get(rnd.nextInt(armed.size()));
            assertTrue(w.add(e, e.expires()));
            armOrder.put(e, 5000 + i);
        }
        Comparator<Entry> order = Comparator.comparingLong(Entry::expires).thenComparing(armOrder::get);
        armed.sort(order);
        Recorder r = new Recorder();
        w.advance(1000 + 100_000, r);
        List<Entry> expected = armed.stream().filter(e -> e.expires() <= 1000 + 100_000).toList();
        assertEquals(expected, r.take());
        w.advance(1000 + 500_000, r);
        assertEquals(armed.subList(expected.size(), armed.size()), r.take());
    }

    // ---- Once per arming, add/remove return values

    @Test
    void removeBeforeExpiry() {
        TimerWheel w = new TimerWheel(0);
        Entry a = new Entry("a");
        Entry b = new Entry("b");
        assertFalse(w.remove(a), "idle");
        w.add(a, 50);
        w.add(b, 5000);
        assertTrue(w.remove(a));
        assertFalse(w.remove(a));
        assertFalse(a.isArmed());
        assertEquals(1, w.size());
        Recorder r = new Recorder();
        assertEquals(0, w.advance(4096, r));
        assertEquals(1, b.level(), "cascaded from level 2 at 4096");
        assertTrue(w.remove(b), "remove after a cascade");
        assertEquals(0, w.advance(10_000, r));
        assertEquals(0, w.size());
        assertEquals(Long.MAX_VALUE, w.nextExpiry());
        Entry due = new Entry("due");
        w.add(due, 3);
        assertTrue(w.remove(due), "remove a due entry");
        assertEquals(0, w.advance(10_000, r));
    }

    @Test
    void reAddMovesEarlierAndLater() {
        TimerWheel w = new TimerWheel(0);
        Recorder r = new Recorder();
        Entry a = new Entry("a");
        assertFalse(w.add(a, 1000));
        assertTrue(w.add(a, 10), "earlier");
        assertEquals(1, w.size());
        assertEquals(10, w.nextExpiry());
        assertEquals(1, w.advance(10, r));
        assertFalse(w.add(a, 20));
        assertTrue(w.add(a, 300_000), "later");
        assertEquals(0, w.advance(299_999, r));
        assertEquals(300_000, w.nextExpiry());
        assertTrue(w.add(a, w.now()), "into DUE");
        assertTrue(w.add(a, 300_001), "out of DUE");
        assertEquals(0, w.advance(300_000, r));
        assertEquals(1, w.advance(300_001, r));
        assertEquals(List.of(a, a), r.take());
    }

    @Test
    void entriesAreReusedNotCopied() {
        // Behaviour only: the wheel hands back the very entry it was given, and one entry serves any number of
        // armings. Bytes per operation are measured by the JMH benchmark with -prof gc, not here.
        TimerWheel w = new TimerWheel(0);
        Entry e = new Entry("periodic");
        int[] fired = {0};
        w.add(e, 1);
        for (long t = 1; t <= 100_000; t++) {
            assertEquals(1, w.advance(t, x -> {
                assertSame(e, x);
                fired[0]++;
                w.add(x, x.expires() + 1);
            }));
        }
        assertEquals(100_000, fired[0]);
        assertEquals("periodic", e.owner());
    }

    @Test
    void statesAreObservable() {
        TimerWheel w = new TimerWheel(0);
        Entry e = new Entry("e");
        assertEquals(-1, e.level());
        w.add(e, 5000);                       // 5000 = digit 2 is 1: level 2, slot 1
        assertEquals(2, e.level());
        assertEquals(1, e.slot());
        assertTrue(e.toString().contains("armed L2 S1"), e::toString);
        w.advance(4096, x -> { });
        assertEquals(1, e.level());            // cascaded: digit 1 of 5000 is 14
        assertEquals(14, e.slot());
        w.advance(4990, x -> { });
        assertEquals(1, e.level(), "its level-1 interval starts at 4992");
        w.advance(4991, x -> { });
        assertEquals(0, e.level(), "cascaded as soon as the next unprocessed jiffy is 4992");
        assertEquals(5000 & 63, e.slot());
        w.add(e, 4990);
        assertTrue(e.isArmed());
        assertEquals(-1, e.level());
        assertTrue(e.toString().contains("due"), e::toString);
        w.advance(4992, x -> {
            assertSame(e, w.running(), "FIRING");
            assertFalse(e.isArmed());
            assertTrue(x.toString().contains("idle"), x::toString);
        });
        assertNull(w.running());
        assertFalse(e.isArmed());
    }

    // ---- Callbacks that remove

    @Test
    void removeFromCallbackOfAnEntryDueInTheSameAdvance() {
        TimerWheel w = new TimerWheel(0);
        Entry a = new Entry("a");
        Entry b = new Entry("b");
        Entry c = new Entry("c");
        Entry d = new Entry("d");
        w.add(a, 5);
        w.add(b, 5);   // same jiffy, same slot, right after a
        w.add(c, 7);
        w.add(d, 5000);
        List<Entry> fired = new ArrayList<>();
        assertEquals(2, w.advance(6000, e -> {
            fired.add(e);
            if (e == a) {
                assertTrue(w.remove(b));
                assertTrue(w.remove(d));
                assertFalse(w.remove(a), "itself: already disarmed");
            }
        }));
        assertEquals(List.of(a, c), fired);
        assertEquals(0, w.size());
    }

    @Test
    void removeFromCallbackOfDueEntries() {
        TimerWheel w = new TimerWheel(100);
        Entry a = new Entry("a");
        Entry b = new Entry("b");
        Entry c = new Entry("c");
        w.add(b, 90);
        w.add(c, 95);
        w.add(a, 80);   // sorted to the front when taken over by advance()
        List<Entry> fired = new ArrayList<>();
        assertEquals(2, w.advance(100, e -> {
            fired.add(e);
            if (e == a) {
                assertTrue(w.remove(b));
            }
        }));
        assertEquals(List.of(a, c), fired);
    }

    @Test
    void removeFromCallbackOfASlotAboutToCascade() {
        TimerWheel w = new TimerWheel(0);
        Entry a = new Entry("a");
        Entry b = new Entry("b");
        Entry c = new Entry("c");
        w.add(a, 4095);
        w.add(b, 4096 + 10);
        w.add(c, 4096 + 10);
        List<Entry> fired = new ArrayList<>();
        assertEquals(1, w.advance(10_000, e -> {
            fired.add(e);
            if (e == a) {
                assertTrue(w.remove(b));
                assertTrue(w.remove(c));
            }
        }));
        assertEquals(List.of(a), fired);
    }

    // ---- nextExpiry

    @Test
    void nextExpiryTracksAddsRemovesAdvancesAndCascades() {
        TimerWheel w = new TimerWheel(0);
        Recorder r = new Recorder();
        assertEquals(Long.MAX_VALUE, w.nextExpiry());
        Entry far = new Entry("far");
        Entry near = new Entry("near");
        w.add(far, 5000);
        assertEquals(5000, w.nextExpiry());
        w.add(near, 70);
        assertEquals(70, w.nextExpiry());
        w.remove(near);
        assertEquals(5000, w.nextExpiry());
        w.advance(4096, r);                   // cascades far to level 1
        assertEquals(5000, w.nextExpiry());
        w.add(near, 4100);
        assertEquals(4100, w.nextExpiry());

        // Several entries in one level-2 slot: each removal of the minimum exposes the next one.
        TimerWheel w2 = new TimerWheel(0);
        long[] expiries = {9000, 8200, 12_000, 8193, 8193, 11_111};
        Entry[] es = new Entry[expiries.length];
        for (int i = 0; i < es.length; i++) {
            es[i] = new Entry(i);
            w2.add(es[i], expiries[i]);
            assertEquals(2, es[i].level());
        }
        assertEquals(8193, w2.nextExpiry());
        w2.remove(es[3]);
        assertEquals(8193, w2.nextExpiry(), "the other 8193 is still there");
        w2.remove(es[4]);
        assertEquals(8200, w2.nextExpiry());
        w2.add(es[3], 8500);                  // into the same slot while its minimum is unknown
        assertEquals(8200, w2.nextExpiry());
        w2.remove(es[1]);
        assertEquals(8500, w2.nextExpiry());
        w2.add(es[4], 8195);
        assertEquals(8195, w2.nextExpiry());
        w2.advance(8192, r);
        assertEquals(8195, w2.nextExpiry(), "after the cascade");
        w2.add(es[5], 8100);                  // before now: due
        assertEquals(8192, w2.nextExpiry(), "due entries make it now()");
        w2.advance(8192, r);
        assertEquals(8195, w2.nextExpiry());
        assertEquals(List.of(es[5]), r.take());
    }

    // ---- Big jumps

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void bigJumpCostsFiredPlusCascadedNotJiffies() {
        Random rnd = new Random(42);
        long start = 123_456_789;
        TimerWheel w = new TimerWheel(start);
        List<Entry> all = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            long d = switch (i % 4) {
                case 0 -> rnd.nextInt(20_000_000);
                case 1 -> rnd.nextInt(5000);
                case 2 -> (long) rnd.nextInt(1 << 30) << rnd.nextInt(30);
                default -> 10_000_000 + rnd.nextInt(3) - 1;
            };
            Entry e = new Entry(i);
            w.add(e, start + d);
            all.add(e);
        }
        List<Entry> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparingLong(Entry::expires).thenComparingInt(e -> (Integer) e.owner()));
        Recorder r = new Recorder();
        long t = start + 10_000_000;
        int n = w.advance(t, r);
        List<Entry> expected = sorted.stream().filter(e -> e.expires() <= t).toList();
        assertEquals(expected.size(), n);
        assertEquals(expected, r.take());
        assertEquals(sorted.get(n).expires(), w.nextExpiry());
        assertEquals(all.size() - n, w.size());
        w.advance(Long.MAX_VALUE - 1, r);
        assertEquals(sorted.subList(n, sorted.size()), r.take());
        assertTrue(w.cascaded() <= (long) (TimerWheel.LEVELS - 1) * all.size(), "at most once per level");

        // One timer 10^15 jiffies away: a walk over skipped jiffies or empty slots would not finish.
        TimerWheel lone = new TimerWheel(0);
        Entry e = new Entry("lone");
        lone.add(e, 1_000_000_000_000_000L);
        assertEquals(0, lone.advance(999_999_999_999_999L, r));
        assertEquals(1, lone.advance(1_000_000_000_000_000L, r));
        assertTrue(lone.cascaded() <= TimerWheel.LEVELS - 1);
    }

    @Test
    void advanceToTheEndOfTime() {
        TimerWheel w = new TimerWheel(Long.MAX_VALUE - 10);
        Entry a = new Entry("a");
        Entry b = new Entry("b");
        w.add(a, Long.MAX_VALUE);
        w.add(b, Long.MAX_VALUE - 1);
        Recorder r = new Recorder();
        assertEquals(2, w.advance(Long.MAX_VALUE, e -> {
            r.accept(e);
            w.add(e, Long.MAX_VALUE);         // due: next advance
        }));
        assertEquals(List.of(b, a), r.take());
        assertEquals(Long.MAX_VALUE, w.nextExpiry());
        assertEquals(2, w.size());
        assertEquals(2, w.advance(Long.MAX_VALUE, r));
        assertEquals(List.of(b, a), r.take());
        assertEquals(0, w.size());
    }

    // ---- Throwing callbacks

    @Test
    void throwingCallbackLosesNothing() {
        TimerWheel w = new TimerWheel(0);
        Entry a = new Entry("a");
        Entry b = new Entry("b");
        Entry c = new Entry("c");
        Entry d = new Entry("d");
        Entry early = new Entry("early");
        w.add(early, -5);
        w.add(d, 0);
        w.add(a, 1);
        w.add(b, 2);
        w.add(c, 3);
        List<Entry> fired = new ArrayList<>();
        RuntimeException boom = new RuntimeException("boom");
        assertSame(boom, assertThrows(RuntimeException.class, () -> w.advance(3, e -> {
            fired.add(e);
            if (e == early) {
                throw boom;
            }
        })));
        assertEquals(List.of(early), fired);
        assertNull(w.running());
        assertFalse(early.isArmed());
        assertEquals(3, w.now());
        assertEquals(4, w.size());
        assertEquals(3, w.nextExpiry());
        assertSame(boom, assertThrows(RuntimeException.class, () -> w.advance(3, e -> {
            fired.add(e);
            if (e == a) {
                throw boom;
            }
        })));
        assertEquals(List.of(early, d, a), fired);
        fired.clear();
        Entry tie = new Entry("tie");
        w.add(tie, 3);                        // DUE, same expiry as c, armed after it
        Entry before = new Entry("before");
        w.add(before, 2);                     // DUE, same expiry as b, armed after it
        assertEquals(4, w.advance(3, fired::add));
        assertEquals(List.of(b, before, c, tie), fired);
        assertEquals(0, w.size());
    }

    // ---- Misuse

    @Test
    void misuseIsRejected() {
        TimerWheel cpu0 = new TimerWheel(10);
        TimerWheel cpu1 = new TimerWheel(10);
        Entry e = new Entry("e");
        cpu0.add(e, 20);
        IllegalStateException ise = assertThrows(IllegalStateException.class, () -> cpu1.add(e, 30));
        assertTrue(ise.getMessage().contains("armed on another TimerWheel"), ise::getMessage);
        assertThrows(IllegalStateException.class, () -> cpu1.remove(e));
        assertEquals(0, cpu1.size());
        assertEquals(20, e.expires());
        assertEquals(20, cpu0.nextExpiry());
        // Once idle, the entry may be armed elsewhere (the integration layer migrates it).
        assertTrue(cpu0.remove(e));
        assertFalse(cpu1.add(e, 30));

        IllegalArgumentException iae = assertThrows(IllegalArgumentException.class, () -> cpu0.advance(9, x -> { }));
        assertTrue(iae.getMessage().contains("backwards"), iae::getMessage);
        assertEquals(10, cpu0.now());

        assertThrows(NullPointerException.class, () -> new Entry(null));
        assertThrows(NullPointerException.class, () -> cpu0.add(null, 1));
        assertThrows(NullPointerException.class, () -> cpu0.remove(null));
        assertThrows(NullPointerException.class, () -> cpu0.advance(11, null));
        assertEquals(10, cpu0.now());

        Entry r = new Entry("reentrant");
        cpu0.add(r, 11);
        assertThrows(IllegalStateException.class, () -> cpu0.advance(11, x -> cpu0.advance(12, y -> { })));
        assertEquals(11, cpu0.now());
        assertFalse(r.isArmed(), "it fired; its callback threw");
        cpu0.add(r, 12);
        assertEquals(1, cpu0.advance(12, x -> { }), "the wheel is still usable");
    }

    // ---- Reference model

    /** The reference: armed entries in a TreeSet ordered by (expiry, arming sequence). */
    private static final class Model {
        record Arm(Entry entry, long expires, long seq) { }

        final TreeSet<Arm> armed = new TreeSet<>(
                Comparator.comparingLong(Arm::expires).thenComparingLong(Arm::seq));
        final Map<Entry, Arm> byEntry = new HashMap<>();
        long now;
        long seq;

        Model(long now) {
            this.now = now;
        }

        boolean add(Entry e, long expires) {
            boolean was = remove(e);
            Arm a = new Arm(e, expires, seq++);
            armed.add(a);
            byEntry.put(e, a);
            return was;
        }

        boolean remove(Entry e) {
            Arm a = byEntry.remove(e);
            if (a == null) {
                return false;
            }
            armed.remove(a);
            return true;
        }

        /** The next entry advance(t) must fire: earliest armed before the advance began, expiry <= t. */
        Arm nextEligible(long t, long seqAtStart) {
            for (Arm a : armed) {
                if (a.expires() > t) {
                    return null;
                }
                if (a.seq() < seqAtStart) {
                    return a;
                }
            }
            return null;
        }

        long nextExpiry() {
            return armed.isEmpty() ? Long.MAX_VALUE : Math.max(now, armed.first().expires());
        }
    }

    private static final class Boom extends RuntimeException {
        Boom() {
            super("callback failure injected by the model test", null, false, false);
        }
    }

    private static long randomExpiry(Random rnd, long now) {
        int k = rnd.nextInt(100);
        if (k < 15) {
            return saturatingAdd(now, -rnd.nextInt(100));
        } else if (k < 45) {
            return saturatingAdd(now, 1 + rnd.nextInt(70));
        } else if (k < 70) {
            return saturatingAdd(now, 1 + rnd.nextInt(5000));
        } else if (k < 85) {
            return saturatingAdd(now, 1 + rnd.nextInt(300_000));
        } else if (k < 95) {
            return saturatingAdd(now, 1 + (rnd.nextLong() >>> 28));   // up to 2^36
        } else if (k < 98) {
            return saturatingAdd(now, rnd.nextLong() >>> 1);
        }
        return Long.MAX_VALUE;
    }

    private static long randomStep(Random rnd) {
        int k = rnd.nextInt(100);
        if (k < 10) {
            return 0;
        } else if (k < 45) {
            return 1;
        } else if (k < 65) {
            return 1 + rnd.nextInt(64);
        } else if (k < 80) {
            return 1 + rnd.nextInt(4096);
        } else if (k < 92) {
            return 1 + rnd.nextInt(300_000);
        } else if (k < 98) {
            return 1 + rnd.nextInt(10_000_000);
        }
        return 1 + (rnd.nextLong() >>> 24);   // up to 2^40
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 0xC0FFEE, 20260101})
    void matchesReferenceModel(long seed) {
        Random rnd = new Random(seed);
        long[] starts = {0, -300_000, 4095, Long.MIN_VALUE + 1000, (1L << 50) - 3};
        long start = starts[(int) Math.floorMod(seed, (long) starts.length)];
        TimerWheel w = new TimerWheel(start);
        Model m = new Model(start);
        Entry[] es = new Entry[300];
        for (int i = 0; i < es.length; i++) {
            es[i] = new Entry(i);
        }
        int firedTotal = 0;
        int throwsSeen = 0;
        for (int step = 0; step < 30_000; step++) {
            int op = rnd.nextInt(100);
            if (op < 45) {
                Entry e = es[rnd.nextInt(es.length)];
                long exp = randomExpiry(rnd, m.now);
                assertEquals(m.add(e, exp), w.add(e, exp), "add return, step " + step);
            } else if (op < 60) {
                Entry e = es[rnd.nextInt(es.length)];
                assertEquals(m.remove(e), w.remove(e), "remove return, step " + step);
            } else {
                long t = saturatingAdd(m.now, randomStep(rnd));
                if (t == Long.MAX_VALUE) {
                    t = m.now;   // keep the run going; the end of time has its own test
                }
                long target = t;
                long seqAtStart = m.seq;
                m.now = t;
                int[] fired = {0};
                int currentStep = step;
                Consumer<Entry> cb = e -> {
                    Model.Arm expected = m.nextEligible(target, seqAtStart);
                    assertNotNull(expected, () -> "fired " + e + " but nothing is due, step " + currentStep);
                    assertSame(expected.entry(), e, () -> "wrong order at step " + currentStep);
                    assertFalse(e.isArmed());
                    assertSame(e, w.running());
                    m.remove(e);
                    fired[0]++;
                    assertTrue(fired[0] <= es.length, "an entry fired twice in one advance()");
                    int act = rnd.nextInt(100);
                    if (act < 20) {
                        long exp = randomExpiry(rnd, target);
                        assertEquals(m.add(e, exp), w.add(e, exp));
                    } else if (act < 35) {
                        Entry other = es[rnd.nextInt(es.length)];
                        assertEquals(m.remove(other), w.remove(other));
                    } else if (act < 45) {
                        Entry other = es[rnd.nextInt(es.length)];
                        long exp = randomExpiry(rnd, target);
                        assertEquals(m.add(other, exp), w.add(other, exp));
                    } else if (act < 47) {
                        throw new Boom();
                    }
                    assertEquals(m.byEntry.size(), w.size());
                    assertEquals(m.nextExpiry(), w.nextExpiry());
                };
                boolean threw = false;
                try {
                    int n = w.advance(t, cb);
                    assertEquals(fired[0], n);
                } catch (Boom b) {
                    threw = true;
                    throwsSeen++;
                }
                if (!threw) {
                    assertNull(m.nextEligible(t, seqAtStart), "left an entry unfired at step " + step);
                }
                firedTotal += fired[0];
            }
            assertEquals(m.now, w.now());
            assertEquals(m.byEntry.size(), w.size(), "size, step " + step);
            assertEquals(m.nextExpiry(), w.nextExpiry(), "nextExpiry, step " + step);
            if (step % 1000 == 0) {
                for (Entry e : es) {
                    Model.Arm a = m.byEntry.get(e);
                    assertEquals(a != null, e.isArmed());
                    if (a != null) {
                        assertEquals(a.expires(), e.expires());
                    }
                }
            }
        }
        assertTrue(firedTotal > 10_000, "the run exercised firing: " + firedTotal);
        assertTrue(throwsSeen > 10, "the run exercised throwing callbacks: " + throwsSeen);
    }

    @Test
    void removeAllDisarmsEveryEntryAndKeepsTheClock() {
        TimerWheel w = new TimerWheel(100);
        java.util.List<TimerWheel.Entry> entries = new java.util.ArrayList<>();
        long[] expiries = {50, 100, 101, 164, 4200, 300_000, Long.MAX_VALUE};
        for (long x : expiries) {
            TimerWheel.Entry e = new TimerWheel.Entry(x);
            w.add(e, x);
            entries.add(e);
        }
        java.util.Set<Object> removed = new java.util.HashSet<>();
        assertEquals(expiries.length, w.removeAll(e -> removed.add(e.owner())));
        assertEquals(expiries.length, removed.size());
        assertEquals(0, w.size());
        assertEquals(Long.MAX_VALUE, w.nextExpiry());
        assertEquals(100, w.now());
        for (TimerWheel.Entry e : entries) {
            assertFalse(e.isArmed());
        }
        // The wheel keeps working: a re-armed entry fires exactly at its expiry.
        TimerWheel.Entry e = entries.get(2);
        w.add(e, 101);
        java.util.List<TimerWheel.Entry> fired = new java.util.ArrayList<>();
        assertEquals(1, w.advance(101, fired::add));
        assertEquals(java.util.List.of(e), fired);
    }
}
