#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# One device, many terminals (issue 9 item 4): a uodpd started with no
# device options serves separately started uodp-run invocations, as a
# server in one terminal and a client in another would be.
#   - ibv_rc_pingpong's server under one uodp-run (the default: it attaches
#     because a daemon answers) and its client under another (--attach)
#     exchange traffic through the shared uodp0;
#   - a third uodp-run, whose command holds a context, is SIGKILLed while
#     a second pair runs: the pair finishes, the daemon lives on, and
#     nothing of the killed run stays in its TMPDIR;
#   - after every client is gone, a new uodp-run still sees uodp0 (the
#     service outlives its clients);
#   - the isolation rules hold between invocations: pyverbs'
#     test_attacker_process's hostile client runs under a uodp-run of its
#     own (UODP_TEST_ATTACKER_DIR), against the victim's objects;
#   - a device option the daemon was not started with is refused, and a
#     second daemon does not take over the live socket.
# Every invocation must have attached to this daemon (its log counts
# them): a private device would pass none of this by accident.  The
# daemon's socket is in a scratch directory (UODP_DAEMON_SOCKET), never
# the system's.  Runs as root or as any user; only processes this test
# started are signalled, by pid.
#
# usage: shared_daemon.sh BUILD_DIR PORT1 PORT2 PORT3
. "$(dirname "$0")/lib.sh"

build=$(cd "$1" && pwd)
port1=$2
port2=$3
port3=$4
run=$build/bin/uodp-run
pyverbs_dir=$(cd "$(dirname "$0")/../pyverbs" && pwd)
DAEMON_PID=
VICTIM_PID=
CLIENT_PID=

stop_ours()
{
	local pid
	for pid in $CLIENT_PID $VICTIM_PID $DAEMON_PID; do
		kill -0 "$pid" 2>/dev/null || continue
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	cleanup
}
trap stop_ours EXIT

export UODP_DAEMON_SOCKET=$WORKDIR/run/uodpd.sock
mkdir -p "$WORKDIR/tmp"
chmod 1777 "$WORKDIR/tmp"

UODPD_LOG_LEVEL=info "$build/bin/uodpd" >"$WORKDIR/uodpd.log" 2>&1 &
DAEMON_PID=$!
wait_until "$DAEMON_PID" 200 test -S "$UODP_DAEMON_SOCKET" ||
	{ show "$WORKDIR/uodpd.log"; fail "uodpd never listened"; }
[ "$(stat -c %a "$UODP_DAEMON_SOCKET")" = 660 ] ||
	fail "the socket's mode is $(stat -c %a "$UODP_DAEMON_SOCKET"), not 660"
# A second daemon does not steal a live socket (bounded: one that did would
# serve on in the foreground).
if timeout -k 2 10 "$build/bin/uodpd" 2>"$WORKDIR/second"; then
	fail "a second uodpd started on a live socket"
fi
expect "$WORKDIR/second" "another uodpd listens on $UODP_DAEMON_SOCKET" \
	"no clear refusal of a second daemon"
[ -S "$UODP_DAEMON_SOCKET" ] || fail "the second uodpd removed the first one's socket"

attached()
{
	grep -c 'a command of uid [0-9]* attached' "$WORKDIR/uodpd.log"
}

# The first pair: the server by default, the client by --attach.
gid=$("$run" -- /bin/bash -c ". $(dirname "$0")/lib.sh; uodp_gid_index") ||
	fail "uodp-run -- uodp_gid_index failed"
SERVER_CMD=("$run" -- ibv_rc_pingpong -d "$UODP_DEV" -g "$gid" -p "$port1" -n 500)
CLIENT_CMD=("$run" --attach -- ibv_rc_pingpong -d "$UODP_DEV" -g "$gid"
	-p "$port1" -n 500 127.0.0.1)
run_pair pair1 "$port1"
expect "$WORKDIR/pair1.client" '^[1-9][0-9]* bytes in' "the client moved no data"
[ "$(attached)" = 3 ] || { show "$WORKDIR/uodpd.log"; fail "3 invocations, $(attached) attached"; }
echo "ok: two uodp-run invocations exchanged traffic through one uodpd"

# rdma_cm across invocations: rping's server under one, its client under
# another, once a third sees the server listen (`rdma res show cm_id`).
timeout -k 5 "$STEP_TIMEOUT" "$run" -- rping -s -a 127.0.0.1 -p 18801 -v -C 3 \
	>"$WORKDIR/rping.server" 2>&1 &
rping_server=$!
wait_until "$rping_server" 200 cm_listening 18801 '127\.0\.0\.1' \
	"$run" --attach -- ||
	{ show "$WORKDIR/rping.server" "$WORKDIR/cm_ids"; fail "rping's server never listened"; }
timeout -k 5 "$STEP_TIMEOUT" "$run" --attach -- rping -c -a 127.0.0.1 \
	-p 18801 -v -C 3 >"$WORKDIR/rping.client" 2>&1
wait "$rping_server" ||
	{ show "$WORKDIR/rping.server" "$WORKDIR/rping.client"; fail "rping across invocations"; }
[ "$(grep -c 'ping data: rdma-ping-' "$WORKDIR/rping.client")" = 3 ] ||
	{ show "$WORKDIR/rping.client"; fail "the rping client verified no 3 pings"; }
echo "ok: rping connected two invocations through the shared rdma_cm"

# A victim whose context is open (its server waits for a peer), SIGKILLed
# while a second pair runs.
# (No timeout(1) inside: uodp-run's death kills its command, not that
# command's children.)
TMPDIR=$WORKDIR/tmp "$run" --attach -- \
	ibv_rc_pingpong -d "$UODP_DEV" -g "$gid" -p "$port2" >"$WORKDIR/victim" 2>&1 &
VICTIM_PID=$!
wait_listening "$port2" "$VICTIM_PID" || { show "$WORKDIR/victim"; fail "the victim never listened"; }
timeout -k 5 "$STEP_TIMEOUT" "$run" --attach -- ibv_rc_pingpong -d "$UODP_DEV" \
	-g "$gid" -p "$port3" -n 20000 >"$WORKDIR/pair2.server" 2>&1 &
SERVER_PID=$!
wait_listening "$port3" "$SERVER_PID" || { show "$WORKDIR/pair2.server"; fail "pair 2 never listened"; }
timeout -k 5 "$STEP_TIMEOUT" "$run" --attach -- ibv_rc_pingpong -d "$UODP_DEV" \
	-g "$gid" -p "$port3" -n 20000 127.0.0.1 >"$WORKDIR/pair2.client" 2>&1 &
CLIENT_PID=$!
sleep 0.3
kill -KILL "$VICTIM_PID"
wait "$VICTIM_PID"
VICTIM_PID=
wait "$CLIENT_PID" || { show "$WORKDIR/pair2.client"; fail "pair 2's client failed after the kill"; }
CLIENT_PID=
wait "$SERVER_PID" || { show "$WORKDIR/pair2.server"; fail "pair 2's server failed after the kill"; }
SERVER_PID=
expect "$WORKDIR/pair2.client" '^[1-9][0-9]* bytes in' "pair 2 moved no data"
kill -0 "$DAEMON_PID" 2>/dev/null || fail "uodpd died with a killed client"
for i in $(seq 100); do
	[ -z "$(ls -A "$WORKDIR/tmp")" ] && ! port_listening "$port2" && break
	sleep 0.05
done
[ -z "$(ls -A "$WORKDIR/tmp")" ] || fail "the killed uodp-run left $(ls -A "$WORKDIR/tmp")"
port_listening "$port2" && { show "$WORKDIR/victim"; ps -ef | grep "p $port2" >&2; fail "the killed uodp-run's command still runs"; }
echo "ok: a SIGKILLed uodp-run disturbed neither the daemon nor another pair"

# Everyone is gone: the service still serves a newcomer.
"$run" -- ibv_devinfo -d "$UODP_DEV" >"$WORKDIR/devinfo" 2>&1 ||
	{ show "$WORKDIR/devinfo"; fail "ibv_devinfo after the clients left"; }
expect "$WORKDIR/devinfo" "hca_id:[[:space:]]*$UODP_DEV" "no $UODP_DEV after the clients left"
expect "$WORKDIR/uodpd.log" 'context [0-9]+: pid [0-9]+ (gone|exited)' "no context was torn down"
echo "ok: the service outlived its clients"

# Isolation between invocations: the victim's test under one uodp-run, its
# hostile client under another (test_isolation.run_attacker).
before=$(attached)
xchg=$WORKDIR/attacker
mkdir "$xchg"
(cd "$pyverbs_dir" && UODP_TEST_ATTACKER_DIR=$xchg timeout -k 5 300 \
	"$run" --attach -- /usr/bin/python3 -m unittest -v \
	test_isolation.IsolationTest.test_attacker_process) \
	>"$WORKDIR/isolation" 2>&1 &
CLIENT_PID=$!
wait_until "$CLIENT_PID" 2400 test -e "$xchg/victim.json" ||
	{ show "$WORKDIR/isolation"; fail "the victim never published its numbers"; }
(cd "$pyverbs_dir" && timeout -k 5 120 "$run" --attach -- /usr/bin/python3 \
	hostile_client.py "$(cat "$xchg/victim.json")" >"$xchg/out" 2>"$xchg/err")
rc=$?
python3 -c 'import json, sys; json.dump({"rc": int(sys.argv[1]),
	"out": open(sys.argv[2]).read(), "err": open(sys.argv[3]).read()},
	open(sys.argv[4], "w"))' "$rc" "$xchg/out" "$xchg/err" "$xchg/attack.tmp"
mv "$xchg/attack.tmp" "$xchg/attack.json"
wait "$CLIENT_PID" || { show "$WORKDIR/isolation"; fail "isolation between invocations"; }
CLIENT_PID=
[ "$(attached)" = $((before + 2)) ] ||
	{ show "$WORKDIR/isolation"; fail "the victim and the attacker did not both attach"; }
echo "ok: the isolation rules hold between uodp-run invocations"

# A device the daemon does not serve is refused, not silently changed.
if "$run" --devices 2 -- true 2>"$WORKDIR/refused"; then
	fail "--devices 2 attached to a 1-device uodpd"
fi
expect "$WORKDIR/refused" 'serves 1 device.*--devices asks for another device' \
	"no clear refusal of --devices 2"
if "$run" --cm-timeout-divisor 10 -- true 2>"$WORKDIR/refused"; then
	fail "--cm-timeout-divisor 10 attached to a uodpd with the kernel's CM waits"
fi
expect "$WORKDIR/refused" 'CM waits / 1: --cm-timeout-divisor asks for another device' \
	"no clear refusal of --cm-timeout-divisor 10"
for bad in 0 1000001 1x ''; do
	if "$run" --private --cm-timeout-divisor "$bad" -- true 2>"$WORKDIR/refused"; then
		fail "uodp-run took --cm-timeout-divisor '$bad'"
	fi
	expect "$WORKDIR/refused" "cm-timeout-divisor must be 1..1000000, not '$bad'" \
		"no clear refusal of --cm-timeout-divisor '$bad'"
	if "$build/bin/uodpd" --socket "$WORKDIR/never.sock" \
		--cm-timeout-divisor "$bad" 2>"$WORKDIR/refused"; then
		fail "uodpd took --cm-timeout-divisor '$bad'"
	fi
done
"$run" --private --devices 2 -- ibv_devinfo -l >"$WORKDIR/private" 2>&1 ||
	{ show "$WORKDIR/private"; fail "--private --devices 2"; }
expect "$WORKDIR/private" 'uodp1' "--private did not give a device of its own"
echo "ok: device options: refused on the shared device, --private gets its own"

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "uodpd exited with $? on SIGTERM"
DAEMON_PID=
[ ! -e "$WORKDIR/run" ] || fail "uodpd left $(ls -A "$WORKDIR/run") behind"
echo "PASS: shared daemon"
