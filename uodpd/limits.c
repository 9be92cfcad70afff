// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Object limits: the advertised max_qp, max_cq, max_srq, max_mr and max_pd
 * hold device-wide, and each context holds at most a share of them
 * (uodpd --context-share), as the rdma cgroup bounds a group of processes
 * on a kernel.  What an object costs the daemon (its struct, a queue's
 * memfd mapping, an MR's tables) is thereby bounded per context too.
 */
#include <errno.h>
#include <sys/resource.h>

#include "uodpd.h"
#include "uverbs.h"

/*
 * Not lent to files: the daemon's own (epoll, inotify, signalfd, the
 * socket, listeners, the ODP counters' memfd) and those a command holds
 * briefly (a memfd it installs, /proc files, a queue's memfd).
 */
#define UD_FD_RESERVE 256u

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

void ud_fd_budget_init(struct uodpd *d, uint32_t share)
{
	struct rlimit rl;
	uint64_t n = 1024;		/* the usual soft limit, if unreadable */

	if (!getrlimit(RLIMIT_NOFILE, &rl))
		n = rl.rlim_cur == RLIM_INFINITY ? UINT32_MAX : rl.rlim_cur;
	/* A tiny limit still lends half of itself. */
	n = n > 2 * UD_FD_RESERVE ? n - UD_FD_RESERVE : n / 2;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	d->fd_budget = n;
	n = n * share / 100;
	/* A file can always hold its context and one channel. */
	d->file_fd_max = n > UD_CTX_FDS + 2 ? n : UD_CTX_FDS + 2;
}

int ud_fds_take(struct uodpd *d, struct ud_ufile *f, uint32_t n)
{
	if (f->fds + n > d->file_fd_max)
		return -EMFILE;
	if (d->fds_used + n > d->fd_budget)
		return -ENFILE;
	f->fds += n;
	d->fds_used += n;
	return 0;
}

void ud_fds_give(struct uodpd *d, struct ud_ufile *f, uint32_t n)
{
	f->fds -= n;
	d->fds_used -= n;
}
