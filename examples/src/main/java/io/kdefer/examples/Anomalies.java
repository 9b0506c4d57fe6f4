/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.gic.Gic;
import io.kdefer.gic.Trigger;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.softirq.Softirq;
import io.kdefer.tasklet.Tasklet;
import io.kdefer.workqueue.Work;
import io.kdefer.workqueue.Workqueue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What goes wrong, on purpose, for the demo's recording ({@code ./kdefer demo --jfr FILE}): each step provokes one
 * of the rarer kdefer events through the public API, after the devices stopped, and logs what the kernel would log.
 *
 * <pre>
 *   an interrupt nobody requested                      kdefer.IrqSpurious (NO_ACTION)
 *   an edge on a disabled line, replayed on enable     kdefer.IrqReplay (MARKED, then RESENT)
 *   a shared line whose handler never handles          kdefer.IrqNobodyCared (needs spuriousDetection(100, 90, ..))
 *   a softirq that keeps re-raising itself             kdefer.Ksoftirqd
 *   a tasklet that throws                              kdefer.CallbackFailed
 *   cpu/1 stuck in a tasklet for 800 ms while its      kdefer.SoftLockup (needs softLockupThreshold 300 ms),
 *     pool runs a long item and another waits            kdefer.WorkqueueStall (Workqueues.setWatchdogThreshold)
 *   cpu/1 offline and online again                     kdefer.CpuHotplug
 * </pre>
 * The mayday and rescuer events need a worker that cannot be created (the kernel's memory pressure); no public call
 * provokes that, so the demo has none (the runtime's tests record them with fault injection).
 */
final class Anomalies {
    static final int UNEXPECTED = 60;
    static final int REPLAYED = 61;
    static final int NOBODY = 62;

    private Anomalies() {
    }

    /** The configuration the anomalies need (applied by the demo when it records). */
    static void configure(io.kdefer.MachineConfig.Builder b) {
        b.softLockupThreshold(Duration.ofMillis(300)).spuriousDetection(100, 90, Duration.ofMillis(100));
    }

    static void provoke(Machine m) throws InterruptedException {
        Gic gic = m.gic();

        gic.configure(UNEXPECTED, Trigger.EDGE_RISING, Gic.PRIORITY_IRQ);
        gic.enable(UNEXPECTED);                           // enabled at the controller, never requested
        gic.pulse(UNEXPECTED);

        AtomicInteger replays = new AtomicInteger();
        m.irqs().request(REPLAYED, (irq, dev) -> {
            replays.incrementAndGet();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "replayed", "replayed");
        m.irqs().disableNosync(REPLAYED);
        m.irqs().pulse(REPLAYED);                         // set aside while disabled (IRQS_PENDING) ...
        for (int i = 0; i < 2000 && !m.irqs().desc(REPLAYED).isPending(); i++) {
            Thread.sleep(1);                              // ... once cpu/0 took it (it may be busy logging)
        }
        m.irqs().enable(REPLAYED);                        // ... and replayed now

        Object dev = new Object();
        m.irqs().request(NOBODY, (irq, d) -> IrqReturn.NONE, IrqFlags.TRIGGER_RISING | IrqFlags.SHARED,
                "nobody", dev);
        for (int i = 0; i < 400 && !m.irqs().desc(NOBODY).isSpuriousDisabled(); i++) {
            m.irqs().pulse(NOBODY);
            Thread.sleep(1);
        }

        AtomicInteger left = new AtomicInteger(200);
        m.softirqs().open(Softirq.BLOCK, () -> {
            if (left.decrementAndGet() > 0) {
                m.softirqs().raise(Softirq.BLOCK);        // more than 10 passes: the rest goes to ksoftirqd
            }
        });
        m.softirqs().raiseOn(0, Softirq.BLOCK);

        m.bindCurrentThread(0);
        new Tasklet(m, () -> {
            throw new IllegalStateException("demo: a tasklet that throws (contained)");
        }).schedule();
        m.unbindCurrentThread();

        lockup(m);

        Thread.sleep(50);
        m.cpu(1).offline();
        m.cpu(1).online();
        Thread.sleep(50);
    }

    /**
     * cpu/1 stuck in a tasklet: its tick stops, so its pool's sampler cannot see that the running item hogs the
     * CPU, and the item queued behind it waits: a soft lockup and a workqueue lockup, as in the kernel.
     */
    private static void lockup(Machine m) throws InterruptedException {
        m.workqueues().setWatchdogThreshold(Duration.ofMillis(150));
        Workqueue wq = m.workqueues().system();
        AtomicBoolean started = new AtomicBoolean();
        AtomicBoolean release = new AtomicBoolean();
        Work hog = new Work(() -> {
            started.set(true);
            spin(release, 2_000);
        });
        Work behind = new Work(() -> { });
        AtomicBoolean done = new AtomicBoolean();
        m.bindCurrentThread(1);
        new Tasklet(m, () -> {
            wq.queueOn(1, hog);
            wq.queueOn(1, behind);
            spin(started, 1_000);
            spin(new AtomicBoolean(), 800);               // stuck in softirq context for 800 ms
            release.set(true);
            done.set(true);
        }).schedule();
        m.unbindCurrentThread();
        while (!done.get()) {
            Thread.sleep(10);
        }
        behind.flush();
        m.workqueues().setWatchdogThreshold(Duration.ofSeconds(30));
    }

    private static void spin(AtomicBoolean until, long maxMillis) {
        long end = System.nanoTime() + maxMillis * 1_000_000;
        while (!until.get() && System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }
}
