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
 *   odp_bench write odp|pinned|overlap [MiB [4k|thp]]
 *	First-touch RDMA WRITE of MiB (default 1024) in 1 MiB messages into
 *	fresh memory: an ODP MR over never-touched memory, or a pinned MR
 *	over prefaulted memory.  The prefetch policy is whatever
 *	UODP_ODP_POLICY says (the script runs lookahead and exact).  The
 *	target is backed by 4 KiB pages (4k, the default: MADV_NOHUGEPAGE,
 *	whatever the system's THP setting) or asks for transparent huge
 *	pages (thp: MADV_HUGEPAGE); huge_mib says how much THP it got.
 *
 *   odp_bench write overlap [MiB [4k|thp]]
 *	The pinned run while this thread populates as much fresh memory of
 *	the same kind in the same process, as the fault engine would: the
 *	write's and the population's bandwidth when they overlap, without
 *	faults and into different memory (an ODP first-touch write also
 *	writes the very pages just populated).
 *
 *   odp_bench populate [MiB [4k|thp]]
 *	How fast MADV_POPULATE_WRITE makes such fresh memory present.
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
#define HUGE (2ul << 20)

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/*
 * Fresh anonymous memory, 2 MiB aligned so that with thp every part of it
 * can be a huge page, and without it explicitly none is.
 */
static uint8_t *bench_fresh(size_t len, bool thp)
{
	uint8_t *p = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t head;

	if (p == MAP_FAILED)
		test_die("mmap", errno);
	head = (HUGE - (uintptr_t)p % HUGE) % HUGE;
	if (head)
		munmap(p, head);
	munmap(p + head + len, HUGE - head);
	p += head;
	if (madvise(p, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		test_die(thp ? "madvise(MADV_HUGEPAGE)" :
			      "madvise(MADV_NOHUGEPAGE)", errno);
	return p;
}

/*
 * Touch and free len of fresh memory right before a timed run.  A virtual
 * machine's balloon reports free guest memory back to the host a couple of
 * seconds after it is freed (free page reporting, order-9 blocks), and the
 * next touch of a reported page costs a host fault on top of the guest's
 * page population (measured here: 0.4 GB/s instead of 4-8).  Memory freed
 * just now is reused before it is reported, so the run that follows pays
 * what a real machine pays.  Every run, ODP or pinned, warms up alike.
 */
static void bench_warm(size_t len, bool thp)
{
	uint8_t *p = bench_fresh(len, thp);

	if (madvise(p, len, MADV_POPULATE_WRITE))
		test_die("madvise(MADV_POPULATE_WRITE)", errno);
	munmap(p, len);
}

/* MiB of this process's anonymous memory in transparent huge pages. */
static unsigned long anon_huge_mib(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	unsigned long kib = 0;
	char line[256];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return kib >> 10;
}

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
		test_die("connect", errno);
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
	double end = test_now() + DEADLINE_MS / 1000.0;
	int ret;

	while (!(ret = ibv_poll_cq(cq, 1, wc)) && test_now() < end)
		nanosleep(&nap, NULL);
	return ret;
}

static bool wc_ok(const struct ibv_wc *wc)
{
	if (wc->status == IBV_WC_SUCCESS)
		return true;
	fprintf(stderr, "odp_bench: completion %s\n",
		ibv_wc_status_str(wc->status));
	return false;
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
	return wc_ok(&wc);
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
		test_die("alloc", ENOMEM);
	odp_fill(src, ODP_PAGE, 1);
	smr = ibv_reg_mr(b.client.pd, src, ODP_PAGE, IBV_ACCESS_LOCAL_WRITE);
	dmr = odp_reg(&b.server, dst, len, ODP_ACCESS_ALL);
	if (!smr || !dmr)
		test_die("ibv_reg_mr", errno);
	/* resident for the process, absent for the device: no population */
	memset(dst, 0, len);
	if (!odp_counters(&c0))
		return 1;
	t0 = test_now();
	for (i = 0; i < pages; i++) {
		if (odp_post_send(b.cqp, i, IBV_WR_RDMA_WRITE, src, ODP_PAGE,
				  smr->lkey, (uintptr_t)dst + i * ODP_PAGE,
				  dmr->rkey) || !wait_one(&b, false))
			return 1;
	}
	secs = test_now() - t0;
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

/*
 * The overlap run's second half: while the device copies into pinned
 * memory, this thread populates as much fresh memory in the same process,
 * a chunk between CQ polls, as the fault engine does during an ODP run.
 */
struct populating {
	uint8_t *p;
	size_t len, off;
	double t0, secs;
};

static void populate_chunk(struct populating *pop)
{
	if (madvise(pop->p + pop->off, MSG, MADV_POPULATE_WRITE))
		test_die("madvise(MADV_POPULATE_WRITE)", errno);
	pop->off += MSG;
	if (pop->off == pop->len)
		pop->secs = test_now() - pop->t0;
}

/* The completions there are, without waiting: how many, or -1. */
static int poll_all(struct bench *b)
{
	struct ibv_wc wc[WINDOW];
	int got = ibv_poll_cq(b->client.cq, WINDOW, wc), i;

	for (i = 0; i < got; i++)
		if (!wc_ok(&wc[i]))
			return -1;
	return got < 0 ? -1 : got;
}

enum write_target { TARGET_ODP, TARGET_PINNED, TARGET_OVERLAP };

static int bench_write(enum write_target target, unsigned long mib, bool thp)
{
	struct uodp_query_counters_resp c0, c1;
	size_t len = (size_t)mib << 20;
	unsigned long posted = 0, done = 0, n = mib, huge_mib;
	uint8_t *dst, *src = odp_fresh(MSG);
	struct populating pop = { .len = len };
	bool odp = target == TARGET_ODP, ok;
	struct ibv_mr *dmr, *smr;
	const char *policy = getenv("UODP_ODP_POLICY");
	struct bench b;
	double t0, secs;
	uint64_t faults;
	int got;

	bench_open(&b);
	bench_warm(target == TARGET_OVERLAP ? 2 * len : len, thp);
	dst = bench_fresh(len, thp);
	odp_fill(src, MSG, 3);
	smr = ibv_reg_mr(b.client.pd, src, MSG, IBV_ACCESS_LOCAL_WRITE);
	if (odp) {
		dmr = odp_reg(&b.server, dst, len, ODP_ACCESS_ALL);
	} else {
		memset(dst, 0, len);	/* prefaulted, then pinned */
		dmr = ibv_reg_mr(b.server.pd, dst, len, ODP_ACCESS_ALL);
	}
	if (!smr || !dmr)
		test_die("ibv_reg_mr", errno);
	if (target == TARGET_OVERLAP)
		pop.p = bench_fresh(len, thp);
	if (!odp_counters(&c0))
		return 1;
	t0 = pop.t0 = test_now();
	while (done < n) {
		while (posted < n && posted - done < WINDOW) {
			if (odp_post_send(b.cqp, posted, IBV_WR_RDMA_WRITE,
					  src, MSG, smr->lkey,
					  (uintptr_t)dst + posted * MSG,
					  dmr->rkey))
				test_die("ibv_post_send", errno);
			posted++;
		}
		if (pop.p && pop.off < len) {
			populate_chunk(&pop);
			got = poll_all(&b);
			if (got < 0)
				return 1;
			done += got;
			continue;
		}
		if (!wait_one(&b, true))
			return 1;
		done++;
	}
	secs = test_now() - t0;
	while (pop.p && pop.off < len)
		populate_chunk(&pop);
	if (!odp_counters(&c1))
		return 1;
	huge_mib = anon_huge_mib();
	faults = odp_faults_raised(&c1.dev) - odp_faults_raised(&c0.dev);
	ok = verify_samples(dst, src, len);
	printf("RESULT mode=write mem=%s pages=%s huge_mib=%lu policy=%s "
	       "mib=%lu seconds=%.3f gbytes_per_s=%.3f faults=%llu "
	       "pages_mapped=%llu verified=%d populate_gbytes_per_s=%.3f\n",
	       odp ? "odp" : pop.p ? "overlap" : "pinned", thp ? "thp" : "4k",
	       huge_mib, odp ? (policy ? policy : "default") : "-", mib, secs,
	       len / secs / 1e9, (unsigned long long)faults,
	       (unsigned long long)(c1.dev.pages_mapped - c0.dev.pages_mapped),
	       ok, pop.p ? len / pop.secs / 1e9 : 0.0);
	ibv_dereg_mr(smr);
	ibv_dereg_mr(dmr);
	munmap(dst, len);
	if (pop.p)
		munmap(pop.p, len);
	munmap(src, MSG);
	bench_close(&b);
	return ok ? 0 : 1;
}

/*
 * How fast this machine makes fresh anonymous memory present for writing
 * (MADV_POPULATE_WRITE over never-touched pages, 1 MiB at a time): the
 * work a first-touch write into ODP memory cannot avoid and a pinned,
 * prefaulted buffer has already paid.
 */
static int bench_populate(size_t mib, bool thp)
{
	size_t len = mib << 20, off;
	double t0, t1;
	uint8_t *p;

	bench_warm(len, thp);
	p = bench_fresh(len, thp);
	t0 = test_now();
	for (off = 0; off < len; off += MSG)
		if (madvise(p + off, MSG, MADV_POPULATE_WRITE))
			test_die("madvise(MADV_POPULATE_WRITE)", errno);
	t1 = test_now();
	printf("RESULT mode=populate pages=%s huge_mib=%lu mib=%zu "
	       "gbytes_per_s=%.3f\n", thp ? "thp" : "4k", anon_huge_mib(),
	       mib, (double)len / (t1 - t0) / 1e9);
	munmap(p, len);
	return 0;
}

/* The optional page kind argument: 4k (default) or thp. */
static bool arg_thp(int argc, char **argv, int i)
{
	if (argc <= i || !strcmp(argv[i], "4k"))
		return false;
	if (strcmp(argv[i], "thp")) {
		fprintf(stderr, "odp_bench: page kind %s is not 4k or thp\n",
			argv[i]);
		exit(2);
	}
	return true;
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
		ret = bench_write(!strcmp(argv[2], "odp") ? TARGET_ODP :
				  !strcmp(argv[2], "overlap") ? TARGET_OVERLAP :
								TARGET_PINNED,
				  argc > 3 ? strtoul(argv[3], NULL, 0) : 1024,
				  arg_thp(argc, argv, 4));
	else if (!strcmp(mode, "populate"))
		ret = bench_populate(argc > 2 ? strtoul(argv[2], NULL, 0) :
				     1024, arg_thp(argc, argv, 3));
	else
		fprintf(stderr, "usage: %s service [PAGES] | "
			"write odp|pinned|overlap [MiB [4k|thp]] | "
			"populate [MiB [4k|thp]]\n", argv[0]);
	odp_counters_close();
	return ret;
}
