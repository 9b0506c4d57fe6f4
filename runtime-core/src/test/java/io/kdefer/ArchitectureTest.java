/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The runtime's layering, as one declared rule set over every package of runtime-core's main classes (DESIGN §3,
 * ARCHITECTURE.md). A subsystem and its {@code .internal} package are one layer.
 *
 * <pre>
 *   io.kdefer            wiring: Machine builds the kernel and installs every subsystem; nothing depends on it.
 *                        Device (devm_*) lives here too: it creates IRQ actions, tasklets, timers, work items and
 *                        irq_work, so it sits above all of them; the rules need no change for it
 *   trace                /proc tables, JFR events, MBeans, latency tables: reads every subsystem below
 *   workqueue            CMWQ: pools, workers, delayed work (its timers come from time)
 *   irqwork tasklet time the deferral primitives, each on the CPU, softirq and smp layers
 *   sync                 kernel-style locks and waits, on the CPU's context
 *   irqchip              the platform drivers: the GICv3 (and x86) chips, domains, root handlers, IPI senders
 *   smp                  IPIs and the call-single queues
 *   irq                  genirq: descriptors, flows, request/free, threads -- on IrqChip, never on a controller
 *   softirq              the pending words, the drain, the vectors
 *   cpu                  the virtual CPUs, their contexts, tick, hotplug, the wake-up protocol
 *   gic x86              the hardware models: registers and state machines, nothing of the kernel
 *   internal             the runtime's shared idioms (lists, backoff, await, lifecycle, faults, kernel registry), and
 *                        the tracepoint seam (Tracepoints, Latency, Inventory) that trace plugs its events into
 * </pre>
 * A layer may use the layers below it and never one above; no two subsystems depend on each other both ways.
 *
 * <p>Tracepoints sit in every layer (a CPU's hotplug, genirq's flows, the workers), but trace is the top subsystem
 * layer: the hooks call {@code io.kdefer.internal.Tracepoints} and record into {@code internal.Latency}, and trace
 * implements the seam ({@code Tracepoints.Sink}: the JFR events) and listens to {@code internal.Inventory} (the
 * MBeans). {@link #onlyTraceKnowsJfrAndJmx} keeps it that way: no hook reaches for JFR or JMX itself.
 */
@DisplayName("architecture: the layers of DESIGN §3, over every package")
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPackages("io.kdefer");
    }

    @Test
    @DisplayName("each layer uses only the layers below it")
    void layersPointDown() {
        ArchRule rule = layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("wiring").definedBy("io.kdefer")
                .layer("trace").definedBy("io.kdefer.trace..")
                .layer("workqueue").definedBy("io.kdefer.workqueue..")
                .layer("irqwork").definedBy("io.kdefer.irqwork..")
                .layer("tasklet").definedBy("io.kdefer.tasklet..")
                .layer("time").definedBy("io.kdefer.time..")
                .layer("sync").definedBy("io.kdefer.sync..")
                .layer("platform").definedBy("io.kdefer.irqchip..")
                .layer("smp").definedBy("io.kdefer.smp..")
                .layer("irq").definedBy("io.kdefer.irq", "io.kdefer.irq.internal..")
                .layer("softirq").definedBy("io.kdefer.softirq..")
                .layer("cpu").definedBy("io.kdefer.cpu..")
                .layer("hardware").definedBy("io.kdefer.gic..", "io.kdefer.x86..")
                .layer("internal").definedBy("io.kdefer.internal..")

                .whereLayer("wiring").mayNotBeAccessedByAnyLayer()
                .whereLayer("trace").mayOnlyBeAccessedByLayers("wiring")
                .whereLayer("workqueue").mayOnlyBeAccessedByLayers("wiring", "trace")
                .whereLayer("irqwork").mayOnlyBeAccessedByLayers("wiring", "trace")
                .whereLayer("tasklet").mayOnlyBeAccessedByLayers("wiring", "trace")
                .whereLayer("time").mayOnlyBeAccessedByLayers("wiring", "trace", "workqueue")
                .whereLayer("sync").mayOnlyBeAccessedByLayers("wiring", "trace", "workqueue", "irqwork", "tasklet",
                        "time")
                .whereLayer("platform").mayOnlyBeAccessedByLayers("wiring")
                .whereLayer("smp").mayOnlyBeAccessedByLayers("wiring", "trace", "workqueue", "irqwork", "tasklet",
                        "time", "sync", "platform")
                .whereLayer("irq").mayOnlyBeAccessedByLayers("wiring", "trace", "workqueue", "irqwork", "tasklet",
                        "time", "sync", "platform", "smp")
                .whereLayer("softirq").mayOnlyBeAccessedByLayers("wiring", "trace", "workqueue", "irqwork",
                        "tasklet", "time", "sync", "platform", "smp", "irq")
                .whereLayer("cpu").mayOnlyBeAccessedByLayers("wiring", "trace", "workqueue", "irqwork", "tasklet",
                        "time", "sync", "platform", "smp", "irq", "softirq")
                .whereLayer("hardware").mayOnlyBeAccessedByLayers("wiring", "platform");
        rule.check(classes);
    }

    @Test
    @DisplayName("no package cycle between subsystems (a subsystem and its .internal are one slice)")
    void noCycles() {
        slices().matching("io.kdefer.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    @DisplayName("genirq never names an interrupt controller: it drives them through IrqChip")
    void genirqKnowsNoController() {
        noClasses().that().resideInAnyPackage("io.kdefer.irq..")
                .should().dependOnClassesThat().resideInAnyPackage("io.kdefer.gic..", "io.kdefer.x86..",
                        "io.kdefer.irqchip..")
                .check(classes);
    }

    @Test
    @DisplayName("only trace knows JFR and JMX; the layers below emit through the tracepoint seam")
    void onlyTraceKnowsJfrAndJmx() {
        noClasses().that().resideOutsideOfPackage("io.kdefer.trace..")
                .and().doNotHaveFullyQualifiedName("io.kdefer.internal.Tracepoints")
                .should().dependOnClassesThat().resideInAnyPackage("jdk.jfr..")
                .because("a hook asks Tracepoints whether its event is on; the events live in io.kdefer.trace")
                .check(classes);
        noClasses().that().resideOutsideOfPackage("io.kdefer.trace..")
                .should().dependOnClassesThat().resideInAnyPackage("javax.management..", "java.lang.management..")
                .because("the MBeans are trace's; lines and workqueues announce themselves through Inventory")
                .check(classes);
    }

    @Test
    @DisplayName("the hardware models know nothing of the kernel above them")
    void hardwareIsHardware() {
        noClasses().that().resideInAnyPackage("io.kdefer.gic..", "io.kdefer.x86..")
                .should().dependOnClassesThat().resideInAnyPackage("io.kdefer", "io.kdefer.cpu..",
                        "io.kdefer.softirq..", "io.kdefer.irq..", "io.kdefer.smp..", "io.kdefer.irqchip..",
                        "io.kdefer.irqwork..", "io.kdefer.tasklet..", "io.kdefer.time..", "io.kdefer.sync..",
                        "io.kdefer.workqueue..", "io.kdefer.trace..")
                .check(classes);
    }
}
