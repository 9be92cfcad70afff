/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * The device side of the thin ODP uAPI (rdma/uodp-odp-abi.h), inside uodpd:
 * how the engine raises page faults, and how a RESUME reaches the engine.
 *
 * Ownership:
 *   odp.c, odp_channel.c, odp_map.c, ctl_odp.c (device side, not the engine):
 *     ODP MRs and their translation tables, the event channel, tokens,
 *     MAP, GENERAL (PAGE_FAULT_RESUME, QUERY_HCA_CAP), counters, and the
 *     resume-with-error of everything pending when a channel closes or its
 *     context dies.
 *   engine*.c: decides when a fault happens and what a resume does to the
 *     queue.
 */
#ifndef UODPD_ODP_H
#define UODPD_ODP_H

#include <stdbool.h>
#include <stdint.h>

#include "uodpd.h"
#include "hw/mlx5/eqe.h"

/* ---- raised by the engine (implemented in odp*.c) ---- */

/*
 * A WQE page fault on qp: type is enum mlx5_wqe_pfault_type; wq_num the
 * QPN, or the SRQ number for MLX5_WQE_PF_TYPE_RMP; wqe_index the faulting
 * WQE's index (SQ: WQEBB counter & 0xffff, RQ: WQE counter, SRQ: WQE
 * index); bytes_committed the message bytes already done.  The device side
 * issues a token, marks the fault context (qp->sq_fault for requester
 * faults, qp->rq_fault or srq->fault for responder faults) stalled and
 * queues the EQE on the owning context's channel.
 *
 * Return 0, -EBUSY when that queue already has a fault outstanding (the
 * caller just waits), or -ENOTCONN when the owner has no event channel (no
 * one services its faults: the caller fails the WQE).
 */
int ud_odp_raise_wqe_fault(struct uodpd *d, struct ud_qp *qp,
			   struct ud_srq *srq, uint8_t type, uint32_t wq_num,
			   uint16_t wqe_index, uint32_t bytes_committed);

/*
 * An RDMA responder fault: the rkey's pages [va, va+len) are not present
 * (for a write or an atomic: not writable).  responder is the QP the
 * request arrived on; its rdma_fault context is marked and the requester
 * backs off (RNR) until the resume.  Same returns as above.
 */
int ud_odp_raise_rdma_fault(struct uodpd *d, struct ud_qp *responder,
			    uint32_t rkey, uint64_t va, uint32_t op_len,
			    uint32_t bytes_committed, uint16_t packet_length,
			    bool write);

/*
 * The pages behind [va, va+len) of ODP MR mr are gone (an access through
 * process_vm_readv/writev failed with EFAULT): zap their translations and
 * queue an INVALIDATE event; the access then faults again.
 */
void ud_odp_invalidate(struct uodpd *d, struct ud_mr *mr, uint64_t va,
		       uint64_t len);

/* ---- called by the device side on RESUME (implemented in engine*.c) ---- */

/*
 * Resume the fault context fc of qp (sq_fault, rq_fault or rdma_fault) or
 * srq.  With error the faulting WQE completes in error (syndrome
 * REMOTE_ABORTED with vendor syndrome ODP_PFAULT) and the QP moves to
 * error; otherwise the queue runs again and faults again if the pages are
 * still absent.
 */
void ud_engine_resume(struct uodpd *d, struct ud_qp *qp, struct ud_srq *srq,
		      struct ud_fault_ctx *fc, bool error);

#endif /* UODPD_ODP_H */
