/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu.internal;

import java.util.BitSet;

/**
 * The operating system's CPU affinity of the calling thread: the one seam through which OS pinning
 * ({@code MachineConfig.Builder.pinCpus}) touches the host. Runtime SPI; the implementation on Linux is
 * {@link #linux()} ({@code sched_getaffinity}/{@code sched_setaffinity} through JNA), tests use a fake.
 *
 * <p>Host CPUs are the operating system's logical CPU numbers (a hyperthread sibling is a CPU of its own), not the
 * machine's virtual CPUs.
 */
public interface HostAffinity {
    /** The host CPUs the calling thread may run on. */
    BitSet currentThread();

    /**
     * Restricts the calling thread to {@code hostCpus}.
     *
     * @throws IllegalStateException the operating system refused (a CPU outside the process's cgroup or cpuset, ...)
     */
    void setCurrentThread(BitSet hostCpus);

    /**
     * Linux, through JNA ({@code net.java.dev.jna:jna}, an optional dependency: the application that turns pinning on
     * puts it on its class path).
     *
     * @throws UnsupportedOperationException not Linux, or JNA is not on the class path
     */
    static HostAffinity linux() {
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(java.util.Locale.ROOT).startsWith("linux")) {
            throw new UnsupportedOperationException("OS pinning (pinCpus) uses Linux's sched_setaffinity; this is "
                    + os);
        }
        try {
            Class.forName("com.sun.jna.Native", false, HostAffinity.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new UnsupportedOperationException("OS pinning (pinCpus) needs JNA on the class path "
                    + "(net.java.dev.jna:jna 5.x, an optional dependency of kdefer)", e);
        }
        return JnaHostAffinity.load();
    }
}
