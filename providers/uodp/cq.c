// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Completion queues: a ring of 64-byte mlx5 CQEs in shared memory, written
 * by uodpd with the ownership bit, consumed here, consumer index published
 * through the CQ doorbell record.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cqe.h"
#include "mmio.h"
#include "uodp.h"

enum { UODP_MAX_CQE_CNT = 1 << 22 };

static struct mlx5_cqe64 *get_cqe(struct uodp_cq *cq, uint32_t n)
{
	return (struct mlx5_cqe64 *)(cq->buf +
				     (size_t)(n & (cq->cqe_cnt - 1)) *
					     MLX5_CQE_SIZE);
}

static struct mlx5_cqe64 *next_sw_cqe(struct uodp_cq *cq, uint32_t n)
{
	struct mlx5_cqe64 *cqe = get_cqe(cq, n);

	return mlx5_cqe_sw_owned(cqe, n, cq->cqe_cnt) ? cqe : NULL;
}

/* CREATE_CQ's response: ib_uverbs_create_cq_resp, then mlx5's. */
struct uodp_create_cq_resp_cmd {
	uint32_t cq_handle;
	uint32_t cqe;
	struct mlx5_ib_create_cq_resp mlx5;
};

struct ibv_cq *uodp_create_cq(struct ibv_context *context, int cqe,
			      struct ibv_comp_channel *channel,
			      int comp_vector)
{
	struct uodp_context *ctx = to_uctx(context);
	struct {
		struct ibv_create_cq ibv_cmd;
		struct uodp_create_cq_drv drv;
	} cmd = {};
	struct uodp_create_cq_resp_cmd resp;
	struct uodp_cq *cq;
	uint32_t cnt, i;
	int err;

	if (cqe < 1 || (uint32_t)cqe > ctx->attr.max_cqe || comp_vector < 0 ||
	    comp_vector >= context->num_comp_vectors) {
		errno = EINVAL;
		return NULL;
	}
	cnt = uodp_roundup_pow2((uint32_t)cqe + 1);
	if (!cnt || cnt > UODP_MAX_CQE_CNT) {
		errno = EINVAL;
		return NULL;
	}

	cq = calloc(1, sizeof(*cq));
	if (!cq) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_spin_init(&cq->lock, PTHREAD_PROCESS_PRIVATE);
	err = uodp_qmem_alloc(ctx, &cq->mem,
			      (size_t)cnt * MLX5_CQE_SIZE + 64, "uodp-cq");
	if (err)
		goto err_free;
	cq->buf = cq->mem.addr;
	cq->cqe_cnt = cnt;
	cq->dbrec = (volatile uint32_t *)(cq->buf +
					  (size_t)cnt * MLX5_CQE_SIZE);
	/* Opcode INVALID, owner 0: the device's first pass writes owner 0. */
	for (i = 0; i < cnt; i++)
		get_cqe(cq, i)->op_own = MLX5_CQE_INVALID_OP_OWN;

	cmd.drv.mlx5.buf_addr = (uintptr_t)cq->buf;
	cmd.drv.mlx5.db_addr = (uintptr_t)cq->dbrec;
	cmd.drv.mlx5.cqe_size = MLX5_CQE_SIZE;
	uodp_qmem_ref(&cq->mem, 0, (size_t)cnt * MLX5_CQE_SIZE, &cmd.drv.qmem);
	/* The zeroed arm word is no arm: the first one must differ. */
	cq->arm_sn = 1;
	/* Without the emulator's memfd, mlx5's driver data alone. */
	err = ibv_cmd_create_cq(context, (int)cnt - 1, channel, comp_vector,
				&cq->vcq.cq, &cmd.ibv_cmd,
				cmd.drv.qmem.fd < 0 ?
				offsetof(typeof(cmd), drv.qmem) : sizeof(cmd),
				(struct ib_uverbs_create_cq_resp *)&resp,
				sizeof(resp));
	uodp_qmem_close_fd(&cq->mem);
	if (err)
		goto err_mem;
	cq->cqn = resp.mlx5.cqn;
	return &cq->vcq.cq;

err_mem:
	uodp_qmem_free(&cq->mem);
err_free:
	pthread_spin_destroy(&cq->lock);
	free(cq);
	errno = err;
	return NULL;
}

int uodp_destroy_cq(struct ibv_cq *ibcq)
{
	struct uodp_cq *cq = to_ucq(ibcq);
	int err;

	/* It waits until every event the process read is acknowledged. */
	err = uodp_destroy_err(ibv_cmd_destroy_cq(ibcq));
	if (err)
		return err;
	uodp_qmem_free(&cq->mem);
	pthread_spin_destroy(&cq->lock);
	free(cq);
	return 0;
}

/*
 * mlx5's arm: the arm word in the doorbell record, then the doorbell: the
 * UAR write of the same word and the CQN, as on hardware, or the emulator's
 * eventfd, rung every time since a sleeping or busy device alike must look
 * at arms.
 */
int uodp_req_notify_cq(struct ibv_cq *ibcq, int solicited_only)
{
	struct uodp_cq *cq = to_ucq(ibcq);
	struct uodp_context *ctx = to_uctx(ibcq->context);
	uint32_t sn = cq->arm_sn & MLX5_CQ_ARM_SN_MASK;
	uint32_t ci = cq->cons_index & MLX5_CQ_ARM_CI_MASK;
	uint32_t cmd = solicited_only ? MLX5_CQ_DB_REQ_NOT_SOL :
					MLX5_CQ_DB_REQ_NOT;
	uint32_t arm = sn << MLX5_CQ_ARM_SN_SHIFT | cmd | ci;
	uint32_t word[2] = { htobe32(arm), htobe32(cq->cqn) };
	uint64_t doorbell, one = 1;

	uodp_dbrec_store(&cq->dbrec[MLX5_CQ_ARM_DB], arm);
	if (ctx->doorbell_fd < 0) {
		memcpy(&doorbell, word, sizeof(doorbell));
		uodp_uar_write64(ctx, MLX5_CQ_DOORBELL, doorbell);
		return 0;
	}
	atomic_thread_fence(memory_order_seq_cst);
	if (write(ctx->doorbell_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return errno;
	return 0;
}

/* ibv_get_cq_event read an event of this CQ: the next arm is a new one. */
void uodp_cq_event(struct ibv_cq *ibcq)
{
	to_ucq(ibcq)->arm_sn++;
}

static bool complete_send(struct uodp_qp *qp, const struct uodp_cqe_info *info,
			  struct ibv_wc *wc)
{
	uint32_t slot;

	if (!qp || !qp->sq.wqe_cnt)
		return false;
	slot = info->wqe_counter & (qp->sq.wqe_cnt - 1);
	wc->wr_id = qp->sq.wrid[slot];
	/* Unsignaled WQEs before this one completed with it. */
	__atomic_store_n(&qp->sq.tail, qp->sq.wqe_head[slot] + 1,
			 __ATOMIC_RELAXED);
	return true;
}

static bool complete_recv(struct uodp_context *ctx, struct uodp_qp *qp,
			  const struct uodp_cqe_info *info, struct ibv_wc *wc)
{
	struct uodp_srq *srq = NULL;

	if (qp && qp->srq)
		srq = qp->srq;
	else if ((!qp || !qp->rq.wqe_cnt) && info->srqn)
		srq = uodp_table_find(&ctx->srq_table, info->srqn); /* XRC */

	if (srq) {
		uint32_t index = info->wqe_counter & (srq->wqe_cnt - 1);

		wc->wr_id = srq->wrid[index];
		uodp_srq_free_wqe(srq, index);
		return qp || srq->vsrq.srq_type == IBV_SRQT_XRC;
	}
	if (!qp || !qp->rq.wqe_cnt)
		return false;
	wc->wr_id = qp->rq.wrid[qp->rq.tail & (qp->rq.wqe_cnt - 1)];
	__atomic_store_n(&qp->rq.tail, qp->rq.tail + 1, __ATOMIC_RELAXED);
	return true;
}

/* Poll one CQE: 0 with *wc filled, EAGAIN if skipped, ENOENT if empty. */
static int poll_one(struct uodp_context *ctx, struct uodp_cq *cq,
		    struct ibv_wc *wc)
{
	struct uodp_cqe_info info;
	struct mlx5_cqe64 *cqe;
	struct uodp_qp *qp;
	bool ok;

	cqe = next_sw_cqe(cq, cq->cons_index);
	if (!cqe)
		return ENOENT;
	uodp_rmb();
	cq->cons_index++;

	if (!uodp_cqe_decode(cqe, wc, &info)) {
		uodp_warn("CQ %u: CQE with invalid opcode %u", cq->cqn,
			  info.opcode);
		return EAGAIN;
	}
	qp = uodp_table_find(&ctx->qp_table, info.qpn);
	if (info.is_send)
		ok = complete_send(qp, &info, wc);
	else
		ok = complete_recv(ctx, qp, &info, wc);
	if (!ok) {
		/* The QP was destroyed after the device wrote this. */
		uodp_dbg("CQ %u: dropping CQE of unknown QP %u", cq->cqn,
			 info.qpn);
		return EAGAIN;
	}
	return 0;
}

int uodp_poll_cq(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc)
{
	struct uodp_context *ctx = to_uctx(ibcq->context);
	struct uodp_cq *cq = to_ucq(ibcq);
	uint32_t start;
	int npolled = 0;

	pthread_spin_lock(&cq->lock);
	start = cq->cons_index;
	while (npolled < num_entries) {
		int err = poll_one(ctx, cq, wc + npolled);

		if (err == ENOENT)
			break;
		if (!err)
			npolled++;
	}
	if (cq->cons_index != start)
		uodp_dbrec_store(cq->dbrec, cq->cons_index & MLX5_CQE_CI_MASK);
	pthread_spin_unlock(&cq->lock);
	return npolled;
}

static bool cqe_is_recv(const struct mlx5_cqe64 *cqe)
{
	uint8_t opcode = mlx5_cqe_opcode(cqe);

	return opcode != MLX5_CQE_REQ && opcode != MLX5_CQE_REQ_ERR;
}

/*
 * Remove the CQEs of QP qpn that software has not consumed yet (the QP is
 * gone or was reset), compacting the rest towards the producer end; SRQ
 * WQEs they held go back to srq's free list.
 */
void uodp_cq_clean(struct uodp_cq *cq, uint32_t qpn, struct uodp_srq *srq)
{
	uint32_t prod, nfreed = 0;

	if (!cq)
		return;
	pthread_spin_lock(&cq->lock);
	for (prod = cq->cons_index; next_sw_cqe(cq, prod); prod++)
		if (prod == cq->cons_index + cq->cqe_cnt - 1)
			break;
	uodp_rmb();
	while ((int32_t)(--prod - cq->cons_index) >= 0) {
		struct mlx5_cqe64 *cqe = get_cqe(cq, prod);

		if ((be32toh(cqe->sop_drop_qpn) & MLX5_CQE_QPN_MASK) == qpn) {
			if (srq && cqe_is_recv(cqe))
				uodp_srq_free_wqe(srq,
						  be16toh(cqe->wqe_counter) &
							  (srq->wqe_cnt - 1));
			nfreed++;
		} else if (nfreed) {
			struct mlx5_cqe64 *dest = get_cqe(cq, prod + nfreed);
			uint8_t owner = dest->op_own & MLX5_CQE_OWNER_MASK;

			memcpy(dest, cqe, sizeof(*dest));
			dest->op_own = (uint8_t)(owner |
				(dest->op_own & ~MLX5_CQE_OWNER_MASK));
		}
	}
	if (nfreed) {
		cq->cons_index += nfreed;
		uodp_dbrec_store(cq->dbrec, cq->cons_index & MLX5_CQE_CI_MASK);
	}
	pthread_spin_unlock(&cq->lock);
}
