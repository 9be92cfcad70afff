#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# The main job: two processes exchange RDMA traffic on the emulated device
# uodp0, served by uodpd, and this script says what happened.  First ODP:
# perftest's ib_write_bw --odp writes into fresh, never-touched memory and
# every page fault is serviced in userspace by the uodp provider's fault
# engine; the counters prove it.  Then pinned traffic: ibv_rc_pingpong (RC
# send/receive) and ib_write_bw (RDMA writes).  All stock, unmodified.
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

say "1. ODP: ib_write_bw --odp into fresh memory, faults serviced in userspace"
# Sparse files: their pages exist nowhere until the device touches them.
truncate -s 64M "$WORKDIR/odp_server.buf" "$WORKDIR/odp_client.buf"
SERVER_CMD=(ib_write_bw -d "$UODP_DEV" -x "$gid" -F -p $((PORT + 2)) -n 500 -s 1048576 --odp --mmap="$WORKDIR/odp_server.buf")
CLIENT_CMD=(ib_write_bw -d "$UODP_DEV" -x "$gid" -F -p $((PORT + 2)) -n 500 -s 1048576 --odp --mmap="$WORKDIR/odp_client.buf" 127.0.0.1)
run_pair odp_write_bw $((PORT + 2)) >"$WORKDIR/odp.log" 2>&1 || { cat "$WORKDIR/odp.log"; fail "ib_write_bw --odp failed"; }
"$BUILD/bin/uodp-stat" --json >"$WORKDIR/odp.json" || fail "uodp-stat failed"
odp_field() { /usr/bin/python3 -c "import json, sys
d = json.load(open(sys.argv[1]))['devices'][0]
print(d[sys.argv[2]][sys.argv[3]])" "$WORKDIR/odp.json" "$1" "$2"; }
raised=$(( $(odp_field device wqe_faults_requester) + $(odp_field device wqe_faults_responder) + $(odp_field device rdma_faults) ))
echo "Both processes registered their buffers with IBV_ACCESS_ON_DEMAND over"
echo "memory that had never been touched, so nothing was mapped for the device."
echo "Every access to a missing page raised a page fault; the owning process's"
echo "uodp provider read the fault event, parsed the faulting request, prefetched"
echo "the pages with madvise and told the device what to map, then resumed."
echo "  page faults raised by the device:      $raised ($(odp_field device rdma_faults) RDMA, $(odp_field device wqe_faults_requester) requester WQE)"
echo "  serviced by the userspace fault engine: $(odp_field engine faults_serviced) ($(odp_field engine faults_failed) failed)"
echo "  pages mapped on request:               $(odp_field device pages_mapped)"
echo "  resumes accepted by the device:        $(odp_field device resumes) ($(odp_field device resumes_error) with error)"
[ "$raised" -gt 0 ] || fail "no page fault was raised"
[ "$(odp_field engine faults_failed)" -eq 0 ] || fail "a fault failed"
# Both processes have exited: the device kept their engines' counters.
[ "$(odp_field engine faults_serviced)" -eq "$raised" ] ||
	fail "the userspace engines serviced $(odp_field engine faults_serviced) of $raised faults"
echo "All counters, as build/bin/uodp-stat prints them:"
"$BUILD/bin/uodp-stat" | sed 's/^/  /'

say "2. ibv_rc_pingpong: RC send/receive between two processes"
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

say "3. ib_write_bw: RDMA WRITE bandwidth between two processes (pinned)"
SERVER_CMD=(ib_write_bw -d "$UODP_DEV" -x "$gid" -F -p $((PORT + 1)) -n 2000 -s 65536 --report_gbits)
CLIENT_CMD=(ib_write_bw -d "$UODP_DEV" -x "$gid" -F -p $((PORT + 1)) -n 2000 -s 65536 --report_gbits 127.0.0.1)
run_pair write_bw $((PORT + 1)) >"$WORKDIR/bw.log" 2>&1 || { cat "$WORKDIR/bw.log"; fail "ib_write_bw failed"; }
gbits=$(awk '/BW average/ { h = 1; next } h && $1 ~ /^[0-9]+$/ { print $4; exit }' "$WORKDIR/write_bw.client")
gbytes=$(awk -v g="$gbits" 'BEGIN { printf "%.2f", g / 8 }')
echo "The client wrote 2000 messages of 64 KiB straight into the server's"
echo "registered memory with RDMA WRITE (the server's CPU was not involved):"
echo "$gbits Gbit/s, that is $gbytes GB/s."

say "Summary"
echo "Unmodified programs talked RDMA to each other over uodp0: the uodp"
echo "provider wrote real mlx5 work requests into shared queues, and uodpd"
echo "executed them, copied the data between the processes and wrote the"
echo "completions back.  With ODP, every page fault the device raised was"
echo "serviced in userspace by the provider, not by a kernel.  No kernel RDMA"
echo "driver or hardware was involved."
