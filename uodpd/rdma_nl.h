/* SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB */
/*
 * RDMA netlink (NETLINK_RDMA): what ib_core's netlink.c and nldev.c are in
 * a kernel, served to processes under uodp-run's seccomp filter.
 *
 *  rdma_nl_decode.c  a datagram's requests: framing and attributes (pure,
 *                    fuzzed as fuzz.rdma_nl)
 *  rdma_nl_sock.c    a socket's life: socket(), its release, its receive
 *                    queue (replies, the pending error, dumps by parts)
 *  rdma_nl_calls.c   the socket calls, as af_netlink.c answers them
 *  rdma_nl_rcv.c     what ib_core's netlink.c does with a sent datagram:
 *                    the walk, the client and op, dumps, acks
 *  nldev.c           the nldev commands, one function each
 *
 * The socket a process gets is one end of an AF_UNIX SOCK_SEQPACKET pair
 * of ours at a command fd number, so the filter traps the socket calls on
 * it.  Every reply is a datagram sent from our end: the receive queue,
 * poll, epoll and FIONREAD are the kernel's own.  A trapped receive takes
 * the datagram through a pidfd_getfd() copy of the caller's socket and
 * answers with the netlink source address; the last close of the socket
 * anywhere hangs up our end, which is its release.
 */
#ifndef UODPD_RDMA_NL_H
#define UODPD_RDMA_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/netlink.h>
#include <rdma/rdma_netlink.h>

#include "list.h"
#include "uodpd.h"

struct uodpd;
struct ud_call;

/* ---- the decoder (rdma_nl_decode.c) ---- */

/* Bytes of one send: the socket's sk_sndbuf, as far as we take it. */
#define UD_NL_MAX_SEND (64u * 1024)

/*
 * One message of a datagram, as netlink_rcv_skb walks them: the header,
 * and for a request to ib_core its client and operation.
 */
struct ud_nl_msg {
	const struct nlmsghdr *nlh;	/* in the datagram */
	bool request;			/* NLM_F_REQUEST, a type past control */
	uint16_t client;		/* RDMA_NL_GET_CLIENT */
	uint16_t op;			/* RDMA_NL_GET_OP */
};

/*
 * The next message of buf[0, len) at *off: 1 and *m, 0 at the end (or at
 * a header that does not fit, where the kernel stops too).  *off moves to
 * the message after.
 */
int ud_nl_next_msg(const uint8_t *buf, size_t len, size_t *off,
		   struct ud_nl_msg *m);

/*
 * The attributes of an nldev request, by nldev's policy: tb[] (size
 * RDMA_NLDEV_ATTR_MAX) points into m's payload.  0 or -EINVAL.
 */
int ud_nl_parse_nldev(const struct ud_nl_msg *m, struct nlattr **tb);

/* ---- a request's arguments, kept for a dump's later parts ---- */
/* The resource numbers a doit names its object by (nldev's fe->id). */
enum ud_nl_res_id {
	UD_NL_RES_LQPN,
	UD_NL_RES_CQN,
	UD_NL_RES_MRN,
	UD_NL_RES_PDN,
	UD_NL_RES_CTXN,
	UD_NL_RES_SRQN,
	UD_NL_RES_CM_IDN,
	UD_NL_RES_ID_NR,
};

enum ud_nl_arg {
	UD_NL_ARG_DEV_INDEX = 1u << 0,
	UD_NL_ARG_PORT_INDEX = 1u << 1,
	UD_NL_ARG_CHARDEV_TYPE = 1u << 2,
	UD_NL_ARG_STAT_RES = 1u << 3,
	/* UD_NL_ARG_RES_ID(id): res_id[id] is given */
	UD_NL_ARG_RES_ID0 = 1u << 4,
};

#define UD_NL_ARG_RES_ID(id) (UD_NL_ARG_RES_ID0 << (id))
#define UD_NL_CHARDEV_TYPE_MAX 32	/* nldev_policy's .len */

struct ud_nl_args {
	uint32_t present;		/* enum ud_nl_arg */
	uint32_t dev_index;
	uint32_t port_index;
	uint32_t stat_res;		/* RDMA_NLDEV_ATTR_RES_QP, _MR */
	uint32_t res_id[UD_NL_RES_ID_NR];
	char chardev_type[UD_NL_CHARDEV_TYPE_MAX + 1];
};

/* Who sent a request: what nldev's permission and visibility rules ask. */
struct ud_nl_caller {
	pid_t tgid;
	uid_t euid;
	bool net_admin;			/* netlink_capable(CAP_NET_ADMIN) */
	bool our_net_ns;		/* it sees the daemon's netdevs */
	/* It sees every user's objects (or only its own user's). */
	bool all_users;
	struct ud_pid_ns pid_ns;	/* objects of this one are visible */
};

/* A running dump (netlink_callback): the request, where the next part starts. */
struct ud_nl_dump {
	bool running;
	uint16_t op;			/* RDMA_NLDEV_CMD_* */
	uint32_t seq;			/* the request's */
	struct ud_nl_args args;
	struct ud_nl_caller who;
	uint64_t cursor;		/* the next object, by the op's order */
};

/*
 * A datagram being built: messages are appended while they fit in room
 * (the part size a dump is given, or one reply).
 */
struct ud_nl_part {
	uint8_t *buf;
	size_t len;
	size_t room;
	uint32_t portid;		/* nlmsg_pid of the replies: the asker's */
	uint32_t seq;
};

/* ---- the socket (rdma_nl_sock.c) ---- */
struct ud_nl_sock {
	uint32_t id;			/* d->nl_socks */
	dev_t st_dev;			/* the process's end */
	ino_t st_ino;
	struct list_node hash_link;
	struct list_node port_link;	/* d->nl_port_hash, once bound */
	int peer_fd;			/* our end: replies are sent from it */
	int sndbuf;			/* its SO_SNDBUF, the queue's bound */
	int type;			/* SOCK_RAW or SOCK_DGRAM, as created */
	uint32_t portid;
	bool bound;
	uint32_t groups;		/* bound and joined groups, a mask */
	uint32_t dst_portid;		/* connect() */
	uint32_t dst_group;
	uint32_t flags;			/* 1u << NETLINK_* socket options */
	int pending_err;		/* reported once, by the next receive */
	uint32_t max_recv_len;		/* the largest receive buffer seen */
	struct ud_nl_dump dump;
	uint32_t fds;			/* the daemon's fds it holds */
};

/*
 * Bounds: a dump part is what netlink_dump allocates (NLMSG_GOODSIZE on
 * 4 KiB pages, more for a reader that asked with a larger buffer, up to
 * 32 KiB); the queue takes more parts only while it holds less than half
 * of our end's send buffer (the kernel's sk_rcvbuf / 2).
 */
#define UD_NL_PART_MIN 3776u
#define UD_NL_RECV_LEN_MAX 32768u
#define UD_NL_NGROUPS 32u		/* netlink_kernel_create's least */

int ud_nl_init(struct uodpd *d);
void ud_nl_fini(struct uodpd *d);
/* socket(AF_NETLINK, type, NETLINK_RDMA) */
void ud_nl_socket(struct ud_call *c);
struct ud_nl_sock *ud_nl_by_inode(struct uodpd *d, dev_t dev, ino_t ino);
struct ud_nl_sock *ud_nl_by_portid(struct uodpd *d, uint32_t portid);
/* Our end hung up (UD_EP_NL_SOCK): the last close, the socket is released. */
void ud_nl_sock_ready(struct uodpd *d, uint32_t id, uint32_t events);
/* Bind an unbound s to portid: 0, or -EADDRINUSE. */
int ud_nl_bind(struct uodpd *d, struct ud_nl_sock *s, uint32_t portid);
/* Bind to the first free port id, as netlink_autobind: 0 or -errno. */
int ud_nl_autobind(struct uodpd *d, struct ud_nl_sock *s, pid_t tgid);
/*
 * Queue a datagram for s's reader: 0, or -ENOBUFS when its queue is full
 * (the datagram is dropped and, unless NETLINK_NO_ENOBUFS, the next
 * receive reports ENOBUFS).
 */
int ud_nl_queue(struct ud_nl_sock *s, const void *buf, size_t len);
/* Whether the queue has room for another dump part. */
bool ud_nl_queue_has_room(struct ud_nl_sock *s);
/* A copy of the caller's socket at fd (pidfd_getfd), checked: fd or -errno. */
int ud_nl_grab(struct ud_call *c, struct ud_nl_sock *s, int fd);

/* ---- the calls (rdma_nl_calls.c) ---- */
/* A trapped call on s: answers it (or lets it run). */
void ud_nl_call(struct ud_call *c, struct ud_nl_sock *s);

/* ---- the kernel side (rdma_nl_rcv.c) ---- */
/* A datagram sent to the kernel (port id 0): serve its requests. */
void ud_nl_rcv(struct uodpd *d, struct ud_nl_sock *s,
	       const struct ud_nl_caller *who, const uint8_t *buf, size_t len);
/* After a receive: the running dump's next part, if the queue has room. */
void ud_nl_dump_continue(struct uodpd *d, struct ud_nl_sock *s);
/* End a running dump without its DONE (the socket goes). */
void ud_nl_dump_abort(struct ud_nl_sock *s);
/* Append msg (a complete message) to p: 0, or -EMSGSIZE if it does not fit. */
struct nl_msg;
int ud_nl_part_put(struct ud_nl_part *p, struct nl_msg *msg);
/* A new message for p: type op, the asker's port id and seq; NULL: no room. */
struct nl_msg *ud_nl_part_msg(const struct ud_nl_part *p, uint16_t op,
			      int flags);

/* ---- the nldev commands (nldev.c) ---- */
/* The request's arguments from its parsed attributes. */
void ud_nldev_args(struct nlattr **tb, struct ud_nl_args *a);
/* Whether op needs CAP_NET_ADMIN (RDMA_NL_ADMIN_PERM). */
bool ud_nldev_admin_op(uint16_t op);
/* Whether op has a doit, a dumpit. */
bool ud_nldev_has_doit(uint16_t op);
bool ud_nldev_has_dumpit(uint16_t op);
/* Whether op's dump parses its request (a malformed one then fails it). */
bool ud_nldev_dump_parses(uint16_t op);
/* op's doit: its reply in out, 0 or -errno. */
int ud_nldev_doit(struct uodpd *d, uint16_t op, const struct ud_nl_args *a,
		  const struct ud_nl_caller *who, struct ud_nl_part *out);
/* The next part of dump: > 0 messages put, 0 nothing left, or -errno. */
int ud_nldev_dumpit(struct uodpd *d, struct ud_nl_dump *dump,
		    struct ud_nl_part *out);

#endif /* UODPD_RDMA_NL_H */
