#!/bin/sh
# Configure the apt entry this project needs and install build dependencies.
#
# The mirror URI is read from the Debian entries already configured on this
# machine; no registry host name is written into the repository.  The
# machine's own entries are left as they are.
#
# Nothing here trusts a file a previous run left: the work is skipped only
# when the entry on disk is exactly the one this run would write and dpkg
# says every package is installed.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

log() { printf '[apt-setup] %s\n' "$*"; }

SRC_FILE=/etc/apt/sources.list.d/vpasid-series.sources
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi

# Build dependencies of the series-built QEMU, its tests and the demo
# (gpg signs the test mirror of tests/steps/05-base-fetch.sh).
PKGS="build-essential dpkg-dev git pkg-config ninja-build python3 python3-venv
      libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev
      seabios pciutils perl xz-utils quilt ccache strace
      clang libclang-rt-14-dev gpg gpg-agent"
# From bookworm-backports: QEMU 10.2 needs meson >= 1.5 and python3-pycotap.
BPO_PKGS="meson python3-pycotap"

URI=$(mirror_uri)
if [ -z "$URI" ]; then
    echo "apt-setup: no Debian archive entry found in /etc/apt/sources*;" \
         "cannot derive a mirror URI" >&2
    exit 1
fi

# Check-Valid-Until: no -- a Release file carries a Valid-Until date (a
# week for backports and sid) that mirrors and archive snapshots let pass
# (sid's was 24 days past on 2026-11-30, and apt-get update then fails with
# exit 100).  apt still checks the Release signature and every index's and
# package's hash; the date only guards against a mirror replaying old
# indexes, which matters little for two build tools.  Relaxed for this
# project's entry only.
entry=$(cat <<EOT
# Written by vpasid-series scripts/apt-setup.sh.
# meson >= 1.5 and python3-pycotap for QEMU 10.2.  Check-Valid-Until: see
# the script: the Release date is relaxed for this entry only.
Types: deb
URIs: $URI
Suites: bookworm-backports
Components: main
Signed-By: $KEYRING
Check-Valid-Until: no
EOT
)

installed() {
    # true if every package named is installed (any version)
    for p in "$@"; do
        dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null |
            grep -qx installed || return 1
    done
}

# shellcheck disable=SC2086
if [ "$(cat "$SRC_FILE" 2>/dev/null)" = "$entry" ] &&
   installed $PKGS $BPO_PKGS && [ "${FORCE_APT:-0}" = 0 ]; then
    log "apt entry and all packages in place; FORCE_APT=1 to redo"
    exit 0
fi

log "Debian mirror URI taken from the machine's apt config (${URI%%://*} entry)"
printf '%s\n' "$entry" | $SUDO tee "$SRC_FILE" >/dev/null
# An earlier version of this script also wrote a sid deb-src entry into the
# machine's sources; base.sh now keeps that in its own apt configuration.
$SUDO rm -f /var/lib/vpasid-series-apt.stamp

log "apt-get update"
$SUDO apt-get update -q

log "installing: $(echo $PKGS)"
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $PKGS
log "installing $BPO_PKGS from bookworm-backports"
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    -t bookworm-backports $BPO_PKGS
log "done"
