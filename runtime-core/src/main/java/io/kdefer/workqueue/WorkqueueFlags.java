/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.workqueue;

/**
 * Flags of {@link Workqueues#alloc(String, int, int)}, with the kernel's values (B-WQ-20). Combine with {@code |}.
 */
public final class WorkqueueFlags {
    /** WQ_BH: run items in softirq context. Not supported by this runtime: {@code alloc} refuses it. */
    public static final int BH = 1 << 0;
    /** WQ_UNBOUND: items run on the unbound pools; workers are never counted by concurrency management. */
    public static final int UNBOUND = 1 << 1;
    /** WQ_FREEZABLE: {@link Workqueues#freeze()} stops activations (max_active becomes 0) until thaw. */
    public static final int FREEZABLE = 1 << 2;
    /** WQ_MEM_RECLAIM: the queue gets a rescuer thread {@code kworker/R-<name>} (forward progress). */
    public static final int MEM_RECLAIM = 1 << 3;
    /** WQ_HIGHPRI: items go to the high-priority pools ({@code kworker/N:MH}). */
    public static final int HIGHPRI = 1 << 4;
    /** WQ_CPU_INTENSIVE: running items do not count toward concurrency (B-WQ-22). */
    public static final int CPU_INTENSIVE = 1 << 5;
    /** WQ_SYSFS: accepted and ignored (no sysfs). */
    public static final int SYSFS = 1 << 6;
    /** WQ_POWER_EFFICIENT: accepted; the queue stays per-CPU (the power_efficient parameter is off). */
    public static final int POWER_EFFICIENT = 1 << 7;

    static final int KNOWN = BH | UNBOUND | FREEZABLE | MEM_RECLAIM | HIGHPRI | CPU_INTENSIVE | SYSFS
            | POWER_EFFICIENT;
    /** Internal: __WQ_ORDERED, set by allocOrdered only. */
    static final int ORDERED = 1 << 17;

    private WorkqueueFlags() {
    }

    /** The flags in words, as the kernel names them: "UNBOUND|MEM_RECLAIM"; "0" for none. */
    public static String describe(int flags) {
        StringBuilder sb = new StringBuilder();
        String[] names = {"BH", "UNBOUND", "FREEZABLE", "MEM_RECLAIM", "HIGHPRI", "CPU_INTENSIVE", "SYSFS",
                "POWER_EFFICIENT"};
        for (int i = 0; i < names.length; i++) {
            if ((flags & (1 << i)) != 0) {
                sb.append(sb.length() == 0 ? "" : "|").append(names[i]);
            }
        }
        if ((flags & ORDERED) != 0) {
            sb.append(sb.length() == 0 ? "" : "|").append("ORDERED");
        }
        return sb.length() == 0 ? "0" : sb.toString();
    }
}
