/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import io.kdefer.Machine;
import io.kdefer.Machines;
import io.kdefer.gic.Gic;
import io.kdefer.gic.Trigger;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irqwork.IrqWork;
import io.kdefer.softirq.Softirq;
import io.kdefer.tasklet.Tasklet;
import io.kdefer.time.TimerList;
import io.kdefer.workqueue.Work;
import io.kdefer.workqueue.Workqueue;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The runtime emits its JFR events at its hook points (issue 15): a MANUAL machine runs a short, deterministic
 * scenario under a {@link Recording} with {@code kdefer-profile.jfc} (plus {@code kdefer.SoftirqRaise}); the dumped
 * recording is parsed back and the events of the scenario are checked, their fields and their order.
 */
@Timeout(60)
class MachineEventsTest {
    private static final int NIC = 40;

    @RegisterExtension
    final Machines machines = new Machines();

    @TempDir
    Path dir;

    @BeforeAll
    static void plugTheEventsIn() {
        Trace.init();
    }

    /** Runs {@code scenario} under a profile recording; returns the kdefer events of {@code machine}, by start time. */
    private List<RecordedEvent> record(String machine, Consumer<Recording> scenario) throws Exception {
        Path file = dir.resolve("m" + System.nanoTime() + ".jfr");
        try (Recording r = new Recording(Jfc.configuration(Jfc.PROFILE))) {
            r.enable("kdefer.SoftirqRaise").withoutStackTrace();
            r.start();
            scenario.accept(r);
            r.stop();
            r.dump(file);
        }
        return RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("kdefer."))
                .filter(e -> machine.equals(e.getString("machine")))
                .sorted(Comparator.comparing(RecordedEvent::getStartTime))
                .collect(Collectors.toList());
    }

    private static List<RecordedEvent> named(List<RecordedEvent> ev, String name) {
        return ev.stream().filter(e -> e.getEventType().getName().equals(name)).collect(Collectors.toList());
    }

    private static RecordedEvent one(List<RecordedEvent> ev, String name) {
        List<RecordedEvent> l = named(ev, name);
        assertEquals(1, l.size(), name + ": " + l);
        return l.get(0);
    }

    /**
     * One pulse -> handler -> softirq -> tasklet -> work chain: IrqHandler (the NIC's handler), then the TASKLET
     * softirq with the tasklet inside it, the work item queued from the tasklet and activated at once, and its
     * execution on a worker of CPU 0's pool; every field as the scenario made it.
     */
    @Test
    void pulseHandlerSoftirqTaskletWorkChain() throws Exception {
        Machine m = machines.boot(b -> b.name("chain"));
        Workqueue wq = m.workqueues().system();
        AtomicInteger done = new AtomicInteger();
        Runnable workFn = done::incrementAndGet;
        Work work = new Work(workFn);
        Runnable taskletFn = () -> wq.queue(work);
        Tasklet rx = new Tasklet(m, taskletFn);
        m.irqs().request(NIC, (irq, dev) -> {
            rx.schedule();
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "nic0", this);

        List<RecordedEvent> ev = record("chain", r -> {
            m.irqs().pulse(NIC);
            m.runUntilIdle();
            work.flush();
        });
        assertEquals(1, done.get());

        RecordedEvent h = named(ev, "kdefer.IrqHandler").stream().filter(e -> e.getInt("irq") == NIC)
                .findFirst().orElseThrow();
        assertEquals(0, h.getInt("cpu"));
        assertEquals("nic0", h.getString("name"));
        assertEquals("HANDLED", h.getString("result"));
        assertFalse(h.getBoolean("nmi"));

        RecordedEvent raise = named(ev, "kdefer.SoftirqRaise").stream()
                .filter(e -> e.getString("vector").equals("TASKLET")).findFirst().orElseThrow();
        assertEquals(0, raise.getInt("cpu"));
        assertFalse(raise.getBoolean("wasPending"));

        RecordedEvent s = one(ev, "kdefer.Softirq");
        assertEquals("TASKLET", s.getString("vector"));
        assertEquals(0, s.getInt("cpu"));
        assertEquals(1, s.getInt("items"), "the action reports the tasklets it ran");
        assertFalse(s.getBoolean("ksoftirqd"));

        RecordedEvent t = one(ev, "kdefer.Tasklet");
        assertEquals(0, t.getInt("cpu"));
        assertFalse(t.getBoolean("hi"));
        assertTrue(t.getLong("queueLatency") >= 0, "schedule() stamped it: " + t);
        assertEquals(taskletFn.getClass().getName(), t.getString("function"));

        RecordedEvent q = one(ev, "kdefer.WorkQueue");
        assertEquals("events", q.getString("workqueue"));
        assertEquals(-1, q.getInt("requestedCpu"));
        assertEquals(0, q.getInt("cpu"), "queued from cpu/0's tasklet: cpu/0's pool");
        assertFalse(q.getBoolean("inactive"));
        assertEquals(workFn.getClass().getName(), q.getString("function"));

        RecordedEvent a = one(ev, "kdefer.WorkActivate");
        assertFalse(a.getBoolean("delayed"));
        assertEquals(q.getString("pool"), a.getString("pool"));

        RecordedEvent x = one(ev, "kdefer.WorkExecute");
        assertEquals("events", x.getString("workqueue"));
        assertEquals(q.getString("pool"), x.getString("pool"));
        assertTrue(x.getString("worker").startsWith("kworker/0:"), x.getString("worker"));
        assertEquals(x.getString("worker"), x.getThread().getJavaName());
        assertTrue(x.getLong("queueLatency") >= 0, "queue stamped it: " + x);
        assertFalse(x.getBoolean("rescued"));

        // the order of the chain, and its nesting
        List<String> order = ev.stream().map(e -> e.getEventType().getName())
                .filter(n -> List.of("kdefer.IrqHandler", "kdefer.Softirq", "kdefer.Tasklet", "kdefer.WorkQueue",
                        "kdefer.WorkActivate", "kdefer.WorkExecute").contains(n))
                .collect(Collectors.toList());
        assertEquals(List.of("kdefer.IrqHandler", "kdefer.Softirq", "kdefer.Tasklet", "kdefer.WorkQueue",
                "kdefer.WorkActivate", "kdefer.WorkExecute"), order);
        assertFalse(h.getEndTime().isAfter(s.getStartTime()), "the softirq runs at irq exit, after the handler");
        assertFalse(t.getStartTime().isBefore(s.getStartTime()), "the tasklet runs inside its softirq");
        assertFalse(t.getEndTime().isAfter(s.getEndTime()), "the tasklet runs inside its softirq");
        assertFalse(q.getStartTime().isBefore(t.getStartTime()), "queued by the tasklet");
        assertFalse(q.getStartTime().isAfter(t.getEndTime()), "queued by the tasklet");
        assertFalse(x.getStartTime().isBefore(q.getStartTime()), "run after it was queued");
    }

    /** irq_work: the queue -> IPI -> run path, with its latency and both IPI phases. */
    @Test
    void irqWorkRunsAfterItsSelfIpi() throws Exception {
        Machine m = machines.boot(b -> b.name("iw"));
        m.bindCurrentThread(1);
        Runnable fn = () -> { };
        IrqWork w = new IrqWork(m, fn);
        List<RecordedEvent> ev = record("iw", r -> {
            assertTrue(w.queue());
            m.runUntilIdle();
        });
        RecordedEvent send = named(ev, "kdefer.Ipi").stream().filter(e -> e.getString("phase").equals("SEND"))
                .findFirst().orElseThrow();
        assertEquals("IRQ_WORK", send.getString("kind"));
        assertEquals(-1, send.getInt("from"), "sent from an application thread (on no CPU)");
        assertEquals(1, send.getInt("to"));
        RecordedEvent recv = named(ev, "kdefer.Ipi").stream().filter(e -> e.getString("phase").equals("RECEIVE"))
                .findFirst().orElseThrow();
        assertEquals("IRQ_WORK", recv.getString("kind"));
        assertEquals(1, recv.getInt("to"));
        RecordedEvent run = one(ev, "kdefer.IrqWork");
        assertEquals(1, run.getInt("cpu"));
        assertFalse(run.getBoolean("lazy"));
        assertTrue(run.getLong("queueLatency") >= 0);
        assertEquals(fn.getClass().getName(), run.getString("function"));
        assertFalse(run.getStartTime().isBefore(send.getStartTime()));
    }

    /** The anomalies: an unrequested line, a disabled line replayed on enable, a callback that throws. */
    @Test
    void spuriousReplayAndFailureEvents() throws Exception {
        Machine m = machines.boot(b -> b.name("odd"));
        m.irqs().request(NIC, (irq, dev) -> IrqReturn.HANDLED, IrqFlags.TRIGGER_RISING, "nic0", this);
        Tasklet bad = new Tasklet(m, () -> {
            throw new IllegalStateException("boom");
        });
        List<RecordedEvent> ev = record("odd", r -> {
            m.gic().configure(NIC + 10, Trigger.EDGE_RISING, Gic.PRIORITY_IRQ);
            m.gic().enable(NIC + 10);                // enabled in the GIC, but nobody requested it
            m.gic().pulse(NIC + 10);
            m.runUntilIdle();
            m.irqs().disableNosync(NIC);
            m.irqs().pulse(NIC);                     // set aside: PENDING
            m.runUntilIdle();
            m.irqs().enable(NIC);                    // replayed
            m.runUntilIdle();
            m.bindCurrentThread(0);
            bad.schedule();
            m.runUntilIdle();
        });
        RecordedEvent sp = one(ev, "kdefer.IrqSpurious");
        assertEquals(NIC + 10, sp.getInt("irq"));
        assertEquals("NO_ACTION", sp.getString("reason"));
        List<RecordedEvent> replay = named(ev, "kdefer.IrqReplay");
        assertEquals(List.of("MARKED", "RESENT"), replay.stream().map(e -> e.getString("phase"))
                .collect(Collectors.toList()));
        assertEquals("DISABLED", replay.get(0).getString("reason"));
        assertEquals("ENABLE", replay.get(1).getString("reason"));
        assertEquals(1, named(ev, "kdefer.IrqHandler").stream().filter(e -> e.getInt("irq") == NIC).count(),
                "the replayed edge ran the handler once");
        RecordedEvent f = one(ev, "kdefer.CallbackFailed");
        assertEquals("cpu/0", f.getString("where"));
        assertEquals("tasklet", f.getString("primitive"));
        assertTrue(f.getString("exception").contains("boom"), f.getString("exception"));
    }

    /** A softirq that keeps raising itself runs out of budget: the drain hands the rest to ksoftirqd. */
    @Test
    void drainOutOfBudgetHandsOffToKsoftirqd() throws Exception {
        Machine m = machines.boot(b -> b.name("squeeze").softirqMaxRestart(2));
        AtomicInteger left = new AtomicInteger(5);
        m.softirqs().open(Softirq.NET_RX, () -> {
            if (left.decrementAndGet() > 0) {
                m.softirqs().raise(Softirq.NET_RX);
            }
        });
        m.bindCurrentThread(0);
        List<RecordedEvent> ev = record("squeeze", r -> {
            m.softirqs().raise(Softirq.NET_RX);
            m.runUntilIdle();
        });
        RecordedEvent k = named(ev, "kdefer.Ksoftirqd").get(0);
        assertEquals(0, k.getInt("cpu"));
        assertEquals("NET_RX", k.getString("pending"));
        assertEquals("RESTARTS", k.getString("reason"));
        List<RecordedEvent> runs = named(ev, "kdefer.Softirq");
        assertEquals(5, runs.size());
        assertTrue(runs.stream().anyMatch(e -> e.getBoolean("ksoftirqd")), "the rest ran in the ksoftirqd phase");
        assertEquals(-1, runs.get(0).getInt("items"), "an application's action reports no items");
    }

    /** A timer fires at the first tick at or after its expiry; the event says how late (machine clock). */
    @Test
    void timerExpiryAndHotplugAndLifecycle() throws Exception {
        Machine m = machines.boot(b -> b.name("life").hz(1000));
        m.bindCurrentThread(0);
        Runnable fn = () -> { };
        TimerList t = new TimerList(m, fn);
        List<RecordedEvent> ev = record("life", r -> {
            t.mod(Duration.ofMillis(3));
            m.advance(Duration.ofMillis(5));
            m.cpu(1).offline();
            m.cpu(1).online();
            m.close();
        });
        RecordedEvent te = one(ev, "kdefer.TimerExpire");
        assertEquals(0, te.getInt("cpu"));
        assertEquals(3, te.getLong("expires"), "due at jiffy 3");
        assertTrue(te.getDuration("late").compareTo(Duration.ofMillis(1)) < 0, "the tick at 3 ms ran it: " + te);
        assertEquals(fn.getClass().getName(), te.getString("function"));
        RecordedEvent timerSoftirq = named(ev, "kdefer.Softirq").stream()
                .filter(e -> e.getString("vector").equals("TIMER") && e.getInt("items") == 1).findFirst()
                .orElseThrow();
        assertFalse(te.getStartTime().isBefore(timerSoftirq.getStartTime()));

        List<RecordedEvent> hp = named(ev, "kdefer.CpuHotplug");
        assertEquals(List.of("OFFLINE", "ONLINE"), hp.stream().map(e -> e.getString("action"))
                .collect(Collectors.toList()));
        assertEquals(1, hp.get(0).getInt("cpu"));
        assertEquals(0, hp.get(0).getInt("target"));

        assertEquals(List.of("RUNNING>CLOSING", "CLOSING>DRAINING", "DRAINING>TERMINATED"),
                named(ev, "kdefer.MachineState").stream().map(e -> e.getString("from") + ">" + e.getString("to"))
                        .collect(Collectors.toList()));
        assertEquals("MANUAL", named(ev, "kdefer.MachineState").get(0).getString("mode"));
        assertEquals(2, named(ev, "kdefer.MachineState").get(0).getInt("cpus"));
    }

    /** Boot itself: BOOTING -> RUNNING, once the CPUs run. */
    @Test
    void bootIsAnEvent() throws Exception {
        List<RecordedEvent> ev = record("booted", r -> machines.boot(b -> b.name("booted")));
        RecordedEvent s = one(ev, "kdefer.MachineState");
        assertEquals("BOOTING", s.getString("from"));
        assertEquals("RUNNING", s.getString("to"));
    }
}
