// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The connection protocol between two IDs, as the kernel's IB CM (cm.c)
 * and RDMA CM (cma.c) run it over RoCE, with each MAD a call to the peer:
 *
 *   active                         passive
 *   CONNECT     -- REQ -->         listener: CONNECT_REQUEST (a new ID)
 *   CONNECT_RESPONSE  <-- REP --   ACCEPT
 *   ACCEPT (RTU) -- RTU -->        ESTABLISHED
 *   DISCONNECT  -- DREQ -->        DISCONNECTED
 *   DISCONNECTED <-- DREP --       DISCONNECT (or destroy)
 *   each side, after its time wait: TIMEWAIT_EXIT
 *
 * A REQ nobody listens for is answered REJ "invalid service ID" (status
 * 8); a full backlog, a REJECT, or a passive side that goes away before
 * the RTU are REJ "consumer defined" (28); an active side that goes away
 * before the REP is REJ "timeout" (4), as cm_destroy_id() sends them.  The
 * private data carry the kernel's sizes: a REQ's is 92 bytes, less the 36
 * of the CM's IP header for the IP port spaces; a REP's 196, a REJ's 148.
 * UD IDs resolve each other's QP with SIDR: a SIDR REQ the listener sees
 * as CONNECT_REQUEST, a SIDR REP (ACCEPT) the active side sees as
 * ESTABLISHED with the passive QP's number, Q_Key and address vector; no
 * listener answers SIDR status 1 (unsupported), a REJECT (or the request's
 * destruction before an answer) status 2, both as UNREACHABLE.  A SIDR
 * REQ's private data are 216 bytes (less the IP header), a SIDR REP's 136.
 * A side that never answers is timed out (cm_wait.c times the waits): the
 * waiting ID gets the kernel's error event and its peer hears nothing.
 * The time wait is zero: both ends are this daemon, no stray packet of an
 * old connection can arrive (documented in rdma-cm.md).
 */
#include <errno.h>
#include <string.h>
#include <infiniband/verbs.h>

#include "ucma.h"

#define CM_REQ_PDATA 92
#define CM_REP_PDATA 196
#define CM_REJ_PDATA 148
#define CM_SIDR_REQ_PDATA 216
#define CM_SIDR_REP_PDATA 136
#define CM_IP_HDR 36			/* struct cma_hdr */

/* IB CM REJ reasons (enum ib_cm_rej_reason) the CM sends here. */
/* SIDR REP statuses (enum ib_cm_sidr_status). */
enum {
	CM_SIDR_UNSUPPORTED = 1,
	CM_SIDR_REJECT = 2,
};

enum {
	CM_REJ_TIMEOUT = 4,
	CM_REJ_INVALID_SERVICE_ID = 8,
	CM_REJ_CONSUMER_DEFINED = 28,
};

static uint8_t req_pdata_room(const struct ud_cm_id *id)
{
	uint8_t room = id->qp_type == IBV_QPT_UD ? CM_SIDR_REQ_PDATA :
						   CM_REQ_PDATA;

	return id->ps == RDMA_PS_IB ? room : room - CM_IP_HDR;
}

static void link_peers(struct ud_cm_id *a, struct ud_cm_id *b)
{
	a->peer = b;
	b->peer = a;
}

static void unlink_peers(struct ud_cm_id *a)
{
	if (a->peer)
		a->peer->peer = NULL;
	a->peer = NULL;
}

/* Queue event on id with a connection's parameters. */
static void conn_event(struct uodpd *d, struct ud_cm_id *id, uint32_t event,
		       int32_t status, const struct rdma_ucm_conn_param *p,
		       const uint8_t *pdata, uint8_t pdata_len, uint8_t room)
{
	struct ud_cm_event *ev = ud_cm_event_new(id, event, status);

	/*
	 * No memory for an event: the kernel would lose it as well
	 * (ucma_event_handler); the ID still moved on.
	 */
	if (!ev)
		return;
	if (p)
		ev->resp.param.conn = *p;
	memset(ev->resp.param.conn.private_data, 0,
	       sizeof(ev->resp.param.conn.private_data));
	if (pdata_len)
		memcpy(ev->resp.param.conn.private_data, pdata, pdata_len);
	ev->resp.param.conn.private_data_len = room;
	ev->resp.param.conn.valid = 0;
	ud_cm_event_queue(d, ev);
}

static void simple_event(struct uodpd *d, struct ud_cm_id *id,
			 uint32_t event, int32_t status)
{
	conn_event(d, id, event, status, NULL, NULL, 0, 0);
}

/* A REJ from id's peer, with the reason as the event's status. */
static void send_rej(struct uodpd *d, struct ud_cm_id *to, int reason,
		     const uint8_t *pdata, uint8_t len)
{
	ud_cm_wait_stop(to);
	to->state = UD_CM_DISCONNECTED;
	unlink_peers(to);
	conn_event(d, to, UD_CM_EVENT_REJECTED, reason, NULL, pdata, len,
		   CM_REJ_PDATA);
}

/* A connection closed at id: DISCONNECTED (unless it had it), time wait. */
static void closed(struct uodpd *d, struct ud_cm_id *id, bool disconnected)
{
	ud_cm_wait_stop(id);
	id->state = UD_CM_DISCONNECTED;
	if (disconnected)
		simple_event(d, id, UD_CM_EVENT_DISCONNECTED, 0);
	simple_event(d, id, UD_CM_EVENT_TIMEWAIT_EXIT, 0);
}

/*
 * The RoCE address vector toward id's peer: the RTR's, and what a SIDR
 * REP's receiver is told.
 */
static void peer_av(const struct ud_cm_id *id, struct ib_uverbs_ah_attr *ah)
{
	memset(ah, 0, sizeof(*ah));
	memcpy(ah->grh.dgid, id->dgid, sizeof(ah->grh.dgid));
	ah->grh.sgid_index = id->sgid_index;
	ah->grh.hop_limit = UD_CM_HOP_LIMIT;
	ah->grh.traffic_class = id->tos;
	ah->sl = id->tos >> 5;
	ah->is_global = 1;
	ah->port_num = 1;
}

/* p as the other side sees it: the IB CM swaps the two RDMA read depths. */
static struct rdma_ucm_conn_param as_seen(const struct rdma_ucm_conn_param *p)
{
	struct rdma_ucm_conn_param seen = *p;

	seen.responder_resources = p->initiator_depth;
	seen.initiator_depth = p->responder_resources;
	return seen;
}

/* ---- the passive side's new ID ---- */

static struct ud_cm_id *new_request(struct uodpd *d, struct ud_cm_id *l,
				    struct ud_cm_id *from)
{
	struct ud_cm_id *child = ud_cm_id_new(d, l->file, l->ps, l->qp_type);

	if (!child)
		return NULL;
	child->src = from->dst;
	child->dst = from->src;
	child->dev = from->dev;
	memcpy(child->sgid, from->dgid, sizeof(child->sgid));
	memcpy(child->dgid, from->sgid, sizeof(child->dgid));
	if (ud_cm_addr_device(d, &child->src, &child->dev, &child->sgid_index))
		child->sgid_index = from->sgid_index;
	child->route = true;
	child->path_mtu = from->path_mtu;
	child->tos = l->tos;
	child->afonly = l->afonly;
	child->listener = l;
	child->passive = true;
	child->lifetime = from->lifetime;	/* the REQ's path */
	child->state = UD_CM_REQ_RCVD;
	return child;
}

/* The REQ's parameters as the passive side sees them (roles swapped). */
static void req_params(struct ud_cm_id *child, const struct ud_cm_id *from,
		       const struct rdma_ucm_conn_param *p)
{
	child->remote_qpn = p->qp_num;
	child->remote_psn = from->psn;
	child->responder_resources = p->initiator_depth;
	child->initiator_depth = p->responder_resources;
	child->retry_count = p->retry_count;
	child->rnr_retry_count = p->rnr_retry_count;
	child->flow_control = p->flow_control;
}

static void deliver_req(struct uodpd *d, struct ud_cm_id *l,
			struct ud_cm_id *child,
			const struct rdma_ucm_conn_param *p)
{
	struct ud_cm_event *ev;

	ev = ud_cm_event_new(l, UD_CM_EVENT_CONNECT_REQUEST, 0);
	if (!ev) {
		ud_cm_id_destroy(d, child);
		return;
	}
	ev->resp.id = child->handle;
	ev->resp.param.conn = as_seen(p);
	ev->resp.param.conn.private_data_len = req_pdata_room(l);
	ev->resp.param.conn.valid = 0;
	ev->conn_req = child;
	l->pending++;
	ud_cm_event_queue(d, ev);
}

/* ---- SIDR (UD) ---- */

/* A UD event: the peer's QP and Q_Key, the address vector, private data. */
static void sidr_event(struct uodpd *d, struct ud_cm_event *ev,
		     const struct ud_cm_id *id, uint32_t qpn, uint32_t qkey,
		     const uint8_t *pdata, uint8_t len, uint8_t room)
{
	struct rdma_ucm_ud_param *u = &ev->resp.param.ud;

	memset(u, 0, sizeof(*u));
	peer_av(id, &u->ah_attr);
	u->qp_num = qpn;
	u->qkey = qkey;
	if (len)
		memcpy(u->private_data, pdata, len);
	u->private_data_len = room;
	ud_cm_event_queue(d, ev);
}

static void sidr_fail(struct uodpd *d, struct ud_cm_id *id, int status)
{
	struct ud_cm_event *ev = ud_cm_event_new(id, UD_CM_EVENT_UNREACHABLE,
						 status);

	ud_cm_wait_stop(id);
	unlink_peers(id);
	id->state = UD_CM_ROUTE_RESOLVED;
	if (ev)
		sidr_event(d, ev, id, 0, 0, NULL, 0, 0);
}

static int sidr_req(struct uodpd *d, struct ud_cm_id *id,
		    const struct rdma_ucm_conn_param *p)
{
	struct ud_cm_id *l = ud_cm_find_listener(d, id), *child;
	struct ud_cm_event *ev;

	id->state = UD_CM_REQ_SENT;
	child = l && l->qp_type == IBV_QPT_UD && l->pending < l->backlog ?
		new_request(d, l, id) : NULL;
	if (!child) {
		sidr_fail(d, id, CM_SIDR_UNSUPPORTED);
		return 0;
	}
	ev = ud_cm_event_new(l, UD_CM_EVENT_CONNECT_REQUEST, 0);
	if (!ev) {
		ud_cm_id_destroy(d, child);
		sidr_fail(d, id, CM_SIDR_UNSUPPORTED);
		return 0;
	}
	link_peers(id, child);
	ev->resp.id = child->handle;
	ev->conn_req = child;
	l->pending++;
	sidr_event(d, ev, child, 0, 0, p->private_data, p->private_data_len,
		 req_pdata_room(l));
	ud_cm_wait_start(d, id, UD_CM_WAIT_SIDR_REP);
	return 0;
}

static int sidr_rep(struct uodpd *d, struct ud_cm_id *id,
		    const struct rdma_ucm_conn_param *p)
{
	struct ud_cm_id *peer = id->peer;
	struct ud_cm_event *ev;

	if (id->state != UD_CM_REQ_RCVD || id->listener)
		return -EINVAL;
	if (p->private_data_len > CM_SIDR_REP_PDATA)
		return -EINVAL;
	id->qpn = p->qp_num;
	if (p->qkey)
		id->qkey = p->qkey;
	id->state = UD_CM_ESTABLISHED;
	if (!peer)
		return 0;
	unlink_peers(id);
	ud_cm_wait_stop(peer);
	peer->state = UD_CM_ESTABLISHED;
	ev = ud_cm_event_new(peer, UD_CM_EVENT_ESTABLISHED, 0);
	if (ev)
		sidr_event(d, ev, peer, id->qpn, id->qkey, p->private_data,
			 p->private_data_len, CM_SIDR_REP_PDATA);
	return 0;
}

/* ---- active side ---- */

int ud_cm_connect(struct uodpd *d, struct ud_cm_id *id,
		  const struct rdma_ucm_conn_param *p)
{
	struct ud_cm_id *l, *child;

	if (id->state != UD_CM_ROUTE_RESOLVED)
		return -EINVAL;
	if (p->private_data_len > req_pdata_room(id))
		return -EINVAL;
	if (id->qp_type == IBV_QPT_UD)
		return sidr_req(d, id, p);
	id->qpn = p->qp_num;
	id->srq = p->srq;
	id->responder_resources = p->responder_resources;
	id->initiator_depth = p->initiator_depth;
	id->retry_count = p->retry_count;
	id->rnr_retry_count = p->rnr_retry_count;
	id->flow_control = p->flow_control;
	id->state = UD_CM_REQ_SENT;
	l = ud_cm_find_listener(d, id);
	if (!l) {
		send_rej(d, id, CM_REJ_INVALID_SERVICE_ID, NULL, 0);
		return 0;
	}
	child = l->pending < l->backlog ? new_request(d, l, id) : NULL;
	if (!child) {
		send_rej(d, id, CM_REJ_CONSUMER_DEFINED, NULL, 0);
		return 0;
	}
	req_params(child, id, p);
	link_peers(id, child);
	/* Before the delivery: a failed one rejects, which stops it. */
	ud_cm_wait_start(d, id, UD_CM_WAIT_REP);
	deliver_req(d, l, child, p);
	return 0;
}

/*
 * The RTU: librdmacm's ACCEPT without parameters on the active side.  A
 * passive side that timed out waiting for it is gone: nobody hears it.
 */
static int send_rtu(struct uodpd *d, struct ud_cm_id *id)
{
	struct ud_cm_id *peer = id->peer;

	if (id->state != UD_CM_REP_RCVD)
		return -EINVAL;
	id->state = UD_CM_ESTABLISHED;
	/* A passive side a NOTIFY established takes it as a duplicate. */
	if (!peer || peer->state != UD_CM_REP_SENT)
		return 0;
	ud_cm_wait_stop(peer);
	peer->state = UD_CM_ESTABLISHED;
	simple_event(d, peer, UD_CM_EVENT_ESTABLISHED, 0);
	return 0;
}

/* ---- passive side ---- */

static int send_rep(struct uodpd *d, struct ud_cm_id *id,
		    const struct rdma_ucm_conn_param *p)
{
	struct ud_cm_id *peer = id->peer;
	struct rdma_ucm_conn_param seen = as_seen(p);

	if (id->state != UD_CM_REQ_RCVD || id->listener)
		return -EINVAL;
	if (p->private_data_len > CM_REP_PDATA)
		return -EINVAL;
	id->qpn = p->qp_num;
	id->srq = p->srq;
	id->responder_resources = p->responder_resources;
	id->initiator_depth = p->initiator_depth;
	id->rnr_retry_count = p->rnr_retry_count;
	id->state = UD_CM_REP_SENT;
	/* An active side that timed out drops the REP: none MRAs it. */
	if (!peer) {
		ud_cm_wait_start(d, id, UD_CM_WAIT_RTU_UNANSWERED);
		return 0;
	}
	ud_cm_wait_start(d, id, UD_CM_WAIT_RTU);
	ud_cm_wait_stop(peer);
	peer->remote_qpn = p->qp_num;
	peer->remote_psn = id->psn;
	peer->responder_resources = p->initiator_depth;
	peer->initiator_depth = p->responder_resources;
	peer->rnr_retry_count = p->rnr_retry_count;
	peer->state = UD_CM_REP_RCVD;
	conn_event(d, peer, UD_CM_EVENT_CONNECT_RESPONSE, 0, &seen,
		   p->private_data, p->private_data_len, CM_REP_PDATA);
	return 0;
}

int ud_cm_accept(struct uodpd *d, struct ud_cm_id *id,
		 const struct rdma_ucm_conn_param *p, uint64_t uid)
{
	int ret;

	if (!p->valid)
		return send_rtu(d, id);
	if (id->state != UD_CM_REQ_RCVD)
		return -EINVAL;
	ret = id->qp_type == IBV_QPT_UD ? sidr_rep(d, id, p) :
					  send_rep(d, id, p);
	/* As ucma_accept: the cookie is the ID's once the accept took. */
	if (!ret)
		id->uid = uid;
	return ret;
}

int ud_cm_reject(struct uodpd *d, struct ud_cm_id *id, const uint8_t *pdata,
		 uint8_t pdata_len)
{
	struct ud_cm_id *peer = id->peer;

	if (pdata_len > CM_REJ_PDATA)
		return -EINVAL;
	if (id->state != UD_CM_REQ_RCVD && id->state != UD_CM_REP_RCVD)
		return -EINVAL;
	if (id->qp_type == IBV_QPT_UD) {
		id->state = UD_CM_DISCONNECTED;
		if (peer)
			sidr_fail(d, peer, CM_SIDR_REJECT);
		return 0;
	}
	id->state = UD_CM_DISCONNECTED;
	if (peer)
		send_rej(d, peer, CM_REJ_CONSUMER_DEFINED, pdata, pdata_len);
	unlink_peers(id);
	return 0;
}

/* ---- both ---- */

int ud_cm_disconnect(struct uodpd *d, struct ud_cm_id *id)
{
	struct ud_cm_id *peer = id->peer;

	switch (id->state) {
	case UD_CM_ESTABLISHED:
		/* DREQ: the peer hears of it; our event comes with its DREP. */
		id->state = UD_CM_DREQ_SENT;
		if (peer) {
			ud_cm_wait_start(d, id, id->passive ?
					 UD_CM_WAIT_DREP_PASSIVE :
					 UD_CM_WAIT_DREP);
			peer->state = UD_CM_DREQ_RCVD;
			simple_event(d, peer, UD_CM_EVENT_DISCONNECTED, 0);
		} else {
			closed(d, id, true);
		}
		return 0;
	case UD_CM_DREQ_RCVD:
		/* DREP: the peer is disconnected; we were already. */
		unlink_peers(id);
		if (peer && peer->state == UD_CM_DREQ_SENT)
			closed(d, peer, true);
		closed(d, id, false);
		return 0;
	case UD_CM_DREQ_SENT:
		return 0;
	default:
		return -EINVAL;
	}
}

void ud_cm_leave(struct uodpd *d, struct ud_cm_id *id)
{
	struct ud_cm_id *peer = id->peer;

	if (!peer)
		return;
	unlink_peers(id);
	/*
	 * SIDR keeps no connection: a REQ whose sender goes just goes; a
	 * request destroyed unanswered is rejected (cm_destroy_id).
	 */
	if (id->qp_type == IBV_QPT_UD) {
		if (id->state == UD_CM_REQ_RCVD)
			sidr_fail(d, peer, CM_SIDR_REJECT);
		return;
	}
	switch (id->state) {
	case UD_CM_REQ_SENT:
		send_rej(d, peer, CM_REJ_TIMEOUT, NULL, 0);
		break;
	case UD_CM_REQ_RCVD:
	case UD_CM_REP_SENT:
	case UD_CM_REP_RCVD:
		send_rej(d, peer, CM_REJ_CONSUMER_DEFINED, NULL, 0);
		break;
	case UD_CM_ESTABLISHED:
		/* DREQ: the peer disconnects; nobody waits for its DREP. */
		peer->state = UD_CM_DREQ_RCVD;
		simple_event(d, peer, UD_CM_EVENT_DISCONNECTED, 0);
		break;
	case UD_CM_DREQ_RCVD:
		/* DREP. */
		if (peer->state == UD_CM_DREQ_SENT)
			closed(d, peer, true);
		break;
	default:
		break;
	}
}

/* ---- a wait that ran out (cm_wait.c times them) ---- */

/* REQ_ERROR, REP_ERROR: the peer hears nothing (cm_reset_to_idle). */
static void unreachable(struct uodpd *d, struct ud_cm_id *id)
{
	unlink_peers(id);
	id->state = UD_CM_DISCONNECTED;
	simple_event(d, id, UD_CM_EVENT_UNREACHABLE, -ETIMEDOUT);
}

/* DREQ_ERROR: disconnected all the same, then the time wait. */
static void drep_timed_out(struct uodpd *d, struct ud_cm_id *id)
{
	unlink_peers(id);
	simple_event(d, id, UD_CM_EVENT_DISCONNECTED, -ETIMEDOUT);
	closed(d, id, false);
}

void ud_cm_wait_expired(struct uodpd *d, struct ud_timer *t)
{
	struct ud_cm_id *id = container_of(t, struct ud_cm_id, wait_timer);
	enum ud_cm_wait wait = id->wait;

	id->wait = UD_CM_WAIT_NONE;
	switch (wait) {
	case UD_CM_WAIT_REP:
	case UD_CM_WAIT_RTU:
	case UD_CM_WAIT_RTU_UNANSWERED:
		unreachable(d, id);
		break;
	case UD_CM_WAIT_DREP:
	case UD_CM_WAIT_DREP_PASSIVE:
		drep_timed_out(d, id);
		break;
	case UD_CM_WAIT_SIDR_REP:
		sidr_fail(d, id, -ETIMEDOUT);
		break;
	default:
		break;
	}
}

/* ---- INIT_QP_ATTR ---- */

static bool cm_exchanged(const struct ud_cm_id *id)
{
	return id->qp_type == IBV_QPT_RC && id->state >= UD_CM_REQ_SENT &&
	       id->state <= UD_CM_ESTABLISHED;
}

/* Before a REQ (or for UD), as cma_ib_init_qp_attr: INIT's attributes. */
static void init_attrs(const struct ud_cm_id *id, struct ib_uverbs_qp_attr *r)
{
	r->qp_attr_mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;
	r->pkey_index = 0;
	r->port_num = 1;
	if (id->qp_type == IBV_QPT_UD) {
		r->qkey = id->qkey;
		r->qp_attr_mask |= IBV_QP_QKEY;
	} else {
		r->qp_access_flags = 0;
		r->qp_attr_mask |= IBV_QP_ACCESS_FLAGS;
	}
}

static void rtr_attrs(const struct ud_cm_id *id, struct ib_uverbs_qp_attr *r)
{
	r->qp_attr_mask = IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	peer_av(id, &r->ah_attr);
	r->path_mtu = id->path_mtu;
	r->dest_qp_num = id->remote_qpn;
	r->rq_psn = id->remote_psn;
	r->max_dest_rd_atomic = id->responder_resources;
	/* cm_init_qp_rtr_attr's 0: the 655 ms of the IB spec's table. */
	r->min_rnr_timer = 0;
}

static void rts_attrs(const struct ud_cm_id *id, struct ib_uverbs_qp_attr *r)
{
	r->qp_attr_mask = IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
			  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			  IBV_QP_MAX_QP_RD_ATOMIC;
	r->sq_psn = id->psn;
	/* cm_init_av_by_path: the packet life time plus one. */
	r->timeout = id->ack_timeout ? id->ack_timeout : UD_CM_PKT_LIFETIME + 1;
	r->retry_cnt = id->retry_count;
	r->rnr_retry = id->rnr_retry_count;
	r->max_rd_atomic = id->initiator_depth;
}

int ud_cm_init_qp_attr(const struct ud_cm_id *id, uint32_t qp_state,
		       struct ib_uverbs_qp_attr *r)
{
	memset(r, 0, sizeof(*r));
	if (!id->dev)
		return -EINVAL;
	r->qp_state = qp_state;
	if (!cm_exchanged(id)) {
		init_attrs(id, r);
		return 0;
	}
	switch (qp_state) {
	case IBV_QPS_INIT:
		/* ib_cm_init_qp_attr: remote access by what was agreed. */
		r->qp_attr_mask = IBV_QP_STATE | IBV_QP_ACCESS_FLAGS |
				  IBV_QP_PKEY_INDEX | IBV_QP_PORT;
		r->qp_access_flags = IBV_ACCESS_REMOTE_WRITE;
		if (id->responder_resources)
			r->qp_access_flags |= IBV_ACCESS_REMOTE_READ |
					      IBV_ACCESS_REMOTE_ATOMIC;
		r->port_num = 1;
		return 0;
	case IBV_QPS_RTR:
		if (id->state == UD_CM_REQ_SENT)
			return -EINVAL;
		rtr_attrs(id, r);
		return 0;
	case IBV_QPS_RTS:
		if (id->state == UD_CM_REQ_SENT)
			return -EINVAL;
		rts_attrs(id, r);
		return 0;
	default:
		return -EINVAL;
	}
}
