/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.jcstress;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.IdlePolicy;
import io.kdefer.cpu.internal.Arch;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Access;
import io.kdefer.internal.Config;
import io.kdefer.internal.Kernel;

import java.util.Arrays;

/**
 * The proofs' explicit test seam: a bare kernel, with only the subsystems a proof needs installed, exactly as a
 * Machine installs them (the same code, no "detached" branches in the runtime), and no CPU threads: each actor
 * plays the CPU or the caller it stands for. Without a platform among the subsystems the CPUs get
 * {@link Arch#none()}: nothing is ever signalled to them, and IPIs go nowhere (a proof that needs the IPI path
 * installs the platform and drives its CPU by hand).
 *
 * <pre>{@code
 * Kernel k = Bare.kernel(1, Cpu.class, Softirqs.class, Tasklet.class);   // in install order
 * TaskletCore core = k.get(TaskletCore.class);
 * }</pre>
 */
public final class Bare {
    private Bare() {
    }

    /**
     * A bare kernel of {@code cpus} CPUs with {@code subsystems} installed, in the order given: THREADED CPUs whose
     * threads are never started (the actors play them), so waits wait for an actor rather than step a MANUAL
     * machine.
     */
    public static Kernel kernel(int cpus, Class<?>... subsystems) {
        return kernel(cpus, false, subsystems);
    }

    /**
     * A bare kernel; {@code manual = true} gives MANUAL CPUs, whose clock stands at 0 (the timer proofs), and whose
     * waits refuse to block on work only a stepping thread could run.
     */
    public static Kernel kernel(int cpus, boolean manual, Class<?>... subsystems) {
        if (subsystems.length == 0 || subsystems[0] != Cpu.class) {
            throw new IllegalArgumentException("the CPUs come first: " + Arrays.toString(subsystems));
        }
        Kernel k = new Kernel(new Config("jcstress", cpus, manual, 1000, IdlePolicy.PARK.ordinal(), 10, 2_000_000, 0,
                100_000, 99_900, 100_000_000, "none"));
        boolean platform = false;
        for (Class<?> s : subsystems) {
            Access.install(s, k);
            platform |= s.getPackageName().equals("io.kdefer.irqchip");
        }
        if (!platform) {
            k.get(Cpus.class).setArch(Arch.none());
        }
        return k;
    }
}
