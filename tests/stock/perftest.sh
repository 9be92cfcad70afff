#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# Runs one perftest tool between two processes on uodp0 (inside uodp-run)
# and checks both exit codes and that the client printed a results table
# with a positive bandwidth (bw tools) or latency (lat tools).
#
# usage: perftest.sh TOOL TCP_PORT [TOOL OPTIONS...]
#   e.g. perftest.sh ib_write_bw 18611 -n 1000 -s 65536

. "$(dirname "$0")/lib.sh"

[ $# -ge 2 ] || fail "usage: $0 TOOL TCP_PORT [OPTIONS...]"
tool=$1
port=$2
shift 2

gid=$(uodp_gid_index)
echo "device $UODP_DEV, RoCE v2 GID index $gid, TCP port $port"

# -F: no CPU frequency warning (it is not a failure here).
common=(-d "$UODP_DEV" -i 1 -x "$gid" -F -p "$port")
# PERFTEST_SERVER_ARGS / PERFTEST_CLIENT_ARGS: per-side extra options
SERVER_CMD=("$tool" "${common[@]}" "$@" ${PERFTEST_SERVER_ARGS:-})
CLIENT_CMD=("$tool" "${common[@]}" "$@" ${PERFTEST_CLIENT_ARGS:-} 127.0.0.1)
run_pair "$tool" "$port"

client=$WORKDIR/$tool.client
for side in server client; do
	out=$WORKDIR/$tool.$side
	expect "$out" 'local address: LID [0-9a-fx]+ QPN 0x[0-9a-f]+' \
		"$tool $side did not print its local address"
	expect "$out" 'remote address: LID [0-9a-fx]+ QPN 0x[0-9a-f]+' \
		"$tool $side did not learn the remote address"
	if grep -Eiq 'failed|error|couldn.t|unable' "$out"; then
		show "$out"
		fail "$tool $side reported an error"
	fi
done

# The first results row: "<bytes> <iterations> <numbers...>".
case $tool in
*_lat)
	# t_min t_max t_typical t_avg ...: typical latency must be > 0
	expect "$client" 't_typical\[usec\]' "$tool printed no latency table"
	value=$(awk '/t_typical/ { hdr = 1; next }
		     hdr && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { print $5; exit }' "$client")
	what="typical latency (usec)"
	;;
*)
	# BW peak, BW average, MsgRate: average bandwidth must be > 0
	expect "$client" 'BW average\[' "$tool printed no bandwidth table"
	value=$(awk '/BW average/ { hdr = 1; next }
		     hdr && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { print $4; exit }' "$client")
	what="average bandwidth"
	;;
esac
[ -n "$value" ] || fail "$tool: no results row in the client's table"
awk -v v="$value" 'BEGIN { exit !(v + 0 > 0) }' ||
	fail "$tool: $what is $value, not positive"
echo "PASS: $tool, $what $value"
