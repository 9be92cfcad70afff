#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# ibv_devices and ibv_devinfo -v (stock ibverbs-utils, run inside uodp-run)
# see uodp0: an active Ethernet (RoCE) port 1 with RoCE v1 and v2 GIDs.

. "$(dirname "$0")/lib.sh"

out=$WORKDIR/devices
timeout -k 5 "$STEP_TIMEOUT" ibv_devices >"$out" 2>&1 || { show "$out"; fail "ibv_devices failed"; }
show "$out"
# "    uodp0    <16 hex digit node GUID>"
expect "$out" "^[[:space:]]*$UODP_DEV[[:space:]]+[0-9a-f]{16}[[:space:]]*$" \
	"ibv_devices does not list $UODP_DEV with a node GUID"

out=$WORKDIR/devinfo
timeout -k 5 "$STEP_TIMEOUT" ibv_devinfo -v -d "$UODP_DEV" >"$out" 2>&1 ||
	{ show "$out"; fail "ibv_devinfo -v failed"; }
show "$out"
expect "$out" "^hca_id:[[:space:]]+$UODP_DEV\$" "no hca_id $UODP_DEV"
expect "$out" 'transport:[[:space:]]+InfiniBand \(0\)' "transport is not InfiniBand (RoCE is)"
expect "$out" 'node_guid:[[:space:]]+([0-9a-f]{4}:){3}[0-9a-f]{4}' "no node_guid"
grep -Eq 'node_guid:[[:space:]]+0000:0000:0000:0000' "$out" && fail "node_guid is zero"
expect "$out" 'phys_port_cnt:[[:space:]]+1' "phys_port_cnt is not 1"
expect "$out" '^[[:space:]]+port:[[:space:]]+1$' "port 1 missing"
expect "$out" 'state:[[:space:]]+PORT_ACTIVE \(4\)' "port 1 is not PORT_ACTIVE"
expect "$out" 'link_layer:[[:space:]]+Ethernet' "link layer is not Ethernet"
expect "$out" 'max_qp:[[:space:]]+[1-9]' "max_qp is not positive"
expect "$out" 'max_qp_wr:[[:space:]]+[1-9]' "max_qp_wr is not positive"
expect "$out" 'max_mr_size:[[:space:]]+0x[0-9a-f]*[1-9a-f]' "max_mr_size is zero"
expect "$out" 'GID\[ *[0-9]+\]:.*RoCE v2' "no RoCE v2 GID printed"
expect "$out" 'GID\[ *[0-9]+\]:.*RoCE v1' "no RoCE v1 GID printed"

# The plain listing too (no -v): one device, one port.
out=$WORKDIR/devinfo-short
timeout -k 5 "$STEP_TIMEOUT" ibv_devinfo >"$out" 2>&1 || { show "$out"; fail "ibv_devinfo failed"; }
expect "$out" "^hca_id:[[:space:]]+$UODP_DEV\$" "ibv_devinfo lists no $UODP_DEV"

# A device that does not exist is an error, not a crash or hang.
out=$WORKDIR/devinfo-bad
timeout -k 5 "$STEP_TIMEOUT" ibv_devinfo -d uodp_nonexistent >"$out" 2>&1
rc=$?
# any failure exit (ibv_devinfo uses 255) but no timeout (124) or signal
case $rc in
0 | 124 | 129 | 13[0-9] | 14[0-9] | 15[0-9]) show "$out"; fail "ibv_devinfo -d nonexistent: exit $rc" ;;
esac

echo "PASS: ibv_devices and ibv_devinfo -v see $UODP_DEV"
