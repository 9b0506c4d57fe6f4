#!/usr/bin/env bash
# The release gate on JDK 17: the whole jcstress suite in default mode over the four JVM configurations JDK 17 runs
# by default (biased locking off, as it is by default since JDK 15). jcstress's own auto-detection would run each
# configuration twice (with and without +UseBiasedLocking), about 2 h on 2 cores.
#   bash runtime-jcstress/src/ci/gate17.sh [java] [test-regexp]
# Needs runtime-jcstress/target/jcstress.jar (mvn -B -ntp -q -pl runtime-jcstress -am package -DskipTests
# -Djcstress.skip=true). Runs from inside target/ (results land there), tees target/jcstress-gate17.log, and exits
# non-zero on any FAILED or ERROR test, a skipped test ("No scheduling is possible") or no test run.
set -euo pipefail

java=${1:-java}
tests=${2:-.*}
cd "$(dirname "$0")/../../target"
log=jcstress-gate17.log
d="-XX:+UnlockDiagnosticVMOptions -XX:-UseBiasedLocking"

rc=0
"$java" -jar jcstress.jar -m default -sc false -t "$tests" \
    -jvmArgs "$d -Xint" \
    -jvmArgs "$d -XX:TieredStopAtLevel=1" \
    -jvmArgs "$d -XX:-TieredCompilation" \
    -jvmArgs "$d -XX:-TieredCompilation -XX:+StressLCM -XX:+StressGCM -XX:+StressIGVN -XX:+StressCCP" \
    2>&1 | tee "$log" || rc=$?

summary=$(grep -E '^\s*(Failed|Error) tests:' "$log" || true)
echo "$summary"
if ((rc != 0)) || grep -q 'No scheduling is possible' "$log" || grep -qE '\[(FAILED|ERROR)\]' "$log" \
        || grep -qE '^\s*(Failed|Error) tests: [0-9]' "$log" || ! grep -q 'passed' "$log"; then
    echo "jcstress gate FAILED (exit $rc); see target/$log" >&2
    exit 1
fi
echo "jcstress gate (default mode, JDK 17 default configurations): passed; log: target/$log"
