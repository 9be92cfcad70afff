#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# Fairness between contexts (issue 8): the latency of a bystander
# `ibv_rc_pingpong -s 4096` alone, then while another context streams
# RDMA READs of 1 GiB made of 64 MiB SGEs with busy polling
# (tests/bench/fairness.c), and the ratio.  The first row is the issue's
# case, everyone busy-polling; the others take the ping-pong (-e), the
# streamer or both off the CPUs while they wait, which shows how much of
# the slowdown is the device's sharing and how much the four spinning
# processes (two ping-pong sides, the streamer, uodpd) on the cores.
# Prints figures; it is not a pass/fail test.
#
# The last row is the control: a process that only spins, no RDMA.
#
# usage: tests/bench/fairness.sh     (from the source tree, after ./build.sh)
# env:   UODP_BUILD_DIR (default <source>/build), UODP_FAIRNESS_PORT (18790,
#        uses ten ports from it), UODP_FAIRNESS_ITERS (ping-pong
#        iterations, 2000), UODP_FAIRNESS_REPS (3: each figure is the
#        median of that many runs, alone and loaded interleaved, as the
#        machine may be shared), UODPD_PATH (the uodpd to measure, as
#        uodp-run)

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${UODP_BUILD_DIR:-$ROOT/build}
PORT=${UODP_FAIRNESS_PORT:-18790}
ITERS=${UODP_FAIRNESS_ITERS:-2000}
REPS=${UODP_FAIRNESS_REPS:-3}

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

# start_streamer OUT busy|events: in the background; returns once its
# first READ is posted.
start_streamer()
{
	local out=$1 mode=$2 i

	if [ "$mode" = spinner ]; then
		# The control: a process that only spins, no RDMA at all.
		timeout -k 5 300 /bin/sh -c 'echo streaming; while :; do :; done' \
			>"$out" 2>&1 &
	else
		timeout -k 5 300 "$streamer_bin" 240 2 "$mode" >"$out" 2>&1 &
	fi
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

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure NAME STREAMER_MODE PORT [PINGPONG OPTIONS...]: a row.
measure()
{
	local name=$1 mode=$2 port=$3 out=$WORKDIR/$3 rep alone loaded bw
	shift 3

	for rep in $(seq 1 "$REPS"); do
		pingpong "$port.alone" "$port" "$@" >>"$out.alone"
		start_streamer "$out.streamer" "$mode"
		pingpong "$port.loaded" $((port + 1)) "$@" >>"$out.loaded"
		stop_streamer
		awk '/^streamer:/ { print $(NF - 1) }' "$out.streamer" >>"$out.bw"
	done
	alone=$(median <"$out.alone")
	loaded=$(median <"$out.loaded")
	bw=$(median <"$out.bw")
	[ "$mode" = spinner ] && bw=-
	[ -n "$alone" ] && [ -n "$loaded" ] && [ -n "$bw" ] ||
		{ show "$out.streamer"; fail "$name: no figures"; }
	printf '%-34s %10s %12s %8s %10s\n' "$name" "$alone" "$loaded" \
		"$(awk -v a="$alone" -v l="$loaded" 'BEGIN { printf "%.2f", l / a }')" \
		"$bw"
}

echo "fairness on $(nproc) cores, device $UODP_DEV (GID index $gid):"
echo "ibv_rc_pingpong -s 4096 -n $ITERS, usec/iter, alone and while another"
echo "context streams 1 GiB RDMA READs (16 x 64 MiB SGEs, 2 in flight);"
echo "medians of $REPS runs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-34s %10s %12s %8s %10s\n' "ping-pong / streamer waits by" "alone" \
	"streamer on" "ratio" "GB/s"
measure "busy poll / busy poll" busy "$PORT"
measure "events (-e) / busy poll" busy $((PORT + 2)) -e
measure "busy poll / events" events $((PORT + 4))
measure "events (-e) / events" events $((PORT + 6)) -e
# The control row: the same ping-pong next to one spinning process that
# does no RDMA.  Its ratio is what one more busy process costs on these
# cores, whatever the device does.
measure "busy poll / a plain CPU spinner" spinner $((PORT + 8))
