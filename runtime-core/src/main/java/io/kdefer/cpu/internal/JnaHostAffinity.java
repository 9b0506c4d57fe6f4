/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;

import java.util.BitSet;

/**
 * {@link HostAffinity} on Linux: {@code sched_getaffinity(0, ...)} and {@code sched_setaffinity(0, ...)} of libc
 * through JNA, pid 0 meaning the calling thread. The CPU mask is the kernel's {@code cpu_set_t} layout: an array of
 * {@code unsigned long}, bit {@code i % 64} of word {@code i / 64} for CPU {@code i} (64-bit Linux), 1024 CPUs as
 * glibc's fixed-size set. Loaded only when pinning is on, so JNA is never touched otherwise.
 */
final class JnaHostAffinity implements HostAffinity {
    private static final int WORDS = 1024 / Long.SIZE;
    private static final NativeLong SIZE = new NativeLong((long) WORDS * Long.BYTES);   // cpusetsize, bytes

    /** The two libc calls (JNA interface mapping; errno comes back as a {@link LastErrorException}). */
    public interface LibC extends Library {
        int sched_getaffinity(int pid, NativeLong cpusetsize, long[] mask) throws LastErrorException;

        int sched_setaffinity(int pid, NativeLong cpusetsize, long[] mask) throws LastErrorException;
    }

    private final LibC libc;   // I

    private JnaHostAffinity(LibC libc) {
        this.libc = libc;
    }

    static JnaHostAffinity load() {
        if (Native.LONG_SIZE != Long.BYTES) {
            throw new UnsupportedOperationException("OS pinning (pinCpus) supports 64-bit Linux only");
        }
        return new JnaHostAffinity(Native.load("c", LibC.class));
    }

    @Override
    public BitSet currentThread() {
        long[] mask = new long[WORDS];
        try {
            libc.sched_getaffinity(0, SIZE, mask);
        } catch (LastErrorException e) {
            throw new IllegalStateException("sched_getaffinity failed: errno " + e.getErrorCode(), e);
        }
        return BitSet.valueOf(mask);
    }

    @Override
    public void setCurrentThread(BitSet hostCpus) {
        if (hostCpus.isEmpty() || hostCpus.length() > WORDS * Long.SIZE) {
            throw new IllegalArgumentException("host CPUs must be a non-empty set of CPUs 0..1023: " + hostCpus);
        }
        long[] mask = java.util.Arrays.copyOf(hostCpus.toLongArray(), WORDS);
        try {
            libc.sched_setaffinity(0, SIZE, mask);
        } catch (LastErrorException e) {
            throw new IllegalStateException("sched_setaffinity(" + hostCpus + ") failed: errno " + e.getErrorCode()
                    + (e.getErrorCode() == 22 ? " (EINVAL: none of these CPUs is allowed to this process)" : ""), e);
        }
    }
}
