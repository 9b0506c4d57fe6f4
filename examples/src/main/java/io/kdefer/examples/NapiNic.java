/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.softirq.Softirq;
import io.kdefer.tasklet.Tasklet;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A network card driven the NAPI way. The device writes received packets into an RX ring and raises its RX
 * interrupt only while the driver has RX interrupts enabled in the device's register. The RX handler disables
 * them (so a burst costs one interrupt, not one per packet) and raises NET_RX; the NET_RX action polls at most
 * 64 packets per run, raises itself again while the budget runs out, and when the ring is empty re-enables the
 * interrupt and looks once more (a packet that arrived just before the re-enable raised no interrupt). Link
 * up/down changes arrive on a second line whose handler defers the work to a HI tasklet.
 */
final class NapiNic implements DemoPart {
    private int rxLine;                   // set by start() from the board, before the device threads start
    private int linkLine;                   // set by start() from the board, before the device threads start
    static final int BUDGET = 64;                      // NAPI_POLL_WEIGHT
    private static final int RING = 1024;

    // The device's registers and RX ring (written by the device thread, read by the driver).
    private final long[] ring = new long[RING];
    private final AtomicLong head = new AtomicLong();          // next slot the device writes
    private volatile long tail;                                // next slot the driver reads (driver: one CPU)
    private volatile boolean rxIrqEnabled = true;              // RX interrupt enable register
    private volatile boolean linkUp = true;                    // link status register
    private final AtomicBoolean linkChangePending = new AtomicBoolean();   // cleared by the driver (ack)

    private final AtomicLong sent = new AtomicLong();
    private volatile long received;                            // NET_RX on one CPU only
    private volatile long checksum;
    private long expectedChecksum;                             // device thread
    private final AtomicLong rxInterrupts = new AtomicLong();
    private volatile long polls;
    private volatile long budgetExhausted;
    private volatile long ringFull;
    private final AtomicLong linkEvents = new AtomicLong();
    private volatile long linkHandled;
    private volatile long linkDownSeen;
    private volatile boolean running;
    private Thread device;
    private Machine machine;
    private Tasklet linkTask;
    private int cpu;

    @Override
    public void start(Machine m, DemoBoard board) {
        rxLine = board.nicRx;
        linkLine = board.nicLink;

        machine = m;
        cpu = 0;
        linkTask = new Tasklet(m, () -> {                      // HI tasklet: the link change, outside the hardirq
            if (!linkUp) {
                linkDownSeen++;
            }
            linkHandled++;
            linkChangePending.set(false);                      // ack: the device may report the next change
        });
        m.softirqs().open(Softirq.NET_RX, this::poll);
        m.irqs().request(rxLine, (irq, dev) -> {
            rxInterrupts.incrementAndGet();
            rxIrqEnabled = false;                              // mask RX interrupts in the device (napi_schedule)
            m.softirqs().raise(Softirq.NET_RX);
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "nic0-rx", this);
        m.irqs().request(linkLine, (irq, dev) -> {
            linkTask.scheduleHi();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "nic0-link", this);
        m.irqs().setAffinity(rxLine, cpu);
        m.irqs().setAffinity(linkLine, cpu);
        running = true;
        device = new Thread(this::deviceLoop, "dev-nic0");
        device.start();
    }

    /** The NET_RX action (napi_poll): softirq context on the CPU that took the RX interrupt. */
    private void poll() {
        polls++;
        int done = 0;
        long t = tail;
        while (done < BUDGET && t < head.get()) {
            checksum += ring[(int) (t % RING)];
            t++;
            done++;
        }
        tail = t;                                              // frees the slots for the device
        received += done;
        if (done == BUDGET) {
            budgetExhausted++;
            machine.softirqs().raise(Softirq.NET_RX);          // more to do: poll again in a later pass
            return;
        }
        rxIrqEnabled = true;                                   // napi_complete_done: unmask ...
        if (head.get() != tail) {                              // ... and look again: a packet that came before
            rxIrqEnabled = false;                              //     the unmask raised no interrupt
            machine.softirqs().raise(Softirq.NET_RX);
        }
    }

    private void deviceLoop() {
        long seq = 1;
        long nextLinkFlap = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(250);
        while (running) {
            if (System.nanoTime() > nextLinkFlap && linkChangePending.compareAndSet(false, true)) {
                linkUp = !linkUp;
                linkEvents.incrementAndGet();
                machine.irqs().pulse(linkLine);
                nextLinkFlap = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(linkUp ? 250 : 50);
            }
            if (linkUp) {
                int burst = 1 + (int) (System.nanoTime() % 200);      // some bursts exceed the poll budget
                for (int i = 0; i < burst; i++) {
                    while (head.get() - tail >= RING) {
                        ringFull++;
                        LockSupport.parkNanos(50_000);         // ring full: a real NIC would drop; we wait
                        if (!running) {
                            return;
                        }
                    }
                    ring[(int) (head.get() % RING)] = seq;
                    expectedChecksum += seq;
                    seq++;
                    head.incrementAndGet();                    // publish the packet, then check the register
                    sent.incrementAndGet();
                    if (rxIrqEnabled) {
                        machine.irqs().pulse(rxLine);
                    }
                }
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(500));
        }
    }

    @Override
    public void stop(Machine m) throws InterruptedException {
        running = false;
        device.join();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((received != sent.get() || linkChangePending.get()) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    @Override
    public String report() {
        return String.format("NAPI network card edge IRQ %d -> cpu/%d   packets %6d sent, %6d received (checksum %s); "
                        + "%d RX interrupts, %d NET_RX polls (%d used the whole %d-packet budget), ring full %d times; "
                        + "link changes %d raised, %d handled by a HI tasklet (%d down)",
                rxLine, cpu, sent.get(), received, checksum == expectedChecksum ? "ok" : "WRONG", rxInterrupts.get(),
                polls, budgetExhausted, BUDGET, ringFull, linkEvents.get(), linkHandled, linkDownSeen);
    }

    @Override
    public boolean ok() {
        return sent.get() == received && sent.get() > 0 && checksum == expectedChecksum
                && linkEvents.get() == linkHandled;
    }
}
