#!/bin/sh
# A real Linux guest (Debian kernel, busybox + pciutils initramfs, TCG)
# sees the synthesized PASID capability on a fake-vfio device, enables it,
# cannot set unsupported bits, sees resets clear it, and no guest write to
# it reaches the device.  Once with SeaBIOS, once with OVMF (the firmware's
# PCI enumeration walks the chain before the kernel runs).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
sh "$top/tests/guest/run-guest.sh"
sh "$top/tests/guest/run-guest.sh" --ovmf
echo "2 passed, 0 failed"
