// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/* Production of 64-byte mlx5 CQEs into the CQ ring. */
#include <endian.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include <infiniband/verbs.h>

#include "engine.h"
#include "uverbs.h"

static bool cqe_is_error(uint8_t opcode)
{
	return opcode == MLX5_CQE_REQ_ERR || opcode == MLX5_CQE_RESP_ERR;
}

/* Everything but op_own, which ud_cq_push writes last. */
void ud_cqe_encode(const struct ud_cqe_info *info, struct mlx5_cqe64 *cqe)
{
	memset(cqe, 0, sizeof(*cqe));
	if (cqe_is_error(info->opcode)) {
		struct mlx5_err_cqe *err = (struct mlx5_err_cqe *)cqe;

		err->srqn = htobe32(info->srqn & 0xffffff);
		err->vendor_err_synd = info->vendor_syndrome;
		err->syndrome = info->syndrome;
		err->s_wqe_opcode_qpn = htobe32((uint32_t)info->wqe_opcode << 24 |
						(info->qpn & MLX5_CQE_QPN_MASK));
		err->wqe_counter = htobe16(info->wqe_counter);
	} else {
		cqe->flags_rqpn = htobe32((info->grh ? 1u << MLX5_CQE_GRH_SHIFT : 0) |
					  (info->src_qpn & MLX5_CQE_QPN_MASK));
		cqe->srqn_uidx = htobe32(info->srqn & 0xffffff);
		cqe->imm_inval_pkey = info->imm_be;
		cqe->byte_cnt = htobe32(info->byte_cnt);
		cqe->sop_drop_qpn = htobe32((uint32_t)info->wqe_opcode << 24 |
					    (info->qpn & MLX5_CQE_QPN_MASK));
		cqe->wqe_counter = htobe16(info->wqe_counter);
	}
	cqe->op_own = (uint8_t)(info->opcode << MLX5_CQE_OPCODE_SHIFT) |
		      (info->solicited ? MLX5_CQE_SE : 0);
}

/* No room, or the CQ's memory cannot be reached: the CQ fails, once. */
static int cq_fail(struct ud_cq *cq)
{
	cq->overrun = true;
	ud_async_event(cq->ctx, cq->user_handle, IBV_EVENT_CQ_ERR,
		       &cq->async_events);
	return -1;
}

int ud_cq_push(struct uodpd *d, uint32_t cqn, const struct ud_cqe_info *info)
{
	struct ud_cq *cq = ud_cq_lookup(d, cqn);
	struct mlx5_cqe64 cqe;
	uint32_t ci, owner;
	uint64_t off;

	if (!cq || cq->overrun)
		return -1;
	if (ud_qbuf_load_be32(&cq->mem.db, MLX5_CQ_SET_CI, &ci))
		return cq_fail(cq);
	ci &= MLX5_CQE_CI_MASK;
	if (((cq->pi - ci) & MLX5_CQE_CI_MASK) >= cq->cqe_cnt)
		return cq_fail(cq);
	ud_cqe_encode(info, &cqe);
	owner = !!(cq->pi & cq->cqe_cnt);
	off = (uint64_t)(cq->pi & (cq->cqe_cnt - 1)) * MLX5_CQE_SIZE;
	/* The consumer checks op_own first: publish the body before it. */
	if (ud_qbuf_write(&cq->mem.ring, off, &cqe,
			  offsetof(struct mlx5_cqe64, op_own)) ||
	    ud_qbuf_store_u8(&cq->mem.ring,
			     off + offsetof(struct mlx5_cqe64, op_own),
			     cqe.op_own | owner))
		return cq_fail(cq);
	cq->pi++;
	/*
	 * The CQE is visible, then the arm is read: a process that armed
	 * and then polled either is seen armed here or saw the CQE (the
	 * full fence orders this store before that load).  The IB spec:
	 * solicited arms also fire on error completions.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	ud_cq_check_arm(cq, true,
			info->solicited || cqe_is_error(info->opcode));
	return 0;
}
