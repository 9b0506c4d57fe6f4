/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.CpuContext;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Access;
import io.kdefer.internal.Config;
import io.kdefer.internal.Inventory;
import io.kdefer.internal.Kernel;
import io.kdefer.irq.internal.GenIrq;
import io.kdefer.irq.internal.IrqOptions;

import java.util.BitSet;

import java.util.Objects;

/**
 * The generic IRQ layer (kernel: genirq): one descriptor per interrupt line with its flow handler and actions;
 * request and free of handlers, threaded handlers, shared lines, disable/enable with depth, synchronize, affinity,
 * and spurious interrupt detection. genirq knows no controller: each line has a chip ({@code IrqChip}) that the
 * platform's driver provides, and an IRQ number that the driver's irq domain maps its own numbers to. On arm64 the
 * GICv3 domain maps INTID n to IRQ n, so {@code request(40, ...)}, {@code irqs.pulse(40)} and {@code gic.pulse(40)}
 * name the same line. On x86 ({@code Platform.X86_APIC}) IRQs 0-15 are the ISA lines (IRQ 0 on IO-APIC pin 2),
 * 16-23 the PCI lines (IO-APIC GSIs) and MSI IRQs come from {@link #allocMsi}; on {@code Platform.X86_LEGACY_PIC}
 * IRQs 0-15 are the 8259A's lines.
 *
 * <h2>MSI (x86)</h2>
 * <pre>{@code
 * int irq = irqs.allocMsi("nic0");                  // pci_alloc_irq_vectors + pci_irq_vector: a vector, a message
 * irqs.request(irq, handler, 0, "nic0", nic);       // PCI-MSI-edge, handle_edge_irq
 * irqs.pulse(irq);                                  // the device writes its message
 * irqs.free(irq, nic); irqs.freeMsi(irq);           // pci_free_irq_vectors
 * }</pre>
 *
 * <h2>Where things are (kernel/irq/...)</h2>
 * <pre>
 *   this class        the API: validates nothing itself, delegates
 *   IrqManage         manage.c      request/free, sharing, disable/enable, synchronize, affinity, thread wake
 *   IrqFlows          chip.c        the flow handlers, handle_irq_event, handle_nested_irq
 *   IrqSpurious       spurious.c    "nobody cared", the poller
 *   IrqResend         resend.c      replaying a recorded edge on enable
 *   IrqThread         manage.c      irq_thread and the wake / oneshot transitions
 *   IrqThreads        -             the IRQ threads at machine close
 *   IrqMigration      cpuhotplug.c  lines leave a CPU that goes offline, within their affinity mask
 *   IrqBalance        -             the optional IRQ balancer (irqbalance's job, done in genirq)
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
 *   <li>Affinity is a CPU mask (B-FLOW-14): {@link #setAffinity(int, BitSet)} keeps it, the line's controller
 *       delivers the line to one online CPU of it ({@link #effectiveAffinity}); {@link #procAffinity} shows both.
 *       When a CPU goes offline, the lines routed to it move to another online CPU of their mask (or, with none
 *       left, of all: broken affinity) and their threads follow (the kernel's fixup_irqs).</li>
 *   <li>With {@code MachineConfig.irqBalanceInterval} set, a balancer moves busy lines off the busiest CPU within
 *       their masks, never a NOBALANCING or per-CPU line (B-FLOW-15).</li>
 *   <li>With {@code MachineConfig.forceThreadedIrqs} (the kernel's threadirqs), every handler without
 *       {@link IrqFlags#NO_THREAD}, ONESHOT or PERCPU runs in its IRQ thread with BH and IRQs disabled; the line is
 *       ONESHOT; a primary with a thread function gets a secondary thread for it (B-TI-12). NMI, per-CPU and
 *       nested lines are never forced.</li>
 *   <li>Nested-thread lines ({@link #setNestedThread}) are delivered by a parent's thread with
 *       {@link #handleNestedIrq}; {@link #requestAnyContext} requests a handler in whichever context the line
 *       delivers (B-TI-16).</li>
 *   <li>NMI lines disable at once (masked at the chip: their flow never checks the depth); per-CPU lines (the
 *       GIC's SGIs and PPIs) refuse disable/enable, as the kernel's disable_irq refuses per-CPU-devid
 *       descriptors.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * <pre>
 *   CPU a: handler of line L: x = 1           caller: irqs.disable(L); r = x
 *   Forbids: r == 0 for a handler run that started before disable (the flow sets INPROGRESS under the descriptor
 *            lock, disable sets DISABLED under it and waits for INPROGRESS clear)
 *                                                       (MO-FLOW-1, Irqs_01_DisableWaitsForHandler)
 *   (L disabled) device: x = 1; edge on L; irqs.enable(L)      CPU: the flow records the edge (PENDING) or runs it
 *   Forbids: the edge lost (neither run nor replayed after enable); a run that reads x == 0
 *                                                       (MO-FLOW-2, Irqs_02_EnableReplaysPendingEdge)
 * </pre>
 * Thread functions: MO-TI-1..4 in {@code IrqThread}.
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
    private final IrqFlows flows;            // I
    private final IrqBalance balance;        // I: null unless the machine balances IRQs

    /** genirq's installer ({@code Access}): builds the machine's generic IRQ layer, before any platform maps lines. */
    static void install(Kernel k) {
        Config c = k.config();
        Irqs irqs = new Irqs(k.get(Cpus.class), c.spuriousWindow(), c.spuriousThreshold(), c.spuriousQuietNanos(),
                k.getOrDefault(IrqOptions.class, IrqOptions.DEFAULTS), k.inventory());
        k.put(Irqs.class, irqs);
        k.put(GenIrq.class, irqs.table);
    }

    private Irqs(Cpus cpus, int spuriousWindow, int spuriousThreshold, long spuriousQuietNanos, IrqOptions options,
                 Inventory inventory) {
        this.cpus = cpus;
        this.table = new IrqTable(cpus.count());
        this.spurious = new IrqSpurious(cpus, table, spuriousWindow, spuriousThreshold, spuriousQuietNanos);
        IrqFlows flows = new IrqFlows(table, spurious, cpus);
        this.flows = flows;
        IrqThreads threads = new IrqThreads(table, cpus.lifecycle());
        this.manage = new IrqManage(cpus, table, new IrqResend(cpus), threads, options.forceThreading(), inventory);
        table.wire(flows, manage);
        cpus.addTickHook(cpu -> spurious.poll(cpu, flows));
        cpus.addHotplugHook(new IrqMigration(table, cpus));
        cpus.lifecycle().register(threads);
        if (options.balanceIntervalNanos() > 0) {
            this.balance = new IrqBalance(cpus, table, options.balanceIntervalNanos());
            cpus.addTickHook(balance::tick);
        } else {
            this.balance = null;
        }
    }

    /**
     * The descriptor of {@code irq}.
     *
     * @throws IllegalArgumentException -EINVAL: the platform has no such IRQ (the message says how it numbers them)
     */
    public IrqDesc desc(int irq) {
        return table.desc(irq);
    }

    /**
     * Interrupts that arrived with no descriptor or no action (the Err row; B-GIC-8). On x86 this is the ERR row,
     * which also counts the platform's error interrupts: APIC errors, spurious 8259A interrupts, vectors with no
     * handler.
     */
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
     * request_any_context_irq (B-TI-16): requests {@code handler} where the line delivers its interrupts. On a
     * nested-thread line ({@link #setNestedThread}), whose parent's IRQ thread delivers it with
     * {@link #handleNestedIrq}, the handler becomes a thread function run in that thread, in task context (it may
     * sleep), and the result is {@link IrqContext#THREADED}; on any other line it is an ordinary primary handler, run
     * in hardirq context, and the result is {@link IrqContext#HARDIRQ} (with forced threading it then runs in its IRQ
     * thread all the same, with BH and IRQs disabled: it still must not sleep, as the result says). A driver whose
     * device sits behind an I2C or GPIO expander on some boards and on an SoC line on others calls this and lets the
     * result tell it whether its handler may sleep.
     *
     * @throws IllegalArgumentException and {@link IllegalStateException} as {@link #request} or
     *                                  {@link #requestThreaded}
     */
    public IrqContext requestAnyContext(int irq, IrqHandler handler, int flags, String name, Object devId) {
        return manage.requestAnyContext(irq, handler, flags, name, devId);
    }

    /**
     * irq_set_nested_thread (B-TI-16): marks {@code irq} as a nested-thread line, or unmarks it. Such a line belongs
     * to a device behind a slow-bus interrupt expander (an I2C GPIO expander): no controller delivers it in hardirq
     * context; the expander's driver reads the expander's status in its own threaded handler (it may sleep on the
     * bus) and delivers each pending source with {@link #handleNestedIrq}. Its handlers are thread functions run in
     * that parent thread; it gets no IRQ thread of its own, and a primary handler given for it is never called. The
     * expander's driver marks the line when it maps it, before any device requests it. In this runtime any
     * shared-peripheral line may be marked (on arm64: a GIC SPI that, once nested, no device raises at the GIC; a
     * pulse there reaches only the "Primary handler called for nested irq" report). An edge recorded while the line
     * is disabled is not replayed at enable (the kernel replays it through the parent, irq_set_parent, which is not
     * modelled).
     *
     * @throws IllegalArgumentException for a per-CPU line
     * @throws IllegalStateException    -EBUSY while the line has actions
     */
    public void setNestedThread(int irq, boolean nested) {
        manage.setNestedThread(irq, nested);
    }

    /**
     * handle_nested_irq (B-TI-16): delivers one interrupt of the nested-thread line {@code irq} on the calling
     * thread, normally the parent interrupt's thread function: runs the line's handlers in order, in the caller's
     * task context, counted on the caller's CPU; {@link #synchronize} and {@link #free} wait for such a run as for a
     * thread run. A disabled line, or one without an action, records the interrupt as pending and runs nothing.
     * Handlers that throw are contained and counted as unhandled.
     *
     * @throws IllegalArgumentException if {@code irq} is not a nested-thread line
     * @throws IllegalStateException    in atomic context (it runs handlers that may sleep)
     */
    public void handleNestedIrq(int irq) {
        IrqDesc d = table.desc(irq);
        if (!d.nestedThread) {
            throw new IllegalArgumentException("-EINVAL: handle_nested_irq(" + irq + "): irq " + irq
                    + " is not a nested-thread line (setNestedThread)");
        }
        flows.handleNested(d);
    }

    /** Whether this machine forces handlers into threads ({@code MachineConfig.forceThreadedIrqs}, B-TI-12). */
    public boolean forcesThreading() {
        return manage.forceThreading();
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
     * Routes a shared-peripheral line to {@code cpu} alone (irq_set_affinity with a one-CPU mask): the mask becomes
     * {cpu}. Takes effect at once; a run in progress on the old CPU finishes there (B-GIC-11).
     *
     * @throws IllegalArgumentException -EINVAL: no such CPU, or it is not online; a per-CPU line
     * @throws IllegalStateException    on a closed machine
     */
    public void setAffinity(int irq, int cpu) {
        manage.setAffinity(irq, cpu);
    }

    /**
     * irq_set_affinity (B-FLOW-14): the line may be delivered to any CPU of {@code cpus} (its smp_affinity, kept as
     * given, offline CPUs included); it is delivered to the one CPU of them that its controller chooses among the
     * online ones (its effective affinity: on the GICv3, which routes an SPI to one PE, the first online CPU of the
     * mask). When that CPU goes offline the line moves to another online CPU of the mask, or, if the mask has none,
     * to any online CPU, and the mask becomes every online CPU (the kernel's broken affinity). The optional balancer
     * moves a line only within its mask. {@code cpus} is copied.
     *
     * @throws IllegalArgumentException -EINVAL: an empty mask, a CPU the machine does not have, no online CPU in the
     *                                  mask, a per-CPU line
     * @throws IllegalStateException    on a closed machine
     */
    public void setAffinity(int irq, BitSet cpus) {
        manage.setAffinity(irq, cpus);
    }

    /**
     * The CPUs {@code irq} may be delivered to (kernel: /proc/irq/N/smp_affinity): every CPU until
     * {@link #setAffinity} narrowed it; every CPU for a per-CPU line. A copy.
     */
    public BitSet affinity(int irq) {
        return table.desc(irq).affinityMask();
    }

    /**
     * The CPUs {@code irq} is delivered to (kernel: /proc/irq/N/effective_affinity): one CPU of its
     * {@link #affinity} for a shared-peripheral line; every CPU for a per-CPU line. A copy.
     */
    public BitSet effectiveAffinity(int irq) {
        return table.desc(irq).effectiveAffinity();
    }

    /**
     * The affinity view of every line with an action (kernel: the files of /proc/irq/N/): {@code smp_affinity} as
     * the kernel prints it (hex, 32-bit groups separated by commas), {@code smp_affinity_list} and
     * {@code effective_affinity_list} in the cpulist format ("0-2,5"), whether the balancer may move it, and its
     * actions. Per-CPU lines are listed with every CPU and "per-CPU".
     */
    public String procAffinity() {
        return IrqProc.showAffinity(table, balance);
    }

    /** Lines the IRQ balancer moved so far (0 when the machine does not balance IRQs). */
    public long balancerMoves() {
        return balance == null ? 0 : balance.moves();
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
     * {@code gic.pulse(irq)}; on x86 an ISA line's edge reaches the 8259A and its IO-APIC pin, a PCI line is
     * asserted and released, and an MSI device writes its programmed message.
     *
     * @throws IllegalArgumentException no such IRQ, or a line no device drives (an SGI, the 8259A cascade IRQ 2)
     * @throws IllegalStateException    a level-triggered line on a controller that would lose the pulse (the GIC,
     *                                  the 8259A with the line level-triggered in its ELCR); an MSI IRQ given back
     *                                  with {@link #freeMsi}; from outside the machine after it closed
     */
    public void pulse(int irq) {
        IrqDesc d = table.desc(irq);
        if (cpus.refusesNewWork()) {                                  // no message built on the hot path
            throw cpus.lifecycle().closedException("pulse(" + irq + ")");
        }
        d.chip().pulse(d.data);
    }

    /**
     * A device drives the line of {@code irq} high (asserted) or low: a level-triggered interrupt is pending while
     * the line is asserted. "High" is the device's asserted state whatever the wire's polarity (an x86 PCI line is
     * active low: asserted drives it electrically low).
     *
     * @throws IllegalArgumentException no such IRQ, or a line no device drives (an MSI has no line)
     * @throws IllegalStateException    from outside the machine after it closed
     */
    public void setLevel(int irq, boolean high) {
        IrqDesc d = table.desc(irq);
        if (high && cpus.refusesNewWork()) {
            throw cpus.lifecycle().closedException("setLevel(" + irq + ", true)");
        }
        d.chip().setLevel(d.data, high);
    }

    // ---------------------------------------------------------------------------------------------- MSI

    /**
     * Creates an MSI-backed IRQ for {@code device} (kernel: {@code pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_MSI)}
     * then {@code pci_irq_vector(dev, 0)}): the platform allocates a vector for it (on CPU 0, genirq's default
     * affinity) and programs the device's message with it. The IRQ is then requested like any other line (edge only:
     * an MSI is a message); the device sends its message with {@link #pulse}. Call it once per vector a device needs
     * (MSI-X style: each IRQ has its own vector). Task context.
     *
     * @param device the device's name, for reports ("MSI 0 (nic0)")
     * @return the new IRQ number
     * @throws UnsupportedOperationException -ENOTSUPP: the platform has no MSI controller (ARM64_GICV3: the ITS is
     *         not modelled)
     * @throws IllegalStateException -ENOSPC: no vector free on CPU 0; from atomic context; after the machine closed
     */
    public int allocMsi(String device) {
        Objects.requireNonNull(device, "device");
        CpuContext.mightSleep("pci_alloc_irq_vectors");
        cpus.lifecycle().checkOpen("pci_alloc_irq_vectors(" + device + ")");
        GenIrq.MsiParent p = table.msiParent();
        if (p == null) {
            throw new UnsupportedOperationException("-ENOTSUPP: pci_alloc_irq_vectors(" + device + "): this machine's"
                    + " interrupt controller has no MSI support (the GICv3 ITS is not modelled); MSIs exist on the"
                    + " X86_APIC and X86_LEGACY_PIC platforms");
        }
        return p.alloc(device);
    }

    /**
     * Gives back the vector of MSI IRQ {@code irq} (kernel: {@code pci_free_irq_vectors}). A late message the device
     * still had in flight is swallowed once. The IRQ can no longer be requested until {@link #allocMsi} hands it out
     * again. Task context.
     *
     * @throws IllegalArgumentException -EINVAL: {@code irq} is not an allocated MSI IRQ
     * @throws IllegalStateException -EBUSY: the IRQ still has an action ({@link #free} it first); from atomic context
     * @throws UnsupportedOperationException -ENOTSUPP: the platform has no MSI controller
     */
    public void freeMsi(int irq) {
        CpuContext.mightSleep("pci_free_irq_vectors");
        GenIrq.MsiParent p = table.msiParent();
        if (p == null) {
            throw new UnsupportedOperationException("-ENOTSUPP: pci_free_irq_vectors(" + irq + "): this machine's"
                    + " interrupt controller has no MSI support");
        }
        IrqDesc d = table.desc(irq);
        if (d.hasAction()) {
            throw new IllegalStateException("-EBUSY: pci_free_irq_vectors(" + irq + "): the IRQ still has actions "
                    + d.names() + "; free_irq them first");
        }
        p.free(irq);
    }
}
