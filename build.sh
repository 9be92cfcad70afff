#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# ./build.sh              install missing Debian packages (as root), build build/
# ./build.sh --sanitize   the same into build-sanitize/ with ASan + UBSan
# ./build.sh test         build both, run ctest in each (build/ also as
#                         nobody when run as root), the C tests under
#                         ThreadSanitizer (build-tsan/), then fuzz briefly
#                         (clang + libFuzzer in build-fuzz/)
# ./build.sh demo         build, run tests/demo.sh (RDMA traffic on uodp0)
# ./build.sh bench        build, run tests/bench/perf.sh
#
# Re-running is cheap: packages are checked with dpkg-query, an existing
# build directory is not reconfigured (ninja re-runs cmake itself when a
# CMakeLists.txt changes).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"

PACKAGES=(cmake ninja-build gcc clang pkg-config libibverbs-dev ibverbs-utils
	ibverbs-providers perftest python3-pyverbs libnl-3-dev
	libnl-route-3-dev libseccomp-dev libclang-rt-14-dev iproute2
	librdmacm-dev rdmacm-utils strace)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

missing_packages() {
	local pkg status
	for pkg in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
		[[ $status == "install ok installed" ]] || printf '%s\n' "$pkg"
	done
}

ensure_packages() {
	local missing
	command -v dpkg-query >/dev/null || die "not a Debian system: install ${PACKAGES[*]} by hand"
	mapfile -t missing < <(missing_packages)
	((${#missing[@]} == 0)) && return 0
	if ((EUID != 0)); then
		die "missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
	fi
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# configure_and_build DIR [cmake args...]
configure_and_build() {
	local dir=$1
	shift
	if [[ ! -f $dir/build.ninja ]]; then
		log "configuring $dir"
		cmake -S "$ROOT" -B "$dir" -G Ninja "$@"
	fi
	log "building $dir"
	ninja -C "$dir"
}

build_default() { configure_and_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo; }
build_sanitize() {
	configure_and_build build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DUODP_SANITIZE=ON
}

# ThreadSanitizer: the provider's fault engine runs beside the application's
# threads.  The C tests run under it (stock binaries and python are not
# instrumented, so those suites stay with build/ and build-sanitize/).
TSAN_TESTS='^(odp|robust|control|unit)\.|^uodpd_'
build_tsan() {
	configure_and_build build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DUODP_TSAN=ON
}

run_tsan() {
	log "testing build-tsan (ThreadSanitizer: the C tests)"
	(cd build-tsan && TSAN_OPTIONS=halt_on_error=1 \
		ctest --output-on-failure -R "$TSAN_TESTS")
}

# The libFuzzer harnesses need clang; this also proves the tree builds with it.
build_fuzz() {
	CC=clang configure_and_build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DUODP_FUZZ=ON
}

run_fuzz() {
	log "fuzzing in build-fuzz (ctest -L fuzz)"
	(cd build-fuzz && ctest --output-on-failure -L fuzz)
}

run_ctest() {
	local dir=$1
	log "testing $dir"
	(cd "$dir" && ctest --output-on-failure)
}

# The suite as an ordinary user (nobody), when run as root: a device
# reached by a process without privileges must behave the same.  The
# nonroot tests drop privileges themselves.
USER_SKIP='nonroot'
run_ctest_as_user() {
	local dir=$1 tmp
	((EUID == 0)) || return 0
	command -v setpriv >/dev/null || die "setpriv (util-linux) is needed"
	if ! setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		test -x "$ROOT/$dir/bin/uodp-run"; then
		log "NOT testing $dir as nobody: nobody cannot reach $ROOT (stock.nonroot still runs)"
		return 0
	fi
	log "testing $dir as nobody"
	tmp=$(mktemp -d)
	chmod 1777 "$tmp" "$dir/Testing" "$dir/Testing/Temporary"
	(cd "$dir" && setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		env HOME="$tmp" TMPDIR="$tmp" \
		ctest --output-on-failure -E "$USER_SKIP")
	local rc=$?
	rm -rf "$tmp"
	return $rc
}

run_tests() {
	local failed=()
	build_default
	build_sanitize
	run_ctest build || failed+=(build)
	run_ctest_as_user build || failed+=("build (as nobody)")
	run_ctest build-sanitize || failed+=(build-sanitize)
	{ build_tsan && run_tsan; } || failed+=(build-tsan)
	{ build_fuzz && run_fuzz; } || failed+=(build-fuzz)
	if ((${#failed[@]})); then
		log "FAILED in: ${failed[*]}"
		return 1
	fi
	log "all tests passed in build/, build-sanitize/ and build-tsan/, fuzzing clean"
}

run_script() {
	local script=$1
	shift
	[[ -x $script || -f $script ]] || die "$script does not exist yet"
	build_default
	log "running $script"
	bash "$script" "$@"
}

main() {
	local cmd=${1:-build}
	(($#)) && shift
	ensure_packages
	case $cmd in
	build) build_default ;;
	--sanitize | sanitize) build_sanitize ;;
	test) run_tests ;;
	demo) run_script tests/demo.sh "$@" ;;
	bench) run_script tests/bench/perf.sh "$@" ;;
	-h | --help | help)
		sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'
		;;
	*) die "unknown command '$cmd' (try --help)" ;;
	esac
}

main "$@"
