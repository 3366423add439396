# Sourced by tests/steps/*: run a test and refuse a silent skip.
#
# run_counted NAME MIN CMD...: run CMD, whose output is TAP, and print it.
# Fails unless CMD exits 0, plans at least one case ("1..0" fails), skips
# none ("# SKIP"), and passes at least MIN cases.
# _capture CMD...: run CMD, print its output, keep it in $_out (the caller
# removes it) and its exit status in $_rc.
_capture() {
    _out=$(mktemp)
    _rc=0
    "$@" >"$_out" 2>&1 || _rc=$?
    cat "$_out"
}

run_counted() {
    _name=$1 _min=$2
    shift 2
    _capture "$@"
    _n=$(grep -c '^ok ' "$_out" || true)
    _skip=$(grep -ciE '^(not )?ok .*# skip|^1\.\.0([^0-9]|$)' "$_out" || true)
    rm -f "$_out"
    if [ "$_rc" -ne 0 ]; then
        echo "not ok - $_name exited $_rc"
        return 1
    fi
    if [ "$_skip" -ne 0 ]; then
        echo "not ok - $_name skipped $_skip case(s) or planned none"
        return 1
    fi
    if [ "$_n" -lt "$_min" ]; then
        echo "not ok - $_name passed $_n cases, at least $_min expected"
        return 1
    fi
    echo "ok - $_name: $_n cases passed, none skipped (at least $_min expected)"
}

# run_min_passed NAME MIN CMD...: run CMD, which ends with "N passed,
# N failed", and print its output.  Fails unless CMD exits 0 and reports no
# failure and at least MIN passed checks.
run_min_passed() {
    _name=$1 _min=$2
    shift 2
    _capture "$@"
    _last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$_out" | tail -n 1)
    rm -f "$_out"
    _p=${_last%% passed*}
    _f=${_last#*passed, }
    _f=${_f%% failed*}
    if [ "$_rc" -ne 0 ] || [ -z "$_last" ] || [ "$_f" -ne 0 ]; then
        echo "not ok - $_name: exit $_rc, '${_last:-no summary line}'"
        return 1
    fi
    if [ "$_p" -lt "$_min" ]; then
        echo "not ok - $_name: $_p checks passed, at least $_min expected"
        return 1
    fi
    echo "ok - $_name: $_p checks passed (at least $_min expected)"
}
