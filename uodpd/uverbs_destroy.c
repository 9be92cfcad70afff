// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The DESTROY methods of the core objects, which libibverbs tries before
 * the write commands DEALLOC_PD, DEREG_MR, CLOSE_XRCD, DESTROY_CQ,
 * DESTROY_QP and DESTROY_SRQ: an IDR attribute with UVERBS_ACCESS_DESTROY
 * and, for the objects with events, a PTR_OUT of the events the process
 * read (uverbs_std_types_{cq,qp,srq}.c).  As the kernel does, the object
 * goes first and its counts are written after: a bad response buffer
 * loses only them (EFAULT).  Handles are the device numbers; another
 * context's or a stale one is not found (ENOENT), a used one EBUSY.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "ctl.h"
#include "uverbs.h"

/* The method's handle attribute is its first. */
static uint32_t handle_of(const struct ud_ioctl_cmd *cmd)
{
	return (uint32_t)cmd->attrs[0].data;
}

/* ---- objects without a response: uverbs_destroy_def_handler ---- */

static const struct ud_attr_spec pd_destroy_attrs[] = {
	{ UVERBS_ATTR_DESTROY_PD_HANDLE, UD_ATTR_IDR, true, 0, 0 },
};

static int pd_destroy(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_ioctl_cmd *cmd)
{
	return ud_uverbs_destroy(f, c->d, ud_cmd_dealloc_pd, handle_of(cmd),
				 NULL);
}

static const struct ud_attr_spec mr_destroy_attrs[] = {
	{ UVERBS_ATTR_DESTROY_MR_HANDLE, UD_ATTR_IDR, true, 0, 0 },
};

static int mr_destroy(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_ioctl_cmd *cmd)
{
	return ud_uverbs_destroy(f, c->d, ud_cmd_dereg_mr, handle_of(cmd),
				 NULL);
}

static const struct ud_attr_spec xrcd_destroy_attrs[] = {
	{ UVERBS_ATTR_DESTROY_XRCD_HANDLE, UD_ATTR_IDR, true, 0, 0 },
};

static int xrcd_destroy(struct ud_call *c, struct ud_ufile *f,
			const struct ud_ioctl_cmd *cmd)
{
	return ud_uverbs_destroy(f, c->d, ud_cmd_close_xrcd, handle_of(cmd),
				 NULL);
}

/* ---- objects with events: the counts in the response ---- */

static const struct ud_attr_spec cq_destroy_attrs[] = {
	{ UVERBS_ATTR_DESTROY_CQ_HANDLE, UD_ATTR_IDR, true, 0, 0 },
	UD_ATTR_OUT_TYPE(UVERBS_ATTR_DESTROY_CQ_RESP,
			 struct ib_uverbs_destroy_cq_resp, true),
};

static int cq_destroy(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_ioctl_cmd *cmd)
{
	struct ib_uverbs_destroy_cq_resp resp;
	struct ud_destroy_cq_resp out;
	int ret;

	ret = ud_uverbs_destroy(f, c->d, ud_cmd_destroy_cq, handle_of(cmd),
				&out);
	if (ret)
		return ret;
	resp.comp_events_reported = out.comp_events_reported;
	resp.async_events_reported = out.async_events_reported;
	return ud_ioctl_write_out(c, cmd, &cmd->attrs[1], &resp,
				  sizeof(resp));
}

/* QP and SRQ: struct ib_uverbs_destroy_{qp,srq}_resp, one u32 each. */
static int destroy_reporting(struct ud_call *c, struct ud_ufile *f,
			     const struct ud_ioctl_cmd *cmd,
			     int (*fn)(struct ud_cmd *))
{
	struct ud_destroy_resp out;
	uint32_t events_reported;
	int ret;

	ret = ud_uverbs_destroy(f, c->d, fn, handle_of(cmd), &out);
	if (ret)
		return ret;
	events_reported = out.events_reported;
	return ud_ioctl_write_out(c, cmd, &cmd->attrs[1], &events_reported,
				  sizeof(events_reported));
}

static const struct ud_attr_spec qp_destroy_attrs[] = {
	{ UVERBS_ATTR_DESTROY_QP_HANDLE, UD_ATTR_IDR, true, 0, 0 },
	UD_ATTR_OUT_TYPE(UVERBS_ATTR_DESTROY_QP_RESP,
			 struct ib_uverbs_destroy_qp_resp, true),
};

static int qp_destroy(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_ioctl_cmd *cmd)
{
	return destroy_reporting(c, f, cmd, ud_cmd_destroy_qp);
}

static const struct ud_attr_spec srq_destroy_attrs[] = {
	{ UVERBS_ATTR_DESTROY_SRQ_HANDLE, UD_ATTR_IDR, true, 0, 0 },
	UD_ATTR_OUT_TYPE(UVERBS_ATTR_DESTROY_SRQ_RESP,
			 struct ib_uverbs_destroy_srq_resp, true),
};

static int srq_destroy(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_ioctl_cmd *cmd)
{
	return destroy_reporting(c, f, cmd, ud_cmd_destroy_srq);
}

const struct ud_ioctl_desc ud_destroy_methods[] = {
	UD_IOCTL_METHOD(UVERBS_OBJECT_PD, UVERBS_METHOD_PD_DESTROY,
			pd_destroy, pd_destroy_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_MR, UVERBS_METHOD_MR_DESTROY,
			mr_destroy, mr_destroy_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_XRCD, UVERBS_METHOD_XRCD_DESTROY,
			xrcd_destroy, xrcd_destroy_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_CQ, UVERBS_METHOD_CQ_DESTROY,
			cq_destroy, cq_destroy_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_QP, UVERBS_METHOD_QP_DESTROY,
			qp_destroy, qp_destroy_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_SRQ, UVERBS_METHOD_SRQ_DESTROY,
			srq_destroy, srq_destroy_attrs),
};

const unsigned int ud_destroy_nmethods = ARRAY_SIZE(ud_destroy_methods);
