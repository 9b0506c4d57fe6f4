/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Device;
import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.sync.Delay;
import io.kdefer.sync.SpinLock;
import io.kdefer.sync.WaitQueue;
import io.kdefer.workqueue.Work;

import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Lesson 9: a driver, written the way the interrupt-handling chapter writes one. The device is a sampling sensor on
 * SPI 44 with a level-triggered line: it raises the line when a sample is ready and lowers it when the sample is read
 * over its slow bus. The driver has the chapter's parts, each with its kdefer call:
 *
 * <ul>
 *   <li><b>probe</b>: {@code m.device("sensor0")} is the {@code struct device}; everything the driver acquires goes
 *       through it (the kernel's {@code devm_*}): a work item for the statistics ({@code devm_work_autocancel}) and a
 *       threaded IRQ ({@code devm_request_threaded_irq}).</li>
 *   <li><b>the top half</b>: no primary handler ({@code null}): the default one wakes the thread, and
 *       {@code ONESHOT} keeps the level line masked until the thread has read the sample (else it would storm).</li>
 *   <li><b>the threaded handler</b>: task context, so it may sleep on the bus ({@code msleep}); it puts the sample
 *       in a circular buffer under a spinlock, wakes the readers, and schedules the statistics work.</li>
 *   <li><b>read()</b>: a reader sleeps in {@code wait_event_interruptible} until the buffer has data. The chapter's
 *       warning: a caller that ignores its return value crashes on a signal. Here the interrupted wait throws
 *       {@code InterruptedException} (the kernel's -ERESTARTSYS), which the compiler makes the caller handle.</li>
 *   <li><b>remove</b>: leaving the try block detaches the device: the IRQ is freed (waiting for a running thread
 *       function), then the work cancelled, in reverse order of probe; nothing of the driver runs afterwards.</li>
 * </ul>
 *
 * <p>HOW TO RUN: {@code ./kdefer example driver}. Observed (2 cores, JDK 17.0.15):
 * <pre>
 *   probe: sensor0 owns [work, threaded irq 44 (sensor0)]
 *   read() got sample 1000 (reader: task context on thread reader)
 *   read() got sample 1001 (reader: task context on thread reader)
 *   read() got sample 1002 (reader: task context on thread reader)
 *   read() got sample 1003 (reader: task context on thread reader)
 *   read() got sample 1004 (reader: task context on thread reader)
 *   the threaded handler ran 5 times on irq/44-sensor0, task context, bound to cpu/1;
 *     the line was masked while it read each sample (ONESHOT): true
 *   statistics work: 5 samples, last 1004
 *   a second reader, signalled while it waited: read() -> -ERESTARTSYS (InterruptedException), no sample taken
 *   remove: sensor0 DETACHED, owns []; irq 44 has a handler: false; the stats work pending: false
 * </pre>
 */
public final class Example_09_Driver {
    static final int IRQ = 44;

    private Example_09_Driver() {
    }

    /** The simulated sensor: a data register and a level-triggered interrupt line. */
    static final class Hardware {
        private final Machine m;
        private volatile int dataRegister;

        Hardware(Machine m) {
            this.m = m;
        }

        /** A sample is ready: latch it and raise the line. */
        void produce(int sample) {
            dataRegister = sample;
            m.irqs().setLevel(IRQ, true);
        }

        /** The driver reads the data register over the slow bus; reading it lowers the line. */
        int read() throws InterruptedException {
            Delay.msleep(1);                                  // a bus transfer: the thread sleeps
            int v = dataRegister;
            m.irqs().setLevel(IRQ, false);
            return v;
        }
    }

    /** The driver's per-device state (the chapter's struct short_dev). */
    static final class SensorDriver {
        final Hardware hw;
        final SpinLock lock = new SpinLock("sensor0.lock");  // protects the buffer; taken from the thread and read()
        final ArrayDeque<Integer> buffer = new ArrayDeque<>();   // the circular buffer
        final WaitQueue readq = new WaitQueue();
        final AtomicInteger handled = new AtomicInteger();
        final AtomicReference<String> where = new AtomicReference<>();
        volatile boolean maskedInThread = true;
        volatile int lastSample;
        volatile int statsSamples;
        volatile int statsLast;
        Work stats;

        SensorDriver(Hardware hw) {
            this.hw = hw;
        }

        /** probe(): every resource through the device, so remove() needs no code of its own. */
        void probe(Device dev) {
            stats = dev.work(() -> {                          // bottom half for the slow bookkeeping
                statsSamples = handled.get();
                statsLast = lastSample;
            });
            dev.requestThreadedIrq(IRQ, null, (irq, devId) -> {
                int sample;
                maskedInThread &= dev.machine().irqs().desc(irq).isMasked();     // ONESHOT: masked until we return
                try {
                    sample = hw.read();                      // may sleep: we are in the IRQ thread
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return IrqReturn.NONE;
                }
                long f = lock.lockIrqSave();
                try {
                    buffer.addLast(sample);
                } finally {
                    lock.unlockIrqRestore(f);
                }
                lastSample = sample;
                handled.incrementAndGet();
                where.set(Thread.currentThread().getName() + ", " + CpuContext.current().describe() + ", bound to "
                        + Cpu.current());
                readq.wakeUpAll();                           // wake_up_interruptible(&readq)
                dev.machine().workqueues().scheduleWork(stats);   // schedule_work(&stats)
                return IrqReturn.HANDLED;
            }, IrqFlags.TRIGGER_HIGH | IrqFlags.ONESHOT);
        }

        /** read(): sleeps until a sample is there; a signal ends the wait (-ERESTARTSYS). */
        int read() throws InterruptedException {
            while (true) {
                readq.waitEventInterruptible(() -> !isEmpty());    // throws on a signal: cannot be ignored
                long f = lock.lockIrqSave();
                try {
                    Integer v = buffer.pollFirst();
                    if (v != null) {
                        return v;
                    }
                } finally {
                    lock.unlockIrqRestore(f);
                }
                // another reader took it between the wake-up and the lock: wait again, as the chapter's loop does
            }
        }

        private boolean isEmpty() {
            long f = lock.lockIrqSave();
            try {
                return buffer.isEmpty();
            } finally {
                lock.unlockIrqRestore(f);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        try (Machine m = Machine.boot(MachineConfig.builder().cpus(2).name("lesson9").build())) {
            m.irqs().setAffinity(IRQ, 1);
            Hardware hw = new Hardware(m);
            SensorDriver drv = new SensorDriver(hw);
            Device dev = m.device("sensor0");
            try (dev) {
                drv.probe(dev);
                System.out.println("probe: sensor0 owns " + dev.resources());

                // A "user process" reads five samples; the device produces them one by one.
                CountDownLatch done = new CountDownLatch(1);
                Thread reader = new Thread(() -> {
                    try {
                        for (int i = 0; i < 5; i++) {
                            int v = drv.read();
                            System.out.printf("read() got sample %d (reader: %s on thread %s)%n", v,
                                    CpuContext.current().describe(), Thread.currentThread().getName());
                        }
                    } catch (InterruptedException e) {
                        System.out.println("reader: -ERESTARTSYS");
                    }
                    done.countDown();
                }, "reader");
                reader.start();
                for (int i = 0; i < 5; i++) {
                    int before = drv.handled.get();
                    hw.produce(1000 + i);
                    while (drv.handled.get() == before) {     // the next sample once this one was read
                        LockSupport.parkNanos(100_000);
                    }
                }
                done.await(10, TimeUnit.SECONDS);
                m.irqs().synchronize(IRQ);
                drv.stats.flush();
                System.out.printf("the threaded handler ran %d times on %s;%n  the line was masked while"
                        + " it read each sample (ONESHOT): %s%n", drv.handled.get(), drv.where.get(),
                        drv.maskedInThread);
                System.out.printf("statistics work: %d samples, last %d%n", drv.statsSamples, drv.statsLast);

                // A reader that gets a signal while it waits: the wait ends with InterruptedException.
                AtomicReference<String> outcome = new AtomicReference<>();
                Thread second = new Thread(() -> {
                    try {
                        outcome.set("got sample " + drv.read());
                    } catch (InterruptedException e) {
                        outcome.set("read() -> -ERESTARTSYS (InterruptedException), no sample taken");
                    }
                }, "reader-2");
                second.start();
                while (second.getState() != Thread.State.WAITING) {      // asleep in wait_event_interruptible
                    LockSupport.parkNanos(100_000);
                }
                second.interrupt();                           // the signal
                second.join(10_000);
                System.out.println("a second reader, signalled while it waited: " + outcome.get());
            }                                                 // remove: devres released, last acquired first
            System.out.printf("remove: sensor0 %s, owns %s; irq 44 has a handler: %s; the stats work pending: %s%n",
                    dev.state(), dev.resources(), m.irqs().desc(IRQ).hasAction(), drv.stats.isPending());
        }
    }
}
