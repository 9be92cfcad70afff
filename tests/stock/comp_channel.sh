#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# Completion channels cannot be served under libibverbs 44 without a kernel:
# `ibv_rc_pingpong -e` (sleep on CQ events) must fail at once with an error
# message, never hang and never crash.

. "$(dirname "$0")/lib.sh"

limit=10	# seconds; it should take well under one
gid=$(uodp_gid_index)
out=$WORKDIR/events
start=$(date +%s.%N)
timeout -k 2 "$limit" ibv_rc_pingpong -d "$UODP_DEV" -g "$gid" -p "${1:-18690}" -e >"$out" 2>&1
rc=$?
end=$(date +%s.%N)
show "$out"
echo "exit status $rc after $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s"
[ $rc -eq 124 ] || [ $rc -eq 137 ] && fail "ibv_rc_pingpong -e hung (killed after ${limit}s)"
[ $rc -ge 128 ] && fail "ibv_rc_pingpong -e died from signal $((rc - 128))"
[ $rc -ne 0 ] || fail "ibv_rc_pingpong -e succeeded, but completion channels are not served"
expect "$out" "Couldn't create completion channel" "no clear error for the completion channel"
echo "PASS: completion channel creation fails fast and cleanly"
