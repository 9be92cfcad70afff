// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Object limits: the advertised max_qp, max_cq, max_srq, max_mr and max_pd
 * hold device-wide, and each context holds at most a share of them
 * (uodpd --context-share), as the rdma cgroup bounds a group of processes
 * on a kernel.  What an object costs the daemon (its struct, a queue's
 * memfd mapping, an MR's tables) is thereby bounded per context too.
 */
#include <errno.h>

#include "uodpd.h"

static uint32_t dev_max(const struct ud_device *dev, enum ud_res r)
{
	const struct ud_device_attr *a = &dev->attr;

	switch (r) {
	case UD_RES_PD:
		return a->max_pd;
	case UD_RES_MR:
		return a->max_mr;
	case UD_RES_CQ:
		return a->max_cq;
	case UD_RES_QP:
		return a->max_qp;
	case UD_RES_SRQ:
		return a->max_srq;
	default:
		return 0;
	}
}

void ud_limits_init(struct ud_device *dev, uint32_t share)
{
	uint64_t n;
	int r;

	for (r = 0; r < UD_RES_NR; r++) {
		n = (uint64_t)dev_max(dev, r) * share / 100;
		dev->res_ctx_max[r] = n ? n : 1;
	}
}

int ud_res_check(const struct ud_ctx *ctx, enum ud_res r)
{
	const struct ud_device *dev = ctx->dev;

	if (ctx->res_used[r] >= dev->res_ctx_max[r] ||
	    dev->res_used[r] >= dev_max(dev, r))
		return -ENOMEM;
	return 0;
}

void ud_res_get(struct ud_ctx *ctx, enum ud_res r)
{
	ctx->res_used[r]++;
	ctx->dev->res_used[r]++;
}

void ud_res_put(struct ud_ctx *ctx, enum ud_res r)
{
	ctx->res_used[r]--;
	ctx->dev->res_used[r]--;
}
