/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

/**
 * The machine's configuration as its subsystems read it (not API: {@code MachineConfig} is). Built once by
 * {@code Machine} from its validated {@code MachineConfig}; every field is final.
 *
 * @param name                machine name
 * @param cpus                number of virtual CPUs
 * @param manual              MANUAL mode: no CPU threads, a virtual clock
 * @param hz                  ticks per second
 * @param idlePolicy          the CPUs' idle policy, as the ordinal of {@code io.kdefer.cpu.IdlePolicy}
 * @param softirqMaxRestart   passes per softirq drain
 * @param softirqMaxNanos     time budget per softirq drain
 * @param softLockupNanos     soft-lockup report threshold, 0 = off
 * @param spuriousWindow      interrupts per spurious-detection window
 * @param spuriousThreshold   unhandled interrupts per window that disable a line
 * @param spuriousQuietNanos  an unhandled interrupt this long after the previous one restarts the count
 * @param platform            the interrupt platform, as the name of {@code io.kdefer.Platform}
 * @param latencyHistograms   record the latency histograms from boot on (io.kdefer.trace; switchable later)
 * @param jmx                 register the machine's MBeans (io.kdefer.trace) at boot, unregister them at close
 */
public record Config(String name, int cpus, boolean manual, int hz, int idlePolicy, int softirqMaxRestart,
                     long softirqMaxNanos, long softLockupNanos, int spuriousWindow, int spuriousThreshold,
                     long spuriousQuietNanos, String platform, boolean latencyHistograms, boolean jmx) {

    /** A configuration without the observability options (histograms off, no MBeans): bare kernels, tests. */
    public Config(String name, int cpus, boolean manual, int hz, int idlePolicy, int softirqMaxRestart,
                  long softirqMaxNanos, long softLockupNanos, int spuriousWindow, int spuriousThreshold,
                  long spuriousQuietNanos, String platform) {
        this(name, cpus, manual, hz, idlePolicy, softirqMaxRestart, softirqMaxNanos, softLockupNanos, spuriousWindow,
                spuriousThreshold, spuriousQuietNanos, platform, false, false);
    }
}
