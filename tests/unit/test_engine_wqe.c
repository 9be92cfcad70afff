// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The device's WQE decoder and CQE encoder against hand-built byte fixtures:
 * the bytes below are written out literally, as an mlx5 provider lays them
 * down, not produced by the code under test.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "engine.h"

#include "check.h"

/* RC RDMA_WRITE, index 5, QPN 0x000123, 3 DS: ctrl + raddr + 1 data seg. */
static const uint8_t rc_write_wqe[64] = {
	/* ctrl: opmod 0, idx 0x0005, opcode 0x08 */
	0x00, 0x00, 0x05, 0x08,
	/* qpn 0x000123, ds 3 */
	0x00, 0x01, 0x23, 0x03,
	0x00, 0x00, 0x00, 0x08,		/* signature, rsvd, fm_ce_se CQ_UPDATE */
	0x00, 0x00, 0x00, 0x00,		/* imm */
	/* raddr 0x00007f0000001000, rkey 0x00000200 */
	0x00, 0x00, 0x7f, 0x00, 0x00, 0x00, 0x10, 0x00,
	0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* data: byte_count 4096, lkey 0x300, addr 0x0000555500002000 */
	0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x03, 0x00,
	0x00, 0x00, 0x55, 0x55, 0x00, 0x00, 0x20, 0x00,
};

static void test_rc_write(void)
{
	struct ud_send_wqe w;

	CHECK(ud_parse_send_wqe(rc_write_wqe, 1, IBV_QPT_RC, &w) == 0);
	CHECK(w.opcode == MLX5_OPCODE_RDMA_WRITE);
	CHECK(w.wqe_index == 5);
	CHECK(w.qpn == 0x123);
	CHECK(w.ds == 3);
	CHECK(w.fm_ce_se == MLX5_WQE_CTRL_CQ_UPDATE);
	CHECK(w.has_raddr && w.raddr == 0x7f0000001000ull && w.rkey == 0x200);
	CHECK(!w.is_inline);
	CHECK(w.sgl.n == 1 && w.sgl.total == 4096);
	CHECK(w.sgl.seg[0].key == 0x300 && w.sgl.seg[0].va == 0x555500002000ull);
}

/* byte_count 0 in a data segment means 2 GiB. */
static void test_zero_byte_count(void)
{
	uint8_t wqe[64];
	struct ud_send_wqe w;

	memcpy(wqe, rc_write_wqe, sizeof(wqe));
	memset(wqe + 32, 0, 4);
	CHECK(ud_parse_send_wqe(wqe, 1, IBV_QPT_RC, &w) == 0);
	CHECK(w.sgl.seg[0].len == 0x80000000ull);
}

/* UD SEND with an extended AV (48 B) and 5 bytes inline: 5 DS, 2 WQEBBs. */
static const uint8_t ud_send_inline_wqe[128] = {
	0x00, 0x00, 0x00, 0x0a,		/* idx 0, SEND */
	0x00, 0x00, 0x42, 0x05,		/* qpn 0x42, ds 5 */
	0x00, 0x00, 0x00, 0x0a,		/* CQ_UPDATE | SOLICITED */
	0x00, 0x00, 0x00, 0x00,
	/* AV: qkey 0x11111111 */
	0x11, 0x11, 0x11, 0x11, 0x00, 0x00, 0x00, 0x00,
	0x80, 0x00, 0x01, 0x07,		/* extended, remote qpn 0x107 */
	0x00, 0x00, 0x00, 0x00,		/* stat_rate_sl, fl_mlid, rlid */
	0x00, 0x00, 0x00, 0x00,		/* rsvd */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* rmac */
	0x00, 0x40,			/* tclass, hop_limit */
	0x40, 0x10, 0x00, 0x00,		/* grh, sgid index 1 */
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	/* inline: 5 bytes "hello" */
	0x80, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 0, 0, 0,
};

static void test_ud_inline(void)
{
	struct ud_send_wqe w;

	CHECK(ud_parse_send_wqe(ud_send_inline_wqe, 2, IBV_QPT_UD, &w) == 0);
	CHECK(w.opcode == MLX5_OPCODE_SEND);
	CHECK(w.has_av && w.av_dqpn == 0x107 && w.av_qkey == 0x11111111);
	CHECK(w.av_grh && w.av_sgid_index == 1 && w.av_hop_limit == 0x40);
	CHECK(w.av_rgid[0] == 0xfe && w.av_rgid[15] == 0x01);
	CHECK(w.is_inline && w.inline_len == 5);
	CHECK(w.inline_data && !memcmp(w.inline_data, "hello", 5));
	CHECK(w.sgl.total == 5);
}

/* The ring as the device sees it: mapped here, or another process's. */
static struct ud_qbuf ring_view(uint8_t *ring, size_t len, bool remote)
{
	if (remote)
		return (struct ud_qbuf){ .pva = (uintptr_t)ring, .len = len,
					 .pid = getpid() };
	return (struct ud_qbuf){ .local = ring, .len = len };
}

/* A WQE written at the last WQEBB of a 4-WQEBB ring continues at slot 0. */
static void test_wrap_around(bool remote)
{
	uint8_t ring[4 * 64], buf[UD_MAX_WQE_BYTES];
	struct ud_qbuf sq = ring_view(ring, sizeof(ring), remote);
	struct ud_send_wqe w;
	int nbbs;

	memset(ring, 0xee, sizeof(ring));
	memcpy(ring + 3 * 64, ud_send_inline_wqe, 64);
	memcpy(ring, ud_send_inline_wqe + 64, 64);
	nbbs = ud_sq_copy_wqe(&sq, 4, 7, 2, buf);
	CHECK(nbbs == 2);
	CHECK(ud_parse_send_wqe(buf, 2, IBV_QPT_UD, &w) == 0);
	CHECK(w.is_inline && !memcmp(w.inline_data, "hello", 5));
	/* Only one WQEBB posted: the WQE is not whole. */
	CHECK(ud_sq_copy_wqe(&sq, 4, 7, 1, buf) == -EINVAL);
}

/* A ring the process unmapped reads as -EFAULT, never as stale bytes. */
static void test_ring_gone(void)
{
	uint8_t buf[UD_MAX_WQE_BYTES];
	struct ud_qbuf sq;
	uint32_t word;
	void *p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	memcpy(p, ud_send_inline_wqe, 64);
	sq = ring_view(p, 4096, true);
	CHECK(munmap(p, 4096) == 0);
	CHECK(ud_sq_copy_wqe(&sq, 64, 0, 1, buf) == -EFAULT);
	CHECK(ud_qbuf_load_be32(&sq, 0, &word) == -EFAULT);
	CHECK(ud_qbuf_store_u8(&sq, 63, 1) == -EFAULT);
	/* Outside the view is refused before any access. */
	CHECK(ud_qbuf_read(&sq, 4090, buf, 8) == -EINVAL);
}

static void test_malformed(void)
{
	uint8_t wqe[64], buf[UD_MAX_WQE_BYTES];
	struct ud_send_wqe w;

	memcpy(wqe, rc_write_wqe, sizeof(wqe));
	wqe[7] = 0;			/* ds 0 */
	CHECK(ud_sq_copy_wqe(&(struct ud_qbuf){ .local = wqe, .len = 64 }, 1, 0,
			     1, buf) == -EINVAL);
	CHECK(ud_parse_send_wqe(wqe, 1, IBV_QPT_RC, &w) == -EINVAL);
	memcpy(wqe, rc_write_wqe, sizeof(wqe));
	wqe[3] = 0x7f;			/* unknown opcode */
	CHECK(ud_parse_send_wqe(wqe, 1, IBV_QPT_RC, &w) == -EINVAL);
	memcpy(wqe, rc_write_wqe, sizeof(wqe));
	CHECK(ud_parse_send_wqe(wqe, 1, IBV_QPT_UD, &w) == -EINVAL); /* RDMA on UD */
	/* UC: the same WRITE parses as on RC; a READ or an atomic does not. */
	CHECK(ud_parse_send_wqe(wqe, 1, IBV_QPT_UC, &w) == 0 &&
	      w.has_raddr && w.rkey == 0x200 && w.sgl.total == 4096);
	wqe[3] = MLX5_OPCODE_RDMA_WRITE_IMM;
	CHECK(ud_parse_send_wqe(wqe, 1, IBV_QPT_UC, &w) == 0);
	wqe[3] = MLX5_OPCODE_RDMA_READ;
	CHECK(ud_parse_send_wqe(wqe, 1, IBV_QPT_UC, &w) == -EINVAL);
	wqe[3] = MLX5_OPCODE_ATOMIC_FA;
	CHECK(ud_parse_send_wqe(wqe, 1, IBV_QPT_UC, &w) == -EINVAL);
	wqe[3] = MLX5_OPCODE_ATOMIC_CS;
	CHECK(ud_parse_send_wqe(wqe, 1, IBV_QPT_UC, &w) == -EINVAL);
	memcpy(wqe, rc_write_wqe, sizeof(wqe));
	memcpy(wqe, rc_write_wqe, sizeof(wqe));
	wqe[7] = 2;			/* raddr but no room for data: still valid */
	CHECK(ud_parse_send_wqe(wqe, 1, IBV_QPT_RC, &w) == 0 && w.sgl.n == 0);
	wqe[7] = 1;			/* raddr missing */
	CHECK(ud_parse_send_wqe(wqe, 1, IBV_QPT_RC, &w) == -EINVAL);
	memcpy(wqe, rc_write_wqe, sizeof(wqe));
	wqe[7] = 9;			/* 9 DS do not fit one WQEBB */
	CHECK(ud_parse_send_wqe(wqe, 1, IBV_QPT_RC, &w) == -EINVAL);
	/* Inline length running past the DS count. */
	memcpy(buf, ud_send_inline_wqe, 128);
	buf[66] = 0x01;
	CHECK(ud_parse_send_wqe(buf, 2, IBV_QPT_UD, &w) == -EINVAL);
}

/* RQ WQE, stride 64: two data segs then the 0x100 terminator. */
static const uint8_t rq_wqe[64] = {
	0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x05, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

/* SRQ WQE, stride 32: next segment (next index 7) then one data seg. */
static const uint8_t srq_wqe[32] = {
	0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x06, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00,
};

static void test_recv(void)
{
	struct ud_sgl sgl;

	CHECK(ud_parse_recv_wqe(rq_wqe, 64, 0, 4, &sgl) == 0);
	CHECK(sgl.n == 2 && sgl.total == 0x60);
	CHECK(sgl.seg[1].key == 0x500 && sgl.seg[1].va == 0x20000000);
	CHECK(ud_parse_recv_wqe(rq_wqe, 64, 0, 1, &sgl) == -EINVAL);
	CHECK(ud_parse_recv_wqe(srq_wqe, 32, 16, 1, &sgl) == 0);
	CHECK(sgl.n == 1 && sgl.seg[0].key == 0x600 && sgl.total == 0x800);
	CHECK(be16toh(((const struct mlx5_wqe_srq_next_seg *)srq_wqe)->next_wqe_index) == 7);
}

/* Encoded CQEs against the byte offsets of the PRM. */
static void test_cqe(void)
{
	struct ud_cqe_info ok = {
		.opcode = MLX5_CQE_RESP_SEND_IMM, .qpn = 0x123456,
		.wqe_counter = 0x0102, .byte_cnt = 0x1000, .imm_be = htobe32(0xcafe),
		.srqn = 0x77, .src_qpn = 0x107, .grh = true,
	};
	struct ud_cqe_info err = {
		.opcode = MLX5_CQE_REQ_ERR, .syndrome = 0x13,
		.wqe_opcode = MLX5_OPCODE_RDMA_WRITE, .qpn = 0x123, .wqe_counter = 9,
	};
	uint8_t b[64];

	ud_cqe_encode(&ok, (struct mlx5_cqe64 *)b);
	CHECK(b[24] == 0x10 && b[25] == 0x00 && b[26] == 0x01 && b[27] == 0x07);
	CHECK(b[33] == 0 && b[34] == 0 && b[35] == 0x77);
	CHECK(b[38] == 0xca && b[39] == 0xfe);
	CHECK(b[44] == 0 && b[45] == 0 && b[46] == 0x10 && b[47] == 0);
	CHECK(b[57] == 0x12 && b[58] == 0x34 && b[59] == 0x56);
	CHECK(b[60] == 0x01 && b[61] == 0x02);
	CHECK(b[63] == MLX5_CQE_RESP_SEND_IMM << 4);
	ud_cqe_encode(&err, (struct mlx5_cqe64 *)b);
	CHECK(b[55] == 0x13);
	CHECK(b[56] == 0x08 && b[59] == 0x23);
	CHECK(b[60] == 0 && b[61] == 9);
	CHECK(b[63] == MLX5_CQE_REQ_ERR << 4);
}

int main(void)
{
	test_rc_write();
	test_zero_byte_count();
	test_ud_inline();
	test_wrap_around(false);
	test_wrap_around(true);
	test_ring_gone();
	test_malformed();
	test_recv();
	test_cqe();
	if (failures) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("test_engine_wqe: all checks passed\n");
	return 0;
}
