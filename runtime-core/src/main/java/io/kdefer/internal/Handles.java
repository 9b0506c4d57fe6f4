/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** VarHandle lookup without the checked-exception noise. One {@code static final VarHandle} per field. */
public final class Handles {
    private Handles() {
    }

    public static VarHandle field(MethodHandles.Lookup lookup, Class<?> owner, String name, Class<?> type) {
        try {
            return lookup.findVarHandle(owner, name, type);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
