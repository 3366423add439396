#!/bin/sh
# Checks on the series itself:
#  - scripts/checkpatch.pl on every patch in patches/ (an error or a
#    warning fails);
#  - every patch carries a Signed-off-by and a commit message body;
#  - bisect build: the tree builds at every patch (skip with NO_BISECT=1).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

upstream_ver=$(sed 's/^[0-9]*://' "$top/base/VERSION")
base_tag="debian/$upstream_ver"
fail=0
patches=$(grep -v -e '^#' -e '^$' "$top/patches/series" || true)

for p in $patches; do
    f="$top/patches/$p"
    if ! grep -q '^Signed-off-by: ' "$f"; then
        err "$p: no Signed-off-by"
        fail=1
    fi
    # Body = lines between the blank line after the headers and the '---'.
    body=$(awk 'h && /^---$/ { exit } h { print } /^$/ { h = 1 }' "$f" |
           grep -v -e '^Signed-off-by:' -e '^[A-Za-z-]*-by:' -e '^$' | wc -l)
    if [ "$body" -eq 0 ]; then
        err "$p: commit message has no body saying why"
        fail=1
    fi
    # Warnings count too: the series is meant to be clean.
    out=$(cd "$WORK" && ./scripts/checkpatch.pl --patch "$f" 2>&1) || true
    if ! printf '%s\n' "$out" | grep -q '^total: 0 errors, 0 warnings,'; then
        printf '%s\n' "$out" >&2
        err "$p: checkpatch.pl reports errors or warnings"
        fail=1
    else
        say "checkpatch: $p OK"
    fi
done
[ $fail -eq 0 ] || exit 1

if [ "${NO_BISECT:-0}" = 1 ]; then
    say "bisect build: skipped (NO_BISECT=1)"
    exit 0
fi

# Build every commit in a separate work tree and build directory, so the main
# build stays warm.  ccache (picked up by meson) keeps this cheap.
bis="$top/work/bisect"
if [ ! -d "$bis" ]; then
    (cd "$WORK" && git worktree add -q --detach "$bis" "$base_tag")
fi
for c in $(cd "$WORK" && git rev-list --reverse "$base_tag"..HEAD); do
    subj=$(cd "$WORK" && git log -1 --format=%s "$c")
    (cd "$bis" && git checkout -q --detach "$c")
    say "bisect build: $subj"
    # The same targets as 'make' (emulator and test binaries), where they
    # exist at that patch.
    if ! sh "$top/scripts/build.sh" "$bis" "$bis/build"; then
        err "bisect build failed at: $subj"
        exit 1
    fi
done
say "bisect build: all $(echo "$patches" | grep -c . || true) patches build"
