/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

/**
 * The machine a primitive is created on, as the subsystem packages name it: {@code new Tasklet(machine, fn)},
 * {@code new IrqWork(machine, fn)}, {@code new TimerList(machine, fn)} take a {@code Host}. {@code io.kdefer.Machine}
 * is its only implementation; applications pass their {@code Machine} and never implement this.
 *
 * <p>It exists so that the layering has no cycle: the subsystems sit below {@code io.kdefer}, which wires them, and
 * name the machine through this type of the lowest API package instead of importing the class that imports them.
 */
public interface Host {
    /** The machine's name, as in its reports and thread names. */
    String name();

    /** Its number of virtual CPUs. */
    int cpuCount();

    /** CPU {@code id}, 0-based. */
    Cpu cpu(int id);
}
