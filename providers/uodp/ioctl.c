// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Method calls on the command fd through libibverbs' execute_ioctl(), for
 * the methods that have no ibv_cmd_*: mlx5's DEVX general command and the
 * ODP methods uodp adds next to it (rdma/uodp-odp-abi.h).
 */
#include <errno.h>
#include <string.h>
#include <rdma/mlx5_user_ioctl_cmds.h>

#include "uodp.h"

#define MAX_ATTRS 8

int uodp_ioctl(struct uodp_context *ctx, uint16_t object, uint16_t method,
	       struct ib_uverbs_attr *attrs, unsigned int n)
{
	union {
		struct ibv_command_buffer cmdb;
		uint8_t bytes[sizeof(struct ibv_command_buffer) +
			      MAX_ATTRS * sizeof(struct ib_uverbs_attr)];
	} u;
	struct ib_uverbs_attr *slots;
	int err;

	if (n > MAX_ATTRS)
		return EINVAL;
	memset(&u.cmdb, 0, sizeof(u.cmdb));
	slots = (struct ib_uverbs_attr *)(u.bytes + sizeof(u.cmdb));
	memcpy(slots, attrs, n * sizeof(*attrs));
	u.cmdb.next_attr = slots + n;
	u.cmdb.last_attr = slots + n;
	u.cmdb.uhw_in_idx = IBV_CMD_UHW_NO_INDEX;
	u.cmdb.uhw_out_idx = IBV_CMD_UHW_NO_INDEX;
	u.cmdb.hdr.object_id = object;
	u.cmdb.hdr.method_id = method;
	err = execute_ioctl(&ctx->ibv_ctx.context, &u.cmdb);
	memcpy(attrs, slots, n * sizeof(*attrs));
	return err;
}

/* An attribute the kernel reads: inline up to 8 bytes, else by pointer. */
struct ib_uverbs_attr uodp_attr_in(uint16_t id, const void *p, size_t len)
{
	struct ib_uverbs_attr a = {
		.attr_id = id,
		.len = (uint16_t)len,
		.flags = UVERBS_ATTR_F_MANDATORY,
	};

	if (len <= sizeof(a.data))
		memcpy(&a.data, p, len);
	else
		a.data = (uintptr_t)p;
	return a;
}

struct ib_uverbs_attr uodp_attr_out(uint16_t id, void *p, size_t len)
{
	return (struct ib_uverbs_attr){
		.attr_id = id,
		.len = (uint16_t)len,
		.flags = UVERBS_ATTR_F_MANDATORY,
		.data = (uintptr_t)p,
	};
}

int uodp_devx_general(struct uodp_context *ctx, const void *in,
		      uint32_t inlen, void *out, uint32_t outlen)
{
	struct ib_uverbs_attr attrs[] = {
		uodp_attr_in(MLX5_IB_ATTR_DEVX_OTHER_CMD_IN, in, inlen),
		uodp_attr_out(MLX5_IB_ATTR_DEVX_OTHER_CMD_OUT, out, outlen),
	};

	return uodp_ioctl(ctx, MLX5_IB_OBJECT_DEVX, MLX5_IB_METHOD_DEVX_OTHER,
			  attrs, 2);
}
