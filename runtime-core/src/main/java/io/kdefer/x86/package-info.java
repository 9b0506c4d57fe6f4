/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */

/**
 * The x86 interrupt hardware, simulated: the second set of chips next to {@code io.kdefer.gic}. Like the GIC it
 * knows nothing above it (no genirq, no CPUs): it is driven by hand in tests and by chip drivers in the runtime.
 *
 * <pre>
 *   {@link io.kdefer.x86.X86Chips}     the board: wires the chips below together, routes APIC messages (the APIC bus)
 *   {@link io.kdefer.x86.LocalApic}    one per CPU: IRR/ISR/TMR, TPR/PPR, EOI, ICR (IPIs), SVR, ESR, LVT timer/LINT
 *   {@link io.kdefer.x86.IoApic}       24 pins, a redirection entry each, remote IRR for level lines
 *   {@link io.kdefer.x86.I8259Pair}    the cascaded 8259A master/slave, programmed through ports 0x20/0x21/0xa0/0xa1
 *   {@link io.kdefer.x86.Msi}          the 0xFEExxxxx message window: a device write becomes an interrupt
 *   {@link io.kdefer.x86.VectorMatrix} the per-CPU vector allocator and vector_irq tables (kernel: irq matrix)
 *   {@link io.kdefer.x86.IrqVectors}   Linux's vector layout (irq_vectors.h)
 *   {@link io.kdefer.x86.DeliveryMode} the 3-bit delivery mode of APIC messages
 * </pre>
 *
 * <h2>One interrupt, end to end</h2>
 * <pre>
 *   device: x86.setIsaIrq(4, true)  -&gt; IO-APIC pin 4 asserted -&gt; RTE: vector 0x24, dest APIC 1, edge
 *           -&gt; LocalApic 1: IRR bit 0x24 set -&gt; irqLine(1)
 *   CPU 1:  lapic.acknowledge() == 0x24 (IRR -&gt; ISR, PPR 0x20) -&gt; matrix.descriptor(1, 0x24) -&gt; flow handler
 *           -&gt; lapic.eoi() (level vector: EOI broadcast -&gt; IO-APIC clears the pin's remote IRR)
 * </pre>
 *
 * <h2>Bad programming</h2>
 * Register- and port-level access ({@code LocalApic.write/writeIcr}, {@code IoApic.writeRegister},
 * {@code I8259Pair.out}, {@code Msi.write}) behaves as the hardware does: ignored, counted, ESR errors or spurious
 * vectors, each case documented on its class. The typed methods a driver uses reject the same mistakes with an
 * {@link java.lang.IllegalArgumentException} naming the rule.
 *
 * <h2>Not modelled</h2>
 * x2APIC and its 32-bit IDs, logical destination mode, interrupt remapping, directed EOI and the IO-APIC EOI
 * register, TSC-deadline timer mode, INIT/SIPI/SMI, the thermal/performance/CMCI interrupt sources, the IMCR "PIC
 * mode" switch (a globally disabled local APIC stands in for it), managed and reserved vectors in the matrix.
 */
package io.kdefer.x86;
