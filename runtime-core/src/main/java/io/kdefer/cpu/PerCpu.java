/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * One instance of {@code T} per virtual CPU (kernel: DEFINE_PER_CPU). The slots are fixed at construction;
 * the field discipline of each {@code T} is its own (usually C: touched only by that CPU's executing thread).
 */
public final class PerCpu<T> {
    private final Object[] slots;   // I

    public PerCpu(int cpus, IntFunction<? extends T> init) {
        Objects.requireNonNull(init, "init");
        if (cpus < 1) {
            throw new IllegalArgumentException("cpus must be >= 1: " + cpus);
        }
        slots = new Object[cpus];
        for (int i = 0; i < cpus; i++) {
            slots[i] = Objects.requireNonNull(init.apply(i), "init returned null");
        }
    }

    @SuppressWarnings("unchecked")
    public T get(int cpu) {
        return (T) slots[cpu];
    }

    public T get(Cpu cpu) {
        return get(cpu.id());
    }

    public int size() {
        return slots.length;
    }

    @SuppressWarnings("unchecked")
    public void forEach(Consumer<? super T> action) {
        for (Object s : slots) {
            action.accept((T) s);
        }
    }
}
