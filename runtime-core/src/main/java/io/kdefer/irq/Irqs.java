/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Access;
import io.kdefer.internal.Config;
import io.kdefer.internal.Inventory;
import io.kdefer.internal.Kernel;
import io.kdefer.irq.internal.GenIrq;

/**
 * The generic IRQ layer (kernel: genirq): one descriptor per interrupt line with its flow handler and actions;
 * request and free of handlers, threaded handlers, shared lines, disable/enable with depth, synchronize, affinity,
 * and spurious interrupt detection. genirq knows no controller: each line has a chip ({@code IrqChip}) that the
 * platform's driver provides, and an IRQ number that the driver's irq domain maps its own numbers to. On arm64 the
 * GICv3 domain maps INTID n to IRQ n, so {@code request(40, ...)}, {@code irqs.pulse(40)} and {@code gic.pulse(40)}
 * name the same line.
 *
 * <h2>Where things are (kernel/irq/...)</h2>
 * <pre>
 *   this class        the API: validates nothing itself, delegates
 *   IrqManage         manage.c      request/free, sharing, disable/enable, synchronize, affinity, thread wake
 *   IrqFlows          chip.c        the flow handlers and handle_irq_event
 *   IrqSpurious       spurious.c    "nobody cared", the poller
 *   IrqResend         resend.c      replaying a recorded edge on enable
 *   IrqThread         manage.c      irq_thread and the wake / oneshot transitions
 *   IrqThreads        -             the IRQ threads at machine close
 *   IrqMigration      cpuhotplug.c  lines leave a CPU that goes offline
 *   IrqTable          irqdesc.c     descriptors by number; the root handlers' entry (GenIrq)
 *   IrqProc           proc.c        /proc/interrupts
 *   IrqDesc           irqdesc.h     one line's state (public, read-only)
 * </pre>
 *
 * <h2>Threaded handlers (spec §4)</h2>
 * <pre>{@code
 * irqs.requestThreaded(42, null,                                // default primary: wake the thread
 *         (irq, dev) -> { readSensorOverI2c(); return IrqReturn.HANDLED; },   // task context, may block
 *         IrqFlags.TRIGGER_HIGH | IrqFlags.ONESHOT, "sensor", sensor);     // masked until the thread finished
 * }</pre>
 * A primary handler returning {@link IrqReturn#WAKE_THREAD} makes a run of its action's thread pending; wake-ups
 * coalesce while one is pending. See {@code IrqThread} (package-private) for the thread's states and the ordering
 * claims MO-TI-1..4 with their jcstress tests.
 *
 * <h2>Line states (per descriptor)</h2>
 * <pre>
 *   FREE      no action, depth 1, masked             -&gt; ENABLED   request (first action; NO_AUTOEN: DISABLED)
 *   ENABLED   depth 0                                -&gt; DISABLED  disable / disableNosync / spurious detector
 *   DISABLED  depth &gt; 0, lazily unmasked until an   -&gt; ENABLED   enable at depth 1 (a PENDING edge is resent)
 *             event arrives; then masked + PENDING
 *   any       last action freed                      -&gt; FREE      free (shut down, masked)
 * </pre>
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>The handlers of a line run one hardirq at a time system-wide; on a shared line in registration order,
 *       their results OR-ed (B-FLOW-1).</li>
 *   <li>An edge that arrives while the line is disabled or running elsewhere is recorded and replayed, never
 *       lost (B-FLOW-7, B-FLOW-8; MO-FLOW-2).</li>
 *   <li>After {@link #synchronize}/{@link #disable} return, no handler run that started before the call is still
 *       running and its stores are visible to the caller (MO-FLOW-1).</li>
 *   <li>A handler that throws is contained, counted ({@link IrqDesc#failures()}), reported once, and counted as
 *       unhandled by the spurious detector; the CPU keeps running.</li>
 *   <li>A line that keeps going unhandled (more than {@code threshold} of {@code window} interrupts, the
 *       kernel's 99 900 of 100 000) is reported ("nobody cared"), disabled, and polled if shared (B-SPUR-3/5).
 *       For a result of exactly WAKE_THREAD the verdict is deferred to the next interrupt, which counts as
 *       handled if a thread returned HANDLED in between (B-SPUR-4).</li>
 *   <li>A bogus (null) result is reported and left out of the spurious accounting altogether (the kernel's
 *       note_interrupt returns early on a bad value).</li>
 *   <li>{@link #requestThreaded} returns after the action's thread reached its loop; {@link #free} returns after the
 *       thread ran a still-pending run and exited; {@link #synchronize} and {@link #disable} also wait for thread
 *       runs (B-TI-4, B-TI-14, B-FLOW-13). {@code Machine.close()} lets every IRQ thread run its pending wake-up,
 *       stops and joins it; wake-ups that arrive after that are counted in the close report.</li>
 *   <li>On a closed machine: the requests, {@link #setAffinity} and {@link #wakeThread} throw
 *       IllegalStateException; {@link #free}, {@link #disable}, {@link #enable}, {@link #synchronize} still work
 *       and never block once the machine terminated (nothing runs any more).</li>
 *   <li>When a CPU goes offline, the lines routed to it move to another CPU and their threads follow (the
 *       kernel's fixup_irqs).</li>
 *   <li>NMI lines disable at once (masked at the chip: their flow never checks the depth); per-CPU lines (the
 *       GIC's SGIs and PPIs) refuse disable/enable, as the kernel's disable_irq refuses per-CPU-devid
 *       descriptors.</li>
 * </ul>
 */
public final class Irqs {
    /** Kernel defaults (K-SPUR): interrupts per spurious-detection window. */
    public static final int SPURIOUS_WINDOW = IrqSpurious.WINDOW;
    /** Kernel defaults (K-SPUR): unhandled interrupts per window above which a line is disabled. */
    public static final int SPURIOUS_THRESHOLD = IrqSpurious.THRESHOLD;
    /** Kernel defaults (K-SPUR): an unhandled interrupt this long after the previous one restarts the count. */
    public static final long SPURIOUS_QUIET_NANOS = IrqSpurious.QUIET_NANOS;

    static {
        Access.register(Irqs.class, Irqs::install);
    }

    private final Cpus cpus;                 // I
    private final IrqTable table;            // I
    private final IrqManage manage;          // I
    private final IrqSpurious spurious;      // I

    /** genirq's installer ({@code Access}): builds the machine's generic IRQ layer, before any platform maps lines. */
    static void install(Kernel k) {
        Config c = k.config();
        Irqs irqs = new Irqs(k.get(Cpus.class), c.spuriousWindow(), c.spuriousThreshold(), c.spuriousQuietNanos(),
                k.inventory());
        k.put(Irqs.class, irqs);
        k.put(GenIrq.class, irqs.table);
    }

    private Irqs(Cpus cpus, int spuriousWindow, int spuriousThreshold, long spuriousQuietNanos,
                 Inventory inventory) {
        this.cpus = cpus;
        this.table = new IrqTable(cpus.count());
        this.spurious = new IrqSpurious(cpus, table, spuriousWindow, spuriousThreshold, spuriousQuietNanos);
        IrqFlows flows = new IrqFlows(table, spurious, cpus);
        IrqThreads threads = new IrqThreads(table, cpus.lifecycle());
        this.manage = new IrqManage(cpus, table, new IrqResend(cpus), threads, inventory);
        table.wire(flows, manage);
        cpus.addTickHook(cpu -> spurious.poll(cpu, flows));
        cpus.addHotplugHook(new IrqMigration(table));
        cpus.lifecycle().register(threads);
    }

    /**
     * The descriptor of {@code irq}.
     *
     * @throws IllegalArgumentException -EINVAL: the platform has no such IRQ (the message says how it numbers them)
     */
    public IrqDesc desc(int irq) {
        return table.desc(irq);
    }

    /** Interrupts that arrived with no descriptor or no action (the Err row; B-GIC-8). */
    public long unexpectedInterrupts() {
        return table.unexpected();
    }

    /** Times the spurious poller ran a disabled line's handlers. */
    public long spuriousPolls() {
        return spurious.polls();
    }

    /** The {@code /proc/interrupts} view of this machine's lines and IPIs (see {@code Stats.interrupts()}). */
    public String procInterrupts() {
        return IrqProc.show(table);
    }

    // ---------------------------------------------------------------------------------------------- request

    /**
     * request_irq: installs {@code handler} on {@code irq}, a shared-peripheral line (a GIC SPI). The first action on
     * a line configures the trigger from {@code flags}, routes the line (CPU 0 until {@link #setAffinity}) and
     * enables it (unless {@link IrqFlags#NO_AUTOEN}).
     *
     * @throws IllegalArgumentException for the kernel's -EINVAL cases: no such IRQ, a per-CPU line, null handler or
     *         name, {@code SHARED} without a devId, {@code SHARED | NO_AUTOEN}, unknown flag bits, a trigger the
     *         line's controller cannot do
     * @throws IllegalStateException for -EBUSY: the line is taken and not shareable with these flags (B-TI-5)
     */
    public void request(int irq, IrqHandler handler, int flags, String name, Object devId) {
        manage.request(irq, handler, flags, name, devId);
    }

    /**
     * request_threaded_irq: installs a primary handler, run in hardirq context, and a thread function, run on the
     * action's own thread {@code irq/<irq>-<name>} in task context (it may block) whenever the primary handler
     * returns {@link IrqReturn#WAKE_THREAD} or {@link #wakeThread} is called. Wake-ups coalesce while a run is
     * pending. With {@link IrqFlags#ONESHOT} the line stays masked from the interrupt until the thread function
     * returned, which a level-triggered device that is serviced in the thread needs (B-TI-11). Returns once the
     * thread reached its loop (B-TI-4). Line setup and sharing are as for {@link #request}.
     *
     * <p>The thread is a platform thread at {@link Thread#MAX_PRIORITY}, a hint only: the JVM has no SCHED_FIFO
     * (J-TI-1). It is bound to the CPU of the line's affinity ({@code Cpu.current()} inside the thread function)
     * and follows {@link #setAffinity} before its next run.
     *
     * @param handler  the primary handler, or {@code null} for the default one, which only returns WAKE_THREAD
     *                 (then {@code flags} must include ONESHOT, B-TI-2)
     * @param threadFn the thread function, or {@code null} (then this is {@link #request})
     * @throws IllegalArgumentException the kernel's -EINVAL cases: both handlers null; a null handler without
     *         ONESHOT; those of {@link #request}
     * @throws IllegalStateException -EBUSY as for {@link #request}, or a 65th ONESHOT action on one line (B-TI-6);
     *         from atomic context; after the machine closed
     */
    public void requestThreaded(int irq, IrqHandler handler, IrqHandler threadFn, int flags, String name,
                                Object devId) {
        manage.requestThreaded(irq, handler, threadFn, flags, name, devId);
    }

    /**
     * request_percpu_irq + enable_percpu_irq on every CPU: installs the only action of a per-CPU line (a GIC SGI or
     * PPI), which then runs on whichever CPU takes the interrupt (B-FLOW-11). The runtime itself owns the lines its
     * platform uses for IPIs and the CPU timer (on the GIC: SGIs 0-7 and PPI 30).
     */
    public void requestPercpu(int irq, IrqHandler handler, String name, Object devId) {
        manage.requestPercpu(irq, handler, name, devId);
    }

    /**
     * request_nmi: installs the only handler of a line as an NMI (on the GIC a pseudo-NMI, priority 0x80). It runs in
     * NMI context and is taken at checkpoints even while the CPU has interrupts disabled. Not shared, not threaded.
     */
    public void requestNmi(int irq, IrqHandler handler, String name, Object devId) {
        manage.requestNmi(irq, handler, name, devId);
    }

    /**
     * free_irq: removes the action of {@code devId} from {@code irq}, waits until no handler of the line is
     * running (hardirq and thread runs, B-FLOW-13), stops the action's thread -- a run still pending gets one last
     * go first -- and joins it, and returns the name given at request. The last action shuts the line down.
     *
     * @return the action's name, or {@code null} if there is no such action (reported: "already-free", B-TI-14)
     * @throws IllegalStateException from atomic context, or from a handler or thread of this line (it waits)
     */
    public String free(int irq, Object devId) {
        return manage.free(irq, devId);
    }

    /**
     * Selects the flow handler of a shared-peripheral line (the default is {@link FlowHandler#FASTEOI}, as Linux's GIC
     * driver).
     */
    public void setFlowHandler(int irq, FlowHandler flow) {
        manage.setFlowHandler(irq, flow);
    }

    // ---------------------------------------------------------------------------------------------- disable/enable

    /**
     * disable_irq_nosync: increments the disable depth; the 0-to-1 transition disables the line lazily: it stays
     * unmasked at its chip until an event arrives, which the flow handler then masks and records PENDING
     * (B-FLOW-3). Does not wait. Callable from any context.
     */
    public void disableNosync(int irq) {
        manage.disableNosync(irq);
    }

    /**
     * disable_irq: {@link #disableNosync} and then {@link #synchronize}: on return no handler of the line is
     * running, hardirq or thread (B-FLOW-4).
     *
     * @throws IllegalStateException from atomic context, or from the line's own handler or thread (it would
     *         deadlock)
     * @throws IllegalArgumentException for a per-CPU line
     */
    public void disable(int irq) {
        manage.disable(irq);
    }

    /**
     * enable_irq: undoes one disable. At depth 1 the line is unmasked and a recorded PENDING edge is resent
     * through its chip (B-FLOW-5, B-FLOW-8); at depth 0 it is an "Unbalanced enable" (reported, no effect).
     */
    public void enable(int irq) {
        manage.enable(irq);
    }

    /**
     * synchronize_irq: waits until no hardirq run of the line's handlers is in progress, its chip no longer has it
     * active, and no woken thread run is unfinished (threads_active == 0) (B-FLOW-13). On return every completed
     * run's stores are visible, hardirq (MO-FLOW-1) and thread function (MO-TI-4).
     *
     * @throws IllegalStateException from atomic context, or from the line's own handler or thread (it would
     *         wait for itself)
     */
    public void synchronize(int irq) {
        manage.synchronize(irq);
    }

    /**
     * Routes a shared-peripheral line to {@code cpu} (irq_set_affinity). Takes effect at once; a run in progress on
     * the old CPU finishes there (B-GIC-11).
     */
    public void setAffinity(int irq, int cpu) {
        manage.setAffinity(irq, cpu);
    }

    /**
     * irq_wake_thread (B-TI-13): makes a run of the thread of the action of {@code devId} pending, from outside
     * its primary handler, with the same coalescing (a run already pending covers this call; the pending run
     * sees the caller's prior stores, MO-TI-2) and ONESHOT accounting as a WAKE_THREAD result. Nothing happens
     * if the line has no such action or it has no thread (as in the kernel). Callable from any context; never
     * blocks.
     *
     * @throws IllegalArgumentException for a per-CPU line
     */
    public void wakeThread(int irq, Object devId) {
        manage.wakeThread(irq, devId);
    }

    // ---------------------------------------------------------------------------------------------- device side

    /**
     * A device pulses the line of {@code irq} (an edge), whatever the platform's controller: on arm64 the same as
     * {@code gic.pulse(irq)}.
     *
     * @throws IllegalArgumentException no such IRQ, or a line no device drives (an SGI)
     * @throws IllegalStateException    a level-triggered line on a controller that would lose the pulse (the GIC);
     *                                  from outside the machine after it closed
     */
    public void pulse(int irq) {
        IrqDesc d = table.desc(irq);
        refuseIfClosed("pulse(" + irq + ")");
        d.chip().pulse(d.data);
    }

    /**
     * A device drives the line of {@code irq} high (asserted) or low: a level-triggered interrupt is pending while
     * the line is high.
     *
     * @throws IllegalArgumentException no such IRQ, or a line no device drives
     * @throws IllegalStateException    from outside the machine after it closed
     */
    public void setLevel(int irq, boolean high) {
        IrqDesc d = table.desc(irq);
        if (high) {
            refuseIfClosed("setLevel(" + irq + ", true)");
        }
        d.chip().setLevel(d.data, high);
    }

    private void refuseIfClosed(String what) {
        if (cpus.refusesNewWork()) {
            throw cpus.lifecycle().closedException(what);
        }
    }
}
