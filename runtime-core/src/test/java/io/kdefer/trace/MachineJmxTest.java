/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.tasklet.Tasklet;
import io.kdefer.workqueue.Workqueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.management.Attribute;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import java.lang.management.ManagementFactory;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A machine's MBeans in the platform server (issue 15): registered at boot when the configuration asks (THREADED by
 * default, MANUAL on request), children following the lines and workqueues, the latency switch, all gone at close.
 */
@Timeout(60)
class MachineJmxTest {
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    @RegisterExtension
    final Machines machines = new Machines();

    private static Set<ObjectName> of(String machine) throws Exception {
        Set<ObjectName> s = SERVER.queryNames(new ObjectName("io.kdefer:machine=" + machine + ",*"), null);
        s.addAll(SERVER.queryNames(new ObjectName("io.kdefer:type=Machine,name=" + machine), null));
        return s;
    }

    @Test
    void manualMachinesRegisterNothingByDefault() throws Exception {
        Machine m = machines.boot(b -> b.name("jmx-quiet"));
        assertFalse(m.config().jmx());
        assertNull(m.stats().mbeanName());
        assertTrue(of("jmx-quiet").isEmpty());
    }

    @Test
    void threadedMachinesRegisterByDefault() throws Exception {
        Machine m = machines.threaded(b -> b.name("jmx-threaded"));
        assertTrue(m.config().jmx());
        assertEquals(new ObjectName("io.kdefer:type=Machine,name=jmx-threaded"), m.stats().mbeanName());
        assertEquals("RUNNING", SERVER.getAttribute(m.stats().mbeanName(), "State"));
        assertEquals("THREADED", SERVER.getAttribute(m.stats().mbeanName(), "Mode"));
    }

    @Test
    void childrenFollowTheMachineAndCloseUnregistersAll() throws Exception {
        Machine m = machines.boot(b -> b.name("jmx-m").jmx(true));
        ObjectName machine = new ObjectName("io.kdefer:type=Machine,name=jmx-m");
        assertEquals(machine, m.stats().mbeanName());
        assertEquals(2, SERVER.getAttribute(machine, "Cpus"));
        assertTrue(((String) SERVER.getAttribute(machine, "Interrupts")).contains("CPU0"));

        ObjectName netRx = new ObjectName("io.kdefer:type=Softirq,machine=jmx-m,vector=NET_RX");
        ObjectName tasklet = new ObjectName("io.kdefer:type=Softirq,machine=jmx-m,vector=TASKLET");
        assertFalse((Boolean) SERVER.getAttribute(netRx, "Opened"));
        assertTrue((Boolean) SERVER.getAttribute(tasklet, "Opened"));
        assertTrue(SERVER.isRegistered(new ObjectName("io.kdefer:type=Workqueue,machine=jmx-m,name=events")),
                "the system queues exist before the registration: the inventory replays them");
        assertTrue(SERVER.isRegistered(new ObjectName("io.kdefer:type=Irq,machine=jmx-m,irq=5")),
                "the IPI lines the platform requested at boot");

        // a line: registered with its first action, counted, gone with its last
        ObjectName line = new ObjectName("io.kdefer:type=Irq,machine=jmx-m,irq=40");
        assertFalse(SERVER.isRegistered(line));
        m.irqs().request(40, (irq, dev) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING, "nic0", this);
        assertTrue(SERVER.isRegistered(line));
        m.irqs().pulse(40);
        m.runUntilIdle();
        assertEquals(1L, SERVER.getAttribute(line, "Count"));
        assertEquals("Edge", SERVER.getAttribute(line, "Trigger"));
        m.irqs().free(40, this);
        assertFalse(SERVER.isRegistered(line));

        // a workqueue: registered at alloc, gone at destroy
        Workqueue wq = m.workqueues().alloc("mine", 0, 0);
        ObjectName mine = new ObjectName("io.kdefer:type=Workqueue,machine=jmx-m,name=mine");
        assertTrue(SERVER.isRegistered(mine));
        assertEquals(0L, SERVER.getAttribute(mine, "Total"));
        wq.destroy();
        assertFalse(SERVER.isRegistered(mine));

        // the latency switch, through JMX, and a row
        ObjectName lat = new ObjectName("io.kdefer:type=Latency,machine=jmx-m,primitive=tasklet");
        assertFalse(m.stats().latencyRecorder().isEnabled());
        SERVER.setAttribute(machine, new Attribute("LatencyRecording", true));
        assertTrue(m.stats().latencyRecorder().isEnabled());
        m.bindCurrentThread(0);
        new Tasklet(m, () -> { }).schedule();
        m.runUntilIdle();
        CompositeData d = (CompositeData) SERVER.getAttribute(lat, "Duration");
        assertEquals(1L, d.get("count"));
        CompositeData q = (CompositeData) SERVER.getAttribute(lat, "Queue");
        assertEquals(1L, q.get("count"), "schedule() stamped the tasklet");
        assertNotNull(SERVER.getAttribute(machine, "Latency"));

        m.close();
        assertTrue(of("jmx-m").isEmpty(), "close unregisters every MBean: " + of("jmx-m"));
        assertNull(m.stats().mbeanName());
    }

    @Test
    void aSecondMachineOfTheSameNameGetsASuffix() throws Exception {
        Machine a = machines.boot(b -> b.name("jmx-twin").jmx(true));
        Machine b2 = machines.boot(b -> b.name("jmx-twin").jmx(true));
        assertEquals(new ObjectName("io.kdefer:type=Machine,name=jmx-twin"), a.stats().mbeanName());
        assertEquals(new ObjectName("io.kdefer:type=Machine,name=jmx-twin-2"), b2.stats().mbeanName());
    }

    /** latencyHistograms(true): recording from boot on. */
    @Test
    void latencyHistogramsFromBoot() {
        Machine m = machines.boot(b -> b.latencyHistograms(true));
        assertTrue(m.stats().latencyRecorder().isEnabled());
        m.bindCurrentThread(1);
        new Tasklet(m, () -> { }).schedule();
        m.runUntilIdle();
        String table = m.stats().latency();
        assertTrue(table.matches("(?s).*cpu1 +tasklet +1 \\|.*"), table);
        assertTrue(table.matches("(?s).*cpu1 +softirq +1 \\|.*"), table);
    }
}
