/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.time;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.Stress;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * THREADED: timers armed and deleted from several threads while a CPU goes offline and online again and again.
 * After {@code deleteSync()} returns, the timer's callback must not run (until it is armed again), whichever CPU
 * it was migrated to; every arming ends in exactly one of "fired" or "deleteSync() returned true".
 */
@Tag("stress")
@Timeout(120)
class TimerStressTest {
    private static final int ARMERS = 2;

    @RegisterExtension
    final Machines machines = new Machines();

    @Test
    void deleteSyncWinsAgainstExpiryAndHotplugMigration() throws Exception {
        Machine m = machines.threaded(b -> b.cpus(3));
        AtomicLong lateFires = new AtomicLong();
        AtomicLong fires = new AtomicLong();
        AtomicLong deletedPending = new AtomicLong();
        AtomicLong arms = new AtomicLong();
        AtomicLong hotplugs = new AtomicLong();
        Stress run = new Stress(Duration.ofSeconds(3));
        run.thread("hotplug", () -> {
            while (!run.expired()) {
                m.cpu(1).offline();
                m.cpu(1).online();
                hotplugs.incrementAndGet();
            }
        });
        run.threads(ARMERS, "armer", i -> {
            boolean[] deleted = new boolean[1];
            Object lock = new Object();
            TimerList t = new TimerList(m, () -> {
                synchronized (lock) {
                    if (deleted[0]) {
                        lateFires.incrementAndGet();
                    }
                }
                fires.incrementAndGet();
            });
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            while (!run.expired()) {
                m.bindCurrentThread(rnd.nextInt(3));    // arm on cpu/1 often, while it comes and goes
                synchronized (lock) {
                    deleted[0] = false;
                }
                t.mod(Duration.ofNanos(rnd.nextLong(3_000_000)));
                arms.incrementAndGet();
                long spin = System.nanoTime() + rnd.nextLong(2_000_000);
                while (System.nanoTime() < spin) {
                    Thread.onSpinWait();
                }
                if (t.deleteSync()) {
                    deletedPending.incrementAndGet();
                }
                synchronized (lock) {
                    deleted[0] = true;
                }
            }
        });
        run.start().join();
        Stress.report("%d armings, %d fired, %d deleted while pending, %d offline/online cycles", arms.get(),
                fires.get(), deletedPending.get(), hotplugs.get());
        assertEquals(0, lateFires.get(), "a callback ran after deleteSync() returned");
        assertEquals(arms.get(), fires.get() + deletedPending.get(),
                "every arming ends in exactly one fire or one successful delete");
        assertTrue(hotplugs.get() > 10, "the hotplug thread made progress: " + hotplugs.get());
    }
}
