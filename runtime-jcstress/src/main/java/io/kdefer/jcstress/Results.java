/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.jcstress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Sums a jcstress run's per-configuration results (the HTML report jcstress writes to {@code results/}) into one
 * table per test: each observed outcome with its samples across all JVM configurations, its expectation and
 * description. The tables in the proofs' javadoc and the mutant catalogue's forbidden-sample counts come from here.
 *
 * <pre>
 *   java -cp runtime-jcstress/target/jcstress.jar io.kdefer.jcstress.Results runtime-jcstress/target/results [regexp]
 * </pre>
 * Per test it prints a header line {@code TEST <name> configs=<n> status=<OK|FAILED|ERROR|...> samples=<n>
 * forbidden=<n>} (the line scripts read; forbidden counts the samples of outcomes expected FORBIDDEN or matching no
 * {@code @Outcome}), then the table.
 */
public final class Results {
    private static final Pattern TR = Pattern.compile("<tr>(.*?)</tr>", Pattern.DOTALL);
    private static final Pattern OUTCOME = Pattern.compile("<th nowrap align='center'>(.*?)</th>", Pattern.DOTALL);
    private static final Pattern TD = Pattern.compile("<td[^>]*>(.*?)</td>", Pattern.DOTALL);
    private static final Pattern TAG = Pattern.compile("<[^>]+>");

    private Results() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: Results <jcstress results dir> [test regexp]");
            System.exit(2);
        }
        Pattern filter = Pattern.compile(args.length > 1 ? args[1] : ".*");
        List<Path> files;
        try (Stream<Path> s = Files.list(Paths.get(args[0]))) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".html"))
                    .filter(p -> !p.getFileName().toString().equals("index.html"))
                    .sorted().collect(Collectors.toList());
        }
        for (Path f : files) {
            String name = f.getFileName().toString().replaceFirst("\\.html$", "");
            if (filter.matcher(name).find()) {
                print(name, new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
            }
        }
    }

    private static void print(String name, String html) {
        int at = html.indexOf("Observed States");
        if (at < 0) {
            System.out.printf("TEST %s configs=0 status=ERROR samples=0 forbidden=0%n", name);
            return;
        }
        List<String> rows = new ArrayList<>();
        Matcher m = TR.matcher(html.substring(at));
        while (m.find()) {
            rows.add(m.group(1));
        }
        List<String> outcomes = all(OUTCOME, rows.get(0));
        List<String> expect = all(TD, rows.get(1));
        List<String> desc = all(TD, rows.get(2));
        expect.remove(0);                      // the colspan=4 filler
        desc.remove(0);
        long[] samples = new long[outcomes.size()];
        int configs = 0;
        String status = "OK";
        for (int r = 3; r < rows.size(); r++) {
            List<String> cells = all(TD, rows.get(r));
            if (cells.size() < 4 + outcomes.size()) {
                continue;
            }
            configs++;
            String s = cells.get(3);
            if (!s.equals("OK")) {
                status = status.equals("OK") ? s : status;
            }
            for (int k = 0; k < outcomes.size(); k++) {
                String v = cells.get(4 + k).replace(",", "");
                samples[k] += v.matches("\\d+") ? Long.parseLong(v) : 0;
            }
        }
        long total = 0;
        long forbidden = 0;
        for (int k = 0; k < samples.length; k++) {
            total += samples[k];
            String e = expect.get(k).toLowerCase(java.util.Locale.ROOT);
            if (e.startsWith("forbidden") || e.startsWith("unknown")) {          // jcstress fails on both
                forbidden += samples[k];
            }
        }
        System.out.printf("TEST %s configs=%d status=%s samples=%d forbidden=%d%n", name, configs, status, total,
                forbidden);
        int w = "RESULT".length();
        for (String o : outcomes) {
            w = Math.max(w, o.length());
        }
        System.out.printf("   %" + w + "s  %14s  %-22s  %s%n", "RESULT", "SAMPLES", "EXPECT", "DESCRIPTION");
        for (int k = 0; k < outcomes.size(); k++) {
            System.out.printf("   %" + w + "s  %,14d  %-22s  %s%n", outcomes.get(k), samples[k], expect.get(k),
                    desc.get(k));
        }
    }

    private static List<String> all(Pattern p, String s) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) {
            out.add(TAG.matcher(m.group(1)).replaceAll("").trim().replace("&gt;", ">").replace("&lt;", "<")
                    .replace("&amp;", "&"));
        }
        return out;
    }
}
