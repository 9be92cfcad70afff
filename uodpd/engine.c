// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The execution engine's main loop: give each context its turn, execute
 * its QPs' posted send WQEs in order, flush queues of QPs in error.
 *
 * Contexts share the device by deficit round robin (Shreedhar and
 * Varghese): each poll is a round in which every context with a send queue
 * gets d->quantum more bytes to move (its deficit) and runs its QPs in turn
 * until they are spent.  A step never moves more than what is left
 * (step_len() in engine_send.c), so one context's 1 GiB READ moves one
 * quantum, then every other context with work has its turn: a ping-pong's
 * small WQE waits behind at most a quantum of each other context, and a
 * message's end of less than a quantum that context then owes, however
 * many QPs those have.  The next turn of a context starts at the QP after
 * the one that spent its deficit, so its QPs share its turns as the
 * contexts share the rounds.  A context that runs out of work keeps no
 * credit (DRR's empty queue): idling buys no burst later.  Each QP is
 * looked at once per round, so a poll costs O(QPs with a send queue).
 */
#include <endian.h>
#include <errno.h>
#include <time.h>

#include <infiniband/verbs.h>

#include "engine.h"

/* A turn's steps (sq_run's WQE budget) can spend the largest quantum. */
_Static_assert(UD_QUANTUM_MAX <= (uint64_t)UD_WQES_PER_POLL * UD_STEP_BYTES,
	       "a quantum the steps of one poll cannot move");

static const uint32_t rnr_timer_us[32] = {
	655360, 10, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960,
	1280, 1920, 2560, 3840, 5120, 7680, 10240, 15360, 20480, 30720,
	40960, 61440, 81920, 122880, 163840, 245760, 327680, 491520,
};

uint64_t ud_rnr_timer_ns(uint8_t min_rnr_timer)
{
	return (uint64_t)rnr_timer_us[min_rnr_timer & 31] * 1000;
}

/* IB local ACK timeout: 4.096 us * 2^timeout; 0 means infinite. */
uint64_t ud_ack_timeout_ns(uint8_t timeout)
{
	if (!timeout || timeout > 31)
		return UINT64_MAX / 2;
	return 4096ull << timeout;
}

uint32_t ud_mtu_bytes(uint32_t mtu_enum)
{
	if (mtu_enum < IBV_MTU_256 || mtu_enum > IBV_MTU_4096)
		return 256;
	return 128u << mtu_enum;
}

uint16_t ud_qp_posted_since(struct uodpd *d, struct ud_qp *qp,
			    unsigned int word, uint32_t done)
{
	uint32_t posted;

	if (ud_qbuf_load_be32(&qp->mem.db, word, &posted)) {
		ud_engine_qp_fatal(d, qp);
		return 0;
	}
	return (uint16_t)(posted - done);
}

/* WQEBBs posted and not yet executed. */
static uint16_t sq_pending(struct uodpd *d, struct ud_qp *qp)
{
	return ud_qp_posted_since(d, qp, MLX5_SND_DBR, qp->sq.ci);
}

/* Complete every posted send WQE with a flush error. */
static bool sq_flush(struct uodpd *d, struct ud_qp *qp)
{
	struct ud_cqe_info info = {
		.opcode = MLX5_CQE_REQ_ERR,
		.syndrome = MLX5_CQE_SYNDROME_WR_FLUSH_ERR,
		.qpn = qp->qpn,
	};
	struct mlx5_wqe_ctrl_seg ctrl;
	uint16_t pending = sq_pending(d, qp);
	bool progress = pending != 0;
	uint32_t ds, nbbs;

	while (pending) {
		if (ud_qbuf_read(&qp->sq.buf, (uint64_t)(qp->sq.ci &
				 (qp->sq.wqe_cnt - 1)) * MLX5_SEND_WQE_BB,
				 &ctrl, sizeof(ctrl))) {
			/* Unreachable (QP fatal): nothing more to flush. */
			qp->sq.ci += pending;
			break;
		}
		ds = be32toh(ctrl.qpn_ds) & MLX5_WQE_CTRL_DS_MASK;
		nbbs = ds ? mlx5_wqe_bbs(ds) : 1;
		if (nbbs > pending)
			nbbs = pending;
		info.wqe_opcode = be32toh(ctrl.opmod_idx_opcode) & 0xff;
		info.wqe_counter = qp->sq.ci & 0xffff;
		ud_cq_push(d, qp->send_cqn, &info);
		qp->sq.ci += nbbs;
		pending -= nbbs;
	}
	qp->req.active = false;
	return progress;
}

/*
 * Complete the WQE at sq.ci in error (buf holds its copy, nbbs its WQEBBs,
 * or < 0 if it could not even be copied) and step past it.
 */
static void sq_fail_wqe(struct uodpd *d, struct ud_qp *qp, const uint8_t *buf,
			int nbbs, uint8_t syndrome, uint8_t vendor)
{
	struct ud_send_wqe w = { .opcode = buf[3] };

	qp->req.wqe_ci = qp->sq.ci;
	ud_qp_complete_send_vendor(d, qp, &w, syndrome, vendor);
	qp->sq.ci += nbbs > 0 ? (uint32_t)nbbs : 1;
}

void ud_sq_fail_current(struct uodpd *d, struct ud_qp *qp, uint8_t syndrome,
			uint8_t vendor)
{
	uint8_t buf[UD_MAX_WQE_BYTES] = { 0 };
	uint16_t pending;

	if (!qp->sq.wqe_cnt)
		return;
	pending = sq_pending(d, qp);
	if (!pending)
		return;
	sq_fail_wqe(d, qp, buf, ud_sq_copy_wqe(&qp->sq.buf, qp->sq.wqe_cnt,
					       qp->sq.ci, pending, buf),
		    syndrome, vendor);
}

/*
 * Run qp's WQEs, or steps of a long one, while its context has bytes left
 * this round: each step is charged what it moved (every ud_xfer counts in
 * d->engine_bytes), each completed WQE UD_WQE_COST_BYTES more.
 */
static bool sq_run(struct uodpd *d, struct ud_qp *qp)
{
	struct ud_sched *sched = &qp->ctx->sched;
	uint8_t buf[UD_MAX_WQE_BYTES];
	struct ud_send_wqe w;
	bool progress = false;
	enum ud_step step;
	int budget, nbbs;
	uint16_t pending;
	uint64_t moved;

	if (qp->sq_fault.stalled)
		return false;		/* until userspace resumes it */
	if (qp->req.wait_until_ns && ud_now_ns() < qp->req.wait_until_ns)
		return false;
	for (budget = UD_WQES_PER_POLL; budget && sched->deficit > 0;
	     budget--) {
		pending = qp->state == IBV_QPS_RTS ? sq_pending(d, qp) : 0;
		if (!pending)
			break;
		nbbs = ud_sq_copy_wqe(&qp->sq.buf, qp->sq.wqe_cnt, qp->sq.ci,
				      pending, buf);
		if (nbbs == -EFAULT || nbbs == -ESRCH) {
			ud_engine_qp_fatal(d, qp);
			return true;
		}
		if (nbbs < 0 ||
		    ud_parse_send_wqe(buf, nbbs, qp->type, &w) ||
		    w.qpn != qp->qpn) {
			/* A WQE the device cannot decode: local QP op error. */
			sq_fail_wqe(d, qp, buf, nbbs,
				    MLX5_CQE_SYNDROME_LOCAL_QP_OP_ERR, 0);
			return true;
		}
		qp->req.wqe_ci = qp->sq.ci;
		moved = d->engine_bytes;
		step = ud_exec_send_wqe(d, qp, &w);
		sched->deficit -= (int64_t)(d->engine_bytes - moved);
		if (step == UD_STEP_WAIT)
			break;
		progress = true;
		if (step == UD_STEP_MORE)
			continue;	/* its next step, if the turn allows */
		/* Done, in success or error: an error CQE covers this WQE. */
		sched->deficit -= UD_WQE_COST_BYTES;
		qp->sq.ci += nbbs;
	}
	return progress;
}

static bool qp_poll(struct uodpd *d, struct ud_qp *qp)
{
	bool progress;

	switch (qp->state) {
	case IBV_QPS_ERR:
		progress = ud_rq_flush(d, qp);
		if (qp->sq.wqe_cnt)
			progress |= sq_flush(d, qp);
		return progress;
	case IBV_QPS_RTS:
		return qp->sq.wqe_cnt && sq_run(d, qp);
	default:
		return false;
	}
}

enum ud_turn {
	UD_TURN_IDLE,		/* nothing moved */
	UD_TURN_LIGHT,		/* moved, and ran out of work: latency-bound */
	UD_TURN_HEAVY,		/* spent its whole quantum: bandwidth-bound */
};

/*
 * ctx's turn in this round: its QPs in turn until its deficit is spent.  A
 * turn may end in debt, by less than a quantum plus UD_WQE_COST_BYTES (a
 * message's end goes in one step, see step_len()); a turn that starts in
 * debt after its quantum is added moves nothing, and the next one does.
 */
static enum ud_turn ctx_turn(struct uodpd *d, struct ud_ctx *ctx)
{
	struct ud_sched *sched = &ctx->sched;
	bool progress = false;
	struct ud_qp *qp;

	sched->deficit += (int64_t)d->quantum;
	list_for_each_safe(&sched->qps, qp, tmp, struct ud_qp, active_link) {
		progress |= qp_poll(d, qp);
		if (sched->deficit <= 0) {
			/* Spent: its next turn starts after qp. */
			list_rotate_after(&sched->qps, &qp->active_link);
			return progress ? UD_TURN_HEAVY : UD_TURN_IDLE;
		}
	}
	sched->deficit = 0;	/* out of work for now: no credit kept */
	return progress ? UD_TURN_LIGHT : UD_TURN_IDLE;
}

/*
 * While the engine is shared (a round in which a light and a heavy context
 * both moved, on CPUs the loop competes for, in the last
 * UD_MIXED_WINDOW_NS), a context whose last turn was heavy has its next
 * one only UD_BULK_PERIOD_NS after the last heavy turn: the stream moves a
 * quantum at a time when the loop is awake anyway (maybe_share_cpu() in
 * loop.c).
 * Its skipped turn counts as heavy, so the loop sees work and the sharing
 * goes on while the light context does.
 */
static bool bulk_skips(const struct uodpd *d, const struct ud_ctx *ctx,
		       uint64_t now)
{
	return ctx->sched.bulk && ud_engine_shared(d, now) &&
	       now < d->bulk_due_ns &&
	       d->light_rounds < UD_LIGHT_STREAK;
}

bool ud_engine_shared(const struct uodpd *d, uint64_t now)
{
	return now < d->mixed_until_ns;
}

bool ud_engine_poll(struct uodpd *d)
{
	bool turns[UD_TURN_HEAVY + 1] = { false };
	uint64_t now = ud_now_ns();
	enum ud_turn turn;
	struct ud_ctx *ctx;

	list_for_each_safe(&d->sched_ctxs, ctx, tmp, struct ud_ctx, sched.link) {
		if (bulk_skips(d, ctx, now)) {
			turns[UD_TURN_HEAVY] = true;
			continue;
		}
		turn = ctx_turn(d, ctx);
		ctx->sched.bulk = turn == UD_TURN_HEAVY;
		if (ctx->sched.bulk) {
			d->bulk_due_ns = now + UD_BULK_PERIOD_NS;
			d->light_rounds = 0;
		}
		turns[turn] = true;
	}
	if (turns[UD_TURN_LIGHT] && turns[UD_TURN_HEAVY] &&
	    now < d->cpu_contended_until_ns &&
	    d->mixed_until_ns < now + UD_MIXED_WINDOW_NS)
		d->mixed_until_ns = now + UD_MIXED_WINDOW_NS;
	d->light_rounds = turns[UD_TURN_LIGHT] ? d->light_rounds + 1 : 0;
	return turns[UD_TURN_LIGHT] || turns[UD_TURN_HEAVY];
}

uint64_t ud_engine_next_deadline(struct uodpd *d)
{
	uint64_t next = UINT64_MAX;
	struct ud_ctx *ctx;
	struct ud_qp *qp;

	list_for_each(&d->sched_ctxs, ctx, struct ud_ctx, sched.link) {
		list_for_each(&ctx->sched.qps, qp, struct ud_qp, active_link) {
			if (qp->state == IBV_QPS_RTS && qp->req.wait_until_ns &&
			    qp->req.wait_until_ns < next)
				next = qp->req.wait_until_ns;
		}
	}
	return next;
}

void ud_engine_qp_add(struct uodpd *d, struct ud_qp *qp)
{
	struct ud_sched *sched = &qp->ctx->sched;

	if (list_empty(&sched->qps)) {
		sched->deficit = 0;
		list_add_tail(&d->sched_ctxs, &sched->link);
	}
	list_add_tail(&sched->qps, &qp->active_link);
}

void ud_engine_qp_remove(struct uodpd *d, struct ud_qp *qp)
{
	struct ud_sched *sched = &qp->ctx->sched;
	bool scheduled = qp->active_link.next != &qp->active_link;

	(void)d;
	list_del(&qp->active_link);
	/* Its last QP gone, the context leaves the rounds: it may be freed. */
	if (scheduled && list_empty(&sched->qps))
		list_del(&sched->link);
}

void ud_engine_qp_to_error(struct uodpd *d, struct ud_qp *qp)
{
	uint32_t old = qp->state;

	if (old == IBV_QPS_ERR)
		return;
	qp->state = IBV_QPS_ERR;
	ud_engine_qp_state_changed(d, qp, old);
}

void ud_engine_qp_fatal(struct uodpd *d, struct ud_qp *qp)
{
	if (qp->state == IBV_QPS_ERR)
		return;
	ud_warn("QP %#x: its queue memory cannot be reached: QP fatal",
		qp->qpn);
	ud_engine_qp_to_error(d, qp);
	ud_async_event(qp->ctx, qp->user_handle, IBV_EVENT_QP_FATAL,
		       &qp->async_events);
}

void ud_engine_qp_state_changed(struct uodpd *d, struct ud_qp *qp,
				uint32_t old_state)
{
	(void)d;
	if (qp->state == old_state)
		return;
	if (qp->state == IBV_QPS_RESET) {
		qp->req.active = false;
		qp->req.wait_until_ns = 0;
		qp->req.claim.valid = false;
		/* A late resume of a fault of the old life finds nothing. */
		qp->sq_fault.stalled = false;
		qp->rq_fault.stalled = false;
		qp->rdma_fault.stalled = false;
		return;
	}
	if (qp->state != IBV_QPS_ERR)
		return;
	/* The queues are flushed by the next poll, right after this. */
	qp->req.wait_until_ns = 0;
	if (qp->srqn != UD_NO_HANDLE)
		ud_async_event(qp->ctx, qp->user_handle,
			       IBV_EVENT_QP_LAST_WQE_REACHED, &qp->async_events);
}

uint64_t ud_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
