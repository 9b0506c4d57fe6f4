/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

/**
 * MANUAL mode's driver: the calling thread steps the CPUs and moves the virtual clock, so every interleaving of
 * atomic contexts is exactly reproducible (DESIGN §2, "two drivers, one code path").
 */
final class ManualDriver {
    /** Rounds {@link #runUntilIdle()} allows before it declares the machine livelocked. */
    static final int MAX_IDLE_ROUNDS = 10_000;

    private final CpuSet cpus;   // I
    private final Tick tick;     // I

    ManualDriver(CpuSet cpus, Tick tick) {
        this.cpus = cpus;
        this.tick = tick;
    }

    /**
     * Runs every CPU, one duty-cycle pass per CPU per round, until a round finds nothing to do. Does not advance
     * virtual time.
     *
     * @throws IllegalStateException in THREADED mode, or if the machine is still busy after
     *         {@value #MAX_IDLE_ROUNDS} rounds (naming what stays busy)
     */
    void runUntilIdle() {
        requireManual("runUntilIdle");
        for (int round = 0; round < MAX_IDLE_ROUNDS; round++) {
            int work = 0;
            for (int i = 0; i < cpus.count(); i++) {
                Cpu c = cpus.cpu(i);
                c.enterManual();
                try {
                    work += Math.max(0, c.doWork());
                } finally {
                    c.exitManual();
                }
            }
            if (work == 0) {
                return;
            }
        }
        throw new IllegalStateException("the machine is still busy after " + MAX_IDLE_ROUNDS
                + " rounds (something re-raises itself forever): " + describeBusy());
    }

    private String describeBusy() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cpus.count(); i++) {
            Cpu c = cpus.cpu(i);
            String softirqs = cpus.describeSoftirqs(c);
            String irq = cpus.arch().describePending(c);
            if (softirqs.isEmpty() && irq.isEmpty()) {
                continue;
            }
            sb.append(c).append(':');
            if (!softirqs.isEmpty()) {
                sb.append(' ').append(softirqs);
            }
            if (!irq.isEmpty()) {
                sb.append(' ').append(irq);
            }
            sb.append("; ");
        }
        return sb.length() == 0 ? "(nothing pending now)" : sb.toString();
    }

    /**
     * Moves virtual time forward by {@code nanos}, raising every online CPU's tick at each jiffy boundary up to and
     * including the new time, and running everything deliverable after each tick.
     */
    void advance(long nanos) {
        requireManual("advance");
        if (nanos < 0) {
            throw new IllegalArgumentException("cannot advance time by a negative amount: " + nanos + " ns");
        }
        runUntilIdle();
        long period = tick.tickNanos;
        long target = tick.virtualNanos() + nanos;
        while (true) {
            long next = (tick.virtualNanos() / period + 1) * period;
            if (next > target) {
                break;
            }
            tick.setVirtualNanos(next);
            for (int i = 0; i < cpus.count(); i++) {
                Cpu c = cpus.cpu(i);
                if (c.online) {
                    cpus.arch().raiseTick(c);
                }
            }
            runUntilIdle();
        }
        tick.setVirtualNanos(target);
        runUntilIdle();
    }

    private void requireManual(String op) {
        if (!cpus.manual) {
            throw new IllegalStateException(op + " is for Mode.MANUAL; in THREADED mode the CPUs run on their own "
                    + "threads");
        }
    }
}
