/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;

import java.util.List;

/**
 * The demo machine ({@code ./kdefer demo [seconds]}): boots a 2-CPU machine, attaches simulated devices that raise
 * interrupts from their own threads for a few seconds, then prints what each device saw and the machine's
 * {@code /proc/interrupts}, {@code /proc/softirqs} and workqueue ({@code wq_monitor}) tables. Workqueues appear as
 * the I2C sensor's stats aggregation (queued from its IRQ thread, coalesced while pending) and the network card's
 * firmware loader (a self-requeueing delayed work with backoff). Exits 1 if any device lost an event.
 */
public final class Demo {
    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        List<DemoPart> parts = List.of(new ThermalSensor(), new SerialPorts(), new PerfSampler(), new NapiNic(),
                new I2cSensor(), new FirmwareLoader());
        boolean ok = true;
        try (Machine m = Machine.boot(MachineConfig.builder().cpus(2).build())) {
            System.out.printf("kdefer demo: %s, devices running for %.1f s%n%n", m, seconds);
            for (DemoPart p : parts) {
                p.start(m);
            }
            Thread.sleep((long) (seconds * 1000));
            for (DemoPart p : parts) {
                p.stop(m);
            }
            for (DemoPart p : parts) {
                System.out.println(p.report());
                ok &= p.ok();
            }
            System.out.println();
            System.out.println("/proc/interrupts");
            System.out.print(m.stats().interrupts());
            System.out.println();
            System.out.println("/proc/softirqs");
            System.out.print(m.stats().softirqs());
            System.out.println();
            System.out.println("workqueues (wq_monitor: items executed, in flight, ms in items, CPU hogs,"
                    + " concurrency-management wake-ups, rescuer)");
            System.out.print(m.stats().workqueues());
        }
        if (!ok) {
            System.out.println("\nLOST EVENTS: a device's counts do not add up (see above)");
            System.exit(1);
        }
        System.out.println("\nevery event was handled exactly once");
    }
}
