/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

import io.kdefer.Machine;
import io.kdefer.Machines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The blocked-thread sampler (J-WQ-3 b) on a THREADED machine whose CPUs are idle, i.e. NOHZ with their ticks
 * stopped: the sampler runs on the tick, so a bound pool that starts an item must get its CPU's tick back.
 */
@Timeout(30)
class WorkqueueSamplerTest {
    @RegisterExtension
    final Machines machines = new Machines();

    /**
     * Item A blocks in foreign code (a JDK latch the pool is not told about) until item B, queued after it on the
     * same CPU's pool, has run. Only the sampler can notice that A's worker sleeps and wake another one for B.
     * Before the fix the CPU stayed NOHZ-idle, the sampler never ran, and A waited forever (the pool stalled).
     */
    @Test
    void samplerNoticesForeignBlockingWhileTheCpuIsIdle() throws Exception {
        Machine m = machines.threaded();
        Workqueue wq = m.workqueues().system();
        CountDownLatch bRan = new CountDownLatch(1);
        CountDownLatch aDone = new CountDownLatch(1);
        wq.queueOn(0, new Work(() -> {
            try {
                bRan.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            aDone.countDown();
        }));
        wq.queueOn(0, new Work(bRan::countDown));
        try {
            assertTrue(bRan.await(10, TimeUnit.SECONDS), "B never ran behind A, which blocks in foreign code");
        } finally {
            bRan.countDown();
            assertTrue(aDone.await(10, TimeUnit.SECONDS));
        }
    }
}
