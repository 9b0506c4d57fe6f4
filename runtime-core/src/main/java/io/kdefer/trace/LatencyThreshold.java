/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.MetadataDefinition;
import jdk.jfr.SettingControl;

import java.util.Locale;
import java.util.Set;

/**
 * The JFR setting {@code latencyThreshold} of the kdefer events that carry a queue-to-start latency
 * ({@code kdefer.IrqWork}, {@code kdefer.Tasklet}, {@code kdefer.TimerExpire}, {@code kdefer.WorkExecute}): such an
 * event is recorded only if its {@code queueLatency} (for timers: {@code late}) is at least this long. It answers
 * "which items started late?" without recording every item. It applies together with the event's
 * {@code threshold} (both must pass), so a recording that wants late items of any duration sets
 * {@code threshold} to {@code 0 ns}, as {@code kdefer.jfc} does.
 *
 * <p>Values are JFR timespans ({@code "0 ns"}, {@code "20 us"}, {@code "10 ms"}, {@code "1 s"}); the default is
 * {@code 0 ns} (no filter). With several recordings the smallest value wins, as for {@code threshold}, so each
 * recording gets at least the events it asked for.
 *
 * <p>Public because JFR instantiates setting controls reflectively; applications do not use it directly.
 */
@MetadataDefinition
@Label("Queue Latency Threshold")
@Description("Record the event only if the item started at least this long after it was queued (or due)")
public final class LatencyThreshold extends SettingControl {
    static final String DEFAULT = "0 ns";

    private String value = DEFAULT;      // L(this): the text last set, returned by getValue
    private volatile long nanos;         // A: read by the recording thread in the event's setting method

    public LatencyThreshold() {
    }

    @Override
    public String combine(Set<String> values) {
        String best = null;
        long min = Long.MAX_VALUE;
        for (String v : values) {
            long n = parseNanos(v);
            if (n < min) {
                min = n;
                best = v;
            }
        }
        return best == null ? DEFAULT : best;
    }

    @Override
    public synchronized void setValue(String text) {
        nanos = parseNanos(text);
        value = text;
    }

    @Override
    public synchronized String getValue() {
        return value;
    }

    /** Whether an item with this queue latency passes the filter ({@code Long.MIN_VALUE}: unknown; passes 0 only). */
    boolean accepts(long latencyNanos) {
        long n = nanos;
        return n == 0 || latencyNanos >= n;
    }

    /**
     * Parses a JFR timespan: a non-negative integer and a unit ({@code ns us ms s m h d}), or {@code 0}. Anything
     * else means "no filter" (0), so a typo in a .jfc never hides events.
     */
    static long parseNanos(String text) {
        if (text == null) {
            return 0;
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0) {
            return 0;
        }
        long n;
        try {
            n = Long.parseLong(t.substring(0, i));
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;           // more digits than a long: larger than any latency
        }
        String unit = t.substring(i).trim();
        long scale;
        switch (unit) {
            case "":
            case "ns":
                scale = 1;
                break;
            case "us":
                scale = 1_000;
                break;
            case "ms":
                scale = 1_000_000;
                break;
            case "s":
                scale = 1_000_000_000L;
                break;
            case "m":
                scale = 60_000_000_000L;
                break;
            case "h":
                scale = 3_600_000_000_000L;
                break;
            case "d":
                scale = 86_400_000_000_000L;
                break;
            default:
                return 0;
        }
        return n > Long.MAX_VALUE / scale ? Long.MAX_VALUE : n * scale;
    }
}
