"""What the project's Python checks share about where things are and about
the machine they start: paths (overridable from the environment, as the
shell steps do), the q35 machine and accelerator arguments, the vIOMMU
options, the default topology (one pcie-root-port rp1 at 00:02.0 with the
device 01:00.0 behind it) and the guest-physical addresses a check uses to
reach config space through MMCONFIG.  tests/lib/vm.py builds command lines
from these; nothing else should spell them out."""

import os

# --- paths
TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
WORK = os.environ.get("WORK", os.path.join(TOP, "work", "qemu"))
BUILD = os.environ.get("BUILD", os.path.join(WORK, "build"))
QEMU_BIN = os.environ.get("QEMU", os.path.join(BUILD, "qemu-system-x86_64"))
FAKE_VFIO_LIB = os.environ.get("FAKE_VFIO_LIB", os.path.join(
    BUILD, "tests", "qtest", "fake-vfio", "libfake-vfio.so"))
PROFILES = os.path.join(TOP, "profiles")

# --- the machine
MACHINE = ("-M", "q35", "-nodefaults", "-display", "none")
# Always name the accelerator: QEMU's default may be KVM, whose kvm-vfio
# device refuses the test double's file descriptors, and a qtest-protocol
# reader must use the qtest accelerator (with TCG, SeaBIOS would reprogram
# BARs and MMCONFIG while the check reads).
ACCEL_QTEST = ("-accel", "qtest")
ACCEL_TCG = ("-accel", "tcg")

VIOMMU_PASID = ("intel-iommu,caching-mode=on,x-scalable-mode=on,"
                "x-pasid-mode=on")
VIOMMU_NOPASID = "intel-iommu,caching-mode=on"
VIOMMU_PLAIN = "intel-iommu"

IOMMUFD_ID = "iommufd0"

# --- the default topology: root port rp1 at 00:02.0, the device behind it
RP_ID = "rp1"
RP_CHASSIS = 1
RP_SLOT = 2
DEV_BUS = 1
DEV_DEVFN = 0
BDF = "0000:01:00.0"            # the first profile's host address
DEV_ID = "hostdev0"

# --- guest-physical addresses
ECAM_BASE = 0xb0000000          # where firmware would put q35's MMCONFIG
MCH_PCIEXBAR = 0x60             # the MCH register that places it
BAR0 = 0xc0000000               # in the root port's memory window


def ecam(bus, devfn, off=0):
    """Guest-physical address of config space byte @off of @bus:@devfn."""
    return ECAM_BASE + (bus << 20 | devfn << 12 | off)


RP_CFG = ecam(0, RP_SLOT << 3)          # root port 00:02.0
DEV_CFG = ecam(DEV_BUS, DEV_DEVFN)      # the device, 01:00.0


def host_bdf(n):
    """Host address the fake-vfio double gives the @n-th profile (1-based)."""
    return "0000:%02x:00.0" % n
