/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kdefer.gic.CpuInterface;
import io.kdefer.gic.Gic;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * MO-GIC-1: a handler sees the stores the sender made before it generated the SGI (the claim in {@code Gic}'s
 * javadoc; the kernel's DSB before the SGI1R write).
 *
 * <pre>
 *   sender: x = 1; gic.sendSgi(0, pe0)         PE 0: id = acknowledge(); r = x
 *   Forbids: id == 0 &amp;&amp; r == 0
 * </pre>
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Gic_01}.
 * <pre>
 *   RESULT   EXPECT      DESCRIPTION
 *   0, 1     Acceptable  acknowledged the SGI and saw the sender's store
 *   1023, -1 Acceptable  acknowledged before the SGI was sent: nothing signallable
 *   0, 0     Forbidden   acknowledged the SGI but missed the store made before it was sent
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick}, all 8 JVM configurations, 2026-12-03):
 * 0, 1: 1,743,863; 1023, -1: 303,387; forbidden: 0.
 */
@JCStressTest
@Description("MO-GIC-1: an SGI publishes the sender's prior stores to the PE that acknowledges it")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "acknowledged the SGI and saw the sender's store")
@Outcome(id = "1023, -1", expect = ACCEPTABLE, desc = "acknowledged before the SGI was sent: nothing signallable")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "acknowledged the SGI but missed the store made before it was sent")
@State
public class Gic_01_SgiPublishes {
    final Gic gic = new Gic(1);
    final CpuInterface ci = gic.cpuInterface(0);
    int x;   // plain on purpose

    public Gic_01_SgiPublishes() {
        gic.enable(0);
    }

    @Actor
    public void sender() {
        x = 1;
        gic.sendSgi(0, 0);
    }

    @Actor
    public void pe(II_Result r) {
        int id = ci.acknowledge();
        r.r1 = id;
        r.r2 = id == Gic.SPURIOUS ? -1 : x;
    }
}
