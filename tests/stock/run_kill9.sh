#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# A SIGKILLed uodp-run leaves nothing behind on the host: while its command
# holds an ODP MR on uodp0, uodp-run is killed; then its private directory
# must be gone from TMPDIR (and with it the sysfs tree and uodpd's socket)
# and every process it started (uodpd, the command, the janitor) must have
# ended.  A normal exit leaves nothing either.  As root it runs once as
# root and once as nobody (setpriv), from a copy of the build that nobody
# can read; as a user, as that user.  Only processes this test started are
# looked at, by pid and start time.
#
# usage: run_kill9.sh BUILD_DIR
set -u

build=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/uodp-kill9.XXXXXX")
holder_fd_open=

cleanup()
{
	[ -n "$holder_fd_open" ] && exec 3>&-
	rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$work/bin" "$work/lib"
cp "$build/bin/uodp-run" "$build/bin/uodpd" \
	"$build/tests/bin/uodp-visibility" "$work/bin/"
cp -P "$build"/lib/libuodp* "$work/lib/"
chmod -R a+rX "$work"

# "PID STARTTIME" of a live (not zombie) process, or nothing.
proc_id()
{
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	rest=${stat##*) }
	set -- $rest
	# $1 is the state, $20 the start time (fields 3 and 22).
	[ "$1" = Z ] || echo "${20}"
}

# run_case LABEL [COMMAND PREFIX...]
run_case()
{
	local label=$1 tmp fifo out run kids k t left i
	shift
	tmp="$work/tmp-$label"
	fifo="$work/in-$label"
	out="$work/out-$label"
	mkdir "$tmp"
	chmod 1777 "$tmp"
	mkfifo -m 0666 "$fifo"

	# A normal exit first: nothing stays.
	"$@" env TMPDIR="$tmp" "$work/bin/uodp-run" -- true ||
		fail "$label: uodp-run -- true failed"
	[ -z "$(ls -A "$tmp")" ] || fail "$label: left after a normal exit: $(ls -A "$tmp")"

	"$@" env TMPDIR="$tmp" "$work/bin/uodp-run" -- \
		"$work/bin/uodp-visibility" peer <"$fifo" >"$out" 2>&1 &
	run=$!
	exec 3>"$fifo"
	holder_fd_open=1
	echo "-1 0" >&3
	for i in $(seq 200); do
		grep -q '^key ' "$out" && break
		sleep 0.05
	done
	grep -q '^key ' "$out" || fail "$label: the command holds no MR: $(cat "$out")"
	[ "$(ls -A "$tmp" | wc -l)" = 1 ] ||
		fail "$label: no private directory while running: $(ls -A "$tmp")"

	# uodp-run's children: uodpd, the command (and the janitor).
	kids=$(cat "/proc/$run/task/$run/children")
	[ "$(echo $kids | wc -w)" -ge 2 ] || fail "$label: children '$kids'"
	declare -A start
	for k in $kids; do
		start[$k]=$(proc_id "$k")
	done

	kill -KILL "$run"
	wait "$run" 2>/dev/null
	exec 3>&-
	holder_fd_open=

	for i in $(seq 200); do
		left=
		for k in $kids; do
			t=$(proc_id "$k")
			[ -n "$t" ] && [ "$t" = "${start[$k]}" ] && left="$left $k"
		done
		[ -z "$left" ] && [ -z "$(ls -A "$tmp")" ] && break
		sleep 0.05
	done
	[ -z "$left" ] || fail "$label: still running after uodp-run's SIGKILL:$left"
	[ -z "$(ls -A "$tmp")" ] ||
		fail "$label: left in TMPDIR after SIGKILL: $(ls -A "$tmp")"
	echo "ok  : $label: SIGKILL of uodp-run mid-command leaves no process" \
		"(of $(echo $kids | wc -w)) and an empty TMPDIR"
}

run_case "uid $(id -u)"
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"
	run_case nobody setpriv --reuid=65534 --regid=65534 --clear-groups --
fi
echo "PASS"
