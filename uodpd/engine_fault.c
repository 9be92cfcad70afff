// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Page faults on the datapath: which fault a missing translation raises,
 * which queue stalls, and what a resume does.  The device side (odp*.c)
 * issues tokens and delivers the EQEs; userspace decides what to map.
 *
 *   requester WQE fault   the local buffer of a send WQE: the SQ stalls.
 *   responder WQE fault   the receive buffer (RQ or SRQ): the receive queue
 *                         stalls, the requester backs off as on an RNR NAK.
 *   RDMA responder fault  the rkey's pages: the responder's RDMA context
 *                         stalls, the requester backs off as on an RNR NAK.
 */
#include <errno.h>
#include <string.h>

#include <infiniband/verbs.h>

#include "engine.h"
#include "odp.h"

/* Nobody services this context's faults: the WQE fails as on a resume error. */
#define ODP_ERR_SYNDROME MLX5_CQE_SYNDROME_REMOTE_ABORTED_ERR
#define ODP_ERR_VENDOR MLX5_CQE_VENDOR_SYNDROME_ODP_PFAULT

enum ud_step ud_req_fault(struct uodpd *d, struct ud_qp *qp,
			  const struct ud_send_wqe *w, uint8_t type)
{
	int ret;

	ret = ud_odp_raise_wqe_fault(d, qp, NULL, type, qp->qpn,
				     qp->req.wqe_ci & 0xffff,
				     (uint32_t)qp->req.bytes_done);
	if (ret == -ENOTCONN || (ret && ret != -EBUSY)) {
		ud_qp_complete_send_vendor(d, qp, w, ODP_ERR_SYNDROME,
					   ODP_ERR_VENDOR);
		return UD_STEP_DONE;
	}
	return UD_STEP_WAIT;
}

struct ud_fault_ctx *ud_recv_fault_ctx(struct ud_qp *rqp, struct ud_srq *srq)
{
	return srq ? &srq->fault : &rqp->rq_fault;
}

int ud_recv_fault(struct uodpd *d, struct ud_qp *rqp, struct ud_srq *srq,
		  uint16_t wqe_counter, uint64_t bytes_committed,
		  uint32_t requester_qpn)
{
	struct ud_fault_ctx *fc = ud_recv_fault_ctx(rqp, srq);
	int ret;

	if (fc->stalled)
		return 0;
	ret = ud_odp_raise_wqe_fault(d, rqp, srq,
				     srq ? MLX5_WQE_PF_TYPE_RMP :
					   MLX5_WQE_PF_TYPE_RESP,
				     srq ? srq->srqn : rqp->qpn, wqe_counter,
				     (uint32_t)bytes_committed);
	if (ret == -EBUSY)
		return 0;
	if (!ret)
		fc->requester_qpn = requester_qpn;
	return ret;
}

enum ud_step ud_rdma_fault(struct uodpd *d, struct ud_qp *qp,
			   struct ud_qp *peer, const struct ud_send_wqe *w,
			   uint64_t len, uint64_t packet, bool write)
{
	int ret = 0;

	/* No UC ODP (as mlx5_ib) and no RNR to wait with: dropped. */
	if (qp->type == IBV_QPT_UC)
		return ud_uc_drop(d, qp, w);
	if (!peer->rdma_fault.stalled) {
		ret = ud_odp_raise_rdma_fault(d, peer, w->rkey, w->raddr,
					      (uint32_t)len,
					      (uint32_t)qp->req.bytes_done,
					      (uint16_t)(packet > 0xffff ?
							 0xffff : packet),
					      write);
		if (!ret)
			peer->rdma_fault.requester_qpn = qp->qpn;
	}
	if (ret && ret != -EBUSY) {
		ud_engine_qp_to_error(d, peer);
		ud_qp_complete_send(d, qp, w,
				    MLX5_CQE_SYNDROME_REMOTE_ACCESS_ERR, 0);
		return UD_STEP_DONE;
	}
	return ud_rnr_backoff(d, qp, peer, w);
}

/*
 * A responder-side fault resumed with error: the receive WQE the requester
 * had claimed completes in error at the responder and the requester's WQE
 * fails as a remote operational error; both QPs move to error.
 */
static void fail_waiting_requester(struct uodpd *d, struct ud_fault_ctx *fc,
				   uint32_t responder_qpn, uint8_t req_syndrome)
{
	struct ud_qp *req = ud_qp_lookup(d, fc->requester_qpn);
	struct ud_recv_claim *claim;

	/* Only a requester still connected to that responder waits on it. */
	if (!req || !req->req.active ||
	    (responder_qpn != UD_NO_HANDLE &&
	     req->attr.dest_qp_num != responder_qpn))
		return;
	claim = &req->req.claim;
	if (claim->valid && claim->qpn == responder_qpn) {
		struct ud_cqe_info info = {
			.opcode = MLX5_CQE_RESP_ERR,
			.syndrome = ODP_ERR_SYNDROME,
			.vendor_syndrome = ODP_ERR_VENDOR,
		};

		ud_recv_complete(d, claim, &info);
		claim->valid = false;
	}
	ud_sq_fail_current(d, req, req_syndrome, 0);
}

void ud_engine_resume(struct uodpd *d, struct ud_qp *qp, struct ud_srq *srq,
		      struct ud_fault_ctx *fc, bool error)
{
	struct ud_qp *rqp;

	fc->stalled = false;
	if (!error)
		return;	/* the queue runs again, and faults again if need be */
	if (qp && fc == &qp->sq_fault) {
		ud_sq_fail_current(d, qp, ODP_ERR_SYNDROME, ODP_ERR_VENDOR);
		return;
	}
	if (qp && fc == &qp->rdma_fault) {
		fail_waiting_requester(d, fc, qp->qpn,
				       MLX5_CQE_SYNDROME_REMOTE_ACCESS_ERR);
		ud_engine_qp_to_error(d, qp);
		return;
	}
	/* Responder WQE fault on an RQ, or on an SRQ through some QP. */
	rqp = qp;
	if (srq) {
		struct ud_qp *req = ud_qp_lookup(d, fc->requester_qpn);

		rqp = req && req->req.claim.valid ?
		      ud_qp_lookup(d, req->req.claim.qpn) : NULL;
	}
	fail_waiting_requester(d, fc, rqp ? rqp->qpn : UD_NO_HANDLE,
			       MLX5_CQE_SYNDROME_REMOTE_OP_ERR);
	if (rqp)
		ud_engine_qp_to_error(d, rqp);
}
