/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.tasklet;

import io.kdefer.LogCapture;
import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.Stress;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * THREADED: tasklets scheduled from many threads on many CPUs, with invariants checked at quiescence: every
 * schedule() is followed by a run that sees the scheduler's data (MO-TL-1/2), runs never overlap (MO-TL-4), one
 * run per successful schedule(), no run while disabled (MO-TL-3).
 */
@Tag("stress")
@Timeout(120)
class TaskletStressTest {
    private static final int CPUS = 4;
    private static final int THREADS = 4;
    private static final int TASKLETS = 8;
    private static final int OPS = 40_000;

    @RegisterExtension
    final Machines machines = new Machines();

    /** One tasklet with the data its schedulers publish and what its runs saw. */
    static final class Subject {
        final int[] data = new int[THREADS];           // plain: thread i writes data[i]; published by schedule()
        final int[] seen = new int[THREADS];           // plain: written by the runs, which never overlap
        final AtomicInteger active = new AtomicInteger();
        final AtomicLong overlaps = new AtomicLong();
        final AtomicLong scheduled = new AtomicLong(); // schedule() calls that returned true
        volatile boolean disabled;                     // set after disable() returned, cleared before enable()
        final AtomicLong ranWhileDisabled = new AtomicLong();
        long runs;                                     // plain, under the tasklet's self-exclusion
        Tasklet tasklet;
    }

    @Test
    void manySchedulersManyCpusEveryScheduleIsFollowedByARunThatSeesItsData() throws Exception {
        Machine m = machines.threaded(b -> b.cpus(CPUS));
        Subject[] subjects = new Subject[TASKLETS];
        for (int k = 0; k < TASKLETS; k++) {
            Subject s = new Subject();
            s.tasklet = new Tasklet(m, () -> {
                if (s.active.incrementAndGet() != 1) {
                    s.overlaps.incrementAndGet();
                }
                if (s.disabled) {
                    s.ranWhileDisabled.incrementAndGet();
                }
                for (int i = 0; i < THREADS; i++) {
                    s.seen[i] = Math.max(s.seen[i], s.data[i]);
                }
                s.runs++;
                s.active.decrementAndGet();
            });
            subjects[k] = s;
        }
        Stress schedulers = new Stress().threads(THREADS, "scheduler", me -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            for (int n = 1; n <= OPS; n++) {
                if ((n & 63) == 0) {
                    m.bindCurrentThread(rnd.nextInt(CPUS));   // move between CPUs (B-TL-5 races)
                }
                Subject s = subjects[rnd.nextInt(TASKLETS)];
                s.data[me] = n;
                boolean hi = rnd.nextInt(4) == 0;
                if (hi ? s.tasklet.scheduleHi() : s.tasklet.schedule()) {
                    s.scheduled.incrementAndGet();
                }
                if ((n & 3) == 0) {
                    LockSupport.parkNanos(20_000);             // let the CPUs run: fewer coalesced
                }
            }
        });
        AtomicBoolean scheduling = new AtomicBoolean(true);
        Stress disabler = new Stress().thread("disabler", () -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            while (scheduling.get()) {
                Subject s = subjects[rnd.nextInt(TASKLETS)];
                s.tasklet.disable();
                s.disabled = true;
                Thread.onSpinWait();
                s.disabled = false;
                s.tasklet.enable();
                Thread.sleep(0, 100_000);
            }
        });
        long t0 = System.nanoTime();
        schedulers.start();
        disabler.start();
        try {
            schedulers.join();
        } finally {
            scheduling.set(false);
        }
        disabler.join();
        for (Subject s : subjects) {
            s.tasklet.kill();                          // runs what is still scheduled, waits for running ones
        }
        long took = System.nanoTime() - t0;
        long totalRuns = 0;
        long totalScheduled = 0;
        for (int k = 0; k < TASKLETS; k++) {
            Subject s = subjects[k];
            assertEquals(0, s.overlaps.get(), "tasklet " + k + ": overlapping runs (MO-TL-4)");
            assertEquals(0, s.ranWhileDisabled.get(), "tasklet " + k + ": ran while disabled (MO-TL-3)");
            assertEquals(s.scheduled.get(), s.runs, "tasklet " + k + ": one run per successful schedule()");
            for (int i = 0; i < THREADS; i++) {
                assertEquals(s.data[i], s.seen[i], "tasklet " + k + ", thread " + i
                        + ": the last schedule() was not followed by a run that saw its data (MO-TL-1/2)");
            }
            assertFalse(s.tasklet.isScheduled());
            totalRuns += s.runs;
            totalScheduled += s.scheduled.get();
        }
        Stress.report("%d schedule() calls on %d CPUs from %d threads in %d ms: %d scheduled, %d runs, "
                + "%d busy/disabled requeues", THREADS * OPS, CPUS, THREADS, took / 1_000_000, totalScheduled,
                totalRuns, io.kdefer.internal.Services.get(m, TaskletCore.class).requeues());
    }

    @Test
    void closeWithAScheduledDisabledTaskletReturnsPromptlyAndReportsIt() {
        Machine m = machines.threaded();
        Tasklet t = Tasklet.disabled(m, () -> { });
        t.schedule();
        try (LogCapture rec = LogCapture.of("io.kdefer")) {
            long c0 = System.nanoTime();
            m.close();
            long took = System.nanoTime() - c0;
            assertTrue(took < TimeUnit.SECONDS.toNanos(2), "close took " + took / 1_000_000 + " ms");
            assertTrue(rec.contains("1 tasklet(s) were still scheduled"), rec.messages().toString());
            assertFalse(rec.contains("still busy when the close timeout expired"), rec.messages().toString());
        }
    }

    @Test
    void killBlocksOnAScheduledDisabledTaskletUntilItIsEnabled() throws Exception {
        Machine m = machines.threaded(b -> b.closeTimeout(Duration.ofSeconds(2)));
        AtomicInteger runs = new AtomicInteger();
        Tasklet t = Tasklet.disabled(m, runs::incrementAndGet);
        t.schedule();
        Thread killer = new Thread(t::kill, "killer");
        killer.start();
        TaskletCore core = io.kdefer.internal.Services.get(m, TaskletCore.class);
        long requeuesAtStart = core.requeues();
        Stress.await(Duration.ofSeconds(10),
                () -> t.state() >= Tasklet.KILL_UNIT && core.requeues() - requeuesAtStart >= 10_000);
        assertTrue(t.state() >= Tasklet.KILL_UNIT, "the killer is waiting");
        assertTrue(killer.isAlive(), "B-TL-8 (ii): kill blocks while the scheduled tasklet is disabled");
        assertEquals(0, runs.get());
        t.enable();
        killer.join(10_000);
        assertFalse(killer.isAlive(), "kill returned after enable");
        assertEquals(1, runs.get(), "and the tasklet ran first");
        assertFalse(t.isScheduled());
    }
}
