// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Contexts: what one GET_CONTEXT on a command fd makes (uverbs_cmd.c), the
 * fds it serves the process through (async events, the doorbell eventfd)
 * and the pidfd of the process whose memory it reaches; destroying one
 * destroys everything it owned, users before what they use.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <rdma/ib_user_verbs.h>

#include "ctl.h"
#include "loop.h"
#include "odp_priv.h"
#include "uverbs.h"

/* ---- contexts ---- */

struct ud_ctx *ud_ctx_new(struct uodpd *d, pid_t pid, uid_t uid)
{
	struct ud_ctx *ctx;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->id = ud_idr_alloc(&d->ctx_ids, ctx);
	if (!ctx->id) {
		free(ctx);
		return NULL;
	}
	ctx->pid = pid;
	ctx->uid = uid;
	ctx->kick_fd = -1;
	ctx->async_wfd = -1;
	ctx->async_rfd = -1;
	ctx->async_drain_fd = -1;
	ctx->owner_pidfd = -1;
	list_head_init(&ctx->pds);
	list_head_init(&ctx->mrs);
	list_head_init(&ctx->cqs);
	list_head_init(&ctx->srqs);
	list_head_init(&ctx->qps);
	list_head_init(&ctx->sched.qps);
	list_node_init(&ctx->sched.link);
	list_add_tail(&d->ctxs, &ctx->link);
	return ctx;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void ud_ctx_destroy(struct uodpd *d, struct ud_ctx *ctx)
{
	struct ud_qp *qp;
	struct ud_srq *srq;
	struct ud_cq *cq;
	struct ud_mr *mr;
	struct ud_pd *pd;

	ctx->dead = true;
	if (ctx->ufile)		/* new_context's failure gives them back */
		ud_fds_give(d, ctx->ufile, UD_CTX_FDS);
	ud_uverbs_ctx_gone(ctx);
	/* Its faults first, resumed with error while their queues exist. */
	ud_odp_ctx_destroy(d, ctx);
	/* Users before what they use: QPs, SRQs, CQs, MRs, PDs, XRCDs. */
	list_for_each_safe(&ctx->qps, qp, t1, struct ud_qp, ctx_link)
		ud_qp_destroy(d, qp);
	list_for_each_safe(&ctx->srqs, srq, t2, struct ud_srq, ctx_link)
		ud_srq_destroy(d, srq);
	list_for_each_safe(&ctx->cqs, cq, t3, struct ud_cq, ctx_link)
		ud_cq_destroy(d, cq);
	list_for_each_safe(&ctx->mrs, mr, t4, struct ud_mr, ctx_link)
		ud_mr_destroy(d, mr);
	list_for_each_safe(&ctx->pds, pd, t5, struct ud_pd, ctx_link)
		ud_pd_destroy(d, pd);
	ud_ctx_close_xrcds(d, ctx);

	if (ctx->kick_fd >= 0)
		ud_loop_unwatch(d, ctx->kick_fd);
	close_fd(&ctx->kick_fd);
	close_fd(&ctx->async_wfd);
	close_fd(&ctx->async_rfd);
	close_fd(&ctx->async_drain_fd);
	if (ctx->owner_pidfd >= 0)
		ud_loop_unwatch(d, ctx->owner_pidfd);
	close_fd(&ctx->owner_pidfd);
	list_del(&ctx->link);
	list_del(&ctx->sched.link);	/* left with its last QP; never stale */
	ud_idr_remove(&d->ctx_ids, ctx->id);
	ud_info("context %u: pid %d gone", ctx->id, (int)ctx->pid);
	free(ctx);
}

void ud_ctx_kick(struct uodpd *d, uint32_t ctx_id)
{
	struct ud_ctx *ctx = ud_idr_find(&d->ctx_ids, ctx_id);
	uint64_t v;

	if (!ctx || ctx->kick_fd < 0)
		return;
	if (read(ctx->kick_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		ud_dbg("context %u: doorbell eventfd: %s", ctx_id,
		       strerror(errno));
	/* An arm is rung like a doorbell (req_notify_cq kicks). */
	ud_ctx_check_arms(ctx);
}

void ud_async_event(struct ud_ctx *ctx, uint64_t element, uint32_t type,
		    uint32_t *count)
{
	struct ib_uverbs_async_event_desc ev = {
		.element = element,
		.event_type = type,
	};

	if (ctx->async_wfd < 0)
		return;
	/* One record is below PIPE_BUF: written whole or not at all. */
	if (write(ctx->async_wfd, &ev, sizeof(ev)) == sizeof(ev)) {
		(*count)++;
		return;
	}
	if (errno == EPIPE)	/* the process closed its async_fd */
		ud_dbg("context %u: async event %u dropped: %s", ctx->id,
		       type, strerror(errno));
	else
		ud_warn("context %u: async event %u dropped: %s", ctx->id,
			type, strerror(errno));
}

uint32_t ud_async_take_back(struct ud_ctx *ctx, uint64_t element,
			    uint32_t count)
{
	uint32_t removed = 0;

	if (count && ctx->async_drain_fd >= 0)
		removed = ud_pipe_take_back(ctx->async_drain_fd,
					    ctx->async_wfd,
					    sizeof(struct ib_uverbs_async_event_desc),
					    element);
	return removed < count ? count - removed : 0;
}

int ud_ctx_open_async(struct ud_ctx *ctx)
{
	int pipefd[2];

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	ctx->async_wfd = pipefd[1];
	ctx->async_rfd = pipefd[0];
	ctx->async_drain_fd = ud_reopen_nonblock(pipefd[0]);
	if (ctx->async_drain_fd < 0)
		return -errno;
	/* Never block on a client that does not read its events. */
	if (fcntl(ctx->async_wfd, F_SETFL, O_NONBLOCK))
		return -errno;
	return 0;
}

/*
 * The context reaches memory through its owner's pid: when that process
 * is gone the context goes, so the number can never reach a process that
 * reuses it (a kernel's umem keeps the mm itself).
 */
int ud_ctx_watch_owner(struct uodpd *d, struct ud_ctx *ctx)
{
	ctx->owner_pidfd = (int)syscall(SYS_pidfd_open, ctx->pid, 0);
	if (ctx->owner_pidfd < 0)
		return -errno;
	return ud_loop_watch(d, ctx->owner_pidfd, UD_EP_CTX_OWNER, ctx->id);
}

void ud_ctx_owner_exited(struct uodpd *d, uint32_t ctx_id)
{
	struct ud_ctx *ctx = ud_idr_find(&d->ctx_ids, ctx_id);

	if (!ctx)
		return;
	ud_info("context %u: pid %d exited", ctx->id, (int)ctx->pid);
	ud_ctx_destroy(d, ctx);
}

int ud_ctx_open_doorbell(struct uodpd *d, struct ud_ctx *ctx)
{
	ctx->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ctx->kick_fd < 0)
		return -errno;
	return ud_loop_watch(d, ctx->kick_fd, UD_EP_CTX_KICK, ctx->id);
}
