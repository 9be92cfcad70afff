/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The provider as the fault engine's host (odp_host.c): its queues and MR
 * table seen through struct uodp_odp_host_ops, the engine started with a
 * context's first ODP MR, ODP capabilities, ibv_advise_mr.
 */
#ifndef UODP_ODP_HOST_H
#define UODP_ODP_HOST_H

#include <stdbool.h>
#include <infiniband/verbs.h>

#include "odp/backend.h"
#include "rdma/uodp-emu-abi.h"

struct uodp_context;
struct uodp_mr;

void uodp_odp_context_init(struct uodp_context *ctx);
/* Stops the engine first: call before the command socket closes. */
void uodp_odp_context_fini(struct uodp_context *ctx);

/* Positive errno: the engine could not start (an ODP MR needs it). */
int uodp_odp_start_engine(struct uodp_context *ctx);
/* Record a registered MR in the MR table; positive errno. */
int uodp_odp_mr_add(struct uodp_context *ctx, const struct uodp_mr *mr,
		    uint32_t pdn, bool odp);
void uodp_odp_mr_del(struct uodp_context *ctx, uint32_t lkey);

/* Queue memory is about to be freed: wait for the engine to let go. */
void uodp_odp_wq_gone_begin(struct uodp_context *ctx);
void uodp_odp_wq_gone_end(struct uodp_context *ctx);

/* ODP capabilities of query_device_ex, from the PRM ODP caps block. */
void uodp_odp_fill_caps(struct uodp_context *ctx, uint64_t general_caps,
			struct ibv_device_attr_ex *ex);

int uodp_advise_mr(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
		   uint32_t flags, struct ibv_sge *sg_list, uint32_t num_sge);

/* odp/backend_devx.c */
void uodp_odp_backend_devx_init(struct uodp_odp_backend *be,
				struct uodp_context *ctx);

#endif /* UODP_ODP_HOST_H */
