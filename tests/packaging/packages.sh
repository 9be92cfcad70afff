#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# tests/packaging/packages.sh [deps|build|all]
#
# Builds uodp's packages from the work tree and tests the .debs as a user
# would get them, on this (throwaway: CI's) machine, as root:
#   deps   install the package tools (dpkg-dev, lintian, rpm) and the
#          source package's Build-Depends with apt-get
#   build  deps, then the .debs (dpkg-buildpackage -b -us -uc), lintian
#          on them (no errors allowed), and the rpm (rpmbuild -bb)
#   all    build, then `apt-get install ./*.deb`, `uodp-run -- ibv_devinfo`
#          and an RC ping-pong from PATH in a clean environment; the
#          installed uodpd started with no arguments (the shared device, in
#          the background, as the not-enabled unit would) and a ping-pong
#          between two separate uodp-run invocations attached to it, the
#          daemon stopped by its pid; then `apt-get purge` and a check that
#          nothing is left behind (/run/uodp neither)
# (the default), checking on the way that the .debs and the rpms hold
# the same files.  Everything runs under nice -n 19; the builds run only the
# unit tests.  The packages and logs stay in $UODP_PKG_OUT (default
# build-packages/ in the tree).  It asks nothing and refuses to run
# unless root: it installs and removes system packages.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${UODP_PKG_OUT:-$ROOT/build-packages}
# The binary packages (set from the .debs built: their -dbgsym too).
DEB_PACKAGES=(uodp libuodp1 libuodp-dev)
TOOLS=(dpkg-dev debhelper lintian rpm pandoc)
CLEAN_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin)
UODPD=/usr/sbin/uodpd
SHARED_SOCKET=/run/uodp/uodpd.sock	# the installed default
SHARED_PORT=18732
UODPD_PID=

log() { printf '==> packaging: %s\n' "$*" >&2; }
die() { printf 'packages.sh: %s\n' "$*" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o Dpkg::Options::=--force-confnew)

version() {
	dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version
}

# The packages among "$@" that dpkg has in state $1 (ii: installed; any:
# anything but not-installed, config files included).
in_state() {
	local want=$1
	shift
	# dpkg-query fails for names dpkg never heard of (a fresh machine's
	# lintian): those are simply not installed, not an error (set -e).
	{ dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null || true; } |
		awk -v want="$want" '{ s = substr($2, 1, 2) }
			want == "any" && s != "un" || s == want { print $1 }'
}

missing() {
	local have
	have=" $(in_state ii "$@" | tr '\n' ' ') "
	for pkg in "$@"; do
		[[ $have == *" $pkg "* ]] || printf '%s\n' "$pkg"
	done
}

PASSED=0
pass() {
	PASSED=$((PASSED + 1))
	log "ok: $*"
}

# The source tree as git sees it (tracked and untracked-but-not-ignored
# files as they are now), so that build/ and friends stay out.
export_tree() {
	local dest=$1
	mkdir -p "$dest"
	if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
			xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
			tar --null -T - -cf -) | tar -C "$dest" -xf -
	else
		tar -C "$ROOT" --exclude='./build' --exclude='./build-*' \
			--exclude='./obj-*' -cf - . | tar -C "$dest" -xf -
	fi
}

do_deps() {
	local need
	mapfile -t need < <(missing "${TOOLS[@]}")
	if ((${#need[@]})); then
		log "installing ${need[*]}"
		apt-get update -q
		nice -n 19 "${APT[@]}" install --no-install-recommends "${need[@]}"
	fi
	# The Build-Depends, from debian/control itself.
	if ! (cd "$ROOT" && dpkg-checkbuilddeps >/dev/null 2>&1); then
		log "installing the Build-Depends"
		nice -n 19 "${APT[@]}" build-dep --no-install-recommends "$ROOT"
	fi
}

build_debs() {
	local src=$OUT/deb/uodp-$(version)
	rm -rf "$OUT/deb"
	export_tree "$src"
	log "dpkg-buildpackage -b -us -uc (log: $OUT/deb/build.log)"
	if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc)" \
		nice -n 19 dpkg-buildpackage -b -us -uc) >"$OUT/deb/build.log" 2>&1; then
		tail -40 "$OUT/deb/build.log" >&2
		die "dpkg-buildpackage failed"
	fi
	rm -rf "$src"
	DEB_PACKAGES=()
	for deb in "$OUT"/deb/*.deb; do
		DEB_PACKAGES+=("$(dpkg-deb -f "$deb" Package)")
		log "$(basename "$deb"):"
		dpkg-deb -c "$deb" | awk '{ print "    " $1 " " $6 ($7 ? " " $7 " " $8 : "") }' >&2
	done
	pass "dpkg-buildpackage -b -us -uc: ${DEB_PACKAGES[*]}"
}

run_lintian() {
	log "lintian (log: $OUT/deb/lintian.log)"
	local rc=0
	nice -n 19 lintian --fail-on error --display-info \
		"$OUT"/deb/*.changes >"$OUT/deb/lintian.log" 2>&1 || rc=$?
	sed 's/^/    /' "$OUT/deb/lintian.log" >&2
	((rc == 0)) || die "lintian found errors"
	pass "lintian: no errors"
}

build_rpm() {
	local top=$OUT/rpm ver
	ver=$(awk '$1 == "Version:" { print $2 }' "$ROOT/redhat/uodp.spec")
	rm -rf "$top"
	mkdir -p "$top/SOURCES"
	export_tree "$top/uodp-$ver"
	tar -C "$top" -czf "$top/SOURCES/uodp-$ver.tar.gz" "uodp-$ver"
	rm -rf "${top:?}/uodp-$ver"
	log "rpmbuild -bb (log: $OUT/rpm/build.log)"
	# --nodeps: the BuildRequires are Fedora's names, not in Debian's rpmdb.
	if ! nice -n 19 rpmbuild -bb --nodeps --define "_topdir $top" \
		"$ROOT/redhat/uodp.spec" >"$top/build.log" 2>&1; then
		tail -40 "$top/build.log" >&2
		die "rpmbuild failed"
	fi
	for rpm in "$top"/RPMS/*/*.rpm; do
		log "$(basename "$rpm"):"
		rpm -qlp "$rpm" 2>/dev/null | sed 's/^/    /' >&2
	done
	pass "rpmbuild -bb"
	same_file_sets
}

# The files of a package, named as both distributions would: <lib> for
# the library directory, no compression suffix, no docs, licences or
# lintian overrides.
normalise() {
	sed -E -e 's|^\./|/|' -e 's|^/lib/systemd/|/usr/lib/systemd/|' \
		-e 's|^/usr/lib/x86_64-linux-gnu/|<lib>/|' -e 's|^/usr/lib64/|<lib>/|' \
		-e 's|\.gz$||' |
		grep -v -E '^/usr/share/(doc|licenses|lintian)/|^/usr/lib/\.build-id' | sort
}

# The .debs and the rpms hold the same files, package by package.
same_file_sets() {
	local deb rpm name diff_out=""
	for name in uodp:uodp libuodp1:libuodp libuodp-dev:libuodp-devel; do
		deb=$(ls "$OUT"/deb/"${name%%:*}"_*.deb)
		rpm=$(ls "$OUT"/rpm/RPMS/*/"${name#*:}"-[0-9]*.rpm)
		diff_out+=$(diff <(dpkg-deb --fsys-tarfile "$deb" | tar -t |
				grep -v '/$' | normalise) \
			<(rpm -qlp "$rpm" 2>/dev/null | normalise) |
			sed "s|^|${name}: |") || true
	done
	[[ -z $diff_out ]] || { printf '%s\n' "$diff_out" >&2; die "the .debs and the rpms differ"; }
	pass "the .debs and the rpms hold the same files"
}

purge_installed() {
	local present
	mapfile -t present < <(in_state any "${DEB_PACKAGES[@]}")
	((${#present[@]} == 0)) || nice -n 19 "${APT[@]}" purge "${present[@]}"
}

smoke_test() {
	local out
	log "smoke test: uodp-run -- ibv_devinfo (clean environment)"
	out=$(cd / && "${CLEAN_ENV[@]}" uodp-run -- ibv_devinfo 2>&1) ||
		{ printf '%s\n' "$out" >&2; die "uodp-run -- ibv_devinfo failed"; }
	printf '%s\n' "$out" | sed 's/^/    /' >&2
	grep -q 'hca_id:[[:space:]]*uodp0' <<<"$out" ||
		die "ibv_devinfo under the installed uodp-run shows no uodp0"
	pass "uodp-run -- ibv_devinfo from PATH, no variables set"
	log "smoke test: the same as nobody"
	out=$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		"${CLEAN_ENV[@]}" uodp-run -- ibv_devinfo -l 2>&1) ||
		{ printf '%s\n' "$out" >&2; die "uodp-run -- ibv_devinfo as nobody failed"; }
	grep -q 'uodp0' <<<"$out" ||
		die "ibv_devinfo as nobody under the installed uodp-run shows no uodp0"
	pass "uodp-run -- ibv_devinfo as nobody"
	log "smoke test: ibv_rc_pingpong server and client in one uodp-run"
	out=$(cd / && "${CLEAN_ENV[@]}" timeout 60 uodp-run -- sh -c \
		'ibv_rc_pingpong -d uodp0 -g 1 -p 18731 & sleep 1;
		 ibv_rc_pingpong -d uodp0 -g 1 -p 18731 localhost; c=$?;
		 wait $!; s=$?; [ $c = 0 ] && [ $s = 0 ]' 2>&1) ||
		{ printf '%s\n' "$out" >&2; die "ibv_rc_pingpong under the installed uodp-run failed"; }
	printf '%s\n' "$out" | grep 'bytes in' | sed 's/^/    /' >&2
	pass "ibv_rc_pingpong server and client in one uodp-run"
}

# True when something listens on TCP port $1 (tests/stock/lib.sh's way: a
# probe connection would be taken by the single-shot server as its peer).
port_listening() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
			  END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# poll TRIES CMD...: CMD every 0.05 s, up to TRIES times.
poll() {
	local tries=$1 i
	shift
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}

start_shared_uodpd() {
	[[ ! -e $SHARED_SOCKET ]] || die "$SHARED_SOCKET exists: is a uodpd already running?"
	(cd / && exec "${CLEAN_ENV[@]}" UODPD_LOG_LEVEL=info "$UODPD") \
		>"$OUT/deb/uodpd-shared.log" 2>&1 &
	UODPD_PID=$!
	poll 200 test -S "$SHARED_SOCKET" ||
		{ cat "$OUT/deb/uodpd-shared.log" >&2; die "$UODPD with no arguments never listened on $SHARED_SOCKET"; }
}

# Only the daemon we started, by its pid.
stop_shared_uodpd() {
	local rc=0
	[[ -n $UODPD_PID ]] || return 0
	kill -TERM "$UODPD_PID" 2>/dev/null || true
	wait "$UODPD_PID" || rc=$?
	UODPD_PID=
	return $rc
}

# Two terminals' worth: a server and a client, each under its own uodp-run
# from PATH with no variables set, both attached to the one shared uodpd.
shared_smoke_test() {
	local srv_out=$OUT/deb/shared.server out srv srv_rc=0 attached
	log "smoke test: $UODPD with no arguments, two uodp-run invocations attached"
	start_shared_uodpd
	(cd / && exec "${CLEAN_ENV[@]}" timeout 60 uodp-run -- \
		ibv_rc_pingpong -d uodp0 -g 1 -p "$SHARED_PORT") >"$srv_out" 2>&1 &
	srv=$!
	poll 400 port_listening "$SHARED_PORT" ||
		{ cat "$srv_out" >&2; die "the attached server never listened"; }
	out=$(cd / && "${CLEAN_ENV[@]}" timeout 60 uodp-run -- \
		ibv_rc_pingpong -d uodp0 -g 1 -p "$SHARED_PORT" localhost 2>&1) ||
		{ printf '%s\n' "$out" >&2; cat "$srv_out" >&2; die "the attached client failed"; }
	wait "$srv" || srv_rc=$?
	((srv_rc == 0)) || { cat "$srv_out" >&2; die "the attached server exited with $srv_rc"; }
	printf '%s\n' "$out" | grep 'bytes in' | sed 's/^/    /' >&2
	attached=$(grep -c 'a command of uid 0 attached' "$OUT/deb/uodpd-shared.log" || true)
	((attached == 2)) ||
		{ cat "$OUT/deb/uodpd-shared.log" >&2; die "$attached of 2 uodp-run invocations attached to the shared uodpd"; }
	stop_shared_uodpd || die "the shared uodpd did not exit cleanly on SIGTERM"
	[[ ! -e ${SHARED_SOCKET%/*} ]] || die "the shared uodpd left ${SHARED_SOCKET%/*}"
	pass "ibv_rc_pingpong between two uodp-run invocations on one shared uodpd"
}

check_purged() {
	local pkg f left=()
	for pkg in "${DEB_PACKAGES[@]}"; do
		if dpkg -L "$pkg" >/dev/null 2>&1; then
			left+=("dpkg -L $pkg")
		fi
	done
	for f in "${INSTALLED_FILES[@]}"; do
		[[ -e $f || -L $f ]] && [[ ! -d $f ]] && left+=("$f")
	done
	for f in /etc/libibverbs.d/uodp.driver /usr/sbin/uodpd /usr/bin/uodp-run \
		"${SHARED_SOCKET%/*}"; do
		[[ -e $f || -L $f ]] && left+=("$f")
	done
	# Nor anything the maintainer scripts made (systemd state, say).
	mapfile -t -O "${#left[@]}" left < <(find /etc /usr /lib /var/lib -xdev \
		-name '*uodp*' 2>/dev/null)
	((${#left[@]} == 0)) || die "left behind after purge: ${left[*]}"
	pass "apt-get purge: nothing left behind"
}

install_and_test() {
	local pkg
	purge_installed
	log "apt-get install ./*.deb"
	# Whatever fails from here on, the daemon stops and the packages go.
	trap 'stop_shared_uodpd || true; purge_installed' EXIT
	(cd "$OUT/deb" && nice -n 19 "${APT[@]}" install ./*.deb)
	INSTALLED_FILES=()
	for pkg in "${DEB_PACKAGES[@]}"; do
		mapfile -t -O "${#INSTALLED_FILES[@]}" INSTALLED_FILES < <(dpkg -L "$pkg")
	done
	pass "apt-get install ./*.deb"
	smoke_test
	shared_smoke_test
	log "apt-get purge ${DEB_PACKAGES[*]}"
	nice -n 19 "${APT[@]}" purge "${DEB_PACKAGES[@]}"
	trap - EXIT
	check_purged
}

main() {
	local cmd=${1:-all} start=$SECONDS
	((EUID == 0)) || die "run as root: it installs and removes packages"
	command -v apt-get >/dev/null || die "not a Debian system"
	mkdir -p "$OUT"
	case $cmd in
	deps) do_deps ;;
	build | all)
		do_deps
		build_debs
		run_lintian
		build_rpm
		[[ $cmd == build ]] || install_and_test
		;;
	*) die "unknown command '$cmd' (deps, build or all)" ;;
	esac
	log "$cmd done in $((SECONDS - start)) s"
	# The closing line CI reads.
	printf 'packaging: %d passed, 0 failed\n' "$PASSED"
}

main "$@"
