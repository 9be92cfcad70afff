// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The commands of the thin ODP uAPI (rdma/uodp-odp-abi.h): the handshake,
 * the event channel, MAP, the DEVX-style GENERAL path (PAGE_FAULT_RESUME and
 * QUERY_HCA_CAP mailboxes) and the counters.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "hw/mlx5/bytes.h"
#include "ctl.h"
#include "odp_priv.h"
#include "hw/mlx5/cmd.h"

#define ODP_FEATURES (UODP_ODP_F_WQE_FAULTS | UODP_ODP_F_RDMA_FAULTS |	\
		      UODP_ODP_F_INVALIDATE | UODP_ODP_F_MAP_NO_FAULT |	\
		      UODP_ODP_F_IMPLICIT)

/* QUERY_HCA_CAP op_mod: (capability type << 1) | current. */
#define HCA_CAP_ODP_MAX 0x4
#define HCA_CAP_ODP_CUR 0x5
#define PRM_OUT_HDR 16

/* ---- ODP_API ---- */

int ud_cmd_odp_api(struct ud_cmd *c)
{
	const struct uodp_odp_api *req = c->req;
	struct uodp_odp_api *resp = c->resp;
	struct ud_odp_ctx *o;

	if (!req->api_version || req->reserved)
		return -EINVAL;
	o = ud_odp_ctx_get(c->ctx);
	if (!o)
		return -ENOMEM;
	/* What was granted holds while events flow. */
	if (o->chan_wfd >= 0)
		return -EBUSY;
	o->api_done = true;
	o->api_version = req->api_version < UODP_ODP_API_VERSION ?
			 req->api_version : UODP_ODP_API_VERSION;
	o->features = req->features & ODP_FEATURES;
	memset(resp, 0, sizeof(*resp));
	resp->api_version = UODP_ODP_API_VERSION;
	resp->event_size = UODP_ODP_EVENT_RECORD_SIZE;
	resp->features = o->features;
	resp->max_map_ranges = UODP_ODP_MAX_MAP_RANGES;
	c->resp_len = sizeof(*resp);
	return 0;
}

/* ---- ODP_MAP ---- */

static void map_and_resume(struct ud_cmd *c,
			   const struct ud_odp_map_req *req,
			   struct uodp_odp_map_resp *resp);

/*
 * What the slice left of the batch goes to the background prefetch; if
 * even that cannot be queued, the answer says how far the device got.
 */
static void queue_rest(struct ud_cmd *c, const struct ud_odp_map_req *req,
		       struct uodp_odp_map_resp *resp)
{
	uint64_t done = resp->range_done;
	uint32_t i;
	int ret;

	for (i = resp->ranges_done; i < req->nranges; i++, done = 0) {
		ret = ud_odp_prefetch_queue(c->d, c->ctx, &req->ranges[i],
					    done);
		if (ret) {
			resp->status = ret;
			return;
		}
	}
}

int ud_cmd_odp_map(struct ud_cmd *c)
{
	const struct ud_odp_map_req *req = c->req;
	struct uodp_odp_map_resp *resp = c->resp;
	/* One slice of the device per call: the caller continues the rest. */
	uint64_t deadline = ud_now_ns() + UD_ODP_SLICE_NS, mapped, done;
	enum ud_odp_map_for why = req->flags & UD_ODP_MAP_RESUME ?
				  UD_ODP_MAP_FOR_FAULT :
				  UD_ODP_MAP_FOR_PREFETCH;
	uint32_t i;
	int ret = 0;

	if (req->nranges > UODP_ODP_MAX_MAP_RANGES ||
	    (req->flags & ~(uint32_t)(UD_ODP_MAP_RESUME |
				      UD_ODP_MAP_BACKGROUND)) ||
	    c->req_len < offsetof(struct ud_odp_map_req, ranges) +
			 req->nranges * sizeof(req->ranges[0]))
		return -EINVAL;
	if (!ud_odp_ctx_get(c->ctx))
		return -ENOMEM;
	memset(resp, 0, sizeof(*resp));
	for (i = 0; i < req->nranges; i++) {
		ret = ud_odp_map_range(c->d, c->ctx, &req->ranges[i], why,
				       deadline, &mapped, &done);
		resp->pages_mapped += mapped;
		if (ret == -EAGAIN) {
			resp->range_done = done;
			break;
		}
		if (ret && (req->ranges[i].flags & UODP_ODP_MAP_OPTIONAL)) {
			ret = 0;	/* read-ahead the process lacks */
			continue;
		}
		if (ret)
			break;
		UD_ODP_COUNT(c->d, c->ctx, map_ranges, 1);
		if (i + 1 < req->nranges && ud_now_ns() >= deadline) {
			ret = -EAGAIN;	/* the next range is still to do */
			i++;
			break;
		}
	}
	resp->ranges_done = i;
	resp->status = ret;
	if (ret == -EAGAIN && (req->flags & UD_ODP_MAP_BACKGROUND))
		queue_rest(c, req, resp);
	if (req->flags & UD_ODP_MAP_RESUME)
		map_and_resume(c, req, resp);
	c->resp_len = sizeof(*resp);
	return 0;
}

/* ---- GENERAL: PRM mailboxes ---- */

/* A PAGE_FAULT_RESUME mailbox of inlen bytes; force_error sets its error bit. */
static uint8_t resume_mailbox(struct ud_cmd *c, const uint8_t *in,
			      uint32_t inlen, bool force_error,
			      uint32_t *syndrome)
{
	uint32_t err_type_wq, token;

	if (inlen < sizeof(struct mlx5_page_fault_resume_in)) {
		UD_ODP_COUNT(c->d, c->ctx, resumes_refused, 1);
		*syndrome = UD_SYND_BAD_INLEN;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	err_type_wq = mlx5_get_be32(in + offsetof(struct mlx5_page_fault_resume_in,
					     err_type_wq));
	token = mlx5_get_be32(in + offsetof(struct mlx5_page_fault_resume_in,
				       token)) & MLX5_PFAULT_TOKEN_MASK;
	return ud_odp_resume(c->d, c->ctx, token,
			     err_type_wq & MLX5_PF_RESUME_WQ_MASK,
			     (err_type_wq >> MLX5_PF_RESUME_TYPE_SHIFT) &
			     MLX5_PF_RESUME_TYPE_MASK,
			     force_error || (err_type_wq & MLX5_PF_RESUME_ERROR),
			     syndrome);
}

static void put_out_hdr(uint8_t *out, uint8_t status, uint32_t syndrome)
{
	uint32_t be = htobe32(syndrome);

	out[offsetof(struct mlx5_cmd_out_hdr, status)] = status;
	memcpy(out + offsetof(struct mlx5_cmd_out_hdr, syndrome), &be,
	       sizeof(be));
}

static void map_and_resume(struct ud_cmd *c,
			   const struct ud_odp_map_req *req,
			   struct uodp_odp_map_resp *resp)
{
	uint32_t syndrome = 0;
	uint8_t status;

	if (mlx5_get_be16(req->resume) != MLX5_CMD_OP_PAGE_FAULT_RESUME) {
		status = MLX5_CMD_STAT_BAD_OP_ERR;
		syndrome = UD_SYND_BAD_OP;
	} else {
		/* Unfinished is no failure: the queue faults again. */
		status = resume_mailbox(c, req->resume, sizeof(req->resume),
					resp->status && resp->status != -EAGAIN,
					&syndrome);
	}
	put_out_hdr(resp->resume_out, status, syndrome);
}

static uint8_t general_resume(struct ud_cmd *c,
			      const struct ud_general_cmd *req,
			      uint32_t *syndrome)
{
	return resume_mailbox(c, req->in, req->inlen, false, syndrome);
}

static uint8_t general_query_hca_cap(const struct ud_general_cmd *req,
				     struct ud_general_cmd_resp *resp,
				     uint32_t *syndrome)
{
	uint16_t op_mod = mlx5_get_be16(req->in + 6);
	size_t len = req->outlen - PRM_OUT_HDR;

	if (op_mod != HCA_CAP_ODP_CUR && op_mod != HCA_CAP_ODP_MAX) {
		*syndrome = UD_SYND_BAD_OP_MOD;
		return MLX5_CMD_STAT_BAD_PARAM_ERR;
	}
	/* The device has one set of ODP caps: maximum and current agree. */
	ud_device_odp_caps_block(resp->out + PRM_OUT_HDR, len);
	return MLX5_CMD_STAT_OK;
}

/*
 * The command itself succeeds (status 0) whenever the mailboxes are well
 * formed; the PRM status and syndrome are in the output header, as a DEVX
 * general command returns them.
 */
int ud_cmd_general(struct ud_cmd *c)
{
	const struct ud_general_cmd *req = c->req;
	struct ud_general_cmd_resp *resp = c->resp;
	uint32_t syndrome = 0;
	uint8_t status;

	if (req->inlen < 8 || req->inlen > sizeof(req->in) ||
	    req->outlen < PRM_OUT_HDR || req->outlen > sizeof(resp->out))
		return -EINVAL;
	if (!ud_odp_ctx_get(c->ctx))	/* its counters */
		return -ENOMEM;
	memset(resp, 0, sizeof(*resp));
	switch (mlx5_get_be16(req->in)) {
	case MLX5_CMD_OP_PAGE_FAULT_RESUME:
		status = general_resume(c, req, &syndrome);
		break;
	case MLX5_CMD_OP_QUERY_HCA_CAP:
		status = general_query_hca_cap(req, resp, &syndrome);
		break;
	default:
		ud_dbg("context %u: GENERAL opcode 0x%x refused", c->ctx->id,
		       mlx5_get_be16(req->in));
		status = MLX5_CMD_STAT_BAD_OP_ERR;
		syndrome = UD_SYND_BAD_OP;
		break;
	}
	put_out_hdr(resp->out, status, syndrome);
	c->resp_len = sizeof(*resp);
	return 0;
}

/* ---- QUERY_COUNTERS ---- */

void ud_odp_engine_add(struct uodp_odp_engine_counters *sum,
		       const struct uodp_odp_engine_counters *page)
{
	const uint64_t *src = (const uint64_t *)page;
	uint64_t *dst = (uint64_t *)sum;
	size_t i, n = sizeof(*sum) / sizeof(uint64_t);

	/* The provider updates it concurrently: word by word is enough. */
	for (i = 0; i < n; i++)
		dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

static void add_engine(struct uodp_odp_engine_counters *sum,
		       const struct ud_ctx *ctx)
{
	if (ctx->odp && ctx->odp->stats)
		ud_odp_engine_add(sum, ctx->odp->stats);
}

static bool mr_in_scope(const struct ud_mr *mr, const struct ud_ctx *ctx,
			uint32_t scope)
{
	if (!mr->odp || !mr->odp_tbl)
		return false;
	if (scope == UODP_COUNTERS_CONTEXT)
		return mr->ctx == ctx;
	return mr->ctx->dev == ctx->dev;
}

/*
 * Whether ctx sees the objects of every user.  RDMA netlink shows an MR's
 * keys only to CAP_NET_ADMIN (nldev.c's has_cap_net_admin); a device
 * shared by users who do not trust each other shows an unprivileged
 * caller only its own user's MRs (their keys, pids, sizes, activity).
 * The user uodpd runs as can read every client's memory anyway.
 */
static bool sees_all_users(const struct ud_ctx *ctx)
{
	return ctx->net_admin || ctx->uid == geteuid();
}

/*
 * Insert mr into the sorted first[] of *n (at most max) MRs of smallest
 * key: the table is in slot order, the listing in key order.
 */
static void keep_smallest(struct ud_mr **first, uint32_t *n, uint32_t max,
			  struct ud_mr *mr)
{
	uint32_t i = *n;

	if (i == max && first[max - 1]->key < mr->key)
		return;
	if (i < max)
		(*n)++;
	else
		i--;
	for (; i && first[i - 1]->key > mr->key; i--)
		first[i] = first[i - 1];
	first[i] = mr;
}

static void list_mrs(struct uodpd *d, struct ud_ctx *ctx, uint32_t scope,
		     uint32_t cursor, struct uodp_query_counters_resp *resp)
{
	bool all = scope == UODP_COUNTERS_CONTEXT || sees_all_users(ctx);
	/* One more than a page: whether the caller must continue. */
	struct ud_mr *first[UODP_COUNTERS_MRS_PER_QUERY + 1], *mr;
	struct uodp_odp_mr_counters *m;
	uint32_t i, n = 0;

	if (!all)
		resp->flags |= UODP_COUNTERS_F_OWN_USER_ONLY;
	for (i = 0; i < d->mrs.cap; i++) {
		mr = ud_idr_at(&d->mrs, i);
		if (!mr || !mr_in_scope(mr, ctx, scope))
			continue;
		/* Counted over the whole device, so the tool can say so. */
		if (!all && mr->ctx->uid != ctx->uid) {
			resp->mrs_hidden++;
			continue;
		}
		if (mr->key > cursor)
			keep_smallest(first, &n, UODP_COUNTERS_MRS_PER_QUERY + 1,
				      mr);
	}
	for (i = 0; i < n && i < UODP_COUNTERS_MRS_PER_QUERY; i++) {
		mr = first[i];
		m = &resp->mrs[resp->nmrs++];
		m->mr_key = mr->key;
		m->owner_pid = (uint32_t)mr->ctx->pid;
		m->length = mr->implicit ? UINT64_MAX : mr->length;
		m->faults = mr->odp_tbl->faults;
		m->pages_mapped = mr->odp_tbl->pages_mapped;
		m->invalidations = mr->odp_tbl->invalidations;
		m->pages_present = mr->odp_tbl->pages_present;
	}
	if (n > UODP_COUNTERS_MRS_PER_QUERY)
		resp->next_cursor = resp->mrs[resp->nmrs - 1].mr_key;
}

int ud_cmd_query_counters(struct ud_cmd *c)
{
	const struct uodp_query_counters_req *req = c->req;
	struct uodp_query_counters_resp *resp = c->resp;
	struct uodp_odp_device_counters *dc;
	struct ud_ctx *ctx;

	if (req->scope != UODP_COUNTERS_CONTEXT &&
	    req->scope != UODP_COUNTERS_DEVICE)
		return -EINVAL;
	memset(resp, 0, sizeof(*resp));
	if (req->scope == UODP_COUNTERS_CONTEXT) {
		if (c->ctx->odp)
			resp->dev = c->ctx->odp->ctr;
		add_engine(&resp->engine, c->ctx);
	} else {
		dc = ud_odp_dev_ctr(c->d, c->ctx);
		if (dc)
			resp->dev = *dc;
		/* Device totals: live contexts and those gone. */
		ud_odp_engine_add(&resp->engine,
				  &c->d->odp->retired[c->ctx->dev->index]);
		list_for_each_safe(&c->d->ctxs, ctx, t, struct ud_ctx, link)
			if (ctx->dev == c->ctx->dev)
				add_engine(&resp->engine, ctx);
	}
	resp->uid = (uint32_t)c->ctx->uid;
	resp->owner_uid = (uint32_t)geteuid();
	list_mrs(c->d, c->ctx, req->scope, req->mr_cursor, resp);
	c->resp_len = sizeof(*resp);
	return 0;
}
