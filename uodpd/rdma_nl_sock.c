// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * A NETLINK_RDMA socket's life (rdma_nl.h).  socket() gives the process
 * one end of an AF_UNIX SOCK_SEQPACKET pair at a command fd number; we
 * keep the other.  Replies are datagrams sent from our end, so they wait
 * in the process's receive queue as they would in a netlink socket's, and
 * poll, epoll, select and FIONREAD are the kernel's own.  SEQPACKET, not
 * DGRAM, because its end hangs up when the last file of the other end
 * goes (close, exec, exit, in any process that shares it): that hang-up
 * is the release.  Our end never holds the process's end open, so a
 * receive reaches the queue through a pidfd_getfd() copy taken per call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "loop.h"
#include "rdma_nl.h"
#include "uverbs.h"

#define NL_HASH_SIZE (sizeof(((struct uodpd *)0)->nl_sock_hash) / \
		      sizeof(((struct uodpd *)0)->nl_sock_hash[0]))
#define NL_PORT_HASH_SIZE (sizeof(((struct uodpd *)0)->nl_port_hash) / \
			   sizeof(((struct uodpd *)0)->nl_port_hash[0]))
#define NL_SOCK_FDS 1u			/* our end */
#define NL_SOCK_MAX 65536u		/* sockets of all processes */
#define NL_AUTOBIND_START (-4096)	/* netlink_autobind's rover */

static struct list_head *hash_head(struct uodpd *d, ino_t ino)
{
	return &d->nl_sock_hash[ino % NL_HASH_SIZE];
}

int ud_nl_init(struct uodpd *d)
{
	unsigned int i;

	for (i = 0; i < NL_HASH_SIZE; i++)
		list_head_init(&d->nl_sock_hash[i]);
	for (i = 0; i < NL_PORT_HASH_SIZE; i++)
		list_head_init(&d->nl_port_hash[i]);
	d->nl_rover = NL_AUTOBIND_START;
	ud_idr_init(&d->nl_socks, 1, NL_SOCK_MAX);
	return 0;
}

static void sock_free(struct uodpd *d, struct ud_nl_sock *s)
{
	ud_dbg("netlink socket %u (port %u) released", s->id, s->portid);
	ud_nl_dump_abort(s);
	if (s->peer_fd >= 0) {
		ud_loop_unwatch(d, s->peer_fd);
		close(s->peer_fd);
	}
	list_del(&s->hash_link);
	list_del(&s->port_link);
	ud_fd_share_give(d, &s->fds, NL_SOCK_FDS);
	ud_idr_remove(&d->nl_socks, s->id);
	free(s);
}

void ud_nl_fini(struct uodpd *d)
{
	struct ud_nl_sock *s;
	uint32_t i;

	for (i = 0; i < d->nl_socks.cap; i++) {
		s = ud_idr_at(&d->nl_socks, i);
		if (s)
			sock_free(d, s);
	}
	ud_idr_destroy(&d->nl_socks);
}

void ud_nl_sock_ready(struct uodpd *d, uint32_t id, uint32_t events)
{
	struct ud_nl_sock *s = ud_idr_find(&d->nl_socks, id);

	if (s && (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)))
		sock_free(d, s);
}

/* ---- lookup ---- */

struct ud_nl_sock *ud_nl_by_inode(struct uodpd *d, dev_t dev, ino_t ino)
{
	struct ud_nl_sock *s;

	list_for_each(hash_head(d, ino), s, struct ud_nl_sock, hash_link)
		if (s->st_ino == ino && s->st_dev == dev)
			return s;
	return NULL;
}

static struct list_head *port_head(struct uodpd *d, uint32_t portid)
{
	return &d->nl_port_hash[portid % NL_PORT_HASH_SIZE];
}

struct ud_nl_sock *ud_nl_by_portid(struct uodpd *d, uint32_t portid)
{
	struct ud_nl_sock *s;

	list_for_each(port_head(d, portid), s, struct ud_nl_sock, port_link)
		if (s->portid == portid)
			return s;
	return NULL;
}

int ud_nl_bind(struct uodpd *d, struct ud_nl_sock *s, uint32_t portid)
{
	if (ud_nl_by_portid(d, portid))
		return -EADDRINUSE;
	s->portid = portid;
	s->bound = true;
	list_add_tail(port_head(d, portid), &s->port_link);
	return 0;
}

int ud_nl_autobind(struct uodpd *d, struct ud_nl_sock *s, pid_t tgid)
{
	uint32_t tries;

	if (s->bound)
		return 0;
	/* The thread group's id first, then the rover counting down. */
	if (tgid > 0 && !ud_nl_bind(d, s, (uint32_t)tgid))
		return 0;
	/* At most one try per socket there is, and one more. */
	for (tries = 0; tries <= d->nl_socks.cap; tries++) {
		int32_t port = d->nl_rover;

		d->nl_rover = port > NL_AUTOBIND_START || port == INT32_MIN ?
				      NL_AUTOBIND_START : port - 1;
		if (!ud_nl_bind(d, s, (uint32_t)port))
			return 0;
	}
	return -EADDRINUSE;
}

/* ---- the receive queue ---- */

int ud_nl_queue(struct ud_nl_sock *s, const void *buf, size_t len)
{
	if (send(s->peer_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) ==
	    (ssize_t)len)
		return 0;
	/* Full (or the reader is gone): netlink_overrun. */
	if (!(s->flags & (1u << NETLINK_NO_ENOBUFS)))
		s->pending_err = ENOBUFS;
	return -ENOBUFS;
}

bool ud_nl_queue_has_room(struct ud_nl_sock *s)
{
	int queued = 0;

	if (ioctl(s->peer_fd, SIOCOUTQ, &queued))
		return false;
	return queued <= s->sndbuf / 2;
}

int ud_nl_grab(struct ud_call *c, struct ud_nl_sock *s, int fd)
{
	struct stat st;
	pid_t tgid = ud_call_tgid(c);
	int pidfd, copy;

	if (tgid < 0)
		return tgid;
	pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
	if (pidfd < 0)
		return -errno;
	copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	if (copy < 0)
		return -errno;
	/* The number may have been reused since the call was trapped. */
	if (fstat(copy, &st) || st.st_dev != s->st_dev ||
	    st.st_ino != s->st_ino) {
		close(copy);
		return -EBADF;
	}
	return copy;
}

/* ---- socket() ---- */

static struct ud_nl_sock *sock_new(struct uodpd *d, int type)
{
	struct ud_nl_sock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->peer_fd = -1;
	s->type = type;
	list_node_init(&s->hash_link);
	list_node_init(&s->port_link);
	s->id = ud_idr_alloc(&d->nl_socks, s);
	if (!s->id) {
		free(s);
		return NULL;
	}
	if (ud_fd_share_take(d, &s->fds, NL_SOCK_FDS)) {
		ud_idr_remove(&d->nl_socks, s->id);
		free(s);
		return NULL;
	}
	return s;
}

/* The pair: our end watched for the hang-up, the process's end in *give. */
static int sock_pair(struct uodpd *d, struct ud_nl_sock *s, bool nonblock,
		     int *give)
{
	socklen_t len = sizeof(s->sndbuf);
	struct stat st;
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	s->peer_fd = sv[1];
	ret = 0;
	if (nonblock && fcntl(sv[0], F_SETFL, O_NONBLOCK))
		ret = -errno;
	if (!ret && fstat(sv[0], &st))
		ret = -errno;
	/* Ours alone sets our end's send buffer: read it once. */
	if (!ret && getsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &s->sndbuf, &len))
		ret = -errno;
	if (!ret)
		ret = ud_loop_watch_events(d, sv[1], EPOLLRDHUP, UD_EP_NL_SOCK,
					   s->id);
	if (ret) {
		close(sv[0]);
		return ret;
	}
	s->st_dev = st.st_dev;
	s->st_ino = st.st_ino;
	*give = sv[0];
	return 0;
}

static int socket_type(uint64_t arg, int *type, bool *nonblock)
{
	int flags = (int)arg & ~0xf;

	/* __sys_socket, then netlink_create. */
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	*type = (int)arg & 0xf;
	*nonblock = flags & SOCK_NONBLOCK;
	if (*type != SOCK_RAW && *type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	return 0;
}

void ud_nl_socket(struct ud_call *c)
{
	struct uodpd *d = c->d;
	struct ud_nl_sock *s;
	int give = -1, number, type, ret;
	pid_t tgid = ud_call_tgid(c);
	bool nonblock;

	ret = tgid < 0 ? tgid : socket_type(c->args[1], &type, &nonblock);
	if (ret) {
		ud_call_fail(c, ret);
		return;
	}
	s = sock_new(d, type);
	if (!s) {
		ud_call_fail(c, -ENFILE);
		return;
	}
	ret = sock_pair(d, s, nonblock, &give);
	number = ret ? ret : ud_free_cmdfd_number(c->pid, tgid);
	if (number < 0) {
		ret = number;
		goto err;
	}
	list_add_tail(hash_head(d, s->st_ino), &s->hash_link);
	ret = ud_call_install_fd(c, give, number, c->args[1] & SOCK_CLOEXEC,
				 true);
	if (ret < 0)
		goto err;
	close(give);
	ud_dbg("netlink socket %u made by pid %d as fd %d", s->id, (int)c->pid,
	       number);
	return;

err:
	if (give >= 0)
		close(give);
	sock_free(d, s);
	ud_call_fail(c, ret);
}
