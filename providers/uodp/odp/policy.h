/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Prefetch policies: what to map besides what the fault strictly needs.
 * A policy is a small ops table, chosen by UODP_ODP_POLICY; its hooks are
 * pure (they read the queue view and the MR, append to a range list) and
 * best effort: whatever they add is prefetched and mapped if it can be,
 * and dropped silently if not, so a policy never fails a fault.
 *
 *   exact      the faulting WQE's ranges (or the RDMA fault's range): what
 *              Linux maps.
 *   lookahead  also every WQE already posted behind the faulting one on
 *              the same queue (SQ up to the producer index, RQ and SRQ
 *              posted entries), and for RDMA responder faults up to
 *              readahead bytes past the faulting range, clipped to the MR.
 */
#ifndef UODP_ODP_POLICY_H
#define UODP_ODP_POLICY_H

#include "odp/types.h"

#define UODP_ODP_DEFAULT_POLICY "lookahead"
#define UODP_ODP_DEFAULT_READAHEAD (4ull << 20)
#define UODP_ODP_DEFAULT_READAHEAD_MAX (64ull << 20)
#define UODP_ODP_DEFAULT_LOOKAHEAD_WQES 64

struct uodp_odp_policy_params {
	uint64_t readahead;		/* bytes past an RDMA fault */
	uint64_t readahead_max;		/* ... grown to on a sequential stream */
	uint32_t max_wqes;		/* posted WQEs to look at */
};

struct uodp_odp_policy {
	const char *name;
	/*
	 * After the faulting WQE of wq, whose successor is next (parse's
	 * *next): append the ranges of WQEs posted behind it.
	 */
	void (*wqe_extra)(const struct uodp_odp_policy_params *p,
			  const struct uodp_odp_wq_view *wq, uint32_t next,
			  const struct uodp_odp_mr_resolver *res,
			  struct uodp_odp_range_list *out);
	/* After an RDMA fault's range fault of mr: append read-ahead. */
	void (*rdma_extra)(const struct uodp_odp_policy_params *p,
			   const struct uodp_odp_mr_info *mr,
			   const struct uodp_odp_range *fault,
			   struct uodp_odp_range_list *out);
};

extern const struct uodp_odp_policy uodp_odp_policy_exact;
extern const struct uodp_odp_policy uodp_odp_policy_lookahead;

/*
 * An RDMA read-ahead stream, adapted as a page cache's: a fault that
 * continues the last one's stream (same rkey, at most a window past its
 * end) doubles the window up to readahead_max; any other fault starts
 * over at readahead.  A stream into fresh memory then faults a
 * logarithmic number of times.
 */
struct uodp_odp_readahead {
	uint32_t key;
	uint64_t start, end, window;	/* window 0: no stream yet */
};

/*
 * The read-ahead window for an RDMA fault on key over [va, va + len), and
 * in *sync how much of it to map before the resume: the first readahead
 * bytes, so the faulting queue waits for a fixed amount of population
 * however large the window has grown; the rest is mapped after the
 * resume, while the device works through the first part.
 */
uint64_t uodp_odp_readahead_next(struct uodp_odp_readahead *ra,
				 const struct uodp_odp_policy_params *p,
				 uint32_t key, uint64_t va, uint64_t len,
				 uint64_t *sync);

/* The policy called name, or NULL. */
const struct uodp_odp_policy *uodp_odp_policy_find(const char *name);

#endif /* UODP_ODP_POLICY_H */
