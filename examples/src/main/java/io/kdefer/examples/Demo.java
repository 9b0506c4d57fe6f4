/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Platform;
import io.kdefer.trace.Jfc;
import io.kdefer.trace.Trace;
import jdk.jfr.Recording;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo machine ({@code ./kdefer demo [seconds] [--platform arm64|x86] [--top] [--jfr FILE]}): boots a 2-CPU
 * machine (the GICv3 platform, or x86 with its IO-APIC, local APICs and MSI: {@link DemoBoard} says where each device
 * sits), attaches simulated devices that raise interrupts from their own threads for a few seconds, then prints what each device saw and the
 * machine's {@code /proc/interrupts}, {@code /proc/softirqs}, workqueue ({@code wq_monitor}) and latency tables.
 * Workqueues appear as the I2C sensor's stats aggregation (queued from its IRQ thread, coalesced while pending) and
 * the network card's firmware loader (a self-requeueing delayed work with backoff). Exits 1 if any device lost an
 * event.
 *
 * <ul>
 *   <li>{@code --top}: a live view while the devices run, refreshed every second ({@link Top}): interrupt, softirq
 *       and workqueue rates and the latency table, read through the machine's MBeans.</li>
 *   <li>{@code --jfr FILE}: records the whole run with {@code kdefer-profile.jfc} (every per-item event, plus
 *       {@code kdefer.SoftirqRaise}) and writes FILE; after the devices stop, {@link Anomalies} provokes the rarer
 *       events (spurious and replayed interrupts, nobody cared, ksoftirqd, a failure, a soft lockup with a
 *       workqueue stall, CPU hotplug). View it with {@code jfr summary FILE}, {@code jfr print --events
 *       kdefer.WorkExecute FILE}, or JDK Mission Control. The anomalies are provoked through the GIC, so
 *       {@code --jfr} runs on arm64 only.</li>
 * </ul>
 */
public final class Demo {
    private static final String USAGE = "usage: ./kdefer demo [seconds] [--platform arm64|x86] [--top] [--jfr FILE]";

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
        boolean top = false;
        Path jfr = null;
        try {
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--top")) {
                    top = true;
                } else if (args[i].equals("--jfr")) {
                    if (i + 1 == args.length) {
                        throw new IllegalArgumentException("--jfr needs a file name: ./kdefer demo --jfr demo.jfr");
                    }
                    jfr = Path.of(args[++i]);
                } else if (args[i].equals("--platform")) {
                    if (i + 1 == args.length) {
                        throw new IllegalArgumentException("--platform needs arm64 or x86");
                    }
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
            if (jfr != null && platform != Platform.ARM64_GICV3) {
                throw new IllegalArgumentException("--jfr provokes its anomalies through the GIC: use it on arm64");
            }
        } catch (IllegalArgumentException e) {                     // NumberFormatException included
            System.err.println("kdefer demo: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
        }
        Recording recording = null;
        if (jfr != null) {
            Trace.register();                           // the kdefer event types, before the first one is emitted
            recording = new Recording(Jfc.configuration(Jfc.PROFILE));
            recording.enable("kdefer.SoftirqRaise").withoutStackTrace();
            recording.setName("kdefer demo");
            recording.start();
        }
        boolean ok = true;
        MachineConfig.Builder config = MachineConfig.builder().cpus(2).platform(platform).name("demo")
                .latencyHistograms(true);
        if (jfr != null) {
            Anomalies.configure(config);
        }
        try (Machine m = Machine.boot(config.build())) {
            DemoBoard board = DemoBoard.of(m);
            List<DemoPart> parts = new ArrayList<>(List.of(new ThermalSensor(), new SerialPorts(), new NapiNic(),
                    new I2cSensor(), new FirmwareLoader()));
            if (board.perf >= 0) {
                parts.add(2, new PerfSampler());
            }
            System.out.printf("kdefer demo: %s, devices running for %.1f s%n%n", m, seconds);
            Top view = top ? new Top(m, System.out, System.console() != null) : null;
            Thread viewThread = view != null ? view.start() : null;
            for (DemoPart p : parts) {
                p.start(m, board);
            }
            Thread.sleep((long) (seconds * 1000));
            for (DemoPart p : parts) {
                p.stop(m);
            }
            if (view != null) {
                view.stop();
                viewThread.join();
                System.out.println();
            }
            for (DemoPart p : parts) {
                System.out.println(p.report());
                ok &= p.ok();
            }
            if (jfr != null) {
                System.out.println("\nprovoking the rarer events for the recording (the log lines below are expected)");
                Anomalies.provoke(m);
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
            System.out.println();
            System.out.println("latency per CPU and primitive (stats().latency())");
            System.out.print(m.stats().latency());
        } finally {
            if (recording != null) {
                recording.stop();
                recording.dump(jfr);
                recording.close();
                System.out.println("\nrecording written to " + jfr + ": jfr summary " + jfr
                        + "; jfr print --events kdefer.WorkExecute " + jfr);
            }
        }
        if (!ok) {
            System.out.println("\nLOST EVENTS: a device's counts do not add up (see above)");
            System.exit(1);
        }
        System.out.println("\nevery event was handled exactly once");
    }
}
