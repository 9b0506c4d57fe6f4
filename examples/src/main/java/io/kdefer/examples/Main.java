/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.examples;

import java.util.Arrays;

/**
 * Entry point of {@code examples.jar}: {@code java -jar examples/target/examples.jar <command> [args]}, usually
 * through the root script ({@code ./kdefer demo}).
 */
public final class Main {
    private static final String USAGE = String.join("\n",
            "usage: java -jar examples/target/examples.jar <command> [args]   (or: ./kdefer <command> [args])",
            "commands:",
            "  demo [args]   boot a demo machine and print /proc-style tables",
            "  help          print this message");

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (command) {
            case "demo" -> Demo.main(rest);
            case "help", "-h", "--help" -> System.out.println(USAGE);
            default -> {
                if (!command.isEmpty()) {
                    System.err.println("unknown command: " + command);
                }
                System.err.println(USAGE);
                System.exit(2);
            }
        }
    }
}
