// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The MMU notifier of ODP MRs, in userspace: what Linux does with mmu
 * interval notifiers over every ib_umem_odp, the device side does with a
 * userfaultfd of the application's process (emulator only: ODP_API's
 * optional UODP_IB_ATTR_ODP_API_UFFD).  A userfaultfd acts on the mm of
 * the process that made it, whoever issues its ioctls, so the provider
 * only creates it; here it gets its events (REMOVE for MADV_DONTNEED and
 * MADV_REMOVE, UNMAP, REMAP) and the ODP MRs' ranges are registered in
 * write-protect mode with nothing write-protected: no fault of the
 * program's own is ever trapped.  An event zaps exactly the pages it
 * names of every ODP MR of the context over them and queues their
 * INVALIDATE notices, as the kernel's invalidate callback does.
 *
 * The device has one thread, and every transfer piece checks its
 * translation as it copies (engine_xfer.c): when an event is read no
 * device access to those pages is in flight, so "wait for the device"
 * holds by construction.  A REMOVE is sent before the pages go and its
 * thread waits until the event is read; UNMAP and REMAP after the change.
 *
 * Without a userfaultfd (none handed over, refused, or a memory type it
 * does not cover) pages that went away are still found on access
 * (EFAULT: ud_odp_invalidate), and the device says so once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "loop.h"
#include "odp.h"
#include "odp_priv.h"

#define UFFD_EVENTS (UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP | \
		     UFFD_FEATURE_EVENT_REMAP)
#define UFFD_MSGS_PER_READ 16
#define UFFD_MSGS_PER_TURN UD_ODP_UFFD_SYNC_MAX	/* level-triggered */

static void say_unavailable(const struct ud_ctx *ctx, const char *why)
{
	static bool said;

	if (said)
		return;
	said = true;
	ud_info("context %u: no userfaultfd (%s): ODP pages that go away are found on access only",
		ctx->id, why);
}

void ud_odp_uffd_absent(const struct ud_ctx *ctx)
{
	say_unavailable(ctx, "not handed over");
}

/*
 * The events, and write-protect mode on shmem and hugetlbfs where the
 * kernel has it (without it those VMAs refuse registration).  One already
 * set up (by whoever handed it over) fails: EINVAL.
 */
static int uffd_api(int fd)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_EVENTS | UFFD_FEATURE_WP_HUGETLBFS_SHMEM,
	};

	if (!ioctl(fd, UFFDIO_API, &api))
		return 0;
	api = (struct uffdio_api){ .api = UFFD_API, .features = UFFD_EVENTS };
	return ioctl(fd, UFFDIO_API, &api) ? -errno : 0;
}

/* Page-aligned process range [*lo, *hi) an MR's table covers. */
static void mr_span(const struct ud_mr *mr, uint64_t *lo, uint64_t *hi)
{
	*lo = mr->odp_tbl->first_page << UODPD_PAGE_SHIFT;
	*hi = *lo + (mr->odp_tbl->npages << UODPD_PAGE_SHIFT);
}

static int register_range(int uffd, uint64_t lo, uint64_t hi)
{
	struct uffdio_register reg = {
		.range = { .start = lo, .len = hi - lo },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};

	return ioctl(uffd, UFFDIO_REGISTER, &reg) ? -errno : 0;
}

/*
 * -EINVAL: no mapping there yet, or a file type it does not cover;
 * -EPERM: not writable; -EBUSY: the program's own userfaultfd has it;
 * -ENOMEM: vm.max_map_count.  The MR works; its pages that go away are
 * found on access.
 */
static void refused(struct uodpd *d, struct ud_ctx *ctx, uint64_t lo,
		    uint64_t hi, int err)
{
	ud_dbg("context %u: 0x%" PRIx64 "+0x%" PRIx64
	       " not covered by the userfaultfd: %s", ctx->id, lo, hi - lo,
	       strerror(-err));
	UD_ODP_COUNT(d, ctx, mmu_uncovered, 1);
}

int ud_odp_mmu_register(struct uodpd *d, struct ud_ctx *ctx, struct ud_mr *mr)
{
	struct ud_odp_ctx *o = ctx->odp;
	uint64_t lo, hi;
	int ret;

	mr_span(mr, &lo, &hi);
	if (!mr->odp_tbl->indexed) {
		ret = ud_itree_insert(&o->mr_spans, lo, hi, mr);
		if (ret)
			return ret;
		mr->odp_tbl->indexed = true;
		o->nimplicit += mr->implicit;
	}
	if (o->uffd < 0 || mr->implicit || mr->odp_tbl->mmu_registered)
		return 0;	/* an implicit MR's VMAs come with MAP */
	ret = register_range(o->uffd, lo, hi);
	if (ret)
		refused(d, ctx, lo, hi, ret);
	else
		mr->odp_tbl->mmu_registered = true;
	return 0;
}

void ud_odp_mmu_cover(struct uodpd *d, struct ud_ctx *ctx, uint64_t lo,
		      uint64_t hi)
{
	struct ud_odp_ctx *o = ctx->odp;
	int ret;

	if (o->uffd < 0 || ud_rangeset_covers(&o->implicit_cov, lo, hi) ||
	    ud_rangeset_covers(&o->uffd_refused, lo, hi))
		return;
	ret = register_range(o->uffd, lo, hi);
	if (!ret)
		ret = ud_rangeset_add(&o->implicit_cov, lo, hi);
	else if (ud_rangeset_add(&o->uffd_refused, lo, hi))
		return;		/* out of memory: asked again next time */
	if (ret)
		refused(d, ctx, lo, hi, ret);
}

/* Spans the notifier still needs over some range, sorted by start. */
struct needed {
	struct ud_itree_span *v;
	uint32_t n, cap;
};

static int need(void *arg, const struct ud_itree_span *s)
{
	struct needed *l = arg;
	struct ud_itree_span *grown;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		grown = realloc(l->v, l->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		l->v = grown;
	}
	l->v[l->n++] = *s;
	return 0;
}

static int need_registered_mr(void *arg, const struct ud_itree_span *s)
{
	const struct ud_mr *mr = s->item;

	if (mr->implicit || !mr->odp_tbl->mmu_registered)
		return 0;
	return need(arg, s);
}

static int by_start(const void *a, const void *b)
{
	const struct ud_itree_span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void unregister_range(int uffd, uint64_t lo, uint64_t hi)
{
	struct uffdio_range r = { .start = lo, .len = hi - lo };

	/* After munmap there is nothing to unregister (EINVAL). */
	if (ioctl(uffd, UFFDIO_UNREGISTER, &r) && errno != EINVAL)
		ud_dbg("UFFDIO_UNREGISTER 0x%" PRIx64 "+0x%" PRIx64 ": %s",
		       lo, hi - lo, strerror(errno));
}

/* Nothing needs [lo, hi) on the notifier any more. */
static void unneeded(struct ud_odp_ctx *o, uint64_t lo, uint64_t hi)
{
	unregister_range(o->uffd, lo, hi);
	/* Splitting may fail: a range left there is only registered again. */
	ud_rangeset_del(&o->explicit_lost, lo, hi);
}

/*
 * Take [lo, hi) off the userfaultfd, less what registered explicit MRs
 * and (while there are implicit MRs) their VMAs still need: one VMA flag
 * serves them all.  The cost is in the spans that overlap it.
 */
static void unregister_unneeded(struct ud_odp_ctx *o, uint64_t lo,
				uint64_t hi)
{
	struct needed l = { .n = 0 };
	uint64_t a = lo;
	uint32_t i;

	if (ud_itree_query(&o->mr_spans, lo, hi, need_registered_mr, &l) ||
	    (o->nimplicit &&
	     ud_itree_query(&o->implicit_cov, lo, hi, need, &l))) {
		/* Left on: it costs events, never a translation. */
		ud_dbg("context %u: 0x%" PRIx64 "+0x%" PRIx64
		       " left on the userfaultfd: out of memory",
		       o->ctx->id, lo, hi - lo);
		free(l.v);
		return;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(l.v[0]), by_start);
	for (i = 0; i < l.n && a < hi; i++) {
		if (l.v[i].lo > a)
			unneeded(o, a, l.v[i].lo < hi ? l.v[i].lo : hi);
		if (l.v[i].hi > a)
			a = l.v[i].hi;
	}
	if (a < hi)
		unneeded(o, a, hi);
	free(l.v);
}

/* The last implicit MR went: the VMAs registered for them go off. */
static void implicit_uncover(struct ud_odp_ctx *o)
{
	struct ud_itree cov = o->implicit_cov;
	uint32_t i;

	o->implicit_cov = (struct ud_itree){ 0 };
	if (o->uffd >= 0)
		for (i = 0; i < cov.n; i++)
			unregister_unneeded(o, cov.v[i].lo, cov.v[i].hi);
	ud_itree_fini(&cov);
	ud_itree_fini(&o->uffd_refused);
}

void ud_odp_mmu_unregister(struct ud_ctx *ctx, struct ud_mr *mr)
{
	struct ud_odp_ctx *o = ctx->odp;
	bool was_registered = mr->odp_tbl->mmu_registered;
	uint64_t lo, hi;

	mr->odp_tbl->mmu_registered = false;
	if (!o || !mr->odp_tbl->indexed)
		return;		/* the context's notifier went first */
	mr_span(mr, &lo, &hi);
	ud_itree_remove(&o->mr_spans, lo, mr);
	mr->odp_tbl->indexed = false;
	if (mr->implicit && !--o->nimplicit)
		implicit_uncover(o);
	else if (was_registered && o->uffd >= 0)
		unregister_unneeded(o, lo, hi);
}

struct zap_walk {
	struct uodpd *d;
	struct ud_odp_ctx *o;
	uint64_t lo, hi;
	bool maps_changed;
};

/*
 * Zap what mr maps of the range; if the range was unmapped or moved, the
 * part of a registered explicit MR's span it covers lost its registration
 * (it went with the VMA): MAP registers it again once mapped.
 */
static int zap_mr(void *arg, const struct ud_itree_span *s)
{
	struct zap_walk *w = arg;
	struct ud_mr *mr = s->item;

	ud_odp_invalidate_pva(w->d, mr, w->lo, w->hi);
	if (w->maps_changed && !mr->implicit && mr->odp_tbl->mmu_registered)
		ud_rangeset_add(&w->o->explicit_lost,
				w->lo > s->lo ? w->lo : s->lo,
				w->hi < s->hi ? w->hi : s->hi);
	return 0;
}

struct lost_walk {
	uint64_t lo, hi;
	struct ud_itree_span found[16];
	uint32_t n;
};

static int lost_in(void *arg, const struct ud_itree_span *s)
{
	struct lost_walk *w = arg;

	w->found[w->n].lo = s->lo > w->lo ? s->lo : w->lo;
	w->found[w->n].hi = s->hi < w->hi ? s->hi : w->hi;
	return ++w->n == 16;	/* the rest on the next MAP there */
}

void ud_odp_mmu_recover(struct uodpd *d, struct ud_ctx *ctx,
			struct ud_mr *mr, uint64_t lo, uint64_t hi)
{
	struct lost_walk w = { .lo = lo, .hi = hi };
	struct ud_odp_ctx *o = ctx->odp;
	uint32_t i;
	int ret;

	if (o->uffd < 0 || mr->implicit || !mr->odp_tbl->mmu_registered ||
	    !o->explicit_lost.n)
		return;
	ud_itree_query(&o->explicit_lost, lo, hi, lost_in, &w);
	for (i = 0; i < w.n; i++) {
		/* Holes are fine; nothing mapped at all there is EINVAL. */
		ret = register_range(o->uffd, w.found[i].lo, w.found[i].hi);
		if (!ret)
			ud_rangeset_del(&o->explicit_lost, w.found[i].lo,
					w.found[i].hi);
		else if (ret != -EINVAL)
			refused(d, ctx, w.found[i].lo, w.found[i].hi, ret);
	}
}

/* [lo, hi) of the process (page-aligned) changed: zap it everywhere. */
static void mmu_invalidate(struct uodpd *d, struct ud_ctx *ctx, uint64_t lo,
			   uint64_t hi, bool maps_changed)
{
	struct ud_odp_ctx *o = ctx->odp;
	struct zap_walk w = { .d = d, .o = o, .lo = lo, .hi = hi,
			      .maps_changed = maps_changed };

	ud_itree_query(&o->mr_spans, lo, hi, zap_mr, &w);
	if (!maps_changed)
		return;
	/*
	 * Unmapped or moved: its registration went with it (a failure to
	 * split a range set only leaves a VMA to register again), and
	 * MAP's cached view of the maps is stale.
	 */
	ud_rangeset_del(&o->implicit_cov, lo, hi);
	ud_rangeset_del(&o->uffd_refused, lo, hi);
	ud_odp_vmas_forget(ctx);
}

/* A REMAP moves the registration with the pages: keep it only if needed. */
static void remap_moved(struct ud_ctx *ctx, uint64_t to, uint64_t len)
{
	unregister_unneeded(ctx->odp, to, to + len);
}

/* One event: the process range [*lo, *hi) it invalidated, if any. */
static bool handle_msg(struct uodpd *d, struct ud_ctx *ctx,
		       const struct uffd_msg *m, uint64_t *lo, uint64_t *hi)
{
	switch (m->event) {
	case UFFD_EVENT_REMOVE:
	case UFFD_EVENT_UNMAP:
		*lo = m->arg.remove.start;
		*hi = m->arg.remove.end;
		mmu_invalidate(d, ctx, *lo, *hi,
			       m->event == UFFD_EVENT_UNMAP);
		break;
	case UFFD_EVENT_REMAP:
		*lo = m->arg.remap.from;
		*hi = m->arg.remap.from + m->arg.remap.len;
		mmu_invalidate(d, ctx, *lo, *hi, true);
		remap_moved(ctx, m->arg.remap.to, m->arg.remap.len);
		break;
	default:
		ud_dbg("context %u: userfaultfd event %u ignored", ctx->id,
		       m->event);
		return false;
	}
	UD_ODP_COUNT(d, ctx, mmu_events, 1);
	return true;
}

/*
 * Read and handle what ctx's userfaultfd holds, at most max events (a
 * program with many threads in madvise must not hold the device); true
 * if one of them invalidated some of [lo, hi), or it stopped at max and
 * an unread one might.
 */
static bool read_events(struct uodpd *d, struct ud_ctx *ctx, unsigned int max,
			uint64_t lo, uint64_t hi)
{
	struct uffd_msg msg[UFFD_MSGS_PER_READ];
	unsigned int total = 0;
	uint64_t elo, ehi;
	bool hit = false;
	ssize_t n, i;

	while (total < max) {
		n = read(ctx->odp->uffd, msg, sizeof(msg));
		if (n <= 0)
			break;	/* EAGAIN: all read */
		for (i = 0; i < n / (ssize_t)sizeof(msg[0]); i++)
			if (handle_msg(d, ctx, &msg[i], &elo, &ehi) &&
			    elo < hi && lo < ehi)
				hit = true;
		total += (unsigned int)(n / (ssize_t)sizeof(msg[0]));
	}
	return hit || total >= max;
}

void ud_odp_uffd_ready(struct uodpd *d, uint32_t ctx_id, uint32_t events)
{
	struct ud_ctx *ctx = ud_idr_find(&d->ctx_ids, ctx_id);

	if (!ctx || !ctx->odp || ctx->odp->uffd < 0)
		return;		/* gone earlier in this batch */
	if (events & (EPOLLERR | EPOLLHUP)) {
		ud_odp_uffd_detach(d, ctx);
		say_unavailable(ctx, "it failed");
		return;
	}
	read_events(d, ctx, UFFD_MSGS_PER_TURN, 0, 0);
}

bool ud_odp_uffd_sync(struct uodpd *d, struct ud_ctx *ctx, uint64_t lo,
		      uint64_t hi)
{
	if (!ctx->odp || ctx->odp->uffd < 0)
		return false;
	return read_events(d, ctx, UD_ODP_UFFD_SYNC_MAX, lo, hi);
}

int ud_odp_uffd_prepare(int uffd)
{
	if (!ud_fd_is_anon_inode(uffd, "[userfaultfd]"))
		return -EINVAL;
	return uffd_api(uffd);
}

int ud_odp_uffd_attach(struct uodpd *d, struct ud_ctx *ctx, int uffd)
{
	struct ud_odp_ctx *o = ctx->odp;
	struct ud_mr *mr;
	int ret;

	if (o->uffd >= 0) {
		ret = -EBUSY;
		goto err_close;
	}
	/* Only after UFFDIO_API: poll says EPOLLERR before it. */
	ret = ud_loop_watch(d, uffd, UD_EP_ODP_UFFD, ctx->id);
	if (ret)
		goto err_close;
	o->uffd = uffd;
	/* MRs registered before ODP_API (a client of the raw uAPI). */
	list_for_each(&ctx->mrs, mr, struct ud_mr, ctx_link)
		if (mr->odp_tbl)
			ud_odp_mmu_register(d, ctx, mr);
	return 0;

err_close:
	close(uffd);
	say_unavailable(ctx, strerror(-ret));
	return ret;
}

void ud_odp_uffd_detach(struct uodpd *d, struct ud_ctx *ctx)
{
	struct ud_odp_ctx *o = ctx->odp;
	struct ud_mr *mr;
	uint64_t lo, hi;
	uint32_t i;

	if (!o || o->uffd < 0)
		return;
	/*
	 * Explicitly, not by close: a child forked before the provider
	 * closed its copy may hold the file open, and the program's
	 * madvise would then wait for a reader that is gone.
	 */
	list_for_each(&ctx->mrs, mr, struct ud_mr, ctx_link)
		if (mr->odp_tbl && mr->odp_tbl->mmu_registered) {
			mr_span(mr, &lo, &hi);
			unregister_range(o->uffd, lo, hi);
			mr->odp_tbl->mmu_registered = false;
		}
	for (i = 0; i < o->implicit_cov.n; i++)
		unregister_range(o->uffd, o->implicit_cov.v[i].lo,
				 o->implicit_cov.v[i].hi);
	ud_itree_fini(&o->implicit_cov);
	ud_itree_fini(&o->uffd_refused);
	ud_itree_fini(&o->explicit_lost);
	ud_loop_unwatch(d, o->uffd);
	close(o->uffd);
	o->uffd = -1;
}
