#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# rdma_cm figures on uodp0: the connection setup rate (cm_bench: one
# listener, rdma_resolve_addr to ESTABLISHED per connection), and rping's
# time per ping next to ibv_rc_pingpong's time per iteration, both the
# wall time of N iterations of a 64-byte exchange, setup included, in one
# run of one uodp-run.  An rping ping is four messages (the client's SEND
# of its buffer, the server's RDMA READ of it, the server's SEND, the
# client's SEND of the next), each waited for on a completion event by
# rping's CQ thread and handed to its main thread; an ibv_rc_pingpong
# iteration is two (a SEND each way), polled, or (-e) on events.
# Prints figures; it is not a pass/fail test.
#
# usage: tests/bench/cm_bench.sh   (after ./build.sh)
# env:   UODP_BUILD_DIR (default <source>/build), CM_BENCH_CONNECTIONS (500),
#        CM_BENCH_PINGS (5000)

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${UODP_BUILD_DIR:-$HERE/../../build}
CONNS=${CM_BENCH_CONNECTIONS:-500}
PINGS=${CM_BENCH_PINGS:-5000}
export UODP_DAEMON_SOCKET=${UODP_DAEMON_SOCKET:-/nonexistent/uodpd.sock}

if [ -z "${UODP_SOCKET:-}" ]; then
	exec "$BUILD/bin/uodp-run" -- /bin/bash "$0" "$@"
fi

"$BUILD/tests/bin/cm_bench" "$CONNS" 18781 || echo "cm_bench failed"

# wall_us CMD...: the microseconds CMD ran.
wall_us()
{
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || return 1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}

rping -s -a 127.0.0.1 -p 18782 -C "$PINGS" -S 64 >/dev/null 2>&1 &
srv=$!
sleep 0.5
rping_us=$(wall_us rping -c -a 127.0.0.1 -p 18782 -C "$PINGS" -S 64)
wait "$srv"
# pingpong_us [-e]: ibv_rc_pingpong's wall time, polling or (-e) on
# completion events, as rping waits.
pingpong_us()
{
	local srv us

	ibv_rc_pingpong -d uodp0 -g 1 -p 18783 -n "$PINGS" -s 64 "$@" >/dev/null 2>&1 &
	srv=$!
	sleep 0.5
	us=$(wall_us ibv_rc_pingpong -d uodp0 -g 1 -p 18783 -n "$PINGS" -s 64 "$@" 127.0.0.1)
	wait "$srv"
	echo "$us"
}
pp_us=$(pingpong_us)
ppe_us=$(pingpong_us -e)
if [ -n "$rping_us" ] && [ -n "$pp_us" ] && [ -n "$ppe_us" ]; then
	awk -v r="$rping_us" -v p="$pp_us" -v e="$ppe_us" -v n="$PINGS" 'BEGIN {
		printf "rping: %.1f us per ping; ibv_rc_pingpong: %.1f us per iteration polling (ratio %.2f), %.1f us on events (ratio %.2f); %d each, 64 bytes\n",
		       r / n, p / n, r / p, e / n, r / e, n }'
else
	echo "rping or ibv_rc_pingpong failed"
fi
