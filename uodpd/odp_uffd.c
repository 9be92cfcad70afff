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
#define UFFD_MSGS_PER_TURN 256		/* level-triggered: more next turn */

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
 * kernel has it (without it those VMAs refuse registration).
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

/* Page-aligned process range [*lo, *hi) an explicit MR's table covers. */
static void mr_span(const struct ud_mr *mr, uint64_t *lo, uint64_t *hi)
{
	*lo = mr->odp_tbl->first_page << UODPD_PAGE_SHIFT;
	*hi = *lo + (mr->odp_tbl->npages << UODPD_PAGE_SHIFT);
}

void ud_odp_mmu_register(struct uodpd *d, struct ud_ctx *ctx,
			 struct ud_mr *mr)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	struct ud_odp_ctx *o = ctx->odp;
	uint64_t lo, hi;

	if (!o || o->uffd < 0 || mr->implicit || !mr->odp_tbl)
		return;
	mr_span(mr, &lo, &hi);
	reg.range.start = lo;
	reg.range.len = hi - lo;
	if (!ioctl(o->uffd, UFFDIO_REGISTER, &reg)) {
		mr->odp_tbl->mmu_registered = true;
		return;
	}
	/*
	 * EINVAL: no mapping there yet, or a file type it does not cover;
	 * EPERM: not writable; EBUSY: the program's own userfaultfd has it;
	 * ENOMEM: vm.max_map_count.  The MR works; its pages that go away
	 * are found on access.
	 */
	ud_dbg("context %u: MR over 0x%" PRIx64 "+0x%" PRIx64
	       " not covered by the userfaultfd: %s", ctx->id, lo, hi - lo,
	       strerror(errno));
	UD_ODP_COUNT(d, ctx, mmu_uncovered, 1);
}

/* Another registered MR of ctx over page-aligned address a: its end. */
static uint64_t covered_until(const struct ud_ctx *ctx, uint64_t a)
{
	const struct ud_mr *m;
	uint64_t lo, hi;

	list_for_each(&ctx->mrs, m, struct ud_mr, ctx_link) {
		if (!m->odp_tbl || !m->odp_tbl->mmu_registered)
			continue;
		mr_span(m, &lo, &hi);
		if (lo <= a && a < hi)
			return hi;
	}
	return 0;
}

/* The start of the next registered MR of ctx after a, before hi. */
static uint64_t next_covered(const struct ud_ctx *ctx, uint64_t a,
			     uint64_t hi)
{
	const struct ud_mr *m;
	uint64_t lo, end, next = hi;

	list_for_each(&ctx->mrs, m, struct ud_mr, ctx_link) {
		if (!m->odp_tbl || !m->odp_tbl->mmu_registered)
			continue;
		mr_span(m, &lo, &end);
		if (lo > a && lo < next)
			next = lo;
	}
	return next;
}

static void unregister_range(int uffd, uint64_t lo, uint64_t hi)
{
	struct uffdio_range r = { .start = lo, .len = hi - lo };

	/* After munmap there is nothing to unregister (EINVAL). */
	if (ioctl(uffd, UFFDIO_UNREGISTER, &r) && errno != EINVAL)
		ud_dbg("UFFDIO_UNREGISTER 0x%" PRIx64 "+0x%" PRIx64 ": %s",
		       lo, hi - lo, strerror(errno));
}

/*
 * mr (no longer on ctx->mrs) goes: unregister what of its range no other
 * registered MR of the context covers (one VMA flag serves them all).
 */
void ud_odp_mmu_unregister(struct ud_ctx *ctx, struct ud_mr *mr)
{
	struct ud_odp_ctx *o = ctx->odp;
	uint64_t a, lo, hi, end;

	if (!o || o->uffd < 0 || !mr->odp_tbl ||
	    !mr->odp_tbl->mmu_registered)
		return;
	mr->odp_tbl->mmu_registered = false;
	mr_span(mr, &lo, &hi);
	for (a = lo; a < hi; a = end) {
		end = covered_until(ctx, a);
		if (end)
			continue;
		end = next_covered(ctx, a, hi);
		unregister_range(o->uffd, a, end);
	}
}

/* [lo, hi) of the process (page-aligned) changed: zap it everywhere. */
static void mmu_invalidate(struct uodpd *d, struct ud_ctx *ctx, uint64_t lo,
			   uint64_t hi, bool maps_changed)
{
	struct ud_mr *mr;

	ctx->odp->inval_seq++;
	list_for_each(&ctx->mrs, mr, struct ud_mr, ctx_link)
		if (mr->odp && mr->odp_tbl)
			ud_odp_invalidate_pva(d, mr, lo, hi);
	/* Unmapped or moved: MAP's cached view of the maps is stale. */
	if (maps_changed)
		ud_odp_vmas_forget(ctx);
}

/* A REMAP moves the registration with the pages: keep it only if needed. */
static void remap_moved(struct ud_ctx *ctx, uint64_t to, uint64_t len)
{
	uint64_t a, end;

	for (a = to; a < to + len; a = end) {
		end = covered_until(ctx, a);
		if (end)
			continue;
		end = next_covered(ctx, a, to + len);
		unregister_range(ctx->odp->uffd, a, end);
	}
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
 * Read and handle what ctx's userfaultfd holds, at most max events; true
 * if one of them invalidated some of [lo, hi).
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
	return hit;
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
	return read_events(d, ctx, UINT_MAX, lo, hi);
}

int ud_odp_uffd_attach(struct uodpd *d, struct ud_ctx *ctx, int uffd)
{
	struct ud_odp_ctx *o = ctx->odp;
	struct ud_mr *mr;
	int ret;

	if (!ud_fd_is_anon_inode(uffd, "[userfaultfd]")) {
		ret = -EINVAL;
		goto err_close;
	}
	if (o->uffd >= 0) {
		ret = -EBUSY;
		goto err_close;
	}
	ret = uffd_api(uffd);
	if (ret)
		goto err_close;
	/* Only after UFFDIO_API: poll says EPOLLERR before it. */
	ret = ud_loop_watch(d, uffd, UD_EP_ODP_UFFD, ctx->id);
	if (ret)
		goto err_close;
	o->uffd = uffd;
	/* MRs registered before ODP_API (a client of the raw uAPI). */
	list_for_each(&ctx->mrs, mr, struct ud_mr, ctx_link)
		if (mr->odp)
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

	if (!o || o->uffd < 0)
		return;
	/*
	 * Explicitly, not by close: a child forked before the provider
	 * closed its copy may hold the file open, and the program's
	 * madvise would then wait for a reader that is gone.
	 */
	list_for_each(&ctx->mrs, mr, struct ud_mr, ctx_link)
		if (mr->odp_tbl && mr->odp_tbl->mmu_registered) {
			uint64_t lo, hi;

			mr_span(mr, &lo, &hi);
			unregister_range(o->uffd, lo, hi);
			mr->odp_tbl->mmu_registered = false;
		}
	ud_loop_unwatch(d, o->uffd);
	close(o->uffd);
	o->uffd = -1;
}
