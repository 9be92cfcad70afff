// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The fault engine's EQE decoder (providers/uodp/odp/eqe.c) against
 * page-fault EQEs written byte by byte from the mlx5 layout.
 */
#include "odp_fixture.h"

static void test_wqe_fault(void)
{
	uint8_t eqe[64] = { 0 };
	struct uodp_odp_fault f;

	eqe[1] = 0x0c;				/* page fault */
	eqe[3] = 0;				/* WQE subtype */
	put32(eqe + 32, 0x1234);		/* bytes_committed */
	put16(eqe + 38, 0xbeef);		/* wqe_index */
	put16(eqe + 42, 4096);			/* packet_length */
	put32(eqe + 44, 0xff00abcd);		/* token: low 24 bits */
	put32(eqe + 56, 3u << 24 | 0x000123);	/* REQ_READ_OR_ATOMIC, QPN */
	CHECK(uodp_odp_decode_eqe(eqe, &f) == 0);
	CHECK(f.subtype == 0);
	CHECK(f.type == 3);
	CHECK(f.wq_num == 0x123);
	CHECK(f.token == 0x00abcd);
	CHECK(f.wqe_index == 0xbeef);
	CHECK(f.bytes_committed == 0x1234);
	CHECK(f.packet_length == 4096);
	CHECK(uodp_odp_fault_is_requester(f.type));
	CHECK(uodp_odp_fault_is_requester(1));
	CHECK(!uodp_odp_fault_is_requester(2));
	CHECK(!uodp_odp_fault_is_requester(0));

	put32(eqe + 56, 5u << 24 | 0x000123);	/* no such WQE fault type */
	CHECK(uodp_odp_decode_eqe(eqe, &f) == -EINVAL);
	CHECK(f.token == 0x00abcd);		/* still there to resume */
}

static void test_rdma_fault(void)
{
	uint8_t eqe[64] = { 0 };
	struct uodp_odp_fault f;

	eqe[1] = 0x0c;
	eqe[3] = 1;				/* RDMA subtype */
	put32(eqe + 32, 512);			/* bytes_committed */
	put32(eqe + 36, 0x1101);		/* r_key */
	put16(eqe + 42, 1024);			/* packet_length */
	put32(eqe + 44, 65536);			/* rdma_op_len */
	put64(eqe + 48, 0x00007f0012345678ull);	/* rdma_va */
	put32(eqe + 56, 6u << 24 | 0x00c0ffee);	/* RDMA|WRITE, token */
	CHECK(uodp_odp_decode_eqe(eqe, &f) == 0);
	CHECK(f.subtype == 1);
	CHECK(f.type == 6);
	CHECK(f.token == 0xc0ffee);
	CHECK(f.wq_num == 0xc0ffee);		/* resumed by token */
	CHECK(f.rkey == 0x1101);
	CHECK(f.rdma_va == 0x00007f0012345678ull);
	CHECK(f.rdma_op_len == 65536);
	CHECK(f.bytes_committed == 512);
	CHECK(f.packet_length == 1024);
}

static void test_not_a_fault(void)
{
	uint8_t eqe[64] = { 0 };
	struct uodp_odp_fault f;

	eqe[1] = 0x0b;				/* another event type */
	CHECK(uodp_odp_decode_eqe(eqe, &f) == -EINVAL);
	eqe[1] = 0x0c;
	eqe[3] = 2;				/* MEMORY: not served */
	CHECK(uodp_odp_decode_eqe(eqe, &f) == -EINVAL);
	eqe[3] = 0xff;
	CHECK(uodp_odp_decode_eqe(eqe, &f) == -EINVAL);
}

int main(void)
{
	test_wqe_fault();
	test_rdma_fault();
	test_not_a_fault();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
