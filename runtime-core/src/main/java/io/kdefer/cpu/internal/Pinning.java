/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu.internal;

import java.lang.System.Logger.Level;
import java.util.BitSet;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A machine's OS pinning plan ({@code MachineConfig.Builder.pinCpus}): which host CPU each virtual CPU's thread runs
 * on, and where the runtime's other threads (workers, IRQ threads, the sampler, the watchdog) go: the kernel's
 * housekeeping split, isolated CPUs for the work that must not be disturbed and the rest for everything else.
 * Runtime SPI; built once at boot, immutable after.
 *
 * <h2>The plan</h2>
 * Of the {@code h} host CPUs the booting thread may run on (its affinity: the process's, unless the caller narrowed
 * it), in ascending order:
 * <pre>
 *   n &lt;  h   cpu/i on host CPU h-n+i (the highest n: the kernel's isolcpus convention leaves CPU 0 to housekeeping);
 *            every other runtime thread on the h-n lowest
 *   n == h   cpu/i on the i-th host CPU; the other runtime threads on all h (nothing is left over)
 *   n &gt;  h   cpu/i on host CPU i mod h (oversubscribed: several CPU threads share a host CPU); the others on all h
 * </pre>
 * The other runtime threads are always set explicitly, even to all {@code h}: a Linux thread inherits its creator's
 * affinity, and a worker started from a pinned CPU thread would otherwise stay on that one host CPU. Threads the
 * runtime does not own (the JIT, the GC, the application's) are never touched.
 *
 * <h2>Failures</h2>
 * Planning fails at boot (no JNA, not Linux, no CPU allowed): the machine does not boot. A thread that cannot be
 * pinned later (its cpuset shrank under it) is logged once per machine and runs unpinned: a pinning failure never
 * stops a CPU.
 */
public final class Pinning {
    private static final System.Logger LOG = System.getLogger("io.kdefer.cpu");

    /** No pinning: every thread runs where the OS puts it. */
    public static final Pinning NONE = new Pinning(null, new int[0], null);

    private final HostAffinity os;             // I: null for NONE
    private final int[] cpuHost;               // I: host CPU of cpu/i
    private final BitSet housekeeping;         // I: the other runtime threads' host CPUs; null for NONE
    private final AtomicBoolean failed = new AtomicBoolean();   // A: a pinning failure was logged

    private Pinning(HostAffinity os, int[] cpuHost, BitSet housekeeping) {
        this.os = os;
        this.cpuHost = cpuHost;
        this.housekeeping = housekeeping;
    }

    /**
     * The plan for {@code cpus} virtual CPUs over the host CPUs the calling thread may run on.
     *
     * @throws IllegalStateException the calling thread may run on no host CPU
     */
    public static Pinning plan(HostAffinity os, int cpus) {
        Objects.requireNonNull(os, "os");
        if (cpus < 1) {
            throw new IllegalArgumentException("cpus must be positive: " + cpus);
        }
        BitSet allowed = os.currentThread();
        int[] host = allowed.stream().toArray();
        int h = host.length;
        if (h == 0) {
            throw new IllegalStateException("OS pinning: the booting thread may run on no host CPU");
        }
        int[] cpuHost = new int[cpus];
        BitSet others;
        if (cpus < h) {
            others = new BitSet();
            for (int i = 0; i < h - cpus; i++) {
                others.set(host[i]);
            }
            for (int i = 0; i < cpus; i++) {
                cpuHost[i] = host[h - cpus + i];
            }
        } else {
            others = allowed;
            for (int i = 0; i < cpus; i++) {
                cpuHost[i] = host[i % h];
            }
        }
        return new Pinning(os, cpuHost, others);
    }

    /** Whether threads are pinned at all. */
    public boolean enabled() {
        return os != null;
    }

    /** The host CPU {@code cpu/i} runs on, or -1 without pinning. */
    public int hostCpuOf(int cpu) {
        return os == null ? -1 : cpuHost[cpu];
    }

    /** The host CPUs of the runtime's other threads (a copy), or null without pinning. */
    public BitSet housekeeping() {
        return housekeeping == null ? null : (BitSet) housekeeping.clone();
    }

    /** Called by {@code cpu/i}'s thread as it starts: pins it to its host CPU. */
    public void enterCpuThread(int cpu) {
        if (os != null) {
            BitSet one = new BitSet();
            one.set(cpuHost[cpu]);
            apply(one, "cpu/" + cpu);
        }
    }

    /** Called by every other runtime thread as it starts: moves it to the housekeeping CPUs. */
    public void enterOtherThread() {
        if (os != null) {
            apply(housekeeping, Thread.currentThread().getName());
        }
    }

    private void apply(BitSet hostCpus, String who) {
        try {
            os.setCurrentThread(hostCpus);
        } catch (RuntimeException e) {
            if (failed.compareAndSet(false, true)) {
                LOG.log(Level.WARNING, "OS pinning: could not pin " + who + " to host CPUs " + hostCpus
                        + "; it runs unpinned (reported once per machine)", e);
            }
        }
    }

    @Override
    public String toString() {
        if (os == null) {
            return "not pinned";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cpuHost.length; i++) {
            b.append(i == 0 ? "" : ", ").append("cpu/").append(i).append(" on host ").append(cpuHost[i]);
        }
        return b.append("; other runtime threads on ").append("host ").append(housekeeping).toString();
    }
}
