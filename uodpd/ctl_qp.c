// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Queue pairs: creation with their queue memory, the state machine with
 * attribute validation, query and destruction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "ctl.h"
#include "hw/mlx5/wqe.h"
#include "odp_priv.h"

#define SQ_MAX_WQEBBS (1u << 20)
#define RQ_MAX_WQES 32768u
#define RQ_MIN_SHIFT 4
#define RQ_MAX_SHIFT 10

struct ud_qp *ud_qp_lookup(struct uodpd *d, uint32_t qpn)
{
	return ud_idr_find(&d->qps, qpn);
}

struct ud_qp *ud_ctx_qp(struct uodpd *d, struct ud_ctx *ctx, uint32_t qpn)
{
	struct ud_qp *qp = ud_qp_lookup(d, qpn);

	return qp && qp->ctx == ctx ? qp : NULL;
}

/* ---- references a QP holds ---- */

struct qp_refs {
	struct ud_pd *pd;
	struct ud_cq *send_cq, *recv_cq;
	struct ud_srq *srq;
	struct ud_xrcd *xrcd;
};

static void qp_refs_find(struct uodpd *d, struct ud_qp *qp,
			 struct qp_refs *r)
{
	r->pd = ud_ctx_pd(d, qp->ctx, qp->pdn);
	r->send_cq = ud_ctx_cq(d, qp->ctx, qp->send_cqn);
	r->recv_cq = ud_ctx_cq(d, qp->ctx, qp->recv_cqn);
	r->srq = ud_ctx_srq(d, qp->ctx, qp->srqn);
	r->xrcd = qp->xrcdn == UD_NO_HANDLE ? NULL :
		  ud_idr_find(&d->xrcd_ids, qp->xrcdn);
}

static void qp_refs_get(const struct qp_refs *r)
{
	if (r->pd)
		r->pd->refs++;
	if (r->send_cq)
		r->send_cq->refs++;
	if (r->recv_cq)
		r->recv_cq->refs++;
	if (r->srq)
		r->srq->refs++;
	if (r->xrcd)
		ud_xrcd_get_user(r->xrcd);
}

static void qp_refs_put(struct uodpd *d, const struct qp_refs *r)
{
	if (r->pd)
		r->pd->refs--;
	if (r->send_cq)
		r->send_cq->refs--;
	if (r->recv_cq)
		r->recv_cq->refs--;
	if (r->srq)
		r->srq->refs--;
	if (r->xrcd)
		ud_xrcd_put_user(d, r->xrcd);
}

void ud_qp_destroy(struct uodpd *d, struct ud_qp *qp)
{
	struct qp_refs r;

	ud_odp_qp_gone(d, qp);	/* its outstanding faults become orphans */
	qp_refs_find(d, qp, &r);
	qp_refs_put(d, &r);
	ud_idr_remove(&d->qps, qp->qpn);
	ud_engine_qp_remove(d, qp);
	list_del(&qp->ctx_link);
	ud_res_put(qp->ctx, UD_RES_QP);
	ud_qmem_detach(&qp->mem);
	free(qp);
}

/* ---- CREATE_QP ---- */

/* Which objects the QP type needs; fills r with this context's objects. */
static int qp_check_refs(struct ud_cmd *c, const struct ud_create_qp_req *req,
			 struct qp_refs *r)
{
	struct uodpd *d = c->d;
	struct ud_ctx *ctx = c->ctx;

	memset(r, 0, sizeof(*r));
	switch (req->qp_type) {
	case IBV_QPT_RC:
	case IBV_QPT_UC:
	case IBV_QPT_UD:
		r->recv_cq = ud_ctx_cq(d, ctx, req->recv_cqn);
		if (!r->recv_cq || req->xrcdn != UD_NO_HANDLE)
			return -EINVAL;
		if (req->srqn != UD_NO_HANDLE) {
			r->srq = ud_ctx_srq(d, ctx, req->srqn);
			if (!r->srq || r->srq->type != IBV_SRQT_BASIC)
				return -EINVAL;
		}
		/* fall through */
	case IBV_QPT_XRC_SEND:
		r->pd = ud_ctx_pd(d, ctx, req->pdn);
		r->send_cq = ud_ctx_cq(d, ctx, req->send_cqn);
		return r->pd && r->send_cq ? 0 : -EINVAL;
	case IBV_QPT_XRC_RECV:
		r->xrcd = ud_ctx_xrcd(d, ctx, req->xrcdn);
		return r->xrcd ? 0 : -EINVAL;
	case IBV_QPT_RAW_PACKET:
	case IBV_QPT_DRIVER:
		return -EOPNOTSUPP;	/* the engine serves RC, UC, UD and XRC */
	default:
		return -EINVAL;
	}
}

static int qp_check_caps(const struct ud_create_qp_req *req,
			 const struct ud_device_attr *attr)
{
	bool has_rq = req->qp_type == IBV_QPT_RC || req->qp_type == IBV_QPT_UC ||
		      req->qp_type == IBV_QPT_UD;
	bool has_sq = req->qp_type != IBV_QPT_XRC_RECV;

	if (req->flags & ~(uint32_t)UD_QP_SQ_SIG_ALL || req->reserved)
		return -EINVAL;
	if (req->max_send_sge > attr->max_sge ||
	    req->max_recv_sge > attr->max_sge ||
	    req->max_inline_data > attr->max_inline_data)
		return -EINVAL;
	if (req->sq_wqe_cnt && (!has_sq ||
				!ud_pow2_le(req->sq_wqe_cnt, SQ_MAX_WQEBBS)))
		return -EINVAL;
	if (!req->rq_wqe_cnt)
		return 0;
	/* A QP with an SRQ has no receive queue of its own. */
	if (!has_rq || req->srqn != UD_NO_HANDLE ||
	    !ud_pow2_le(req->rq_wqe_cnt, RQ_MAX_WQES) ||
	    req->rq_wqe_shift < RQ_MIN_SHIFT ||
	    req->rq_wqe_shift > RQ_MAX_SHIFT ||
	    16ull * req->max_recv_sge > 1u << req->rq_wqe_shift)
		return -EINVAL;
	return 0;
}

/* mlx5's QP buffer: the RQ at its start, the SQ right after it. */
static int qp_map(struct ud_qp *qp, const struct ud_create_qp_req *req,
		  int fd, pid_t pid)
{
	/* The shift was checked with a count; without one it means nothing. */
	uint64_t rq_len = req->rq_wqe_cnt ?
			  (uint64_t)req->rq_wqe_cnt << req->rq_wqe_shift : 0;
	uint64_t sq_len = (uint64_t)req->sq_wqe_cnt * MLX5_SEND_WQE_BB;
	int ret;

	if (req->qp_type == IBV_QPT_XRC_RECV)
		return fd < 0 ? 0 : -EBADF;	/* no queues of its own */
	ret = ud_qmem_attach(&qp->mem, &req->mem, fd, pid, rq_len + sq_len,
			     2 * sizeof(uint32_t), false);
	if (ret)
		return ret;
	qp->rq.buf = ud_qbuf_sub(&qp->mem.ring, 0, rq_len);
	qp->sq.buf = ud_qbuf_sub(&qp->mem.ring, rq_len, sq_len);
	return 0;
}

static void qp_init_fields(struct ud_qp *qp, struct ud_ctx *ctx,
			   const struct ud_create_qp_req *req,
			   const struct qp_refs *r)
{
	qp->ctx = ctx;
	qp->user_handle = req->user_handle;
	qp->type = req->qp_type;
	qp->state = IBV_QPS_RESET;
	qp->pdn = r->pd ? r->pd->pdn : UD_NO_HANDLE;
	qp->send_cqn = r->send_cq ? r->send_cq->cqn : UD_NO_HANDLE;
	qp->recv_cqn = r->recv_cq ? r->recv_cq->cqn : UD_NO_HANDLE;
	qp->srqn = r->srq ? r->srq->srqn : UD_NO_HANDLE;
	qp->xrcdn = r->xrcd ? r->xrcd->xrcdn : UD_NO_HANDLE;
	qp->sq_sig_all = req->flags & UD_QP_SQ_SIG_ALL;
	qp->max_send_sge = req->max_send_sge;
	qp->max_recv_sge = req->max_recv_sge;
	qp->max_inline_data = req->max_inline_data;
	qp->sq.wqe_cnt = req->sq_wqe_cnt;
	qp->rq.wqe_cnt = req->rq_wqe_cnt;
	qp->rq.wqe_shift = req->rq_wqe_cnt ? req->rq_wqe_shift : 0;
	qp->attr.qp_state = IBV_QPS_RESET;
	qp->attr.cur_qp_state = IBV_QPS_RESET;
	list_node_init(&qp->active_link);
}

int ud_cmd_create_qp(struct ud_cmd *c)
{
	const struct ud_create_qp_req *req = c->req;
	struct ud_create_qp_resp *resp = c->resp;
	int fd = ud_cmd_take_fd(c, 0);
	struct qp_refs r;
	struct ud_qp *qp;
	int ret;

	ret = qp_check_refs(c, req, &r);
	if (!ret)
		ret = qp_check_caps(req, &c->ctx->dev->attr);
	if (!ret)
		ret = ud_res_check(c->ctx, UD_RES_QP);
	if (ret)
		goto err_close;
	ret = -ENOMEM;
	qp = calloc(1, sizeof(*qp));
	if (!qp)
		goto err_close;
	ret = qp_map(qp, req, fd, c->ctx->pid);
	if (ret)
		goto err_free;
	if (fd >= 0)
		close(fd);
	qp->qpn = ud_idr_alloc(&c->d->qps, qp);
	if (!qp->qpn) {
		ud_qmem_detach(&qp->mem);
		free(qp);
		return -ENOMEM;
	}
	qp_init_fields(qp, c->ctx, req, &r);
	qp_refs_get(&r);
	list_add_tail(&c->ctx->qps, &qp->ctx_link);
	ud_res_get(c->ctx, UD_RES_QP);
	if (qp->sq.wqe_cnt)
		ud_engine_qp_add(c->d, qp);
	resp->qpn = qp->qpn;
	resp->reserved = 0;
	c->resp_len = sizeof(*resp);
	return 0;

err_free:
	free(qp);
err_close:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* ---- MODIFY_QP ---- */

/* Attribute bits this device understands (no APM, no rate limits). */
#define QP_MASK_KNOWN (IBV_QP_STATE | IBV_QP_CUR_STATE | \
		       IBV_QP_EN_SQD_ASYNC_NOTIFY | IBV_QP_ACCESS_FLAGS | \
		       IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_QKEY | \
		       IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_TIMEOUT | \
		       IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_RQ_PSN | \
		       IBV_QP_MAX_QP_RD_ATOMIC | IBV_QP_ALT_PATH | \
		       IBV_QP_MIN_RNR_TIMER | IBV_QP_SQ_PSN | \
		       IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_PATH_MIG_STATE | \
		       IBV_QP_CAP | IBV_QP_DEST_QPN)

#define QP_REMOTE_ACCESS (IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ | \
			  IBV_ACCESS_REMOTE_ATOMIC)

static int check_av(const struct ud_device *dev, const struct ud_ah_attr *ah)
{
	if (ah->port_num > 1)
		return -EINVAL;
	if (!ah->is_global)
		return 0;
	if (ah->sgid_index >= UODPD_GID_TBL_LEN ||
	    !dev->gids[ah->sgid_index].valid)
		return -EINVAL;
	return ah->flow_label > 0xfffff ? -EINVAL : 0;
}

/* The values of the attributes in mask, as a device would range-check. */
static int check_attr_values(const struct ud_device *dev, uint32_t mask,
			     const struct ud_qp_attr *a)
{
	if ((mask & IBV_QP_STATE) && a->qp_state > IBV_QPS_ERR)
		return -EINVAL;
	if ((mask & IBV_QP_PKEY_INDEX) &&
	    a->pkey_index >= dev->port.pkey_tbl_len)
		return -EINVAL;
	if ((mask & IBV_QP_PORT) && a->port_num != 1)
		return -EINVAL;
	if ((mask & IBV_QP_AV) && check_av(dev, &a->ah_attr))
		return -EINVAL;
	if ((mask & IBV_QP_PATH_MTU) &&
	    (a->path_mtu < IBV_MTU_256 || a->path_mtu > dev->port.max_mtu))
		return -EINVAL;
	if ((mask & IBV_QP_TIMEOUT) && a->timeout > 31)
		return -EINVAL;
	if ((mask & IBV_QP_RETRY_CNT) && a->retry_cnt > 7)
		return -EINVAL;
	if ((mask & IBV_QP_RNR_RETRY) && a->rnr_retry > 7)
		return -EINVAL;
	if ((mask & IBV_QP_MIN_RNR_TIMER) && a->min_rnr_timer > 31)
		return -EINVAL;
	if ((mask & IBV_QP_MAX_QP_RD_ATOMIC) &&
	    a->max_rd_atomic > dev->attr.max_qp_init_rd_atom)
		return -EINVAL;
	if ((mask & IBV_QP_MAX_DEST_RD_ATOMIC) &&
	    a->max_dest_rd_atomic > dev->attr.max_qp_rd_atom)
		return -EINVAL;
	if ((mask & IBV_QP_DEST_QPN) && a->dest_qp_num > 0xffffff)
		return -EINVAL;
	return 0;
}

static void copy_attrs(struct ud_qp_attr *dst, uint32_t mask,
		       const struct ud_qp_attr *a)
{
	if (mask & IBV_QP_EN_SQD_ASYNC_NOTIFY)
		dst->en_sqd_async_notify = a->en_sqd_async_notify;
	if (mask & IBV_QP_ACCESS_FLAGS)
		dst->qp_access_flags = a->qp_access_flags & QP_REMOTE_ACCESS;
	if (mask & IBV_QP_PKEY_INDEX)
		dst->pkey_index = a->pkey_index;
	if (mask & IBV_QP_PORT)
		dst->port_num = a->port_num;
	if (mask & IBV_QP_QKEY)
		dst->qkey = a->qkey;
	if (mask & IBV_QP_AV)
		dst->ah_attr = a->ah_attr;
	if (mask & IBV_QP_PATH_MTU)
		dst->path_mtu = a->path_mtu;
	if (mask & IBV_QP_TIMEOUT)
		dst->timeout = a->timeout;
	if (mask & IBV_QP_RETRY_CNT)
		dst->retry_cnt = a->retry_cnt;
	if (mask & IBV_QP_RNR_RETRY)
		dst->rnr_retry = a->rnr_retry;
	if (mask & IBV_QP_RQ_PSN)
		dst->rq_psn = a->rq_psn & 0xffffff;
	if (mask & IBV_QP_SQ_PSN)
		dst->sq_psn = a->sq_psn & 0xffffff;
	if (mask & IBV_QP_MAX_QP_RD_ATOMIC)
		dst->max_rd_atomic = a->max_rd_atomic;
	if (mask & IBV_QP_MAX_DEST_RD_ATOMIC)
		dst->max_dest_rd_atomic = a->max_dest_rd_atomic;
	if (mask & IBV_QP_MIN_RNR_TIMER)
		dst->min_rnr_timer = a->min_rnr_timer;
	if (mask & IBV_QP_DEST_QPN)
		dst->dest_qp_num = a->dest_qp_num;
}

/* Back to RESET: the queues start over (the provider resets its side). */
static void qp_reset(struct uodpd *d, struct ud_qp *qp)
{
	uint32_t state = qp->attr.qp_state;

	/* Outstanding faults become orphans; the fault contexts are cleared. */
	ud_odp_qp_gone(d, qp);

	qp->sq.ci = 0;
	qp->sq.flushed_to = 0;
	qp->rq.consumed = 0;
	memset(&qp->req, 0, sizeof(qp->req));
	memset(&qp->attr, 0, sizeof(qp->attr));
	qp->attr.qp_state = state;
}

int ud_cmd_modify_qp(struct ud_cmd *c)
{
	const struct ud_modify_qp_req *req = c->req;
	const struct ud_qp_attr *a = &req->attr;
	struct ud_qp *qp = ud_ctx_qp(c->d, c->ctx, req->qpn);
	uint32_t mask = req->attr_mask;
	uint32_t cur, next, old;
	int ret;

	if (!qp)
		return -EINVAL;
	/*
	 * A controlled Q_Key is for the privileged only, as ib_uverbs has it
	 * since Linux 6.5 ("RDMA/uverbs: Restrict usage of privileged
	 * QKEYs"): otherwise anyone could join a QP that relies on one.
	 */
	if ((mask & IBV_QP_QKEY) && (a->qkey & UD_QKEY_CONTROLLED) &&
	    !(req->flags & UD_MODIFY_QP_PRIVILEGED_QKEY))
		return -EPERM;
	if (mask & ~(uint32_t)QP_MASK_KNOWN)
		return -EOPNOTSUPP;
	/* No alternate path fields in the ABI, no resize of a live QP. */
	if (mask & (IBV_QP_ALT_PATH | IBV_QP_CAP))
		return -EOPNOTSUPP;
	ret = check_attr_values(c->ctx->dev, mask, a);
	if (ret)
		return ret;
	cur = qp->state;
	if ((mask & IBV_QP_CUR_STATE) && a->cur_qp_state != cur)
		return -EINVAL;
	next = mask & IBV_QP_STATE ? a->qp_state : cur;
	if (!ud_qp_modify_is_ok(cur, next, qp->type, mask)) {
		ud_dbg("QP 0x%x: modify %u -> %u with mask 0x%x refused",
		       qp->qpn, cur, next, mask);
		return -EINVAL;
	}
	copy_attrs(&qp->attr, mask, a);
	old = qp->state;
	qp->state = next;
	qp->attr.qp_state = next;
	qp->attr.cur_qp_state = next;
	if (next == IBV_QPS_RESET)
		qp_reset(c->d, qp);
	if (next != old || next == IBV_QPS_RESET)
		ud_engine_qp_state_changed(c->d, qp, old);
	return 0;
}

int ud_cmd_query_qp(struct ud_cmd *c)
{
	const struct ud_handle_req *req = c->req;
	struct ud_query_qp_resp *resp = c->resp;
	struct ud_qp *qp = ud_ctx_qp(c->d, c->ctx, req->handle);

	if (!qp)
		return -EINVAL;
	memset(resp, 0, sizeof(*resp));
	resp->attr = qp->attr;
	resp->attr.qp_state = qp->state;
	resp->attr.cur_qp_state = qp->state;
	resp->attr.sq_draining = 0;
	/* In device units: WQEBBs and RQ entries; the provider knows more. */
	resp->max_send_wr = qp->sq.wqe_cnt;
	resp->max_recv_wr = qp->rq.wqe_cnt;
	resp->max_send_sge = qp->max_send_sge;
	resp->max_recv_sge = qp->max_recv_sge;
	resp->max_inline_data = qp->max_inline_data;
	resp->sq_sig_all = qp->sq_sig_all;
	c->resp_len = sizeof(*resp);
	return 0;
}

int ud_cmd_destroy_qp(struct ud_cmd *c)
{
	const struct ud_handle_req *req = c->req;
	struct ud_qp *qp = ud_ctx_qp(c->d, c->ctx, req->handle);
	struct ud_destroy_resp *resp = c->resp;

	if (!qp)
		return -ENOENT;
	resp->events_reported = ud_async_take_back(qp->ctx, qp->user_handle,
						   qp->async_events);
	resp->reserved = 0;
	c->resp_len = sizeof(*resp);
	ud_qp_destroy(c->d, qp);
	return 0;
}
