/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import io.kdefer.internal.Latency;
import io.kdefer.internal.Tracepoints;
import io.kdefer.softirq.Softirq;
import jdk.jfr.Category;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Recording;
import jdk.jfr.ValueDescriptor;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JFR events behind the runtime's tracepoints ({@code io.kdefer.internal.Tracepoints}): recorded with a real
 * {@link Recording}, dumped and parsed back, with
 * every field checked; the disabled path returns no event; the {@code latencyThreshold} setting filters.
 */
@Timeout(60)
class TraceTest {
    /** Queue stamps with no latency recording: non-zero only while the event is on. */
    private static final Latency STAMPS = new Latency(1);

    @TempDir
    Path dir;

    @BeforeAll
    static void plugTheEventsIn() {
        Trace.init();
    }

    /** Records everything {@code emit} emits with every kdefer event on at threshold 0 (unless {@code only}). */
    private List<RecordedEvent> record(Map<String, Map<String, String>> settings, Runnable emit) throws Exception {
        Path file = dir.resolve("t" + System.nanoTime() + ".jfr");
        try (Recording r = new Recording()) {
            for (Map.Entry<String, Map<String, String>> e : settings.entrySet()) {
                Map<String, String> s = new HashMap<>(e.getValue());
                r.enable(e.getKey()).withoutStackTrace();
                for (Map.Entry<String, String> kv : s.entrySet()) {
                    r.enable(e.getKey()).with(kv.getKey(), kv.getValue());
                }
            }
            r.start();
            emit.run();
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> all = RecordingFile.readAllEvents(file);
        return all.stream().filter(e -> e.getEventType().getName().startsWith("kdefer."))
                .collect(Collectors.toList());
    }

    private static Map<String, Map<String, String>> allOn() {
        Map<String, Map<String, String>> m = new HashMap<>();
        for (Class<? extends Event> c : Trace.eventClasses()) {
            Map<String, String> s = new HashMap<>();
            s.put("enabled", "true");
            s.put("threshold", "0 ns");
            m.put(c.getAnnotation(Name.class).value(), s);
        }
        return m;
    }

    private static RecordedEvent only(List<RecordedEvent> events, String name) {
        List<RecordedEvent> l = events.stream().filter(e -> e.getEventType().getName().equals(name))
                .collect(Collectors.toList());
        assertEquals(1, l.size(), name + " events: " + l);
        return l.get(0);
    }

    @Test
    void everyEventIsRecordedWithItsFields() throws Exception {
        Runnable fn = () -> { };
        Thread stuck = Thread.currentThread();
        StackTraceElement[] stack = {new StackTraceElement("a.B", "c", "B.java", 7)};
        List<RecordedEvent> ev = record(allOn(), () -> {
            Tracepoints.irqHandlerEnd(Tracepoints.irqHandlerBegin(), "m", 1, 40, "eth0",
                    Tracepoints.RESULT_WAKE_THREAD, false);
            Tracepoints.irqSpurious("m", 0, 41, Tracepoints.NO_ACTION);
            Tracepoints.irqReplay("m", 0, 42, Tracepoints.MARKED, Tracepoints.DISABLED);
            Tracepoints.irqThreadEnd(Tracepoints.irqThreadBegin(), "m", 1, 40, "eth0", Tracepoints.RESULT_HANDLED);
            Tracepoints.irqNobodyCared("m", 0, 43, 99_901, 100_000, "a, b", true);
            Tracepoints.softirqEnd(Tracepoints.softirqBegin(), "m", 1, Softirq.NET_RX.ordinal(), -1, true);
            Tracepoints.softirqRaise("m", 1, Softirq.TASKLET.ordinal(), false);
            Tracepoints.ksoftirqd("m", 1, (1 << Softirq.NET_RX.ordinal()) | (1 << Softirq.TASKLET.ordinal()),
                    Tracepoints.TIME);
            long q = STAMPS.stamp(Tracepoints.IRQ_WORK);
            assertNotEquals(0, q, "the run event is on: the queue side stamps");
            Tracepoints.irqWorkEnd(Tracepoints.irqWorkBegin(q), "m", 0, true, fn);
            Tracepoints.ipi("m", "CALL_FUNC", true, -1, 1);
            Tracepoints.taskletEnd(Tracepoints.taskletBegin(STAMPS.stamp(Tracepoints.TASKLET)), "m", 1, true, fn);
            Tracepoints.timerEnd(Tracepoints.timerBegin(), "m", 0, 77, 3_000_000, fn);
            Tracepoints.workQueue("m", "events", "kworker/1", 1, 1, true, fn);
            long wq = STAMPS.stamp(Tracepoints.WORK_EXECUTE);
            Tracepoints.workActivate("m", "events", "kworker/1", true, fn);
            Tracepoints.workExecuteEnd(Tracepoints.workExecuteBegin(wq), "m", "events", "kworker/1", "kworker/1:0",
                    1234, true,
                    fn);
            Tracepoints.workqueueStall("m", "kworker/0", 31_000_000_000L, 3, "kworker/0:1 runs x", stuck, stack);
            Tracepoints.workqueueMayday("m", "reclaim", "kworker/0");
            Tracepoints.rescuerEnd(Tracepoints.rescuerBegin(), "m", "reclaim", "kworker/0", 2);
            Tracepoints.softLockup("m", 1, 21_000_000_000L, "softirq", stuck, stack);
            Tracepoints.hotplugEnd(Tracepoints.hotplugBegin(), "m", 1, Tracepoints.OFFLINE, 0);
            Tracepoints.machineState("m", "RUNNING", "CLOSING", 2, "MANUAL");
            Tracepoints.callbackFailed("m", "cpu/1", "tasklet", "Tasklet[x]", new IllegalStateException("boom"));
        });
        Set<String> names = ev.stream().map(e -> e.getEventType().getName()).collect(Collectors.toSet());
        Set<String> expected = Trace.eventClasses().stream().map(c -> c.getAnnotation(Name.class).value())
                .collect(Collectors.toSet());
        assertEquals(expected, names, "one of each event");

        RecordedEvent h = only(ev, "kdefer.IrqHandler");
        assertEquals("m", h.getString("machine"));
        assertEquals(1, h.getInt("cpu"));
        assertEquals(40, h.getInt("irq"));
        assertEquals("eth0", h.getString("name"));
        assertEquals("WAKE_THREAD", h.getString("result"));
        assertFalse(h.getBoolean("nmi"));
        assertEquals("NO_ACTION", only(ev, "kdefer.IrqSpurious").getString("reason"));
        RecordedEvent rp = only(ev, "kdefer.IrqReplay");
        assertEquals("MARKED", rp.getString("phase"));
        assertEquals("DISABLED", rp.getString("reason"));
        assertEquals("HANDLED", only(ev, "kdefer.IrqThread").getString("result"));
        RecordedEvent nc = only(ev, "kdefer.IrqNobodyCared");
        assertEquals(99_901, nc.getInt("unhandled"));
        assertTrue(nc.getBoolean("polled"));
        RecordedEvent s = only(ev, "kdefer.Softirq");
        assertEquals("NET_RX", s.getString("vector"));
        assertEquals(-1, s.getInt("items"));
        assertTrue(s.getBoolean("ksoftirqd"));
        assertEquals("TASKLET", only(ev, "kdefer.SoftirqRaise").getString("vector"));
        RecordedEvent k = only(ev, "kdefer.Ksoftirqd");
        assertEquals("NET_RX TASKLET", k.getString("pending"));
        assertEquals("TIME", k.getString("reason"));
        RecordedEvent iw = only(ev, "kdefer.IrqWork");
        assertTrue(iw.getBoolean("lazy"));
        assertTrue(iw.getLong("queueLatency") >= 0, "a stamped item has a latency");
        assertEquals(fn.getClass().getName(), iw.getString("function"));
        RecordedEvent ipi = only(ev, "kdefer.Ipi");
        assertEquals("CALL_FUNC", ipi.getString("kind"));
        assertEquals("SEND", ipi.getString("phase"));
        assertEquals(-1, ipi.getInt("from"));
        assertEquals(1, ipi.getInt("to"));
        RecordedEvent t = only(ev, "kdefer.Tasklet");
        assertTrue(t.getBoolean("hi"));
        assertTrue(t.getLong("queueLatency") >= 0);
        RecordedEvent te = only(ev, "kdefer.TimerExpire");
        assertEquals(77, te.getLong("expires"));
        assertEquals(Duration.ofMillis(3), te.getDuration("late"));
        RecordedEvent wqe = only(ev, "kdefer.WorkQueue");
        assertEquals("events", wqe.getString("workqueue"));
        assertEquals("kworker/1", wqe.getString("pool"));
        assertEquals(1, wqe.getInt("requestedCpu"));
        assertTrue(wqe.getBoolean("inactive"));
        assertTrue(only(ev, "kdefer.WorkActivate").getBoolean("delayed"));
        RecordedEvent we = only(ev, "kdefer.WorkExecute");
        assertEquals("kworker/1:0", we.getString("worker"));
        assertEquals(Duration.ofNanos(1234), we.getDuration("blocked"));
        assertTrue(we.getBoolean("rescued"));
        assertTrue(we.getLong("queueLatency") >= 0);
        RecordedEvent st = only(ev, "kdefer.WorkqueueStall");
        assertEquals(Duration.ofSeconds(31), st.getDuration("stuckFor"));
        assertEquals(3, st.getInt("pending"));
        assertEquals(stuck.getName(), st.getThread("stuckThread").getJavaName());
        assertTrue(st.getString("stack").contains("a.B.c(B.java:7)"), st.getString("stack"));
        assertEquals("reclaim", only(ev, "kdefer.WorkqueueMayday").getString("workqueue"));
        assertEquals(2, only(ev, "kdefer.WorkqueueRescuer").getInt("items"));
        RecordedEvent sl = only(ev, "kdefer.SoftLockup");
        assertEquals("softirq", sl.getString("context"));
        assertNotNull(sl.getThread("stuckThread"));
        RecordedEvent hp = only(ev, "kdefer.CpuHotplug");
        assertEquals("OFFLINE", hp.getString("action"));
        assertEquals(0, hp.getInt("target"));
        RecordedEvent ms = only(ev, "kdefer.MachineState");
        assertEquals("CLOSING", ms.getString("to"));
        assertEquals("MANUAL", ms.getString("mode"));
        RecordedEvent cf = only(ev, "kdefer.CallbackFailed");
        assertEquals("cpu/1", cf.getString("where"));
        assertEquals("Tasklet[x]", cf.getString("source"));
        assertTrue(cf.getString("exception").contains("boom"));
    }

    /** A synthetic pulse -> handler -> softirq -> tasklet -> work chain comes back in emission order. */
    @Test
    void chainComesBackInOrder() throws Exception {
        List<RecordedEvent> ev = record(allOn(), () -> {
            Object h = Tracepoints.irqHandlerBegin();
            long tq = STAMPS.stamp(Tracepoints.TASKLET);
            Tracepoints.irqHandlerEnd(h, "m", 0, 40, "nic", Tracepoints.RESULT_HANDLED, false);
            Object s = Tracepoints.softirqBegin();
            Object t = Tracepoints.taskletBegin(tq);
            Tracepoints.workQueue("m", "events", "kworker/0", -1, 0, false, this);
            long wq = STAMPS.stamp(Tracepoints.WORK_EXECUTE);
            Tracepoints.taskletEnd(t, "m", 0, false, this);
            Tracepoints.softirqEnd(s, "m", 0, Softirq.TASKLET.ordinal(), 1, false);
            Tracepoints.workExecuteEnd(Tracepoints.workExecuteBegin(wq), "m", "events", "kworker/0", "kworker/0:1",
                    0, false,
                    this);
        });
        List<String> order = new ArrayList<>();
        ev.stream().sorted((a, b) -> a.getStartTime().compareTo(b.getStartTime()))
                .forEach(e -> order.add(e.getEventType().getName()));
        assertEquals(List.of("kdefer.IrqHandler", "kdefer.Softirq", "kdefer.Tasklet", "kdefer.WorkQueue",
                "kdefer.WorkExecute"), order);
        RecordedEvent s = only(ev, "kdefer.Softirq");
        RecordedEvent t = only(ev, "kdefer.Tasklet");
        assertFalse(t.getEndTime().isAfter(s.getEndTime()), "the tasklet ran inside the softirq");
    }

    @Test
    void disabledEventsMakeNoObject() throws Exception {
        Map<String, Map<String, String>> settings = allOn();
        settings.get("kdefer.IrqHandler").put("enabled", "false");
        settings.get("kdefer.Tasklet").put("enabled", "false");
        List<RecordedEvent> ev = record(settings, () -> {
            assertNull(Tracepoints.irqHandlerBegin(), "off: no event object");
            assertEquals(0, STAMPS.stamp(Tracepoints.TASKLET), "off and no latency recording: no clock read");
            assertNull(Tracepoints.taskletBegin(0));
            Tracepoints.irqHandlerEnd(null, "m", 0, 40, "x", 1, false);     // a no-op for null
            Tracepoints.taskletEnd(null, "m", 0, false, this);
            assertNotNull(Tracepoints.softirqBegin(), "on: begun");
        });
        assertTrue(ev.isEmpty(), "nothing committed: " + ev);
    }

    @Test
    void withoutARecordingEverythingIsOff() {
        assertNull(Tracepoints.irqHandlerBegin());
        assertNull(Tracepoints.workExecuteBegin(1));
        assertEquals(0, STAMPS.stamp(Tracepoints.WORK_EXECUTE));
        Latency lat = new Latency(1);
        assertEquals(0, lat.stamp(Tracepoints.IRQ_WORK));
        lat.setEnabled(true);
        assertNotEquals(0, lat.stamp(Tracepoints.IRQ_WORK), "latency recording alone needs the queue stamp");
    }

    /**
     * A recording that does not name the kdefer events (a JDK-only configuration) gives them their annotation
     * defaults: the per-item events stay off, the rare ones are on.
     */
    @Test
    void unrelatedRecordingLeavesPerItemEventsOff() throws Exception {
        Map<String, Map<String, String>> settings = new HashMap<>();
        Map<String, String> cpu = new HashMap<>();
        cpu.put("enabled", "true");
        settings.put("jdk.CPULoad", cpu);
        List<RecordedEvent> ev = record(settings, () -> {
            assertNull(Tracepoints.irqHandlerBegin());
            assertNull(Tracepoints.softirqBegin());
            assertNull(Tracepoints.irqWorkBegin(1));
            assertNull(Tracepoints.taskletBegin(1));
            assertNull(Tracepoints.timerBegin());
            assertNull(Tracepoints.irqThreadBegin());
            assertNull(Tracepoints.workExecuteBegin(1));
            Tracepoints.workQueue("m", "q", "p", -1, 0, false, this);
            assertEquals(0, STAMPS.stamp(Tracepoints.WORK_EXECUTE), "WorkExecute off, no stamp");
            Tracepoints.ipi("m", "CALL_FUNC", true, 0, 1);
            Tracepoints.softirqRaise("m", 0, 3, false);
            Tracepoints.workActivate("m", "q", "p", false, this);
            Tracepoints.machineState("m", "BOOTING", "RUNNING", 1, "MANUAL");
            Tracepoints.softLockup("m", 0, 1, "hardirq", null, null);
        });
        assertEquals(List.of("kdefer.MachineState", "kdefer.SoftLockup"),
                ev.stream().map(e -> e.getEventType().getName()).sorted().collect(Collectors.toList()));
    }

    /** {@code latencyThreshold}: only items that started at least that late are recorded. */
    @Test
    void latencyThresholdKeepsLateItemsOnly() throws Exception {
        Map<String, Map<String, String>> settings = new HashMap<>();
        Map<String, String> s = new HashMap<>();
        s.put("enabled", "true");
        s.put("threshold", "0 ns");
        s.put("latencyThreshold", "5 ms");
        settings.put("kdefer.WorkExecute", s);
        settings.put("kdefer.TimerExpire", new HashMap<>(s));
        List<RecordedEvent> ev = record(settings, () -> {
            long late = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(50);
            Tracepoints.workExecuteEnd(Tracepoints.workExecuteBegin(late), "m", "q", "p", "late", 0, false, this);
            Tracepoints.workExecuteEnd(Tracepoints.workExecuteBegin(System.nanoTime()), "m", "q", "p", "prompt", 0,
                    false, this);
            Tracepoints.workExecuteEnd(Tracepoints.workExecuteBegin(0), "m", "q", "p", "unstamped", 0, false, this);
            Tracepoints.timerEnd(Tracepoints.timerBegin(), "m", 0, 1, TimeUnit.MILLISECONDS.toNanos(6), this);
            Tracepoints.timerEnd(Tracepoints.timerBegin(), "m", 0, 2, TimeUnit.MILLISECONDS.toNanos(1), this);
        });
        assertEquals("late", only(ev, "kdefer.WorkExecute").getString("worker"));
        assertEquals(1, only(ev, "kdefer.TimerExpire").getLong("expires"));
    }

    @Test
    void latencyThresholdParsesJfrTimespans() {
        assertEquals(0, LatencyThreshold.parseNanos("0 ns"));
        assertEquals(0, LatencyThreshold.parseNanos("0"));
        assertEquals(20_000, LatencyThreshold.parseNanos("20 us"));
        assertEquals(10_000_000, LatencyThreshold.parseNanos("10 ms"));
        assertEquals(2_000_000_000L, LatencyThreshold.parseNanos("2 s"));
        assertEquals(60_000_000_000L, LatencyThreshold.parseNanos("1 m"));
        assertEquals(0, LatencyThreshold.parseNanos("ten ms"), "unparsable: no filter");
        assertEquals(Long.MAX_VALUE, LatencyThreshold.parseNanos("999999999 d"));
        LatencyThreshold t = new LatencyThreshold();
        assertEquals("1 ms", t.combine(Set.of("5 ms", "1 ms", "2 s")), "several recordings: the smallest wins");
        assertEquals(LatencyThreshold.DEFAULT, t.combine(Set.of()));
        t.setValue("5 ms");
        assertTrue(t.accepts(5_000_000));
        assertFalse(t.accepts(4_999_999));
        assertFalse(t.accepts(Long.MIN_VALUE), "unknown latency is not late");
        t.setValue("0 ns");
        assertTrue(t.accepts(Long.MIN_VALUE), "no filter passes everything");
    }

    /** The event classes follow the naming and metadata rules (API.md, issue 15). */
    @Test
    void eventClassesAreWellFormed() {
        Set<String> seen = new HashSet<>();
        for (Class<? extends Event> c : Trace.eventClasses()) {
            String name = c.getAnnotation(Name.class).value();
            assertTrue(name.startsWith("kdefer."), name);
            assertTrue(seen.add(name), "duplicate " + name);
            assertTrue(c.getSimpleName().endsWith("Event"), c.getName());
            assertEquals(name.substring("kdefer.".length()) + "Event", c.getSimpleName(), "class named after event");
            assertTrue(Modifier.isFinal(c.getModifiers()) && Modifier.isPublic(c.getModifiers()), c.getName());
            String[] cat = c.getAnnotation(Category.class).value();
            assertEquals("kdefer", cat[0], name);
            assertEquals(2, cat.length, name);
            assertNotNull(c.getAnnotation(Label.class), name);
            EventType t = EventType.getEventType(c);
            boolean hasMachine = false;
            for (ValueDescriptor v : t.getFields()) {
                assertNotNull(v.getLabel(), name + "." + v.getName() + " has a label");
                hasMachine |= v.getName().equals("machine");
            }
            assertTrue(hasMachine, name + " names its machine");
            boolean stalls = name.equals("kdefer.WorkqueueStall") || name.equals("kdefer.SoftLockup");
            if (stalls) {
                assertNotNull(t.getField("stack"), name + " carries the stuck thread's stack");
                assertNotNull(t.getField("stuckThread"), name);
            }
        }
        assertEquals(Trace.eventClasses().size(), seen.size());
    }

    @Test
    void softirqNamesFollowTheEnum() {
        for (Softirq v : Softirq.values()) {
            assertEquals(v.name(), JfrSink.softirqName(v.ordinal()));
        }
        assertEquals("", JfrSink.softirqNames(0));
        assertEquals("HI RCU", JfrSink.softirqNames(1 | (1 << Softirq.RCU.ordinal())));
        assertEquals("HANDLED|WAKE_THREAD", JfrSink.resultName(3));
        assertEquals("BOGUS", JfrSink.resultName(Tracepoints.RESULT_BOGUS));
        assertEquals("THREW", JfrSink.resultName(Tracepoints.RESULT_THREW));
    }
}
