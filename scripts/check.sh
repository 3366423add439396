#!/bin/sh
# 'make check': every check and test of the project, one step after another.
# Each step's output goes to work/logs/<step>.log; a failing step prints the
# log's tail.  Ends with the plain "N passed, N failed" line.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

logs="$top/work/logs"
mkdir -p "$logs"
passed=0
failed=0
failed_steps=""

step() {
    name=$1
    shift
    start=$(date +%s)
    if "$@" >"$logs/$name.log" 2>&1; then
        passed=$((passed + 1))
        printf 'PASS %-28s (%ss)\n' "$name" "$(($(date +%s) - start))"
    else
        failed=$((failed + 1))
        failed_steps="$failed_steps $name"
        printf 'FAIL %-28s (%ss), last lines of %s:\n' "$name" \
            "$(($(date +%s) - start))" "$logs/$name.log"
        tail -n 40 "$logs/$name.log" | sed 's/^/    /'
    fi
}

# CI always builds every patch; a developer may skip that with NO_BISECT=1.
if [ "${CI:-}" = true ]; then
    NO_BISECT=0
fi
export NO_BISECT="${NO_BISECT:-0}"

step series-checkpatch-bisect sh "$top/scripts/check-series.sh"
step smoke /usr/bin/python3 "$top/tests/smoke.py"
for t in $(ls "$top/tests/steps" 2>/dev/null); do
    step "${t%.*}" sh "$top/tests/steps/$t"
done

echo
[ -z "$failed_steps" ] || echo "failed:$failed_steps"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
