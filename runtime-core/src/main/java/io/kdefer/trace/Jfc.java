/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import jdk.jfr.Configuration;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The kdefer JFR settings files shipped in the runtime jar: {@code kdefer.jfc} ("default": anomalies only, low
 * overhead) and {@code kdefer-profile.jfc} ("profile": every item). {@code -XX:StartFlightRecording} and
 * {@code jcmd JFR.start} read settings from files, so export them first:
 * <pre>
 *   java -cp runtime-core.jar io.kdefer.trace.Jfc /tmp/kdefer       # writes kdefer.jfc and kdefer-profile.jfc
 *   java -XX:StartFlightRecording:settings=default,settings=/tmp/kdefer/kdefer.jfc,filename=rec.jfr -jar app.jar
 * </pre>
 * In code, {@link #configuration(String)} gives a {@code jdk.jfr.Configuration} for a {@code Recording} or
 * {@code RecordingStream}.
 */
public final class Jfc {
    /** The variants and their file names. */
    public static final String DEFAULT = "kdefer.jfc";
    public static final String PROFILE = "kdefer-profile.jfc";
    private static final List<String> FILES = List.of(DEFAULT, PROFILE);

    private Jfc() {
    }

    /** The file names of the shipped settings. */
    public static List<String> files() {
        return FILES;
    }

    /**
     * A shipped settings file as a JFR configuration.
     *
     * @param file {@link #DEFAULT} or {@link #PROFILE}
     * @throws IllegalArgumentException for another name
     */
    public static Configuration configuration(String file) {
        try (Reader r = new InputStreamReader(open(file), StandardCharsets.UTF_8)) {
            return Configuration.create(r);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file + " from the kdefer jar", e);
        } catch (ParseException e) {
            throw new IllegalStateException("the kdefer jar's " + file + " does not parse: " + e.getMessage(), e);
        }
    }

    private static InputStream open(String file) {
        if (!FILES.contains(file)) {
            throw new IllegalArgumentException("no kdefer settings file " + file + "; there are " + FILES);
        }
        InputStream in = Jfc.class.getResourceAsStream(file);
        if (in == null) {
            throw new IllegalStateException(file + " is missing from the kdefer jar (io/kdefer/trace/" + file + ")");
        }
        return in;
    }

    /** Writes the shipped settings files into {@code dir} (created if needed); returns the files written. */
    public static List<Path> export(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (String f : FILES) {
            Path target = dir.resolve(f);
            try (InputStream in = open(f)) {
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
            written.add(target);
        }
        return written;
    }

    /** {@code java -cp runtime-core.jar io.kdefer.trace.Jfc [DIR]}: exports the settings (default DIR: "."). */
    public static void main(String[] args) throws IOException {
        Path dir = Paths.get(args.length > 0 ? args[0] : ".");
        for (Path p : export(dir)) {
            System.out.println(p.toAbsolutePath());
        }
    }
}
