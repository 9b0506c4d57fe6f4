/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

import java.util.Objects;

/**
 * How the runtime's own packages reach a machine's internal services (the per-CPU runtime SPI, subsystem state
 * for objects users construct, such as {@code new IrqWork(m, fn)}). Not API: applications never need it.
 *
 * <p>This is the JDK's "shared secrets" idiom: {@code io.kdefer.Machine} installs the lookup in its static
 * initializer, and every caller already holds a Machine instance, so the lookup is always installed by the time
 * it is used.
 */
public final class Services {
    /** Implemented by {@code io.kdefer.Machine}. */
    public interface Lookup {
        <T> T get(Object machine, Class<T> type);
    }

    private static volatile Lookup lookup;   // A: installed once

    private Services() {
    }

    public static void install(Lookup l) {
        Objects.requireNonNull(l, "lookup");
        if (lookup != null) {
            throw new IllegalStateException("services lookup already installed");
        }
        lookup = l;
    }

    /**
     * @throws IllegalStateException if the machine has no such service
     */
    public static <T> T get(Object machine, Class<T> type) {
        Objects.requireNonNull(machine, "machine");
        return lookup.get(machine, type);
    }
}
