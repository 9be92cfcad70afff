// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * ODP stress and fault tests (run inside uodp-run), through the real
 * provider and its fault engine:
 *
 *   odp_stress concurrent  2 processes x 8 RC QP pairs, every QP faulting
 *                          at once on fresh ODP MRs (RDMA write, send,
 *                          RDMA read), every byte verified
 *   odp_stress munmap      an ODP buffer unmapped under traffic: error
 *                          completions, no crash, the device invalidates,
 *                          other QPs and new clients keep working
 *   odp_stress dereg       ibv_dereg_mr while faults on that MR are in
 *                          flight: every WR completes (either way), no hang
 *   odp_stress kill9       a client stopped in the middle of faults, then
 *                          SIGKILLed: its pending faults are resumed with
 *                          error, the daemon and the other client are fine
 *   odp_stress notifier    MADV_DONTNEED of part of a present ODP MR: the
 *                          device invalidates exactly those pages at once
 *                          (the userfaultfd notifier), the next write
 *                          refaults and lands in the new memory; so
 *                          after munmap and mmap at the same address,
 *                          whose new VMA is then on the notifier; a fork
 *                          child's madvise and munmap neither block nor
 *                          touch the parent's MRs.  With UODP_ODP_UFFD=0
 *                          (no notifier) nothing is invalidated: reading
 *                          DONTNEED'd memory gives zeroes, not EFAULT
 *   odp_stress churn       RDMA WRITEs into an ODP MR while the program
 *                          drops (MADV_DONTNEED) and rewrites other parts
 *                          of it: every byte written and rewritten is
 *                          where it belongs (tests/odp/churn.h)
 *   odp_stress churn_implicit  the same in one implicit ODP MR: the VMAs
 *                          MAP makes present go on the notifier
 *
 * Exit status 0 when every check passed; each check is printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "churn.h"
#include "odp_common.h"
#include "tests/lib/child.h"

#define DEADLINE_MS 20000

/* ------------------------------------------------------------------ */
/* A loopback pair on one side, and one verified round on it.          */

struct pair {
	struct odp_side *s;
	struct ibv_qp *a, *b;
};

static void pair_open(struct pair *p, struct odp_side *s)
{
	p->s = s;
	p->a = odp_rc_qp(s, 64);
	p->b = odp_rc_qp(s, 64);
	if (odp_rc_connect(s, p->a, p->b->qp_num, 14, 7) ||
	    odp_rc_connect(s, p->b, p->a->qp_num, 14, 7))
		test_die("connect loopback pair", errno);
}

static void pair_close(struct pair *p)
{
	ibv_destroy_qp(p->a);
	ibv_destroy_qp(p->b);
}

/*
 * An RDMA write and a send between fresh ODP buffers of one side: every
 * buffer faults.  True when both arrived intact.
 */
static bool odp_round(struct pair *p, unsigned int seed)
{
	const size_t len = 5 * ODP_PAGE + 123;
	uint8_t *src = odp_fresh(len), *dst = odp_fresh(len);
	struct ibv_mr *smr = odp_reg(p->s, src, len, ODP_ACCESS_ALL);
	struct ibv_mr *dmr = odp_reg(p->s, dst, len, ODP_ACCESS_ALL);
	struct ibv_wc wc[3];
	bool ok = false;
	int n, i;

	if (!smr || !dmr)
		goto out;
	odp_fill(src, len, seed);
	if (odp_post_recv(p->b, 1, dst + len / 2, len - len / 2, dmr->lkey) ||
	    odp_post_send(p->a, 2, IBV_WR_RDMA_WRITE, src, len / 2, smr->lkey,
			  (uintptr_t)dst, dmr->rkey) ||
	    odp_post_send(p->a, 3, IBV_WR_SEND, src + len / 2, len - len / 2,
			  smr->lkey, 0, 0))
		goto out;
	n = odp_poll(p->s->cq, wc, 3, DEADLINE_MS);
	ok = n == 3;
	for (i = 0; i < n; i++)
		ok = ok && wc[i].status == IBV_WC_SUCCESS;
	ok = ok && !memcmp(src, dst, len);
out:
	if (smr)
		ibv_dereg_mr(smr);
	if (dmr)
		ibv_dereg_mr(dmr);
	munmap(src, len);
	munmap(dst, len);
	return ok;
}

static int verified_rounds(struct pair *p, int rounds, unsigned int seed)
{
	int ok = 0, i;

	for (i = 0; i < rounds; i++)
		ok += odp_round(p, seed + i);
	return ok;
}

/* Faults raised and not resumed yet (by the owner or by its close). */
static uint64_t pending_faults(const struct uodp_odp_device_counters *d)
{
	return odp_faults_raised(d) - d->resumes - d->resumed_on_close;
}

/* Counters now, or a failed check. */
static bool snap(struct uodp_query_counters_resp *c)
{
	bool ok = odp_counters(c);

	test_check(ok, "the device's ODP counters can be read");
	return ok;
}

/* The daemon is alive: a new client opens and runs verified traffic. */
static void check_new_client(const char *when)
{
	struct odp_side s;
	struct pair p;

	odp_side_open(&s, 256);
	pair_open(&p, &s);
	test_check(verified_rounds(&p, 3, 77) == 3,
		  "a new client runs verified ODP traffic %s", when);
	pair_close(&p);
	odp_side_close(&s);
}

/* ------------------------------------------------------------------ */
/* concurrent                                                          */

#define CONC_PROCS 2
#define CONC_QPS 8
#define CONC_ROUNDS 10
#define CONC_WRITE (256 * 1024)
#define CONC_SEND (16 * 1024 + 77)
#define CONC_READ (12 * 1024 + 5)

struct conc_bufs {
	uint8_t *src, *dst, *rbuf, *rdst;
	struct ibv_mr *src_mr, *dst_mr, *rbuf_mr, *rdst_mr;
};

static void conc_alloc(struct conc_bufs *b, struct odp_side *a,
		       struct odp_side *z, unsigned int seed)
{
	b->src = odp_fresh(CONC_WRITE + CONC_SEND);
	b->dst = odp_fresh(CONC_WRITE);
	b->rbuf = odp_fresh(CONC_SEND);
	b->rdst = odp_fresh(CONC_READ);
	b->src_mr = odp_reg(a, b->src, CONC_WRITE + CONC_SEND, ODP_ACCESS_ALL);
	b->rdst_mr = odp_reg(a, b->rdst, CONC_READ, ODP_ACCESS_ALL);
	b->dst_mr = odp_reg(z, b->dst, CONC_WRITE, ODP_ACCESS_ALL);
	b->rbuf_mr = odp_reg(z, b->rbuf, CONC_SEND, ODP_ACCESS_ALL);
	if (!b->src_mr || !b->rdst_mr || !b->dst_mr || !b->rbuf_mr)
		test_die("ODP ibv_reg_mr", errno);
	odp_fill(b->src, CONC_WRITE + CONC_SEND, seed);
}

static void conc_free(struct conc_bufs *b)
{
	ibv_dereg_mr(b->src_mr);
	ibv_dereg_mr(b->rdst_mr);
	ibv_dereg_mr(b->dst_mr);
	ibv_dereg_mr(b->rbuf_mr);
	munmap(b->src, CONC_WRITE + CONC_SEND);
	munmap(b->dst, CONC_WRITE);
	munmap(b->rbuf, CONC_SEND);
	munmap(b->rdst, CONC_READ);
}

static bool conc_post(struct ibv_qp *qa, struct ibv_qp *qz,
		      struct conc_bufs *b, int q)
{
	return !odp_post_recv(qz, q, b->rbuf, CONC_SEND, b->rbuf_mr->lkey) &&
	       !odp_post_send(qa, 100 + q, IBV_WR_RDMA_WRITE, b->src,
			      CONC_WRITE, b->src_mr->lkey, (uintptr_t)b->dst,
			      b->dst_mr->rkey) &&
	       !odp_post_send(qa, 200 + q, IBV_WR_SEND, b->src + CONC_WRITE,
			      CONC_SEND, b->src_mr->lkey, 0, 0) &&
	       !odp_post_send(qa, 300 + q, IBV_WR_RDMA_READ, b->rdst,
			      CONC_READ, b->rdst_mr->lkey,
			      (uintptr_t)b->dst + 1000, b->dst_mr->rkey);
}

static bool conc_verify(struct conc_bufs *b)
{
	return !memcmp(b->dst, b->src, CONC_WRITE) &&
	       !memcmp(b->rbuf, b->src + CONC_WRITE, CONC_SEND) &&
	       !memcmp(b->rdst, b->src + 1000, CONC_READ);
}

/* One worker process: CONC_QPS pairs between two contexts. */
static int conc_worker(int id)
{
	struct ibv_qp *qa[CONC_QPS], *qz[CONC_QPS];
	struct conc_bufs b[CONC_QPS];
	struct ibv_wc wc[4 * CONC_QPS];
	struct odp_side a, z;
	int round, q, i, na, nz, bad = 0, verified = 0;

	odp_side_open(&a, 1024);
	odp_side_open(&z, 1024);
	for (q = 0; q < CONC_QPS; q++) {
		qa[q] = odp_rc_qp(&a, 16);
		qz[q] = odp_rc_qp(&z, 16);
	}
	for (q = 0; q < CONC_QPS; q++)
		if (odp_rc_connect(&a, qa[q], qz[q]->qp_num, 14, 7) ||
		    odp_rc_connect(&z, qz[q], qa[q]->qp_num, 14, 7))
			test_die("connect", errno);
	for (round = 0; round < CONC_ROUNDS; round++) {
		for (q = 0; q < CONC_QPS; q++)
			conc_alloc(&b[q], &a, &z, id * 1000 + round * 10 + q);
		/* everything in flight at once: every QP faults */
		for (q = 0; q < CONC_QPS; q++)
			if (!conc_post(qa[q], qz[q], &b[q], q))
				bad++;
		na = odp_poll(a.cq, wc, 3 * CONC_QPS, DEADLINE_MS);
		for (i = 0; i < na; i++)
			bad += wc[i].status != IBV_WC_SUCCESS;
		nz = odp_poll(z.cq, wc, CONC_QPS, DEADLINE_MS);
		for (i = 0; i < nz; i++)
			bad += wc[i].status != IBV_WC_SUCCESS;
		bad += (3 * CONC_QPS - na) + (CONC_QPS - nz);
		for (q = 0; q < CONC_QPS; q++) {
			if (conc_verify(&b[q]))
				verified++;
			conc_free(&b[q]);
		}
	}
	for (q = 0; q < CONC_QPS; q++) {
		ibv_destroy_qp(qa[q]);
		ibv_destroy_qp(qz[q]);
	}
	odp_side_close(&a);
	odp_side_close(&z);
	printf("worker %d: %d/%d QP rounds verified, %d bad completions\n",
	       id, verified, CONC_ROUNDS * CONC_QPS, bad);
	return verified == CONC_ROUNDS * CONC_QPS && !bad ? 0 : 1;
}

static int test_concurrent(void)
{
	struct uodp_query_counters_resp c0, c1;
	pid_t pids[CONC_PROCS];
	int i, status, good = 0;
	uint64_t raised, minimum;
	double t0 = test_now();

	if (!snap(&c0))
		return 1;
	for (i = 0; i < CONC_PROCS; i++) {
		fflush(stdout);
		pids[i] = fork();
		if (pids[i] < 0)
			test_die("fork", errno);
		if (!pids[i]) {
			odp_counters_close();
			_exit(conc_worker(i));
		}
	}
	for (i = 0; i < CONC_PROCS; i++)
		if (waitpid(pids[i], &status, 0) == pids[i] &&
		    WIFEXITED(status) && !WEXITSTATUS(status))
			good++;
	test_check(good == CONC_PROCS, "%d/%d processes x %d QPs x %d rounds "
		  "verified (%.2f s)", good, CONC_PROCS, CONC_QPS, CONC_ROUNDS,
		  test_now() - t0);
	if (!snap(&c1))
		return 1;
	raised = odp_faults_raised(&c1.dev) - odp_faults_raised(&c0.dev);
	/* each QP round: write + send + read requester, recv, write, read */
	minimum = (uint64_t)CONC_PROCS * CONC_QPS * CONC_ROUNDS * 3;
	test_check(raised >= minimum, "%llu faults raised (at least %llu)",
		  (unsigned long long)raised, (unsigned long long)minimum);
	test_check(c1.dev.resumes - c0.dev.resumes == raised &&
		  !pending_faults(&c1.dev),
		  "every fault resumed (%llu resumes)",
		  (unsigned long long)(c1.dev.resumes - c0.dev.resumes));
	test_check(c1.dev.resumes_error == c0.dev.resumes_error &&
		  c1.dev.resumes_refused == c0.dev.resumes_refused,
		  "no resume with error, none refused");
	return 0;
}

/* ------------------------------------------------------------------ */
/* munmap                                                              */

#define MUNMAP_LEN (1 << 20)
#define MUNMAP_MSG (64 * 1024)

static void munmap_remote(struct odp_side *s)
{
	struct uodp_query_counters_resp c0, c1;
	uint8_t *src = odp_fresh(MUNMAP_LEN), *dst = odp_fresh(MUNMAP_LEN);
	struct ibv_mr *smr = odp_reg(s, src, MUNMAP_LEN, ODP_ACCESS_ALL);
	struct ibv_mr *dmr = odp_reg(s, dst, MUNMAP_LEN, ODP_ACCESS_ALL);
	struct ibv_wc wc[32];
	struct pair p;
	int i, n, errors = 0, total = MUNMAP_LEN / MUNMAP_MSG + 4;

	if (!smr || !dmr)
		test_die("ODP ibv_reg_mr", errno);
	pair_open(&p, s);
	odp_fill(src, MUNMAP_LEN, 5);
	/* first pass: the target becomes present on the device */
	odp_post_send(p.a, 1, IBV_WR_RDMA_WRITE, src, MUNMAP_LEN, smr->lkey,
		      (uintptr_t)dst, dmr->rkey);
	n = odp_poll(s->cq, wc, 1, DEADLINE_MS);
	test_check(n == 1 && wc[0].status == IBV_WC_SUCCESS &&
		  !memcmp(src, dst, MUNMAP_LEN),
		  "munmap: 1 MiB written into fresh ODP memory");
	snap(&c0);
	/* a window of writes, the target unmapped under it, then more */
	for (i = 0; i < MUNMAP_LEN / MUNMAP_MSG; i++)
		odp_post_send(p.a, 10 + i, IBV_WR_RDMA_WRITE,
			      src + i * MUNMAP_MSG, MUNMAP_MSG, smr->lkey,
			      (uintptr_t)dst + i * MUNMAP_MSG, dmr->rkey);
	munmap(dst, MUNMAP_LEN);
	for (i = 0; i < 4; i++)
		odp_post_send(p.a, 100 + i, IBV_WR_RDMA_WRITE, src, MUNMAP_MSG,
			      smr->lkey, (uintptr_t)dst, dmr->rkey);
	n = odp_poll(s->cq, wc, total, DEADLINE_MS);
	for (i = 0; i < n; i++)
		errors += wc[i].status != IBV_WC_SUCCESS;
	test_check(n == total, "munmap (remote): all %d writes completed "
		  "(%d), none hangs", total, n);
	test_check(errors >= 1 && wc[n - 1].status != IBV_WC_SUCCESS,
		  "munmap (remote): writes into the unmapped buffer complete "
		  "in error (%d errors, last %s)", errors,
		  n ? ibv_wc_status_str(wc[n - 1].status) : "none");
	if (snap(&c1))
		test_check(c1.dev.invalidations > c0.dev.invalidations,
			  "munmap (remote): the device invalidated the gone "
			  "pages (%llu pages)", (unsigned long long)
			  (c1.dev.invalidations - c0.dev.invalidations));
	pair_close(&p);
	ibv_dereg_mr(smr);
	ibv_dereg_mr(dmr);
	munmap(src, MUNMAP_LEN);
}

static void munmap_local(struct odp_side *s)
{
	uint8_t *src = odp_fresh(MUNMAP_LEN), *dst = odp_fresh(MUNMAP_LEN);
	struct ibv_mr *smr = odp_reg(s, src, MUNMAP_LEN, ODP_ACCESS_ALL);
	struct ibv_mr *dmr = odp_reg(s, dst, MUNMAP_LEN, ODP_ACCESS_ALL);
	struct ibv_wc wc[2];
	struct pair p;
	int n;

	if (!smr || !dmr)
		test_die("ODP ibv_reg_mr", errno);
	pair_open(&p, s);
	odp_fill(src, MUNMAP_LEN, 6);
	munmap(src, MUNMAP_LEN);	/* the source is gone before the send */
	odp_post_recv(p.b, 1, dst, MUNMAP_LEN, dmr->lkey);
	odp_post_send(p.a, 2, IBV_WR_SEND, src, MUNMAP_LEN, smr->lkey, 0, 0);
	n = odp_poll(s->cq, wc, 1, DEADLINE_MS);
	test_check(n == 1 && wc[0].wr_id == 2 &&
		  wc[0].status != IBV_WC_SUCCESS,
		  "munmap (local): a send from unmapped ODP memory completes "
		  "in error (%s)", n ? ibv_wc_status_str(wc[0].status) : "none");
	pair_close(&p);
	ibv_dereg_mr(smr);
	ibv_dereg_mr(dmr);
	munmap(dst, MUNMAP_LEN);
}

static int test_munmap(void)
{
	struct odp_side s, other;
	struct pair ctl;

	odp_side_open(&s, 256);
	odp_side_open(&other, 256);
	pair_open(&ctl, &other);
	munmap_remote(&s);
	munmap_local(&s);
	test_check(verified_rounds(&ctl, 5, 1) == 5,
		  "munmap: another client's ODP traffic is unaffected");
	pair_close(&ctl);
	odp_side_close(&other);
	odp_side_close(&s);
	check_new_client("after the munmaps");
	return 0;
}

/* ------------------------------------------------------------------ */
/* dereg                                                               */

#define DEREG_LEN (4 << 20)
#define DEREG_MSG (128 * 1024)

static int test_dereg(void)
{
	int nwr = DEREG_LEN / DEREG_MSG, i, n, ok, errs, cycle;
	struct ibv_wc wc[DEREG_LEN / DEREG_MSG];
	struct odp_side s;
	struct pair p;

	odp_side_open(&s, 256);
	for (cycle = 0; cycle < 3; cycle++) {
		uint8_t *src = odp_fresh(DEREG_LEN), *dst = odp_fresh(DEREG_LEN);
		struct ibv_mr *smr = odp_reg(&s, src, DEREG_LEN, ODP_ACCESS_ALL);
		struct ibv_mr *dmr = odp_reg(&s, dst, DEREG_LEN, ODP_ACCESS_ALL);
		int r1, r2;

		if (!smr || !dmr)
			test_die("ODP ibv_reg_mr", errno);
		pair_open(&p, &s);
		odp_fill(src, DEREG_LEN, cycle);
		for (i = 0; i < nwr; i++)
			odp_post_send(p.a, i, IBV_WR_RDMA_WRITE,
				      src + i * DEREG_MSG, DEREG_MSG,
				      smr->lkey, (uintptr_t)dst + i * DEREG_MSG,
				      dmr->rkey);
		/* cycle 0: the target, 1: the source, 2: both, in flight */
		r1 = r2 = 0;
		if (cycle != 1) {
			r1 = ibv_dereg_mr(dmr);
			dmr = NULL;
		}
		if (cycle != 0) {
			r2 = ibv_dereg_mr(smr);
			smr = NULL;
		}
		test_check(!r1 && !r2, "dereg cycle %d: ibv_dereg_mr with "
			  "faults in flight answers 0 (%d, %d)", cycle, r1, r2);
		n = odp_poll(s.cq, wc, nwr, DEADLINE_MS);
		ok = errs = 0;
		for (i = 0; i < n; i++) {
			ok += wc[i].status == IBV_WC_SUCCESS;
			errs += wc[i].status != IBV_WC_SUCCESS;
		}
		test_check(n == nwr, "dereg cycle %d: all %d WRs completed "
			  "(%d ok, %d in error), no hang", cycle, nwr, ok, errs);
		pair_close(&p);
		if (smr)
			ibv_dereg_mr(smr);
		if (dmr)
			ibv_dereg_mr(dmr);
		munmap(src, DEREG_LEN);
		munmap(dst, DEREG_LEN);
		pair_open(&p, &s);
		test_check(verified_rounds(&p, 3, cycle * 10) == 3,
			  "dereg cycle %d: the same context runs verified ODP "
			  "traffic afterwards", cycle);
		pair_close(&p);
	}
	odp_side_close(&s);
	check_new_client("after the deregs");
	return 0;
}

/* ------------------------------------------------------------------ */
/* kill9                                                               */

#define KILL_MSG (256 * 1024)
#define KILL_LEN (8 << 20)

/*
 * The victim: RDMA writes from fresh ODP memory of its own into the
 * parent's ODP MR, forever: both engines service faults all the time.
 */
static int kill9_child(void)
{
	unsigned long long raddr;
	unsigned int rkey, pqpn;
	struct odp_side s;
	struct ibv_qp *qp;
	struct ibv_wc wc[KILL_LEN / KILL_MSG];
	int i, seed = 0;

	uint8_t *victim = odp_fresh(KILL_MSG);
	struct ibv_mr *vmr;

	odp_side_open(&s, 256);
	qp = odp_rc_qp(&s, 64);
	/* never touched: a write into it faults, serviced by this process */
	vmr = odp_reg(&s, victim, KILL_MSG, ODP_ACCESS_ALL);
	if (!vmr)
		test_die("child reg victim", errno);
	printf("qpn %u rkey %x addr %llx\n", qp->qp_num, vmr->rkey,
	       (unsigned long long)(uintptr_t)victim);
	fflush(stdout);
	if (scanf("%u %x %llx", &pqpn, &rkey, &raddr) != 3)
		test_die("child: parent's QP and MR", EPROTO);
	if (odp_rc_connect(&s, qp, pqpn, 14, 7))
		test_die("child connect", errno);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		uint8_t *src = odp_fresh(KILL_LEN);
		struct ibv_mr *mr = odp_reg(&s, src, KILL_LEN, ODP_ACCESS_ALL);

		if (!mr)
			test_die("child reg", errno);
		odp_fill(src, KILL_LEN, seed++);
		for (i = 0; i < KILL_LEN / KILL_MSG; i++)
			odp_post_send(qp, i, IBV_WR_RDMA_WRITE,
				      src + i * KILL_MSG, KILL_MSG, mr->lkey,
				      raddr + (i % 8) * KILL_MSG, rkey);
		odp_poll(s.cq, wc, KILL_LEN / KILL_MSG, DEADLINE_MS);
		ibv_dereg_mr(mr);
		munmap(src, KILL_LEN);
	}
	return 0;
}

static void kill9_cycle(struct odp_side *s, struct pair *ctl, int cycle)
{
	struct uodp_query_counters_resp c0, c1, c2;
	uint8_t *target = odp_fresh(8 * KILL_MSG);
	struct ibv_mr *tmr = odp_reg(s, target, 8 * KILL_MSG, ODP_ACCESS_ALL);
	struct odp_side xs = *s;	/* the cross QP gets a CQ of its own */
	struct ibv_qp *cross;
	unsigned int child_qpn, child_rkey;
	unsigned long long child_addr;
	uint64_t outstanding = 0;
	FILE *from, *to;
	struct ibv_wc wc;
	char line[64];
	int status, n, tries;
	pid_t child;

	if (!tmr)
		test_die("ODP ibv_reg_mr", errno);
	xs.cq = ibv_create_cq(s->ctx, 64, NULL, NULL, 0);
	if (!xs.cq)
		test_die("ibv_create_cq", errno);
	cross = odp_rc_qp(&xs, 64);
	child = test_spawn_self("odp_stress", "kill9-child", &from, &to);
	if (child < 0)
		test_die("spawn", -child);
	if (!test_read_line(from, line, sizeof(line), DEADLINE_MS) ||
	    sscanf(line, "qpn %u rkey %x addr %llx", &child_qpn, &child_rkey,
		   &child_addr) != 3)
		test_die("child did not report its QPN", EPROTO);
	fprintf(to, "%u %x %llx\n", cross->qp_num, tmr->rkey,
		(unsigned long long)(uintptr_t)target);
	fflush(to);
	test_check(!odp_rc_connect(s, cross, child_qpn, 10, 2),
		  "kill9 cycle %d: connected to the child", cycle);
	test_check(test_read_line(from, line, sizeof(line), DEADLINE_MS) &&
		  !strncmp(line, "ready", 5),
		  "kill9 cycle %d: the child faults continuously", cycle);
	usleep(100000 + cycle * 50000);
	snap(&c0);
	/*
	 * Freeze the child (and its fault engine) in the middle of its
	 * traffic, then write into its never-touched ODP memory: that RDMA
	 * fault goes to the frozen child and stays pending.  It dies with it.
	 */
	kill(child, SIGSTOP);
	/* reported once every thread of it stopped, its engine included */
	test_check(waitpid(child, &status, WUNTRACED) == child &&
		  WIFSTOPPED(status), "kill9 cycle %d: the child is stopped",
		  cycle);
	odp_post_send(cross, 77, IBV_WR_RDMA_WRITE, target, KILL_MSG,
		      tmr->lkey, child_addr, child_rkey);
	for (tries = 0; tries < 100 && !outstanding; tries++) {
		usleep(20000);
		if (!snap(&c1))
			break;
		outstanding = pending_faults(&c1.dev);
	}
	test_check(outstanding > 0, "kill9 cycle %d: the child is killed with "
		  "%llu fault(s) pending", cycle,
		  (unsigned long long)outstanding);
	kill(child, SIGKILL);
	test_check(waitpid(child, &status, 0) == child && WIFSIGNALED(status) &&
		  WTERMSIG(status) == SIGKILL, "kill9 cycle %d: child died "
		  "by SIGKILL", cycle);
	fclose(from);
	fclose(to);
	test_check(verified_rounds(ctl, 10, cycle * 100) == 10,
		  "kill9 cycle %d: the other client's ODP traffic is verified",
		  cycle);
	if (snap(&c2)) {
		test_check(!pending_faults(&c2.dev),
			  "kill9 cycle %d: no fault left pending on the device "
			  "(raised %llu, resumed %llu + %llu on close)", cycle,
			  (unsigned long long)odp_faults_raised(&c2.dev),
			  (unsigned long long)c2.dev.resumes,
			  (unsigned long long)c2.dev.resumed_on_close);
		test_check(c2.dev.resumed_on_close - c0.dev.resumed_on_close >=
			  (outstanding ? 1 : 0),
			  "kill9 cycle %d: the dead client's pending faults "
			  "were resumed with error (%llu)", cycle,
			  (unsigned long long)(c2.dev.resumed_on_close -
					       c0.dev.resumed_on_close));
	}
	/* the write into the dead client fails, it does not hang */
	n = odp_poll(xs.cq, &wc, 1, DEADLINE_MS);
	test_check(n == 1 && wc.wr_id == 77 && wc.status != IBV_WC_SUCCESS,
		  "kill9 cycle %d: the write into the dead client fails (%s)",
		  cycle, n ? ibv_wc_status_str(wc.status) : "no completion");
	ibv_destroy_qp(cross);
	ibv_destroy_cq(xs.cq);
	ibv_dereg_mr(tmr);
	munmap(target, 8 * KILL_MSG);
}

static int test_kill9(void)
{
	struct odp_side s;
	struct pair ctl;
	int cycle;

	odp_side_open(&s, 256);
	pair_open(&ctl, &s);
	for (cycle = 1; cycle <= 3; cycle++)
		kill9_cycle(&s, &ctl, cycle);
	pair_close(&ctl);
	odp_side_close(&s);
	check_new_client("after the kills");
	return 0;
}

/* ------------------------------------------------------------------ */
/* notifier                                                            */

#define NOTIFY_LEN (1 << 20)
#define NOTIFY_HOLE (256 * 1024)
#define NOTIFY_HOLE_LEN (64 * 1024)

/* RDMA write all of src into dst: completed, and the bytes arrived. */
static bool write_all(struct pair *p, uint8_t *src, struct ibv_mr *smr,
		      uint8_t *dst, struct ibv_mr *dmr)
{
	struct ibv_wc wc;

	if (odp_post_send(p->a, 1, IBV_WR_RDMA_WRITE, src, NOTIFY_LEN,
			  smr->lkey, (uintptr_t)dst, dmr->rkey))
		return false;
	return odp_poll(p->s->cq, &wc, 1, DEADLINE_MS) == 1 &&
	       wc.status == IBV_WC_SUCCESS && !memcmp(src, dst, NOTIFY_LEN);
}

/* A child's madvise and munmap of its copy of dst: done, not blocked. */
static void notifier_fork(uint8_t *dst)
{
	struct uodp_query_counters_resp c0, c1;
	int status = -1, i;
	pid_t pid;

	snap(&c0);
	pid = fork();
	if (!pid) {
		alarm(10);
		_exit(madvise(dst, NOTIFY_LEN, MADV_DONTNEED) ||
		      munmap(dst, NOTIFY_LEN));
	}
	for (i = 0; i < 200 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	if (i == 200) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	test_check(WIFEXITED(status) && !WEXITSTATUS(status),
		   "notifier: a fork child's madvise and munmap of registered "
		   "memory return at once (status %#x)", status);
	if (snap(&c1))
		test_check(c1.dev.mmu_events == c0.dev.mmu_events &&
			   c1.dev.invalidations == c0.dev.invalidations,
			   "notifier: the child's calls invalidate nothing of "
			   "the parent's");
}

/*
 * munmap, then mmap at the same address: the device sees the new memory
 * only after a refault, the write lands in it, and the new VMA is on the
 * notifier again (a DONTNEED there is an event).
 */
static void notifier_replace(struct pair *p, uint8_t *src, struct ibv_mr *smr,
			     uint8_t *dst, struct ibv_mr *dmr)
{
	struct uodp_query_counters_resp c0, c1, c2, c3;
	uint64_t pages = NOTIFY_HOLE_LEN / ODP_PAGE;
	uint8_t *hole = dst + NOTIFY_HOLE, *again;

	snap(&c0);
	munmap(hole, NOTIFY_HOLE_LEN);
	again = mmap(hole, NOTIFY_HOLE_LEN, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	snap(&c1);
	test_check(again == hole && c1.dev.mmu_events == c0.dev.mmu_events + 1 &&
		   c1.dev.invalidations == c0.dev.invalidations + pages,
		   "notifier: munmap invalidates its %llu pages (%llu)",
		   (unsigned long long)pages, (unsigned long long)
		   (c1.dev.invalidations - c0.dev.invalidations));
	odp_fill(src, NOTIFY_LEN, 9);
	test_check(write_all(p, src, smr, dst, dmr),
		   "notifier: after munmap and mmap at the same address, a "
		   "1 MiB write lands in the new memory");
	snap(&c2);
	test_check(odp_faults_raised(&c2.dev) > odp_faults_raised(&c1.dev),
		   "notifier: that write refaulted (%llu faults)",
		   (unsigned long long)(odp_faults_raised(&c2.dev) -
					odp_faults_raised(&c1.dev)));
	madvise(hole, NOTIFY_HOLE_LEN, MADV_DONTNEED);
	snap(&c3);
	test_check(c3.dev.mmu_events == c2.dev.mmu_events + 1 &&
		   c3.dev.invalidations == c2.dev.invalidations + pages,
		   "notifier: the new mapping is on the notifier again (%llu "
		   "events, %llu pages)", (unsigned long long)
		   (c3.dev.mmu_events - c2.dev.mmu_events), (unsigned long long)
		   (c3.dev.invalidations - c2.dev.invalidations));
}

static int test_notifier(void)
{
	const char *env = getenv("UODP_ODP_UFFD");
	bool notifier = !env || strcmp(env, "0");
	struct uodp_query_counters_resp c0, c1, c2;
	uint8_t *src = odp_fresh(NOTIFY_LEN), *dst = odp_fresh(NOTIFY_LEN);
	struct ibv_mr *smr, *dmr;
	struct odp_side s;
	struct pair p;
	uint64_t pages = NOTIFY_HOLE_LEN / ODP_PAGE;

	odp_side_open(&s, 256);
	smr = odp_reg(&s, src, NOTIFY_LEN, ODP_ACCESS_ALL);
	dmr = odp_reg(&s, dst, NOTIFY_LEN, ODP_ACCESS_ALL);
	if (!smr || !dmr)
		test_die("ODP ibv_reg_mr", errno);
	pair_open(&p, &s);
	odp_fill(src, NOTIFY_LEN, 7);
	test_check(write_all(&p, src, smr, dst, dmr),
		   "notifier: 1 MiB written into fresh ODP memory");
	snap(&c0);
	madvise(dst + NOTIFY_HOLE, NOTIFY_HOLE_LEN, MADV_DONTNEED);
	snap(&c1);
	if (notifier)
		test_check(c1.dev.mmu_events == c0.dev.mmu_events + 1 &&
			   c1.dev.invalidations == c0.dev.invalidations + pages,
			   "notifier: MADV_DONTNEED of 64 KiB invalidates its "
			   "%llu pages before any access (%llu, %llu events)",
			   (unsigned long long)pages, (unsigned long long)
			   (c1.dev.invalidations - c0.dev.invalidations),
			   (unsigned long long)
			   (c1.dev.mmu_events - c0.dev.mmu_events));
	else
		test_check(c1.dev.mmu_events == 0 &&
			   c1.dev.invalidations == c0.dev.invalidations,
			   "notifier off: MADV_DONTNEED is not seen");
	odp_fill(src, NOTIFY_LEN, 8);
	test_check(write_all(&p, src, smr, dst, dmr),
		   "notifier: the next 1 MiB write lands in the new memory");
	if (snap(&c2))
		test_check((odp_faults_raised(&c2.dev) >
			    odp_faults_raised(&c1.dev)) == notifier,
			   "notifier: that write %s (%llu faults)",
			   notifier ? "refaulted" : "did not fault",
			   (unsigned long long)(odp_faults_raised(&c2.dev) -
						odp_faults_raised(&c1.dev)));
	if (notifier) {
		notifier_replace(&p, src, smr, dst, dmr);
		notifier_fork(dst);
	}
	pair_close(&p);
	ibv_dereg_mr(smr);
	ibv_dereg_mr(dmr);
	/* Deregistered: its range is off the notifier. */
	snap(&c0);
	madvise(dst, NOTIFY_LEN, MADV_DONTNEED);
	if (snap(&c1))
		test_check(c1.dev.mmu_events == c0.dev.mmu_events,
			   "notifier: after ibv_dereg_mr, madvise there raises "
			   "no event");
	munmap(src, NOTIFY_LEN);
	munmap(dst, NOTIFY_LEN);
	odp_side_close(&s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* churn                                                               */

static int test_churn(bool implicit)
{
	struct odp_churn_result r;
	int err = odp_churn(200, 11, implicit, &r);

	test_check(!err, "churn: the run set up (%s)", strerror(err));
	test_check(!r.errors && r.bytes_written == r.rounds << 20,
		   "churn: %llu of %llu 1 MiB writes completed",
		   (unsigned long long)(r.bytes_written >> 20),
		   (unsigned long long)r.rounds);
	test_check(!r.bytes_wrong && r.bytes_verified,
		   "churn: %llu bytes verified, none lost or misplaced (%llu)",
		   (unsigned long long)r.bytes_verified,
		   (unsigned long long)r.bytes_wrong);
	/*
	 * An implicit MR's VMA goes on the notifier with the first MAP in
	 * it, which the first round's drop may come before.
	 */
	test_check(r.mmu_events + implicit >= r.rounds && r.invalidations,
		   "churn: every drop was an event (%llu events, %llu pages "
		   "invalidated, %llu faults)",
		   (unsigned long long)r.mmu_events,
		   (unsigned long long)r.invalidations,
		   (unsigned long long)r.faults);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "kill9-child"))
		return kill9_child();
	if (!getenv("UODP_SOCKET")) {
		fprintf(stderr, "odp_stress: run me inside uodp-run\n");
		return 2;
	}
	if (!strcmp(mode, "concurrent"))
		test_concurrent();
	else if (!strcmp(mode, "munmap"))
		test_munmap();
	else if (!strcmp(mode, "dereg"))
		test_dereg();
	else if (!strcmp(mode, "kill9"))
		test_kill9();
	else if (!strcmp(mode, "notifier"))
		test_notifier();
	else if (!strcmp(mode, "churn"))
		test_churn(false);
	else if (!strcmp(mode, "churn_implicit"))
		test_churn(true);
	else {
		fprintf(stderr,
			"usage: %s concurrent|munmap|dereg|kill9|notifier|churn\n",
			argv[0]);
		return 2;
	}
	odp_counters_close();
	printf("%s: %d failure(s)\n", mode, test_failures);
	return test_failures ? 1 : 0;
}
