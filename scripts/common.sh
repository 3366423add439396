# Shared settings for the project's scripts (sourced, POSIX sh).
: "${VPASID_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/vpasid-series}"
: "${WORK:=$top/work/qemu}"
: "${BUILD:=$WORK/build}"
export VPASID_CACHE WORK BUILD

say() { printf '==> %s\n' "$*" >&2; }
err() { printf 'error: %s\n' "$*" >&2; }

# A digest of the quilt series file and every patch it names: identifies the
# series a work tree was made from.
series_id() {
    (cd "$top/patches" 2>/dev/null &&
        cat series $(grep -v -e '^#' -e '^$' series 2>/dev/null) 2>/dev/null) |
        sha256sum | cut -d' ' -f1
}
