/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq.internal;

import io.kdefer.cpu.Cpu;

/**
 * The handler of a per-CPU line the runtime itself owns (the CPU timer, the IPI lines): it receives the CPU it runs on,
 * which an application's {@code IrqHandler} asks {@code Cpu.current()} for. Hardirq context on {@code cpu}.
 */
public interface PercpuHandler {
    void handle(Cpu cpu);
}
