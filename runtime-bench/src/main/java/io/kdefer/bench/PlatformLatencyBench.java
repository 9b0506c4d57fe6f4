/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import io.kdefer.Machine;
import io.kdefer.MachineConfig;
import io.kdefer.Platform;
import io.kdefer.cpu.IdlePolicy;
import io.kdefer.irq.IrqFlags;
import io.kdefer.irq.IrqReturn;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * Pulse to handler on each platform, in one run: a device raises its line ({@code Irqs.pulse}) and the benchmark
 * thread waits until the hardirq handler on the target CPU has run. The same genirq, flow handlers and CPU loop on
 * every row; what differs is the platform's path: the GICv3 (distributor, redistributor, CPU interface, EOImode=1),
 * the IO-APIC with the local APIC and {@code do_IRQ}'s {@code vector_irq} lookup, an MSI (a message straight to the
 * local APIC), or the 8259A pair behind CPU 0's LINT0 (its lines only reach CPU 0).
 *
 * <ul>
 *   <li>{@code path} names the platform and the line, each delivered to the machine's one CPU: {@code gic-spi}
 *       (SPI 40), {@code x86-isa} (ISA IRQ 5, IO-APIC edge), {@code x86-msi} (an MSI), {@code x86-xtpic} (ISA IRQ 5
 *       on the 8259A behind the local APIC's LINT0).</li>
 *   <li>{@code idle}: PARK pays a wake-up of the target CPU per pulse; SPIN measures the path on a hot CPU.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar runtime-bench/target/benchmarks.jar PlatformLatencyBench -f 1 -wi 2 -i 3 -w 1s -r 1s}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class PlatformLatencyBench {
    @Param({"gic-spi", "x86-isa", "x86-msi", "x86-xtpic"})
    public String path;

    @Param({"SPIN", "PARK"})
    public String idle;

    private Machine machine;
    private int line;
    private volatile long done;             // written by the handler (one CPU at a time)
    private long expected;                  // benchmark thread only

    @Setup(Level.Trial)
    public void setUp() {
        Platform platform;
        switch (path) {
            case "gic-spi":
                platform = Platform.ARM64_GICV3;
                break;
            case "x86-isa":
            case "x86-msi":
                platform = Platform.X86_APIC;
                break;
            case "x86-xtpic":
                platform = Platform.X86_LEGACY_PIC;
                break;
            default:
                throw new IllegalArgumentException(path);
        }
        // One virtual CPU: with the benchmark thread that is two threads on the two cores of the machine these figures
        // come from; a second spinning CPU would oversubscribe them and measure the host's scheduler instead.
        machine = Machine.boot(MachineConfig.builder().cpus(1).idle(IdlePolicy.valueOf(idle)).platform(platform)
                .build());
        line = path.equals("gic-spi") ? 40 : path.equals("x86-msi") ? machine.irqs().allocMsi("bench") : 5;
        machine.irqs().request(line, (irq, dev) -> {
            done++;
            return IrqReturn.HANDLED;
        }, IrqFlags.TRIGGER_RISING, "bench", this);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        machine.close();
    }

    @Benchmark
    public long pulseToHandler() {
        long t = ++expected;
        machine.irqs().pulse(line);
        while (done < t) {
            Thread.onSpinWait();
        }
        return t;
    }
}
