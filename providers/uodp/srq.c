// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Shared receive queues, basic and XRC: mlx5 SRQ WQEs (a next segment, then
 * data segments) kept on a free list through next_wqe_index.  One WQE is
 * always left on the list as its end, so head == tail means full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmio.h"
#include "uodp.h"

enum { UODP_SRQ_MAX_WQE_CNT = 1 << 15 };

static void *get_srq_wqe(struct uodp_srq *srq, uint32_t index)
{
	return srq->buf + ((size_t)index << srq->wqe_shift);
}

void uodp_srq_free_wqe(struct uodp_srq *srq, uint32_t index)
{
	pthread_spin_lock(&srq->lock);
	uodp_srq_wqe_set_next(get_srq_wqe(srq, srq->tail), (uint16_t)index);
	srq->tail = index;
	pthread_spin_unlock(&srq->lock);
}

static int size_srq(struct uodp_context *ctx, struct uodp_srq *srq,
		    const struct ibv_srq_attr *attr)
{
	uint32_t stride;

	if (!attr->max_wr || attr->max_wr > ctx->attr.max_srq_wr ||
	    attr->max_sge > ctx->attr.max_srq_sge)
		return EINVAL;
	stride = 16 + 16 * (attr->max_sge ? attr->max_sge : 1);
	stride = uodp_roundup_pow2(stride < 32 ? 32 : stride);
	srq->wqe_shift = uodp_ilog2(stride);
	srq->max_gs = (stride - sizeof(struct mlx5_wqe_srq_next_seg)) / 16;
	srq->wqe_cnt = uodp_roundup_pow2(attr->max_wr + 1);
	if (!srq->wqe_cnt || srq->wqe_cnt > UODP_SRQ_MAX_WQE_CNT)
		return EINVAL;
	srq->max_wr = srq->wqe_cnt - 1;
	return 0;
}

static int alloc_srq_queue(struct uodp_context *ctx, struct uodp_srq *srq)
{
	size_t ring = (size_t)srq->wqe_cnt << srq->wqe_shift;
	int err;

	srq->wrid = calloc(srq->wqe_cnt, sizeof(*srq->wrid));
	if (!srq->wrid)
		return ENOMEM;
	err = uodp_qmem_alloc(ctx, &srq->mem, ring + 64, "uodp-srq");
	if (err) {
		free(srq->wrid);
		return err;
	}
	srq->buf = srq->mem.addr;
	srq->dbrec = (volatile uint32_t *)(srq->buf + ring);
	uodp_srq_init_free_list(srq->buf, srq->wqe_cnt, srq->wqe_shift);
	uodp_store_u32(&srq->head, 0);
	srq->tail = srq->wqe_cnt - 1;
	return 0;
}

/* CREATE_XSRQ's response: ib_uverbs_create_srq_resp's, then mlx5's. */
struct uodp_create_srq_resp_cmd {
	uint32_t srq_handle;
	uint32_t max_wr;
	uint32_t max_sge;
	uint32_t srqn;
	struct mlx5_ib_create_srq_resp mlx5;
};

/* CREATE_XSRQ as libmlx5 issues it: mlx5_ib sizes the queue from attr. */
static int create_srq_cmd(struct ibv_context *context, struct uodp_srq *srq,
			  struct ibv_srq_init_attr_ex *attr)
{
	struct {
		struct ibv_create_xsrq ibv_cmd;
		struct uodp_create_srq_drv drv;
	} cmd = {};
	struct uodp_create_srq_resp_cmd resp;
	struct ibv_srq_init_attr_ex ex = *attr;

	cmd.drv.mlx5.buf_addr = (uintptr_t)srq->buf;
	cmd.drv.mlx5.db_addr = (uintptr_t)srq->dbrec;
	uodp_qmem_ref(&srq->mem, 0, (size_t)srq->wqe_cnt << srq->wqe_shift,
		      &cmd.drv.qmem);
	ex.comp_mask |= IBV_SRQ_INIT_ATTR_TYPE | IBV_SRQ_INIT_ATTR_PD;
	ex.attr.max_wr = srq->max_wr;
	ex.attr.max_sge = srq->max_gs;
	/* Without the emulator's memfd, mlx5's driver data alone. */
	return ibv_cmd_create_srq_ex(context, &srq->vsrq, &ex, &cmd.ibv_cmd,
				     cmd.drv.qmem.fd < 0 ?
				     offsetof(typeof(cmd), drv.qmem) :
				     sizeof(cmd),
				     (struct ib_uverbs_create_srq_resp *)&resp,
				     sizeof(resp));
}

static struct ibv_srq *create_srq(struct ibv_context *context,
				  struct ibv_pd *pd,
				  struct ibv_srq_init_attr_ex *attr)
{
	struct uodp_context *ctx = to_uctx(context);
	bool xrc = attr->srq_type == IBV_SRQT_XRC;
	struct uodp_srq *srq;
	int err;

	if (attr->srq_type != IBV_SRQT_BASIC && !xrc) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (!pd || (xrc && (!attr->xrcd || !attr->cq))) {
		errno = EINVAL;
		return NULL;
	}
	srq = calloc(1, sizeof(*srq));
	if (!srq) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_spin_init(&srq->lock, PTHREAD_PROCESS_PRIVATE);
	err = size_srq(ctx, srq, &attr->attr);
	if (err)
		goto err_free;
	err = alloc_srq_queue(ctx, srq);
	if (err)
		goto err_free;

	err = create_srq_cmd(context, srq, attr);
	uodp_qmem_close_fd(&srq->mem);
	if (err)
		goto err_mem;
	srq->srqn = srq->vsrq.srq_num ? srq->vsrq.srq_num :
					 srq->vsrq.srq.handle;
	srq->pdn = to_upd(pd)->pdn;	/* read by the fault engine, qp.c */
	err = uodp_table_store(ctx, &ctx->srq_table, srq->srqn, srq);
	if (err)
		goto err_destroy;

	srq->vsrq.srq.context = context;
	srq->vsrq.srq.srq_context = attr->srq_context;
	srq->vsrq.srq.pd = pd;
	srq->vsrq.srq.handle = srq->srqn;
	srq->vsrq.srq.events_completed = 0;
	pthread_mutex_init(&srq->vsrq.srq.mutex, NULL);
	pthread_cond_init(&srq->vsrq.srq.cond, NULL);
	srq->vsrq.srq_type = attr->srq_type;
	srq->vsrq.xrcd = xrc ? &to_uxrcd(attr->xrcd)->vxrcd : NULL;
	srq->vsrq.cq = xrc ? attr->cq : NULL;
	srq->vsrq.srq_num = srq->srqn;
	attr->attr.max_wr = srq->max_wr;
	attr->attr.max_sge = srq->max_gs;
	return &srq->vsrq.srq;

err_destroy:
	ibv_cmd_destroy_srq(&srq->vsrq.srq);
err_mem:
	uodp_qmem_free(&srq->mem);
	free(srq->wrid);
err_free:
	pthread_spin_destroy(&srq->lock);
	free(srq);
	errno = err;
	return NULL;
}

struct ibv_srq *uodp_create_srq(struct ibv_pd *pd,
				struct ibv_srq_init_attr *attr)
{
	struct ibv_srq_init_attr_ex ex = {
		.srq_context = attr->srq_context,
		.attr = attr->attr,
		.comp_mask = IBV_SRQ_INIT_ATTR_PD,
		.srq_type = IBV_SRQT_BASIC,
		.pd = pd,
	};
	struct ibv_srq *srq;

	srq = create_srq(pd->context, pd, &ex);
	if (srq)
		attr->attr = ex.attr;
	return srq;
}

struct ibv_srq *uodp_create_srq_ex(struct ibv_context *context,
				   struct ibv_srq_init_attr_ex *attr)
{
	uint32_t known = IBV_SRQ_INIT_ATTR_TYPE | IBV_SRQ_INIT_ATTR_PD |
			 IBV_SRQ_INIT_ATTR_XRCD | IBV_SRQ_INIT_ATTR_CQ;
	struct ibv_srq_init_attr_ex ex = *attr;
	struct ibv_srq *srq;

	if (attr->comp_mask & IBV_SRQ_INIT_ATTR_TM) {
		errno = EOPNOTSUPP;	/* tag matching */
		return NULL;
	}
	if (attr->comp_mask & ~known) {
		errno = EINVAL;
		return NULL;
	}
	if (!(attr->comp_mask & IBV_SRQ_INIT_ATTR_TYPE))
		ex.srq_type = IBV_SRQT_BASIC;
	if (!(attr->comp_mask & IBV_SRQ_INIT_ATTR_PD))
		ex.pd = NULL;
	if (!(attr->comp_mask & IBV_SRQ_INIT_ATTR_XRCD))
		ex.xrcd = NULL;
	if (!(attr->comp_mask & IBV_SRQ_INIT_ATTR_CQ))
		ex.cq = NULL;
	srq = create_srq(context, ex.pd, &ex);
	if (srq)
		attr->attr = ex.attr;
	return srq;
}

int uodp_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr,
		    int attr_mask)
{
	struct uodp_srq *srq = to_usrq(ibsrq);
	struct ibv_modify_srq cmd;

	/* The queue memory is sealed: an SRQ cannot be resized (as mlx5). */
	if (attr_mask & ~IBV_SRQ_LIMIT)
		return EINVAL;
	if ((attr_mask & IBV_SRQ_LIMIT) && attr->srq_limit > srq->max_wr)
		return EINVAL;
	return ibv_cmd_modify_srq(ibsrq, attr, attr_mask, &cmd, sizeof(cmd));
}

int uodp_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr)
{
	struct uodp_srq *srq = to_usrq(ibsrq);
	struct ibv_query_srq cmd;
	int err;

	err = ibv_cmd_query_srq(ibsrq, attr, &cmd, sizeof(cmd));
	if (err)
		return err;
	/* As libmlx5: the queue's size is the provider's own. */
	attr->max_wr = srq->max_wr;
	attr->max_sge = srq->max_gs;
	return 0;
}

int uodp_destroy_srq(struct ibv_srq *ibsrq)
{
	struct uodp_context *ctx = to_uctx(ibsrq->context);
	struct uodp_srq *srq = to_usrq(ibsrq);
	int err;

	/* It waits until every async event the process read is acked. */
	err = uodp_destroy_err(ibv_cmd_destroy_srq(ibsrq));
	if (err)
		return err;
	uodp_odp_wq_gone_begin(ctx);
	uodp_table_clear(ctx, &ctx->srq_table, srq->srqn);
	uodp_odp_wq_gone_end(ctx);
	uodp_qmem_free(&srq->mem);
	free(srq->wrid);
	pthread_spin_destroy(&srq->lock);
	free(srq);
	return 0;
}

int uodp_get_srq_num(struct ibv_srq *srq, uint32_t *srq_num)
{
	*srq_num = to_usrq(srq)->srqn;
	return 0;
}

int uodp_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
		       struct ibv_recv_wr **bad_wr)
{
	struct uodp_srq *srq = to_usrq(ibsrq);
	uint32_t nreq = 0;
	int err = 0;

	pthread_spin_lock(&srq->lock);
	for (; wr; wr = wr->next, nreq++) {
		void *wqe;

		if (wr->num_sge < 0 || (uint32_t)wr->num_sge > srq->max_gs) {
			err = EINVAL;
			*bad_wr = wr;
			break;
		}
		if (srq->head == srq->tail) {
			err = ENOMEM;	/* only the list's end is left */
			*bad_wr = wr;
			break;
		}
		wqe = get_srq_wqe(srq, srq->head);
		srq->wrid[srq->head] = wr->wr_id;
		uodp_store_u32(&srq->head, uodp_srq_wqe_next(wqe));
		uodp_srq_wqe_build(wqe, srq->max_gs, wr->sg_list, wr->num_sge);
	}
	if (nreq) {
		srq->counter += nreq;
		uodp_dbrec_store(&srq->dbrec[MLX5_RCV_DBR], srq->counter);
		uodp_kick(to_uctx(ibsrq->context));
	}
	pthread_spin_unlock(&srq->lock);
	return err;
}
