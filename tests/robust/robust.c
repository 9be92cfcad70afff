// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * uodp robustness tests (run inside uodp-run):
 *
 *   uodp-robust kill9      a client killed with SIGKILL in the middle of
 *                          traffic loses its resources; the other client
 *                          keeps working, and its QP connected to the dead
 *                          one fails with a completion instead of hanging
 *   uodp-robust malformed  malformed send WQEs complete in error on their
 *                          QP only; another QP on the device keeps working
 *   uodp-robust commands   garbage on the command fd (bad framing,
 *                          commands, handles, fds, sizes, response
 *                          pointers, random writes and method calls)
 *                          never takes the device down
 *   uodp-robust kernel-queues  rings in the client's own anonymous memory
 *                          (the kernel's way) carry traffic; unmapping a
 *                          ring fails that QP or CQ with its async event
 *                          only
 *
 * Exit status 0 when every check passed; each failure is printed.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/mlx5_user_ioctl_cmds.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "tests/lib/child.h"
#include "tests/lib/report.h"
#include "tests/lib/verbs.h"

#include "hw/mlx5/cqe.h"
#include "hw/mlx5/wqe.h"
#include "lib/rawdev.h"

#define DEV_NAME "uodp0"
#define BUF_SIZE (1u << 20)
#define DEADLINE_MS 10000

/* ------------------------------------------------------------------ */
/* verbs helpers (the real provider path)                              */

struct vres {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	uint8_t *buf;
	uint8_t gid_index;
	union ibv_gid gid;
};

static uint8_t find_roce_v2_gid(struct ibv_context *ctx, union ibv_gid *gid)
{
	int index = test_roce_v2_gid(ctx, DEV_NAME, gid);

	if (index < 0)
		test_die("no RoCE v2 GID", -index);
	return (uint8_t)index;
}

static void vres_open(struct vres *r)
{
	memset(r, 0, sizeof(*r));
	r->ctx = test_open_device(DEV_NAME);
	if (!r->ctx)
		test_die("open " DEV_NAME, errno ? errno : ENODEV);
	r->gid_index = find_roce_v2_gid(r->ctx, &r->gid);
	r->pd = ibv_alloc_pd(r->ctx);
	r->cq = ibv_create_cq(r->ctx, 512, NULL, NULL, 0);
	r->buf = aligned_alloc(4096, BUF_SIZE);
	if (!r->pd || !r->cq || !r->buf)
		test_die("verbs resources", errno);
	memset(r->buf, 0, BUF_SIZE);
	r->mr = ibv_reg_mr(r->pd, r->buf, BUF_SIZE, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	if (!r->mr)
		test_die("ibv_reg_mr", errno);
}

static void vres_close(struct vres *r)
{
	ibv_dereg_mr(r->mr);
	ibv_destroy_cq(r->cq);
	ibv_dealloc_pd(r->pd);
	ibv_close_device(r->ctx);
	free(r->buf);
}

static struct ibv_qp *vqp_create(struct vres *r)
{
	struct ibv_qp_init_attr init = {
		.send_cq = r->cq, .recv_cq = r->cq, .qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = { .max_send_wr = 64, .max_recv_wr = 64,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_qp *qp = ibv_create_qp(r->pd, &init);

	if (!qp)
		test_die("ibv_create_qp", errno);
	return qp;
}

static int vqp_connect(struct vres *r, struct ibv_qp *qp, uint32_t dest,
		       uint8_t timeout, uint8_t retry_cnt)
{
	return test_rc_connect(qp, dest, &r->gid, r->gid_index,
			       IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			       IBV_ACCESS_REMOTE_READ, timeout, retry_cnt);
}

static int vpost(struct ibv_qp *qp, struct vres *r, bool recv, uint64_t id,
		 size_t off, uint32_t len, enum ibv_wr_opcode op,
		 uint64_t raddr)
{
	struct ibv_sge sge = { .addr = (uintptr_t)r->buf + off, .length = len,
			       .lkey = r->mr->lkey };
	struct ibv_send_wr swr = { .wr_id = id, .sg_list = &sge, .num_sge = 1,
				   .opcode = op }, *bad_s;
	struct ibv_recv_wr rwr = { .wr_id = id, .sg_list = &sge, .num_sge = 1 },
			   *bad_r;

	if (recv)
		return ibv_post_recv(qp, &rwr, &bad_r);
	swr.wr.rdma.remote_addr = raddr;
	swr.wr.rdma.rkey = r->mr->rkey;
	return ibv_post_send(qp, &swr, &bad_s);
}

/* Polls n completions into wc[]; returns how many arrived in time. */
static int vpoll(struct ibv_cq *cq, struct ibv_wc *wc, int n, int timeout_ms)
{
	double end = test_now() + timeout_ms / 1000.0;
	int got = 0, ret;

	while (got < n) {
		ret = ibv_poll_cq(cq, n - got, wc + got);
		if (ret < 0)
			return got;
		got += ret;
		if (!ret && test_now() > end)
			break;
	}
	return got;
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + seed * 7 + 1);
}

/*
 * One verified round on a loopback pair a -> b: an RDMA write of 4 KiB and
 * a send of 1 KiB that lands in a posted receive.
 */
static bool loopback_round(struct vres *r, struct ibv_qp *a, struct ibv_qp *b,
			   unsigned int seed)
{
	struct ibv_wc wc[3];
	int i, n;

	fill(r->buf, 4096, seed);
	fill(r->buf + 8192, 1024, seed + 1);
	memset(r->buf + 16384, 0, 4096);
	memset(r->buf + 24576, 0, 1024);
	if (vpost(b, r, true, 3, 24576, 1024, 0, 0) ||
	    vpost(a, r, false, 1, 0, 4096, IBV_WR_RDMA_WRITE,
		  (uintptr_t)r->buf + 16384) ||
	    vpost(a, r, false, 2, 8192, 1024, IBV_WR_SEND, 0))
		return false;
	n = vpoll(r->cq, wc, 3, DEADLINE_MS);
	if (n != 3)
		return false;
	for (i = 0; i < 3; i++)
		if (wc[i].status != IBV_WC_SUCCESS)
			return false;
	return !memcmp(r->buf, r->buf + 16384, 4096) &&
	       !memcmp(r->buf + 8192, r->buf + 24576, 1024);
}

/* ------------------------------------------------------------------ */
/* kill9                                                               */

/* The victim: traffic forever, with a QP connected to the parent's. */
static int traffic_child(void)
{
	struct ibv_qp *a, *b, *cross;
	unsigned int parent_qpn, seed = 0;
	struct vres r;
	int i;

	vres_open(&r);
	a = vqp_create(&r);
	b = vqp_create(&r);
	cross = vqp_create(&r);
	if (vqp_connect(&r, a, b->qp_num, 14, 7) ||
	    vqp_connect(&r, b, a->qp_num, 14, 7))
		test_die("child connect", errno);
	printf("qpn %u\n", cross->qp_num);
	fflush(stdout);
	if (scanf("%u", &parent_qpn) != 1)
		test_die("child: parent qpn", EPROTO);
	if (vqp_connect(&r, cross, parent_qpn, 14, 7))
		test_die("child connect cross", errno);
	for (i = 0; i < 32; i++)
		vpost(cross, &r, true, 100 + i, 65536 + i * 1024, 1024, 0, 0);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct ibv_wc wc[16];

		/* Keep a window of RDMA writes in flight until the SIGKILL. */
		for (i = 0; i < 16; i++)
			vpost(a, &r, false, i, 0, 65536, IBV_WR_RDMA_WRITE,
			      (uintptr_t)r.buf + 131072 + (i % 4) * 65536);
		if (vpoll(r.cq, wc, 16, DEADLINE_MS) != 16)
			fprintf(stderr, "child: traffic stalled\n");
		if (!loopback_round(&r, a, b, seed++))
			fprintf(stderr, "child: traffic failed\n");
	}
	return 0;
}

static void kill9_cycle(int cycle)
{
	struct ibv_qp *a, *b, *cross;
	unsigned int child_qpn;
	FILE *from, *to;
	struct ibv_wc wc;
	char line[64];
	struct vres r;
	int i, ok, status;
	pid_t child;
	double t0;

	vres_open(&r);
	a = vqp_create(&r);
	b = vqp_create(&r);
	cross = vqp_create(&r);
	test_check(!vqp_connect(&r, a, b->qp_num, 14, 7) &&
	      !vqp_connect(&r, b, a->qp_num, 14, 7),
	      "cycle %d: loopback pair connected", cycle);
	child = test_spawn_self("uodp-robust", "traffic-child", &from, &to);
	if (child < 0)
		test_die("spawn", -child);
	if (!test_read_line(from, line, sizeof(line), DEADLINE_MS) ||
	    sscanf(line, "qpn %u", &child_qpn) != 1)
		test_die("child did not report its QPN", EPROTO);
	fprintf(to, "%u\n", cross->qp_num);
	fflush(to);
	/* timeout 10 (4 ms), 2 retries: a dead peer is noticed quickly */
	test_check(!vqp_connect(&r, cross, child_qpn, 10, 2),
	      "cycle %d: connected to the child's QP 0x%x", cycle, child_qpn);
	test_check(test_read_line(from, line, sizeof(line), DEADLINE_MS) &&
	      !strncmp(line, "ready", 5), "cycle %d: child runs traffic", cycle);

	/* Traffic to the live child works. */
	fill(r.buf + 65536, 512, 9);
	vpost(cross, &r, false, 77, 65536, 512, IBV_WR_SEND, 0);
	test_check(vpoll(r.cq, &wc, 1, DEADLINE_MS) == 1 &&
	      wc.status == IBV_WC_SUCCESS && wc.wr_id == 77,
	      "cycle %d: send to the child's QP completes", cycle);

	ok = 0;
	for (i = 0; i < 300; i++) {
		if (i == 100) {
			usleep(20000);
			kill(child, SIGKILL);
		}
		ok += loopback_round(&r, a, b, i);
	}
	test_check(ok == 300, "cycle %d: %d/300 verified rounds while the other "
	      "client was killed", cycle, ok);
	test_check(waitpid(child, &status, 0) == child && WIFSIGNALED(status) &&
	      WTERMSIG(status) == SIGKILL, "cycle %d: child died by SIGKILL",
	      cycle);
	fclose(from);
	fclose(to);

	/* The dead peer's QP is gone: a send to it must fail, not hang. */
	t0 = test_now();
	vpost(cross, &r, false, 78, 65536, 512, IBV_WR_SEND, 0);
	i = vpoll(r.cq, &wc, 1, 20000);
	test_check(i == 1 && wc.wr_id == 78 && wc.status != IBV_WC_SUCCESS,
	      "cycle %d: send to the dead client's QP completes in error "
	      "(%s) after %.2f s", cycle,
	      i == 1 ? ibv_wc_status_str(wc.status) : "no completion",
	      test_now() - t0);
	if (i == 1)
		test_check(wc.status == IBV_WC_RETRY_EXC_ERR,
		      "cycle %d: ... with IBV_WC_RETRY_EXC_ERR", cycle);
	ok = 0;
	for (i = 0; i < 100; i++)
		ok += loopback_round(&r, a, b, 1000 + i);
	test_check(ok == 100, "cycle %d: %d/100 verified rounds afterwards", cycle,
	      ok);
	ibv_destroy_qp(a);
	ibv_destroy_qp(b);
	ibv_destroy_qp(cross);
	vres_close(&r);
}

static int test_kill9(void)
{
	struct ibv_qp *a, *b;
	struct vres r;
	int cycle;

	for (cycle = 1; cycle <= 3; cycle++)
		kill9_cycle(cycle);
	/* A fresh client after all that. */
	vres_open(&r);
	a = vqp_create(&r);
	b = vqp_create(&r);
	test_check(!vqp_connect(&r, a, b->qp_num, 14, 7) &&
	      !vqp_connect(&r, b, a->qp_num, 14, 7) &&
	      loopback_round(&r, a, b, 5), "a new client works afterwards");
	ibv_destroy_qp(a);
	ibv_destroy_qp(b);
	vres_close(&r);
	return 0;
}

/* ------------------------------------------------------------------ */
/* malformed WQEs (raw client)                                         */

struct raw_env {
	struct raw_dev dev;
	uint32_t pdn, key;
	uint8_t *buf;
	struct raw_cq good_cq, bad_cq;
	struct raw_qp g1, g2;
	uint8_t sgid_index;
};

static const char *cqe_str(const uint8_t *cqe, char *out, size_t len)
{
	const struct mlx5_err_cqe *e = (const void *)cqe;

	snprintf(out, len, "opcode %u syndrome 0x%02x vendor 0x%02x",
		 e->op_own >> 4, e->syndrome, e->vendor_err_synd);
	return out;
}

static bool raw_pair(struct raw_env *env, struct raw_qp *a, struct raw_qp *b,
		     struct raw_cq *cq)
{
	return !raw_create_rc_qp(&env->dev, a, env->pdn, cq) &&
	       !raw_create_rc_qp(&env->dev, b, env->pdn, cq) &&
	       !raw_qp_to_rts(&env->dev, a, b->qpn, env->sgid_index) &&
	       !raw_qp_to_rts(&env->dev, b, a->qpn, env->sgid_index);
}

/* A valid hand-written SEND on the good pair, data verified. */
static bool good_traffic(struct raw_env *env, unsigned int seed)
{
	uint8_t cqe[2][64];
	char s[64];
	int i;

	fill(env->buf, 2048, seed);
	memset(env->buf + 4096, 0, 2048);
	raw_post_recv(&env->dev, &env->g2, (uintptr_t)env->buf + 4096, 2048,
		      env->key);
	raw_post_send(&env->dev, &env->g1, MLX5_OPCODE_SEND,
		      (uintptr_t)env->buf, 2048, env->key);
	for (i = 0; i < 2; i++) {
		if (!raw_poll_cq(&env->good_cq, cqe[i], DEADLINE_MS)) {
			printf("      good pair: no completion %d\n", i);
			return false;
		}
		if ((cqe[i][63] >> 4) >= MLX5_CQE_REQ_ERR) {
			printf("      good pair: %s\n", cqe_str(cqe[i], s, sizeof(s)));
			return false;
		}
	}
	return !memcmp(env->buf, env->buf + 4096, 2048);
}

typedef uint32_t (*wqe_writer)(struct raw_env *env, struct raw_qp *qp,
			       uint8_t *wqe);

static void ctrl(uint8_t *wqe, uint32_t idx, uint8_t opcode, uint32_t qpn,
		 uint8_t ds)
{
	struct mlx5_wqe_ctrl_seg *c = (void *)wqe;

	memset(wqe, 0, MLX5_SEND_WQE_BB);
	c->opmod_idx_opcode = htobe32(((idx & 0xffff) << 8) | opcode);
	c->qpn_ds = htobe32((qpn << 8) | ds);
	c->fm_ce_se = MLX5_WQE_CTRL_CQ_UPDATE;
}

static void data_seg(uint8_t *p, uint32_t len, uint32_t lkey, uint64_t addr)
{
	struct mlx5_wqe_data_seg *d = (void *)p;

	d->byte_count = htobe32(len);
	d->lkey = htobe32(lkey);
	d->addr = htobe64(addr);
}

static uint32_t w_ds_zero(struct raw_env *env, struct raw_qp *qp, uint8_t *w)
{
	ctrl(w, qp->sq_pi, MLX5_OPCODE_SEND, qp->qpn, 0);
	data_seg(w + 16, 64, env->key, (uintptr_t)env->buf);
	return 1;
}

static uint32_t w_bad_opcode(struct raw_env *env, struct raw_qp *qp,
			     uint8_t *w)
{
	ctrl(w, qp->sq_pi, 0xff, qp->qpn, 2);
	data_seg(w + 16, 64, env->key, (uintptr_t)env->buf);
	return 1;
}

static uint32_t w_umr(struct raw_env *env, struct raw_qp *qp, uint8_t *w)
{
	ctrl(w, qp->sq_pi, MLX5_OPCODE_UMR, qp->qpn, 2);
	data_seg(w + 16, 64, env->key, (uintptr_t)env->buf);
	return 1;
}

static uint32_t w_lso(struct raw_env *env, struct raw_qp *qp, uint8_t *w)
{
	ctrl(w, qp->sq_pi, MLX5_OPCODE_LSO, qp->qpn, 2);
	data_seg(w + 16, 64, env->key, (uintptr_t)env->buf);
	return 1;
}

static uint32_t w_wrong_qpn(struct raw_env *env, struct raw_qp *qp,
			    uint8_t *w)
{
	ctrl(w, qp->sq_pi, MLX5_OPCODE_SEND, env->g1.qpn, 2);
	data_seg(w + 16, 64, env->key, (uintptr_t)env->buf);
	return 1;
}

static uint32_t w_wrong_index(struct raw_env *env, struct raw_qp *qp,
			      uint8_t *w)
{
	ctrl(w, qp->sq_pi + 7, MLX5_OPCODE_SEND, qp->qpn, 2);
	data_seg(w + 16, 64, env->key, (uintptr_t)env->buf);
	return 1;
}

/* 63 DS of random bytes: more than 16 WQEBBs' worth is never valid. */
static uint32_t w_ds_huge(struct raw_env *env, struct raw_qp *qp, uint8_t *w)
{
	uint32_t bb;
	int i;

	(void)env;
	ctrl(w, qp->sq_pi, MLX5_OPCODE_SEND, qp->qpn, 63);
	for (bb = 1; bb < 16; bb++) {
		uint8_t *p = raw_sq_wqe(qp, qp->sq_pi + bb);

		for (i = 0; i < MLX5_SEND_WQE_BB; i++)
			p[i] = (uint8_t)rand();
	}
	for (i = 16; i < MLX5_SEND_WQE_BB; i++)
		w[i] = (uint8_t)rand();
	return 16;
}

static uint32_t w_inline_overrun(struct raw_env *env, struct raw_qp *qp,
				 uint8_t *w)
{
	(void)env;
	ctrl(w, qp->sq_pi, MLX5_OPCODE_SEND, qp->qpn, 2);
	*(uint32_t *)(w + 16) = htobe32(MLX5_INLINE_SEG | 900);
	return 1;
}

static uint32_t w_2gib(struct raw_env *env, struct raw_qp *qp, uint8_t *w)
{
	ctrl(w, qp->sq_pi, MLX5_OPCODE_SEND, qp->qpn, 2);
	data_seg(w + 16, 0, env->key, (uintptr_t)env->buf);	/* 0 = 2 GiB */
	return 1;
}

static uint32_t w_write_no_raddr(struct raw_env *env, struct raw_qp *qp,
				 uint8_t *w)
{
	/* ctrl only: the remote address segment is missing */
	(void)env;
	ctrl(w, qp->sq_pi, MLX5_OPCODE_RDMA_WRITE, qp->qpn, 1);
	return 1;
}

static uint32_t w_atomic_short(struct raw_env *env, struct raw_qp *qp,
			       uint8_t *w)
{
	/* ctrl + raddr, no atomic segment, no data segment */
	ctrl(w, qp->sq_pi, MLX5_OPCODE_ATOMIC_FA, qp->qpn, 2);
	*(uint64_t *)(w + 16) = htobe64((uintptr_t)env->buf);
	*(uint32_t *)(w + 24) = htobe32(env->key);
	return 1;
}

/* The last WQEBB of the ring, 8 DS spilling over the wrap: bad lkeys. */
static uint32_t w_wrap_garbage(struct raw_env *env, struct raw_qp *qp,
			       uint8_t *w)
{
	uint8_t *next;
	int i;

	(void)w;
	/* Valid RDMA writes until the next WQE is the ring's last WQEBB. */
	while ((qp->sq_pi & (qp->sq_cnt - 1)) != qp->sq_cnt - 1) {
		w = raw_sq_wqe(qp, qp->sq_pi);
		ctrl(w, qp->sq_pi, MLX5_OPCODE_RDMA_WRITE, qp->qpn, 3);
		*(uint64_t *)(w + 16) = htobe64((uintptr_t)env->buf + 65536);
		*(uint32_t *)(w + 24) = htobe32(env->key);
		data_seg(w + 32, 64, env->key, (uintptr_t)env->buf);
		raw_ring_sq(&env->dev, qp, 1);
	}
	w = raw_sq_wqe(qp, qp->sq_pi);
	ctrl(w, qp->sq_pi, MLX5_OPCODE_SEND, qp->qpn, 8);
	for (i = 0; i < 3; i++)
		data_seg(w + 16 + i * 16, 16, 0xdead0000 + i, 0x1000);
	next = raw_sq_wqe(qp, qp->sq_pi + 1);
	for (i = 0; i < 4; i++)
		data_seg(next + i * 16, 16, 0xbeef0000 + i, 0x2000);
	return 2;
}

/*
 * strict: the WQE is invalid however a device reads it, so it must complete
 * in error.  Not strict: a device may tolerate it (mlx5 hardware does not
 * check the index in the control segment); it must then complete normally.
 */
static const struct {
	const char *name;
	wqe_writer write;
	bool strict;
} malformed[] = {
	{ "ds = 0", w_ds_zero, true },
	{ "unknown opcode 0xff", w_bad_opcode, true },
	{ "UMR opcode (not served)", w_umr, true },
	{ "LSO opcode on an RC QP", w_lso, true },
	{ "ctrl QPN of another QP", w_wrong_qpn, true },
	{ "ctrl WQE index out of sequence", w_wrong_index, false },
	{ "ds = 63 of random bytes", w_ds_huge, true },
	{ "inline length past the WQE", w_inline_overrun, true },
	{ "data seg byte_count 0 (2 GiB) past the MR", w_2gib, true },
	{ "RDMA write without remote address segment", w_write_no_raddr, true },
	{ "atomic without atomic/data segments", w_atomic_short, true },
	{ "wrapping WQE with bad lkeys", w_wrap_garbage, true },
};

static void malformed_case(struct raw_env *env, int n)
{
	struct raw_qp a, b;
	uint8_t cqe[64];
	char s[64];
	uint32_t bbs;
	bool got_err = false;
	int polled = 0;

	if (!raw_pair(env, &a, &b, &env->bad_cq)) {
		test_check(false, "%s: could not set up the QP pair", malformed[n].name);
		return;
	}
	/* A receive at the peer, so a tolerated WQE cannot stall in RNR. */
	raw_post_recv(&env->dev, &b, (uintptr_t)env->buf + 65536, 4096, env->key);
	bbs = malformed[n].write(env, &a, raw_sq_wqe(&a, a.sq_pi));
	raw_ring_sq(&env->dev, &a, bbs);
	/* Valid WQEs before the bad one complete fine; stop at the first error. */
	while (raw_poll_cq(&env->bad_cq, cqe, DEADLINE_MS)) {
		polled++;
		if ((cqe[63] >> 4) >= MLX5_CQE_REQ_ERR) {
			got_err = (cqe[63] >> 4) == MLX5_CQE_REQ_ERR;
			break;
		}
		if (!malformed[n].strict && (cqe[63] >> 4) == MLX5_CQE_REQ &&
		    (be32toh(*(uint32_t *)(cqe + 56)) & 0xffffff) == a.qpn) {
			test_check(true, "%s: tolerated, completed normally",
			      malformed[n].name);
			goto out_good;
		}
		if (polled > 200)
			break;
	}
	test_check(got_err, "%s: error completion on its QP (%s)", malformed[n].name,
	      got_err ? cqe_str(cqe, s, sizeof(s)) : "none");
	test_check(raw_qp_state(&env->dev, a.qpn) == IBV_QPS_ERR,
	      "%s: QP 0x%x moved to the error state", malformed[n].name, a.qpn);
	/* Later WQEs on that QP flush. */
	raw_post_send(&env->dev, &a, MLX5_OPCODE_SEND, (uintptr_t)env->buf, 64,
		      env->key);
	test_check(raw_poll_cq(&env->bad_cq, cqe, DEADLINE_MS) &&
	      ((const struct mlx5_err_cqe *)cqe)->syndrome ==
	      MLX5_CQE_SYNDROME_WR_FLUSH_ERR,
	      "%s: the next WQE is flushed", malformed[n].name);
out_good:
	test_check(good_traffic(env, n), "%s: another QP still works",
	      malformed[n].name);
	raw_destroy(&env->dev, RAW_QP, a.qpn);
	raw_destroy(&env->dev, RAW_QP, b.qpn);
	raw_free_qp(&a);
	raw_free_qp(&b);
	/* Whatever else the bad CQ holds now is stale: drain it. */
	while (raw_poll_cq(&env->bad_cq, cqe, 50))
		;
}

/*
 * A valid SEND of 7 data segments (8 DS, 2 WQEBBs) written at the ring's
 * last WQEBB: the device must follow it across the wrap.
 */
static void valid_wrap_case(struct raw_env *env)
{
	struct raw_qp a, b;
	uint8_t cqe[2][64], *w, *next;
	int i, got = 0;

	if (!raw_pair(env, &a, &b, &env->bad_cq)) {
		test_check(false, "valid wrapping WQE: could not set up the QP pair");
		return;
	}
	while ((a.sq_pi & (a.sq_cnt - 1)) != a.sq_cnt - 1) {
		w = raw_sq_wqe(&a, a.sq_pi);
		ctrl(w, a.sq_pi, MLX5_OPCODE_RDMA_WRITE, a.qpn, 3);
		*(uint64_t *)(w + 16) = htobe64((uintptr_t)env->buf + 65536);
		*(uint32_t *)(w + 24) = htobe32(env->key);
		data_seg(w + 32, 64, env->key, (uintptr_t)env->buf);
		raw_ring_sq(&env->dev, &a, 1);
		if (raw_poll_cq(&env->bad_cq, cqe[0], DEADLINE_MS) &&
		    (cqe[0][63] >> 4) == MLX5_CQE_REQ)
			got++;
	}
	test_check(got == (int)a.sq_cnt - 1, "valid wrapping WQE: %d RDMA writes "
	      "completed", got);
	fill(env->buf, 7 * 100, 77);
	memset(env->buf + 8192, 0, 1024);
	raw_post_recv(&env->dev, &b, (uintptr_t)env->buf + 8192, 1024, env->key);
	w = raw_sq_wqe(&a, a.sq_pi);
	ctrl(w, a.sq_pi, MLX5_OPCODE_SEND, a.qpn, 8);
	for (i = 0; i < 3; i++)
		data_seg(w + 16 + i * 16, 100, env->key,
			 (uintptr_t)env->buf + i * 100);
	next = raw_sq_wqe(&a, a.sq_pi + 1);
	for (i = 0; i < 4; i++)
		data_seg(next + i * 16, 100, env->key,
			 (uintptr_t)env->buf + (3 + i) * 100);
	raw_ring_sq(&env->dev, &a, 2);
	got = 0;
	for (i = 0; i < 2; i++)
		got += raw_poll_cq(&env->bad_cq, cqe[i], DEADLINE_MS) &&
		       (cqe[i][63] >> 4) < MLX5_CQE_REQ_ERR;
	test_check(got == 2 && !memcmp(env->buf, env->buf + 8192, 700),
	      "valid wrapping WQE: 7-segment SEND across the ring's end "
	      "delivered intact");
	raw_destroy(&env->dev, RAW_QP, a.qpn);
	raw_destroy(&env->dev, RAW_QP, b.qpn);
	raw_free_qp(&a);
	raw_free_qp(&b);
	while (raw_poll_cq(&env->bad_cq, cqe[0], 50))
		;
}

/* memfd_queues 0: every queue in anonymous memory, as on a kernel. */
static void raw_env_open(struct raw_env *env, int memfd_queues)
{
	struct vres probe;
	int ret;

	/* The GID index comes from the real provider's view of uodp0. */
	vres_open(&probe);
	env->sgid_index = probe.gid_index;
	vres_close(&probe);
	ret = raw_open(&env->dev);
	if (ret)
		test_die("raw open", -ret);
	env->dev.memfd_queues &= memfd_queues;
	env->buf = aligned_alloc(4096, BUF_SIZE);
	if (!env->buf)
		test_die("alloc", ENOMEM);
	memset(env->buf, 0, BUF_SIZE);
	ret = raw_alloc_pd(&env->dev, &env->pdn);
	if (!ret)
		ret = raw_reg_mr(&env->dev, env->pdn, env->buf, BUF_SIZE,
				 IBV_ACCESS_LOCAL_WRITE |
				 IBV_ACCESS_REMOTE_WRITE |
				 IBV_ACCESS_REMOTE_READ, &env->key);
	if (!ret)
		ret = raw_create_cq(&env->dev, &env->good_cq, 256);
	if (!ret)
		ret = raw_create_cq(&env->dev, &env->bad_cq, 256);
	if (ret)
		test_die("raw resources", -ret);
	if (!raw_pair(env, &env->g1, &env->g2, &env->good_cq))
		test_die("raw good pair", EIO);
}

static void raw_env_close(struct raw_env *env)
{
	raw_close(&env->dev);	/* the daemon tears the context down */
	raw_free_qp(&env->g1);
	raw_free_qp(&env->g2);
	raw_free_cq(&env->good_cq);
	raw_free_cq(&env->bad_cq);
	free(env->buf);
}

static int test_malformed(void)
{
	struct raw_env env;
	size_t n;

	srand(42);
	raw_env_open(&env, 1);
	test_check(good_traffic(&env, 1), "hand-written SEND WQEs work");
	valid_wrap_case(&env);
	for (n = 0; n < sizeof(malformed) / sizeof(malformed[0]); n++)
		malformed_case(&env, n);
	test_check(good_traffic(&env, 2), "the good pair works at the end");
	raw_env_close(&env);
	return 0;
}

/* ------------------------------------------------------------------ */
/* queues in the client's own memory (the kernel's way)                */

/* The next async event within DEADLINE_MS, or type -1. */
static struct ib_uverbs_async_event_desc next_async(struct raw_env *env)
{
	struct ib_uverbs_async_event_desc ev = { .event_type = UINT32_MAX };
	struct pollfd p = { .fd = env->dev.async_fd, .events = POLLIN };

	if (poll(&p, 1, DEADLINE_MS) == 1 &&
	    read(env->dev.async_fd, &ev, sizeof(ev)) != sizeof(ev))
		ev.event_type = UINT32_MAX;
	return ev;
}

/* A connected pair on a CQ of its own, to be broken. */
struct victim {
	struct raw_cq cq;
	struct raw_qp a, b;
};

static bool victim_open(struct raw_env *env, struct victim *v)
{
	memset(v, 0, sizeof(*v));
	return !raw_create_cq(&env->dev, &v->cq, 64) &&
	       raw_pair(env, &v->a, &v->b, &v->cq);
}

static void victim_close(struct raw_env *env, struct victim *v)
{
	raw_destroy(&env->dev, RAW_QP, v->a.qpn);
	raw_destroy(&env->dev, RAW_QP, v->b.qpn);
	raw_destroy(&env->dev, RAW_CQ, v->cq.cqn);
	raw_free_qp(&v->a);
	raw_free_qp(&v->b);
	raw_free_cq(&v->cq);
}

/* Unmap the first page of a queue's memory (the rest is freed later). */
static bool unmap_first_page(uint8_t **mem, size_t *size)
{
	if (munmap(*mem, 4096))
		return false;
	*mem += 4096;
	*size -= 4096;
	return true;
}

/*
 * The SQ ring is unmapped under a posted doorbell: the device cannot read
 * the WQE and the QP fails (QP_FATAL), as on a DMA error.
 */
static void sq_ring_gone(struct raw_env *env)
{
	struct ib_uverbs_async_event_desc ev;
	struct victim v;

	if (!victim_open(env, &v)) {
		test_check(false, "a second pair");
		return;
	}
	/* The RQ and the SQ's start share the first page; the record not. */
	test_check(unmap_first_page(&v.a.mem, &v.a.size),
		   "the first page of the QP unmapped");
	raw_ring_sq(&env->dev, &v.a, 1);
	ev = next_async(env);
	test_check(ev.event_type == IBV_EVENT_QP_FATAL && ev.element == 2,
		   "QP_FATAL for it (event %u, element %llu)", ev.event_type,
		   (unsigned long long)ev.element);
	test_check(raw_qp_state(&env->dev, v.a.qpn) == IBV_QPS_ERR,
		   "and the QP is in the error state");
	victim_close(env, &v);
}

/* The CQ ring is unmapped: completions cannot be written (CQ_ERR). */
static void cq_ring_gone(struct raw_env *env)
{
	struct ib_uverbs_async_event_desc ev;
	struct victim v;

	if (!victim_open(env, &v)) {
		test_check(false, "a third pair");
		return;
	}
	test_check(unmap_first_page(&v.cq.mem, &v.cq.size),
		   "the CQ's ring unmapped");
	/* Any signalled WQE: its completion has nowhere to go. */
	raw_post_send(&env->dev, &v.a, MLX5_OPCODE_NOP, (uintptr_t)env->buf,
		      64, env->key);
	ev = next_async(env);
	test_check(ev.event_type == IBV_EVENT_CQ_ERR && ev.element == 1,
		   "CQ_ERR for it (event %u, element %llu)", ev.event_type,
		   (unsigned long long)ev.element);
	victim_close(env, &v);
}

static int test_kernel_queues(void)
{
	struct raw_env env;
	unsigned int i;
	bool ok = true;

	raw_env_open(&env, 0);
	test_check(!env.dev.memfd_queues, "queues in anonymous memory");
	for (i = 0; i < 50 && ok; i++)
		ok = good_traffic(&env, i);
	test_check(ok, "SENDs through rings in the client's own memory");
	sq_ring_gone(&env);
	cq_ring_gone(&env);
	test_check(good_traffic(&env, 99), "the good pair works at the end");
	raw_env_close(&env);
	return 0;
}

/* ------------------------------------------------------------------ */
/* garbage commands                                                    */

/* The device is alive: it serves a fresh context. */
static bool device_alive(pid_t pid)
{
	struct ib_uverbs_query_device cmd = { 0 };
	struct ib_uverbs_query_device_resp resp;
	struct raw_dev dev;
	bool ok;

	if (kill(pid, 0) || raw_open(&dev))
		return false;
	ok = !raw_write(&dev, IB_USER_VERBS_CMD_QUERY_DEVICE, &cmd,
			sizeof(cmd), &resp, sizeof(resp)) &&
	     resp.phys_port_cnt == 1;
	raw_close(&dev);
	return ok;
}

/*
 * A command fd for one case: with its context (GET_CONTEXT done) or just
 * opened.  -1 when it cannot be had.
 */
static int case_open(struct raw_dev *dev, bool with_context)
{
	int fd;

	if (with_context)
		return raw_open(dev) ? -1 : dev->cmd_fd;
	fd = open(RAW_DEV_PATH, O_RDWR | O_CLOEXEC);
	memset(dev, 0, sizeof(*dev));
	dev->cmd_fd = fd;
	dev->doorbell_fd = dev->async_fd = -1;
	return fd;
}

/* len raw bytes written to a command fd must be refused with an errno. */
static void write_refused(pid_t daemon, const char *what, bool with_context,
			  const void *msg, size_t len)
{
	struct raw_dev dev;
	ssize_t n;

	if (case_open(&dev, with_context) < 0) {
		test_check(false, "%s: cannot open the device", what);
		return;
	}
	n = write(dev.cmd_fd, msg, len);
	test_check(n < 0, "%s: %s", what, n < 0 ? strerror(errno) : "ACCEPTED");
	raw_close(&dev);
	test_check(device_alive(daemon), "%s: device alive", what);
}

/* One command must be refused with errno want (0: any errno). */
static void cmd_refused(pid_t daemon, const char *what, bool with_context,
			uint32_t command, void *body, size_t in_len,
			size_t out_len, int want)
{
	uint64_t resp[64];
	struct raw_dev dev;
	int ret;

	if (case_open(&dev, with_context) < 0) {
		test_check(false, "%s: cannot open the device", what);
		return;
	}
	ret = raw_write(&dev, command, body, in_len, resp, out_len);
	test_check(ret < 0 && (!want || ret == -want), "%s: %s", what,
		   ret < 0 ? strerror(-ret) : "ACCEPTED");
	raw_close(&dev);
	test_check(device_alive(daemon), "%s: device alive", what);
}

static void framing_cases(pid_t daemon)
{
	struct ib_uverbs_cmd_hdr *h;
	uint64_t msg[64] = { 0 };

	h = (void *)msg;
	write_refused(daemon, "an empty write", true, msg, 0);
	write_refused(daemon, "a 4-byte write", true, msg, 4);
	*h = (struct ib_uverbs_cmd_hdr){ IB_USER_VERBS_CMD_QUERY_DEVICE, 40, 0 };
	write_refused(daemon, "in_words beyond the write", true, msg, 64);
	*h = (struct ib_uverbs_cmd_hdr){ IB_USER_VERBS_CMD_QUERY_DEVICE, 1, 0 };
	write_refused(daemon, "in_words inside the header", true, msg, 64);
	*h = (struct ib_uverbs_cmd_hdr){ 0x7f, 2, 0 };
	write_refused(daemon, "command 0x7f", true, msg, 8);
	*h = (struct ib_uverbs_cmd_hdr){ IB_USER_VERBS_CMD_POST_SEND, 2, 0 };
	write_refused(daemon, "POST_SEND (a command mlx5 does not serve)",
		      true, msg, 8);
	*h = (struct ib_uverbs_cmd_hdr){ 0xdeadbeef, 2, 0 };
	write_refused(daemon, "command 0xdeadbeef", true, msg, 8);
	*h = (struct ib_uverbs_cmd_hdr){
		IB_USER_VERBS_CMD_FLAG_EXTENDED | IB_USER_VERBS_EX_CMD_QUERY_DEVICE,
		2, 0 };
	write_refused(daemon, "an extended command without its header", true,
		      msg, 8);
}

static void context_cases(pid_t daemon)
{
	struct ib_uverbs_query_port port = { .port_num = 1 };
	struct ib_uverbs_alloc_pd pd = { 0 };
	struct ib_uverbs_get_context gc = { 0 };
	struct ib_uverbs_reg_mr mr = {
		.start = 4096, .length = 4096, .hca_va = 4096,
		.pd_handle = 0x123456, .access_flags = IBV_ACCESS_LOCAL_WRITE,
	};

	cmd_refused(daemon, "ALLOC_PD before GET_CONTEXT", false,
		    IB_USER_VERBS_CMD_ALLOC_PD, &pd, sizeof(pd),
		    sizeof(struct ib_uverbs_alloc_pd_resp), EINVAL);
	cmd_refused(daemon, "GET_CONTEXT twice", true,
		    IB_USER_VERBS_CMD_GET_CONTEXT, &gc, sizeof(gc),
		    sizeof(struct ib_uverbs_get_context_resp), EINVAL);
	/* The kernel's verify_hdr: ENOSPC for a body or response too short. */
	cmd_refused(daemon, "QUERY_PORT with a truncated body", true,
		    IB_USER_VERBS_CMD_QUERY_PORT, &port, 8,
		    sizeof(struct ib_uverbs_query_port_resp), ENOSPC);
	port.port_num = 2;
	cmd_refused(daemon, "QUERY_PORT of port 2", true,
		    IB_USER_VERBS_CMD_QUERY_PORT, &port, sizeof(port),
		    sizeof(struct ib_uverbs_query_port_resp), EINVAL);
	port.port_num = 1;
	cmd_refused(daemon, "QUERY_PORT with a response too short", true,
		    IB_USER_VERBS_CMD_QUERY_PORT, &port, sizeof(port), 8, ENOSPC);
	cmd_refused(daemon, "REG_MR on an unknown PD", true,
		    IB_USER_VERBS_CMD_REG_MR, &mr, sizeof(mr),
		    sizeof(struct ib_uverbs_reg_mr_resp), 0);
}

/* A response pointer the device cannot write: EFAULT, nothing created. */
static void bad_response_cases(pid_t daemon)
{
	struct ib_uverbs_alloc_pd cmd = { 0 };
	struct ib_uverbs_cmd_hdr h = { IB_USER_VERBS_CMD_ALLOC_PD,
		(sizeof(h) + sizeof(cmd)) / 4,
		sizeof(struct ib_uverbs_alloc_pd_resp) / 4 };
	uint8_t msg[sizeof(h) + sizeof(cmd)];
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	uint64_t where[2] = { 8, (uintptr_t)ro };
	const char *what[2] = { "a response at address 8",
				"a response in read-only memory" };
	struct raw_dev dev;
	int i;
	ssize_t n;

	if (ro == MAP_FAILED)
		test_die("mmap", errno);
	for (i = 0; i < 2; i++) {
		if (case_open(&dev, true) < 0) {
			test_check(false, "%s: open", what[i]);
			continue;
		}
		cmd.response = where[i];
		memcpy(msg, &h, sizeof(h));
		memcpy(msg + sizeof(h), &cmd, sizeof(cmd));
		n = write(dev.cmd_fd, msg, sizeof(msg));
		test_check(n < 0 && errno == EFAULT, "%s: %s", what[i],
			   n < 0 ? strerror(errno) : "ACCEPTED");
		raw_close(&dev);
		test_check(device_alive(daemon), "%s: device alive", what[i]);
	}
	munmap(ro, 4096);
}

/* Handles that are not the caller's: absent, or another context's. */
static void handle_cases(pid_t daemon, uint32_t foreign_qpn,
			 uint32_t foreign_key, uint32_t foreign_cqn)
{
	static const struct { enum raw_obj kind; const char *name; } ops[] = {
		{ RAW_PD, "DEALLOC_PD" }, { RAW_MR, "DEREG_MR" },
		{ RAW_CQ, "DESTROY_CQ" }, { RAW_XRCD, "CLOSE_XRCD" },
		{ RAW_SRQ, "DESTROY_SRQ" }, { RAW_QP, "DESTROY_QP" },
	};
	const uint32_t handles[] = { 0, 1, 0xffffffff, 0x00ffffff,
				     foreign_qpn, foreign_key, foreign_cqn };
	struct raw_dev dev;
	size_t i, j;
	int ret;

	if (raw_open(&dev)) {
		test_check(false, "handle cases: open");
		return;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		for (j = 0; j < sizeof(handles) / sizeof(handles[0]); j++) {
			ret = raw_destroy(&dev, ops[i].kind, handles[j]);
			test_check(ret < 0, "%s of handle 0x%x: %s",
				   ops[i].name, handles[j],
				   ret < 0 ? strerror(-ret) : "ACCEPTED");
		}
		ret = raw_qp_state(&dev, handles[i % 7]);
		test_check(ret < 0, "QUERY_QP of handle 0x%x: %s",
			   handles[i % 7],
			   ret < 0 ? strerror(-ret) : "ACCEPTED");
	}
	raw_close(&dev);
	test_check(device_alive(daemon), "handle cases: device alive");
}

struct cq_cmd {
	struct ib_uverbs_create_cq core;
	struct uodp_create_cq_drv drv;
};

static void cq_case(pid_t daemon, const char *what, const struct cq_cmd *c,
		    size_t len)
{
	struct cq_cmd copy = *c;

	cmd_refused(daemon, what, true, IB_USER_VERBS_CMD_CREATE_CQ, &copy,
		    len, sizeof(struct ib_uverbs_create_cq_resp) +
		    sizeof(struct mlx5_ib_create_cq_resp), 0);
}

static void create_cq_cases(pid_t daemon)
{
	int unsealed = raw_make_memfd(8192, 0);
	int small = raw_make_memfd(4096, 1);
	int good = raw_make_memfd(8192, 1);
	int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct cq_cmd c = {
		.core = { .user_handle = 1, .cqe = 63, .comp_channel = -1 },
		.drv = { .mlx5 = { .cqe_size = 64 },
			 .qmem = { .size = 8192, .dbrec_offset = 4096 } },
	}, b;
	int pipefd[2];

	if (unsealed < 0 || small < 0 || good < 0 || nullfd < 0 ||
	    pipe2(pipefd, O_CLOEXEC))
		test_die("fds", errno);
#define CQ_CASE(what, field, value) do {				\
		b = c; b.field = value;					\
		cq_case(daemon, what, &b, sizeof(b));			\
	} while (0)
	CQ_CASE("CREATE_CQ without a queue fd", drv.qmem.fd, -1);
	CQ_CASE("CREATE_CQ naming a closed fd", drv.qmem.fd, 1000);
	CQ_CASE("CREATE_CQ with /dev/null", drv.qmem.fd, nullfd);
	CQ_CASE("CREATE_CQ with a pipe", drv.qmem.fd, pipefd[0]);
	CQ_CASE("CREATE_CQ with an unsealed memfd", drv.qmem.fd, unsealed);
	CQ_CASE("CREATE_CQ with a too small memfd", drv.qmem.fd, small);
	c.drv.qmem.fd = good;
	CQ_CASE("CREATE_CQ of 2^31 entries", core.cqe, 1u << 31);
	CQ_CASE("CREATE_CQ of 2^32-1 entries", core.cqe, 0xffffffffu);
	CQ_CASE("CREATE_CQ dbrec past the end", drv.qmem.dbrec_offset, 8190);
	CQ_CASE("CREATE_CQ dbrec inside the ring", drv.qmem.dbrec_offset, 0);
	CQ_CASE("CREATE_CQ size 1 TiB", drv.qmem.size, 1ull << 40);
	CQ_CASE("CREATE_CQ with 128-byte CQEs", drv.mlx5.cqe_size, 128);
	CQ_CASE("CREATE_CQ on comp vector 5", core.comp_vector, 5);
	CQ_CASE("CREATE_CQ on a channel that is /dev/null", core.comp_channel,
		nullfd);
#undef CQ_CASE
	cq_case(daemon, "CREATE_CQ with mlx5's driver data only", &c,
		sizeof(c.core) + sizeof(c.drv.mlx5));
	close(unsealed);
	close(small);
	close(good);
	close(nullfd);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* MRs: with a real PD, bad ranges. */
static void reg_mr_cases(pid_t daemon)
{
	static const struct { uint64_t addr, len; const char *what; } bad[] = {
		{ 0, 4096, "REG_MR at address 0" },
		{ 4096, 0, "REG_MR of length 0" },
		{ 0xfffffffffffff000ull, 0x2000, "REG_MR wrapping the address space" },
		{ 0x1000, 1ull << 60, "REG_MR of 2^60 bytes" },
	};
	struct raw_dev dev;
	uint32_t pd, key;
	size_t i;
	int ret;

	if (raw_open(&dev) || raw_alloc_pd(&dev, &pd)) {
		test_check(false, "REG_MR cases: setup");
		return;
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = raw_reg_mr(&dev, pd, (void *)(uintptr_t)bad[i].addr,
				 bad[i].len, IBV_ACCESS_LOCAL_WRITE, &key);
		test_check(ret < 0, "%s: %s", bad[i].what,
			   ret < 0 ? strerror(-ret) : "ACCEPTED");
	}
	ret = raw_reg_mr(&dev, pd, &dev, sizeof(dev), 1u << 30, &key);
	test_check(ret < 0, "REG_MR with unknown access bit 1<<30: %s",
		   ret < 0 ? strerror(-ret) : "ACCEPTED");
	raw_close(&dev);
	test_check(device_alive(daemon), "REG_MR cases: device alive");
}

/*
 * Random commands and method calls on a live context, with a fixed seed.
 * Every pointer a command carries for the device to write points into
 * scratch, so the device's answers land there; fds the device installs
 * are closed whenever the context is renewed.
 */
struct fuzz_state {
	struct raw_dev dev;
	bool keep[1024];	/* fds open before the fuzzing */
	uint64_t scratch[512];
	int memfd;
};

static void fuzz_renew(struct fuzz_state *z)
{
	int fd;

	raw_close(&z->dev);
	for (fd = 3; fd < 1024; fd++)
		if (!z->keep[fd] && fd != z->memfd)
			close(fd);
	if (raw_open(&z->dev))
		z->dev.cmd_fd = -1;
}

static int fuzz_write(struct fuzz_state *z)
{
	uint64_t body[64];
	uint32_t command = (uint32_t)rand() % 48;
	size_t len = 8 + (size_t)(rand() % 56) * 4, i;
	size_t out = (size_t)(rand() % 128) * 4;

	for (i = 0; i < sizeof(body) / sizeof(body[0]); i++)
		body[i] = (uint64_t)rand() << 32 | (uint64_t)rand();
	if (command == IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL && rand() % 2)
		command = IB_USER_VERBS_CMD_QUERY_DEVICE;
	/* Some fds named in driver data are real ones. */
	if (rand() % 3 == 0)
		memcpy((uint8_t *)body + 8 * (1 + (size_t)rand() % 8), &z->memfd,
		       sizeof(z->memfd));
	return raw_write(&z->dev, command, body, len, z->scratch, out);
}

static int fuzz_ioctl(struct fuzz_state *z)
{
	static const uint16_t objects[] = {
		UVERBS_OBJECT_DEVICE, UVERBS_OBJECT_PD, UVERBS_OBJECT_MR,
		UVERBS_OBJECT_CQ, UVERBS_OBJECT_QP, UVERBS_OBJECT_ASYNC_EVENT,
		MLX5_IB_OBJECT_DEVX, MLX5_IB_OBJECT_DEVX_ASYNC_EVENT_FD,
		UODP_IB_OBJECT_ODP, UODP_IB_OBJECT_EMU,
	};
	struct ib_uverbs_attr attrs[8];
	unsigned int n = (unsigned int)rand() % 8, i;
	uint16_t method = (uint16_t)(rand() % 4 ? 0x1000 + rand() % 4 :
				     rand() % 8);

	for (i = 0; i < n; i++) {
		attrs[i] = (struct ib_uverbs_attr){
			.attr_id = (uint16_t)(rand() % 2 ? 0x1000 + rand() % 4 :
					      rand() % 8),
			.len = (uint16_t)(rand() % 300),
			.flags = (uint16_t)(rand() % 4),
		};
		attrs[i].data = attrs[i].len > 8 ?
				(uintptr_t)z->scratch :
				((uint64_t)rand() << 32 | (uint64_t)rand());
		if (rand() % 4 == 0)
			attrs[i].data = (uint64_t)z->memfd;
	}
	return raw_ioctl(&z->dev, objects[(size_t)rand() % (sizeof(objects) /
						     sizeof(objects[0]))],
		  method, attrs, n);
}

static void fuzz(pid_t daemon, int rounds)
{
	struct fuzz_state *z = calloc(1, sizeof(*z));
	int i, fd, lost = 0, served = 0, ret;

	if (!z)
		test_die("fuzz", ENOMEM);
	for (fd = 0; fd < 1024; fd++)
		z->keep[fd] = fcntl(fd, F_GETFD) >= 0;
	z->memfd = raw_make_memfd(65536, 1);
	srand(1234);
	if (z->memfd < 0 || raw_open(&z->dev))
		test_die("fuzz open", EIO);
	for (i = 0; i < rounds && z->dev.cmd_fd >= 0; i++) {
		ret = rand() % 2 ? fuzz_write(z) : fuzz_ioctl(z);
		served += !ret;
		if (i % 200 == 199)
			fuzz_renew(z);
	}
	lost = z->dev.cmd_fd < 0;
	raw_close(&z->dev);
	fuzz_renew(z);
	raw_close(&z->dev);
	close(z->memfd);
	free(z);
	test_check(!lost && device_alive(daemon),
		   "%d random commands and method calls: device alive", rounds);
	/* Not all stopped at the framing: some reached a handler and won. */
	test_check(served > 0, "%d of them were served", served);
}

static int test_commands(void)
{
	struct ibv_qp *a, *b;
	struct raw_dev probe;
	struct vres r;
	pid_t daemon;

	/* A real client whose objects others must not be able to touch. */
	vres_open(&r);
	a = vqp_create(&r);
	b = vqp_create(&r);
	if (vqp_connect(&r, a, b->qp_num, 14, 7) ||
	    vqp_connect(&r, b, a->qp_num, 14, 7))
		test_die("connect", errno);
	test_check(loopback_round(&r, a, b, 1), "a verbs client works");
	if (raw_open(&probe))
		test_die("raw open", EIO);
	daemon = (pid_t)probe.device_pid;
	raw_close(&probe);

	framing_cases(daemon);
	context_cases(daemon);
	bad_response_cases(daemon);
	handle_cases(daemon, a->qp_num, r.mr->lkey, r.cq->handle);
	create_cq_cases(daemon);
	reg_mr_cases(daemon);
	fuzz(daemon, 3000);

	test_check(loopback_round(&r, a, b, 2),
	      "the verbs client still works after all of it");
	ibv_destroy_qp(a);
	ibv_destroy_qp(b);
	vres_close(&r);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "traffic-child"))
		return traffic_child();
	if (access(RAW_DEV_PATH, F_OK)) {
		fprintf(stderr, "uodp-robust: run me inside uodp-run\n");
		return 2;
	}
	if (!strcmp(mode, "kill9"))
		test_kill9();
	else if (!strcmp(mode, "malformed"))
		test_malformed();
	else if (!strcmp(mode, "commands"))
		test_commands();
	else if (!strcmp(mode, "kernel-queues"))
		test_kernel_queues();
	else {
		fprintf(stderr, "usage: %s kill9|malformed|commands|kernel-queues\n",
			argv[0]);
		return 2;
	}
	printf("%s: %d failure(s)\n", mode, test_failures);
	return test_failures ? 1 : 0;
}
