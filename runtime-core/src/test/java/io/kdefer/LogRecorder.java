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
 * Records what the runtime reports through {@code System.Logger} (java.util.logging when no other LoggerFinder is
 * installed), so a test can assert that something was reported. Same shape as the irq tests' LogCapture.
 */
public final class LogRecorder extends Handler implements AutoCloseable {
    private final Logger logger;                               // held strongly: JUL keeps loggers weakly
    private final List<String> messages = new ArrayList<>();   // guarded by this

    private LogRecorder(String name) {
        this.logger = Logger.getLogger(name);
        setLevel(Level.ALL);
        logger.addHandler(this);
    }

    /** Starts recording the records of logger {@code name} and its children. */
    public static LogRecorder of(String name) {
        return new LogRecorder(name);
    }

    @Override
    public synchronized void publish(LogRecord r) {
        messages.add(r.getLevel() + " " + r.getMessage());
    }

    public synchronized List<String> messages() {
        return new ArrayList<>(messages);
    }

    /** How many recorded messages contain {@code fragment}. */
    public synchronized long count(String fragment) {
        return messages.stream().filter(m -> m.contains(fragment)).count();
    }

    public boolean contains(String fragment) {
        return count(fragment) > 0;
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
