#!/bin/sh
# Configure the apt entries this project needs and install build dependencies.
#
# The mirror URI is read from the Debian entries already configured on this
# machine; no registry host name is written into the repository.
set -eu

log() { printf '[apt-setup] %s\n' "$*"; }

SRC_FILE=/etc/apt/sources.list.d/vpasid-series.sources
STAMP=${APT_SETUP_STAMP:-/var/lib/vpasid-series-apt.stamp}

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi

mirror_uri() {
    # Deb822 files first, then one-line sources.list entries. Pick the URI of
    # the entry carrying the main archive suite (not -security, not -updates).
    for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
             /etc/apt/sources.list; do
        [ -f "$f" ] || continue
        [ "$f" = "$SRC_FILE" ] && continue
        case "$f" in
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
    done | grep -E '/debian/?$' | head -n 1
}

# The stamp records this script's digest: editing the package list below
# re-runs the installation.
me=$(sha256sum "$0" | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" = "$me" ] && [ -f "$SRC_FILE" ] &&
   [ "${FORCE_APT:-0}" = 0 ]; then
    log "apt already configured ($STAMP); FORCE_APT=1 to redo"
    exit 0
fi

URI=$(mirror_uri)
if [ -z "$URI" ]; then
    echo "apt-setup: no Debian archive entry found in /etc/apt/sources*;" \
         "cannot derive a mirror URI" >&2
    exit 1
fi
log "Debian mirror URI taken from the machine's apt config (${URI%%://*} entry)"

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
$SUDO tee "$SRC_FILE" >/dev/null <<EOT
# Written by vpasid-series scripts/apt-setup.sh.
# Source packages from sid (the suite carrying qemu 1:10.2.2+ds-1).
Types: deb-src
URIs: $URI
Suites: sid
Components: main
Signed-By: $KEYRING

# meson >= 1.5 and python3-pycotap for QEMU 10.2.
Types: deb
URIs: $URI
Suites: bookworm-backports
Components: main
Signed-By: $KEYRING
EOT

log "apt-get update"
$SUDO apt-get update -q

PKGS="build-essential dpkg-dev git pkg-config ninja-build python3 python3-venv
      libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev
      seabios pciutils perl xz-utils quilt ccache strace
      clang libclang-rt-14-dev"
log "installing: $(echo $PKGS)"
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $PKGS
log "installing meson and python3-pycotap from bookworm-backports"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    -t bookworm-backports meson python3-pycotap

echo "$me" | $SUDO tee "$STAMP" >/dev/null
log "done"
