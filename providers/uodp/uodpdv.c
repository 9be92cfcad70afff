// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The uodpdv API (uodpdv.h): counters through the ODP object's
 * QUERY_COUNTERS method, and for this context's own engine straight from
 * its stats page.
 */
#include <errno.h>
#include <string.h>

#include "odp/engine.h"
#include "uodp.h"
#include "uodpdv.h"

#define UODPDV_EXPORT __attribute__((visibility("default")))

static struct uodp_context *uodp_ctx(struct ibv_context *context)
{
	if (!context || !uodpdv_is_supported(context->device))
		return NULL;
	return to_uctx(context);
}

UODPDV_EXPORT bool uodpdv_is_supported(struct ibv_device *device)
{
	return device && verbs_get_device(device)->ops == &uodp_dev_ops;
}

static int query(struct uodp_context *ctx, enum uodpdv_counters_scope scope,
		 uint32_t cursor, struct uodp_query_counters_resp *resp)
{
	struct uodp_query_counters_req req = {
		.scope = scope == UODPDV_COUNTERS_DEVICE ?
				 UODP_COUNTERS_DEVICE : UODP_COUNTERS_CONTEXT,
		.mr_cursor = cursor,
	};

	struct ib_uverbs_attr attrs[2] = {
		uodp_attr_in(UODP_IB_ATTR_ODP_COUNTERS_REQ, &req, sizeof(req)),
		uodp_attr_out(UODP_IB_ATTR_ODP_COUNTERS_RESP, resp,
			      sizeof(*resp)),
	};

	if (scope != UODPDV_COUNTERS_CONTEXT && scope != UODPDV_COUNTERS_DEVICE)
		return EINVAL;
	return uodp_ioctl(ctx, UODP_IB_OBJECT_ODP,
			  UODP_IB_METHOD_ODP_QUERY_COUNTERS, attrs, 2);
}

static void copy_engine(struct uodpdv_engine_counters *d,
			const struct uodp_odp_engine_counters *s)
{
	static_assert(sizeof(*d) == sizeof(*s), "engine counters layout");
	memcpy(d, s, sizeof(*d));
}

static void copy_device(struct uodpdv_device_counters *d,
			const struct uodp_odp_device_counters *s)
{
	d->wqe_faults_requester = s->wqe_faults_requester;
	d->wqe_faults_responder = s->wqe_faults_responder;
	d->rdma_faults = s->rdma_faults;
	d->resumes = s->resumes;
	d->resumes_error = s->resumes_error;
	d->resumes_refused = s->resumes_refused;
	d->resumed_on_close = s->resumed_on_close;
	d->map_ranges = s->map_ranges;
	d->pages_mapped = s->pages_mapped;
	d->invalidations = s->invalidations;
	d->events_lost = s->events_lost;
	d->odp_mrs = s->odp_mrs;
}

UODPDV_EXPORT int uodpdv_query_counters(struct ibv_context *context,
					enum uodpdv_counters_scope scope,
					struct uodpdv_counters *counters)
{
	struct uodp_context *ctx = uodp_ctx(context);
	struct uodp_query_counters_resp resp;
	struct uodp_odp_engine *e;
	int err;

	if (!ctx)
		return EOPNOTSUPP;
	if (!counters)
		return EINVAL;
	err = query(ctx, scope, UINT32_MAX, &resp);
	if (err)
		return err;
	memset(counters, 0, sizeof(*counters));
	copy_device(&counters->device, &resp.dev);
	copy_engine(&counters->engine, &resp.engine);
	/* Our own engine is fresher read here than through the device. */
	e = __atomic_load_n(&ctx->odp_engine, __ATOMIC_ACQUIRE);
	if (scope == UODPDV_COUNTERS_CONTEXT && e) {
		struct uodp_odp_engine_counters mine;

		uodp_odp_engine_counters(e, &mine);
		copy_engine(&counters->engine, &mine);
	}
	counters->comp_mask = UODPDV_COUNTERS_MASK_ENGINE |
			      UODPDV_COUNTERS_MASK_DEVICE;
	return 0;
}

static void copy_mr(struct uodpdv_mr_counters *d,
		    const struct uodp_odp_mr_counters *s)
{
	memset(d, 0, sizeof(*d));
	d->mr_key = s->mr_key;
	d->owner_pid = s->owner_pid;
	d->length = s->length;
	d->faults = s->faults;
	d->pages_mapped = s->pages_mapped;
	d->invalidations = s->invalidations;
	d->pages_present = s->pages_present;
}

UODPDV_EXPORT int uodpdv_query_mr_counters(struct ibv_context *context,
					   enum uodpdv_counters_scope scope,
					   uint32_t *cursor,
					   struct uodpdv_mr_counters *mrs,
					   uint32_t max, uint32_t *count)
{
	struct uodp_context *ctx = uodp_ctx(context);
	struct uodp_query_counters_resp resp;
	uint32_t n = 0, i;
	int err;

	if (!ctx)
		return EOPNOTSUPP;
	if (!cursor || !count || (max && !mrs))
		return EINVAL;
	*count = 0;
	while (n < max) {
		err = query(ctx, scope, *cursor, &resp);
		if (err)
			return err;
		if (resp.nmrs > UODP_COUNTERS_MRS_PER_QUERY)
			return EPROTO;
		for (i = 0; i < resp.nmrs && n < max; i++) {
			copy_mr(&mrs[n++], &resp.mrs[i]);
			*cursor = resp.mrs[i].mr_key;
		}
		*count = n;
		if (i < resp.nmrs)
			return 0;	/* the caller's array is full */
		if (!resp.next_cursor || !resp.nmrs) {
			*cursor = 0;	/* that was the last */
			return 0;
		}
	}
	return 0;
}

UODPDV_EXPORT int uodpdv_query_mr(struct ibv_mr *mr,
				  struct uodpdv_mr_counters *counters)
{
	uint32_t cursor, count;
	int err;

	if (!mr || !counters)
		return EINVAL;
	if (!mr->lkey)
		return ENOENT;
	cursor = mr->lkey - 1;
	err = uodpdv_query_mr_counters(mr->context, UODPDV_COUNTERS_CONTEXT,
				       &cursor, counters, 1, &count);
	if (err)
		return err;
	return count == 1 && counters->mr_key == mr->lkey ? 0 : ENOENT;
}

UODPDV_EXPORT int uodpdv_query_mr_visibility(struct ibv_context *context,
					     struct uodpdv_mr_visibility *vis)
{
	struct uodp_context *ctx = uodp_ctx(context);
	struct uodp_query_counters_resp resp;
	int err;

	if (!ctx)
		return EOPNOTSUPP;
	if (!vis)
		return EINVAL;
	/* A cursor past every key: the answer carries no MR, only the count. */
	err = query(ctx, UODPDV_COUNTERS_DEVICE, UINT32_MAX, &resp);
	if (err)
		return err;
	memset(vis, 0, sizeof(*vis));
	if (resp.flags & UODP_COUNTERS_F_OWN_USER_ONLY)
		vis->flags |= UODPDV_MR_VISIBILITY_OWN_USER_ONLY;
	vis->hidden = resp.mrs_hidden;
	vis->uid = resp.uid;
	vis->owner_uid = resp.owner_uid;
	return 0;
}
