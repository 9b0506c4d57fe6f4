/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import io.kdefer.trace.Jfc;
import io.kdefer.trace.Trace;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A JFR recording of the kdefer events for a test: {@code kdefer-profile.jfc} (every per-item event, threshold 0)
 * started at construction; {@link #events} stops it, dumps it to a temporary file and parses it back.
 *
 * <pre>{@code
 * try (JfrCapture jfr = new JfrCapture()) {
 *     ... run the scenario ...
 *     List<RecordedEvent> ev = jfr.events("kdefer.WorkqueueStall");
 * }
 * }</pre>
 */
public final class JfrCapture implements AutoCloseable {
    private final Recording recording;   // I
    private List<RecordedEvent> events;  // C: the test thread's, after events()

    public JfrCapture() {
        Trace.init();
        recording = new Recording(Jfc.configuration(Jfc.PROFILE));
        recording.start();
    }

    /** Stops the recording (first call) and returns its events named {@code name}, by start time. */
    public List<RecordedEvent> events(String name) {
        if (events == null) {
            recording.stop();
            try {
                Path file = Files.createTempFile("kdefer-test", ".jfr");
                try {
                    recording.dump(file);
                    events = RecordingFile.readAllEvents(file);
                } finally {
                    Files.deleteIfExists(file);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            events.sort(Comparator.comparing(RecordedEvent::getStartTime));
        }
        return events.stream().filter(e -> e.getEventType().getName().equals(name)).collect(Collectors.toList());
    }

    @Override
    public void close() {
        recording.close();
    }
}
