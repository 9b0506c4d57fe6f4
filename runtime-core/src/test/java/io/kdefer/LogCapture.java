/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects what the runtime reports through {@code System.Logger} (backed by java.util.logging when no other
 * LoggerFinder is installed), so a test can assert that something was "reported", not just that nothing threw.
 *
 * <pre>{@code
 * try (LogCapture log = LogCapture.of("io.kdefer.irq")) {
 *     ...;
 *     assertTrue(log.contains("Unbalanced enable for IRQ 40"));
 * }
 * }</pre>
 */
public final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger;                          // held strongly: JUL keeps loggers weakly
    private final List<String> messages = new ArrayList<>();   // guarded by this

    private LogCapture(String name) {
        this.logger = Logger.getLogger(name);
        setLevel(Level.ALL);
        logger.addHandler(this);
    }

    /** Starts capturing the records of logger {@code name} and its children. */
    public static LogCapture of(String name) {
        return new LogCapture(name);
    }

    @Override
    public synchronized void publish(LogRecord r) {
        String m = r.getMessage();
        messages.add(r.getLevel() + " " + m);
    }

    /** Every captured message, in order, each prefixed with its JUL level (WARNING, SEVERE, ...). */
    public synchronized List<String> messages() {
        return new ArrayList<>(messages);
    }

    /** Whether some captured message contains {@code fragment}. */
    public synchronized boolean contains(String fragment) {
        return count(fragment) > 0;
    }

    /** How many captured messages contain {@code fragment}. */
    public synchronized long count(String fragment) {
        return messages.stream().filter(m -> m.contains(fragment)).count();
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
