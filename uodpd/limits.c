// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Object limits: the advertised max_qp, max_cq, max_srq, max_mr and max_pd
 * hold device-wide, and each context holds at most a share of them
 * (uodpd --context-share), as the rdma cgroup bounds a group of processes
 * on a kernel.  What an object costs the daemon (its struct, a queue's
 * memfd mapping, an MR's tables) is thereby bounded per context too.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>

#include "uodpd.h"
#include "uverbs.h"

/*
 * Not lent to files: the daemon's own (epoll, inotify, signalfd, timerfd,
 * the socket, listeners, the ODP counters' memfd) and those a command
 * holds briefly (a memfd it installs, /proc files, a queue's memfd).
 */
#define UD_FD_RESERVE 256u

/*
 * Memory maps not lent: the daemon's libraries and stacks, malloc's
 * mmapped chunks (large MR tables), the ODP engine's tables.
 */
#define UD_MAP_RESERVE 4096u

/* The device's own max_* for r; UD_RES_QUEUE is their sum at most. */
static uint32_t attr_max(const struct ud_device *dev, enum ud_res r)
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
	case UD_RES_QUEUE:
		return a->max_cq + a->max_qp + a->max_srq;
	default:
		return 0;
	}
}

static void set_share(struct ud_device *dev, enum ud_res r, uint32_t share)
{
	uint64_t n = (uint64_t)dev->res_max[r] * share / 100;

	dev->res_ctx_max[r] = n ? n : 1;
}

void ud_limits_init(struct ud_device *dev, uint32_t share)
{
	int r;

	dev->res_share = share;
	for (r = 0; r < UD_RES_NR; r++) {
		dev->res_max[r] = attr_max(dev, r);
		set_share(dev, r, share);
	}
}

void ud_limits_cap_queues(struct ud_device *dev, uint32_t max)
{
	if (max && max < dev->res_max[UD_RES_QUEUE]) {
		dev->res_max[UD_RES_QUEUE] = max;
		set_share(dev, UD_RES_QUEUE, dev->res_share);
	}
}

static bool is_queue(enum ud_res r)
{
	return r == UD_RES_CQ || r == UD_RES_QP || r == UD_RES_SRQ;
}

static bool full(const struct ud_ctx *ctx, enum ud_res r)
{
	const struct ud_device *dev = ctx->dev;

	return ctx->res_used[r] >= dev->res_ctx_max[r] ||
	       dev->res_used[r] >= dev->res_max[r];
}

int ud_res_check(const struct ud_ctx *ctx, enum ud_res r)
{
	if (full(ctx, r) || (is_queue(r) && full(ctx, UD_RES_QUEUE)))
		return -ENOMEM;
	return 0;
}

static void count(struct ud_ctx *ctx, enum ud_res r, int by)
{
	ctx->res_used[r] += by;
	ctx->dev->res_used[r] += by;
	if (is_queue(r)) {
		ctx->res_used[UD_RES_QUEUE] += by;
		ctx->dev->res_used[UD_RES_QUEUE] += by;
	}
}

void ud_res_get(struct ud_ctx *ctx, enum ud_res r)
{
	count(ctx, r, 1);
}

void ud_res_put(struct ud_ctx *ctx, enum ud_res r)
{
	count(ctx, r, -1);
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

int ud_fd_share_take(struct uodpd *d, uint32_t *held, uint32_t n)
{
	if (*held + n > d->file_fd_max)
		return -EMFILE;
	if (d->fds_used + n > d->fd_budget)
		return -ENFILE;
	*held += n;
	d->fds_used += n;
	return 0;
}

void ud_fd_share_give(struct uodpd *d, uint32_t *held, uint32_t n)
{
	*held -= n;
	d->fds_used -= n;
}

int ud_fds_take(struct uodpd *d, struct ud_ufile *f, uint32_t n)
{
	return ud_fd_share_take(d, &f->fds, n);
}

void ud_fds_give(struct uodpd *d, struct ud_ufile *f, uint32_t n)
{
	ud_fd_share_give(d, &f->fds, n);
}

/* vm.max_map_count: what the kernel lets one process map. */
static uint64_t max_map_count(void)
{
	unsigned long long n = 65530;	/* the kernel's default */
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");

	if (f) {
		if (fscanf(f, "%llu", &n) != 1)
			n = 65530;
		fclose(f);
	}
	return n;
}

/*
 * Every mapping the daemon makes for its clients is bounded, so that
 * they cannot fill its map count: a command fd's doorbell page and its
 * context's ODP counters page (so command fds are at most a share of the
 * map budget, and never more than the fd budget gives contexts to), and
 * a queue's memfd (the rest, split between the devices).
 */
void ud_map_budget_init(struct uodpd *d)
{
	uint64_t maps = max_map_count(), files, queues;
	uint32_t i;

	maps = maps > 2 * UD_MAP_RESERVE ? maps - UD_MAP_RESERVE : maps / 2;
	files = d->fd_budget / UD_CTX_FDS;
	if (files > maps / 8)
		files = maps / 8;
	d->file_max = files ? files : 1;
	queues = (maps - 2 * files) / (d->ndevices ? d->ndevices : 1);
	for (i = 0; i < d->ndevices; i++)
		ud_limits_cap_queues(&d->devices[i], queues ? queues : 1);
}
