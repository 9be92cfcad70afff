/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Pure mlx5 work-queue-entry encoding: no device, no context, no locks.
 * Each function writes the byte format of hw/mlx5/wqe.h into caller memory,
 * so unit tests can check them against hand-built fixtures and the posting
 * paths (qp_post.c, srq.c) stay thin.
 */
#ifndef UODP_PROVIDER_WQE_H
#define UODP_PROVIDER_WQE_H

#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#include "hw/mlx5/wqe.h"

/*
 * A send WQE being written into an SQ ring of wqe_cnt WQEBBs.  Offsets are
 * bytes from the control segment; a byte past the ring's end continues at
 * its start, as the hardware reads it.
 */
struct uodp_wqe {
	uint8_t *sq;		/* ring start */
	uint32_t sq_mask;	/* ring bytes - 1 (a power of 2, minus 1) */
	uint32_t start;		/* ring offset of the control segment */
	uint32_t size;		/* bytes used incl. ctrl, 16-aligned */
};

/* Start WQE number index (a WQEBB counter): reserve and zero the ctrl seg. */
void uodp_wqe_begin(struct uodp_wqe *w, void *sq, uint32_t wqe_cnt,
		    uint32_t index);
/* Address of byte off of the WQE (wrapped into the ring). */
void *uodp_wqe_addr(const struct uodp_wqe *w, uint32_t off);
/* Copy len bytes to offset off, wrapping at the ring's end. */
void uodp_wqe_write(const struct uodp_wqe *w, uint32_t off, const void *src,
		    size_t len);
/* Append len bytes (rounded up to 16) of zeroes; return their offset. */
uint32_t uodp_wqe_reserve(struct uodp_wqe *w, uint32_t len);

void uodp_wqe_add_xrc(struct uodp_wqe *w, uint32_t xrc_srqn);
/*
 * Write the datagram segment at off: a copy of av (48 bytes when the AH
 * carries a GRH, i.e. extended, else the 16-byte base AV) with the remote
 * QPN and qkey filled in.  uodp_wqe_add_av appends it.
 */
void uodp_wqe_set_av(const struct uodp_wqe *w, uint32_t off,
		     const struct mlx5_wqe_av *av, int extended,
		     uint32_t remote_qpn, uint32_t qkey);
void uodp_wqe_add_av(struct uodp_wqe *w, const struct mlx5_wqe_av *av,
		     int extended, uint32_t remote_qpn, uint32_t qkey);
void uodp_wqe_set_xrc(const struct uodp_wqe *w, uint32_t off,
		      uint32_t xrc_srqn);
void uodp_wqe_add_raddr(struct uodp_wqe *w, uint64_t raddr, uint32_t rkey);
void uodp_wqe_add_atomic(struct uodp_wqe *w, uint64_t swap_add,
			 uint64_t compare);
/* Append one data segment (length 0 is the hardware's 2 GiB). */
void uodp_wqe_add_data(struct uodp_wqe *w, uint64_t addr, uint32_t length,
		       uint32_t lkey);
/*
 * Append one inline segment holding the buffers back to back.  Returns 0,
 * or ENOMEM when the total exceeds max_inline (nothing is appended).  A
 * zero total appends nothing (as mlx5).
 */
int uodp_wqe_add_inline(struct uodp_wqe *w, const struct ibv_data_buf *bufs,
			size_t nbufs, uint32_t max_inline);
/*
 * Write the control segment: opcode, WQE index (low 16 bits of index),
 * QPN, DS count (size / 16), fm_ce_se and the immediate (big-endian, as
 * ibv_send_wr.imm_data).  Returns the WQEBBs the WQE occupies.
 */
uint32_t uodp_wqe_finish(struct uodp_wqe *w, uint8_t opcode, uint32_t index,
			 uint32_t qpn, uint8_t fm_ce_se, uint32_t imm_be);

/* MLX5 send opcode for an ibv_wr_opcode; -1 if the device has none. */
int uodp_wr_opcode_to_mlx5(enum ibv_wr_opcode opcode);
/* fm_ce_se for ibv_send_flags; sig_all forces a CQE. */
uint8_t uodp_send_flags_to_fm_ce_se(unsigned int send_flags, int sig_all);

/*
 * Build a RoCE address vector from an AH attribute (GRH required: returns
 * EINVAL without is_global).  *extended is set when the 48-byte form is
 * used (always, with a GRH).
 */
int uodp_av_build(struct mlx5_wqe_av *av, const struct ibv_ah_attr *attr,
		  int *extended);

/*
 * Receive WQE of stride bytes (max_gs = stride / 16 data segments): the
 * non-empty SGEs, then the invalid-lkey terminator if fewer than max_gs.
 * Returns the data segments written.
 */
uint32_t uodp_rwqe_build(void *wqe, uint32_t max_gs, const struct ibv_sge *sg,
			 int num_sge);
/* SRQ: link all wqe_cnt WQEs of 1 << wqe_shift bytes into the free list. */
void uodp_srq_init_free_list(void *buf, uint32_t wqe_cnt, uint32_t wqe_shift);
/* SRQ WQE: keep the next segment, write data segments after it. */
uint32_t uodp_srq_wqe_build(void *wqe, uint32_t max_gs,
			    const struct ibv_sge *sg, int num_sge);
/* The next_wqe_index of SRQ WQE wqe (host order). */
uint16_t uodp_srq_wqe_next(const void *wqe);
void uodp_srq_wqe_set_next(void *wqe, uint16_t next);

#endif /* UODP_PROVIDER_WQE_H */
