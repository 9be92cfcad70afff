// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Range coalescing, the RDMA fault range, and what the prefetch policies
 * add (providers/uodp/odp/ranges.c, policy.c).
 */
#include "odp_fixture.h"

static struct uodp_odp_range rbuf[256];
static struct uodp_odp_range_list out;

static void clear(void)
{
	out = (struct uodp_odp_range_list){ rbuf, 0, 256 };
}

static struct uodp_odp_range mk(uint32_t key, uint64_t addr, uint64_t len,
				uint32_t flags)
{
	struct uodp_odp_range r = {
		.mr_key = key, .flags = flags, .va = addr, .length = len,
		.addr = addr, .mr_end = UINT64_MAX,
	};

	return r;
}

static void test_coalesce(void)
{
	struct uodp_odp_range r[6];
	uint32_t n;

	r[0] = mk(2, 0x10800, 16, 0);		/* same page as r[2]'s end */
	r[1] = mk(1, 0x5000, 0x100, 0);
	r[2] = mk(2, 0x10000, 100, 0);
	r[3] = mk(2, 0x10064, 50, UODP_ODP_MAP_WRITE);	/* touches r[2] */
	r[4] = mk(2, 0x30000, 8, 0);		/* far away */
	r[5] = mk(1, 0x5080, 0x200, 0);		/* overlaps r[1] */
	n = uodp_odp_coalesce(r, 6);
	CHECK(n == 3);
	CHECK(r[0].mr_key == 1 && r[0].addr == 0x5000 && r[0].length == 0x280);
	CHECK(r[1].mr_key == 2 && r[1].addr == 0x10000 &&
	      r[1].length == 0x810);
	CHECK(r[1].flags == UODP_ODP_MAP_WRITE);
	CHECK(r[2].addr == 0x30000 && r[2].length == 8);

	/* a range inside another one */
	r[0] = mk(1, 0x1000, 0x3000, 0);
	r[1] = mk(1, 0x2000, 0x10, 0);
	CHECK(uodp_odp_coalesce(r, 2) == 1 && r[0].length == 0x3000);
	/* touching at a page boundary */
	r[0] = mk(1, 0x1000, 0x1000, 0);
	r[1] = mk(1, 0x2000, 0x1000, 0);
	CHECK(uodp_odp_coalesce(r, 2) == 1 && r[0].length == 0x2000);
	/* two pages apart */
	r[0] = mk(1, 0x1000, 0x10, 0);
	r[1] = mk(1, 0x3000, 0x10, 0);
	CHECK(uodp_odp_coalesce(r, 2) == 2);
	CHECK(uodp_odp_coalesce(r, 0) == 0);
}

static void test_span(void)
{
	struct uodp_odp_range r = mk(1, 0x1ff0, 0x20, 0);
	uint64_t s, e;

	uodp_odp_range_span(&r, &s, &e);
	CHECK(s == 0x1000 && e == 0x3000);
}

static void test_rdma_range(void)
{
	struct uodp_odp_fault f = {
		.subtype = 1, .type = 4, .rkey = RKEY_A, .rdma_va = A_IOVA,
		.packet_length = 512,
	};
	struct uodp_odp_mr_info mr;

	clear();
	CHECK(uodp_odp_rdma_range(&f, &fixture_resolver, &out, &mr) == 0);
	CHECK(out.n == 1 && out.r[0].length == 512);	/* op_len 0 */
	CHECK(out.r[0].addr == A_ADDR && out.r[0].mr_key == KEY_A);
	/* MR A takes remote writes: mapped writable, populated for read. */
	CHECK(out.r[0].flags == UODP_ODP_MAP_WRITE);

	clear();
	f.type = 6;		/* RDMA | WRITE */
	f.rdma_op_len = 8192;
	f.bytes_committed = 4096;
	CHECK(uodp_odp_rdma_range(&f, &fixture_resolver, &out, &mr) == 0);
	CHECK(out.n == 1 && out.r[0].va == A_IOVA + 4096 &&
	      out.r[0].length == 4096);
	CHECK(out.r[0].flags & UODP_ODP_RANGE_POPULATE_WRITE);

	clear();
	f.rdma_va = A_IOVA + A_LEN - 100;	/* runs off the MR */
	f.bytes_committed = 0;
	CHECK(uodp_odp_rdma_range(&f, &fixture_resolver, &out, &mr) ==
	      -EFAULT);
	f.rkey = 0x4242;
	CHECK(uodp_odp_rdma_range(&f, &fixture_resolver, &out, &mr) ==
	      -ENOENT);
	f.rkey = KEY_B;		/* pinned MR: not ours to fault */
	CHECK(uodp_odp_rdma_range(&f, &fixture_resolver, &out, &mr) ==
	      -EINVAL);
}

static void test_readahead(void)
{
	const struct uodp_odp_policy *la = uodp_odp_policy_find("lookahead");
	const struct uodp_odp_policy *ex = uodp_odp_policy_find("exact");
	struct uodp_odp_policy_params p = { .readahead = 1 << 16,
					    .max_wqes = 64 };
	struct uodp_odp_fault f = {
		.subtype = 1, .type = 6, .rkey = RKEY_A, .rdma_va = A_IOVA,
		.rdma_op_len = 4096,
	};
	struct uodp_odp_range fault;
	struct uodp_odp_mr_info mr;

	CHECK(la && ex && !uodp_odp_policy_find("bogus"));
	CHECK(!ex->rdma_extra && !ex->wqe_extra);
	clear();
	CHECK(uodp_odp_rdma_range(&f, &fixture_resolver, &out, &mr) == 0);
	fault = out.r[0];
	clear();
	la->rdma_extra(&p, &mr, &fault, &out);
	CHECK(out.n == 1 && out.r[0].va == A_IOVA + 4096 &&
	      out.r[0].length == 1 << 16 &&
	      out.r[0].addr == A_ADDR + 4096);
	/* clipped to the MR */
	fault.va = A_IOVA + A_LEN - 8192;
	clear();
	la->rdma_extra(&p, &mr, &fault, &out);
	CHECK(out.n == 1 && out.r[0].length == 4096);
	/* nothing beyond the MR's end */
	fault.va = A_IOVA + A_LEN - 4096;
	clear();
	la->rdma_extra(&p, &mr, &fault, &out);
	CHECK(out.n == 0);
}

/* The adaptive window: doubling on a stream, reset off it, sync part. */
static void test_readahead_stream(void)
{
	const uint64_t M = 1 << 20;
	struct uodp_odp_policy_params p = { .readahead = 4 * M,
					    .readahead_max = 32 * M };
	struct uodp_odp_readahead ra = { 0 };
	uint64_t sync, va = 0x100000000ull;

	/* the first fault of a stream: the initial window, all before resume */
	CHECK(uodp_odp_readahead_next(&ra, &p, 7, va, M, &sync) == 4 * M);
	CHECK(sync == 4 * M);
	/* the device reached the window's end: doubled, sync stays fixed */
	va += 5 * M;
	CHECK(uodp_odp_readahead_next(&ra, &p, 7, va, M, &sync) == 8 * M);
	CHECK(sync == 4 * M);
	va += 9 * M;
	CHECK(uodp_odp_readahead_next(&ra, &p, 7, va, M, &sync) == 16 * M);
	va += 17 * M;
	CHECK(uodp_odp_readahead_next(&ra, &p, 7, va, M, &sync) == 32 * M);
	/* capped at readahead_max */
	va += 33 * M;
	CHECK(uodp_odp_readahead_next(&ra, &p, 7, va, M, &sync) == 32 * M);
	CHECK(sync == 4 * M);
	/* a fault inside the last range (the device caught up) continues */
	CHECK(uodp_odp_readahead_next(&ra, &p, 7, va + 4096, M, &sync) ==
	      32 * M);
	/* more than a window past the stream's end: a new stream */
	va += 34 * M + 32 * M;
	CHECK(uodp_odp_readahead_next(&ra, &p, 7, va, M, &sync) == 4 * M);
	/* another rkey: a new stream */
	CHECK(uodp_odp_readahead_next(&ra, &p, 7, va + M, M, &sync) ==
	      8 * M);
	CHECK(uodp_odp_readahead_next(&ra, &p, 8, va + 2 * M, M, &sync) ==
	      4 * M);
	/* backwards: a new stream */
	CHECK(uodp_odp_readahead_next(&ra, &p, 8, va + 3 * M, M, &sync) ==
	      8 * M);
	CHECK(uodp_odp_readahead_next(&ra, &p, 8, va, M, &sync) == 4 * M);
	/* a max that is not a power-of-two multiple is still the cap */
	p.readahead_max = 12 * M;
	CHECK(uodp_odp_readahead_next(&ra, &p, 8, va + M, M, &sync) ==
	      8 * M);
	CHECK(uodp_odp_readahead_next(&ra, &p, 8, va + 2 * M, M, &sync) ==
	      12 * M);
	/* read-ahead off */
	p.readahead = 0;
	CHECK(uodp_odp_readahead_next(&ra, &p, 8, va + 3 * M, M, &sync) == 0);
	CHECK(sync == 0);
}

enum { QPN = 0x77 };

/* An SQ with WQEs at 0 (2 WQEBBs), 2, 3 and a producer of 4. */
static void test_lookahead_sq(void)
{
	static uint8_t sq[8 * 64];
	const struct uodp_odp_policy *la = uodp_odp_policy_find("lookahead");
	struct uodp_odp_policy_params p = { .max_wqes = 64 };
	struct uodp_odp_wq_view v = {
		.kind = UODP_ODP_WQ_SQ, .buf = sq, .wqe_cnt = 8,
		.wqe_shift = 6, .num = QPN, .pdn = PDN, .producer = 0x10004,
	};
	uint32_t next, i;

	memset(sq, 0, sizeof(sq));
	ctrl_at(sq, sizeof(sq), 0, 0x0a, 0, QPN, 5);	/* 80 B: 2 WQEBBs */
	for (i = 0; i < 4; i++)
		data_at(sq, sizeof(sq), 16 + 16 * i, 64, KEY_A,
			A_IOVA + 0x1000 * i);
	ctrl_at(sq, sizeof(sq), 128, 0x0a, 2, QPN, 2);
	data_at(sq, sizeof(sq), 144, 64, KEY_A, A_IOVA + 0x10000);
	ctrl_at(sq, sizeof(sq), 192, 0x08, 3, QPN, 3);
	data_at(sq, sizeof(sq), 224, 64, KEY_A, A_IOVA + 0x20000);
	ctrl_at(sq, sizeof(sq), 256, 0x0a, 4, QPN, 2);	/* not posted */
	data_at(sq, sizeof(sq), 272, 64, KEY_A, A_IOVA + 0x30000);

	clear();
	CHECK(uodp_odp_parse_wqe(&v, 0, 0, &fixture_resolver, &out,
				 &next) == 0);
	CHECK(out.n == 4 && next == 2);
	clear();
	la->wqe_extra(&p, &v, next, &fixture_resolver, &out);
	CHECK(out.n == 2);
	CHECK(out.n == 2 && out.r[0].va == A_IOVA + 0x10000 &&
	      out.r[1].va == A_IOVA + 0x20000);
	/* max_wqes bounds the walk */
	p.max_wqes = 1;
	clear();
	la->wqe_extra(&p, &v, next, &fixture_resolver, &out);
	CHECK(out.n == 1);
	/* a malformed WQE behind stops the walk, without an error */
	p.max_wqes = 64;
	ctrl_at(sq, sizeof(sq), 192, 0x0a, 3, QPN, 0);
	clear();
	la->wqe_extra(&p, &v, next, &fixture_resolver, &out);
	CHECK(out.n == 1);
}

static void test_lookahead_rq(void)
{
	static uint8_t rq[8 * 32];
	const struct uodp_odp_policy *la = uodp_odp_policy_find("lookahead");
	struct uodp_odp_policy_params p = { .max_wqes = 64 };
	struct uodp_odp_wq_view v = {
		.kind = UODP_ODP_WQ_RQ, .buf = rq, .wqe_cnt = 8,
		.wqe_shift = 5, .num = QPN, .pdn = PDN,
	};
	uint32_t i;

	memset(rq, 0, sizeof(rq));
	for (i = 0; i < 8; i++) {
		data_at(rq, sizeof(rq), 32 * i, 100, KEY_A,
			A_IOVA + 0x1000 * i);
		data_at(rq, sizeof(rq), 32 * i + 16, 0, 0x100, 0);
	}
	/* fault on WQE 6 (counter 0xfffe), posted up to 0x10002: 3 more */
	v.producer = 0x10002;
	clear();
	la->wqe_extra(&p, &v, 0xffff, &fixture_resolver, &out);
	CHECK(out.n == 3);
	CHECK(out.n == 3 && out.r[0].va == A_IOVA + 0x7000 &&
	      out.r[1].va == A_IOVA && out.r[2].va == A_IOVA + 0x1000);
	/* nothing posted behind */
	v.producer = 0xffff;
	clear();
	la->wqe_extra(&p, &v, 0xffff, &fixture_resolver, &out);
	CHECK(out.n == 0);
}

static void test_lookahead_srq(void)
{
	static uint8_t srq[4 * 32];
	const struct uodp_odp_policy *la = uodp_odp_policy_find("lookahead");
	struct uodp_odp_policy_params p = { .max_wqes = 64 };
	struct uodp_odp_wq_view v = {
		.kind = UODP_ODP_WQ_SRQ, .buf = srq, .wqe_cnt = 4,
		.wqe_shift = 5, .num = 9, .pdn = PDN,
	};
	uint32_t i;

	/* list 0 -> 2 -> 1 -> 3, head (first free) at 3 */
	static const uint16_t link[4] = { 2, 3, 1, 0 };

	memset(srq, 0, sizeof(srq));
	for (i = 0; i < 4; i++) {
		put16(srq + 32 * i + 2, link[i]);
		data_at(srq, sizeof(srq), 32 * i + 16, 64, KEY_A,
			A_IOVA + 0x1000 * i);
	}
	v.producer = 3;
	/* fault on 0: its next is 2; posted behind it: 2 and 1 */
	clear();
	la->wqe_extra(&p, &v, 2, &fixture_resolver, &out);
	CHECK(out.n == 2);
	CHECK(out.n == 2 && out.r[0].va == A_IOVA + 0x2000 &&
	      out.r[1].va == A_IOVA + 0x1000);
}

int main(void)
{
	test_coalesce();
	test_span();
	test_rdma_range();
	test_readahead();
	test_readahead_stream();
	test_lookahead_sq();
	test_lookahead_rq();
	test_lookahead_srq();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
