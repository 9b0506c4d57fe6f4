/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

/** The platform thread {@code cpu/N} that executes a virtual CPU in THREADED mode. */
final class CpuThread extends Thread {
    final Cpu cpu;   // I

    CpuThread(Cpu cpu, Runnable body) {
        super(body, cpu.toString());
        this.cpu = cpu;
        setDaemon(true);
    }
}
