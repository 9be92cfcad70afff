// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/* Shared receive queues, basic and XRC. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "ctl.h"
#include "odp_priv.h"

#define SRQ_MIN_SHIFT 5		/* 16-byte next segment + one data segment */
#define SRQ_MAX_SHIFT 10

struct ud_srq *ud_srq_lookup(struct uodpd *d, uint32_t srqn)
{
	return ud_idr_find(&d->srqs, srqn);
}

struct ud_srq *ud_ctx_srq(struct uodpd *d, struct ud_ctx *ctx, uint32_t srqn)
{
	struct ud_srq *srq = ud_srq_lookup(d, srqn);

	return srq && srq->ctx == ctx ? srq : NULL;
}

/* Drop what the SRQ holds on the PD, CQ and XRCD of its context. */
static void srq_put_refs(struct uodpd *d, struct ud_srq *srq)
{
	struct ud_pd *pd = ud_ctx_pd(d, srq->ctx, srq->pdn);
	struct ud_cq *cq = ud_ctx_cq(d, srq->ctx, srq->cqn);
	struct ud_xrcd *x;

	if (pd)
		pd->refs--;
	if (cq)
		cq->refs--;
	if (srq->type == IBV_SRQT_XRC) {
		x = ud_idr_find(&d->xrcd_ids, srq->xrcdn);
		if (x)
			ud_xrcd_put_user(d, x);
	}
}

void ud_srq_destroy(struct uodpd *d, struct ud_srq *srq)
{
	ud_odp_srq_gone(d, srq);	/* its outstanding faults become orphans */
	srq_put_refs(d, srq);
	ud_idr_remove(&d->srqs, srq->srqn);
	list_del(&srq->ctx_link);
	ud_res_put(srq->ctx, UD_RES_SRQ);
	ud_qmem_detach(&srq->mem);
	free(srq);
}

static int srq_check_shape(const struct ud_create_srq_req *req,
			   const struct ud_device_attr *attr)
{
	if (!ud_pow2_le(req->wqe_cnt, (uint64_t)attr->max_srq_wr + 1))
		return -EINVAL;
	if (req->wqe_shift < SRQ_MIN_SHIFT || req->wqe_shift > SRQ_MAX_SHIFT)
		return -EINVAL;
	if (req->max_sge > attr->max_srq_sge ||
	    16 + 16 * req->max_sge > 1u << req->wqe_shift)
		return -EINVAL;
	if (req->srq_limit >= req->wqe_cnt)
		return -EINVAL;
	return 0;
}

/* Resolve PD, CQ and XRCD numbers to this context's objects. */
static int srq_check_refs(struct ud_cmd *c,
			  const struct ud_create_srq_req *req,
			  struct ud_pd **pd, struct ud_cq **cq,
			  struct ud_xrcd **x)
{
	*pd = ud_ctx_pd(c->d, c->ctx, req->pdn);
	*cq = NULL;
	*x = NULL;
	if (!*pd)
		return -EINVAL;
	if (req->srq_type == IBV_SRQT_TM)
		return -EOPNOTSUPP;
	if (req->srq_type == IBV_SRQT_BASIC)
		return req->cqn == UD_NO_HANDLE &&
		       req->xrcdn == UD_NO_HANDLE ? 0 : -EINVAL;
	if (req->srq_type != IBV_SRQT_XRC)
		return -EINVAL;
	*cq = ud_ctx_cq(c->d, c->ctx, req->cqn);
	*x = ud_ctx_xrcd(c->d, c->ctx, req->xrcdn);
	return *cq && *x ? 0 : -EINVAL;
}

static int srq_map(struct ud_srq *srq, const struct ud_create_srq_req *req,
		   int fd, pid_t pid)
{
	return ud_qmem_attach(&srq->mem, &req->mem, fd, pid,
			      (uint64_t)req->wqe_cnt << req->wqe_shift,
			      sizeof(uint32_t), false);
}

int ud_cmd_create_srq(struct ud_cmd *c)
{
	const struct ud_create_srq_req *req = c->req;
	struct ud_create_srq_resp *resp = c->resp;
	int fd = ud_cmd_take_fd(c, 0);
	struct ud_srq *srq;
	struct ud_pd *pd;
	struct ud_cq *cq;
	struct ud_xrcd *x;
	int ret;

	ret = srq_check_refs(c, req, &pd, &cq, &x);
	if (!ret)
		ret = srq_check_shape(req, &c->ctx->dev->attr);
	if (!ret)
		ret = ud_res_check(c->ctx, UD_RES_SRQ);
	if (ret)
		goto err_close;
	ret = -ENOMEM;
	srq = calloc(1, sizeof(*srq));
	if (!srq)
		goto err_close;
	ret = srq_map(srq, req, fd, c->ctx->pid);
	if (ret)
		goto err_free;
	close(fd);
	srq->srqn = ud_idr_alloc(&c->d->srqs, srq);
	if (!srq->srqn) {
		ret = -ENOMEM;
		ud_qmem_detach(&srq->mem);
		free(srq);
		return ret;
	}
	srq->ctx = c->ctx;
	srq->user_handle = req->user_handle;
	srq->type = req->srq_type;
	srq->pdn = pd->pdn;
	srq->cqn = cq ? cq->cqn : UD_NO_HANDLE;
	srq->xrcdn = x ? x->xrcdn : UD_NO_HANDLE;
	srq->wqe_cnt = req->wqe_cnt;
	srq->wqe_shift = req->wqe_shift;
	srq->max_sge = req->max_sge;
	srq->srq_limit = req->srq_limit;
	pd->refs++;
	if (cq)
		cq->refs++;
	if (x)
		ud_xrcd_get_user(x);
	list_add_tail(&c->ctx->srqs, &srq->ctx_link);
	ud_res_get(c->ctx, UD_RES_SRQ);
	resp->srqn = srq->srqn;
	resp->reserved = 0;
	c->resp_len = sizeof(*resp);
	return 0;

err_free:
	free(srq);
err_close:
	close(fd);
	return ret;
}

int ud_cmd_modify_srq(struct ud_cmd *c)
{
	const struct ud_modify_srq_req *req = c->req;
	struct ud_srq *srq = ud_ctx_srq(c->d, c->ctx, req->srqn);

	if (!srq)
		return -EINVAL;
	if (req->attr_mask & ~(uint32_t)(IBV_SRQ_MAX_WR | IBV_SRQ_LIMIT))
		return -EINVAL;
	/* Like mlx5: an SRQ cannot be resized. */
	if (req->attr_mask & IBV_SRQ_MAX_WR)
		return -EINVAL;
	if (req->attr_mask & IBV_SRQ_LIMIT) {
		if (req->srq_limit >= srq->wqe_cnt)
			return -EINVAL;
		srq->srq_limit = req->srq_limit;	/* arms the event */
	}
	return 0;
}

int ud_cmd_query_srq(struct ud_cmd *c)
{
	const struct ud_handle_req *req = c->req;
	struct ud_query_srq_resp *resp = c->resp;
	struct ud_srq *srq = ud_ctx_srq(c->d, c->ctx, req->handle);

	if (!srq)
		return -EINVAL;
	resp->max_wr = srq->wqe_cnt - 1;
	resp->max_sge = srq->max_sge;
	resp->srq_limit = srq->srq_limit;
	resp->reserved = 0;
	c->resp_len = sizeof(*resp);
	return 0;
}

int ud_cmd_destroy_srq(struct ud_cmd *c)
{
	const struct ud_handle_req *req = c->req;
	struct ud_srq *srq = ud_ctx_srq(c->d, c->ctx, req->handle);
	struct ud_destroy_resp *resp = c->resp;

	if (!srq)
		return -ENOENT;
	if (srq->refs)
		return -EBUSY;
	resp->events_reported = ud_async_take_back(srq->ctx, srq->user_handle,
						   srq->async_events);
	resp->reserved = 0;
	c->resp_len = sizeof(*resp);
	ud_srq_destroy(c->d, srq);
	return 0;
}
