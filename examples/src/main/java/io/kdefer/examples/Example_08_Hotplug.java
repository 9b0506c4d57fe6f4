/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.CloseReport;
import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.cpu.Cpu;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.tasklet.Tasklet;
import io.kdefer.time.TimerList;
import io.kdefer.workqueue.DelayedWork;
import io.kdefer.workqueue.Work;
import io.kdefer.workqueue.Workqueue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lesson 8: CPU hotplug and an orderly shutdown. A CPU goes offline in the kernel's teardown order: it stops
 * taking new work, its workqueue pools unbind (their items still run, on unbound workers), its IRQs move to another
 * CPU and their threads follow, then it flushes what only it can run and the rest of its work moves. A machine
 * closes the way an {@code ExecutorService} does: new work is refused, what was accepted runs (delayed work fires
 * early), every thread is joined within one deadline, and what could not run is counted.
 *
 * <ul>
 *   <li>{@code cpu.offline()} / {@code cpu.online()}: the hotplug states ONLINE, GOING_DOWN, OFFLINE, COMING_UP.</li>
 *   <li>{@code wq.queueOn(offlineCpu, w)} is accepted, as the kernel's queue_work_on: the pool runs it unbound.</li>
 *   <li>{@code Machine.close()}: RUNNING, CLOSING, DRAINING, TERMINATED; {@code closeReport()} tells what never
 *       ran; {@code shutdown()} is the form callable from the machine's own threads.</li>
 * </ul>
 *
 * <p>HOW TO RUN: {@code ./kdefer example hotplug}. Observed (2 cores, JDK 17):
 * <pre>
 *   irq 40 routed to cpu/1; its handler ran on cpu/1, its thread on cpu/1
 *   cpu/1 offline: hotplug state OFFLINE; irq 40 now routed to cpu/0
 *   after the offline: handler on cpu/0, thread on cpu/0 (it followed its line)
 *   work queued on offline cpu/1: accepted=true, ran with Cpu.current()=null (an unbound worker)
 *   cpu/1 online again: hotplug state ONLINE; work queued on it ran on cpu/1
 *   close: 100 delayed items due in an hour ran at close (flush-on-close): 100
 *   close: state TERMINATED; after close, tasklet.schedule() = false (refused)
 *   close report: CloseReport[48 ms, never ran: {timer=1} e.g. [timer: TimerList[idle, watchdog]]]
 * </pre>
 */
public final class Example_08_Hotplug {
    private Example_08_Hotplug() {
    }

    public static void main(String[] args) throws InterruptedException {
        Machine m = Machine.boot(MachineConfig.builder().cpus(2).name("lesson8").build());
        try {
            hotplug(m);
        } finally {
            close(m);
        }
    }

    private static void hotplug(Machine m) throws InterruptedException {
        String[] hardirqOn = new String[1];
        String[] threadOn = new String[1];
        CountDownLatch[] ran = {new CountDownLatch(1)};
        m.irqs().requestThreaded(40, (irq, dev) -> {
            hardirqOn[0] = String.valueOf(Cpu.current());
            return IrqReturn.WAKE_THREAD;
        }, (irq, dev) -> {
            threadOn[0] = String.valueOf(Cpu.current());
            ran[0].countDown();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "lesson", null);
        m.irqs().setAffinity(40, 1);
        m.irqs().pulse(40);
        ran[0].await(10, TimeUnit.SECONDS);
        System.out.printf("irq 40 routed to cpu/1; its handler ran on %s, its thread on %s%n", hardirqOn[0],
                threadOn[0]);

        m.cpu(1).offline();
        System.out.printf("cpu/1 offline: hotplug state %s; irq 40 now routed to cpu/%d%n",
                m.cpu(1).hotplugState(), m.irqs().desc(40).affinity());
        ran[0] = new CountDownLatch(1);
        m.irqs().pulse(40);
        ran[0].await(10, TimeUnit.SECONDS);
        System.out.printf("after the offline: handler on %s, thread on %s (it followed its line)%n", hardirqOn[0],
                threadOn[0]);

        Workqueue wq = m.workqueues().system();
        Object[] current = new Object[1];
        CountDownLatch workRan = new CountDownLatch(1);
        boolean accepted = wq.queueOn(1, new Work(() -> {
            current[0] = Cpu.current();
            workRan.countDown();
        }));
        workRan.await(10, TimeUnit.SECONDS);
        System.out.printf("work queued on offline cpu/1: accepted=%s, ran with Cpu.current()=%s (an unbound "
                + "worker)%n", accepted, current[0]);

        m.cpu(1).online();
        CountDownLatch again = new CountDownLatch(1);
        wq.queueOn(1, new Work(() -> {
            current[0] = Cpu.current();
            again.countDown();
        }));
        again.await(10, TimeUnit.SECONDS);
        System.out.printf("cpu/1 online again: hotplug state %s; work queued on it ran on %s%n",
                m.cpu(1).hotplugState(), current[0]);
    }

    private static void close(Machine m) {
        AtomicInteger early = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            m.workqueues().system().queueDelayed(new DelayedWork(early::incrementAndGet), Duration.ofHours(1));
        }
        Runnable watchdog = new Runnable() {
            @Override
            public void run() {
            }

            @Override
            public String toString() {
                return "watchdog";
            }
        };
        new TimerList(m, watchdog).mod(Duration.ofHours(1));       // a plain timer not yet due: counted
        Tasklet t = new Tasklet(m, () -> { });
        m.close();
        System.out.printf("close: 100 delayed items due in an hour ran at close (flush-on-close): %d%n", early.get());
        System.out.printf("close: state %s; after close, tasklet.schedule() = %s (refused)%n", m.state(),
                t.schedule());
        CloseReport r = m.closeReport();
        System.out.println("close report: " + r);
    }
}
