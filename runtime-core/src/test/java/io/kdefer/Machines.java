/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The machines of one test: boots them on request and closes every one of them after the test. The one fixture of
 * the suite for machines; register it as an instance field.
 *
 * <pre>{@code
 * @RegisterExtension
 * final Machines machines = new Machines();
 *
 * @Test
 * void example() {
 *     Machine m = machines.boot();                          // MANUAL, 2 CPUs
 *     Machine four = machines.boot(b -> b.cpus(4).hz(100)); // MANUAL, anything else through the builder
 *     Machine real = machines.threaded();                   // THREADED, 2 CPUs
 * }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Every machine booted through this instance while a test runs (in the test, in a {@code @BeforeEach} method,
 *       in a helper, on any thread) is closed after that test, whether it passed or failed, and after the test's own
 *       {@code @AfterEach} methods, which may therefore still use it. Closing a machine the test closed already is a
 *       no-op ({@link Machine#close()} is idempotent).</li>
 *   <li>Before any machine is closed the test thread is unbound ({@link Machine#unbindCurrentThread()}), so no later
 *       test inherits its binding.</li>
 *   <li>Machines are closed in reverse boot order. A close that throws does not keep the others from closing; the
 *       first exception fails the test, later ones are added to it as suppressed.</li>
 *   <li>Unless this instance is {@link #toleratingStuckThreads()}, a machine whose {@link CloseReport} lists runtime
 *       threads left running fails the test: such a thread would keep running into the tests that follow.</li>
 *   <li>In a {@code @Nested} class the outer class's field serves the nested tests too: JUnit creates the enclosing
 *       instance for each nested test and registers its extension fields for that test. A nested class may register
 *       an instance of its own beside it (a tolerant one, say); each closes what it booted.</li>
 *   <li>Every machine booted here starts from {@code suiteDefaults()}, the one place where a setting for the whole
 *       suite belongs.</li>
 * </ul>
 */
public final class Machines implements AfterEachCallback {
    /* Implementation notes
     *
     * One instance per test instance; with JUnit's default per-method lifecycle that is one per test. Under a
     * per-class lifecycle the same instance serves each test in turn, which works because afterEach empties the list.
     * A test may boot from a helper thread, hence the lock; afterEach runs on the thread that ran the test (unless
     * the test's @Timeout runs it on a separate thread, whose binding ends with that thread anyway).
     */
    private final boolean failOnStuckThreads;             // I
    private final List<Machine> booted = new ArrayList<>(); // L(this): in boot order, emptied after each test

    /** An instance that fails a test whose machines left runtime threads running at close. */
    public Machines() {
        this(true);
    }

    private Machines(boolean failOnStuckThreads) {
        this.failOnStuckThreads = failOnStuckThreads;
    }

    /**
     * An instance for tests that leave runtime threads running on purpose (a close timeout under test): stuck
     * threads in a close report do not fail the test.
     */
    public static Machines toleratingStuckThreads() {
        return new Machines(false);
    }

    /** Boots a machine with the suite's defaults: MANUAL, 2 CPUs. */
    public Machine boot() {
        return boot(b -> { });
    }

    /**
     * Boots a machine from the suite's defaults (MANUAL, 2 CPUs) changed by {@code customizer}, which may set
     * anything, the mode included.
     */
    public Machine boot(Consumer<MachineConfig.Builder> customizer) {
        Objects.requireNonNull(customizer, "customizer");
        MachineConfig.Builder b = suiteDefaults();
        customizer.accept(b);
        return adopt(Machine.boot(b.build()));
    }

    /** Boots a THREADED machine with the suite's defaults otherwise (2 CPUs). */
    public Machine threaded() {
        return boot(b -> b.mode(Mode.THREADED));
    }

    /** Boots a THREADED machine from the suite's defaults changed by {@code customizer}. */
    public Machine threaded(Consumer<MachineConfig.Builder> customizer) {
        Objects.requireNonNull(customizer, "customizer");
        return boot(b -> customizer.accept(b.mode(Mode.THREADED)));
    }

    /**
     * Takes over a machine booted elsewhere (a test of {@code Machine.boot} itself): it is closed after the test like
     * the machines booted here.
     *
     * @return {@code m}
     */
    public Machine adopt(Machine m) {
        Objects.requireNonNull(m, "machine");
        synchronized (this) {
            booted.add(m);
        }
        return m;
    }

    /**
     * The configuration every machine of the suite starts from: 2 CPUs, MANUAL, {@link MachineConfig}'s defaults
     * otherwise. A setting that should hold for the whole suite goes here and nowhere else (for example the
     * interrupt platform, should the suite be run on a second one chosen by a system property); a test's customizer
     * is applied after it and overrides it.
     */
    private static MachineConfig.Builder suiteDefaults() {
        return MachineConfig.builder().cpus(2).mode(Mode.MANUAL).platform(PLATFORM);
    }

    /**
     * The interrupt platform the suite runs on: {@code -Dkdefer.test.platform=X86_APIC} runs the platform-neutral
     * suites (runtime-core's pom has an execution for it) on the x86 platform; the default is the GICv3.
     */
    public static final Platform PLATFORM =
            Platform.valueOf(System.getProperty("kdefer.test.platform", Platform.ARM64_GICV3.name()));

    /**
     * A device line a platform-neutral test requests with {@code TRIGGER_RISING} and raises with
     * {@code irqs().pulse}: SPI 40 on the GICv3, ISA IRQ 5 (IO-APIC pin 5, edge) on x86.
     */
    public static final int EDGE_LINE = PLATFORM == Platform.ARM64_GICV3 ? 40 : 5;

    /** Tests that exercise one platform's hardware carry this tag; the other platform's run excludes it. */
    public static final String GIC_ONLY = "gic";

    @Override
    public void afterEach(ExtensionContext context) {
        List<Machine> machines;
        synchronized (this) {
            machines = new ArrayList<>(booted);
            booted.clear();
        }
        if (machines.isEmpty()) {
            return;
        }
        Throwable failure = null;
        try {
            machines.get(0).unbindCurrentThread();      // the binding belongs to the thread, not to one machine
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        List<String> stuck = new ArrayList<>();
        for (int i = machines.size() - 1; i >= 0; i--) {
            Machine m = machines.get(i);
            try {
                m.close();
            } catch (RuntimeException | Error e) {
                failure = chain(failure, e);
                continue;
            }
            List<String> left = m.closeReport().stuckThreads();
            if (failOnStuckThreads && !left.isEmpty()) {
                stuck.add(m.name() + ": " + left);
            }
        }
        if (!stuck.isEmpty()) {
            failure = chain(failure, new AssertionError("close left runtime threads running: " + stuck));
        }
        if (failure instanceof Error) {
            throw (Error) failure;
        }
        if (failure != null) {
            throw (RuntimeException) failure;
        }
    }

    private static Throwable chain(Throwable first, Throwable next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
