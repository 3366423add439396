# vPASID for vfio-pci over IOMMUFD: a QEMU patch series on Debian's qemu
# 1:10.2.2+ds-1.  The series in patches/ is the source of truth; work/qemu is
# a derived git tree (base commit + one commit per patch).
#
#   make            set up (apt, base, work tree) and build qemu-system-x86_64
#   make demo       build, then run the demo
#   make check      build, then run every check and test
#   make check-asan build with ASan/UBSan (work/qemu/build-asan), run the vfio
#                   qtests and the hot-plug endurance test under it
#   make export     write the work tree's commits back to patches/
#   make timings    print cold / warm / incremental set-up + build times
#   make bench      print ioctl counts per realize and auto/off realize time
#   make fuzz       fuzz the ext-cap layout helpers (SECONDS_BUDGET, default 3600)
#   make mutants    build small breaking edits of the series one at a time and
#                   show that the vfio qtests kill each (not part of 'make check')
#   make check-fresh  run 'make demo' and 'make check' on a clean debootstrapped
#                   Debian 12 root (as root; not part of 'make check')
#
# Variables: NO_BISECT=1 skips the per-patch build in 'make check' (CI always
# runs it), FORCE=1 lets 'make worktree' discard unexported work-tree commits.

SHELL := /bin/sh
S := scripts

.PHONY: all deps base worktree build export check check-series smoke demo bench fuzz \
        timings clean distclean check-asan check-fresh mutants

all: build

deps:
	@sh $(S)/apt-setup.sh

base: deps
	@sh $(S)/base.sh >/dev/null

worktree: base
	@sh $(S)/worktree.sh

build:
	@sh $(S)/setup.sh

export:
	@sh $(S)/export.sh

check-series: worktree
	@sh $(S)/check-series.sh

smoke: build
	@/usr/bin/python3 tests/smoke.py

check: build
	@sh $(S)/check.sh

check-asan: build
	@sh tests/steps/60-asan.sh

demo: build
	@sh $(S)/demo.sh

mutants: build
	@sh $(S)/mutants.sh

fuzz: build
	@SECONDS_BUDGET=$${SECONDS_BUDGET:-3600} sh tests/fuzz/run-fuzz.sh

bench: build
	@/usr/bin/python3 $(S)/bench.py $(BENCH_ARGS)

check-fresh:
	@sh $(S)/check-fresh.sh

timings: deps
	@sh $(S)/timings.sh

clean:
	rm -rf work/qemu/build work/qemu/build-asan work/bisect/build

distclean:
	rm -rf work
