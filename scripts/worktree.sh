#!/bin/sh
# Make the QEMU work tree: base commit + one commit per patch in patches/.
#
# The series in patches/ is the source of truth; work/qemu is derived.  If the
# work tree already carries exactly the series it was made from, nothing
# happens.  If patches/ changed (e.g. after a pull) and the work tree has no
# commits of its own, it is remade.  If it has unexported commits, we refuse
# rather than throw them away.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

base_git=$(sh "$top/scripts/base.sh" | tail -n 1)
upstream_ver=$(sed 's/^[0-9]*://' "$top/base/VERSION")
base_tag="debian/$upstream_ver"
state="$WORK/.git/vpasid-imported"

apply_series() {
    cd "$WORK"
    git reset -q --hard "$base_tag"
    if [ -f "$top/patches/series" ]; then
        for p in $(grep -v -e '^#' -e '^$' "$top/patches/series"); do
            say "worktree: git am $p"
            if ! git am -q --keep-cr --committer-date-is-author-date "$top/patches/$p"; then
                git am --abort || true
                err "patch $p does not apply on $base_tag"
                exit 1
            fi
        done
    fi
    printf '%s %s\n' "$(series_id)" "$(git rev-parse HEAD)" >"$state"
}

if [ ! -d "$WORK/.git" ]; then
    say "worktree: creating $WORK from $base_tag"
    mkdir -p "$(dirname "$WORK")"
    git clone -q --no-checkout "$base_git" "$WORK"
    # Commits in the work tree are the series' patches: they carry the
    # series' author and Signed-off-by, whoever's machine makes them.
    (cd "$WORK" && git config user.name "vPASID series" &&
        git config user.email "vpasid-series@example.org")
    (cd "$WORK" && git checkout -q -b series "$base_tag")
    apply_series
    exit 0
fi

cd "$WORK"
want=$(series_id)
set -- $(cat "$state" 2>/dev/null || echo none none)
if [ "$1" = "$want" ]; then
    say "worktree: up to date with patches/ ($(git rev-list --count "$base_tag"..HEAD) patches)"
    exit 0
fi
if [ "$(git rev-parse HEAD)" != "$2" ] || [ -n "$(git status --porcelain -uno)" ]; then
    if [ "${FORCE:-0}" != 1 ]; then
        err "patches/ changed, but $WORK has commits or edits of its own."
        err "Run 'make export' to keep the work tree's version, or"
        err "'make worktree FORCE=1' to throw it away and re-apply patches/."
        exit 1
    fi
fi
say "worktree: patches/ changed; re-applying the series"
apply_series
