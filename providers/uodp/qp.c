// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Queue pairs, control path: sizing the send and receive queues the mlx5
 * way, creating them in shared memory, and the modify/query/destroy
 * commands.  uodpd owns the state machine and validates every transition.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmio.h"
#include "uodp.h"

enum {
	UODP_MAX_SQ_WQEBBS = 1 << 16,
	UODP_MAX_RQ_WQES = 1 << 16,
	UODP_MAX_WQE_BYTES = MLX5_WQE_CTRL_DS_MASK * MLX5_SEND_WQE_DS,
};

static const uint64_t rc_send_ops = IBV_QP_EX_WITH_RDMA_WRITE |
	IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM | IBV_QP_EX_WITH_SEND |
	IBV_QP_EX_WITH_SEND_WITH_IMM | IBV_QP_EX_WITH_RDMA_READ |
	IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP | IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD;
/* As libmlx5's MLX5_SUPPORTED_SEND_OPS_FLAGS_UC, less what uodp lacks. */
static const uint64_t uc_send_ops = IBV_QP_EX_WITH_RDMA_WRITE |
	IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM | IBV_QP_EX_WITH_SEND |
	IBV_QP_EX_WITH_SEND_WITH_IMM;
static const uint64_t ud_send_ops = IBV_QP_EX_WITH_SEND |
	IBV_QP_EX_WITH_SEND_WITH_IMM;

static bool has_sq(enum ibv_qp_type type)
{
	return type == IBV_QPT_RC || type == IBV_QPT_UC ||
	       type == IBV_QPT_UD || type == IBV_QPT_XRC_SEND;
}

static bool has_rq(enum ibv_qp_type type, struct ibv_srq *srq)
{
	return (type == IBV_QPT_RC || type == IBV_QPT_UC ||
		type == IBV_QPT_UD) && !srq;
}

/* Bytes a WQE of this QP type spends before its data segments. */
static uint32_t sq_overhead(enum ibv_qp_type type)
{
	uint32_t ctrl = sizeof(struct mlx5_wqe_ctrl_seg);

	switch (type) {
	case IBV_QPT_UD:
		return ctrl + MLX5_AV_EXTENDED_SIZE;
	case IBV_QPT_UC:
		/* libmlx5: no atomic segment, UC has no atomics. */
		return ctrl + sizeof(struct mlx5_wqe_raddr_seg);
	case IBV_QPT_XRC_SEND:
		return ctrl + sizeof(struct mlx5_wqe_xrc_seg) +
		       sizeof(struct mlx5_wqe_raddr_seg) +
		       sizeof(struct mlx5_wqe_atomic_seg);
	default:
		return ctrl + sizeof(struct mlx5_wqe_raddr_seg) +
		       sizeof(struct mlx5_wqe_atomic_seg);
	}
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static int size_sq(struct uodp_context *ctx, struct uodp_qp *qp,
		   struct ibv_qp_cap *cap)
{
	const struct uodp_dev_limits *dev = &ctx->attr;
	uint32_t overhead = sq_overhead(qp->type), data, size, wqe_size;
	uint64_t total;

	if (cap->max_send_wr > dev->max_qp_wr ||
	    cap->max_send_sge > dev->max_sge ||
	    cap->max_inline_data > dev->max_inline_data)
		return EINVAL;
	if (!cap->max_send_wr) {
		cap->max_send_sge = 0;
		cap->max_inline_data = 0;
		return 0;
	}
	data = cap->max_send_sge * sizeof(struct mlx5_wqe_data_seg);
	if (cap->max_inline_data &&
	    mlx5_inline_seg_size(cap->max_inline_data) > data)
		data = mlx5_inline_seg_size(cap->max_inline_data);
	size = overhead + data;
	if (size > UODP_MAX_WQE_BYTES)
		return EINVAL;
	wqe_size = (size + MLX5_SEND_WQE_BB - 1) &
		   ~(uint32_t)(MLX5_SEND_WQE_BB - 1);
	total = uodp_roundup_pow2(cap->max_send_wr * wqe_size);
	if (!total || total / MLX5_SEND_WQE_BB > UODP_MAX_SQ_WQEBBS)
		return EINVAL;

	qp->sq.wqe_cnt = (uint32_t)(total / MLX5_SEND_WQE_BB);
	qp->sq.max_post = (uint32_t)(total / wqe_size);
	size = min_u32(wqe_size, UODP_MAX_WQE_BYTES) - overhead;
	/* As libmlx5: the SGE limit is what was asked, inline what fits. */
	qp->sq.max_gs = cap->max_send_sge;
	qp->sq.max_inline = min_u32(size - sizeof(struct mlx5_wqe_inline_seg),
				    dev->max_inline_data);
	cap->max_send_wr = qp->sq.max_post;
	cap->max_send_sge = qp->sq.max_gs;
	cap->max_inline_data = qp->sq.max_inline;
	return 0;
}

static int size_rq(struct uodp_context *ctx, struct uodp_qp *qp,
		   struct ibv_qp_cap *cap, struct ibv_srq *srq)
{
	const struct uodp_dev_limits *dev = &ctx->attr;
	uint32_t stride, cnt;

	if (!has_rq(qp->type, srq)) {
		cap->max_recv_wr = 0;
		cap->max_recv_sge = 0;
		return 0;
	}
	if (cap->max_recv_wr > dev->max_qp_wr ||
	    cap->max_recv_sge > dev->max_sge)
		return EINVAL;
	if (!cap->max_recv_wr) {
		cap->max_recv_sge = 0;
		return 0;
	}
	stride = uodp_roundup_pow2(sizeof(struct mlx5_wqe_data_seg) *
				   (cap->max_recv_sge ? cap->max_recv_sge : 1));
	cnt = uodp_roundup_pow2(cap->max_recv_wr);
	if (!cnt || cnt > UODP_MAX_RQ_WQES)
		return EINVAL;
	if (cnt * stride < MLX5_SEND_WQE_BB)
		cnt = MLX5_SEND_WQE_BB / stride;
	qp->rq.wqe_cnt = cnt;
	qp->rq.wqe_shift = uodp_ilog2(stride);
	qp->rq.max_gs = stride / sizeof(struct mlx5_wqe_data_seg);
	cap->max_recv_wr = cnt;
	cap->max_recv_sge = min_u32(qp->rq.max_gs, dev->max_sge);
	return 0;
}

static int alloc_queues(struct uodp_context *ctx, struct uodp_qp *qp,
			struct uodp_create_qp_drv *drv)
{
	size_t sq_bytes = (size_t)qp->sq.wqe_cnt * MLX5_SEND_WQE_BB;
	size_t rq_bytes = (size_t)qp->rq.wqe_cnt << qp->rq.wqe_shift;
	size_t db_off = (sq_bytes + rq_bytes + 63) & ~(size_t)63;
	int err;

	if (qp->sq.wqe_cnt) {
		qp->sq.wrid = calloc(qp->sq.wqe_cnt, sizeof(*qp->sq.wrid));
		qp->sq.wqe_head = calloc(qp->sq.wqe_cnt,
					 sizeof(*qp->sq.wqe_head));
		if (!qp->sq.wrid || !qp->sq.wqe_head)
			return ENOMEM;
	}
	if (qp->rq.wqe_cnt) {
		qp->rq.wrid = calloc(qp->rq.wqe_cnt, sizeof(*qp->rq.wrid));
		if (!qp->rq.wrid)
			return ENOMEM;
	}
	err = uodp_qmem_alloc(ctx, &qp->mem,
			      db_off + 64, "uodp-qp");
	if (err)
		return err;
	qp->has_mem = true;
	/* mlx5's layout: the RQ first, the SQ right after it. */
	qp->rq.buf = qp->mem.addr;
	qp->sq.buf = (uint8_t *)qp->mem.addr + rq_bytes;
	qp->dbrec = (volatile uint32_t *)((uint8_t *)qp->mem.addr + db_off);

	drv->mlx5.buf_addr = (uintptr_t)qp->mem.addr;
	drv->mlx5.db_addr = (uintptr_t)qp->dbrec;
	uodp_qmem_ref(&qp->mem, 0, db_off, &drv->qmem);
	return 0;
}

static void free_qp(struct uodp_qp *qp)
{
	if (qp->has_mem)
		uodp_qmem_free(&qp->mem);
	free(qp->sq.wrid);
	free(qp->sq.wqe_head);
	free(qp->rq.wrid);
	pthread_spin_destroy(&qp->sq.lock);
	pthread_spin_destroy(&qp->rq.lock);
	free(qp);
}

static int check_init_attr(struct ibv_qp_init_attr_ex *attr)
{
	uint32_t known = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_XRCD |
			 IBV_QP_INIT_ATTR_CREATE_FLAGS |
			 IBV_QP_INIT_ATTR_MAX_TSO_HEADER |
			 IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
	uint64_t ops;

	if (attr->comp_mask & (IBV_QP_INIT_ATTR_IND_TABLE |
			       IBV_QP_INIT_ATTR_RX_HASH))
		return EOPNOTSUPP;
	if (attr->comp_mask & ~known)
		return EINVAL;
	if ((attr->comp_mask & IBV_QP_INIT_ATTR_CREATE_FLAGS) &&
	    attr->create_flags)
		return EOPNOTSUPP;
	if ((attr->comp_mask & IBV_QP_INIT_ATTR_MAX_TSO_HEADER) &&
	    attr->max_tso_header)
		return EOPNOTSUPP;

	switch (attr->qp_type) {
	case IBV_QPT_RC:
	case IBV_QPT_UC:
	case IBV_QPT_UD:
		if (!attr->pd || !attr->send_cq || !attr->recv_cq)
			return EINVAL;
		if (attr->srq && to_usrq(attr->srq)->vsrq.srq_type !=
					 IBV_SRQT_BASIC)
			return EINVAL;
		ops = attr->qp_type == IBV_QPT_RC ? rc_send_ops :
		      attr->qp_type == IBV_QPT_UC ? uc_send_ops : ud_send_ops;
		break;
	case IBV_QPT_XRC_SEND:
		if (!attr->pd || !attr->send_cq || attr->srq)
			return EINVAL;
		ops = rc_send_ops;
		break;
	case IBV_QPT_XRC_RECV:
		if (!attr->xrcd || attr->srq)
			return EINVAL;
		ops = 0;
		break;
	default:
		return EOPNOTSUPP;
	}
	if ((attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS) &&
	    (attr->send_ops_flags & ~ops))
		return EOPNOTSUPP;
	return 0;
}

/* CREATE_QP's response: ib_uverbs_create_qp_resp's fields, then mlx5's. */
struct uodp_create_qp_resp_cmd {
	uint32_t qp_handle;
	uint32_t qpn;
	uint32_t max_send_wr;
	uint32_t max_recv_wr;
	uint32_t max_send_sge;
	uint32_t max_recv_sge;
	uint32_t max_inline_data;
	uint32_t reserved;
	struct mlx5_ib_create_qp_resp mlx5;
};

/* CREATE_QP as libmlx5 issues it: the sizes in mlx5's driver data. */
static int create_qp_cmd(struct ibv_context *context, struct uodp_qp *qp,
			 const struct ibv_qp_init_attr_ex *attr,
			 const struct ibv_qp_cap *cap,
			 struct uodp_create_qp_drv *drv)
{
	struct {
		struct ibv_create_qp ibv_cmd;
		struct uodp_create_qp_drv drv;
	} cmd = { .drv = *drv };
	struct uodp_create_qp_resp_cmd resp;
	struct ibv_qp_init_attr_ex ex = *attr;

	cmd.drv.mlx5.sq_wqe_count = qp->sq.wqe_cnt;
	cmd.drv.mlx5.rq_wqe_count = qp->rq.wqe_cnt;
	cmd.drv.mlx5.rq_wqe_shift = qp->rq.wqe_cnt ? qp->rq.wqe_shift : 0;
	ex.cap = *cap;
	/* What libibverbs' write path takes; the rest was checked zero. */
	ex.comp_mask &= IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_XRCD |
			IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
	/* Without the emulator's memfd, mlx5's driver data alone. */
	return ibv_cmd_create_qp_ex(context, &qp->vqp, &ex, &cmd.ibv_cmd,
				    cmd.drv.qmem.fd < 0 ?
				    offsetof(typeof(cmd), drv.qmem) :
				    sizeof(cmd),
				    (struct ib_uverbs_create_qp_resp *)&resp,
				    sizeof(resp));
}

static void fill_ibv_qp(struct uodp_qp *qp, struct ibv_context *context,
			const struct ibv_qp_init_attr_ex *attr)
{
	struct ibv_qp *ibqp = &qp->vqp.qp;

	ibqp->context = context;
	ibqp->qp_context = attr->qp_context;
	ibqp->pd = attr->pd;
	ibqp->send_cq = attr->send_cq;
	ibqp->recv_cq = attr->recv_cq;
	ibqp->srq = attr->srq;
	ibqp->handle = qp->qpn;
	ibqp->qp_num = qp->qpn;
	ibqp->state = IBV_QPS_RESET;
	ibqp->qp_type = attr->qp_type;
	ibqp->events_completed = 0;
	pthread_mutex_init(&ibqp->mutex, NULL);
	pthread_cond_init(&ibqp->cond, NULL);
	if (attr->qp_type == IBV_QPT_XRC_RECV) {
		qp->vqp.comp_mask |= VERBS_QP_XRCD;
		qp->vqp.xrcd = &to_uxrcd(attr->xrcd)->vxrcd;
	}
	if (attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS) {
		qp->send_ops_flags = attr->send_ops_flags;
		qp->vqp.comp_mask |= VERBS_QP_EX;
	}
	uodp_qp_fill_wr_ops(qp);
}

static struct ibv_qp *create_qp(struct ibv_context *context,
				struct ibv_qp_init_attr_ex *attr)
{
	struct uodp_context *ctx = to_uctx(context);
	struct uodp_create_qp_drv drv = { .qmem.fd = -1 };
	struct ibv_qp_cap cap = attr->cap;
	struct uodp_qp *qp;
	int err;

	if (!(attr->comp_mask & IBV_QP_INIT_ATTR_PD))
		attr->pd = NULL;
	if (!(attr->comp_mask & IBV_QP_INIT_ATTR_XRCD))
		attr->xrcd = NULL;
	err = check_init_attr(attr);
	if (err)
		goto err_out;
	qp = calloc(1, sizeof(*qp));
	if (!qp) {
		err = ENOMEM;
		goto err_out;
	}
	qp->type = attr->qp_type;
	qp->sq_sig_all = attr->sq_sig_all;
	qp->srq = attr->srq ? to_usrq(attr->srq) : NULL;
	pthread_spin_init(&qp->sq.lock, PTHREAD_PROCESS_PRIVATE);
	pthread_spin_init(&qp->rq.lock, PTHREAD_PROCESS_PRIVATE);

	if (has_sq(qp->type))
		err = size_sq(ctx, qp, &cap);
	else
		cap.max_send_wr = cap.max_send_sge = cap.max_inline_data = 0;
	if (!err)
		err = size_rq(ctx, qp, &cap, attr->srq);
	if (!err && qp->type != IBV_QPT_XRC_RECV)
		err = alloc_queues(ctx, qp, &drv);
	if (err)
		goto err_free;

	err = create_qp_cmd(context, qp, attr, &cap, &drv);
	if (qp->has_mem)
		uodp_qmem_close_fd(&qp->mem);
	if (err)
		goto err_free;
	qp->qpn = qp->vqp.qp.qp_num;
	/*
	 * The fault engine may look the QP up as soon as it is in the table,
	 * while libibverbs still fills struct ibv_qp: it reads our copy.
	 */
	qp->pdn = attr->pd ? to_upd(attr->pd)->pdn : UODP_NO_PDN;
	err = uodp_table_store(ctx, &ctx->qp_table, qp->qpn, qp);
	if (err)
		goto err_destroy;
	fill_ibv_qp(qp, context, attr);
	attr->cap = cap;
	uodp_dbg("QP %u type %d: sq %u WQEBBs (%u WRs), rq %u x %u B", qp->qpn,
		 qp->type, qp->sq.wqe_cnt, qp->sq.max_post, qp->rq.wqe_cnt,
		 qp->rq.wqe_cnt ? 1u << qp->rq.wqe_shift : 0);
	return &qp->vqp.qp;

err_destroy:
	ibv_cmd_destroy_qp(&qp->vqp.qp);
err_free:
	free_qp(qp);
err_out:
	errno = err;
	return NULL;
}

struct ibv_qp *uodp_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr)
{
	struct ibv_qp_init_attr_ex ex = {
		.qp_context = attr->qp_context,
		.send_cq = attr->send_cq,
		.recv_cq = attr->recv_cq,
		.srq = attr->srq,
		.cap = attr->cap,
		.qp_type = attr->qp_type,
		.sq_sig_all = attr->sq_sig_all,
		.comp_mask = IBV_QP_INIT_ATTR_PD,
		.pd = pd,
	};
	struct ibv_qp *qp;

	qp = create_qp(pd->context, &ex);
	if (qp)
		attr->cap = ex.cap;
	return qp;
}

struct ibv_qp *uodp_create_qp_ex(struct ibv_context *context,
				 struct ibv_qp_init_attr_ex *attr)
{
	return create_qp(context, attr);
}

void uodp_qp_reset_indices(struct uodp_qp *qp)
{
	pthread_spin_lock(&qp->sq.lock);
	uodp_store_u32(&qp->sq.cur_post, 0);
	qp->sq.head = 0;
	qp->sq.tail = 0;
	pthread_spin_unlock(&qp->sq.lock);
	pthread_spin_lock(&qp->rq.lock);
	uodp_store_u32(&qp->rq.head, 0);
	qp->rq.tail = 0;
	pthread_spin_unlock(&qp->rq.lock);
	if (qp->dbrec) {
		qp->dbrec[MLX5_RCV_DBR] = 0;
		qp->dbrec[MLX5_SND_DBR] = 0;
	}
}

static void clean_cqs(struct uodp_qp *qp)
{
	struct ibv_qp *ibqp = &qp->vqp.qp;

	if (ibqp->recv_cq && qp->type != IBV_QPT_XRC_SEND &&
	    qp->type != IBV_QPT_XRC_RECV)
		uodp_cq_clean(to_ucq(ibqp->recv_cq), qp->qpn, qp->srq);
	if (ibqp->send_cq && ibqp->send_cq != ibqp->recv_cq)
		uodp_cq_clean(to_ucq(ibqp->send_cq), qp->qpn, NULL);
}

int uodp_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		   int attr_mask)
{
	struct uodp_qp *qp = to_uqp(ibqp);
	struct ibv_modify_qp cmd;
	int err;

	err = ibv_cmd_modify_qp(ibqp, attr, attr_mask, &cmd, sizeof(cmd));
	if (err) {
		uodp_dbg("modify_qp QP %u mask %#x to state %u refused: %s",
			 qp->qpn, attr_mask, attr->qp_state, strerror(err));
		return err;
	}
	if ((attr_mask & IBV_QP_STATE) && attr->qp_state == IBV_QPS_RESET) {
		clean_cqs(qp);
		uodp_qp_reset_indices(qp);
	}
	return 0;
}

int uodp_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int attr_mask,
		  struct ibv_qp_init_attr *init_attr)
{
	struct uodp_qp *qp = to_uqp(ibqp);
	struct ibv_qp_init_attr init_local;
	struct ibv_qp_cap cap = {};
	struct ibv_query_qp cmd;
	int err;

	memset(attr, 0, sizeof(*attr));
	err = ibv_cmd_query_qp(ibqp, attr, attr_mask,
			       init_attr ? init_attr : &init_local, &cmd,
			       sizeof(cmd));
	if (err)
		return err;
	/* As libmlx5: the queue sizes are the provider's own. */
	cap.max_send_wr = qp->sq.max_post;
	cap.max_send_sge = qp->sq.max_gs;
	cap.max_inline_data = qp->sq.max_inline;
	cap.max_recv_wr = qp->rq.wqe_cnt;
	cap.max_recv_sge = min_u32(qp->rq.max_gs,
				   to_uctx(ibqp->context)->attr.max_sge);
	attr->cap = cap;
	if (init_attr)
		init_attr->cap = cap;
	return 0;
}

int uodp_destroy_qp(struct ibv_qp *ibqp)
{
	struct uodp_context *ctx = to_uctx(ibqp->context);
	struct uodp_qp *qp = to_uqp(ibqp);
	int err;

	/* It waits until every async event the process read is acked. */
	err = uodp_destroy_err(ibv_cmd_destroy_qp(ibqp));
	if (err)
		return err;
	clean_cqs(qp);
	uodp_odp_wq_gone_begin(ctx);
	uodp_table_clear(ctx, &ctx->qp_table, qp->qpn);
	uodp_odp_wq_gone_end(ctx);
	pthread_mutex_destroy(&ibqp->mutex);
	pthread_cond_destroy(&ibqp->cond);
	free_qp(qp);
	return 0;
}
