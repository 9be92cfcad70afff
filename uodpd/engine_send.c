// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The transports: what a send WQE does at the requester and at the
 * responder.  Requester and responder are in the same device, so a "packet"
 * is a direct, checked operation on the responder QP; what IB signals with
 * NAKs and timeouts becomes the same completions and back-offs.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <infiniband/verbs.h>

#include "engine.h"
#include "odp.h"

static bool wqe_signaled(const struct ud_send_wqe *w)
{
	return w->fm_ce_se & MLX5_WQE_CTRL_CQ_UPDATE;
}

void ud_qp_complete_send_vendor(struct uodpd *d, struct ud_qp *qp,
				const struct ud_send_wqe *w, uint8_t syndrome,
				uint8_t vendor_syndrome)
{
	struct ud_cqe_info info = {
		.opcode = syndrome ? MLX5_CQE_REQ_ERR : MLX5_CQE_REQ,
		.syndrome = syndrome,
		.vendor_syndrome = vendor_syndrome,
		.wqe_opcode = w->opcode,
		.qpn = qp->qpn,
		.wqe_counter = qp->req.wqe_ci & 0xffff,
	};

	qp->req.active = false;
	if (syndrome || wqe_signaled(w))
		ud_cq_push(d, qp->send_cqn, &info);
	if (syndrome) {
		ud_dbg("QP %#x: WQE %u (opcode %#x) failed: syndrome %#x/%#x",
		       qp->qpn, info.wqe_counter, w->opcode, syndrome,
		       vendor_syndrome);
		ud_engine_qp_to_error(d, qp);
	}
}

void ud_qp_complete_send(struct uodpd *d, struct ud_qp *qp,
			 const struct ud_send_wqe *w, uint8_t syndrome,
			 uint32_t byte_cnt)
{
	struct ud_cqe_info info = {
		.opcode = MLX5_CQE_REQ,
		.wqe_opcode = w->opcode,
		.qpn = qp->qpn,
		.wqe_counter = qp->req.wqe_ci & 0xffff,
		.byte_cnt = byte_cnt,
	};

	if (syndrome) {
		ud_qp_complete_send_vendor(d, qp, w, syndrome, 0);
		return;
	}
	qp->req.active = false;
	if (wqe_signaled(w))
		ud_cq_push(d, qp->send_cqn, &info);
}

static enum ud_step req_error(struct uodpd *d, struct ud_qp *qp,
			      const struct ud_send_wqe *w, uint8_t syndrome)
{
	ud_qp_complete_send(d, qp, w, syndrome, 0);
	return UD_STEP_DONE;
}

enum ud_step ud_uc_drop(struct uodpd *d, struct ud_qp *qp,
			const struct ud_send_wqe *w)
{
	struct ud_cqe_info info = {
		.opcode = MLX5_CQE_RESP_ERR,
		.syndrome = MLX5_CQE_SYNDROME_REMOTE_INVAL_REQ_ERR,
	};

	/*
	 * A receive WQE the message had already claimed completes in error
	 * and the responder goes on with the next message (class E).
	 */
	if (qp->req.claim.valid) {
		ud_recv_complete(d, &qp->req.claim, &info);
		qp->req.claim.valid = false;
	}
	ud_qp_complete_send(d, qp, w, 0, (uint32_t)w->sgl.total);
	return UD_STEP_DONE;
}

/*
 * The responder refused the message (its own state may have changed).  RC
 * hears of it in a NAK and fails the WQE with syndrome; UC hears nothing.
 */
static enum ud_step resp_refused(struct uodpd *d, struct ud_qp *qp,
				 const struct ud_send_wqe *w, uint8_t syndrome)
{
	if (qp->type == IBV_QPT_UC)
		return ud_uc_drop(d, qp, w);
	return req_error(d, qp, w, syndrome);
}

/*
 * The responder saw a bad request: both ends move to error.  A UC
 * responder drops it and stays up (class D, as the kernel's rxe).
 */
static enum ud_step remote_error(struct uodpd *d, struct ud_qp *qp,
				 struct ud_qp *peer,
				 const struct ud_send_wqe *w, uint8_t syndrome)
{
	if (qp->type != IBV_QPT_UC)
		ud_engine_qp_to_error(d, peer);
	return resp_refused(d, qp, w, syndrome);
}

/* Fail a claimed receive WQE at the responder, which moves to error. */
static void recv_error(struct uodpd *d, struct ud_qp *peer,
		       struct ud_recv_claim *claim, uint8_t syndrome)
{
	struct ud_cqe_info info = {
		.opcode = MLX5_CQE_RESP_ERR,
		.syndrome = syndrome,
	};

	ud_recv_complete(d, claim, &info);
	claim->valid = false;
	if (peer)
		ud_engine_qp_to_error(d, peer);
}

/*
 * Check every local segment up front, so errors and page faults precede
 * side effects: an error wins over a fault (the WQE fails either way).
 */
static enum ud_mr_status precheck_sgl(struct uodpd *d, const struct ud_sgl *sgl,
				      uint32_t pdn, uint32_t access)
{
	enum ud_mr_status ret, worst = UD_MR_OK;
	struct ud_mr *mr;
	uint64_t fault_va;
	uint32_t i;

	for (i = 0; i < sgl->n; i++) {
		ret = ud_mr_check(d, sgl->seg[i].key, pdn, sgl->seg[i].va,
				  sgl->seg[i].len, access, &mr, &fault_va);
		if (ret == UD_MR_FAULT)
			worst = ret;
		else if (ret != UD_MR_OK)
			return ret;
	}
	return worst;
}

/*
 * The local buffers of w, before the WQE has any effect: UD_STEP_MORE when
 * usable, else the error completion or the requester fault (fault_type).
 */
static enum ud_step local_precheck(struct uodpd *d, struct ud_qp *qp,
				   const struct ud_send_wqe *w, uint32_t access,
				   uint8_t fault_type)
{
	if (w->is_inline)
		return UD_STEP_MORE;
	switch (precheck_sgl(d, &w->sgl, qp->pdn, access)) {
	case UD_MR_OK:
		return UD_STEP_MORE;
	case UD_MR_FAULT:
		return ud_req_fault(d, qp, w, fault_type);
	default:
		return req_error(d, qp, w, MLX5_CQE_SYNDROME_LOCAL_PROT_ERR);
	}
}

static void local_side(const struct ud_qp *qp, const struct ud_send_wqe *w,
		       uint32_t access, struct ud_xfer_side *side)
{
	side->pdn = qp->pdn;
	side->access = access;
	side->sgl = &w->sgl;
	side->data = w->is_inline ? w->inline_data : NULL;
}

/* ---- transport-level outcomes ---- */

/* No acknowledgement: retry after the ACK timeout, up to retry_cnt times. */
static enum ud_step transport_retry(struct uodpd *d, struct ud_qp *qp,
				    const struct ud_send_wqe *w)
{
	if (qp->type == IBV_QPT_UC)
		return ud_uc_drop(d, qp, w);	/* no ACK expected, none missed */
	if (!qp->req.retries_left)
		return req_error(d, qp, w,
				 MLX5_CQE_SYNDROME_TRANSPORT_RETRY_EXC_ERR);
	qp->req.retries_left--;
	qp->req.wait_until_ns = ud_now_ns() + ud_ack_timeout_ns(qp->attr.timeout);
	return UD_STEP_WAIT;
}

enum ud_step ud_rnr_backoff(struct uodpd *d, struct ud_qp *qp,
			    struct ud_qp *peer, const struct ud_send_wqe *w)
{
	/* UC has no RNR NAK: the responder drops what it cannot take now. */
	if (qp->type == IBV_QPT_UC)
		return ud_uc_drop(d, qp, w);
	if (qp->attr.rnr_retry != 7) {
		if (!qp->req.rnr_retries_left)
			return req_error(d, qp, w,
					 MLX5_CQE_SYNDROME_RNR_RETRY_EXC_ERR);
		qp->req.rnr_retries_left--;
	}
	qp->req.wait_until_ns = ud_now_ns() +
				ud_rnr_timer_ns(peer->attr.min_rnr_timer);
	return UD_STEP_WAIT;
}

static bool peer_receives(const struct ud_qp *peer, uint32_t want_type)
{
	return peer->type == want_type &&
	       (peer->state == IBV_QPS_RTR || peer->state == IBV_QPS_RTS ||
		peer->state == IBV_QPS_SQD || peer->state == IBV_QPS_SQE);
}

/*
 * Whether a packet of qp reaches peer and peer takes it, as on a fabric:
 * the fabric delivers by qp's destination QPN and path, and a connected
 * responder accepts only what arrives on its own connection.  The peer
 * must be connected back to qp (an RC or UC QP context serves one
 * requester), and the path must match both ways as the kernel's rxe checks
 * it (check_addr): a GRH exactly when the responder's AV is global, the
 * packet's destination GID the responder's source GID and its source GID
 * the responder's destination GID.  Cheap: two QPN compares and, for
 * RoCE, two 16-byte compares.
 */
static bool peer_connected(const struct ud_qp *qp, const struct ud_qp *peer)
{
	const struct ud_ah_attr *req = &qp->attr.ah_attr;
	const struct ud_ah_attr *resp = &peer->attr.ah_attr;

	if (peer->attr.dest_qp_num != qp->qpn)
		return false;
	if (req->is_global != resp->is_global)
		return false;
	if (!req->is_global)
		return true;
	/* sgid_index was checked against the GID table by MODIFY_QP. */
	return !memcmp(req->dgid, peer->ctx->dev->gids[resp->sgid_index].raw,
		       sizeof(req->dgid)) &&
	       !memcmp(resp->dgid, qp->ctx->dev->gids[req->sgid_index].raw,
		       sizeof(resp->dgid));
}

/* ---- RC and XRC ---- */

/*
 * The XRC SRQ an XRC request names, if it is in the target QP's domain
 * (rxe's check_xrcd); NULL otherwise.
 */
static struct ud_srq *xrc_target_srq(struct uodpd *d, const struct ud_qp *peer,
				     const struct ud_send_wqe *w)
{
	struct ud_srq *srq = ud_srq_lookup(d, w->xrc_srqn);

	if (!srq || srq->type != IBV_SRQT_XRC || srq->xrcdn != peer->xrcdn)
		return NULL;
	return srq;
}

static struct ud_srq *rc_peer_srq(struct uodpd *d, struct ud_qp *peer,
				  const struct ud_send_wqe *w, bool *bad)
{
	struct ud_srq *srq;

	*bad = false;
	if (peer->type == IBV_QPT_XRC_RECV) {
		srq = xrc_target_srq(d, peer, w);
		*bad = !srq;
		return srq;
	}
	if (peer->srqn == UD_NO_HANDLE)
		return NULL;
	srq = ud_srq_lookup(d, peer->srqn);
	*bad = !srq;
	return srq;
}

/*
 * Claim the responder's receive WQE for SEND and WRITE_WITH_IMM.  Return
 * UD_STEP_MORE when claimed, otherwise what the requester does instead.
 */
static enum ud_step rc_claim(struct uodpd *d, struct ud_qp *qp,
			     struct ud_qp *peer, const struct ud_send_wqe *w)
{
	struct ud_srq *srq;
	bool bad;
	int ret;

	if (qp->req.claim.valid)
		return UD_STEP_MORE;
	srq = rc_peer_srq(d, peer, w, &bad);
	if (bad)
		return remote_error(d, qp, peer, w,
				    MLX5_CQE_SYNDROME_REMOTE_INVAL_REQ_ERR);
	/* A receive queue stalled on a page fault answers RNR. */
	if (ud_recv_fault_ctx(peer, srq)->stalled)
		return ud_rnr_backoff(d, qp, peer, w);
	ret = ud_recv_claim(d, peer, srq, &qp->req.claim);
	if (ret == -EAGAIN)
		return ud_rnr_backoff(d, qp, peer, w);
	if (ret) {
		recv_error(d, peer, &qp->req.claim,
			   MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR);
		return resp_refused(d, qp, w, MLX5_CQE_SYNDROME_REMOTE_OP_ERR);
	}
	return UD_STEP_MORE;
}

/*
 * The bytes of the current WQE's next step: at most UD_STEP_BYTES, and at
 * most what the QP's context may still move this round (engine.c), so its
 * turn ends at its quantum, not a step later.
 */
/*
 * The bytes of the next step: at most UD_STEP_BYTES and what the context
 * has left of its quantum; but what is left of a message, if it is no
 * more than a quantum, goes in one step and the context owes the rest to
 * its next turn (DRR's debt).  Cutting it at the deficit instead would,
 * once a completed WQE's 64 bytes shifted the deficit, split every
 * quantum-sized message in two steps (measured: ib_write_bw 64 KiB 28%
 * slower at a 64 KiB quantum).
 */
static uint64_t step_len(const struct uodpd *d, const struct ud_qp *qp,
			 uint64_t total)
{
	uint64_t left = total - qp->req.bytes_done, max = UD_STEP_BYTES;
	int64_t deficit = qp->ctx->sched.deficit;

	if (left <= d->quantum && left <= max)
		return left;
	if (deficit > 0 && (uint64_t)deficit < max)
		max = (uint64_t)deficit;
	return left < max ? left : max;
}

/*
 * The claimed receive buffer is absent: the responder raises a WQE fault
 * and stalls its receive queue, the requester backs off as on RNR.
 */
static enum ud_step recv_fault_step(struct uodpd *d, struct ud_qp *qp,
				    struct ud_qp *peer,
				    const struct ud_send_wqe *w)
{
	struct ud_recv_claim *claim = &qp->req.claim;
	struct ud_srq *srq = NULL;

	/*
	 * UC cannot hold the requester off while the fault is serviced, and
	 * mlx5_ib offers no UC ODP: the message is dropped, nothing raised.
	 */
	if (qp->type == IBV_QPT_UC)
		return ud_uc_drop(d, qp, w);
	if (claim->srqn != UD_NO_HANDLE)
		srq = ud_srq_lookup(d, claim->srqn);
	if (ud_recv_fault(d, peer, srq, claim->wqe_counter,
			  qp->req.bytes_done, qp->qpn)) {
		recv_error(d, peer, claim, MLX5_CQE_SYNDROME_REMOTE_ABORTED_ERR);
		return req_error(d, qp, w, MLX5_CQE_SYNDROME_REMOTE_OP_ERR);
	}
	return ud_rnr_backoff(d, qp, peer, w);
}

static void recv_cqe_info(const struct ud_qp *qp, const struct ud_send_wqe *w,
			  uint8_t opcode, uint32_t byte_cnt,
			  struct ud_cqe_info *info)
{
	bool imm = w->opcode == MLX5_OPCODE_SEND_IMM ||
		   w->opcode == MLX5_OPCODE_RDMA_WRITE_IMM;

	*info = (struct ud_cqe_info){
		.opcode = opcode,
		.byte_cnt = byte_cnt,
		.imm_be = imm ? w->imm_be : 0,
		.src_qpn = qp->qpn,
		.solicited = w->fm_ce_se & MLX5_WQE_CTRL_SOLICITED,
	};
}

/*
 * A UC SEND longer than the receive WQE it claimed in this very step:
 * dropped, and a WQE of the QP's own RQ waits for the next message (class
 * D); one from an SRQ completes in error (class E), as the kernel's rxe.
 */
static enum ud_step uc_too_long(struct uodpd *d, struct ud_qp *qp,
				struct ud_qp *peer, const struct ud_send_wqe *w)
{
	struct ud_recv_claim *claim = &qp->req.claim;

	if (claim->srqn == UD_NO_HANDLE) {
		ud_recv_unclaim(peer, NULL, claim);
		claim->valid = false;
	}
	return ud_uc_drop(d, qp, w);
}

static enum ud_step rc_send(struct uodpd *d, struct ud_qp *qp,
			    struct ud_qp *peer, const struct ud_send_wqe *w)
{
	struct ud_recv_claim *claim = &qp->req.claim;
	struct ud_xfer_side src, dst;
	struct ud_xfer_status st;
	struct ud_cqe_info info;
	enum ud_step step;
	uint64_t n;

	if (!qp->req.bytes_done && !claim->valid) {
		step = local_precheck(d, qp, w, 0,
				      MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE);
		if (step != UD_STEP_MORE)
			return step;
	}
	step = rc_claim(d, qp, peer, w);
	if (step != UD_STEP_MORE)
		return step;
	if (w->sgl.total > claim->sgl.total) {
		if (qp->type == IBV_QPT_UC)
			return uc_too_long(d, qp, peer, w);
		recv_error(d, peer, claim, MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR);
		return req_error(d, qp, w,
				 MLX5_CQE_SYNDROME_REMOTE_INVAL_REQ_ERR);
	}
	local_side(qp, w, 0, &src);
	dst = (struct ud_xfer_side){ .pdn = claim->pdn,
				     .access = IBV_ACCESS_LOCAL_WRITE,
				     .sgl = &claim->sgl };
	n = step_len(d, qp, w->sgl.total);
	switch (ud_xfer(d, &src, qp->req.bytes_done, &dst, qp->req.bytes_done,
			n, &st)) {
	case UD_XFER_OK:
		break;
	case UD_XFER_SRC_FAULT:
		return ud_req_fault(d, qp, w,
				    MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE);
	case UD_XFER_DST_FAULT:
		return recv_fault_step(d, qp, peer, w);
	case UD_XFER_SRC_ERR:
		recv_error(d, NULL, claim, MLX5_CQE_SYNDROME_REMOTE_ABORTED_ERR);
		return req_error(d, qp, w, MLX5_CQE_SYNDROME_LOCAL_PROT_ERR);
	case UD_XFER_DST_ERR:
		recv_error(d, peer, claim, MLX5_CQE_SYNDROME_LOCAL_PROT_ERR);
		return resp_refused(d, qp, w, MLX5_CQE_SYNDROME_REMOTE_OP_ERR);
	}
	qp->req.bytes_done += n;
	if (qp->req.bytes_done < w->sgl.total)
		return UD_STEP_MORE;
	recv_cqe_info(qp, w, w->opcode == MLX5_OPCODE_SEND_IMM ?
		      MLX5_CQE_RESP_SEND_IMM : MLX5_CQE_RESP_SEND,
		      (uint32_t)w->sgl.total, &info);
	ud_recv_complete(d, claim, &info);
	claim->valid = false;
	ud_qp_complete_send(d, qp, w, 0, (uint32_t)w->sgl.total);
	return UD_STEP_DONE;
}

/* The remote side of RDMA and atomics: one segment under the rkey. */

/*
 * The PD an rkey is checked against at the responder.  An XRC target QP
 * has no PD of its own: the XRC SRQ the request names (which must be in
 * the target's XRC domain) lends its PD, as the IB spec's XRC annex has
 * it, so an rkey reaches through an XRC target only the memory of the PD
 * whose SRQ the sender was given.  UD_NO_HANDLE is never returned: no
 * request passes for "any PD".
 */
static bool peer_pdn(struct uodpd *d, const struct ud_qp *peer,
		     const struct ud_send_wqe *w, uint32_t *pdn)
{
	struct ud_srq *srq;

	if (peer->type != IBV_QPT_XRC_RECV) {
		*pdn = peer->pdn;
		return true;
	}
	srq = xrc_target_srq(d, peer, w);
	if (!srq)
		return false;
	*pdn = srq->pdn;
	return true;
}

/*
 * Common checks of RDMA and atomic requests: the responder QP must allow
 * the operation (else a remote invalid request) and the rkey must cover the
 * range with the access (else a remote access error); the local scatter list
 * must be valid (else a local protection error) and present (else a
 * requester fault of fault_type).  A responder whose RDMA context is stalled
 * on a fault answers RNR.
 */
static enum ud_step rdma_checks(struct uodpd *d, struct ud_qp *qp,
				struct ud_qp *peer, const struct ud_send_wqe *w,
				uint32_t qp_access, uint32_t local_access,
				uint64_t len, uint8_t fault_type)
{
	enum ud_mr_status ret;
	enum ud_step step;
	struct ud_mr *mr;
	uint64_t fault_va;
	uint32_t pdn;

	if (!(peer->attr.qp_access_flags & qp_access) ||
	    !peer_pdn(d, peer, w, &pdn))
		return remote_error(d, qp, peer, w,
				    MLX5_CQE_SYNDROME_REMOTE_INVAL_REQ_ERR);
	step = local_precheck(d, qp, w, local_access, fault_type);
	if (step != UD_STEP_MORE)
		return step;
	/*
	 * A zero-length RDMA names no memory: its R_Key and VA are not
	 * checked (IBA C9-88; rsockets' control messages leave them unset).
	 */
	ret = len ? ud_mr_check(d, w->rkey, pdn, w->raddr, len, qp_access,
				&mr, &fault_va) :
		    UD_MR_OK;
	if (ret != UD_MR_OK && ret != UD_MR_FAULT) {
		ud_dbg("QP %#x: rkey %#x [%#" PRIx64 ", +%" PRIu64
		       ") refused: %d", qp->qpn, w->rkey, w->raddr, len,
		       (int)ret);
		return remote_error(d, qp, peer, w,
				    MLX5_CQE_SYNDROME_REMOTE_ACCESS_ERR);
	}
	if (peer->rdma_fault.stalled)
		return ud_rnr_backoff(d, qp, peer, w);
	return UD_STEP_MORE;
}

/*
 * The responder's side of RDMA under the rkey, checked against its PD
 * (again at every step: an XRC SRQ may be gone since the last one).
 */
static bool remote_side(struct uodpd *d, const struct ud_qp *peer,
			const struct ud_send_wqe *w, uint32_t access,
			struct ud_sgl *sgl, struct ud_xfer_side *side)
{
	uint32_t pdn;

	if (!peer_pdn(d, peer, w, &pdn))
		return false;
	sgl->n = 1;
	sgl->total = w->sgl.total;
	sgl->seg[0] = (struct ud_seg){ .key = w->rkey, .va = w->raddr,
				       .len = w->sgl.total };
	*side = (struct ud_xfer_side){ .pdn = pdn, .access = access,
				       .sgl = sgl };
	return true;
}

/* What a failed RDMA chunk means, by side: local or remote (rkey). */
static enum ud_step rdma_xfer_result(struct uodpd *d, struct ud_qp *qp,
				     struct ud_qp *peer,
				     const struct ud_send_wqe *w,
				     enum ud_xfer_result res, bool write,
				     uint64_t packet)
{
	bool local_failed = write ? (res == UD_XFER_SRC_ERR ||
				     res == UD_XFER_SRC_FAULT) :
				    (res == UD_XFER_DST_ERR ||
				     res == UD_XFER_DST_FAULT);

	switch (res) {
	case UD_XFER_OK:
		return UD_STEP_MORE;
	case UD_XFER_SRC_FAULT:
	case UD_XFER_DST_FAULT:
		if (local_failed)
			return ud_req_fault(d, qp, w, write ?
				MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE :
				MLX5_WQE_PF_TYPE_REQ_READ_OR_ATOMIC);
		return ud_rdma_fault(d, qp, peer, w, w->sgl.total, packet,
				     write);
	default:
		if (local_failed)
			return req_error(d, qp, w,
					 MLX5_CQE_SYNDROME_LOCAL_PROT_ERR);
		return remote_error(d, qp, peer, w,
				    MLX5_CQE_SYNDROME_REMOTE_ACCESS_ERR);
	}
}

static enum ud_step rc_write(struct uodpd *d, struct ud_qp *qp,
			     struct ud_qp *peer, const struct ud_send_wqe *w)
{
	bool imm = w->opcode == MLX5_OPCODE_RDMA_WRITE_IMM;
	struct ud_xfer_side src, dst;
	struct ud_xfer_status st;
	struct ud_cqe_info info;
	struct ud_sgl rsgl;
	enum ud_step step;
	uint64_t n;

	if (!qp->req.bytes_done && !qp->req.claim.valid) {
		step = rdma_checks(d, qp, peer, w, IBV_ACCESS_REMOTE_WRITE, 0,
				   w->sgl.total,
				   MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE);
		if (step != UD_STEP_MORE)
			return step;
	}
	if (imm) {
		step = rc_claim(d, qp, peer, w);
		if (step != UD_STEP_MORE)
			return step;
	}
	if (!remote_side(d, peer, w, IBV_ACCESS_REMOTE_WRITE, &rsgl, &dst))
		return remote_error(d, qp, peer, w,
				    MLX5_CQE_SYNDROME_REMOTE_INVAL_REQ_ERR);
	local_side(qp, w, 0, &src);
	n = step_len(d, qp, w->sgl.total);
	step = rdma_xfer_result(d, qp, peer, w,
				ud_xfer(d, &src, qp->req.bytes_done, &dst,
					qp->req.bytes_done, n, &st), true, n);
	if (step != UD_STEP_MORE)
		return step;
	qp->req.bytes_done += n;
	if (qp->req.bytes_done < w->sgl.total)
		return UD_STEP_MORE;
	if (imm) {
		recv_cqe_info(qp, w, MLX5_CQE_RESP_WR_IMM,
			      (uint32_t)w->sgl.total, &info);
		ud_recv_complete(d, &qp->req.claim, &info);
		qp->req.claim.valid = false;
	}
	ud_qp_complete_send(d, qp, w, 0, (uint32_t)w->sgl.total);
	return UD_STEP_DONE;
}

static enum ud_step rc_read(struct uodpd *d, struct ud_qp *qp,
			    struct ud_qp *peer, const struct ud_send_wqe *w)
{
	struct ud_xfer_side src, dst;
	struct ud_xfer_status st;
	struct ud_sgl rsgl;
	enum ud_step step;
	uint64_t n;

	if (!qp->req.bytes_done) {
		if (!peer->attr.max_dest_rd_atomic)
			return remote_error(d, qp, peer, w,
				MLX5_CQE_SYNDROME_REMOTE_INVAL_REQ_ERR);
		step = rdma_checks(d, qp, peer, w, IBV_ACCESS_REMOTE_READ,
				   IBV_ACCESS_LOCAL_WRITE, w->sgl.total,
				   MLX5_WQE_PF_TYPE_REQ_READ_OR_ATOMIC);
		if (step != UD_STEP_MORE)
			return step;
	}
	if (!remote_side(d, peer, w, IBV_ACCESS_REMOTE_READ, &rsgl, &src))
		return remote_error(d, qp, peer, w,
				    MLX5_CQE_SYNDROME_REMOTE_INVAL_REQ_ERR);
	local_side(qp, w, IBV_ACCESS_LOCAL_WRITE, &dst);
	n = step_len(d, qp, w->sgl.total);
	step = rdma_xfer_result(d, qp, peer, w,
				ud_xfer(d, &src, qp->req.bytes_done, &dst,
					qp->req.bytes_done, n, &st), false, n);
	if (step != UD_STEP_MORE)
		return step;
	qp->req.bytes_done += n;
	if (qp->req.bytes_done < w->sgl.total)
		return UD_STEP_MORE;
	ud_qp_complete_send(d, qp, w, 0, (uint32_t)w->sgl.total);
	return UD_STEP_DONE;
}

/*
 * The responder's 8 bytes, present and writable.  An ODP page that is gone
 * from the process loses its translation and faults again.
 */
static enum ud_step atomic_target(struct uodpd *d, struct ud_qp *qp,
				  struct ud_qp *peer,
				  const struct ud_send_wqe *w, struct ud_mr **mr)
{
	uint64_t fault_va;
	uint32_t pdn;

	/* rdma_checks() found the PD in this very step. */
	if (!peer_pdn(d, peer, w, &pdn))
		return remote_error(d, qp, peer, w,
				    MLX5_CQE_SYNDROME_REMOTE_INVAL_REQ_ERR);
	if (ud_mr_check(d, w->rkey, pdn, w->raddr, MLX5_ATOMIC_SIZE,
			IBV_ACCESS_REMOTE_ATOMIC, mr, &fault_va) != UD_MR_OK)
		return ud_rdma_fault(d, qp, peer, w, MLX5_ATOMIC_SIZE,
				     MLX5_ATOMIC_SIZE, true);
	return UD_STEP_MORE;
}

static enum ud_step atomic_target_gone(struct uodpd *d, struct ud_qp *qp,
				       struct ud_qp *peer,
				       const struct ud_send_wqe *w,
				       struct ud_mr *mr)
{
	if (!mr->odp)
		return remote_error(d, qp, peer, w,
				    MLX5_CQE_SYNDROME_REMOTE_ACCESS_ERR);
	ud_odp_invalidate(d, mr, w->raddr, MLX5_ATOMIC_SIZE);
	return ud_rdma_fault(d, qp, peer, w, MLX5_ATOMIC_SIZE, MLX5_ATOMIC_SIZE,
			     true);
}

static enum ud_step rc_atomic(struct uodpd *d, struct ud_qp *qp,
			      struct ud_qp *peer, const struct ud_send_wqe *w)
{
	struct ud_xfer_side src, dst;
	struct ud_xfer_status st;
	uint64_t old, new, pva;
	enum ud_step step;
	struct ud_mr *mr;

	if (w->is_inline || w->sgl.total < MLX5_ATOMIC_SIZE)
		return req_error(d, qp, w, MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR);
	if ((w->raddr & (MLX5_ATOMIC_SIZE - 1)) || !peer->attr.max_dest_rd_atomic)
		return remote_error(d, qp, peer, w,
				    MLX5_CQE_SYNDROME_REMOTE_INVAL_REQ_ERR);
	/* Everything is checked and present before the operation runs once. */
	step = rdma_checks(d, qp, peer, w, IBV_ACCESS_REMOTE_ATOMIC,
			   IBV_ACCESS_LOCAL_WRITE, MLX5_ATOMIC_SIZE,
			   MLX5_WQE_PF_TYPE_REQ_READ_OR_ATOMIC);
	if (step != UD_STEP_MORE)
		return step;
	step = atomic_target(d, qp, peer, w, &mr);
	if (step != UD_STEP_MORE)
		return step;
	pva = ud_mr_pva(mr, w->raddr);
	/* Responder memory is host-endian, as mlx5 in host-endianness mode. */
	if (ud_mem_read(mr->ctx, pva, &old, sizeof(old)))
		return atomic_target_gone(d, qp, peer, w, mr);
	if (w->opcode == MLX5_OPCODE_ATOMIC_CS)
		new = old == w->compare ? w->swap_add : old;
	else
		new = old + w->swap_add;
	if (new != old && ud_mem_write(mr->ctx, pva, &new, sizeof(new)))
		return atomic_target_gone(d, qp, peer, w, mr);
	src = (struct ud_xfer_side){ .data = (const uint8_t *)&old };
	local_side(qp, w, IBV_ACCESS_LOCAL_WRITE, &dst);
	if (ud_xfer(d, &src, 0, &dst, 0, MLX5_ATOMIC_SIZE, &st))
		return req_error(d, qp, w, MLX5_CQE_SYNDROME_LOCAL_PROT_ERR);
	ud_qp_complete_send(d, qp, w, 0, MLX5_ATOMIC_SIZE);
	return UD_STEP_DONE;
}

static enum ud_step rc_exec(struct uodpd *d, struct ud_qp *qp,
			    const struct ud_send_wqe *w)
{
	/* UC talks to UC, RC to RC, an XRC initiator to an XRC target. */
	uint32_t want = qp->type == IBV_QPT_XRC_SEND ? IBV_QPT_XRC_RECV :
						       qp->type;
	struct ud_qp *peer = ud_qp_lookup(d, qp->attr.dest_qp_num);

	if (w->sgl.total > qp->ctx->dev->attr.max_msg_sz)
		return req_error(d, qp, w, MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR);
	/*
	 * A vanished or non-receiving peer, or one not connected to this QP
	 * along this path, drops packets: retry, time out (UC: lost).
	 */
	if (!peer || !peer_receives(peer, want) || !peer_connected(qp, peer)) {
		qp->req.claim.valid = false;
		return transport_retry(d, qp, w);
	}
	switch (w->opcode) {
	case MLX5_OPCODE_SEND:
	case MLX5_OPCODE_SEND_IMM:
		return rc_send(d, qp, peer, w);
	case MLX5_OPCODE_RDMA_WRITE:
	case MLX5_OPCODE_RDMA_WRITE_IMM:
		return rc_write(d, qp, peer, w);
	case MLX5_OPCODE_RDMA_READ:
		return rc_read(d, qp, peer, w);
	case MLX5_OPCODE_ATOMIC_CS:
	case MLX5_OPCODE_ATOMIC_FA:
		return rc_atomic(d, qp, peer, w);
	default:
		return req_error(d, qp, w, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR);
	}
}

/* ---- UD ---- */

static void build_grh(struct uodpd *d, const struct ud_qp *qp,
		      const struct ud_send_wqe *w, uint8_t *grh)
{
	const struct ud_device *dev = qp->ctx->dev;
	uint32_t vtf = 6u << 28 | (uint32_t)w->av_tclass << 20 |
		       w->av_flow_label;
	uint16_t paylen = htobe16((uint16_t)w->sgl.total);

	(void)d;
	memset(grh, 0, UD_GRH_BYTES);
	vtf = htobe32(vtf);
	memcpy(grh, &vtf, sizeof(vtf));
	memcpy(grh + 4, &paylen, sizeof(paylen));
	grh[6] = 0x1b;			/* next header: IBA transport */
	grh[7] = w->av_hop_limit;
	if (w->av_sgid_index < UODPD_GID_TBL_LEN)
		memcpy(grh + 8, dev->gids[w->av_sgid_index].raw, 16);
	memcpy(grh + 24, w->av_rgid, 16);
}

/*
 * A UD receive buffer that faults drops the packet, as on mlx5 (UD has no
 * RNR): the WQE goes back to the queue and the fault still gets the buffer
 * mapped for the next one.
 */
static void ud_recv_dropped_on_fault(struct uodpd *d, struct ud_qp *dst,
				     struct ud_srq *srq,
				     struct ud_recv_claim *claim,
				     uint32_t src_qpn)
{
	ud_recv_unclaim(dst, srq, claim);
	if (ud_recv_fault(d, dst, srq, claim->wqe_counter, 0, src_qpn)) {
		/* No one services the receiver's faults: fail the WQE. */
		ud_recv_claim(d, dst, srq, claim);
		recv_error(d, dst, claim, MLX5_CQE_SYNDROME_LOCAL_PROT_ERR);
	}
}

static void ud_deliver(struct uodpd *d, struct ud_qp *qp, struct ud_qp *dst,
		       const struct ud_send_wqe *w)
{
	struct ud_recv_claim claim;
	struct ud_xfer_side src, to;
	struct ud_xfer_status st;
	struct ud_cqe_info info;
	uint8_t grh[UD_GRH_BYTES];
	struct ud_srq *srq = NULL;
	int ret;

	if (dst->srqn != UD_NO_HANDLE) {
		srq = ud_srq_lookup(d, dst->srqn);
		if (!srq)
			return;
	}
	if (ud_recv_fault_ctx(dst, srq)->stalled)
		return;			/* receive queue stalled: dropped */
	ret = ud_recv_claim(d, dst, srq, &claim);
	if (ret == -EAGAIN)
		return;			/* UD has no RNR: dropped */
	if (ret || w->sgl.total + UD_GRH_BYTES > claim.sgl.total) {
		recv_error(d, dst, &claim, ret ? MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR :
			   MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR);
		return;
	}
	build_grh(d, qp, w, grh);
	src = (struct ud_xfer_side){ .data = grh };
	to = (struct ud_xfer_side){ .pdn = claim.pdn,
				    .access = IBV_ACCESS_LOCAL_WRITE,
				    .sgl = &claim.sgl };
	if (ud_xfer(d, &src, 0, &to, 0, UD_GRH_BYTES, &st))
		goto err;
	local_side(qp, w, 0, &src);
	if (ud_xfer(d, &src, 0, &to, UD_GRH_BYTES, w->sgl.total, &st))
		goto err;
	recv_cqe_info(qp, w, w->opcode == MLX5_OPCODE_SEND_IMM ?
		      MLX5_CQE_RESP_SEND_IMM : MLX5_CQE_RESP_SEND,
		      (uint32_t)w->sgl.total + UD_GRH_BYTES, &info);
	info.grh = true;
	ud_recv_complete(d, &claim, &info);
	return;
err:
	if (st.result == UD_XFER_DST_FAULT)
		ud_recv_dropped_on_fault(d, dst, srq, &claim, qp->qpn);
	else
		recv_error(d, dst, &claim, st.result == UD_XFER_DST_ERR ?
			   MLX5_CQE_SYNDROME_LOCAL_PROT_ERR :
			   MLX5_CQE_SYNDROME_REMOTE_ABORTED_ERR);
}

static enum ud_step ud_exec(struct uodpd *d, struct ud_qp *qp,
			    const struct ud_send_wqe *w)
{
	struct ud_qp *dst;
	enum ud_step step;
	uint32_t qkey;

	if (w->opcode != MLX5_OPCODE_SEND && w->opcode != MLX5_OPCODE_SEND_IMM)
		return req_error(d, qp, w, MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR);
	if (w->sgl.total > ud_mtu_bytes(qp->ctx->dev->port.active_mtu))
		return req_error(d, qp, w, MLX5_CQE_SYNDROME_LOCAL_LENGTH_ERR);
	step = local_precheck(d, qp, w, 0, MLX5_WQE_PF_TYPE_REQ_SEND_OR_WRITE);
	if (step != UD_STEP_MORE)
		return step;
	/* A qkey with the high bit set means "use the QP's own". */
	qkey = w->av_qkey & 0x80000000u ? qp->attr.qkey : w->av_qkey;
	dst = ud_qp_lookup(d, w->av_dqpn);
	if (dst && peer_receives(dst, IBV_QPT_UD) && dst->attr.qkey == qkey)
		ud_deliver(d, qp, dst, w);
	ud_qp_complete_send(d, qp, w, 0, (uint32_t)w->sgl.total);
	return UD_STEP_DONE;
}

enum ud_step ud_exec_send_wqe(struct uodpd *d, struct ud_qp *qp,
			      const struct ud_send_wqe *w)
{
	if (!qp->req.active) {
		qp->req.active = true;
		qp->req.bytes_done = 0;
		qp->req.retries_left = qp->attr.retry_cnt;
		qp->req.rnr_retries_left = qp->attr.rnr_retry;
		qp->req.claim.valid = false;
	}
	qp->req.wait_until_ns = 0;
	if (w->opcode == MLX5_OPCODE_NOP) {
		ud_qp_complete_send(d, qp, w, 0, 0);
		return UD_STEP_DONE;
	}
	if (qp->type == IBV_QPT_UD)
		return ud_exec(d, qp, w);
	return rc_exec(d, qp, w);
}
