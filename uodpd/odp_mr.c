// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * ODP MR translation tables: a 2-bit entry (present, writable) per 4 KiB
 * page of the process, what an MTT entry's READ/WRITE bits are to mlx5.
 * Explicit and implicit (the whole address space) MRs alike have 1 GiB
 * children made on first MAP and freed when invalidation empties them, like
 * mlx5's KSM parent over MTT children: registration costs O(1) whatever
 * the size (up to max_mr_size), and the table grows with what is mapped.
 *
 * Entries are indexed by process page number (pva >> 12), so MAP and the
 * engine's checks need no iova arithmetic beyond ud_mr_pva().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "odp_priv.h"

bool ud_odp_access_writes(uint32_t need_access)
{
	return need_access & (IBV_ACCESS_LOCAL_WRITE |
			      IBV_ACCESS_REMOTE_WRITE |
			      IBV_ACCESS_REMOTE_ATOMIC);
}

/* ---- entries ---- */

static uint8_t pte_read(const uint8_t *tbl, uint64_t i)
{
	return (tbl[i / UD_PTES_PER_BYTE] >> (2 * (i % UD_PTES_PER_BYTE))) & 3;
}

static void pte_write(uint8_t *tbl, uint64_t i, uint8_t bits)
{
	unsigned int shift = 2 * (i % UD_PTES_PER_BYTE);
	uint8_t *b = &tbl[i / UD_PTES_PER_BYTE];

	*b = (uint8_t)((*b & ~(3u << shift)) | (bits << shift));
}

/* Index of the child covering page pn, or where it would be inserted. */
static uint32_t child_index(const struct ud_odp_mr *t, uint64_t pn,
			    bool *found)
{
	uint64_t first = pn & ~(UD_ODP_CHILD_PAGES - 1);
	uint32_t lo = 0, hi = t->nchildren;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t->children[mid]->first_page < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->nchildren && t->children[lo]->first_page == first;
	return lo;
}

static struct ud_odp_child *child_find(const struct ud_odp_mr *t, uint64_t pn)
{
	bool found;
	uint32_t i = child_index(t, pn, &found);

	return found ? t->children[i] : NULL;
}

static struct ud_odp_child *child_get(struct ud_odp_mr *t, uint64_t pn)
{
	struct ud_odp_child **grown, *c;
	bool found;
	uint32_t i = child_index(t, pn, &found);

	if (found)
		return t->children[i];
	if (t->nchildren == t->children_cap) {
		uint32_t cap = t->children_cap ? t->children_cap * 2 : 8;

		grown = realloc(t->children, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		t->children = grown;
		t->children_cap = cap;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->first_page = pn & ~(UD_ODP_CHILD_PAGES - 1);
	memmove(&t->children[i + 1], &t->children[i],
		(t->nchildren - i) * sizeof(*t->children));
	t->children[i] = c;
	t->nchildren++;
	return c;
}

static void child_free_if_empty(struct ud_odp_mr *t, uint64_t pn)
{
	bool found;
	uint32_t i = child_index(t, pn, &found);

	if (!found || t->children[i]->npresent)
		return;
	free(t->children[i]);
	memmove(&t->children[i], &t->children[i + 1],
		(t->nchildren - i - 1) * sizeof(*t->children));
	t->nchildren--;
}

static bool in_bounds(const struct ud_odp_mr *t, uint64_t pn)
{
	return pn >= t->first_page && pn - t->first_page < t->npages;
}

uint8_t ud_odp_pte_get(const struct ud_mr *mr, uint64_t pn)
{
	const struct ud_odp_mr *t = mr->odp_tbl;
	const struct ud_odp_child *c;

	if (!in_bounds(t, pn))
		return 0;
	c = child_find(t, pn);
	return c ? pte_read(c->pte, pn - c->first_page) : 0;
}

int ud_odp_pte_raise(struct ud_mr *mr, uint64_t pn, uint8_t bits,
		     bool *changed)
{
	struct ud_odp_mr *t = mr->odp_tbl;
	struct ud_odp_child *c;
	uint64_t i;
	uint8_t old;

	*changed = false;
	if (!in_bounds(t, pn))
		return -EINVAL;
	c = child_get(t, pn);
	if (!c)
		return -ENOMEM;
	i = pn - c->first_page;
	old = pte_read(c->pte, i);
	if ((old | bits) == old)
		return 0;
	pte_write(c->pte, i, old | bits);
	*changed = true;
	if ((bits & UD_PTE_WRITABLE) && !(old & UD_PTE_WRITABLE))
		c->nwritable++;
	if (!(old & UD_PTE_PRESENT)) {
		t->pages_present++;
		c->npresent++;
	}
	return 0;
}

bool ud_odp_pte_zap(struct ud_mr *mr, uint64_t pn)
{
	struct ud_odp_mr *t = mr->odp_tbl;
	struct ud_odp_child *c;

	c = in_bounds(t, pn) ? child_find(t, pn) : NULL;
	if (!c || !pte_read(c->pte, pn - c->first_page))
		return false;
	if (pte_read(c->pte, pn - c->first_page) & UD_PTE_WRITABLE)
		c->nwritable--;
	pte_write(c->pte, pn - c->first_page, 0);
	c->npresent--;
	t->pages_present--;
	if (!c->npresent)
		child_free_if_empty(t, pn);
	return true;
}

/*
 * First entry in [i, end) of tbl lacking need, or end.  Whole 64-bit words
 * (32 entries) at a time where possible: the engine checks every chunk of
 * a transfer, up to a message (1 GiB) long.
 */
static uint64_t tbl_first_missing(const uint8_t *tbl, uint64_t i,
				  uint64_t end, uint8_t need)
{
	const uint64_t mask = need & UD_PTE_WRITABLE ? UINT64_MAX :
				0x5555555555555555ull;
	uint64_t word;

	for (; i < end && i % 32; i++)
		if ((pte_read(tbl, i) & need) != need)
			return i;
	for (; end - i >= 32; i += 32) {
		memcpy(&word, tbl + i / UD_PTES_PER_BYTE, sizeof(word));
		if ((word & mask) != mask)
			break;
	}
	for (; i < end; i++)
		if ((pte_read(tbl, i) & need) != need)
			return i;
	return end;
}

uint64_t ud_odp_mr_first_missing(const struct ud_mr *mr, uint64_t pva,
				 uint64_t len, bool write)
{
	uint8_t need = UD_PTE_PRESENT | (write ? UD_PTE_WRITABLE : 0);
	uint64_t pn = pva >> UODPD_PAGE_SHIFT;
	uint64_t end = ((pva + len - 1) >> UODPD_PAGE_SHIFT) + 1;
	const struct ud_odp_mr *t = mr->odp_tbl;
	const struct ud_odp_child *c;
	uint64_t stop, i;

	if (!in_bounds(t, pn) || end - t->first_page > t->npages)
		return pn;	/* cannot happen: bounds are checked */
	while (pn < end) {
		c = child_find(t, pn);
		if (!c)
			return pn;
		stop = c->first_page + UD_ODP_CHILD_PAGES;
		if (stop > end)
			stop = end;
		if (c->npresent == UD_ODP_CHILD_PAGES &&
		    (!write || c->nwritable == UD_ODP_CHILD_PAGES)) {
			pn = stop;	/* a whole GiB mapped: no need to look */
			continue;
		}
		i = tbl_first_missing(c->pte, pn - c->first_page,
				      stop - c->first_page, need);
		if (i != stop - c->first_page)
			return c->first_page + i;
		pn = stop;
	}
	return UINT64_MAX;
}

/* ---- initial presence of an explicit MR ---- */

#ifndef PAGEMAP_SCAN
/*
 * PAGEMAP_SCAN of <linux/fs.h> (Linux 6.7), which older headers lack:
 * the stretches of a range that hold pages of a kind, found by walking
 * the page tables, so that empty tables are skipped whole.
 */
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask;
	uint64_t return_mask;
};

struct page_region {
	uint64_t start, end, categories;
};

#define PAGE_IS_PRESENT (1 << 3)
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif

#define SCAN_REGIONS 64
#define SCAN_PAGES (8 * PAGEMAP_CHUNK)	/* present pages per walk */

/* A kernel before 6.7: the pagemap is read entry by entry instead. */
static bool pagemap_scan_missing;

/*
 * ud_odp_mark_resident by PAGEMAP_SCAN: a TiB without page tables costs
 * one walk over its upper levels, not 2 GiB of pagemap entries read.
 * -EOPNOTSUPP when the kernel has no PAGEMAP_SCAN.
 */
static int mark_scanned(struct ud_mr *mr, int pagemap_fd, uint64_t *lo,
			uint64_t hi, uint8_t bits, uint64_t deadline_ns,
			uint64_t *mapped)
{
	struct page_region regs[SCAN_REGIONS];
	uint64_t pn = *lo, looked = 0, p, end;
	struct pm_scan_arg arg;
	bool changed;
	int n, i, ret = 0;

	while (pn < hi && !ret) {
		arg = (struct pm_scan_arg){
			.size = sizeof(arg),
			.start = pn << UODPD_PAGE_SHIFT,
			.end = hi << UODPD_PAGE_SHIFT,
			.vec = (uintptr_t)regs,
			.vec_len = SCAN_REGIONS,
			/* The walk stops there: its cost is bounded too. */
			.max_pages = SCAN_PAGES,
			.category_mask = PAGE_IS_PRESENT,
			.return_mask = PAGE_IS_PRESENT,
		};
		n = ioctl(pagemap_fd, PAGEMAP_SCAN, &arg);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == ENOTTY || errno == EINVAL) &&
		    pn == *lo)
			return -EOPNOTSUPP;
		if (n < 0)
			break;		/* nothing readable: nothing resident */
		for (i = 0; i < n && !ret; i++) {
			end = regs[i].end >> UODPD_PAGE_SHIFT;
			for (p = regs[i].start >> UODPD_PAGE_SHIFT;
			     p < end && !ret; p++) {
				ret = ud_odp_pte_raise(mr, p, bits, &changed);
				*mapped += changed;
				/* A slice's worth, checked as a chunk's. */
				if (!ret && ++looked % PAGEMAP_CHUNK == 0 &&
				    p + 1 < hi && ud_now_ns() >= deadline_ns) {
					*lo = p + 1;
					return -EAGAIN;
				}
			}
		}
		if (ret)
			break;
		if (arg.walk_end >> UODPD_PAGE_SHIFT <= pn)
			break;		/* no progress: take it as the end */
		pn = arg.walk_end >> UODPD_PAGE_SHIFT;
		if (pn < hi && ud_now_ns() >= deadline_ns)
			ret = -EAGAIN;
	}
	*lo = ret ? pn : hi;
	return ret;
}

int ud_odp_pagemap_open(const struct ud_ctx *ctx)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)ctx->pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

int ud_odp_mark_resident(struct ud_mr *mr, int pagemap_fd, uint64_t *lo,
			 uint64_t hi, uint8_t bits, uint64_t deadline_ns,
			 uint64_t *mapped)
{
	uint64_t entries[PAGEMAP_CHUNK], pn;
	bool changed;
	int ret = 0;

	if (!pagemap_scan_missing) {
		ret = mark_scanned(mr, pagemap_fd, lo, hi, bits, deadline_ns,
				   mapped);
		if (ret != -EOPNOTSUPP)
			return ret;
		pagemap_scan_missing = true;
		ret = 0;
	}
	pn = *lo;
	while (pn < hi && !ret) {
		uint64_t n = hi - pn < PAGEMAP_CHUNK ? hi - pn : PAGEMAP_CHUNK;
		ssize_t got = pread(pagemap_fd, entries, n * sizeof(uint64_t),
				    (off_t)(pn * sizeof(uint64_t)));
		uint64_t i;

		if (got <= 0) {
			pn = hi;	/* nothing readable: nothing resident */
			break;
		}
		n = (uint64_t)got / sizeof(uint64_t);
		for (i = 0; i < n && !ret; i++) {
			if (!(entries[i] & PAGEMAP_PRESENT))
				continue;
			ret = ud_odp_pte_raise(mr, pn + i, bits, &changed);
			*mapped += changed;
		}
		pn += n;
		if (!ret && pn < hi && ud_now_ns() >= deadline_ns)
			ret = -EAGAIN;
	}
	*lo = pn;
	return ret;
}

/*
 * Pages already resident at registration start present (what mlx5_ib's
 * snapshot at registration maps without faulting): those the pagemap marks
 * present, in readable VMAs; writable only if the MR allows writes and the
 * VMA is writable.  Only the first UD_ODP_SNAPSHOT_PAGES pages of readable
 * mappings are looked at, so that registering a TiB costs no more than
 * registering a GiB: the rest starts absent and faults in when used.
 */
static void initial_presence(struct ud_ctx *ctx, struct ud_mr *mr)
{
	const struct ud_odp_mr *t = mr->odp_tbl;
	uint64_t start = t->first_page, end = t->first_page + t->npages;
	uint64_t lo, hi, mapped = 0, budget = UD_ODP_SNAPSHOT_PAGES;
	bool mr_write = ud_odp_access_writes(mr->access);
	char path[64], perms[8], *line = NULL;
	size_t cap = 0;
	int pm;
	FILE *maps;

	pm = ud_odp_pagemap_open(ctx);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)ctx->pid);
	maps = fopen(path, "re");
	if (pm < 0 || !maps) {
		ud_dbg("context %u: no pagemap/maps of pid %d: ODP MR starts absent",
		       ctx->id, (int)ctx->pid);
		goto out;
	}
	while (budget && getline(&line, &cap, maps) > 0) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &lo, &hi,
			   perms) != 3)
			continue;
		lo >>= UODPD_PAGE_SHIFT;
		hi >>= UODPD_PAGE_SHIFT;
		if (hi <= start)
			continue;
		if (lo >= end)
			break;
		if (perms[0] != 'r')
			continue;
		lo = lo > start ? lo : start;
		hi = hi < end ? hi : end;
		if (hi - lo > budget)
			hi = lo + budget;
		budget -= hi - lo;
		/* Out of memory leaves pages absent: they fault in later. */
		ud_odp_mark_resident(mr, pm, &lo, hi, UD_PTE_PRESENT |
				     (mr_write && perms[1] == 'w' ?
				      UD_PTE_WRITABLE : 0), UINT64_MAX,
				     &mapped);
	}
out:
	free(line);
	if (maps)
		fclose(maps);
	if (pm >= 0)
		close(pm);
}

int ud_odp_mr_init(struct uodpd *d, struct ud_ctx *ctx, struct ud_mr *mr)
{
	struct ud_odp_mr *t;

	if (!ud_odp_ctx_get(ctx))
		return -ENOMEM;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	mr->odp_tbl = t;
	if (mr->implicit) {
		t->npages = UD_ODP_USER_VA_END >> UODPD_PAGE_SHIFT;
	} else {
		t->first_page = mr->addr >> UODPD_PAGE_SHIFT;
		t->npages = mr->npages;
	}
	/*
	 * On the notifier before the snapshot: a page that goes between
	 * the two is then zapped by its event, read later.
	 */
	if (ud_odp_mmu_register(d, ctx, mr)) {
		free(t);
		mr->odp_tbl = NULL;
		return -ENOMEM;
	}
	if (!mr->implicit)
		initial_presence(ctx, mr);
	UD_ODP_COUNT(d, ctx, odp_mrs, 1);
	return 0;
}

void ud_odp_mr_fini(struct uodpd *d, struct ud_mr *mr)
{
	struct ud_odp_mr *t = mr->odp_tbl;
	struct uodp_odp_device_counters *dc;
	uint32_t i;

	if (!t)
		return;
	ud_odp_mmu_unregister(mr->ctx, mr);
	if (mr->ctx->odp)
		mr->ctx->odp->ctr.odp_mrs--;
	dc = ud_odp_dev_ctr(d, mr->ctx);
	if (dc)
		dc->odp_mrs--;
	for (i = 0; i < t->nchildren; i++)
		free(t->children[i]);
	free(t->children);
	free(t);
	mr->odp_tbl = NULL;
}

/* ---- invalidation ---- */

/* Clear entries [i, end) of child c: how many were present. */
static uint64_t child_zap(struct ud_odp_child *c, uint64_t i, uint64_t end)
{
	uint64_t zapped = 0;
	uint8_t bits;

	if (!i && end == UD_ODP_CHILD_PAGES) {
		zapped = c->npresent;
		c->npresent = c->nwritable = 0;
		memset(c->pte, 0, sizeof(c->pte));
		return zapped;
	}
	for (; i < end && c->npresent; i++) {
		if (!(i % UD_PTES_PER_BYTE) && end - i >= UD_PTES_PER_BYTE &&
		    !c->pte[i / UD_PTES_PER_BYTE]) {
			i += UD_PTES_PER_BYTE - 1;	/* four empty at once */
			continue;
		}
		bits = pte_read(c->pte, i);
		if (!bits)
			continue;
		if (bits & UD_PTE_WRITABLE)
			c->nwritable--;
		pte_write(c->pte, i, 0);
		c->npresent--;
		zapped++;
	}
	return zapped;
}

uint64_t ud_odp_zap_range(struct ud_mr *mr, uint64_t pn, uint64_t last)
{
	struct ud_odp_mr *t = mr->odp_tbl;
	uint64_t zapped = 0, lo, hi, n;
	uint32_t i, out;
	bool found;

	if (pn < t->first_page)
		pn = t->first_page;
	if (last - t->first_page >= t->npages)
		last = t->first_page + t->npages - 1;
	if (pn > last || !t->nchildren)
		return 0;
	out = i = child_index(t, pn, &found);
	for (; i < t->nchildren && t->children[i]->first_page <= last; i++) {
		struct ud_odp_child *c = t->children[i];

		lo = pn > c->first_page ? pn : c->first_page;
		hi = c->first_page + UD_ODP_CHILD_PAGES - 1;
		if (hi > last)
			hi = last;
		n = child_zap(c, lo - c->first_page, hi - c->first_page + 1);
		zapped += n;
		t->pages_present -= n;
		if (!c->npresent) {
			free(c);	/* emptied: memory follows what is mapped */
			continue;
		}
		t->children[out++] = c;
	}
	if (out < i) {
		memmove(&t->children[out], &t->children[i],
			(t->nchildren - i) * sizeof(*t->children));
		t->nchildren -= i - out;
	}
	return zapped;
}

/* [va, va+len) of mr (its address space) lost zapped pages: say so. */
static void invalidated(struct uodpd *d, struct ud_mr *mr, uint64_t va,
			uint64_t len, uint64_t zapped)
{
	struct ud_odp_event ev = { .type = UD_ODP_EV_INVALIDATE };
	struct ud_ctx *ctx = mr->ctx;

	mr->odp_tbl->invalidations += zapped;
	mr->odp_tbl->invalidations_handled++;
	UD_ODP_COUNT(d, ctx, invalidations, zapped);
	ud_dbg("MR 0x%x: %" PRIu64 " pages at 0x%" PRIx64 " gone", mr->key,
	       zapped, va);
	if (!ctx->odp || !(ctx->odp->features & UODP_ODP_F_INVALIDATE))
		return;
	ev.notice.mr_key = mr->key;
	ev.notice.va = va;
	ev.notice.length = len;
	ud_odp_channel_send(d, ctx, &ev, false);
}

/* The engine found the pages gone. */
void ud_odp_invalidate(struct uodpd *d, struct ud_mr *mr, uint64_t va,
		       uint64_t len)
{
	uint64_t pva, zapped;

	if (!mr->odp || !mr->odp_tbl || !len)
		return;
	pva = ud_mr_pva(mr, va);
	zapped = ud_odp_zap_range(mr, pva >> UODPD_PAGE_SHIFT,
				  (pva + len - 1) >> UODPD_PAGE_SHIFT);
	/* The maps changed under us: MAP must look again. */
	ud_odp_vmas_forget(mr->ctx);
	if (zapped)
		invalidated(d, mr, va, len, zapped);
}

void ud_odp_invalidate_pva(struct uodpd *d, struct ud_mr *mr, uint64_t lo,
			   uint64_t hi)
{
	uint64_t zapped;

	if (!mr->implicit) {
		/* Clamped to the MR, in its own address space. */
		if (lo < mr->addr)
			lo = mr->addr;
		if (hi > mr->addr + mr->length)
			hi = mr->addr + mr->length;
	}
	if (lo >= hi)
		return;
	zapped = ud_odp_zap_range(mr, lo >> UODPD_PAGE_SHIFT,
				  (hi - 1) >> UODPD_PAGE_SHIFT);
	if (zapped)
		invalidated(d, mr, mr->iova + (lo - mr->addr), hi - lo,
			    zapped);
}
