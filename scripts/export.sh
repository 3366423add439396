#!/bin/sh
# Export the work tree's commits above the base back into patches/:
# git format-patch output with a cover letter, plus a quilt 'series' file.
# Deterministic: exporting an unchanged work tree leaves patches/ byte-identical.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

upstream_ver=$(sed 's/^[0-9]*://' "$top/base/VERSION")
base_tag="debian/$upstream_ver"
cover="$top/docs/cover-letter.txt"
# Where to write; tests export to a scratch directory to compare.
out=${PATCHES_DIR:-$top/patches}

[ -d "$WORK/.git" ] || { err "no work tree at $WORK; run 'make worktree' first"; exit 1; }
cd "$WORK"
if [ -n "$(git status --porcelain -uno)" ]; then
    err "$WORK has uncommitted changes; commit them (git commit --amend or a"
    err "fixup) before exporting, or they would be lost"
    exit 1
fi

n=$(git rev-list --count "$base_tag"..HEAD)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
say "export: $n patches above $base_tag"

# The cover letter's subject and text come from docs/cover-letter.txt (first
# line = subject); git fills in the shortlog and diffstat.
if [ "$n" -eq 0 ]; then
    mkdir -p "$out"
    rm -f "$out"/*.patch
    echo "# quilt series: apply in order on top of debian/patches" >"$out/series"
    printf '%s %s\n' "$(series_id)" "$(git rev-parse HEAD)" >"$WORK/.git/vpasid-imported"
    exit 0
fi

# The cover letter is "from" the series' author, not whoever runs export.
git -c user.name="$(git log -1 --format=%an)" -c user.email="$(git log -1 --format=%ae)" \
    -c branch.series.description="$(cat "$cover")" \
    -c core.abbrev=12 -c diff.noprefix=false -c format.signature= \
    format-patch -q --cover-letter --cover-from-description=subject \
    --zero-commit --no-signature --base="$base_tag" --subject-prefix=PATCH \
    -o "$tmp" "$base_tag"..HEAD >/dev/null

# The cover letter's Date is "now"; pin it to the newest patch's date.
last_date=$(git log -1 --format='%aD')
sed -i "s/^Date: .*/Date: $last_date/" "$tmp/0000-cover-letter.patch"

{
    echo "# quilt series: apply in order on top of debian/patches"
    (cd "$tmp" && ls [0-9]*.patch | grep -v '^0000-cover-letter')
} >"$tmp/series"

mkdir -p "$out"
rm -f "$out"/*.patch "$out/series"
cp "$tmp"/*.patch "$tmp/series" "$out/"
say "export: wrote $(grep -vc '^#' "$out/series") patches and a cover letter to $out"
if [ -n "${PATCHES_DIR:-}" ]; then
    exit 0
fi
(cd "$top" && git status --short patches/ 2>/dev/null || true) >&2
# Record that the work tree now matches patches/, so 'make' does not re-apply.
printf '%s %s\n' "$(series_id)" "$(git rev-parse HEAD)" >"$WORK/.git/vpasid-imported"
