// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The ODP event channel of a context: the DEVX async event fd, a pipe of
 * fixed-size records (the subscription's cookie, then the 64-byte EQE or a
 * struct uodp_odp_notice; 72 bytes, below PIPE_BUF so each is written
 * whole or not at all).  Events are queued as struct ud_odp_event and
 * turned into records as they are written.  The daemon keeps the write end non-blocking and never blocks
 * on a client: what the pipe has no room for waits in a per-context queue,
 * flushed when epoll reports the pipe writable.  Page faults are never
 * dropped; other events beyond UD_ODP_MAX_PENDING_OTHER are counted as lost
 * and reported by an OVERFLOW record.  When the reader closes its end
 * (EPOLLERR, or EPIPE on write) the channel closes and every outstanding
 * fault of the context is resumed with error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "odp_priv.h"
#include "loop.h"

bool ud_odp_channel_open_p(const struct ud_ctx *ctx)
{
	return ctx->odp && ctx->odp->chan_wfd >= 0;
}

int ud_odp_stats_check(int fd)
{
	const int need = F_SEAL_SHRINK | F_SEAL_GROW;
	struct stat st;
	int seals;

	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & need) != need)
		return -EINVAL;		/* not a memfd, or could shrink */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < sizeof(struct uodp_odp_engine_counters))
		return -EINVAL;
	return 0;
}

static int map_stats(struct ud_odp_ctx *o, int fd)
{
	size_t len = sizeof(struct uodp_odp_engine_counters);
	void *p;
	int ret;

	if (fd < 0)
		return 0;	/* no engine counters page */
	ret = ud_odp_stats_check(fd);
	if (ret)
		return ret;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	o->stats = p;
	o->stats_len = len;
	return 0;
}

static void unmap_stats(struct ud_odp_ctx *o)
{
	if (o->stats)
		munmap((void *)o->stats, o->stats_len);
	o->stats = NULL;
	o->stats_len = 0;
}

/* Start delivering on wfd (taken on success). */
static int start(struct uodpd *d, struct ud_ctx *ctx, int wfd, int stats_fd)
{
	struct ud_odp_ctx *o = ctx->odp;
	int ret;

	if (ud_odp_channel_open_p(ctx))
		return -EEXIST;
	ret = map_stats(o, stats_fd);
	if (ret)
		return ret;
	/* Never block on a client that does not read its events. */
	if (fcntl(wfd, F_SETFL, O_NONBLOCK)) {
		ret = -errno;
		goto err_unmap;
	}
	/* No events wanted yet: EPOLLERR (reader gone) is always reported. */
	ret = ud_loop_watch_events(d, wfd, 0, UD_EP_ODP_CHANNEL, ctx->id);
	if (ret)
		goto err_unmap;
	o->chan_wfd = wfd;
	o->chan_want_out = false;
	o->lost_unreported = 0;
	return 0;

err_unmap:
	unmap_stats(o);
	return ret;
}

int ud_odp_channel_attach(struct uodpd *d, struct ud_ctx *ctx, int wfd,
			  uint64_t cookie, int stats_fd)
{
	struct ud_odp_ctx *o = ctx->odp;
	int ret;

	/* A live channel keeps its format and cookie. */
	if (ud_odp_channel_open_p(ctx))
		return -EEXIST;
	ret = start(d, ctx, wfd, stats_fd);
	if (ret)
		return ret;
	o->cookie_fault = cookie;
	return 0;
}

void ud_odp_channel_notices(struct ud_ctx *ctx, uint64_t cookie)
{
	ctx->odp->notices = true;
	ctx->odp->cookie_notice = cookie;
}

static void want_out(struct uodpd *d, struct ud_ctx *ctx, bool on)
{
	struct ud_odp_ctx *o = ctx->odp;

	if (o->chan_want_out == on)
		return;
	if (!ud_loop_modify(d, o->chan_wfd, on ? EPOLLOUT : 0,
			    UD_EP_ODP_CHANNEL, ctx->id))
		o->chan_want_out = on;
}

/* The DEVX record of ev: cookie, then the EQE or the notice. */
static size_t devx_record(const struct ud_odp_ctx *o,
			  const struct ud_odp_event *ev, uint8_t *rec)
{
	struct uodp_odp_notice notice = ev->notice;
	uint64_t cookie = o->cookie_notice;

	if (ev->type == UD_ODP_EV_PAGE_FAULT) {
		cookie = o->cookie_fault;
		memcpy(rec + sizeof(cookie), ev->eqe, sizeof(ev->eqe));
	} else {
		notice.kind = ev->type == UD_ODP_EV_INVALIDATE ?
			      UODP_ODP_NOTICE_INVALIDATE :
			      UODP_ODP_NOTICE_OVERFLOW;
		memcpy(rec + sizeof(cookie), &notice, sizeof(notice));
	}
	memcpy(rec, &cookie, sizeof(cookie));
	return UODP_ODP_EVENT_RECORD_SIZE;
}

/* 1: written, 0: no room, -EPIPE: the reader is gone. */
static int chan_write(struct ud_ctx *ctx, const struct ud_odp_event *ev)
{
	uint8_t rec[UODP_ODP_EVENT_RECORD_SIZE];
	size_t len;
	ssize_t n;

	/* A notice nobody subscribed to goes nowhere. */
	if (ev->type != UD_ODP_EV_PAGE_FAULT && !ctx->odp->notices)
		return 1;
	len = devx_record(ctx->odp, ev, rec);
	do {
		n = write(ctx->odp->chan_wfd, rec, len);
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 1;
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n >= 0)	/* cannot happen below PIPE_BUF */
		ud_err("context %u: short write on the ODP channel", ctx->id);
	return -EPIPE;
}

static void free_pending(struct ud_odp_ctx *o)
{
	struct ud_odp_event_node *e;

	list_for_each_safe(&o->pending, e, t, struct ud_odp_event_node, link) {
		list_del(&e->link);
		free(e);
	}
	o->pending_other = 0;
}

void ud_odp_channel_close(struct uodpd *d, struct ud_ctx *ctx)
{
	struct ud_odp_ctx *o = ctx->odp;

	if (!o)
		return;
	if (o->chan_wfd >= 0) {
		ud_loop_unwatch(d, o->chan_wfd);
		close(o->chan_wfd);
		o->chan_wfd = -1;
		o->notices = false;
		ud_info("context %u: ODP channel closed", ctx->id);
	}
	free_pending(o);
	if (o->stats)
		ud_odp_engine_add(&d->odp->retired[ctx->dev->index], o->stats);
	unmap_stats(o);
	/* With the channel gone first, nothing raised meanwhile lands here. */
	ud_odp_resume_all_error(d, ctx);
}

/*
 * Write what is queued, in order; then an OVERFLOW record if events were
 * lost.  false when the channel closed.
 */
static bool flush(struct uodpd *d, struct ud_ctx *ctx)
{
	struct ud_odp_ctx *o = ctx->odp;
	struct ud_odp_event ovf = { .type = UD_ODP_EV_OVERFLOW };
	struct ud_odp_event_node *e;
	int ret = 1;

	list_for_each_safe(&o->pending, e, t, struct ud_odp_event_node, link) {
		ret = chan_write(ctx, &e->ev);
		if (ret <= 0)
			break;
		list_del(&e->link);
		if (!e->is_fault)
			o->pending_other--;
		free(e);
	}
	if (ret > 0 && o->lost_unreported) {
		ovf.notice.lost = o->lost_unreported;
		ret = chan_write(ctx, &ovf);
		if (ret > 0)
			o->lost_unreported = 0;
	}
	if (ret < 0) {
		ud_odp_channel_close(d, ctx);
		return false;
	}
	want_out(d, ctx, ret == 0);
	return true;
}

/* An INVALIDATE that extends the last queued one of the same MR. */
static bool coalesce(struct ud_odp_ctx *o, const struct ud_odp_event *ev)
{
	struct ud_odp_event_node *last;
	uint64_t lo, hi;

	if (list_empty(&o->pending) || ev->type != UD_ODP_EV_INVALIDATE)
		return false;
	last = list_entry(o->pending.n.prev, struct ud_odp_event_node, link);
	if (last->ev.type != UD_ODP_EV_INVALIDATE ||
	    last->ev.notice.mr_key != ev->notice.mr_key)
		return false;
	lo = last->ev.notice.va;
	hi = lo + last->ev.notice.length;
	if (ev->notice.va > hi ||
	    ev->notice.va + ev->notice.length < lo)
		return false;
	if (ev->notice.va < lo)
		lo = ev->notice.va;
	if (ev->notice.va + ev->notice.length > hi)
		hi = ev->notice.va + ev->notice.length;
	last->ev.notice.va = lo;
	last->ev.notice.length = hi - lo;
	return true;
}

static void lose(struct uodpd *d, struct ud_ctx *ctx)
{
	ctx->odp->lost_unreported++;
	UD_ODP_COUNT(d, ctx, events_lost, 1);
}

/*
 * A reader that is gone (EPIPE) is not handled here but by the EPOLLERR
 * that follows, from the loop: closing resumes faults, which must not
 * happen inside the engine's raise.
 */
int ud_odp_channel_send(struct uodpd *d, struct ud_ctx *ctx,
			const struct ud_odp_event *ev, bool is_fault)
{
	struct ud_odp_ctx *o = ctx->odp;
	struct ud_odp_event_node *e;

	if (!ud_odp_channel_open_p(ctx))
		return -ENOTCONN;
	if (list_empty(&o->pending) && !o->lost_unreported &&
	    chan_write(ctx, ev) > 0)
		return 0;
	if (!is_fault && coalesce(o, ev))
		return 0;
	if (!is_fault && o->pending_other >= UD_ODP_MAX_PENDING_OTHER) {
		lose(d, ctx);
		want_out(d, ctx, true);
		return 0;
	}
	e = malloc(sizeof(*e));
	if (!e) {
		if (is_fault)	/* the caller fails the fault instead */
			return -ENOMEM;
		lose(d, ctx);
		want_out(d, ctx, true);
		return 0;
	}
	e->ev = *ev;
	e->is_fault = is_fault;
	list_add_tail(&o->pending, &e->link);
	o->pending_other += !is_fault;
	want_out(d, ctx, true);
	return 0;
}

void ud_odp_channel_ready(struct uodpd *d, uint32_t ctx_id, uint32_t events)
{
	struct ud_ctx *ctx = ud_idr_find(&d->ctx_ids, ctx_id);

	if (!ctx || !ud_odp_channel_open_p(ctx))
		return;		/* destroyed earlier in this batch */
	if (events & (EPOLLERR | EPOLLHUP)) {
		ud_odp_channel_close(d, ctx);
		return;
	}
	if (events & EPOLLOUT)
		flush(d, ctx);
}
