#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# uodp benchmark: perftest on uodp0 between two processes, uodpd's idle CPU
# use and this machine's memcpy bandwidth, printed next to the targets, then
# the ODP figures of tests/bench/odp_bench.sh (fault service time, 1 GiB
# first-touch writes under lookahead / exact / pinned).
# Prints figures; it is not a pass/fail test.
#
# usage: tests/bench/perf.sh        (from the source tree, after ./build.sh)
# env:   UODP_BUILD_DIR (default <source>/build), UODP_BENCH_PORT (18700),
#        UODP_BASE_BUILD (a build tree to compare the control path and the
#        datapath with)

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${UODP_BUILD_DIR:-$ROOT/build}
PORT=${UODP_BENCH_PORT:-18700}

if [ -z "${UODP_SOCKET:-}" ]; then
	[ -x "$BUILD/bin/uodp-run" ] || { echo "perf.sh: build first (./build.sh)" >&2; exit 1; }
	# What the command fd costs, measured from outside uodp-run: the
	# seccomp filter on ordinary system calls, and the control path per
	# verb (against UODP_BASE_BUILD, another build tree, if given).
	bash "$HERE/syscall_cost.sh" || echo "syscall_cost.sh failed"
	echo
	bash "$HERE/verbs_cost.sh" || echo "verbs_cost.sh failed"
	echo
	bash "$HERE/datapath_cost.sh" || echo "datapath_cost.sh failed"
	echo
	bash "$HERE/cm_bench.sh" || echo "cm_bench.sh failed"
	echo
	exec "$BUILD/bin/uodp-run" -- /bin/bash "${BASH_SOURCE[0]}" "$@"
fi

. "$ROOT/tests/stock/lib.sh"

uodpd_pid()
{
	local d line rest

	# uodpd is uodp-run's other child.  Plain /proc reads, no procps:
	# pgrep and ps misbehave under an LD_PRELOADed ASan runtime.
	for d in /proc/[0-9]*; do
		read -r line <"$d/stat" 2>/dev/null || continue
		rest=${line##*) }
		set -- $rest
		if [ "$2" = "$PPID" ] && [ "$(cat "$d/comm" 2>/dev/null)" = uodpd ]; then
			echo "${d#/proc/}"
			return
		fi
	done
}

# CPU seconds (user + system) a process used so far.
cpu_seconds()
{
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}

idle_cpu_percent()
{
	local pid=$1 secs=$2 before after

	before=$(cpu_seconds "$pid")
	sleep "$secs"
	after=$(cpu_seconds "$pid")
	awk -v a="$before" -v b="$after" -v s="$secs" 'BEGIN { printf "%.1f", (b - a) / s * 100 }'
}

gid=$(uodp_gid_index)
daemon=$(uodpd_pid)
[ -n "$daemon" ] || fail "cannot find uodpd's pid"
memcpy_bin=$BUILD/tests/bin/memcpy_bw
[ -x "$memcpy_bin" ] || fail "$memcpy_bin missing (build first)"

echo "uodp benchmark on $(nproc) cores, device $UODP_DEV (GID index $gid), uodpd pid $daemon"

idle_fresh=$(idle_cpu_percent "$daemon" 2)

# Bandwidth: start the server, sample uodpd idle with one context open.
common=(-d "$UODP_DEV" -i 1 -x "$gid" -F --report_gbits)
SERVER_CMD=(ib_write_bw "${common[@]}" -p "$PORT" -s 65536 -n 20000)
CLIENT_CMD=(ib_write_bw "${common[@]}" -p "$PORT" -s 65536 -n 20000 127.0.0.1)
bw_out=$WORKDIR/bw
timeout 120 "${SERVER_CMD[@]}" >"$bw_out.server" 2>&1 &
SERVER_PID=$!
wait_listening "$PORT" "$SERVER_PID" || { show "$bw_out.server"; fail "ib_write_bw server did not start"; }
idle_open=$(idle_cpu_percent "$daemon" 2)
timeout 120 "${CLIENT_CMD[@]}" >"$bw_out" 2>&1 || { show "$bw_out"; fail "ib_write_bw failed"; }
wait "$SERVER_PID"
SERVER_PID=
bw_gbits=$(awk '/BW average/ { h = 1; next } h && $1 ~ /^[0-9]+$/ { print $4; exit }' "$bw_out")
[ -n "$bw_gbits" ] || { show "$bw_out"; fail "no ib_write_bw result"; }
bw_gbytes=$(awk -v g="$bw_gbits" 'BEGIN { printf "%.2f", g / 8 }')

# Latency: 8-byte RDMA writes, ping-pong.
SERVER_CMD=(ib_write_lat "${common[@]}" -p $((PORT + 1)) -s 8 -n 10000)
CLIENT_CMD=(ib_write_lat "${common[@]}" -p $((PORT + 1)) -s 8 -n 10000 127.0.0.1)
run_pair lat $((PORT + 1))
lat_out=$WORKDIR/lat.client
# t_min t_max t_typical t_avg t_stdev 99% 99.9%
read -r lat_min lat_typical lat_avg lat_p99 < <(awk '/t_typical/ { h = 1; next }
	h && $1 ~ /^[0-9]+$/ { print $3, $5, $6, $8; exit }' "$lat_out")
[ -n "${lat_typical:-}" ] || { show "$lat_out"; fail "no ib_write_lat result"; }

idle_after=$(idle_cpu_percent "$daemon" 2)

memcpy_line=$("$memcpy_bin" 65536 4096)
memcpy_gbytes=$(echo "$memcpy_line" | awk '{ print $2 }')
ratio=$(awk -v a="$bw_gbytes" -v b="$memcpy_gbytes" 'BEGIN { printf "%.2f", a / b }')

verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
	ok = (op == ">=") ? (v >= t) : (v <= t); print ok ? "met" : "MISSED" }'; }

echo
printf '%-44s %14s   %-18s %s\n' "measure" "result" "target" ""
printf '%-44s %11s GB/s   %-18s %s\n' "ib_write_bw, 64 KiB messages" "$bw_gbytes" ">= 1.5 GB/s" "$(verdict "$bw_gbytes" 1.5 '>=')"
printf '%-44s %11s us     %-18s %s\n' "ib_write_lat, 8 B, typical (median)" "$lat_typical" "<= 30 us" "$(verdict "$lat_typical" 30 '<=')"
printf '%-44s %11s us\n' "ib_write_lat, 8 B, minimum" "$lat_min"
printf '%-44s %11s us\n' "ib_write_lat, 8 B, average" "$lat_avg"
printf '%-44s %11s us\n' "ib_write_lat, 8 B, 99th percentile" "$lat_p99"
printf '%-44s %11s %%      %-18s %s\n' "uodpd CPU, idle, no context (2 s)" "$idle_fresh" "~0" "$(verdict "$idle_fresh" 1 '<=')"
printf '%-44s %11s %%      %-18s %s\n' "uodpd CPU, idle, one context open (2 s)" "$idle_open" "~0" "$(verdict "$idle_open" 1 '<=')"
printf '%-44s %11s %%      %-18s %s\n' "uodpd CPU, idle after traffic (2 s)" "$idle_after" "~0" "$(verdict "$idle_after" 1 '<=')"
printf '%-44s %11s GB/s\n' "memcpy bandwidth (64 KiB blocks)" "$memcpy_gbytes"
printf '%-44s %14s\n' "ib_write_bw / memcpy" "$ratio"

# Event mode: ib_send_lat -e waits on completion events (a completion
# channel on the command fd, the CQ armed through its doorbell record).
SERVER_CMD=(ib_send_lat "${common[@]}" -p $((PORT + 2)) -s 8 -n 5000 -e)
CLIENT_CMD=(ib_send_lat "${common[@]}" -p $((PORT + 2)) -s 8 -n 5000 -e 127.0.0.1)
run_pair evlat $((PORT + 2))
ev_out=$WORKDIR/evlat.client
read -r ev_min ev_typical ev_p99 < <(awk '/t_typical/ { h = 1; next }
	h && $1 ~ /^[0-9]+$/ { print $3, $5, $8; exit }' "$ev_out")
[ -n "${ev_typical:-}" ] || { show "$ev_out"; fail "no ib_send_lat -e result"; }
printf '%-44s %11s us\n' "ib_send_lat -e, 8 B, typical (median)" "$ev_typical"
printf '%-44s %11s us\n' "ib_send_lat -e, 8 B, 99th percentile" "$ev_p99"

# The ODP figures (issue 3), measured in the same run.
echo
bash "$HERE/odp_bench.sh" || echo "odp_bench.sh: some ODP measurements failed (see above)"

# The ODP MMU notifier's cost (issue 10).
echo
bash "$HERE/mmu_bench.sh" || echo "mmu_bench.sh failed"

# Fairness between contexts (issue 8): a bystander ping-pong alone and
# next to a context streaming 1 GiB RDMA READs.
echo
bash "$HERE/fairness.sh" || echo "fairness.sh failed"
