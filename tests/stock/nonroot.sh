#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# uodp-run as an ordinary user: two processes exchange RC traffic on uodp0
# from inside an unprivileged user + mount namespace, CMD keeps the caller's
# uid, and the host's /dev is left as it was.  Run as root, the test drops
# to nobody (65534) with setpriv, working from a copy of the build that
# nobody can read; run as a user, it is that user already.
#
# usage: nonroot.sh BUILD_DIR TCP_PORT [UODP-RUN OPTION...]
set -eu

build=$1
port=$2
shift 2
run_opts=("$@")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/uodp-nonroot.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# The pieces uodp-run finds next to itself: bin/uodpd and lib/libuodp*.
mkdir -p "$work/bin" "$work/lib" "$work/stock" "$work/tmp"
cp "$build/bin/uodp-run" "$build/bin/uodpd" "$work/bin/"
cp -P "$build"/lib/libuodp* "$work/lib/"
cp "$here/lib.sh" "$here/pingpong.sh" "$work/stock/"
chmod -R a+rX "$work"
chmod 1777 "$work/tmp"

as_user=()
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
fi
want_uid=$("${as_user[@]}" id -u)

dev_before=$(ls -la /dev | grep -v ' ptmx$')

"${as_user[@]}" env TMPDIR="$work/tmp" "$work/bin/uodp-run" ${run_opts[@]+"${run_opts[@]}"} -- /bin/bash -c '
	set -e
	[ "$(id -u)" = "$1" ] || { echo "CMD runs as uid $(id -u), not $1"; exit 1; }
	[ -c /dev/infiniband/uverbs0 ] || { echo "no uverbs0 node"; exit 1; }
	exec /bin/bash "$2/stock/pingpong.sh" ibv_rc_pingpong "$3" -n 200 -c
' nonroot "$want_uid" "$work" "$port" || fail "RC traffic as uid $want_uid failed"

dev_after=$(ls -la /dev | grep -v ' ptmx$')
[ "$dev_before" = "$dev_after" ] || fail "the host /dev changed"
echo "PASS: uid $want_uid ran RC traffic on uodp0; host /dev unchanged"
