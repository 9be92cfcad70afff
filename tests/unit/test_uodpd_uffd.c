// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Unit test of the device side's MMU notifier (odp_uffd.c), with this
 * process as the application: its own userfaultfd handed over as the
 * provider does, explicit ODP MRs over its memory, and MADV_DONTNEED,
 * munmap and mremap of parts of them.  Each must zap exactly those pages
 * of every ODP MR over them at once, before any access (without the
 * notifier a DONTNEED'd page is never found gone: reading it gives
 * zeroes, not EFAULT), count them and queue one INVALIDATE notice in the
 * MR's own address space.  A REMOVE blocks its caller until the event is
 * read, so the memory calls run on a second thread while this one serves
 * the userfaultfd; a registration left behind by dereg or detach would
 * make such a call hang (alarm() catches that).  And the race of MAP with
 * an invalidation of the pages it maps, forced; implicit MRs, whose VMAs
 * go on the notifier at MAP; munmap and mmap inside an explicit MR; more
 * events waiting than MAP reads at once; a flood into a channel nobody
 * reads; fds that are refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include <infiniband/verbs.h>

#include "uodpd_fixture.h"

#define PAGE 4096ul
#define NPAGES 16ul
#define IOVA 0x7000000000ull	/* not the address: notices use the MR's */
#define NOTICE_COOKIE 0x9071ceull

struct rec {
	uint64_t cookie;
	struct uodp_odp_notice notice;
};

static struct uodpd d;
static struct ud_ctx *ctx;
static int chan;
static uint8_t *buf;

static void setup(void)
{
	ctx = fixture_odp_ctx(&d);
	chan = fixture_odp_channel(&d, ctx, -1, 1, NOTICE_COOKIE);
}

static int new_uffd(void)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK |
			      UFFD_USER_MODE_ONLY);

	if (fd < 0) {
		fprintf(stderr, "userfaultfd(UFFD_USER_MODE_ONLY): %s\n",
			strerror(errno));
		exit(1);
	}
	return fd;
}

static struct ud_mr *odp_mr(uint64_t first, uint64_t n, uint64_t iova)
{
	struct ud_mr *mr;

	CHECK_EQ(ud_mr_register(&d, ctx, 1, (uintptr_t)buf + first * PAGE,
				n * PAGE, iova, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_ON_DEMAND, 0, &mr), 0);
	return mr;
}

static bool present(const struct ud_mr *mr, uint64_t page)
{
	return ud_odp_pte_get(mr, ((uintptr_t)buf >> 12) + page) &
	       UD_PTE_PRESENT;
}

static int attach_new(void)
{
	int fd = new_uffd();

	CHECK_EQ(ud_odp_uffd_prepare(fd), 0);
	return ud_odp_uffd_attach(&d, ctx, fd);
}

/* ---- the application's memory calls, on a thread of their own ---- */

/* ..._AT: page is an address, not a page of buf. */
enum op { OP_DONTNEED, OP_MUNMAP, OP_MREMAP, OP_DONTNEED_AT, OP_MUNMAP_AT };

struct call {
	enum op op;
	uint64_t page, n;
	void *to;
	int ret;
	atomic_bool done;
};

static void *call_thread(void *arg)
{
	struct call *c = arg;
	void *p = c->op >= OP_DONTNEED_AT ? (void *)(uintptr_t)c->page :
					    buf + c->page * PAGE;

	switch (c->op) {
	case OP_DONTNEED:
	case OP_DONTNEED_AT:
		c->ret = madvise(p, c->n * PAGE, MADV_DONTNEED);
		break;
	case OP_MUNMAP:
	case OP_MUNMAP_AT:
		c->ret = munmap(p, c->n * PAGE);
		break;
	case OP_MREMAP:
		c->ret = mremap(p, c->n * PAGE, c->n * PAGE,
				MREMAP_MAYMOVE | MREMAP_FIXED, c->to) ==
			 MAP_FAILED ? -1 : 0;
		break;
	}
	atomic_store(&c->done, true);
	return NULL;
}

/* Run the call while serving the userfaultfd, as the daemon's loop does. */
static void call_served(enum op op, uint64_t page, uint64_t n, void *to)
{
	struct call c = { .op = op, .page = page, .n = n, .to = to };
	pthread_t t;
	int spins;

	CHECK_EQ(pthread_create(&t, NULL, call_thread, &c), 0);
	for (spins = 0; !atomic_load(&c.done) && spins < 50000; spins++) {
		ud_odp_uffd_ready(&d, ctx->id, EPOLLIN);
		usleep(100);
	}
	pthread_join(t, NULL);
	ud_odp_uffd_ready(&d, ctx->id, EPOLLIN);	/* UNMAP: after it */
	CHECK_EQ(c.ret, 0);
}

/* Notices on the channel now: how many, the last in *last. */
static int notices(struct rec *last)
{
	struct rec r;
	int n = 0;

	ud_odp_channel_ready(&d, ctx->id, EPOLLOUT);
	while (read(chan, &r, sizeof(r)) == sizeof(r)) {
		if (r.cookie != NOTICE_COOKIE)
			continue;
		*last = r;
		n++;
	}
	return n;
}

/* DONTNEED, munmap, mremap: exactly those pages go, notice per event. */
static void test_events(struct ud_mr *mr)
{
	static uint8_t *to;
	struct rec r;
	uint64_t p;

	CHECK_EQ(mr->odp_tbl->pages_present, NPAGES);
	CHECK(mr->odp_tbl->mmu_registered);
	call_served(OP_DONTNEED, 4, 2, NULL);
	for (p = 0; p < NPAGES; p++)
		CHECK_EQ(present(mr, p), p != 4 && p != 5);
	CHECK_EQ(mr->odp_tbl->invalidations, 2);
	CHECK_EQ(ctx->odp->ctr.invalidations, 2);
	CHECK_EQ(ctx->odp->ctr.mmu_events, 1);
	CHECK_EQ(notices(&r), 1);
	CHECK_EQ(r.notice.kind, UODP_ODP_NOTICE_INVALIDATE);
	CHECK_EQ(r.notice.mr_key, mr->key);
	CHECK_EQ(r.notice.va, IOVA + 4 * PAGE);
	CHECK_EQ(r.notice.length, 2 * PAGE);

	/* Away from the MR: not in the hole the munmap leaves in it. */
	to = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	call_served(OP_MUNMAP, 14, 2, NULL);
	call_served(OP_MREMAP, 0, 2, to);
	for (p = 0; p < NPAGES; p++)
		CHECK_EQ(present(mr, p), p >= 2 && p < 14 && p != 4 && p != 5);
	CHECK_EQ(mr->odp_tbl->pages_present, NPAGES - 6);
	CHECK_EQ(mr->odp_tbl->invalidations, 6);
	/* munmap: UNMAP; mremap: REMAP, then UNMAP of what it left. */
	CHECK_EQ(ctx->odp->ctr.mmu_events, 4);
	CHECK_EQ(notices(&r), 2);
	CHECK_EQ(r.notice.va, IOVA);		/* the mremap, last */
	CHECK_EQ(r.notice.length, 2 * PAGE);
	/* Where the pages went no MR is: no registration followed them. */
	alarm(5);
	CHECK_EQ(madvise(to, 2 * PAGE, MADV_DONTNEED), 0);
	alarm(0);
	munmap(to, 2 * PAGE);
}

/*
 * mr goes while inner (pages 6-9) stays: inner is still notified, and the
 * pages no MR covers any more are unregistered (a DONTNEED there returns
 * at once, with nobody reading).  Detached, nothing is registered.
 */
static void test_dereg_detach(struct ud_mr *mr, struct ud_mr *inner)
{
	struct rec r;

	CHECK(present(inner, 7) && present(inner, 8));
	ud_mr_destroy(&d, mr);
	call_served(OP_DONTNEED, 7, 1, NULL);
	CHECK(!present(inner, 7));
	CHECK(present(inner, 8));
	CHECK_EQ(notices(&r), 1);
	CHECK_EQ(r.notice.mr_key, inner->key);
	CHECK_EQ(r.notice.va, (uintptr_t)buf + 7 * PAGE);
	alarm(5);
	CHECK_EQ(madvise(buf + 11 * PAGE, PAGE, MADV_DONTNEED), 0);
	ud_odp_uffd_detach(&d, ctx);
	CHECK_EQ(ctx->odp->uffd, -1);
	CHECK(!inner->odp_tbl->mmu_registered);
	CHECK_EQ(madvise(buf + 8 * PAGE, PAGE, MADV_DONTNEED), 0);
	alarm(0);
	CHECK(present(inner, 8));	/* found on access only, now */
	ud_mr_destroy(&d, inner);
}

/*
 * The race, forced: a DONTNEED whose event is queued (its caller waiting)
 * while MAP faults the same pages in.  MAP reads the event before it sets
 * the entries, marks nothing and says -EAGAIN with nothing done; once the
 * call is through, the same MAP maps them.
 */
static void test_map_race(void)
{
	struct call c = { .op = OP_DONTNEED, .page = 0, .n = 2 };
	struct uodp_odp_map_range r;
	struct pollfd pfd;
	uint64_t mapped, done = 1;
	struct ud_mr *mr;
	pthread_t t;

	munmap(buf, NPAGES * PAGE);
	buf = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_EQ(attach_new(), 0);
	mr = odp_mr(0, NPAGES, IOVA);
	CHECK_EQ(mr->odp_tbl->pages_present, 0);	/* nothing touched */
	CHECK_EQ(pthread_create(&t, NULL, call_thread, &c), 0);
	pfd = (struct pollfd){ .fd = ctx->odp->uffd, .events = POLLIN };
	CHECK_EQ(poll(&pfd, 1, 5000), 1);	/* its event waits unread */
	r = (struct uodp_odp_map_range){ .mr_key = mr->key, .va = IOVA,
					 .length = 4 * PAGE,
					 .flags = UODP_ODP_MAP_WRITE };
	CHECK_EQ(ud_odp_map_range(&d, ctx, &r, UD_ODP_MAP_FOR_FAULT,
				  UINT64_MAX, &mapped, &done),
		 -EAGAIN);
	CHECK_EQ(done, 0);
	CHECK_EQ(mapped, 0);
	CHECK(!present(mr, 0) && !present(mr, 2));
	CHECK_EQ(ctx->odp->ctr.map_retries, 1);
	pthread_join(t, NULL);
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(ud_odp_map_range(&d, ctx, &r, UD_ODP_MAP_FOR_FAULT,
				  UINT64_MAX, &mapped, &done),
		 0);
	CHECK_EQ(mapped, 4);
	CHECK(present(mr, 0) && present(mr, 3));
	ud_mr_destroy(&d, mr);
	ud_odp_uffd_detach(&d, ctx);
}

/*
 * This process's VMA holding addr, per /proc/self/smaps: its bounds, and
 * whether it is on a userfaultfd in write-protect mode (VmFlags "uw").
 */
static bool vma_of(const void *addr, uint64_t *lo, uint64_t *hi)
{
	uint64_t a = (uintptr_t)addr, l, h;
	bool in = false, uw = false;
	char line[512];
	FILE *f = fopen("/proc/self/smaps", "re");

	*lo = *hi = 0;
	while (f && fgets(line, sizeof(line), f)) {
		/* No key line ("Name: value") parses as "lo-hi". */
		if (sscanf(line, "%lx-%lx ", &l, &h) == 2) {
			in = l <= a && a < h;
			if (in) {
				*lo = l;
				*hi = h;
			}
		} else if (in && !strncmp(line, "VmFlags:", 8)) {
			uw = strstr(line, " uw") != NULL;
			in = false;
		}
	}
	if (f)
		fclose(f);
	return uw;
}

static bool ipresent(const struct ud_mr *mr, const uint8_t *p)
{
	return ud_odp_pte_get(mr, (uintptr_t)p >> 12) & UD_PTE_PRESENT;
}

static uint64_t map_pages(struct ud_mr *mr, const uint8_t *p, uint64_t n,
			  uint32_t flags)
{
	struct uodp_odp_map_range r = {
		.mr_key = mr->key, .va = (uintptr_t)p, .length = n * PAGE,
		.flags = flags,
	};
	uint64_t mapped = 0, done;

	CHECK_EQ(ud_odp_map_range(&d, ctx, &r, UD_ODP_MAP_FOR_FAULT,
				  UINT64_MAX, &mapped, &done),
		 0);
	return mapped;
}

/*
 * A private file mapping (write-protect mode covers anonymous memory,
 * shmem and hugetlbfs only): mapped all the same, refused once, counted
 * once, not asked again.
 */
static void test_implicit_refused(struct ud_mr *imr)
{
	uint64_t before = ctx->odp->ctr.mmu_uncovered;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	uint8_t *f = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);

	CHECK(f != MAP_FAILED);
	CHECK_EQ(map_pages(imr, f, 1, 0), 1);
	CHECK_EQ(ctx->odp->ctr.mmu_uncovered, before + 1);
	CHECK_EQ(map_pages(imr, f + PAGE, 1, 0), 1);
	CHECK_EQ(ctx->odp->ctr.mmu_uncovered, before + 1);
	munmap(f, 2 * PAGE);
	close(fd);
}

/* MAP of one page, faulting it in: the answer, *mapped, *done. */
static int map_page_raw(struct ud_mr *mr, const uint8_t *p, uint64_t *mapped,
			uint64_t *done)
{
	struct uodp_odp_map_range r = {
		.mr_key = mr->key, .va = (uintptr_t)p, .length = PAGE,
		.flags = UODP_ODP_MAP_WRITE,
	};

	return ud_odp_map_range(&d, ctx, &r, UD_ODP_MAP_FOR_FAULT, UINT64_MAX,
				mapped, done);
}

/*
 * An implicit MR: what MAP makes present goes on the notifier with its
 * whole VMA (not split), so DONTNEED anywhere in it zaps; munmap takes
 * its registration away; the implicit MR's dereg unregisters its VMAs
 * but what an explicit MR still needs.
 */
static void test_implicit(void)
{
	uint64_t lo, hi, n = 64;
	struct ud_mr *imr, *mr;
	uint8_t *m, *m2;
	struct rec r;

	m = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m2 = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 0x11, n * PAGE);
	memset(m2, 0x22, 4 * PAGE);
	CHECK_EQ(attach_new(), 0);
	CHECK_EQ(ud_mr_register(&d, ctx, 1, 0, UINT64_MAX, 0,
				IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND,
				0, &imr), 0);
	CHECK(!vma_of(m, &lo, &hi));
	CHECK_EQ(map_pages(imr, m + 8 * PAGE, 8, UODP_ODP_MAP_WRITE), 8);
	CHECK(vma_of(m, &lo, &hi));
	CHECK(lo <= (uintptr_t)m && hi >= (uintptr_t)m + n * PAGE);
	call_served(OP_DONTNEED_AT, (uintptr_t)(m + 9 * PAGE), 2, NULL);
	CHECK(ipresent(imr, m + 8 * PAGE) && ipresent(imr, m + 11 * PAGE));
	CHECK(!ipresent(imr, m + 9 * PAGE) && !ipresent(imr, m + 10 * PAGE));
	CHECK_EQ(imr->odp_tbl->invalidations, 2);
	CHECK_EQ(notices(&r), 1);
	CHECK_EQ(r.notice.mr_key, imr->key);
	CHECK_EQ(r.notice.va, (uintptr_t)m + 9 * PAGE);

	/* munmap: its registration is gone with it, and so is the table's. */
	CHECK_EQ(map_pages(imr, m2, 4, UODP_ODP_MAP_WRITE), 4);
	CHECK(ud_rangeset_covers(&ctx->odp->implicit_cov, (uintptr_t)m2,
				 (uintptr_t)m2 + 4 * PAGE));
	call_served(OP_MUNMAP_AT, (uintptr_t)m2, 4, NULL);
	CHECK(!ipresent(imr, m2) && !ipresent(imr, m2 + 3 * PAGE));
	CHECK(!ud_rangeset_covers(&ctx->odp->implicit_cov, (uintptr_t)m2,
				  (uintptr_t)m2 + PAGE));

	/* All of it dropped: the emptied 1 GiB child is freed. */
	CHECK(imr->odp_tbl->nchildren > 0);
	call_served(OP_DONTNEED_AT, (uintptr_t)m, n, NULL);
	CHECK_EQ(imr->odp_tbl->pages_present, 0);
	CHECK_EQ(imr->odp_tbl->nchildren, 0);
	test_implicit_refused(imr);

	/* The implicit MR goes; pages 20-29 stay with an explicit MR. */
	CHECK_EQ(ud_mr_register(&d, ctx, 1, (uintptr_t)m + 20 * PAGE,
				10 * PAGE, 0x1000, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_ON_DEMAND, 0, &mr), 0);
	ud_mr_destroy(&d, imr);
	CHECK(vma_of(m + 20 * PAGE, &lo, &hi));
	CHECK_EQ(lo, (uintptr_t)m + 20 * PAGE);
	CHECK_EQ(hi, (uintptr_t)m + 30 * PAGE);
	CHECK(!vma_of(m, &lo, &hi));
	CHECK(!vma_of(m + 40 * PAGE, &lo, &hi));
	ud_mr_destroy(&d, mr);
	CHECK(!vma_of(m + 20 * PAGE, &lo, &hi));
	ud_odp_uffd_detach(&d, ctx);
	munmap(m, n * PAGE);
}

/*
 * munmap then mmap at the same place inside an explicit MR: the new VMA
 * is not on the userfaultfd (the registration went with the old one)
 * until MAP makes its pages present, which registers it again; from then
 * a DONTNEED there zaps.
 */
static void test_explicit_remapped(void)
{
	uint64_t lo, hi;
	struct ud_mr *mr;
	uint8_t *again;

	buf = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0x33, NPAGES * PAGE);
	CHECK_EQ(attach_new(), 0);
	mr = odp_mr(0, NPAGES, (uintptr_t)buf);
	CHECK(vma_of(buf + 4 * PAGE, &lo, &hi));
	call_served(OP_MUNMAP, 4, 4, NULL);
	CHECK(!present(mr, 4) && !present(mr, 7) && present(mr, 8));
	again = mmap(buf + 4 * PAGE, 4 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(again == buf + 4 * PAGE);
	CHECK(!vma_of(buf + 4 * PAGE, &lo, &hi));
	CHECK_EQ(map_pages(mr, buf + 4 * PAGE, 4, UODP_ODP_MAP_WRITE), 4);
	CHECK(vma_of(buf + 4 * PAGE, &lo, &hi));
	CHECK(!ctx->odp->explicit_lost.n);
	call_served(OP_DONTNEED, 5, 1, NULL);
	CHECK(present(mr, 4) && !present(mr, 5) && present(mr, 6));
	ud_mr_destroy(&d, mr);
	CHECK(!vma_of(buf + 4 * PAGE, &lo, &hi));
	CHECK(!vma_of(buf, &lo, &hi));
	ud_odp_uffd_detach(&d, ctx);
	munmap(buf, NPAGES * PAGE);
}

/*
 * More events waiting than MAP reads in one go (UD_ODP_UFFD_SYNC_MAX,
 * each a thread blocked in madvise): MAP reads that many, marks nothing
 * and retries (-EAGAIN) rather than hold the device for as long as the
 * program keeps it busy; once they are read it maps.
 */
#define SYNC_THREADS (UD_ODP_UFFD_SYNC_MAX + 8)

struct blocked {
	pthread_t thread;
	uint8_t *page;
	atomic_int tid;
};

static void *madvise_thread(void *arg)
{
	struct blocked *b = arg;

	atomic_store(&b->tid, (int)syscall(SYS_gettid));
	madvise(b->page, PAGE, MADV_DONTNEED);
	return NULL;
}

/* Whether thread tid sleeps in madvise(2): waiting for its event read. */
static bool in_madvise(int tid)
{
	char path[64], line[256], state = 0;
	long nr = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(line, sizeof(line), f))
			nr = strtol(line, NULL, 10);
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(line, sizeof(line), f) && strrchr(line, ')'))
			state = strrchr(line, ')')[2];
		fclose(f);
	}
	/* The wait is killable: "D" in stat. */
	return nr == SYS_madvise && (state == 'S' || state == 'D');
}

static void test_sync_bounded(void)
{
	static struct blocked b[SYNC_THREADS];
	uint64_t events, retries, mapped, done, i;
	struct ud_mr *mr;
	struct rec r;
	uint8_t *m;
	int waits;

	m = mmap(NULL, (SYNC_THREADS + 1) * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 0x44, SYNC_THREADS * PAGE);	/* the last page absent */
	CHECK_EQ(attach_new(), 0);
	CHECK_EQ(ud_mr_register(&d, ctx, 1, (uintptr_t)m,
				(SYNC_THREADS + 1) * PAGE, (uintptr_t)m,
				IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND,
				0, &mr), 0);
	for (i = 0; i < SYNC_THREADS; i++) {
		b[i].page = m + i * PAGE;
		CHECK_EQ(pthread_create(&b[i].thread, NULL, madvise_thread,
					&b[i]), 0);
	}
	for (i = 0, waits = 0; i < SYNC_THREADS && waits < 20000; waits++) {
		int tid = atomic_load(&b[i].tid);

		if (tid && in_madvise(tid))
			i++;
		else
			usleep(500);
	}
	CHECK_EQ(i, SYNC_THREADS);
	events = ctx->odp->ctr.mmu_events;
	retries = ctx->odp->ctr.map_retries;
	/* The last page: no event is about it, but some are not read. */
	CHECK_EQ(map_page_raw(mr, m + SYNC_THREADS * PAGE, &mapped, &done),
		 -EAGAIN);
	CHECK_EQ(mapped, 0);
	CHECK_EQ(ctx->odp->ctr.mmu_events - events, UD_ODP_UFFD_SYNC_MAX);
	CHECK_EQ(ctx->odp->ctr.map_retries - retries, 1);
	for (i = 0; i < SYNC_THREADS; i++) {
		ud_odp_uffd_ready(&d, ctx->id, EPOLLIN);
		pthread_join(b[i].thread, NULL);
	}
	CHECK_EQ(ctx->odp->ctr.mmu_events - events, SYNC_THREADS);
	CHECK_EQ(map_page_raw(mr, m + SYNC_THREADS * PAGE, &mapped, &done),
		 0);
	CHECK_EQ(mapped, 1);
	while (notices(&r))
		;
	ud_mr_destroy(&d, mr);
	ud_odp_uffd_detach(&d, ctx);
	munmap(m, (SYNC_THREADS + 1) * PAGE);
}

/*
 * A flood of invalidations into a channel nobody reads: the device never
 * waits for the reader (every event is read at once, the program's
 * madvise returns), notices past the channel's room are dropped and
 * counted, and the reader finally gets every notice that fit and
 * OVERFLOW records that count the rest.
 */
#define FLOOD_MRS 64
#define FLOOD_ROUNDS 30

static void test_flood(void)
{
	uint64_t got = 0, lost = 0, quiet = 0, i, round;
	uint64_t events_before = ctx->odp->ctr.mmu_events;
	uint64_t lost_before = ctx->odp->ctr.events_lost;
	struct ud_mr *mr[FLOOD_MRS];
	struct rec r;

	buf = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_EQ(attach_new(), 0);
	for (i = 0; i < FLOOD_MRS; i++)
		mr[i] = odp_mr(0, 1, IOVA + i * PAGE);
	for (round = 0; round < FLOOD_ROUNDS; round++) {
		for (i = 0; i < FLOOD_MRS; i++)
			CHECK_EQ(map_pages(mr[i], (uint8_t *)(uintptr_t)
					   (IOVA + i * PAGE), 1,
					   UODP_ODP_MAP_WRITE), 1);
		call_served(OP_DONTNEED, 0, 1, NULL);
	}
	CHECK_EQ(ctx->odp->ctr.mmu_events - events_before, FLOOD_ROUNDS);
	CHECK_EQ(ctx->odp->pending_other, UD_ODP_MAX_PENDING_OTHER);
	while (quiet < 3) {
		ud_odp_channel_ready(&d, ctx->id, EPOLLOUT);
		if (read(chan, &r, sizeof(r)) != sizeof(r)) {
			quiet++;
			continue;
		}
		quiet = 0;
		if (r.notice.kind == UODP_ODP_NOTICE_INVALIDATE)
			got++;
		else if (r.notice.kind == UODP_ODP_NOTICE_OVERFLOW)
			lost += r.notice.lost;
	}
	CHECK(lost > 0);
	CHECK_EQ(lost, ctx->odp->ctr.events_lost - lost_before);
	/*
	 * Once the queue is full, a notice of the MR queued last merges
	 * into it (same pages) instead of being lost: one a round at most.
	 */
	CHECK(got + lost <= FLOOD_MRS * FLOOD_ROUNDS);
	CHECK(got + lost >= FLOOD_MRS * FLOOD_ROUNDS - FLOOD_ROUNDS);
	for (i = 0; i < FLOOD_MRS; i++)
		ud_mr_destroy(&d, mr[i]);
	ud_odp_uffd_detach(&d, ctx);
	munmap(buf, NPAGES * PAGE);
}

/* Not a userfaultfd, or one already set up: refused, the fd untouched. */
static void test_refused(void)
{
	int pipefd[2], fd;
	struct uffdio_api api = { .api = UFFD_API };

	CHECK_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	CHECK_EQ(ud_odp_uffd_prepare(pipefd[0]), -EINVAL);
	close(pipefd[0]);
	close(pipefd[1]);
	fd = new_uffd();
	CHECK_EQ(ioctl(fd, UFFDIO_API, &api), 0);
	CHECK_EQ(ud_odp_uffd_prepare(fd), -EINVAL);
	close(fd);
	CHECK_EQ(ctx->odp->uffd, -1);
}

int main(void)
{
	struct ud_mr *mr, *inner;

	setup();
	buf = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0x5a, NPAGES * PAGE);
	CHECK_EQ(attach_new(), 0);
	mr = odp_mr(0, NPAGES, IOVA);
	test_events(mr);
	inner = odp_mr(6, 4, (uintptr_t)buf + 6 * PAGE);
	test_dereg_detach(mr, inner);
	test_map_race();
	test_implicit();
	test_explicit_remapped();
	test_sync_bounded();
	test_flood();
	test_refused();
	ud_odp_ctx_destroy(&d, ctx);
	return check_report("test_uodpd_uffd");
}
