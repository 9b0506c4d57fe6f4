/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu.internal;

import io.kdefer.cpu.Cpu;
import io.kdefer.internal.Faults;
import io.kdefer.internal.Latency;
import io.kdefer.internal.Lifecycle;

import java.util.List;

/**
 * A machine's virtual CPUs as the runtime's other subsystems see them (not API; applications use {@code Machine},
 * {@link Cpu} and the subsystem APIs). Implemented in {@code io.kdefer.cpu}, registered in the machine's
 * {@code Kernel} as {@code Cpus.class}.
 *
 * <h2>Hooks</h2>
 * Subsystems plug into the CPU loop through hooks registered while the machine boots. Every hook receives the
 * {@link Cpu} it runs on: code that has it never asks "which CPU am I on".
 * <pre>
 *   TickHook      every tick of every CPU, hardirq context on it                  (irq_work lazy list, timers, ...)
 *   NohzHook      an idle CPU before it parks: does it need its tick, its next event  (kernel: tick-sched)
 *   HotplugHook   offlining (caller) -&gt; dying (on the CPU, IRQs off) -&gt; dead (caller); online (caller)
 *   SoftirqEntry  the one hook through which the CPU runs softirqs: irq exit, local_bh_enable, ksoftirqd
 *   Arch          the platform: the interrupt controller's root handler and the CPU's timer
 * </pre>
 */
public interface Cpus {
    /** Runs on every tick of every CPU, in hardirq context on that CPU. */
    interface TickHook {
        void tick(Cpu cpu);
    }

    /** Consulted by an idle CPU before it parks (NOHZ). */
    interface NohzHook {
        /** Something on {@code cpu} needs the periodic tick to keep running (e.g. lazy irq_work). */
        default boolean needsTick(Cpu cpu) {
            return false;
        }

        /** The clock time at which {@code cpu} must wake (its next timer), or {@code Long.MAX_VALUE}. */
        default long nextEventNanos(Cpu cpu) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * CPU hotplug steps, in the order {@code Cpu.offline()} runs them (kernel: the cpuhp teardown states, each
     * subsystem at its place): offlining (caller), dying (on the CPU), dead (caller); {@code Cpu.online()} runs
     * online (caller) once the CPU takes interrupts again.
     */
    interface HotplugHook {
        /**
         * On the caller, while the CPU still runs but no longer takes new work (GOING_DOWN): stop targeting it
         * (workqueue pools unbind, B-WQ-44; IRQs routed to it move to {@code target}, the kernel's fixup_irqs).
         */
        default void offlining(Cpu cpu, Cpu target) {
        }

        /** On the dying CPU, IRQs disabled: flush what only it can run (irq_work, call-single queue). */
        default void dying(Cpu cpu) {
        }

        /** On the caller, after the CPU went offline: move its remaining work (tasklets, timers, softirqs). */
        default void dead(Cpu cpu, Cpu target) {
        }

        /** On the caller, after the CPU came back. */
        default void online(Cpu cpu) {
        }
    }

    /**
     * The softirq subsystem as the CPU calls it (kernel: the calls of irq_exit, local_bh_enable and ksoftirqd into
     * kernel/softirq.c). The CPU owns the context (preempt_count, IRQs); the softirq subsystem owns the pending words,
     * the vectors and the budget.
     */
    interface SoftirqEntry {
        /** The pending word of {@code cpu} (a racy snapshot). */
        int pending(Cpu cpu);

        /**
         * handle_softirqs on {@code cpu}: called on its executing thread, outside interrupt context, with
         * {@code pending(cpu) != 0}. {@code ksoftirqd}: run as the CPU's ksoftirqd phase.
         */
        void run(Cpu cpu, boolean ksoftirqd);

        /** A CPU went offline: take its pending word (its vectors are raised on {@code target}). */
        void migrate(Cpu dead, Cpu target);

        /** Words naming the vectors pending on {@code cpu} ("softirq NET_RX softirq TIMER"), or "" (for reports). */
        String describePending(Cpu cpu);
    }

    // ------------------------------------------------------------------------------------------- topology

    int count();

    /** CPU {@code id}; IllegalArgumentException naming the machine's CPUs if there is none. */
    Cpu cpu(int id);

    int onlineCount();

    // ------------------------------------------------------------------------------------------- "this CPU"

    /** The CPU whose atomic context the calling thread executes, or null. */
    Cpu executingCpu();

    /**
     * "This CPU" for placing work: the CPU the caller executes; else the CPU it is bound to, if that takes new work;
     * else its home CPU. Never null.
     */
    Cpu thisCpu();

    /** {@link #thisCpu()} if it takes new work, else one that does; null when none does (the machine stopped). */
    Cpu thisOnlineCpu();

    /** Binds the calling thread to {@code cpu} as a task, or unbinds it with null. */
    void bindCurrentThread(Cpu cpu);

    /** Whether the calling thread runs one of this machine's contexts (a CPU, a kernel thread of it). */
    boolean isInsideMachine();

    /** Whether the calling thread is one of this machine's runtime threads. */
    boolean isRuntimeThread();

    /** Whether new work from the caller is refused: the machine is closed and the caller is outside it. */
    boolean refusesNewWork();

    // ------------------------------------------------------------------------------------------- time

    boolean isManual();

    /** The machine clock: nanoseconds since boot (virtual in MANUAL mode). */
    long clockNanos();

    long tickNanos();

    /** Ticks since boot. */
    long jiffies();

    /** The timer interrupt's handler (the platform calls it, hardirq context on {@code cpu}): runs the tick hooks. */
    void tick(Cpu cpu);

    /** Ticks taken by {@code cpu}. */
    long ticks(Cpu cpu);

    /** NOHZ: is {@code cpu} parked with its periodic tick stopped (so lazy work must raise)? */
    boolean tickStopped(Cpu cpu);

    // ------------------------------------------------------------------------------------------- wake-up

    /** Wakes {@code cpu} if it is parked, after the caller published its work (the wake-up protocol of Cpu). */
    void kick(Cpu cpu);

    /**
     * Takes the interrupts signallable on {@code cpu} now (a checkpoint between softirq actions, B-SIRQ-8). On its
     * executing thread only.
     */
    void checkpoint(Cpu cpu);

    // ------------------------------------------------------------------------------------------- softirq context

    /**
     * Enters softirq-serving context on {@code cpu} (preempt_count + SOFTIRQ_OFFSET; the soft-lockup clock starts
     * if outermost) and returns the IRQ state to restore. On its executing thread only.
     */
    boolean enterServingSoftirq(Cpu cpu);

    /** Leaves softirq-serving context, restoring {@code irqsDisabled}. */
    void exitServingSoftirq(Cpu cpu, boolean irqsDisabled);

    /** Enables (false) or disables (true) local IRQs on {@code cpu}'s atomic context. */
    void setIrqsDisabled(Cpu cpu, boolean disabled);

    /** The preempt_count word of {@code cpu}'s atomic context (B-SIRQ-9's leak check). */
    int preemptCount(Cpu cpu);

    /** Whether {@code cpu}'s atomic context has IRQs disabled. */
    boolean irqsDisabled(Cpu cpu);

    /**
     * B-SIRQ-9: the action of {@code softirq} returned with another preempt_count (or IRQs off): reported once per
     * CPU, the count restored to {@code count} and IRQs enabled.
     */
    void restorePreemptCount(Cpu cpu, int count, String softirq);

    // ------------------------------------------------------------------------------------------- hooks

    void addTickHook(TickHook h);

    void addNohzHook(NohzHook h);

    void addHotplugHook(HotplugHook h);

    /** A periodic check run by the watchdog thread (THREADED mode), e.g. the workqueue stall detector. */
    void addWatchdogCheck(Runnable check);

    /** The platform (boot time, once). */
    void setArch(Arch arch);

    /** The machine's OS pinning plan ({@link Pinning#NONE} when off). */
    Pinning pinning();

    /** The softirq subsystem (boot time, once). */
    void setSoftirqEntry(SoftirqEntry entry);

    // ------------------------------------------------------------------------------------------- lifecycle

    Lifecycle lifecycle();

    Faults faults();

    /** The machine's latency histograms (every subsystem's run hooks record into them). */
    Latency latency();

    /** Whether the machine is closing (subsystems stop re-raising work that can only wait, such as a disabled tasklet). */
    boolean isStopping();

    /** MANUAL mode: runs every CPU until none has deliverable work. */
    void runUntilIdle();

    /** MANUAL mode: moves virtual time forward, ticking and running what is due. */
    void advance(long nanos);

    /** Starts the CPU threads (THREADED) and the soft-lockup watchdog. */
    void start();

    /** Close, CLOSING. */
    void beginStop();

    /** Close: waits until {@code deadlineNanos} for a hotplug transition; the closer then holds the hotplug lock. */
    boolean quiesceHotplug(long deadlineNanos);

    void releaseHotplug();

    /** Close: whether no CPU has anything to do right now. */
    boolean quiescent();

    /** Close, stop phase: every CPU runs what is pending and stops; a CPU still busy at {@code giveUpAtNanos} stops anyway. */
    void requestStop(long giveUpAtNanos);

    /** Close, join: waits until {@code deadlineNanos} for the CPU threads and the watchdog; returns those alive. */
    List<Thread> joinCpus(long deadlineNanos);

    /** Soft lockups the watchdog reported. */
    long softLockups();

    // ------------------------------------------------------------------------------------------- statistics

    /** The home CPU of {@code t}: where its queue()/raise()/schedule() land when it is bound to no CPU. */
    Cpu homeCpu(Thread t);

    long hardirqs(Cpu cpu);

    long nmis(Cpu cpu);

    long parks(Cpu cpu);

    long unparks(Cpu cpu);

    boolean isParked(Cpu cpu);
}
