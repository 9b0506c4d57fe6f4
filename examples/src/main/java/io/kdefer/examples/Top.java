/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.trace.IrqMXBean;
import io.kdefer.trace.SoftirqMXBean;
import io.kdefer.trace.WorkqueueMXBean;

import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code ./kdefer demo --top}: a live view of the demo machine, refreshed every second, read the way a monitoring
 * tool would read it, through the machine's MBeans (interrupt, softirq and workqueue rates per second since the
 * last frame) and {@code stats().latency()} (the latency table, switched on for the view). On a terminal each frame
 * replaces the last; piped, frames follow each other.
 */
final class Top implements Runnable {
    private static final String CLEAR = "\033[H\033[2J";

    private final Machine m;                           // I
    private final PrintStream out;                     // I
    private final boolean terminal;                    // I
    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private final String name;                         // I: the machine's name in its ObjectNames
    private final Map<String, long[]> last = new HashMap<>();   // C: the view thread's previous counts
    private long lastNanos;                            // C
    private volatile boolean stop;                     // A

    Top(Machine m, PrintStream out, boolean terminal) {
        if (m.stats().mbeanName() == null) {
            throw new IllegalStateException("--top reads the machine's MBeans: boot it with MachineConfig.jmx(true)");
        }
        this.m = m;
        this.out = out;
        this.terminal = terminal;
        this.name = m.stats().mbeanName().getKeyProperty("name");
        m.stats().latencyRecorder().setEnabled(true);
    }

    /** Starts the view on a daemon thread; {@link #stop()} ends it after one last frame. */
    Thread start() {
        lastNanos = System.nanoTime();
        Thread t = new Thread(this, "kdefer-top");
        t.setDaemon(true);
        t.start();
        return t;
    }

    void stop() {
        stop = true;
    }

    @Override
    public void run() {
        try {
            while (!stop) {
                Thread.sleep(1000);
                out.print((terminal ? CLEAR : "\n") + frame());
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            out.println("kdefer top: " + e);
        }
    }

    /** One frame: rates since the previous frame (the first frame: since start). */
    String frame() throws Exception {
        long now = System.nanoTime();
        double secs = Math.max(1e-3, (now - lastNanos) / 1e9);
        lastNanos = now;
        int cpus = m.cpuCount();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "kdefer top - %s: %d CPUs, %s, %s, up %.1f s%n%n", name, cpus,
                m.mode(), m.state(), m.uptime().toMillis() / 1000.0));

        sb.append(String.format(Locale.ROOT, "%5s  %-24s", "IRQ", "actions"));
        for (int c = 0; c < cpus; c++) {
            sb.append(String.format(Locale.ROOT, " %9s", "CPU" + c + "/s"));
        }
        sb.append(String.format(Locale.ROOT, " %11s%n", "total"));
        Map<Integer, IrqMXBean> irqs = new TreeMap<>();
        for (ObjectName on : server.queryNames(new ObjectName("io.kdefer:type=Irq,machine=" + name + ",*"), null)) {
            IrqMXBean b = JMX.newMXBeanProxy(server, on, IrqMXBean.class);
            irqs.put(b.getIrq(), b);
        }
        for (IrqMXBean b : irqs.values()) {
            long[] n = b.getCountPerCpu();
            if (b.getCount() == 0) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "%5d  %-24s", b.getIrq(),
                    abbreviate(String.join(",", b.getActions()), 24)));
            rates(sb, "irq" + b.getIrq(), n, secs);
            sb.append(String.format(Locale.ROOT, " %11d%n", b.getCount()));
        }

        sb.append(String.format(Locale.ROOT, "%n%-31s", "softirq"));
        for (int c = 0; c < cpus; c++) {
            sb.append(String.format(Locale.ROOT, " %9s", "CPU" + c + "/s"));
        }
        sb.append(String.format(Locale.ROOT, " %11s%n", "total"));
        for (ObjectName on : new java.util.TreeSet<>(server.queryNames(
                new ObjectName("io.kdefer:type=Softirq,machine=" + name + ",*"), null))) {
            SoftirqMXBean b = JMX.newMXBeanProxy(server, on, SoftirqMXBean.class);
            if (b.getCount() == 0) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "%-31s", b.getVector()));
            rates(sb, "softirq" + b.getVector(), b.getCountPerCpu(), secs);
            sb.append(String.format(Locale.ROOT, " %11d%n", b.getCount()));
        }

        sb.append(String.format(Locale.ROOT, "%n%-31s %9s %9s %11s%n", "workqueue", "items/s", "in flight", "total"));
        for (ObjectName on : new java.util.TreeSet<>(server.queryNames(
                new ObjectName("io.kdefer:type=Workqueue,machine=" + name + ",*"), null))) {
            WorkqueueMXBean b = JMX.newMXBeanProxy(server, on, WorkqueueMXBean.class);
            long total = b.getTotal();
            if (total == 0 && b.getInFlight() == 0) {
                continue;
            }
            long[] prev = last.put("wq" + b.getName(), new long[] {total});
            double rate = (total - (prev == null ? 0 : prev[0])) / secs;
            sb.append(String.format(Locale.ROOT, "%-31s %9.0f %9d %11d%n", b.getName(), rate, b.getInFlight(),
                    total));
        }

        sb.append(String.format(Locale.ROOT, "%nlatency (since the view started)%n"));
        sb.append(m.stats().latency());
        return sb.toString();
    }

    private void rates(StringBuilder sb, String key, long[] n, double secs) {
        long[] prev = last.put(key, n.clone());
        for (int c = 0; c < n.length; c++) {
            long before = prev == null ? 0 : prev[c];
            sb.append(String.format(Locale.ROOT, " %9.0f", (n[c] - before) / secs));
        }
    }

    private static String abbreviate(String s, int width) {
        return s.length() <= width ? s : s.substring(0, width - 1) + "~";
    }
}
