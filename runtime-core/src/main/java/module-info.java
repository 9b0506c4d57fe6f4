/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */

/**
 * kdefer's runtime: the Linux kernel's deferral primitives on JVM threads acting as virtual CPUs.
 *
 * <p>Only the API packages are exported. The runtime's internals (the {@code *.internal} packages, the platform
 * drivers in {@code io.kdefer.irqchip}, each subsystem's package-private core) are not: an application reaches a
 * machine through {@code io.kdefer.Machine} and the subsystem facades it returns, and nothing else. On the class
 * path (no module path) the same classes stay package-private or live in packages nobody is told to import.
 */
module io.kdefer {
    requires java.management;      // the MXBeans (io.kdefer.trace.Jmx)
    requires jdk.jfr;              // the JFR events and their settings
    requires static com.sun.jna;   // OS pinning only (MachineConfig.Builder.pinCpus): optional, never loaded when off

    exports io.kdefer;
    exports io.kdefer.cpu;
    exports io.kdefer.gic;
    exports io.kdefer.irq;
    exports io.kdefer.irqwork;
    exports io.kdefer.smp;
    exports io.kdefer.softirq;
    exports io.kdefer.sync;
    exports io.kdefer.tasklet;
    exports io.kdefer.time;
    exports io.kdefer.trace;
    exports io.kdefer.workqueue;
    exports io.kdefer.x86;
}
