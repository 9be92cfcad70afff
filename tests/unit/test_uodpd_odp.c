// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Unit test of the device-side fault machinery (odp.c, odp_channel.c),
 * linked against the daemon objects with queues that exist only as
 * structs: the exact EQE bytes of both subtypes in the DEVX event
 * channel's records (cookie, then 64 bytes), token rules, a channel
 * that fills up (faults held and delivered as it drains, never dropped;
 * INVALIDATE events beyond the limit counted and reported by OVERFLOW),
 * orphans of destroyed queues, and the resume-with-error of everything
 * outstanding when the reader closes its end; the sparse translation
 * tables of explicit and implicit MRs, and MAP's slices.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <assert.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "uodpd_fixture.h"
#include "hw/mlx5/cmd.h"
#include "hw/mlx5/eqe.h"

#define NQPS 1000
#define PAGE 4096ul

static struct uodpd d;
static struct ud_ctx *ctx;
static struct ud_qp *qps[NQPS];
static int chan;

#define FAULT_COOKIE 0xfa017ull
#define NOTICE_COOKIE 0x9071ceull

/* A DEVX async event record: the subscription's cookie, then the data. */
struct rec {
	uint64_t cookie;
	union {
		uint8_t eqe[64];
		struct mlx5_eqe fmt;		/* the same bytes, decoded */
		struct uodp_odp_notice notice;
	};
};

static_assert(sizeof(struct rec) == UODP_ODP_EVENT_RECORD_SIZE, "record");

/* A WQE fault's token. */
static uint32_t wqe_token(const struct rec *r)
{
	return be32toh(r->fmt.data.wqe.token) & MLX5_PFAULT_TOKEN_MASK;
}

static bool is_notice(const struct rec *r, uint32_t kind)
{
	return r->cookie == NOTICE_COOKIE && r->notice.kind == kind;
}

static void setup(void)
{
	int memfd;

	ctx = fixture_odp_ctx(&d);
	memfd = memfd_create("stats", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (ftruncate(memfd, PAGE) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))
		exit(1);
	chan = fixture_odp_channel(&d, ctx, memfd, FAULT_COOKIE,
				   NOTICE_COOKIE);
	close(memfd);
}

static uint32_t dbrecs[NQPS][2];	/* empty queues: nothing to fail */

static struct ud_qp *qp_new(int i)
{
	struct ud_qp *qp = calloc(1, sizeof(*qp));

	qp->mem.db = (struct ud_qbuf){ .local = (uint8_t *)dbrecs[i],
				       .len = sizeof(dbrecs[i]) };

	qp->qpn = ud_idr_alloc(&d.qps, qp);
	qp->ctx = ctx;
	qp->type = IBV_QPT_RC;
	return qp;
}

/* Read what the channel holds now, flushing the daemon's queue first. */
static int drain(struct rec *evs, int max)
{
	int n = 0;
	ssize_t got;

	for (;;) {
		ud_odp_channel_ready(&d, ctx->id, EPOLLOUT);
		got = read(chan, evs + n, (size_t)(max - n) * sizeof(*evs));
		if (got <= 0)
			return n;
		CHECK_EQ(got % sizeof(*evs), 0);
		n += (int)(got / sizeof(*evs));
		if (n == max)
			return n;
	}
}

static void test_eqe_bytes(void)
{
	struct rec ev;
	struct ud_qp *qp = qps[0];
	uint8_t want[64] = { 0 };
	uint32_t token;

	CHECK_EQ(ud_odp_raise_wqe_fault(&d, qp, NULL,
					MLX5_WQE_PF_TYPE_REQ_READ_OR_ATOMIC,
					qp->qpn, 0xbeef, 0x12345), 0);
	CHECK_EQ(read(chan, &ev, sizeof(ev)), sizeof(ev));
	CHECK_EQ(ev.cookie, FAULT_COOKIE);
	token = wqe_token(&ev);
	want[1] = 0x0c;
	want[3] = 0;
	want[32] = 0x00; want[33] = 0x01; want[34] = 0x23; want[35] = 0x45;
	want[38] = 0xbe; want[39] = 0xef;
	want[44] = 0; want[45] = token >> 16; want[46] = token >> 8;
	want[47] = token;
	want[56] = 3; want[57] = qp->qpn >> 16; want[58] = qp->qpn >> 8;
	want[59] = qp->qpn;
	CHECK_EQ(memcmp(ev.eqe, want, 64), 0);
	CHECK_EQ(qp->sq_fault.stalled, 1);
	CHECK_EQ(qp->sq_fault.token, token);
	/* One fault per queue at a time. */
	CHECK_EQ(ud_odp_raise_wqe_fault(&d, qp, NULL, 1, qp->qpn, 0, 0),
		 -EBUSY);

	/* RDMA subtype: wq number = token on resume. */
	CHECK_EQ(ud_odp_raise_rdma_fault(&d, qp, 0x4200, 0x1122334455667788ull,
					 0x10000, 0x800, 1024, true), 0);
	CHECK_EQ(read(chan, &ev, sizeof(ev)), sizeof(ev));
	CHECK_EQ(ev.cookie, FAULT_COOKIE);
	memset(want, 0, sizeof(want));
	token = be32toh(ev.fmt.data.rdma.pftype_token) &
		MLX5_PFAULT_TOKEN_MASK;
	want[1] = 0x0c;
	want[3] = 1;
	want[34] = 0x08;				/* bytes_committed */
	want[38] = 0x42;				/* r_key 0x4200 */
	want[42] = 0x04;				/* packet_length */
	want[45] = 0x01;				/* rdma_op_len */
	want[48] = 0x11; want[49] = 0x22; want[50] = 0x33; want[51] = 0x44;
	want[52] = 0x55; want[53] = 0x66; want[54] = 0x77; want[55] = 0x88;
	want[56] = MLX5_PFAULT_RDMA | MLX5_PFAULT_WRITE;
	want[57] = token >> 16; want[58] = token >> 8; want[59] = token;
	CHECK_EQ(memcmp(ev.eqe, want, 64), 0);
	CHECK_EQ(qp->rdma_fault.stalled, 1);

	/* Resumes: the wrong wq or type refused, the right ones accepted. */
	{
		uint32_t synd;

		CHECK_EQ(ud_odp_resume(&d, ctx, token, qp->qpn, 6, false,
				       &synd), MLX5_CMD_STAT_BAD_PARAM_ERR);
		CHECK_EQ(ud_odp_resume(&d, ctx, token, token, 4, false, &synd),
			 MLX5_CMD_STAT_BAD_PARAM_ERR);
		CHECK_EQ(ud_odp_resume(&d, ctx, token, token, 6, false, &synd),
			 MLX5_CMD_STAT_OK);
		CHECK_EQ(qp->rdma_fault.stalled, 0);
		CHECK_EQ(ud_odp_resume(&d, ctx, qp->sq_fault.token, qp->qpn, 3,
				       false, &synd), MLX5_CMD_STAT_OK);
		CHECK_EQ(qp->sq_fault.stalled, 0);
		CHECK_EQ(ctx->odp->ctr.resumes, 2);
		CHECK_EQ(ctx->odp->ctr.resumes_refused, 2);
	}
}

static void test_full_channel(void)
{
	static struct rec evs[NQPS + 1];
	uint8_t *seen = calloc(1u << 24, 1);
	int i, n, first;
	uint32_t token, synd;

	for (i = 0; i < NQPS; i++)
		CHECK_EQ(ud_odp_raise_wqe_fault(&d, qps[i], NULL,
						MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE,
						qps[i]->qpn, (uint16_t)i, 0),
			 0);
	/* The pipe holds some; the rest wait in the daemon. */
	first = (int)(read(chan, evs, sizeof(evs)) / sizeof(evs[0]));
	if (first < 0)
		first = 0;
	CHECK_EQ(first > 100 && first < NQPS, 1);
	n = first + drain(evs + first, NQPS + 1 - first);
	CHECK_EQ(n, NQPS);
	for (i = 0; i < n; i++) {
		CHECK_EQ(evs[i].cookie, FAULT_COOKIE);
		token = wqe_token(&evs[i]);
		CHECK_EQ(token != 0 && token <= 0xffffff && !seen[token], 1);
		seen[token] = 1;
		/* In order: the WQE index we gave each QP. */
		CHECK_EQ(be16toh(evs[i].fmt.data.wqe.wqe_index), i);
	}
	CHECK_EQ(ctx->odp->ctr.wqe_faults_requester, NQPS + 1);
	for (i = 0; i < NQPS; i++)
		CHECK_EQ(ud_odp_resume(&d, ctx, qps[i]->sq_fault.token,
				       qps[i]->qpn, 1, false, &synd),
			 MLX5_CMD_STAT_OK);
	free(seen);
}

static void test_invalidate_overflow(void)
{
	static struct rec evs[NQPS + 400];
	const uint64_t npages = 1024;
	uint8_t *buf = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct uodp_odp_map_range r;
	struct ud_mr *mr;
	uint64_t mapped, lost = 0;
	int i, n, inval = 0, faults = 0;
	uint32_t synd;

	CHECK_EQ(ud_mr_register(&d, ctx, 1, (uintptr_t)buf, npages * PAGE,
				(uintptr_t)buf, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_ON_DEMAND, 0, &mr), 0);
	CHECK_EQ(mr->odp_tbl->pages_present, 0);
	r = (struct uodp_odp_map_range){ .mr_key = mr->key,
					 .flags = UODP_ODP_MAP_WRITE,
					 .va = (uintptr_t)buf,
					 .length = npages * PAGE };
	CHECK_EQ(ud_odp_map_range(&d, ctx, &r, UD_ODP_MAP_FOR_FAULT,
				  UINT64_MAX, &mapped, NULL), 0);
	CHECK_EQ(mr->odp_tbl->pages_faulted, npages);
	CHECK_EQ(mr->odp_tbl->pages_prefetched, 0);
	CHECK_EQ(mapped, npages);
	/* Fill the pipe with faults, then invalidate. */
	for (i = 0; i < NQPS; i++)
		CHECK_EQ(ud_odp_raise_wqe_fault(&d, qps[i], NULL, 1,
						qps[i]->qpn, 0, 0), 0);
	/* Adjacent ranges coalesce into one queued record... */
	ud_odp_invalidate(&d, mr, (uintptr_t)buf + PAGE - 8, 8);
	ud_odp_invalidate(&d, mr, (uintptr_t)buf + PAGE, 8);
	/* ... separate ones queue up to the limit, then are lost. */
	for (i = 0; i < 300; i++)
		ud_odp_invalidate(&d, mr, (uintptr_t)buf + (2 * i + 4) * PAGE,
				  8);
	CHECK_EQ(mr->odp_tbl->invalidations, 302);
	CHECK_EQ(mr->odp_tbl->pages_present, npages - 302);
	n = drain(evs, NQPS + 400);
	for (i = 0; i < n; i++) {
		if (evs[i].cookie == FAULT_COOKIE)
			faults++;
		else if (is_notice(&evs[i], UODP_ODP_NOTICE_INVALIDATE))
			inval++;
		else if (is_notice(&evs[i], UODP_ODP_NOTICE_OVERFLOW))
			lost += evs[i].notice.lost;
	}
	CHECK_EQ(faults, NQPS);
	CHECK_EQ(inval, UD_ODP_MAX_PENDING_OTHER);
	CHECK_EQ(lost, 301 - UD_ODP_MAX_PENDING_OTHER);
	for (i = 0; i < n; i++)
		if (is_notice(&evs[i], UODP_ODP_NOTICE_INVALIDATE)) {
			CHECK_EQ(evs[i].notice.mr_key, mr->key);
			CHECK_EQ(evs[i].notice.va, (uintptr_t)buf + PAGE - 8);
			CHECK_EQ(evs[i].notice.length, 16);
			break;
		}
	CHECK_EQ(is_notice(&evs[n - 1], UODP_ODP_NOTICE_OVERFLOW), 1);
	CHECK_EQ(ctx->odp->ctr.events_lost, lost);
	CHECK_EQ(ctx->odp->ctr.invalidations, 302);
	for (i = 0; i < NQPS; i++)
		ud_odp_resume(&d, ctx, qps[i]->sq_fault.token, qps[i]->qpn, 1,
			      false, &synd);
	ud_mr_destroy(&d, mr);
	munmap(buf, npages * PAGE);
}

/* What RDMA netlink shows of an MR: handled faults and invalidations. */
static void test_mr_handled_counters(void)
{
	size_t npages = 8;
	void *buf = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct rec ev, evs[8];
	struct ud_mr *mr;
	uint32_t synd, token;
	int i;

	CHECK_EQ(ud_mr_register(&d, ctx, 1, (uintptr_t)buf, npages * PAGE,
				(uintptr_t)buf, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_ON_DEMAND,
				0, &mr), 0);
	/* Resumed with error, then without: one fault handled of two. */
	for (i = 0; i < 2; i++) {
		CHECK_EQ(ud_odp_raise_rdma_fault(&d, qps[0], mr->key,
						 (uintptr_t)buf, 64, 0, 64,
						 true), 0);
		CHECK_EQ(read(chan, &ev, sizeof(ev)), sizeof(ev));
		token = qps[0]->rdma_fault.token;
		CHECK_EQ(ud_odp_resume(&d, ctx, token, token,
				       MLX5_PFAULT_RDMA | MLX5_PFAULT_WRITE,
				       i == 0, &synd), MLX5_CMD_STAT_OK);
	}
	CHECK_EQ(mr->odp_tbl->faults, 2);
	CHECK_EQ(mr->odp_tbl->faults_handled, 1);
	/* One invalidation of 3 pages: 3 pages taken, one handled. */
	ud_odp_invalidate(&d, mr, (uintptr_t)buf + PAGE, 3 * PAGE);
	CHECK_EQ(mr->odp_tbl->invalidations, 3);
	CHECK_EQ(mr->odp_tbl->invalidations_handled, 1);
	/* Of pages already gone, nothing: no invalidation handled. */
	ud_odp_invalidate(&d, mr, (uintptr_t)buf + PAGE, PAGE);
	CHECK_EQ(mr->odp_tbl->invalidations_handled, 1);
	drain(evs, 8);
	ud_mr_destroy(&d, mr);
	munmap(buf, npages * PAGE);
}

static void test_orphans_and_close(void)
{
	struct ud_srq *srq = calloc(1, sizeof(*srq));
	uint32_t token, synd;
	int i;

	/* A destroyed QP's fault: a late resume is accepted and retired. */
	CHECK_EQ(ud_odp_raise_wqe_fault(&d, qps[1], NULL, 2, qps[1]->qpn, 5,
					0), 0);
	token = qps[1]->rq_fault.token;
	ud_odp_qp_gone(&d, qps[1]);
	CHECK_EQ(qps[1]->rq_fault.stalled, 0);
	CHECK_EQ(ud_odp_resume(&d, ctx, token, qps[1]->qpn, 2, true, &synd),
		 MLX5_CMD_STAT_OK);
	CHECK_EQ(ud_odp_resume(&d, ctx, token, qps[1]->qpn, 2, true, &synd),
		 MLX5_CMD_STAT_BAD_PARAM_ERR);
	/* An SRQ fault survives its QP, not its SRQ. */
	srq->srqn = ud_idr_alloc(&d.srqs, srq);
	srq->ctx = ctx;
	CHECK_EQ(ud_odp_raise_wqe_fault(&d, qps[2], srq, 0, srq->srqn, 9, 0),
		 0);
	ud_odp_qp_gone(&d, qps[2]);
	CHECK_EQ(srq->fault.stalled, 1);
	ud_odp_srq_gone(&d, srq);
	CHECK_EQ(srq->fault.stalled, 0);

	/* Tokens stay unique across the wrap. */
	d.odp->next_token = 0xfffffe;
	CHECK_EQ(ud_odp_raise_wqe_fault(&d, qps[3], NULL, 1, qps[3]->qpn, 0,
					0), 0);
	CHECK_EQ(qps[3]->sq_fault.token, 0xfffffe);
	CHECK_EQ(ud_odp_raise_wqe_fault(&d, qps[4], NULL, 1, qps[4]->qpn, 0,
					0), 0);
	CHECK_EQ(qps[4]->sq_fault.token, 0xffffff);
	CHECK_EQ(ud_odp_raise_wqe_fault(&d, qps[5], NULL, 1, qps[5]->qpn, 0,
					0), 0);
	CHECK_EQ(qps[5]->sq_fault.token != 0, 1);
	d.odp->next_token = qps[5]->sq_fault.token;
	CHECK_EQ(ud_odp_raise_wqe_fault(&d, qps[6], NULL, 1, qps[6]->qpn, 0,
					0), 0);
	CHECK_EQ(qps[6]->sq_fault.token != qps[5]->sq_fault.token, 1);

	/* The reader goes: everything outstanding is resumed with error. */
	for (i = 10; i < 20; i++)
		CHECK_EQ(ud_odp_raise_wqe_fault(&d, qps[i], NULL, 1,
						qps[i]->qpn, 0, 0), 0);
	close(chan);
	ud_odp_channel_ready(&d, ctx->id, EPOLLERR);
	CHECK_EQ(ud_odp_channel_open_p(ctx), 0);
	CHECK_EQ(ctx->odp->ctr.resumed_on_close, 4 + 10 + 1);
	for (i = 0; i < NQPS; i++)
		CHECK_EQ(qps[i]->sq_fault.stalled, 0);
	CHECK_EQ(list_empty(&d.odp->faults), 1);
	/* No channel: nobody services faults. */
	CHECK_EQ(ud_odp_raise_wqe_fault(&d, qps[0], NULL, 1, qps[0]->qpn, 0,
					0), -ENOTCONN);
	ud_idr_remove(&d.srqs, srq->srqn);
	free(srq);
}

/* The word-at-a-time scan agrees with a page-by-page one. */
static uint64_t naive_missing(const struct ud_mr *mr, uint64_t pn,
			      uint64_t end, bool write)
{
	uint8_t need = UD_PTE_PRESENT | (write ? UD_PTE_WRITABLE : 0);

	for (; pn < end; pn++)
		if ((ud_odp_pte_get(mr, pn) & need) != need)
			return pn;
	return UINT64_MAX;
}

static void scan_compare(struct ud_mr *mr, uint64_t base, uint64_t npages)
{
	uint64_t seed = 12345, lo, hi;
	bool changed;
	int i;

	for (i = 0; i < 20000; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		lo = (seed >> 20) % npages;
		hi = lo + (seed >> 40) % (npages - lo) + 1;
		switch ((seed >> 8) % 4) {
		case 0:
			ud_odp_pte_zap(mr, base + lo);
			break;
		case 1:
			ud_odp_pte_raise(mr, base + lo, UD_PTE_PRESENT,
					 &changed);
			break;
		default:
			for (; lo < hi && lo < npages; lo += 1 + (seed & 1))
				ud_odp_pte_raise(mr, base + lo, 3, &changed);
			break;
		}
		lo = (seed >> 30) % npages;
		hi = lo + (seed >> 45) % (npages - lo) + 1;
		CHECK_EQ(ud_odp_mr_first_missing(mr, (base + lo) * PAGE + 7,
						 (hi - lo) * PAGE - 7, i & 1),
			 naive_missing(mr, base + lo, base + hi, i & 1));
	}
}

static void test_table_scan(void)
{
	struct ud_mr *mr;

	/* Explicit, not mapped: starts absent. */
	CHECK_EQ(ud_mr_register(&d, ctx, 1, 0x500000000000ull + 3 * PAGE,
				300 * PAGE, 0x1000, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_ON_DEMAND, 0, &mr), 0);
	scan_compare(mr, 0x500000000000ull / PAGE + 3, 300);
	ud_mr_destroy(&d, mr);
	/* Implicit, across a 1 GiB child boundary. */
	CHECK_EQ(ud_mr_register(&d, ctx, 1, 0, UINT64_MAX, 0,
				IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND,
				0, &mr), 0);
	scan_compare(mr, (1ull << 30) / PAGE - 150, 300);
	CHECK_EQ(mr->odp_tbl->nchildren <= 2, 1);
	ud_mr_destroy(&d, mr);
	/* Explicit, across a 1 GiB child boundary: the same children. */
	CHECK_EQ(ud_mr_register(&d, ctx, 1, (1ull << 30) - 150 * PAGE,
				300 * PAGE, 0x1000, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_ON_DEMAND, 0, &mr), 0);
	scan_compare(mr, (1ull << 30) / PAGE - 150, 300);
	CHECK_EQ(mr->odp_tbl->nchildren <= 2, 1);
	ud_mr_destroy(&d, mr);
}

/*
 * A TiB explicit MR costs nothing until mapped; a child full of present
 * (and writable) pages is skipped whole, and is not once a page goes.
 */
/*
 * Reserve len bytes and a GiB more, unreadable (nothing there is resident
 * at registration), halving len down to 4 GiB while that fails:
 * ThreadSanitizer's shadow leaves no TiB of address space to reserve.
 */
static void *reserve_span(uint64_t *len)
{
	void *p;

	for (;; *len /= 2) {
		p = mmap(NULL, *len + (1ull << 30), PROT_NONE, MAP_PRIVATE |
			 MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED || *len <= (4ull << 30))
			return p;
	}
}

static void test_sparse_explicit(void)
{
	uint64_t len = 1ull << 40;
	void *tib = reserve_span(&len);
	/* Start on a child's boundary. */
	const uint64_t base = ((uintptr_t)tib + (1ull << 30) - 1) &
			      ~((1ull << 30) - 1);
	const uint64_t first = base / PAGE;
	struct ud_mr *mr;
	bool changed;
	uint64_t i;

	CHECK(tib != MAP_FAILED);
	CHECK_EQ(ud_mr_register(&d, ctx, 1, base, len, base,
				IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND,
				0, &mr), 0);
	CHECK_EQ(mr->odp_tbl->nchildren, 0);
	CHECK_EQ(mr->odp_tbl->pages_present, 0);
	for (i = 0; i < UD_ODP_CHILD_PAGES; i++)
		ud_odp_pte_raise(mr, first + i, UD_PTE_PRESENT, &changed);
	CHECK_EQ(mr->odp_tbl->nchildren, 1);
	CHECK_EQ(ud_odp_mr_first_missing(mr, base, 1ull << 30, false),
		 UINT64_MAX);
	CHECK_EQ(ud_odp_mr_first_missing(mr, base, 1ull << 30, true), first);
	for (i = 0; i < UD_ODP_CHILD_PAGES; i++)
		ud_odp_pte_raise(mr, first + i, UD_PTE_WRITABLE, &changed);
	CHECK_EQ(ud_odp_mr_first_missing(mr, base, 1ull << 30, true),
		 UINT64_MAX);
	CHECK_EQ(ud_odp_mr_first_missing(mr, base, (1ull << 30) + 1, true),
		 first + UD_ODP_CHILD_PAGES);
	CHECK_EQ(ud_odp_pte_zap(mr, first + 77777), 1);
	CHECK_EQ(ud_odp_mr_first_missing(mr, base, 1ull << 30, false),
		 first + 77777);
	CHECK_EQ(ud_odp_pte_raise(mr, first + 77777, UD_PTE_PRESENT,
				  &changed), 0);
	CHECK_EQ(ud_odp_mr_first_missing(mr, base, 1ull << 30, true),
		 first + 77777);
	/* Outside the MR nothing is raised. */
	CHECK_EQ(ud_odp_pte_raise(mr, first - 1, UD_PTE_PRESENT, &changed),
		 -EINVAL);
	CHECK_EQ(ud_odp_pte_raise(mr, first + len / PAGE, UD_PTE_PRESENT,
				  &changed), -EINVAL);
	ud_mr_destroy(&d, mr);
	munmap(tib, len + (1ull << 30));
}

/*
 * MAP with its deadline gone does one chunk and says how far it got;
 * continued, it finishes; a range mapped already goes through at once.
 */
static void test_map_slices(void)
{
	const uint64_t npages = 4 * PAGEMAP_CHUNK;
	uint8_t *buf = mmap(NULL, npages * PAGE, PROT_READ,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct uodp_odp_map_range r;
	uint64_t mapped, done;
	struct ud_mr *mr;

	CHECK_EQ(ud_mr_register(&d, ctx, 1, (uintptr_t)buf, npages * PAGE,
				(uintptr_t)buf, IBV_ACCESS_ON_DEMAND, 0, &mr),
		 0);
	r = (struct uodp_odp_map_range){ .mr_key = mr->key,
					 .va = (uintptr_t)buf + 100,
					 .length = npages * PAGE - 100 };
	CHECK_EQ(ud_odp_map_range(&d, ctx, &r, UD_ODP_MAP_FOR_PREFETCH,
				  0, &mapped, &done), -EAGAIN);
	CHECK_EQ(mapped, PAGEMAP_CHUNK);
	CHECK_EQ(done, PAGEMAP_CHUNK * PAGE - 100);
	r.va += done;
	r.length -= done;
	CHECK_EQ(ud_odp_map_range(&d, ctx, &r, UD_ODP_MAP_FOR_FAULT,
				  UINT64_MAX, &mapped, &done), 0);
	CHECK_EQ(mapped, npages - PAGEMAP_CHUNK);
	CHECK_EQ(done, r.length);
	/* The MR's counters tell what mapped the pages, and add up. */
	CHECK_EQ(mr->odp_tbl->pages_prefetched, PAGEMAP_CHUNK);
	CHECK_EQ(mr->odp_tbl->pages_faulted, npages - PAGEMAP_CHUNK);
	CHECK_EQ(mr->odp_tbl->pages_mapped, npages);
	r.va = (uintptr_t)buf;
	r.length = npages * PAGE;
	CHECK_EQ(ud_odp_map_range(&d, ctx, &r, UD_ODP_MAP_FOR_PREFETCH,
				  0, &mapped, &done), 0);
	CHECK_EQ(mapped, 0);
	r.flags = UODP_ODP_MAP_NO_FAULT;
	CHECK_EQ(ud_odp_map_range(&d, ctx, &r, UD_ODP_MAP_FOR_PREFETCH,
				  0, &mapped, &done), -EAGAIN);
	CHECK_EQ(done, PAGEMAP_CHUNK * PAGE);
	CHECK_EQ(mr->odp_tbl->pages_present, npages);
	ud_mr_destroy(&d, mr);
	munmap(buf, npages * PAGE);
}

int main(void)
{
	int i;

	setup();
	for (i = 0; i < NQPS; i++)
		qps[i] = qp_new(i);
	test_table_scan();
	test_sparse_explicit();
	test_map_slices();
	test_eqe_bytes();
	test_full_channel();
	test_invalidate_overflow();
	test_mr_handled_counters();
	test_orphans_and_close();
	ud_odp_ctx_destroy(&d, ctx);
	for (i = 0; i < NQPS; i++)
		free(qps[i]);
	ud_idr_destroy(&d.qps);
	ud_idr_destroy(&d.srqs);
	ud_idr_destroy(&d.mrs);
	ud_idr_destroy(&d.ctx_ids);
	ud_odp_fini(&d);
	free(ctx);
	close(d.epfd);
	return check_report("test_uodpd_odp");
}
