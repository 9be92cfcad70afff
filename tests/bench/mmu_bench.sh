#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# The ODP MMU notifier's cost (issue 10, tests/bench/mmu_bench.c): first
# touch, MADV_DONTNEED of 4 KiB and 2 MiB and munmap of 4 KiB, on memory
# under an explicit ODP MR against memory no MR covers, in one run;
# invalidation events per second and the pages the device zapped.
# Prints figures; it is not a pass/fail test.
#
# usage: tests/bench/mmu_bench.sh   (from the source tree, after ./build.sh)
# env:   UODP_BUILD_DIR (default <source>/build), MMU_BENCH_REPS (3: each
#        figure the median of that many runs, interleaved)

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${UODP_BUILD_DIR:-$ROOT/build}
BENCH=$BUILD/tests/bin/mmu_bench

[ -x "$BENCH" ] || { echo "mmu_bench.sh: $BENCH missing (build first)" >&2; exit 1; }
echo "ODP MMU notifier on $(nproc) cores: the program's memory calls on"
echo "memory under an ODP MR (its span on the device's userfaultfd) and on"
echo "memory no MR covers; medians of ${MMU_BENCH_REPS:-3} runs"
echo
if [ -n "${UODP_SOCKET:-}" ]; then
	exec "$BENCH" "${MMU_BENCH_REPS:-3}"
fi
exec "$BUILD/bin/uodp-run" -- "$BENCH" "${MMU_BENCH_REPS:-3}"
