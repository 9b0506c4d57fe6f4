/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.trace.Jfc;
import io.kdefer.trace.Trace;
import jdk.jfr.Recording;

import java.nio.file.Path;
import java.util.List;

/**
 * The demo machine ({@code ./kdefer demo [seconds] [--top] [--jfr FILE]}): boots a 2-CPU machine, attaches simulated
 * devices that raise interrupts from their own threads for a few seconds, then prints what each device saw and the
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
 *       kdefer.WorkExecute FILE}, or JDK Mission Control.</li>
 * </ul>
 */
public final class Demo {
    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = 3;
        boolean top = false;
        Path jfr = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--top" -> top = true;
                case "--jfr" -> {
                    if (i + 1 == args.length) {
                        throw new IllegalArgumentException("--jfr needs a file name: ./kdefer demo --jfr demo.jfr");
                    }
                    jfr = Path.of(args[++i]);
                }
                default -> seconds = Double.parseDouble(args[i]);
            }
        }
        Recording recording = null;
        if (jfr != null) {
            Trace.register();                           // the kdefer event types, before the first one is emitted
            recording = new Recording(Jfc.configuration(Jfc.PROFILE));
            recording.enable("kdefer.SoftirqRaise").withoutStackTrace();
            recording.setName("kdefer demo");
            recording.start();
        }
        List<DemoPart> parts = List.of(new ThermalSensor(), new SerialPorts(), new PerfSampler(), new NapiNic(),
                new I2cSensor(), new FirmwareLoader());
        boolean ok = true;
        MachineConfig.Builder config = MachineConfig.builder().cpus(2).name("demo").latencyHistograms(true);
        if (jfr != null) {
            Anomalies.configure(config);
        }
        try (Machine m = Machine.boot(config.build())) {
            System.out.printf("kdefer demo: %s, devices running for %.1f s%n%n", m, seconds);
            Top view = top ? new Top(m, System.out, System.console() != null) : null;
            Thread viewThread = view != null ? view.start() : null;
            for (DemoPart p : parts) {
                p.start(m);
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
