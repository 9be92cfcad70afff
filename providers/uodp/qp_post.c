// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Posting work: ibv_post_send/ibv_post_recv and the ibv_qp_ex builder API
 * (wr_start .. wr_complete), both writing mlx5 WQEs with wqe.c and ringing
 * the doorbell record.  As on mlx5, WQEs may be posted in any state; the
 * device starts on them once the QP reaches RTR (receive) or RTS (send).
 */
#include <errno.h>
#include <string.h>

#include "mmio.h"
#include "uodp.h"

static bool sq_full(struct uodp_qp *qp)
{
	uint32_t tail = __atomic_load_n(&qp->sq.tail, __ATOMIC_RELAXED);

	return qp->sq.head - tail >= qp->sq.max_post;
}

/*
 * The record, then the doorbell: the emulator's kick, or, as mlx5 rings
 * hardware, the last WQE's first 8 bytes into the next BlueFlame buffer.
 */
static void ring_sq(struct uodp_qp *qp)
{
	struct uodp_context *ctx = to_uctx(qp->vqp.qp.context);
	uint64_t ctrl;

	uodp_dbrec_store(&qp->dbrec[MLX5_SND_DBR],
			 qp->sq.cur_post & MLX5_WQE_INDEX_MASK);
	if (ctx->doorbell_fd >= 0) {
		uodp_kick(ctx);
		return;
	}
	memcpy(&ctrl, qp->sq.buf + (size_t)qp->sq.last_wqe * MLX5_SEND_WQE_BB,
	       sizeof(ctrl));
	uodp_uar_write64(ctx, MLX5_BF_OFFSET + qp->sq.bf_offset, ctrl);
	qp->sq.bf_offset ^= MLX5_BF_BUF_SIZE;
}

/* Record a built WQE and advance the producer. */
static void sq_commit(struct uodp_qp *qp, struct uodp_wqe *w, uint8_t opcode,
		      uint8_t fm_ce_se, uint32_t imm, uint64_t wr_id)
{
	uint32_t slot = qp->sq.cur_post & (qp->sq.wqe_cnt - 1);

	qp->sq.wrid[slot] = wr_id;
	qp->sq.wqe_head[slot] = qp->sq.head;
	qp->sq.last_wqe = slot;
	/* The fault engine reads the producer (lookahead): store it whole. */
	uodp_store_u32(&qp->sq.cur_post, qp->sq.cur_post +
		       uodp_wqe_finish(w, opcode, qp->sq.cur_post, qp->qpn,
				       fm_ce_se, imm));
	qp->sq.head++;
}

static bool opcode_allowed(enum ibv_qp_type type, enum ibv_wr_opcode opcode)
{
	bool send = opcode == IBV_WR_SEND || opcode == IBV_WR_SEND_WITH_IMM;

	if (type == IBV_QPT_UD)
		return send;
	/*
	 * UC has no responses, so no reads or atomics.  libmlx5
	 * would post them for the HCA to fail; refusing them here is kinder.
	 */
	if (type == IBV_QPT_UC)
		return send || opcode == IBV_WR_RDMA_WRITE ||
		       opcode == IBV_WR_RDMA_WRITE_WITH_IMM;
	return uodp_wr_opcode_to_mlx5(opcode) >= 0;
}

static bool is_atomic(enum ibv_wr_opcode opcode)
{
	return opcode == IBV_WR_ATOMIC_CMP_AND_SWP ||
	       opcode == IBV_WR_ATOMIC_FETCH_AND_ADD;
}

static int add_payload(struct uodp_qp *qp, struct uodp_wqe *w,
		       const struct ibv_send_wr *wr)
{
	int i;

	if ((wr->send_flags & IBV_SEND_INLINE) && !is_atomic(wr->opcode) &&
	    wr->opcode != IBV_WR_RDMA_READ) {
		struct ibv_data_buf bufs[wr->num_sge ? wr->num_sge : 1];

		for (i = 0; i < wr->num_sge; i++) {
			bufs[i].addr = (void *)(uintptr_t)wr->sg_list[i].addr;
			bufs[i].length = wr->sg_list[i].length;
		}
		return uodp_wqe_add_inline(w, bufs, (size_t)wr->num_sge,
					   qp->sq.max_inline);
	}
	for (i = 0; i < wr->num_sge; i++) {
		const struct ibv_sge *sge = &wr->sg_list[i];

		if (is_atomic(wr->opcode)) {
			uodp_wqe_add_data(w, sge->addr, MLX5_ATOMIC_SIZE,
					  sge->lkey);
			break;
		}
		if (sge->length)	/* 0 would mean 2 GiB */
			uodp_wqe_add_data(w, sge->addr, sge->length, sge->lkey);
	}
	return 0;
}

/* Write one WQE for wr at cur_post; 0 or the errno for *bad_wr. */
static int build_send(struct uodp_qp *qp, struct ibv_send_wr *wr)
{
	struct uodp_wqe w;
	uint32_t imm = 0;
	int opcode, err;

	if (qp->type == IBV_QPT_XRC_RECV ||
	    !opcode_allowed(qp->type, wr->opcode))
		return EINVAL;
	if (wr->num_sge < 0 || (uint32_t)wr->num_sge > qp->sq.max_gs)
		return ENOMEM;	/* as libmlx5 */
	if (!qp->sq.wqe_cnt || sq_full(qp))
		return ENOMEM;
	opcode = uodp_wr_opcode_to_mlx5(wr->opcode);

	uodp_wqe_begin(&w, qp->sq.buf, qp->sq.wqe_cnt, qp->sq.cur_post);
	if (qp->type == IBV_QPT_XRC_SEND)
		uodp_wqe_add_xrc(&w, wr->qp_type.xrc.remote_srqn);
	if (qp->type == IBV_QPT_UD) {
		struct uodp_ah *ah;

		if (!wr->wr.ud.ah)
			return EINVAL;
		ah = to_uah(wr->wr.ud.ah);
		uodp_wqe_add_av(&w, &ah->av, ah->extended, wr->wr.ud.remote_qpn,
				wr->wr.ud.remote_qkey);
	}
	switch (wr->opcode) {
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
	case IBV_WR_RDMA_READ:
		uodp_wqe_add_raddr(&w, wr->wr.rdma.remote_addr,
				   wr->wr.rdma.rkey);
		break;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
		uodp_wqe_add_raddr(&w, wr->wr.atomic.remote_addr,
				   wr->wr.atomic.rkey);
		uodp_wqe_add_atomic(&w, wr->wr.atomic.swap,
				    wr->wr.atomic.compare_add);
		break;
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		uodp_wqe_add_raddr(&w, wr->wr.atomic.remote_addr,
				   wr->wr.atomic.rkey);
		uodp_wqe_add_atomic(&w, wr->wr.atomic.compare_add, 0);
		break;
	default:
		break;
	}
	err = add_payload(qp, &w, wr);
	if (err)
		return err;
	if (wr->opcode == IBV_WR_SEND_WITH_IMM ||
	    wr->opcode == IBV_WR_RDMA_WRITE_WITH_IMM)
		imm = wr->imm_data;
	sq_commit(qp, &w, (uint8_t)opcode,
		  uodp_send_flags_to_fm_ce_se(wr->send_flags, qp->sq_sig_all),
		  imm, wr->wr_id);
	return 0;
}

int uodp_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		   struct ibv_send_wr **bad_wr)
{
	struct uodp_qp *qp = to_uqp(ibqp);
	uint32_t nreq = 0;
	int err = 0;

	pthread_spin_lock(&qp->sq.lock);
	for (; wr; wr = wr->next, nreq++) {
		err = build_send(qp, wr);
		if (err) {
			*bad_wr = wr;
			break;
		}
	}
	if (nreq)
		ring_sq(qp);
	pthread_spin_unlock(&qp->sq.lock);
	return err;
}

int uodp_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		   struct ibv_recv_wr **bad_wr)
{
	struct uodp_qp *qp = to_uqp(ibqp);
	uint32_t nreq = 0;
	int err = 0;

	pthread_spin_lock(&qp->rq.lock);
	for (; wr; wr = wr->next, nreq++) {
		uint32_t slot;
		uint32_t tail = __atomic_load_n(&qp->rq.tail, __ATOMIC_RELAXED);

		if (!qp->rq.wqe_cnt) {
			err = EINVAL;	/* SRQ or XRC QP: no RQ */
			*bad_wr = wr;
			break;
		}
		if (qp->rq.head - tail >= qp->rq.wqe_cnt) {
			err = ENOMEM;
			*bad_wr = wr;
			break;
		}
		if (wr->num_sge < 0 || (uint32_t)wr->num_sge > qp->rq.max_gs) {
			err = EINVAL;
			*bad_wr = wr;
			break;
		}
		slot = qp->rq.head & (qp->rq.wqe_cnt - 1);
		uodp_rwqe_build(qp->rq.buf + ((size_t)slot << qp->rq.wqe_shift),
				qp->rq.max_gs, wr->sg_list, wr->num_sge);
		qp->rq.wrid[slot] = wr->wr_id;
		uodp_store_u32(&qp->rq.head, qp->rq.head + 1);
	}
	if (nreq) {
		uodp_dbrec_store(&qp->dbrec[MLX5_RCV_DBR],
				 qp->rq.head & MLX5_WQE_INDEX_MASK);
		uodp_kick(to_uctx(ibqp->context));
	}
	pthread_spin_unlock(&qp->rq.lock);
	return err;
}

/* ---- the ibv_qp_ex builder ---- */

static void wr_close(struct uodp_qp *qp)
{
	struct uodp_wr_state *s = &qp->wr;

	if (!s->open)
		return;
	s->open = false;
	if (s->err)
		return;
	sq_commit(qp, &s->wqe, s->opcode, s->fm_ce_se, s->imm, s->wr_id);
	s->nreq++;
}

/* Start a WQE; false if the batch already failed or there is no room. */
static bool wr_open(struct uodp_qp *qp, uint8_t opcode, uint32_t imm)
{
	struct uodp_wr_state *s = &qp->wr;
	struct ibv_qp_ex *qpx = &qp->vqp.qp_ex;

	wr_close(qp);
	if (s->err)
		return false;
	if (!qp->sq.wqe_cnt || sq_full(qp)) {
		s->err = ENOMEM;
		return false;
	}
	uodp_wqe_begin(&s->wqe, qp->sq.buf, qp->sq.wqe_cnt, qp->sq.cur_post);
	s->open = true;
	s->atomic = false;
	s->opcode = opcode;
	s->imm = imm;
	s->wr_id = qpx->wr_id;	/* callers change it before we close */
	s->fm_ce_se = uodp_send_flags_to_fm_ce_se(qpx->wr_flags,
						  qp->sq_sig_all);
	s->xrc_off = 0;
	s->av_off = 0;
	if (qp->type == IBV_QPT_XRC_SEND)
		s->xrc_off = uodp_wqe_reserve(&s->wqe,
					      sizeof(struct mlx5_wqe_xrc_seg));
	if (qp->type == IBV_QPT_UD)
		s->av_off = uodp_wqe_reserve(&s->wqe, MLX5_AV_EXTENDED_SIZE);
	return true;
}

/* The SQ lock is held from wr_start to wr_complete/wr_abort. */
static void uodp_wr_start(struct ibv_qp_ex *qpx)
{
	struct uodp_qp *qp = qpex_to_uqp(qpx);

	pthread_spin_lock(&qp->sq.lock);
	qp->wr.open = false;
	qp->wr.err = 0;
	qp->wr.nreq = 0;
	qp->wr.start_post = qp->sq.cur_post;
	qp->wr.start_head = qp->sq.head;
}

static void wr_rollback(struct uodp_qp *qp)
{
	uodp_store_u32(&qp->sq.cur_post, qp->wr.start_post);
	qp->sq.head = qp->wr.start_head;
	qp->wr.open = false;
}

static int uodp_wr_complete(struct ibv_qp_ex *qpx)
{
	struct uodp_qp *qp = qpex_to_uqp(qpx);
	int err;

	wr_close(qp);
	err = qp->wr.err;
	if (err)
		wr_rollback(qp);
	else if (qp->wr.nreq)
		ring_sq(qp);
	pthread_spin_unlock(&qp->sq.lock);
	return err;
}

static void uodp_wr_abort(struct ibv_qp_ex *qpx)
{
	struct uodp_qp *qp = qpex_to_uqp(qpx);

	wr_rollback(qp);
	pthread_spin_unlock(&qp->sq.lock);
}

static void uodp_wr_send(struct ibv_qp_ex *qpx)
{
	wr_open(qpex_to_uqp(qpx), MLX5_OPCODE_SEND, 0);
}

static void uodp_wr_send_imm(struct ibv_qp_ex *qpx, __be32 imm_data)
{
	wr_open(qpex_to_uqp(qpx), MLX5_OPCODE_SEND_IMM, imm_data);
}

static void wr_rdma(struct ibv_qp_ex *qpx, uint8_t opcode, uint32_t rkey,
		    uint64_t remote_addr, uint32_t imm)
{
	struct uodp_qp *qp = qpex_to_uqp(qpx);

	if (wr_open(qp, opcode, imm))
		uodp_wqe_add_raddr(&qp->wr.wqe, remote_addr, rkey);
}

static void uodp_wr_rdma_write(struct ibv_qp_ex *qpx, uint32_t rkey,
			       uint64_t remote_addr)
{
	wr_rdma(qpx, MLX5_OPCODE_RDMA_WRITE, rkey, remote_addr, 0);
}

static void uodp_wr_rdma_write_imm(struct ibv_qp_ex *qpx, uint32_t rkey,
				   uint64_t remote_addr, __be32 imm_data)
{
	wr_rdma(qpx, MLX5_OPCODE_RDMA_WRITE_IMM, rkey, remote_addr, imm_data);
}

static void uodp_wr_rdma_read(struct ibv_qp_ex *qpx, uint32_t rkey,
			      uint64_t remote_addr)
{
	wr_rdma(qpx, MLX5_OPCODE_RDMA_READ, rkey, remote_addr, 0);
}

/*
 * A builder UC does not have (libmlx5 leaves it NULL): the batch fails at
 * wr_complete with EINVAL instead of a call through a NULL pointer.
 */
static void wr_refuse(struct uodp_qp *qp)
{
	wr_close(qp);
	if (!qp->wr.err)
		qp->wr.err = EINVAL;
}

static void uodp_wr_rdma_read_refused(struct ibv_qp_ex *qpx, uint32_t rkey,
				      uint64_t remote_addr)
{
	(void)rkey;
	(void)remote_addr;
	wr_refuse(qpex_to_uqp(qpx));
}

static void uodp_wr_atomic_cmp_swp_refused(struct ibv_qp_ex *qpx,
					   uint32_t rkey, uint64_t remote_addr,
					   uint64_t compare, uint64_t swap)
{
	(void)rkey;
	(void)remote_addr;
	(void)compare;
	(void)swap;
	wr_refuse(qpex_to_uqp(qpx));
}

static void uodp_wr_atomic_fetch_add_refused(struct ibv_qp_ex *qpx,
					     uint32_t rkey,
					     uint64_t remote_addr,
					     uint64_t add)
{
	(void)rkey;
	(void)remote_addr;
	(void)add;
	wr_refuse(qpex_to_uqp(qpx));
}

static void wr_atomic(struct ibv_qp_ex *qpx, uint8_t opcode, uint32_t rkey,
		      uint64_t remote_addr, uint64_t swap_add, uint64_t compare)
{
	struct uodp_qp *qp = qpex_to_uqp(qpx);

	if (!wr_open(qp, opcode, 0))
		return;
	qp->wr.atomic = true;
	uodp_wqe_add_raddr(&qp->wr.wqe, remote_addr, rkey);
	uodp_wqe_add_atomic(&qp->wr.wqe, swap_add, compare);
}

static void uodp_wr_atomic_cmp_swp(struct ibv_qp_ex *qpx, uint32_t rkey,
				   uint64_t remote_addr, uint64_t compare,
				   uint64_t swap)
{
	wr_atomic(qpx, MLX5_OPCODE_ATOMIC_CS, rkey, remote_addr, swap,
		  compare);
}

static void uodp_wr_atomic_fetch_add(struct ibv_qp_ex *qpx, uint32_t rkey,
				     uint64_t remote_addr, uint64_t add)
{
	wr_atomic(qpx, MLX5_OPCODE_ATOMIC_FA, rkey, remote_addr, add, 0);
}

/* The WQE the setters apply to, or NULL (no open WQE or batch failed). */
static struct uodp_qp *wr_target(struct ibv_qp_ex *qpx)
{
	struct uodp_qp *qp = qpex_to_uqp(qpx);

	if (qp->wr.err)
		return NULL;
	if (!qp->wr.open) {
		qp->wr.err = EINVAL;	/* a setter without an operation */
		return NULL;
	}
	return qp;
}

static void uodp_wr_set_sge_list(struct ibv_qp_ex *qpx, size_t num_sge,
				 const struct ibv_sge *sg_list)
{
	struct uodp_qp *qp = wr_target(qpx);
	size_t i;

	if (!qp)
		return;
	if (num_sge > qp->sq.max_gs) {
		qp->wr.err = EINVAL;
		return;
	}
	for (i = 0; i < num_sge; i++) {
		if (qp->wr.atomic) {
			uodp_wqe_add_data(&qp->wr.wqe, sg_list[i].addr,
					  MLX5_ATOMIC_SIZE, sg_list[i].lkey);
			break;
		}
		if (sg_list[i].length)
			uodp_wqe_add_data(&qp->wr.wqe, sg_list[i].addr,
					  sg_list[i].length, sg_list[i].lkey);
	}
}

static void uodp_wr_set_sge(struct ibv_qp_ex *qpx, uint32_t lkey,
			    uint64_t addr, uint32_t length)
{
	struct ibv_sge sge = { .addr = addr, .length = length, .lkey = lkey };

	uodp_wr_set_sge_list(qpx, 1, &sge);
}

static void uodp_wr_set_inline_data_list(struct ibv_qp_ex *qpx,
					 size_t num_buf,
					 const struct ibv_data_buf *buf_list)
{
	struct uodp_qp *qp = wr_target(qpx);
	int err;

	if (!qp)
		return;
	err = uodp_wqe_add_inline(&qp->wr.wqe, buf_list, num_buf,
				  qp->sq.max_inline);
	if (err)
		qp->wr.err = err;
}

static void uodp_wr_set_inline_data(struct ibv_qp_ex *qpx, void *addr,
				    size_t length)
{
	struct ibv_data_buf buf = { .addr = addr, .length = length };

	uodp_wr_set_inline_data_list(qpx, 1, &buf);
}

static void uodp_wr_set_ud_addr(struct ibv_qp_ex *qpx, struct ibv_ah *ibah,
				uint32_t remote_qpn, uint32_t remote_qkey)
{
	struct uodp_qp *qp = wr_target(qpx);
	struct uodp_ah *ah;

	if (!qp)
		return;
	if (qp->type != IBV_QPT_UD || !ibah) {
		qp->wr.err = EINVAL;
		return;
	}
	ah = to_uah(ibah);
	uodp_wqe_set_av(&qp->wr.wqe, qp->wr.av_off, &ah->av, ah->extended,
			remote_qpn, remote_qkey);
}

static void uodp_wr_set_xrc_srqn(struct ibv_qp_ex *qpx, uint32_t remote_srqn)
{
	struct uodp_qp *qp = wr_target(qpx);

	if (!qp)
		return;
	if (qp->type != IBV_QPT_XRC_SEND) {
		qp->wr.err = EINVAL;
		return;
	}
	uodp_wqe_set_xrc(&qp->wr.wqe, qp->wr.xrc_off, remote_srqn);
}

void uodp_qp_fill_wr_ops(struct uodp_qp *qp)
{
	struct ibv_qp_ex *qpx = &qp->vqp.qp_ex;

	qpx->comp_mask = 0;
	qpx->wr_start = uodp_wr_start;
	qpx->wr_complete = uodp_wr_complete;
	qpx->wr_abort = uodp_wr_abort;
	qpx->wr_send = uodp_wr_send;
	qpx->wr_send_imm = uodp_wr_send_imm;
	if (qp->type != IBV_QPT_UD) {
		qpx->wr_rdma_write = uodp_wr_rdma_write;
		qpx->wr_rdma_write_imm = uodp_wr_rdma_write_imm;
		qpx->wr_rdma_read = uodp_wr_rdma_read;
		qpx->wr_atomic_cmp_swp = uodp_wr_atomic_cmp_swp;
		qpx->wr_atomic_fetch_add = uodp_wr_atomic_fetch_add;
	}
	if (qp->type == IBV_QPT_UC) {
		qpx->wr_rdma_read = uodp_wr_rdma_read_refused;
		qpx->wr_atomic_cmp_swp = uodp_wr_atomic_cmp_swp_refused;
		qpx->wr_atomic_fetch_add = uodp_wr_atomic_fetch_add_refused;
	}
	qpx->wr_set_sge = uodp_wr_set_sge;
	qpx->wr_set_sge_list = uodp_wr_set_sge_list;
	qpx->wr_set_inline_data = uodp_wr_set_inline_data;
	qpx->wr_set_inline_data_list = uodp_wr_set_inline_data_list;
	if (qp->type == IBV_QPT_UD)
		qpx->wr_set_ud_addr = uodp_wr_set_ud_addr;
	if (qp->type == IBV_QPT_XRC_SEND)
		qpx->wr_set_xrc_srqn = uodp_wr_set_xrc_srqn;
}
