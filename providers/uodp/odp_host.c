// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The provider side of ODP around the fault engine (odp/engine.h): the
 * host hooks that show the engine our SQs, RQs and SRQs (under wq_lock, so
 * a queue being destroyed waits for a parse in progress) and our MR table;
 * the engine's start with the first ODP MR and its stop in free_context;
 * the ODP capabilities, read from the device's PRM ODP caps block; and
 * ibv_advise_mr.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "hw/mlx5/cmd.h"
#include "odp/engine.h"
#include "odp_host.h"
#include "uodp.h"

/* ---- host hooks ---- */

static int view_srq(struct uodp_context *ctx, uint32_t num,
		    struct uodp_odp_wq_view *v)
{
	struct uodp_srq *srq = uodp_table_find(&ctx->srq_table, num);

	if (!srq)
		return -ENOENT;
	v->buf = srq->buf;
	v->wqe_cnt = srq->wqe_cnt;
	v->wqe_shift = srq->wqe_shift;
	v->pdn = srq->pdn;
	v->producer = __atomic_load_n(&srq->head, __ATOMIC_ACQUIRE);
	return 0;
}

static int view_qp(struct uodp_context *ctx, enum uodp_odp_wq_kind kind,
		   uint32_t num, struct uodp_odp_wq_view *v)
{
	struct uodp_qp *qp = uodp_table_find(&ctx->qp_table, num);

	if (!qp)
		return -ENOENT;
	v->pdn = qp->pdn;
	if (kind == UODP_ODP_WQ_RQ) {
		if (!qp->rq.wqe_cnt)
			return -ENOENT;
		v->buf = qp->rq.buf;
		v->wqe_cnt = qp->rq.wqe_cnt;
		v->wqe_shift = qp->rq.wqe_shift;
		v->producer = __atomic_load_n(&qp->rq.head, __ATOMIC_ACQUIRE);
		return 0;
	}
	if (!qp->sq.wqe_cnt)
		return -ENOENT;
	v->buf = qp->sq.buf;
	v->wqe_cnt = qp->sq.wqe_cnt;
	v->wqe_shift = 6;
	v->producer = __atomic_load_n(&qp->sq.cur_post, __ATOMIC_ACQUIRE);
	if (qp->type == IBV_QPT_UD)
		v->flags |= UODP_ODP_WQ_UD;
	if (qp->type == IBV_QPT_XRC_SEND)
		v->flags |= UODP_ODP_WQ_XRC;
	return 0;
}

static int host_get_wq(void *priv, enum uodp_odp_wq_kind kind, uint32_t num,
		       struct uodp_odp_wq_view *v)
{
	struct uodp_context *ctx = priv;
	int err;

	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->num = num;
	pthread_rwlock_rdlock(&ctx->wq_lock);
	err = kind == UODP_ODP_WQ_SRQ ? view_srq(ctx, num, v) :
					view_qp(ctx, kind, num, v);
	if (err)
		pthread_rwlock_unlock(&ctx->wq_lock);
	return err;
}

static void host_put_wq(void *priv)
{
	struct uodp_context *ctx = priv;

	pthread_rwlock_unlock(&ctx->wq_lock);
}

static int host_mr_lookup(void *priv, uint32_t key, bool remote,
			  struct uodp_odp_mr_info *mr)
{
	struct uodp_context *ctx = priv;

	return uodp_odp_mr_table_lookup(&ctx->mr_table, key, remote, mr);
}

static const struct uodp_odp_host_ops uodp_host_ops = {
	.get_wq = host_get_wq,
	.put_wq = host_put_wq,
	.mr_lookup = host_mr_lookup,
};

void uodp_odp_wq_gone_begin(struct uodp_context *ctx)
{
	pthread_rwlock_wrlock(&ctx->wq_lock);
}

void uodp_odp_wq_gone_end(struct uodp_context *ctx)
{
	pthread_rwlock_unlock(&ctx->wq_lock);
}

/* ---- life cycle ---- */

void uodp_odp_context_init(struct uodp_context *ctx)
{
	uodp_odp_mr_table_init(&ctx->mr_table);
	pthread_rwlock_init(&ctx->wq_lock, NULL);
	pthread_mutex_init(&ctx->odp_lock, NULL);
}

void uodp_odp_context_fini(struct uodp_context *ctx)
{
	uodp_odp_engine_stop(ctx->odp_engine);
	ctx->odp_engine = NULL;
	uodp_odp_mr_table_destroy(&ctx->mr_table);
	pthread_rwlock_destroy(&ctx->wq_lock);
	pthread_mutex_destroy(&ctx->odp_lock);
}

int uodp_odp_start_engine(struct uodp_context *ctx)
{
	struct uodp_odp_host host = { &uodp_host_ops, ctx };
	struct uodp_odp_engine *e;
	int err = 0;

	if (__atomic_load_n(&ctx->odp_engine, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&ctx->odp_lock);
	if (!ctx->odp_engine) {
		uodp_odp_backend_devx_init(&ctx->odp_backend, ctx);
		err = -uodp_odp_engine_start(&host, &ctx->odp_backend, &e);
		if (!err)
			__atomic_store_n(&ctx->odp_engine, e,
					 __ATOMIC_RELEASE);
		else
			uodp_err("cannot serve ODP page faults: %s",
				 strerror(err));
	}
	pthread_mutex_unlock(&ctx->odp_lock);
	return err;
}

int uodp_odp_mr_add(struct uodp_context *ctx, const struct uodp_mr *mr,
		    uint32_t pdn, bool odp)
{
	const struct ibv_mr *m = &mr->vmr.ibv_mr;
	bool implicit = odp && !m->addr && m->length == SIZE_MAX;
	struct uodp_odp_mr_info info = {
		.lkey = m->lkey,
		.rkey = m->rkey,
		.pdn = pdn,
		.access = (uint32_t)mr->vmr.access,
		.addr = (uintptr_t)m->addr,
		.iova = implicit ? 0 : mr->iova,
		.length = implicit ? UINT64_MAX : m->length,
		.odp = odp,
	};

	return -uodp_odp_mr_table_add(&ctx->mr_table, &info);
}

void uodp_odp_mr_del(struct uodp_context *ctx, uint32_t lkey)
{
	uodp_odp_mr_table_del(&ctx->mr_table, lkey);
}

/* ---- capabilities ---- */

static uint32_t prm_to_ibv(uint32_t prm)
{
	uint32_t ibv = 0;

	if (prm & MLX5_ODP_CAP_SEND)
		ibv |= IBV_ODP_SUPPORT_SEND;
	if (prm & MLX5_ODP_CAP_RECEIVE)
		ibv |= IBV_ODP_SUPPORT_RECV;
	if (prm & MLX5_ODP_CAP_WRITE)
		ibv |= IBV_ODP_SUPPORT_WRITE;
	if (prm & MLX5_ODP_CAP_READ)
		ibv |= IBV_ODP_SUPPORT_READ;
	if (prm & MLX5_ODP_CAP_ATOMIC)
		ibv |= IBV_ODP_SUPPORT_ATOMIC;
	if (prm & MLX5_ODP_CAP_SRQ_RECEIVE)
		ibv |= IBV_ODP_SUPPORT_SRQ_RECV;
	return ibv;
}

static uint32_t cap_dword(const uint8_t *block, unsigned int off)
{
	uint32_t v;

	memcpy(&v, block + off, sizeof(v));
	return be32toh(v);
}

/* QUERY_HCA_CAP op_mod 0x5 (current ODP caps): 0, or why not. */
static int query_odp_caps_block(struct uodp_context *ctx, uint8_t *block,
				size_t len)
{
	uint8_t in[16] = { 0 }, out[256];
	const struct mlx5_cmd_out_hdr *hdr = (const void *)out;
	uint16_t v;
	int err;

	v = htobe16(MLX5_CMD_OP_QUERY_HCA_CAP);
	memcpy(in, &v, sizeof(v));
	v = htobe16(0x5);
	memcpy(in + 6, &v, sizeof(v));
	err = uodp_devx_general(ctx, in, sizeof(in), out, sizeof(out));
	if (err)
		return err;
	if (hdr->status != MLX5_CMD_STAT_OK)
		return EOPNOTSUPP;
	memcpy(block, out + sizeof(*hdr), len);
	return 0;
}

void uodp_odp_fill_caps(struct uodp_context *ctx, uint64_t general_caps,
			struct ibv_device_attr_ex *ex)
{
	uint8_t block[0x40];
	int err;

	memset(&ex->odp_caps, 0, sizeof(ex->odp_caps));
	ex->xrc_odp_caps = 0;
	if (!(general_caps & IBV_ODP_SUPPORT))
		return;
	err = query_odp_caps_block(ctx, block, sizeof(block));
	if (err) {
		uodp_dbg("no ODP capability block (%s): no ODP",
			 strerror(err));
		return;
	}
	ex->odp_caps.general_caps = general_caps &
				    (IBV_ODP_SUPPORT | IBV_ODP_SUPPORT_IMPLICIT);
	ex->odp_caps.per_transport_caps.rc_odp_caps =
		prm_to_ibv(cap_dword(block, MLX5_ODP_CAP_RC_OFF));
	ex->odp_caps.per_transport_caps.uc_odp_caps =
		prm_to_ibv(cap_dword(block, MLX5_ODP_CAP_UC_OFF));
	ex->odp_caps.per_transport_caps.ud_odp_caps =
		prm_to_ibv(cap_dword(block, MLX5_ODP_CAP_UD_OFF));
	ex->xrc_odp_caps = prm_to_ibv(cap_dword(block, MLX5_ODP_CAP_XRC_OFF));
}

/* ---- ibv_advise_mr ---- */

int uodp_advise_mr(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
		   uint32_t flags, struct ibv_sge *sg_list, uint32_t num_sge)
{
	struct uodp_context *ctx = to_uctx(pd->context);
	struct uodp_odp_engine *e;
	int err;

	err = uodp_odp_advise_check_args(advice, flags, sg_list, num_sge);
	if (err)
		return err;
	e = __atomic_load_n(&ctx->odp_engine, __ATOMIC_ACQUIRE);
	if (!e)
		return ENOENT;	/* no ODP MR was ever registered here */
	return uodp_odp_engine_advise(e, to_upd(pd)->pdn, advice, flags,
				      sg_list, num_sge);
}
