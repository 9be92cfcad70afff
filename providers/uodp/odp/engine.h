/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The ODP fault engine: one per device context, started with the
 * context's first ODP MR.  It reads page-fault events from the device
 * (through a backend, backend.h), finds what the faulting WQE or RDMA
 * request needs in the application's queues and MRs (through a host,
 * below), prefetches it with madvise, maps it (coalesced, batched) and
 * resumes the queue with one PAGE_FAULT_RESUME.  It also serves
 * ibv_advise_mr.  The engine knows no device and no provider: the host is
 * the provider (queues, MR table), the backend is the device.
 */
#ifndef UODP_ODP_ENGINE_H
#define UODP_ODP_ENGINE_H

#include <infiniband/verbs.h>

#include "odp/backend.h"
#include "odp/types.h"

struct uodp_odp_engine;

/* What the engine needs of the provider that hosts it. */
struct uodp_odp_host_ops {
	/*
	 * The queue kind/num (QPN or SRQN) as a view; on success the queue
	 * stays alive (its memory mapped) until put_wq.  -ENOENT if this
	 * context has no such queue.
	 */
	int (*get_wq)(void *host, enum uodp_odp_wq_kind kind, uint32_t num,
		      struct uodp_odp_wq_view *view);
	void (*put_wq)(void *host);
	/* An MR by lkey (remote false) or rkey: 0 or -ENOENT. */
	int (*mr_lookup)(void *host, uint32_t key, bool remote,
			 struct uodp_odp_mr_info *mr);
};

struct uodp_odp_host {
	const struct uodp_odp_host_ops *ops;
	void *priv;
};

/*
 * Start an engine on backend be (handshake, counters page, event channel,
 * servicing thread).  Settings from the environment: UODP_ODP_POLICY,
 * UODP_ODP_READAHEAD, UODP_ODP_LOOKAHEAD_WQES.  Returns 0 or -errno.
 */
int uodp_odp_engine_start(const struct uodp_odp_host *host,
			  struct uodp_odp_backend *be,
			  struct uodp_odp_engine **out);
/* Stop the thread, close the channel (the device resumes what is left). */
void uodp_odp_engine_stop(struct uodp_odp_engine *e);

/* The features the device granted (enum uodp_odp_feature). */
uint64_t uodp_odp_engine_features(const struct uodp_odp_engine *e);

/* A snapshot of the engine's counters (the stats page). */
void uodp_odp_engine_counters(const struct uodp_odp_engine *e,
			      struct uodp_odp_engine_counters *c);

/*
 * ibv_advise_mr on behalf of PD pdn: 0 or a positive errno, as the verb.
 * Without IBV_ADVISE_MR_FLAG_FLUSH the work is queued to the engine thread
 * and its errors are only counted.
 */
int uodp_odp_engine_advise(struct uodp_odp_engine *e, uint32_t pdn,
			   enum ibv_advise_mr_advice advice, uint32_t flags,
			   const struct ibv_sge *sg, uint32_t num_sge);

/* Argument checks of ibv_advise_mr that need no MR: 0 or EINVAL. */
int uodp_odp_advise_check_args(enum ibv_advise_mr_advice advice,
			       uint32_t flags, const struct ibv_sge *sg,
			       uint32_t num_sge);

#endif /* UODP_ODP_ENGINE_H */
