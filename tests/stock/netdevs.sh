#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# Devices on different netdevs (uodp-run --netdev lo,uodpv0): each device's
# GIDs are its own netdev's addresses, `rdma link` names each device's
# netdev, and rdma_cm finds the device of an address by them: rping over
# 10.71.0.1 (uodpv0's) runs on uodp1, over 127.0.0.1 on uodp0, and an
# address on neither is ADDR_ERROR.  The netdev is one end of a veth pair
# in a network namespace of the test's own (as root; otherwise in a user
# namespace of its own as well), so the host's network is not touched.
#
# usage: netdevs.sh BUILD_DIR PORT
#        netdevs.sh --inside BUILD_DIR PORT   (in the namespace, internal)

. "$(dirname "$0")/lib.sh"

if [ "${1:-}" != --inside ]; then
	build=$(cd "$1" && pwd)
	ns=(unshare --net)
	[ "$(id -u)" -eq 0 ] || ns=(unshare --user --map-root-user --net)
	exec "${ns[@]}" /bin/bash "$0" --inside "$build" "$2"
fi
build=$2
port=$3
addr=10.71.0.1

ip link set lo up || fail "lo does not come up in the test's namespace"
ip link add uodpv0 type veth peer name uodpv1 ||
	fail "no veth pair in the test's namespace"
ip addr add "$addr/24" dev uodpv0 && ip link set uodpv0 up &&
	ip link set uodpv1 up || fail "uodpv0 does not take $addr"

# Lists refused: an empty name, a netdev that is not there, and several
# netdevs for a daemon without the view that describes them.
refused()	# WHAT PATTERN CMD...
{
	local what=$1 pattern=$2

	shift 2
	timeout -k 5 30 "$@" >"$WORKDIR/refused" 2>&1 && fail "$what: accepted"
	expect "$WORKDIR/refused" "$pattern" "$what: not refused as such"
}
refused "an empty name" "comma-separated, not 'lo,,uodpv0'" \
	"$build/bin/uodp-run" --netdev lo,,uodpv0 -- true
refused "a missing netdev" "netdev 'uodpnone' not found" \
	"$build/bin/uodp-run" --devices 2 --netdev lo,uodpnone -- true
refused "uodpd without --sysfs" 'several netdevs need --sysfs' \
	"$build/bin/uodpd" --netdev lo,uodpv0 --socket "$WORKDIR/uodpd.sock"
echo "ok  : bad lists refused"

inside=$WORKDIR/inside.sh
cat >"$inside" <<EOF
. "$(dirname "$0")/lib.sh"
port=$port
addr=$addr
EOF
cat >>"$inside" <<'EOF'
# rdma link: each device's port on its own netdev, the last name repeated.
timeout -k 5 "$STEP_TIMEOUT" rdma link >"$WORKDIR/link" 2>&1 || fail "rdma link failed"
show "$WORKDIR/link"
expect "$WORKDIR/link" '^link uodp0/1 .* netdev lo *$' "uodp0 is not on lo"
expect "$WORKDIR/link" '^link uodp1/1 .* netdev uodpv0 *$' "uodp1 is not on uodpv0"
expect "$WORKDIR/link" '^link uodp2/1 .* netdev uodpv0 *$' "uodp2 is not on the list's last"
# GIDs: uodp1 has uodpv0's address, uodp0 does not.
ibv_devinfo -v -d uodp1 >"$WORKDIR/gids1" 2>&1
ibv_devinfo -v -d uodp0 >"$WORKDIR/gids0" 2>&1
expect "$WORKDIR/gids1" "::ffff:$addr, RoCE v2" "uodp1 has no GID of $addr"
grep -q "::ffff:$addr" "$WORKDIR/gids0" && fail "uodp0 has a GID of $addr"

# rping over each address: the listener and both ends on that device.
rping_on()	# ADDR PORT DEVICE
{
	local srv_out=$WORKDIR/rping-$1.server cli_out=$WORKDIR/rping-$1.client

	timeout -k 5 "$STEP_TIMEOUT" rping -s -a "$1" -p "$2" -C 3 -v >"$srv_out" 2>&1 &
	SERVER_PID=$!
	wait_until "$SERVER_PID" 400 cm_listening "$2" ||
		{ show "$srv_out"; fail "rping never listened on $1"; }
	grep -q "^link $3/1 .*state LISTEN .*src-addr $1:$2" "$WORKDIR/cm_ids" ||
		{ show "$WORKDIR/cm_ids"; fail "the listener on $1 is not on $3"; }
	timeout -k 5 "$STEP_TIMEOUT" rping -c -a "$1" -p "$2" -C 3 -v >"$cli_out" 2>&1
	cli_rc=$?
	wait "$SERVER_PID"
	srv_rc=$?
	SERVER_PID=
	pair_verdict "rping-$1" "$srv_rc" "$cli_rc"
	[ "$(grep -c 'ping data: rdma-ping-' "$cli_out")" = 3 ] ||
		{ show "$cli_out"; fail "rping over $1 verified no 3 pings"; }
	echo "ok  : rping over $1 on $3"
}
rping_on "$addr" "$port" uodp1
rping_on 127.0.0.1 "$((port + 1))" uodp0

# An address no device's netdev has: no device, ADDR_ERROR.
timeout -k 5 "$STEP_TIMEOUT" rping -c -a 10.72.0.1 -p "$port" -C 1 >"$WORKDIR/nodev" 2>&1 &&
	fail "rping to 10.72.0.1 connected"
expect "$WORKDIR/nodev" 'RDMA_CM_EVENT_ADDR_ERROR, error -19' \
	"rping to an address on no device: not ADDR_ERROR with ENODEV"
echo "PASS: each device on its own netdev, rdma_cm on the device of the address"
EOF
timeout -k 5 120 "$build/bin/uodp-run" --private --devices 3 --netdev lo,uodpv0 -- \
	/bin/bash "$inside" || fail "the test inside uodp-run failed"
