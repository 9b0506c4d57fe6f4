/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import jdk.jfr.Configuration;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.Name;
import jdk.jfr.SettingDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped {@code .jfc} files parse ({@link Configuration#create}), name every kdefer event and only kdefer
 * events that exist, and set only settings those events have.
 */
@Timeout(30)
class JfcTest {
    @TempDir
    Path dir;

    private static Set<String> eventNames() {
        Set<String> s = new TreeSet<>();
        for (Class<? extends Event> c : Trace.eventClasses()) {
            s.add(c.getAnnotation(Name.class).value());
        }
        return s;
    }

    @Test
    void everyFileNamesExactlyTheKdeferEvents() throws Exception {
        for (String f : Jfc.files()) {
            Configuration c = Jfc.configuration(f);
            Set<String> named = new TreeSet<>();
            for (String key : c.getSettings().keySet()) {
                named.add(key.substring(0, key.indexOf('#')));
            }
            assertEquals(eventNames(), named, f + ": events named vs event classes");
            assertTrue(c.getProvider().equals("kdefer"), f);
        }
    }

    @Test
    void everySettingExistsOnItsEvent() {
        Map<String, Set<String>> settingsOf = new java.util.HashMap<>();
        for (Class<? extends Event> c : Trace.eventClasses()) {
            EventType t = EventType.getEventType(c);
            Set<String> s = new HashSet<>();
            for (SettingDescriptor d : t.getSettingDescriptors()) {
                s.add(d.getName());
            }
            settingsOf.put(t.getName(), s);
        }
        for (String f : Jfc.files()) {
            for (Map.Entry<String, String> e : Jfc.configuration(f).getSettings().entrySet()) {
                String event = e.getKey().substring(0, e.getKey().indexOf('#'));
                String setting = e.getKey().substring(e.getKey().indexOf('#') + 1);
                assertTrue(settingsOf.get(event).contains(setting), f + ": " + e.getKey() + " is not a setting of "
                        + event + " " + settingsOf.get(event));
            }
        }
    }

    /** The variants differ as documented: default is anomalies only, profile records every item. */
    @Test
    void defaultIsQuietAndProfileRecordsItems() {
        Map<String, String> d = Jfc.configuration(Jfc.DEFAULT).getSettings();
        Map<String, String> p = Jfc.configuration(Jfc.PROFILE).getSettings();
        assertEquals("false", d.get("kdefer.SoftirqRaise#enabled"));
        assertEquals("false", p.get("kdefer.SoftirqRaise#enabled"), "raise stays off (one per raise)");
        assertEquals("false", d.get("kdefer.WorkQueue#enabled"));
        assertEquals("true", p.get("kdefer.WorkQueue#enabled"));
        assertEquals("true", p.get("kdefer.WorkQueue#stackTrace"), "profile says who queued");
        assertEquals("10 ms", d.get("kdefer.WorkExecute#latencyThreshold"));
        assertEquals("0 ns", d.get("kdefer.WorkExecute#threshold"));
        assertEquals("0 ns", p.get("kdefer.WorkExecute#latencyThreshold"));
        for (String event : List.of("kdefer.WorkqueueStall", "kdefer.SoftLockup", "kdefer.CallbackFailed",
                "kdefer.MachineState", "kdefer.IrqNobodyCared")) {
            assertEquals("true", d.get(event + "#enabled"), event + " is always on");
        }
    }

    @Test
    void exportWritesParsableFiles() throws Exception {
        List<Path> written = Jfc.export(dir.resolve("out"));
        assertEquals(Jfc.files(), written.stream().map(p -> p.getFileName().toString()).collect(Collectors.toList()));
        for (Path p : written) {
            try (Reader r = Files.newBufferedReader(p)) {
                assertEquals(Jfc.configuration(p.getFileName().toString()).getSettings(),
                        Configuration.create(r).getSettings());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Jfc.configuration("default.jfc"));
    }
}
