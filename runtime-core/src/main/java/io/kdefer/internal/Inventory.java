/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.internal;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;

/**
 * The objects that appear and disappear while a machine runs (an IRQ line that got its first action, a workqueue
 * allocated or destroyed), announced to one listener above: the JMX registration of {@code io.kdefer.trace}, which
 * keeps an MBean per line and per workqueue. The layers that own those objects call {@link #added}/{@link #removed}
 * without knowing who listens (no one: a machine without JMX, the jcstress kernels).
 *
 * <p>The inventory remembers what is present, so a listener set after boot (the trace subsystem installs last, after
 * the platform requested its IPI and timer lines and the workqueues built their system queues) first hears of
 * everything present. Rare and off every hot path (a request, a free, an alloc, a destroy): one monitor serializes
 * the announcements and the listener's calls, so it hears each object's added before its removed. The listener runs
 * on the announcing thread and must neither throw nor call back into the runtime.
 */
public final class Inventory {
    /** Hears about runtime objects; {@code io.kdefer.trace} tells them apart by type. */
    public interface Listener {
        void added(Object o);

        void removed(Object o);
    }

    private final Set<Object> present = Collections.newSetFromMap(new IdentityHashMap<>());   // L(this)
    private Listener listener;                                                              // L(this)

    /** Sets the listener (boot, once) and tells it about every object present now. */
    public synchronized void setListener(Listener l) {
        if (listener != null) {
            throw new IllegalStateException("the inventory already has a listener");
        }
        listener = Objects.requireNonNull(l, "listener");
        for (Object o : present) {
            l.added(o);
        }
    }

    public synchronized void added(Object o) {
        if (present.add(o) && listener != null) {
            listener.added(o);
        }
    }

    public synchronized void removed(Object o) {
        if (present.remove(o) && listener != null) {
            listener.removed(o);
        }
    }
}
