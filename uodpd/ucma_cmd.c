// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The rdma_cm commands, one function each, with the checks and errnos of
 * the kernel's ucma.c and the state rules of its cma.c: an ID is named by
 * its handle and works only from the file that owns it (ENOENT: no such
 * ID, or a request not yet reported; EINVAL: another file's), responses
 * go through the pointer the command carries (EFAULT), and a response room
 * smaller than the answer is ENOSPC.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <netinet/in.h>
#include <infiniband/sa.h>
#include <rdma/ib_user_sa.h>

#include "ucma.h"
#include "uverbs.h"

#define CM_MAX_BACKLOG 1024		/* net.rdma_ucm.max_backlog */
#define CM_IB_REJ_VENDOR_OPTION_NOT_SUPPORTED 29
#define CM_IB_REJ_CONSUMER_DEFINED 28
#define CM_PKEY_DEFAULT 0xffff

/* ---- IDs ---- */

static uint32_t random_psn(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)ud_now_ns();
	return v & 0xffffff;
}

struct ud_cm_id *ud_cm_id_new(struct uodpd *d, struct ud_cm_file *f,
			      uint16_t ps, uint8_t qp_type)
{
	struct ud_cm_id *id;

	if (f->nids >= UD_CM_FILE_MAX_IDS)
		return NULL;
	id = calloc(1, sizeof(*id));
	if (!id)
		return NULL;
	id->handle = ud_idr_alloc(&d->cm_ids, id);
	if (!id->handle) {
		free(id);
		return NULL;
	}
	id->file = f;
	id->ps = ps;
	id->qp_type = qp_type;
	id->psn = random_psn();
	id->path_mtu = IBV_MTU_1024;
	id->lifetime = UD_CM_PKT_LIFETIME;
	ud_timer_init(&id->wait_timer, ud_cm_wait_expired);
	/* cma_set_qkey(): UD IDs of the IP and IB port spaces. */
	if (qp_type == IBV_QPT_UD)
		id->qkey = UD_CM_UDP_QKEY;
	list_node_init(&id->bind_link);
	list_add_tail(&f->ids, &id->file_link);
	f->nids++;
	return id;
}

void ud_cm_id_destroy(struct uodpd *d, struct ud_cm_id *id)
{
	ud_cm_leave(d, id);
	ud_cm_wait_stop(id);
	/* A request not yet reported: its listener's event goes with it. */
	if (id->listener)
		ud_cm_events_drop_request(d, id);
	ud_cm_events_purge(d, id);
	ud_cm_unbind_port(id);
	list_del(&id->file_link);
	id->file->nids--;
	ud_idr_remove(&d->cm_ids, id->handle);
	free(id);
}

/* The caller's ID: ucma_get_ctx(). */
static int get_id(struct uodpd *d, struct ud_cm_file *f, uint32_t handle,
		  struct ud_cm_id **out)
{
	struct ud_cm_id *id = ud_idr_find(&d->cm_ids, handle);

	if (!id || id->listener)
		return -ENOENT;
	if (id->file != f)
		return -EINVAL;
	*out = id;
	return 0;
}

static int respond(struct ud_call *c, uint64_t addr, const void *resp,
		   size_t len)
{
	return ud_pid_write(c->pid, addr, resp, len) ? -EFAULT : 0;
}

/* ---- create, destroy ---- */

static int cmd_create_id(struct ud_call *c, struct ud_cm_file *f,
			 const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_create_id *req = &cmd->u.create_id;
	struct rdma_ucm_create_id_resp resp = { 0 };
	struct ud_cm_id *id;
	uint8_t qp_type;

	if (cmd->out < sizeof(resp))
		return -ENOSPC;
	switch (req->ps) {
	case RDMA_PS_TCP:
		qp_type = IBV_QPT_RC;
		break;
	case RDMA_PS_UDP:
	case RDMA_PS_IPOIB:
		qp_type = IBV_QPT_UD;
		break;
	case RDMA_PS_IB:
		qp_type = req->qp_type;
		break;
	default:
		return -EINVAL;
	}
	id = ud_cm_id_new(c->d, f, req->ps, qp_type);
	if (!id)
		return -ENOMEM;
	id->uid = req->uid;
	resp.id = id->handle;
	if (respond(c, req->response, &resp, sizeof(resp))) {
		ud_cm_id_destroy(c->d, id);
		return -EFAULT;
	}
	return 0;
}

static int cmd_destroy_id(struct ud_call *c, struct ud_cm_file *f,
			  const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_destroy_id *req = &cmd->u.destroy_id;
	struct rdma_ucm_destroy_id_resp resp = { 0 };
	struct ud_cm_id *id;
	int ret;

	if (cmd->out < sizeof(resp))
		return -ENOSPC;
	ret = get_id(c->d, f, req->id, &id);
	if (ret)
		return ret;
	resp.events_reported = id->events_reported;
	ud_cm_id_destroy(c->d, id);
	return respond(c, req->response, &resp, sizeof(resp));
}

/* ---- addresses ---- */

/* Bind id to a copy of addr (size bytes): rdma_bind_addr(). */
static int bind_addr(struct uodpd *d, struct ud_cm_id *id,
		     const void *addr, size_t size)
{
	int ret;

	if (id->state != UD_CM_IDLE)
		return -EINVAL;
	memset(&id->src, 0, sizeof(id->src));
	memcpy(&id->src, addr, size);
	if (ud_cm_addr_size(&id->src) != size)
		return -EINVAL;
	/* AF_IB: the wildcard only (librdmacm's probe); no IB addressing. */
	if (id->src.ss_family != AF_INET && id->src.ss_family != AF_INET6) {
		if (!ud_cm_addr_any(&id->src))
			return -EAFNOSUPPORT;
		id->state = UD_CM_ADDR_BOUND;
		return 0;
	}
	if (!ud_cm_addr_any(&id->src)) {
		ret = ud_cm_addr_device(d, &id->src, &id->dev,
					&id->sgid_index);
		if (ret)
			return ret;
		ud_cm_addr_gid(&id->src, id->sgid);
	}
	ret = ud_cm_bind_port(d, id);
	if (ret) {
		id->dev = NULL;
		return ret;
	}
	id->state = UD_CM_ADDR_BOUND;
	return 0;
}

static int cmd_bind_ip(struct ud_call *c, struct ud_cm_file *f,
		       const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_bind_ip *req = &cmd->u.bind_ip;
	struct sockaddr_storage a = { 0 };
	struct ud_cm_id *id;
	size_t size;
	int ret;

	ret = get_id(c->d, f, req->id, &id);
	if (ret)
		return ret;
	memcpy(&a, &req->addr, sizeof(req->addr));
	size = ud_cm_addr_size(&a);
	if (!size || size > sizeof(req->addr))
		return -EINVAL;
	return bind_addr(c->d, id, &req->addr, size);
}

static int cmd_bind(struct ud_call *c, struct ud_cm_file *f,
		    const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_bind *req = &cmd->u.bind;
	struct sockaddr_storage a = { 0 };
	struct ud_cm_id *id;
	int ret;

	memcpy(&a, &req->addr, sizeof(a));
	if (req->reserved || !req->addr_size ||
	    req->addr_size != ud_cm_addr_size(&a))
		return -EINVAL;
	ret = get_id(c->d, f, req->id, &id);
	if (ret)
		return ret;
	return bind_addr(c->d, id, &req->addr, req->addr_size);
}

/*
 * The device dst is on, or -ENODEV: no uodp device is on the
 * destination's network, so there is no RDMA route.  An ID with no device
 * yet takes it, with dst as its source address (the kernel's route to an
 * address of the host); a bound one keeps its own.
 */
static int route_to(struct uodpd *d, struct ud_cm_id *id,
		    const struct sockaddr_storage *dst)
{
	struct ud_device *dev;
	uint16_t port;
	uint8_t index;

	if (ud_cm_addr_device(d, dst, &dev, &index))
		return -ENODEV;
	ud_cm_addr_gid(dst, id->dgid);
	if (id->dev)
		return 0;
	id->dev = dev;
	id->sgid_index = index;
	port = ud_cm_addr_port(&id->src);
	id->src = *dst;
	ud_cm_addr_set_port(&id->src, port);
	ud_cm_addr_gid(&id->src, id->sgid);
	return 0;
}

/*
 * rdma_resolve_addr(): bind first if unbound, then find the device the
 * destination is on.  Every device of this daemon is local, so the route
 * to a destination is its own device with the destination as source, as
 * the kernel routes to an address of the host.
 */
static int resolve_addr(struct uodpd *d, struct ud_cm_id *id,
			const struct sockaddr_storage *src,
			const struct sockaddr_storage *dst)
{
	struct sockaddr_storage any = { .ss_family = dst->ss_family };
	struct ud_cm_event *ev;
	int ret, status;

	if (dst->ss_family != AF_INET && dst->ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (id->state == UD_CM_IDLE) {
		if (!src || !src->ss_family)
			src = &any;
		ret = bind_addr(d, id, src, ud_cm_addr_size(src));
		if (ret)
			return ret;
	}
	if (id->state != UD_CM_ADDR_BOUND)
		return -EINVAL;
	if (id->src.ss_family != dst->ss_family)
		return -EINVAL;
	id->dst = *dst;
	ev = ud_cm_event_new(id, UD_CM_EVENT_ADDR_RESOLVED, 0);
	if (!ev)
		return -ENOMEM;
	status = route_to(d, id, dst);
	ev->resp.event = status ? UD_CM_EVENT_ADDR_ERROR :
				  UD_CM_EVENT_ADDR_RESOLVED;
	ev->resp.status = (uint32_t)status;
	id->state = status ? UD_CM_ADDR_BOUND : UD_CM_ADDR_RESOLVED;
	ud_cm_event_queue(d, ev);
	return 0;
}

static int cmd_resolve_ip(struct ud_call *c, struct ud_cm_file *f,
			  const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_resolve_ip *req = &cmd->u.resolve_ip;
	struct sockaddr_storage src = { 0 }, dst = { 0 };
	struct ud_cm_id *id;
	int ret;

	memcpy(&src, &req->src_addr, sizeof(req->src_addr));
	memcpy(&dst, &req->dst_addr, sizeof(req->dst_addr));
	if ((src.ss_family && !ud_cm_addr_size(&src)) ||
	    !ud_cm_addr_size(&dst))
		return -EINVAL;
	ret = get_id(c->d, f, req->id, &id);
	if (ret)
		return ret;
	return resolve_addr(c->d, id, &src, &dst);
}

static int cmd_resolve_addr(struct ud_call *c, struct ud_cm_file *f,
			    const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_resolve_addr *req = &cmd->u.resolve_addr;
	struct sockaddr_storage src = { 0 }, dst = { 0 };
	struct ud_cm_id *id;
	int ret;

	memcpy(&src, &req->src_addr, sizeof(src));
	memcpy(&dst, &req->dst_addr, sizeof(dst));
	if (req->reserved ||
	    (req->src_size && req->src_size != ud_cm_addr_size(&src)) ||
	    !req->dst_size || req->dst_size != ud_cm_addr_size(&dst))
		return -EINVAL;
	ret = get_id(c->d, f, req->id, &id);
	if (ret)
		return ret;
	return resolve_addr(c->d, id, req->src_size ? &src : NULL, &dst);
}

static int cmd_resolve_route(struct ud_call *c, struct ud_cm_file *f,
			     const struct ud_ucma_cmd *cmd)
{
	struct ud_cm_event *ev;
	struct ud_cm_id *id;
	int ret;

	ret = get_id(c->d, f, cmd->u.resolve_route.id, &id);
	if (ret)
		return ret;
	if (id->state != UD_CM_ADDR_RESOLVED)
		return -EINVAL;
	ev = ud_cm_event_new(id, UD_CM_EVENT_ROUTE_RESOLVED, 0);
	if (!ev)
		return -ENOMEM;
	id->route = true;
	id->path_mtu = id->dev->port.active_mtu;
	/* cma_resolve_iboe_route: an ACK timeout set before is the path's. */
	id->lifetime = id->ack_timeout ? id->ack_timeout - 1 :
					 UD_CM_PKT_LIFETIME;
	id->state = UD_CM_ROUTE_RESOLVED;
	ud_cm_event_queue(c->d, ev);
	return 0;
}

/* ---- queries ---- */

static void query_device(const struct ud_cm_id *id,
			 struct rdma_ucm_query_addr_resp *r)
{
	if (!id->dev)
		return;
	r->node_guid = htobe64(ud_identity_node_guid(id->dev->index));
	r->ibdev_index = id->dev->index;
	r->port_num = 1;
	r->pkey = htobe16(CM_PKEY_DEFAULT);
}

static void query_addr(const struct ud_cm_id *id,
		       struct rdma_ucm_query_addr_resp *r)
{
	r->src_size = (uint16_t)ud_cm_addr_size(&id->src);
	memcpy(&r->src_addr, &id->src, r->src_size);
	r->dst_size = (uint16_t)ud_cm_addr_size(&id->dst);
	memcpy(&r->dst_addr, &id->dst, r->dst_size);
	query_device(id, r);
}

/* An AF_IB sockaddr holding gid: the layout of the kernel's sockaddr_ib. */
static void gid_sockaddr(struct __kernel_sockaddr_storage *s,
			 const uint8_t gid[16])
{
	uint16_t family = AF_IB;
	uint16_t pkey = htobe16(CM_PKEY_DEFAULT);

	memcpy(s, &family, sizeof(family));
	memcpy((uint8_t *)s + 2, &pkey, sizeof(pkey));
	memcpy((uint8_t *)s + 8, gid, 16);	/* after sib_flowinfo */
}

static void query_gid(const struct ud_cm_id *id,
		      struct rdma_ucm_query_addr_resp *r)
{
	query_device(id, r);
	if (!r->node_guid)
		return;
	r->src_size = 48;
	r->dst_size = 48;
	gid_sockaddr(&r->src_addr, id->sgid);
	gid_sockaddr(&r->dst_addr, id->dgid);
}

/* The RoCE path record, packed as the SA's (ib_sa_pack_path). */
static void pack_path(const struct ud_cm_id *id, struct ibv_path_record *p)
{
	uint64_t sid = ((uint64_t)id->ps << 16) + ud_cm_addr_port(&id->dst);

	memset(p, 0, sizeof(*p));
	p->service_id = htobe64(sid);
	memcpy(p->dgid.raw, id->dgid, 16);
	memcpy(p->sgid.raw, id->sgid, 16);
	p->flowlabel_hoplimit = htobe32(UD_CM_HOP_LIMIT);
	p->tclass = id->tos;
	p->reversible_numpath = 0x80 | 1;
	p->pkey = htobe16(CM_PKEY_DEFAULT);
	p->qosclass_sl = htobe16(id->tos >> 5);
	p->mtu = (2 << 6) | id->path_mtu;
	p->rate = 2 << 6;
	p->packetlifetime = (2 << 6) | id->lifetime;
}

static int query_path(struct ud_call *c, const struct ud_cm_id *id,
		      const struct ud_ucma_cmd *cmd)
{
	_Alignas(8) uint8_t buf[sizeof(struct rdma_ucm_query_path_resp) +
				sizeof(struct ib_path_rec_data)];
	struct rdma_ucm_query_path_resp *r = (void *)buf;
	size_t len = sizeof(*r);

	_Static_assert(sizeof(struct ibv_path_record) ==
		       sizeof(r->path_data[0].path_rec),
		       "one packed path record");
	if (cmd->out < sizeof(*r))
		return -ENOSPC;
	memset(buf, 0, sizeof(buf));
	if (id->route) {
		r->num_paths = 1;
		r->path_data[0].flags = IB_PATH_GMP | IB_PATH_PRIMARY |
					IB_PATH_BIDIRECTIONAL;
		pack_path(id, (struct ibv_path_record *)r->path_data[0].path_rec);
		len = sizeof(buf);
	}
	if (len > cmd->out)
		len = cmd->out;
	return respond(c, cmd->u.query.response, buf, len);
}

static int cmd_query(struct ud_call *c, struct ud_cm_file *f,
		     const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_query *req = &cmd->u.query;
	struct rdma_ucm_query_addr_resp r;
	struct ud_cm_id *id;
	int ret;

	ret = get_id(c->d, f, req->id, &id);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	switch (req->option) {
	case RDMA_USER_CM_QUERY_ADDR:
		query_addr(id, &r);
		break;
	case RDMA_USER_CM_QUERY_GID:
		query_gid(id, &r);
		break;
	case RDMA_USER_CM_QUERY_PATH:
		return query_path(c, id, cmd);
	default:
		return -ENOSYS;
	}
	if (cmd->out < sizeof(r))
		return -ENOSPC;
	return respond(c, req->response, &r, sizeof(r));
}

static void route_rec(const struct ud_cm_id *id, struct ib_user_path_rec *p)
{
	memcpy(p->dgid, id->dgid, 16);
	memcpy(p->sgid, id->sgid, 16);
	p->pkey = htobe16(CM_PKEY_DEFAULT);
	p->hop_limit = UD_CM_HOP_LIMIT;
	p->traffic_class = id->tos;
	p->reversible = 1;
	p->numb_path = 1;
	p->sl = id->tos >> 5;
	p->mtu_selector = 2;
	p->mtu = id->path_mtu;
	p->rate_selector = 2;
	p->packet_life_time_selector = 2;
	p->packet_life_time = id->lifetime;
}

static int cmd_query_route(struct ud_call *c, struct ud_cm_file *f,
			   const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_query *req = &cmd->u.query;
	struct rdma_ucm_query_route_resp r;
	struct ud_cm_id *id;
	size_t n;
	int ret;

	if (cmd->out < sizeof(r))
		return -ENOSPC;
	ret = get_id(c->d, f, req->id, &id);
	if (ret)
		return ret;
	memset(&r, 0, sizeof(r));
	n = ud_cm_addr_size(&id->src);
	memcpy(&r.src_addr, &id->src, n < sizeof(r.src_addr) ? n :
	       sizeof(r.src_addr));
	n = ud_cm_addr_size(&id->dst);
	memcpy(&r.dst_addr, &id->dst, n < sizeof(r.dst_addr) ? n :
	       sizeof(r.dst_addr));
	if (id->dev) {
		r.node_guid = htobe64(ud_identity_node_guid(id->dev->index));
		r.ibdev_index = id->dev->index;
		r.port_num = 1;
		route_rec(id, &r.ib_route[0]);
		r.num_paths = id->route ? 1 : 0;
	}
	return respond(c, req->response, &r, sizeof(r));
}

/* ---- connections ---- */

static int cmd_listen(struct ud_call *c, struct ud_cm_file *f,
		      const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_listen *req = &cmd->u.listen;
	struct ud_cm_id *id;
	int ret;

	ret = get_id(c->d, f, req->id, &id);
	if (ret)
		return ret;
	if (id->state == UD_CM_IDLE) {
		struct sockaddr_in any = { .sin_family = AF_INET };

		ret = bind_addr(c->d, id, &any, sizeof(any));
		if (ret)
			return ret;
	}
	if (id->state != UD_CM_ADDR_BOUND && id->state != UD_CM_LISTEN)
		return -EINVAL;
	id->backlog = req->backlog > 0 && req->backlog <= CM_MAX_BACKLOG ?
		req->backlog : CM_MAX_BACKLOG;
	id->state = UD_CM_LISTEN;
	return 0;
}

static int cmd_connect(struct ud_call *c, struct ud_cm_file *f,
		       const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_connect *req = &cmd->u.connect;
	struct ud_cm_id *id;
	int ret;

	if (!req->conn_param.valid)
		return -EINVAL;
	ret = get_id(c->d, f, req->id, &id);
	if (ret)
		return ret;
	return ud_cm_connect(c->d, id, &req->conn_param);
}

static int cmd_accept(struct ud_call *c, struct ud_cm_file *f,
		      const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_accept *req = &cmd->u.accept;
	struct ud_cm_id *id;
	int ret;

	ret = get_id(c->d, f, req->id, &id);
	if (ret)
		return ret;
	return ud_cm_accept(c->d, id, &req->conn_param, req->uid);
}

static int cmd_reject(struct ud_call *c, struct ud_cm_file *f,
		      const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_reject *req = &cmd->u.reject;
	uint8_t reason = req->reason ? req->reason : CM_IB_REJ_CONSUMER_DEFINED;
	struct ud_cm_id *id;
	int ret;

	if (reason != CM_IB_REJ_CONSUMER_DEFINED &&
	    reason != CM_IB_REJ_VENDOR_OPTION_NOT_SUPPORTED)
		return -EINVAL;
	ret = get_id(c->d, f, req->id, &id);
	if (ret)
		return ret;
	return ud_cm_reject(c->d, id, req->private_data,
			    req->private_data_len);
}

static int cmd_disconnect(struct ud_call *c, struct ud_cm_file *f,
			  const struct ud_ucma_cmd *cmd)
{
	struct ud_cm_id *id;
	int ret;

	ret = get_id(c->d, f, cmd->u.disconnect.id, &id);
	if (ret)
		return ret;
	return ud_cm_disconnect(c->d, id);
}

static int cmd_init_qp_attr(struct ud_call *c, struct ud_cm_file *f,
			    const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_init_qp_attr *req = &cmd->u.init_qp_attr;
	struct ib_uverbs_qp_attr r;
	struct ud_cm_id *id;
	int ret;

	if (cmd->out < sizeof(r))
		return -ENOSPC;
	if (req->qp_state > IBV_QPS_ERR)
		return -EINVAL;
	ret = get_id(c->d, f, req->id, &id);
	if (ret)
		return ret;
	ret = ud_cm_init_qp_attr(id, req->qp_state, &r);
	if (ret)
		return ret;
	return respond(c, req->response, &r, sizeof(r));
}

static int cmd_notify(struct ud_call *c, struct ud_cm_file *f,
		      const struct ud_ucma_cmd *cmd)
{
	struct ud_cm_event *ev;
	struct ud_cm_id *id;
	int ret;

	ret = get_id(c->d, f, cmd->u.notify.id, &id);
	if (ret)
		return ret;
	if (!id->dev)
		return -EINVAL;
	/*
	 * ib_cm_notify: a first receive before the RTU establishes this
	 * side; the active side's CM goes on, and its RTU is a duplicate.
	 */
	if (cmd->u.notify.event != IBV_EVENT_COMM_EST ||
	    id->state != UD_CM_REP_SENT)
		return 0;
	ev = ud_cm_event_new(id, UD_CM_EVENT_ESTABLISHED, 0);
	if (!ev)
		return -ENOMEM;
	ud_cm_wait_stop(id);
	id->state = UD_CM_ESTABLISHED;
	ud_cm_event_queue(c->d, ev);
	return 0;
}

/* ---- options ---- */

static int set_id_option(struct ud_cm_id *id, uint32_t name,
			 const uint8_t *val, uint32_t len)
{
	int v;

	switch (name) {
	case RDMA_OPTION_ID_TOS:
		if (len != 1)
			return -EINVAL;
		id->tos = val[0];
		return 0;
	case RDMA_OPTION_ID_REUSEADDR:
	case RDMA_OPTION_ID_AFONLY:
		if (len != sizeof(int))
			return -EINVAL;
		/* Only before the bind, as cma's rdma_set_reuseaddr. */
		if (id->state != UD_CM_IDLE && !(name ==
		    RDMA_OPTION_ID_REUSEADDR && id->state == UD_CM_ADDR_BOUND))
			return -EINVAL;
		memcpy(&v, val, sizeof(v));
		if (name == RDMA_OPTION_ID_REUSEADDR)
			id->reuseaddr = v != 0;
		else
			id->afonly = v != 0;
		return 0;
	case RDMA_OPTION_ID_ACK_TIMEOUT:
		if (len != 1)
			return -EINVAL;
		id->ack_timeout = val[0] > 31 ? 31 : val[0];
		return 0;
	default:
		return -ENOSYS;
	}
}

static int cmd_set_option(struct ud_call *c, struct ud_cm_file *f,
			  const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_set_option *req = &cmd->u.set_option;
	uint8_t val[sizeof(int)];
	struct ud_cm_id *id;
	int ret;

	ret = get_id(c->d, f, req->id, &id);
	if (ret)
		return ret;
	if (req->level == RDMA_OPTION_IB && req->optname == RDMA_OPTION_IB_PATH)
		/* A path from ibacm: RoCE routes come from RESOLVE_ROUTE. */
		return -EOPNOTSUPP;
	if (req->level != RDMA_OPTION_ID)
		return -ENOSYS;
	if (req->optlen > sizeof(val))
		return -EINVAL;
	if (ud_pid_read(c->pid, req->optval, val, req->optlen))
		return -EFAULT;
	return set_id_option(id, req->optname, val, req->optlen);
}

/* ---- migrate ---- */

static int cmd_migrate_id(struct ud_call *c, struct ud_cm_file *f,
			  const struct ud_ucma_cmd *cmd)
{
	const struct rdma_ucm_migrate_id *req = &cmd->u.migrate_id;
	struct rdma_ucm_migrate_resp resp = { 0 };
	struct ud_cm_file *from;
	struct ud_cm_id *id;
	int ret;

	if (cmd->out < sizeof(resp))
		return -ENOSPC;
	from = ud_ucma_lookup(c->d, c->pid, (int)req->fd);
	if (!from)
		return -EINVAL;
	ret = get_id(c->d, from, req->id, &id);
	if (ret)
		return ret;
	if (from != f) {
		ret = ud_cm_migrate(c->d, id, f);
		if (ret)
			return ret;
	}
	resp.events_reported = id->events_reported;
	return respond(c, req->response, &resp, sizeof(resp));
}

/* ---- the table ---- */

typedef int (*ucma_fn)(struct ud_call *c, struct ud_cm_file *f,
		       const struct ud_ucma_cmd *cmd);

static int cmd_no_mcast(struct ud_call *c, struct ud_cm_file *f,
			const struct ud_ucma_cmd *cmd)
{
	(void)c;
	(void)f;
	(void)cmd;
	/* The device carries no multicast (no ibv_attach_mcast). */
	return -EOPNOTSUPP;
}

static int cmd_leave_mcast(struct ud_call *c, struct ud_cm_file *f,
			   const struct ud_ucma_cmd *cmd)
{
	(void)c;
	(void)f;
	(void)cmd;
	/* No join ever succeeds, so no multicast handle exists. */
	return -ENOENT;
}

static const ucma_fn handlers[UD_UCMA_MAX_CMD] = {
	[RDMA_USER_CM_CMD_CREATE_ID] = cmd_create_id,
	[RDMA_USER_CM_CMD_DESTROY_ID] = cmd_destroy_id,
	[RDMA_USER_CM_CMD_BIND_IP] = cmd_bind_ip,
	[RDMA_USER_CM_CMD_RESOLVE_IP] = cmd_resolve_ip,
	[RDMA_USER_CM_CMD_RESOLVE_ROUTE] = cmd_resolve_route,
	[RDMA_USER_CM_CMD_QUERY_ROUTE] = cmd_query_route,
	[RDMA_USER_CM_CMD_CONNECT] = cmd_connect,
	[RDMA_USER_CM_CMD_LISTEN] = cmd_listen,
	[RDMA_USER_CM_CMD_ACCEPT] = cmd_accept,
	[RDMA_USER_CM_CMD_REJECT] = cmd_reject,
	[RDMA_USER_CM_CMD_DISCONNECT] = cmd_disconnect,
	[RDMA_USER_CM_CMD_INIT_QP_ATTR] = cmd_init_qp_attr,
	[RDMA_USER_CM_CMD_SET_OPTION] = cmd_set_option,
	[RDMA_USER_CM_CMD_NOTIFY] = cmd_notify,
	[RDMA_USER_CM_CMD_JOIN_IP_MCAST] = cmd_no_mcast,
	[RDMA_USER_CM_CMD_LEAVE_MCAST] = cmd_leave_mcast,
	[RDMA_USER_CM_CMD_MIGRATE_ID] = cmd_migrate_id,
	[RDMA_USER_CM_CMD_QUERY] = cmd_query,
	[RDMA_USER_CM_CMD_BIND] = cmd_bind,
	[RDMA_USER_CM_CMD_RESOLVE_ADDR] = cmd_resolve_addr,
	[RDMA_USER_CM_CMD_JOIN_MCAST] = cmd_no_mcast,
};

int ud_ucma_run(struct ud_call *c, struct ud_cm_file *f,
		const struct ud_ucma_cmd *cmd)
{
	/* The decoder let through only numbers with a handler. */
	if (cmd->cmd >= UD_UCMA_MAX_CMD || !handlers[cmd->cmd])
		return -ENOSYS;
	return handlers[cmd->cmd](c, f, cmd);
}
