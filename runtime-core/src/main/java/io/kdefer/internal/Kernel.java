/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One machine's kernel-side object graph (not API): its configuration, lifecycle and interrupt policy, and the
 * subsystems' internal objects, which each subsystem's installer registers while the machine boots ({@link Access})
 * and other subsystems, and objects users construct ({@code new IrqWork(machine, fn)}, through {@link Services}),
 * look up by type.
 *
 * <p>Filled on the booting thread before the machine is published; read-only afterwards, so plain fields and a
 * plain map are safe (the machine reaches other threads through a safe publication: thread start, or the caller's
 * own hand-off).
 */
public final class Kernel {
    private final Config config;                                      // I
    private final Lifecycle lifecycle;                                // I
    private final Faults faults;                                      // I
    private final Latency latency;                                    // I
    private final Inventory inventory = new Inventory();              // I
    private final Map<Class<?>, Object> objects = new HashMap<>();    // I after boot

    public Kernel(Config config) {
        this.config = Objects.requireNonNull(config, "config");
        this.lifecycle = new Lifecycle(config.name(), config.cpus(), config.manual() ? "MANUAL" : "THREADED");
        this.faults = new Faults(config.name());
        this.latency = new Latency(config.cpus());
    }

    public Config config() {
        return config;
    }

    public String name() {
        return config.name();
    }

    public Lifecycle lifecycle() {
        return lifecycle;
    }

    public Faults faults() {
        return faults;
    }

    /** The machine's latency histograms (recording side; off until switched on). */
    public Latency latency() {
        return latency;
    }

    /** Where lines and workqueues announce themselves to the JMX registration (if any). */
    public Inventory inventory() {
        return inventory;
    }

    /** Registers {@code object} as this machine's {@code type} (boot time only; each type once). */
    public <T> void put(Class<T> type, T object) {
        Objects.requireNonNull(object, "object");
        if (objects.putIfAbsent(type, object) != null) {
            throw new IllegalStateException(name() + " already has a " + type.getSimpleName());
        }
    }

    /**
     * This machine's {@code type}.
     *
     * @throws IllegalStateException if no installer registered one
     */
    public <T> T get(Class<T> type) {
        Object o = objects.get(type);
        if (o == null) {
            throw new IllegalStateException(name() + " has no " + type.getSimpleName());
        }
        return type.cast(o);
    }

    /** This machine's {@code type}, or {@code fallback} when no one registered one (optional settings). */
    public <T> T getOrDefault(Class<T> type, T fallback) {
        Object o = objects.get(type);
        return o == null ? fallback : type.cast(o);
    }

    @Override
    public String toString() {
        return "Kernel[" + name() + "]";
    }
}
