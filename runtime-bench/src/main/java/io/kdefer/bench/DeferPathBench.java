/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.cpu.Cpu;
import io.kdefer.irqwork.IrqWork;
import io.kdefer.softirq.Softirq;
import io.kdefer.softirq.Softirqs;
import io.kdefer.tasklet.Tasklet;
import io.kdefer.workqueue.Work;
import io.kdefer.workqueue.Workqueue;
import jdk.jfr.Recording;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The winning (not coalesced) path of each deferral primitive on a MANUAL machine, queue side and run side, the
 * paths every tracepoint of issue 15 sits on. Written against the API of commit 853ccab (before the tracepoints) so
 * that the same source builds a "before" and an "after" benchmarks.jar and the two are compared in one session.
 *
 * <ul>
 *   <li>{@code irqWorkQueueAndRun}: {@code IrqWork.queue()} (claim, stamp, push, the IWI self-IPI) then
 *       {@code cpu.runPending()} (acknowledge, the IPI's hardirq, the irq_work run).</li>
 *   <li>{@code taskletScheduleAndRun}: {@code Tasklet.schedule()} (claim, stamp, TASKLET raise) then the drain
 *       (softirq, tasklet).</li>
 *   <li>{@code softirqRaiseAndRun}: {@code Softirqs.raise(NET_RX)} then the drain.</li>
 *   <li>{@code workQueueAndCancel}: {@code Workqueue.queue(w)} of an idle item on a frozen FREEZABLE queue (claim,
 *       stamp and insert under the pool lock, inactive: no worker wake-up to measure) then {@code w.cancel()}.</li>
 * </ul>
 * {@code jfr}: {@code none} (no recording: the disabled cost), {@code on} (a recording with every kdefer event on at
 * threshold 0, in memory: the enabled cost of the whole path; in a "before" jar it records nothing, since there are
 * no events). Expected with {@code -prof gc}: 0 B/op with {@code none}.
 *
 * <p>Measured 2026-12-03 (JDK 17.0.15, 2 cores, {@code -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc}, the 853ccab jar then
 * the observe jar; medians of 5 iterations, ns/op; in {@code runtime-bench/results/}:
 * {@code 2026-12-03-observe-jdk17-deferpath-before.json} and {@code ...-after.json}):
 * <pre>
 *   path                     before   after none   after/before   after on   B/op on
 *   irqWorkQueueAndRun        110.0        150.8           1.37      669.0        96
 *   taskletScheduleAndRun      75.9        101.3           1.33      471.2         0
 *   softirqRaiseAndRun         41.0         71.5           1.74      269.7         0
 *   workQueueAndCancel         50.1         55.6           1.11      225.0        56
 * </pre>
 * 0 B/op with {@code none} holds (at most 0.01). "Within noise of before" does not: the disabled paths were 5 to
 * 30 ns slower, with much noisier iterations in the after run (errors +-26 to +-56 ns against +-1 to +-5); the
 * gates alone cost under 1 ns (TraceBench), so the gap is unexplained (suspects: inlining budgets of the grown run
 * methods, the latency switch's volatile read). -XX:+PrintInlining then showed IrqFlows.runAction (356 bytes) and
 * SoftirqEngine.runVectors (363) past FreqInlineSize (325), "hot method too big"; both were split (292 and 195
 * bytes, inlined again) after this run, and that is not yet measured: repeat with more forks. Enabled: about 100 ns per event (softirq: two events, +198 ns),
 * 170 ns and 56 B for the one kdefer.WorkQueue event of the work path. Before, {@code on} equals {@code none}
 * (a recording of event names that do not exist costs nothing).
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar DeferPathBench -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class DeferPathBench {
    /** Every kdefer event, by name (names, not classes: the "before" jar has none of them). */
    static final List<String> EVENTS = List.of("kdefer.IrqHandler", "kdefer.IrqSpurious", "kdefer.IrqReplay",
            "kdefer.IrqThread", "kdefer.IrqNobodyCared", "kdefer.Softirq", "kdefer.SoftirqRaise", "kdefer.Ksoftirqd",
            "kdefer.IrqWork", "kdefer.Ipi", "kdefer.Tasklet", "kdefer.TimerExpire", "kdefer.WorkQueue",
            "kdefer.WorkActivate", "kdefer.WorkExecute", "kdefer.WorkqueueStall", "kdefer.WorkqueueMayday",
            "kdefer.WorkqueueRescuer", "kdefer.SoftLockup", "kdefer.CpuHotplug", "kdefer.MachineState",
            "kdefer.CallbackFailed");

    @Param({"none", "on"})
    public String jfr;

    private Recording recording;
    private Machine machine;
    private Cpu cpu;
    private IrqWork irqWork;
    private Tasklet tasklet;
    private Softirqs softirqs;
    private Workqueue frozen;
    private Work work;
    private long runs;

    @Setup(Level.Trial)
    public void setUp() {
        if (jfr.equals("on")) {
            recording = new Recording();
            for (String e : EVENTS) {
                recording.enable(e).withThreshold(Duration.ZERO).withoutStackTrace();
            }
            recording.setToDisk(false);              // memory ring buffer: the commit, not the disk
            recording.start();
        }
        machine = Machine.boot(MachineConfig.builder().cpus(2).mode(io.kdefer.Mode.MANUAL).build());
        machine.bindCurrentThread(0);
        cpu = machine.cpu(0);
        irqWork = new IrqWork(machine, () -> runs++);
        tasklet = new Tasklet(machine, () -> runs++);
        softirqs = machine.softirqs();
        softirqs.open(Softirq.NET_RX, () -> runs++);
        frozen = machine.workqueues().systemFreezable();
        machine.workqueues().freeze();               // max_active 0: queued items stay inactive
        work = new Work(() -> runs++);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        machine.workqueues().thaw();
        machine.unbindCurrentThread();
        machine.close();
        if (recording != null) {
            recording.close();
        }
    }

    @Benchmark
    public long irqWorkQueueAndRun() {
        irqWork.queue();
        cpu.runPending();
        return runs;
    }

    @Benchmark
    public long taskletScheduleAndRun() {
        tasklet.schedule();
        cpu.runPending();
        return runs;
    }

    @Benchmark
    public long softirqRaiseAndRun() {
        softirqs.raise(Softirq.NET_RX);
        cpu.runPending();
        return runs;
    }

    @Benchmark
    public boolean workQueueAndCancel() {
        frozen.queue(work);
        return work.cancel();
    }
}
