// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The methods of UVERBS_OBJECT_DEVICE and UVERBS_OBJECT_ASYNC_EVENT, with
 * the attributes, sizes and errnos of the kernel's
 * uverbs_std_types_device.c and uverbs_std_types_async_fd.c and mlx5_ib's
 * driver data:
 *
 *  GET_CONTEXT        the context, mlx5's alloc_ucontext data in UHW; no
 *                     async event fd (libibverbs asks ASYNC_EVENT_ALLOC)
 *  QUERY_CONTEXT      mlx5's alloc_ucontext response again
 *  QUERY_PORT         struct ib_uverbs_query_port_resp_ex
 *  QUERY_GID_TABLE    every valid GID of every port
 *  QUERY_GID_ENTRY    one GID, ENODATA for an empty slot
 *  INFO_HANDLES       the context's handles of one object type
 *  INVOKE_WRITE       any write() command, in attributes; it runs the
 *                     write command's own handler (uverbs_cmd.c, ...)
 *  ASYNC_EVENT_ALLOC  the context's async event fd
 *
 * libibverbs probes INVOKE_WRITE when it makes a context (ENOSPC for its
 * empty QUERY_DEVICE) and from then on sends its write commands through
 * it, as on a kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <rdma/ib_user_ioctl_verbs.h>
#include <rdma/mlx5_user_ioctl_cmds.h>
#include <infiniband/verbs.h>

#include "ctl.h"
#include "rdma/uodp-emu-abi.h"
#include "uverbs.h"
#include "uverbs_device_attrs.h"

/* ---- GET_CONTEXT, QUERY_CONTEXT ---- */

/* The core's answers of both: optional outputs, absent is no error. */
static int context_outputs(struct ud_call *c, const struct ud_ioctl_cmd *cmd,
			   uint16_t num_comp_id, uint16_t core_support_id)
{
	const uint32_t num_comp = UD_NUM_COMP_VECTORS;
	const uint64_t core_support = IB_UVERBS_CORE_SUPPORT_OPTIONAL_MR_ACCESS;
	const struct ud_ioctl_attr *a;

	a = ud_ioctl_attr(cmd, num_comp_id);
	if (a && ud_ioctl_write_out(c, cmd, a, &num_comp, sizeof(num_comp)))
		return -EFAULT;
	a = ud_ioctl_attr(cmd, core_support_id);
	if (a && ud_ioctl_write_out(c, cmd, a, &core_support,
				    sizeof(core_support)))
		return -EFAULT;
	return 0;
}

static const struct ud_attr_spec get_context_attrs[] = {
	UD_ATTR_OUT_TYPE(UVERBS_ATTR_GET_CONTEXT_NUM_COMP_VECTORS, uint32_t,
			 false),
	UD_ATTR_OUT_TYPE(UVERBS_ATTR_GET_CONTEXT_CORE_SUPPORT, uint64_t,
			 false),
	UD_ATTR_UHW_IN(UD_PTR_MAX),
	UD_ATTR_UHW_OUT,
};

static int get_context(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_ioctl_cmd *cmd)
{
	const struct ud_ioctl_attr *in = ud_ioctl_attr(cmd, UVERBS_ATTR_UHW_IN);
	const struct ud_ioctl_attr *out =
		ud_ioctl_attr(cmd, UVERBS_ATTR_UHW_OUT);
	struct mlx5_ib_alloc_ucontext_req_v2 req;
	struct uodp_alloc_ucontext_resp drv;
	struct ud_ioctl_attr head;
	int ret;

	ret = context_outputs(c, cmd, UVERBS_ATTR_GET_CONTEXT_NUM_COMP_VECTORS,
			      UVERBS_ATTR_GET_CONTEXT_CORE_SUPPORT);
	if (ret)
		return ret;
	/*
	 * mlx5_ib_alloc_ucontext reads what it knows of its request; like
	 * the write command, the device sizes nothing by it.
	 */
	if (in) {
		head = *in;
		if (head.len > sizeof(req))
			head.len = sizeof(req);
		if (ud_ioctl_read_in(c, &head, &req))
			return -EFAULT;
	}
	ret = ud_uverbs_new_context(c, f);
	if (ret)
		return ret;
	ud_uverbs_ucontext_resp(c->d, f->dev, &drv, out ? out->len : 0);
	if (out && ud_ioctl_write_out(c, cmd, out, &drv, sizeof(drv))) {
		ud_ctx_destroy(c->d, f->ctx);	/* unbinds the file */
		return -EFAULT;
	}
	return 0;
}

static const struct ud_attr_spec query_context_attrs[] = {
	UD_ATTR_OUT_TYPE(UVERBS_ATTR_QUERY_CONTEXT_NUM_COMP_VECTORS, uint32_t,
			 false),
	UD_ATTR_OUT_TYPE(UVERBS_ATTR_QUERY_CONTEXT_CORE_SUPPORT, uint64_t,
			 false),
	UD_ATTR_OUT_STRUCT(MLX5_IB_ATTR_QUERY_CONTEXT_RESP_UCTX,
			   struct mlx5_ib_alloc_ucontext_resp, dump_fill_mkey,
			   true),
};

static int query_context(struct ud_call *c, struct ud_ufile *f,
			 const struct ud_ioctl_cmd *cmd)
{
	const struct ud_ioctl_attr *uctx =
		ud_ioctl_attr(cmd, MLX5_IB_ATTR_QUERY_CONTEXT_RESP_UCTX);
	struct uodp_alloc_ucontext_resp drv;
	int ret;

	ret = context_outputs(c, cmd,
			      UVERBS_ATTR_QUERY_CONTEXT_NUM_COMP_VECTORS,
			      UVERBS_ATTR_QUERY_CONTEXT_CORE_SUPPORT);
	if (ret)
		return ret;
	/* mlx5_ib_query_ucontext; the emulator's tail follows, as ever. */
	ud_uverbs_ucontext_resp(c->d, f->dev, &drv, uctx->len);
	return ud_ioctl_write_struct(c, cmd, uctx, &drv, sizeof(drv));
}

/* ---- QUERY_PORT ---- */

/* rdma_is_port_valid, for a port number of any width. */
static bool port_valid(const struct ud_device *dev, uint64_t port)
{
	return port >= 1 && port <= dev->attr.phys_port_cnt;
}

static int query_port(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_ioctl_cmd *cmd)
{
	struct ib_uverbs_query_port_resp_ex resp = { 0 };
	uint64_t port;
	int ret;

	ret = ud_ioctl_get_const(cmd, UVERBS_ATTR_QUERY_PORT_PORT_NUM,
				 UINT8_MAX, &port);
	if (ret)
		return ret;
	if (!port_valid(f->dev, port))
		return -EINVAL;		/* ib_query_port */
	ud_uverbs_port_resp(f->dev, &resp.legacy_resp);
	resp.port_cap_flags2 = f->dev->port.port_cap_flags2;
	return ud_ioctl_write_struct(c, cmd,
				     ud_ioctl_attr(cmd,
						   UVERBS_ATTR_QUERY_PORT_RESP),
				     &resp, sizeof(resp));
}

/* ---- QUERY_GID_TABLE, QUERY_GID_ENTRY ---- */

/* The kernel's entry of a valid GID of port 1. */
static void gid_entry(const struct ud_device *dev, uint32_t index,
		      struct ib_uverbs_gid_entry *e)
{
	const struct ud_gid *gid = &dev->gids[index];

	memset(e, 0, sizeof(*e));
	memcpy(e->gid, gid->raw, sizeof(e->gid));
	e->gid_index = index;
	e->port_num = 1;
	if (gid->type == UD_GID_TYPE_ROCE_V2)
		e->gid_type = IB_UVERBS_GID_TYPE_ROCE_V2;
	else if (dev->port.link_layer == IBV_LINK_LAYER_ETHERNET)
		e->gid_type = IB_UVERBS_GID_TYPE_ROCE_V1;
	else
		e->gid_type = IB_UVERBS_GID_TYPE_IB;
	e->netdev_ifindex = gid->ndev_ifindex;
}

/* The GID table's size (the port's gid_tbl_len, at most what we hold). */
static uint32_t gid_table_len(const struct ud_device *dev)
{
	return dev->port.gid_tbl_len < UODPD_GID_TBL_LEN ?
	       dev->port.gid_tbl_len : UODPD_GID_TBL_LEN;
}

static const struct ud_attr_spec query_gid_table_attrs[] = {
	UD_ATTR_CONST(UVERBS_ATTR_QUERY_GID_TABLE_ENTRY_SIZE, true),
	UD_ATTR_FLAGS(UVERBS_ATTR_QUERY_GID_TABLE_FLAGS, false),
	{ UVERBS_ATTR_QUERY_GID_TABLE_RESP_ENTRIES, UD_ATTR_PTR_OUT, true, 0,
	  UD_PTR_MAX },
	UD_ATTR_OUT_TYPE(UVERBS_ATTR_QUERY_GID_TABLE_RESP_NUM_ENTRIES,
			 uint64_t, true),
};

static int query_gid_table(struct ud_call *c, struct ud_ufile *f,
			   const struct ud_ioctl_cmd *cmd)
{
	const struct ud_ioctl_attr *out =
		ud_ioctl_attr(cmd, UVERBS_ATTR_QUERY_GID_TABLE_RESP_ENTRIES);
	struct ib_uverbs_gid_entry e;
	uint64_t flags, size, num = 0, max;
	size_t copy;
	uint32_t i;
	uint8_t *buf;
	int ret;

	ret = ud_ioctl_get_flags(cmd, UVERBS_ATTR_QUERY_GID_TABLE_FLAGS, 0,
				 &flags);
	if (!ret)
		ret = ud_ioctl_get_const(cmd,
					 UVERBS_ATTR_QUERY_GID_TABLE_ENTRY_SIZE,
					 UINT64_MAX, &size);
	if (ret)
		return ret;
	/* uverbs_attr_ptr_get_array_size: whole entries, at least one. */
	if (!size || out->len % size || !(max = out->len / size))
		return -EINVAL;
	copy = size < sizeof(e) ? size : sizeof(e);
	buf = calloc(1, out->len ? out->len : 1);
	if (!buf)
		return -ENOMEM;
	/* rdma_query_gid_table: more valid GIDs than room is EINVAL. */
	for (i = 0, ret = 0; i < gid_table_len(f->dev) && !ret; i++) {
		if (!f->dev->gids[i].valid)
			continue;
		if (num >= max) {
			ret = -EINVAL;
			break;
		}
		gid_entry(f->dev, i, &e);
		memcpy(buf + num * size, &e, copy);
		num++;
	}
	if (!ret)
		ret = ud_ioctl_write_out(c, cmd, out, buf, num * size);
	free(buf);
	if (ret)
		return ret;
	return ud_ioctl_write_out(c, cmd,
				  ud_ioctl_attr(cmd,
					UVERBS_ATTR_QUERY_GID_TABLE_RESP_NUM_ENTRIES),
				  &num, sizeof(num));
}

static int query_gid_entry(struct ud_call *c, struct ud_ufile *f,
			   const struct ud_ioctl_cmd *cmd)
{
	struct ib_uverbs_gid_entry e;
	uint64_t flags, port, index;
	int ret;

	ret = ud_ioctl_get_flags(cmd, UVERBS_ATTR_QUERY_GID_ENTRY_FLAGS, 0,
				 &flags);
	if (!ret)
		ret = ud_ioctl_get_const(cmd, UVERBS_ATTR_QUERY_GID_ENTRY_PORT,
					 UINT32_MAX, &port);
	if (!ret)
		ret = ud_ioctl_get_const(cmd,
					 UVERBS_ATTR_QUERY_GID_ENTRY_GID_INDEX,
					 UINT32_MAX, &index);
	if (ret)
		return ret;
	/* rdma_get_gid_attr: EINVAL out of the table, ENODATA empty. */
	if (!port_valid(f->dev, port) || index >= gid_table_len(f->dev))
		return -EINVAL;
	if (!f->dev->gids[index].valid)
		return -ENODATA;
	gid_entry(f->dev, (uint32_t)index, &e);
	return ud_ioctl_write_struct(c, cmd,
				     ud_ioctl_attr(cmd,
					UVERBS_ATTR_QUERY_GID_ENTRY_RESP_ENTRY),
				     &e, sizeof(e));
}

/* ---- INFO_HANDLES ---- */

static const struct ud_attr_spec info_handles_attrs[] = {
	UD_ATTR_CONST(UVERBS_ATTR_INFO_OBJECT_ID, true),
	UD_ATTR_OUT_TYPE(UVERBS_ATTR_INFO_TOTAL_HANDLES, uint32_t, false),
	{ UVERBS_ATTR_INFO_HANDLES_LIST, UD_ATTR_PTR_OUT, false,
	  sizeof(uint32_t), UD_PTR_MAX },
};

/* uapi_get_object: the core's objects and the driver's we serve. */
static bool known_object(uint64_t id)
{
	unsigned int i;

	if (id <= UVERBS_OBJECT_ASYNC_EVENT)
		return true;
	for (i = 0; i < ud_ioctl_nmethods; i++)
		if (ud_ioctl_methods[i].object == id)
			return true;
	for (i = 0; i < ud_odp_nmethods; i++)
		if (ud_odp_methods[i].object == id)
			return true;
	return false;
}

/* The context's handles of one type, up to max of them: how many. */
static uint32_t gather_handles(struct ud_ctx *ctx, uint64_t object,
			       uint32_t *h, uint32_t max)
{
	struct ud_pd *pd;
	struct ud_mr *mr;
	struct ud_cq *cq;
	struct ud_srq *srq;
	struct ud_qp *qp;
	uint32_t n = 0, i;

	switch (object) {
	case UVERBS_OBJECT_PD:
		list_for_each(&ctx->pds, pd, struct ud_pd, ctx_link)
			if (n < max)
				h[n++] = pd->pdn;
		break;
	case UVERBS_OBJECT_MR:
		list_for_each(&ctx->mrs, mr, struct ud_mr, ctx_link)
			if (n < max)
				h[n++] = mr->key;
		break;
	case UVERBS_OBJECT_CQ:
		list_for_each(&ctx->cqs, cq, struct ud_cq, ctx_link)
			if (n < max)
				h[n++] = cq->cqn;
		break;
	case UVERBS_OBJECT_SRQ:
		list_for_each(&ctx->srqs, srq, struct ud_srq, ctx_link)
			if (n < max)
				h[n++] = srq->srqn;
		break;
	case UVERBS_OBJECT_QP:
		list_for_each(&ctx->qps, qp, struct ud_qp, ctx_link)
			if (n < max)
				h[n++] = qp->qpn;
		break;
	case UVERBS_OBJECT_XRCD:
		for (i = 0; i < ctx->nxrcds && n < max; i++)
			h[n++] = ctx->xrcds[i];
		break;
	}
	return n;
}

static int info_handles(struct ud_call *c, struct ud_ufile *f,
			const struct ud_ioctl_cmd *cmd)
{
	const struct ud_ioctl_attr *list =
		ud_ioctl_attr(cmd, UVERBS_ATTR_INFO_HANDLES_LIST);
	const struct ud_ioctl_attr *total =
		ud_ioctl_attr(cmd, UVERBS_ATTR_INFO_TOTAL_HANDLES);
	uint64_t object;
	uint32_t *h, n;
	int ret;

	/* Optional in the spec, but the handler needs room (EINVAL). */
	if (!list || list->len % sizeof(*h))
		return -EINVAL;
	ret = ud_ioctl_get_const(cmd, UVERBS_ATTR_INFO_OBJECT_ID, UINT16_MAX,
				 &object);
	if (ret)
		return ret;
	if (!known_object(object))
		return -EINVAL;
	h = calloc(1, list->len);
	if (!h)
		return -ENOMEM;
	n = f->ctx ? gather_handles(f->ctx, object, h,
				    list->len / sizeof(*h)) : 0;
	ret = ud_ioctl_write_out(c, cmd, list, h, n * sizeof(*h));
	free(h);
	if (ret)
		return ret;
	/* uverbs_copy_to of an absent attribute: the kernel says ENOENT. */
	if (!total)
		return -ENOENT;
	return ud_ioctl_write_out(c, cmd, total, &n, sizeof(n));
}

/* ---- INVOKE_WRITE ---- */

static const struct ud_attr_spec invoke_write_attrs[] = {
	UD_ATTR_CONST(UVERBS_ATTR_WRITE_CMD, true),
	{ UVERBS_ATTR_CORE_IN, UD_ATTR_PTR_IN, false, sizeof(uint32_t),
	  UD_WRITE_MAX_LEN },
	{ UVERBS_ATTR_CORE_OUT, UD_ATTR_PTR_OUT, false, 0, UD_PTR_MAX },
	UD_ATTR_UHW_IN(UD_WRITE_MAX_LEN),
	UD_ATTR_UHW_OUT,
};

/* Whether n bytes at p are all zero. */
static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/*
 * The command's bytes as the write handlers take them: the core request
 * (as uverbs_request: what is missing reads as zero, what is beyond the
 * request must be zero, EOPNOTSUPP) and the driver data.
 */
static int invoke_request(struct ud_call *c, const struct ud_ioctl_attr *in,
			  const struct ud_ioctl_attr *uhw, uint8_t *core,
			  uint8_t *udata, struct ud_write_cmd *wcmd)
{
	if (in && ud_ioctl_read_in(c, in, core))
		return -EFAULT;
	if (in && in->len > wcmd->desc->req_size &&
	    !all_zero(core + wcmd->desc->req_size,
		      in->len - wcmd->desc->req_size))
		return -EOPNOTSUPP;
	if (uhw && ud_ioctl_read_in(c, uhw, udata))
		return -EFAULT;
	wcmd->core = core;
	wcmd->udata = udata;
	wcmd->udata_len = uhw ? uhw->len : 0;
	return 0;
}

static int invoke_write(struct ud_call *c, struct ud_ufile *f,
			const struct ud_ioctl_cmd *cmd)
{
	const struct ud_ioctl_attr *in = ud_ioctl_attr(cmd, UVERBS_ATTR_CORE_IN);
	const struct ud_ioctl_attr *out =
		ud_ioctl_attr(cmd, UVERBS_ATTR_CORE_OUT);
	const struct ud_ioctl_attr *uhw_in =
		ud_ioctl_attr(cmd, UVERBS_ATTR_UHW_IN);
	const struct ud_ioctl_attr *uhw_out =
		ud_ioctl_attr(cmd, UVERBS_ATTR_UHW_OUT);
	_Alignas(8) uint8_t core[UD_WRITE_MAX_LEN] = { 0 };
	_Alignas(8) uint8_t udata[UD_WRITE_MAX_LEN];
	struct ud_write_cmd wcmd;
	uint64_t command;
	int ret;

	ret = ud_ioctl_get_const(cmd, UVERBS_ATTR_WRITE_CMD, UINT32_MAX,
				 &command);
	if (ret)
		return ret;
	ret = ud_write_decode_invoke(ud_write_cmds, ud_write_ex_cmds, command,
				     in ? in->len : 0, out ? out->len : 0,
				     &wcmd);
	if (!ret)
		ret = invoke_request(c, in, uhw_in, core, udata, &wcmd);
	if (ret)
		return ret;
	/* The responses go to their attributes, not through the request. */
	if (out) {
		wcmd.response = out->data;
		wcmd.response_len = wcmd.resp_core_len = out->len;
	}
	if (uhw_out) {
		wcmd.drv_response = uhw_out->data;
		wcmd.drv_response_len = uhw_out->len;
	}
	if (wcmd.desc->needs_context && !f->ctx)
		return -EINVAL;
	ud_dbg("command fd %u: write command %#x by ioctl", f->id,
	       wcmd.command);
	ret = wcmd.desc->fn(c, f, &wcmd);
	if (ret)
		return ret;
	/* What the handler wrote is valid, as the kernel flags it. */
	if (out && ud_ioctl_write_out(c, cmd, out, NULL, 0))
		return -EFAULT;
	if (uhw_out && ud_ioctl_write_out(c, cmd, uhw_out, NULL, 0))
		return -EFAULT;
	return 0;
}

/* ---- UVERBS_OBJECT_ASYNC_EVENT ---- */

static const struct ud_attr_spec async_event_alloc_attrs[] = {
	{ UVERBS_ATTR_ASYNC_EVENT_ALLOC_FD_HANDLE, UD_ATTR_NEW_FD, true, 0,
	  0 },
};

/*
 * The context's one async event pipe, as the write GET_CONTEXT hands it
 * out (every allocation is another reader of it).
 */
static int async_event_alloc(struct ud_call *c, struct ud_ufile *f,
			     const struct ud_ioctl_cmd *cmd)
{
	return ud_ioctl_install_fd(c, cmd, &cmd->attrs[0], f->ctx->async_rfd);
}

const struct ud_ioctl_desc ud_device_methods[] = {
	UD_IOCTL_METHOD_NOCTX(UVERBS_OBJECT_DEVICE, UVERBS_METHOD_GET_CONTEXT,
			      get_context, get_context_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_DEVICE, UVERBS_METHOD_QUERY_CONTEXT,
			query_context, query_context_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_DEVICE, UVERBS_METHOD_QUERY_PORT,
			query_port, query_port_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_DEVICE, UVERBS_METHOD_QUERY_GID_TABLE,
			query_gid_table, query_gid_table_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_DEVICE, UVERBS_METHOD_QUERY_GID_ENTRY,
			query_gid_entry, query_gid_entry_attrs),
	UD_IOCTL_METHOD_NOCTX(UVERBS_OBJECT_DEVICE, UVERBS_METHOD_INFO_HANDLES,
			      info_handles, info_handles_attrs),
	UD_IOCTL_METHOD_NOCTX(UVERBS_OBJECT_DEVICE,
			      UVERBS_METHOD_INVOKE_WRITE, invoke_write,
			      invoke_write_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_ASYNC_EVENT,
			UVERBS_METHOD_ASYNC_EVENT_ALLOC, async_event_alloc,
			async_event_alloc_attrs),
};

const unsigned int ud_device_nmethods = ARRAY_SIZE(ud_device_methods);
