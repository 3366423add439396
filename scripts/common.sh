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

# The Debian archive URI this machine's apt already uses, printed on stdout
# (empty if none).  VPASID_MIRROR overrides it (tests point it at a file:
# fixture).  Deb822 files first, then one-line entries; the entry must carry
# a main archive suite (not -security, -updates, -backports).  The project
# writes no registry host name anywhere: it only reuses the machine's.
mirror_uri() {
    if [ -n "${VPASID_MIRROR:-}" ]; then
        printf '%s\n' "${VPASID_MIRROR%/}"
        return 0
    fi
    for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
             /etc/apt/sources.list; do
        [ -f "$f" ] || continue
        case "$f" in
        */vpasid-series.*) continue ;;
        *.sources)
            awk '
                /^[[:space:]]*$/ { if (uri != "" && suite_ok) { print uri; exit }
                                   uri = ""; suite_ok = 0; next }
                /^URIs:/ { uri = $2 }
                /^Suites:/ { for (i = 2; i <= NF; i++)
                               if ($i !~ /-/) suite_ok = 1 }
                END { if (uri != "" && suite_ok) print uri }
            ' "$f"
            ;;
        *)
            awk '$1 == "deb" && $0 !~ /\[/ && $3 !~ /-/ { print $2 }
                 $1 == "deb" && $0 ~ /\]/ { for (i = 2; i <= NF; i++)
                     if ($i ~ /\]$/) { if ($(i + 2) !~ /-/) print $(i + 1); break } }' "$f"
            ;;
        esac
    done | grep -E '/debian/?$' | head -n 1 | sed 's:/$::'
}
