/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import io.kdefer.cpu.Cpu;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.softirq.Softirq;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Boot and close in both modes, MANUAL-mode stepping and the virtual clock, home CPUs and binding. (The package
 * layering of DESIGN §3 is ArchitectureTest's.)
 */
@Timeout(20)
class MachineTest {
    @RegisterExtension
    final Machines machines = new Machines();

    private Machine m;

    private Machine manual(int cpus) {
        return machines.boot(b -> b.cpus(cpus));
    }

    /** The live threads a machine starts: cpu/N and its watchdog. */
    private static Set<Thread> machineThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().matches("cpu/\\d+") || t.getName().equals("kdefer-watchdog"))
                .collect(Collectors.toSet());
    }

    // ---------------------------------------------------------------------------------------------- boot, close

    @Test
    void threadedBootStartsOneThreadPerCpuAndCloseJoinsThemAll() {
        Set<Thread> before = machineThreads();
        m = machines.adopt(Machine.boot(2));
        assertEquals(Mode.THREADED, m.mode());
        assertEquals(2, m.cpuCount());
        Set<Thread> started = new HashSet<>(machineThreads());
        started.removeAll(before);
        assertEquals(Set.of("cpu/0", "cpu/1", "kdefer-watchdog"),
                started.stream().map(Thread::getName).collect(Collectors.toSet()));

        m.close();
        assertTrue(m.isClosed());
        for (Thread t : started) {
            assertFalse(t.isAlive(), t.getName() + " outlived close()");
        }
        assertTrue(Collections.disjoint(started, Thread.getAllStackTraces().keySet()));
        m.close();                              // idempotent
        assertTrue(m.isClosed());
    }

    @Test
    void manualBootStartsNoCpuThreads() {
        Set<Thread> before = machineThreads();
        m = manual(3);
        assertEquals(Mode.MANUAL, m.mode());
        Set<Thread> started = new HashSet<>(machineThreads());
        started.removeAll(before);
        assertTrue(started.stream().noneMatch(t -> t.getName().startsWith("cpu/")), started.toString());
        assertEquals(Duration.ZERO, m.uptime(), "the virtual clock starts at 0");
        m.close();
        m.close();
        assertTrue(m.isClosed());
        for (Thread t : started) {
            assertFalse(t.isAlive(), t.getName() + " outlived close()");
        }
    }

    @Test
    void closeRunsWhatIsPendingInBothModes() {
        for (Mode mode : Mode.values()) {
            AtomicInteger softirqs = new AtomicInteger();
            Machine x = machines.boot(b -> b.mode(mode));
            x.softirqs().open(Softirq.NET_RX, softirqs::incrementAndGet);
            x.irqs().request(40, (irq, dev) -> {
                x.softirqs().raise(Softirq.NET_RX);
                return IrqReturn.HANDLED;
            }, IrqFlags.TRIGGER_RISING, "dev", null);
            x.gic().pulse(40);
            x.close();
            assertEquals(1, softirqs.get(),
                    mode + ": the interrupt and the softirq it raised ran before close returned");
        }
    }

    @Test
    void closeFromAnAtomicContextIsRefused() {
        m = manual(2);
        AtomicReference<String> refused = new AtomicReference<>();
        m.irqs().request(40, (irq, dev) -> {
            try {
                m.close();
            } catch (IllegalStateException e) {
                refused.set(e.getMessage());
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        m.gic().pulse(40);
        m.runUntilIdle();
        assertNotNull(refused.get());
        assertTrue(refused.get().contains("cpu/0"), refused.get());
        assertFalse(m.isClosed());
    }

    @Test
    void manualSteppingIsRefusedInThreadedMode() {
        m = machines.threaded();
        assertThrows(IllegalStateException.class, () -> m.cpu(0).runPending());
        assertThrows(IllegalStateException.class, m::runUntilIdle);
        assertThrows(IllegalStateException.class, () -> m.advance(Duration.ofMillis(1)));
    }

    @Test
    void badConfigurationsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> MachineConfig.builder().cpus(0));
        assertThrows(IllegalArgumentException.class, () -> MachineConfig.builder().cpus(257));
        assertThrows(IllegalArgumentException.class, () -> MachineConfig.builder().hz(0));
        assertThrows(NullPointerException.class, () -> MachineConfig.builder().mode(null));
        assertThrows(NullPointerException.class, () -> Machine.boot((MachineConfig) null));
        m = manual(1);
        assertThrows(IllegalArgumentException.class, () -> m.cpu(1));
        assertThrows(IllegalArgumentException.class, () -> m.cpu(-1));
    }

    // ---------------------------------------------------------------------------------------------- virtual clock

    @Test
    void advanceRejectsNegativeDurations() {
        m = manual(2);
        assertThrows(IllegalArgumentException.class, () -> m.advance(Duration.ofMillis(-1)));
        assertThrows(NullPointerException.class, () -> m.advance(null));
        assertEquals(0, m.jiffies());
        assertEquals(Duration.ZERO, m.uptime());
    }

    @Test
    void jiffiesFollowTheVirtualClock() {
        m = manual(2);
        m.advance(Duration.ofMillis(10));
        assertEquals(10, m.jiffies(), "HZ 1000: one jiffy per ms, the boundary at 10 ms included");
        assertEquals(Duration.ofMillis(10), m.uptime());
        m.advance(Duration.ofNanos(999_999));
        assertEquals(10, m.jiffies(), "no tick before the next boundary");
        m.advance(Duration.ofNanos(1));
        assertEquals(11, m.jiffies());
        m.advance(Duration.ZERO);
        assertEquals(11, m.jiffies());
    }

    @Test
    void aTickFiresOnEveryCpuAtEveryJiffy() {
        m = manual(3);
        m.advance(Duration.ofMillis(10));
        for (int c = 0; c < 3; c++) {
            assertEquals(10, m.irqs().desc(30).count(c), "ticks on cpu/" + c);
        }
        String row = m.stats().interrupts().lines().filter(l -> l.trim().startsWith("30:")).findFirst().orElseThrow();
        assertTrue(row.matches("\\s*30:\\s+10\\s+10\\s+10\\s+GICv3\\s+30\\s+Level\\s+arch_timer"), row);
    }

    @Test
    void hzSetsTheTickPeriod() {
        m = machines.boot(b -> b.cpus(1).hz(100));
        m.advance(Duration.ofMillis(95));
        assertEquals(9, m.jiffies());
        assertEquals(9, m.irqs().desc(30).count(0));
    }

    // ---------------------------------------------------------------------------------------------- home CPUs

    @Test
    void unboundThreadsHaveStableHomeCpusSpreadOverTheCpus() throws InterruptedException {
        m = manual(2);
        int threads = 8;
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        Map<Integer, Integer> perCpu = Collections.synchronizedMap(new TreeMap<>());
        CountDownLatch done = new CountDownLatch(threads);
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> {
                try {
                    if (Cpu.current() != null) {
                        problems.add("an unbound thread has a current CPU");
                    }
                    int home = m.softirqs().thisCpu().id();
                    if (m.softirqs().thisCpu().id() != home) {
                        problems.add("home CPU not stable");
                    }
                    perCpu.merge(home, 1, Integer::sum);
                } finally {
                    done.countDown();
                }
            });
            t.start();
        }
        assertTrue(done.await(5, TimeUnit.SECONDS));
        assertEquals(List.of(), problems);
        assertEquals(Set.of(0, 1), perCpu.keySet(), "spread over both CPUs: " + perCpu);
    }

    @Test
    void homeCpusSkipOfflineCpus() throws InterruptedException {
        m = manual(2);
        m.cpu(1).offline();
        assertFalse(m.cpu(1).isOnline());
        Set<Integer> homes = Collections.synchronizedSet(new TreeSet<>());
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> homes.add(m.softirqs().thisCpu().id()));
            t.start();
            t.join(5000);
        }
        assertEquals(Set.of(0), homes);
        m.cpu(1).online();
        assertTrue(m.cpu(1).isOnline());
    }

    @Test
    void bindCurrentThreadMakesThatCpuCurrent() {
        m = manual(2);
        assertNull(Cpu.current());
        m.bindCurrentThread(1);
        assertSame(m.cpu(1), Cpu.current());
        assertSame(m.cpu(1), m.softirqs().thisCpu());
        m.softirqs().open(Softirq.NET_RX, () -> { });
        m.softirqs().raise(Softirq.NET_RX);
        assertEquals(Softirq.NET_RX.bit(), m.softirqs().pending(1), "raise targets the bound CPU");
        assertEquals(0, m.softirqs().pending(0));
        assertTrue(Cpu.current().context().inTask(), "a bound thread stays a task context");
        m.bindCurrentThread(0);
        assertSame(m.cpu(0), Cpu.current());
        m.unbindCurrentThread();
        assertNull(Cpu.current());
        assertThrows(IllegalArgumentException.class, () -> m.bindCurrentThread(2));
    }

    @Test
    void aThreadRunningACpuIsThatCpuAndCannotRebind() {
        m = manual(2);
        List<String> seen = new ArrayList<>();
        m.irqs().setAffinity(40, 1);
        m.irqs().request(40, (irq, dev) -> {
            seen.add(String.valueOf(Cpu.current()));
            try {
                m.bindCurrentThread(0);
                seen.add("rebound");
            } catch (IllegalStateException e) {
                seen.add("refused");
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        m.gic().pulse(40);
        m.runUntilIdle();
        assertEquals(List.of("cpu/1", "refused"), seen);
        assertNull(Cpu.current(), "the driver thread is no CPU once the step returned");
    }

    @Test
    void oneThreadRunsOneCpuAtATime() {
        m = manual(2);
        AtomicReference<String> refused = new AtomicReference<>();
        m.irqs().request(40, (irq, dev) -> {
            try {
                m.cpu(1).runPending();
                refused.set("allowed");
            } catch (IllegalStateException e) {
                refused.set(e.getMessage());
            }
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        m.gic().pulse(40);
        m.cpu(0).runPending();
        assertEquals("cpu/1: cannot run it from inside the atomic context of cpu/0 on the same thread", refused.get());
    }
}
