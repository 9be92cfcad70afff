// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The control path's cost per verb on uodp0 (run inside uodp-run): median
 * microseconds of create+destroy RC QP, reg+dereg MR of 4 KiB, and
 * RESET -> INIT -> RTR -> RTS of an RC QP (three modify_qp), over 9 runs
 * of ITERATIONS each.  A plain verbs program: the same binary measures any
 * uodp-run (tests/bench/verbs_cost.sh runs it under two, in one run).
 *
 * usage: verbs_cost [ITERATIONS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <infiniband/verbs.h>

#include "lib/verbs.h"

#define RUNS 9

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void die(const char *what)
{
	fprintf(stderr, "verbs_cost: %s: %s\n", what, strerror(errno));
	exit(1);
}

struct env {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	void *buf;
	union ibv_gid gid;
	int gid_index;
};

static struct ibv_qp *new_qp(struct env *e)
{
	struct ibv_qp_init_attr init = {
		.send_cq = e->cq,
		.recv_cq = e->cq,
		.cap = { .max_send_wr = 16, .max_recv_wr = 16,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.qp_type = IBV_QPT_RC,
	};
	struct ibv_qp *qp = ibv_create_qp(e->pd, &init);

	if (!qp)
		die("ibv_create_qp");
	return qp;
}

static void op_qp(struct env *e)
{
	if (ibv_destroy_qp(new_qp(e)))
		die("ibv_destroy_qp");
}

static void op_mr(struct env *e)
{
	struct ibv_mr *mr = ibv_reg_mr(e->pd, e->buf, 4096,
				       IBV_ACCESS_LOCAL_WRITE);

	if (!mr || ibv_dereg_mr(mr))
		die("ibv_reg_mr/ibv_dereg_mr");
}

/* To RTS against itself; the QP is made outside the timed part. */
static void to_rts(struct env *e, struct ibv_qp *qp)
{
	errno = test_rc_connect(qp, qp->qp_num, &e->gid, e->gid_index,
				IBV_ACCESS_REMOTE_WRITE, 14, 7);
	if (errno)
		die("modify_qp to RTS");
}

static double median_rts(struct env *e, long iters)
{
	double runs[RUNS], t, total;
	struct ibv_qp *qp;
	long i;
	int r;

	for (r = 0; r < RUNS; r++) {
		total = 0;
		for (i = 0; i < iters; i++) {
			qp = new_qp(e);
			t = now_us();
			to_rts(e, qp);
			total += now_us() - t;
			ibv_destroy_qp(qp);
		}
		runs[r] = total / iters;
	}
	qsort(runs, RUNS, sizeof(runs[0]), cmp_double);
	return runs[RUNS / 2];
}

static double median(struct env *e, void (*op)(struct env *), long iters)
{
	double runs[RUNS], t;
	long i;
	int r;

	for (r = 0; r < RUNS; r++) {
		t = now_us();
		for (i = 0; i < iters; i++)
			op(e);
		runs[r] = (now_us() - t) / iters;
	}
	qsort(runs, RUNS, sizeof(runs[0]), cmp_double);
	return runs[RUNS / 2];
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 200;
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct env e;

	if (!list || !list[0] || iters <= 0)
		die("no device");
	e.ctx = ibv_open_device(list[0]);
	if (!e.ctx)
		die("ibv_open_device");
	e.pd = ibv_alloc_pd(e.ctx);
	e.cq = ibv_create_cq(e.ctx, 64, NULL, NULL, 0);
	e.buf = aligned_alloc(4096, 4096);
	if (!e.pd || !e.cq || !e.buf)
		die("setup");
	memset(e.buf, 0, 4096);
	e.gid_index = test_roce_v2_gid(e.ctx, ibv_get_device_name(list[0]),
				       &e.gid);
	if (e.gid_index < 0) {
		errno = -e.gid_index;
		die("no RoCE v2 GID on port 1");
	}
	printf("create_destroy_qp %.1f\n", median(&e, op_qp, iters));
	printf("reg_dereg_mr_4k %.1f\n", median(&e, op_mr, iters));
	printf("modify_qp_to_rts %.1f\n", median_rts(&e, iters / 2));
	ibv_destroy_cq(e.cq);
	ibv_dealloc_pd(e.pd);
	ibv_close_device(e.ctx);
	ibv_free_device_list(list);
	free(e.buf);
	return 0;
}
