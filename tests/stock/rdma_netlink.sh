#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# RDMA netlink served by uodpd (run inside `uodp-run --devices 2`):
# libibverbs discovers the devices over NETLINK_RDMA (its GET dump and
# GET_CHARDEV, never the sysfs uverbs class), and iproute2's `rdma` shows
# devices, links and the system as the sysfs view and the device describe
# them.

. "$(dirname "$0")/lib.sh"

sysfs=${SYSFS_PATH:?uodp-run sets SYSFS_PATH}

# libibverbs: the netlink socket works, the uverbs class is never read.
out=$WORKDIR/strace
timeout -k 5 "$STEP_TIMEOUT" strace -f -o "$out" -e trace=socket,openat,recvmsg \
	ibv_devices >"$WORKDIR/devices" 2>&1 || { show "$WORKDIR/devices"; fail "ibv_devices failed"; }
expect "$out" 'socket\(AF_NETLINK, SOCK_RAW\|SOCK_CLOEXEC, NETLINK_RDMA\) = [0-9]+$' \
	"libibverbs' NETLINK_RDMA socket was refused"
expect "$out" 'recvmsg\([0-9]+, .*nlmsg_type=NLMSG_DONE' "no dump ended with NLMSG_DONE"
grep -q 'class/infiniband_verbs' "$out" &&
	fail "libibverbs fell back to the sysfs uverbs class"
expect "$WORKDIR/devices" '^[[:space:]]*uodp1[[:space:]]+[0-9a-f]{16}' "ibv_devices lists no uodp1"

# rdma dev: both devices, with the sysfs view's node GUIDs.
out=$WORKDIR/dev
timeout -k 5 "$STEP_TIMEOUT" rdma dev >"$out" 2>&1 || { show "$out"; fail "rdma dev failed"; }
show "$out"
for i in 0 1; do
	guid=$(cat "$sysfs/class/infiniband/uodp$i/node_guid")
	expect "$out" "^$i: uodp$i: node_type ca fw [0-9.]+ node_guid $guid sys_image_guid" \
		"rdma dev does not show uodp$i with node_guid $guid"
done

# rdma link: port 1 of each, active, on the device's netdev.
out=$WORKDIR/link
timeout -k 5 "$STEP_TIMEOUT" rdma link >"$out" 2>&1 || { show "$out"; fail "rdma link failed"; }
show "$out"
for i in 0 1; do
	expect "$out" "^link uodp$i/1 state ACTIVE physical_state LINK_UP netdev lo" \
		"rdma link does not show uodp$i/1 active on lo"
done
out=$WORKDIR/link-json
timeout -k 5 "$STEP_TIMEOUT" rdma -j link show uodp1/1 >"$out" 2>&1 || { show "$out"; fail "rdma -j link show failed"; }
expect "$out" "\"ifindex\":1,\"ifname\":\"uodp1\",\"port\":1" "rdma -j link: not uodp1's port 1"
expect "$out" "\"netdev_index\":$(cat /sys/class/net/lo/ifindex)" "rdma -j link: not lo's ifindex"

# rdma sys: shared network namespaces, copy-on-fork.
out=$WORKDIR/sys
timeout -k 5 "$STEP_TIMEOUT" rdma sys >"$out" 2>&1 || { show "$out"; fail "rdma sys failed"; }
expect "$out" '^netns shared copy-on-fork on' "rdma sys is not 'netns shared copy-on-fork on'"

# A device that does not exist: an error, not a hang.
out=$WORKDIR/dev-bad
timeout -k 5 "$STEP_TIMEOUT" rdma dev show uodp7 >"$out" 2>&1
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || { show "$out"; fail "rdma dev show uodp7: exit $rc"; }
# Changing the device needs CAP_NET_ADMIN (EPERM without it, as when the
# suite runs as nobody); with it, the device refuses (EOPNOTSUPP).
out=$WORKDIR/dev-set
timeout -k 5 "$STEP_TIMEOUT" rdma dev set uodp0 adaptive-moderation on >"$out" 2>&1 &&
	fail "rdma dev set succeeded"
capeff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
if (( (0x$capeff >> 12) & 1 )); then
	expect "$out" 'Operation not supported' "rdma dev set: not EOPNOTSUPP"
else
	expect "$out" 'Operation not permitted' "rdma dev set without CAP_NET_ADMIN: not EPERM"
fi

echo "PASS: libibverbs and rdma(8) see the uodp devices over RDMA netlink"
