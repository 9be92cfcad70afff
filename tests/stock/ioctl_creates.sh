#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# Which commands stock libibverbs 44 sends to uodp0 for its creates: the
# CQ, QP and SRQ CREATE methods by ioctl, as on a kernel with mlx5_ib, and
# none of the write commands they fall back to (CREATE_CQ, CREATE_QP,
# CREATE_SRQ, CREATE_XSRQ, also inside INVOKE_WRITE).  Counted in the
# device's debug log, around two pingpongs that make every kind: XRC SRQs,
# XRC send and receive QPs (xsrq), a basic SRQ, RC QPs and CQs on a
# completion channel (srq -e).
#
# usage: ioctl_creates.sh BUILD_DIR TCP_PORT [UODP-RUN OPTIONS...]
set -eu

build=$1
port=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp "${TMPDIR:-/tmp}/uodp-ioctl-creates.XXXXXX")
trap 'rm -f "$log"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

run() {
	UODPD_LOG_LEVEL=debug "$build/bin/uodp-run" "$@" -- /bin/bash -c '
		set -e
		/bin/bash "$1/pingpong.sh" ibv_xsrq_pingpong "$2" -n 20 -m 1024
		/bin/bash "$1/pingpong.sh" ibv_srq_pingpong "$(($2 + 1))" \
			-n 50 -q 4 -c -e
	' creates "$here" "$port" 2>"$log" || {
		tail -20 "$log" >&2
		fail "the pingpongs failed"
	}
}

run "$@"
# run_ioctl logs "method M of object O"; CQ 0x3, QP 0x4, SRQ 0x5, CREATE 0.
count() { grep -c "method 0 of object $1\$" "$log" || true; }
cqs=$(count 0x3)
qps=$(count 0x4)
srqs=$(count 0x5)
echo "CQ_CREATE $cqs, QP_CREATE $qps, SRQ_CREATE $srqs by ioctl"
# xsrq: 2 CQs, 2 QPs, 1 SRQ a side; srq: 1 CQ, 4 QPs, 1 SRQ a side.
[ "$cqs" -ge 6 ] || fail "$cqs CQ_CREATE methods, want at least 6"
[ "$qps" -ge 12 ] || fail "$qps QP_CREATE methods, want at least 12"
[ "$srqs" -ge 4 ] || fail "$srqs SRQ_CREATE methods, want at least 4"
# 0x12 CREATE_CQ, 0x18 CREATE_QP, 0x26 CREATE_SRQ, 0x28 CREATE_XSRQ
if grep -E "write command (0x12|0x18|0x26|0x28)( |:|$)|write command (18|24|38|40):" \
	"$log" >&2; then
	fail "a create went by write command"
fi
echo "PASS: every CQ, QP and SRQ was made by its CREATE method"
