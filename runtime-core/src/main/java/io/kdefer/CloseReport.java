/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What {@link Machine#close()} could not do: the work it accepted and never ran, counted per primitive, and the
 * runtime threads that had not ended at its deadline. Empty when the close was clean, which is the normal case.
 *
 * <pre>{@code
 * m.close();
 * CloseReport r = m.closeReport();
 * if (!r.isClean()) log.warn(r.toString());
 * }</pre>
 *
 * <p>Counts are exact: every item an entry point accepted ({@code true}) either ran or is counted here once. An
 * entry point that read the machine as running just before close began may still publish its item after the report
 * was taken; such an item is counted when its enqueuer notices, so a report read later may show a higher count.
 */
public final class CloseReport {
    private final Map<String, Long> leftovers;    // I
    private final List<String> examples;           // I
    private final List<String> stuckThreads;       // I
    private final Duration took;                   // I

    CloseReport(Map<String, Long> leftovers, List<String> examples, List<String> stuckThreads, Duration took) {
        this.leftovers = Map.copyOf(leftovers);
        this.examples = List.copyOf(examples);
        this.stuckThreads = List.copyOf(stuckThreads);
        this.took = took;
    }

    /**
     * Accepted items that never ran, per primitive: {@code "irq_work"}, {@code "tasklet"}, {@code "timer"},
     * {@code "delayed work"}, {@code "work"}, {@code "cross-CPU call"}, {@code "softirq"}, {@code "IRQ thread wake"}.
     * Primitives with nothing left are absent.
     */
    public Map<String, Long> leftovers() {
        return leftovers;
    }

    /** The leftover count of one primitive (0 if none). */
    public long leftover(String primitive) {
        return leftovers.getOrDefault(primitive, 0L);
    }

    /** A few of the leftover items by name, for the log. */
    public List<String> examples() {
        return examples;
    }

    /** Runtime threads still alive after the deadline, each with what it was running. */
    public List<String> stuckThreads() {
        return stuckThreads;
    }

    /** How long the close took (zero until the machine is TERMINATED). */
    public Duration took() {
        return took;
    }

    /** Nothing left unrun, no thread left behind. */
    public boolean isClean() {
        return leftovers.isEmpty() && stuckThreads.isEmpty();
    }

    @Override
    public String toString() {
        if (isClean()) {
            return "CloseReport[clean, " + took.toMillis() + " ms]";
        }
        return "CloseReport[" + took.toMillis() + " ms, never ran: " + leftovers + (examples.isEmpty() ? ""
                : " e.g. " + examples) + (stuckThreads.isEmpty() ? "" : ", threads left running: " + stuckThreads)
                + "]";
    }
}
