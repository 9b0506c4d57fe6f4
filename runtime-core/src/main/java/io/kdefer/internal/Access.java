/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

import java.lang.invoke.MethodHandles;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * How {@code Machine} installs a subsystem whose entry point is package-private (not API): the JDK's "shared
 * secrets" idiom. The subsystem's public anchor class (e.g. {@code Irqs}) registers its installer in its static
 * initializer; {@link #install} initializes the anchor class and runs the installer, which builds the subsystem for
 * one machine and registers its objects in the machine's {@link Kernel}.
 *
 * <p>This keeps every constructor of the runtime's API facades package-private (a user cannot build an {@code Irqs}
 * or reach a subsystem's internals) while the root package still wires the machine, and it keeps this package free of
 * any dependency on the subsystem packages (the registry is keyed by {@code Class}).
 */
public final class Access {
    private static final Map<Class<?>, Consumer<Kernel>> INSTALLERS = new ConcurrentHashMap<>();

    private Access() {
    }

    /** Called once, from the static initializer of {@code anchor}. */
    public static void register(Class<?> anchor, Consumer<Kernel> installer) {
        Objects.requireNonNull(installer, "installer");
        if (INSTALLERS.putIfAbsent(anchor, installer) != null) {
            throw new IllegalStateException("an installer for " + anchor.getName() + " is already registered");
        }
    }

    /** Installs the subsystem anchored at {@code anchor} into {@code kernel}. */
    public static void install(Class<?> anchor, Kernel kernel) {
        Consumer<Kernel> installer = INSTALLERS.get(anchor);
        if (installer == null) {
            try {
                MethodHandles.lookup().ensureInitialized(anchor);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot initialize " + anchor.getName(), e);
            }
            installer = INSTALLERS.get(anchor);
        }
        if (installer == null) {
            throw new IllegalStateException(anchor.getName() + " registered no installer");
        }
        installer.accept(kernel);
    }
}
