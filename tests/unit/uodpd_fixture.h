/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Shared by the unit tests of the daemon's ODP side: a daemon with one
 * device, a context of this process granted every ODP feature, and its
 * event channel (the read end, non-blocking).
 */
#ifndef UODP_TEST_UODPD_FIXTURE_H
#define UODP_TEST_UODPD_FIXTURE_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "odp_priv.h"
#include "check.h"

static inline struct ud_ctx *fixture_odp_ctx(struct uodpd *d)
{
	struct ud_ctx *ctx;

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->ndevices = 1;
	d->devices[0].attr.max_mr_size = UINT64_MAX;	/* as the device */
	d->devices[0].attr.max_mr = 1u << 20;
	ud_limits_init(&d->devices[0], 100);
	list_head_init(&d->ctxs);
	ud_idr_init(&d->qps, 0x100, 0xffffff);
	ud_idr_init(&d->srqs, 1, 0xffffff);
	ud_idr_init(&d->mrs, 2, 0xffffff);
	ud_idr_init(&d->ctx_ids, 1, 0xffffff);
	CHECK_EQ(ud_odp_init(d), 0);
	ctx = calloc(1, sizeof(*ctx));
	ctx->dev = &d->devices[0];
	ctx->pid = getpid();
	ctx->id = ud_idr_alloc(&d->ctx_ids, ctx);
	list_head_init(&ctx->mrs);
	list_add_tail(&d->ctxs, &ctx->link);
	ud_odp_ctx_get(ctx)->features = ~0ull;
	return ctx;
}

/* ctx's channel with its cookies (stats_fd: kept, or -1): the read end. */
static inline int fixture_odp_channel(struct uodpd *d, struct ud_ctx *ctx,
				      int stats_fd, uint64_t fault_cookie,
				      uint64_t notice_cookie)
{
	int pipefd[2];

	if (pipe2(pipefd, O_CLOEXEC))
		exit(1);
	CHECK_EQ(ud_odp_channel_attach(d, ctx, pipefd[1], fault_cookie,
				       stats_fd), 0);
	ud_odp_channel_notices(ctx, notice_cookie);
	CHECK_EQ(fcntl(pipefd[0], F_SETFL, O_NONBLOCK), 0);
	return pipefd[0];
}

#endif /* UODP_TEST_UODPD_FIXTURE_H */
