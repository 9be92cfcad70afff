// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * ODP benchmark helper (run inside uodp-run; tests/bench/odp_bench.sh runs
 * it and prints the table).  Two contexts of this process on uodp0, an RC
 * pair between them, RDMA WRITEs from a pinned source into a target.
 *
 *   odp_bench service [PAGES]
 *	PAGES 4 KiB RDMA writes, one at a time, each into a different page of
 *	an ODP MR whose pages the CPU populated AFTER registration: every write
 *	takes one RDMA fault whose servicing costs no page population.  The
 *	fault engine's service-time histogram (event read -> resume sent) and
 *	total give the median, p99 and mean.
 *
 *   odp_bench write odp|pinned [MiB]
 *	First-touch RDMA WRITE of MiB (default 1024) in 1 MiB messages into
 *	fresh memory: an ODP MR over never-touched memory, or a pinned MR
 *	over prefaulted memory.  The prefetch policy is whatever
 *	UODP_ODP_POLICY says (the script runs lookahead and exact).
 *
 * Prints one "RESULT key=value ..." line; exit status 0 on success.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "odp_common.h"

#define DEADLINE_MS 60000
#define MSG (1u << 20)
#define WINDOW 16

struct bench {
	struct odp_side client, server;
	struct ibv_qp *cqp, *sqp;
};

static void bench_open(struct bench *b)
{
	odp_side_open(&b->client, 256);
	odp_side_open(&b->server, 256);
	b->cqp = odp_rc_qp(&b->client, 64);
	b->sqp = odp_rc_qp(&b->server, 64);
	if (odp_rc_connect(&b->client, b->cqp, b->sqp->qp_num, 14, 7) ||
	    odp_rc_connect(&b->server, b->sqp, b->cqp->qp_num, 14, 7))
		odp_die("connect", errno);
}

static void bench_close(struct bench *b)
{
	ibv_destroy_qp(b->cqp);
	ibv_destroy_qp(b->sqp);
	odp_side_close(&b->client);
	odp_side_close(&b->server);
}

/*
 * The bandwidth runs keep WINDOW 1 MiB writes in flight, a quarter of a
 * millisecond of work each: the application has no reason to spin on its
 * CQ, and on 2 cores a spinning poller would take the core the fault
 * engine or uodpd needs.  It naps between empty polls, in every run alike
 * (ODP and pinned).
 */
static int poll_napping(struct ibv_cq *cq, struct ibv_wc *wc)
{
	const struct timespec nap = { 0, 20000 };
	double end = odp_now() + DEADLINE_MS / 1000.0;
	int ret;

	while (!(ret = ibv_poll_cq(cq, 1, wc)) && odp_now() < end)
		nanosleep(&nap, NULL);
	return ret;
}

static bool wait_one(struct bench *b, bool nap)
{
	struct ibv_wc wc;
	int got = nap ? poll_napping(b->client.cq, &wc) :
			odp_poll(b->client.cq, &wc, 1, DEADLINE_MS);

	if (got != 1) {
		fprintf(stderr, "odp_bench: no completion in %d s\n",
			DEADLINE_MS / 1000);
		return false;
	}
	if (wc.status != IBV_WC_SUCCESS) {
		fprintf(stderr, "odp_bench: completion %s\n",
			ibv_wc_status_str(wc.status));
		return false;
	}
	return true;
}

/* Quantile q of the log2 histogram, interpolated inside its bucket. */
static double hist_quantile(const uint64_t *hist, double q)
{
	uint64_t total = 0, seen = 0;
	double lo, hi;
	int i;

	for (i = 0; i < UODP_ODP_HIST_BUCKETS; i++)
		total += hist[i];
	if (!total)
		return 0;
	for (i = 0; i < UODP_ODP_HIST_BUCKETS; i++) {
		if (seen + hist[i] >= q * total && hist[i]) {
			lo = i ? (double)(1ull << (i + 7)) : 0;
			hi = (double)(1ull << (i + 8));
			return lo + (hi - lo) * (q * total - seen) / hist[i];
		}
		seen += hist[i];
	}
	return (double)(1ull << (UODP_ODP_HIST_BUCKETS + 7));
}

static int bucket_of(const uint64_t *hist, double q)
{
	uint64_t total = 0, seen = 0;
	int i;

	for (i = 0; i < UODP_ODP_HIST_BUCKETS; i++)
		total += hist[i];
	for (i = 0; i < UODP_ODP_HIST_BUCKETS; i++) {
		seen += hist[i];
		if (total && seen >= q * total)
			return i;
	}
	return UODP_ODP_HIST_BUCKETS - 1;
}

static int bench_service(unsigned long pages)
{
	struct uodp_query_counters_resp c0, c1;
	uint64_t hist[UODP_ODP_HIST_BUCKETS], faults, serviced;
	size_t len = pages * ODP_PAGE;
	uint8_t *dst = odp_fresh(len), *src;
	struct ibv_mr *dmr, *smr;
	struct bench b;
	unsigned long i;
	double t0, secs;
	int k;

	bench_open(&b);
	src = aligned_alloc(ODP_PAGE, ODP_PAGE);
	if (!src)
		odp_die("alloc", ENOMEM);
	odp_fill(src, ODP_PAGE, 1);
	smr = ibv_reg_mr(b.client.pd, src, ODP_PAGE, IBV_ACCESS_LOCAL_WRITE);
	dmr = odp_reg(&b.server, dst, len, ODP_ACCESS_ALL);
	if (!smr || !dmr)
		odp_die("ibv_reg_mr", errno);
	/* resident for the process, absent for the device: no population */
	memset(dst, 0, len);
	if (!odp_counters(&c0))
		return 1;
	t0 = odp_now();
	for (i = 0; i < pages; i++) {
		if (odp_post_send(b.cqp, i, IBV_WR_RDMA_WRITE, src, ODP_PAGE,
				  smr->lkey, (uintptr_t)dst + i * ODP_PAGE,
				  dmr->rkey) || !wait_one(&b, false))
			return 1;
	}
	secs = odp_now() - t0;
	/* the engine updates its counters just after each resume */
	usleep(100000);
	if (!odp_counters(&c1))
		return 1;
	for (k = 0; k < UODP_ODP_HIST_BUCKETS; k++)
		hist[k] = c1.engine.service_hist[k] - c0.engine.service_hist[k];
	faults = odp_faults_raised(&c1.dev) - odp_faults_raised(&c0.dev);
	serviced = c1.engine.faults_serviced - c0.engine.faults_serviced;
	printf("RESULT mode=service pages=%lu faults=%llu serviced=%llu "
	       "failed=%llu median_ns=%.0f p99_ns=%.0f median_bucket_ns=%llu "
	       "p99_bucket_ns=%llu mean_ns=%.0f write_us=%.2f\n", pages,
	       (unsigned long long)faults, (unsigned long long)serviced,
	       (unsigned long long)(c1.engine.faults_failed -
				    c0.engine.faults_failed),
	       hist_quantile(hist, 0.5), hist_quantile(hist, 0.99),
	       1ull << (bucket_of(hist, 0.5) + 8),
	       1ull << (bucket_of(hist, 0.99) + 8),
	       serviced ? (double)(c1.engine.service_ns_total -
				   c0.engine.service_ns_total) / serviced : 0,
	       secs * 1e6 / pages);
	printf("HIST");
	for (k = 0; k < UODP_ODP_HIST_BUCKETS; k++)
		printf(" <%lluns:%llu", 1ull << (k + 8),
		       (unsigned long long)hist[k]);
	printf("\n");
	ibv_dereg_mr(smr);
	ibv_dereg_mr(dmr);
	munmap(dst, len);
	free(src);
	bench_close(&b);
	return faults && serviced ? 0 : 1;
}

static bool verify_samples(const uint8_t *dst, const uint8_t *src,
			   size_t len)
{
	size_t off;

	for (off = 0; off < len; off += 4 * ODP_PAGE + 64)
		if (dst[off] != src[off % MSG])
			return false;
	return !memcmp(dst + len - MSG, src, MSG);
}

static int bench_write(bool odp, unsigned long mib)
{
	struct uodp_query_counters_resp c0, c1;
	size_t len = (size_t)mib << 20;
	unsigned long posted = 0, done = 0, n = mib;
	uint8_t *dst = odp_fresh(len), *src = odp_fresh(MSG);
	struct ibv_mr *dmr, *smr;
	const char *policy = getenv("UODP_ODP_POLICY");
	struct bench b;
	double t0, secs;
	uint64_t faults;
	bool ok;

	bench_open(&b);
	odp_fill(src, MSG, 3);
	smr = ibv_reg_mr(b.client.pd, src, MSG, IBV_ACCESS_LOCAL_WRITE);
	if (odp) {
		dmr = odp_reg(&b.server, dst, len, ODP_ACCESS_ALL);
	} else {
		memset(dst, 0, len);	/* prefaulted, then pinned */
		dmr = ibv_reg_mr(b.server.pd, dst, len, ODP_ACCESS_ALL);
	}
	if (!smr || !dmr)
		odp_die("ibv_reg_mr", errno);
	if (!odp_counters(&c0))
		return 1;
	t0 = odp_now();
	while (done < n) {
		while (posted < n && posted - done < WINDOW) {
			if (odp_post_send(b.cqp, posted, IBV_WR_RDMA_WRITE,
					  src, MSG, smr->lkey,
					  (uintptr_t)dst + posted * MSG,
					  dmr->rkey))
				odp_die("ibv_post_send", errno);
			posted++;
		}
		if (!wait_one(&b, true))
			return 1;
		done++;
	}
	secs = odp_now() - t0;
	if (!odp_counters(&c1))
		return 1;
	faults = odp_faults_raised(&c1.dev) - odp_faults_raised(&c0.dev);
	ok = verify_samples(dst, src, len);
	printf("RESULT mode=write mem=%s policy=%s mib=%lu seconds=%.3f "
	       "gbytes_per_s=%.3f faults=%llu pages_mapped=%llu verified=%d\n",
	       odp ? "odp" : "pinned", odp ? (policy ? policy : "default") :
	       "-", mib, secs, len / secs / 1e9, (unsigned long long)faults,
	       (unsigned long long)(c1.dev.pages_mapped - c0.dev.pages_mapped),
	       ok);
	ibv_dereg_mr(smr);
	ibv_dereg_mr(dmr);
	munmap(dst, len);
	munmap(src, MSG);
	bench_close(&b);
	return ok ? 0 : 1;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/*
 * How fast this machine makes fresh anonymous memory present for writing
 * (MADV_POPULATE_WRITE over never-touched pages, 1 MiB at a time): the
 * work a first-touch write into ODP memory cannot avoid and a pinned,
 * prefaulted buffer has already paid.  It bounds lookahead/pinned.
 */
static int bench_populate(size_t mib)
{
	size_t len = mib << 20, off;
	double t0, t1;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		odp_die("mmap", errno);
	t0 = odp_now();
	for (off = 0; off < len; off += MSG)
		if (madvise(p + off, MSG, MADV_POPULATE_WRITE))
			odp_die("madvise(MADV_POPULATE_WRITE)", errno);
	t1 = odp_now();
	printf("RESULT mode=populate mib=%zu gbytes_per_s=%.3f\n", mib,
	       (double)len / (t1 - t0) / 1e9);
	munmap(p, len);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int ret = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!getenv("UODP_SOCKET")) {
		fprintf(stderr, "odp_bench: run me inside uodp-run\n");
		return 2;
	}
	if (!strcmp(mode, "service"))
		ret = bench_service(argc > 2 ? strtoul(argv[2], NULL, 0) :
				    20000);
	else if (!strcmp(mode, "write") && argc > 2)
		ret = bench_write(!strcmp(argv[2], "odp"),
				  argc > 3 ? strtoul(argv[3], NULL, 0) : 1024);
	else if (!strcmp(mode, "populate"))
		ret = bench_populate(argc > 2 ? strtoul(argv[2], NULL, 0) :
				     1024);
	else
		fprintf(stderr, "usage: %s service [PAGES] | "
			"write odp|pinned [MiB] | populate [MiB]\n", argv[0]);
	odp_counters_close();
	return ret;
}
