/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.cpu.IdlePolicy;
import io.kdefer.cpu.internal.HostAffinity;
import io.kdefer.cpu.internal.Pinning;
import io.kdefer.irqwork.IrqWork;
import io.kdefer.tasklet.Tasklet;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.atomic.MpscAtomicArrayQueue;
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

/**
 * Queue-to-callback latency against the idiom a latency-minded JVM user picks beside java.util.concurrent: a
 * JCTools MPSC queue drained by an Agrona {@code AgentRunner}. The shape is {@link IrqWorkLatencyBench#oneWay}'s:
 * one producer (the benchmark thread) hands one pre-built item to one idle consumer thread and spins until the
 * callback ran; one item in flight, so the score is the hand-off latency, not throughput.
 *
 * <p>Every row has exactly one consumer thread (the kdefer machine has one virtual CPU), and the consumers' idle
 * policies are paired like with like by {@code idle}:
 * <table>
 *   <caption>idle policy of each consumer</caption>
 *   <tr><th>{@code idle}</th><th>kdefer CPU ({@code MachineConfig.idle})</th><th>Agrona {@code AgentRunner}</th></tr>
 *   <tr><td>{@code SPIN}</td><td>{@code IdlePolicy.SPIN}: {@code onSpinWait} forever, never parks</td>
 *       <td>{@code BusySpinIdleStrategy}: {@code onSpinWait} forever, never parks</td></tr>
 *   <tr><td>{@code BACKOFF}</td><td>{@code IdlePolicy.BACKOFF} (the default): a few microseconds of
 *       {@code onSpinWait}, then {@code park} until the producer's wake-up ({@code unpark})</td>
 *       <td>{@code BackoffIdleStrategy} with Agrona's defaults: 10 spins, 5 yields, then {@code parkNanos} from
 *       1 µs doubling to 1 ms; nobody unparks it, it wakes on its own timeout</td></tr>
 * </table>
 * The two BACKOFF consumers are the nearest pair, not identical: Agrona's yields and polls on a timer, kdefer's CPU
 * parks until woken. {@code PARK} (kdefer only, no Agrona counterpart) is measured by {@link PlatformLatencyBench}.
 *
 * <ul>
 *   <li>{@code irqWork}: {@code IrqWork.queue()} from the benchmark thread; its home CPU (cpu/0, the only one) runs
 *       the callback in hardirq context: claim, lazy-list push, self-IPI through the interrupt controller,
 *       acknowledge, flow handler, list run, EOI.</li>
 *   <li>{@code tasklet}: {@code Tasklet.schedule()} from the benchmark thread bound to cpu/0 (as
 *       {@link TaskletBench#latency}); the callback runs in cpu/0's TASKLET softirq.</li>
 *   <li>{@code mpscAgent}: {@code offer} of a pre-built {@code Runnable} into a {@code MpscAtomicArrayQueue}
 *       (capacity 1024; the atomic variant: no {@code Unsafe}, no warning on JDK 24+) whose agent drains it with
 *       {@code drain} and runs each item.</li>
 * </ul>
 * {@code -prof gc}: no row allocates per operation (pre-built work items; the JCTools array queue has no nodes).
 *
 * <p>{@code pin} ({@code -p pin=true}, Linux): OS pinning. The kdefer rows boot with {@code MachineConfig.pinCpus}
 * (cpu/0 on the highest host CPU, the runtime's other threads on the rest); the agent row pins its agent thread to the
 * same host CPU (in {@code onStart}, through the same seam). The benchmark thread, the JIT and the GC stay unpinned in
 * every row. Off by default.
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar AgentLatencyBench -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class AgentLatencyBench {
    static final int QUEUE_CAPACITY = 1024;

    @Param({"irqWork", "tasklet", "mpscAgent"})
    public String impl;

    @Param({"SPIN", "BACKOFF"})
    public String idle;

    @Param({"false"})
    public boolean pin;

    private Machine machine;
    private IrqWork irqWork;
    private Tasklet tasklet;
    private MpscAtomicArrayQueue<Runnable> queue;
    private AgentRunner runner;
    private Runnable task;
    private volatile long done;             // written by the one consumer (cpu/0, or the agent thread)
    private long expected;                  // benchmark thread only

    @Setup(Level.Trial)
    public void setUp() {
        task = () -> done++;
        switch (impl) {
            case "irqWork":
            case "tasklet":
                machine = Machine.boot(MachineConfig.builder().cpus(1).idle(IdlePolicy.valueOf(idle)).pinCpus(pin)
                        .build());
                if (impl.equals("irqWork")) {
                    irqWork = new IrqWork(machine, task);
                } else {
                    machine.bindCurrentThread(0);
                    tasklet = new Tasklet(machine, task);
                }
                break;
            case "mpscAgent":
                queue = new MpscAtomicArrayQueue<>(QUEUE_CAPACITY);
                runner = new AgentRunner(idleStrategy(idle), Throwable::printStackTrace, null,
                        new Drain(queue, pin ? Pinning.plan(HostAffinity.linux(), 1) : Pinning.NONE));
                AgentRunner.startOnThread(runner);
                break;
            default:
                throw new IllegalArgumentException(impl);
        }
    }

    private static IdleStrategy idleStrategy(String idle) {
        switch (idle) {
            case "SPIN":
                return new BusySpinIdleStrategy();
            case "BACKOFF":
                return new BackoffIdleStrategy();
            default:
                throw new IllegalArgumentException(idle);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (machine != null) {
            machine.unbindCurrentThread();
            machine.close();
        }
        if (runner != null) {
            runner.close();
        }
    }

    @Benchmark
    public long oneWay() {
        long t = ++expected;
        switch (impl) {
            case "irqWork":
                irqWork.queue();
                break;
            case "tasklet":
                tasklet.schedule();
                break;
            default:
                while (!queue.offer(task)) {
                    Thread.onSpinWait();  // never with one item in flight; the idiom's full-queue back-pressure
                }
        }
        return await(t);
    }

    private long await(long t) {
        while (done < t) {
            Thread.onSpinWait();
        }
        return t;
    }

    /** The consumer: each duty cycle drains the queue and runs what it took; the count drives the idle strategy. */
    static final class Drain implements Agent {
        private static final MessagePassingQueue.Consumer<Runnable> RUN = Runnable::run;
        private final MpscAtomicArrayQueue<Runnable> queue;   // I
        private final Pinning pinning;                        // I: where a one-CPU kdefer machine puts cpu/0

        Drain(MpscAtomicArrayQueue<Runnable> queue, Pinning pinning) {
            this.queue = queue;
            this.pinning = pinning;
        }

        @Override
        public void onStart() {
            pinning.enterCpuThread(0);                        // on the agent thread, as cpu/0's thread does
        }

        @Override
        public int doWork() {
            return queue.drain(RUN);
        }

        @Override
        public String roleName() {
            return "bench-mpsc-drain";
        }
    }
}
