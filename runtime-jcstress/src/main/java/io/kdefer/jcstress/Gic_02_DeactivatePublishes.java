/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kdefer.gic.CpuInterface;
import io.kdefer.gic.Gic;
import io.kdefer.gic.Trigger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * MO-GIC-2 (the claim in {@code Gic}'s javadoc, J-GIC-2): the stores a handler makes before it deactivates its
 * INTID (DIR) are visible to the next handler of that INTID, on any PE. The active state serialises delivery: an
 * SPI still active on one PE is signalled nowhere (B-GIC-11), so a second PE can acknowledge it only after the
 * deactivation, which it then reads under the distributor lock the deactivation released.
 *
 * <pre>
 *   (SPI 40, edge: acknowledged by PE 0 = active; a second edge makes it active+pending; then routed to PE 1)
 *   PE 0 handler: x = 1; EOIR(40); DIR(40)          PE 1: id = acknowledge(); r = x   (r = -1 when id != 40)
 *   Forbids: id == 40 &amp;&amp; r == 0
 * </pre>
 * An SPI is the only kind a second PE can take: SGIs and PPIs are banked per PE, so the next handler of one runs on
 * the same PE, after the first in program order. The GIC model is driven by hand (no machine): each actor plays one
 * PE's CPU interface, as the GICv3 driver's root handler and flow do (priority drop at entry, DIR at the end).
 * Through genirq the descriptor lock orders the same stores a second time (handle_fasteoi_irq runs under it), which
 * would hide a GIC that lets an active SPI through; this probe has only the GIC.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Gic_02}.
 * <pre>
 *   RESULT    EXPECT      DESCRIPTION
 *   40, 1     Acceptable  PE 1 took the re-delivery after the deactivation and saw the handler's store
 *   1023, -1  Acceptable  PE 1 looked while the SPI was still active: nothing signallable
 *   40, 0     Forbidden   PE 1 took the SPI but missed the store made before the deactivation
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * 1023, -1: 1,214,270; 40, 1: 1,057,280; forbidden: 0.
 * Mutant {@code MO-GIC-2-active-not-honoured} (an active SPI signalled again) is caught: 185,425 forbidden samples
 * (runtime-jcstress/mutants, JDK 17, quick).
 */
@JCStressTest
@Description("MO-GIC-2: the next handler of an INTID sees the stores made before the previous one deactivated it")
@Outcome(id = "40, 1", expect = ACCEPTABLE, desc = "re-delivered after the deactivation; saw the handler's store")
@Outcome(id = "1023, -1", expect = ACCEPTABLE, desc = "looked while the SPI was still active: nothing signallable")
@Outcome(id = "40, 0", expect = FORBIDDEN, desc = "took the SPI but missed the store made before the deactivation")
@State
public class Gic_02_DeactivatePublishes {
    static final int SPI = 40;
    final Gic gic = new Gic(2);
    final CpuInterface pe0 = gic.cpuInterface(0);
    final CpuInterface pe1 = gic.cpuInterface(1);
    int x;   // plain on purpose

    public Gic_02_DeactivatePublishes() {
        gic.configure(SPI, Trigger.EDGE_RISING, Gic.PRIORITY_IRQ);
        gic.enable(SPI);
        gic.pulse(SPI);                       // routed to PE 0 (the reset route)
        if (pe0.acknowledge() != SPI) {
            throw new AssertionError("PE 0 must take SPI " + SPI);
        }
        gic.pulse(SPI);                       // active + pending: exactly one re-delivery after the DIR (B-GIC-3)
        gic.route(SPI, 1);                    // the re-delivery goes to PE 1, once PE 0 deactivated it (B-GIC-11)
    }

    @Actor
    public void handler() {
        x = 1;
        pe0.endOfInterrupt(SPI);              // priority drop (the driver does it at entry; here it changes nothing)
        pe0.deactivate(SPI);                  // DIR: the end of the handler (EOImode=1, B-GIC-8)
    }

    @Actor
    public void pe1(II_Result r) {
        int id = pe1.acknowledge();
        r.r1 = id;
        r.r2 = id == SPI ? x : -1;
    }
}
