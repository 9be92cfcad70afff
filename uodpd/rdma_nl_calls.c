// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The system calls on a NETLINK_RDMA socket (rdma_nl.h), answered as
 * af_netlink.c and the socket layer (net/socket.c) answer them: bind,
 * connect, getsockname, getpeername, setsockopt, getsockopt, sendto,
 * sendmsg, write, recvfrom, recvmsg, read and shutdown.  The caller's
 * memory is read and written with process_vm; the fstat family, ioctl and
 * the SOL_SOCKET options other than the socket's identity run on the
 * socket itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/netlink.h>

#include "rdma_nl.h"
#include "uverbs.h"

#define NL_ADDR_LEN ((int)sizeof(struct sockaddr_nl))
#define NL_MAX_IOV 1024			/* UIO_MAXIOV */

/* Where a send's bytes are, or where a receive's go. */
struct nl_io {
	struct iovec *iov;		/* the caller's addresses */
	size_t niov;
	struct iovec one;
	uint64_t name;			/* sockaddr, or 0 */
	uint64_t namelen;		/* send: the length; receive: its address */
	uint64_t msghdr;		/* recvmsg: where msg_flags go, or 0 */
	int flags;			/* MSG_* */
};

static int caller(struct ud_call *c, struct ud_nl_caller *who)
{
	struct ud_creds cr;
	int ret = ud_call_creds(c, &cr);

	if (ret)
		return ret;
	who->tgid = cr.tgid;
	who->euid = cr.euid;
	who->net_admin = cr.net_admin;
	who->our_net_ns = ud_pid_same_ns(c->pid, "net");
	/* As uodp-stat's listing (ctl_odp.c's sees_all_users). */
	who->all_users = cr.net_admin || cr.euid == geteuid();
	ud_pid_ns_of(c->pid, cr.ns_tgid, &who->pid_ns);
	return 0;
}

/* ---- addresses ---- */

/* The caller's sockaddr_nl of len bytes at addr: 0, -EINVAL, -EFAULT. */
static int read_addr(struct ud_call *c, uint64_t addr, uint64_t len,
		     struct sockaddr_nl *nla)
{
	if (len < (uint64_t)NL_ADDR_LEN || len > sizeof(struct sockaddr_storage))
		return -EINVAL;
	if (ud_pid_read(c->pid, addr, nla, sizeof(*nla)))
		return -EFAULT;
	return nla->nl_family == AF_NETLINK ? 0 : -EINVAL;
}

/* move_addr_to_user: min(*ulen, klen) bytes, and klen into *ulen. */
static int put_addr(struct ud_call *c, const void *kaddr, int klen,
		    uint64_t uaddr, uint64_t ulen)
{
	int len;

	if (ud_pid_read(c->pid, ulen, &len, sizeof(len)))
		return -EFAULT;
	if (len > klen)
		len = klen;
	if (len < 0)
		return -EINVAL;
	if (len && ud_pid_write(c->pid, uaddr, kaddr, (size_t)len))
		return -EFAULT;
	return ud_pid_write(c->pid, ulen, &klen, sizeof(klen)) ? -EFAULT : 0;
}

static void do_bind(struct ud_call *c, struct ud_nl_sock *s)
{
	struct ud_nl_caller who;
	struct sockaddr_nl nla;
	int ret = read_addr(c, c->args[1], c->args[2], &nla);

	if (!ret)
		ret = caller(c, &who);
	if (!ret && nla.nl_groups && !who.net_admin)
		ret = -EPERM;
	if (!ret && s->bound && nla.nl_pid != s->portid)
		ret = -EINVAL;
	if (!ret && !s->bound && nla.nl_pid)
		ret = ud_nl_bind(c->d, s, nla.nl_pid);
	if (!ret)
		ret = ud_nl_autobind(c->d, s, who.tgid);
	if (!ret)
		s->groups = nla.nl_groups;
	if (ret)
		ud_call_fail(c, ret);
	else
		ud_call_return(c, 0);
}

static void do_connect(struct ud_call *c, struct ud_nl_sock *s)
{
	struct sockaddr_nl nla = { 0 };
	struct ud_nl_caller who;
	int ret = 0;

	if (c->args[2] < sizeof(sa_family_t) ||
	    c->args[2] > sizeof(struct sockaddr_storage))
		ret = -EINVAL;
	else if (ud_pid_read(c->pid, c->args[1], &nla, sizeof(sa_family_t)))
		ret = -EFAULT;
	if (!ret && nla.nl_family == AF_UNSPEC) {
		s->dst_portid = 0;
		s->dst_group = 0;
		ud_call_return(c, 0);
		return;
	}
	if (!ret)
		ret = read_addr(c, c->args[1], c->args[2], &nla);
	if (!ret)
		ret = caller(c, &who);
	if (!ret && (nla.nl_pid || nla.nl_groups) && !who.net_admin)
		ret = -EPERM;
	if (!ret)
		ret = ud_nl_autobind(c->d, s, who.tgid);
	if (ret) {
		ud_call_fail(c, ret);
		return;
	}
	s->dst_portid = nla.nl_pid;
	s->dst_group = (uint32_t)ffs((int)nla.nl_groups);
	ud_call_return(c, 0);
}

static void do_getname(struct ud_call *c, struct ud_nl_sock *s, bool peer)
{
	struct sockaddr_nl nla = { .nl_family = AF_NETLINK };
	int ret;

	if (peer) {
		nla.nl_pid = s->dst_portid;
		nla.nl_groups = s->dst_group ? 1u << (s->dst_group - 1) : 0;
	} else {
		nla.nl_pid = s->portid;
		nla.nl_groups = s->groups;
	}
	ret = put_addr(c, &nla, NL_ADDR_LEN, c->args[1], c->args[2]);
	if (ret)
		ud_call_fail(c, ret);
	else
		ud_call_return(c, 0);
}

/* ---- options ---- */

/* The flag an option sets, or -ENOPROTOOPT; groups are their own. */
static int option_flag(int name)
{
	switch (name) {
	case NETLINK_PKTINFO:
	case NETLINK_BROADCAST_ERROR:
	case NETLINK_NO_ENOBUFS:
	case NETLINK_LISTEN_ALL_NSID:
	case NETLINK_CAP_ACK:
	case NETLINK_EXT_ACK:
	case NETLINK_GET_STRICT_CHK:
		return name;
	default:
		return -ENOPROTOOPT;
	}
}

static int set_membership(struct ud_call *c, struct ud_nl_sock *s, int name,
			  uint32_t val)
{
	struct ud_nl_caller who;
	int ret = caller(c, &who);

	if (ret)
		return ret;
	if (!who.net_admin)
		return -EPERM;
	if (!val || val - 1 >= UD_NL_NGROUPS)
		return -EINVAL;
	if (name == NETLINK_ADD_MEMBERSHIP)
		s->groups |= 1u << (val - 1);
	else
		s->groups &= ~(1u << (val - 1));
	return 0;
}

static void do_setsockopt(struct ud_call *c, struct ud_nl_sock *s)
{
	int level = (int)c->args[1], name = (int)c->args[2], flag;
	uint32_t val = 0;
	int ret = 0;

	if (level == SOL_SOCKET) {
		ud_call_continue(c);	/* the socket layer's own */
		return;
	}
	if (level != SOL_NETLINK) {
		ud_call_fail(c, -ENOPROTOOPT);
		return;
	}
	if (c->args[4] >= sizeof(int) &&
	    ud_pid_read(c->pid, c->args[3], &val, sizeof(val)))
		ret = -EFAULT;
	else if (name == NETLINK_ADD_MEMBERSHIP ||
		 name == NETLINK_DROP_MEMBERSHIP)
		ret = set_membership(c, s, name, val);
	else if ((flag = option_flag(name)) < 0)
		ret = flag;
	else if (name == NETLINK_LISTEN_ALL_NSID &&
		 !ud_call_capable(c, CAP_NET_BROADCAST))
		ret = -EPERM;
	else if (val)
		s->flags |= 1u << flag;
	else
		s->flags &= ~(1u << flag);
	if (ret)
		ud_call_fail(c, ret);
	else
		ud_call_return(c, 0);
}

/* An int option's value into optval and optlen (len read), as sk_getsockopt. */
static int put_int_option(struct ud_call *c, int val, int len, bool short_ok)
{
	if (!short_ok && len < (int)sizeof(int))
		return -EINVAL;
	if (len > (int)sizeof(int))
		len = sizeof(int);
	if (ud_pid_write(c->pid, c->args[3], &val, (size_t)len) ||
	    ud_pid_write(c->pid, c->args[4], &len, sizeof(len)))
		return -EFAULT;
	return 0;
}

static int socket_identity(struct ud_call *c, struct ud_nl_sock *s, int name,
			   int len)
{
	switch (name) {
	case SO_TYPE:
		return put_int_option(c, s->type, len, true);
	case SO_DOMAIN:
		return put_int_option(c, AF_NETLINK, len, true);
	case SO_PROTOCOL:
		return put_int_option(c, NETLINK_RDMA, len, true);
	default:
		return 1;		/* the socket's own */
	}
}

/* NETLINK_LIST_MEMBERSHIPS: ngroups bits as u32s, their size told always. */
static int list_memberships(struct ud_call *c, struct ud_nl_sock *s, int len)
{
	if (len >= (int)sizeof(uint32_t) &&
	    ud_pid_write(c->pid, c->args[3], &s->groups, sizeof(s->groups)))
		return -EFAULT;
	len = UD_NL_NGROUPS / 8;
	return ud_pid_write(c->pid, c->args[4], &len, sizeof(len)) ? -EFAULT : 0;
}

static int netlink_option(struct ud_call *c, struct ud_nl_sock *s, int name,
			  int len)
{
	int flag;

	if (name == NETLINK_LIST_MEMBERSHIPS)
		return list_memberships(c, s, len);
	flag = option_flag(name);
	if (flag < 0)
		return flag;
	return put_int_option(c, !!(s->flags & (1u << flag)), len, false);
}

static void do_getsockopt(struct ud_call *c, struct ud_nl_sock *s)
{
	int level = (int)c->args[1], name = (int)c->args[2], len = 0, ret = 0;

	/* Both levels read optlen first; another level never reads it. */
	if (level != SOL_SOCKET && level != SOL_NETLINK)
		ret = -ENOPROTOOPT;
	else if (ud_pid_read(c->pid, c->args[4], &len, sizeof(len)))
		ret = -EFAULT;
	else if (len < 0)
		ret = -EINVAL;
	else if (level == SOL_SOCKET)
		ret = socket_identity(c, s, name, len);
	else
		ret = netlink_option(c, s, name, len);
	if (ret > 0)
		ud_call_continue(c);
	else if (ret)
		ud_call_fail(c, ret);
	else
		ud_call_return(c, 0);
}

/* ---- sending ---- */

/* The caller's iovec array of n at addr into io: 0 or -errno. */
static int read_iov(struct ud_call *c, uint64_t addr, uint64_t n,
		    struct nl_io *io)
{
	if (n > NL_MAX_IOV)
		return -EMSGSIZE;
	io->niov = n;
	if (!n)
		return 0;
	io->iov = calloc(n, sizeof(*io->iov));
	if (!io->iov)
		return -ENOMEM;
	return ud_pid_read(c->pid, addr, io->iov, n * sizeof(*io->iov)) ?
		       -EFAULT : 0;
}

/* sendmsg/recvmsg: the msghdr's name, iovecs and, for a receive, itself. */
static int read_msghdr(struct ud_call *c, uint64_t addr, struct nl_io *io,
		       bool recv)
{
	struct msghdr m;

	if (ud_pid_read(c->pid, addr, &m, sizeof(m)))
		return -EFAULT;
	io->name = (uint64_t)(uintptr_t)m.msg_name;
	io->namelen = recv ? addr + offsetof(struct msghdr, msg_namelen) :
			     m.msg_namelen;
	if (!recv && !io->name)
		io->namelen = 0;
	io->msghdr = recv ? addr : 0;
	return read_iov(c, (uint64_t)(uintptr_t)m.msg_iov, m.msg_iovlen, io);
}

static void io_single(struct nl_io *io, uint64_t buf, uint64_t len)
{
	io->one.iov_base = (void *)(uintptr_t)buf;
	io->one.iov_len = len;
	io->iov = &io->one;
	io->niov = 1;
}

static void io_free(struct nl_io *io)
{
	if (io->iov != &io->one)
		free(io->iov);
}

static int io_total(const struct nl_io *io, size_t *total)
{
	size_t i;

	*total = 0;
	for (i = 0; i < io->niov; i++) {
		if ((ssize_t)io->iov[i].iov_len < 0)
			return -EINVAL;
		*total += io->iov[i].iov_len;
		if (*total > 0x7ffff000)	/* MAX_RW_COUNT */
			return -EINVAL;
	}
	return 0;
}

/* The bytes of a send, gathered into buf (UD_NL_MAX_SEND). */
static int gather(struct ud_call *c, const struct nl_io *io, uint8_t *buf,
		  size_t total)
{
	size_t i, off = 0;

	for (i = 0; i < io->niov && off < total; i++) {
		if (!io->iov[i].iov_len)
			continue;
		if (ud_pid_read(c->pid, (uint64_t)(uintptr_t)io->iov[i].iov_base,
				buf + off, io->iov[i].iov_len))
			return -EFAULT;
		off += io->iov[i].iov_len;
	}
	return 0;
}

/* netlink_sendmsg: the destination, then the kernel or a peer socket. */
static int64_t nl_send(struct ud_call *c, struct ud_nl_sock *s,
		       const struct nl_io *io)
{
	uint32_t dst_portid = s->dst_portid, dst_group = s->dst_group;
	struct sockaddr_nl nla = { 0 };
	struct ud_nl_caller who;
	struct ud_nl_sock *peer;
	size_t total;
	int ret;

	if (io->flags & MSG_OOB)
		return -EOPNOTSUPP;
	ret = io_total(io, &total);
	if (!ret && io->namelen) {
		ret = read_addr(c, io->name, io->namelen, &nla);
		dst_portid = nla.nl_pid;
		dst_group = (uint32_t)ffs((int)nla.nl_groups);
	}
	if (!ret)
		ret = caller(c, &who);
	if (!ret && (dst_portid || dst_group) && !who.net_admin)
		ret = -EPERM;
	if (!ret)
		ret = ud_nl_autobind(c->d, s, who.tgid);
	if (!ret && total > UD_NL_MAX_SEND)
		ret = -EMSGSIZE;
	if (!ret)
		ret = gather(c, io, c->d->bounce, total);
	if (ret)
		return ret;
	/* A group has no member here but the kernel, as for RDMA's own. */
	if (!dst_portid) {
		ud_nl_rcv(c->d, s, &who, c->d->bounce, total);
		return (int64_t)total;
	}
	peer = ud_nl_by_portid(c->d, dst_portid);
	if (!peer)
		return -ECONNREFUSED;
	ud_nl_queue(peer, c->d->bounce, total);
	return (int64_t)total;
}

static void do_send(struct ud_call *c, struct ud_nl_sock *s)
{
	struct nl_io io = { 0 };
	int64_t ret = 0;

	switch (c->nr) {
	case SYS_write:
		io_single(&io, c->args[1], c->args[2]);
		break;
	case SYS_sendto:
		io_single(&io, c->args[1], c->args[2]);
		io.flags = (int)c->args[3];
		io.name = c->args[4];
		io.namelen = io.name ? c->args[5] : 0;
		break;
	default:		/* sendmsg */
		io.flags = (int)c->args[2];
		ret = read_msghdr(c, c->args[1], &io, false);
		break;
	}
	if (!ret)
		ret = nl_send(c, s, &io);
	io_free(&io);
	if (ret < 0)
		ud_call_fail(c, (int)ret);
	else
		ud_call_return(c, ret);
}

/* ---- receiving ---- */

/* The received bytes into the caller's iovecs. */
static int scatter(struct ud_call *c, const struct nl_io *io,
		   const uint8_t *buf, size_t len)
{
	struct ud_pid_iov *piov;
	size_t i, n = 0, off = 0, chunk;
	int ret;

	if (!len)
		return 0;
	piov = calloc(io->niov, sizeof(*piov));
	if (!piov)
		return -ENOMEM;
	for (i = 0; i < io->niov && off < len; i++) {
		chunk = io->iov[i].iov_len < len - off ? io->iov[i].iov_len :
							 len - off;
		if (!chunk)
			continue;
		piov[n].pva = (uint64_t)(uintptr_t)io->iov[i].iov_base;
		piov[n].local = (void *)(buf + off);
		piov[n].len = chunk;
		n++;
		off += chunk;
	}
	ret = ud_pid_writev(c->pid, piov, (unsigned int)n);
	free(piov);
	return ret ? -EFAULT : 0;
}

/* The source address (the kernel, port 0), msg_flags and msg_controllen. */
static int put_recv_meta(struct ud_call *c, const struct nl_io *io,
			 int msg_flags)
{
	struct sockaddr_nl nla = { .nl_family = AF_NETLINK };
	size_t controllen = 0;
	int ret = 0;

	if (io->name)
		ret = put_addr(c, &nla, NL_ADDR_LEN, io->name, io->namelen);
	if (!ret && io->msghdr &&
	    (ud_pid_write(c->pid, io->msghdr + offsetof(struct msghdr,
							msg_flags),
			  &msg_flags, sizeof(msg_flags)) ||
	     ud_pid_write(c->pid, io->msghdr + offsetof(struct msghdr,
							msg_controllen),
			  &controllen, sizeof(controllen))))
		ret = -EFAULT;
	return ret;
}

/*
 * One datagram off the queue through the copy, as netlink_recvmsg: 1 and
 * its length (the whole length for MSG_TRUNC), 0 when the queue is empty,
 * or -errno.
 */
static int take_datagram(struct ud_call *c, int copy, const struct nl_io *io,
			 size_t total, int64_t *got)
{
	struct iovec v = {
		.iov_base = c->d->bounce,
		.iov_len = total < UD_BOUNCE_SIZE ? total : UD_BOUNCE_SIZE,
	};
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
	size_t copied;
	ssize_t n;
	int ret;

	n = recvmsg(copy, &m, MSG_DONTWAIT |
		    (io->flags & (MSG_PEEK | MSG_TRUNC)));
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	copied = (size_t)n < v.iov_len ? (size_t)n : v.iov_len;
	ret = scatter(c, io, c->d->bounce, copied);
	if (!ret)
		ret = put_recv_meta(c, io, m.msg_flags & MSG_TRUNC);
	*got = n;
	return ret ? ret : 1;
}

static int64_t nl_recv(struct ud_call *c, struct ud_nl_sock *s,
		       const struct nl_io *io, bool *wait)
{
	int64_t got = 0;
	size_t total;
	int copy, ret;

	if (io->flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->pending_err) {
		ret = -s->pending_err;
		s->pending_err = 0;
		return ret;
	}
	ret = io_total(io, &total);
	copy = ret ? ret : ud_nl_grab(c, s, (int)c->args[0]);
	if (copy < 0)
		return copy;
	ret = take_datagram(c, copy, io, total, &got);
	/* Nothing waits: a blocking reader sleeps in its own receive. */
	if (!ret && !(io->flags & MSG_DONTWAIT) &&
	    !(fcntl(copy, F_GETFL) & O_NONBLOCK))
		*wait = true;
	close(copy);
	if (!ret)
		return -EAGAIN;
	if (ret < 0)
		return ret;
	if (total > s->max_recv_len)
		s->max_recv_len = total < UD_NL_RECV_LEN_MAX ? (uint32_t)total :
							       UD_NL_RECV_LEN_MAX;
	ud_nl_dump_continue(c->d, s);
	return got;
}

static void do_recv(struct ud_call *c, struct ud_nl_sock *s)
{
	struct nl_io io = { 0 };
	bool wait = false;
	int64_t ret = 0;

	switch (c->nr) {
	case SYS_read:
		io_single(&io, c->args[1], c->args[2]);
		break;
	case SYS_recvfrom:
		io_single(&io, c->args[1], c->args[2]);
		io.flags = (int)c->args[3];
		io.name = c->args[4];
		io.namelen = c->args[5];
		if (!io.namelen)
			io.name = 0;
		break;
	default:		/* recvmsg */
		io.flags = (int)c->args[2];
		ret = read_msghdr(c, c->args[1], &io, true);
		break;
	}
	if (!ret)
		ret = nl_recv(c, s, &io, &wait);
	io_free(&io);
	if (wait)
		ud_call_continue(c);
	else if (ret < 0)
		ud_call_fail(c, (int)ret);
	else
		ud_call_return(c, ret);
}

void ud_nl_call(struct ud_call *c, struct ud_nl_sock *s)
{
	switch (c->nr) {
	case SYS_bind:
		do_bind(c, s);
		break;
	case SYS_connect:
		do_connect(c, s);
		break;
	case SYS_getsockname:
		do_getname(c, s, false);
		break;
	case SYS_getpeername:
		do_getname(c, s, true);
		break;
	case SYS_setsockopt:
		do_setsockopt(c, s);
		break;
	case SYS_getsockopt:
		do_getsockopt(c, s);
		break;
	case SYS_write:
	case SYS_sendto:
	case SYS_sendmsg:
		do_send(c, s);
		break;
	case SYS_read:
	case SYS_recvfrom:
	case SYS_recvmsg:
		do_recv(c, s);
		break;
	case SYS_shutdown:
		ud_call_fail(c, -EOPNOTSUPP);	/* sock_no_shutdown */
		break;
	}
	ud_call_continue(c);	/* fstat, ioctl: the socket's own */
}
