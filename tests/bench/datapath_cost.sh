#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# The datapath through each path the provider can take, in one run:
# ib_write_bw 64 KiB (Gb/s) and ib_write_lat 8 B (typical us) between two
# processes on uodp0, with the emulator's shared queue memory and doorbell
# (the default), and on the kernel's path (uodp-run --no-queue-memfd
# --no-doorbell-fd: rings in the application's memory, UAR doorbells).
# With UODP_BASE_BUILD (another build tree, e.g. from before a change) its
# default path runs too, interleaved, and the ratios are printed.
# Prints figures; it is not a pass/fail test.
#
# env: UODP_BUILD_DIR (default <source>/build), UODP_BASE_BUILD (optional),
#      UODP_BENCH_ROUNDS (default 3: the median is printed),
#      UODP_BENCH_PORT (default 18760)

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${UODP_BUILD_DIR:-$HERE/../../build}
ROUNDS=${UODP_BENCH_ROUNDS:-3}
PORT=${UODP_BENCH_PORT:-18760}
STOCK=$HERE/../stock
[ -x "$BUILD/bin/uodp-run" ] || { echo "datapath_cost.sh: build first" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# name, build, uodp-run options
paths=("default|$BUILD|" "kernel|$BUILD|--no-queue-memfd --no-doorbell-fd")
[ -n "${UODP_BASE_BUILD:-}" ] && paths+=("base|$UODP_BASE_BUILD|")

# One measure: bw prints "... BW average[Gb/s]" rows, lat "t_typical".
measure() {
	local build=$1 opts=$2 tool=$3 size=$4 log
	log=$out/log
	# shellcheck disable=SC2086
	"$build/bin/uodp-run" $opts -- /bin/bash "$STOCK/perftest.sh" "$tool" \
		"$PORT" -n 5000 -s "$size" --report_gbits >"$log" 2>&1 || {
		echo "datapath_cost.sh: $tool failed under $build $opts" >&2
		return
	}
	PORT=$((PORT + 1))
	# PASS: ib_write_bw, average bandwidth N / typical latency (usec) N
	sed -n 's/^PASS: .* \([0-9.][0-9.]*\)$/\1/p' "$log" | tail -1
}

for ((round = 0; round < ROUNDS; round++)); do
	for p in "${paths[@]}"; do
		IFS='|' read -r name build opts <<<"$p"
		measure "$build" "$opts" ib_write_bw 65536 >>"$out/$name.bw"
		measure "$build" "$opts" ib_write_lat 8 >>"$out/$name.lat"
	done
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
echo "datapath, median of $ROUNDS rounds (interleaved)"
printf '%-10s %18s %22s\n' "path" "ib_write_bw 64K Gb/s" "ib_write_lat 8B us"
for p in "${paths[@]}"; do
	IFS='|' read -r name _ _ <<<"$p"
	printf '%-10s %18s %22s\n' "$name" "$(median "$out/$name.bw")" \
		"$(median "$out/$name.lat")"
done
if [ -n "${UODP_BASE_BUILD:-}" ]; then
	awk -v a="$(median "$out/default.bw")" -v b="$(median "$out/base.bw")" \
		-v c="$(median "$out/default.lat")" -v d="$(median "$out/base.lat")" \
		'BEGIN { if (b && d) printf "default / base: bandwidth %.3f, latency %.3f\n", a / b, c / d }'
fi
