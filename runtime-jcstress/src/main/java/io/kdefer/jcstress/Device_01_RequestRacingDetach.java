/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kdefer.Device;
import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Mode;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A device-managed resource acquired while the device detaches (in {@link Device}'s javadoc): it is released exactly
 * once, by the detach (it was recorded first) or by the request itself (the detach took the list first, and the
 * request throws), and the release sees what the requesting thread stored before the request.
 *
 * <pre>
 *   driver: x = 1; try { d.addAction(() -&gt; { seen = x; runs++ }); r1 = 1 } catch (IllegalStateException) { r1 = 0 }
 *   detacher: d.close()
 *   arbiter: r2 = runs, r3 = seen
 *   Forbids: r2 != 1 (released twice or never), r3 == 0 (the release did not see the requester's store)
 * </pre>
 * The request records the resource under the device's lock only while the device is ATTACHED; close() moves it to
 * DETACHING and takes the list under the same lock: whichever critical section comes second sees the first.
 *
 * <p>Run: {@code java -jar runtime-jcstress/target/jcstress.jar -m quick -t Device_01}.
 * <pre>
 *   RESULT    EXPECT      DESCRIPTION
 *   1, 1, 1   Acceptable  recorded before the detach: the detach released it
 *   0, 1, 1   Acceptable  the detach came first: the request released it and threw
 *   *, 0, *   Forbidden   never released
 *   *, 2, *   Forbidden   released twice
 *   *, 1, 0   Forbidden   the release did not see the requester's store
 * </pre>
 * Observed (OpenJDK 17.0.15, 2 shared cores, {@code -m quick -sc false}, all 8 JVM configurations): 1, 1, 1: 8,029,018;
 * 0, 1, 1: 4,521,340; forbidden: 0.
 */
@JCStressTest
@Description("addAction racing close(): the action runs exactly once and sees the requester's prior stores")
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "recorded before the detach: the detach released it")
@Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "the detach came first: the request released it and threw")
@Outcome(expect = FORBIDDEN, desc = "released twice or never, or the release missed the requester's store")
@State
public class Device_01_RequestRacingDetach {
    /** One machine for every sample: a device costs no thread; MANUAL, so nothing runs on its own. */
    static final Machine M = Machine.boot(MachineConfig.builder().cpus(1).mode(Mode.MANUAL)
            .name("jcstress-device").build());

    final Device d = M.device("dev");
    int x;          // plain on purpose
    int seen;
    int runs;

    @Actor
    public void driver(III_Result r) {
        x = 1;
        try {
            d.addAction(() -> {
                seen = x;
                runs++;
            });
            r.r1 = 1;
        } catch (IllegalStateException detached) {
            r.r1 = 0;
        }
    }

    @Actor
    public void detacher() {
        d.close();
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r2 = runs;
        r.r3 = seen;
    }
}
