/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

/** The demo machine ({@code ./kdefer demo}). Placeholder until runtime-core has a {@code Machine}. */
public final class Demo {
    private Demo() {
    }

    public static void main(String[] args) {
        System.out.println("kdefer demo: the demo machine is not built yet (runtime-core has no Machine); nothing to run.");
    }
}
