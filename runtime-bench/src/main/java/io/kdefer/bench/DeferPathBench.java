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
 * <p>Measured 2026-12-03 (JDK 17.0.15, 2 cores, idle box, {@code -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc}, the 853ccab
 * jar and main's jar alternately, three runs each; per run the median of its 5 iterations, ns/op; in
 * {@code runtime-bench/results/}: {@code 2026-12-03-dev2core-jdk17-deferpath-*}, irq_work after its run was split:
 * {@code 2026-12-03-dev2core-jdk17-irqwork-*}):
 * <pre>
 *   path                     before (3 runs)      after none (3 runs)   after/before   after on   B/op on
 *   irqWorkQueueAndRun       137.7 149.7 117.0    159.6 149.0 124.0             1.08      734.5       112
 *   taskletScheduleAndRun     92.1 108.4  92.0     90.4 105.4  93.5             1.02      421.8         0
 *   softirqRaiseAndRun        48.0  56.7  55.9     49.0  63.9  45.5             0.88      280.8         0
 *   workQueueAndCancel        53.3  46.4  51.9     50.1  56.7  53.1             1.02      224.9        56
 * </pre>
 * 0 B/op with {@code none} holds (at most 0.01); tasklet, softirq and workqueue are within the run-to-run spread;
 * irq_work 1.08x, inside the spread but never below its "before" run. A first run (one each, loaded box) had the
 * paths 1.11-1.74x slower: IrqFlows.runAction and SoftirqEngine.runVectors had grown past FreqInlineSize (325
 * bytes; -XX:+PrintInlining "hot method too big") and were split; IrqWork.run keeps its recording branch out of
 * line. Enabled: about 100-170 ns per event; the irq_work path allocates 112 B and the work path 56 B per item while
 * their events record. Before, {@code on} equals {@code none} (a recording of event names that do not exist costs
 * nothing).
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
