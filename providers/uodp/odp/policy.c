// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The prefetch policies (policy.h).  Lookahead walks the queue the way the
 * device will, so the WQEs behind a faulting one find their pages mapped
 * and do not fault in turn; for RDMA responder faults it reads ahead, since
 * a stream of RDMA writes into fresh memory otherwise faults once per
 * message.
 */
#include <string.h>

#include "hw/mlx5/wqe.h"
#include "odp/parse.h"
#include "odp/policy.h"

/* WQEBBs (SQ) or entries (RQ) posted from idx up to the producer index. */
static uint32_t posted_from(const struct uodp_odp_wq_view *wq, uint32_t idx)
{
	uint32_t left = (wq->producer - idx) & MLX5_WQE_INDEX_MASK;

	/* a producer behind idx: nothing is posted */
	return left > wq->wqe_cnt ? 0 : left;
}

static void lookahead_sq(const struct uodp_odp_policy_params *p,
			 const struct uodp_odp_wq_view *wq, uint32_t idx,
			 const struct uodp_odp_mr_resolver *res,
			 struct uodp_odp_range_list *out)
{
	uint32_t left = posted_from(wq, idx);
	uint32_t n, next;

	for (n = 0; left && n < p->max_wqes; n++) {
		uint32_t bbs;

		if (uodp_odp_parse_wqe(wq, idx, 0, res, out, &next))
			return;
		bbs = (next - idx) & MLX5_WQE_INDEX_MASK;
		if (!bbs || bbs > left)
			return;
		left -= bbs;
		idx = next;
	}
}

static void lookahead_rq(const struct uodp_odp_policy_params *p,
			 const struct uodp_odp_wq_view *wq, uint32_t idx,
			 const struct uodp_odp_mr_resolver *res,
			 struct uodp_odp_range_list *out)
{
	uint32_t left = posted_from(wq, idx);
	uint32_t n, next;

	for (n = 0; n < left && n < p->max_wqes; n++)
		if (uodp_odp_parse_wqe(wq, idx + n, 0, res, out, &next))
			return;
}

/* Posted SRQ WQEs are linked from the faulting one up to the free head. */
static void lookahead_srq(const struct uodp_odp_policy_params *p,
			  const struct uodp_odp_wq_view *wq, uint32_t idx,
			  const struct uodp_odp_mr_resolver *res,
			  struct uodp_odp_range_list *out)
{
	uint32_t mask = wq->wqe_cnt - 1, head = wq->producer & mask;
	uint32_t n, next;

	idx &= mask;
	for (n = 0; n < p->max_wqes && n < wq->wqe_cnt; n++) {
		if (idx == head)
			return;
		if (uodp_odp_parse_wqe(wq, idx, 0, res, out, &next))
			return;
		idx = next & mask;
	}
}

static void lookahead_wqe(const struct uodp_odp_policy_params *p,
			  const struct uodp_odp_wq_view *wq, uint32_t next,
			  const struct uodp_odp_mr_resolver *res,
			  struct uodp_odp_range_list *out)
{
	if (!wq->wqe_cnt || (wq->wqe_cnt & (wq->wqe_cnt - 1)))
		return;
	switch (wq->kind) {
	case UODP_ODP_WQ_SQ:
		lookahead_sq(p, wq, next, res, out);
		break;
	case UODP_ODP_WQ_RQ:
		lookahead_rq(p, wq, next, res, out);
		break;
	case UODP_ODP_WQ_SRQ:
		lookahead_srq(p, wq, next, res, out);
		break;
	}
}

static void lookahead_rdma(const struct uodp_odp_policy_params *p,
			   const struct uodp_odp_mr_info *mr,
			   const struct uodp_odp_range *fault,
			   struct uodp_odp_range_list *out)
{
	uint64_t start = fault->va + fault->length;
	uint64_t room = fault->mr_end - start;

	if (start < fault->va || start >= fault->mr_end || !p->readahead)
		return;
	uodp_odp_range_add(out, mr, start,
			   room < p->readahead ? room : p->readahead,
			   fault->flags);
}

uint64_t uodp_odp_readahead_next(struct uodp_odp_readahead *ra,
				 const struct uodp_odp_policy_params *p,
				 uint32_t key, uint64_t va, uint64_t len,
				 uint64_t *sync)
{
	bool sequential = ra->window && key == ra->key && va >= ra->start &&
			  (va <= ra->end || va - ra->end <= ra->window);

	*sync = 0;
	if (!p->readahead)
		return 0;
	if (!sequential)
		ra->window = p->readahead;
	else if (ra->window < p->readahead_max)
		ra->window = ra->window < p->readahead_max / 2 ?
			     ra->window * 2 : p->readahead_max;
	ra->key = key;
	ra->start = va;
	ra->end = va + len;
	*sync = ra->window < p->readahead ? ra->window : p->readahead;
	return ra->window;
}

const struct uodp_odp_policy uodp_odp_policy_exact = {
	.name = "exact",
};

const struct uodp_odp_policy uodp_odp_policy_lookahead = {
	.name = "lookahead",
	.wqe_extra = lookahead_wqe,
	.rdma_extra = lookahead_rdma,
};

const struct uodp_odp_policy *uodp_odp_policy_find(const char *name)
{
	static const struct uodp_odp_policy *const all[] = {
		&uodp_odp_policy_exact,
		&uodp_odp_policy_lookahead,
	};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}
