# Sourced by shell checks (tests/steps/*): ok/nok counters, a scratch
# directory removed on exit ($tmp), and the closing summary line.
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
nok() { failed=$((failed + 1)); echo "not ok - $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# finish: print "N passed, N failed" and exit 1 on any failure
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
