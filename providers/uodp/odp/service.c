// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Servicing one channel record.  A page fault is decoded, turned into the
 * ranges its WQE or RDMA request needs (plus what the policy adds), made
 * present, and resumed exactly once: without error when everything needed
 * is mapped (or an invalidation raced us: the device faults again), with
 * error otherwise, after saying why.
 */
#include <errno.h>
#include <string.h>

#include "hw/mlx5/eqe.h"
#include "odp/engine_int.h"

static const char *wq_kind_name(enum uodp_odp_wq_kind kind)
{
	switch (kind) {
	case UODP_ODP_WQ_SQ:
		return "SQ of QP";
	case UODP_ODP_WQ_RQ:
		return "RQ of QP";
	default:
		return "SRQ";
	}
}

static enum uodp_odp_wq_kind wq_kind(uint8_t type)
{
	if (type == MLX5_WQE_PF_TYPE_RMP)
		return UODP_ODP_WQ_SRQ;
	if (type == MLX5_WQE_PF_TYPE_RESP)
		return UODP_ODP_WQ_RQ;
	return UODP_ODP_WQ_SQ;
}

static int wqe_fault_ranges(struct uodp_odp_engine *e,
			    const struct uodp_odp_fault *f,
			    struct uodp_odp_range_list *need,
			    struct uodp_odp_range_list *extra)
{
	enum uodp_odp_wq_kind kind = wq_kind(f->type);
	struct uodp_odp_wq_view wq;
	uint32_t next = 0;
	int err;

	err = e->host.ops->get_wq(e->host.priv, kind, f->wq_num, &wq);
	if (err) {
		uodp_err("ODP fault on %s %#x, which this context does not have",
			 wq_kind_name(kind), f->wq_num);
		return err;
	}
	err = uodp_odp_parse_wqe(&wq, f->wqe_index, f->bytes_committed,
				 &e->resolver, need, &next);
	if (!err && e->policy->wqe_extra)
		e->policy->wqe_extra(&e->params, &wq, next, &e->resolver,
				     extra);
	e->host.ops->put_wq(e->host.priv);
	if (err)
		uodp_err("ODP fault on %s %#x WQE %u: %s", wq_kind_name(kind),
			 f->wq_num, f->wqe_index,
			 err == -EINVAL ? "malformed WQE" :
			 err == -EPERM ? "an ODP MR of another PD" :
			 err == -EFAULT ? "a range outside its MR" :
					  strerror(-err));
	return err;
}

/* *sync: how much of extra to map before the resume (the rest after). */
static int rdma_fault_ranges(struct uodp_odp_engine *e,
			     const struct uodp_odp_fault *f,
			     struct uodp_odp_range_list *need,
			     struct uodp_odp_range_list *extra, uint64_t *sync)
{
	struct uodp_odp_mr_info mr;
	int err;

	err = uodp_odp_rdma_range(f, &e->resolver, need, &mr);
	if (err) {
		uodp_err("ODP RDMA fault on rkey %#x va %#llx len %u: %s",
			 f->rkey, (unsigned long long)f->rdma_va,
			 f->rdma_op_len,
			 err == -ENOENT ? "unknown rkey" :
			 err == -EINVAL ? "not an ODP MR" :
			 err == -EFAULT ? "outside the MR" : strerror(-err));
		return err;
	}
	if (e->policy->rdma_extra && need->n) {
		struct uodp_odp_policy_params p = e->params;

		p.readahead = uodp_odp_readahead_next(&e->readahead, &e->params,
						      f->rkey, need->r[0].va,
						      need->r[0].length, sync);
		e->policy->rdma_extra(&p, &mr, &need->r[0], extra);
	}
	return 0;
}

/*
 * Keep the first sync_bytes of extra in extra, move the rest to
 * e->behind (mapped after the resume); returns how many ranges moved.
 */
static uint32_t split_readahead(struct uodp_odp_engine *e,
				struct uodp_odp_range_list *extra,
				uint64_t sync_bytes)
{
	uint32_t i, kept = 0, moved = 0;

	for (i = 0; i < extra->n; i++) {
		struct uodp_odp_range r = extra->r[i];

		if (r.length <= sync_bytes) {
			sync_bytes -= r.length;
			extra->r[kept++] = r;
			continue;
		}
		if (sync_bytes) {
			extra->r[kept] = r;
			extra->r[kept++].length = sync_bytes;
			r.va += sync_bytes;
			r.addr += sync_bytes;
			r.length -= sync_bytes;
			sync_bytes = 0;
		}
		if (moved < UODP_ODP_BEHIND_RANGES)
			e->behind[moved++] = r;
	}
	extra->n = kept;
	return moved;
}

static void count_fault(struct uodp_odp_engine *e,
			const struct uodp_odp_fault *f)
{
	if (f->subtype == MLX5_PFAULT_SUBTYPE_RDMA)
		odp_count(e, faults_rdma, 1);
	else if (uodp_odp_fault_is_requester(f->type))
		odp_count(e, faults_wqe_requester, 1);
	else
		odp_count(e, faults_wqe_responder, 1);
}

static void service_fault(struct uodp_odp_engine *e,
			  const struct uodp_odp_event *ev)
{
	struct uodp_odp_range_list need = { e->need, 0, UODP_ODP_NEED_RANGES };
	struct uodp_odp_range_list extra = { e->extra, 0,
					     UODP_ODP_EXTRA_RANGES };
	uint64_t start = uodp_odp_now_ns();
	struct uodp_odp_fault f;
	bool error, rdma, resumed = false;
	uint64_t populate_ns, sent_ns, sync = 0;
	uint32_t behind;
	int err;

	err = uodp_odp_decode_eqe(ev->eqe, &f);
	/* The record's token is the device's word; the EQE carries it too. */
	if (ev->token && f.token != (ev->token & MLX5_PFAULT_TOKEN_MASK)) {
		uodp_dbg("ODP event token %#llx, EQE token %#x: using the event's",
			 (unsigned long long)ev->token, f.token);
		f.token = ev->token & MLX5_PFAULT_TOKEN_MASK;
		if (f.subtype == MLX5_PFAULT_SUBTYPE_RDMA)
			f.wq_num = f.token;
	}
	if (err) {
		uodp_err("ODP event: not a page fault this engine serves (type %#x subtype %u)",
			 ev->eqe[1], ev->eqe[3]);
	} else {
		count_fault(e, &f);
		if (f.subtype == MLX5_PFAULT_SUBTYPE_WQE)
			err = wqe_fault_ranges(e, &f, &need, &extra);
		else
			err = rdma_fault_ranges(e, &f, &need, &extra, &sync);
	}
	/*
	 * WQE faults: what lookahead adds was posted already and is needed
	 * at once: map it with the fault.  RDMA read-ahead: its first part
	 * with the fault, the rest after the resume, while the device works
	 * through the first.
	 */
	rdma = f.subtype == MLX5_PFAULT_SUBTYPE_RDMA;
	behind = rdma ? split_readahead(e, &extra, sync) : 0;
	uodp_odp_fetch_times(NULL, NULL);
	/* The last MAP carries the resume: one round trip per fault. */
	if (!err)
		err = uodp_odp_fetch_and_map(e, need.r, need.n, extra.r,
					     extra.n, &f, &resumed);
	/* -EAGAIN: an invalidation raced the MAP; the device faults again. */
	error = err && err != -EAGAIN;
	if (!resumed && (f.subtype == MLX5_PFAULT_SUBTYPE_WQE || rdma))
		uodp_odp_resume(e, &f, error);
	odp_count(e, faults_serviced, error ? 0 : 1);
	odp_count(e, faults_failed, error ? 1 : 0);
	/* From the event read to the resume sent, less page population. */
	uodp_odp_fetch_times(&populate_ns, &sent_ns);
	if (sent_ns > start + populate_ns)
		uodp_odp_stats_service_time(e, sent_ns - start - populate_ns);
	if (!err && behind)
		uodp_odp_map_behind(e, e->behind, behind);
	uodp_dbg("ODP fault token %#x %s %#x: %u+%u ranges, %s", f.token,
		 f.subtype == MLX5_PFAULT_SUBTYPE_RDMA ? "rkey" : "wq",
		 f.subtype == MLX5_PFAULT_SUBTYPE_RDMA ? f.rkey : f.wq_num,
		 need.n, extra.n, error ? "resumed with error" : "resumed");
}

void uodp_odp_handle_event(struct uodp_odp_engine *e,
			   const struct uodp_odp_event *ev)
{
	switch (ev->type) {
	case UODP_ODP_EVENT_PAGE_FAULT:
		service_fault(e, ev);
		break;
	case UODP_ODP_EVENT_INVALIDATE:
		odp_count(e, invalidations, 1);
		uodp_dbg("ODP invalidate MR key %#x va %#llx+%#llx",
			 ev->invalidate.mr_key,
			 (unsigned long long)ev->invalidate.va,
			 (unsigned long long)ev->invalidate.length);
		break;
	case UODP_ODP_EVENT_OVERFLOW:
		odp_count(e, overflows, 1);
		uodp_warn("ODP event channel overflow: %llu events lost",
			  (unsigned long long)ev->overflow.lost);
		break;
	default:
		uodp_warn("ODP event of unknown type %u ignored", ev->type);
	}
}
