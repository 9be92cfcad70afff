#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# The control path's cost per verb (tests/bench/verbs_cost.c) through the
# command fd, served by uodpd as the supervisor of uodp-run's seccomp
# filter.  With UODP_BASE_BUILD (another build tree of uodp, e.g. one from
# before a change) the same program runs under that build's uodp-run too,
# interleaved, so the two are compared in one run.
# Prints figures; it is not a pass/fail test.
#
# env: UODP_BUILD_DIR (default <source>/build), UODP_BASE_BUILD (optional)

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${UODP_BUILD_DIR:-$HERE/../../build}
bin=$BUILD/tests/bin/verbs_cost
[ -x "$bin" ] || { echo "verbs_cost.sh: build first" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out".*' EXIT

builds=("$BUILD")
[ -n "${UODP_BASE_BUILD:-}" ] && builds+=("$UODP_BASE_BUILD")
for round in 1 2; do
	for i in "${!builds[@]}"; do
		"${builds[$i]}/bin/uodp-run" -- "$bin" >>"$out.$i" ||
			echo "verbs_cost.sh: ${builds[$i]}: failed" >&2
	done
done
best() { awk -v k="$1" '$1 == k { print $2 }' "$2" | sort -n | head -1; }
echo "control path, median us per operation (best of 2 rounds)"
printf '%-22s %12s' "operation" "this build"
[ ${#builds[@]} -gt 1 ] && printf ' %12s %8s' "base build" "ratio"
echo
for op in create_destroy_qp reg_dereg_mr_4k modify_qp_to_rts; do
	this=$(best "$op" "$out.0")
	printf '%-22s %12s' "$op" "$this"
	if [ ${#builds[@]} -gt 1 ]; then
		base=$(best "$op" "$out.1")
		awk -v a="$this" -v b="$base" 'BEGIN { printf " %12s %8.2f", b, a / b }'
	fi
	echo
done
