#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# perftest with --odp between two processes on uodp0: runs perftest.sh's
# checks (exit codes, addresses, a positive result row) and then proves
# from the device's ODP counters that faults were raised and serviced in
# userspace by the provider's fault engine, none failed.
#
# usage: perftest_odp.sh TOOL TCP_PORT [TOOL OPTIONS...]   (adds --odp)

HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
COUNTERS="import sys; sys.path.insert(0, '$HERE/../pyverbs'); import uodp_odp as o
c = o.counters(); d, e = c.dev, c.engine
print(d['wqe_faults_requester'] + d['wqe_faults_responder'] + d['rdma_faults'],
      d['resumes'], d['resumes_error'], e['faults_serviced'], e['faults_failed'])"

[ $# -ge 2 ] || { echo "usage: $0 TOOL TCP_PORT [OPTIONS...]" >&2; exit 1; }

# perftest fills its buffers before registering them, so they would be
# resident (hence present on the device) from the start and never fault.
# --mmap gives each side a sparse file instead: its pages exist nowhere
# until the device faults them in (and perftest writes them afterwards).
BUFDIR=$(mktemp -d "${TMPDIR:-/tmp}/uodp-perftest-odp.XXXXXX")
trap 'rm -rf "$BUFDIR"' EXIT
truncate -s 256M "$BUFDIR/server.buf" "$BUFDIR/client.buf"
export PERFTEST_SERVER_ARGS="--mmap=$BUFDIR/server.buf"
export PERFTEST_CLIENT_ARGS="--mmap=$BUFDIR/client.buf"

before=$($PY -c "$COUNTERS") || { echo "FAIL: cannot read the ODP counters" >&2; exit 1; }
# perftest.sh does everything else; the engine counters of its processes
# vanish with them, so the device side's counters are compared.
bash "$HERE/perftest.sh" "$@" --odp || exit 1
after=$($PY -c "$COUNTERS") || { echo "FAIL: cannot read the ODP counters" >&2; exit 1; }
read -r r0 s0 e0 _ _ <<<"$before"
read -r r1 s1 e1 _ _ <<<"$after"
raised=$((r1 - r0))
resumed=$((s1 - s0))
errors=$((e1 - e0))
echo "ODP: $raised faults raised, $resumed resumed by the provider's engine, $errors with error"
[ "$raised" -gt 0 ] || { echo "FAIL: $1 --odp took no page fault" >&2; exit 1; }
[ "$resumed" -eq "$raised" ] || { echo "FAIL: $((raised - resumed)) faults never resumed" >&2; exit 1; }
[ "$errors" -eq 0 ] || { echo "FAIL: $errors faults resumed with error" >&2; exit 1; }
echo "PASS: $1 --odp, every fault serviced in userspace"
