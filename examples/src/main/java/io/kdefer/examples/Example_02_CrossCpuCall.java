/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.cpu.Cpu;
import io.kdefer.smp.CallSingleData;
import io.kdefer.smp.QueueSingleData;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lesson 2: cross-CPU calls. Per-CPU state is owned by its CPU and needs no lock — as long as only that CPU
 * touches it. Another thread that must read or change it asks the CPU to do it: a function call delivered by an
 * IPI, run in hardirq context on the target.
 *
 * <ul>
 *   <li>{@code callFunctionSingle(cpu, fn, true)}: run and wait (the waiter sees the callee's stores, MO-CSD-2).</li>
 *   <li>{@code callFunctionSingleAsync(cpu, csd)}: fire and forget with a reusable descriptor; {@code false} while
 *       it is still in flight (the kernel's -EBUSY).</li>
 *   <li>{@code queueFunctionSingle(cpu, qsd)}: the coalescing form, like irq_work: {@code false} while pending.</li>
 * </ul>
 *
 * <p>HOW TO RUN: {@code ./kdefer example smp}. Observed (2 cores, JDK 17):
 * <pre>
 *   counter of cpu/1 read from cpu/1 itself: 3 (after 3 increments done on cpu/1)
 *   async csd: first submit true, immediate resubmit false (still in flight), ran 1 time(s)
 *   qsd: 1000 queue calls, 1 accepted, the callback ran 1 times (coalesced while pending)
 * </pre>
 */
public final class Example_02_CrossCpuCall {
    private Example_02_CrossCpuCall() {
    }

    /** Per-CPU state: touched only by its own CPU, so a plain int. */
    static final int[] perCpuCounter = new int[2];

    public static void main(String[] args) throws InterruptedException {
        try (Machine m = Machine.boot(2)) {
            Runnable increment = () -> perCpuCounter[Cpu.current().id()]++;
            for (int i = 0; i < 3; i++) {
                m.smp().callFunctionSingle(1, increment, true);
            }
            int[] seen = new int[1];
            m.smp().callFunctionSingle(1, () -> seen[0] = perCpuCounter[1], true);
            System.out.printf("counter of cpu/1 read from cpu/1 itself: %d (after 3 increments done on cpu/1)%n",
                    seen[0]);

            AtomicInteger asyncRuns = new AtomicInteger();
            CallSingleData csd = new CallSingleData(asyncRuns::incrementAndGet);
            boolean first = m.smp().callFunctionSingleAsync(1, csd);
            boolean second = m.smp().callFunctionSingleAsync(1, csd);
            while (csd.isLocked() || asyncRuns.get() == 0) {
                Thread.onSpinWait();
            }
            System.out.printf("async csd: first submit %s, immediate resubmit %s%s, ran %d time(s)%n", first, second,
                    second ? "" : " (still in flight)", asyncRuns.get());

            AtomicInteger qsdRuns = new AtomicInteger();
            QueueSingleData qsd = new QueueSingleData(qsdRuns::incrementAndGet);
            int accepted = 0;
            for (int i = 0; i < 1000; i++) {
                if (m.smp().queueFunctionSingle(1, qsd)) {
                    accepted++;
                }
            }
            while (qsd.isPending()) {
                Thread.onSpinWait();
            }
            m.smp().callFunctionSingle(1, () -> { }, true);   // a barrier: cpu/1 has finished what came before
            System.out.printf("qsd: 1000 queue calls, %d accepted, the callback ran %d times (coalesced while "
                    + "pending)%n", accepted, qsdRuns.get());
        }
    }
}
