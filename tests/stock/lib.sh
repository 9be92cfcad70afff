# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# Shared helpers for the stock-client tests.  Every script runs inside one
# `uodp-run`, so server and client are two processes on the same uodp0 and
# reach each other through uodpd.  Source this file; it defines:
#
#   uodp_gid_index           the first RoCE v2 GID index of uodp0 (stdout)
#   run_pair NAME PORT       runs SERVER_CMD (array) in the background, waits
#                            until it listens on TCP PORT, runs CLIENT_CMD
#                            (array) against it, waits for both and fails
#                            unless both exit 0.  Output lands in
#                            $WORKDIR/NAME.server and $WORKDIR/NAME.client.
#   pair_verdict NAME SRV_RC CLI_RC  the end of run_pair, for other pairs
#   wait_until PID TRIES CMD...  polls CMD every 0.05 s while PID lives, at
#                            most TRIES times; true once CMD is
#   cm_listening PORT [ADDR [RUN...]]  true once an rdma_cm ID listens on
#                            PORT (of ADDR, an ERE; default any: bound or
#                            wildcard), as `RUN rdma res show cm_id` shows
#                            (RUN: e.g. uodp-run --attach --); the listing
#                            is left in $WORKDIR/cm_ids
#   expect FILE REGEX WHAT   fails unless FILE contains REGEX
#   fail MSG                 prints MSG and exits 1

set -u

UODP_DEV=${UODP_DEV:-uodp0}
STEP_TIMEOUT=${STEP_TIMEOUT:-60}	# seconds any one tool may run
WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/uodp-stock.XXXXXX")
SERVER_PID=

cleanup()
{
	# Only the server we started, by pid.
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	rm -rf "$WORKDIR"
}
trap cleanup EXIT

fail()
{
	echo "FAIL: $*" >&2
	exit 1
}

show()
{
	local f
	for f in "$@"; do
		echo "----- $(basename "$f") -----"
		cat "$f"
	done
}

expect()
{
	grep -Eq -- "$2" "$1" || { show "$1"; fail "$3 (no match for /$2/ in $(basename "$1"))"; }
}

uodp_gid_index()
{
	local idx

	idx=$(ibv_devinfo -v -d "$UODP_DEV" 2>/dev/null |
	      sed -n 's/.*GID\[ *\([0-9]*\)\]:.*RoCE v2.*/\1/p' | head -n1)
	echo "${idx:-1}"
}

# True when something listens on TCP port $1 (IPv4 or IPv6).  Reads
# /proc/net rather than connecting: a probe connection would be taken by the
# single-shot pingpong servers as their peer.
port_listening()
{
	local hex

	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
			  END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

wait_listening()
{
	local port=$1 pid=$2 i

	for i in $(seq 1 200); do
		port_listening "$port" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

wait_until()
{
	local pid=$1 tries=$2 i
	shift 2
	for i in $(seq "$tries"); do
		"$@" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	"$@"
}

cm_listening()
{
	local port=$1 addr=${2:-.*}

	shift $(($# < 2 ? $# : 2))
	"$@" rdma res show cm_id >"$WORKDIR/cm_ids" 2>&1 &&
		grep -Eq "state LISTEN .*src-addr $addr:$port( |\$)" "$WORKDIR/cm_ids"
}

run_pair()
{
	local name=$1 port=$2 srv_out cli_out srv_rc cli_rc

	srv_out=$WORKDIR/$name.server
	cli_out=$WORKDIR/$name.client
	echo "+ server: ${SERVER_CMD[*]}"
	timeout -k 5 "$STEP_TIMEOUT" "${SERVER_CMD[@]}" >"$srv_out" 2>&1 &
	SERVER_PID=$!
	if ! wait_listening "$port" "$SERVER_PID"; then
		wait "$SERVER_PID"
		srv_rc=$?
		SERVER_PID=
		show "$srv_out"
		fail "$name: server never listened on port $port (exit $srv_rc)"
	fi
	echo "+ client: ${CLIENT_CMD[*]}"
	timeout -k 5 "$STEP_TIMEOUT" "${CLIENT_CMD[@]}" >"$cli_out" 2>&1
	cli_rc=$?
	wait "$SERVER_PID"
	srv_rc=$?
	SERVER_PID=
	pair_verdict "$name" "$srv_rc" "$cli_rc"
}

# pair_verdict NAME SERVER_RC CLIENT_RC: shows both outputs, fails unless
# both exited 0.
pair_verdict()
{
	local name=$1 srv_rc=$2 cli_rc=$3

	show "$WORKDIR/$name.server" "$WORKDIR/$name.client"
	[ "$srv_rc" = 124 ] && fail "$name: server timed out after ${STEP_TIMEOUT}s"
	[ "$cli_rc" = 124 ] && fail "$name: client timed out after ${STEP_TIMEOUT}s"
	[ "$srv_rc" = 0 ] || fail "$name: server exited with $srv_rc"
	[ "$cli_rc" = 0 ] || fail "$name: client exited with $cli_rc"
	return 0
}
