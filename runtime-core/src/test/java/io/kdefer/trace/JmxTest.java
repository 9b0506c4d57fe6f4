/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import io.kdefer.trace.LatencyRecorder.Primitive;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.management.Attribute;
import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MBeans against fake sources, read through the platform MBeanServer as a JMX client would: attribute values
 * and open types, naming and de-duplication, unregistration.
 */
@Timeout(30)
class JmxTest {
    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private final List<Jmx> registered = new ArrayList<>();

    @AfterEach
    void unregister() {
        for (Jmx j : registered) {
            j.close();
        }
    }

    private Jmx register(MachineSource m, LatencyRecorder l) {
        Jmx j = Jmx.register(server, m, l);
        registered.add(j);
        return j;
    }

    static final class FakeMachine implements MachineSource {
        final String name;
        String state = "RUNNING";

        FakeMachine(String name) {
            this.name = name;
        }

        @Override public String name() { return name; }
        @Override public String state() { return state; }
        @Override public String mode() { return "MANUAL"; }
        @Override public int cpuCount() { return 2; }
        @Override public int onlineCpus() { return 1; }
        @Override public long uptimeNanos() { return 3_000_000_000L; }
        @Override public long jiffies() { return 3000; }
        @Override public long softLockups() { return 1; }
        @Override public long workqueueStalls() { return 2; }
        @Override public long unexpectedInterrupts() { return 3; }
        @Override public String interruptsTable() { return "interrupts table"; }
        @Override public String softirqsTable() { return "softirqs table"; }
        @Override public String workqueuesTable() { return "wq table"; }
    }

    static IrqSource irq(int n, long... perCpu) {
        return new IrqSource() {
            @Override public int irq() { return n; }
            @Override public List<String> actions() { return List.of("eth0", "eth1"); }
            @Override public String trigger() { return "Edge"; }
            @Override public long[] countPerCpu() { return perCpu.clone(); }
            @Override public int depth() { return 1; }
            @Override public boolean spuriousDisabled() { return true; }
            @Override public long failures() { return 4; }
            @Override public long threadRuns() { return 5; }
            @Override public int affinity() { return 1; }
        };
    }

    static WorkqueueSource wq(String name) {
        return new WorkqueueSource() {
            @Override public String name() { return name; }
            @Override public String flags() { return "UNBOUND | MEM_RECLAIM"; }
            @Override public int maxActive() { return 16; }
            @Override public long executed() { return 100; }
            @Override public int inFlight() { return 2; }
            @Override public long cpuTimeNanos() { return 7_000_000; }
            @Override public long cpuHog() { return 1; }
            @Override public long cmWakeups() { return 3; }
            @Override public long mayday() { return 4; }
            @Override public long rescued() { return 5; }
            @Override public long failures() { return 6; }
            @Override public boolean destroyed() { return false; }
        };
    }

    @Test
    void machineAttributesReadThroughTheServer() throws Exception {
        LatencyRecorder lat = new LatencyRecorder(2);
        Jmx j = register(new FakeMachine("jmx-test-a"), lat);
        ObjectName on = new ObjectName("io.kdefer:type=Machine,name=jmx-test-a");
        assertEquals(on, j.machineObjectName());
        assertTrue(server.isRegistered(on));
        assertEquals("jmx-test-a", server.getAttribute(on, "Name"));
        assertEquals("RUNNING", server.getAttribute(on, "State"));
        assertEquals(2, server.getAttribute(on, "Cpus"));
        assertEquals(3000L, server.getAttribute(on, "UptimeMillis"));
        assertEquals(3L, server.getAttribute(on, "UnexpectedInterrupts"));
        assertEquals("interrupts table", server.getAttribute(on, "Interrupts"));
        assertEquals(false, server.getAttribute(on, "LatencyRecording"));
        server.setAttribute(on, new Attribute("LatencyRecording", true));
        assertTrue(lat.isEnabled(), "the JMX switch turns recording on");
        assertTrue(((String) server.getAttribute(on, "Latency")).contains("duration (us)"));
        MachineMXBean proxy = JMX.newMXBeanProxy(server, on, MachineMXBean.class);
        assertEquals("MANUAL", proxy.getMode());
    }

    @Test
    void latencyChildrenExposePercentilesAsOpenTypes() throws Exception {
        LatencyRecorder lat = new LatencyRecorder(2);
        register(new FakeMachine("jmx-test-b"), lat);
        lat.setEnabled(true);
        lat.record(1, Primitive.WORK, 2_000, 9_000);
        lat.record(-1, Primitive.WORK, 4_000, 1_000);
        ObjectName on = new ObjectName("io.kdefer:type=Latency,machine=jmx-test-b,primitive=work");
        CompositeData q = (CompositeData) server.getAttribute(on, "Queue");
        assertEquals(2L, q.get("count"));
        assertEquals(4_000L, q.get("max"));
        CompositeData[] rows = (CompositeData[]) server.getAttribute(on, "PerCpu");
        assertEquals(2, rows.length);
        assertEquals("unbound", rows[0].get("cpu"));
        assertEquals("cpu1", rows[1].get("cpu"));
        assertEquals(9_000L, ((CompositeData) rows[1].get("duration")).get("p50"));
        LatencyMXBean proxy = JMX.newMXBeanProxy(server, on, LatencyMXBean.class);
        assertEquals(9_000L, proxy.getDuration().getMax(), "LatencySnapshot is reconstructible (proxies work)");
        assertEquals("cpu1", proxy.getPerCpu().get(1).getCpu());
        for (Primitive p : Primitive.values()) {
            assertTrue(server.isRegistered(new ObjectName("io.kdefer:type=Latency,machine=jmx-test-b,primitive="
                    + p.label())), p.label());
        }
    }

    @Test
    void childrenPerIrqSoftirqWorkqueue() throws Exception {
        Jmx j = register(new FakeMachine("jmx-test-c"), new LatencyRecorder(2));
        ObjectName irq = j.addIrq(irq(40, 3, 4));
        assertEquals(new ObjectName("io.kdefer:type=Irq,machine=jmx-test-c,irq=40"), irq);
        assertEquals(7L, server.getAttribute(irq, "Count"));
        assertArrayEquals(new long[] {3, 4}, (long[]) server.getAttribute(irq, "CountPerCpu"));
        assertArrayEquals(new String[] {"eth0", "eth1"}, (String[]) server.getAttribute(irq, "Actions"));
        assertEquals(true, server.getAttribute(irq, "Disabled"));
        assertEquals(true, server.getAttribute(irq, "SpuriousDisabled"));
        assertEquals(5L, server.getAttribute(irq, "ThreadRuns"));

        ObjectName sirq = j.addSoftirq(new SoftirqSource() {
            @Override public String vector() { return "NET_RX"; }
            @Override public long[] countPerCpu() { return new long[] {10, 20}; }
            @Override public boolean opened() { return true; }
            @Override public long failures() { return 0; }
        });
        assertEquals(new ObjectName("io.kdefer:type=Softirq,machine=jmx-test-c,vector=NET_RX"), sirq);
        assertEquals(30L, server.getAttribute(sirq, "Count"));

        WorkqueueSource events = wq("events");
        ObjectName w = j.addWorkqueue(events);
        assertEquals(new ObjectName("io.kdefer:type=Workqueue,machine=jmx-test-c,name=events"), w);
        assertEquals(100L, server.getAttribute(w, "Total"));
        assertEquals(7L, server.getAttribute(w, "CpuTimeMillis"));
        assertEquals(4L, server.getAttribute(w, "Mayday"));
        ObjectName w2 = j.addWorkqueue(wq("events"));
        assertEquals(new ObjectName("io.kdefer:type=Workqueue,machine=jmx-test-c,name=events-2"), w2,
                "a second workqueue of the same name");
        assertEquals("events-2", server.getAttribute(w2, "Name"));
        assertEquals(w, j.addWorkqueue(events), "adding the same source again is a no-op");
        ObjectName odd = j.addWorkqueue(wq("a,b=c:d"));
        assertTrue(server.isRegistered(odd));
        assertEquals("a,b=c:d", ObjectName.unquote(odd.getKeyProperty("name")), "odd names are quoted");

        Set<ObjectName> mine = server.queryNames(new ObjectName("io.kdefer:machine=jmx-test-c,*"), null);
        assertEquals(1 + 1 + 3 + Primitive.values().length, mine.size(), mine.toString());

        j.removeIrq(40);
        assertFalse(server.isRegistered(irq));
        j.removeIrq(40);                                     // again: no effect
        j.removeWorkqueue(events);
        assertFalse(server.isRegistered(w));
        assertTrue(server.isRegistered(w2));
    }

    @Test
    void sameNameMachinesDoNotClashAndCloseUnregistersAll() throws Exception {
        Jmx a = register(new FakeMachine("jmx-test-d"), new LatencyRecorder(1));
        Jmx b = register(new FakeMachine("jmx-test-d"), new LatencyRecorder(1));
        assertEquals("jmx-test-d", a.machineName());
        assertEquals("jmx-test-d-2", b.machineName());
        assertEquals("jmx-test-d-2", server.getAttribute(b.machineObjectName(), "Name"));
        b.addIrq(irq(40, 1));
        a.addIrq(irq(40, 2));
        assertEquals(1L, server.getAttribute(new ObjectName("io.kdefer:type=Irq,machine=jmx-test-d-2,irq=40"),
                "Count"));
        List<ObjectName> names = a.names();
        a.close();
        for (ObjectName n : names) {
            assertFalse(server.isRegistered(n), n + " still registered");
        }
        assertTrue(server.isRegistered(b.machineObjectName()), "the other machine stays");
        a.close();                                           // idempotent
        assertThrows(IllegalStateException.class, () -> a.addIrq(irq(41, 1)));
        Jmx c = register(new FakeMachine("jmx-test-d"), new LatencyRecorder(1));
        assertEquals("jmx-test-d", c.machineName(), "a closed machine's name is free again");
        b.close();
        assertTrue(b.names().isEmpty());
    }

    @Test
    void badNamesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> register(new FakeMachine(""), new LatencyRecorder(1)));
        assertEquals("\"\"", Jmx.value(""));
        assertEquals("plain-name_1.x/y", Jmx.value("plain-name_1.x/y"));
        assertEquals(ObjectName.quote("a*b"), Jmx.value("a*b"));
    }
}
