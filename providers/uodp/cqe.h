/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * Pure mlx5 CQE decoding: a 64-byte CQE in, the fields of struct ibv_wc
 * that the CQE alone determines out.  What needs provider state (wr_id,
 * queue tails, SRQ free lists) is left to cq.c, which uses the identifiers
 * returned in struct uodp_cqe_info.
 */
#ifndef UODP_PROVIDER_CQE_H
#define UODP_PROVIDER_CQE_H

#include <stdbool.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#include "hw/mlx5/cqe.h"

struct uodp_cqe_info {
	uint32_t qpn;		/* QP the completion belongs to */
	uint32_t srqn;		/* srqn_uidx 23:0, 0 = none */
	uint16_t wqe_counter;	/* SQ WQE index, or SRQ WQE index */
	uint8_t opcode;		/* enum mlx5_cqe_opcode */
	bool is_send;		/* a requester (send queue) completion */
	bool is_error;
};

/*
 * Decode cqe (already known to be software owned) into wc (every field but
 * wr_id, which is left untouched) and info.  Returns false for an opcode no
 * device writes (the CQE is then garbage; wc->status is GENERAL_ERR).
 */
bool uodp_cqe_decode(const struct mlx5_cqe64 *cqe, struct ibv_wc *wc,
		     struct uodp_cqe_info *info);
/* ibv_wc_status of an error CQE syndrome. */
enum ibv_wc_status uodp_cqe_syndrome_to_status(uint8_t syndrome);
/* ibv_wc_opcode of a requester CQE's send opcode (sop_drop_qpn 31:24). */
enum ibv_wc_opcode uodp_cqe_send_opcode_to_wc(uint8_t wqe_opcode);

#endif /* UODP_PROVIDER_CQE_H */
