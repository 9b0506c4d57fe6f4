/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.sync.Completion;
import io.kdefer.sync.Delay;
import io.kdefer.workqueue.DelayedWork;
import io.kdefer.workqueue.Workqueue;
import io.kdefer.workqueue.WorkqueueFlags;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The network card's firmware loader, the way drivers retry {@code request_firmware} at probe time: a
 * {@link DelayedWork} on an ordered, MEM_RECLAIM workqueue ({@code nic0_fw}, with its rescuer
 * {@code kworker/R-nic0_fw}) tries to load the blob; while "the root file system is not mounted yet" (the first
 * {@value #FAILING_ATTEMPTS} attempts, a fixed count so the demo checks the same thing every run) it re-queues itself
 * with {@code queueDelayed} and a doubling backoff. The work function runs in task context and may sleep (the
 * "upload to the card" below does). Checked: the item loaded on attempt {@value #FAILING_ATTEMPTS} + 1, each
 * re-queue from its own function returned {@code true} (PENDING is cleared before the function runs), and no attempt
 * ran before its backoff had elapsed.
 */
final class FirmwareLoader implements DemoPart {
    static final int FAILING_ATTEMPTS = 3;
    private static final Duration FIRST_DELAY = Duration.ofMillis(5);

    private final Completion loaded = new Completion();
    private final List<String> log = new ArrayList<>();     // backoffs; the work function only (one at a time)
    private volatile int attempts;
    private volatile int early;
    private volatile int requeueRefused;
    private volatile long armedAtNanos;                    // machine uptime when the pending attempt was armed
    private volatile Duration delay = FIRST_DELAY;
    private volatile long loadedAfterNanos = -1;
    private volatile boolean timedOut;
    private Machine machine;
    private Workqueue wq;
    private DelayedWork load;

    @Override
    public void start(Machine m, DemoBoard board) {
        machine = m;
        wq = m.workqueues().allocOrdered("nic0_fw", WorkqueueFlags.MEM_RECLAIM);
        load = new DelayedWork(this::tryLoad);
        armedAtNanos = m.uptime().toNanos();
        wq.queueDelayed(load, delay);                      // probe: first attempt after 5 ms
    }

    /** The work function: a worker of nic0_fw, task context. */
    private void tryLoad() {
        long now = machine.uptime().toNanos();
        long late = now - (armedAtNanos + delay.toNanos());
        if (late < 0) {
            early++;
        }
        int n = ++attempts;                                // one execution at a time: non-reentrant (B-WQ-4)
        if (n <= FAILING_ATTEMPTS) {
            Duration next = delay.multipliedBy(2);
            log.add(next.toMillis() + " ms");
            delay = next;
            armedAtNanos = machine.uptime().toNanos();
            if (!wq.queueDelayed(load, next)) {            // from its own function: not pending, so true
                requeueRefused++;
            }
            return;
        }
        try {
            Delay.msleep(2);                               // "upload the blob to the card": may sleep here
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loadedAfterNanos = machine.uptime().toNanos();
        loaded.complete();
    }

    @Override
    public void stop(Machine m) throws InterruptedException {
        timedOut = !loaded.await(Duration.ofSeconds(5));
        load.cancelSync();                                 // neither pending nor running from here on
    }

    @Override
    public String report() {
        return String.format("firmware loader   DelayedWork on ordered MEM_RECLAIM workqueue %s: attempts 1-%d failed"
                        + " (no firmware file yet), each re-queued itself after %s; attempt %d loaded it %.1f ms after"
                        + " boot%s; %d attempts ran early",
                wq.name(), FAILING_ATTEMPTS, String.join(", ", log), attempts, loadedAfterNanos / 1e6,
                timedOut ? " (TIMED OUT)" : "", early);
    }

    @Override
    public boolean ok() {
        return !timedOut && attempts == FAILING_ATTEMPTS + 1 && early == 0 && requeueRefused == 0
                && loadedAfterNanos >= TimeUnit.MILLISECONDS.toNanos(5 + 10 + 20 + 40);
    }
}
