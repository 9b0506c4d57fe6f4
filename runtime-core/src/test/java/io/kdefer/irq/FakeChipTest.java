/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.irq;

import io.kdefer.cpu.Cpu;
import io.kdefer.cpu.IdlePolicy;
import io.kdefer.cpu.internal.Arch;
import io.kdefer.cpu.internal.Cpus;
import io.kdefer.internal.Access;
import io.kdefer.internal.Config;
import io.kdefer.internal.Kernel;
import io.kdefer.irq.internal.GenIrq;
import io.kdefer.irq.internal.IrqChip;
import io.kdefer.irq.internal.IrqData;
import io.kdefer.irq.internal.IrqDomain;
import io.kdefer.irq.internal.IrqOptions;
import io.kdefer.softirq.Softirqs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The genirq seam: the flow handlers and line management driven through a small fake controller, with no GIC in the
 * machine. genirq knows a line only by its chip and its irq domain: here a controller whose hwirq 3 is IRQ 100
 * (not an identity mapping), and whose chip records every operation genirq asks of it.
 *
 * <p>The fake controller is a minimal interrupt controller: a line is pending (an edge, or a level while high),
 * enabled or masked, and active from acknowledge to ack/eoi; its root handler (the fake platform's {@link Arch})
 * hands an acknowledged hwirq to genirq, exactly as the GICv3 driver does.
 */
@DisplayName("genirq on a fake chip: the IrqChip / irq-domain seam without a GIC")
class FakeChipTest {
    private static final int HWIRQ = 3;
    private static final int IRQ = 100;

    private Kernel kernel;
    private Cpu cpu;
    private Irqs irqs;
    private FakeController hw;

    @BeforeEach
    void boot() {
        kernel = new Kernel(new Config("fake-chip", 1, true, 1000, IdlePolicy.PARK.ordinal(), 10, 2_000_000, 0,
                100_000, 99_900, 100_000_000, "fake"));
        Access.install(Cpu.class, kernel);
        Access.install(Softirqs.class, kernel);
        Access.install(Irqs.class, kernel);
        Cpus cpus = kernel.get(Cpus.class);
        hw = new FakeController(kernel.get(GenIrq.class), cpus);
        cpus.setArch(hw);
        cpu = cpus.cpu(0);
        irqs = kernel.get(Irqs.class);
        hw.ops.clear();
    }

    private static final IrqHandler HANDLED = (irq, dev) -> IrqReturn.HANDLED;

    @Test
    @DisplayName("request configures the line through the chip: masked, typed, routed, then unmasked")
    void requestGoesThroughTheChip() {
        irqs.request(IRQ, HANDLED, IrqFlags.TRIGGER_RISING, "dev", null);
        assertEquals(List.of("mask 3", "setType 3 1", "teardownNmi 3", "setAffinity 3 cpu/0", "unmask 3"), hw.ops);
        IrqDesc d = irqs.desc(IRQ);
        assertEquals(HWIRQ, d.hwirq());
        assertEquals("FAKE", d.chipName());
        assertEquals(IrqFlags.TRIGGER_RISING, d.triggerType());
    }

    @Test
    @DisplayName("the chip chooses the effective CPU of a mask; genirq routes there and refuses a choice outside it")
    void theChipChoosesTheEffectiveCpu() {
        Kernel k = new Kernel(new Config("fake-chip-3", 3, true, 1000, IdlePolicy.PARK.ordinal(), 10, 2_000_000, 0,
                100_000, 99_900, 100_000_000, "fake"));
        Access.install(Cpu.class, k);
        Access.install(Softirqs.class, k);
        Access.install(Irqs.class, k);
        Cpus cpus3 = k.get(Cpus.class);
        FakeController hw3 = new FakeController(k.get(GenIrq.class), cpus3);
        cpus3.setArch(hw3);
        Irqs irqs3 = k.get(Irqs.class);
        java.util.BitSet all = new java.util.BitSet();
        all.set(0, 3);
        hw3.pickLast = true;                      // a chip with its own rule (x86's vector allocator has one)
        irqs3.setAffinity(IRQ, all);
        assertEquals(2, irqs3.desc(IRQ).affinity());
        assertTrue(hw3.ops.contains("setAffinity 3 cpu/2"), hw3.ops.toString());
        hw3.badPick = 7;
        java.util.BitSet two = new java.util.BitSet();
        two.set(0, 2);
        String msg = assertThrows(IllegalStateException.class, () -> irqs3.setAffinity(IRQ, two)).getMessage();
        assertEquals("FAKE chose cpu 7 for irq 100, which is not an online CPU of its mask 0-1 (online: 0-2)", msg);
        assertEquals(all, irqs3.affinity(IRQ), "nothing changed");
        assertEquals(2, irqs3.desc(IRQ).affinity());
    }

    @Test
    @DisplayName("a chip that refuses a CPU (x86: -ENOSPC) changes nothing: setAffinity throws, the balancer skips")
    void aChipThatRefusesACpuChangesNothing() {
        Kernel k = new Kernel(new Config("fake-chip-2", 2, true, 1000, IdlePolicy.PARK.ordinal(), 10, 2_000_000, 0,
                100_000, 99_900, 100_000_000, "fake"));
        k.put(IrqOptions.class, new IrqOptions(false, 10_000_000));     // the balancer looks every 10 ms
        Access.install(Cpu.class, k);
        Access.install(Softirqs.class, k);
        Access.install(Irqs.class, k);
        Cpus cpus2 = k.get(Cpus.class);
        FakeController hw2 = new FakeController(k.get(GenIrq.class), cpus2);
        cpus2.setArch(hw2);
        Irqs irqs2 = k.get(Irqs.class);
        Cpu c0 = cpus2.cpu(0);
        irqs2.request(IRQ, HANDLED, IrqFlags.TRIGGER_RISING, "a", null);
        irqs2.request(IRQ + 1, HANDLED, IrqFlags.TRIGGER_RISING, "b", null);
        java.util.BitSet both = new java.util.BitSet();
        both.set(0, 2);
        java.util.BitSet one = new java.util.BitSet();
        one.set(1);
        java.util.BitSet zero = new java.util.BitSet();
        zero.set(0);
        assertEquals(both, irqs2.affinity(IRQ));
        hw2.refuseCpu = 1;
        String msg = assertThrows(IllegalStateException.class, () -> irqs2.setAffinity(IRQ, one)).getMessage();
        assertEquals("-ENOSPC: no vector free on cpu/1", msg);
        assertEquals(both, irqs2.affinity(IRQ), "the mask is not recorded when the chip refuses");
        assertEquals(zero, irqs2.effectiveAffinity(IRQ));
        assertThrows(IllegalStateException.class, () -> irqs2.setAffinity(IRQ, 1));
        assertEquals(both, irqs2.affinity(IRQ));
        assertEquals(zero, irqs2.effectiveAffinity(IRQ));

        Runnable load = () -> {                 // cpu/0: 10 interrupts of IRQ, 5 of IRQ + 1; cpu/1: none
            for (int i = 0; i < 15; i++) {
                irqs2.pulse(i < 10 ? IRQ : IRQ + 1);
                c0.runPending();
            }
        };
        load.run();
        cpus2.advance(10_000_000);
        cpus2.tick(c0);                         // the balancer's look: IRQ would move, the chip refuses cpu/1
        assertEquals(0, irqs2.balancerMoves());
        assertEquals(zero, irqs2.effectiveAffinity(IRQ), "the line stays where it was");
        hw2.refuseCpu = -1;
        load.run();
        cpus2.advance(10_000_000);
        cpus2.tick(c0);                         // the same look with a chip that takes it: the line moves
        assertEquals(1, irqs2.balancerMoves());
        assertEquals(one, irqs2.effectiveAffinity(IRQ));
    }

    @Test
    @DisplayName("a type the chip refuses is -EINVAL with the chip's reason, and nothing was touched")
    void aTypeTheChipRefusesLeavesNothingBehind() {
        String msg = assertThrows(IllegalArgumentException.class,
                () -> irqs.request(IRQ, HANDLED, IrqFlags.TRIGGER_LOW, "dev", null)).getMessage();
        assertTrue(msg.startsWith("-EINVAL") && msg.contains("the fake takes edges and high levels"), msg);
        assertEquals(List.of(), hw.ops);
        assertFalse(irqs.desc(IRQ).hasAction());
    }

    @Test
    @DisplayName("fasteoi: the handler runs in hardirq context on the CPU that took it; one eoi at the end")
    void fasteoiRunsTheHandlerAndEois() {
        List<String> seen = new ArrayList<>();
        irqs.request(IRQ, (irq, dev) -> {
            seen.add(irq + " " + Cpu.current() + " hardirq=" + Cpu.current().context().inHardirq());
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        hw.ops.clear();
        irqs.pulse(IRQ);
        cpu.runPending();
        assertEquals(List.of("100 cpu/0 hardirq=true"), seen);
        assertEquals(List.of("pulse 3", "eoi 3"), hw.ops);
        assertEquals(1, irqs.desc(IRQ).count(0));
    }

    @Test
    @DisplayName("edge flow, line disabled: the edge is masked and recorded; enable resends it through the chip")
    void aDisabledEdgeIsReplayedThroughRetrigger() {
        List<Integer> runs = new ArrayList<>();
        irqs.setFlowHandler(IRQ, FlowHandler.EDGE);
        irqs.request(IRQ, (irq, dev) -> {
            runs.add(irq);
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "dev", null);
        irqs.disableNosync(IRQ);
        hw.ops.clear();
        irqs.pulse(IRQ);
        cpu.runPending();
        assertEquals(List.of(), runs, "disabled: the handler does not run");
        assertEquals(List.of("pulse 3", "mask 3", "ack 3"), hw.ops, "mask_ack_irq, lazily on the first event");
        assertTrue(irqs.desc(IRQ).isPending());
        hw.ops.clear();
        irqs.enable(IRQ);
        assertEquals(List.of("unmask 3", "retrigger 3 cpu/0"), hw.ops, "check_irq_resend through the chip");
        cpu.runPending();
        assertEquals(List.of(IRQ), runs, "the recorded edge ran once");
    }

    @Test
    @DisplayName("level flow: mask and ack before the handler, unmask after it")
    void levelMasksAcksAndUnmasks() {
        List<Integer> runs = new ArrayList<>();
        irqs.setFlowHandler(IRQ, FlowHandler.LEVEL);
        irqs.request(IRQ, (irq, dev) -> {
            runs.add(irq);
            irqs.setLevel(IRQ, false);                 // the handler services the device: its line drops
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_HIGH, "dev", null);
        hw.ops.clear();
        irqs.setLevel(IRQ, true);
        cpu.runPending();
        assertEquals(List.of(IRQ), runs);
        assertEquals(List.of("level 3 true", "mask 3", "ack 3", "level 3 false", "unmask 3"), hw.ops);
        assertFalse(irqs.desc(IRQ).isMasked());
    }

    @Test
    @DisplayName("/proc/interrupts shows the fake chip's name, its hwirq and the IRQ number")
    void procShowsTheChip() {
        irqs.request(IRQ, HANDLED, IrqFlags.TRIGGER_RISING, "dev", null);
        irqs.pulse(IRQ);
        cpu.runPending();
        String row = irqs.procInterrupts().lines().filter(l -> l.trim().startsWith(IRQ + ":")).findFirst()
                .orElseThrow();
        assertTrue(row.contains("FAKE") && row.contains(" 3 ") && row.contains("Edge") && row.contains("dev"), row);
    }

    @Test
    @DisplayName("an IRQ number with no descriptor is -EINVAL in the platform's words")
    void unknownIrq() {
        String msg = assertThrows(IllegalArgumentException.class, () -> irqs.desc(HWIRQ)).getMessage();
        assertTrue(msg.contains("fake controller: IRQs 97-112"), msg);
    }

    /** A minimal controller, its chip and its platform entry, recording what genirq asks of it. */
    static final class FakeController implements IrqChip, Arch {
        final List<String> ops = new ArrayList<>();
        private final GenIrq genIrq;
        private final IrqDomain domain = new IrqDomain("fake", 16, null);
        private final boolean[] enabled = new boolean[16];
        private final boolean[] pending = new boolean[16];
        private final boolean[] high = new boolean[16];
        private final boolean[] active = new boolean[16];
        private final int[] type = new int[16];
        boolean pickLast;                          // effectiveCpu: the last online CPU of the mask, not the first
        int badPick = -1;                          // effectiveCpu answers this CPU whatever the mask (a broken chip)
        int refuseCpu = -1;                        // setAffinity to this CPU throws, as x86's does without a vector

        FakeController(GenIrq genIrq, Cpus cpus) {
            this.genIrq = genIrq;
            for (int hw = 0; hw < 16; hw++) {
                type[hw] = IrqFlags.TRIGGER_RISING;
                genIrq.map(domain, hw, IRQ - HWIRQ + hw, this, null, false, false);
            }
            genIrq.setNumbering(irq -> "-EINVAL: fake controller: IRQs 97-112, not " + irq);
        }

        private boolean deliverable(int hw) {
            return enabled[hw] && !active[hw] && (pending[hw] || (type[hw] == IrqFlags.TRIGGER_HIGH && high[hw]));
        }

        // ----- IrqChip -----

        @Override
        public int effectiveCpu(IrqData d, java.util.BitSet mask, java.util.BitSet online) {
            if (badPick >= 0) {
                return badPick;
            }
            if (!pickLast) {
                return IrqChip.super.effectiveCpu(d, mask, online);
            }
            java.util.BitSet b = (java.util.BitSet) mask.clone();
            b.and(online);
            return b.length() - 1;
        }

        @Override
        public String name() {
            return "FAKE";
        }

        @Override
        public void mask(IrqData d) {
            ops.add("mask " + d.hwirq());
            enabled[d.hwirq()] = false;
        }

        @Override
        public void unmask(IrqData d) {
            ops.add("unmask " + d.hwirq());
            enabled[d.hwirq()] = true;
        }

        @Override
        public void ack(Cpu cpu, IrqData d) {
            ops.add("ack " + d.hwirq());
            active[d.hwirq()] = false;
        }

        @Override
        public void eoi(Cpu cpu, IrqData d) {
            ops.add("eoi " + d.hwirq());
            active[d.hwirq()] = false;
        }

        @Override
        public String checkType(IrqData d, int t) {
            return t == IrqFlags.TRIGGER_RISING || t == IrqFlags.TRIGGER_HIGH ? null
                    : "the fake takes edges and high levels only";
        }

        @Override
        public void setType(IrqData d, int t) {
            ops.add("setType " + d.hwirq() + " " + t);
            type[d.hwirq()] = t;
        }

        @Override
        public int type(IrqData d) {
            return type[d.hwirq()];
        }

        @Override
        public void setAffinity(IrqData d, Cpu cpu) {
            if (cpu.id() == refuseCpu) {
                throw new IllegalStateException("-ENOSPC: no vector free on " + cpu);
            }
            ops.add("setAffinity " + d.hwirq() + " " + cpu);
        }

        @Override
        public boolean retrigger(IrqData d, Cpu cpu) {
            ops.add("retrigger " + d.hwirq() + " " + cpu);
            pending[d.hwirq()] = true;
            return true;
        }

        @Override
        public boolean isActive(IrqData d) {
            return active[d.hwirq()];
        }

        @Override
        public boolean setupNmi(IrqData d) {
            return false;
        }

        @Override
        public void teardownNmi(IrqData d) {
            ops.add("teardownNmi " + d.hwirq());
        }

        @Override
        public void disablePercpu(IrqData d, Cpu cpu) {
            ops.add("disablePercpu " + d.hwirq());
        }

        @Override
        public void pulse(IrqData d) {
            ops.add("pulse " + d.hwirq());
            pending[d.hwirq()] = true;
        }

        @Override
        public void setLevel(IrqData d, boolean h) {
            ops.add("level " + d.hwirq() + " " + h);
            high[d.hwirq()] = h;
        }

        // ----- Arch: the platform's root handler -----

        @Override
        public boolean mayBeSignalled(Cpu cpu) {
            return isSignalled(cpu, false);
        }

        @Override
        public boolean isSignalled(Cpu cpu, boolean irqsDisabled) {
            if (irqsDisabled) {
                return false;
            }
            for (int hw = 0; hw < 16; hw++) {
                if (deliverable(hw)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public long acknowledge(Cpu cpu, boolean irqsDisabled) {
            for (int hw = 0; hw < 16 && !irqsDisabled; hw++) {
                if (deliverable(hw)) {
                    pending[hw] = false;
                    active[hw] = true;
                    return hw;
                }
            }
            return NONE;
        }

        @Override
        public void handle(Cpu cpu, int hw) {
            assertTrue(genIrq.handleDomainIrq(cpu, domain, hw), "hwirq " + hw + " is mapped");
        }

        @Override
        public void raiseTick(Cpu cpu) {
        }

        @Override
        public void tickHandled(Cpu cpu) {
        }

        @Override
        public String describePending(Cpu cpu) {
            return "";
        }
    }
}
