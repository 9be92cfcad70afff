#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# Who may attach to a shared uodpd (issue 9 item 4), as root: the socket's
# mode and group decide, and the daemon serves only whom it can reach.
#   - a root uodpd, socket 0660 root:root: nobody's `uodp-run --attach`
#     is refused with a clear error; nobody's plain `uodp-run` says why it
#     does not attach and runs on a private uodpd instead;
#   - the same with --group nogroup: nobody attaches, and the daemon
#     serves uid 65534's command beside root's (ibv_rc_pingpong between a
#     root and a nobody invocation);
#   - a uodpd run by nobody (a per-user daemon): root's uodp-run is
#     refused, with or without --attach, for that daemon could not reach
#     root's memory; nobody's own commands are served.
# Only processes this test started are signalled, by pid.  Exit 77 (skip)
# unless root.
#
# usage: shared_daemon_access.sh BUILD_DIR PORT
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (it runs commands as nobody)"; exit 77; }
command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"

build=$(cd "$1" && pwd)
port=$2
DAEMON_PID=
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --)

stop_ours()
{
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID"
		wait "$SERVER_PID" 2>/dev/null
	fi
	SERVER_PID=
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID"
		wait "$DAEMON_PID" 2>/dev/null
	fi
	DAEMON_PID=
}
trap 'stop_ours; cleanup' EXIT

# A copy nobody can run, whatever the build tree's permissions.
mkdir -p "$WORKDIR/bin" "$WORKDIR/lib" "$WORKDIR/tmp"
cp "$build/bin/uodp-run" "$build/bin/uodpd" "$WORKDIR/bin/"
cp -P "$build"/lib/libuodp* "$WORKDIR/lib/"
chmod 755 "$WORKDIR"
chmod -R a+rX "$WORKDIR/bin" "$WORKDIR/lib"
chmod 1777 "$WORKDIR/tmp"
run=$WORKDIR/bin/uodp-run
export TMPDIR=$WORKDIR/tmp
export UODP_DAEMON_SOCKET=$WORKDIR/run/uodpd.sock

# start_daemon [PREFIX...] -- [UODPD OPTIONS...]
start_daemon()
{
	local prefix=()
	while [ "$1" != -- ]; do prefix+=("$1"); shift; done
	shift
	: >"$WORKDIR/uodpd.log"
	chmod 666 "$WORKDIR/uodpd.log"
	UODPD_LOG_LEVEL=info "${prefix[@]}" "$WORKDIR/bin/uodpd" "$@" \
		>>"$WORKDIR/uodpd.log" 2>&1 &
	DAEMON_PID=$!
	wait_until "$DAEMON_PID" 200 test -S "$UODP_DAEMON_SOCKET" && return 0
	show "$WORKDIR/uodpd.log"
	fail "uodpd ${*} never listened"
}

# 1. 0660 root:root: not for nobody.
mkdir -m 755 "$WORKDIR/run"
start_daemon --
[ "$(stat -c '%a %U:%G' "$UODP_DAEMON_SOCKET")" = "660 root:root" ] ||
	fail "socket is $(stat -c '%a %U:%G' "$UODP_DAEMON_SOCKET"), not 660 root:root"
if "${AS_NOBODY[@]}" "$run" --attach -- true 2>"$WORKDIR/refused"; then
	fail "nobody attached to a 0660 root:root socket"
fi
expect "$WORKDIR/refused" "cannot attach to the uodpd at $UODP_DAEMON_SOCKET: Permission denied \\(the socket's mode and group decide who may attach\\)" \
	"no clear refusal for nobody"
"${AS_NOBODY[@]}" "$run" -- ibv_devinfo -l >"$WORKDIR/fallback" 2>&1 ||
	{ show "$WORKDIR/fallback"; fail "nobody's plain uodp-run did not fall back to a private uodpd"; }
expect "$WORKDIR/fallback" "not attaching to the uodpd at .*Permission denied.*starting a private one" \
	"the fallback said nothing"
expect "$WORKDIR/fallback" 'uodp0' "the private fallback has no uodp0"
grep -q 'attached' "$WORKDIR/uodpd.log" && fail "the daemon served nobody: $(cat "$WORKDIR/uodpd.log")"
echo "ok: 0660 root:root: nobody is refused (--attach) or runs privately"
stop_ours

# 2. --group nogroup: nobody attaches, beside root, on one device.
start_daemon -- --group nogroup
[ "$(stat -c '%a %G' "$UODP_DAEMON_SOCKET")" = "660 nogroup" ] ||
	fail "--group nogroup: socket is $(stat -c '%a %G' "$UODP_DAEMON_SOCKET")"
SERVER_CMD=("${AS_NOBODY[@]}" "$run" --attach -- ibv_rc_pingpong -d "$UODP_DEV" -g 1 -p "$port" -n 200)
CLIENT_CMD=("$run" --attach -- ibv_rc_pingpong -d "$UODP_DEV" -g 1 -p "$port" -n 200 127.0.0.1)
run_pair group "$port"
expect "$WORKDIR/uodpd.log" 'a command of uid 65534 attached' "nobody's command was not served"
expect "$WORKDIR/uodpd.log" 'a command of uid 0 attached' "root's command was not served"
echo "ok: --group nogroup: nobody and root share the device"
stop_ours

# 3. A per-user daemon (nobody's): root's command is not its to serve.
chown 65534:65534 "$WORKDIR/run"
start_daemon "${AS_NOBODY[@]}" --
if "$run" --attach -- true 2>"$WORKDIR/other_user"; then
	fail "root attached to nobody's uodpd"
fi
expect "$WORKDIR/other_user" "runs as uid 65534: it cannot reach the memory of uid 0's commands" \
	"no clear refusal of another user's daemon"
if "$run" -- true 2>"$WORKDIR/other_user_auto"; then
	fail "root's plain uodp-run attached to nobody's uodpd"
fi
expect "$WORKDIR/other_user_auto" "runs as uid 65534" "the default mode did not refuse either"
grep -q 'attached' "$WORKDIR/uodpd.log" && fail "nobody's daemon served root: $(cat "$WORKDIR/uodpd.log")"
"${AS_NOBODY[@]}" "$run" --attach -- ibv_devinfo -l >"$WORKDIR/own_user" 2>&1 ||
	{ show "$WORKDIR/own_user"; fail "nobody's own daemon did not serve nobody"; }
echo "ok: a per-user uodpd serves its user only"
stop_ours
echo "PASS: shared daemon access"
