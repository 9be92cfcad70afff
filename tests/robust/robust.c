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
 *   uodp-robust commands   garbage on the command socket (bad framing,
 *                          opcodes, handles, fds, sizes, random bytes)
 *                          never takes the daemon down
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "tests/lib/child.h"
#include "tests/lib/report.h"
#include "tests/lib/verbs.h"

#include "hw/mlx5/cqe.h"
#include "hw/mlx5/wqe.h"
#include "rawdev.h"

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

static uint32_t raw_qp_state(struct raw_dev *dev, uint32_t qpn)
{
	struct uodp_handle_req req = { .handle = qpn };
	struct uodp_query_qp_resp resp;

	if (raw_cmd(dev, UODP_CMD_QUERY_QP, &req, sizeof(req), NULL, 0, &resp,
		    sizeof(resp)))
		return ~0u;
	return resp.attr.qp_state;
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
	raw_destroy(&env->dev, UODP_CMD_DESTROY_QP, a.qpn);
	raw_destroy(&env->dev, UODP_CMD_DESTROY_QP, b.qpn);
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
	raw_destroy(&env->dev, UODP_CMD_DESTROY_QP, a.qpn);
	raw_destroy(&env->dev, UODP_CMD_DESTROY_QP, b.qpn);
	raw_free_qp(&a);
	raw_free_qp(&b);
	while (raw_poll_cq(&env->bad_cq, cqe[0], 50))
		;
}

static void raw_env_open(struct raw_env *env)
{
	struct vres probe;
	int ret;

	/* The GID index comes from the real provider's view of uodp0. */
	vres_open(&probe);
	env->sgid_index = probe.gid_index;
	vres_close(&probe);
	ret = raw_open(&env->dev, DEV_NAME);
	if (ret)
		test_die("raw open", -ret);
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
	raw_env_open(&env);
	test_check(good_traffic(&env, 1), "hand-written SEND WQEs work");
	valid_wrap_case(&env);
	for (n = 0; n < sizeof(malformed) / sizeof(malformed[0]); n++)
		malformed_case(&env, n);
	test_check(good_traffic(&env, 2), "the good pair works at the end");
	raw_env_close(&env);
	return 0;
}

/* ------------------------------------------------------------------ */
/* garbage commands                                                    */

static bool daemon_alive(pid_t pid)
{
	struct raw_dev dev;
	struct uodp_device_attr attr;
	bool ok;

	if (kill(pid, 0))
		return false;
	if (raw_open(&dev, DEV_NAME))
		return false;
	ok = !raw_cmd(&dev, UODP_CMD_QUERY_DEVICE, NULL, 0, NULL, 0, &attr,
		      sizeof(attr)) && attr.phys_port_cnt == 1;
	raw_close(&dev);
	return ok;
}

/* Sends msg; the daemon must answer with an error or drop the connection. */
static void expect_refused(struct raw_dev *dev, const char *what,
			   const void *msg, size_t len, const int *fds,
			   int nfds)
{
	uint8_t resp[UODP_MAX_CMD_SIZE];
	int n, ret, rfds[UODP_MAX_FDS], rnfds = UODP_MAX_FDS, i;
	int32_t status = 0;

	ret = raw_send_msg(dev, msg, len, fds, nfds);
	if (ret) {		/* e.g. EMSGSIZE: refused by the socket */
		test_check(true, "%s: refused at send (%s)", what, strerror(-ret));
		return;
	}
	n = raw_recv_msg(dev, resp, sizeof(resp), rfds, &rnfds, DEADLINE_MS);
	for (i = 0; n > 0 && i < rnfds; i++)
		close(rfds[i]);
	if (n >= (int)sizeof(struct uodp_resp_hdr))
		memcpy(&status, resp, sizeof(status));
	test_check(n == 0 || (n > 0 && status < 0), "%s: %s", what,
	      n == 0 ? "connection dropped" :
	      n < 0 ? strerror(-n) : status < 0 ? strerror(-status) :
	      "ACCEPTED");
}

static void one_shot(pid_t daemon, const char *what, bool open_first,
		     const void *msg, size_t len, const int *fds, int nfds)
{
	struct raw_dev dev;
	int ret = open_first ? raw_open(&dev, DEV_NAME) : raw_connect(&dev);

	if (ret) {
		test_check(false, "%s: cannot connect (%s)", what, strerror(-ret));
		return;
	}
	expect_refused(&dev, what, msg, len, fds, nfds);
	raw_close(&dev);
	test_check(daemon_alive(daemon), "%s: daemon alive", what);
}

static void cmd_msg(uint8_t *buf, uint32_t opcode, const void *body,
		    size_t len)
{
	struct uodp_cmd_hdr h = { .opcode = opcode,
				  .length = sizeof(h) + len };

	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), body, len);
}

static void handle_cases(pid_t daemon, uint32_t foreign_qpn,
			 uint32_t foreign_key)
{
	static const uint32_t ops[] = {
		UODP_CMD_DEALLOC_PD, UODP_CMD_DEREG_MR, UODP_CMD_DESTROY_CQ,
		UODP_CMD_CLOSE_XRCD, UODP_CMD_QUERY_SRQ, UODP_CMD_DESTROY_SRQ,
		UODP_CMD_QUERY_QP, UODP_CMD_DESTROY_QP,
	};
	const uint32_t handles[] = { 0, 1, 0xffffffff, 0x00ffffff,
				     foreign_qpn, foreign_key };
	uint8_t msg[64];
	char what[96];
	size_t i, j;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		for (j = 0; j < sizeof(handles) / sizeof(handles[0]); j++) {
			struct uodp_handle_req req = { .handle = handles[j] };

			cmd_msg(msg, ops[i], &req, sizeof(req));
			snprintf(what, sizeof(what), "opcode %u on handle 0x%x",
				 ops[i], handles[j]);
			one_shot(daemon, what, true, msg,
				 sizeof(struct uodp_cmd_hdr) + sizeof(req),
				 NULL, 0);
		}
	}
}

static void create_cq_cases(pid_t daemon)
{
	struct uodp_create_cq_req req = {
		.comp_channel = -1,
		.mmap_size = 8192, .cqe_cnt = 64, .cqe_size = 64,
		.buf_offset = 0, .dbrec_offset = 4096,
	};
	uint8_t msg[128];
	int unsealed = raw_make_memfd(8192, 0);
	int small = raw_make_memfd(4096, 1);
	int good = raw_make_memfd(8192, 1);
	int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int pipefd[2], five[5];
	size_t len = sizeof(struct uodp_cmd_hdr) + sizeof(req);

	if (unsealed < 0 || small < 0 || good < 0 || nullfd < 0 ||
	    pipe2(pipefd, O_CLOEXEC))
		test_die("fds", errno);
	cmd_msg(msg, UODP_CMD_CREATE_CQ, &req, sizeof(req));
	one_shot(daemon, "CREATE_CQ without fd", true, msg, len, NULL, 0);
	one_shot(daemon, "CREATE_CQ with /dev/null", true, msg, len, &nullfd, 1);
	one_shot(daemon, "CREATE_CQ with a pipe", true, msg, len, pipefd, 1);
	one_shot(daemon, "CREATE_CQ with an unsealed memfd", true, msg, len,
		 &unsealed, 1);
	one_shot(daemon, "CREATE_CQ with a too small memfd", true, msg, len,
		 &small, 1);
	five[0] = five[1] = five[2] = five[3] = five[4] = good;
	one_shot(daemon, "CREATE_CQ with five fds", true, msg, len, five, 5);
	req.cqe_cnt = 63;
	cmd_msg(msg, UODP_CMD_CREATE_CQ, &req, sizeof(req));
	one_shot(daemon, "CREATE_CQ of 63 entries", true, msg, len, &good, 1);
	req.cqe_cnt = 1u << 31;
	cmd_msg(msg, UODP_CMD_CREATE_CQ, &req, sizeof(req));
	one_shot(daemon, "CREATE_CQ of 2^31 entries", true, msg, len, &good, 1);
	req.cqe_cnt = 64;
	req.dbrec_offset = 8190;
	cmd_msg(msg, UODP_CMD_CREATE_CQ, &req, sizeof(req));
	one_shot(daemon, "CREATE_CQ dbrec past the end", true, msg, len, &good, 1);
	req.dbrec_offset = 0;
	cmd_msg(msg, UODP_CMD_CREATE_CQ, &req, sizeof(req));
	one_shot(daemon, "CREATE_CQ dbrec inside the ring", true, msg, len,
		 &good, 1);
	req.dbrec_offset = 4096;
	req.mmap_size = 1ull << 40;
	cmd_msg(msg, UODP_CMD_CREATE_CQ, &req, sizeof(req));
	one_shot(daemon, "CREATE_CQ mmap_size 1 TiB", true, msg, len, &good, 1);
	req.mmap_size = 8192;
	req.cqe_size = 128;
	cmd_msg(msg, UODP_CMD_CREATE_CQ, &req, sizeof(req));
	one_shot(daemon, "CREATE_CQ with 128-byte CQEs", true, msg, len, &good, 1);
	close(unsealed);
	close(small);
	close(good);
	close(nullfd);
	close(pipefd[0]);
	close(pipefd[1]);
}

static void misc_cases(pid_t daemon)
{
	struct uodp_open_context_req oreq = { .abi_version = UODP_ABI_VERSION };
	struct uodp_reg_mr_req mr = { .access = IBV_ACCESS_LOCAL_WRITE };
	uint8_t msg[UODP_MAX_CMD_SIZE * 4] = { 0 };
	struct uodp_cmd_hdr h;
	size_t hl = sizeof(h);

	one_shot(daemon, "empty message", false, msg, 0, NULL, 0);
	one_shot(daemon, "4-byte message", false, "\1\0\0\0", 4, NULL, 0);
	cmd_msg(msg, UODP_CMD_OPEN_CONTEXT, &oreq, sizeof(oreq));
	((struct uodp_cmd_hdr *)msg)->length = 200;
	one_shot(daemon, "length field larger than the message", false, msg,
		 hl + sizeof(oreq), NULL, 0);
	((struct uodp_cmd_hdr *)msg)->length = 4;
	one_shot(daemon, "length field smaller than the header", false, msg,
		 hl + sizeof(oreq), NULL, 0);
	memset(msg, 0x41, sizeof(msg));
	cmd_msg(msg, UODP_CMD_QUERY_DEVICE, NULL, 0);
	((struct uodp_cmd_hdr *)msg)->length = sizeof(msg);
	one_shot(daemon, "4 KiB message", true, msg, sizeof(msg), NULL, 0);
	cmd_msg(msg, 0, NULL, 0);
	one_shot(daemon, "opcode 0", true, msg, hl, NULL, 0);
	cmd_msg(msg, UODP_CMD_MAX, NULL, 0);
	one_shot(daemon, "opcode UODP_CMD_MAX", true, msg, hl, NULL, 0);
	cmd_msg(msg, 0xdeadbeef, NULL, 0);
	one_shot(daemon, "opcode 0xdeadbeef", true, msg, hl, NULL, 0);
	cmd_msg(msg, UODP_CMD_ALLOC_PD, NULL, 0);
	one_shot(daemon, "ALLOC_PD before OPEN_CONTEXT", false, msg, hl, NULL, 0);
	cmd_msg(msg, UODP_CMD_OPEN_CONTEXT, &oreq, sizeof(oreq));
	one_shot(daemon, "OPEN_CONTEXT without a device name", false, msg,
		 hl + sizeof(oreq), NULL, 0);
	strcpy(oreq.ibdev, DEV_NAME);
	cmd_msg(msg, UODP_CMD_OPEN_CONTEXT, &oreq, sizeof(oreq));
	one_shot(daemon, "OPEN_CONTEXT twice", true, msg, hl + sizeof(oreq),
		 NULL, 0);
	oreq.abi_version = 99;
	cmd_msg(msg, UODP_CMD_OPEN_CONTEXT, &oreq, sizeof(oreq));
	one_shot(daemon, "OPEN_CONTEXT with ABI 99", false, msg,
		 hl + sizeof(oreq), NULL, 0);
	oreq.abi_version = UODP_ABI_VERSION;
	memset(oreq.ibdev, 'x', sizeof(oreq.ibdev));
	cmd_msg(msg, UODP_CMD_OPEN_CONTEXT, &oreq, sizeof(oreq));
	one_shot(daemon, "OPEN_CONTEXT with an unterminated name", false, msg,
		 hl + sizeof(oreq), NULL, 0);
	strcpy(oreq.ibdev, "uodp9");
	cmd_msg(msg, UODP_CMD_OPEN_CONTEXT, &oreq, sizeof(oreq));
	one_shot(daemon, "OPEN_CONTEXT of uodp9", false, msg,
		 hl + sizeof(oreq), NULL, 0);
	cmd_msg(msg, UODP_CMD_QUERY_PORT, "\1", 1);
	one_shot(daemon, "QUERY_PORT with a truncated body", true, msg, hl + 1,
		 NULL, 0);
	mr.pdn = 12345;
	mr.addr = 4096;
	mr.length = 4096;
	cmd_msg(msg, UODP_CMD_REG_MR, &mr, sizeof(mr));
	one_shot(daemon, "REG_MR on an unknown PD", true, msg, hl + sizeof(mr),
		 NULL, 0);
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
	uint32_t pdn, key;
	size_t i;
	int ret;

	if (raw_open(&dev, DEV_NAME) || raw_alloc_pd(&dev, &pdn)) {
		test_check(false, "REG_MR cases: setup");
		return;
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = raw_reg_mr(&dev, pdn, (void *)(uintptr_t)bad[i].addr,
				 bad[i].len, IBV_ACCESS_LOCAL_WRITE, &key);
		test_check(ret < 0, "%s: %s", bad[i].what,
		      ret < 0 ? strerror(-ret) : "ACCEPTED");
	}
	ret = raw_reg_mr(&dev, pdn, &dev, sizeof(dev), 1u << 30, &key);
	test_check(ret < 0, "REG_MR with unknown access bit 1<<30: %s",
	      ret < 0 ? strerror(-ret) : "ACCEPTED");
	raw_close(&dev);
	test_check(daemon_alive(daemon), "REG_MR cases: daemon alive");
}

/* Random bytes after a valid OPEN_CONTEXT, with a fixed seed. */
static void fuzz(pid_t daemon, int rounds)
{
	uint8_t msg[512], resp[UODP_MAX_CMD_SIZE];
	int i, j, n, len, alive_fail = 0, rnfds, rfds[UODP_MAX_FDS], k;
	struct raw_dev dev;
	int memfd = raw_make_memfd(65536, 1);

	srand(1234);
	if (raw_open(&dev, DEV_NAME))
		test_die("fuzz open", EIO);
	for (i = 0; i < rounds; i++) {
		struct uodp_cmd_hdr *h = (void *)msg;

		len = sizeof(*h) + rand() % (sizeof(msg) - sizeof(*h));
		for (j = 0; j < len; j++)
			msg[j] = (uint8_t)rand();
		h->opcode = 1 + rand() % (UODP_CMD_MAX + 1);
		if (rand() % 4)
			h->length = len;	/* mostly well framed */
		if (raw_send_msg(&dev, msg, len, &memfd, rand() % 3 == 0)) {
			raw_close(&dev);
			if (raw_open(&dev, DEV_NAME))
				break;
			continue;
		}
		rnfds = UODP_MAX_FDS;
		n = raw_recv_msg(&dev, resp, sizeof(resp), rfds, &rnfds,
				 DEADLINE_MS);
		for (k = 0; n > 0 && k < rnfds; k++)
			close(rfds[k]);
		if (n <= 0) {		/* dropped: reconnect */
			raw_close(&dev);
			if (raw_open(&dev, DEV_NAME)) {
				alive_fail++;
				break;
			}
		}
	}
	raw_close(&dev);
	close(memfd);
	test_check(!alive_fail && daemon_alive(daemon),
	      "%d random commands: daemon alive", rounds);
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
	if (raw_open(&probe, DEV_NAME))
		test_die("raw open", EIO);
	daemon = probe.daemon_pid;
	raw_close(&probe);

	misc_cases(daemon);
	handle_cases(daemon, a->qp_num, r.mr->lkey);
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
	if (!getenv(UODP_SOCKET_ENV)) {
		fprintf(stderr, "uodp-robust: run me inside uodp-run\n");
		return 2;
	}
	if (!strcmp(mode, "kill9"))
		test_kill9();
	else if (!strcmp(mode, "malformed"))
		test_malformed();
	else if (!strcmp(mode, "commands"))
		test_commands();
	else {
		fprintf(stderr, "usage: %s kill9|malformed|commands\n", argv[0]);
		return 2;
	}
	printf("%s: %d failure(s)\n", mode, test_failures);
	return test_failures ? 1 : 0;
}
