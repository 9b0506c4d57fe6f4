/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A machine's MBeans in one MBean server (the platform server by default), with no dependency beyond
 * {@code java.management}: JConsole, VisualVM and JMX exporters see them as they are.
 *
 * <h2>Names</h2>
 * <pre>
 *   io.kdefer:type=Machine,name=M                          MachineMXBean
 *   io.kdefer:type=Irq,machine=M,irq=40                    IrqMXBean, one per line with an action
 *   io.kdefer:type=Softirq,machine=M,vector=NET_RX         SoftirqMXBean, one per vector
 *   io.kdefer:type=Workqueue,machine=M,name=events         WorkqueueMXBean, one per workqueue
 *   io.kdefer:type=Latency,machine=M,primitive=work        LatencyMXBean, one per LatencyRecorder.Primitive
 * </pre>
 * {@code M} is the machine's name. If a machine of that name is already registered (two machines in one JVM with
 * the same name, or a name another library took), this one registers as {@code M-2}, {@code M-3}, ... (the first
 * free one; {@link #machineName()} says which), so machines never clash and a closed machine's name is free
 * again. Workqueue names are de-duplicated the same way within a machine. A value that is not a plain ObjectName
 * value (it contains {@code , = : " * ?}, a backslash or a line break, or is empty) is quoted
 * ({@link ObjectName#quote}).
 *
 * <h2>Lifecycle</h2>
 * A machine registers at boot ({@link #register}), adds and removes children as lines are requested and freed and
 * workqueues allocated and destroyed, and unregisters everything at close ({@link #close}, idempotent). All
 * methods are thread-safe (one lock: registration is rare).
 */
public final class Jmx implements AutoCloseable {
    /** The ObjectName domain. */
    public static final String DOMAIN = "io.kdefer";

    private final MBeanServer server;                                        // I
    private final String machineName;                                        // I: after de-duplication
    private final ObjectName machineObjectName;                              // I
    private final Map<Integer, ObjectName> irqs = new LinkedHashMap<>();                 // L(this)
    private final Map<String, ObjectName> softirqs = new LinkedHashMap<>();              // L(this)
    private final Map<WorkqueueSource, ObjectName> workqueues = new HashMap<>();         // L(this): by equals
    private final List<ObjectName> latency = new ArrayList<>();                          // L(this)
    private boolean closed;                                                  // L(this)

    private Jmx(MBeanServer server, String machineName, ObjectName machineObjectName) {
        this.server = server;
        this.machineName = machineName;
        this.machineObjectName = machineObjectName;
    }

    /** {@link #register(MBeanServer, MachineSource, LatencyRecorder)} on the platform MBean server. */
    public static Jmx register(MachineSource machine, LatencyRecorder latency) {
        return register(ManagementFactory.getPlatformMBeanServer(), machine, latency);
    }

    /**
     * Registers the machine MBean and the per-primitive latency MBeans under the machine's name, or the first free
     * {@code name-N}.
     *
     * @throws IllegalArgumentException for a null or empty machine name
     * @throws IllegalStateException if the server refuses the MBeans
     */
    public static Jmx register(MBeanServer server, MachineSource machine, LatencyRecorder latency) {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(latency, "latency");
        String base = machine.name();
        if (base == null || base.isEmpty()) {
            throw new IllegalArgumentException("a machine registered with JMX needs a non-empty name");
        }
        for (int n = 1; ; n++) {
            String name = n == 1 ? base : base + "-" + n;
            ObjectName on = name("type", "Machine", "name", name);
            MachineBean bean = new MachineBean(name, machine, latency);
            try {
                server.registerMBean(new StandardMBean(bean, MachineMXBean.class, true), on);
            } catch (InstanceAlreadyExistsException taken) {
                continue;
            } catch (JMException e) {
                throw new IllegalStateException("JMX refused " + on + ": " + e.getMessage(), e);
            }
            Jmx jmx = new Jmx(server, name, on);
            synchronized (jmx) {
                for (LatencyRecorder.Primitive p : LatencyRecorder.Primitive.values()) {
                    jmx.latency.add(jmx.add(new LatencyBean(p, latency), LatencyMXBean.class,
                            "type", "Latency", "machine", name, "primitive", p.label()));
                }
            }
            return jmx;
        }
    }

    /** The name this machine is registered under (its own, or {@code name-N}). */
    public String machineName() {
        return machineName;
    }

    public ObjectName machineObjectName() {
        return machineObjectName;
    }

    /** Registers a line's MBean (when its first action is requested); replaces an earlier one of the same INTID. */
    public synchronized ObjectName addIrq(IrqSource irq) {
        Objects.requireNonNull(irq, "irq");
        checkOpen();
        removeIrq(irq.irq());
        ObjectName on = add(new IrqBean(irq), IrqMXBean.class, "type", "Irq", "machine", machineName, "irq",
                Integer.toString(irq.irq()));
        irqs.put(irq.irq(), on);
        return on;
    }

    /** Unregisters a line's MBean (when its last action is freed); no effect if there is none. */
    public synchronized void removeIrq(int irq) {
        ObjectName on = irqs.remove(irq);
        if (on != null) {
            unregister(on);
        }
    }

    /** Registers a softirq vector's MBean (at boot, for every vector). */
    public synchronized ObjectName addSoftirq(SoftirqSource softirq) {
        Objects.requireNonNull(softirq, "softirq");
        checkOpen();
        ObjectName old = softirqs.remove(softirq.vector());
        if (old != null) {
            unregister(old);
        }
        ObjectName on = add(new SoftirqBean(softirq), SoftirqMXBean.class, "type", "Softirq", "machine",
                machineName, "vector", softirq.vector());
        softirqs.put(softirq.vector(), on);
        return on;
    }

    /**
     * Registers a workqueue's MBean (at alloc) under its name, or {@code name-N} if this machine already has a
     * workqueue MBean of that name.
     */
    public synchronized ObjectName addWorkqueue(WorkqueueSource wq) {
        Objects.requireNonNull(wq, "workqueue");
        checkOpen();
        if (workqueues.containsKey(wq)) {
            return workqueues.get(wq);
        }
        for (int n = 1; ; n++) {
            String name = n == 1 ? wq.name() : wq.name() + "-" + n;
            ObjectName on = name("type", "Workqueue", "machine", machineName, "name", name);
            try {
                server.registerMBean(new StandardMBean(new WorkqueueBean(name, wq), WorkqueueMXBean.class, true), on);
            } catch (InstanceAlreadyExistsException taken) {
                continue;
            } catch (JMException e) {
                throw new IllegalStateException("JMX refused " + on + ": " + e.getMessage(), e);
            }
            workqueues.put(wq, on);
            return on;
        }
    }

    /** Unregisters a workqueue's MBean (at destroy); no effect if it has none. */
    public synchronized void removeWorkqueue(WorkqueueSource wq) {
        ObjectName on = workqueues.remove(wq);
        if (on != null) {
            unregister(on);
        }
    }

    /** Every name registered for this machine now (machine first). */
    public synchronized List<ObjectName> names() {
        List<ObjectName> l = new ArrayList<>();
        if (!closed) {
            l.add(machineObjectName);
            l.addAll(latency);
            l.addAll(irqs.values());
            l.addAll(softirqs.values());
            l.addAll(workqueues.values());
        }
        return l;
    }

    /** Unregisters every MBean of this machine (children first). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        List<ObjectName> all = names();
        closed = true;
        for (int i = all.size() - 1; i >= 0; i--) {
            unregister(all.get(i));
        }
        irqs.clear();
        softirqs.clear();
        workqueues.clear();
        latency.clear();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the JMX registration of machine " + machineName + " is closed");
        }
    }

    private <T> ObjectName add(T bean, Class<T> type, String... keys) {
        ObjectName on = name(keys);
        try {
            server.registerMBean(new StandardMBean(bean, type, true), on);
        } catch (InstanceAlreadyExistsException e) {
            throw new IllegalStateException(on + " is already registered by someone else", e);
        } catch (JMException e) {
            throw new IllegalStateException("JMX refused " + on + ": " + e.getMessage(), e);
        }
        return on;
    }

    private void unregister(ObjectName on) {
        try {
            server.unregisterMBean(on);
        } catch (InstanceNotFoundException gone) {
            // unregistered by someone else: nothing left to do
        } catch (JMException e) {
            throw new IllegalStateException("JMX refused to unregister " + on + ": " + e.getMessage(), e);
        }
    }

    /** An ObjectName in {@link #DOMAIN} with these key/value pairs, in this order, values quoted where needed. */
    static ObjectName name(String... keys) {
        StringBuilder sb = new StringBuilder(DOMAIN).append(':');
        for (int i = 0; i < keys.length; i += 2) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(keys[i]).append('=').append(value(keys[i + 1]));
        }
        try {
            return new ObjectName(sb.toString());
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException("not an ObjectName: " + sb, e);
        }
    }

    /** A key property value: as is when ObjectName allows it unquoted, else quoted. */
    static String value(String v) {
        if (v.isEmpty()) {
            return ObjectName.quote(v);
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == ',' || c == '=' || c == ':' || c == '"' || c == '*' || c == '?' || c == '\\' || c == '\n'
                    || c == '\r') {
                return ObjectName.quote(v);
            }
        }
        return v;
    }

    private static long sum(long[] a) {
        long n = 0;
        for (long x : a) {
            n += x;
        }
        return n;
    }

    // ---------------------------------------------------------------------------------------------- the beans

    private static final class MachineBean implements MachineMXBean {
        private final String name;              // I
        private final MachineSource m;          // I
        private final LatencyRecorder latency;  // I

        MachineBean(String name, MachineSource m, LatencyRecorder latency) {
            this.name = name;
            this.m = m;
            this.latency = latency;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public String getState() {
            return m.state();
        }

        @Override
        public String getMode() {
            return m.mode();
        }

        @Override
        public int getCpus() {
            return m.cpuCount();
        }

        @Override
        public int getOnlineCpus() {
            return m.onlineCpus();
        }

        @Override
        public long getUptimeMillis() {
            return TimeUnit.NANOSECONDS.toMillis(m.uptimeNanos());
        }

        @Override
        public long getJiffies() {
            return m.jiffies();
        }

        @Override
        public long getSoftLockups() {
            return m.softLockups();
        }

        @Override
        public long getWorkqueueStalls() {
            return m.workqueueStalls();
        }

        @Override
        public long getUnexpectedInterrupts() {
            return m.unexpectedInterrupts();
        }

        @Override
        public String getInterrupts() {
            return m.interruptsTable();
        }

        @Override
        public String getSoftirqs() {
            return m.softirqsTable();
        }

        @Override
        public String getWorkqueues() {
            return m.workqueuesTable();
        }

        @Override
        public String getLatency() {
            return latency.table();
        }

        @Override
        public boolean isLatencyRecording() {
            return latency.isEnabled();
        }

        @Override
        public void setLatencyRecording(boolean on) {
            latency.setEnabled(on);
        }
    }

    private static final class IrqBean implements IrqMXBean {
        private final IrqSource s;   // I

        IrqBean(IrqSource s) {
            this.s = s;
        }

        @Override
        public int getIrq() {
            return s.irq();
        }

        @Override
        public String[] getActions() {
            return s.actions().toArray(new String[0]);
        }

        @Override
        public String getTrigger() {
            return s.trigger();
        }

        @Override
        public long getCount() {
            return sum(s.countPerCpu());
        }

        @Override
        public long[] getCountPerCpu() {
            return s.countPerCpu();
        }

        @Override
        public int getDepth() {
            return s.depth();
        }

        @Override
        public boolean isDisabled() {
            return s.depth() > 0;
        }

        @Override
        public boolean isSpuriousDisabled() {
            return s.spuriousDisabled();
        }

        @Override
        public long getFailures() {
            return s.failures();
        }

        @Override
        public long getThreadRuns() {
            return s.threadRuns();
        }

        @Override
        public int getAffinity() {
            return s.affinity();
        }
    }

    private static final class SoftirqBean implements SoftirqMXBean {
        private final SoftirqSource s;   // I

        SoftirqBean(SoftirqSource s) {
            this.s = s;
        }

        @Override
        public String getVector() {
            return s.vector();
        }

        @Override
        public boolean isOpened() {
            return s.opened();
        }

        @Override
        public long getCount() {
            return sum(s.countPerCpu());
        }

        @Override
        public long[] getCountPerCpu() {
            return s.countPerCpu();
        }

        @Override
        public long getFailures() {
            return s.failures();
        }
    }

    private static final class WorkqueueBean implements WorkqueueMXBean {
        private final String name;           // I: after de-duplication
        private final WorkqueueSource s;     // I

        WorkqueueBean(String name, WorkqueueSource s) {
            this.name = name;
            this.s = s;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public String getFlags() {
            return s.flags();
        }

        @Override
        public int getMaxActive() {
            return s.maxActive();
        }

        @Override
        public long getTotal() {
            return s.executed();
        }

        @Override
        public int getInFlight() {
            return s.inFlight();
        }

        @Override
        public long getCpuTimeMillis() {
            return TimeUnit.NANOSECONDS.toMillis(s.cpuTimeNanos());
        }

        @Override
        public long getCpuHog() {
            return s.cpuHog();
        }

        @Override
        public long getCmWakeups() {
            return s.cmWakeups();
        }

        @Override
        public long getMayday() {
            return s.mayday();
        }

        @Override
        public long getRescued() {
            return s.rescued();
        }

        @Override
        public long getFailures() {
            return s.failures();
        }

        @Override
        public boolean isDestroyed() {
            return s.destroyed();
        }
    }

    private static final class LatencyBean implements LatencyMXBean {
        private final LatencyRecorder.Primitive p;   // I
        private final LatencyRecorder latency;       // I

        LatencyBean(LatencyRecorder.Primitive p, LatencyRecorder latency) {
            this.p = p;
            this.latency = latency;
        }

        @Override
        public String getPrimitive() {
            return p.label();
        }

        @Override
        public LatencySnapshot getQueue() {
            return latency.total(p, true);
        }

        @Override
        public LatencySnapshot getDuration() {
            return latency.total(p, false);
        }

        @Override
        public List<LatencyRow> getPerCpu() {
            List<LatencyRow> rows = new ArrayList<>();
            for (int c = -1; c < latency.cpus(); c++) {
                LatencySnapshot d = latency.snapshot(c, p, false);
                if (d.getCount() > 0) {
                    rows.add(new LatencyRow(c < 0 ? "unbound" : "cpu" + c, latency.snapshot(c, p, true), d));
                }
            }
            return rows;
        }
    }
}
