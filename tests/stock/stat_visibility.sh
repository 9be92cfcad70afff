#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# uodp-stat --mrs lists another user's ODP MR only to root or uodpd's user,
# and says how many it hides from anyone else, and why.  A holder process
# (uodp-visibility peer) keeps one ODP MR; as root, uodp-stat runs once as
# root and once as nobody (setpriv); as a user, only as that user.
# Run inside uodp-run.
#
# usage: stat_visibility.sh UODP-STAT UODP-VISIBILITY
set -u

stat=$1
holder_bin=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/uodp-statvis.XXXXXX")
holder=

cleanup()
{
	# Only the holder we started, by pid: closing its input ends it.
	exec 3>&- 2>/dev/null
	[ -n "$holder" ] && wait "$holder" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

mkfifo "$work/in"
"$holder_bin" peer <"$work/in" >"$work/out" &
holder=$!
exec 3>"$work/in"
echo "-1 0" >&3
for _ in $(seq 100); do
	grep -q '^key ' "$work/out" && break
	sleep 0.1
done
key=$(sed -n 's/^key //p' "$work/out")
[ -n "$key" ] || fail "the holder registered no ODP MR: $(cat "$work/out")"
hexkey=$(printf '%#x' "$key")

"$stat" --mrs >"$work/own" 2>&1 || fail "uodp-stat failed: $(cat "$work/own")"
grep -q "^  $hexkey " "$work/own" ||
	fail "uodpd's own user does not see MR $hexkey: $(cat "$work/own")"
grep -q hidden "$work/own" && fail "uodpd's own user is told of hidden MRs"
echo "ok  : uodpd's user (uid $(id -u)) sees MR $hexkey, nothing hidden"

if [ "$(id -u)" -ne 0 ]; then
	echo "skip: another user's view needs root"
	exit 0
fi
command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"
as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
"${as_nobody[@]}" "$stat" --mrs >"$work/nobody" 2>&1 ||
	fail "uodp-stat as nobody failed: $(cat "$work/nobody")"
grep -q "^  $hexkey " "$work/nobody" &&
	fail "nobody sees root's MR $hexkey: $(cat "$work/nobody")"
grep -q "1 ODP MR of other users hidden: only root or uodpd's user (uid 0) sees them; you are uid 65534" \
	"$work/nobody" || fail "uodp-stat does not say why: $(cat "$work/nobody")"
"${as_nobody[@]}" "$stat" --mrs --json >"$work/nobody.json" 2>&1 ||
	fail "uodp-stat --json as nobody failed"
grep -q '"mrs": \[\], "mrs_visible": "own_user", "mrs_hidden": 1' \
	"$work/nobody.json" || fail "JSON: $(cat "$work/nobody.json")"
echo "ok  : nobody does not see it and is told 1 MR is hidden, and why"
