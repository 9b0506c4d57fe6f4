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
            "  demo [seconds] [--platform arm64|x86] [--top] [--jfr FILE]",
            "                boot a demo machine and print /proc-style tables; --top: a live view every second;",
            "                --jfr FILE: record the run (and provoked anomalies) with JFR into FILE (arm64)",
            "  example NAME  run a lesson: irqwork, smp, softirq, tasklet, timer, threaded, workqueue, hotplug,",
            "                driver, x86",
            "  help          print this message");

    private Main() {
    }

    private static void example(String[] args) throws Exception {
        String name = args.length == 0 ? "" : args[0].toLowerCase(java.util.Locale.ROOT);
        switch (name) {
            case "irqwork", "1" -> Example_01_IrqWork.main(args);
            case "smp", "2" -> Example_02_CrossCpuCall.main(args);
            case "softirq", "3" -> Example_03_Softirq.main(args);
            case "tasklet", "4" -> Example_04_Tasklet.main(args);
            case "timer", "5" -> Example_05_Timer.main(args);
            case "threaded", "6" -> Example_06_ThreadedIrq.main(args);
            case "workqueue", "7" -> Example_07_Workqueue.main(args);
            case "hotplug", "8" -> Example_08_Hotplug.main(args);
            case "driver", "9" -> Example_09_Driver.main(args);
            case "x86", "10" -> Example_10_X86.main(args);
            default -> {
                System.err.println("unknown example: " + name
                        + " (try: irqwork, smp, softirq, tasklet, timer, threaded, workqueue, hotplug, driver, x86)");
                System.exit(2);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (command) {
            case "demo" -> Demo.main(rest);
            case "example" -> example(rest);
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
