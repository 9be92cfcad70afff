// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The QP, SRQ and XRCD commands of the command fd: kernel requests
 * (<rdma/ib_user_verbs.h>, mlx5's driver data) turned into the device's own
 * operations (ctl_qp.c, ctl_srq.c, ctl_xrcd.c) and their answers turned
 * back.  Handles are the device numbers (QPN, SRQN, XRCD number); handle 0
 * is "none" where the kernel ABI allows it, no object has number 0.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <infiniband/verbs.h>

#include "ctl.h"
#include "hw/mlx5/wqe.h"
#include "rdma/uodp-emu-abi.h"
#include "uverbs.h"

/* destroy_reporting() answers both with one u32. */
static_assert(sizeof(struct ib_uverbs_destroy_qp_resp) == sizeof(uint32_t) &&
	      sizeof(struct ib_uverbs_destroy_srq_resp) == sizeof(uint32_t),
	      "destroy responses");

static uint32_t handle_or_none(uint32_t handle)
{
	return handle ? handle : UD_NO_HANDLE;
}

/* ---- QP ---- */

int ud_uverbs_create_qp(struct ud_call *c, struct ud_ufile *f,
			const struct ud_qp_create *req,
			const struct ud_udata *u, struct ud_qp_created *out)
{
	struct mlx5_ib_create_qp drv;
	struct ud_create_qp_resp res;
	struct ud_create_qp_req k;
	int fd, ret;

	/*
	 * Even an XRC target QP (which ib_uverbs makes without driver data)
	 * takes mlx5's: its queue counts must say it has no queues, and a
	 * queue memfd offered for it is refused (EBADF).
	 */
	if (ud_uverbs_udata(u, &drv, sizeof(drv)))
		return -EINVAL;
	k = (struct ud_create_qp_req){
		.user_handle = req->user_handle,
		.qp_type = req->qp_type,
		.flags = req->sq_sig_all ? UD_QP_SQ_SIG_ALL : 0,
		.pdn = req->pdn,
		.xrcdn = req->xrcdn,
		.send_cqn = req->send_cqn,
		.recv_cqn = req->recv_cqn,
		.srqn = req->srqn,
		.sq_wqe_cnt = drv.sq_wqe_count,
		.rq_wqe_cnt = drv.rq_wqe_count,
		.rq_wqe_shift = drv.rq_wqe_shift,
		.max_send_sge = req->cap.max_send_sge,
		.max_recv_sge = req->cap.max_recv_sge,
		.max_inline_data = req->cap.max_inline_data,
	};
	ret = ud_uverbs_queue_mem(c, u,
				  offsetof(struct uodp_create_qp_drv, qmem),
				  drv.buf_addr, drv.db_addr, &k.mem, &fd);
	if (ret)
		return ret;
	ret = ud_uverbs_run(f, c->d, ud_cmd_create_qp, &k, sizeof(k), &res,
			    fd);
	if (ret)
		return ret;
	*out = (struct ud_qp_created){
		.qpn = res.qpn,
		.cap = req->cap,
	};
	return 0;
}

int ud_wcmd_create_qp(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_create_qp *req = (const void *)cmd->core;
	bool xrc_recv = req->qp_type == IBV_QPT_XRC_RECV;
	struct ud_qp_create k = {
		.user_handle = req->user_handle,
		.qp_type = req->qp_type,
		/* XRC_RECV names its XRCD where others name their PD. */
		.pdn = xrc_recv ? UD_NO_HANDLE : req->pd_handle,
		.xrcdn = xrc_recv ? req->pd_handle : UD_NO_HANDLE,
		.send_cqn = handle_or_none(req->send_cq_handle),
		.recv_cqn = handle_or_none(req->recv_cq_handle),
		.srqn = req->is_srq ? req->srq_handle : UD_NO_HANDLE,
		.cap = {
			.max_send_wr = req->max_send_wr,
			.max_recv_wr = req->max_recv_wr,
			.max_send_sge = req->max_send_sge,
			.max_recv_sge = req->max_recv_sge,
			.max_inline_data = req->max_inline_data,
		},
		.sq_sig_all = req->sq_sig_all,
	};
	struct ud_udata u = ud_write_udata(cmd);
	struct ib_uverbs_create_qp_resp resp;
	struct ud_qp_created out;
	int ret;

	ret = ud_uverbs_create_qp(c, f, &k, &u, &out);
	if (ret)
		return ret;
	resp = (struct ib_uverbs_create_qp_resp){
		.qp_handle = out.qpn,
		.qpn = out.qpn,
		.max_send_wr = out.cap.max_send_wr,
		.max_recv_wr = out.cap.max_recv_wr,
		.max_send_sge = out.cap.max_send_sge,
		.max_recv_sge = out.cap.max_recv_sge,
		.max_inline_data = out.cap.max_inline_data,
	};
	return ud_uverbs_respond_created(c, f, cmd, &resp, sizeof(resp),
					 &out.drv, sizeof(out.drv),
					 ud_cmd_destroy_qp, out.qpn);
}

static void dest_to_ah(const struct ib_uverbs_qp_dest *d,
		       struct ud_ah_attr *ah)
{
	memcpy(ah->dgid, d->dgid, sizeof(ah->dgid));
	ah->flow_label = d->flow_label;
	ah->dlid = d->dlid;
	ah->sgid_index = d->sgid_index;
	ah->hop_limit = d->hop_limit;
	ah->traffic_class = d->traffic_class;
	ah->sl = d->sl;
	ah->is_global = d->is_global;
	ah->port_num = d->port_num;
	ah->static_rate = d->static_rate;
}

static void ah_to_dest(const struct ud_ah_attr *ah,
		       struct ib_uverbs_qp_dest *d)
{
	memcpy(d->dgid, ah->dgid, sizeof(d->dgid));
	d->flow_label = ah->flow_label;
	d->dlid = ah->dlid;
	d->sgid_index = ah->sgid_index;
	d->hop_limit = ah->hop_limit;
	d->traffic_class = ah->traffic_class;
	d->sl = ah->sl;
	d->is_global = ah->is_global;
	d->port_num = ah->port_num;
	d->static_rate = ah->static_rate;
}

int ud_wcmd_modify_qp(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_modify_qp *req = (const void *)cmd->core;
	struct ud_modify_qp_req k = {
		.qpn = req->qp_handle,
		.attr_mask = req->attr_mask,
		.attr = {
			.qp_state = req->qp_state,
			.cur_qp_state = req->cur_qp_state,
			.path_mtu = req->path_mtu,
			.qkey = req->qkey,
			.rq_psn = req->rq_psn,
			.sq_psn = req->sq_psn,
			.dest_qp_num = req->dest_qp_num,
			.qp_access_flags = req->qp_access_flags,
			.pkey_index = req->pkey_index,
			.max_rd_atomic = req->max_rd_atomic,
			.max_dest_rd_atomic = req->max_dest_rd_atomic,
			.min_rnr_timer = req->min_rnr_timer,
			.port_num = req->port_num,
			.timeout = req->timeout,
			.retry_cnt = req->retry_cnt,
			.rnr_retry = req->rnr_retry,
			.en_sqd_async_notify = req->en_sqd_async_notify,
		},
	};

	dest_to_ah(&req->dest, &k.attr.ah_attr);
	/* Asked only when it matters: it reads the caller's /proc status. */
	if ((req->attr_mask & IBV_QP_QKEY) &&
	    (req->qkey & UD_QKEY_CONTROLLED) &&
	    ud_call_capable(c, CAP_NET_RAW))
		k.flags |= UD_MODIFY_QP_PRIVILEGED_QKEY;
	return ud_uverbs_run(f, c->d, ud_cmd_modify_qp, &k, sizeof(k), NULL,
			     -1);
}

int ud_wcmd_query_qp(struct ud_call *c, struct ud_ufile *f,
		     const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_query_qp *req = (const void *)cmd->core;
	struct ud_handle_req k = { .handle = req->qp_handle };
	struct ib_uverbs_query_qp_resp resp = { 0 };
	struct ud_query_qp_resp out;
	const struct ud_qp_attr *a = &out.attr;
	int ret;

	ret = ud_uverbs_run(f, c->d, ud_cmd_query_qp, &k, sizeof(k), &out,
			    -1);
	if (ret)
		return ret;
	ah_to_dest(&a->ah_attr, &resp.dest);
	resp.max_send_wr = out.max_send_wr;
	resp.max_recv_wr = out.max_recv_wr;
	resp.max_send_sge = out.max_send_sge;
	resp.max_recv_sge = out.max_recv_sge;
	resp.max_inline_data = out.max_inline_data;
	resp.qkey = a->qkey;
	resp.rq_psn = a->rq_psn;
	resp.sq_psn = a->sq_psn;
	resp.dest_qp_num = a->dest_qp_num;
	resp.qp_access_flags = a->qp_access_flags;
	resp.pkey_index = a->pkey_index;
	resp.qp_state = (uint8_t)a->qp_state;
	resp.cur_qp_state = (uint8_t)a->cur_qp_state;
	resp.path_mtu = (uint8_t)a->path_mtu;
	resp.sq_draining = a->sq_draining;
	resp.max_rd_atomic = a->max_rd_atomic;
	resp.max_dest_rd_atomic = a->max_dest_rd_atomic;
	resp.min_rnr_timer = a->min_rnr_timer;
	resp.port_num = a->port_num;
	resp.timeout = a->timeout;
	resp.retry_cnt = a->retry_cnt;
	resp.rnr_retry = a->rnr_retry;
	resp.sq_sig_all = (uint8_t)out.sq_sig_all;
	return ud_write_respond(c, cmd, &resp, sizeof(resp), NULL, 0);
}

/*
 * DESTROY_QP and DESTROY_SRQ: the object goes, and the answer says how
 * many of its async events the process read (libibverbs waits for their
 * acks); a bad response buffer only loses the count.
 */
static int destroy_reporting(struct ud_call *c, struct ud_ufile *f,
			     const struct ud_write_cmd *cmd,
			     int (*fn)(struct ud_cmd *), uint32_t handle)
{
	struct ud_destroy_resp out;
	uint32_t events_reported;
	int ret;

	ret = ud_uverbs_destroy(f, c->d, fn, handle, &out);
	if (ret)
		return ret;
	events_reported = out.events_reported;
	return ud_write_respond(c, cmd, &events_reported,
				sizeof(events_reported), NULL, 0);
}

int ud_wcmd_destroy_qp(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_destroy_qp *req = (const void *)cmd->core;

	return destroy_reporting(c, f, cmd, ud_cmd_destroy_qp, req->qp_handle);
}

/* ---- SRQ ---- */

/*
 * mlx5_ib's SRQ shape (create_srq_user): max_wr + 1 WQEs and a stride of
 * the next segment and max_sge scatter entries, each rounded up to a
 * power of two, the stride to at least 32 bytes.  max_sge stays what was
 * asked (mlx5_ib reports it back); the device reads what the stride holds.
 */
static int srq_shape(uint32_t max_wr, uint32_t max_sge,
		     struct ud_create_srq_req *k)
{
	uint64_t desc = sizeof(struct mlx5_wqe_srq_next_seg) +
			(uint64_t)max_sge * sizeof(struct mlx5_wqe_data_seg);
	uint64_t cnt = 1;
	uint32_t shift = 5;

	if (max_wr >= UD_NUM_MAX || max_sge > UD_MAX_SGE)
		return -EINVAL;
	while (cnt < (uint64_t)max_wr + 1)
		cnt <<= 1;
	while ((1ull << shift) < desc)
		shift++;
	k->wqe_cnt = (uint32_t)cnt;
	k->wqe_shift = shift;
	k->max_sge = max_sge;
	return 0;
}

int ud_uverbs_create_srq(struct ud_call *c, struct ud_ufile *f,
			 const struct ud_udata *u, uint32_t max_wr,
			 uint32_t max_sge, struct ud_create_srq_req *k,
			 struct ud_srq_created *out)
{
	struct ud_create_srq_resp res;
	struct mlx5_ib_create_srq udata;
	int fd, ret;

	if (ud_uverbs_udata(u, &udata, sizeof(udata)) ||
	    srq_shape(max_wr, max_sge, k))
		return -EINVAL;
	ret = ud_uverbs_queue_mem(c, u,
				  offsetof(struct uodp_create_srq_drv, qmem),
				  udata.buf_addr, udata.db_addr, &k->mem, &fd);
	if (ret)
		return ret;
	ret = ud_uverbs_run(f, c->d, ud_cmd_create_srq, k, sizeof(*k), &res,
			    fd);
	if (ret)
		return ret;
	*out = (struct ud_srq_created){
		.srqn = res.srqn,
		.max_wr = k->wqe_cnt - 1,
		.max_sge = k->max_sge,
		.drv = { .srqn = res.srqn },
	};
	return 0;
}

/* CREATE_SRQ and CREATE_XSRQ: one answer, struct ib_uverbs_create_srq_resp. */
static int create_srq(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_write_cmd *cmd, uint32_t max_wr,
		      uint32_t max_sge, struct ud_create_srq_req *k)
{
	struct ud_udata u = ud_write_udata(cmd);
	struct ib_uverbs_create_srq_resp resp;
	struct ud_srq_created out;
	int ret;

	ret = ud_uverbs_create_srq(c, f, &u, max_wr, max_sge, k, &out);
	if (ret)
		return ret;
	resp = (struct ib_uverbs_create_srq_resp){
		.srq_handle = out.srqn,
		.max_wr = out.max_wr,
		.max_sge = out.max_sge,
		.srqn = out.srqn,
	};
	return ud_uverbs_respond_created(c, f, cmd, &resp, sizeof(resp),
					 &out.drv, sizeof(out.drv),
					 ud_cmd_destroy_srq, out.srqn);
}

int ud_wcmd_create_srq(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_create_srq *req = (const void *)cmd->core;
	struct ud_create_srq_req k = {
		.user_handle = req->user_handle,
		.srq_type = IBV_SRQT_BASIC,
		.pdn = req->pd_handle,
		.cqn = UD_NO_HANDLE,
		.xrcdn = UD_NO_HANDLE,
		.srq_limit = req->srq_limit,
	};

	return create_srq(c, f, cmd, req->max_wr, req->max_sge, &k);
}

int ud_wcmd_create_xsrq(struct ud_call *c, struct ud_ufile *f,
			const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_create_xsrq *req = (const void *)cmd->core;
	bool xrc = req->srq_type == IBV_SRQT_XRC;
	struct ud_create_srq_req k = {
		.user_handle = req->user_handle,
		.srq_type = req->srq_type,
		.pdn = req->pd_handle,
		.cqn = xrc ? req->cq_handle : UD_NO_HANDLE,
		.xrcdn = xrc ? req->xrcd_handle : UD_NO_HANDLE,
		.srq_limit = req->srq_limit,
	};

	if (req->srq_type != IBV_SRQT_BASIC && !xrc)
		return -EOPNOTSUPP;
	return create_srq(c, f, cmd, req->max_wr, req->max_sge, &k);
}

int ud_wcmd_modify_srq(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_modify_srq *req = (const void *)cmd->core;
	struct ud_modify_srq_req k = {
		.srqn = req->srq_handle,
		.attr_mask = req->attr_mask,
		.max_wr = req->max_wr,
		.srq_limit = req->srq_limit,
	};

	return ud_uverbs_run(f, c->d, ud_cmd_modify_srq, &k, sizeof(k), NULL,
			     -1);
}

int ud_wcmd_query_srq(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_query_srq *req = (const void *)cmd->core;
	struct ud_handle_req k = { .handle = req->srq_handle };
	struct ib_uverbs_query_srq_resp resp = { 0 };
	struct ud_query_srq_resp out;
	int ret;

	ret = ud_uverbs_run(f, c->d, ud_cmd_query_srq, &k, sizeof(k), &out,
			    -1);
	if (ret)
		return ret;
	resp.max_wr = out.max_wr;
	resp.max_sge = out.max_sge;
	resp.srq_limit = out.srq_limit;
	return ud_write_respond(c, cmd, &resp, sizeof(resp), NULL, 0);
}

int ud_wcmd_destroy_srq(struct ud_call *c, struct ud_ufile *f,
			const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_destroy_srq *req = (const void *)cmd->core;

	return destroy_reporting(c, f, cmd, ud_cmd_destroy_srq,
				 req->srq_handle);
}

/* ---- XRCD ---- */

int ud_wcmd_open_xrcd(struct ud_call *c, struct ud_ufile *f,
		      const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_open_xrcd *req = (const void *)cmd->core;
	struct ud_open_xrcd_req k = { .oflags = req->oflags };
	struct ib_uverbs_open_xrcd_resp resp;
	struct ud_open_xrcd_resp out;
	int fd = -1, ret;

	/* As the kernel: fd -1 is an XRCD of no file. */
	if (req->fd != (uint32_t)-1) {
		fd = ud_uverbs_fetch_fd(c, (int)req->fd);
		if (fd < 0)
			return fd;
		k.has_fd = 1;
	}
	ret = ud_uverbs_run(f, c->d, ud_cmd_open_xrcd, &k, sizeof(k), &out,
			    fd);
	if (ret)
		return ret;
	resp.xrcd_handle = out.xrcdn;
	return ud_uverbs_respond_created(c, f, cmd, &resp, sizeof(resp), NULL,
					 0, ud_cmd_close_xrcd, out.xrcdn);
}

int ud_wcmd_close_xrcd(struct ud_call *c, struct ud_ufile *f,
		       const struct ud_write_cmd *cmd)
{
	const struct ib_uverbs_close_xrcd *req = (const void *)cmd->core;

	return ud_uverbs_destroy(f, c->d, ud_cmd_close_xrcd, req->xrcd_handle,
				 NULL);
}
