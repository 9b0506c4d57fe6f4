/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Platform;

import java.util.ArrayList;
import java.util.List;

/**
 * The demo machine ({@code ./kdefer demo [seconds] [--platform arm64|x86]}): boots a 2-CPU machine (the GICv3 platform,
 * or x86 with its IO-APIC, local APICs and MSI: {@link DemoBoard} says where each device sits), attaches simulated devices that raise
 * interrupts from their own threads for a few seconds, then prints what each device saw and the machine's
 * {@code /proc/interrupts}, {@code /proc/softirqs} and workqueue ({@code wq_monitor}) tables. Workqueues appear as
 * the I2C sensor's stats aggregation (queued from its IRQ thread, coalesced while pending) and the network card's
 * firmware loader (a self-requeueing delayed work with backoff). Exits 1 if any device lost an event.
 */
public final class Demo {
    private Demo() {
    }

    private static Platform platform(String name) {
        switch (name) {
            case "arm64":
                return Platform.ARM64_GICV3;
            case "x86":
                return Platform.X86_APIC;
            default:
                throw new IllegalArgumentException("unknown platform " + name + ": arm64 (the GICv3) or x86 (IO-APIC,"
                        + " local APICs, MSI)");
        }
    }

    public static void main(String[] args) throws Exception {
        double seconds = 3;
        Platform platform = Platform.ARM64_GICV3;
        try {
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--platform") && i + 1 < args.length) {
                    platform = platform(args[++i]);
                } else if (args[i].startsWith("--platform=")) {
                    platform = platform(args[i].substring("--platform=".length()));
                } else {
                    seconds = Double.parseDouble(args[i]);
                    if (!(seconds > 0 && seconds <= 3600)) {
                        throw new IllegalArgumentException("seconds must be in (0, 3600]: " + args[i]);
                    }
                }
            }
        } catch (IllegalArgumentException e) { // NumberFormatException included
            System.err.println("kdefer demo: " + e.getMessage() + "\nusage: ./kdefer demo [seconds] [--platform arm64|x86]");
            System.exit(2);
        }
        boolean ok = true;
        try (Machine m = Machine.boot(MachineConfig.builder().cpus(2).platform(platform).build())) {
            DemoBoard board = DemoBoard.of(m);
            List<DemoPart> parts = new ArrayList<>(List.of(new ThermalSensor(), new SerialPorts(), new NapiNic(),
                    new I2cSensor(), new FirmwareLoader()));
            if (board.perf >= 0) {
                parts.add(2, new PerfSampler());
            }
            System.out.printf("kdefer demo: %s, devices running for %.1f s%n%n", m, seconds);
            for (DemoPart p : parts) {
                p.start(m, board);
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
