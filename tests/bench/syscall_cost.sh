#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# The cost of uodp-run's seccomp filter for ordinary system calls: the same
# loops (tests/bench/syscall_cost.c) outside and inside uodp-run, in one
# run, interleaved twice; ns per call and the ratio inside / outside.
# Prints figures; it is not a pass/fail test.
#
# env: UODP_BUILD_DIR (default <source>/build)

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${UODP_BUILD_DIR:-$HERE/../../build}
bin=$BUILD/tests/bin/syscall_cost
run=$BUILD/bin/uodp-run
[ -x "$bin" ] && [ -x "$run" ] || { echo "syscall_cost.sh: build first" >&2; exit 1; }
file=$(mktemp)
trap 'rm -f "$file" "$file".*' EXIT

for round in 1 2; do
	"$bin" "$file" >"$file.out$round"
	"$run" -- "$bin" "$file" >"$file.in$round"
done
echo "seccomp filter cost (median of 5 runs, best of 2 rounds, ns per call)"
printf '%-28s %10s %10s %8s\n' "loop" "outside" "inside" "ratio"
for loop in getppid write_devnull open_close_rdonly open_close_rdwr_cloexec; do
	out=$(awk -v l="$loop" '$1 == l { print $2 }' "$file".out* | sort -n | head -1)
	in=$(awk -v l="$loop" '$1 == l { print $2 }' "$file".in* | sort -n | head -1)
	awk -v l="$loop" -v o="$out" -v i="$in" \
		'BEGIN { printf "%-28s %10.1f %10.1f %8.3f\n", l, o, i, i / o }'
done
echo "(target: ordinary calls < 1.05; opens with the device's flags"
echo " O_RDWR|O_CLOEXEC travel to uodpd and back)"
