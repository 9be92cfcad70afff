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
# A listener cannot be seen from outside (no TCP port), so the client is
# started again while the device answers its connect with REJ "invalid
# service ID" (status 8: nobody listens yet); any other failure fails.

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
	SERVER_CMD=(udaddy -c 4 -C "$count")
	CLIENT_CMD=(udaddy -s "$addr" -c 4 -C "$count")
	;;
rdma_client)
	SERVER_CMD=(rdma_server -p "$port")
	CLIENT_CMD=(rdma_client -s "$addr" -p "$port")
	;;
rstream)
	SERVER_CMD=(rstream -p "$port" -S 4096 -C 100)
	CLIENT_CMD=(rstream -s "$addr" -p "$port" -S 4096 -C 100)
	;;
ib_*)
	SERVER_CMD=("$tool" -d "$UODP_DEV" -R -F -p "$port" -n 200)
	CLIENT_CMD=("$tool" -d "$UODP_DEV" -R -F -p "$port" -n 200 "$addr")
	;;
*)
	fail "unknown tool $tool"
	;;
esac

# Whether the client's output says nobody listened (yet): librdmacm's
# examples name the REJECTED event and its status 8, perftest the event's
# number (8) only.
not_listening()
{
	grep -Eq 'REJECTED.*(error|status)[ :=]*8\b|Connection refused|Unexpected CM event bl blka 8$' "$1"
}

srv_out=$WORKDIR/$tool.server
cli_out=$WORKDIR/$tool.client
echo "+ server: ${SERVER_CMD[*]}"
timeout -k 5 "$STEP_TIMEOUT" "${SERVER_CMD[@]}" >"$srv_out" 2>&1 &
SERVER_PID=$!
echo "+ client: ${CLIENT_CMD[*]}"
for try in $(seq 1 100); do
	timeout -k 5 "$STEP_TIMEOUT" "${CLIENT_CMD[@]}" >"$cli_out" 2>&1
	cli_rc=$?
	[ "$cli_rc" = 0 ] && break
	not_listening "$cli_out" || break
	kill -0 "$SERVER_PID" 2>/dev/null || break
	sleep 0.1
done
wait "$SERVER_PID"
srv_rc=$?
SERVER_PID=
echo "client runs: $try"
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
