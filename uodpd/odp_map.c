// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * MAP: the MTT update of the thin uAPI.  Userspace names ranges of its own
 * ODP MRs; the device side validates each against the MR (owner, bounds,
 * access) and the process (mapped, readable, writable for a writable
 * mapping), faults the pages in for read with process_vm_readv, then sets
 * the translation entries.  NO_FAULT maps only what is resident now.
 * One call does a bounded amount of it (UD_ODP_SLICE_NS) and says how far
 * it got; ADVISE_MR's leftovers are mapped in slices between other work.
 *
 * The process's mappings are read from /proc/PID/maps once and cached per
 * context: a cache that says "covered" is confirmed by the fault-in itself
 * (it fails on a hole), one that says "not covered" is refreshed, and an
 * invalidation (the engine found pages gone) drops it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "odp_priv.h"

#define FAULT_IOV PAGEMAP_CHUNK		/* pages faulted in per syscall */

void ud_odp_vmas_forget(struct ud_ctx *ctx)
{
	if (!ctx->odp)
		return;
	free(ctx->odp->vmas);
	ctx->odp->vmas = NULL;
	ctx->odp->nvmas = 0;
	ctx->odp->vmas_valid = false;
}

static int vmas_load(struct ud_ctx *ctx)
{
	struct ud_odp_ctx *o = ctx->odp;
	struct ud_odp_vma *v = NULL, *grown;
	uint32_t n = 0, cap = 0;
	char path[64], perms[8], *line = NULL;
	size_t linecap = 0;
	uint64_t lo, hi;
	FILE *f;

	ud_odp_vmas_forget(ctx);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)ctx->pid);
	f = fopen(path, "re");
	if (!f)
		return -EFAULT;
	while (getline(&line, &linecap, f) > 0) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &lo, &hi,
			   perms) != 3)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				free(v);
				v = NULL;
				n = 0;
				break;
			}
			v = grown;
		}
		v[n++] = (struct ud_odp_vma){ .lo = lo, .hi = hi,
					      .read = perms[0] == 'r',
					      .write = perms[1] == 'w' };
	}
	free(line);
	fclose(f);
	if (!v)
		return -ENOMEM;
	o->vmas = v;
	o->nvmas = n;
	o->vmas_valid = true;
	return 0;
}

/* First cached VMA ending above addr (the list is sorted). */
static const struct ud_odp_vma *vma_from(const struct ud_odp_ctx *o,
					 uint64_t addr)
{
	uint32_t lo = 0, hi = o->nvmas;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (o->vmas[mid].hi <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < o->nvmas ? &o->vmas[lo] : NULL;
}

/* Whether [start, end) is covered by readable (and writable) mappings. */
static bool vmas_cover(const struct ud_odp_ctx *o, uint64_t start,
		       uint64_t end, bool write)
{
	const struct ud_odp_vma *v = vma_from(o, start);
	const struct ud_odp_vma *last = o->vmas + o->nvmas;
	uint64_t covered = start;

	for (; v && v < last && covered < end; v++) {
		if (v->lo > covered || !v->read || (write && !v->write))
			return false;
		covered = v->hi;
	}
	return covered >= end;
}

static int check_mapped(struct ud_ctx *ctx, uint64_t start, uint64_t end,
			bool write)
{
	struct ud_odp_ctx *o = ctx->odp;
	int ret;

	if (o->vmas_valid && vmas_cover(o, start, end, write))
		return 0;
	ret = vmas_load(ctx);
	if (ret)
		return ret;
	return vmas_cover(o, start, end, write) ? 0 : -EFAULT;
}

/* Whether the cached VMAs over [start, end) are all on the notifier. */
static bool vmas_on_notifier(const struct ud_odp_ctx *o, uint64_t start,
			     uint64_t end)
{
	const struct ud_odp_vma *v = vma_from(o, start);
	const struct ud_odp_vma *last = o->vmas + o->nvmas;

	for (; v && v < last && v->lo < end; v++)
		if (!ud_rangeset_covers(&o->implicit_cov, v->lo, v->hi) &&
		    !ud_rangeset_covers(&o->uffd_refused, v->lo, v->hi))
			return false;
	return true;
}

/*
 * An implicit MR's pages go on the notifier with their whole VMAs, before
 * they are looked up.  The bounds come from a fresh read of the maps: a
 * stale cached VMA may span a hole that a later mmap fills unregistered.
 */
static void cover_vmas(struct uodpd *d, struct ud_ctx *ctx, uint64_t start,
		       uint64_t end)
{
	struct ud_odp_ctx *o = ctx->odp;
	const struct ud_odp_vma *v, *last;

	if (o->uffd < 0 || (o->vmas_valid &&
			    vmas_cover(o, start, end, false) &&
			    vmas_on_notifier(o, start, end)))
		return;
	if (vmas_load(ctx))
		return;
	last = o->vmas + o->nvmas;
	for (v = vma_from(o, start); v && v < last && v->lo < end; v++)
		ud_odp_mmu_cover(d, ctx, v->lo, v->hi);
}

/* Fault pages in for read, one byte each: what hmm_range_fault does. */
static int fault_in(struct ud_ctx *ctx, const uint64_t *pages, uint32_t n)
{
	struct iovec local, remote[FAULT_IOV];
	uint8_t sink[FAULT_IOV];
	uint32_t i;
	ssize_t got;

	for (i = 0; i < n; i++)
		remote[i] = (struct iovec){
			.iov_base = (void *)(uintptr_t)(pages[i] <<
							UODPD_PAGE_SHIFT),
			.iov_len = 1,
		};
	local.iov_base = sink;
	local.iov_len = n;
	do {
		got = process_vm_readv(ctx->pid, &local, 1, remote, n, 0);
	} while (got < 0 && errno == EINTR);
	if (got == (ssize_t)n)
		return 0;
	if (got < 0 && errno == EPERM)
		ud_warn("context %u: process_vm_readv refused: the client must allow it (PR_SET_PTRACER)",
			ctx->id);
	return -EFAULT;
}

/*
 * Which of the PAGEMAP_CHUNK pages from pn the process has resident, per
 * /proc/PID/pagemap (fd; -1: unknown, all count as absent).
 */
static void resident_pages(int fd, uint64_t pn, uint64_t n, bool *resident)
{
	uint64_t entries[PAGEMAP_CHUNK], i, got = 0;
	ssize_t ret;

	if (fd >= 0) {
		ret = pread(fd, entries, n * sizeof(uint64_t),
			    (off_t)(pn * sizeof(uint64_t)));
		if (ret > 0)
			got = (uint64_t)ret / sizeof(uint64_t);
	}
	for (i = 0; i < n; i++)
		resident[i] = i < got && (entries[i] & PAGEMAP_PRESENT);
}

/*
 * One chunk [pn, pn + n) of a MAP: the pages lacking bits that the
 * process does not have resident are faulted in (one system call), then
 * all are set.  The provider has normally populated them already with
 * madvise: one pagemap read then replaces a fault-in per page, which
 * would hold the device's one thread for as long as a copy.
 */
static int map_chunk(struct uodpd *d, struct ud_mr *mr, int pagemap_fd,
		     uint64_t pn, uint64_t n, uint8_t bits, uint64_t *mapped)
{
	uint64_t batch[PAGEMAP_CHUNK], i;
	bool resident[PAGEMAP_CHUNK], changed;
	uint32_t nfault = 0;
	int ret;

	resident_pages(pagemap_fd, pn, n, resident);
	for (i = 0; i < n; i++)
		if (!resident[i] &&
		    !(ud_odp_pte_get(mr, pn + i) & UD_PTE_PRESENT))
			batch[nfault++] = pn + i;
	ret = nfault ? fault_in(mr->ctx, batch, nfault) : 0;
	/*
	 * Pages that went while they were looked up or faulted in are not
	 * marked present: the notifier's events are read first, and one
	 * over the chunk makes the caller come back (mmu_interval_read_retry).
	 * A REMOVE's pages go only once its event is read, so none can go
	 * between this and the entries set below.
	 */
	if (!ret && ud_odp_uffd_sync(d, mr->ctx, pn << UODPD_PAGE_SHIFT,
				     (pn + n) << UODPD_PAGE_SHIFT)) {
		UD_ODP_COUNT(d, mr->ctx, map_retries, 1);
		return -EAGAIN;
	}
	for (i = 0; i < n && !ret; i++) {
		ret = ud_odp_pte_raise(mr, pn + i, bits, &changed);
		*mapped += changed;
	}
	return ret;
}

/*
 * Pages of [*pn, end) lacking bits, chunk by chunk until deadline_ns;
 * *pn ends where it stopped.  A hole fails its chunk untouched (the VMAs
 * were checked first, so only a racing munmap makes one).
 */
static int map_faulting(struct uodpd *d, struct ud_mr *mr, uint64_t *pn,
			uint64_t end, uint8_t bits, uint64_t deadline_ns,
			uint64_t *mapped)
{
	int fd = ud_odp_pagemap_open(mr->ctx), ret = 0;

	while (*pn < end && !ret) {
		uint64_t n = end - *pn < UD_ODP_CHILD_PAGES ? end - *pn :
							 UD_ODP_CHILD_PAGES;
		uint64_t missing;

		/* What is mapped already is skipped by the GiB: a retry's. */
		missing = ud_odp_mr_first_missing(mr, *pn << UODPD_PAGE_SHIFT,
						  n << UODPD_PAGE_SHIFT,
						  bits & UD_PTE_WRITABLE);
		if (missing != UINT64_MAX) {
			*pn = missing;
			n = end - *pn < PAGEMAP_CHUNK ? end - *pn :
							PAGEMAP_CHUNK;
			ret = map_chunk(d, mr, fd, *pn, n, bits, mapped);
		}
		if (ret)
			break;
		*pn += n;
		if (*pn < end && ud_now_ns() >= deadline_ns)
			ret = -EAGAIN;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * NO_FAULT: pages the pagemap marks present, in readable mappings, until
 * deadline_ns; *pn ends where it stopped.
 */
static int map_resident(struct ud_mr *mr, uint64_t *pn, uint64_t end,
			bool writable, uint64_t deadline_ns, uint64_t *mapped)
{
	struct ud_odp_ctx *o = mr->ctx->odp;
	const struct ud_odp_vma *v, *last;
	int fd, ret = 0;

	if (!o->vmas_valid && vmas_load(mr->ctx))
		return -EFAULT;
	fd = ud_odp_pagemap_open(mr->ctx);
	if (fd < 0)
		return -EFAULT;
	last = o->vmas + o->nvmas;
	for (v = vma_from(o, *pn << UODPD_PAGE_SHIFT); v && v < last && !ret;
	     v++) {
		uint64_t lo = v->lo >> UODPD_PAGE_SHIFT;
		uint64_t hi = v->hi >> UODPD_PAGE_SHIFT;

		if (lo >= end)
			break;
		if (!v->read)
			continue;
		/* Holes between VMAs are skipped at once: nothing is there. */
		if (lo > *pn)
			*pn = lo;
		ret = ud_odp_mark_resident(mr, fd, pn, hi < end ? hi : end,
					   UD_PTE_PRESENT |
					   (writable && v->write ?
					    UD_PTE_WRITABLE : 0),
					   deadline_ns, mapped);
		if (!ret && *pn < end && ud_now_ns() >= deadline_ns)
			ret = -EAGAIN;
	}
	close(fd);
	if (!ret)
		*pn = end;
	return ret;
}

/* Validation in the order the uAPI documents its errors. */
static int map_check(struct uodpd *d, struct ud_ctx *ctx,
		     const struct uodp_odp_map_range *r, struct ud_mr **out)
{
	struct ud_mr *mr = ud_mr_lookup(d, r->mr_key);

	if (!mr || mr->ctx != ctx)
		return -ENOENT;
	if (!mr->odp)
		return -EINVAL;
	if (r->flags & ~(uint32_t)(UODP_ODP_MAP_WRITE | UODP_ODP_MAP_NO_FAULT |
				   UODP_ODP_MAP_OPTIONAL))
		return -EINVAL;
	if (!r->length || r->va < mr->iova ||
	    r->va - mr->iova > mr->length ||
	    r->length > mr->length - (r->va - mr->iova))
		return -EINVAL;
	if ((r->flags & UODP_ODP_MAP_WRITE) &&
	    !ud_odp_access_writes(mr->access))
		return -EPERM;
	*out = mr;
	return 0;
}

int ud_odp_map_range(struct uodpd *d, struct ud_ctx *ctx,
		     const struct uodp_odp_map_range *r,
		     enum ud_odp_map_for why, uint64_t deadline_ns,
		     uint64_t *mapped, uint64_t *done)
{
	bool write = r->flags & UODP_ODP_MAP_WRITE;
	uint64_t start, end, pva, pn, n = 0;
	struct ud_mr *mr;
	int ret;

	*mapped = 0;
	if (done)
		*done = 0;
	ret = map_check(d, ctx, r, &mr);
	if (ret)
		return ret;
	pva = ud_mr_pva(mr, r->va);
	if (pva >= UD_ODP_USER_VA_END ||
	    r->length > UD_ODP_USER_VA_END - pva)
		return -EFAULT;		/* no process maps that */
	start = pva & ~(UODPD_PAGE_SIZE - 1);
	end = (pva + r->length + UODPD_PAGE_SIZE - 1) &
	      ~(UODPD_PAGE_SIZE - 1);
	pn = start >> UODPD_PAGE_SHIFT;
	if (mr->implicit)
		cover_vmas(d, ctx, start, end);
	else
		ud_odp_mmu_recover(d, ctx, mr, start, end);
	if (r->flags & UODP_ODP_MAP_NO_FAULT) {
		/* A snapshot keeps the MR's full access, like Linux's. */
		ret = map_resident(mr, &pn, end >> UODPD_PAGE_SHIFT,
				   ud_odp_access_writes(mr->access),
				   deadline_ns, &n);
		/* What went meanwhile is zapped again before any access. */
		ud_odp_uffd_sync(d, ctx, start, end);
	} else {
		ret = check_mapped(ctx, start, end, write);
		if (!ret)
			ret = map_faulting(d, mr, &pn, end >> UODPD_PAGE_SHIFT,
					   UD_PTE_PRESENT |
					   (write ? UD_PTE_WRITABLE : 0),
					   deadline_ns, &n);
	}
	/* Pages set before a failure (out of memory) stay mapped: count them. */
	mr->odp_tbl->pages_mapped += n;
	if (why == UD_ODP_MAP_FOR_FAULT)
		mr->odp_tbl->pages_faulted += n;
	else
		mr->odp_tbl->pages_prefetched += n;
	UD_ODP_COUNT(d, ctx, pages_mapped, n);
	*mapped = n;
	/* Bytes of the range, from its va, behind the page MAP stopped at. */
	if (done && ret == -EAGAIN)
		*done = pn << UODPD_PAGE_SHIFT > pva ?
			(pn << UODPD_PAGE_SHIFT) - pva : 0;
	else if (done && !ret)
		*done = r->length;
	return ret;
}

/* ---- background prefetch: ADVISE_MR's work queue ---- */

struct ud_odp_prefetch {
	struct list_node link;
	struct uodp_odp_map_range r;	/* what is left of it */
};

int ud_odp_prefetch_queue(struct uodpd *d, struct ud_ctx *ctx,
			  const struct uodp_odp_map_range *r, uint64_t done)
{
	struct ud_odp_ctx *o = ctx->odp;
	struct ud_odp_prefetch *p;

	if (!o || o->nprefetch >= UD_ODP_MAX_PREFETCH)
		return -ENOMEM;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->r = *r;
	p->r.va += done;
	p->r.length -= done;
	list_add_tail(&o->prefetch, &p->link);
	o->nprefetch++;
	if (!o->prefetch_listed) {
		list_add_tail(&d->odp->prefetch_ctxs, &o->prefetch_link);
		o->prefetch_listed = true;
	}
	return 0;
}

static void prefetch_free(struct ud_odp_ctx *o, struct ud_odp_prefetch *p)
{
	list_del(&p->link);
	o->nprefetch--;
	free(p);
}

bool ud_odp_prefetch_run(struct uodpd *d)
{
	struct ud_odp_prefetch *p;
	struct ud_odp_ctx *o;
	uint64_t mapped, done;
	int ret;

	if (!d->odp || list_empty(&d->odp->prefetch_ctxs))
		return false;
	o = list_entry(d->odp->prefetch_ctxs.n.next, struct ud_odp_ctx,
		       prefetch_link);
	p = list_entry(o->prefetch.n.next, struct ud_odp_prefetch, link);
	ret = ud_odp_map_range(d, o->ctx, &p->r, UD_ODP_MAP_FOR_PREFETCH,
			       ud_now_ns() + UD_ODP_SLICE_NS, &mapped, &done);
	if (ret == -EAGAIN) {
		p->r.va += done;
		p->r.length -= done;
	} else {
		/* Done, or failed: as the kernel's prefetch work, unreported. */
		if (ret)
			ud_dbg("context %u: prefetch of MR 0x%x at 0x%" PRIx64 ": %s",
			       o->ctx->id, p->r.mr_key, p->r.va,
			       strerror(-ret));
		else
			UD_ODP_COUNT(d, o->ctx, map_ranges, 1);
		prefetch_free(o, p);
	}
	/* The next context's turn: round robin. */
	list_del(&o->prefetch_link);
	if (o->nprefetch)
		list_add_tail(&d->odp->prefetch_ctxs, &o->prefetch_link);
	else
		o->prefetch_listed = false;
	return true;
}

void ud_odp_prefetch_drop(struct uodpd *d, struct ud_ctx *ctx)
{
	struct ud_odp_ctx *o = ctx->odp;
	struct ud_odp_prefetch *p;

	(void)d;
	if (!o)
		return;
	list_for_each_safe(&o->prefetch, p, t, struct ud_odp_prefetch, link)
		prefetch_free(o, p);
	if (o->prefetch_listed)
		list_del(&o->prefetch_link);
	o->prefetch_listed = false;
}
