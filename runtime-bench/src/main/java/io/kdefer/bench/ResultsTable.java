/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH JSON result file ({@code -rf json}) into the Markdown tables of the README: one table per benchmark
 * class, a row per method and parameter set, with score ± error, the allocation per operation when the run used
 * {@code -prof gc}, and the ratio of each row to the first row of its group (a group is one method of a class that
 * compares implementations through an {@code impl} parameter, else the whole class).
 *
 * <p>Run: {@code java -cp runtime-bench/target/benchmarks.jar io.kdefer.bench.ResultsTable runtime-bench/results/<file>.json
 * [Class,Class...]} (or {@code ./kdefer perf-table [file] [classes]}, which picks the newest file by default). The
 * optional comma-separated list of benchmark class simple names keeps only those tables, in that order (one README
 * section per primitive).
 */
public final class ResultsTable {
    private ResultsTable() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: ResultsTable <jmh-results.json> [BenchClass,BenchClass...]");
            System.exit(2);
        }
        Object parsed = new Json(Files.readString(Path.of(args[0]))).value();
        if (!(parsed instanceof List)) {
            throw new IllegalArgumentException(args[0] + " is not a JMH JSON result (expected a list)");
        }
        List<String> only = args.length == 2 ? List.of(args[1].split(",")) : List.of();
        String out = render((List<?>) parsed, only);
        for (String c : only) {
            if (!out.contains("**" + c + "**")) {
                System.err.println("ResultsTable: no results for benchmark class " + c + " in " + args[0]);
                System.exit(1);
            }
        }
        System.out.print(out);
    }

    static String render(List<?> results) {
        return render(results, List.of());
    }

    /** The tables of the classes in {@code only} (in that order), or of every class if it is empty. */
    static String render(List<?> results, List<String> only) {
        Map<String, List<Map<?, ?>>> byClass = new LinkedHashMap<>();
        String jdk = null;
        for (Object o : results) {
            Map<?, ?> r = (Map<?, ?>) o;
            String bench = (String) r.get("benchmark");
            String cls = bench.substring(0, bench.lastIndexOf('.'));
            cls = cls.substring(cls.lastIndexOf('.') + 1);
            if (only.isEmpty() || only.contains(cls)) {
                byClass.computeIfAbsent(cls, k -> new ArrayList<>()).add(r);
            }
            if (jdk == null) {
                jdk = r.get("jdkVersion") + " (" + r.get("vmName") + ")";
            }
        }
        if (!only.isEmpty()) {
            Map<String, List<Map<?, ?>>> ordered = new LinkedHashMap<>();
            for (String c : only) {
                if (byClass.containsKey(c)) {
                    ordered.put(c, byClass.get(c));
                }
            }
            byClass = ordered;
        }
        StringBuilder sb = new StringBuilder();
        sb.append("JDK ").append(jdk).append("\n\n");
        for (Map.Entry<String, List<Map<?, ?>>> e : byClass.entrySet()) {
            sb.append("**").append(e.getKey()).append("**\n\n");
            sb.append("| benchmark | impl | score | error | unit | B/op | ratio |\n");
            sb.append("|---|---|---:|---:|---|---:|---:|\n");
            Map<String, Double> firstOfGroup = new LinkedHashMap<>();
            for (Map<?, ?> r : e.getValue()) {
                String bench = (String) r.get("benchmark");
                String method = bench.substring(bench.lastIndexOf('.') + 1);
                Map<?, ?> params = (Map<?, ?>) r.get("params");
                Object implValue = params == null ? null : params.get("impl");
                String impl = implValue == null ? "" : String.valueOf(implValue);
                String rest = params == null ? "" : describeOtherParams(params);
                Map<?, ?> primary = (Map<?, ?>) r.get("primaryMetric");
                double score = number(primary.get("score"));
                double error = number(primary.get("scoreError"));
                String unit = (String) primary.get("scoreUnit");
                String group = impl.isEmpty() ? "" : method + rest;
                Double first = firstOfGroup.putIfAbsent(group, score);
                String ratio = first == null ? "1.00" : ratio(first, score, unit);
                sb.append(String.format(Locale.ROOT, "| %s%s | %s | %s | %s | %s | %s | %s |%n", method, rest, impl,
                        fmt(score), Double.isNaN(error) ? "" : fmt(error), unit, allocation(r), ratio));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String describeOtherParams(Map<?, ?> params) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<?, ?> p : params.entrySet()) {
            if (!"impl".equals(p.getKey())) {
                sb.append(' ').append(p.getKey()).append('=').append(p.getValue());
            }
        }
        return sb.toString();
    }

    /** How many times better the group's first row is than this one (time: lower is better; rate: higher). */
    private static String ratio(double first, double score, String unit) {
        boolean timePerOp = unit.endsWith("/op");
        double r = timePerOp ? score / first : first / score;
        return String.format(Locale.ROOT, "%.2f", r);
    }

    private static String allocation(Map<?, ?> r) {
        Map<?, ?> secondary = (Map<?, ?>) r.get("secondaryMetrics");
        if (secondary == null) {
            return "";
        }
        Object norm = secondary.get("gc.alloc.rate.norm");
        if (!(norm instanceof Map)) {
            return "";
        }
        double b = number(((Map<?, ?>) norm).get("score"));
        return String.format(Locale.ROOT, "%.0f", b);
    }

    private static double number(Object o) {
        if (o instanceof Number) {
            return ((Number) o).doubleValue();
        }
        if (o instanceof String) {       // JMH writes "NaN" as a string
            try {
                return Double.parseDouble((String) o);
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }

    private static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "";
        }
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** A minimal JSON reader: objects become LinkedHashMaps, arrays Lists, numbers Doubles. */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object value() {
            skip();
            char c = s.charAt(i);
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                    return string();
                case 't':
                    i += 4;
                    return Boolean.TRUE;
                case 'f':
                    i += 5;
                    return Boolean.FALSE;
                case 'n':
                    i += 4;
                    return null;
                default:
                    return number();
            }
        }

        private Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            skip();
            if (s.charAt(i) == '}') {
                i++;
                return m;
            }
            while (true) {
                skip();
                String k = string();
                skip();
                expect(':');
                m.put(k, value());
                skip();
                if (s.charAt(i) == ',') {
                    i++;
                } else {
                    expect('}');
                    return m;
                }
            }
        }

        private List<Object> array() {
            List<Object> l = new ArrayList<>();
            i++;
            skip();
            if (s.charAt(i) == ']') {
                i++;
                return l;
            }
            while (true) {
                l.add(value());
                skip();
                if (s.charAt(i) == ',') {
                    i++;
                } else {
                    expect(']');
                    return l;
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n': sb.append('\n'); break;
                        case 't': sb.append('\t'); break;
                        case 'r': sb.append('\r'); break;
                        case 'b': sb.append('\b'); break;
                        case 'f': sb.append('\f'); break;
                        case 'u':
                            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                            break;
                        default: sb.append(e);
                    }
                } else {
                    sb.append(c);
                }
            }
        }

        private Double number() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            return Double.valueOf(s.substring(start, i));
        }

        private void expect(char c) {
            if (s.charAt(i) != c) {
                throw new IllegalArgumentException("JSON: expected '" + c + "' at offset " + i);
            }
            i++;
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }
    }
}
