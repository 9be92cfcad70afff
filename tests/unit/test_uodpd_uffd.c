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
 * an invalidation of the pages it maps, forced.
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

/* ---- the application's memory calls, on a thread of their own ---- */

enum op { OP_DONTNEED, OP_MUNMAP, OP_MREMAP };

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
	void *p = buf + c->page * PAGE;

	switch (c->op) {
	case OP_DONTNEED:
		c->ret = madvise(p, c->n * PAGE, MADV_DONTNEED);
		break;
	case OP_MUNMAP:
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
	CHECK_EQ(ud_odp_uffd_attach(&d, ctx, new_uffd()), 0);
	mr = odp_mr(0, NPAGES, IOVA);
	CHECK_EQ(mr->odp_tbl->pages_present, 0);	/* nothing touched */
	CHECK_EQ(pthread_create(&t, NULL, call_thread, &c), 0);
	pfd = (struct pollfd){ .fd = ctx->odp->uffd, .events = POLLIN };
	CHECK_EQ(poll(&pfd, 1, 5000), 1);	/* its event waits unread */
	r = (struct uodp_odp_map_range){ .mr_key = mr->key, .va = IOVA,
					 .length = 4 * PAGE,
					 .flags = UODP_ODP_MAP_WRITE };
	CHECK_EQ(ud_odp_map_range(&d, ctx, &r, UINT64_MAX, &mapped, &done),
		 -EAGAIN);
	CHECK_EQ(done, 0);
	CHECK_EQ(mapped, 0);
	CHECK(!present(mr, 0) && !present(mr, 2));
	CHECK_EQ(ctx->odp->ctr.map_retries, 1);
	pthread_join(t, NULL);
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(ud_odp_map_range(&d, ctx, &r, UINT64_MAX, &mapped, &done),
		 0);
	CHECK_EQ(mapped, 4);
	CHECK(present(mr, 0) && present(mr, 3));
	ud_mr_destroy(&d, mr);
	ud_odp_uffd_detach(&d, ctx);
}

/* Not a userfaultfd, or one already set up: the device goes without. */
static void test_refused(void)
{
	int pipefd[2], fd;
	struct uffdio_api api = { .api = UFFD_API };

	CHECK_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	CHECK_EQ(ud_odp_uffd_attach(&d, ctx, pipefd[0]), -EINVAL);
	CHECK_EQ(fcntl(pipefd[0], F_GETFD), -1);	/* consumed */
	close(pipefd[1]);
	fd = new_uffd();
	CHECK_EQ(ioctl(fd, UFFDIO_API, &api), 0);
	CHECK_EQ(ud_odp_uffd_attach(&d, ctx, fd), -EINVAL);
	CHECK_EQ(ctx->odp->uffd, -1);
}

int main(void)
{
	struct ud_mr *mr, *inner;

	setup();
	buf = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0x5a, NPAGES * PAGE);
	CHECK_EQ(ud_odp_uffd_attach(&d, ctx, new_uffd()), 0);
	mr = odp_mr(0, NPAGES, IOVA);
	test_events(mr);
	inner = odp_mr(6, 4, (uintptr_t)buf + 6 * PAGE);
	test_dereg_detach(mr, inner);
	test_map_race();
	test_refused();
	ud_odp_ctx_destroy(&d, ctx);
	return check_report("test_uodpd_uffd");
}
