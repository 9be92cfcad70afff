#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# A connected rdma_cm peer killed mid-transfer (SIGKILL: no disconnect of
# its own): the device releases its rdma_cm file and the survivor gets
# DISCONNECTED, as from a kernel that closed the dead process's file.
# Without it the rping server would wait for its next ping forever.
#
# usage: rdmacm_peer_killed.sh PORT

. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || fail "usage: $0 PORT"
port=$1
srv_out=$WORKDIR/server
cli_out=$WORKDIR/client

timeout -k 5 "$STEP_TIMEOUT" rping -s -a 127.0.0.1 -p "$port" >"$srv_out" 2>&1 &
SERVER_PID=$!
wait_until "$SERVER_PID" 400 cm_listening "$port" ||
	{ show "$srv_out" "$WORKDIR/cm_ids"; fail "the server never listened"; }
# The client pings until killed.
rping -c -a 127.0.0.1 -p "$port" -C 1000000000 >"$cli_out" 2>&1 &
client=$!
sleep 0.3
kill -0 "$client" 2>/dev/null || { show "$cli_out"; fail "the client never connected"; }
# Stopped first, so that no RDMA READ of the server's is in flight when it
# dies: what the server then hears is the CM's DISCONNECTED, not a failed
# completion on memory that went with the client (which ends rping first,
# on a kernel as here).
kill -STOP "$client"
sleep 0.5
kill -KILL "$client"
wait "$client" 2>/dev/null
wait "$SERVER_PID"
srv_rc=$?
SERVER_PID=
show "$srv_out"
[ "$srv_rc" = 124 ] && fail "the server never heard its peer died"
expect "$srv_out" 'server DISCONNECT EVENT' "the server got no DISCONNECTED"
echo "PASS: the survivor got DISCONNECTED"
