/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * mlx5 PRM command mailboxes used on the ODP path.  Big-endian.
 */
#ifndef UODP_HW_MLX5_CMD_H
#define UODP_HW_MLX5_CMD_H

#include <stdint.h>
#include <assert.h>

enum {
	MLX5_CMD_OP_QUERY_HCA_CAP = 0x100,
	MLX5_CMD_OP_PAGE_FAULT_RESUME = 0x204,
};

enum {
	MLX5_CMD_STAT_OK = 0x0,
	MLX5_CMD_STAT_BAD_PARAM_ERR = 0x3,
	MLX5_CMD_STAT_BAD_RES_ERR = 0x5,
	MLX5_CMD_STAT_BAD_OP_ERR = 0x2,
	MLX5_CMD_STAT_NO_RES_ERR = 0xf,
};

/* PAGE_FAULT_RESUME input, 16 bytes. */
struct mlx5_page_fault_resume_in {
	uint16_t opcode;		/* @0 */
	uint8_t rsvd2[4];
	uint16_t op_mod;		/* @6 */
	uint32_t err_type_wq;		/* @8: 31 error, 26:24 type, 23:0 wq */
	uint32_t token;			/* @12: 23:0 */
};

enum {
	MLX5_PF_RESUME_ERROR = 1u << 31,
	MLX5_PF_RESUME_TYPE_SHIFT = 24,
	MLX5_PF_RESUME_TYPE_MASK = 0x7,
	MLX5_PF_RESUME_WQ_MASK = 0x00ffffff,
};

/* Every command's output header, 16 bytes. */
struct mlx5_cmd_out_hdr {
	uint8_t status;			/* @0 */
	uint8_t rsvd1[3];
	uint32_t syndrome;		/* @4 */
	uint8_t rsvd8[8];
};

static_assert(sizeof(struct mlx5_page_fault_resume_in) == 16, "pf resume in");
static_assert(sizeof(struct mlx5_cmd_out_hdr) == 16, "cmd out");

/* ODP capability block (QUERY_HCA_CAP op_mod 0x5), per-transport dwords. */
enum {
	MLX5_ODP_CAP_RC_OFF = 0x10,
	MLX5_ODP_CAP_UC_OFF = 0x14,
	MLX5_ODP_CAP_UD_OFF = 0x18,
	MLX5_ODP_CAP_XRC_OFF = 0x1c,
	MLX5_ODP_CAP_DC_OFF = 0x20,
	MLX5_ODP_CAP_SEND = 1u << 31,
	MLX5_ODP_CAP_RECEIVE = 1u << 30,
	MLX5_ODP_CAP_WRITE = 1u << 29,
	MLX5_ODP_CAP_READ = 1u << 28,
	MLX5_ODP_CAP_ATOMIC = 1u << 27,
	MLX5_ODP_CAP_SRQ_RECEIVE = 1u << 26,
};

#endif /* UODP_HW_MLX5_CMD_H */
