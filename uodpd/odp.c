// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Page faults on the device side: tokens, fault records, the page-fault
 * EQEs the engine's faults turn into, and PAGE_FAULT_RESUME.
 *
 * A fault belongs to the context that must service it (the queue's owner
 * for WQE faults, the MR's owner for RDMA faults by rkey); only that
 * context may resume it, with the token it was issued and the matching wq
 * number and type.  When its channel closes or it dies, everything it owns
 * is resumed with error so no queue stalls forever.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "odp_priv.h"
#include "hw/mlx5/cmd.h"

#define TOKEN_MAX MLX5_PFAULT_TOKEN_MASK

int ud_odp_init(struct uodpd *d)
{
	d->odp = calloc(1, sizeof(*d->odp));
	if (!d->odp)
		return -ENOMEM;
	list_head_init(&d->odp->faults);
	list_head_init(&d->odp->prefetch_ctxs);
	d->odp->next_token = 1;
	return 0;
}

void ud_odp_fini(struct uodpd *d)
{
	/* Contexts are gone, and their faults with them. */
	free(d->odp);
	d->odp = NULL;
}

struct ud_odp_ctx *ud_odp_ctx_get(struct ud_ctx *ctx)
{
	struct ud_odp_ctx *o = ctx->odp;

	if (o)
		return o;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->ctx = ctx;
	o->chan_wfd = -1;
	o->stats_fd = -1;
	o->uffd = -1;
	list_head_init(&o->pending);
	list_head_init(&o->prefetch);
	list_head_init(&o->faults);
	ctx->odp = o;
	return o;
}

struct uodp_odp_device_counters *ud_odp_dev_ctr(struct uodpd *d,
						 struct ud_ctx *ctx)
{
	if (!d->odp || !ctx->dev)
		return NULL;
	return &d->odp->ctr[ctx->dev->index];
}

/* ---- tokens ---- */

static bool token_in_use(struct uodpd *d, uint32_t token)
{
	struct ud_odp_fault *f;

	list_for_each_safe(&d->odp->faults, f, t, struct ud_odp_fault,
			   dev_link)
		if (f->token == token)
			return true;
	return false;
}

/*
 * 24 bits, never 0, unique among outstanding faults.  Handed out in
 * sequence so a stale resume meets no fresh fault; only after the space
 * wrapped must a candidate be checked against the outstanding ones.
 */
static uint32_t token_alloc(struct uodpd *d)
{
	struct ud_odp_dev *od = d->odp;
	uint32_t i, token;

	for (i = 0; i < TOKEN_MAX; i++) {
		token = od->next_token;
		od->next_token = token == TOKEN_MAX ? 1 : token + 1;
		if (token == TOKEN_MAX)
			od->tokens_wrapped = true;
		if (!od->tokens_wrapped || !token_in_use(d, token))
			return token;
	}
	return 0;
}

/* ---- raising ---- */

static struct ud_ctx *channel_owner(struct ud_ctx *ctx, uint64_t feature)
{
	if (!ctx || ctx->dead || !ctx->odp || !ud_odp_channel_open_p(ctx) ||
	    !(ctx->odp->features & feature))
		return NULL;
	return ctx;
}

static struct ud_odp_fault *fault_new(struct uodpd *d, struct ud_ctx *owner,
				      struct ud_fault_ctx *fc)
{
	struct ud_odp_fault *f;

	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->token = token_alloc(d);
	if (!f->token) {
		free(f);
		return NULL;
	}
	f->owner = owner;
	f->qpn = UD_NO_HANDLE;
	f->srqn = UD_NO_HANDLE;
	list_add_tail(&owner->odp->faults, &f->owner_link);
	list_add_tail(&d->odp->faults, &f->dev_link);
	fc->stalled = true;
	fc->token = f->token;
	return f;
}

static void fault_free(struct ud_odp_fault *f)
{
	list_del(&f->owner_link);
	list_del(&f->dev_link);
	free(f);
}

/* The ODP MR of key, if it is one still. */
static struct ud_odp_mr *odp_mr_of(struct uodpd *d, uint32_t key)
{
	struct ud_mr *mr = key ? ud_mr_lookup(d, key) : NULL;

	return mr && mr->odp ? mr->odp_tbl : NULL;
}

/* Count f against the MR it hit (per-MR counters), and remember which. */
static void count_mr_fault(struct uodpd *d, struct ud_odp_fault *f,
			   uint32_t key)
{
	struct ud_odp_mr *t = odp_mr_of(d, key);

	if (t) {
		t->faults++;
		f->mr_key = key;
	}
	d->odp->last_fault_key = 0;
}

/* Deliver f's EQE; if it cannot even be queued, the fault is undone. */
static int send_fault(struct uodpd *d, struct ud_odp_fault *f,
		      struct ud_fault_ctx *fc, const struct mlx5_eqe *eqe)
{
	struct ud_odp_event ev = {
		.type = UD_ODP_EV_PAGE_FAULT,
	};
	int ret;

	memcpy(ev.eqe, eqe, sizeof(ev.eqe));
	ret = ud_odp_channel_send(d, f->owner, &ev, true);
	if (ret) {
		ud_err("context %u: cannot queue fault 0x%x: %s", f->owner->id,
		       f->token, strerror(-ret));
		fault_free(f);
		memset(fc, 0, sizeof(*fc));
	}
	return ret;
}

int ud_odp_raise_wqe_fault(struct uodpd *d, struct ud_qp *qp,
			   struct ud_srq *srq, uint8_t type, uint32_t wq_num,
			   uint16_t wqe_index, uint32_t bytes_committed)
{
	bool rmp = type == MLX5_WQE_PF_TYPE_RMP;
	struct mlx5_eqe eqe = {
		.type = MLX5_EVENT_TYPE_PAGE_FAULT,
		.sub_type = MLX5_PFAULT_SUBTYPE_WQE,
	};
	struct ud_fault_ctx *fc;
	struct ud_odp_fault *f;
	struct ud_ctx *owner;
	int ret;

	if ((rmp && !srq) || (!rmp && !qp) || type > 3 || !d->odp)
		return -EINVAL;
	if (rmp)
		fc = &srq->fault;
	else if (type & MLX5_PFAULT_REQUESTOR)
		fc = &qp->sq_fault;
	else
		fc = &qp->rq_fault;
	if (fc->stalled)
		return -EBUSY;
	owner = channel_owner(rmp ? srq->ctx : qp->ctx, UODP_ODP_F_WQE_FAULTS);
	if (!owner)
		return -ENOTCONN;
	f = fault_new(d, owner, fc);
	if (!f)
		return -ENOMEM;
	f->subtype = MLX5_PFAULT_SUBTYPE_WQE;
	f->type = type;
	f->wq_num = wq_num & MLX5_PFAULT_WQ_MASK;
	f->kind = rmp ? UD_FC_SRQ : type & MLX5_PFAULT_REQUESTOR ? UD_FC_SQ :
							       UD_FC_RQ;
	f->qpn = qp ? qp->qpn : UD_NO_HANDLE;
	f->srqn = rmp ? srq->srqn : UD_NO_HANDLE;
	fc->type = type;
	fc->subtype = MLX5_PFAULT_SUBTYPE_WQE;
	fc->wq_num = f->wq_num;

	eqe.data.wqe.bytes_committed = htobe32(bytes_committed);
	eqe.data.wqe.wqe_index = htobe16(wqe_index);
	eqe.data.wqe.token = htobe32(f->token);
	eqe.data.wqe.pftype_wq = htobe32((uint32_t)type << MLX5_PFAULT_TYPE_SHIFT |
					 f->wq_num);
	ud_dbg("context %u: WQE fault token 0x%x type %u wq 0x%x index %u",
	       owner->id, f->token, type, f->wq_num, wqe_index);
	ret = send_fault(d, f, fc, &eqe);
	if (ret)
		return ret;
	if (type & MLX5_PFAULT_REQUESTOR)
		UD_ODP_COUNT(d, owner, wqe_faults_requester, 1);
	else
		UD_ODP_COUNT(d, owner, wqe_faults_responder, 1);
	count_mr_fault(d, f, d->odp->last_fault_key);
	return 0;
}

int ud_odp_raise_rdma_fault(struct uodpd *d, struct ud_qp *responder,
			    uint32_t rkey, uint64_t va, uint32_t op_len,
			    uint32_t bytes_committed, uint16_t packet_length,
			    bool write)
{
	uint8_t type = MLX5_PFAULT_RDMA | (write ? MLX5_PFAULT_WRITE : 0);
	struct mlx5_eqe eqe = {
		.type = MLX5_EVENT_TYPE_PAGE_FAULT,
		.sub_type = MLX5_PFAULT_SUBTYPE_RDMA,
	};
	struct ud_fault_ctx *fc = &responder->rdma_fault;
	struct ud_mr *mr = ud_mr_lookup(d, rkey);
	struct ud_odp_fault *f;
	struct ud_ctx *owner;
	int ret;

	if (!d->odp)
		return -EINVAL;
	if (fc->stalled)
		return -EBUSY;
	/* The MR's owner maps it (MAP checks ownership): it gets the event. */
	owner = channel_owner(mr ? mr->ctx : responder->ctx,
			      UODP_ODP_F_RDMA_FAULTS);
	if (!owner)
		return -ENOTCONN;
	f = fault_new(d, owner, fc);
	if (!f)
		return -ENOMEM;
	f->subtype = MLX5_PFAULT_SUBTYPE_RDMA;
	f->type = type;
	f->wq_num = f->token;	/* RDMA faults resume with wq = token */
	f->kind = UD_FC_RDMA;
	f->qpn = responder->qpn;
	fc->type = type;
	fc->subtype = MLX5_PFAULT_SUBTYPE_RDMA;
	fc->wq_num = f->wq_num;

	eqe.data.rdma.bytes_committed = htobe32(bytes_committed);
	eqe.data.rdma.r_key = htobe32(rkey);
	eqe.data.rdma.packet_length = htobe16(packet_length);
	eqe.data.rdma.rdma_op_len = htobe32(op_len);
	eqe.data.rdma.rdma_va = htobe64(va);
	eqe.data.rdma.pftype_token = htobe32((uint32_t)type <<
					     MLX5_PFAULT_TYPE_SHIFT | f->token);
	ud_dbg("context %u: RDMA fault token 0x%x rkey 0x%x va 0x%llx len %u",
	       owner->id, f->token, rkey, (unsigned long long)va, op_len);
	ret = send_fault(d, f, fc, &eqe);
	if (ret)
		return ret;
	UD_ODP_COUNT(d, owner, rdma_faults, 1);
	count_mr_fault(d, f, rkey);
	return 0;
}

/* ---- resuming ---- */

/* The live queue of f, or false if f is an orphan or out of date. */
static bool fault_target(struct uodpd *d, const struct ud_odp_fault *f,
			 struct ud_qp **qp, struct ud_srq **srq,
			 struct ud_fault_ctx **fc)
{
	*qp = f->qpn != UD_NO_HANDLE ? ud_qp_lookup(d, f->qpn) : NULL;
	*srq = NULL;
	*fc = NULL;
	if (f->orphan)
		return false;
	switch (f->kind) {
	case UD_FC_SQ:
		*fc = *qp ? &(*qp)->sq_fault : NULL;
		break;
	case UD_FC_RQ:
		*fc = *qp ? &(*qp)->rq_fault : NULL;
		break;
	case UD_FC_RDMA:
		*fc = *qp ? &(*qp)->rdma_fault : NULL;
		break;
	case UD_FC_SRQ:
		*srq = ud_srq_lookup(d, f->srqn);
		*fc = *srq ? &(*srq)->fault : NULL;
		break;
	}
	/* A reset queue forgot the fault (its record is then an orphan). */
	return *fc && (*fc)->stalled && (*fc)->token == f->token;
}

/* Retire f: the engine resumes its queue, if it still has one. */
static void fault_retire(struct uodpd *d, struct ud_odp_fault *f, bool error)
{
	struct ud_fault_ctx *fc;
	struct ud_srq *srq;
	struct ud_qp *qp;
	bool live = fault_target(d, f, &qp, &srq, &fc);

	fault_free(f);
	if (live)
		ud_engine_resume(d, qp, srq, fc, error);
}

static struct ud_odp_fault *fault_find(struct list_head *list,
				       uint32_t token, bool dev_list)
{
	struct ud_odp_fault *f;

	if (dev_list) {
		list_for_each_safe(list, f, t1, struct ud_odp_fault, dev_link)
			if (f->token == token)
				return f;
		return NULL;
	}
	list_for_each_safe(list, f, t2, struct ud_odp_fault, owner_link)
		if (f->token == token)
			return f;
	return NULL;
}

/* f resumed without error: a fault its MR's owner handled. */
static void count_mr_handled(struct uodpd *d, const struct ud_odp_fault *f)
{
	struct ud_odp_mr *t = odp_mr_of(d, f->mr_key);

	if (t)
		t->faults_handled++;
}

uint8_t ud_odp_resume(struct uodpd *d, struct ud_ctx *ctx, uint32_t token,
		      uint32_t wq_num, uint8_t type, bool error,
		      uint32_t *syndrome)
{
	struct ud_odp_fault *f = NULL;

	if (ctx->odp && token)
		f = fault_find(&ctx->odp->faults, token, false);
	if (!f) {
		UD_ODP_COUNT(d, ctx, resumes_refused, 1);
		ud_dbg("context %u: resume of token 0x%x refused: %s", ctx->id,
		       token, fault_find(&d->odp->faults, token, true) ?
		       "another context's" : "not outstanding");
		*syndrome = UD_SYND_BAD_TOKEN;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	if (f->wq_num != wq_num || f->type != type) {
		UD_ODP_COUNT(d, ctx, resumes_refused, 1);
		ud_dbg("context %u: resume of token 0x%x refused: wq 0x%x type %u, fault has 0x%x type %u",
		       ctx->id, token, wq_num, type, f->wq_num, f->type);
		*syndrome = UD_SYND_BAD_WQ;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	UD_ODP_COUNT(d, ctx, resumes, 1);
	if (error)
		UD_ODP_COUNT(d, ctx, resumes_error, 1);
	else
		count_mr_handled(d, f);
	fault_retire(d, f, error);
	*syndrome = 0;
	return MLX5_CMD_STAT_OK;
}

void ud_odp_resume_all_error(struct uodpd *d, struct ud_ctx *ctx)
{
	struct ud_odp_fault *f;

	if (!ctx->odp)
		return;
	/* One at a time: a resume may change the list. */
	while (!list_empty(&ctx->odp->faults)) {
		f = list_entry(ctx->odp->faults.n.next, struct ud_odp_fault,
			       owner_link);
		UD_ODP_COUNT(d, ctx, resumed_on_close, 1);
		fault_retire(d, f, true);
	}
}

/* ---- queues and contexts going away ---- */

void ud_odp_qp_gone(struct uodpd *d, struct ud_qp *qp)
{
	struct ud_fault_ctx *fc;
	struct ud_odp_fault *f;
	struct ud_srq *srq;
	struct ud_qp *rqp;

	if (!d->odp)
		return;
	list_for_each_safe(&d->odp->faults, f, t, struct ud_odp_fault,
			   dev_link) {
		/*
		 * A responder stalled on a fault forgets qp as the requester
		 * waiting on it: a resume with error then fails nobody, not
		 * whatever QP is reset or numbered alike later.
		 */
		if (fault_target(d, f, &rqp, &srq, &fc) &&
		    fc->requester_qpn == qp->qpn)
			fc->requester_qpn = UD_NO_HANDLE;
		if (f->qpn != qp->qpn)
			continue;
		if (f->kind == UD_FC_SRQ)
			f->qpn = UD_NO_HANDLE;	/* the SRQ still waits */
		else
			f->orphan = true;
	}
	memset(&qp->sq_fault, 0, sizeof(qp->sq_fault));
	memset(&qp->rq_fault, 0, sizeof(qp->rq_fault));
	memset(&qp->rdma_fault, 0, sizeof(qp->rdma_fault));
}

void ud_odp_srq_gone(struct uodpd *d, struct ud_srq *srq)
{
	struct ud_odp_fault *f;

	if (!d->odp)
		return;
	list_for_each_safe(&d->odp->faults, f, t, struct ud_odp_fault,
			   dev_link)
		if (f->kind == UD_FC_SRQ && f->srqn == srq->srqn)
			f->orphan = true;
	memset(&srq->fault, 0, sizeof(srq->fault));
}

void ud_odp_ctx_destroy(struct uodpd *d, struct ud_ctx *ctx)
{
	struct ud_odp_ctx *o = ctx->odp;

	if (!o)
		return;
	/* While its MRs are there to unregister. */
	ud_odp_uffd_detach(d, ctx);
	/* The channel goes, and every fault the context owns with it. */
	ud_odp_channel_close(d, ctx);
	ud_odp_prefetch_drop(d, ctx);
	ud_odp_vmas_forget(ctx);
	/* Its MRs go later and find no context's index to leave. */
	ud_itree_fini(&o->mr_spans);
	if (o->stats_fd >= 0)
		close(o->stats_fd);
	free(o);
	ctx->odp = NULL;
}
