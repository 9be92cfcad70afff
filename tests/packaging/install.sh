#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# install.sh BUILD_DIR PREFIX LIBDIR SBINDIR PROVIDER_DIR IBV_CONFIG_DIR
#            UNIT_DIR MANDIR MAN_PAGES
#
# `cmake --install BUILD_DIR` into a scratch DESTDIR: every file of the
# install manifest lands under DESTDIR and nothing else does, in the
# standard places, and the plugin link resolves to the
# library.  Exits 77 (skipped) where BUILD_DIR is not writable (the suite
# run as nobody): cmake writes its install manifest there.
set -euo pipefail

build=$1 prefix=$2 libdir=$3 sbindir=$4 provider_dir=$5 config_dir=$6
unit_dir=$7 mandir=$8 man_pages=$9

fail() { echo "FAIL: $*" >&2; exit 1; }

if [[ ! -w $build ]]; then
	echo "skipped: $build is not writable (cmake writes install_manifest.txt there)"
	exit 77
fi
dest=$(mktemp -d "${TMPDIR:-/tmp}/uodp-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT

DESTDIR=$dest cmake --install "$build" >"$dest.log" 2>&1 ||
	{ cat "$dest.log" >&2; rm -f "$dest.log"; fail "cmake --install failed"; }
rm -f "$dest.log"

# The manifest (paths without DESTDIR) is exactly what is under DESTDIR:
# a file installed past DESTDIR would be in the one and not the other.
diff <(sort "$build/install_manifest.txt") \
	<(cd "$dest" && find . ! -type d | sed 's|^\.||' | sort) >&2 ||
	fail "the install manifest and DESTDIR differ (< only in the manifest)"

want=(
	"$prefix/bin/uodp-run"
	"$prefix/bin/uodp-stat"
	"$sbindir/uodpd"
	"$libdir/libuodp.so.1.0.0"
	"$libdir/libuodp.so.1"
	"$libdir/libuodp.so"
	"$libdir/pkgconfig/uodp.pc"
	"$provider_dir/libuodp-rdmav34.so"
	"$config_dir/uodp.driver"
	"$prefix/include/infiniband/uodpdv.h"
	"$unit_dir/uodpd.service"
)
if [[ $man_pages == ON ]]; then
	want+=("$mandir/man1/uodp-run.1" "$mandir/man1/uodp-stat.1"
		"$mandir/man3/uodpdv_query_counters.3"
		"$mandir/man3/uodpdv_query_mr.3" "$mandir/man7/uodp.7"
		"$mandir/man8/uodpd.8")
fi
for f in "${want[@]}"; do
	[[ -e $dest$f ]] || fail "not installed: $f"
done

# The plugin is a relative link to the library, as rdma-core's are.
link=$(readlink "$dest$provider_dir/libuodp-rdmav34.so")
[[ $link != /* ]] || fail "the plugin link is absolute: $link"
[[ $(readlink -f "$dest$provider_dir/libuodp-rdmav34.so") == \
	"$(readlink -f "$dest$libdir/libuodp.so.1.0.0")" ]] ||
	fail "the plugin link $link does not reach libuodp.so.1.0.0"
objdump -p "$dest$libdir/libuodp.so.1.0.0" | grep -q 'SONAME *libuodp\.so\.1$' ||
	fail "libuodp.so.1.0.0 has no SONAME libuodp.so.1"
grep -qx 'driver \(uodp\|/.*/libuodp\)' "$dest$config_dir/uodp.driver" ||
	fail "uodp.driver: $(cat "$dest$config_dir/uodp.driver")"
grep -qx "ExecStart=$sbindir/uodpd" "$dest$unit_dir/uodpd.service" ||
	fail "uodpd.service does not start $sbindir/uodpd"
if [[ $man_pages == ON ]]; then
	grep -q '^\.TH "UODP-RUN" "1"' "$dest$mandir/man1/uodp-run.1" ||
		fail "uodp-run.1 is not a rendered man page"
fi
# The installed uodp-run names the installed daemon and plugin.
grep -qa "$sbindir/uodpd" "$dest$prefix/bin/uodp-run" ||
	fail "uodp-run does not name $sbindir/uodpd"
grep -qa "$provider_dir/libuodp" "$dest$prefix/bin/uodp-run" ||
	fail "uodp-run does not name $provider_dir/libuodp"
echo "installed $(find "$dest" ! -type d | wc -l) files under DESTDIR, nothing outside"
