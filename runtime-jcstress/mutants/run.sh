#!/usr/bin/env bash
# The mutant catalogue: ./kdefer mutants [--mode MODE] [--keep] [--list | --table] [NAME...]
#
# Each *.patch here weakens the implementation of one MO- claim of docs/kernel-spec.md the way the claim forbids
# (a give-up CAS instead of an unconditional RMW, a release where a fence is needed, a bit cleared before instead of
# after, a dropped re-check, ...). Its header names the claim, the jcstress test that should catch it (a -t regexp)
# and what it weakens. For every mutant (all, or those whose names start with one of the NAMEs) this script
#   1. copies the tree (tracked and untracked-not-ignored files, no build output) to a scratch directory,
#   2. applies the patch there -- never to the working tree,
#   3. builds the jcstress jar there (mvn package -pl runtime-jcstress -am; a jar built from the same sources is
#      reused from runtime-jcstress/target/mutants/jars/: the bytecode is release 17 whichever JDK runs it),
#   4. runs the mutant's test (-m quick unless --mode says otherwise) on $JAVA_HOME's java (or java on PATH),
#   5. reports: caught (forbidden or unknown outcomes observed, N samples), not caught, or error, and the wall time.
# One line per mutant goes to stdout and to runtime-jcstress/target/mutants/results-<java version>-<mode>.tsv.
# --table prints the README's matrix (markdown) from those files: the latest result of each mutant per Java version.
# Not part of CI: about a minute per mutant in quick mode, more on a loaded machine.
# Environment: MVN (default mvn), MVN_ARGS (default -o: offline, from ~/.m2), JAVA_HOME.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=quick
keep=false
list=false
table=false
names=()
while (($#)); do
    case $1 in
        --mode) mode=$2; shift 2 ;;
        --keep) keep=true; shift ;;
        --list) list=true; shift ;;
        --table) table=true; shift ;;
        -h | --help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) names+=("$1"); shift ;;
    esac
done

java=${JAVA_HOME:+$JAVA_HOME/bin/}java
mvn=${MVN:-mvn}
read -r -a mvn_args <<< "${MVN_ARGS:--o}"
jdk=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.version = //p')
out=$root/runtime-jcstress/target/mutants
cache=$out/jars
mkdir -p "$cache"
tsv=$out/results-$jdk-$mode.tsv

field() {   # field NAME PATCH: the value of "# NAME: value" in the patch header, continuation lines joined
    awk -v name="$1" '
        /^# [A-Z][a-z]*: / { on = (substr($0, 3, length(name) + 1) == name ":") }
        /^#$/ || !/^#/ { on = 0 }
        on { line = $0; sub(/^# /, "", line); if (!started) sub(/^[A-Za-z]*: */, "", line); out = out (started ? " " : "") line; started = 1 }
        END { print out }' "$2"
}

patches=()
for p in "$here"/*.patch; do
    n=$(basename "$p" .patch)
    if ((${#names[@]} == 0)); then
        patches+=("$p")
        continue
    fi
    for want in "${names[@]}"; do
        if [[ $n == "$want"* ]]; then
            patches+=("$p")
            break
        fi
    done
done
if ((${#patches[@]} == 0)); then
    echo "mutants: no patch matches: ${names[*]}" >&2
    exit 2
fi

if $table; then
    files=("$out"/results-*-"$mode".tsv)
    if [[ ! -f ${files[0]} ]]; then
        echo "mutants: no results for -m $mode in ${out#"$root"/}" >&2
        exit 2
    fi
    jdks=()
    for f in "${files[@]}"; do
        v=${f##*/results-}
        jdks+=("${v%-"$mode".tsv}")
    done
    printf '| claim | mutant | test |'
    printf ' JDK %s |' "${jdks[@]}"
    printf ' why not caught |\n|---|---|---|'
    printf -- '---|%.0s' "${jdks[@]}"
    printf -- '---|\n'
    ordered=()
    for prefix in GIC FLOW TI CSD IW SIRQ TL WQ; do          # the spec's order
        for p in "${patches[@]}"; do
            if [[ $(basename "$p") == MO-$prefix-* ]]; then
                ordered+=("$p")
            fi
        done
    done
    for p in "${patches[@]}"; do                               # then the ones of no MO- claim (LIFECYCLE-, EXEC-)
        if [[ $(basename "$p") != MO-* ]]; then
            ordered+=("$p")
        fi
    done
    for p in "${ordered[@]}"; do
        n=$(basename "$p" .patch)
        printf '| %s | `%s` | `%s` |' "$(field Claim "$p")" "$n" "$(field Test "$p")"
        for f in "${files[@]}"; do
            r=$(awk -F '\t' -v n="$n" '$1 == n { v = $4; c = $5 } END { if (v == "caught") print "caught (" c ")"; else print v }' "$f")
            printf ' %s |' "${r:-not run}"
        done
        printf ' %s |\n' "$(field Why "$p")"
    done
    exit 0
fi

if $list; then
    for p in "${patches[@]}"; do
        printf '%-40s %-10s %-48s %s\n' "$(basename "$p" .patch)" "$(field Claim "$p")" "$(field Test "$p")" \
            "$(field Expect "$p")"
    done
    exit 0
fi

# The sources a jcstress jar is built from, in a fixed order, hashed: the jar cache key.
sources_key() {
    (cd "$1" && find pom.xml runtime-core/pom.xml runtime-core/src/main runtime-jcstress/pom.xml runtime-jcstress/src \
        -type f -print0 | sort -z | xargs -0 sha1sum | sha1sum | cut -c1-16)
}

copy_tree() {
    (cd "$root" && git ls-files -z --cached --others --exclude-standard |
        tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$1"
}

if [[ ! -f $tsv ]]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' mutant claim test verdict forbidden samples seconds java > "$tsv"
fi
echo "mutants: ${#patches[@]} mutant(s), java $jdk, -m $mode; results also in ${tsv#"$root"/}"
printf '%-40s %-10s %-48s %-22s %8s\n' MUTANT CLAIM TEST VERDICT WALL
caught=0
missed=0
errors=0
start_all=$SECONDS
for p in "${patches[@]}"; do
    name=$(basename "$p" .patch)
    claim=$(field Claim "$p")
    test=$(field Test "$p")
    start=$SECONDS
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/kdefer-mutant.XXXXXX")
    verdict=error
    forbidden=0
    samples=0
    detail=""
    if ! copy_tree "$scratch" || ! (cd "$scratch" && git apply --whitespace=nowarn "$p") > "$scratch/apply.log" 2>&1
    then
        detail="the patch does not apply (see $scratch/apply.log)"
        keep_this=true
    else
        keep_this=$keep
        key=$(sources_key "$scratch")
        jar=$cache/$key.jar
        if [[ ! -f $jar ]]; then
            # -Dkdefer.x86.skip: runtime-core's second surefire execution (x86-apic) ignores -DskipTests
            if (cd "$scratch" && "$mvn" -B -ntp -q "${mvn_args[@]}" -pl runtime-jcstress -am package -DskipTests \
                    -Dkdefer.x86.skip=true -Djcstress.skip=true -Djmh.skip=true) > "$scratch/build.log" 2>&1; then
                cp "$scratch/runtime-jcstress/target/jcstress.jar" "$jar"
            else
                detail="build failed (see $scratch/build.log)"
                keep_this=true
            fi
        fi
        if [[ -f $jar ]]; then
            mkdir -p "$scratch/run"
            rc=0
            (cd "$scratch/run" && "$java" -jar "$jar" -m "$mode" -sc false -t "$test" \
                -jvmArgsPrepend --enable-native-access=ALL-UNNAMED) > "$scratch/run/jcstress.log" 2>&1 || rc=$?
            "$java" -cp "$jar" io.kdefer.jcstress.Results "$scratch/run/results" "$test" > "$scratch/run/summary.txt"
            tests=$(grep -c '^TEST ' "$scratch/run/summary.txt" || true)
            forbidden=$(sed -n 's/^TEST .* forbidden=\([0-9]*\)$/\1/p' "$scratch/run/summary.txt" |
                awk '{s += $1} END {print s + 0}')
            samples=$(sed -n 's/^TEST .* samples=\([0-9]*\) .*/\1/p' "$scratch/run/summary.txt" |
                awk '{s += $1} END {print s + 0}')
            if ((tests == 0)); then
                detail="no test matched -t '$test' (jcstress exit $rc)"
                keep_this=true
            elif ((forbidden > 0)) || grep -q '^TEST .* status=FAILED' "$scratch/run/summary.txt"; then
                verdict=caught
            elif grep -q '^TEST .* status=ERROR' "$scratch/run/summary.txt" ||
                grep -qE '^ *Error tests: [0-9]+ matching' "$scratch/run/jcstress.log"; then
                detail="the test errored (see $scratch/run)"
                keep_this=true
            else
                verdict="not caught"
            fi
            cp "$scratch/run/summary.txt" "$out/$name-$jdk-$mode.txt"
        fi
    fi
    wall=$((SECONDS - start))
    case $verdict in
        caught) caught=$((caught + 1)); shown="caught ($forbidden)" ;;
        "not caught") missed=$((missed + 1)); shown="not caught" ;;
        *) errors=$((errors + 1)); shown="error" ;;
    esac
    printf '%-40s %-10s %-48s %-22s %7ss%s\n' "$name" "$claim" "$test" "$shown" "$wall" \
        "${detail:+  $detail}"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$claim" "$test" "$verdict" "$forbidden" "$samples" "$wall" \
        "$jdk" >> "$tsv"
    if ! $keep_this; then
        rm -rf "$scratch"
    fi
done
echo "mutants: $caught caught, $missed not caught, $errors errors; $((SECONDS - start_all)) s"
