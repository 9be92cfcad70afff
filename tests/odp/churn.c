// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/* The churn run: see churn.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "churn.h"
#include "odp_common.h"

#define CHURN_BYTES (16ul << 20)
#define WRITE_BYTES (1ul << 20)
#define DROP_BYTES (256ul << 10)
#define DEADLINE_MS 20000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t bytes_differing(const uint8_t *a, const uint8_t *b,
				size_t len)
{
	uint64_t n = 0;
	size_t i;

	if (!memcmp(a, b, len))
		return 0;
	for (i = 0; i < len; i++)
		n += a[i] != b[i];
	return n;
}

static uint64_t bytes_not(const uint8_t *p, uint8_t v, size_t len)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += p[i] != v;
	return n;
}

struct churn {
	struct odp_side s;
	struct ibv_qp *a, *b;
	uint8_t *src, *dst;
	struct ibv_mr *smr, *dmr;
};

static int churn_open(struct churn *c, bool implicit)
{
	odp_side_open(&c->s, 16);
	c->a = odp_rc_qp(&c->s, 16);
	c->b = odp_rc_qp(&c->s, 16);
	if (odp_rc_connect(&c->s, c->a, c->b->qp_num, 14, 7) ||
	    odp_rc_connect(&c->s, c->b, c->a->qp_num, 14, 7))
		return errno ? errno : EIO;
	c->src = odp_fresh(CHURN_BYTES);
	c->dst = odp_fresh(CHURN_BYTES);
	if (implicit) {
		c->smr = ibv_reg_mr(c->s.pd, NULL, SIZE_MAX,
				    ODP_ACCESS_ALL | IBV_ACCESS_ON_DEMAND);
		c->dmr = c->smr;
		return c->smr ? 0 : errno;
	}
	c->smr = odp_reg(&c->s, c->src, CHURN_BYTES, ODP_ACCESS_ALL);
	c->dmr = odp_reg(&c->s, c->dst, CHURN_BYTES, ODP_ACCESS_ALL);
	return c->smr && c->dmr ? 0 : errno;
}

static void churn_close(struct churn *c)
{
	if (c->smr)
		ibv_dereg_mr(c->smr);
	if (c->dmr && c->dmr != c->smr)
		ibv_dereg_mr(c->dmr);
	munmap(c->src, CHURN_BYTES);
	munmap(c->dst, CHURN_BYTES);
	if (c->a)
		ibv_destroy_qp(c->a);
	if (c->b)
		ibv_destroy_qp(c->b);
	odp_side_close(&c->s);
}

/* One round: write at w while dropping and rewriting at f. */
static void churn_round(struct churn *c, unsigned int r, size_t w, size_t f,
			struct odp_churn_result *res)
{
	uint8_t pattern = (uint8_t)(r * 37 + 1);
	struct ibv_wc wc;

	odp_fill(c->src + w, WRITE_BYTES, r);
	if (odp_post_send(c->a, r, IBV_WR_RDMA_WRITE, c->src + w,
			  WRITE_BYTES, c->smr->lkey, (uintptr_t)c->dst + w,
			  c->dmr->rkey)) {
		res->errors++;
		return;
	}
	madvise(c->dst + f, DROP_BYTES, MADV_DONTNEED);
	memset(c->dst + f, pattern, DROP_BYTES);
	if (odp_poll(c->s.cq, &wc, 1, DEADLINE_MS) != 1 ||
	    wc.status != IBV_WC_SUCCESS) {
		res->errors++;
		return;
	}
	res->bytes_written += WRITE_BYTES;
	res->bytes_wrong += bytes_differing(c->src + w, c->dst + w,
					    WRITE_BYTES);
	res->bytes_wrong += bytes_not(c->dst + f, pattern, DROP_BYTES);
	res->bytes_verified += WRITE_BYTES + DROP_BYTES;
}

int odp_churn(unsigned int rounds, unsigned int seed, bool implicit,
	      struct odp_churn_result *res)
{
	struct uodp_query_counters_resp c0, c1;
	struct churn c = { 0 };
	unsigned int r;
	size_t w, f;
	double t0;
	int err;

	memset(res, 0, sizeof(*res));
	srand(seed);
	err = churn_open(&c, implicit);
	if (err)
		goto out;
	if (!odp_counters(&c0)) {
		err = EIO;
		goto out;
	}
	t0 = now_s();
	for (r = 0; r < rounds; r++) {
		w = (size_t)(rand() % (CHURN_BYTES / WRITE_BYTES)) *
		    WRITE_BYTES;
		/* Another MiB than the write's, somewhere in it. */
		f = (w + WRITE_BYTES * (1 + (size_t)rand() %
			(CHURN_BYTES / WRITE_BYTES - 1))) % CHURN_BYTES +
		    (size_t)(rand() % (WRITE_BYTES / DROP_BYTES)) *
		    DROP_BYTES;
		churn_round(&c, r, w, f, res);
		res->rounds++;
	}
	res->seconds = now_s() - t0;
	if (odp_counters(&c1)) {
		res->faults = odp_faults_raised(&c1.dev) -
			      odp_faults_raised(&c0.dev);
		res->invalidations = c1.dev.invalidations -
				     c0.dev.invalidations;
		res->mmu_events = c1.dev.mmu_events - c0.dev.mmu_events;
	}
out:
	churn_close(&c);
	return err;
}
