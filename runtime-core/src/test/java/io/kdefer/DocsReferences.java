/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The build check that every behaviour id and section a comment cites resolves in {@code docs/}: the checker
 * itself, run over the repository by {@link DocsReferenceTest}. The citation conventions it enforces are written
 * out for readers in {@code docs/README.md}; in short:
 * <ul>
 *   <li>{@code B-XX-n}, {@code MO-XX-n}, {@code J-XX-n} name an item defined in {@code docs/kernel-spec.md} by a
 *       list line that starts with the id ({@code - B-IW-3 ...}). A list joins numbers of the same area with
 *       {@code /} ({@code B-SIRQ-5/6/7}) and a range with {@code ..} ({@code B-WQ-26..29}); every member is
 *       checked. A hyphen between two numbers is refused (it reads as a range but could be anything), and so
 *       is a bare number after a citation ({@code ", 2"}): a member without its prefix, or prose?
 *       {@code B-SIRQ-3a} names part (a) of B-SIRQ-3, which must contain the text "(a)".</li>
 *   <li>{@code B-XX} (also {@code MO-XX}, {@code J-XX}) without a number names an area: a spec section whose
 *       heading ends in the area in parentheses, as "(B-IW)" ends the heading of section 7.</li>
 *   <li>{@code K-XX} names a constant group, defined by a line that starts with the group and a colon
 *       ({@code K-SIRQ:}). The area {@code XX} itself is the notation's placeholder, never a reference.</li>
 *   <li>{@code DESIGN §n} and {@code STYLE §n} name a numbered section of {@code docs/DESIGN.md} and
 *       {@code docs/STYLE.md}. {@code spec §n}, and a bare {@code §n} everywhere (also inside the documents),
 *       name the behaviour reference: {@code §7} its section 7, {@code §7a} its subsection 7a, {@code §13.1}
 *       numbered point 1 of section 13. The word right before the {@code §} (on the previous line when the
 *       {@code §} starts a comment line) decides: {@code DESIGN}, {@code STYLE}, {@code spec}/{@code Spec}, any
 *       other all-capitals word is an unknown document (an error), anything else means the spec. A bare
 *       {@code §} listed right after a DESIGN or STYLE citation, in the same list, is refused as ambiguous:
 *       write the document name again.</li>
 * </ul>
 */
final class DocsReferences {

    /** What the check reads, relative to the repository root: every file below these (directories) or these files. */
    static final List<String> SCANNED = List.of("README.md", "kdefer", ".ci", "docs", "pom.xml",
            "runtime-core/pom.xml", "runtime-core/src", "runtime-jcstress/pom.xml", "runtime-jcstress/src",
            "runtime-bench/pom.xml", "runtime-bench/src", "examples/pom.xml", "examples/src");

    /** One citation that resolves nowhere. */
    record Problem(String file, int line, String ref, String why) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + ref + " -- " + why;
        }
    }

    /** One member of a citation: {@code B-WQ-26..28} cites three, {@code B-SIRQ-3a} cites B-SIRQ-3 part "a". */
    record Cited(String id, String part) {
        @Override
        public String toString() {
            return id + part;
        }
    }

    /** A citation as written ({@code text}), its members, and what is malformed in it (nothing, normally). */
    record Citation(String text, List<Cited> members, List<String> malformed) {
    }

    /** The scan of the repository: the unresolved citations in file and line order, and how many files were read. */
    record Scan(List<Problem> problems, int files) {
    }

    private static final Pattern ITEM_DEF = Pattern.compile("^- ((?:B|MO|J)-[A-Z]+-\\d+)(?![\\w-])");
    private static final Pattern AREA_DEF = Pattern.compile("^## \\d+\\. .*\\(B-([A-Z]+)\\)\\s*$");
    private static final Pattern GROUP_DEF = Pattern.compile("^(K-[A-Z]+):");
    private static final Pattern H2 = Pattern.compile("^## (\\d+)\\. ");
    private static final Pattern H3 = Pattern.compile("^### (\\d+[a-z])\\. ");
    private static final Pattern POINT = Pattern.compile("^(\\d+)\\. ");

    /** The head of an id: kind and area, then a digit. The members are parsed by hand from there. */
    private static final Pattern ID_HEAD = Pattern.compile("(?<![\\w-])(B|MO|J)-([A-Z]+)-(?=\\d)");
    /** ", 2" right after a citation: a member without its prefix, or a number in the prose? Refused either way. */
    private static final Pattern BARE_NUMBER_AFTER = Pattern.compile(", ?\\d+");
    private static final Pattern AREA_REF = Pattern.compile("(?<![\\w-])(?:B|MO|J)-([A-Z]+)(?![\\w-])");
    private static final Pattern GROUP_REF = Pattern.compile("(?<![\\w-])K-([A-Z]+)(?![\\w-])");
    /** The notation's placeholder area ({@code B-XX-n}, {@code K-XX}): never a reference. */
    private static final String PLACEHOLDER_AREA = "XX";
    private static final Pattern SECTION_REF = Pattern.compile("§(\\d+[a-z]?(?:\\.\\d+)?)");
    private static final Pattern WORD_BEFORE = Pattern.compile("(?:^|[^A-Za-z])([A-Za-z]+) ?$");
    private static final Pattern LAST_WORD = Pattern.compile("(?:^|[^A-Za-z])([A-Za-z]+)\\s*$");
    private static final Pattern AFTER_OTHER_DOC = Pattern.compile(
            "(?:DESIGN|STYLE) ?§[0-9a-z.]+(?:\\s*(?:,|/|and|or)\\s*§[0-9a-z.]+)*\\s*(?:,|/|and|or)\\s*$");
    private static final Pattern COMMENT_LEADER = Pattern.compile("^\\s*(?:/\\*\\*|/\\*|\\*|//|#|<!--)?\\s*");
    private static final Pattern ALL_CAPS = Pattern.compile("[A-Z]{2,}");

    private DocsReferences() {
    }

    /** What {@code docs/} defines: items, constant groups and the numbered sections of each document. */
    static final class Index {
        final Map<String, String> items = new HashMap<>();
        final Set<String> groups = new HashSet<>();
        final Set<String> areas = new HashSet<>();
        final Map<String, Set<String>> sections = new HashMap<>();
        final List<String> problems = new ArrayList<>();

        /** Parses the three documents' texts (the files' contents, or a test's fake documents). */
        static Index parse(String spec, String design, String style) {
            Index x = new Index();
            x.sections.put("spec", sectionsOf(spec));
            x.sections.put("DESIGN", sectionsOf(design));
            x.sections.put("STYLE", sectionsOf(style));
            int n = 0;
            for (String line : outsideFences(spec)) {
                n++;
                Matcher m = ITEM_DEF.matcher(line);
                if (m.find() && x.items.put(m.group(1), line) != null) {
                    x.problems.add("kernel-spec.md:" + n + ": " + m.group(1) + " is defined twice");
                }
                Matcher a = AREA_DEF.matcher(line);
                if (a.find()) {
                    x.areas.add(a.group(1));
                }
                Matcher g = GROUP_DEF.matcher(line);
                if (g.find() && !x.groups.add(g.group(1))) {
                    x.problems.add("kernel-spec.md:" + n + ": " + g.group(1) + " is defined twice");
                }
            }
            return x;
        }

        static Index load(Path docs) {
            return parse(read(docs.resolve("kernel-spec.md")), read(docs.resolve("DESIGN.md")),
                    read(docs.resolve("STYLE.md")));
        }
    }

    /** "7" for {@code ## 7.}, "7a" for {@code ### 7a.}, "13.1" for a point {@code 1.} at the margin in section 13. */
    private static Set<String> sectionsOf(String markdown) {
        Set<String> s = new HashSet<>();
        String top = null;
        for (String line : outsideFences(markdown)) {
            Matcher m;
            if ((m = H2.matcher(line)).find()) {
                top = m.group(1);
                s.add(top);
            } else if ((m = H3.matcher(line)).find()) {
                s.add(m.group(1));
            } else if (top != null && (m = POINT.matcher(line)).find()) {
                s.add(top + "." + m.group(1));
            }
        }
        return s;
    }

    /** The lines of a markdown text, with those inside ``` fences blanked (line numbers stay right). */
    private static List<String> outsideFences(String markdown) {
        List<String> out = new ArrayList<>();
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.startsWith("```")) {
                fenced = !fenced;
                out.add("");
            } else {
                out.add(fenced ? "" : line);
            }
        }
        return out;
    }

    /** The citation whose id head starts at {@code start} in {@code line}, its lists and ranges expanded. */
    static Citation expand(String line, int start) {
        Matcher m = ID_HEAD.matcher(line);
        if (!m.find(start) || m.start() != start) {
            throw new IllegalArgumentException("no id at " + start + " in: " + line);
        }
        String prefix = m.group(1) + "-" + m.group(2) + "-";
        List<Cited> members = new ArrayList<>();
        List<String> malformed = new ArrayList<>();
        int[] num = new int[1];
        String[] part = new String[1];
        int i = member(line, m.end(), num, part);
        members.add(new Cited(prefix + num[0], part[0]));
        while (true) {
            boolean dots = line.startsWith("..", i) && digitAt(line, i + 2);
            boolean hyphen = line.startsWith("-", i) && digitAt(line, i + 1);
            if (dots || hyphen) {
                if (hyphen) {
                    malformed.add("a hyphen between numbers: write a range as a..b, a list as a/b");
                }
                int lo = num[0];
                String loPart = part[0];
                i = member(line, i + (dots ? 2 : 1), num, part);
                if (!loPart.isEmpty() || !part[0].isEmpty()) {
                    malformed.add("a range joins plain numbers, not parts");
                    break;
                }
                if (num[0] <= lo) {
                    malformed.add("empty or reversed range " + lo + ".." + num[0]);
                    break;
                }
                for (int k = lo + 1; k <= num[0]; k++) {
                    members.add(new Cited(prefix + k, ""));
                }
            } else if (line.startsWith("/", i) && digitAt(line, i + 1)) {
                i = member(line, i + 1, num, part);
                members.add(new Cited(prefix + num[0], part[0]));
            } else {
                break;
            }
        }
        Matcher more = BARE_NUMBER_AFTER.matcher(line).region(i, line.length());
        if (more.lookingAt()) {
            malformed.add("a bare number after a citation (\"" + more.group().trim()
                    + "\"): join list members with /, or repeat the prefix");
        }
        return new Citation(line.substring(start, i), members, malformed);
    }

    private static boolean digitAt(String s, int i) {
        return i < s.length() && Character.isDigit(s.charAt(i));
    }

    /** Parses digits and an optional one-letter part at {@code i}; returns the index after them. */
    private static int member(String line, int i, int[] num, String[] part) {
        int j = i;
        while (j < line.length() && Character.isDigit(line.charAt(j))) {
            j++;
        }
        num[0] = Integer.parseInt(line.substring(i, j));
        part[0] = "";
        if (j < line.length() && line.charAt(j) >= 'a' && line.charAt(j) <= 'z'
                && (j + 1 == line.length() || !Character.isLetterOrDigit(line.charAt(j + 1)))) {
            part[0] = String.valueOf(line.charAt(j));
            j++;
        }
        return j;
    }

    /** Every citation in {@code text} (the contents of {@code file}) that does not resolve in {@code index}. */
    static List<Problem> scan(String file, String text, Index index) {
        List<Problem> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n];
            scanIds(file, n + 1, line, index, out);
            scanAreasAndGroups(file, n + 1, line, index, out);
            scanSections(file, n + 1, line, n == 0 ? "" : lines[n - 1], index, out);
        }
        return out;
    }

    private static void scanIds(String file, int n, String line, Index index, List<Problem> out) {
        Matcher m = ID_HEAD.matcher(line);
        int from = 0;
        while (m.find(from)) {
            Citation citation = expand(line, m.start());
            String ref = citation.text();
            for (String why : citation.malformed()) {
                out.add(new Problem(file, n, ref, why));
            }
            for (Cited c : citation.members()) {
                String def = index.items.get(c.id());
                if (def == null) {
                    out.add(new Problem(file, n, ref, c.id() + " is not defined in docs/kernel-spec.md"));
                } else if (!c.part().isEmpty() && !def.contains("(" + c.part() + ")")) {
                    out.add(new Problem(file, n, ref, c.id() + " has no part (" + c.part() + ")"));
                }
            }
            from = m.start() + ref.length();
        }
    }

    private static void scanAreasAndGroups(String file, int n, String line, Index index, List<Problem> out) {
        Matcher a = AREA_REF.matcher(line);
        while (a.find()) {
            if (!a.group(1).equals(PLACEHOLDER_AREA) && !index.areas.contains(a.group(1))) {
                out.add(new Problem(file, n, a.group(), "no area " + a.group(1)
                        + " (a section heading ending in (B-" + a.group(1) + ")) in docs/kernel-spec.md"));
            }
        }
        Matcher m = GROUP_REF.matcher(line);
        while (m.find()) {
            String g = m.group();
            if (!m.group(1).equals(PLACEHOLDER_AREA) && !index.groups.contains(g)) {
                out.add(new Problem(file, n, g, "no constant group " + g + " in docs/kernel-spec.md"));
            }
        }
    }

    private static void scanSections(String file, int n, String line, String previous, Index index,
                                     List<Problem> out) {
        Matcher m = SECTION_REF.matcher(line);
        while (m.find()) {
            String before = line.substring(0, m.start());
            String word = null;
            Matcher w = WORD_BEFORE.matcher(before);
            if (w.find()) {
                word = w.group(1);
            } else if (COMMENT_LEADER.matcher(before).matches()) {
                Matcher last = LAST_WORD.matcher(previous);
                if (last.find()) {
                    word = last.group(1);
                }
            }
            String doc;
            String ref = m.group();
            if ("DESIGN".equals(word) || "STYLE".equals(word)) {
                doc = word;
                ref = word + " " + ref;
            } else if ("spec".equals(word) || "Spec".equals(word)) {
                doc = "spec";
                ref = "spec " + ref;
            } else if (word != null && ALL_CAPS.matcher(word).matches()) {
                out.add(new Problem(file, n, word + " " + ref, "unknown document " + word
                        + ": cite DESIGN §n, STYLE §n or spec §n"));
                continue;
            } else {
                doc = "spec";
                if (AFTER_OTHER_DOC.matcher(before).find()) {
                    out.add(new Problem(file, n, ref, "a bare § after DESIGN/STYLE §n reads as the spec: "
                            + "name the document again (DESIGN §n or spec §n)"));
                    continue;
                }
            }
            if (!index.sections.get(doc).contains(m.group(1))) {
                String where = doc.equals("spec") ? "docs/kernel-spec.md" : "docs/" + doc + ".md";
                out.add(new Problem(file, n, ref, "no section " + m.group(1) + " in " + where));
            }
        }
    }

    /** The repository root: the first directory upwards from {@code from} that holds docs/kernel-spec.md. */
    static Path root(Path from) {
        for (Path p = from.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("docs/kernel-spec.md")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new AssertionError("no repository root (a directory with docs/kernel-spec.md and pom.xml) above "
                + from.toAbsolutePath());
    }

    /** Reads every text file under {@link #SCANNED} and collects the citations that resolve nowhere. */
    static Scan scanRepository(Path root, Index index) {
        List<Problem> out = new ArrayList<>();
        int files = 0;
        for (String entry : SCANNED) {
            Path start = root.resolve(entry);
            if (!Files.exists(start)) {
                throw new AssertionError("scanned path missing (update DocsReferences.SCANNED): " + start);
            }
            try (Stream<Path> walk = Files.walk(start)) {
                for (Path f : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
                    String text = textOrNull(f);
                    if (text != null) {
                        files++;
                        out.addAll(scan(root.relativize(f).toString(), text, index));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        out.sort(Comparator.comparing(Problem::file).thenComparingInt(Problem::line));
        return new Scan(out, files);
    }

    private static String read(Path f) {
        String s = textOrNull(f);
        if (s == null) {
            throw new AssertionError("not a UTF-8 text file: " + f);
        }
        return s;
    }

    /** The file as UTF-8 text, or null for a binary file (a NUL byte or bytes that are not UTF-8). */
    private static String textOrNull(Path f) {
        try {
            byte[] bytes = Files.readAllBytes(f);
            for (byte b : bytes) {
                if (b == 0) {
                    return null;
                }
            }
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
