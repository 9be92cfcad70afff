// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * What the kernel does with a datagram sent to NETLINK_RDMA (rdma_nl.h):
 * netlink_rcv_skb walks its messages; rdma_nl_rcv_msg checks the client
 * and op, CAP_NET_ADMIN for the ops that change state, and runs the op's
 * doit, or starts its dump (netlink_dump_start); netlink_ack answers a
 * message that failed or asked (NLM_F_ACK).  A dump makes its first part
 * at once and the next after each receive while the queue has room, as
 * netlink_dump; its end is NLMSG_DONE with the dump's status.  Only nldev
 * is a client here: the others (IWCM, LS, RDMA_CM) are of modules a
 * kernel without them lacks, so their requests fail with EINVAL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/msg.h>

#include "rdma_nl.h"
#include "uodpd.h"

/* ---- parts ---- */

struct nl_msg *ud_nl_part_msg(const struct ud_nl_part *p, uint16_t op,
			      int flags)
{
	size_t left = p->room - p->len;
	struct nl_msg *msg;

	if (left < NLMSG_HDRLEN)
		return NULL;
	msg = nlmsg_alloc_size(left);
	if (!msg)
		return NULL;
	if (!nlmsg_put(msg, p->portid, p->seq,
		       RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, op), 0, flags)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int ud_nl_part_put(struct ud_nl_part *p, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	size_t len = NLMSG_ALIGN(nlh->nlmsg_len);

	if (len > p->room - p->len)
		return -EMSGSIZE;
	memcpy(p->buf + p->len, nlh, nlh->nlmsg_len);
	memset(p->buf + p->len + nlh->nlmsg_len, 0, len - nlh->nlmsg_len);
	p->len += len;
	return 0;
}

static int part_init(struct ud_nl_part *p, size_t room, uint32_t portid,
		     uint32_t seq)
{
	p->buf = malloc(room);
	if (!p->buf)
		return -ENOMEM;
	p->len = 0;
	p->room = room;
	p->portid = portid;
	p->seq = seq;
	return 0;
}

/* ---- acks ---- */

/*
 * netlink_ack: NLMSG_ERROR with the status and the request's header; a
 * failed request's payload follows unless the socket capped its acks.
 */
static void nl_ack(struct ud_nl_sock *s, const struct nlmsghdr *req, int err)
{
	bool whole = err && !(s->flags & (1u << NETLINK_CAP_ACK));
	size_t payload = sizeof(struct nlmsgerr) +
			 (whole ? req->nlmsg_len - NLMSG_HDRLEN : 0);
	size_t len = NLMSG_HDRLEN + payload;
	struct nlmsghdr *nlh = calloc(1, NLMSG_ALIGN(len));
	struct nlmsgerr *e;

	if (!nlh) {
		s->pending_err = ENOBUFS;
		return;
	}
	nlh->nlmsg_len = (uint32_t)len;
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = whole ? 0 : NLM_F_CAPPED;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = s->portid;
	e = NLMSG_DATA(nlh);
	e->error = err;
	memcpy(&e->msg, req, whole ? req->nlmsg_len : NLMSG_HDRLEN);
	ud_nl_queue(s, nlh, NLMSG_ALIGN(len));
	free(nlh);
}

/* ---- dumps ---- */

void ud_nl_dump_abort(struct ud_nl_sock *s)
{
	memset(&s->dump, 0, sizeof(s->dump));
}

/* NLMSG_DONE with the dump's status, in its own part (netlink_dump). */
static void dump_done(struct ud_nl_sock *s, int status)
{
	struct {
		struct nlmsghdr nlh;
		int status;
	} done = {
		.nlh = {
			.nlmsg_len = sizeof(done),
			.nlmsg_type = NLMSG_DONE,
			.nlmsg_flags = NLM_F_MULTI,
			.nlmsg_seq = s->dump.seq,
			.nlmsg_pid = s->portid,
		},
		.status = status,
	};

	ud_nl_queue(s, &done, sizeof(done));
	ud_nl_dump_abort(s);
}

/* One part of the running dump: what fits in the part size the reader gets. */
static void dump_part(struct uodpd *d, struct ud_nl_sock *s)
{
	size_t room = s->max_recv_len > UD_NL_PART_MIN ? s->max_recv_len :
							 UD_NL_PART_MIN;
	struct ud_nl_part p;
	int ret;

	if (part_init(&p, room, s->portid, s->dump.seq)) {
		s->pending_err = ENOBUFS;
		return;
	}
	ret = ud_nldev_dumpit(d, &s->dump, &p);
	if (ret > 0)
		ud_nl_queue(s, p.buf, p.len);
	else
		dump_done(s, ret);
	free(p.buf);
}

void ud_nl_dump_continue(struct uodpd *d, struct ud_nl_sock *s)
{
	if (s->dump.running && ud_nl_queue_has_room(s))
		dump_part(d, s);
}

/*
 * netlink_dump_start: the first part at once.  A dumpit that parses the
 * request itself ends the dump with a malformed one's status; the others
 * (GET, RES_GET) never read it.
 */
static int dump_start(struct uodpd *d, struct ud_nl_sock *s,
		      const struct ud_nl_msg *m, const struct ud_nl_args *a,
		      const struct ud_nl_caller *who, int parse_err)
{
	if (!ud_nldev_has_dumpit(m->op))
		return -EINVAL;
	if (s->dump.running)
		return -EBUSY;
	s->dump.running = true;
	s->dump.op = m->op;
	s->dump.seq = m->nlh->nlmsg_seq;
	s->dump.args = *a;
	s->dump.who = *who;
	s->dump.cursor = 0;
	if (parse_err && ud_nldev_dump_parses(m->op))
		dump_done(s, parse_err);
	else
		dump_part(d, s);
	return -EINTR;		/* started: netlink_rcv_skb sends no ack */
}

/* ---- requests ---- */

static int doit(struct uodpd *d, struct ud_nl_sock *s,
		const struct ud_nl_msg *m, const struct ud_nl_args *a,
		const struct ud_nl_caller *who)
{
	struct ud_nl_part p;
	int ret;

	if (!ud_nldev_has_doit(m->op))
		return -EINVAL;
	/* nlmsg_new(NLMSG_DEFAULT_SIZE): one reply message. */
	ret = part_init(&p, UD_NL_PART_MIN, s->portid, m->nlh->nlmsg_seq);
	if (ret)
		return ret;
	ret = ud_nldev_doit(d, m->op, a, who, &p);
	if (!ret && p.len)
		ud_nl_queue(s, p.buf, p.len);
	free(p.buf);
	return ret;
}

/* rdma_nl_rcv_msg: 0, -EINTR for a dump started, or the error to ack. */
static int request(struct uodpd *d, struct ud_nl_sock *s,
		   const struct ud_nl_msg *m, const struct ud_nl_caller *who)
{
	struct nlattr *tb[RDMA_NLDEV_ATTR_MAX];
	struct ud_nl_args a = { 0 };
	int ret;

	if (m->client != RDMA_NL_NLDEV || m->op >= RDMA_NLDEV_NUM_OPS ||
	    (!ud_nldev_has_doit(m->op) && !ud_nldev_has_dumpit(m->op)))
		return -EINVAL;
	if (ud_nldev_admin_op(m->op) && !who->net_admin)
		return -EPERM;
	ret = ud_nl_parse_nldev(m, tb);
	if (!ret)
		ud_nldev_args(tb, &a);
	if (m->nlh->nlmsg_flags & NLM_F_DUMP)
		return dump_start(d, s, m, &a, who, ret);
	return ret ? ret : doit(d, s, m, &a, who);
}

void ud_nl_rcv(struct uodpd *d, struct ud_nl_sock *s,
	       const struct ud_nl_caller *who, const uint8_t *buf, size_t len)
{
	struct ud_nl_msg m;
	size_t off = 0;
	int err;

	while (ud_nl_next_msg(buf, len, &off, &m)) {
		err = m.request ? request(d, s, &m, who) : 0;
		if (err == -EINTR)
			continue;
		if (err || (m.nlh->nlmsg_flags & NLM_F_ACK))
			nl_ack(s, m.nlh, err);
	}
}
