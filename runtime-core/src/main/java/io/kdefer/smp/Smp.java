/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.smp;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Access;
import io.kdefer.internal.Await;
import io.kdefer.internal.Kernel;
import io.kdefer.irq.internal.GenIrq;
import io.kdefer.smp.internal.CallQueues;
import io.kdefer.smp.internal.Ipis;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.concurrent.CompletionException;

/**
 * Cross-CPU function calls over IPIs (kernel: smp_call_function_*): a function runs in hardirq context on
 * another CPU, delivered through that CPU's call-single queue and the CALL_FUNC IPI (on the GIC, SGI 1).
 *
 * <p>The smp subsystem also owns the IPIs themselves ({@link Ipi}, and internally the dispatch the platform delivers
 * them through) and the typed call-single queues irq_work uses for remote work.
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>A target CPU runs its queue in FIFO order, synchronous calls before asynchronous ones (B-CSD-4).</li>
 *   <li>One CALL_FUNC IPI per empty-to-non-empty transition of a target's queue (B-CSD-1).</li>
 *   <li>A call to the CPU whose atomic context the caller is running runs inline, with interrupts disabled.</li>
 *   <li>A waiting call returns after the function returned; a function that threw is rethrown to the waiter as
 *       a {@link CompletionException} (the CPU is not affected). A function nobody waits for that throws is
 *       contained and counted ({@code SmpCore.failures()}), also when it ran inline on the caller's CPU.</li>
 *   <li>A waiting call from atomic context is refused: the target may be waiting for this CPU (B-CSD-2).</li>
 *   <li>In MANUAL mode a waiting call runs the target CPU's pending work on the calling thread.</li>
 *   <li>On a closed machine every call from outside the machine throws IllegalStateException ("... the machine is
 *       closed"); its own contexts may go on calling while it drains. A waiting call whose function can no longer
 *       run (its CPU stopped) ends with that exception when the machine terminates.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   caller: x = 1; callFunctionSingle(b, f, wait)       f on b: r1 = x; y = 1
 *   caller after the wait: r2 = y
 *   Forbids: r1 == 0 (CallSingleData_01_SubmitPublishes, MO-CSD-1); r2 == 0 (Smp_02_WaitSeesCallee, MO-CSD-2)
 * </pre>
 */
public final class Smp {
    private final SmpCore core;   // I
    private final Cpus cpus;      // I

    static {
        Access.register(Smp.class, Smp::install);
    }

    /**
     * The smp subsystem's installer ({@code Access}): the IPI dispatch (the platform sets its sender later), the
     * call-single queues and this facade.
     */
    static void install(Kernel k) {
        Cpus cpus = k.get(Cpus.class);
        IpiDispatch ipis = new IpiDispatch(cpus);
        SmpCore core = new SmpCore(cpus, ipis);
        k.put(Ipis.class, ipis);
        k.put(CallQueues.class, core);
        k.put(SmpCore.class, core);
        k.put(Smp.class, new Smp(core));
        k.get(GenIrq.class).addProcRows(ipis);
    }

    private Smp(SmpCore core) {
        this.core = Objects.requireNonNull(core, "core");
        this.cpus = core.cpus();
    }

    /** CALL_FUNC IPIs sent: one per empty-to-non-empty transition of a CPU's call-single queue (B-CSD-1). */
    public long ipisSent() {
        return core.ipisSent();
    }

    /** Functions nobody waited for (async csds, qsds, non-waiting calls, also run inline) that threw (contained). */
    public long failures() {
        return core.failures();
    }

    /**
     * smp_call_function_single: runs {@code fn} on {@code cpu} in hardirq context; with {@code wait}, returns
     * after it returned. If the caller runs {@code cpu}'s atomic context, {@code fn} runs inline with interrupts
     * disabled.
     *
     * @throws IllegalArgumentException -ENXIO: no such CPU, or it is offline
     * @throws IllegalStateException    a waiting call from atomic context (it could deadlock)
     * @throws CompletionException      with {@code wait}: {@code fn} threw on the target (its cause)
     */
    public void callFunctionSingle(int cpu, Runnable fn, boolean wait) {
        Objects.requireNonNull(fn, "fn");
        refuseIfClosed("smp_call_function_single");
        Cpu target = target(cpu);
        if (wait) {
            refuseAtomic("callFunctionSingle(cpu/", cpu, ", wait=true)");
        }
        Cpu self = cpus.executingCpu();
        if (self == target) {
            runInline(target, fn);
            return;
        }
        if (!wait) {
            send(target, new CallSingleData(fn), false);
            return;
        }
        // The kernel's on-stack csd: a waiting caller has one call in flight at a time, so each thread reuses its own
        // (allocation-free). One left locked by a machine that closed with the call in flight is replaced.
        CallSingleData csd = SYNC_CSD.get();
        if (csd.isLocked()) {
            csd = new CallSingleData(RUN_INFO);
            SYNC_CSD.set(csd);
        }
        csd.failure = null;
        csd.setInfo(fn);
        try {
            send(target, csd, true);
            await(target, csd);
        } finally {
            if (!csd.isLocked()) {
                csd.setInfo(null);                 // keep no reference to the caller's function or its failure
                csd.failure = null;
            }
        }
    }

    /** The function of every thread's reusable synchronous csd: runs the Runnable passed as its info. */
    private static final Consumer<Object> RUN_INFO = info -> ((Runnable) info).run();
    private static final ThreadLocal<CallSingleData> SYNC_CSD = ThreadLocal.withInitial(
            () -> new CallSingleData(RUN_INFO));

    /**
     * smp_call_function_single_async: submits {@code csd} to {@code cpu} without waiting, callable from any
     * context. The csd is unlocked just before its function runs.
     *
     * @return {@code false} if the csd is still in flight from an earlier submission (the kernel's -EBUSY; checked
     *         before the target)
     * @throws IllegalArgumentException -ENXIO: no such CPU, or it is offline (the csd is left unlocked)
     */
    public boolean callFunctionSingleAsync(int cpu, CallSingleData csd) {
        Objects.requireNonNull(csd, "csd");
        refuseIfClosed("smp_call_function_single_async");
        if (!csd.lock(CallSingleData.TYPE_ASYNC)) {
            return false;                          // B-CSD-3: -EBUSY comes first, whatever the target
        }
        Cpu target;
        try {
            target = target(cpu);
        } catch (IllegalArgumentException e) {
            csd.unlock();                          // -ENXIO: unlock again, the csd stays usable
            throw e;
        }
        if (cpus.executingCpu() == target) {
            Object info = csd.info();
            csd.unlock();
            long flags = target.localIrqSave();
            try {
                csd.fn.accept(info);
            } catch (Throwable t) {
                core.failed(csd, t);               // as on a remote target: contained and counted
            } finally {
                core.faults.afterCallback(csd, target);
                target.localIrqRestore(flags);
            }
            return true;
        }
        core.queue(target, csd.node);
        return true;
    }

    /**
     * smp_call_function_many: runs {@code fn} on every online CPU in {@code mask} except the caller's own (the one
     * whose atomic context it runs, if any); with {@code wait}, returns after all returned.
     *
     * @throws IllegalStateException a waiting call from atomic context
     * @throws CompletionException   with {@code wait}: the first failure of {@code fn} (after all finished)
     */
    public void callFunctionMany(BitSet mask, Runnable fn, boolean wait) {
        Objects.requireNonNull(mask, "mask");
        Objects.requireNonNull(fn, "fn");
        if (mask.length() > cpus.count()) {
            throw new IllegalArgumentException("-ENXIO: mask names cpu/" + (mask.length() - 1) + "; this machine has "
                    + cpus.count() + " CPUs");
        }
        if (wait) {
            refuseAtomic("callFunctionMany(wait=true)");
        }
        refuseIfClosed("smp_call_function_many");
        many(mask, fn, wait, false);
    }

    /**
     * on_each_cpu: runs {@code fn} on every online CPU — inline, with interrupts disabled, on the CPU whose atomic
     * context the caller runs (if any) — with {@code wait}, returns after all returned.
     */
    public void onEachCpu(Runnable fn, boolean wait) {
        Objects.requireNonNull(fn, "fn");
        if (wait) {
            refuseAtomic("onEachCpu(wait=true)");
        }
        refuseIfClosed("on_each_cpu");
        BitSet all = new BitSet(cpus.count());
        all.set(0, cpus.count());
        many(all, fn, wait, true);
    }

    private void many(BitSet mask, Runnable fn, boolean wait, boolean runLocal) {
        Cpu self = cpus.executingCpu();
        List<CallSingleData> sent = new ArrayList<>();
        List<Cpu> targets = new ArrayList<>();
        for (int c = mask.nextSetBit(0); c >= 0; c = mask.nextSetBit(c + 1)) {
            Cpu target = cpus.cpu(c);
            if (!target.isOnline() || target == self) {
                continue;
            }
            CallSingleData csd = new CallSingleData(fn);
            send(target, csd, wait);
            sent.add(csd);
            targets.add(target);
        }
        if (runLocal && self != null && self.isOnline()) {
            runInline(self, fn);
        }
        if (!wait) {
            return;
        }
        CompletionException first = null;
        for (int i = 0; i < sent.size(); i++) {
            try {
                await(targets.get(i), sent.get(i));
            } catch (CompletionException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * Queues the coalescing call {@code qsd} on {@code cpu}: a no-op returning {@code false} while it is already
     * pending (anywhere); the pending call sees everything the caller stored before this call.
     * Lock-free, allocation-free, callable from any context.
     *
     * @throws IllegalArgumentException -ENXIO: no such CPU, or it is offline (the pending state is reset)
     */
    public boolean queueFunctionSingle(int cpu, QueueSingleData qsd) {
        Objects.requireNonNull(qsd, "qsd");
        Cpu target = existing(cpu);
        refuseIfClosed("queueFunctionSingle");
        if (!qsd.claim()) {
            return false;
        }
        if (!target.isOnline()) {
            qsd.reset();
            throw new IllegalArgumentException("-ENXIO: " + target + " is offline");
        }
        core.queue(target, qsd.node);
        return true;
    }

    private Cpu target(int cpu) {
        Cpu target = existing(cpu);
        if (!target.isOnline()) {
            throw new IllegalArgumentException("-ENXIO: " + target + " is offline");
        }
        return target;
    }

    private Cpu existing(int cpu) {
        if (cpu < 0 || cpu >= cpus.count()) {
            throw new IllegalArgumentException("-ENXIO: no cpu/" + cpu + " (this machine has " + cpus.count()
                    + " CPUs)");
        }
        return cpus.cpu(cpu);
    }

    private void send(Cpu target, CallSingleData csd, boolean wait) {
        csd.lock(wait ? CallSingleData.TYPE_SYNC : CallSingleData.TYPE_ASYNC);
        if (wait) {
            csd.waiter = Thread.currentThread();   // before the push: the target reads it after running fn
        }
        core.queue(target, csd.node);
    }

    private void await(Cpu target, CallSingleData csd) {
        if (cpus.isManual()) {
            target.runPending();
            if (csd.lockedAcquire()) {
                throw new IllegalStateException(target + " did not run the call (is it offline?)");
            }
        } else {
            // csd_lock_wait: the target unparks the waiter after it unlocked (CallSingleData.runSync); the park is
            // timed only so that a call whose CPU stopped (close) is noticed when the machine terminates.
            Await.untilWoken(csd, csd.unlocked, core.lifecycle, "smp_call_function_single(", target, ", wait)");
        }
        if (csd.failure != null) {
            throw new CompletionException("the cross-CPU call on " + target + " threw", csd.failure);
        }
    }

    /**
     * A call to the CPU whose atomic context the caller runs. Only non-waiting calls get here (a waiting call from
     * atomic context is refused), so a failure is contained and counted exactly as it is when the function runs on
     * another CPU: whether the target happens to be the caller's own CPU does not change what the caller sees.
     */
    private void runInline(Cpu cpu, Runnable fn) {
        long flags = cpu.localIrqSave();
        try {
            fn.run();
        } catch (Throwable t) {
            core.failed(fn, t);
        } finally {
            core.faults.afterCallback(fn, cpu);
            cpu.localIrqRestore(flags);
        }
    }

    /** From outside the machine, after close: the call is refused. */
    private void refuseIfClosed(String what) {
        if (cpus.refusesNewWork()) {
            throw core.lifecycle.closedException(what);
        }
    }

    private static void refuseAtomic(String what) {
        refuseAtomic(what, "", "");
    }

    /** As {@link #refuseAtomic(String)}, the message {@code a + b + c} built only when it throws. */
    private static void refuseAtomic(String a, Object b, String c) {
        CpuContext x = CpuContext.current();
        if (!x.preemptible() || x.cpu() != null) {
            String what = a + b + c;
            throw new IllegalStateException(what + " from " + (x.cpu() != null && x.preemptible()
                    ? "the idle loop" : x.describe()) + (x.cpu() != null ? " on " + x.cpu() : "")
                    + " could deadlock: the target may be waiting for this CPU (B-CSD-2)");
        }
    }
}
