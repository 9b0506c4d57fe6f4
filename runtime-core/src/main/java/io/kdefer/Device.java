/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Lifecycle;
import io.kdefer.irq.IrqContext;
import io.kdefer.irq.IrqHandler;
import io.kdefer.irq.Irqs;
import io.kdefer.irqwork.IrqWork;
import io.kdefer.tasklet.Tasklet;
import io.kdefer.time.TimerList;
import io.kdefer.workqueue.DelayedWork;
import io.kdefer.workqueue.Work;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A device bound to its driver, owning the resources the driver requested through it, and releasing them when it is
 * detached (kernel: struct device's devres list, the devm_* calls, and devres_release_all at driver detach). It is an
 * {@link AutoCloseable}, so try-with-resources gives a Java driver what devm_ gives a kernel driver: whatever probe
 * acquired is released, in reverse order, however probe or the driver's life ends.
 *
 * <pre>{@code
 * try (Device nic = m.device("nic0")) {                              // probe
 *     Work reset = nic.work(() -> resetChip());                      // devm_work_autocancel
 *     Tasklet rx = nic.tasklet(() -> drainRing());
 *     nic.requestIrq(40, (irq, dev) -> { rx.schedule(); return IrqReturn.HANDLED; }, IrqFlags.TRIGGER_RISING);
 *     ...                                                            // the driver runs
 * }                                                                  // detach: IRQ freed, then tasklet, then work
 * }</pre>
 *
 * <h2>Resources and their release (devres, spec §15)</h2>
 * <pre>
 *   request                        kernel                          released at detach by
 *   requestIrq                     devm_request_irq                free_irq (waits for running handlers)
 *   requestThreadedIrq             devm_request_threaded_irq       free_irq (waits for the hardirq and the thread,
 *                                                                  a pending thread run gets its last run)
 *   requestAnyContextIrq           devm_request_any_context_irq    free_irq
 *   tasklet(fn)                    (tasklet_setup + devm action)   tasklet_kill (a scheduled run runs first)
 *   timer(fn)                      (timer_setup + devm action)     del_timer_sync
 *   work(fn), delayedWork(fn)      devm_(delayed_)work_autocancel  cancel_(delayed_)work_sync
 *   irqWork(fn)                    (init_irq_work + devm action)   irq_work_sync
 *   addAction(fn)                  devm_add_action_or_reset        fn.run()
 * </pre>
 * An IRQ requested without a name and devId gets the device's name (devm_request_irq's NULL devname) and the device
 * itself as devId, which the handler receives.
 *
 * <h2>States</h2>
 * <pre>
 *   ATTACHED   requests succeed and are recorded   -&gt; DETACHING  close(), the first caller
 *   DETACHING  requests refused; the closer        -&gt; DETACHED   every resource released, last acquired first
 *              releases the recorded resources
 *   DETACHED   requests refused; close() returns at once
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Detach releases every resource exactly once, in the reverse order of acquisition (B-DEVM-2), with the _sync
 *       semantics of the table: on return no handler or callback of the device runs, none is pending, and the stores
 *       of every run that started before detach are visible to the caller (see Memory ordering).</li>
 *   <li>A release that throws does not keep the others from running; the first exception is rethrown once all ran,
 *       the later ones added to it as suppressed. On a machine that is closed, a release that can no longer wait
 *       (an item that will never run) does not throw: the machine's close report counts it.</li>
 *   <li>{@link #close()} is idempotent: a second caller returns when the first finished the detach; a caller on one
 *       of the machine's own threads (a worker, an IRQ thread) returns at once instead, since the detach may be
 *       waiting for that very thread. close() refuses atomic context (it may sleep, as free_irq and the _sync calls
 *       do) with {@link IllegalStateException}, before it changes anything.</li>
 *   <li>A request on a detaching or detached device throws {@link IllegalStateException} ("device nic0 is
 *       detached"), and acquires nothing; a request racing the detach is released either by the detach or, if the
 *       detach took the list first, by the request itself before it throws: never both, never neither.
 *       {@link #addAction} runs its action in that case (devm_add_action_or_reset, B-DEVM-4/5).</li>
 *   <li>{@link #freeIrq} releases one device-managed IRQ now (devm_free_irq, B-DEVM-3): detach will not free it
 *       again. An IRQ
 *       not requested through this device is reported ("not managed by device ...", the kernel's WARN) and left
 *       alone. An IRQ the driver frees behind the device's back with {@code Irqs.free} is reported at detach as the
 *       kernel reports it ("Trying to free already-free IRQ"), and detach goes on.</li>
 *   <li>The objects returned ({@link Tasklet}, {@link TimerList}, {@link Work}, {@link DelayedWork},
 *       {@link IrqWork}) are ordinary ones: the driver schedules, arms and queues them as usual. After detach they
 *       are idle and may still be used, as the kernel's would be after tasklet_kill or cancel_work_sync; a driver
 *       does not (devm memory would be freed).</li>
 *   <li>On a closed machine {@link Machine#device} and every request but {@link #addAction} throw
 *       IllegalStateException ("... the machine is closed"). Closing the machine does not detach its devices (the
 *       kernel's shutdown does not unbind drivers either); detaching afterwards releases everything and never
 *       blocks.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   driver: x = 1; d.addAction(() -&gt; r = x)          detacher: d.close()
 *   Forbids: the action runs twice or never; the action reads r == 0      (Device_01_RequestRacingDetach)
 *
 *   [a handler or callback of the device] y = 1       detacher: d.close(); s = y
 *   Forbids: s == 0 for a run that started before close() (each release gives it for its kind, and close() runs them
 *   in program order): free_irq (MO-FLOW-1; thread runs MO-TI-4, ThreadedIrq_04_SynchronizeSeesThread),
 *   tasklet_kill (Tasklet_05_KillSeesRun), del_timer_sync (TimerList_03_DeleteSyncSeesRun), cancel_work_sync
 *   (MO-WQ-6, Workqueue_06_CancelSyncWaitsForRun), irq_work_sync (MO-IW-4, IrqWork_04_SyncAcquires)
 * </pre>
 */
public final class Device implements AutoCloseable {
    /* Implementation notes
     *
     * The devres list is an ArrayList in acquisition order, guarded by lock (the kernel's devres_lock, a spinlock;
     * here a monitor, since nothing that holds it waits). A request acquires its resource first, with lock not held
     * (request_irq sleeps: it starts a thread), then records it under lock if the device is still ATTACHED; if not,
     * it releases the resource itself and throws. close() moves ATTACHED -> DETACHING and takes the whole list under
     * lock, then releases outside it. So each resource is recorded-and-released-by-detach or released-by-its-request,
     * decided by the order of two critical sections on lock, and the lock hand-off orders the requester's stores
     * before the release (Device_01).
     *
     * MANUAL mode: irq_work_sync refuses to wait for an item that only a stepping thread could run, so the release
     * of a pending irq_work steps the machine first (runUntilIdle), as tasklet_kill does for a scheduled tasklet.
     */
    private static final System.Logger LOG = System.getLogger("io.kdefer");

    /** A device's states (see the class javadoc). */
    public enum State {
        /** Bound to its driver: requests succeed. */
        ATTACHED,
        /** close() is releasing the resources; requests are refused. */
        DETACHING,
        /** Every resource released. */
        DETACHED
    }

    /** One devres entry: what it is, the object it manages, how it is released. */
    private static final class Resource {
        final String what;          // I: for resources() and reports
        final Object handle;        // I: the managed object (for an IRQ, its IrqKey)
        final Runnable release;     // I

        Resource(String what, Object handle, Runnable release) {
            this.what = what;
            this.handle = handle;
            this.release = release;
        }
    }

    /** The key of a managed IRQ: devm_free_irq matches the IRQ number and the devId. */
    private static final class IrqKey {
        final int irq;              // I
        final Object devId;         // I

        IrqKey(int irq, Object devId) {
            this.irq = irq;
            this.devId = devId;
        }

        boolean matches(int i, Object d) {
            return irq == i && devId == d;
        }
    }

    private final Machine machine;                                   // I
    private final String name;                                       // I
    private final Lifecycle lifecycle;                               // I: the machine's
    private final Cpus cpus;                                         // I: the machine's
    private final Object lock = new Object();                        // devres_lock
    private final List<Resource> resources = new ArrayList<>();     // L(lock): acquisition order
    private volatile State state = State.ATTACHED;                   // WO(lock)

    Device(Machine machine, String name) {
        this.machine = Objects.requireNonNull(machine, "machine");
        this.name = Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a device name must not be blank");
        }
        this.lifecycle = machine.service(Lifecycle.class);
        this.cpus = machine.service(Cpus.class);
        lifecycle.checkOpen("device(" + name + ")");
    }

    /** The device's name (dev_name): the default name of its IRQs, and in reports. */
    public String name() {
        return name;
    }

    /** The machine the device belongs to. */
    public Machine machine() {
        return machine;
    }

    /** The state (see the class javadoc). */
    public State state() {
        return state;
    }

    /** Whether the device is ATTACHED: requests succeed. */
    public boolean isAttached() {
        return state == State.ATTACHED;
    }

    /**
     * The resources the device owns now, in acquisition order (detach releases them from the last to the first):
     * "irq 40 (nic0)", "threaded irq 41 (nic0)", "tasklet", "timer", "work", "delayed work", "irq_work", "action".
     */
    public List<String> resources() {
        List<String> out = new ArrayList<>();
        synchronized (lock) {
            for (Resource r : resources) {
                out.add(r.what);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------- IRQs

    /**
     * devm_request_irq: {@code Irqs.request(irq, handler, flags, name(), this)}, freed at detach. The handler gets this
     * device as its devId.
     *
     * @throws IllegalStateException the device is detached; the machine is closed; and as {@code Irqs.request}
     * @throws IllegalArgumentException as {@code Irqs.request}
     */
    public void requestIrq(int irq, IrqHandler handler, int flags) {
        requestIrq(irq, handler, flags, name, this);
    }

    /** devm_request_irq with the action's name and devId given ({@code Irqs.request}); freed at detach. */
    public void requestIrq(int irq, IrqHandler handler, int flags, String name, Object devId) {
        checkAttached("devm_request_irq(" + irq + ")");
        irqs().request(irq, handler, flags, name, devId);
        manage("irq " + irq + " (" + name + ")", new IrqKey(irq, devId), () -> irqs().free(irq, devId));
    }

    /**
     * devm_request_threaded_irq: {@code Irqs.requestThreaded(irq, primary, threadFn, flags, name(), this)}, freed at
     * detach (a pending thread run gets its last run first).
     *
     * @throws IllegalStateException the device is detached; the machine is closed; and as {@code Irqs.requestThreaded}
     * @throws IllegalArgumentException as {@code Irqs.requestThreaded}
     */
    public void requestThreadedIrq(int irq, IrqHandler primary, IrqHandler threadFn, int flags) {
        requestThreadedIrq(irq, primary, threadFn, flags, name, this);
    }

    /** devm_request_threaded_irq with the action's name and devId given; freed at detach. */
    public void requestThreadedIrq(int irq, IrqHandler primary, IrqHandler threadFn, int flags, String name,
                                   Object devId) {
        checkAttached("devm_request_threaded_irq(" + irq + ")");
        irqs().requestThreaded(irq, primary, threadFn, flags, name, devId);
        manage("threaded irq " + irq + " (" + name + ")", new IrqKey(irq, devId), () -> irqs().free(irq, devId));
    }

    /**
     * devm_request_any_context_irq: {@code Irqs.requestAnyContext(irq, handler, flags, name(), this)}, freed at
     * detach.
     *
     * @return where the handler runs: {@link IrqContext#THREADED} on a nested-thread line, else
     *         {@link IrqContext#HARDIRQ}
     */
    public IrqContext requestAnyContextIrq(int irq, IrqHandler handler, int flags) {
        return requestAnyContextIrq(irq, handler, flags, name, this);
    }

    /** devm_request_any_context_irq with the action's name and devId given; freed at detach. */
    public IrqContext requestAnyContextIrq(int irq, IrqHandler handler, int flags, String name, Object devId) {
        checkAttached("devm_request_any_context_irq(" + irq + ")");
        IrqContext k = irqs().requestAnyContext(irq, handler, flags, name, devId);
        manage((k == IrqContext.THREADED ? "nested irq " : "irq ") + irq + " (" + name + ")", new IrqKey(irq, devId),
                () -> irqs().free(irq, devId));
        return k;
    }

    /**
     * devm_free_irq: frees the device-managed IRQ {@code irq} requested with this device as devId now, as
     * {@code Irqs.free} does (it waits for running handlers), and forgets it: detach will not free it again.
     *
     * @return the action's name, or {@code null} if this device manages no such IRQ (reported, the kernel's WARN)
     * @throws IllegalStateException from atomic context, or from a handler of the line (it waits)
     */
    public String freeIrq(int irq) {
        return freeIrq(irq, this);
    }

    /** devm_free_irq for the IRQ requested with {@code devId}. */
    public String freeIrq(int irq, Object devId) {
        CpuContext.mightSleep("devm_free_irq(" + irq + ")");
        Resource found = null;
        int at = -1;
        synchronized (lock) {
            for (int i = 0; i < resources.size(); i++) {
                Resource r = resources.get(i);
                if (r.handle instanceof IrqKey && ((IrqKey) r.handle).matches(irq, devId)) {
                    found = resources.remove(i);
                    at = i;
                    break;
                }
            }
        }
        if (found == null) {
            LOG.log(Level.WARNING, "devm_free_irq(" + irq + "): irq " + irq + " with devId " + devId
                    + " is not managed by device " + name + " (not requested through it, freed already, or the"
                    + " device is detached)", new Throwable("caller"));
            return null;
        }
        try {
            return irqs().free(irq, devId);
        } catch (RuntimeException e) {
            // free_irq refused before it changed anything (called from the line's own handler): still ours
            synchronized (lock) {
                if (state == State.ATTACHED) {
                    resources.add(Math.min(at, resources.size()), found);
                }
            }
            throw e;
        }
    }

    // ---------------------------------------------------------------------------------------------- deferred work

    /**
     * A tasklet of this device ({@code new Tasklet(machine, fn)}), killed at detach (tasklet_kill: a scheduled run
     * runs first; a tasklet left scheduled and disabled keeps detach waiting until it is enabled, as in the kernel).
     *
     * @throws IllegalStateException the device is detached, or the machine is closed
     */
    public Tasklet tasklet(Runnable fn) {
        checkAttached("tasklet");
        Tasklet t = new Tasklet(machine, fn);
        manage("tasklet", t, t::kill);
        return t;
    }

    /**
     * A timer of this device ({@code new TimerList(machine, fn)}), deleted at detach with del_timer_sync: not pending,
     * and its callback not running, also if it re-arms itself.
     *
     * @throws IllegalStateException the device is detached, or the machine is closed
     */
    public TimerList timer(Runnable fn) {
        checkAttached("timer");
        TimerList t = new TimerList(machine, fn);
        manage("timer", t, t::deleteSync);
        return t;
    }

    /**
     * A work item of this device ({@code new Work(fn)}), cancelled at detach with cancel_work_sync
     * (devm_work_autocancel): not pending, not running, also if it re-queues itself.
     *
     * @throws IllegalStateException the device is detached, or the machine is closed
     */
    public Work work(Runnable fn) {
        checkAttached("work");
        Work w = new Work(fn);
        manage("work", w, w::cancelSync);
        return w;
    }

    /**
     * A delayed work item of this device ({@code new DelayedWork(fn)}), cancelled at detach with
     * cancel_delayed_work_sync (devm_delayed_work_autocancel): its timer deleted, the item not pending, not running.
     *
     * @throws IllegalStateException the device is detached, or the machine is closed
     */
    public DelayedWork delayedWork(Runnable fn) {
        checkAttached("delayed work");
        DelayedWork w = new DelayedWork(fn);
        manage("delayed work", w, w::cancelSync);
        return w;
    }

    /**
     * An irq_work of this device ({@code new IrqWork(machine, fn)}), synced at detach with irq_work_sync: a queued
     * item runs first (irq_work cannot be cancelled; in MANUAL mode detach steps the machine to run it).
     *
     * @throws IllegalStateException the device is detached, or the machine is closed
     */
    public IrqWork irqWork(Runnable fn) {
        checkAttached("irq_work");
        IrqWork w = new IrqWork(machine, fn);
        manage("irq_work", w, () -> syncIrqWork(w));
        return w;
    }

    /**
     * devm_add_action_or_reset: runs {@code action} at detach, in its place among the resources (after everything
     * acquired later was released). If the device is detached already, runs it at once, then throws. Allowed on a
     * closed machine (it starts no work there; a device of a closed machine still detaches).
     *
     * @throws IllegalStateException the device is detached (the action ran)
     */
    public void addAction(Runnable action) {
        Objects.requireNonNull(action, "action");
        manage("action", action, action);
    }

    // ---------------------------------------------------------------------------------------------- detach

    /**
     * Detaches the device (kernel: device_release_driver, devres_release_all): releases every resource it owns, the
     * last acquired first, each with its _sync semantics (see the class javadoc), and returns when all are released.
     * Idempotent.
     *
     * @throws IllegalStateException from atomic context (nothing is released then); and the first exception a release
     *         threw, once every resource was released (for instance cancel_work_sync called from the device's own
     *         work item)
     */
    @Override
    public void close() {
        CpuContext.mightSleep("detach of device " + name + " (devres_release_all)");
        List<Resource> todo;
        synchronized (lock) {
            if (state != State.ATTACHED) {
                awaitDetached();
                return;
            }
            state = State.DETACHING;
            todo = new ArrayList<>(resources);
            resources.clear();
        }
        RuntimeException first = null;
        try {
            for (int i = todo.size() - 1; i >= 0; i--) {
                Resource r = todo.get(i);
                try {
                    r.release.run();
                } catch (RuntimeException e) {
                    if (e instanceof IllegalStateException && lifecycle.isClosed()) {
                        LOG.log(Level.DEBUG, () -> "detach of " + name + ": " + r.what + ": " + e.getMessage()
                                + " (the machine's close report counts what never ran)");
                        continue;
                    }
                    if (first == null) {
                        first = new IllegalStateException("detach of device " + name + ": releasing " + r.what
                                + " failed: " + e.getMessage(), e);
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
        } finally {
            synchronized (lock) {
                state = State.DETACHED;
                lock.notifyAll();
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** A second close(): waits for the first to finish, unless the caller is a thread of the machine. Lock held. */
    private void awaitDetached() {
        if (cpus.isRuntimeThread()) {
            return;                       // the detach in progress may be waiting for this very thread
        }
        boolean interrupted = false;
        while (state != State.DETACHED) {
            try {
                lock.wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------------------------------------- internals

    private Irqs irqs() {
        return machine.irqs();
    }

    /** Refuses a request on a device that is not attached, or on a closed machine. */
    private void checkAttached(String what) {
        lifecycle.checkOpen(what + " for device " + name);
        if (state != State.ATTACHED) {
            throw detached(what);
        }
    }

    private IllegalStateException detached(String what) {
        return new IllegalStateException(what + ": device " + name + " is detached (" + state
                + "): a device-managed resource can be requested only while the device is attached");
    }

    /**
     * devres_add: records an acquired resource if the device is still attached; otherwise releases it at once and
     * throws (the detach took the list before it).
     */
    private void manage(String what, Object handle, Runnable release) {
        Resource r = new Resource(what, handle, release);
        synchronized (lock) {
            if (state == State.ATTACHED) {
                resources.add(r);
                return;
            }
        }
        IllegalStateException refused = detached(what);
        try {
            release.run();
        } catch (RuntimeException e) {
            refused.addSuppressed(e);
        }
        throw refused;
    }

    private void syncIrqWork(IrqWork w) {
        if (cpus.isManual() && w.isPending() && !lifecycle.isClosed()) {
            machine.runUntilIdle();       // in MANUAL mode only a stepping thread runs it: step, as tasklet_kill does
        }
        w.sync();
    }

    @Override
    public String toString() {
        return "Device[" + name + ", " + state + ", " + resources().size() + " resources]";
    }
}
