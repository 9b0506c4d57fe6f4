/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.internal.Handles;
import io.kdefer.irq.internal.GenIrq;
import io.kdefer.irq.internal.IrqChip;
import io.kdefer.irq.internal.IrqData;
import io.kdefer.irq.internal.IrqDomain;
import io.kdefer.irq.internal.PercpuHandler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The machine's IRQ descriptors by number, and the entry from a controller's root handler into them (kernel:
 * kernel/irq/irqdesc.c with the mapping half of irqdomain.c). The platform's interrupt controller driver creates one
 * descriptor per line it has ({@link #map}); genirq's other parts look descriptors up here.
 */
final class IrqTable implements GenIrq {
    /* Implementation notes
     *
     * descs is written by map() (boot, or a later mapping under the platform's own serialisation) before the
     * domain's release store of the mapping; a root handler finds the IRQ through the domain's acquire load, so it
     * sees the descriptor. API callers read descs plainly: a mapping made concurrently with their call may be missed,
     * which is "no such IRQ" at that instant. mapped is the snapshot of the descriptors in IRQ order for the walks
     * (close, hotplug, the spurious poller, /proc): map() only drops it, and the first walk afterwards rebuilds it
     * from descs under the same lock. (Re-sorting a copy on every map() made a platform's boot quadratic: mapping
     * the GICv3's 1020 INTIDs took about 1.5 ms, the bulk of a machine's boot and of every jcstress sample that
     * installs the platform.)
     */
    private final int cpuCount;                                      // I
    private final IrqDesc[] descs = new IrqDesc[MAX_IRQS];          // I after map (see implementation notes)
    private volatile IrqDesc[] mapped = new IrqDesc[0];              // A: IRQ order; null after a map (rebuilt)
    private final List<ProcRows> procRows = new CopyOnWriteArrayList<>();
    private volatile Numbering numbering = irq -> "-EINVAL: no IRQ " + irq + " on this machine";
    private volatile boolean errRowByPlatform;                       // I after boot
    private volatile MsiParent msiParent;                            // I after boot; null: no MSI controller
    private volatile long unexpected;                                // A: through UNEXPECTED
    private IrqFlows flows;                                          // I after boot
    private IrqManage manage;                                        // I after boot

    private static final VarHandle UNEXPECTED = Handles.field(MethodHandles.lookup(), IrqTable.class, "unexpected",
            long.class);

    IrqTable(int cpuCount) {
        this.cpuCount = cpuCount;
    }

    void wire(IrqFlows flows, IrqManage manage) {
        this.flows = Objects.requireNonNull(flows, "flows");
        this.manage = Objects.requireNonNull(manage, "manage");
    }

    // ---------------------------------------------------------------------------------------------- GenIrq

    @Override
    public synchronized IrqData map(IrqDomain domain, int hwirq, int irq, IrqChip chip, Object chipData,
                                    boolean percpu, boolean hidden) {
        if (irq < 0 || irq >= MAX_IRQS) {
            throw new IllegalArgumentException("IRQ " + irq + " is outside 0.." + (MAX_IRQS - 1));
        }
        if (descs[irq] != null) {
            throw new IllegalArgumentException("IRQ " + irq + " is already mapped: " + descs[irq].data);
        }
        IrqData data = new IrqData(irq, hwirq, chip, domain, chipData, percpu);
        FlowHandler flow = percpu ? FlowHandler.PERCPU_DEVID : chip.flowForType(data, chip.type(data));
        IrqDesc d = new IrqDesc(data, cpuCount, flow != null ? flow : FlowHandler.FASTEOI, hidden);
        descs[irq] = d;
        mapped = null;
        domain.associate(hwirq, irq);                    // release: publishes the descriptor to root handlers
        return data;
    }

    @Override
    public IrqData data(int irq) {
        IrqDesc d = irq >= 0 && irq < MAX_IRQS ? descs[irq] : null;
        return d == null ? null : d.data;
    }

    @Override
    public boolean handleDomainIrq(Cpu cpu, IrqDomain domain, int hwirq) {
        int irq = domain.find(hwirq);
        if (irq == IrqDomain.NO_IRQ) {
            noteBad();
            return false;
        }
        flows.handle(cpu, descs[irq]);
        return true;
    }

    @Override
    public void requestPercpu(int irq, PercpuHandler handler, String name) {
        manage.requestPercpu(irq, handler, name);
    }

    @Override
    public void setNumbering(Numbering n) {
        numbering = Objects.requireNonNull(n, "numbering");
    }

    @Override
    public void addProcRows(ProcRows rows) {
        procRows.add(Objects.requireNonNull(rows, "rows"));
    }

    @Override
    public long errCount() {
        return unexpected;
    }

    @Override
    public void noteError() {
        noteBad();
    }

    @Override
    public void leaveErrRowToPlatform() {
        errRowByPlatform = true;
    }

    @Override
    public void setMsiParent(MsiParent parent) {
        if (msiParent != null) {
            throw new IllegalStateException("the MSI parent domain is already set");
        }
        msiParent = Objects.requireNonNull(parent, "parent");
    }

    /** The platform's MSI parent domain, or null. */
    MsiParent msiParent() {
        return msiParent;
    }

    /** Whether /proc/interrupts ends with genirq's own Err row (false: the platform prints its error rows). */
    boolean showsErrRow() {
        return !errRowByPlatform;
    }

    // ---------------------------------------------------------------------------------------------- lookups

    /**
     * The descriptor of {@code irq} (irq_to_desc).
     *
     * @throws IllegalArgumentException the kernel's -EINVAL: no such IRQ on this machine (naming its numbering)
     */
    IrqDesc desc(int irq) {
        IrqDesc d = irq >= 0 && irq < MAX_IRQS ? descs[irq] : null;
        if (d == null) {
            throw new IllegalArgumentException(numbering.whyNot(irq));
        }
        return d;
    }

    /** Every descriptor, in IRQ order (a snapshot). */
    IrqDesc[] all() {
        IrqDesc[] m = mapped;
        return m != null ? m : snapshot();
    }

    private synchronized IrqDesc[] snapshot() {
        IrqDesc[] m = mapped;
        if (m == null) {
            int n = 0;
            for (IrqDesc d : descs) {
                if (d != null) {
                    n++;
                }
            }
            m = new IrqDesc[n];
            int i = 0;
            for (IrqDesc d : descs) {
                if (d != null) {
                    m[i++] = d;
                }
            }
            mapped = m;
        }
        return m;
    }

    List<ProcRows> procRows() {
        return procRows;
    }

    int cpuCount() {
        return cpuCount;
    }

    /** An interrupt with no descriptor or no action (kernel: ack_bad_irq's irq_err_count), or a platform error. */
    void noteBad() {
        UNEXPECTED.getAndAdd(this, 1L);
    }

    long unexpected() {
        return unexpected;
    }
}
