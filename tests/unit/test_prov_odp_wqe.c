// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The fault engine's WQE parser (providers/uodp/odp/wqe_parse.c) against
 * hand-built send, receive and SRQ WQEs: every segment kind, wrap-around,
 * bytes_committed, byte_count 0, inline data, non-ODP lkeys, the RQ
 * terminator, the SRQ next segment, and malformed WQEs (which must fail
 * with an errno, never crash).
 */
#include "odp_fixture.h"

enum { QPN = 0x123, SQ_CNT = 16 };

static uint8_t ring[SQ_CNT * 64];
static struct uodp_odp_range rbuf[64];
static struct uodp_odp_range_list out;

static struct uodp_odp_wq_view sq_view(uint32_t flags, uint32_t cnt)
{
	struct uodp_odp_wq_view v = {
		.kind = UODP_ODP_WQ_SQ, .flags = flags, .buf = ring,
		.wqe_cnt = cnt, .wqe_shift = 6, .num = QPN, .pdn = PDN,
	};

	return v;
}

static int parse(const struct uodp_odp_wq_view *v, uint32_t idx,
		 uint32_t committed, uint32_t *next)
{
	uint32_t dummy;

	out = (struct uodp_odp_range_list){ rbuf, 0, 64 };
	return uodp_odp_parse_wqe(v, idx, committed, &fixture_resolver, &out,
				  next ? next : &dummy);
}

static void reset(void)
{
	memset(ring, 0, sizeof(ring));
}

static void test_send(void)
{
	struct uodp_odp_wq_view v = sq_view(0, SQ_CNT);
	uint32_t next;

	reset();
	ctrl_at(ring, sizeof(ring), 5 * 64, 0x0a, 5, QPN, 4);
	data_at(ring, sizeof(ring), 5 * 64 + 16, 100, KEY_A, A_IOVA + 0x10);
	data_at(ring, sizeof(ring), 5 * 64 + 32, 200, KEY_B, 0x600000);
	data_at(ring, sizeof(ring), 5 * 64 + 48, 300, 0x9999, 0x1000);
	CHECK(parse(&v, 5, 0, &next) == 0);
	CHECK(next == 6);
	CHECK(out.n == 1);	/* pinned and unknown keys count as mapped */
	CHECK(out.r[0].mr_key == KEY_A);
	CHECK(out.r[0].va == A_IOVA + 0x10);
	CHECK(out.r[0].length == 100);
	CHECK(out.r[0].addr == A_ADDR + 0x10);
	CHECK(out.r[0].flags == 0);	/* the device only reads a send */
	CHECK(out.r[0].mr_end == A_IOVA + A_LEN);
}

static void test_committed(void)
{
	struct uodp_odp_wq_view v = sq_view(0, SQ_CNT);

	reset();
	ctrl_at(ring, sizeof(ring), 0, 0x0a, 0, QPN, 3);
	data_at(ring, sizeof(ring), 16, 100, KEY_A, A_IOVA);
	data_at(ring, sizeof(ring), 32, 200, KEY_A, A_IOVA + 0x1000);
	CHECK(parse(&v, 0, 150, NULL) == 0);
	CHECK(out.n == 1);
	CHECK(out.r[0].va == A_IOVA + 0x1000 + 50);
	CHECK(out.r[0].length == 150);
	CHECK(parse(&v, 0, 300, NULL) == 0);
	CHECK(out.n == 0);	/* everything already done */
	/* The wqe index wraps at 16 bits whatever the ring size. */
	ctrl_at(ring, sizeof(ring), 0, 0x0a, 0x10, QPN, 3);
	CHECK(parse(&v, 0x10010, 0, NULL) == 0);
}

static void test_byte_count_zero(void)
{
	struct uodp_odp_wq_view v = sq_view(0, SQ_CNT);

	reset();
	ctrl_at(ring, sizeof(ring), 0, 0x0a, 0, QPN, 2);
	data_at(ring, sizeof(ring), 16, 0, KEY_I, 0x5000);
	CHECK(parse(&v, 0, 0, NULL) == 0);
	CHECK(out.n == 1);
	CHECK(out.r[0].length == 0x80000000ull);	/* 2 GiB */
	CHECK(out.r[0].addr == 0x5000);			/* implicit: va */
}

static void test_inline(void)
{
	struct uodp_odp_wq_view v = sq_view(0, SQ_CNT);

	reset();
	/* ctrl, inline of 20 bytes (2 DS), data: ds 4 */
	ctrl_at(ring, sizeof(ring), 0, 0x0a, 0, QPN, 4);
	ring_put32(ring, sizeof(ring), 16, 0x80000000u | 20);
	memset(ring + 20, 0xee, 20);	/* data that looks like garbage */
	data_at(ring, sizeof(ring), 48, 64, KEY_A, A_IOVA + 0x2000);
	CHECK(parse(&v, 0, 0, NULL) == 0);
	CHECK(out.n == 1);
	CHECK(out.r[0].va == A_IOVA + 0x2000);
	/* inline running past the DS count */
	ring_put32(ring, sizeof(ring), 16, 0x80000000u | 60);
	CHECK(parse(&v, 0, 0, NULL) == -EINVAL);
}

static void test_rdma_and_atomic(void)
{
	struct uodp_odp_wq_view v = sq_view(0, SQ_CNT);

	reset();
	ctrl_at(ring, sizeof(ring), 0, 0x08, 0, QPN, 3);	/* write */
	ring_put64(ring, sizeof(ring), 16, 0xdead0000);	/* raddr */
	ring_put32(ring, sizeof(ring), 24, 0x7777);
	data_at(ring, sizeof(ring), 32, 4096, KEY_A, A_IOVA);
	CHECK(parse(&v, 0, 0, NULL) == 0);
	CHECK(out.n == 1 && out.r[0].flags == 0);

	ctrl_at(ring, sizeof(ring), 0, 0x10, 0, QPN, 3);	/* read */
	CHECK(parse(&v, 0, 0, NULL) == 0);
	CHECK(out.n == 1 && (out.r[0].flags & UODP_ODP_MAP_WRITE));
	CHECK(out.r[0].flags & UODP_ODP_RANGE_POPULATE_WRITE);

	reset();
	ctrl_at(ring, sizeof(ring), 64, 0x11, 1, QPN, 4);	/* CS */
	ring_put64(ring, sizeof(ring), 64 + 16, 0xdead0000);
	ring_put64(ring, sizeof(ring), 64 + 32, 1);	/* swap */
	ring_put64(ring, sizeof(ring), 64 + 40, 2);	/* compare */
	data_at(ring, sizeof(ring), 64 + 48, 8, KEY_A, A_IOVA + 8);
	CHECK(parse(&v, 1, 0, NULL) == 0);
	CHECK(out.n == 1 && out.r[0].length == 8 &&
	      out.r[0].va == A_IOVA + 8 &&
	      (out.r[0].flags & UODP_ODP_MAP_WRITE));
	ctrl_at(ring, sizeof(ring), 64, 0x12, 1, QPN, 4);	/* FA */
	CHECK(parse(&v, 1, 0, NULL) == 0 && out.n == 1);
	/* an atomic whose segments do not fit its DS count */
	ctrl_at(ring, sizeof(ring), 64, 0x12, 1, QPN, 2);
	CHECK(parse(&v, 1, 0, NULL) == -EINVAL);
}

static void test_ud_av(void)
{
	struct uodp_odp_wq_view v = sq_view(UODP_ODP_WQ_UD, SQ_CNT);

	reset();
	/* base AV (16 bytes): ctrl, av, data */
	ctrl_at(ring, sizeof(ring), 0, 0x0a, 0, QPN, 3);
	ring_put32(ring, sizeof(ring), 16 + 8, 0x000456);	/* dqp */
	data_at(ring, sizeof(ring), 32, 256, KEY_A, A_IOVA + 0x3000);
	CHECK(parse(&v, 0, 0, NULL) == 0);
	CHECK(out.n == 1 && out.r[0].va == A_IOVA + 0x3000);

	/* extended AV (48 bytes): ctrl, av x3, data */
	reset();
	ctrl_at(ring, sizeof(ring), 0, 0x0a, 0, QPN, 5);
	ring_put32(ring, sizeof(ring), 16 + 8, 0x80000456u);
	ring_put32(ring, sizeof(ring), 32, 0x12345678);	/* GID bytes */
	data_at(ring, sizeof(ring), 64, 128, KEY_A, A_IOVA + 0x4000);
	CHECK(parse(&v, 0, 0, NULL) == 0);
	CHECK(out.n == 1 && out.r[0].va == A_IOVA + 0x4000 &&
	      out.r[0].length == 128);

	/* UD has no RDMA */
	ctrl_at(ring, sizeof(ring), 0, 0x08, 0, QPN, 5);
	CHECK(parse(&v, 0, 0, NULL) == -EINVAL);
}

static void test_xrc(void)
{
	struct uodp_odp_wq_view v = sq_view(UODP_ODP_WQ_XRC, SQ_CNT);

	reset();
	ctrl_at(ring, sizeof(ring), 0, 0x0a, 0, QPN, 3);
	ring_put32(ring, sizeof(ring), 16, 0x000789);	/* xrc_srqn */
	data_at(ring, sizeof(ring), 32, 512, KEY_A, A_IOVA + 0x5000);
	CHECK(parse(&v, 0, 0, NULL) == 0);
	CHECK(out.n == 1 && out.r[0].va == A_IOVA + 0x5000);
}

static void test_wrap(void)
{
	/* 4 WQEBBs: a WQE at index 3 runs 32 bytes past the ring's end. */
	struct uodp_odp_wq_view v = sq_view(0, 4);
	uint32_t size = 4 * 64, next;

	reset();
	ctrl_at(ring, size, 192, 0x08, 3, QPN, 6);
	ring_put64(ring, size, 208, 0x1000);
	data_at(ring, size, 224, 10, KEY_A, A_IOVA + 0x100);
	data_at(ring, size, 240, 20, KEY_A, A_IOVA + 0x200);
	data_at(ring, size, 256, 30, KEY_A, A_IOVA + 0x300);	/* at 0 */
	data_at(ring, size, 272, 40, KEY_A, A_IOVA + 0x400);	/* at 16 */
	CHECK(parse(&v, 3, 0, &next) == 0);
	CHECK(next == 5);
	CHECK(out.n == 4);
	CHECK(out.n == 4 && out.r[2].va == A_IOVA + 0x300 &&
	      out.r[2].length == 30);
	CHECK(out.n == 4 && out.r[3].va == A_IOVA + 0x400 &&
	      out.r[3].length == 40);
}

static void test_malformed(void)
{
	struct uodp_odp_wq_view v = sq_view(0, SQ_CNT);
	struct uodp_odp_wq_view one = sq_view(0, 1);

	reset();
	ctrl_at(ring, sizeof(ring), 0, 0x0a, 0, QPN, 0);	/* ds 0 */
	CHECK(parse(&v, 0, 0, NULL) == -EINVAL);
	ctrl_at(ring, sizeof(ring), 0, 0x0a, 0, QPN, 8);	/* 128 B > 64 */
	CHECK(parse(&one, 0, 0, NULL) == -EINVAL);
	ctrl_at(ring, sizeof(ring), 0, 0x0a, 0, QPN + 1, 2);	/* wrong QP */
	CHECK(parse(&v, 0, 0, NULL) == -EINVAL);
	ctrl_at(ring, sizeof(ring), 0, 0x25, 0, QPN, 2);	/* UMR */
	CHECK(parse(&v, 0, 0, NULL) == -EINVAL);
	ctrl_at(ring, sizeof(ring), 0, 0x0a, 7, QPN, 2);	/* index */
	CHECK(parse(&v, 0, 0, NULL) == -EINVAL);
	v.wqe_cnt = 3;						/* not 2^n */
	CHECK(parse(&v, 0, 0, NULL) == -EINVAL);
	v = sq_view(0, SQ_CNT);
	v.buf = NULL;
	CHECK(parse(&v, 0, 0, NULL) == -EINVAL);
}

static void test_mr_checks(void)
{
	struct uodp_odp_wq_view v = sq_view(0, SQ_CNT);

	reset();
	ctrl_at(ring, sizeof(ring), 0, 0x0a, 0, QPN, 2);
	data_at(ring, sizeof(ring), 16, 64, KEY_C, 0x700000);	/* PD 2 */
	CHECK(parse(&v, 0, 0, NULL) == -EPERM);
	data_at(ring, sizeof(ring), 16, 64, KEY_A, A_IOVA + A_LEN - 32);
	CHECK(parse(&v, 0, 0, NULL) == -EFAULT);
	data_at(ring, sizeof(ring), 16, 64, KEY_A, A_IOVA - 1);
	CHECK(parse(&v, 0, 0, NULL) == -EFAULT);
	data_at(ring, sizeof(ring), 16, 64, KEY_I, UINT64_MAX - 16);
	CHECK(parse(&v, 0, 0, NULL) == -EFAULT);	/* wraps */
}

static void test_rq(void)
{
	static uint8_t rq[4 * 64];
	struct uodp_odp_wq_view v = {
		.kind = UODP_ODP_WQ_RQ, .buf = rq, .wqe_cnt = 4,
		.wqe_shift = 6, .num = QPN, .pdn = PDN,
	};
	uint32_t next;

	memset(rq, 0, sizeof(rq));
	data_at(rq, sizeof(rq), 128, 1000, KEY_A, A_IOVA);
	data_at(rq, sizeof(rq), 144, 2000, KEY_I, 0x9000);
	data_at(rq, sizeof(rq), 160, 0, 0x100, 0);	/* terminator */
	data_at(rq, sizeof(rq), 176, 3000, KEY_A, A_IOVA);	/* stale */
	out = (struct uodp_odp_range_list){ rbuf, 0, 64 };
	CHECK(uodp_odp_parse_wqe(&v, 6, 0, &fixture_resolver, &out,
				 &next) == 0);	/* 6 & 3 == slot 2 */
	CHECK(next == 7);
	CHECK(out.n == 2);
	CHECK(out.r[0].flags & UODP_ODP_MAP_WRITE);
	CHECK(out.r[0].flags & UODP_ODP_RANGE_POPULATE_WRITE);
	CHECK(out.n == 2 && out.r[1].addr == 0x9000 &&
	      out.r[1].length == 2000);
	/* committed spans into the second SGE */
	out.n = 0;
	CHECK(uodp_odp_parse_wqe(&v, 2, 1500, &fixture_resolver, &out,
				 &next) == 0);
	CHECK(out.n == 1 && out.r[0].addr == 0x9000 + 500);
	/* a stride below one data segment */
	v.wqe_shift = 3;
	CHECK(uodp_odp_parse_wqe(&v, 2, 0, &fixture_resolver, &out,
				 &next) == -EINVAL);
}

static void test_srq(void)
{
	static uint8_t srq[8 * 64];
	struct uodp_odp_wq_view v = {
		.kind = UODP_ODP_WQ_SRQ, .buf = srq, .wqe_cnt = 8,
		.wqe_shift = 6, .num = 0x55, .pdn = PDN,
	};
	uint32_t next;

	memset(srq, 0, sizeof(srq));
	put16(srq + 3 * 64 + 2, 7);		/* next_wqe_index */
	data_at(srq, sizeof(srq), 3 * 64 + 16, 4096, KEY_A, A_IOVA + 0x8000);
	data_at(srq, sizeof(srq), 3 * 64 + 32, 0, 0x100, 0);
	out = (struct uodp_odp_range_list){ rbuf, 0, 64 };
	CHECK(uodp_odp_parse_wqe(&v, 3, 0, &fixture_resolver, &out,
				 &next) == 0);
	CHECK(next == 7);
	CHECK(out.n == 1 && out.r[0].va == A_IOVA + 0x8000 &&
	      out.r[0].length == 4096);
	CHECK(out.r[0].flags & UODP_ODP_MAP_WRITE);
}

static void test_full_list(void)
{
	struct uodp_odp_wq_view v = sq_view(0, SQ_CNT);
	uint32_t next, i;

	reset();
	ctrl_at(ring, sizeof(ring), 0, 0x0a, 0, QPN, 5);
	for (i = 0; i < 4; i++)
		data_at(ring, sizeof(ring), 16 + 16 * i, 8, KEY_A, A_IOVA);
	out = (struct uodp_odp_range_list){ rbuf, 0, 2 };
	CHECK(uodp_odp_parse_wqe(&v, 0, 0, &fixture_resolver, &out,
				 &next) == -ENOSPC);
}

int main(void)
{
	test_send();
	test_committed();
	test_byte_count_zero();
	test_inline();
	test_rdma_and_atomic();
	test_ud_av();
	test_xrc();
	test_wrap();
	test_malformed();
	test_mr_checks();
	test_rq();
	test_srq();
	test_full_list();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
