/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import io.kdefer.cpu.Cpu;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Services;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.irqwork.IrqWork;
import io.kdefer.smp.CallSingleData;
import io.kdefer.smp.QueueSingleData;
import io.kdefer.softirq.Softirq;
import io.kdefer.tasklet.Tasklet;
import io.kdefer.time.TimerList;
import io.kdefer.workqueue.DelayedWork;
import io.kdefer.workqueue.Work;
import io.kdefer.workqueue.Workqueue;
import io.kdefer.workqueue.WorkqueueFlags;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The machine's lifecycle and CPU hotplug (issue 11): one nested class per bug the issue lists, then the state
 * machine itself. MANUAL mode wherever the behaviour allows; THREADED where the bug is about CPU threads. Every wait
 * is bounded (a latch or a polled condition with a deadline), never a sleep standing in for synchronisation.
 */
@Timeout(60)
@DisplayName("Machine lifecycle and CPU hotplug")
class MachineLifecycleTest {
    static final long T = 10;   // seconds: upper bound of any wait, never a timing assumption

    @RegisterExtension
    final Machines machines = new Machines();

    private Machine manual(int cpus) {
        return machines.boot(b -> b.cpus(cpus));
    }

    private Machine threaded(int cpus) {
        return machines.threaded(b -> b.cpus(cpus));
    }

    private static long interruptsCleared(Machine m) {
        return Services.get(m, Faults.class).interruptsCleared();
    }

    /** Polls {@code cond} (no sleeping in between: yields) until it holds; fails after T seconds. */
    static void awaitTrue(BooleanSupplier cond, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(T);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting until " + what);
            }
            Thread.yield();
        }
    }

    static void await(CountDownLatch l) throws InterruptedException {
        assertTrue(l.await(T, TimeUnit.SECONDS), "timed out");
    }

    private static Set<Thread> threadsNamed(String regex) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().matches(regex))
                .collect(Collectors.toSet());
    }

    // ---------------------------------------------------------------------------------------------- 1 interrupts

    @Nested
    @DisplayName("1. a Java interrupt never kills or spins a runtime thread")
    class Interrupts {
        @Test
        void everyKindOfCallbackMayLeaveTheFlagSetAndTheCpuKeepsRunning() throws InterruptedException {
            Machine m = threaded(2);
            AtomicInteger handled = new AtomicInteger();
            Runnable leaveFlag = () -> Thread.currentThread().interrupt();
            m.irqs().request(Machines.EDGE_LINE, (irq, dev) -> {
                handled.incrementAndGet();
                Thread.currentThread().interrupt();           // a library that restores the flag does this
                return IrqReturn.HANDLED;
            }, IrqFlags.TRIGGER_RISING, "dev", null);
            CountDownLatch ran = new CountDownLatch(5);
            IrqWork w = new IrqWork(m, () -> {
                ran.countDown();
                leaveFlag.run();
            });
            Tasklet t = new Tasklet(m, () -> {
                ran.countDown();
                leaveFlag.run();
            });
            m.softirqs().open(Softirq.NET_RX, () -> {
                ran.countDown();
                leaveFlag.run();
            });
            TimerList timer = new TimerList(m, () -> {
                ran.countDown();
                leaveFlag.run();
            });
            m.bindCurrentThread(0);
            m.irqs().pulse(Machines.EDGE_LINE);
            w.queue();
            t.schedule();
            m.softirqs().raise(Softirq.NET_RX);
            timer.mod(Duration.ofMillis(1));
            m.smp().callFunctionSingle(0, () -> {
                ran.countDown();
                leaveFlag.run();
            }, true);
            await(ran);
            awaitTrue(() -> handled.get() == 1, "the first interrupt was handled");
            // cpu/0 is alive and still serves every kind of work
            m.irqs().pulse(Machines.EDGE_LINE);
            awaitTrue(() -> handled.get() == 2, "cpu/0 still takes interrupts");
            AtomicReference<String> on = new AtomicReference<>();
            m.smp().callFunctionSingle(0, () -> on.set(Thread.currentThread().getName()), true);
            assertEquals("cpu/0", on.get());
            assertTrue(interruptsCleared(m) >= 6, "each flag was cleared and counted: " + interruptsCleared(m));
        }

        @Test
        void interruptingACpuThreadFromOutsideNeitherStopsNorSpinsIt() throws InterruptedException {
            Machine m = threaded(1);
            Thread cpu0 = threadsNamed("cpu/0").stream().filter(Thread::isAlive).findFirst().orElseThrow();
            for (int i = 0; i < 100; i++) {
                cpu0.interrupt();
            }
            // The CPU consumes the flag (cleared and counted; until it runs, it may still look parked from the
            // interrupt it has not woken for yet), then parks again (it would spin at 100 % if the flag stayed set:
            // park returns at once then).
            awaitTrue(() -> interruptsCleared(m) >= 1, "cpu/0 cleared and counted the interrupt");
            awaitTrue(() -> cpu0.getState() == Thread.State.WAITING || cpu0.getState() == Thread.State.TIMED_WAITING,
                    "cpu/0 parked again");
            CountDownLatch ran = new CountDownLatch(1);
            m.smp().callFunctionSingle(0, ran::countDown, true);
            await(ran);
            assertTrue(cpu0.isAlive());
        }

        @Test
        void anIrqThreadFunctionThatLeavesTheFlagSetDoesNotMakeItsThreadSpin() throws InterruptedException {
            Machine m = manual(1);
            CountDownLatch ran = new CountDownLatch(2);
            m.irqs().requestThreaded(Machines.EDGE_LINE, null, (irq, dev) -> {
                ran.countDown();
                Thread.currentThread().interrupt();
                return IrqReturn.HANDLED;
            }, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "t", null);
            Thread irqThread = threadsNamed("irq/" + Machines.EDGE_LINE + "-t").iterator().next();
            m.irqs().pulse(Machines.EDGE_LINE);
            m.runUntilIdle();
            awaitTrue(() -> ran.getCount() == 1, "the thread function ran");
            awaitTrue(() -> irqThread.getState() == Thread.State.WAITING, "the IRQ thread sleeps again instead of spinning");
            m.irqs().pulse(Machines.EDGE_LINE);
            m.runUntilIdle();
            await(ran);
            assertTrue(interruptsCleared(m) >= 1);
        }

        @Test
        void aWorkerInterruptedWhileIdleKeepsServingItsPool() throws InterruptedException {
            Machine m = manual(1);
            CountDownLatch first = new CountDownLatch(1);
            m.workqueues().system().queue(new Work(first::countDown));
            await(first);
            for (Thread t : threadsNamed("kworker/0:\\d+")) {
                t.interrupt();
            }
            CountDownLatch second = new CountDownLatch(1);
            m.workqueues().system().queue(new Work(second::countDown));
            await(second);
        }

        @Test
        void inManualModeTheSteppingThreadGetsItsFlagBackClear() {
            Machine m = manual(1);
            m.irqs().request(Machines.EDGE_LINE, (irq, dev) -> {
                Thread.currentThread().interrupt();
                return IrqReturn.HANDLED;
            }, IrqFlags.TRIGGER_RISING, "dev", null);
            m.irqs().pulse(Machines.EDGE_LINE);
            m.runUntilIdle();
            assertFalse(Thread.currentThread().isInterrupted(), "the callback's flag does not leak to the caller");
            assertEquals(1, interruptsCleared(m));
        }
    }

    // ---------------------------------------------------------------------------------------------- 2, 3 close

    @Nested
    @DisplayName("2-3. close() always returns, within its deadline")
    class BoundedClose {
        /** For the test that leaves a thread stuck at close on purpose and checks the report itself. */
        @RegisterExtension
        final Machines tolerant = Machines.toleratingStuckThreads();

        @Test
        void twoSelfRequeueingItemsOnOnePoolDoNotHangClose() throws InterruptedException {
            for (int round = 0; round < 5; round++) {
                Machine m = machines.threaded(b -> b.closeTimeout(Duration.ofSeconds(5)));
                Workqueue wq = m.workqueues().system();
                AtomicInteger runs = new AtomicInteger();
                DelayedWork[] items = new DelayedWork[2];
                for (int i = 0; i < 2; i++) {
                    int me = i;
                    items[i] = new DelayedWork(() -> {
                        runs.incrementAndGet();
                        wq.queueDelayedOn(0, items[me], Duration.ofMillis(1));   // retry with backoff
                    });
                    wq.queueDelayedOn(0, items[i], Duration.ofMillis(1));
                }
                awaitTrue(() -> runs.get() > 20, "the items ran for a while");
                long start = System.nanoTime();
                m.close();
                long took = System.nanoTime() - start;
                assertEquals(Machine.State.TERMINATED, m.state());
                assertTrue(took < TimeUnit.SECONDS.toNanos(5), "close took " + took / 1_000_000 + " ms");
                assertTrue(threadsNamed("kworker/.*").stream().noneMatch(Thread::isAlive), "no worker left");
                assertTrue(m.closeReport().stuckThreads().isEmpty(), m.closeReport().toString());
            }
        }

        @Test
        void aWorkItemThatNeverReturnsIsReportedAndCloseReturnsByItsDeadline() throws InterruptedException {
            Machine m = tolerant.boot(b -> b.cpus(1).closeTimeout(Duration.ofMillis(800)));
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch never = new CountDownLatch(1);
            m.workqueues().system().queue(new Work(() -> {
                entered.countDown();
                while (true) {
                    try {
                        never.await();                         // ignores interrupts: truly stuck
                        return;
                    } catch (InterruptedException e) {
                        // keep waiting
                    }
                }
            }));
            await(entered);
            try (LogCapture log = LogCapture.of("io.kdefer")) {
                long start = System.nanoTime();
                m.close();
                long took = System.nanoTime() - start;
                assertTrue(took < TimeUnit.MILLISECONDS.toNanos(800 + 300), "close took " + took / 1_000_000 + " ms");
                CloseReport r = m.closeReport();
                assertEquals(1, r.stuckThreads().size(), r.toString());
                assertTrue(r.stuckThreads().get(0).startsWith("kworker/0:"), r.toString());
                assertTrue(r.stuckThreads().get(0).contains("running Work@"), r.toString());
                assertTrue(log.contains("did not end within the close timeout"), log.messages().toString());
                assertEquals(Machine.State.TERMINATED, m.state());
            } finally {
                never.countDown();
            }
        }

        @Test
        void aWorkItemBlockedInterruptiblyIsInterruptedNearTheDeadlineAndEnds() throws InterruptedException {
            Machine m = machines.boot(b -> b.cpus(1).closeTimeout(Duration.ofMillis(800)));
            CountDownLatch entered = new CountDownLatch(1);
            AtomicReference<Throwable> seen = new AtomicReference<>();
            m.workqueues().system().queue(new Work(() -> {
                entered.countDown();
                try {
                    new CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    seen.set(e);
                }
            }));
            await(entered);
            m.close();
            assertNotNull(seen.get(), "the blocked item got an InterruptedException");
            assertTrue(m.closeReport().isClean(), m.closeReport().toString());
        }
    }

    // ---------------------------------------------------------------------------------------------- 4 delayed

    @Nested
    @DisplayName("4. delayed work accepted before close runs (flush-on-close)")
    class DelayedWorkAtClose {
        @Test
        void armedDelayedItemsFireEarlyAndRunAndNoneIsLost() {
            Machine m = manual(2);
            Workqueue wq = m.workqueues().system();
            AtomicInteger ran = new AtomicInteger();
            int n = 1000;
            for (int i = 0; i < n; i++) {
                assertTrue(wq.queueDelayed(new DelayedWork(ran::incrementAndGet), Duration.ofHours(1)));
            }
            m.close();
            assertEquals(n, ran.get(), "every accepted delayed item ran, hours early");
            assertTrue(m.closeReport().isClean(), m.closeReport().toString());
        }

        @Test
        void afterCloseQueueDelayedIsRefusedAndModDelayedThrows() {
            Machine m = manual(1);
            Workqueue wq = m.workqueues().system();
            m.close();
            DelayedWork dw = new DelayedWork(() -> fail("must not run"));
            assertFalse(wq.queueDelayed(dw, Duration.ofMillis(5)));
            assertFalse(dw.isPending());
            assertThrows(IllegalStateException.class, () -> wq.modDelayed(dw, Duration.ZERO));
        }

        @Test
        void plainTimersNotYetDueAreCountedExactly() {
            Machine m = manual(2);
            m.bindCurrentThread(1);
            for (int i = 0; i < 7; i++) {
                new TimerList(m, () -> fail("not due")).mod(Duration.ofSeconds(100));
            }
            TimerList due = new TimerList(m, () -> { });
            due.mod(Duration.ZERO);
            m.unbindCurrentThread();
            m.close();
            assertEquals(7, m.closeReport().leftover("timer"), m.closeReport().toString());
        }
    }

    // ---------------------------------------------------------------------------------------------- 5 after close

    @Nested
    @DisplayName("5. every call on a closed machine is refused, never blocks, never lies")
    class UseAfterClose {
        @Test
        @Timeout(10)
        void everyEntryPointRefusesWithFalseOrAnException() {
            Machine m = manual(2);
            IrqWork w = new IrqWork(m, () -> fail("ran"));
            Tasklet t = new Tasklet(m, () -> fail("ran"));
            TimerList timer = new TimerList(m, () -> fail("ran"));
            Work work = new Work(() -> fail("ran"));
            Workqueue wq = m.workqueues().system();
            m.close();
            assertTrue(m.isClosed());
            assertEquals(Machine.State.TERMINATED, m.state());

            assertFalse(w.queue(), "IrqWork.queue");
            assertFalse(w.queueOn(1), "IrqWork.queueOn");
            w.sync();                                           // idle: returns at once
            assertFalse(t.schedule(), "Tasklet.schedule");
            assertFalse(t.scheduleHi(), "Tasklet.scheduleHi");
            t.kill();                                           // idle: returns at once
            t.disable();
            t.enable();
            assertThrows(IllegalStateException.class, () -> timer.mod(Duration.ofMillis(1)));
            assertFalse(timer.delete());
            assertFalse(timer.deleteSync());
            assertFalse(wq.queue(work));
            assertFalse(wq.queueOn(1, work));
            assertFalse(work.flush());
            assertFalse(work.cancelSync());
            assertThrows(RejectedExecutionException.class, () -> wq.asExecutor().execute(() -> { }));
            assertThrows(IllegalStateException.class, () -> m.workqueues().alloc("late", WorkqueueFlags.MEM_RECLAIM, 0));
            assertTrue(threadsNamed("kworker/R-late").isEmpty(), "no rescuer was started");
            assertThrows(IllegalStateException.class, () -> m.workqueues().freeze());
            wq.flush();                                         // nothing queued: returns

            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> m.smp().callFunctionSingle(1, () -> { }, true));
            assertTrue(e.getMessage().contains("machine is closed"), e.getMessage());
            assertThrows(IllegalStateException.class,
                    () -> m.smp().callFunctionSingleAsync(1, new CallSingleData(() -> { })));
            assertThrows(IllegalStateException.class,
                    () -> m.smp().queueFunctionSingle(1, new QueueSingleData(() -> { })));
            assertThrows(IllegalStateException.class, () -> m.smp().onEachCpu(() -> { }, true));
            assertThrows(IllegalStateException.class, () -> m.softirqs().raise(Softirq.NET_RX));
            assertThrows(IllegalStateException.class, () -> m.softirqs().open(Softirq.NET_RX, () -> { }));
            assertThrows(IllegalStateException.class, () -> m.cpu(1).offline());
            assertThrows(IllegalStateException.class, () -> m.cpu(1).online());
            assertThrows(IllegalStateException.class,
                    () -> m.irqs().request(Machines.EDGE_LINE, (irq, dev) -> IrqReturn.HANDLED, 0, "late", null));
            assertThrows(IllegalStateException.class, () -> m.irqs().requestThreaded(Machines.EDGE_LINE + 1, null,
                    (irq, dev) -> IrqReturn.HANDLED, IrqFlags.ONESHOT, "late", null));
            assertThrows(IllegalStateException.class, () -> m.irqs().wakeThread(Machines.EDGE_LINE, null));
            assertThrows(IllegalStateException.class, m::runUntilIdle);
            assertThrows(IllegalStateException.class, () -> m.advance(Duration.ofMillis(1)));
            m.close();                                          // idempotent
        }

        @Test
        @Timeout(10)
        void aWaitForSomethingThatCanNeverRunThrowsInsteadOfBlocking() {
            Machine m = manual(1);
            m.bindCurrentThread(0);
            Tasklet disabled = Tasklet.disabled(m, () -> fail("disabled"));
            assertTrue(disabled.schedule());
            m.unbindCurrentThread();
            m.close();
            assertEquals(1, m.closeReport().leftover("tasklet"), m.closeReport().toString());
            IllegalStateException e = assertThrows(IllegalStateException.class, disabled::kill,
                    "kill of a tasklet that will never run: refused, not a wait forever");
            assertTrue(e.getMessage().contains("machine is closed"), e.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------------- 6 close callers

    @Nested
    @DisplayName("6. close() from inside is refused; concurrent closes all wait for TERMINATED")
    class CloseCallers {
        @Test
        void closeFromAWorkItemIsRefusedAndShutdownClosesFully() throws InterruptedException {
            Machine m = manual(2);
            AtomicReference<String> refused = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(1);
            m.workqueues().system().queue(new Work(() -> {
                try {
                    m.close();
                } catch (IllegalStateException e) {
                    refused.set(e.getMessage());
                }
                m.shutdown();
                done.countDown();
            }));
            await(done);
            assertNotNull(refused.get());
            assertTrue(refused.get().contains("shutdown()"), refused.get());
            assertTrue(m.awaitTermination(Duration.ofSeconds(T)), "shutdown from inside closed the machine");
            assertEquals(Machine.State.TERMINATED, m.state());
            awaitTrue(() -> threadsNamed("kworker/.*").stream().noneMatch(Thread::isAlive), "workers ended");
        }

        @Test
        void aSecondConcurrentCloseReturnsOnlyWhenTheMachineTerminated() throws InterruptedException {
            Machine m = manual(1);
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            m.workqueues().system().queue(new Work(() -> {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            await(entered);
            List<Machine.State> seenAtReturn = new ArrayList<>();
            Thread a = new Thread(() -> {
                m.close();
                synchronized (seenAtReturn) {
                    seenAtReturn.add(m.state());
                }
            });
            a.start();
            awaitTrue(m::isClosed, "the first close began");
            Thread b = new Thread(() -> {
                m.close();
                synchronized (seenAtReturn) {
                    seenAtReturn.add(m.state());
                }
            });
            b.start();
            awaitTrue(() -> b.getState() == Thread.State.WAITING || b.getState() == Thread.State.TIMED_WAITING,
                    "the second close waits");
            assertTrue(b.isAlive(), "the second close did not return while the first drains");
            release.countDown();
            a.join(TimeUnit.SECONDS.toMillis(T));
            b.join(TimeUnit.SECONDS.toMillis(T));
            assertEquals(List.of(Machine.State.TERMINATED, Machine.State.TERMINATED), seenAtReturn);
        }

        @Test
        void closeFromAnIrqThreadIsRefused() throws InterruptedException {
            Machine m = manual(1);
            AtomicReference<String> refused = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(1);
            m.irqs().requestThreaded(Machines.EDGE_LINE, null, (irq, dev) -> {
                try {
                    m.close();
                } catch (IllegalStateException e) {
                    refused.set(e.getMessage());
                }
                done.countDown();
                return IrqReturn.HANDLED;
            }, IrqFlags.TRIGGER_RISING | IrqFlags.ONESHOT, "closer", null);
            m.irqs().pulse(Machines.EDGE_LINE);
            m.runUntilIdle();
            await(done);
            assertNotNull(refused.get());
            assertTrue(refused.get().contains("irq/" + Machines.EDGE_LINE + "-closer"), refused.get());
            assertFalse(m.isClosed());
        }
    }

    // ---------------------------------------------------------------------------------------------- 7 identity

    @Nested
    @DisplayName("7. a Work belongs to one machine")
    class WorkIdentity {
        @Test
        void queueingAnItemOfAFourCpuMachineOnAOneCpuMachineIsRefusedCleanly() throws InterruptedException {
            Machine four = manual(4);
            Machine one = manual(1);
            CountDownLatch ran = new CountDownLatch(2);
            Work w = new Work(ran::countDown);
            assertTrue(four.workqueues().system().queueOn(3, w));
            awaitTrue(() -> !w.isPending() && !w.isRunning(), "it ran on cpu/3's pool");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> one.workqueues().system().queue(w));
            assertTrue(e.getMessage().contains("belongs to " + four.name()), e.getMessage());
            assertFalse(w.isPending(), "left as it was");
            assertTrue(four.workqueues().system().queue(w), "still usable where it belongs");
            await(ran);
        }

        @Test
        void anItemRunningOnOneMachineCannotBeQueuedOnAnother() throws InterruptedException {
            Machine a = manual(1);
            Machine b = manual(1);
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Work w = new Work(() -> {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            a.workqueues().system().queue(w);
            await(entered);
            assertThrows(IllegalArgumentException.class, () -> b.workqueues().system().queue(w));
            release.countDown();
        }

        @Test
        void anIdleItemOfATerminatedMachineMovesToTheNextMachine() throws InterruptedException {
            Machine a = manual(2);
            AtomicInteger runs = new AtomicInteger();
            DelayedWork dw = new DelayedWork(runs::incrementAndGet);
            a.workqueues().system().queueDelayed(dw, Duration.ofMillis(1));
            a.advance(Duration.ofMillis(1));
            awaitTrue(() -> runs.get() == 1, "ran on a");
            a.close();
            Machine b = manual(1);
            assertTrue(b.workqueues().system().queueDelayed(dw, Duration.ofMillis(1)));
            b.advance(Duration.ofMillis(1));
            awaitTrue(() -> runs.get() == 2, "ran on b, with b's timer");
        }
    }

    // ---------------------------------------------------------------------------------------------- 8 hotplug

    @Nested
    @DisplayName("8. CPU hotplug, whole")
    class Hotplug {
        @Test
        void poolsOfAnOfflineCpuRunTheirItemsUnboundAndRebindWhenItReturns() throws InterruptedException {
            Machine m = manual(2);
            Workqueue wq = m.workqueues().system();
            AtomicReference<Object> current = new AtomicReference<>("unset");
            CountDownLatch first = new CountDownLatch(1);
            wq.queueOn(1, new Work(() -> {
                current.set(Cpu.current());
                first.countDown();
            }));
            await(first);
            assertSame(m.cpu(1), current.get(), "a bound worker runs on its CPU");
            m.cpu(1).offline();
            assertEquals(Cpu.HotplugState.OFFLINE, m.cpu(1).hotplugState());
            CountDownLatch second = new CountDownLatch(1);
            assertTrue(wq.queueOn(1, new Work(() -> {
                current.set(Cpu.current());
                second.countDown();
            })), "queue_work_on an offline CPU is accepted (B-WQ-2)");
            await(second);
            assertNull(current.get(), "the unbound worker does not name the offline CPU as current");
            m.cpu(1).online();
            assertEquals(Cpu.HotplugState.ONLINE, m.cpu(1).hotplugState());
            CountDownLatch third = new CountDownLatch(1);
            wq.queueOn(1, new Work(() -> {
                current.set(Cpu.current());
                third.countDown();
            }));
            await(third);
            assertSame(m.cpu(1), current.get(), "rebound");
        }

        @Test
        void irqsRoutedToADyingCpuMoveAndTheirThreadsFollow() throws InterruptedException {
            Machine m = manual(2);
            List<String> hardirqOn = new ArrayList<>();
            AtomicReference<Cpu> threadOn = new AtomicReference<>();
            CountDownLatch threadRan = new CountDownLatch(1);
            m.irqs().requestThreaded(Machines.EDGE_LINE, (irq, dev) -> {
                hardirqOn.add(String.valueOf(Cpu.current()));
                return IrqReturn.WAKE_THREAD;
            }, (irq, dev) -> {
                threadOn.set(Cpu.current());
                threadRan.countDown();
                return IrqReturn.HANDLED;
            }, IrqFlags.TRIGGER_RISING, "moved", null);
            m.irqs().setAffinity(Machines.EDGE_LINE, 1);
            m.cpu(1).offline();
            assertEquals(0, m.irqs().desc(Machines.EDGE_LINE).affinity(), "fixup_irqs moved the line to a live CPU");
            m.irqs().pulse(Machines.EDGE_LINE);
            m.runUntilIdle();
            await(threadRan);
            assertEquals(List.of("cpu/0"), hardirqOn);
            assertSame(m.cpu(0), threadOn.get(), "the IRQ thread followed its line");
            m.cpu(1).online();
        }

        @Test
        void aThreadBoundToAnOfflineCpuHasNoCurrentCpuAndQueuesOnALiveOne() {
            Machine m = manual(2);
            m.bindCurrentThread(1);
            assertSame(m.cpu(1), Cpu.current());
            m.cpu(1).offline();
            assertNull(Cpu.current(), "never an offline CPU for new work");
            List<String> ranOn = new ArrayList<>();
            IrqWork w = new IrqWork(m, () -> ranOn.add(String.valueOf(Cpu.current())));
            assertTrue(w.queue());
            m.runUntilIdle();
            assertEquals(List.of("cpu/0"), ranOn);
            m.cpu(1).online();
            assertSame(m.cpu(1), Cpu.current(), "the binding holds again once the CPU is back");
        }

        @Test
        void theHotplugStatesAreObservable() {
            Machine m = manual(2);
            assertEquals(Cpu.HotplugState.ONLINE, m.cpu(1).hotplugState());
            m.cpu(1).offline();
            assertEquals(Cpu.HotplugState.OFFLINE, m.cpu(1).hotplugState());
            assertFalse(m.cpu(1).isOnline());
            m.cpu(1).online();
            assertEquals(Cpu.HotplugState.ONLINE, m.cpu(1).hotplugState());
            m.close();
            assertEquals(Cpu.HotplugState.STOPPED, m.cpu(0).hotplugState());
        }
    }

    // ---------------------------------------------------------------------------------------------- states

    @Nested
    @DisplayName("the state machine")
    class States {
        @Test
        void runningThenTerminatedAfterACleanCloseWithAnEmptyReport() throws InterruptedException {
            Machine m = manual(1);
            assertEquals(Machine.State.RUNNING, m.state());
            assertFalse(m.isClosed());
            assertFalse(m.awaitTermination(Duration.ofMillis(1)));
            m.close();
            assertEquals(Machine.State.TERMINATED, m.state());
            assertTrue(m.awaitTermination(Duration.ZERO));
            assertTrue(m.closeReport().isClean(), m.closeReport().toString());
        }

        @Test
        void everythingAcceptedBeforeCloseRunsInTheDrain() throws InterruptedException {
            Machine m = manual(2);
            AtomicInteger ran = new AtomicInteger();
            m.bindCurrentThread(1);
            new IrqWork(m, ran::incrementAndGet).queue();
            IrqWork.lazy(m, ran::incrementAndGet).queue();
            new Tasklet(m, ran::incrementAndGet).schedule();
            m.softirqs().open(Softirq.NET_TX, ran::incrementAndGet);
            m.softirqs().raise(Softirq.NET_TX);
            new TimerList(m, ran::incrementAndGet).mod(Duration.ZERO);
            m.workqueues().system().queue(new Work(ran::incrementAndGet));
            m.workqueues().system().queueDelayed(new DelayedWork(ran::incrementAndGet), Duration.ofDays(1));
            m.smp().callFunctionSingleAsync(0, new CallSingleData(ran::incrementAndGet));
            m.unbindCurrentThread();
            m.close();
            assertEquals(8, ran.get());
            assertTrue(m.closeReport().isClean(), m.closeReport().toString());
        }

        @Test
        void theMachinesOwnContextsMayFinishWhatTheyStartedWhileItDrains() {
            Machine m = manual(1);
            AtomicInteger softirqs = new AtomicInteger();
            m.softirqs().open(Softirq.NET_RX, softirqs::incrementAndGet);
            m.irqs().request(Machines.EDGE_LINE, (irq, dev) -> {
                m.softirqs().raise(Softirq.NET_RX);          // the interrupt's bottom half, raised during the drain
                return IrqReturn.HANDLED;
            }, IrqFlags.TRIGGER_RISING, "dev", null);
            m.irqs().pulse(Machines.EDGE_LINE);
            m.close();
            assertEquals(1, softirqs.get());
        }
    }
}
