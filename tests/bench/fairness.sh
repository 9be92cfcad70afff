#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# Fairness between contexts (issue 8): the latency of a bystander
# `ibv_rc_pingpong -s 4096` alone, then while another context streams
# RDMA READs of 1 GiB made of 64 MiB SGEs with busy polling
# (tests/bench/fairness.c), and the ratio; in busy-poll mode and in event
# mode (-e), where the ping-pong sleeps instead of competing for the CPUs.
# Prints figures; it is not a pass/fail test.
#
# usage: tests/bench/fairness.sh     (from the source tree, after ./build.sh)
# env:   UODP_BUILD_DIR (default <source>/build), UODP_FAIRNESS_PORT (18790,
#        uses four ports from it), UODP_FAIRNESS_ITERS (ping-pong
#        iterations, 5000)

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${UODP_BUILD_DIR:-$ROOT/build}
PORT=${UODP_FAIRNESS_PORT:-18790}
ITERS=${UODP_FAIRNESS_ITERS:-5000}

if [ -z "${UODP_SOCKET:-}" ]; then
	[ -x "$BUILD/bin/uodp-run" ] || { echo "fairness.sh: build first (./build.sh)" >&2; exit 1; }
	exec "$BUILD/bin/uodp-run" -- /bin/bash "${BASH_SOURCE[0]}" "$@"
fi

. "$ROOT/tests/stock/lib.sh"

streamer_bin=$BUILD/tests/bin/fairness
[ -x "$streamer_bin" ] || fail "$streamer_bin missing (build first)"
gid=$(uodp_gid_index)
STREAMER_PID=

stop_streamer()
{
	[ -n "$STREAMER_PID" ] || return 0
	kill -TERM "$STREAMER_PID" 2>/dev/null
	wait "$STREAMER_PID" 2>/dev/null
	STREAMER_PID=
}
trap 'stop_streamer; cleanup' EXIT

# The streamer in the background; returns once its first READ is posted.
start_streamer()
{
	local out=$1 i

	timeout -k 5 300 "$streamer_bin" 240 >"$out" 2>&1 &
	STREAMER_PID=$!
	for i in $(seq 1 200); do
		grep -q '^streaming' "$out" && return 0
		kill -0 "$STREAMER_PID" 2>/dev/null || break
		sleep 0.05
	done
	show "$out"
	fail "the streamer did not start"
}

# pingpong NAME PORT [OPTIONS...]: the client's usec/iter on stdout.
pingpong()
{
	local name=$1 port=$2
	shift 2

	SERVER_CMD=(ibv_rc_pingpong -d "$UODP_DEV" -g "$gid" -p "$port"
		    -s 4096 -n "$ITERS" "$@")
	CLIENT_CMD=("${SERVER_CMD[@]}" 127.0.0.1)
	STEP_TIMEOUT=240 run_pair "$name" "$port" >/dev/null ||
		fail "$name: ibv_rc_pingpong failed"
	awk '/iters in/ { print $(NF - 1); exit }' "$WORKDIR/$name.client"
}

# measure MODE PORT [OPTIONS...]: one row of the table.
measure()
{
	local mode=$1 port=$2 alone loaded bw
	shift 2

	alone=$(pingpong "$mode.alone" "$port" "$@")
	start_streamer "$WORKDIR/$mode.streamer"
	loaded=$(pingpong "$mode.loaded" $((port + 1)) "$@")
	stop_streamer
	bw=$(awk '/^streamer:/ { print $(NF - 1) }' "$WORKDIR/$mode.streamer")
	[ -n "$alone" ] && [ -n "$loaded" ] && [ -n "$bw" ] ||
		{ show "$WORKDIR/$mode.streamer"; fail "$mode: no figures"; }
	printf '%-26s %12s %12s %8s %14s\n' "$mode" "$alone" "$loaded" \
		"$(awk -v a="$alone" -v l="$loaded" 'BEGIN { printf "%.2f", l / a }')" \
		"$bw"
}

echo "fairness on $(nproc) cores, device $UODP_DEV (GID index $gid):"
echo "ibv_rc_pingpong -s 4096 -n $ITERS, usec/iter, alone and while another"
echo "context streams 1 GiB RDMA READs (16 x 64 MiB SGEs, busy polling)"
echo
printf '%-26s %12s %12s %8s %14s\n' "ping-pong mode" "alone" "streamer on" \
	"ratio" "streamer GB/s"
measure "busy poll" "$PORT"
measure "events (-e)" $((PORT + 2)) -e
