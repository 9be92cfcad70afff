#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# The main job: two processes exchange RDMA traffic on the emulated device
# uodp0, served by uodpd, and this script says what happened.  Stock,
# unmodified programs do the work: ibv_rc_pingpong (RC send/receive) and
# perftest's ib_write_bw (RDMA writes).
#
# usage: tests/demo.sh      (after ./build.sh; or: ./build.sh demo)
# env:   UODP_BUILD_DIR (default <source>/build), UODP_DEMO_PORT (18650)

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${UODP_BUILD_DIR:-$ROOT/build}
PORT=${UODP_DEMO_PORT:-18650}

if [ -z "${UODP_SOCKET:-}" ]; then
	if [ ! -x "$BUILD/bin/uodp-run" ]; then
		echo "demo.sh: $BUILD/bin/uodp-run is missing; run ./build.sh first" >&2
		exit 1
	fi
	echo "Starting uodp-run: it launches uodpd (the emulated RDMA NIC) and"
	echo "makes device uodp0 visible to the programs it runs."
	exec "$BUILD/bin/uodp-run" -- /bin/bash "${BASH_SOURCE[0]}" "$@"
fi

. "$HERE/stock/lib.sh"
STEP_TIMEOUT=60

say() { printf '\n== %s\n' "$*"; }

say "The device, as the stock ibv_devinfo sees it"
ibv_devinfo -d "$UODP_DEV" | sed -n '1,25p' | grep -E 'hca_id|transport|node_guid|fw_ver|vendor_part|port:|state|active_mtu|link_layer'
gid=$(uodp_gid_index)
gid_text=$(ibv_devinfo -v -d "$UODP_DEV" | sed -n "s/.*GID\[ *$gid\]:[[:space:]]*//p")
echo "RoCE v2 GID index $gid: $gid_text"

say "1. ibv_rc_pingpong: RC send/receive between two processes"
SERVER_CMD=(ibv_rc_pingpong -d "$UODP_DEV" -g "$gid" -p "$PORT" -n 1000 -s 4096 -c)
CLIENT_CMD=(ibv_rc_pingpong -d "$UODP_DEV" -g "$gid" -p "$PORT" -n 1000 -s 4096 -c 127.0.0.1)
run_pair rc_pingpong "$PORT" >"$WORKDIR/rc.log" 2>&1 || { cat "$WORKDIR/rc.log"; fail "ibv_rc_pingpong failed"; }
srv=$WORKDIR/rc_pingpong.server
cli=$WORKDIR/rc_pingpong.client
sqpn=$(sed -n 's/.*local address: .*QPN \(0x[0-9a-f]*\).*/\1/p' "$srv")
cqpn=$(sed -n 's/.*local address: .*QPN \(0x[0-9a-f]*\).*/\1/p' "$cli")
bytes=$(awk '/bytes in/ { print $1; exit }' "$cli")
usec=$(awk '/iters in/ { print $(NF - 1); exit }' "$cli")
echo "Process A (the server, QP $sqpn) and process B (the client, QP $cqpn)"
echo "connected two RC queue pairs through uodp0, swapped 1000 messages of"
echo "4096 bytes each way and checked every received buffer (-c)."
echo "Each moved $bytes bytes; one round trip took $usec microseconds on average."

say "2. ib_write_bw: RDMA WRITE bandwidth between two processes"
SERVER_CMD=(ib_write_bw -d "$UODP_DEV" -x "$gid" -F -p $((PORT + 1)) -n 2000 -s 65536 --report_gbits)
CLIENT_CMD=(ib_write_bw -d "$UODP_DEV" -x "$gid" -F -p $((PORT + 1)) -n 2000 -s 65536 --report_gbits 127.0.0.1)
run_pair write_bw $((PORT + 1)) >"$WORKDIR/bw.log" 2>&1 || { cat "$WORKDIR/bw.log"; fail "ib_write_bw failed"; }
gbits=$(awk '/BW average/ { h = 1; next } h && $1 ~ /^[0-9]+$/ { print $4; exit }' "$WORKDIR/write_bw.client")
gbytes=$(awk -v g="$gbits" 'BEGIN { printf "%.2f", g / 8 }')
echo "The client wrote 2000 messages of 64 KiB straight into the server's"
echo "registered memory with RDMA WRITE (the server's CPU was not involved):"
echo "$gbits Gbit/s, that is $gbytes GB/s."

say "Summary"
echo "Two unmodified programs talked RDMA to each other over uodp0: the uodp"
echo "provider wrote real mlx5 work requests into shared queues, and uodpd"
echo "executed them, copied the data between the processes and wrote the"
echo "completions back.  No kernel RDMA driver or hardware was involved."
