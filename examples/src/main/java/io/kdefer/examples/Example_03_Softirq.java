/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.cpu.Cpu;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.softirq.Softirq;
import io.kdefer.softirq.Softirqs;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Lesson 3: softirqs, the fixed set of ten bottom-half vectors that everything else (tasklets, timers, NAPI
 * networking, the block layer) is built on. A driver installs the action of a vector once with
 * {@code softirqs().open(NET_RX, action)} and then {@code raise(NET_RX)}s it: a hardirq handler raises it to defer
 * what need not run with interrupts off, and so may any thread.
 *
 * <ul>
 *   <li>The action runs in <b>softirq context</b> on the CPU where the vector was raised (raising is always local,
 *       B-SIRQ-2): here at the exit of the interrupt that raised it, with interrupts enabled (B-SIRQ-3, B-SIRQ-8).
 *       A thread that is not a CPU raises on its home CPU, or on the CPU it is bound to.</li>
 *   <li>Raising sets one bit in the CPU's pending word, so raises <b>coalesce</b> while the bit is set: one run
 *       serves many raises. The run still sees what the raiser stored before raising (MO-SIRQ-1, proved by
 *       {@code Softirq_01_RaiseNeverLost}), so the action drains a queue and nothing is lost.</li>
 *   <li>A vector never nests on one CPU, but it may run on two CPUs at once (B-SIRQ-4): the action must be
 *       reentrant, which is why it drains a concurrent queue.</li>
 *   <li>The drain is bounded: at most 10 passes and 2 ms (B-SIRQ-5, B-SIRQ-6; {@code MachineConfig}), a vector
 *       raised during a pass runs in a later one (B-SIRQ-7), and what is left goes to the CPU's ksoftirqd
 *       phase, so an action that keeps re-raising itself (below: BLOCK, 25 times in a row) cannot starve the
 *       interrupts; the {@code ksoftirqd} row of the table counts those hand-overs.</li>
 * </ul>
 *
 * <p>The two sources behave differently. The hardirq handler's raise runs at that interrupt's exit, so on cpu/1
 * the action runs about once per interrupt (only raises that land while a drain is running coalesce). The
 * application thread raises faster than cpu/0 drains, so there most raises find the bit still set and coalesce.
 * (The device's edges also collapse in the GIC while one is pending, B-GIC-3, so there are fewer interrupts than
 * packets; the handler moves whatever the FIFO holds.)
 *
 * <p>HOW TO RUN: {@code ./kdefer example softirq}. Observed (2 cores, JDK 17; the counts vary run to run):
 * <pre>
 *   device sent 3000 packets in 1780 interrupts on cpu/1: the hardirq handler raised NET_RX 1780 times, it ran
 *   1773 times there (at each interrupt's exit)
 *   app thread queued 3000 packets and raised NET_RX 3000 times on cpu/0, it ran 249 times there (raises coalesce
 *   while pending)
 *   the action ran 2022 times in all, always in [cpu/0 softirq, cpu/1 softirq]
 *   received 6000 packets: nothing lost
 *   BLOCK re-raised itself 25 times: 26 runs, drains handed over to ksoftirqd on cpu/0: 2
 *                       CPU0       CPU1
 *             HI:          0          0
 *          TIMER:          0          0
 *         NET_TX:          0          0
 *         NET_RX:        249       1773
 *          BLOCK:         26          0
 *       IRQ_POLL:          0          0
 *        TASKLET:          0          0
 *          SCHED:          0          0
 *        HRTIMER:          0          0
 *            RCU:          0          0
 *      ksoftirqd:          2          1  (drains deferred to ksoftirqd)
 * </pre>
 */
public final class Example_03_Softirq {
    static final int IRQ = 40;

    private Example_03_Softirq() {
    }

    public static void main(String[] args) throws InterruptedException {
        try (Machine m = Machine.boot(2)) {
            Softirqs softirqs = m.softirqs();
            ConcurrentLinkedQueue<Integer> backlog = new ConcurrentLinkedQueue<>();   // input_pkt_queue
            AtomicLong irqRaises = new AtomicLong();
            AtomicLong appRaises = new AtomicLong();
            AtomicLong runs = new AtomicLong();
            AtomicLong received = new AtomicLong();
            AtomicInteger notSoftirq = new AtomicInteger();
            Set<String> where = ConcurrentHashMap.newKeySet();

            softirqs.open(Softirq.NET_RX, () -> {                  // softirq context: must not block
                runs.incrementAndGet();
                Cpu c = Cpu.current();
                if (!c.context().inServingSoftirq() || c.context().inHardirq()) {
                    notSoftirq.incrementAndGet();
                }
                where.add(c + (c.context().inSoftirq() ? " softirq" : " " + c.context().describe()));
                for (Integer p; (p = backlog.poll()) != null; ) {  // reentrant: may run on both CPUs at once
                    received.incrementAndGet();
                }
            });

            // A device line: the hardirq handler queues the packet and defers the rest to NET_RX.
            ConcurrentLinkedQueue<Integer> deviceFifo = new ConcurrentLinkedQueue<>();
            m.irqs().setAffinity(IRQ, 1);
            m.irqs().request(IRQ, (irq, dev) -> {
                for (Integer p; (p = deviceFifo.poll()) != null; ) {
                    backlog.add(p);
                }
                irqRaises.incrementAndGet();
                softirqs.raise(Softirq.NET_RX);                    // local: cpu/1, run at this interrupt's exit
                return IrqReturn.HANDLED;
            }, IrqFlags.TRIGGER_RISING, "nic0", deviceFifo);

            int packets = 3000;
            Thread device = new Thread(() -> {
                for (int i = 0; i < packets; i++) {
                    deviceFifo.add(i);
                    m.irqs().pulse(IRQ);                            // the device raises its line
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
                }
            }, "dev-nic0");
            device.start();

            // An application thread (a "loopback send"): raises on the CPU it is bound to.
            String[] appCpu = {""};
            Thread app = new Thread(() -> {
                m.bindCurrentThread(0);
                appCpu[0] = softirqs.thisCpu().toString();
                for (int i = 0; i < packets; i++) {
                    backlog.add(-i);
                    appRaises.incrementAndGet();
                    softirqs.raise(Softirq.NET_RX);                // on cpu/0, coalescing while pending
                    if (i % 8 == 0) {
                        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
                    }
                }
            }, "app");
            app.start();
            device.join();
            app.join();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (received.get() < 2L * packets && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            m.irqs().synchronize(IRQ);

            System.out.printf("device sent %d packets in %d interrupts on cpu/1: the hardirq handler raised NET_RX"
                    + " %d times, it ran %d times there (at each interrupt's exit)%n", packets,
                    m.irqs().desc(IRQ).count(), irqRaises.get(), softirqs.count(1, Softirq.NET_RX));
            System.out.printf("app thread queued %d packets and raised NET_RX %d times on %s, it ran %d times there"
                    + " (raises coalesce while pending)%n", packets, appRaises.get(), appCpu[0],
                    softirqs.count(0, Softirq.NET_RX));
            System.out.printf("the action ran %d times in all, always in %s%n", runs.get(),
                    new TreeSet<>(where));
            System.out.printf("received %d packets: %s%n", received.get(),
                    received.get() == 2L * packets ? "nothing lost" : "LOST " + (2L * packets - received.get()));

            // The bounded drain: an action that re-raises itself is cut off after 10 passes, ksoftirqd goes on.
            AtomicInteger blockRuns = new AtomicInteger();
            int reRaises = 25;
            softirqs.open(Softirq.BLOCK, () -> {
                if (blockRuns.incrementAndGet() <= reRaises) {
                    softirqs.raise(Softirq.BLOCK);                 // more to do: runs in a later pass
                }
            });
            long before = softirqs.deferrals(0);
            m.smp().callFunctionSingle(0, () -> softirqs.raise(Softirq.BLOCK), true);   // raised in hardirq on cpu/0
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (blockRuns.get() <= reRaises && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            System.out.printf("BLOCK re-raised itself %d times: %d runs, drains handed over to ksoftirqd on cpu/0: "
                    + "%d%n", reRaises, blockRuns.get(), softirqs.deferrals(0) - before);
            System.out.print(m.stats().softirqs());

            if (notSoftirq.get() != 0 || received.get() != 2L * packets
                    || runs.get() > irqRaises.get() + appRaises.get()
                    || blockRuns.get() != reRaises + 1) {
                throw new IllegalStateException("a count does not add up (see above); not in softirq: "
                        + notSoftirq.get());
            }
        }
    }
}
