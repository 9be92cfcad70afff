// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The MMU notifier's cost (issue 10), run inside uodp-run by
 * tests/bench/mmu_bench.sh: what the program's own memory calls cost on
 * memory under an explicit ODP MR (whose span the device registered on
 * the userfaultfd) against the same calls on memory no MR covers, in one
 * run, interleaved:
 *
 *   first touch   writing every page of fresh memory (no fault of the
 *                 program's may be trapped: the ratio should be 1)
 *   dontneed 4K   MADV_DONTNEED of one page present on the device: a
 *                 REMOVE event the device reads before the call returns
 *   dontneed 2M   the same over 2 MiB (512 pages zapped per event)
 *   munmap 4K     munmap of one page: an UNMAP event
 *   index         dontneed 4K again with 1000 more ODP MRs elsewhere in
 *                 the context: the cost is in the MRs hit (ratio 1)
 *   churn         an allocator dropping and rewriting memory under RDMA
 *                 WRITE traffic (tests/odp/churn.h): bandwidth, faults,
 *                 invalidations, bytes verified
 *
 * Prints ns per call both ways, the ratio, invalidations per second and
 * the pages the device zapped (its counters).  Not a pass/fail test.
 *
 * usage: mmu_bench [REPS]      (3)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "churn.h"
#include "odp_common.h"

#define PAGE 4096ul
#define TOUCH_BYTES (256ul << 20)	/* within the registration snapshot */
#define SMALL_PAGES 8192ul		/* 32 MiB of single-page calls */
#define HUGE_BYTES (2ul << 20)

enum op { OP_TOUCH, OP_DONTNEED_4K, OP_DONTNEED_2M, OP_MUNMAP_4K, OP_NR };

static const char *const op_names[OP_NR] = {
	"first touch (per page)", "MADV_DONTNEED 4 KiB", "MADV_DONTNEED 2 MiB",
	"munmap 4 KiB",
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static size_t op_bytes(enum op op)
{
	return op == OP_TOUCH || op == OP_DONTNEED_2M ? TOUCH_BYTES :
						       SMALL_PAGES * PAGE;
}

static size_t op_calls(enum op op)
{
	switch (op) {
	case OP_TOUCH:
		return TOUCH_BYTES / PAGE;
	case OP_DONTNEED_2M:
		return TOUCH_BYTES / HUGE_BYTES;
	default:
		return SMALL_PAGES;
	}
}

/* The calls of op over buf: ns per call. */
static double run_calls(enum op op, uint8_t *buf)
{
	size_t i, n = op_calls(op);
	double t0 = now_ns();

	for (i = 0; i < n; i++) {
		switch (op) {
		case OP_TOUCH:
			buf[i * PAGE] = 1;
			break;
		case OP_DONTNEED_4K:
			madvise(buf + i * PAGE, PAGE, MADV_DONTNEED);
			break;
		case OP_DONTNEED_2M:
			madvise(buf + i * HUGE_BYTES, HUGE_BYTES,
				MADV_DONTNEED);
			break;
		case OP_MUNMAP_4K:
			munmap(buf + i * PAGE, PAGE);
			break;
		default:
			break;
		}
	}
	return (now_ns() - t0) / (double)n;
}

/*
 * One measurement: fresh memory, populated (but for the first-touch
 * run), under an ODP MR or not, then op's calls.  *zapped: pages the
 * device invalidated meanwhile.
 */
static double measure(struct odp_side *s, enum op op, bool registered,
		      uint64_t *zapped)
{
	size_t len = op_bytes(op);
	uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct uodp_query_counters_resp c0, c1;
	struct ibv_mr *mr = NULL;
	double ns;

	if (buf == MAP_FAILED)
		test_die("mmap", errno);
	madvise(buf, len, MADV_NOHUGEPAGE);	/* 4 KiB pages, both ways */
	if (op != OP_TOUCH)
		memset(buf, 0x5a, len);	/* present: the snapshot sees it */
	if (registered) {
		mr = odp_reg(s, buf, len, ODP_ACCESS_ALL);
		if (!mr)
			test_die("ODP ibv_reg_mr", errno);
	}
	odp_counters(&c0);
	ns = run_calls(op, buf);
	odp_counters(&c1);
	*zapped = c1.dev.invalidations - c0.dev.invalidations;
	if (mr)
		ibv_dereg_mr(mr);
	munmap(buf, len);
	return ns;
}

/* ODP MRs over other memory of the same context, one page each. */
#define BYSTANDERS 1000

struct bystanders {
	uint8_t *mem;
	struct ibv_mr *mr[BYSTANDERS];
};

static void bystanders_reg(struct odp_side *s, struct bystanders *b)
{
	size_t i;

	b->mem = mmap(NULL, BYSTANDERS * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->mem == MAP_FAILED)
		test_die("mmap", errno);
	for (i = 0; i < BYSTANDERS; i++) {
		b->mr[i] = odp_reg(s, b->mem + i * PAGE, PAGE,
				   ODP_ACCESS_ALL);
		if (!b->mr[i])
			test_die("ODP ibv_reg_mr", errno);
	}
}

static void bystanders_dereg(struct bystanders *b)
{
	size_t i;

	for (i = 0; i < BYSTANDERS; i++)
		ibv_dereg_mr(b->mr[i]);
	munmap(b->mem, BYSTANDERS * PAGE);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * An invalidation costs the MRs it hits, not the MRs there are: the
 * DONTNEED 4 KiB row again, with BYSTANDERS more ODP MRs of the context
 * elsewhere, against without them.
 */
static void index_figures(struct odp_side *s, int reps)
{
	static struct bystanders b;
	double with[16], without[16];
	uint64_t z;
	int r;

	for (r = 0; r < reps; r++) {
		bystanders_reg(s, &b);
		with[r] = measure(s, OP_DONTNEED_4K, true, &z);
		bystanders_dereg(&b);
		without[r] = measure(s, OP_DONTNEED_4K, true, &z);
	}
	qsort(with, reps, sizeof(with[0]), cmp_double);
	qsort(without, reps, sizeof(without[0]), cmp_double);
	printf("\nMADV_DONTNEED 4 KiB under an ODP MR, with %d other ODP MRs "
	       "of the context elsewhere: %.0f ns, without: %.0f ns, ratio "
	       "%.2f\n", BYSTANDERS, with[reps / 2], without[reps / 2],
	       with[reps / 2] / without[reps / 2]);
}

static void churn_figures(bool implicit)
{
	struct odp_churn_result r;
	int err = odp_churn(500, 1, implicit, &r);

	if (err) {
		printf("churn: could not run: %s\n", strerror(err));
		return;
	}
	printf("\nchurn (%s ODP MR): %llu rounds of a 1 MiB RDMA WRITE while "
	       "256 KiB elsewhere is dropped and rewritten\n",
	       implicit ? "implicit" : "explicit",
	       (unsigned long long)r.rounds);
	printf("  %.2f GB/s written, %llu faults, %llu events, %llu pages "
	       "invalidated, %llu bytes verified, %llu wrong, %llu errors\n",
	       r.bytes_written / r.seconds / 1e9,
	       (unsigned long long)r.faults,
	       (unsigned long long)r.mmu_events,
	       (unsigned long long)r.invalidations,
	       (unsigned long long)r.bytes_verified,
	       (unsigned long long)r.bytes_wrong,
	       (unsigned long long)r.errors);
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 3, r;
	struct odp_side s;
	double on[16], off[16];
	uint64_t zapped = 0, z;
	enum op op;

	if (reps < 1 || reps > 16)
		reps = 3;
	setvbuf(stdout, NULL, _IOLBF, 0);
	odp_side_open(&s, 16);
	printf("%-24s %12s %12s %7s %12s %10s\n", "call", "ns (MR)",
	       "ns (no MR)", "ratio", "events/s", "zapped");
	for (op = 0; op < OP_NR; op++) {
		for (r = 0; r < reps; r++) {
			on[r] = measure(&s, op, true, &z);
			zapped = z;
			off[r] = measure(&s, op, false, &z);
		}
		qsort(on, reps, sizeof(on[0]), cmp_double);
		qsort(off, reps, sizeof(off[0]), cmp_double);
		printf("%-24s %12.0f %12.0f %7.2f %12.0f %10llu\n",
		       op_names[op], on[reps / 2], off[reps / 2],
		       on[reps / 2] / off[reps / 2],
		       op == OP_TOUCH ? 0 : 1e9 / on[reps / 2],
		       (unsigned long long)zapped);
	}
	index_figures(&s, reps);
	odp_side_close(&s);
	churn_figures(false);
	churn_figures(true);
	odp_counters_close();
	return 0;
}
