// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * nldev's resource commands, as ib_core's restrack and nldev.c answer
 * them: RES_GET (`rdma res`: how many objects of each kind a device
 * has), RES_QP/CQ/MR/PD/CTX/SRQ/CM_ID_GET (`rdma res show qp`: one
 * object by its number, or a dump of them) and STAT_GET of MRs (`rdma
 * stat show mr`: mlx5's ODP counters, by its names).
 *
 * Who sees what: an object only from its owner's pid namespace
 * (rdma_is_visible_in_pid_ns), with its pid as that namespace numbers
 * it; keys only with CAP_NET_ADMIN.  One rule is added to the kernel's,
 * the one uodp-stat's listing keeps: another user's objects only with
 * CAP_NET_ADMIN or as uodpd's own user, since the device is shared by
 * users who do not trust each other.  The owner is the context's
 * creator (restrack records each object's creating task; the two differ
 * only for a command fd passed to another process).
 *
 * A dump goes by object number, as the kernel's xarray walk does, a
 * part at a time: each part is one message holding the next objects
 * above its cursor, found by one walk of the table (the tables are in
 * slot order); an entry that does not fit is cancelled and starts the
 * next part.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <infiniband/verbs.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "nldev.h"
#include "odp_priv.h"
#include "ucma.h"
#include "uodpd.h"

/* Objects one part looks at: at most this many messages' entries. */
#define RES_PICKS 64u

/* What a fill is given besides its object. */
struct res_fill {
	const struct uodpd *d;
	const struct ud_nl_caller *who;
	uint32_t id;			/* its number: the table's */
};

/* Which objects a request covers. */
struct res_scope {
	const struct ud_device *dev;
	const struct ud_nl_caller *who;
	uint32_t port;			/* QPs of this port only, or 0 */
};

typedef int (*res_fill_fn)(struct nl_msg *msg, const void *obj,
			   const struct res_fill *rf);

/* A restrack type: its table, who may see an object, its messages. */
struct res_kind {
	const char *name;		/* RES_GET's summary */
	size_t idr;			/* offsetof(struct uodpd, <table>) */
	bool (*seen)(const void *obj, const struct res_scope *sc);
	/* kinds with commands: */
	uint16_t op;			/* RDMA_NLDEV_CMD_RES_*_GET */
	uint16_t table, entry;		/* the dump's nests */
	enum ud_nl_res_id id;		/* what a doit names */
	bool per_port;			/* a doit names its port */
	res_fill_fn fill;
};

/* ---- visibility ---- */

static bool owner_seen(const struct ud_pid_ns *ns, uid_t uid,
		       const struct ud_nl_caller *who)
{
	return ns->ino && ns->dev == who->pid_ns.dev &&
	       ns->ino == who->pid_ns.ino &&
	       (who->all_users || uid == who->euid);
}

static bool ctx_in(const struct ud_ctx *ctx, const struct res_scope *sc)
{
	return ctx && ctx->dev == sc->dev &&
	       owner_seen(&ctx->pid_ns, ctx->uid, sc->who);
}

static bool qp_seen(const void *obj, const struct res_scope *sc)
{
	const struct ud_qp *qp = obj;

	return ctx_in(qp->ctx, sc) &&
	       (!sc->port || sc->port == qp->attr.port_num);
}

static bool cq_seen(const void *obj, const struct res_scope *sc)
{
	return ctx_in(((const struct ud_cq *)obj)->ctx, sc);
}

static bool mr_seen(const void *obj, const struct res_scope *sc)
{
	return ctx_in(((const struct ud_mr *)obj)->ctx, sc);
}

static bool pd_seen(const void *obj, const struct res_scope *sc)
{
	return ctx_in(((const struct ud_pd *)obj)->ctx, sc);
}

static bool srq_seen(const void *obj, const struct res_scope *sc)
{
	return ctx_in(((const struct ud_srq *)obj)->ctx, sc);
}

static bool ctx_seen(const void *obj, const struct res_scope *sc)
{
	return ctx_in(obj, sc);
}

/*
 * An rdma_cm ID is the device's once an address names it, on its one
 * port (cma_attach_to_dev).  One listening on a wildcard address is on
 * every device, with no port: the kernel's per-device listeners
 * (cma_listen_on_dev), which restrack shows with the owner's task.
 */
static bool cm_id_wildcard(const struct ud_cm_id *id)
{
	return !id->dev && id->state == UD_CM_LISTEN;
}

static bool cm_id_seen(const void *obj, const struct res_scope *sc)
{
	const struct ud_cm_id *id = obj;

	if (cm_id_wildcard(id) ? sc->port != 0 :
	    id->dev != sc->dev || (sc->port && sc->port != 1))
		return false;
	return owner_seen(&id->file->pid_ns, id->file->uid, sc->who);
}

/* ---- the entries: fill_res_*_entry ---- */

/* fill_res_name_pid: a user object's pid, in the caller's numbering. */
static int put_pid(struct nl_msg *msg, const struct ud_ctx *ctx)
{
	return nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_PID,
			   (uint32_t)ctx->pid_ns.tgid);
}

static bool qp_connected(const struct ud_qp *qp)
{
	return qp->type == IBV_QPT_RC || qp->type == IBV_QPT_UC;
}

static bool qp_migrates(const struct ud_qp *qp)
{
	return qp_connected(qp) || qp->type == IBV_QPT_XRC_SEND ||
	       qp->type == IBV_QPT_XRC_RECV;
}

static int fill_qp(struct nl_msg *msg, const void *obj,
		   const struct res_fill *rf)
{
	const struct ud_qp *qp = obj;
	const struct ud_qp_attr *a = &qp->attr;

	(void)rf;
	/* A QP gets its port at INIT: before, there is none to show. */
	if (a->port_num &&
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_PORT_INDEX, a->port_num))
		return -EMSGSIZE;
	if (nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_LQPN, qp->qpn))
		return -EMSGSIZE;
	if (qp_connected(qp) &&
	    (nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_RQPN, a->dest_qp_num) ||
	     nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_RQ_PSN, a->rq_psn)))
		return -EMSGSIZE;
	/* Without alternate paths a QP's path is always MIGRATED. */
	if (nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_SQ_PSN, a->sq_psn) ||
	    (qp_migrates(qp) &&
	     nla_put_u8(msg, RDMA_NLDEV_ATTR_RES_PATH_MIG_STATE,
			IBV_MIG_MIGRATED)) ||
	    nla_put_u8(msg, RDMA_NLDEV_ATTR_RES_TYPE, (uint8_t)qp->type) ||
	    nla_put_u8(msg, RDMA_NLDEV_ATTR_RES_STATE, (uint8_t)qp->state))
		return -EMSGSIZE;
	/* An XRC target QP belongs to its XRCD, not to a PD. */
	if (qp->type != IBV_QPT_XRC_RECV &&
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_PDN, qp->pdn))
		return -EMSGSIZE;
	return put_pid(msg, qp->ctx);
}

static int fill_cq(struct nl_msg *msg, const void *obj,
		   const struct res_fill *rf)
{
	const struct ud_cq *cq = obj;

	(void)rf;
	/* ib_cq.cqe: what create_cq answered, one less than the ring. */
	if (nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_CQE, cq->cqe_cnt - 1) ||
	    nla_put_u64(msg, RDMA_NLDEV_ATTR_RES_USECNT, cq->refs) ||
	    nla_put_u8(msg, RDMA_NLDEV_ATTR_DEV_DIM, 0) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_CQN, cq->cqn) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_CTXN, cq->ctx->id))
		return -EMSGSIZE;
	return put_pid(msg, cq->ctx);
}

/* mlx5's fill_res_mr_entry: the driver's word on an ODP MR. */
static int put_mr_driver(struct nl_msg *msg, const struct ud_mr *mr)
{
	struct nlattr *table;

	if (!mr->odp)
		return 0;
	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table ||
	    nla_put_string(msg, RDMA_NLDEV_ATTR_DRIVER_STRING, "odp") ||
	    nla_put_string(msg, RDMA_NLDEV_ATTR_DRIVER_STRING,
			   mr->implicit ? "implicit" : "explicit"))
		return -EMSGSIZE;
	nla_nest_end(msg, table);
	return 0;
}

/* An implicit MR covers the address space: its length is the whole. */
static uint64_t mr_length(const struct ud_mr *mr)
{
	return mr->implicit ? UINT64_MAX : mr->length;
}

static int fill_mr(struct nl_msg *msg, const void *obj,
		   const struct res_fill *rf)
{
	const struct ud_mr *mr = obj;

	if (rf->who->net_admin &&
	    (nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_RKEY, mr->key) ||
	     nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_LKEY, mr->key)))
		return -EMSGSIZE;
	if (nla_put_u64(msg, RDMA_NLDEV_ATTR_RES_MRLEN, mr_length(mr)) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_MRN, rf->id) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_PDN, mr->pdn) ||
	    put_pid(msg, mr->ctx))
		return -EMSGSIZE;
	return put_mr_driver(msg, mr);
}

static int fill_pd(struct nl_msg *msg, const void *obj,
		   const struct res_fill *rf)
{
	const struct ud_pd *pd = obj;

	/* A user PD has no local DMA lkey (ib_alloc_pd's are the kernel's). */
	if (rf->who->net_admin &&
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_LOCAL_DMA_LKEY, 0))
		return -EMSGSIZE;
	if (nla_put_u64(msg, RDMA_NLDEV_ATTR_RES_USECNT, pd->refs) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_PDN, pd->pdn) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_CTXN, pd->ctx->id))
		return -EMSGSIZE;
	return put_pid(msg, pd->ctx);
}

static int fill_ctx(struct nl_msg *msg, const void *obj,
		    const struct res_fill *rf)
{
	const struct ud_ctx *ctx = obj;

	(void)rf;
	if (nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_CTXN, ctx->id))
		return -EMSGSIZE;
	return put_pid(msg, ctx);
}

/* ---- SRQs: fill_res_srq_entry, with its QPs as ranges ---- */

/* fill_res_range_qp_entry: one QP, or a run of consecutive ones. */
static int put_qp_range(struct nl_msg *msg, uint32_t min, uint32_t max)
{
	struct nlattr *entry;

	entry = nla_nest_start(msg, RDMA_NLDEV_ATTR_RES_QP_ENTRY);
	if (!entry)
		return -EMSGSIZE;
	if (min == max ? nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_LQPN, min) :
			 nla_put_u32(msg, RDMA_NLDEV_ATTR_MIN_RANGE, min) ||
			 nla_put_u32(msg, RDMA_NLDEV_ATTR_MAX_RANGE, max))
		return -EMSGSIZE;
	nla_nest_end(msg, entry);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The numbers of srq's QPs, sorted: *n of them in a new array. */
static uint32_t *srq_qpns(const struct uodpd *d, const struct ud_srq *srq,
			  uint32_t *n)
{
	uint32_t i, *qpns = malloc(((size_t)d->qps.count + 1) * sizeof(*qpns));
	const struct ud_qp *qp;

	*n = 0;
	if (!qpns)
		return NULL;
	for (i = 0; i < d->qps.cap; i++) {
		qp = ud_idr_at(&d->qps, i);
		if (qp && qp->srqn == srq->srqn &&
		    qp->ctx->dev == srq->ctx->dev)
			qpns[(*n)++] = qp->qpn;
	}
	qsort(qpns, *n, sizeof(*qpns), cmp_u32);
	return qpns;
}

/* fill_res_srq_qps: the table of the QPs taking from the SRQ. */
static int put_srq_qps(struct nl_msg *msg, const struct uodpd *d,
		       const struct ud_srq *srq)
{
	uint32_t i, n, first, *qpns = srq_qpns(d, srq, &n);
	struct nlattr *table = nla_nest_start(msg, RDMA_NLDEV_ATTR_RES_QP);
	int ret = !qpns ? -ENOMEM : !table ? -EMSGSIZE : 0;

	for (i = 0; !ret && i < n; i++) {
		first = qpns[i];
		while (i + 1 < n && qpns[i + 1] == qpns[i] + 1)
			i++;
		ret = put_qp_range(msg, first, qpns[i]);
	}
	free(qpns);
	if (!ret)
		nla_nest_end(msg, table);
	return ret;
}

static bool srq_has_cq(const struct ud_srq *srq)
{
	return srq->type == IBV_SRQT_XRC || srq->type == IBV_SRQT_TM;
}

static int fill_srq(struct nl_msg *msg, const void *obj,
		    const struct res_fill *rf)
{
	const struct ud_srq *srq = obj;

	if (nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_SRQN, srq->srqn) ||
	    nla_put_u8(msg, RDMA_NLDEV_ATTR_RES_TYPE, (uint8_t)srq->type) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_PDN, srq->pdn) ||
	    (srq_has_cq(srq) &&
	     nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_CQN, srq->cqn)) ||
	    put_srq_qps(msg, rf->d, srq))
		return -EMSGSIZE;
	return put_pid(msg, srq->ctx);
}

/* ---- rdma_cm IDs: fill_res_cm_id_entry ---- */

/* cma_priv.h's enum rdma_cm_state, which iproute2 names by number. */
enum cma_state {
	CMA_IDLE = 0,
	CMA_ADDR_QUERY = 1,
	CMA_ADDR_RESOLVED = 2,
	CMA_ROUTE_QUERY = 3,
	CMA_ROUTE_RESOLVED = 4,
	CMA_CONNECT = 5,
	CMA_DISCONNECT = 6,
	CMA_ADDR_BOUND = 7,
	CMA_LISTEN = 8,
};

/* The CM keeps a connection in CONNECT from connect to disconnect. */
static uint8_t cma_state(enum ud_cm_state s)
{
	static const uint8_t of[] = {
		[UD_CM_IDLE] = CMA_IDLE,
		[UD_CM_ADDR_QUERY] = CMA_ADDR_QUERY,
		[UD_CM_ADDR_BOUND] = CMA_ADDR_BOUND,
		[UD_CM_ADDR_RESOLVED] = CMA_ADDR_RESOLVED,
		[UD_CM_ROUTE_QUERY] = CMA_ROUTE_QUERY,
		[UD_CM_ROUTE_RESOLVED] = CMA_ROUTE_RESOLVED,
		[UD_CM_LISTEN] = CMA_LISTEN,
		[UD_CM_REQ_SENT] = CMA_CONNECT,
		[UD_CM_REQ_RCVD] = CMA_CONNECT,
		[UD_CM_REP_SENT] = CMA_CONNECT,
		[UD_CM_REP_RCVD] = CMA_CONNECT,
		[UD_CM_ESTABLISHED] = CMA_CONNECT,
		[UD_CM_DREQ_SENT] = CMA_DISCONNECT,
		[UD_CM_DREQ_RCVD] = CMA_DISCONNECT,
		[UD_CM_DISCONNECTED] = CMA_DISCONNECT,
	};

	return (size_t)s < sizeof(of) ? of[s] : CMA_IDLE;
}

static int put_addr(struct nl_msg *msg, int attr,
		    const struct sockaddr_storage *ss)
{
	return ss->ss_family ? nla_put(msg, attr, sizeof(*ss), ss) : 0;
}

static int fill_cm_id(struct nl_msg *msg, const void *obj,
		      const struct res_fill *rf)
{
	const struct ud_cm_id *id = obj;

	(void)rf;
	if ((id->dev && nla_put_u32(msg, RDMA_NLDEV_ATTR_PORT_INDEX, 1)) ||
	    (id->qpn &&
	     (nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_LQPN, id->qpn) ||
	      nla_put_u8(msg, RDMA_NLDEV_ATTR_RES_TYPE, id->qp_type))) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_PS, id->ps) ||
	    nla_put_u8(msg, RDMA_NLDEV_ATTR_RES_STATE, cma_state(id->state)) ||
	    put_addr(msg, RDMA_NLDEV_ATTR_RES_SRC_ADDR, &id->src) ||
	    put_addr(msg, RDMA_NLDEV_ATTR_RES_DST_ADDR, &id->dst) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_CM_IDN, id->handle) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_PID,
			(uint32_t)id->file->pid_ns.tgid))
		return -EMSGSIZE;
	return 0;
}

/* rdma_nl_stat_hwcounter_entry */
static int put_hwcounter(struct nl_msg *msg, const char *name,
			 uint64_t value)
{
	struct nlattr *entry;

	entry = nla_nest_start(msg, RDMA_NLDEV_ATTR_STAT_HWCOUNTER_ENTRY);
	if (!entry ||
	    nla_put_string(msg, RDMA_NLDEV_ATTR_STAT_HWCOUNTER_ENTRY_NAME,
			   name) ||
	    nla_put_u64(msg, RDMA_NLDEV_ATTR_STAT_HWCOUNTER_ENTRY_VALUE, value))
		return -EMSGSIZE;
	nla_nest_end(msg, entry);
	return 0;
}

/*
 * fill_stat_mr_entry and mlx5's: an ODP MR's odp_stats by mlx5's names.
 * As mlx5 counts them, page_faults and page_prefetch are pages (made
 * present by a MAP that resumes a fault, by any other MAP), the
 * _handled ones events (faults resumed without error, invalidations
 * that took pages); page_invalidations are pages taken.
 */
static int fill_stat_mr(struct nl_msg *msg, const void *obj,
			const struct res_fill *rf)
{
	const struct ud_mr *mr = obj;
	const struct ud_odp_mr *t = mr->odp_tbl;
	struct nlattr *table;

	if (nla_put_u32(msg, RDMA_NLDEV_ATTR_RES_MRN, rf->id))
		return -EMSGSIZE;
	if (!mr->odp || !t)
		return 0;
	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_STAT_HWCOUNTERS);
	if (!table ||
	    put_hwcounter(msg, "page_faults", t->pages_faulted) ||
	    put_hwcounter(msg, "page_faults_handled", t->faults_handled) ||
	    put_hwcounter(msg, "page_invalidations", t->invalidations) ||
	    put_hwcounter(msg, "page_invalidations_handled",
			  t->invalidations_handled) ||
	    put_hwcounter(msg, "page_prefetch", t->pages_prefetched))
		return -EMSGSIZE;
	nla_nest_end(msg, table);
	return 0;
}

/* ---- the kinds, in restrack's order (RES_GET's summary) ---- */

#define RES_KIND(n, tbl, up, low, idn, per_port_)			\
	{ .name = n, .idr = offsetof(struct uodpd, tbl),		\
	  .seen = low##_seen, .op = RDMA_NLDEV_CMD_RES_##up##_GET,	\
	  .table = RDMA_NLDEV_ATTR_RES_##up,				\
	  .entry = RDMA_NLDEV_ATTR_RES_##up##_ENTRY,			\
	  .id = UD_NL_RES_##idn, .per_port = per_port_, .fill = fill_##low }

static const struct res_kind res_kinds[] = {
	RES_KIND("pd", pds, PD, pd, PDN, false),
	RES_KIND("cq", cqs, CQ, cq, CQN, false),
	RES_KIND("qp", qps, QP, qp, LQPN, true),
	RES_KIND("cm_id", cm_ids, CM_ID, cm_id, CM_IDN, true),
	RES_KIND("mr", mrs, MR, mr, MRN, false),
	RES_KIND("ctx", ctx_ids, CTX, ctx, CTXN, false),
	RES_KIND("srq", srqs, SRQ, srq, SRQN, false),
};

static const struct res_kind *kind_of_op(uint16_t op)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(res_kinds); i++)
		if (res_kinds[i].op && res_kinds[i].op == op)
			return &res_kinds[i];
	return NULL;
}

static const struct ud_idr *kind_idr(const struct uodpd *d,
				     const struct res_kind *k)
{
	return (const struct ud_idr *)((const char *)d + k->idr);
}

/* ---- walking a table ---- */

struct res_pick {
	uint32_t id;
	void *obj;
};

/* Keep the n (at most RES_PICKS) smallest ids, sorted. */
static void keep_smallest(struct res_pick *picks, uint32_t *n, uint32_t id,
			  void *obj)
{
	uint32_t i = *n;

	if (i == RES_PICKS && picks[RES_PICKS - 1].id < id)
		return;
	if (i < RES_PICKS)
		(*n)++;
	else
		i--;
	for (; i && picks[i - 1].id > id; i--)
		picks[i] = picks[i - 1];
	picks[i] = (struct res_pick){ id, obj };
}

/* The first objects of k in sc numbered cursor or above, in order. */
static uint32_t res_pick(const struct uodpd *d, const struct res_kind *k,
			 const struct res_scope *sc, uint64_t cursor,
			 struct res_pick *picks)
{
	const struct ud_idr *idr = kind_idr(d, k);
	uint32_t i, n = 0;

	for (i = 0; i < idr->cap; i++) {
		void *obj = ud_idr_at(idr, i);

		if (obj && idr->slots[i].id >= cursor && k->seen(obj, sc))
			keep_smallest(picks, &n, idr->slots[i].id, obj);
	}
	return n;
}

static uint64_t res_count(const struct uodpd *d, const struct res_kind *k,
			  const struct res_scope *sc)
{
	const struct ud_idr *idr = kind_idr(d, k);
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < idr->cap; i++) {
		void *obj = ud_idr_at(idr, i);

		n += obj && k->seen(obj, sc);
	}
	return n;
}

/* A port the request names: *port 0 if none, -EINVAL if not the device's. */
static int named_port(const struct ud_device *dev,
		      const struct ud_nl_args *a, uint32_t *port)
{
	*port = 0;
	if (!(a->present & UD_NL_ARG_PORT_INDEX))
		return 0;
	if (!ud_nldev_port_valid(dev, a->port_index))
		return -EINVAL;
	*port = a->port_index;
	return 0;
}

/* ---- RES_*_GET: res_get_common_doit and _dumpit ---- */

/* A doit's reply: the handle, then the entry's attributes, not nested. */
struct one_fill {
	const struct ud_device *dev;
	res_fill_fn fill;
	const struct res_fill *rf;
};

static int fill_one(struct nl_msg *msg, const void *obj, const void *arg)
{
	const struct one_fill *of = arg;

	if (ud_nldev_put_handle(msg, of->dev))
		return -EMSGSIZE;
	return of->fill(msg, obj, of->rf);
}

/* One object as a reply of type op. */
static int res_doit(struct uodpd *d, const struct ud_nl_args *a,
		    const struct ud_nl_caller *who, struct ud_nl_part *out,
		    const struct res_kind *k, uint16_t op, res_fill_fn fill)
{
	struct res_scope sc = { ud_nldev_device(d, a), who, 0 };
	struct res_fill rf = { d, who, a->res_id[k->id] };
	uint32_t port;
	void *obj;

	if (!sc.dev || !(a->present & UD_NL_ARG_RES_ID(k->id)))
		return -EINVAL;
	if (named_port(sc.dev, a, &port) || !port != !k->per_port)
		return -EINVAL;
	obj = ud_idr_find(kind_idr(d, k), rf.id);
	if (!obj || !k->seen(obj, &sc))
		return -ENOENT;
	/* The QP is not on the port named: fill_res_qp_entry's EAGAIN. */
	sc.port = port;
	if (!k->seen(obj, &sc))
		return -EAGAIN;
	return ud_nldev_put_msg(out, op, 0, fill_one, obj,
				&(struct one_fill){ sc.dev, fill, &rf });
}

/* A dump part's message: the handle, then a table of the picks that fit. */
struct part_fill {
	struct uodpd *d;
	const struct ud_device *dev;
	const struct res_kind *k;
	res_fill_fn fill;
	const struct res_pick *picks;
	uint32_t n;
	struct ud_nl_dump *dump;	/* its cursor moves past each entry */
};

static int fill_part(struct nl_msg *msg, const void *obj, const void *arg)
{
	const struct part_fill *pf = arg;
	struct res_fill rf = { pf->d, &pf->dump->who, 0 };
	struct nlattr *table, *entry;
	uint32_t i;

	(void)obj;
	if (ud_nldev_put_handle(msg, pf->dev))
		return -EMSGSIZE;
	table = nla_nest_start(msg, pf->k->table);
	if (!table)
		return -EMSGSIZE;
	for (i = 0; i < pf->n; i++) {
		entry = nla_nest_start(msg, pf->k->entry);
		rf.id = pf->picks[i].id;
		if (!entry || pf->fill(msg, pf->picks[i].obj, &rf)) {
			if (entry)
				nla_nest_cancel(msg, entry);
			break;
		}
		nla_nest_end(msg, entry);
		pf->dump->cursor = (uint64_t)pf->picks[i].id + 1;
	}
	nla_nest_end(msg, table);
	/* Not even one entry fits an empty part: it never would. */
	return i ? 0 : -EMSGSIZE;
}

/* The next part: one message of type op with a table of entries. */
static int res_dumpit(struct uodpd *d, struct ud_nl_dump *dump,
		      struct ud_nl_part *out, const struct res_kind *k,
		      uint16_t op, res_fill_fn fill)
{
	struct res_scope sc = { ud_nldev_device(d, &dump->args), &dump->who,
				0 };
	struct res_pick picks[RES_PICKS];
	struct part_fill pf = { d, sc.dev, k, fill, picks, 0, dump };
	int ret;

	if (!sc.dev || named_port(sc.dev, &dump->args, &sc.port))
		return -EINVAL;
	pf.n = res_pick(d, k, &sc, dump->cursor, picks);
	if (!pf.n)
		return 0;
	ret = ud_nldev_put_msg(out, op, NLM_F_MULTI, fill_part, NULL, &pf);
	return ret ? ret : 1;
}

int ud_nldev_res_doit(struct uodpd *d, uint16_t op, const struct ud_nl_args *a,
		      const struct ud_nl_caller *who, struct ud_nl_part *out)
{
	const struct res_kind *k = kind_of_op(op);

	return res_doit(d, a, who, out, k, k->op, k->fill);
}

int ud_nldev_res_dumpit(struct uodpd *d, struct ud_nl_dump *dump,
			struct ud_nl_part *out)
{
	const struct res_kind *k = kind_of_op(dump->op);

	return res_dumpit(d, dump, out, k, k->op, k->fill);
}

/* ---- RES_GET: fill_res_info ---- */

static int put_summary_entry(struct nl_msg *msg, const char *name,
			     uint64_t curr)
{
	struct nlattr *entry;

	entry = nla_nest_start(msg, RDMA_NLDEV_ATTR_RES_SUMMARY_ENTRY);
	if (!entry ||
	    nla_put_string(msg, RDMA_NLDEV_ATTR_RES_SUMMARY_ENTRY_NAME, name) ||
	    nla_put_u64(msg, RDMA_NLDEV_ATTR_RES_SUMMARY_ENTRY_CURR, curr))
		return -EMSGSIZE;
	nla_nest_end(msg, entry);
	return 0;
}

/* obj: the scope, arg: the daemon. */
static int fill_summary(struct nl_msg *msg, const void *obj, const void *arg)
{
	const struct res_scope *sc = obj;
	struct nlattr *table;
	size_t i;

	if (ud_nldev_put_handle(msg, sc->dev))
		return -EMSGSIZE;
	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_RES_SUMMARY);
	if (!table)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(res_kinds); i++)
		if (put_summary_entry(msg, res_kinds[i].name,
				      res_count(arg, &res_kinds[i], sc)))
			return -EMSGSIZE;
	nla_nest_end(msg, table);
	return 0;
}

static int put_summary(struct uodpd *d, struct ud_nl_part *out, int flags,
		       const struct res_scope *sc)
{
	return ud_nldev_put_msg(out, RDMA_NLDEV_CMD_RES_GET, flags,
				fill_summary, sc, d);
}

int ud_nldev_res_summary_doit(struct uodpd *d, uint16_t op,
			      const struct ud_nl_args *a,
			      const struct ud_nl_caller *who,
			      struct ud_nl_part *out)
{
	struct res_scope sc = { ud_nldev_device(d, a), who, 0 };

	(void)op;
	if (!sc.dev)
		return -EINVAL;
	return put_summary(d, out, 0, &sc);
}

int ud_nldev_res_summary_dumpit(struct uodpd *d, struct ud_nl_dump *dump,
				struct ud_nl_part *out)
{
	struct res_scope sc = { NULL, &dump->who, 0 };
	int put = 0;

	for (; dump->cursor < d->ndevices; dump->cursor++, put++) {
		sc.dev = &d->devices[dump->cursor];
		if (put_summary(d, out, NLM_F_MULTI, &sc))
			break;
	}
	return put;
}

/* ---- STAT_GET: nldev_stat_get_doit and _dumpit ---- */

/*
 * stat_get_doit_qp: the port's QP counter mode.  No counters are ever
 * bound here (STAT_SET is not served), so it is RDMA_COUNTER_MODE_NONE.
 */
static int fill_qp_counter_mode(struct nl_msg *msg, const void *obj,
				const void *arg)
{
	const struct ud_device *dev = obj;
	const uint32_t *port = arg;

	if (ud_nldev_put_handle(msg, dev) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_PORT_INDEX, *port) ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_STAT_MODE, RDMA_COUNTER_MODE_NONE))
		return -EMSGSIZE;
	return 0;
}

static int stat_qp_doit(struct uodpd *d, const struct ud_nl_args *a,
			struct ud_nl_part *out)
{
	struct ud_device *dev = ud_nldev_device(d, a);

	if (!dev || !(a->present & UD_NL_ARG_PORT_INDEX) ||
	    !ud_nldev_port_valid(dev, a->port_index))
		return -EINVAL;
	return ud_nldev_put_msg(out, RDMA_NLDEV_CMD_STAT_GET, 0,
				fill_qp_counter_mode, dev, &a->port_index);
}

int ud_nldev_stat_doit(struct uodpd *d, uint16_t op, const struct ud_nl_args *a,
		       const struct ud_nl_caller *who, struct ud_nl_part *out)
{
	(void)op;
	/*
	 * Without STAT_RES: the port's hardware counters, which this
	 * device has none of (stat_get_doit_default_counter's EINVAL).
	 */
	if (!(a->present & UD_NL_ARG_STAT_RES))
		return -EINVAL;
	if (a->stat_res == RDMA_NLDEV_ATTR_RES_QP)
		return stat_qp_doit(d, a, out);
	if (a->stat_res == RDMA_NLDEV_ATTR_RES_MR)
		return res_doit(d, a, who, out,
				kind_of_op(RDMA_NLDEV_CMD_RES_MR_GET),
				RDMA_NLDEV_CMD_RES_MR_GET, fill_stat_mr);
	return -EINVAL;
}

int ud_nldev_stat_dumpit(struct uodpd *d, struct ud_nl_dump *dump,
			 struct ud_nl_part *out)
{
	const struct ud_nl_args *a = &dump->args;

	if (!(a->present & UD_NL_ARG_STAT_RES))
		return -EINVAL;
	/* The bound QP counters (nldev_res_get_counter_dumpit): none. */
	if (a->stat_res == RDMA_NLDEV_ATTR_RES_QP)
		return ud_nldev_device(d, a) ? 0 : -EINVAL;
	if (a->stat_res == RDMA_NLDEV_ATTR_RES_MR)
		return res_dumpit(d, dump, out,
				  kind_of_op(RDMA_NLDEV_CMD_RES_MR_GET),
				  RDMA_NLDEV_CMD_RES_MR_GET, fill_stat_mr);
	return -EINVAL;
}
