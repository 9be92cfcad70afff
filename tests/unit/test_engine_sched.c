// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Unit test of the engine's scheduler (engine.c): deficit round robin
 * between contexts, counted in bytes moved, never in time.  Context A
 * streams large RDMA READs on several QPs, context B is a bystander; the
 * QPs are structs over rings in this process and the READs move this
 * process's memory (process_vm, as for any client).
 *
 * - B's small READ completes after A has moved at most one quantum,
 *   though A has more QPs than B (per-QP turns let A move one step per QP);
 * - A's QPs share A's turns: each moves the same bytes;
 * - streaming side by side, A and B move the same bytes per round;
 * - an idle context banks no credit: B's first turn after idling is still
 *   one quantum;
 * - a context leaves the rounds with its last QP and may be freed (ASan).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "ctl.h"
#include "engine.h"
#include "check.h"

#define A_QPS 4
#define RING_BBS 16
#define STREAM_BYTES (8ull << 20)	/* a READ no test round finishes */
#define SMALL_BYTES 4096ull

/* A requester QP, its ring and doorbell record, and the peer it reads. */
struct reader {
	struct ud_qp *qp, *target;
	uint8_t ring[RING_BBS * MLX5_SEND_WQE_BB];
	uint32_t dbrec[2];
	uint32_t posted;
};

/* A context with an MR over src and dst, the memory its READs move. */
struct client {
	struct ud_ctx *ctx;
	uint32_t pdn;
	struct ud_mr *mr;
	uint8_t *buf;			/* src, then dst */
};

static struct uodpd d;

static void setup_daemon(void)
{
	d.ndevices = 1;
	d.devices[0].attr.max_mr_size = 1ull << 38;
	d.devices[0].attr.max_mr = 1u << 20;
	d.devices[0].attr.max_msg_sz = 1u << 30;
	ud_limits_init(&d.devices[0], 100);
	list_head_init(&d.ctxs);
	list_head_init(&d.sched_ctxs);
	ud_idr_init(&d.qps, 0x100, 0xffffff);
	ud_idr_init(&d.cqs, 1, 0xffffff);
	ud_idr_init(&d.mrs, 2, 0xffffff);
	ud_idr_init(&d.ctx_ids, 1, 0xffffff);
	d.quantum = UD_DEFAULT_QUANTUM;
	d.bounce = malloc(UD_BOUNCE_SIZE);
}

static void client_init(struct client *c, uint32_t pdn)
{
	c->ctx = ud_ctx_new(&d, getpid(), getuid());
	CHECK(c->ctx != NULL);
	c->ctx->dev = &d.devices[0];
	c->pdn = pdn;
	c->buf = malloc(2 * STREAM_BYTES);
	memset(c->buf, 0x5a, 2 * STREAM_BYTES);
	CHECK_EQ(ud_mr_register(&d, c->ctx, pdn, (uintptr_t)c->buf,
				2 * STREAM_BYTES, (uintptr_t)c->buf,
				IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_REMOTE_READ, UD_PIN_UNLIMITED,
				&c->mr), 0);
}

static struct ud_qp *rc_qp(struct client *c)
{
	struct ud_qp *qp = calloc(1, sizeof(*qp));

	qp->qpn = ud_idr_alloc(&d.qps, qp);
	qp->ctx = c->ctx;
	qp->type = IBV_QPT_RC;
	qp->state = IBV_QPS_RTS;
	qp->pdn = c->pdn;
	qp->send_cqn = UD_NO_HANDLE;	/* no CQ: completions show in sq.ci */
	qp->srqn = UD_NO_HANDLE;
	qp->attr.qp_access_flags = IBV_ACCESS_REMOTE_READ;
	qp->attr.max_dest_rd_atomic = 1;
	list_node_init(&qp->active_link);
	return qp;
}

/* A QP with a send queue in c, connected to a target QP of c. */
static void reader_init(struct reader *r, struct client *c)
{
	r->qp = rc_qp(c);
	r->target = rc_qp(c);
	r->qp->attr.dest_qp_num = r->target->qpn;
	r->target->attr.dest_qp_num = r->qp->qpn;
	r->qp->mem.db = (struct ud_qbuf){ .local = (uint8_t *)r->dbrec,
					  .len = sizeof(r->dbrec) };
	r->qp->sq.buf = (struct ud_qbuf){ .local = r->ring,
					  .len = sizeof(r->ring) };
	r->qp->sq.wqe_cnt = RING_BBS;
	ud_engine_qp_add(&d, r->qp);
}

/* Post a READ of len bytes of c's src into its dst, as mlx5 lays it out. */
static void post_read(struct reader *r, struct client *c, uint64_t len)
{
	uint8_t *wqe = r->ring + (r->posted % RING_BBS) * MLX5_SEND_WQE_BB;
	uint64_t src = (uintptr_t)c->buf, dst = src + STREAM_BYTES;
	uint32_t w32[4];
	uint64_t w64;

	memset(wqe, 0, MLX5_SEND_WQE_BB);
	w32[0] = htobe32((r->posted & 0xffff) << 8 | MLX5_OPCODE_RDMA_READ);
	w32[1] = htobe32(r->qp->qpn << 8 | 3);	/* ctrl, raddr, one data */
	memcpy(wqe, w32, 8);
	w64 = htobe64(src);
	memcpy(wqe + 16, &w64, 8);
	w32[0] = htobe32(c->mr->key);
	memcpy(wqe + 24, w32, 4);
	w32[0] = htobe32((uint32_t)len);
	w32[1] = htobe32(c->mr->key);
	memcpy(wqe + 32, w32, 8);
	w64 = htobe64(dst);
	memcpy(wqe + 40, &w64, 8);
	r->posted++;
	r->dbrec[MLX5_SND_DBR] = htobe32(r->posted);
}

static bool done(const struct reader *r)
{
	return r->qp->sq.ci == r->posted;
}

static uint64_t moved(const struct reader *r, int n)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += r[i].qp->req.bytes_done;
	return sum;
}

static struct client a, b;
static struct reader ar[A_QPS], br;

/* B's 4 KiB READ waits behind one quantum of A's, not one step per QP. */
static void test_bystander(void)
{
	uint64_t a_before;
	int polls;

	for (int i = 0; i < A_QPS; i++)
		post_read(&ar[i], &a, STREAM_BYTES);
	post_read(&br, &b, SMALL_BYTES);
	CHECK_EQ(d.mixed_until_ns, 0);
	d.cpu_contended_until_ns = UINT64_MAX;	/* the loop was preempted */
	for (polls = 0; polls < 100 && !done(&br); polls++)
		CHECK(ud_engine_poll(&d));
	CHECK(done(&br));
	/* A light context beside a heavy one: the loop shares the CPU. */
	CHECK(d.mixed_until_ns > ud_now_ns());
	CHECK_EQ(br.qp->state, IBV_QPS_RTS);
	CHECK_EQ(br.qp->req.bytes_done, SMALL_BYTES);
	a_before = moved(ar, A_QPS);
	CHECK(a_before <= d.quantum);
	CHECK(a_before > 0);	/* A was first and had its turn */
}

/* One poll with a 4 KiB READ of B posted: what A moved in it. */
static uint64_t round_with_b(void)
{
	uint64_t a0 = moved(ar, A_QPS);

	post_read(&br, &b, SMALL_BYTES);
	CHECK(ud_engine_poll(&d));
	CHECK(done(&br));
	return moved(ar, A_QPS) - a0;
}

/*
 * Shared, A's stream is rationed: a turn UD_BULK_PERIOD_NS after its last
 * one, or after UD_LIGHT_STREAK rounds in a row of B's work; B is served
 * in every round, and a round in which A waits still counts as work (the
 * loop shares the CPU rather than sleeping).
 */
static void test_stream_rationed(void)
{
	uint64_t a0;
	int round;

	CHECK(ud_engine_shared(&d, ud_now_ns()));
	/* Neither the sharing nor A's wait ends while a slow run looks. */
	d.mixed_until_ns = UINT64_MAX;
	d.bulk_due_ns = UINT64_MAX;
	CHECK_EQ(round_with_b(), 0);
	a0 = moved(ar, A_QPS);
	for (round = 0; round < 8; round++)
		CHECK(ud_engine_poll(&d));	/* B idle, A waits */
	CHECK_EQ(moved(ar, A_QPS), a0);
	d.bulk_due_ns = 0;			/* its period passed */
	CHECK(ud_engine_poll(&d));
	CHECK_EQ(moved(ar, A_QPS) - a0, d.quantum);
	CHECK(d.bulk_due_ns > ud_now_ns());	/* and waits again, */
	CHECK(d.bulk_due_ns <= ud_now_ns() + UD_BULK_PERIOD_NS);
	a0 = moved(ar, A_QPS);
	d.bulk_due_ns = UINT64_MAX;		/* (for a slow run too) */
	CHECK(ud_engine_poll(&d));
	CHECK_EQ(moved(ar, A_QPS), a0);
	for (round = 0; round < UD_LIGHT_STREAK; round++)
		CHECK_EQ(round_with_b(), 0);
	d.bulk_due_ns = UINT64_MAX;
	CHECK_EQ(round_with_b(), d.quantum);	/* B's streak let A in */
	CHECK(ud_engine_shared(&d, ud_now_ns()));
}

/* The CPUs not contended, B beside A's stream rations nothing. */
static void test_uncontended(void)
{
	d.cpu_contended_until_ns = 0;
	d.mixed_until_ns = 0;
	CHECK_EQ(round_with_b(), d.quantum);
	CHECK_EQ(round_with_b(), d.quantum);
	CHECK(!ud_engine_shared(&d, ud_now_ns()));
}

/* A's QPs take A's turns in order: each moves the same bytes. */
static void test_qps_take_turns(void)
{
	uint64_t start[A_QPS], total = moved(ar, A_QPS);
	int i, round;

	for (i = 0; i < A_QPS; i++)
		start[i] = ar[i].qp->req.bytes_done;
	d.mixed_until_ns = 0;
	for (round = 0; round < 2 * A_QPS; round++) {
		CHECK(ud_engine_poll(&d));
		/* Alone, A moves one quantum per round. */
		CHECK_EQ(moved(ar, A_QPS) - total, d.quantum);
		total = moved(ar, A_QPS);
	}
	for (i = 0; i < A_QPS; i++)
		CHECK_EQ(ar[i].qp->req.bytes_done - start[i], 2 * d.quantum);
	CHECK_EQ(d.mixed_until_ns, 0);	/* a lone stream never pauses */
}

/*
 * B idled for the rounds above and kept no credit: its first turn moves
 * one quantum.  Streaming side by side, A (4 QPs) and B (1) then move the
 * same bytes every round.
 */
static void test_equal_shares(void)
{
	uint64_t a0, b0;
	int round;

	post_read(&br, &b, STREAM_BYTES);
	for (round = 0; round < 8; round++) {
		a0 = moved(ar, A_QPS);
		/* The done 4 KiB READ's count stays until the next starts. */
		b0 = br.qp->req.active ? br.qp->req.bytes_done : 0;
		CHECK(ud_engine_poll(&d));
		CHECK_EQ(br.qp->req.bytes_done - b0, d.quantum);
		CHECK_EQ(moved(ar, A_QPS) - a0, d.quantum);
	}
	CHECK_EQ(d.mixed_until_ns, 0);	/* nor do streams side by side */
}

/* The last QP gone, A leaves the rounds; freeing it leaves no trace. */
static void test_leave(void)
{
	uint64_t b0 = br.qp->req.bytes_done;
	int i;

	for (i = 0; i < A_QPS; i++) {
		CHECK(!list_empty(&d.sched_ctxs));
		ud_engine_qp_remove(&d, ar[i].qp);
		ud_engine_qp_remove(&d, ar[i].qp);	/* harmless twice */
		ud_idr_remove(&d.qps, ar[i].qp->qpn);
		ud_idr_remove(&d.qps, ar[i].target->qpn);
		free(ar[i].qp);
		free(ar[i].target);
	}
	CHECK(d.sched_ctxs.n.next == &b.ctx->sched.link);
	CHECK(d.sched_ctxs.n.prev == &b.ctx->sched.link);
	ud_mr_destroy(&d, a.mr);
	free(a.buf);
	list_del(&a.ctx->link);
	ud_idr_remove(&d.ctx_ids, a.ctx->id);
	free(a.ctx);
	CHECK(ud_engine_poll(&d));
	CHECK_EQ(br.qp->req.bytes_done - b0, d.quantum);
	CHECK_EQ(ud_engine_next_deadline(&d), UINT64_MAX);
}

int main(void)
{
	int i;

	setup_daemon();
	client_init(&a, 1);
	client_init(&b, 2);
	for (i = 0; i < A_QPS; i++)
		reader_init(&ar[i], &a);
	reader_init(&br, &b);
	/* Nothing posted: every context's turn finds no work. */
	CHECK(!ud_engine_poll(&d));
	test_bystander();
	test_stream_rationed();
	test_uncontended();
	test_qps_take_turns();
	test_equal_shares();
	test_leave();
	return check_report("test_engine_sched");
}
