// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * uodp-res-holder: objects for `rdma res` and `rdma stat show mr` to show
 * (tests/stock/rdma_res.sh).  On uodp0, through the real provider: a PD,
 * a CQ, two RC QPs connected to each other, an SRQ with two more RC QPs
 * taking from it, a pinned MR and an explicit ODP MR.  ibv_advise_mr prefetches the second half of the ODP MR (a MAP
 * that resumes nothing), then an RDMA WRITE from the pinned MR into the
 * first half faults on the responder (the fault engine serves it with a
 * MAP that resumes the queue).  It prints what the tools should find,
 * then serves one command per input line:
 *
 *   invalidate   madvise(MADV_DONTNEED) the ODP MR's pages: they go
 *   mrs N        N more pinned MRs (of one page each): a dump of many
 *   destroy-qp   the second QP goes: its number names nothing
 *   (end)        everything destroyed, exit 0
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "odp_common.h"

#define HOLDER_PAGES 16u
#define HOLDER_LEN ((size_t)HOLDER_PAGES * ODP_PAGE)
#define HALF (HOLDER_LEN / 2)
#define MORE_MRS_MAX 1024u

struct holder {
	struct odp_side s;
	struct ibv_qp *qa, *qb;
	struct ibv_srq *srq;
	struct ibv_qp *qs[2];		/* on the SRQ */
	void *src, *dst;
	struct ibv_mr *pinned, *odp;
	struct ibv_mr *more[MORE_MRS_MAX];
	unsigned int nmore;
};

static void connect_pair(struct holder *h)
{
	int err;

	h->qa = odp_rc_qp(&h->s, 8);
	h->qb = odp_rc_qp(&h->s, 8);
	err = odp_rc_connect(&h->s, h->qa, h->qb->qp_num, 14, 7);
	if (!err)
		err = odp_rc_connect(&h->s, h->qb, h->qa->qp_num, 14, 7);
	if (err)
		test_die("connect the QPs", err);
}

static void srq_pair(struct holder *h)
{
	struct ibv_srq_init_attr sattr = {
		.attr = { .max_wr = 16, .max_sge = 1 },
	};
	struct ibv_qp_init_attr init = {
		.send_cq = h->s.cq, .recv_cq = h->s.cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_send_sge = 1 },
	};
	int i;

	h->srq = ibv_create_srq(h->s.pd, &sattr);
	if (!h->srq)
		test_die("create the SRQ", errno);
	init.srq = h->srq;
	for (i = 0; i < 2; i++) {
		h->qs[i] = ibv_create_qp(h->s.pd, &init);
		if (!h->qs[i])
			test_die("create a QP on the SRQ", errno);
	}
}

static void register_mrs(struct holder *h)
{
	h->src = odp_fresh(HOLDER_LEN);
	h->dst = odp_fresh(HOLDER_LEN);
	odp_fill(h->src, HOLDER_LEN, 7);
	h->pinned = ibv_reg_mr(h->s.pd, h->src, HOLDER_LEN,
			       IBV_ACCESS_LOCAL_WRITE);
	h->odp = odp_reg(&h->s, h->dst, HOLDER_LEN, ODP_ACCESS_ALL);
	if (!h->pinned || !h->odp)
		test_die("register the MRs", errno);
}

/* A WRITE into the untouched first half: the responder faults. */
static void write_first_half(struct holder *h)
{
	struct ibv_wc wc;
	int err;

	err = odp_post_send(h->qa, 1, IBV_WR_RDMA_WRITE, h->src, HALF,
			    h->pinned->lkey, (uintptr_t)h->dst, h->odp->rkey);
	if (err)
		test_die("post the WRITE", err);
	if (odp_poll(h->s.cq, &wc, 1, 10000) != 1 ||
	    wc.status != IBV_WC_SUCCESS)
		test_die("the WRITE did not complete", EIO);
	if (memcmp(h->src, h->dst, HALF))
		test_die("the WRITE's data differ", EIO);
}

/* ADVISE_MR of the second half, waited for (FLUSH). */
static void prefetch_second_half(struct holder *h)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)h->dst + HALF,
		.length = HALF,
		.lkey = h->odp->lkey,
	};
	int err;

	err = ibv_advise_mr(h->s.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			    IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
	if (err)
		test_die("ibv_advise_mr", err);
}

static bool more_mrs(struct holder *h, unsigned int n)
{
	if (n > MORE_MRS_MAX - h->nmore)
		return false;
	for (; n; n--, h->nmore++) {
		h->more[h->nmore] = ibv_reg_mr(h->s.pd, h->src, ODP_PAGE,
					       IBV_ACCESS_LOCAL_WRITE);
		if (!h->more[h->nmore])
			return false;
	}
	return true;
}

static void destroy(struct holder *h)
{
	while (h->nmore)
		ibv_dereg_mr(h->more[--h->nmore]);
	ibv_destroy_qp(h->qa);
	if (h->qb)
		ibv_destroy_qp(h->qb);
	ibv_destroy_qp(h->qs[0]);
	ibv_destroy_qp(h->qs[1]);
	ibv_destroy_srq(h->srq);
	ibv_dereg_mr(h->odp);
	ibv_dereg_mr(h->pinned);
	odp_side_close(&h->s);
	munmap(h->src, HOLDER_LEN);
	munmap(h->dst, HOLDER_LEN);
}

static void serve(struct holder *h)
{
	char line[64];
	unsigned int n;

	while (fgets(line, sizeof(line), stdin)) {
		if (!strcmp(line, "invalidate\n") &&
		    !madvise(h->dst, HOLDER_LEN, MADV_DONTNEED))
			printf("invalidated\n");
		else if (sscanf(line, "mrs %u", &n) == 1 && more_mrs(h, n))
			printf("mrs %u\n", h->nmore);
		else if (!strcmp(line, "destroy-qp\n") && h->qb &&
			 !ibv_destroy_qp(h->qb)) {
			h->qb = NULL;
			printf("destroyed\n");
		} else {
			printf("error %s", line);
		}
		fflush(stdout);
	}
}

int main(void)
{
	struct holder h = { 0 };

	odp_side_open(&h.s, 64);
	connect_pair(&h);
	srq_pair(&h);
	register_mrs(&h);
	prefetch_second_half(&h);
	write_first_half(&h);
	printf("qpn %u %u\n", h.qa->qp_num, h.qb->qp_num);
	printf("srq %u %u\n", h.qs[0]->qp_num, h.qs[1]->qp_num);
	printf("pinned %u %zu\n", h.pinned->lkey, HOLDER_LEN);
	printf("odp %u %zu\n", h.odp->lkey, HOLDER_LEN);
	/* Pages prefetched, pages the WRITE needed. */
	printf("halves %zu %zu\n", HALF / ODP_PAGE, HALF / ODP_PAGE);
	printf("ready\n");
	fflush(stdout);
	serve(&h);
	destroy(&h);
	return 0;
}
