#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# Runs a stock rdma_cm program pair (librdmacm's examples, perftest -R)
# between two processes on uodp0 inside uodp-run, over 127.0.0.1: the
# address of lo, the netdev uodp0 is built on.  Checks both exit codes and
# what each tool says it moved.
#
# usage: rdmacm.sh TOOL PORT
#   TOOL: rping rping6 ucmatose udaddy rdma_client rstream ib_send_bw ib_write_bw
#         ib_read_lat
#
# The client starts once the server's listener shows in `rdma res show
# cm_id` (RDMA netlink, as on a kernel: a wildcard listener is on every
# device), so a connect never meets a port nobody listens on yet.

. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || fail "usage: $0 TOOL PORT"
tool=$1
port=$2
addr=127.0.0.1
count=10

case $tool in
rping6)
	# IPv6: lo's ::1, a GID of uodp0 as 127.0.0.1 is.
	addr=::1
	SERVER_CMD=(rping -s -a "$addr" -p "$port" -v -C "$count")
	CLIENT_CMD=(rping -c -a "$addr" -p "$port" -v -C "$count")
	;;
rping)
	SERVER_CMD=(rping -s -a "$addr" -p "$port" -v -C "$count")
	CLIENT_CMD=(rping -c -a "$addr" -p "$port" -v -C "$count")
	;;
ucmatose)
	SERVER_CMD=(ucmatose -p "$port" -c 4 -C "$count")
	CLIENT_CMD=(ucmatose -s "$addr" -p "$port" -c 4 -C "$count")
	;;
udaddy)
	# It has no port option: always 7174 (PORT only names the test).
	port=7174
	SERVER_CMD=(udaddy -c 4 -C "$count")
	CLIENT_CMD=(udaddy -s "$addr" -c 4 -C "$count")
	;;
rdma_client)
	SERVER_CMD=(rdma_server -p "$port")
	CLIENT_CMD=(rdma_client -s "$addr" -p "$port")
	;;
rstream)
	# -T v: each side checks the data it receives.
	SERVER_CMD=(rstream -p "$port" -S 4096 -C 100 -T v)
	CLIENT_CMD=(rstream -s "$addr" -p "$port" -S 4096 -C 100 -T v)
	;;
ib_*)
	SERVER_CMD=("$tool" -d "$UODP_DEV" -R -F -p "$port" -n 200)
	CLIENT_CMD=("$tool" -d "$UODP_DEV" -R -F -p "$port" -n 200 "$addr")
	;;
*)
	fail "unknown tool $tool"
	;;
esac

srv_out=$WORKDIR/$tool.server
cli_out=$WORKDIR/$tool.client

# The server, then the client once the server listens; cli_rc set.
start_pair() {
	echo "+ server: ${SERVER_CMD[*]}"
	timeout -k 5 "$STEP_TIMEOUT" "${SERVER_CMD[@]}" >"$srv_out" 2>&1 &
	SERVER_PID=$!
	wait_until "$SERVER_PID" 400 cm_listening "$port" ||
		{ show "$srv_out" "$WORKDIR/cm_ids"; fail "$tool: the server never listened on port $port"; }
	echo "+ client: ${CLIENT_CMD[*]}"
	timeout -k 5 "$STEP_TIMEOUT" "${CLIENT_CMD[@]}" >"$cli_out" 2>&1
	cli_rc=$?
}

start_pair
# perftest -R races itself: after the handshake on its first connection
# the client connects its test QPs at once, while the server is still
# making its second listener on the same port (perftest_communication.c,
# create_rdma_cm_connection); too early is REJECTED 8 (no listener), as
# on a kernel. Upstream's client retries; Debian 12's crashes in that
# retry's cleanup. The server then waits for a client that left: the
# pair runs once more, and only for that.
case $tool in
ib_*)
	if [ "$cli_rc" != 0 ] &&
		grep -q 'RDMA_CM_EVENT_REJECTED; error: 8' "$cli_out"; then
		echo "note: $tool's client raced its server's second listener; once more"
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID"
		start_pair
	fi
	;;
esac
wait "$SERVER_PID"
srv_rc=$?
SERVER_PID=
pair_verdict "$tool" "$srv_rc" "$cli_rc"

case $tool in
rping | rping6)
	# -v: each side prints every ping it verified, in order.
	for side in server client; do
		out=$WORKDIR/$tool.$side
		n=$(grep -c 'ping data: rdma-ping-' "$out")
		[ "$n" = "$count" ] || fail "rping $side verified $n pings, not $count"
		expect "$out" "rdma-ping-$((count - 1)): " "rping $side missed the last ping"
	done
	;;
ucmatose | udaddy)
	expect "$cli_out" 'data transfers complete' "$tool moved no data"
	expect "$cli_out" 'test complete' "$tool did not finish"
	expect "$srv_out" 'test complete' "$tool server did not finish"
	;;
rdma_client)
	expect "$cli_out" 'rdma_client: end 0' "rdma_client did not end well"
	expect "$srv_out" 'rdma_server: end 0' "rdma_server did not end well"
	;;
rstream)
	expect "$cli_out" '^custom +4k +100 ' "rstream printed no results"
	;;
ib_*_lat)
	expect "$cli_out" 't_typical\[usec\]' "$tool printed no latency table"
	;;
ib_*)
	expect "$cli_out" 'BW average\[' "$tool printed no bandwidth table"
	;;
esac
if grep -Eiq 'failed|error|couldn.t|unable' "$srv_out" "$cli_out"; then
	fail "$tool reported an error"
fi
echo "PASS: $tool over rdma_cm"
