/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * mlx5 work queue entry layouts: send WQE segments, receive and SRQ WQEs.
 *
 * These are the byte formats the NIC reads from host memory.  The provider
 * writes them, the emulated HCA (uodpd) and the fault engine parse them.  All
 * multi-byte fields are big-endian.  This header is the single definition of
 * these layouts in the tree.
 */
#ifndef UODP_HW_MLX5_WQE_H
#define UODP_HW_MLX5_WQE_H

#include <stdint.h>
#include <assert.h>

enum {
	MLX5_SEND_WQE_BB = 64,		/* basic block */
	MLX5_SEND_WQE_DS = 16,		/* data segment unit */
	MLX5_SEND_WQE_MAX_WQEBBS = 16,
	MLX5_SEND_WQE_MAX_DS = MLX5_SEND_WQE_MAX_WQEBBS * 4,
	MLX5_WQE_CTRL_DS_MASK = 0x3f,
	MLX5_WQE_INDEX_MASK = 0xffff,	/* wqe index wraps at 16 bits */
	MLX5_INVALID_LKEY = 0x100,
	MLX5_INLINE_SEG = 0x80000000u,
	MLX5_INLINE_LEN_MASK = 0x3ff,	/* what the kernel fault parser honours */
	MLX5_EXTENDED_UD_AV = 0x80000000u,
	MLX5_AV_QPN_MASK = 0x00ffffffu,
	MLX5_BYTE_COUNT_ZERO_MEANS = 0x80000000u, /* byte_count 0 = 2 GiB */
};

/*
 * A QP's doorbell record: two big-endian words, the RQ's and the SQ's
 * posted counters (16 bits each, in WQEs and in WQEBBs).  An SRQ's record
 * is one word, at MLX5_RCV_DBR.
 */
enum {
	MLX5_RCV_DBR = 0,
	MLX5_SND_DBR = 1,
};

/* Send WQE opcodes (ctrl opmod_idx_opcode bits 7:0). */
enum mlx5_wqe_opcode {
	MLX5_OPCODE_NOP = 0x00,
	MLX5_OPCODE_SEND_INVAL = 0x01,
	MLX5_OPCODE_RDMA_WRITE = 0x08,
	MLX5_OPCODE_RDMA_WRITE_IMM = 0x09,
	MLX5_OPCODE_SEND = 0x0a,
	MLX5_OPCODE_SEND_IMM = 0x0b,
	MLX5_OPCODE_LSO = 0x0e,
	MLX5_OPCODE_RDMA_READ = 0x10,
	MLX5_OPCODE_ATOMIC_CS = 0x11,
	MLX5_OPCODE_ATOMIC_FA = 0x12,
	MLX5_OPCODE_ATOMIC_MASKED_CS = 0x14,
	MLX5_OPCODE_ATOMIC_MASKED_FA = 0x15,
	MLX5_OPCODE_LOCAL_INVAL = 0x1b,
	MLX5_OPCODE_UMR = 0x25,
};

/* ctrl fm_ce_se */
enum {
	MLX5_WQE_CTRL_CQ_UPDATE = 2 << 2,	/* always write a CQE */
	MLX5_WQE_CTRL_SOLICITED = 1 << 1,
	MLX5_WQE_CTRL_FENCE = 4 << 5,		/* small fence */
	MLX5_WQE_CTRL_FM_SHIFT = 5,
};

/* Control segment, 16 bytes, first in every send WQE. */
struct mlx5_wqe_ctrl_seg {
	uint32_t opmod_idx_opcode;	/* 31:24 opmod, 23:8 wqe index, 7:0 opcode */
	uint32_t qpn_ds;		/* 31:8 qpn, 5:0 ds count incl. ctrl */
	uint8_t signature;
	uint8_t rsvd[2];
	uint8_t fm_ce_se;
	uint32_t imm;			/* immediate or rkey to invalidate */
};

/* XRC segment, 16 bytes, after ctrl on XRC initiator QPs. */
struct mlx5_wqe_xrc_seg {
	uint32_t xrc_srqn;
	uint8_t rsvd[12];
};

/* Base UD address vector, 16 bytes; with MLX5_EXTENDED_UD_AV 48 bytes. */
struct mlx5_wqe_av {
	union {
		struct {
			uint32_t qkey;
			uint32_t reserved;
		} qkey;
		uint64_t dc_key;
	} key;
	uint32_t dqp_dct;		/* bit 31 extended AV, 23:0 remote qpn */
	uint8_t stat_rate_sl;
	uint8_t fl_mlid;
	uint16_t rlid;
	uint8_t reserved0[4];
	uint8_t rmac[6];
	uint8_t tclass;
	uint8_t hop_limit;
	uint32_t grh_gid_fl;		/* 30 grh, 27:20 sgid index, 19:0 flow label */
	uint8_t rgid[16];
};

enum {
	MLX5_AV_BASE_SIZE = 16,
	MLX5_AV_EXTENDED_SIZE = 48,
	MLX5_AV_GRH_FLAG = 1u << 30,
	MLX5_AV_SGID_INDEX_SHIFT = 20,
	MLX5_AV_SGID_INDEX_MASK = 0xff,
	MLX5_AV_FLOW_LABEL_MASK = 0xfffff,
};

/* Remote address segment, 16 bytes. */
struct mlx5_wqe_raddr_seg {
	uint64_t raddr;
	uint32_t rkey;
	uint32_t reserved;
};

/* Atomic segment, 16 bytes. */
struct mlx5_wqe_atomic_seg {
	uint64_t swap_add;
	uint64_t compare;
};

enum { MLX5_ATOMIC_SIZE = 8 };	/* the local SGE of an atomic */

/* Data (scatter/gather) segment, 16 bytes. */
struct mlx5_wqe_data_seg {
	uint32_t byte_count;
	uint32_t lkey;
	uint64_t addr;
};

/* Inline segment header; the data follows, padded to whole DS units. */
struct mlx5_wqe_inline_seg {
	uint32_t byte_count;		/* length | MLX5_INLINE_SEG */
};

/* SRQ WQE next segment, 16 bytes, first in every SRQ WQE. */
struct mlx5_wqe_srq_next_seg {
	uint8_t rsvd0[2];
	uint16_t next_wqe_index;
	uint8_t signature;
	uint8_t rsvd1[11];
};

static_assert(sizeof(struct mlx5_wqe_ctrl_seg) == 16, "ctrl seg");
static_assert(sizeof(struct mlx5_wqe_xrc_seg) == 16, "xrc seg");
static_assert(sizeof(struct mlx5_wqe_av) == 48, "av");
static_assert(sizeof(struct mlx5_wqe_raddr_seg) == 16, "raddr seg");
static_assert(sizeof(struct mlx5_wqe_atomic_seg) == 16, "atomic seg");
static_assert(sizeof(struct mlx5_wqe_data_seg) == 16, "data seg");
static_assert(sizeof(struct mlx5_wqe_srq_next_seg) == 16, "srq next seg");

/* Bytes of an inline segment holding len bytes of data, in DS units. */
static inline uint32_t mlx5_inline_seg_size(uint32_t len)
{
	return (len + sizeof(struct mlx5_wqe_inline_seg) + MLX5_SEND_WQE_DS - 1) &
	       ~(uint32_t)(MLX5_SEND_WQE_DS - 1);
}

/* WQEBBs a WQE of ds data segments occupies. */
static inline uint32_t mlx5_wqe_bbs(uint32_t ds)
{
	return (ds * MLX5_SEND_WQE_DS + MLX5_SEND_WQE_BB - 1) / MLX5_SEND_WQE_BB;
}

/* The data length a data segment describes: byte_count 0 means 2 GiB. */
static inline uint64_t mlx5_data_seg_len(uint32_t byte_count_host)
{
	return byte_count_host ? byte_count_host : MLX5_BYTE_COUNT_ZERO_MEANS;
}

#endif /* UODP_HW_MLX5_WQE_H */
