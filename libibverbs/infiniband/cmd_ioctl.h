/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Our declarations of libibverbs 44's ioctl command buffer (its private
 * cmd_ioctl.h): what execute_ioctl() takes.  Only the layout and the one
 * exported function; the fill helpers are inline in libibverbs, so a
 * provider fills the attributes itself.
 */
#ifndef UODP_INFINIBAND_CMD_IOCTL_H
#define UODP_INFINIBAND_CMD_IOCTL_H

#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_user_ioctl_cmds.h>

/* libibverbs: _UHW_NO_INDEX */
#define IBV_CMD_UHW_NO_INDEX 0xff

struct ibv_command_buffer {
	struct ibv_command_buffer *next;	/* a linked driver buffer */
	struct ib_uverbs_attr *next_attr;	/* the next free slot */
	struct ib_uverbs_attr *last_attr;	/* the end of the slots */
	uint8_t uhw_in_idx;
	uint8_t uhw_out_idx;
	uint8_t uhw_in_headroom_dwords;
	uint8_t uhw_out_headroom_dwords;
	uint8_t buffer_error:1;
	uint8_t fallback_require_ex:1;
	uint8_t fallback_ioctl_only:1;
	/* hdr.attrs[] follows, the slots */
	struct ib_uverbs_ioctl_hdr hdr;
};

/*
 * Fills hdr.length, num_attrs (next_attr - hdr.attrs) and driver_id, issues
 * RDMA_VERBS_IOCTL on context->cmd_fd and copies the attributes back
 * (handles, fds, VALID_OUTPUT flags).  0 or a positive errno.
 */
int execute_ioctl(struct ibv_context *context, struct ibv_command_buffer *cmd);

_Static_assert(offsetof(struct ibv_command_buffer, hdr) == 32,
	       "ibv_command_buffer");
_Static_assert(sizeof(struct ibv_command_buffer) == 56, "ibv_command_buffer");

#endif /* UODP_INFINIBAND_CMD_IOCTL_H */
