/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import io.kdefer.cpu.IdlePolicy;
import io.kdefer.gic.Gic;
import io.kdefer.irq.Irqs;
import io.kdefer.x86.X86Chips;

import java.time.Duration;
import java.util.Objects;

/**
 * How to boot a {@link Machine}. Defaults are the kernel's where it has one.
 *
 * <pre>
 *   cpus                 Runtime.availableProcessors() (at most 256; 255 on x86)
 *   hz                   1000 (tick period 1 ms)
 *   idle                 BACKOFF (spin briefly, yield, park; NOHZ)
 *   mode                 THREADED
 *   softirqMaxRestart    10 passes per drain            (K-SIRQ MAX_SOFTIRQ_RESTART)
 *   softirqMaxTime       2 ms per drain                 (K-SIRQ MAX_SOFTIRQ_TIME)
 *   spuriousWindow       100 000 interrupts             (K-SPUR)
 *   spuriousThreshold    99 900 unhandled per window    (K-SPUR)
 *   spuriousQuietTime    100 ms (HZ/10)                 (K-SPUR)
 *   softLockupThreshold  20 s (0 = watchdog off)        (kernel: 2 x watchdog_thresh)
 *   closeTimeout         10 s: the one deadline of close() (drain, stop, join; see Machine)
 *   closeOnExit          false: a shutdown hook closes the machine when the JVM exits
 *   name                 "machine-N": in reports, logs and the close thread's name
 *   platform             ARM64_GICV3 (see {@link Platform}: X86_APIC, X86_LEGACY_PIC)
 *   forceThreadedIrqs    false: the kernel's threadirqs boot option (B-TI-12)
 *   irqBalanceInterval   0 (off): how often genirq's IRQ balancer moves busy lines off a hot CPU (B-FLOW-15)
 *   latencyHistograms    false: per CPU x primitive latency histograms (m.stats().latency()); switchable later
 *   jmx                  THREADED: true, MANUAL: false: the machine's MBeans (io.kdefer:type=Machine,...)
 *   pinCpus              false: OS pinning of the CPU threads (Linux, JNA on the class path)
 * </pre>
 */
public final class MachineConfig {
    private final int cpus;
    private final int hz;
    private final IdlePolicy idle;
    private final Mode mode;
    private final int softirqMaxRestart;
    private final Duration softirqMaxTime;
    private final int spuriousWindow;
    private final int spuriousThreshold;
    private final Duration spuriousQuietTime;
    private final Duration softLockupThreshold;
    private final Duration closeTimeout;
    private final boolean closeOnExit;
    private final String name;
    private final Platform platform;
    private final boolean forceThreadedIrqs;
    private final Duration irqBalanceInterval;
    private final boolean latencyHistograms;
    private final boolean jmx;
    private final boolean pinCpus;

    private MachineConfig(Builder b, int cpus) {
        this.cpus = cpus;
        this.hz = b.hz;
        this.idle = b.idle;
        this.mode = b.mode;
        this.softirqMaxRestart = b.softirqMaxRestart;
        this.softirqMaxTime = b.softirqMaxTime;
        this.spuriousWindow = b.spuriousWindow;
        this.spuriousThreshold = b.spuriousThreshold;
        this.spuriousQuietTime = b.spuriousQuietTime;
        this.softLockupThreshold = b.softLockupThreshold;
        this.closeTimeout = b.closeTimeout;
        this.closeOnExit = b.closeOnExit;
        this.name = b.name;
        this.platform = b.platform;
        this.forceThreadedIrqs = b.forceThreadedIrqs;
        this.irqBalanceInterval = b.irqBalanceInterval;
        this.latencyHistograms = b.latencyHistograms;
        this.jmx = b.jmx != null ? b.jmx : b.mode == Mode.THREADED;
        this.pinCpus = b.pinCpus;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The default configuration: THREADED, one CPU per available processor. */
    public static MachineConfig defaults() {
        return builder().build();
    }

    public int cpus() {
        return cpus;
    }

    public int hz() {
        return hz;
    }

    public IdlePolicy idle() {
        return idle;
    }

    public Mode mode() {
        return mode;
    }

    public int softirqMaxRestart() {
        return softirqMaxRestart;
    }

    public Duration softirqMaxTime() {
        return softirqMaxTime;
    }

    public int spuriousWindow() {
        return spuriousWindow;
    }

    public int spuriousThreshold() {
        return spuriousThreshold;
    }

    public Duration spuriousQuietTime() {
        return spuriousQuietTime;
    }

    public Duration softLockupThreshold() {
        return softLockupThreshold;
    }

    public Duration closeTimeout() {
        return closeTimeout;
    }

    public boolean closeOnExit() {
        return closeOnExit;
    }

    /** The name given with {@link Builder#name}, or null (the machine then names itself "machine-N"). */
    public String name() {
        return name;
    }

    /** The interrupt hardware the machine boots with. */
    public Platform platform() {
        return platform;
    }

    /** Whether every handler that can be runs in its IRQ thread ({@link Builder#forceThreadedIrqs}). */
    public boolean forceThreadedIrqs() {
        return forceThreadedIrqs;
    }

    /** How often the IRQ balancer looks at the lines' load; zero when off ({@link Builder#irqBalanceInterval}). */
    public Duration irqBalanceInterval() {
        return irqBalanceInterval;
    }

    /** Whether the latency histograms record from boot on ({@link Builder#latencyHistograms}). */
    public boolean latencyHistograms() {
        return latencyHistograms;
    }

    /** Whether the machine registers its MBeans ({@link Builder#jmx}). */
    public boolean jmx() {
        return jmx;
    }

    /** Whether the CPU threads are pinned to host CPUs ({@link Builder#pinCpus}). */
    public boolean pinCpus() {
        return pinCpus;
    }

    @Override
    public String toString() {
        return "MachineConfig[cpus=" + cpus + ", hz=" + hz + ", idle=" + idle + ", mode=" + mode + ", platform="
                + platform + (pinCpus ? ", pinCpus" : "") + "]";
    }

    public static final class Builder {
        private int cpus = Math.min(Gic.MAX_CPUS, Runtime.getRuntime().availableProcessors());
        private boolean cpusGiven;
        private int hz = 1000;
        private IdlePolicy idle = IdlePolicy.BACKOFF;
        private Mode mode = Mode.THREADED;
        private int softirqMaxRestart = 10;
        private Duration softirqMaxTime = Duration.ofMillis(2);
        private int spuriousWindow = Irqs.SPURIOUS_WINDOW;
        private int spuriousThreshold = Irqs.SPURIOUS_THRESHOLD;
        private Duration spuriousQuietTime = Duration.ofNanos(Irqs.SPURIOUS_QUIET_NANOS);
        private Duration softLockupThreshold = Duration.ofSeconds(20);
        private Duration closeTimeout = Duration.ofSeconds(10);
        private boolean closeOnExit;
        private String name;
        private Platform platform = Platform.ARM64_GICV3;
        private boolean forceThreadedIrqs;
        private Duration irqBalanceInterval = Duration.ZERO;
        private boolean latencyHistograms;
        private Boolean jmx;                   // null: by mode
        private boolean pinCpus;

        private Builder() {
        }

        /** Number of virtual CPUs, 1..256 (1..255 on x86: checked by {@link #build()}). */
        public Builder cpus(int cpus) {
            if (cpus < 1 || cpus > Gic.MAX_CPUS) {
                throw new IllegalArgumentException("cpus must be 1.." + Gic.MAX_CPUS + ": " + cpus);
            }
            this.cpus = cpus;
            this.cpusGiven = true;
            return this;
        }

        /**
         * The interrupt hardware: {@link Platform#ARM64_GICV3} (the default), {@link Platform#X86_APIC} or
         * {@link Platform#X86_LEGACY_PIC}.
         */
        public Builder platform(Platform platform) {
            this.platform = Objects.requireNonNull(platform, "platform");
            return this;
        }

        /** Ticks per second, 1..100000. */
        public Builder hz(int hz) {
            if (hz < 1 || hz > 100_000) {
                throw new IllegalArgumentException("hz must be 1..100000: " + hz);
            }
            this.hz = hz;
            return this;
        }

        public Builder idle(IdlePolicy idle) {
            this.idle = Objects.requireNonNull(idle, "idle");
            return this;
        }

        public Builder mode(Mode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Passes per softirq drain before the rest is left to ksoftirqd (kernel: 10). */
        public Builder softirqMaxRestart(int passes) {
            if (passes < 1) {
                throw new IllegalArgumentException("softirqMaxRestart must be >= 1: " + passes);
            }
            this.softirqMaxRestart = passes;
            return this;
        }

        /** Time budget of one softirq drain (kernel: 2 ms). */
        public Builder softirqMaxTime(Duration d) {
            this.softirqMaxTime = positive(d, "softirqMaxTime");
            return this;
        }

        /**
         * Spurious-interrupt detection: a line with more than {@code threshold} unhandled interrupts in a window
         * of {@code window} interrupts is disabled ("nobody cared"); an unhandled interrupt more than
         * {@code quiet} after the previous one restarts the count. Kernel: 100 000, 99 900, 100 ms. Small values
         * let tests trip the detector cheaply.
         */
        public Builder spuriousDetection(int window, int threshold, Duration quiet) {
            if (window < 1 || threshold < 0 || threshold >= window) {
                throw new IllegalArgumentException("spurious detection needs 0 <= threshold < window: threshold="
                        + threshold + " window=" + window);
            }
            this.spuriousWindow = window;
            this.spuriousThreshold = threshold;
            this.spuriousQuietTime = positive(quiet, "quiet");
            return this;
        }

        /** Report a CPU stuck in one atomic section longer than this (0 = watchdog off). */
        public Builder softLockupThreshold(Duration d) {
            Objects.requireNonNull(d, "softLockupThreshold");
            if (d.isNegative()) {
                throw new IllegalArgumentException("softLockupThreshold must not be negative: " + d);
            }
            this.softLockupThreshold = d;
            return this;
        }

        /**
         * The one deadline of {@code close()}: draining accepted work, stopping and joining every runtime thread
         * (CPUs, workers, IRQ threads, rescuers). Past it close reports what it could not do and returns.
         */
        public Builder closeTimeout(Duration d) {
            this.closeTimeout = positive(d, "closeTimeout");
            return this;
        }

        /**
         * Close the machine from a JVM shutdown hook (bounded by {@link #closeTimeout}) if it is still running when
         * the JVM exits, so accepted work runs. Off by default: the runtime's threads are daemon threads, so without
         * it work still pending at exit does not run (and the machine never keeps the JVM alive). {@code close()}
         * removes the hook.
         */
        public Builder closeOnExit(boolean on) {
            this.closeOnExit = on;
            return this;
        }

        /** The machine's name, for reports, logs and its close thread ("machine-N" by default). */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("a machine name must not be blank");
            }
            this.name = name;
            return this;
        }

        /**
         * Forced interrupt threading, the kernel's {@code threadirqs} boot option (the default of PREEMPT_RT kernels;
         * B-TI-12): every handler requested without {@code IrqFlags.NO_THREAD}, {@code ONESHOT} or {@code PERCPU}
         * runs in its IRQ thread {@code irq/<irq>-<name>} instead of in hardirq context, with bottom halves and
         * interrupts disabled there as they would be in hardirq context; the line becomes ONESHOT (masked until the
         * thread ran) and its primary handler the default one, which wakes the thread. A primary handler that has a
         * thread function of its own gets a second thread {@code irq/<irq>-s-<name>} for it, woken when the forced
         * primary returns WAKE_THREAD. NMI lines, per-CPU lines (the IPIs and the CPU timer) and nested-thread lines
         * are never forced. Off by default.
         */
        public Builder forceThreadedIrqs(boolean on) {
            this.forceThreadedIrqs = on;
            return this;
        }

        /**
         * Record the per CPU x primitive latency histograms from boot on ({@code m.stats().latency()}, the Latency
         * MBeans). Off by default: recording costs two clock reads per item (about 50 ns); it can be switched at
         * any time with {@code m.stats().latencyRecorder().setEnabled(boolean)} or the machine MBean.
         */
        public Builder latencyHistograms(boolean on) {
            this.latencyHistograms = on;
            return this;
        }

        /**
         * Turns on genirq's IRQ balancer (the idea of the irqbalance daemon, B-FLOW-15): every {@code interval} it
         * moves at most one busy shared-peripheral line from the CPU that handled the most interrupts to the one that
         * handled the fewest, within the line's affinity mask, when that lowers the busiest CPU's load. Lines with an
         * action requested with {@code IrqFlags.NOBALANCING} and per-CPU lines never move. {@code Duration.ZERO}
         * (the default) turns it off.
         */
        public Builder irqBalanceInterval(Duration interval) {
            Objects.requireNonNull(interval, "irqBalanceInterval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("irqBalanceInterval must not be negative: " + interval);
            }
            this.irqBalanceInterval = interval;
            return this;
        }

        /**
         * Register the machine's platform MBeans at boot ({@code io.kdefer:type=Machine,name=<name>} and a child
         * per IRQ line, softirq vector, workqueue and latency primitive) and unregister them at close. Default: on
         * for THREADED machines (a running machine is alive until closed anyway, and its first registration costs a
         * few milliseconds), off for MANUAL ones (test fixtures: many, often never closed, and an MBean would keep
         * an unclosed machine reachable).
         */
        public Builder jmx(boolean on) {
            this.jmx = on;
            return this;
        }

        /**
         * OS pinning, the design's "virtual CPUs are pinned platform threads" made literal: each {@code cpu/N} thread
         * runs on a host CPU of its own and the runtime's other threads (workers, IRQ threads, the sampler, the
         * watchdog) on the host CPUs left over, the kernel's housekeeping split. With {@code n} virtual CPUs and
         * {@code h} host CPUs allowed to the booting thread: {@code n < h} puts {@code cpu/i} on the {@code i}-th of
         * the highest {@code n} host CPUs and the other threads on the lowest {@code h - n}; {@code n == h} gives each
         * CPU thread its own host CPU and lets the others run on all of them; {@code n > h} shares host CPUs round
         * robin. The JVM's own threads (JIT, GC) and the application's are not touched. {@code Cpu.hostCpu()} says
         * where a CPU landed. Off by default; ignored in MANUAL mode (no CPU threads).
         *
         * <p>Linux only ({@code sched_setaffinity}), through JNA: put {@code net.java.dev.jna:jna} (5.x) on the class
         * path, an optional dependency of kdefer. On JDK 24 and later, JNA's native library load is a restricted
         * method: run with {@code --enable-native-access=ALL-UNNAMED} (or the JNA module's name on the module path)
         * to avoid the JVM's warning (JEP 472: a future JDK is to deny it by default). None of this applies when
         * pinning is off: JNA is then never loaded.
         *
         * <p>{@code Machine.boot} throws {@code UnsupportedOperationException} when pinning is on and the host is not
         * Linux or JNA is missing. On a small host it pins the JIT and GC away from the CPU threads' cores only as far
         * as there are cores left over: on 2 host CPUs and 2 virtual CPUs every core has a CPU thread.
         */
        public Builder pinCpus(boolean on) {
            this.pinCpus = on;
            return this;
        }

        /**
         * @throws IllegalArgumentException more CPUs than the platform can address (x86: 255, the xAPIC's physical
         *         IDs 0x00-0xfe; 0xff is the broadcast ID)
         */
        public MachineConfig build() {
            int n = cpus;
            if (platform.isX86() && n > X86Chips.MAX_CPUS) {
                if (cpusGiven) {
                    throw new IllegalArgumentException("cpus must be 1.." + X86Chips.MAX_CPUS + " on " + platform
                            + ": xAPIC physical IDs are 8 bits and 0xff is the broadcast ID: " + n);
                }
                n = X86Chips.MAX_CPUS;               // the default (one per processor), capped for x86
            }
            return new MachineConfig(this, n);
        }

        private static Duration positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive: " + d);
            }
            return d;
        }
    }
}
