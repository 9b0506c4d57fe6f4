/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.cpu;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Machines;
import io.kdefer.Mode;
import io.kdefer.cpu.internal.HostAffinity;
import io.kdefer.workqueue.Work;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code MachineConfig.Builder.pinCpus} on the real host (Linux, JNA from the test class path): each CPU thread asks
 * the OS where it may run, from inside a cross-CPU call, and finds the one host CPU {@link Cpu#hostCpu()} names; a
 * workqueue worker finds the housekeeping set; pinning off touches nothing.
 */
@Timeout(20)
@EnabledOnOs(OS.LINUX)
class OsPinningTest {
    @RegisterExtension
    final Machines machines = new Machines();

    @Test
    void eachCpuThreadRunsOnItsHostCpuAndWorkersOnTheRest() {
        HostAffinity os = HostAffinity.linux();
        BitSet allowed = os.currentThread();
        int n = Math.min(2, allowed.cardinality());
        Machine m = machines.threaded(b -> b.cpus(n).pinCpus(true));
        BitSet cpuHosts = new BitSet();
        for (int i = 0; i < n; i++) {
            Cpu cpu = m.cpu(i);
            int host = cpu.hostCpu();
            assertTrue(allowed.get(host), "cpu/" + i + " on host " + host + ", allowed " + allowed);
            cpuHosts.set(host);
            AtomicReference<BitSet> seen = new AtomicReference<>();
            m.smp().callFunctionSingle(i, () -> seen.set(os.currentThread()), true);
            BitSet expected = new BitSet();
            expected.set(host);
            assertEquals(expected, seen.get(), "what cpu/" + i + "'s thread may run on");
        }
        assertEquals(n, cpuHosts.cardinality(), "each CPU thread has a host CPU of its own");

        BitSet housekeeping = (BitSet) allowed.clone();
        if (n < allowed.cardinality()) {
            housekeeping.andNot(cpuHosts);
        }
        AtomicReference<BitSet> worker = new AtomicReference<>();
        Work w = new Work(() -> worker.set(os.currentThread()));
        assertTrue(m.workqueues().system().queue(w));
        w.flush();
        assertEquals(housekeeping, worker.get(), "a worker of cpu/0's pool (started from its pinned thread)");
    }

    @Test
    void pinningOffLeavesThreadsAlone() {
        Machine m = machines.threaded();
        assertFalse(m.config().pinCpus());
        assertEquals(-1, m.cpu(0).hostCpu());
        assertEquals(-1, m.cpu(1).hostCpu());
    }

    @Test
    void manualMachinesIgnoreIt() {
        Machine m = machines.boot(b -> b.mode(Mode.MANUAL).pinCpus(true));
        assertTrue(m.config().pinCpus());
        assertEquals(-1, m.cpu(0).hostCpu());
        assertTrue(MachineConfig.builder().pinCpus(true).build().toString().contains("pinCpus"));
    }
}
