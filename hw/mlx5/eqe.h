/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * mlx5 64-byte event queue entry and the page-fault EQE (event type 0x0C).
 * Multi-byte fields are big-endian.
 */
#ifndef UODP_HW_MLX5_EQE_H
#define UODP_HW_MLX5_EQE_H

#include <stdint.h>
#include <assert.h>

enum {
	MLX5_EQE_SIZE = 64,
	MLX5_EVENT_TYPE_PAGE_FAULT = 0x0c,
};

enum mlx5_pfault_subtype {
	MLX5_PFAULT_SUBTYPE_WQE = 0,
	MLX5_PFAULT_SUBTYPE_RDMA = 1,
	MLX5_PFAULT_SUBTYPE_MEMORY = 2,
};

/* WQE fault types (pftype_wq 31:24). */
enum mlx5_wqe_pfault_type {
	MLX5_WQE_PF_TYPE_RMP = 0,
	MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE = 1,
	MLX5_WQE_PF_TYPE_RESP = 2,
	MLX5_WQE_PF_TYPE_REQ_READ_OR_ATOMIC = 3,
};

/* The same types read as flags. */
enum {
	MLX5_PFAULT_REQUESTOR = 1 << 0,
	MLX5_PFAULT_WRITE = 1 << 1,
	MLX5_PFAULT_RDMA = 1 << 2,
};

enum {
	MLX5_PFAULT_WQ_MASK = 0x00ffffff,
	MLX5_PFAULT_TOKEN_MASK = 0x00ffffff,
	MLX5_PFAULT_TYPE_SHIFT = 24,
};

struct mlx5_eqe_page_fault_wqe {	/* data @32 */
	uint32_t bytes_committed;	/* @32 */
	uint8_t rsvd36[2];
	uint16_t wqe_index;		/* @38 */
	uint8_t rsvd40[2];
	uint16_t packet_length;		/* @42 */
	uint32_t token;			/* @44 */
	uint8_t rsvd48[8];
	uint32_t pftype_wq;		/* @56: 31:24 type, 23:0 wq number */
} __attribute__((packed));

struct mlx5_eqe_page_fault_rdma {	/* data @32 */
	uint32_t bytes_committed;	/* @32 */
	uint32_t r_key;			/* @36 */
	uint8_t rsvd40[2];
	uint16_t packet_length;		/* @42 */
	uint32_t rdma_op_len;		/* @44 */
	uint64_t rdma_va;		/* @48 */
	uint32_t pftype_token;		/* @56: 31:24 type, 23:0 token */
} __attribute__((packed));

struct mlx5_eqe {
	uint8_t rsvd0;
	uint8_t type;			/* @1 */
	uint8_t rsvd2;
	uint8_t sub_type;		/* @3 */
	uint8_t rsvd4[28];
	union {
		struct mlx5_eqe_page_fault_wqe wqe;
		struct mlx5_eqe_page_fault_rdma rdma;
		uint8_t raw[28];
	} data;				/* @32 */
	uint8_t rsvd60[2];
	uint8_t signature;		/* @62 */
	uint8_t owner;			/* @63 */
} __attribute__((packed));

static_assert(sizeof(struct mlx5_eqe_page_fault_wqe) == 28, "pf wqe data");
static_assert(sizeof(struct mlx5_eqe_page_fault_rdma) == 28, "pf rdma data");
static_assert(sizeof(struct mlx5_eqe) == MLX5_EQE_SIZE, "eqe");

#endif /* UODP_HW_MLX5_EQE_H */
