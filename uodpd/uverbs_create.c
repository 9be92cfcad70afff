// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The CREATE methods of CQ, QP and SRQ, which libibverbs 44 tries before
 * the write commands CREATE_CQ, CREATE_QP and CREATE_SRQ/XSRQ, with the
 * attributes, sizes and errnos of the kernel's uverbs_std_types_cq.c,
 * _qp.c and _srq.c.  mlx5's driver data comes in UHW_IN and its answer
 * goes to UHW_OUT; the translation is the write commands' own
 * (ud_uverbs_create_cq/qp/srq), so both forms make the same object.
 *
 * The handles and fds a method names are looked up before it runs
 * (ud_ioctl_check_objects: ENOENT, EBADF), as the kernel's attribute
 * processing does; what the method then checks follows the kernel's
 * handler in its order.  The kernel writes the new handle before the
 * handler and aborts the object when a later output fails; here the
 * object is made first and destroyed again when its handle or any output
 * cannot be written, which the caller cannot tell apart.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <infiniband/verbs.h>

#include "ctl.h"
#include "uverbs.h"
#include "uverbs_create_attrs.h"

/* mlx5_ib reads what it knows of its request; none is longer. */
#define UHW_IN_HEAD 256

/* ---- helpers ---- */

/* A mandatory PTR_IN of exactly its type (the decoder checked the size). */
static int read_in(struct ud_call *c, const struct ud_ioctl_cmd *cmd,
		   uint16_t id, void *dst)
{
	return ud_ioctl_read_in(c, ud_ioctl_attr(cmd, id), dst);
}

/* The handle of an optional IDR attribute, or UD_NO_HANDLE. */
static uint32_t handle_of(const struct ud_ioctl_cmd *cmd, uint16_t id)
{
	const struct ud_ioctl_attr *a = ud_ioctl_attr(cmd, id);

	return a ? (uint32_t)a->data : UD_NO_HANDLE;
}

/* The head of UHW_IN, as create_udata hands it to the driver. */
static int read_udata(struct ud_call *c, const struct ud_ioctl_cmd *cmd,
		      uint8_t *buf, struct ud_udata *u)
{
	const struct ud_ioctl_attr *in = ud_ioctl_attr(cmd,
						       UVERBS_ATTR_UHW_IN);
	struct ud_ioctl_attr head;

	*u = (struct ud_udata){ .in = buf };
	if (!in)
		return 0;
	head = *in;
	if (head.len > UHW_IN_HEAD)
		head.len = UHW_IN_HEAD;
	if (ud_ioctl_read_in(c, &head, buf))
		return -EFAULT;
	u->inlen = head.len;
	return 0;
}

/* One output of a new object: absent is ENOENT, as uverbs_copy_to. */
struct created_out {
	uint16_t id;
	const void *src;
	size_t len;
};

/*
 * A new object's answer: its handle into the NEW attribute, the outputs,
 * then the driver's answer in UHW_OUT (flagged valid even when the driver
 * wrote nothing, as ib_uverbs_run_method does).  Nobody can know an object
 * whose answer was lost, so it is destroyed again (the kernel aborts the
 * uobject) and the error returned.
 */
static int answer_created(struct ud_call *c, struct ud_ufile *f,
			  const struct ud_ioctl_cmd *cmd, uint16_t handle_id,
			  uint32_t handle, const struct created_out *outs,
			  unsigned int nouts, const void *drv, size_t drv_len,
			  int (*destroy)(struct ud_cmd *))
{
	const struct ud_ioctl_attr *uhw = ud_ioctl_attr(cmd,
							UVERBS_ATTR_UHW_OUT);
	const struct ud_ioctl_attr *a;
	unsigned int i;
	int ret;

	ret = ud_ioctl_set_data(c, cmd, ud_ioctl_attr(cmd, handle_id),
				handle);
	for (i = 0; !ret && i < nouts; i++) {
		a = ud_ioctl_attr(cmd, outs[i].id);
		ret = a ? ud_ioctl_write_struct(c, cmd, a, outs[i].src,
						outs[i].len) : -ENOENT;
	}
	if (!ret && uhw)
		ret = ud_ioctl_write_out(c, cmd, uhw, drv, drv_len);
	if (ret)
		ud_uverbs_destroy(f, c->d, destroy, handle, NULL);
	return ret;
}

/* ---- CQ_CREATE ---- */

static int cq_create(struct ud_call *c, struct ud_ufile *f,
		     const struct ud_ioctl_cmd *cmd)
{
	const struct ud_ioctl_attr *channel =
		ud_ioctl_attr(cmd, UVERBS_ATTR_CREATE_CQ_COMP_CHANNEL);
	struct ud_cq_create req = { .comp_channel = -1 };
	_Alignas(8) uint8_t udata[UHW_IN_HEAD];
	struct ud_cq_created out;
	struct created_out outs[1];
	struct ud_udata u;
	uint64_t flags;
	int ret;

	if (read_in(c, cmd, UVERBS_ATTR_CREATE_CQ_COMP_VECTOR,
		    &req.comp_vector) ||
	    read_in(c, cmd, UVERBS_ATTR_CREATE_CQ_CQE, &req.cqe) ||
	    read_in(c, cmd, UVERBS_ATTR_CREATE_CQ_USER_HANDLE,
		    &req.user_handle))
		return -EFAULT;
	ret = ud_ioctl_get_flags(cmd, UVERBS_ATTR_CREATE_CQ_FLAGS,
				 IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION |
				 IB_UVERBS_CQ_FLAGS_IGNORE_OVERRUN, &flags);
	if (ret)
		return ret;
	req.flags = (uint32_t)flags;
	if (channel)
		req.comp_channel = (int32_t)channel->data;
	ret = read_udata(c, cmd, udata, &u);
	if (!ret)
		ret = ud_uverbs_create_cq(c, f, &req, &u, &out);
	if (ret)
		return ret;
	outs[0] = (struct created_out){ UVERBS_ATTR_CREATE_CQ_RESP_CQE,
					&out.cqe, sizeof(out.cqe) };
	return answer_created(c, f, cmd, UVERBS_ATTR_CREATE_CQ_HANDLE,
			      out.cqn, outs, ARRAY_SIZE(outs), &out.drv,
			      sizeof(out.drv), ud_cmd_destroy_cq);
}

/* ---- QP_CREATE ---- */

#define QP_FLAGS_KNOWN (IB_UVERBS_QP_CREATE_BLOCK_MULTICAST_LOOPBACK | \
			IB_UVERBS_QP_CREATE_SCATTER_FCS | \
			IB_UVERBS_QP_CREATE_CVLAN_STRIPPING | \
			IB_UVERBS_QP_CREATE_PCI_WRITE_END_PADDING | \
			IB_UVERBS_QP_CREATE_SQ_SIG_ALL)

static bool has(const struct ud_ioctl_cmd *cmd, uint16_t id)
{
	return ud_ioctl_attr(cmd, id) != NULL;
}

/*
 * The handler's checks of which objects a QP type names: EINVAL for one
 * it must not name, ENOENT for one it needs (uverbs_attr_get_obj of an
 * absent attribute).
 */
static int qp_objects(const struct ud_ioctl_cmd *cmd, uint64_t type)
{
	switch (type) {
	case IB_UVERBS_QPT_XRC_TGT:
		if (has(cmd, UVERBS_ATTR_CREATE_QP_RECV_CQ_HANDLE) ||
		    has(cmd, UVERBS_ATTR_CREATE_QP_SEND_CQ_HANDLE) ||
		    has(cmd, UVERBS_ATTR_CREATE_QP_PD_HANDLE) ||
		    has(cmd, UVERBS_ATTR_CREATE_QP_IND_TABLE_HANDLE))
			return -EINVAL;
		return has(cmd, UVERBS_ATTR_CREATE_QP_XRCD_HANDLE) ? 0 :
								     -ENOENT;
	case IB_UVERBS_QPT_RAW_PACKET:
	case IB_UVERBS_QPT_RC:
	case IB_UVERBS_QPT_UC:
	case IB_UVERBS_QPT_UD:
	case IB_UVERBS_QPT_XRC_INI:
	case IB_UVERBS_QPT_DRIVER:
		if (has(cmd, UVERBS_ATTR_CREATE_QP_XRCD_HANDLE) ||
		    (has(cmd, UVERBS_ATTR_CREATE_QP_SRQ_HANDLE) &&
		     type == IB_UVERBS_QPT_XRC_INI))
			return -EINVAL;
		/* An IND_TABLE handle was not found: none get here. */
		if (!has(cmd, UVERBS_ATTR_CREATE_QP_PD_HANDLE) ||
		    !has(cmd, UVERBS_ATTR_CREATE_QP_SEND_CQ_HANDLE))
			return -ENOENT;
		if (type != IB_UVERBS_QPT_XRC_INI &&
		    !has(cmd, UVERBS_ATTR_CREATE_QP_RECV_CQ_HANDLE))
			return -ENOENT;
		return 0;
	}
	return -EINVAL;
}

/* check_creation_flags, then what this device supports of them. */
static int qp_flags(uint64_t type, uint64_t flags)
{
	flags &= ~(uint64_t)IB_UVERBS_QP_CREATE_SQ_SIG_ALL;
	if (!flags || type == IB_UVERBS_QPT_DRIVER)
		return flags ? -EOPNOTSUPP : 0;
	if (type != IB_UVERBS_QPT_RAW_PACKET && type != IB_UVERBS_QPT_UD)
		return -EINVAL;
	if (flags & (IB_UVERBS_QP_CREATE_SCATTER_FCS |
		     IB_UVERBS_QP_CREATE_CVLAN_STRIPPING) &&
	    type != IB_UVERBS_QPT_RAW_PACKET)
		return -EINVAL;
	/* mlx5_ib's answer to a flag it does not do (process_create_flags). */
	return -EOPNOTSUPP;
}

/* An SRQ goes with XRC target QPs exactly when it is an XRC SRQ. */
static int qp_srq(struct ud_call *c, struct ud_ufile *f, uint32_t srqn,
		  uint64_t type)
{
	struct ud_srq *srq;

	if (srqn == UD_NO_HANDLE)
		return 0;
	srq = ud_ctx_srq(c->d, f->ctx, srqn);
	if (!srq)
		return -ENOENT;
	return (srq->type == IBV_SRQT_XRC) != (type == IB_UVERBS_QPT_XRC_TGT) ?
	       -EINVAL : 0;
}

static int qp_create(struct ud_call *c, struct ud_ufile *f,
		     const struct ud_ioctl_cmd *cmd)
{
	struct ud_qp_create req = { 0 };
	_Alignas(8) uint8_t udata[UHW_IN_HEAD];
	struct ud_qp_created out;
	struct created_out outs[2];
	uint64_t type, flags;
	struct ud_udata u;
	int ret;

	ret = ud_ioctl_read_struct(c,
			ud_ioctl_attr(cmd, UVERBS_ATTR_CREATE_QP_CAP),
			&req.cap, sizeof(req.cap));
	if (!ret && read_in(c, cmd, UVERBS_ATTR_CREATE_QP_USER_HANDLE,
			    &req.user_handle))
		ret = -EFAULT;
	if (!ret)
		ret = ud_ioctl_get_const(cmd, UVERBS_ATTR_CREATE_QP_TYPE,
					 UINT32_MAX, &type);
	if (!ret)
		ret = qp_objects(cmd, type);
	if (!ret)
		ret = ud_ioctl_get_flags(cmd, UVERBS_ATTR_CREATE_QP_FLAGS,
					 QP_FLAGS_KNOWN, &flags);
	if (!ret)
		ret = qp_flags(type, flags);
	if (ret)
		return ret;
	/* A source QPN makes an underlay QP, which this device has not. */
	if (has(cmd, UVERBS_ATTR_CREATE_QP_SOURCE_QPN))
		return -EOPNOTSUPP;
	req.qp_type = (uint32_t)type;
	req.sq_sig_all = flags & IB_UVERBS_QP_CREATE_SQ_SIG_ALL;
	req.pdn = handle_of(cmd, UVERBS_ATTR_CREATE_QP_PD_HANDLE);
	req.xrcdn = handle_of(cmd, UVERBS_ATTR_CREATE_QP_XRCD_HANDLE);
	req.send_cqn = handle_of(cmd, UVERBS_ATTR_CREATE_QP_SEND_CQ_HANDLE);
	req.recv_cqn = handle_of(cmd, UVERBS_ATTR_CREATE_QP_RECV_CQ_HANDLE);
	req.srqn = handle_of(cmd, UVERBS_ATTR_CREATE_QP_SRQ_HANDLE);
	ret = qp_srq(c, f, req.srqn, type);
	if (!ret)
		ret = read_udata(c, cmd, udata, &u);
	if (!ret)
		ret = ud_uverbs_create_qp(c, f, &req, &u, &out);
	if (ret)
		return ret;
	outs[0] = (struct created_out){ UVERBS_ATTR_CREATE_QP_RESP_CAP,
					&out.cap, sizeof(out.cap) };
	outs[1] = (struct created_out){ UVERBS_ATTR_CREATE_QP_RESP_QP_NUM,
					&out.qpn, sizeof(out.qpn) };
	return answer_created(c, f, cmd, UVERBS_ATTR_CREATE_QP_HANDLE,
			      out.qpn, outs, ARRAY_SIZE(outs), &out.drv,
			      sizeof(out.drv), ud_cmd_destroy_qp);
}

/* ---- SRQ_CREATE ---- */

/* The objects an SRQ type needs: the CQ first, then what the type adds. */
static int srq_objects(const struct ud_ioctl_cmd *cmd, uint64_t type)
{
	if ((type == IB_UVERBS_SRQT_XRC || type == IB_UVERBS_SRQT_TM) &&
	    !has(cmd, UVERBS_ATTR_CREATE_SRQ_CQ_HANDLE))
		return -ENOENT;
	switch (type) {
	case IB_UVERBS_SRQT_XRC:
		return has(cmd, UVERBS_ATTR_CREATE_SRQ_XRCD_HANDLE) ? 0 :
								      -ENOENT;
	case IB_UVERBS_SRQT_TM:
		return has(cmd, UVERBS_ATTR_CREATE_SRQ_MAX_NUM_TAGS) ? 0 :
								       -ENOENT;
	case IB_UVERBS_SRQT_BASIC:
		return 0;
	}
	return -EINVAL;
}

static int srq_create(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_ioctl_cmd *cmd)
{
	_Alignas(8) uint8_t udata[UHW_IN_HEAD];
	struct ud_create_srq_req k = { 0 };
	uint32_t max_wr, max_sge, limit;
	struct created_out outs[3];
	struct ud_srq_created out;
	struct ud_udata u;
	uint64_t type;
	bool xrc;
	int ret;

	if (read_in(c, cmd, UVERBS_ATTR_CREATE_SRQ_MAX_SGE, &max_sge) ||
	    read_in(c, cmd, UVERBS_ATTR_CREATE_SRQ_MAX_WR, &max_wr) ||
	    read_in(c, cmd, UVERBS_ATTR_CREATE_SRQ_LIMIT, &limit) ||
	    read_in(c, cmd, UVERBS_ATTR_CREATE_SRQ_USER_HANDLE,
		    &k.user_handle))
		return -EFAULT;
	ret = ud_ioctl_get_const(cmd, UVERBS_ATTR_CREATE_SRQ_TYPE, UINT32_MAX,
				 &type);
	if (!ret)
		ret = srq_objects(cmd, type);
	if (ret)
		return ret;
	/* The kernel reads the CQ and XRCD only for the types that have them. */
	xrc = type == IB_UVERBS_SRQT_XRC;
	k.srq_type = (uint32_t)type;
	k.pdn = handle_of(cmd, UVERBS_ATTR_CREATE_SRQ_PD_HANDLE);
	k.cqn = xrc ? handle_of(cmd, UVERBS_ATTR_CREATE_SRQ_CQ_HANDLE) :
		      UD_NO_HANDLE;
	k.xrcdn = xrc ? handle_of(cmd, UVERBS_ATTR_CREATE_SRQ_XRCD_HANDLE) :
			UD_NO_HANDLE;
	k.srq_limit = limit;
	/* Tag matching is mlx5's; this device has none. */
	if (type == IB_UVERBS_SRQT_TM)
		return -EOPNOTSUPP;
	ret = read_udata(c, cmd, udata, &u);
	if (!ret)
		ret = ud_uverbs_create_srq(c, f, &u, max_wr, max_sge, &k, &out);
	if (ret)
		return ret;
	outs[0] = (struct created_out){ UVERBS_ATTR_CREATE_SRQ_RESP_MAX_WR,
					&out.max_wr, sizeof(out.max_wr) };
	outs[1] = (struct created_out){ UVERBS_ATTR_CREATE_SRQ_RESP_MAX_SGE,
					&out.max_sge, sizeof(out.max_sge) };
	/* Only an XRC SRQ answers its number (absent: ENOENT, undone). */
	outs[2] = (struct created_out){ UVERBS_ATTR_CREATE_SRQ_RESP_SRQ_NUM,
					&out.srqn, sizeof(out.srqn) };
	return answer_created(c, f, cmd, UVERBS_ATTR_CREATE_SRQ_HANDLE,
			      out.srqn, outs, xrc ? 3 : 2, &out.drv,
			      sizeof(out.drv), ud_cmd_destroy_srq);
}

const struct ud_ioctl_desc ud_create_methods[] = {
	UD_IOCTL_METHOD(UVERBS_OBJECT_CQ, UVERBS_METHOD_CQ_CREATE, cq_create,
			cq_create_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_QP, UVERBS_METHOD_QP_CREATE, qp_create,
			qp_create_attrs),
	UD_IOCTL_METHOD(UVERBS_OBJECT_SRQ, UVERBS_METHOD_SRQ_CREATE,
			srq_create, srq_create_attrs),
};

const unsigned int ud_create_nmethods = ARRAY_SIZE(ud_create_methods);
