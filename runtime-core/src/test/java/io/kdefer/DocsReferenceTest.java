/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer;

import io.kdefer.DocsReferences.Cited;
import io.kdefer.DocsReferences.Citation;
import io.kdefer.DocsReferences.Index;
import io.kdefer.DocsReferences.Problem;
import io.kdefer.DocsReferences.Scan;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The repository stands alone: every behaviour id ({@code B-}, {@code MO-}, {@code J-}), constant group
 * ({@code K-}) and section ({@code spec §n}, {@code DESIGN §n}) that a comment, test or document cites resolves in
 * {@code docs/}. The conventions are in {@code docs/README.md} and on {@link DocsReferences}.
 *
 * <p>The parser tests below write their fake ids with the area in braces ({@code "B-{IW}-9"}), which
 * {@link #fake} removes: the repository scan reads this file too, and must not see them.
 */
@Timeout(60)
class DocsReferenceTest {

    /** A fake spec: three irq_work items, softirq item 3 with parts (a) and (b), two constant groups, §13 points. */
    private static final String SPEC = fake("""
            # fake spec
            ## 7. irq_work (B-{IW})
            ### 7a. State machine
            - B-{IW}-1 queue claims.
            - B-{IW}-2 coalesced.
            - B-{IW}-3 lazy.
            - MO-{IW}-1 queue publishes.
            K-{IW}: PENDING 1.
            ## 8. Softirqs
            - B-{SIRQ}-3 Processing points: (a) irq_exit; (b) local_bh_enable.
            K-{SIRQ}: MAX_SOFTIRQ_RESTART = 10.
            ## 13. Misunderstood points
            1. Failed atomics are not barriers.
            2. Clear-PENDING needs a full barrier.
            ```
            ## 14. inside a code fence: not a section
            - B-{IW}-4 inside a code fence: not an item
            ```
            """);
    private static final String DESIGN = fake("""
            # fake design
            ## 2. The machine model
            ## 6. Build facts
            """);
    private static final String STYLE = fake("""
            # fake style
            ## 3. Field concurrency codes
            """);
    private static final Index FAKE = Index.parse(SPEC, DESIGN, STYLE);

    /** Removes the braces that keep a fake id away from the repository scan: {@code "B-{IW}-9"} is B-IW-9. */
    private static String fake(String text) {
        return text.replace("{", "").replace("}", "");
    }

    /** Scans the fake text against the fake documents; the expected problems are fakes too. */
    private static void assertProblems(String text, String... expected) {
        List<String> want = Stream.of(expected).map(DocsReferenceTest::fake).collect(Collectors.toList());
        List<String> got = DocsReferences.scan("Fake.java", fake(text), FAKE).stream().map(Problem::toString)
                .collect(Collectors.toList());
        assertEquals(want, got, text);
    }

    private static List<String> members(String text) {
        Citation c = DocsReferences.expand(text, 0);
        assertEquals(List.of(), c.malformed(), text);
        return c.members().stream().map(Cited::toString).collect(Collectors.toList());
    }

    @Test
    @DisplayName("every id, constant group and section cited anywhere in the repository resolves in docs/")
    void repositoryCitesOnlyWhatDocsDefine() {
        Path root = DocsReferences.root(Path.of(""));
        Index index = Index.load(root.resolve("docs"));
        assertEquals(List.of(), index.problems, "docs/kernel-spec.md defines an id twice");
        assertTrue(index.items.size() > 200, "items parsed from docs/kernel-spec.md: " + index.items.size());
        assertTrue(index.groups.size() >= 10, "constant groups parsed: " + index.groups);
        assertTrue(index.sections.get("spec").containsAll(List.of("1", "7a", "13.1", "13.19", "14")),
                "spec sections parsed: " + index.sections.get("spec"));
        assertTrue(index.sections.get("DESIGN").containsAll(List.of("1", "6")), "DESIGN sections parsed");

        Scan scan = DocsReferences.scanRepository(root, index);
        assertTrue(scan.files() > 100, "files scanned: " + scan.files());
        assertEquals(0, scan.problems().size(), () -> scan.problems().size()
                + " citations resolve nowhere in docs/ (fix the comment; conventions in docs/README.md):\n"
                + scan.problems().stream().map(Problem::toString).collect(Collectors.joining("\n")));
    }

    @Test
    @DisplayName("an id that is not defined is reported with its file and line")
    void undefinedIdIsReportedWithFileAndLine() {
        assertProblems("queue (B-{IW}-1, MO-{IW}-1) runs in hardirq; K-{IW} and K-XX");
        assertProblems("/**\n * claims once (B-{IW}-1), then B-{IW}-9.\n */",
                "Fake.java:2: B-{IW}-9 -- B-{IW}-9 is not defined in docs/kernel-spec.md");
        assertProblems("MO-{SIRQ}-1", "Fake.java:1: MO-{SIRQ}-1 -- MO-{SIRQ}-1 is not defined in docs/kernel-spec.md");
        assertProblems("budget K-{SIRQ}; bits K-{TL}",
                "Fake.java:1: K-{TL} -- no constant group K-{TL} in docs/kernel-spec.md");
        assertProblems("the B-{IW} items; MO-{IW} claims; the B-{TL} items",
                "Fake.java:1: B-{TL} -- no area TL (a section heading ending in (B-{TL})) in docs/kernel-spec.md");
    }

    @Test
    @DisplayName("lists and ranges expand to every member")
    void listsAndRangesExpand() {
        assertEquals(List.of("B-WQ-26", "B-WQ-27", "B-WQ-28", "B-WQ-29"), members("B-WQ-26..29 pools"));
        assertEquals(List.of("MO-WQ-1", "MO-WQ-2", "MO-WQ-3", "MO-WQ-4", "MO-WQ-5", "MO-WQ-6", "MO-WQ-7",
                "MO-WQ-8"), members("MO-WQ-1..8."));
        assertEquals(List.of("B-SIRQ-5", "B-SIRQ-6", "B-SIRQ-7"), members("B-SIRQ-5/6/7)"));
        assertEquals(List.of("B-TI-10", "B-TI-11"), members("B-TI-10/11, spec"));
        assertEquals(List.of("B-WQ-22", "B-WQ-23", "B-WQ-26", "B-WQ-27", "B-WQ-28"), members("B-WQ-22/23/26..28"));
        assertEquals(List.of("B-GIC-11"), members("B-GIC-11/J-GIC-2"), "a full id after / starts a citation");
        assertEquals(List.of("B-SIRQ-3a", "B-SIRQ-3b"), members("B-SIRQ-3a/3b"));
        assertEquals(List.of("B-SIRQ-3"), members("B-SIRQ-3. Next"));
    }

    @Test
    @DisplayName("every member of a range or list is checked, and malformed lists are refused")
    void membersAreCheckedAndMalformedListsRefused() {
        assertProblems("B-{IW}-1..3, B-{IW}-1/2/3, B-{IW}-2/MO-{IW}-1");
        assertProblems("B-{IW}-2..4", "Fake.java:1: B-{IW}-2..4 -- B-{IW}-4 is not defined in docs/kernel-spec.md");
        assertProblems("B-{IW}-1/5", "Fake.java:1: B-{IW}-1/5 -- B-{IW}-5 is not defined in docs/kernel-spec.md");
        assertProblems("B-{IW}-1/J-{IW}-2",
                "Fake.java:1: J-{IW}-2 -- J-{IW}-2 is not defined in docs/kernel-spec.md");
        assertProblems("B-{IW}-1-3",
                "Fake.java:1: B-{IW}-1-3 -- a hyphen between numbers: write a range as a..b, a list as a/b");
        assertProblems("B-{IW}-3..1", "Fake.java:1: B-{IW}-3..1 -- empty or reversed range 3..1");
        assertProblems("B-{IW}-1-2/9", "Fake.java:1: B-{IW}-1-2/9 -- a hyphen between numbers: write a range as "
                + "a..b, a list as a/b", "Fake.java:1: B-{IW}-1-2/9 -- B-{IW}-9 is not defined in docs/kernel-spec.md");
        assertProblems("B-{IW}-1, 2", "Fake.java:1: B-{IW}-1 -- a bare number after a citation (\", 2\"): join list "
                + "members with /, or repeat the prefix");
        assertProblems("B-{IW}-1/2; 1023 is spurious");
        assertProblems("B-{SIRQ}-3a and B-{SIRQ}-3b");
        assertProblems("B-{SIRQ}-3z", "Fake.java:1: B-{SIRQ}-3z -- B-{SIRQ}-3 has no part (z)");
    }

    @Test
    @DisplayName("sections: spec §n, §na, §n.m and a bare § in the spec; DESIGN §n, STYLE §n in their documents")
    void sectionsResolveInTheNamedDocument() {
        assertProblems("spec §{7}, §{7a}, §{13.1}; Spec §{13.2}; (§{8}); DESIGN §{2}; STYLE §{3}");
        assertProblems("/**\n * as the\n * spec\n * §{7a} says; see DESIGN\n * §{6}.\n */");
        assertProblems("spec §{9}, §{13.3}, §{7b}, §{14}",
                "Fake.java:1: spec §{9} -- no section 9 in docs/kernel-spec.md",
                "Fake.java:1: §{13.3} -- no section 13.3 in docs/kernel-spec.md",
                "Fake.java:1: §{7b} -- no section 7b in docs/kernel-spec.md",
                "Fake.java:1: §{14} -- no section 14 in docs/kernel-spec.md");
        // a DESIGN section is looked up in DESIGN, not in the spec (which has a section 7)
        assertProblems("DESIGN §{7}; STYLE §{2}",
                "Fake.java:1: DESIGN §{7} -- no section 7 in docs/DESIGN.md",
                "Fake.java:1: STYLE §{2} -- no section 2 in docs/STYLE.md");
        // the document named at the end of the comment line before
        assertProblems("/**\n * spins (DESIGN\n * §{7}).\n */",
                "Fake.java:3: DESIGN §{7} -- no section 7 in docs/DESIGN.md");
    }

    @Test
    @DisplayName("a bare § right after a DESIGN citation, or after an unknown document name, is refused")
    void ambiguousSectionsAreRefused() {
        String ambiguous = " -- a bare § after DESIGN/STYLE §n reads as the spec: "
                + "name the document again (DESIGN §n or spec §n)";
        assertProblems("(DESIGN §{2}, §{7})", "Fake.java:1: §{7}" + ambiguous);
        assertProblems("DESIGN §{2}/§{6} and §{7}",
                "Fake.java:1: §{6}" + ambiguous, "Fake.java:1: §{7}" + ambiguous);
        assertProblems("(DESIGN §{2}, spec §{7})");
        assertProblems("JLS §{17}",
                "Fake.java:1: JLS §{17} -- unknown document JLS: cite DESIGN §n, STYLE §n or spec §n");
    }

    @Test
    @DisplayName("the index: headings, points and items outside code fences; an id defined twice is a problem")
    void indexReadsDefinitions() {
        assertEquals(Set.of("B-IW-1", "B-IW-2", "B-IW-3", "MO-IW-1", "B-SIRQ-3"), FAKE.items.keySet());
        assertEquals(Set.of("K-IW", "K-SIRQ"), FAKE.groups);
        assertEquals(Set.of("IW"), FAKE.areas);
        assertEquals(Set.of("7", "7a", "8", "13", "13.1", "13.2"), FAKE.sections.get("spec"));
        assertEquals(List.of(), FAKE.problems);
        Index twice = Index.parse(fake("- B-{IW}-1 a\n- B-{IW}-1 b\nK-{IW}: 1\nK-{IW}: 2\n"), "", "");
        assertEquals(List.of("kernel-spec.md:2: B-IW-1 is defined twice", "kernel-spec.md:4: K-IW is defined twice"),
                twice.problems);
    }
}
