#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# Runs one of the stock ibv_*_pingpong examples between two processes on
# uodp0 (run inside uodp-run) and checks that both sides finished the
# exchange and reported their throughput.
#
# usage: pingpong.sh TOOL TCP_PORT [TOOL OPTIONS...]
#   e.g. pingpong.sh ibv_rc_pingpong 18601 -n 1000 -c

. "$(dirname "$0")/lib.sh"

[ $# -ge 2 ] || fail "usage: $0 TOOL TCP_PORT [OPTIONS...]"
tool=$1
port=$2
shift 2

gid=$(uodp_gid_index)
echo "device $UODP_DEV, RoCE v2 GID index $gid, TCP port $port"

SERVER_CMD=("$tool" -d "$UODP_DEV" -g "$gid" -p "$port" "$@")
CLIENT_CMD=("$tool" -d "$UODP_DEV" -g "$gid" -p "$port" "$@" 127.0.0.1)
run_pair "$tool" "$port"

check_classic()
{
	local out=$1 side=$2

	expect "$out" 'local address: +LID 0x[0-9a-f]+, QPN 0x[0-9a-f]+' \
		"$tool $side did not print its local address"
	expect "$out" 'remote address: +LID 0x[0-9a-f]+, QPN 0x[0-9a-f]+' \
		"$tool $side did not learn the remote address"
	# "<bytes> bytes in <secs> seconds = <rate> Mbit/sec": bytes must be > 0
	expect "$out" '^[1-9][0-9]* bytes in [0-9.]+ seconds = [0-9.]+ Mbit/sec' \
		"$tool $side did not report a finished transfer"
	expect "$out" '^[1-9][0-9]* iters in [0-9.]+ seconds = [0-9.]+ usec/iter' \
		"$tool $side did not report its iterations"
}

# ibv_xsrq_pingpong prints "   local: LID .., QPN RECV .. SEND .., SRQN .."
# and nothing at the end; success is both exit codes plus no error line.
check_xsrq()
{
	local out=$1 side=$2

	expect "$out" 'local: LID [0-9a-f]+, QPN RECV [0-9a-f]+ SEND [0-9a-f]+' \
		"$tool $side did not print its local XRC address"
	expect "$out" 'remote: LID [0-9a-f]+, QPN RECV [0-9a-f]+ SEND [0-9a-f]+' \
		"$tool $side did not learn the remote XRC address"
}

for side in server client; do
	out=$WORKDIR/$tool.$side
	case $tool in
	*xsrq*) check_xsrq "$out" $side ;;
	*) check_classic "$out" $side ;;
	esac
	# ibv_xsrq_pingpong shares its XRCD through /tmp/xrc_domain, created
	# read-only for its owner: another user's run carries on without it
	# and says so ("but not stopping"), which is no error of uodp0.
	if grep -v 'XRC Domain but not stopping' "$out" |
	   grep -Eiq 'failed|error|couldn.t|unable'; then
		show "$out"
		fail "$tool $side reported an error"
	fi
done
echo "PASS: $tool"
