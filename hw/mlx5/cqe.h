/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * mlx5 64-byte completion queue entry layout, opcodes and error syndromes.
 * Multi-byte fields are big-endian.
 */
#ifndef UODP_HW_MLX5_CQE_H
#define UODP_HW_MLX5_CQE_H

#include <stdint.h>
#include <assert.h>

enum {
	MLX5_CQE_SIZE = 64,
	MLX5_CQE_OWNER_MASK = 1,
	MLX5_CQE_OPCODE_SHIFT = 4,
	MLX5_CQE_INVALID_OP_OWN = 0xf0,	/* what software initialises */
	MLX5_CQE_QPN_MASK = 0x00ffffff,
	MLX5_CQE_GRH_SHIFT = 28,	/* flags_rqpn 29:28 */
	MLX5_CQE_GRH_MASK = 3,
	MLX5_CQE_SL_SHIFT = 24,
	MLX5_CQE_CI_MASK = 0x00ffffff,	/* CQ doorbell record */
	MLX5_CQE_SE = 1 << 1,		/* op_own solicited event */
};

/*
 * The CQ doorbell record: dbrec[MLX5_CQ_SET_CI] the consumer index,
 * dbrec[MLX5_CQ_ARM_DB] the arm word sn << 28 | cmd | ci (big-endian).
 */
enum {
	MLX5_CQ_SET_CI = 0,
	MLX5_CQ_ARM_DB = 1,
	MLX5_CQ_DB_REQ_NOT_SOL = 1 << 24,	/* solicited (and errors) */
	MLX5_CQ_DB_REQ_NOT = 0 << 24,		/* any completion */
	MLX5_CQ_ARM_CMD_MASK = 0xf << 24,
	MLX5_CQ_ARM_SN_SHIFT = 28,
	MLX5_CQ_ARM_SN_MASK = 3,
	MLX5_CQ_ARM_CI_MASK = 0x00ffffff,
};

enum mlx5_cqe_opcode {
	MLX5_CQE_REQ = 0,
	MLX5_CQE_RESP_WR_IMM = 1,
	MLX5_CQE_RESP_SEND = 2,
	MLX5_CQE_RESP_SEND_IMM = 3,
	MLX5_CQE_RESP_SEND_INV = 4,
	MLX5_CQE_REQ_ERR = 13,
	MLX5_CQE_RESP_ERR = 14,
	MLX5_CQE_INVALID = 15,
};

enum mlx5_cqe_syndrome {
	MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR = 0x01,
	MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR = 0x02,
	MLX5_CQE_SYNDROME_LOCAL_PROT_ERR = 0x04,
	MLX5_CQE_SYNDROME_WR_FLUSH_ERR = 0x05,
	MLX5_CQE_SYNDROME_MW_BIND_ERR = 0x06,
	MLX5_CQE_SYNDROME_BAD_RESP_ERR = 0x10,
	MLX5_CQE_SYNDROME_LOCAL_ACCESS_ERR = 0x11,
	MLX5_CQE_SYNDROME_REMOTE_INVAL_REQ_ERR = 0x12,
	MLX5_CQE_SYNDROME_REMOTE_ACCESS_ERR = 0x13,
	MLX5_CQE_SYNDROME_REMOTE_OP_ERR = 0x14,
	MLX5_CQE_SYNDROME_TRANSPORT_RETRY_EXC_ERR = 0x15,
	MLX5_CQE_SYNDROME_RNR_RETRY_EXC_ERR = 0x16,
	MLX5_CQE_SYNDROME_REMOTE_ABORTED_ERR = 0x22,
};

/* Vendor syndrome that marks "ODP page-fault error" with syndrome 0x22. */
enum { MLX5_CQE_VENDOR_SYNDROME_ODP_PFAULT = 0x93 };

/* Successful completion. */
struct mlx5_cqe64 {
	uint8_t rsvd0[22];
	uint16_t slid;			/* @22 */
	uint32_t flags_rqpn;		/* @24: 29:28 grh, 27:24 sl, 23:0 src qp */
	uint8_t rsvd28[4];
	uint32_t srqn_uidx;		/* @32: 23:0 srqn */
	uint32_t imm_inval_pkey;	/* @36 */
	uint8_t rsvd40[4];
	uint32_t byte_cnt;		/* @44 */
	uint64_t timestamp;		/* @48 */
	uint32_t sop_drop_qpn;		/* @56: 31:24 send opcode, 23:0 qpn */
	uint16_t wqe_counter;		/* @60 */
	uint8_t signature;		/* @62 */
	uint8_t op_own;			/* @63: 7:4 opcode, 3:2 fmt, 1 se, 0 owner */
};

/* Error completion, same frame. */
struct mlx5_err_cqe {
	uint8_t rsvd0[32];
	uint32_t srqn;			/* @32 */
	uint8_t rsvd1[18];
	uint8_t vendor_err_synd;	/* @54 */
	uint8_t syndrome;		/* @55 */
	uint32_t s_wqe_opcode_qpn;	/* @56 */
	uint16_t wqe_counter;		/* @60 */
	uint8_t signature;		/* @62 */
	uint8_t op_own;			/* @63 */
};

static_assert(sizeof(struct mlx5_cqe64) == MLX5_CQE_SIZE, "cqe64");
static_assert(sizeof(struct mlx5_err_cqe) == MLX5_CQE_SIZE, "err cqe");

static inline uint8_t mlx5_cqe_opcode(const struct mlx5_cqe64 *cqe)
{
	return cqe->op_own >> MLX5_CQE_OPCODE_SHIFT;
}

/*
 * Entry n (a free-running counter) belongs to software when its opcode is
 * not INVALID and its owner bit equals the wrap parity of n.
 */
static inline int mlx5_cqe_sw_owned(const struct mlx5_cqe64 *cqe, uint32_t n,
				    uint32_t cqe_cnt)
{
	uint8_t op_own = *(const volatile uint8_t *)&cqe->op_own;

	return (op_own >> MLX5_CQE_OPCODE_SHIFT) != MLX5_CQE_INVALID &&
	       (op_own & MLX5_CQE_OWNER_MASK) == !!(n & cqe_cnt);
}

#endif /* UODP_HW_MLX5_CQE_H */
