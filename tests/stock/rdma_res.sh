#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# rdma(8)'s resource and MR counter listings, served by uodpd's RDMA
# netlink (run inside uodp-run): a holder (uodp-res-holder) keeps a PD, a
# CQ, two connected RC QPs, an SRQ with two more, a pinned and an ODP MR,
# and an rping server listens on an rdma_cm ID; `rdma res`, `rdma res
# show qp|cq|mr|pd|srq|cm_id` must show exactly them, and `rdma stat show
# mr` the ODP MR's counters by mlx5's names, telling the story uodp-stat
# tells.  Who sees them: not another pid namespace, not another user.
#
# usage: rdma_res.sh UODP-RES-HOLDER UODP-STAT

. "$(dirname "$0")/lib.sh"

holder_bin=$1
stat=$2
py=/usr/bin/python3

mkfifo "$WORKDIR/in"
"$holder_bin" <"$WORKDIR/in" >"$WORKDIR/holder" 2>&1 &
SERVER_PID=$!
holder=$SERVER_PID
exec 3>"$WORKDIR/in"
wait_until "$holder" 400 grep -q '^ready' "$WORKDIR/holder" ||
	{ show "$WORKDIR/holder"; fail "the holder did not get ready"; }
read -r _ qpa qpb < <(grep '^qpn ' "$WORKDIR/holder")
read -r _ qps0 qps1 < <(grep '^srq ' "$WORKDIR/holder")
read -r _ pinned_key mrlen < <(grep '^pinned ' "$WORKDIR/holder")
read -r _ odp_key _ < <(grep '^odp ' "$WORKDIR/holder")
read -r _ prefetched written < <(grep '^halves ' "$WORKDIR/holder")
pinned_mrn=$((pinned_key >> 8))
odp_mrn=$((odp_key >> 8))
capeff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
net_admin=$(( (0x$capeff >> 12) & 1 ))

run()	# NAME CMD...: CMD's output in $WORKDIR/NAME, or fail
{
	local name=$1
	shift
	timeout -k 5 "$STEP_TIMEOUT" "$@" >"$WORKDIR/$name" 2>&1 ||
		{ show "$WORKDIR/$name"; fail "$* failed"; }
}

# jq-like checks of rdma -j output: CHECK is a Python expression over the
# list `e` of entries; it must hold.
json_check()	# FILE CHECK WHAT
{
	"$py" -c '
import json, sys
e = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" ||
		{ show "$1"; fail "$3"; }
}

# An rdma_cm ID, on the device once its address is bound (127.0.0.1).
cm_port=18790
# (without fd 3: the holder ends when its input does)
rping -s -a 127.0.0.1 -p "$cm_port" -C 1 >"$WORKDIR/rping" 2>&1 3>&- &
rping_pid=$!
# Only the rping we started, by pid; then lib.sh's cleanup.
trap 'kill "$rping_pid" 2>/dev/null; wait "$rping_pid" 2>/dev/null; cleanup' EXIT

# ---- the summary ----
summary()	# FILE EXPECTED-COUNTS WHAT
{
	expect "$1" "^0: uodp0: $2 *\$" "$3"
}
# rping's ID is the device's at its bind; librdmacm then opens its own
# context and PD on the device: wait for all three.
want='pd 2 cq 1 qp 4 cm_id 1 mr 2 ctx 2 srq 1'
listening()
{
	rdma res >"$WORKDIR/res" 2>&1 && grep -Eq "^0: uodp0: $want *\$" "$WORKDIR/res"
}
wait_until "$rping_pid" 200 listening ||
	{ show "$WORKDIR/res" "$WORKDIR/rping"; fail "rdma res does not count the holder's objects, rping's ID, context and PD ($want)"; }
show "$WORKDIR/res"

# ---- QPs: the pair connected to each other, the SRQ's two in RESET ----
run qp rdma -j res show qp
json_check "$WORKDIR/qp" "len(e) == 4 and all(q['pid'] == $holder and q['comm'] == 'uodp-res-holder' and q['type'] == 'RC' for q in e)" \
	"rdma res show qp: not the holder's 4 RC QPs"
conn="[q for q in e if q['lqpn'] in ($qpa, $qpb)]"
json_check "$WORKDIR/qp" "sorted((q['lqpn'], q['rqpn']) for q in $conn) == sorted([($qpa, $qpb), ($qpb, $qpa)]) and all(q['state'] == 'RTS' and q['port'] == 1 for q in $conn)" \
	"rdma res show qp: not QPs $qpa and $qpb connected to each other, RTS on port 1"
json_check "$WORKDIR/qp" "all(q['state'] == 'RESET' and 'port' not in q for q in e if q['lqpn'] in ($qps0, $qps1))" \
	"rdma res show qp: the SRQ's QPs are not in RESET without a port"
# One QP by its number (the doit names the port: QPs are per port).
run qp1 rdma res show qp link uodp0/1 lqpn "$qpa"
[ "$(wc -l <"$WORKDIR/qp1")" -eq 1 ] && expect "$WORKDIR/qp1" "lqpn $qpa rqpn $qpb " \
	"rdma res show qp lqpn $qpa: not that QP alone"

# ---- CQ and PD: their users ----
run cq rdma res show cq
expect "$WORKDIR/cq" "^dev uodp0 cqn [0-9]+ cqe 127 users 8 .*ctxn [0-9]+ pid $holder comm uodp-res-holder" \
	"rdma res show cq: not the holder's CQ, used by 4 QPs' 2 queues each"
run pd rdma res show pd
expect "$WORKDIR/pd" "^dev uodp0 pdn [0-9]+ .*users 7 ctxn [0-9]+ pid $holder comm uodp-res-holder" \
	"rdma res show pd: not the holder's PD, used by 2 MRs, 4 QPs, an SRQ"

# ---- the SRQ: its QPs as a range ----
run srq rdma -j res show srq
json_check "$WORKDIR/srq" "len(e) == 1 and e[0]['type'] == 'BASIC' and e[0]['lqpn'] == ['$qps0-$qps1'] and e[0]['pid'] == $holder" \
	"rdma res show srq: not a BASIC SRQ taken from by QPs $qps0-$qps1"

# ---- rping's rdma_cm ID (bound, then listening) ----
cm_listens()
{
	rdma res show cm_id >"$WORKDIR/cm-text" 2>&1 && grep -q 'state LISTEN' "$WORKDIR/cm-text"
}
wait_until "$rping_pid" 200 cm_listens ||
	{ show "$WORKDIR/cm-text"; fail "rdma res show cm_id: rping's ID never listens"; }
run cm rdma -j res show cm_id
json_check "$WORKDIR/cm" "len(e) == 1 and e[0]['state'] == 'LISTEN' and e[0]['ps'] == 'TCP' and e[0]['src-addr'] == '127.0.0.1:$cm_port' and e[0]['pid'] == $rping_pid and e[0]['port'] == 1" \
	"rdma res show cm_id: not rping's listener on 127.0.0.1:$cm_port"

# ---- MRs: keys only with CAP_NET_ADMIN; the ODP one says so ----
run mr rdma -j res show mr
json_check "$WORKDIR/mr" "sorted(m['mrn'] for m in e) == sorted([$pinned_mrn, $odp_mrn]) and all(m['mrlen'] == $mrlen and m['pid'] == $holder for m in e)" \
	"rdma res show mr: not MRs $pinned_mrn and $odp_mrn of $mrlen bytes"
if [ "$net_admin" -eq 1 ]; then
	json_check "$WORKDIR/mr" "sorted(int(m['lkey'], 16) for m in e) == sorted([$pinned_key, $odp_key])" \
		"rdma res show mr with CAP_NET_ADMIN: not the MRs' keys"
else
	json_check "$WORKDIR/mr" "not any('lkey' in m or 'rkey' in m for m in e)" \
		"rdma res show mr without CAP_NET_ADMIN shows keys"
fi
run mr-dd rdma -dd res show mr
expect "$WORKDIR/mr-dd" "mrn $odp_mrn .*drv_odp explicit" \
	"rdma -dd res show mr: the ODP MR is not 'odp explicit'"
grep -q "mrn $pinned_mrn .*drv_odp" "$WORKDIR/mr-dd" &&
	fail "rdma -dd res show mr: the pinned MR is called ODP"

# ---- ODP counters: rdma stat show mr against uodp-stat ----
uodp_mr()	# FIELD: the ODP MR's FIELD in uodp-stat --mrs --json
{
	"$stat" --mrs --json | "$py" -c '
import json, sys
d = json.load(sys.stdin)["devices"][0]
print([m for m in d["mrs"] if m["mr_key"] == int(sys.argv[1])][0][sys.argv[2]])' "$odp_key" "$1"
}

stat_mr()	# FILE: rdma -j stat show mr into FILE
{
	run "$1" rdma -j stat show mr
}

stat_mr stat
faults=$(uodp_mr faults)
mapped=$(uodp_mr pages_mapped)
json_check "$WORKDIR/stat" "[m for m in e if m['mrn'] == $pinned_mrn] == [{'ifindex': 0, 'ifname': 'uodp0', 'mrn': $pinned_mrn}]" \
	"rdma stat show mr: the pinned MR has counters"
odp="[m for m in e if m['mrn'] == $odp_mrn][0]"
json_check "$WORKDIR/stat" "$odp['page_prefetch'] == $prefetched and $odp['page_faults'] == $written" \
	"rdma stat show mr: not $prefetched pages prefetched and $written faulted"
json_check "$WORKDIR/stat" "$odp['page_faults'] + $odp['page_prefetch'] == $mapped" \
	"rdma stat show mr: faulted and prefetched pages are not uodp-stat's $mapped mapped"
json_check "$WORKDIR/stat" "1 <= $odp['page_faults_handled'] <= $faults" \
	"rdma stat show mr: faults handled not within 1 and uodp-stat's $faults"
json_check "$WORKDIR/stat" "$odp['page_invalidations'] == 0 and $odp['page_invalidations_handled'] == 0" \
	"rdma stat show mr: invalidations before any"
echo "ok  : rdma stat show mr: $prefetched prefetched, $written faulted, $faults fault(s), as uodp-stat"

# The pages go: both tools see them invalidated.
echo invalidate >&3
wait_until "$holder" 200 grep -q '^invalidated' "$WORKDIR/holder" ||
	{ show "$WORKDIR/holder"; fail "the holder did not invalidate"; }
invalidated()
{
	stat_mr stat2
	"$py" -c '
import json, sys
e = json.load(open(sys.argv[1]))
m = [m for m in e if m["mrn"] == int(sys.argv[2])][0]
sys.exit(0 if m["page_invalidations"] > 0 else 1)' "$WORKDIR/stat2" "$odp_mrn"
}
wait_until "$holder" 200 invalidated ||
	{ show "$WORKDIR/stat2"; fail "rdma stat show mr: no invalidation"; }
json_check "$WORKDIR/stat2" "$odp['page_invalidations'] == $(uodp_mr invalidations) and $odp['page_invalidations_handled'] >= 1" \
	"rdma stat show mr: invalidations are not uodp-stat's"
echo "ok  : invalidations counted as uodp-stat counts them"

# ---- many: a dump in parts, each MR once, in order ----
echo "mrs 300" >&3
wait_until "$holder" 400 grep -q '^mrs 300' "$WORKDIR/holder" ||
	{ show "$WORKDIR/holder"; fail "the holder did not register 300 MRs"; }
run many rdma -j res show mr
json_check "$WORKDIR/many" "len(e) == 302 and [m['mrn'] for m in e] == sorted(set(m['mrn'] for m in e))" \
	"rdma res show mr of 302 MRs: not each once, in order"
run many-stat rdma -j stat show mr
json_check "$WORKDIR/many-stat" "len(e) == 302 and sum('page_faults' in m for m in e) == 1" \
	"rdma stat show mr of 302 MRs: not each once, one with counters"
# A dump's parts: several datagrams, the objects spread over them.
timeout -k 5 "$STEP_TIMEOUT" strace -o "$WORKDIR/many-strace" -e trace=recvmsg \
	rdma res show mr >/dev/null 2>&1 || fail "rdma res show mr under strace failed"
# RDMA_NL_GET_TYPE(RDMA_NL_NLDEV 5, RDMA_NLDEV_CMD_RES_MR_GET 13)
type=$(printf '%#x' $(( (5 << 10) | 13 )))
parts=$(grep -c "nlmsg_type=$type" "$WORKDIR/many-strace")
[ "$parts" -ge 2 ] || { show "$WORKDIR/many-strace"; fail "302 MRs came in $parts part(s)"; }
echo "ok  : 302 MRs in $parts parts, each once, in order"

# A stale number: the QP is gone, its number names nothing.
echo destroy-qp >&3
wait_until "$holder" 200 grep -q '^destroyed' "$WORKDIR/holder" ||
	{ show "$WORKDIR/holder"; fail "the holder did not destroy its QP"; }
timeout -k 5 "$STEP_TIMEOUT" rdma res show qp link uodp0/1 lqpn "$qpb" >"$WORKDIR/stale" 2>&1
grep -q "lqpn $qpb" "$WORKDIR/stale" && { show "$WORKDIR/stale"; fail "destroyed QP $qpb still shown"; }
run after rdma res
summary "$WORKDIR/after" 'pd 2 cq 1 qp 3 cm_id 1 mr 302 ctx 2 srq 1' \
	"rdma res does not count 3 QPs and 302 MRs"
echo "ok  : a destroyed QP's number names nothing"

# ---- who sees them ----
# Another pid namespace: nothing (rdma_is_visible_in_pid_ns).  Root
# makes one; another user makes it in a user namespace of its own.
other_ns=(unshare --pid --fork)
[ "$(id -u)" -eq 0 ] || other_ns=(unshare --user --map-root-user --pid --fork)
run ns-res "${other_ns[@]}" rdma res
summary "$WORKDIR/ns-res" 'pd 0 cq 0 qp 0 cm_id 0 mr 0 ctx 0 srq 0' \
	"rdma res in another pid namespace counts the holder's objects"
run ns-qp "${other_ns[@]}" rdma res show qp
[ -s "$WORKDIR/ns-qp" ] && { show "$WORKDIR/ns-qp"; fail "another pid namespace sees QPs"; }
echo "ok  : another pid namespace sees none of them"
# Another user, without CAP_NET_ADMIN: nothing (uodp-stat's rule).
if [ "$(id -u)" -eq 0 ]; then
	as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
	run nobody-res "${as_nobody[@]}" rdma res
	summary "$WORKDIR/nobody-res" 'pd 0 cq 0 qp 0 cm_id 0 mr 0 ctx 0 srq 0' \
		"nobody counts root's objects"
	timeout -k 5 "$STEP_TIMEOUT" "${as_nobody[@]}" rdma res show qp link uodp0/1 lqpn "$qpa" \
		>"$WORKDIR/nobody-qp" 2>&1
	grep -q "lqpn $qpa" "$WORKDIR/nobody-qp" && { show "$WORKDIR/nobody-qp"; fail "nobody sees root's QP $qpa"; }
	echo "ok  : another user sees none of them"
fi

exec 3>&-
wait "$holder" || fail "the holder failed"
SERVER_PID=
echo "PASS: rdma res and rdma stat show mr tell what the holder has and uodp-stat counts"
