// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The provider's WQE encoder and CQE decoder (providers/uodp/wqe.c, cqe.c)
 * against hand-built byte fixtures: every expected byte below is written
 * out literally from the mlx5 layouts, never produced by the code under
 * test.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/verbs.h>

#include "cqe.h"
#include "wqe.h"

#include "check.h"

static void check_bytes(const char *what, const uint8_t *got,
			const uint8_t *want, size_t len)
{
	size_t i;

	if (!memcmp(got, want, len))
		return;
	failures++;
	fprintf(stderr, "%s: bytes differ\n", what);
	for (i = 0; i < len; i++)
		if (got[i] != want[i])
			fprintf(stderr, "  [%2zu] got 0x%02x want 0x%02x\n", i,
				got[i], want[i]);
}

/* RDMA WRITE, WQE index 5, QPN 0x000123, CQE always: ctrl+raddr+data. */
static void test_rdma_write(void)
{
	static const uint8_t want[48] = {
		0x00, 0x00, 0x05, 0x08,	/* opmod 0, index 0x0005, opcode */
		0x00, 0x01, 0x23, 0x03,	/* qpn 0x000123, ds 3 */
		0x00, 0x00, 0x00, 0x08,	/* signature, rsvd, fm_ce_se */
		0x00, 0x00, 0x00, 0x00,	/* imm */
		0x00, 0x00, 0x7f, 0x00, 0x00, 0x00, 0x10, 0x00, /* raddr */
		0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, /* rkey */
		0x00, 0x00, 0x10, 0x00,	/* byte_count 4096 */
		0x00, 0x00, 0x03, 0x00,	/* lkey 0x300 */
		0x00, 0x00, 0x55, 0x55, 0x00, 0x00, 0x20, 0x00, /* addr */
	};
	uint8_t sq[4 * 64];
	struct uodp_wqe w;
	uint32_t bbs;

	memset(sq, 0xee, sizeof(sq));
	uodp_wqe_begin(&w, sq, 4, 5);
	uodp_wqe_add_raddr(&w, 0x00007f0000001000ull, 0x200);
	uodp_wqe_add_data(&w, 0x0000555500002000ull, 4096, 0x300);
	bbs = uodp_wqe_finish(&w, MLX5_OPCODE_RDMA_WRITE, 5, 0x123,
			      MLX5_WQE_CTRL_CQ_UPDATE, 0);
	CHECK(bbs == 1);
	check_bytes("rdma write", sq + 64, want, sizeof(want));	/* 5 & 3 */
}

/* SEND_IMM with two data segments and immediate 0x11223344 (big-endian). */
static void test_send_imm(void)
{
	static const uint8_t want[48] = {
		0x00, 0x00, 0x00, 0x0b,	/* index 0, SEND_IMM */
		0x00, 0x00, 0x07, 0x03,	/* qpn 7, ds 3 */
		0x00, 0x00, 0x00, 0x0a,	/* CQ update | solicited */
		0x11, 0x22, 0x33, 0x44,
		0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
		0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x02,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,
	};
	uint8_t sq[2 * 64];
	struct uodp_wqe w;
	uint32_t imm_be;

	memcpy(&imm_be, "\x11\x22\x33\x44", 4);
	uodp_wqe_begin(&w, sq, 2, 0);
	uodp_wqe_add_data(&w, 0x1000, 16, 1);
	uodp_wqe_add_data(&w, 0x2000, 32, 2);
	CHECK(uodp_wqe_finish(&w, MLX5_OPCODE_SEND_IMM, 0, 7,
			      MLX5_WQE_CTRL_CQ_UPDATE | MLX5_WQE_CTRL_SOLICITED,
			      imm_be) == 1);
	check_bytes("send imm", sq, want, sizeof(want));
}

/* Atomic fetch-and-add: ctrl, raddr, atomic (swap_add, compare), data. */
static void test_atomic(void)
{
	static const uint8_t want[64] = {
		0x00, 0x00, 0x01, 0x12,	/* index 1, ATOMIC_FA */
		0x00, 0x00, 0x09, 0x04,	/* qpn 9, ds 4 */
		0x00, 0x00, 0x00, 0x08,
		0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x08, /* raddr */
		0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, /* rkey */
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* add */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* compare */
		0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x05, 0x00, /* 8 B, lkey */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00,
	};
	uint8_t sq[2 * 64];
	struct uodp_wqe w;

	uodp_wqe_begin(&w, sq, 2, 1);
	uodp_wqe_add_raddr(&w, 0x3008, 0x400);
	uodp_wqe_add_atomic(&w, 0x0102030405060708ull, 0);
	uodp_wqe_add_data(&w, 0x4000, 8, 0x500);
	CHECK(uodp_wqe_finish(&w, MLX5_OPCODE_ATOMIC_FA, 1, 9,
			      MLX5_WQE_CTRL_CQ_UPDATE, 0) == 1);
	check_bytes("atomic", sq + 64, want, sizeof(want));
}

/* Inline: header 0x80000000 | len, then the bytes, padded to 16. */
static void test_inline(void)
{
	static const uint8_t want[40] = {
		0x00, 0x00, 0x02, 0x0a,
		0x00, 0x00, 0x0a, 0x03,	/* qpn 10, ds 3: ctrl + 32 B inline */
		0x00, 0x00, 0x00, 0x08,
		0x00, 0x00, 0x00, 0x00,
		0x80, 0x00, 0x00, 0x14,	/* inline, 20 bytes */
		'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l',
		'0', '1', '2', '3', '4', '5', '6', '7',
	};
	struct ibv_data_buf bufs[2] = {
		{ .addr = "abcdefghijkl", .length = 12 },
		{ .addr = "01234567", .length = 8 },
	};
	uint8_t sq[4 * 64];
	struct uodp_wqe w;

	uodp_wqe_begin(&w, sq, 4, 2);
	CHECK(uodp_wqe_add_inline(&w, bufs, 2, 64) == 0);
	CHECK(uodp_wqe_finish(&w, MLX5_OPCODE_SEND, 2, 10,
			      MLX5_WQE_CTRL_CQ_UPDATE, 0) == 1);
	/* only the first 40 bytes are defined (ctrl + header + data) */
	check_bytes("inline", sq + 128, want, sizeof(want));
	/* over the QP's max_inline: refused, nothing appended */
	uodp_wqe_begin(&w, sq, 4, 3);
	CHECK(uodp_wqe_add_inline(&w, bufs, 2, 19) != 0);
	CHECK(w.size == 16);
}

/* A WQE that starts at the last WQEBB continues at the ring's start. */
static void test_wrap(void)
{
	static const uint8_t tail[64] = {
		0x00, 0x00, 0x07, 0x0a,	/* index 7, SEND */
		0x00, 0x00, 0x01, 0x05,	/* qpn 1, ds 5 */
		0x00, 0x00, 0x00, 0x08,
		0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x11, /* seg 0 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x12, /* seg 1 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
		0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x13, /* seg 2 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00,
	};
	static const uint8_t head[16] = {
		0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x14, /* seg 3 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
	};
	uint8_t sq[8 * 64];
	struct uodp_wqe w;
	int i;

	memset(sq, 0xee, sizeof(sq));
	uodp_wqe_begin(&w, sq, 8, 7);
	for (i = 1; i <= 4; i++)
		uodp_wqe_add_data(&w, 0x100 * i, i, 0x10 + i);
	CHECK(uodp_wqe_finish(&w, MLX5_OPCODE_SEND, 7, 1,
			      MLX5_WQE_CTRL_CQ_UPDATE, 0) == 2);
	check_bytes("wrap tail", sq + 7 * 64, tail, sizeof(tail));
	check_bytes("wrap head", sq, head, sizeof(head));
	CHECK(sq[16] == 0xee);		/* nothing past the WQE */
	/* index wraps at 16 bits whatever the ring size */
	uodp_wqe_begin(&w, sq, 8, 0x10002);
	uodp_wqe_add_data(&w, 0, 1, 1);
	uodp_wqe_finish(&w, MLX5_OPCODE_SEND, 0x10002, 1, 0, 0);
	CHECK(sq[2 * 64 + 1] == 0x00 && sq[2 * 64 + 2] == 0x02);
}

/* Receive WQEs: data segments, then the 0x100 terminator if short. */
static void test_recv_wqe(void)
{
	static const uint8_t want[48] = {
		0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x07,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, /* terminator */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	struct ibv_sge sge = { .addr = 0x5000, .length = 1024, .lkey = 7 };
	struct ibv_sge two[2] = {
		{ .addr = 0x1, .length = 1, .lkey = 1 },
		{ .addr = 0x2, .length = 2, .lkey = 2 },
	};
	uint8_t wqe[64];

	memset(wqe, 0xee, sizeof(wqe));
	CHECK(uodp_rwqe_build(wqe, 4, &sge, 1) == 1);
	check_bytes("recv wqe", wqe, want, 32);
	/* a full list has no terminator */
	memset(wqe, 0xee, sizeof(wqe));
	CHECK(uodp_rwqe_build(wqe, 2, two, 2) == 2);
	CHECK(wqe[3] == 0x01 && wqe[7] == 0x01);
	CHECK(wqe[19] == 0x02 && wqe[23] == 0x02 && wqe[32] == 0xee);
}

/* SRQ WQEs: the next segment's index survives, data follows it. */
static void test_srq_wqe(void)
{
	struct ibv_sge sge = { .addr = 0xabc000, .length = 64, .lkey = 3 };
	uint8_t buf[4 * 64];

	uodp_srq_init_free_list(buf, 4, 6);
	CHECK(uodp_srq_wqe_next(buf) == 1);
	CHECK(uodp_srq_wqe_next(buf + 2 * 64) == 3);
	/* next_wqe_index is big-endian at byte 2 */
	CHECK(buf[64 + 2] == 0x00 && buf[64 + 3] == 0x02);
	uodp_srq_wqe_build(buf, 3, &sge, 1);
	CHECK(uodp_srq_wqe_next(buf) == 1);
	CHECK(buf[16 + 3] == 64 && buf[16 + 7] == 3 && buf[16 + 13] == 0xab);
	CHECK(buf[32 + 6] == 0x01 && buf[32 + 7] == 0x00); /* terminator */
}

static void cqe_init(uint8_t *c, uint8_t op_own)
{
	memset(c, 0, 64);
	c[63] = op_own;
}

static void test_cqe_req(void)
{
	struct uodp_cqe_info info;
	struct ibv_wc wc;
	uint8_t c[64];

	/* requester RDMA READ of 0x1234 bytes, QPN 0x000abc, WQE 0x0102 */
	cqe_init(c, MLX5_CQE_REQ << 4 | 1);
	memcpy(c + 44, "\x00\x00\x12\x34", 4);
	memcpy(c + 56, "\x10\x00\x0a\xbc", 4);
	memcpy(c + 60, "\x01\x02", 2);
	CHECK(uodp_cqe_decode((void *)c, &wc, &info));
	CHECK(wc.status == IBV_WC_SUCCESS);
	CHECK(wc.opcode == IBV_WC_RDMA_READ);
	CHECK(wc.byte_len == 0x1234);
	CHECK(wc.qp_num == 0xabc && info.qpn == 0xabc);
	CHECK(info.is_send && !info.is_error);
	CHECK(info.wqe_counter == 0x0102);
	/* fetch-and-add: 8 bytes whatever byte_cnt says */
	c[56] = MLX5_OPCODE_ATOMIC_FA;
	CHECK(uodp_cqe_decode((void *)c, &wc, &info));
	CHECK(wc.opcode == IBV_WC_FETCH_ADD && wc.byte_len == 8);
	c[56] = MLX5_OPCODE_ATOMIC_CS;
	CHECK(uodp_cqe_decode((void *)c, &wc, &info));
	CHECK(wc.opcode == IBV_WC_COMP_SWAP);
	c[56] = MLX5_OPCODE_RDMA_WRITE_IMM;
	CHECK(uodp_cqe_decode((void *)c, &wc, &info));
	CHECK(wc.opcode == IBV_WC_RDMA_WRITE);
	c[56] = MLX5_OPCODE_SEND_IMM;
	CHECK(uodp_cqe_decode((void *)c, &wc, &info));
	CHECK(wc.opcode == IBV_WC_SEND);
}

static void test_cqe_resp(void)
{
	struct uodp_cqe_info info;
	struct ibv_wc wc;
	uint8_t c[64];

	/* UD receive with immediate and GRH from QP 0x000777, SL 3, srq 5 */
	cqe_init(c, MLX5_CQE_RESP_SEND_IMM << 4);
	memcpy(c + 22, "\x00\x09", 2);			/* slid */
	memcpy(c + 24, "\x23\x00\x07\x77", 4);		/* grh 2, sl 3 */
	memcpy(c + 32, "\x00\x00\x00\x05", 4);		/* srqn */
	memcpy(c + 36, "\xde\xad\xbe\xef", 4);		/* immediate */
	memcpy(c + 44, "\x00\x00\x00\x68", 4);		/* 40 + 64 bytes */
	memcpy(c + 56, "\x00\x00\x01\x00", 4);		/* QPN 0x100 */
	CHECK(uodp_cqe_decode((void *)c, &wc, &info));
	CHECK(wc.status == IBV_WC_SUCCESS && wc.opcode == IBV_WC_RECV);
	CHECK(wc.byte_len == 0x68);
	CHECK(wc.src_qp == 0x777 && wc.sl == 3 && wc.slid == 9);
	CHECK(wc.wc_flags & IBV_WC_GRH);
	CHECK(wc.wc_flags & IBV_WC_WITH_IMM);
	/* the immediate stays in network order, as ibv_wc.imm_data */
	CHECK(!memcmp(&wc.imm_data, "\xde\xad\xbe\xef", 4));
	CHECK(wc.qp_num == 0x100 && info.srqn == 5 && !info.is_send);
	/* RDMA write with immediate, no GRH */
	cqe_init(c, MLX5_CQE_RESP_WR_IMM << 4 | 1);
	memcpy(c + 36, "\x00\x00\x00\x2a", 4);
	CHECK(uodp_cqe_decode((void *)c, &wc, &info));
	CHECK(wc.opcode == IBV_WC_RECV_RDMA_WITH_IMM);
	CHECK(!(wc.wc_flags & IBV_WC_GRH) && (wc.wc_flags & IBV_WC_WITH_IMM));
	CHECK(be32toh(wc.imm_data) == 42);
	/* plain send: no flags */
	cqe_init(c, MLX5_CQE_RESP_SEND << 4);
	CHECK(uodp_cqe_decode((void *)c, &wc, &info));
	CHECK(wc.opcode == IBV_WC_RECV && wc.wc_flags == 0);
}

static void test_cqe_errors(void)
{
	static const struct { uint8_t syndrome; enum ibv_wc_status status; } map[] = {
		{ 0x01, IBV_WC_LOC_LEN_ERR }, { 0x02, IBV_WC_LOC_QP_OP_ERR },
		{ 0x04, IBV_WC_LOC_PROT_ERR }, { 0x05, IBV_WC_WR_FLUSH_ERR },
		{ 0x06, IBV_WC_MW_BIND_ERR }, { 0x10, IBV_WC_BAD_RESP_ERR },
		{ 0x11, IBV_WC_LOC_ACCESS_ERR },
		{ 0x12, IBV_WC_REM_INV_REQ_ERR },
		{ 0x13, IBV_WC_REM_ACCESS_ERR }, { 0x14, IBV_WC_REM_OP_ERR },
		{ 0x15, IBV_WC_RETRY_EXC_ERR },
		{ 0x16, IBV_WC_RNR_RETRY_EXC_ERR },
		{ 0x22, IBV_WC_REM_ABORT_ERR },
	};
	struct uodp_cqe_info info;
	struct ibv_wc wc;
	uint8_t c[64];
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		cqe_init(c, MLX5_CQE_REQ_ERR << 4);
		c[54] = 0x77;			/* vendor syndrome */
		c[55] = map[i].syndrome;
		memcpy(c + 56, "\x0a\x00\x01\x23", 4);	/* SEND, QPN 0x123 */
		memcpy(c + 60, "\x00\x09", 2);
		uodp_cqe_decode((void *)c, &wc, &info);
		CHECK(wc.status == map[i].status);
		CHECK(uodp_cqe_syndrome_to_status(map[i].syndrome) ==
		      map[i].status);
		CHECK(wc.vendor_err == 0x77);
		CHECK(info.is_error && info.is_send && info.qpn == 0x123);
		CHECK(info.wqe_counter == 9);
	}
	/* responder error: not a send completion */
	cqe_init(c, MLX5_CQE_RESP_ERR << 4);
	c[55] = MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR;
	memcpy(c + 56, "\x00\x00\x02\x00", 4);
	uodp_cqe_decode((void *)c, &wc, &info);
	CHECK(wc.status == IBV_WC_LOC_LEN_ERR && info.is_error &&
	      !info.is_send && wc.qp_num == 0x200);
	/* unknown syndrome, unknown opcode */
	CHECK(uodp_cqe_syndrome_to_status(0x99) == IBV_WC_GENERAL_ERR);
	cqe_init(c, 0x7 << 4);
	CHECK(!uodp_cqe_decode((void *)c, &wc, &info));
	CHECK(wc.status == IBV_WC_GENERAL_ERR);
}

/* Ownership: entry n is software's when its owner bit is n's wrap parity. */
static void test_cqe_ownership(void)
{
	uint8_t c[64];

	cqe_init(c, MLX5_CQE_INVALID_OP_OWN);
	CHECK(!mlx5_cqe_sw_owned((void *)c, 0, 4));
	cqe_init(c, MLX5_CQE_REQ << 4);		/* owner 0 */
	CHECK(mlx5_cqe_sw_owned((void *)c, 3, 4));
	CHECK(!mlx5_cqe_sw_owned((void *)c, 4, 4));
	cqe_init(c, MLX5_CQE_REQ << 4 | 1);	/* owner 1 */
	CHECK(mlx5_cqe_sw_owned((void *)c, 5, 4));
	CHECK(!mlx5_cqe_sw_owned((void *)c, 9, 4));
}

int main(void)
{
	test_rdma_write();
	test_send_imm();
	test_atomic();
	test_inline();
	test_wrap();
	test_recv_wqe();
	test_srq_wqe();
	test_cqe_req();
	test_cqe_resp();
	test_cqe_errors();
	test_cqe_ownership();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("provider WQE/CQE encoding: all checks passed\n");
	return 0;
}
