/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kdefer.x86.IrqVectors;
import io.kdefer.x86.LocalApic;
import io.kdefer.x86.X86Chips;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * A fixed IPI sent through the ICR publishes the sender's prior stores to the CPU that acknowledges it (the claim in
 * {@code LocalApic}'s javadoc; the x86 twin of {@link Gic_01_SgiPublishes}). On real x86 the ICR write is an
 * uncached (or, with x2APIC, serializing-after-fence) store ordered after earlier stores; here the send is one
 * volatile getAndBitwiseOr on the target's IRR word and acknowledge reads and clears it with volatile accesses.
 *
 * <pre>
 *   CPU 0: x = 1; apic0.sendIpi(RESCHEDULE_VECTOR, 1)      CPU 1: v = apic1.acknowledge(); r = x
 *   Forbids: v == 0xfd &amp;&amp; r == 0
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -sc false -t X86_01}. Observed, all 8
 * configurations OK (quick mode, JDK 17.0.15 (Debian), 2 CPUs, 2026-12-03):
 * <pre>
 *     RESULT    SAMPLES     FREQ      EXPECT  DESCRIPTION
 *     -1, -1  7,501,773   49.17%  Acceptable  acknowledged before the IPI was sent: INTR not asserted
 *     253, 0          0    0.00%   Forbidden  acknowledged the IPI but missed the store made before it
 *     253, 1  7,754,970   50.83%  Acceptable  acknowledged the IPI and saw the sender's store
 * </pre>
 */
@JCStressTest
@Description("An IPI sent through the ICR publishes the sender's prior stores to the CPU that acknowledges it")
@Outcome(id = "253, 1", expect = ACCEPTABLE, desc = "acknowledged the IPI and saw the sender's store")
@Outcome(id = "-1, -1", expect = ACCEPTABLE, desc = "acknowledged before the IPI was sent: INTR not asserted")
@Outcome(id = "253, 0", expect = FORBIDDEN, desc = "acknowledged the IPI but missed the store made before it")
@State
public class X86_01_IcrIpiPublishes {
    final X86Chips x86 = new X86Chips(2);
    final LocalApic apic0 = x86.localApic(0);
    final LocalApic apic1 = x86.localApic(1);
    int x;   // plain on purpose

    @Actor
    public void sender() {
        x = 1;
        apic0.sendIpi(IrqVectors.RESCHEDULE_VECTOR, 1);
    }

    @Actor
    public void cpu1(II_Result r) {
        int v = apic1.acknowledge();
        r.r1 = v;
        r.r2 = v == LocalApic.NO_INTERRUPT ? -1 : x;
    }
}
