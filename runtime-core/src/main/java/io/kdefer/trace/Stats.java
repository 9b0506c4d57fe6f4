/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Access;
import io.kdefer.internal.Config;
import io.kdefer.internal.Inventory;
import io.kdefer.internal.Kernel;
import io.kdefer.internal.Lifecycle;
import io.kdefer.irq.IrqDesc;
import io.kdefer.irq.Irqs;
import io.kdefer.softirq.Softirq;
import io.kdefer.softirq.Softirqs;
import io.kdefer.softirq.internal.SoftirqEngine;
import io.kdefer.workqueue.Workqueue;
import io.kdefer.workqueue.WorkqueueFlags;
import io.kdefer.workqueue.Workqueues;

import javax.management.ObjectName;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * {@code /proc}-style tables of a machine's counters, its latency histograms, and its MBeans. The counters are racy
 * snapshots (each is written by one CPU and read without stopping it), as in the kernel.
 *
 * <p>The trace subsystem installs last: it reads every subsystem below. At boot it plugs the JFR events into the
 * runtime's tracepoints ({@link Trace#init()}), switches the latency histograms on if the machine's configuration
 * asks for them, and registers the MBeans ({@link Jmx}) if it asks for those; at close (TERMINATED) it unregisters
 * them.
 */
public final class Stats {
    static {
        Access.register(Stats.class, Stats::install);
    }

    private static final System.Logger LOG = System.getLogger("io.kdefer.trace");

    private final Cpus cpus;                   // I
    private final Irqs irqs;                   // I
    private final Softirqs softirqs;           // I
    private final Workqueues workqueues;       // I
    private final LatencyRecorder latency;     // I: the machine's histograms (recorded by the runtime's hooks)
    private volatile Jmx jmx;                  // A: set once at boot when the configuration registers MBeans

    /** The statistics' installer ({@code Access}): reads the other subsystems, so it is installed last. */
    static void install(Kernel k) {
        Trace.init();
        Config c = k.config();
        k.latency().setEnabled(c.latencyHistograms());
        Stats s = new Stats(k.get(Cpus.class), k.get(Irqs.class), k.get(Softirqs.class), k.get(Workqueues.class),
                new LatencyRecorder(k.latency()));
        k.put(Stats.class, s);
        if (c.jmx()) {
            s.registerJmx(k.get(SoftirqEngine.class), k.inventory(), k.lifecycle());
        }
    }

    private Stats(Cpus cpus, Irqs irqs, Softirqs softirqs, Workqueues workqueues, LatencyRecorder latency) {
        this.cpus = cpus;
        this.irqs = irqs;
        this.softirqs = softirqs;
        this.workqueues = workqueues;
        this.latency = latency;
    }

    /**
     * The {@code /proc/interrupts} layout: a column per CPU; a row per requested line (count per CPU, chip,
     * hardware number, trigger, action names, and for threaded actions their threads {@code irq/<irq>-<name>} with
     * the number of thread function runs, which {@code ps} would show in the kernel); a row per IPI kind (CAL,
     * IWI, ...); and Err, the interrupts that arrived with no handler (genirq renders it: kernel/irq/proc.c).
     */
    public String interrupts() {
        return irqs.procInterrupts();
    }

    /**
     * The {@code /proc/softirqs} layout: a row per vector, a column per CPU; plus the per-CPU count of drains that
     * ran out of budget and deferred to ksoftirqd (softnet_stat's "squeeze" column).
     */
    public String softirqs() {
        int n = cpus.count();
        StringBuilder sb = new StringBuilder();
        sb.append(" ".repeat(13));
        for (int c = 0; c < n; c++) {
            sb.append(String.format(" %10s", "CPU" + c));
        }
        sb.append('\n');
        for (Softirq v : Softirq.values()) {
            sb.append(String.format("%12s:", v.name()));
            for (int c = 0; c < n; c++) {
                sb.append(String.format(" %10d", softirqs.count(c, v)));
            }
            sb.append('\n');
        }
        sb.append(String.format("%12s:", "ksoftirqd"));
        for (int c = 0; c < n; c++) {
            sb.append(String.format(" %10d", softirqs.deferrals(c)));
        }
        sb.append("  (drains deferred to ksoftirqd)\n");
        return sb.toString();
    }

    /** The wq_monitor table of every workqueue (the kernel's tools/workqueue/wq_monitor.py columns). */
    public String workqueues() {
        return workqueues.table();
    }

    /**
     * The latency table: per CPU and primitive (irq, softirq, irq_work, tasklet, timer, work, work-hi), p50 p90 p99
     * p99.9 and max of queue-to-start latency and of duration, in microseconds. Recording is off by default: switch
     * it on with {@code latencyRecorder().setEnabled(true)} or {@code MachineConfig.Builder.latencyHistograms}.
     */
    public String latency() {
        return latency.table();
    }

    /** The machine's latency histograms: the runtime feeds them; users switch recording on and off and read them. */
    public LatencyRecorder latencyRecorder() {
        return latency;
    }

    /**
     * The ObjectName of the machine's MBean ({@code io.kdefer:type=Machine,name=<name>}, or {@code <name>-N} when
     * that name was taken), or null when the machine registers no MBeans or has unregistered them at close.
     */
    public ObjectName mbeanName() {
        Jmx j = jmx;
        if (j == null) {
            return null;
        }
        List<ObjectName> names = j.names();
        return names.isEmpty() ? null : names.get(0);
    }

    // ---------------------------------------------------------------------------------------------- JMX

    /** Boot: the machine, latency and softirq MBeans; lines and workqueues as the inventory announces them. */
    private void registerJmx(SoftirqEngine engine, Inventory inventory, Lifecycle lifecycle) {
        Jmx j;
        try {
            j = Jmx.register(new MachineView(lifecycle), latency);
            for (Softirq v : Softirq.values()) {
                j.addSoftirq(new SoftirqView(v, engine));
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, lifecycle.owner() + ": its MBeans could not be registered; running without them",
                    e);
            return;
        }
        jmx = j;
        inventory.setListener(new Inventory.Listener() {
            @Override
            public void added(Object o) {
                try {
                    if (o instanceof IrqDesc) {
                        j.addIrq(new IrqView((IrqDesc) o));
                    } else if (o instanceof Workqueue) {
                        j.addWorkqueue(new WorkqueueView((Workqueue) o));
                    }
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, lifecycle.owner() + ": no MBean for " + o + ": " + e.getMessage());
                }
            }

            @Override
            public void removed(Object o) {
                try {
                    if (o instanceof IrqDesc) {
                        j.removeIrq(((IrqDesc) o).irq());
                    } else if (o instanceof Workqueue) {
                        j.removeWorkqueue(new WorkqueueView((Workqueue) o));
                    }
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, lifecycle.owner() + ": MBean of " + o + " not unregistered: "
                            + e.getMessage());
                }
            }
        });
        lifecycle.register(new Lifecycle.Participant() {
            @Override
            public void terminated() {
                j.close();
            }

            @Override
            public String toString() {
                return "MBeans";
            }
        });
    }

    /** The machine MBean's source: the whole machine. */
    private final class MachineView implements MachineSource {
        private final Lifecycle lifecycle;   // I

        MachineView(Lifecycle lifecycle) {
            this.lifecycle = lifecycle;
        }

        @Override
        public String name() {
            return lifecycle.owner();
        }

        @Override
        public String state() {
            return Lifecycle.name(lifecycle.state());
        }

        @Override
        public String mode() {
            return cpus.isManual() ? "MANUAL" : "THREADED";
        }

        @Override
        public int cpuCount() {
            return cpus.count();
        }

        @Override
        public int onlineCpus() {
            return cpus.onlineCount();
        }

        @Override
        public long uptimeNanos() {
            return cpus.clockNanos();
        }

        @Override
        public long jiffies() {
            return cpus.jiffies();
        }

        @Override
        public long softLockups() {
            return cpus.softLockups();
        }

        @Override
        public long workqueueStalls() {
            return workqueues.stalls();
        }

        @Override
        public long unexpectedInterrupts() {
            return irqs.unexpectedInterrupts();
        }

        @Override
        public String interruptsTable() {
            return interrupts();
        }

        @Override
        public String softirqsTable() {
            return softirqs();
        }

        @Override
        public String workqueuesTable() {
            return workqueues();
        }
    }

    /** A line's MBean source. */
    private final class IrqView implements IrqSource {
        private final IrqDesc d;   // I

        IrqView(IrqDesc d) {
            this.d = d;
        }

        @Override
        public int irq() {
            return d.irq();
        }

        @Override
        public List<String> actions() {
            return d.names();
        }

        @Override
        public String trigger() {
            return d.isLevel() ? "Level" : "Edge";
        }

        @Override
        public long[] countPerCpu() {
            long[] n = new long[cpus.count()];
            for (int c = 0; c < n.length; c++) {
                n[c] = d.count(c);
            }
            return n;
        }

        @Override
        public int depth() {
            return d.depth();
        }

        @Override
        public boolean spuriousDisabled() {
            return d.isSpuriousDisabled();
        }

        @Override
        public long failures() {
            return d.failures();
        }

        @Override
        public long threadRuns() {
            return d.threadRuns();
        }

        @Override
        public int affinity() {
            return d.isPercpu() ? -1 : d.affinity();
        }
    }

    /** A softirq vector's MBean source. */
    private final class SoftirqView implements SoftirqSource {
        private final Softirq v;              // I
        private final SoftirqEngine engine;   // I

        SoftirqView(Softirq v, SoftirqEngine engine) {
            this.v = v;
            this.engine = engine;
        }

        @Override
        public String vector() {
            return v.name();
        }

        @Override
        public long[] countPerCpu() {
            long[] n = new long[cpus.count()];
            for (int c = 0; c < n.length; c++) {
                n[c] = softirqs.count(c, v);
            }
            return n;
        }

        @Override
        public boolean opened() {
            return engine.isOpen(v);
        }

        @Override
        public long failures() {
            return softirqs.failures(v);
        }
    }

    /** A workqueue's MBean source. */
    private static final class WorkqueueView implements WorkqueueSource {
        private final Workqueue wq;   // I

        WorkqueueView(Workqueue wq) {
            this.wq = wq;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof WorkqueueView && ((WorkqueueView) o).wq == wq;    // Jmx keys its MBeans by source
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(wq);
        }

        @Override
        public String name() {
            return wq.name();
        }

        @Override
        public String flags() {
            return WorkqueueFlags.describe(wq.flags());
        }

        @Override
        public int maxActive() {
            return wq.maxActive();
        }

        @Override
        public long executed() {
            return wq.executed();
        }

        @Override
        public int inFlight() {
            return wq.inFlight();
        }

        @Override
        public long cpuTimeNanos() {
            return wq.cpuTimeNanos();
        }

        @Override
        public long cpuHog() {
            return wq.cpuHog();
        }

        @Override
        public long cmWakeups() {
            return wq.cmWakeups();
        }

        @Override
        public long mayday() {
            return wq.maydays();
        }

        @Override
        public long rescued() {
            return wq.rescued();
        }

        @Override
        public long failures() {
            return wq.failures();
        }

        @Override
        public boolean destroyed() {
            return wq.isDestroyed();
        }
    }
}
