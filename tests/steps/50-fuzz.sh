#!/bin/sh
# libFuzzer smoke run (60 s) of the pure extended-capability layout helpers:
# invariants checked on every input, regression inputs replayed first.
# 'make fuzz' runs it long.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_BUDGET=${FUZZ_SMOKE_SECONDS:-60} sh "$top/tests/fuzz/run-fuzz.sh"
