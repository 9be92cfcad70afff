// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The rdma_cm write() decoder, with the framing of the kernel's
 * ucma_write(): a struct rdma_ucm_cmd_hdr, a command number below the
 * table's end (EINVAL), hdr.in bytes of command that the write holds
 * (EINVAL), a number with a handler (ENOSYS: GET_OPTION has none).
 *
 * The kernel's handlers copy sizeof(cmd) from the caller whatever hdr.in
 * says; here a command must hold its whole struct (librdmacm always sends
 * it), except CONNECT and ACCEPT, whose ECE tail came later: those need
 * the part up to `reserved`, as the kernel checks, and the rest reads as
 * zero.  The response room (hdr.out) is each handler's to check (ENOSPC).
 *
 * Pure (no I/O, no state): it runs under the libFuzzer harness.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "ucma.h"

#define offsetofend(t, m) (offsetof(t, m) + sizeof(((t *)0)->m))

/* The bytes each command must hold; 0: no handler (ENOSYS). */
static const uint16_t min_in[UD_UCMA_MAX_CMD] = {
	[RDMA_USER_CM_CMD_CREATE_ID] = sizeof(struct rdma_ucm_create_id),
	[RDMA_USER_CM_CMD_DESTROY_ID] = sizeof(struct rdma_ucm_destroy_id),
	[RDMA_USER_CM_CMD_BIND_IP] = sizeof(struct rdma_ucm_bind_ip),
	[RDMA_USER_CM_CMD_RESOLVE_IP] = sizeof(struct rdma_ucm_resolve_ip),
	[RDMA_USER_CM_CMD_RESOLVE_ROUTE] =
		sizeof(struct rdma_ucm_resolve_route),
	[RDMA_USER_CM_CMD_QUERY_ROUTE] = sizeof(struct rdma_ucm_query),
	[RDMA_USER_CM_CMD_CONNECT] =
		offsetofend(struct rdma_ucm_connect, reserved),
	[RDMA_USER_CM_CMD_LISTEN] = sizeof(struct rdma_ucm_listen),
	[RDMA_USER_CM_CMD_ACCEPT] =
		offsetofend(struct rdma_ucm_accept, reserved),
	[RDMA_USER_CM_CMD_REJECT] = sizeof(struct rdma_ucm_reject),
	[RDMA_USER_CM_CMD_DISCONNECT] = sizeof(struct rdma_ucm_disconnect),
	[RDMA_USER_CM_CMD_INIT_QP_ATTR] =
		sizeof(struct rdma_ucm_init_qp_attr),
	[RDMA_USER_CM_CMD_GET_EVENT] = sizeof(struct rdma_ucm_get_event),
	[RDMA_USER_CM_CMD_SET_OPTION] = sizeof(struct rdma_ucm_set_option),
	[RDMA_USER_CM_CMD_NOTIFY] = sizeof(struct rdma_ucm_notify),
	[RDMA_USER_CM_CMD_JOIN_IP_MCAST] =
		sizeof(struct rdma_ucm_join_ip_mcast),
	[RDMA_USER_CM_CMD_LEAVE_MCAST] = sizeof(struct rdma_ucm_destroy_id),
	[RDMA_USER_CM_CMD_MIGRATE_ID] = sizeof(struct rdma_ucm_migrate_id),
	[RDMA_USER_CM_CMD_QUERY] = sizeof(struct rdma_ucm_query),
	[RDMA_USER_CM_CMD_BIND] = sizeof(struct rdma_ucm_bind),
	[RDMA_USER_CM_CMD_RESOLVE_ADDR] = sizeof(struct rdma_ucm_resolve_addr),
	[RDMA_USER_CM_CMD_JOIN_MCAST] = sizeof(struct rdma_ucm_join_mcast),
};

int ud_ucma_decode(const void *buf, size_t len, size_t avail,
		   struct ud_ucma_cmd *cmd)
{
	struct rdma_ucm_cmd_hdr hdr;
	size_t in;

	_Static_assert(sizeof(struct rdma_ucm_resolve_addr) <= UD_UCMA_MAX_LEN,
		       "the largest command fits");
	if (len < sizeof(hdr) || avail < sizeof(hdr) || avail > len)
		return -EINVAL;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.cmd >= UD_UCMA_MAX_CMD)
		return -EINVAL;
	if (hdr.in + sizeof(hdr) > len)
		return -EINVAL;
	if (!min_in[hdr.cmd])
		return -ENOSYS;
	if (hdr.in < min_in[hdr.cmd])
		return -EINVAL;
	in = hdr.in < sizeof(cmd->u) ? hdr.in : sizeof(cmd->u);
	if (in > avail - sizeof(hdr))
		return -EINVAL;
	memset(cmd, 0, sizeof(*cmd));
	cmd->cmd = hdr.cmd;
	cmd->out = hdr.out;
	cmd->in_len = hdr.in;
	memcpy(cmd->u.raw, (const uint8_t *)buf + sizeof(hdr), in);
	return 0;
}
