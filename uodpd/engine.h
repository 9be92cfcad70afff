/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Internal interfaces of the execution engine: WQE parsing (pure, testable
 * against byte fixtures), CQE production, data movement through MRs, and the
 * transports.
 */
#ifndef UODPD_ENGINE_H
#define UODPD_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "uodpd.h"
#include "hw/mlx5/wqe.h"
#include "hw/mlx5/cqe.h"

#define UD_STEP_BYTES (256u << 10)	/* per step, if the quantum allows */
#define UD_WQES_PER_POLL 16		/* WQEs or steps of a QP per poll */
/*
 * What a completed WQE costs its context beyond the bytes it moved, so a
 * context of empty WQEs (NOPs, zero-length SENDs) spends its turn too:
 * about its 64-byte WQE and CQE.
 */
#define UD_WQE_COST_BYTES 64
/*
 * Sharing (engine.c, loop.c): how long a round with a light and a heavy
 * context counts, how often a heavy context then has a turn, and after
 * how many rounds in a row with light work it has one anyway (a flood of
 * small WQEs keeps the loop busy: no ping-pong waits for it to sleep).
 */
#define UD_MIXED_WINDOW_NS 20000000ull
#define UD_BULK_PERIOD_NS 1800000ull
#define UD_LIGHT_STREAK 4
#define UD_MAX_WQE_BYTES (MLX5_SEND_WQE_MAX_WQEBBS * MLX5_SEND_WQE_BB)
#define UD_GRH_BYTES 40

/* ---- engine_wqe.c: parse WQEs copied out of queue memory ---- */

/* A send WQE, decoded. */
struct ud_send_wqe {
	uint8_t opcode;			/* enum mlx5_wqe_opcode */
	uint8_t opmod;
	uint16_t wqe_index;
	uint32_t qpn;
	uint8_t ds;
	uint8_t fm_ce_se;
	uint32_t imm_be;		/* as stored (big-endian) */
	uint32_t nbbs;
	bool has_xrc;
	uint32_t xrc_srqn;
	bool has_av;
	uint32_t av_dqpn;
	uint32_t av_qkey;
	bool av_grh;
	uint8_t av_sgid_index;
	uint8_t av_tclass;
	uint8_t av_hop_limit;
	uint32_t av_flow_label;
	uint8_t av_rgid[16];
	bool has_raddr;
	uint64_t raddr;
	uint32_t rkey;
	bool has_atomic;
	uint64_t swap_add;
	uint64_t compare;
	bool is_inline;
	uint32_t inline_len;
	const uint8_t *inline_data;	/* points into the copied WQE */
	struct ud_sgl sgl;		/* data segments */
};

/*
 * The 16-bit posted counter in word of qp's doorbell record (MLX5_RCV_DBR,
 * MLX5_SND_DBR) minus done; 0, and the QP fatal, if the record cannot be
 * read.
 */
uint16_t ud_qp_posted_since(struct uodpd *d, struct ud_qp *qp,
			    unsigned int word, uint32_t done);

/*
 * Copy the send WQE at SQ counter ci out of the ring (handling wrap-around)
 * into buf (UD_MAX_WQE_BYTES).  Return its WQEBB count, -EINVAL when the
 * control segment's DS count is 0 or larger than posted_bbs allows, or
 * -EFAULT/-ESRCH when the ring cannot be read.
 */
int ud_sq_copy_wqe(const struct ud_qbuf *sq, uint32_t wqe_cnt, uint32_t ci,
		   uint32_t posted_bbs, uint8_t *buf);

/*
 * Decode a copied send WQE for a QP of qp_type (enum ibv_qp_type).  Return 0,
 * or -EINVAL for a malformed WQE (unknown opcode, opcode not valid for the QP
 * type, segments overrunning the DS count), or -EMSGSIZE for too many data
 * segments.
 */
int ud_parse_send_wqe(const uint8_t *buf, uint32_t nbbs, uint32_t qp_type,
		      struct ud_send_wqe *w);

/*
 * Decode a receive WQE of stride bytes: data segments until the stride ends
 * or an MLX5_INVALID_LKEY terminator.  skip is 16 for SRQ WQEs (the next
 * segment), 0 for RQ WQEs.  Return 0 or -EINVAL.
 */
int ud_parse_recv_wqe(const uint8_t *wqe, uint32_t stride, uint32_t skip,
		      uint32_t max_sge, struct ud_sgl *sgl);

/* ---- engine_cqe.c ---- */
struct ud_cqe_info {
	uint8_t opcode;			/* enum mlx5_cqe_opcode */
	uint8_t syndrome;		/* error CQEs */
	uint8_t vendor_syndrome;
	uint8_t wqe_opcode;		/* send opcode, requester CQEs */
	uint32_t qpn;
	uint16_t wqe_counter;
	uint32_t byte_cnt;
	uint32_t imm_be;
	uint32_t srqn;
	uint32_t src_qpn;		/* UD */
	bool grh;
	bool solicited;
};

void ud_cqe_encode(const struct ud_cqe_info *info, struct mlx5_cqe64 *cqe);
/* Write a CQE to cqn; an overrun CQ raises IBV_EVENT_CQ_ERR. */
int ud_cq_push(struct uodpd *d, uint32_t cqn, const struct ud_cqe_info *info);

/* ---- engine_xfer.c: move message bytes through MRs ---- */
struct ud_xfer_side {
	uint32_t pdn;			/* the PD the keys must be in */
	uint32_t access;		/* IBV_ACCESS_* needed */
	const struct ud_sgl *sgl;	/* MR-described memory, or */
	const uint8_t *data;		/* daemon memory (inline, GRH, atomics) */
};

enum ud_xfer_result {
	UD_XFER_OK = 0,
	UD_XFER_SRC_ERR,		/* source side refused: see mr */
	UD_XFER_DST_ERR,
	UD_XFER_SRC_FAULT,		/* source page absent: see fault_va */
	UD_XFER_DST_FAULT,
};

struct ud_xfer_status {
	enum ud_xfer_result result;
	enum ud_mr_status mr;
	uint32_t key;
	uint64_t fault_va;
};

/* Copy len bytes from src at src_off to dst at dst_off. */
enum ud_xfer_result ud_xfer(struct uodpd *d, const struct ud_xfer_side *src,
			    uint64_t src_off, const struct ud_xfer_side *dst,
			    uint64_t dst_off, uint64_t len,
			    struct ud_xfer_status *st);

/* ---- engine_recv.c: receive queues ---- */
/*
 * Claim the next receive WQE of the receiving QP (its RQ or SRQ) into claim.
 * Return 0, -EAGAIN when none is posted (RNR), -EINVAL on a malformed WQE.
 */
int ud_recv_claim(struct uodpd *d, struct ud_qp *rqp, struct ud_srq *srq,
		  struct ud_recv_claim *claim);
/* Complete a claimed receive WQE (status 0 = success). */
void ud_recv_complete(struct uodpd *d, const struct ud_recv_claim *claim,
		      const struct ud_cqe_info *info);
/* Give back a receive WQE claimed in this very step (a UD drop). */
void ud_recv_unclaim(struct ud_qp *rqp, struct ud_srq *srq,
		     const struct ud_recv_claim *claim);
/* Flush receive WQEs of an errored QP (its own RQ, not an SRQ). */
bool ud_rq_flush(struct uodpd *d, struct ud_qp *qp);

/* ---- engine_send.c: transports ---- */
enum ud_step {
	UD_STEP_DONE,			/* WQE completed (success or error) */
	UD_STEP_MORE,			/* progress made, call again */
	UD_STEP_WAIT,			/* blocked (RNR, retry timer, fault) */
};

enum ud_step ud_exec_send_wqe(struct uodpd *d, struct ud_qp *qp,
			      const struct ud_send_wqe *w);

/* Helpers shared by the engine files. */
void ud_qp_complete_send(struct uodpd *d, struct ud_qp *qp,
			 const struct ud_send_wqe *w, uint8_t syndrome,
			 uint32_t byte_cnt);
void ud_qp_complete_send_vendor(struct uodpd *d, struct ud_qp *qp,
				const struct ud_send_wqe *w, uint8_t syndrome,
				uint8_t vendor_syndrome);
/* Fail the send WQE at the head of the SQ (stalled, say); QP to error. */
void ud_sq_fail_current(struct uodpd *d, struct ud_qp *qp, uint8_t syndrome,
			uint8_t vendor);
/*
 * A UC message the responder does not take: dropped there (a receive WQE it
 * claimed completes in error), complete at the requester, which never knows.
 */
enum ud_step ud_uc_drop(struct uodpd *d, struct ud_qp *qp,
			const struct ud_send_wqe *w);
/*
 * RNR NAK: back off the responder's min_rnr_timer (rnr_retry 7: forever).
 * UC has none: the message is dropped.
 */
enum ud_step ud_rnr_backoff(struct uodpd *d, struct ud_qp *qp,
			    struct ud_qp *peer, const struct ud_send_wqe *w);

/* ---- engine_fault.c: ODP page faults ---- */
/* The local buffer of w is absent: raise a requester WQE fault (type). */
enum ud_step ud_req_fault(struct uodpd *d, struct ud_qp *qp,
			  const struct ud_send_wqe *w, uint8_t type);
/* The fault context of a receive queue: the SRQ's, or the QP's RQ. */
struct ud_fault_ctx *ud_recv_fault_ctx(struct ud_qp *rqp, struct ud_srq *srq);
/* A receive buffer is absent: raise a responder WQE fault (0 or -errno). */
int ud_recv_fault(struct uodpd *d, struct ud_qp *rqp, struct ud_srq *srq,
		  uint16_t wqe_counter, uint64_t bytes_committed,
		  uint32_t requester_qpn);
/* The rkey's pages are absent: raise an RDMA responder fault, back off. */
enum ud_step ud_rdma_fault(struct uodpd *d, struct ud_qp *qp,
			   struct ud_qp *peer, const struct ud_send_wqe *w,
			   uint64_t len, uint64_t packet, bool write);
uint64_t ud_rnr_timer_ns(uint8_t min_rnr_timer);
uint64_t ud_ack_timeout_ns(uint8_t timeout);
uint32_t ud_mtu_bytes(uint32_t mtu_enum);

#endif /* UODPD_ENGINE_H */
