// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Receive side: consuming RQ and SRQ WQEs as the provider posted them, and
 * their completions.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <infiniband/verbs.h>

#include "engine.h"

/* RQ WQEs posted and not consumed. */
static uint16_t rq_pending(struct uodpd *d, struct ud_qp *qp)
{
	return ud_qp_posted_since(d, qp, MLX5_RCV_DBR, qp->rq.consumed);
}

static int rq_claim(struct uodpd *d, struct ud_qp *qp,
		    struct ud_recv_claim *claim)
{
	uint8_t wqe[UD_MAX_SGE * sizeof(struct mlx5_wqe_data_seg)];
	uint32_t stride = 1u << qp->rq.wqe_shift;
	uint32_t slot;

	if (!qp->rq.wqe_cnt || stride > sizeof(wqe))
		return -EINVAL;
	if (!rq_pending(d, qp))
		return -EAGAIN;
	slot = qp->rq.consumed & (qp->rq.wqe_cnt - 1);
	claim->srqn = UD_NO_HANDLE;
	claim->pdn = qp->pdn;
	claim->cqn = qp->recv_cqn;
	claim->wqe_counter = qp->rq.consumed & 0xffff;
	qp->rq.consumed++;
	if (ud_qbuf_read(&qp->rq.buf, (uint64_t)slot << qp->rq.wqe_shift,
			 wqe, stride)) {
		ud_engine_qp_fatal(d, qp);
		return -EFAULT;
	}
	return ud_parse_recv_wqe(wqe, stride, 0, qp->max_recv_sge, &claim->sgl);
}

/* The SRQ's memory cannot be reached: it fails, as on a DMA error. */
static void srq_fatal(struct ud_srq *srq)
{
	if (srq->error)
		return;
	ud_warn("SRQ %#x: its queue memory cannot be reached", srq->srqn);
	srq->error = true;
	ud_async_event(srq->ctx, srq->user_handle, IBV_EVENT_SRQ_ERR,
		       &srq->async_events);
}

/* SRQ WQEs posted and not consumed; 0 if the record is unreachable. */
static uint16_t srq_pending(struct ud_srq *srq)
{
	uint32_t posted;

	if (ud_qbuf_load_be32(&srq->mem.db, MLX5_RCV_DBR, &posted)) {
		srq_fatal(srq);
		return 0;
	}
	return (uint16_t)(posted - srq->consumed);
}

static void srq_check_limit(struct ud_srq *srq)
{
	uint16_t left = srq_pending(srq);

	if (srq->srq_limit && left < srq->srq_limit) {
		srq->srq_limit = 0;	/* the event disarms the limit */
		ud_async_event(srq->ctx, srq->user_handle,
			       IBV_EVENT_SRQ_LIMIT_REACHED, &srq->async_events);
	}
}

static int srq_claim(struct ud_srq *srq, struct ud_recv_claim *claim)
{
	uint8_t wqe[sizeof(struct mlx5_wqe_srq_next_seg) +
		    UD_MAX_SGE * sizeof(struct mlx5_wqe_data_seg)];
	const struct mlx5_wqe_srq_next_seg *next = (const void *)wqe;
	uint32_t stride = 1u << srq->wqe_shift;
	uint16_t index = srq->hw_head;

	if (srq->error || stride > sizeof(wqe) || index >= srq->wqe_cnt)
		return -EINVAL;
	if (!srq_pending(srq))
		return srq->error ? -EINVAL : -EAGAIN;
	if (ud_qbuf_read(&srq->mem.ring, (uint64_t)index << srq->wqe_shift,
			 wqe, stride)) {
		srq_fatal(srq);
		return -EINVAL;
	}
	/* Hardware follows the free list the provider links through WQEs. */
	srq->hw_head = be16toh(next->next_wqe_index);
	srq->consumed++;
	claim->srqn = srq->srqn;
	claim->pdn = srq->pdn;
	claim->wqe_counter = index;
	srq_check_limit(srq);
	/* As hardware: as many entries as the stride holds. */
	return ud_parse_recv_wqe(wqe, stride, sizeof(*next),
				 (stride - sizeof(*next)) /
				 sizeof(struct mlx5_wqe_data_seg),
				 &claim->sgl);
}

int ud_recv_claim(struct uodpd *d, struct ud_qp *rqp, struct ud_srq *srq,
		  struct ud_recv_claim *claim)
{
	int ret;

	memset(claim, 0, offsetof(struct ud_recv_claim, sgl));
	claim->qpn = rqp->qpn;
	if (srq) {
		ret = srq_claim(srq, claim);
		/* XRC SRQs complete to their own CQ, others to the QP's. */
		claim->cqn = srq->type == IBV_SRQT_XRC ? srq->cqn :
							 rqp->recv_cqn;
	} else {
		ret = rq_claim(d, rqp, claim);
	}
	if (ret != -EAGAIN)
		claim->valid = true;	/* consumed, even if malformed */
	return ret;
}

void ud_recv_complete(struct uodpd *d, const struct ud_recv_claim *claim,
		      const struct ud_cqe_info *info)
{
	struct ud_cqe_info ci = *info;

	ci.qpn = claim->qpn;
	ci.wqe_counter = claim->wqe_counter;
	ci.srqn = claim->srqn == UD_NO_HANDLE ? 0 : claim->srqn;
	ud_cq_push(d, claim->cqn, &ci);
}

bool ud_rq_flush(struct uodpd *d, struct ud_qp *qp)
{
	struct ud_cqe_info info = {
		.opcode = MLX5_CQE_RESP_ERR,
		.syndrome = MLX5_CQE_SYNDROME_WR_FLUSH_ERR,
	};
	bool progress = false;

	if (!qp->rq.wqe_cnt || qp->srqn != UD_NO_HANDLE)
		return false;
	while (rq_pending(d, qp)) {
		info.qpn = qp->qpn;
		info.wqe_counter = qp->rq.consumed & 0xffff;
		qp->rq.consumed++;
		ud_cq_push(d, qp->recv_cqn, &info);
		progress = true;
	}
	return progress;
}

void ud_recv_unclaim(struct ud_qp *rqp, struct ud_srq *srq,
		     const struct ud_recv_claim *claim)
{
	if (srq) {
		srq->hw_head = claim->wqe_counter;
		srq->consumed--;
	} else {
		rqp->rq.consumed--;
	}
}
