/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.gic;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The shared peripheral interrupts (SPIs, INTID 32-1019): per-INTID enable, pending latch, line level, active,
 * trigger, priority and route (GICD_*). Indexed by INTID; entries below 32 are unused.
 *
 * <p>Besides the architectural state it keeps, per PE, the set of SPIs that are <em>candidates</em> for that PE
 * (pending, enabled, not active, routed to it; B-GIC-18), so acknowledge scans only those.
 */
final class Distributor {
    /* Implementation notes
     *
     * Lock: the monitor of this object (the "distributor lock"), always taken after a PE lock when both are
     * needed. Every field below is L(this) except candidateCount, which is written under the lock and read
     * lock-free by the CPU loop's hint (an AtomicIntegerArray for volatile element access).
     *
     * Invariant (checked by GicTest through invariantHolds()): for every SPI s,
     *   candidatePe[s] == route[s] if s is a candidate, else -1; bit s of candidates[pe] set iff candidatePe[s] == pe;
     *   candidateCount[pe] == popcount(candidates[pe]).
     */
    static final int WORDS = (Gic.SPI_LAST + 1 + 63) / 64;

    final long[] enabled = new long[WORDS];
    final long[] latch = new long[WORDS];
    final long[] line = new long[WORDS];
    final long[] active = new long[WORDS];
    final long[] edge = new long[WORDS];           // 0 = level (the reset value), 1 = edge
    final byte[] priority = new byte[Gic.SPI_LAST + 1];
    final int[] route = new int[Gic.SPI_LAST + 1];            // target PE, or -1 for none (B-GIC-11)
    private final int[] candidatePe = new int[Gic.SPI_LAST + 1];
    private final long[][] candidates;
    final AtomicIntegerArray candidateCount;

    Distributor(int pes, int defaultPriority) {
        Arrays.fill(priority, (byte) defaultPriority);
        Arrays.fill(candidatePe, -1);
        candidates = new long[pes][WORDS];
        candidateCount = new AtomicIntegerArray(pes);
    }

    static boolean bit(long[] set, int i) {
        return (set[i >>> 6] & (1L << i)) != 0;
    }

    static void put(long[] set, int i, boolean v) {
        if (v) {
            set[i >>> 6] |= 1L << i;
        } else {
            set[i >>> 6] &= ~(1L << i);
        }
    }

    boolean pending(int spi) {
        return bit(latch, spi) || (bit(line, spi) && !bit(edge, spi));
    }

    /**
     * Recomputes whether {@code spi} is a candidate and moves it between the per-PE sets.
     *
     * @return the PE for which it just became a candidate, or -1 if nothing became newly signallable
     */
    int refresh(int spi) {
        boolean cand = pending(spi) && bit(enabled, spi) && !bit(active, spi) && route[spi] >= 0;
        int want = cand ? route[spi] : -1;
        int had = candidatePe[spi];
        if (had == want) {
            return -1;
        }
        if (had >= 0) {
            put(candidates[had], spi, false);
            candidateCount.decrementAndGet(had);
        }
        candidatePe[spi] = want;
        if (want >= 0) {
            put(candidates[want], spi, true);
            candidateCount.incrementAndGet(want);
        }
        return want;
    }

    /** The candidate SPI for {@code pe} with the numerically lowest priority, ties to the lowest INTID; -1 if none. */
    int best(int pe) {
        if (candidateCount.get(pe) == 0) {
            return -1;
        }
        long[] set = candidates[pe];
        int best = -1;
        int bestPrio = Integer.MAX_VALUE;
        for (int w = 0; w < WORDS; w++) {
            long bits = set[w];
            while (bits != 0) {
                int spi = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                int p = priority[spi] & 0xff;
                if (p < bestPrio) {
                    bestPrio = p;
                    best = spi;
                }
            }
        }
        return best;
    }

    /** For tests: checks the candidate bookkeeping invariant. */
    boolean invariantHolds() {
        int pes = candidates.length;
        int[] counts = new int[pes];
        for (int s = Gic.SPI_FIRST; s <= Gic.SPI_LAST; s++) {
            boolean cand = pending(s) && bit(enabled, s) && !bit(active, s) && route[s] >= 0;
            int want = cand ? route[s] : -1;
            if (candidatePe[s] != want) {
                return false;
            }
            for (int pe = 0; pe < pes; pe++) {
                if (bit(candidates[pe], s) != (pe == want)) {
                    return false;
                }
            }
            if (want >= 0) {
                counts[want]++;
            }
        }
        for (int pe = 0; pe < pes; pe++) {
            if (counts[pe] != candidateCount.get(pe)) {
                return false;
            }
        }
        return true;
    }
}
