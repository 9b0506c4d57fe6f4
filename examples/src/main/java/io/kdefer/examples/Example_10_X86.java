/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Mode;
import io.kdefer.Platform;
import io.kdefer.cpu.Cpu;
import io.kdefer.irq.IrqDesc;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import io.kdefer.softirq.Softirq;
import io.kdefer.x86.IoApic;
import io.kdefer.x86.LocalApic;

import java.util.ArrayList;
import java.util.List;

/**
 * Lesson 10: one interrupt on x86, from a device pin to a softirq. The same driver code as on arm64 (request, a
 * handler that raises a softirq); only the platform differs, and the machine is MANUAL so every step can be looked at:
 * <ol>
 *   <li>request_irq programs IO-APIC pin 4 (COM1's ISA line): a redirection entry naming a vector the per-CPU vector
 *       allocator gave the line, and the destination CPU.</li>
 *   <li>The device raises its pin; the IO-APIC sends the vector to that CPU's local APIC: the bit is set in its
 *       IRR.</li>
 *   <li>The CPU takes it: the local APIC moves the vector from IRR to ISR (INTA), the platform's root handler
 *       ({@code do_IRQ}) looks the vector up in the CPU's {@code vector_irq} table, finds IRQ 4's descriptor and runs
 *       its flow handler (handle_edge_irq: ack = the local APIC's EOI), which runs the driver's handler.</li>
 *   <li>The handler raised NET_RX; at irq exit the CPU runs the softirq.</li>
 * </ol>
 *
 * <p>HOW TO RUN: {@code ./kdefer example x86}. Observed (2 cores, JDK 17):
 * <pre>
 *   X86_APIC, MANUAL, 2 CPUs
 *   request_irq(4): IO-APIC pin 4 -&gt; vector 0x24 on cpu/0, edge (flow EDGE, chip IO-APIC)
 *   pin 4 raised: cpu/0 local APIC IRR has 0x24: true; nothing ran yet: []
 *   cpu/0 runs: [hardirq irq 4 on cpu/0, softirq NET_RX on cpu/0]
 *   after: IRR 0x24 false, ISR 0x24 false (EOI done); irq 4 count on cpu/0: 1
 *   /proc/interrupts row:    4:          1          0  IO-APIC-edge       serial
 * </pre>
 */
public final class Example_10_X86 {
    private static final int COM1 = 4;

    private Example_10_X86() {
    }

    public static void main(String[] args) {
        try (Machine m = Machine.boot(MachineConfig.builder().cpus(2).mode(Mode.MANUAL)
                .platform(Platform.X86_APIC).name("lesson10").build())) {
            System.out.println(m.platform() + ", " + m.mode() + ", " + m.cpuCount() + " CPUs");
            List<String> seen = new ArrayList<>();
            m.softirqs().open(Softirq.NET_RX, () -> seen.add("softirq NET_RX on " + Cpu.current()));
            m.irqs().request(COM1, (irq, dev) -> {
                seen.add("hardirq irq " + irq + " on " + Cpu.current());
                m.softirqs().raise(Softirq.NET_RX);                   // the bottom half, on this CPU
                return IrqReturn.HANDLED;
            }, IrqFlags.TRIGGER_RISING, "serial", null);

            IoApic ioApic = m.ioApic();
            int vector = ioApic.vector(COM1);
            int dest = ioApic.destination(COM1);
            IrqDesc d = m.irqs().desc(COM1);
            System.out.printf("request_irq(%d): IO-APIC pin %d -> vector 0x%x on cpu/%d, edge (flow %s, chip %s)%n",
                    COM1, COM1, vector, dest, d.flowHandler(), d.chipName());

            m.irqs().pulse(COM1);                                      // the UART raises its line
            LocalApic apic = m.localApic(dest);
            System.out.printf("pin %d raised: cpu/%d local APIC IRR has 0x%x: %b; nothing ran yet: %s%n",
                    COM1, dest, vector, apic.isRequested(vector), seen);

            m.cpu(dest).runPending();                                  // the CPU takes it: do_IRQ, flow, softirq
            System.out.println("cpu/" + dest + " runs: " + seen);
            System.out.printf("after: IRR 0x%x %b, ISR 0x%x %b (EOI done); irq %d count on cpu/%d: %d%n",
                    vector, apic.isRequested(vector), vector, apic.isInService(vector), COM1, dest, d.count(dest));
            m.stats().interrupts().lines().filter(l -> l.trim().startsWith(COM1 + ":"))
                    .forEach(l -> System.out.println("/proc/interrupts row: " + l));
        }
    }
}
