#!/usr/bin/env bash
# Quick jcstress pass, run by `mvn verify` (exec-maven-plugin, phase verify). Also runs by hand:
#   bash runtime-jcstress/src/ci/quick.sh [java] [mode] [test-regexp]
# Runs target/jcstress.jar from inside target/ (result files land there) and tees the output to
# target/jcstress-quick.log. Exits non-zero when
#   - jcstress exits non-zero (it does on a FORBIDDEN outcome),
#   - a test cannot be scheduled: "No scheduling is possible" (jcstress skips such a test silently;
#     on 2 CPUs that is every test with more than 2 actors),
#   - any test is FAILED (forbidden or unknown outcome) or ERROR (exception, VM crash),
#   - no test ran (jcstress exits 0 on "No matching tests").
set -euo pipefail

java=${1:-java}
mode=${2:-quick}
tests=${3:-.*}

cd "$(dirname "$0")/../../target"
log=jcstress-quick.log

# The forked test VMs get --enable-native-access (JDK 17+): jcstress loads JNA for CPU affinity, and JDK 22+
# would print a restricted-method warning into every fork's output. The jar's manifest covers the host VM.
rc=0
"$java" -jar jcstress.jar -m "$mode" -sc false -t "$tests" -jvmArgsPrepend --enable-native-access=ALL-UNNAMED \
    2>&1 | tee "$log" || rc=$?

# "  Failed tests: 2 matching test results." -> 2; "  Failed tests: No matches." -> 0
count() {
    local n
    n=$(sed -n "s/^  $1 tests: \([0-9][0-9]*\) matching.*/\1/p" "$log" | tail -n 1)
    echo "${n:-0}"
}
interesting=$(count Interesting)
failed=$(count Failed)
errors=$(count Error)
remaining=$(count 'All remaining')
run=$((interesting + failed + errors + remaining))
passed=$((run - failed - errors))

problems=()
if ((rc != 0)); then
    problems+=("jcstress exited with status $rc")
fi
if grep -q 'No scheduling is possible' "$log"; then
    problems+=("some tests need more CPUs than this machine has and were skipped (\"No scheduling is possible\"); keep every test at 2 actors + arbiter")
fi
if ((failed > 0)) || ((errors > 0)) || grep -qE '\[(FAILED|ERROR)\]' "$log"; then
    problems+=("$failed FAILED (forbidden/unknown outcome), $errors ERROR tests; see RUN RESULTS above")
fi
if ((run == 0)); then
    problems+=("no test ran (selection: -t '$tests')")
fi

# Not a failure, but worth a line: JDK 24+ warnings (Unsafe, restricted methods) from the host VM or any fork
# (fork output is only in the HTML report).
warnings=$(cat "$log" results/*.html 2>/dev/null |
    grep -oE 'WARNING: [^<]*(sun\.misc\.Unsafe|restricted method|has been called by)[^<]*' | sort -u || true)
if [[ -n $warnings ]]; then
    printf 'jcstress: JVM warnings seen (see %s and target/results/):\n%s\n' "$log" "$warnings" >&2
fi

echo "jcstress -m $mode: $run tests run, $passed passed, $failed failed, $errors errors ($interesting interesting); log: target/$log"
if ((${#problems[@]} > 0)); then
    for p in "${problems[@]}"; do
        echo "jcstress FAILED: $p" >&2
    done
    exit 1
fi
