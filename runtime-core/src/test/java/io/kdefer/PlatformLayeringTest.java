/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * DESIGN §3 for the platform packages, with the scan of {@code MachineTest}: the x86 hardware models know nothing
 * above them (as {@code gic}), and the platform drivers in {@code irqchip} stand on the CPUs, genirq's SPI, smp's
 * IPIs and the hardware models, never on the root package that installs them or the subsystems above smp.
 */
class PlatformLayeringTest {
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "x86", Set.of("internal"),
            "irqchip", Set.of("internal", "cpu", "gic", "x86", "irq", "smp"));

    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.kdefer\\.([A-Za-z_]\\w*)");

    @Test
    void platformPackagesNameOnlyTheLayersBelowThem() throws IOException {
        Path root = Stream.of(Paths.get("src/main/java/io/kdefer"), Paths.get("runtime-core/src/main/java/io/kdefer"))
                .filter(Files::isDirectory).findFirst()
                .orElseThrow(() -> new AssertionError("main sources not found from " + Paths.get("").toAbsolutePath()));
        List<String> violations = new ArrayList<>();
        for (Map.Entry<String, Set<String>> rule : ALLOWED.entrySet()) {
            List<Path> files;
            try (Stream<Path> s = Files.list(root.resolve(rule.getKey()))) {
                files = s.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
            }
            assertFalse(files.isEmpty(), "no sources in io.kdefer." + rule.getKey());
            for (Path f : files) {
                String code = MachineTest.stripCommentsAndStrings(Files.readString(f, StandardCharsets.UTF_8));
                Matcher mt = REFERENCE.matcher(code);
                while (mt.find()) {
                    String name = mt.group(1);
                    String target = Character.isLowerCase(name.charAt(0)) ? name : "(root) " + name;
                    if (!target.equals(rule.getKey()) && !rule.getValue().contains(target)) {
                        violations.add("io.kdefer." + rule.getKey() + "/" + f.getFileName() + " names io.kdefer."
                                + name);
                    }
                }
            }
        }
        assertEquals(List.of(), violations);
    }
}
