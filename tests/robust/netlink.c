// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * RDMA netlink spoken raw (run inside uodp-run with --devices 3), hostile
 * uses next to the plain ones: the socket lands in the trapped range and
 * says it is AF_NETLINK/NETLINK_RDMA; only RAW and DGRAM exist; binds
 * autobind to the pid, refuse a port in use and a rebind; a GET dump comes
 * in parts of NLM_F_MULTI messages, then NLMSG_DONE, each with the port id
 * and seq; a second dump while one runs is EBUSY; acks carry the request
 * unless NETLINK_CAP_ACK; bad indexes, clients and ops are EINVAL, the
 * ops that change state EPERM without CAP_NET_ADMIN; MSG_PEEK, MSG_TRUNC,
 * a short buffer, an empty queue (EAGAIN, poll), an overrun (ENOBUFS once,
 * none with NETLINK_NO_ENOBUFS); a send to another socket needs
 * CAP_NET_ADMIN; a forked child keeps a socket its parent closed; a
 * child killed mid-dump leaves the device serving; a closed socket's port
 * is free again; GET_CHARDEV names uverbs and rdma_cm.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <rdma/rdma_netlink.h>

#include "lib/report.h"
#include "uodpd/supervise.h"

#define NDEVICES 3
#define NLDEV(op) RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, op)

/* ---- building requests ---- */

struct req {
	union {
		struct nlmsghdr nlh;
		uint8_t buf[1024];
	};
};

static uint32_t next_seq = 100;

static void req_init(struct req *r, uint16_t type, uint16_t flags)
{
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_HDRLEN;
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->nlh.nlmsg_seq = next_seq++;
}

static void req_attr(struct req *r, uint16_t type, const void *data,
		     size_t len)
{
	struct nlattr *a = (struct nlattr *)(r->buf + r->nlh.nlmsg_len);

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	r->nlh.nlmsg_len += NLA_ALIGN(a->nla_len);
}

static void req_u32(struct req *r, uint16_t type, uint32_t v)
{
	req_attr(r, type, &v, sizeof(v));
}

static void req_str(struct req *r, uint16_t type, const char *s)
{
	req_attr(r, type, s, strlen(s) + 1);
}

static int nl_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_RDMA);

	if (fd < 0)
		test_die("socket(AF_NETLINK, NETLINK_RDMA)", errno);
	return fd;
}

static int send_req(int fd, const struct req *r)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (sendto(fd, r->buf, r->nlh.nlmsg_len, 0,
		   (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/* One datagram, nonblocking: its length, or -errno. */
static ssize_t recv_dgram(int fd, void *buf, size_t len, int flags)
{
	ssize_t n = recv(fd, buf, len, flags | MSG_DONTWAIT);

	return n < 0 ? -errno : n;
}

static uint32_t portid_of(int fd)
{
	struct sockaddr_nl nla;
	socklen_t len = sizeof(nla);

	if (getsockname(fd, (struct sockaddr *)&nla, &len))
		return 0;
	return nla.nl_pid;
}

/* The status of the NLMSG_ERROR answering seq (the next datagram). */
static int read_ack(int fd, uint32_t seq, uint16_t *flags, uint32_t *len)
{
	uint8_t buf[8192];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	ssize_t n = recv_dgram(fd, buf, sizeof(buf), 0);
	struct nlmsgerr *e = NLMSG_DATA(nlh);

	if (n < (ssize_t)(NLMSG_HDRLEN + sizeof(*e)) ||
	    nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq != seq)
		return 1;	/* not an ack: no errno is 1 */
	if (flags)
		*flags = nlh->nlmsg_flags;
	if (len)
		*len = nlh->nlmsg_len;
	return e->error;
}

static struct nlattr *find_attr(struct nlmsghdr *nlh, uint16_t type)
{
	int left = (int)nlh->nlmsg_len - NLMSG_HDRLEN;
	struct nlattr *a = (struct nlattr *)NLMSG_DATA(nlh);

	while (left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= left) {
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		left -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((uint8_t *)a + NLA_ALIGN(a->nla_len));
	}
	return NULL;
}

static void *attr_data(struct nlattr *a)
{
	return (uint8_t *)a + NLA_HDRLEN;
}

/* ---- the socket ---- */

static void check_socket(void)
{
	int fd = nl_socket(), v;
	socklen_t len = sizeof(v);

	test_check(fd >= UD_CMDFD_BASE && fd < UD_CMDFD_BASE + UD_CMDFD_COUNT,
		   "the netlink socket is at %d, in the trapped range", fd);
	test_check(!getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) &&
		   v == AF_NETLINK, "SO_DOMAIN is AF_NETLINK");
	test_check(!getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) &&
		   v == NETLINK_RDMA, "SO_PROTOCOL is NETLINK_RDMA");
	test_check(!getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) &&
		   v == SOCK_RAW, "SO_TYPE is SOCK_RAW");
	close(fd);
	fd = socket(AF_NETLINK, SOCK_STREAM, NETLINK_RDMA);
	test_check(fd < 0 && errno == ESOCKTNOSUPPORT,
		   "SOCK_STREAM: ESOCKTNOSUPPORT (%s)", strerror(errno));
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK, NETLINK_RDMA);
	test_check(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK),
		   "SOCK_DGRAM | SOCK_NONBLOCK makes a nonblocking socket");
	test_check(!getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) &&
		   v == SOCK_DGRAM, "its SO_TYPE is SOCK_DGRAM");
	if (fd >= 0)
		close(fd);
	fd = nl_socket();
	test_check(shutdown(fd, SHUT_RDWR) && errno == EOPNOTSUPP,
		   "shutdown: EOPNOTSUPP");
	close(fd);
}

static void check_bind(void)
{
	struct sockaddr_nl nla = { .nl_family = AF_NETLINK };
	int a = nl_socket(), b = nl_socket(), ret;
	int32_t pb;
	uint32_t pa;

	test_check(!bind(a, (struct sockaddr *)&nla, sizeof(nla)),
		   "bind with pid 0 autobinds");
	pa = portid_of(a);
	test_check(pa == (uint32_t)getpid(),
		   "the first socket's port is the pid (%u)", pa);
	ret = bind(b, (struct sockaddr *)&nla, sizeof(nla));
	pb = (int32_t)portid_of(b);
	test_check(!ret && pb <= -4096, "the next autobinds below -4096 (%d)",
		   pb);
	close(b);
	b = nl_socket();
	nla.nl_pid = pa;
	test_check(bind(b, (struct sockaddr *)&nla, sizeof(nla)) &&
		   errno == EADDRINUSE, "a port in use: EADDRINUSE");
	nla.nl_pid = 77777;
	test_check(bind(b, (struct sockaddr *)&nla, 8) && errno == EINVAL,
		   "a short address: EINVAL");
	test_check(!bind(b, (struct sockaddr *)&nla, sizeof(nla)) &&
		   portid_of(b) == 77777, "an explicit port binds");
	nla.nl_pid = 77778;
	test_check(bind(b, (struct sockaddr *)&nla, sizeof(nla)) &&
		   errno == EINVAL, "a rebind to another port: EINVAL");
	nla.nl_family = AF_INET;
	test_check(bind(a, (struct sockaddr *)&nla, sizeof(nla)) &&
		   errno == EINVAL, "another family: EINVAL");
	close(a);
	close(b);
}

static uint32_t peer_portid(int fd, int *err)
{
	struct sockaddr_nl nla;
	socklen_t len = sizeof(nla);

	*err = getpeername(fd, (struct sockaddr *)&nla, &len) ? errno : 0;
	return nla.nl_pid;
}

static bool have_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	return !syscall(SYS_capget, &h, data) &&
	       (data[0].effective & (1u << CAP_NET_ADMIN));
}

/* connect: to the kernel by anyone, to another socket with CAP_NET_ADMIN. */
static void check_connect(void)
{
	struct sockaddr_nl nla = { .nl_family = AF_NETLINK };
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int fd = nl_socket(), err;
	uint32_t peer;

	peer = peer_portid(fd, &err);
	test_check(!err && !peer, "unconnected: the peer is the kernel (0)");
	err = connect(fd, (struct sockaddr *)&nla, sizeof(nla)) ? errno : 0;
	peer = portid_of(fd);
	test_check(!err && peer, "connect to the kernel autobinds (%u)", peer);
	nla.nl_pid = 4242;
	err = connect(fd, (struct sockaddr *)&nla, sizeof(nla)) ? errno : 0;
	if (have_net_admin()) {
		peer = peer_portid(fd, &err);
		test_check(!err && peer == 4242,
			   "with CAP_NET_ADMIN, connect to port 4242: its peer");
	} else {
		test_check(err == EPERM,
			   "without CAP_NET_ADMIN, connect to a port: EPERM");
	}
	test_check(!connect(fd, &unspec, sizeof(unspec)) &&
		   !peer_portid(fd, &err) && !err,
		   "connect(AF_UNSPEC) disconnects: the peer is the kernel");
	nla.nl_family = AF_INET;
	test_check(connect(fd, (struct sockaddr *)&nla, sizeof(nla)) &&
		   errno == EINVAL, "connect to another family: EINVAL");
	close(fd);
}

/* Groups: RDMA netlink has no unprivileged receivers (no NONROOT_RECV). */
static void check_memberships(void)
{
	int fd = nl_socket(), group = 3, ret;
	uint32_t groups = 0;
	socklen_t len = sizeof(groups);

	ret = setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
			 sizeof(group)) ? errno : 0;
	if (!have_net_admin()) {
		test_check(ret == EPERM, "ADD_MEMBERSHIP without CAP_NET_ADMIN: "
			   "EPERM");
		close(fd);
		return;
	}
	test_check(!ret, "ADD_MEMBERSHIP of group 3");
	ret = getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, &groups,
			 &len);
	test_check(!ret && groups == 1u << 2 && len == 4,
		   "LIST_MEMBERSHIPS: group 3's bit, 4 bytes (0x%x, %u)",
		   groups, len);
	test_check(!setsockopt(fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP,
			       &group, sizeof(group)) &&
		   !getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS,
			       &groups, &len) && !groups,
		   "DROP_MEMBERSHIP: no groups left");
	group = 33;
	test_check(setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
			      sizeof(group)) && errno == EINVAL,
		   "a group past the 32: EINVAL");
	close(fd);
}

/* ---- commands ---- */

/* NLMSG_OK, without its mix of signed and unsigned. */
static bool msg_fits(const struct nlmsghdr *nlh, int left)
{
	return left >= NLMSG_HDRLEN && nlh->nlmsg_len >= NLMSG_HDRLEN &&
	       nlh->nlmsg_len <= (unsigned int)left;
}

/*
 * A dump's replies up to its DONE: the DONE's status (1 if none came),
 * the messages before it in *msgs, and the last one in last (if given).
 */
static int dump_status(int fd, uint32_t seq, int *msgs, uint8_t *last,
		       size_t last_len)
{
	uint8_t buf[32768];
	int parts;

	*msgs = 0;
	for (parts = 0; parts < 64; parts++) {
		ssize_t n = recv_dgram(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		int left = (int)n;

		if (n <= 0)
			return 1;
		for (; msg_fits(nlh, left); left -= NLMSG_ALIGN(nlh->nlmsg_len),
		     nlh = (struct nlmsghdr *)((uint8_t *)nlh +
					       NLMSG_ALIGN(nlh->nlmsg_len))) {
			if (nlh->nlmsg_seq != seq)
				return 1;
			if (nlh->nlmsg_type == NLMSG_DONE)
				return *(int *)NLMSG_DATA(nlh);
			if (last && nlh->nlmsg_len <= last_len)
				memcpy(last, nlh, nlh->nlmsg_len);
			(*msgs)++;
		}
	}
	return 1;
}

/* A malformed dump: DONE with EINVAL where the dumpit parses it. */
static void check_dump_parse(int fd)
{
	uint8_t buf[16384];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct req r;
	int msgs = 0;

	req_init(&r, NLDEV(RDMA_NLDEV_CMD_PORT_GET), NLM_F_DUMP);
	req_attr(&r, RDMA_NLDEV_ATTR_DEV_INDEX, "ab", 2);
	send_req(fd, &r);
	test_check(recv_dgram(fd, buf, sizeof(buf), 0) == NLMSG_HDRLEN + 4 &&
		   nlh->nlmsg_type == NLMSG_DONE &&
		   *(int *)NLMSG_DATA(nlh) == -EINVAL,
		   "a PORT_GET dump with a 2-byte DEV_INDEX: DONE, EINVAL");
	/* GET's dump never reads its request: all the devices. */
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET), NLM_F_DUMP);
	req_attr(&r, RDMA_NLDEV_ATTR_DEV_INDEX, "ab", 2);
	send_req(fd, &r);
	test_check(dump_status(fd, r.nlh.nlmsg_seq, &msgs, NULL, 0) == 0 &&
		   msgs == NDEVICES, "a GET dump with it: every device (%d)",
		   msgs);
}

/* A GET dump: the devices' indexes in order, and DONE after the parts. */
static void check_dump(void)
{
	uint8_t buf[16384];
	struct req r;
	int fd = nl_socket(), devices = 0, parts = 0, bad = 0;
	bool done = false;
	uint32_t seq;

	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET), NLM_F_DUMP | NLM_F_ACK);
	seq = r.nlh.nlmsg_seq;
	test_check_ret(send_req(fd, &r), 0, "GET dump sent");
	while (!done && parts < 16) {
		ssize_t n = recv_dgram(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		int left = (int)n;

		if (n <= 0)
			break;
		parts++;
		for (; msg_fits(nlh, left); left -= NLMSG_ALIGN(nlh->nlmsg_len),
		     nlh = (struct nlmsghdr *)((uint8_t *)nlh +
					       NLMSG_ALIGN(nlh->nlmsg_len))) {
			struct nlattr *idx;

			bad += nlh->nlmsg_seq != seq ||
			       nlh->nlmsg_pid != portid_of(fd) ||
			       !(nlh->nlmsg_flags & NLM_F_MULTI);
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
				bad += *(int *)NLMSG_DATA(nlh) != 0;
				continue;
			}
			idx = find_attr(nlh, RDMA_NLDEV_ATTR_DEV_INDEX);
			bad += nlh->nlmsg_type != NLDEV(RDMA_NLDEV_CMD_GET) ||
			       !idx || *(uint32_t *)attr_data(idx) !=
			       (uint32_t)devices;
			devices++;
		}
	}
	test_check(done && devices == NDEVICES && !bad && parts >= 2,
		   "the dump: %d devices in %d parts, DONE last, %d bad", devices,
		   parts, bad);
	test_check(recv_dgram(fd, buf, sizeof(buf), 0) == -EAGAIN,
		   "no ack after a dump (NLM_F_ACK is DONE's)");
	/* Two dumps at once: the second is EBUSY (the first is not DONE). */
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET), NLM_F_DUMP);
	send_req(fd, &r);
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET), NLM_F_DUMP);
	send_req(fd, &r);
	test_check(recv_dgram(fd, buf, sizeof(buf), 0) > NLMSG_HDRLEN + 4,
		   "the first dump's first part");
	test_check(read_ack(fd, r.nlh.nlmsg_seq, NULL, NULL) == -EBUSY,
		   "a dump while one runs: EBUSY");
	test_check(recv_dgram(fd, buf, sizeof(buf), 0) == NLMSG_HDRLEN + 4,
		   "the first dump goes on to its DONE");
	check_dump_parse(fd);
	close(fd);
}

static void check_doit(void)
{
	uint8_t buf[8192];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nlattr *name;
	struct req r;
	uint32_t len = 0, one = 1;
	uint16_t flags = 0;
	int fd = nl_socket(), ret;
	ssize_t n;

	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET), NLM_F_ACK);
	req_u32(&r, RDMA_NLDEV_ATTR_DEV_INDEX, 2);
	send_req(fd, &r);
	n = recv_dgram(fd, buf, sizeof(buf), 0);
	name = n > 0 ? find_attr(nlh, RDMA_NLDEV_ATTR_DEV_NAME) : NULL;
	test_check(name && !strcmp(attr_data(name), "uodp2") &&
		   !(nlh->nlmsg_flags & NLM_F_MULTI),
		   "GET of index 2 is uodp2, one message");
	test_check(read_ack(fd, r.nlh.nlmsg_seq, &flags, NULL) == 0 &&
		   (flags & NLM_F_CAPPED), "then its ack, status 0, capped");
	/* A bad index: EINVAL, the request appended to the ack. */
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET), 0);
	req_u32(&r, RDMA_NLDEV_ATTR_DEV_INDEX, 99);
	send_req(fd, &r);
	ret = read_ack(fd, r.nlh.nlmsg_seq, &flags, &len);
	test_check(ret == -EINVAL && !(flags & NLM_F_CAPPED) &&
		   len == NLMSG_HDRLEN + sizeof(int) + r.nlh.nlmsg_len,
		   "an unknown index: EINVAL, the request appended (%u)", len);
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	send_req(fd, &r);
	ret = read_ack(fd, r.nlh.nlmsg_seq, &flags, &len);
	test_check(ret == -EINVAL && (flags & NLM_F_CAPPED) &&
		   len == NLMSG_HDRLEN + sizeof(struct nlmsgerr),
		   "with NETLINK_CAP_ACK: only the header (%u)", len);
	req_init(&r, RDMA_NL_GET_TYPE(RDMA_NL_LS, 1), 0);
	send_req(fd, &r);
	test_check(read_ack(fd, r.nlh.nlmsg_seq, NULL, NULL) == -EINVAL,
		   "another client: EINVAL");
	req_init(&r, NLDEV(RDMA_NLDEV_NUM_OPS + 3), 0);
	send_req(fd, &r);
	test_check(read_ack(fd, r.nlh.nlmsg_seq, NULL, NULL) == -EINVAL,
		   "an op past nldev's: EINVAL");
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_PORT_GET), 0);
	req_u32(&r, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	req_u32(&r, RDMA_NLDEV_ATTR_PORT_INDEX, 2);
	send_req(fd, &r);
	test_check(read_ack(fd, r.nlh.nlmsg_seq, NULL, NULL) == -EINVAL,
		   "PORT_GET of port 2: EINVAL");
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET), 0);
	req_attr(&r, RDMA_NLDEV_ATTR_DEV_INDEX, "ab", 2);
	send_req(fd, &r);
	test_check(read_ack(fd, r.nlh.nlmsg_seq, NULL, NULL) == -EINVAL,
		   "a 2-byte DEV_INDEX: EINVAL");
	/* Three requests in one datagram: each answered, in order. */
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_SYS_GET), NLM_F_ACK);
	memcpy(r.buf + NLMSG_HDRLEN, &r.nlh, NLMSG_HDRLEN);
	((struct nlmsghdr *)(r.buf + NLMSG_HDRLEN))->nlmsg_seq = 7;
	memcpy(r.buf + 2 * NLMSG_HDRLEN, &r.nlh, NLMSG_HDRLEN);
	((struct nlmsghdr *)(r.buf + 2 * NLMSG_HDRLEN))->nlmsg_seq = 8;
	{
		struct sockaddr_nl k = { .nl_family = AF_NETLINK };
		uint32_t seqs[6] = { 0 };
		int i;

		sendto(fd, r.buf, 3 * NLMSG_HDRLEN, 0, (struct sockaddr *)&k,
		       sizeof(k));
		for (i = 0; i < 6; i++)
			if (recv_dgram(fd, buf, sizeof(buf), 0) > 0)
				seqs[i] = nlh->nlmsg_seq;
		test_check(seqs[0] == r.nlh.nlmsg_seq &&
			   seqs[1] == r.nlh.nlmsg_seq && seqs[2] == 7 &&
			   seqs[3] == 7 && seqs[4] == 8 && seqs[5] == 8,
			   "three SYS_GETs in a datagram: reply and ack each");
	}
	close(fd);
}

/* Send op with flags and the attributes u32s (type, value pairs). */
static int send_u32s(int fd, struct req *r, uint16_t op, uint16_t flags,
		     const uint32_t *u32s, int n)
{
	int i;

	req_init(r, NLDEV(op), flags);
	for (i = 0; i + 1 < n; i += 2)
		req_u32(r, (uint16_t)u32s[i], u32s[i + 1]);
	return send_req(fd, r);
}

/* A dump of op with the attributes u32s: its DONE's status. */
static int dump_of(int fd, uint16_t op, const uint32_t *u32s, int n,
		   int *msgs, uint8_t *last, size_t last_len)
{
	struct req r;

	*msgs = 0;
	if (send_u32s(fd, &r, op, NLM_F_DUMP, u32s, n))
		return 1;
	return dump_status(fd, r.nlh.nlmsg_seq, msgs, last, last_len);
}

/* A doit of op with the attributes u32s: its ack's status. */
static int doit_of(int fd, uint16_t op, const uint32_t *u32s, int n)
{
	struct req r;

	if (send_u32s(fd, &r, op, NLM_F_ACK, u32s, n))
		return 1;
	return read_ack(fd, r.nlh.nlmsg_seq, NULL, NULL);
}

#define U32S(...) ((const uint32_t[]){ __VA_ARGS__ }), \
	(int)(sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t))

/*
 * The resource and statistics commands' arguments, as nldev checks
 * them (the objects themselves: stock.rdma_res).  Nobody here has any.
 */
static void check_resources(void)
{
	uint8_t last[4096];
	struct nlmsghdr *nlh = (struct nlmsghdr *)last;
	int fd = nl_socket(), msgs = 0, ret;
	const uint32_t dev = RDMA_NLDEV_ATTR_DEV_INDEX;
	const uint32_t port = RDMA_NLDEV_ATTR_PORT_INDEX;
	const uint32_t stat = RDMA_NLDEV_ATTR_STAT_RES;

	test_check(doit_of(fd, RDMA_NLDEV_CMD_RES_GET, U32S(port, 1)) ==
		   -EINVAL, "RES_GET without a device: EINVAL");
	ret = dump_of(fd, RDMA_NLDEV_CMD_RES_GET, U32S(0, 0), &msgs, last,
		      sizeof(last));
	test_check(ret == 0 && msgs == NDEVICES &&
		   find_attr(nlh, RDMA_NLDEV_ATTR_RES_SUMMARY),
		   "RES_GET dump: a summary for each of %d devices (%d)",
		   NDEVICES, msgs);
	test_check(dump_of(fd, RDMA_NLDEV_CMD_RES_QP_GET, U32S(port, 1),
			   &msgs, NULL, 0) == -EINVAL && !msgs,
		   "RES_QP_GET dump without a device: DONE with EINVAL");
	test_check(dump_of(fd, RDMA_NLDEV_CMD_RES_QP_GET, U32S(dev, 0, port, 2),
			   &msgs, NULL, 0) == -EINVAL,
		   "RES_QP_GET dump of port 2: DONE with EINVAL");
	test_check(dump_of(fd, RDMA_NLDEV_CMD_RES_MR_GET, U32S(dev, 1), &msgs,
			   NULL, 0) == 0 && !msgs,
		   "RES_MR_GET dump of a device with none: DONE alone");
	test_check(doit_of(fd, RDMA_NLDEV_CMD_RES_QP_GET,
			   U32S(dev, 0, port, 1)) == -EINVAL,
		   "RES_QP_GET without a QP number: EINVAL");
	test_check(doit_of(fd, RDMA_NLDEV_CMD_RES_QP_GET,
			   U32S(dev, 0, RDMA_NLDEV_ATTR_RES_LQPN, 256)) ==
		   -EINVAL, "RES_QP_GET without the port (QPs are per port): "
		   "EINVAL");
	test_check(doit_of(fd, RDMA_NLDEV_CMD_RES_QP_GET,
			   U32S(dev, 0, port, 1, RDMA_NLDEV_ATTR_RES_LQPN,
				0xffffff)) == -ENOENT,
		   "RES_QP_GET of a QP that is not: ENOENT");
	test_check(doit_of(fd, RDMA_NLDEV_CMD_RES_MR_GET,
			   U32S(dev, 0, port, 1, RDMA_NLDEV_ATTR_RES_MRN, 2)) ==
		   -EINVAL, "RES_MR_GET with a port (MRs are per device): "
		   "EINVAL");
	test_check(doit_of(fd, RDMA_NLDEV_CMD_RES_CTX_GET,
			   U32S(dev, 9, RDMA_NLDEV_ATTR_RES_CTXN, 1)) ==
		   -EINVAL, "RES_CTX_GET of device 9: EINVAL");
	test_check(doit_of(fd, RDMA_NLDEV_CMD_RES_PD_GET,
			   U32S(dev, 2, RDMA_NLDEV_ATTR_RES_PDN, 1)) == -ENOENT,
		   "RES_PD_GET of a PD that is not: ENOENT");
	test_check(doit_of(fd, RDMA_NLDEV_CMD_RES_SRQ_GET,
			   U32S(dev, 0, port, 1, RDMA_NLDEV_ATTR_RES_SRQN, 1)) ==
		   -EINVAL, "RES_SRQ_GET with a port: EINVAL");
	test_check(doit_of(fd, RDMA_NLDEV_CMD_RES_CM_ID_GET,
			   U32S(dev, 0, RDMA_NLDEV_ATTR_RES_CM_IDN, 1)) ==
		   -EINVAL, "RES_CM_ID_GET without the port: EINVAL");
	test_check(doit_of(fd, RDMA_NLDEV_CMD_RES_CM_ID_GET,
			   U32S(dev, 0, port, 1, RDMA_NLDEV_ATTR_RES_CM_IDN,
				77)) == -ENOENT,
		   "RES_CM_ID_GET of an ID that is not: ENOENT");
	/* STAT_GET: MRs' counters and the QP counters' mode; nothing else. */
	test_check(dump_of(fd, RDMA_NLDEV_CMD_STAT_GET, U32S(dev, 0), &msgs,
			   NULL, 0) == -EINVAL,
		   "STAT_GET dump without STAT_RES: DONE with EINVAL");
	test_check(dump_of(fd, RDMA_NLDEV_CMD_STAT_GET,
			   U32S(dev, 0, stat, 12345), &msgs, NULL, 0) == -EINVAL,
		   "STAT_GET dump of an unknown STAT_RES: DONE with EINVAL");
	test_check(dump_of(fd, RDMA_NLDEV_CMD_STAT_GET,
			   U32S(dev, 0, stat, RDMA_NLDEV_ATTR_RES_QP), &msgs,
			   NULL, 0) == 0 && !msgs,
		   "STAT_GET dump of QP counters: none bound, DONE alone");
	test_check(doit_of(fd, RDMA_NLDEV_CMD_STAT_GET,
			   U32S(dev, 0, port, 1)) == -EINVAL, "STAT_GET of the port's hardware counters (it has "
		   "none): EINVAL");
	test_check(dump_of(fd, RDMA_NLDEV_CMD_STAT_GET,
			   U32S(dev, 7, stat, RDMA_NLDEV_ATTR_RES_MR), &msgs,
			   NULL, 0) == -EINVAL,
		   "STAT_GET dump of MRs of device 7: DONE with EINVAL");
	close(fd);
}

static uint64_t attr_u64(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *a = find_attr(nlh, type);
	uint64_t v = 0;

	if (a)
		memcpy(&v, attr_data(a), sizeof(v));
	return a ? v : ~0ull;
}

static void check_chardev(void)
{
	uint8_t buf[8192];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nlattr *name;
	struct req r;
	int fd = nl_socket();

	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET_CHARDEV), 0);
	req_u32(&r, RDMA_NLDEV_ATTR_DEV_INDEX, 1);
	req_str(&r, RDMA_NLDEV_ATTR_CHARDEV_TYPE, "uverbs");
	send_req(fd, &r);
	name = recv_dgram(fd, buf, sizeof(buf), 0) > 0 ?
		find_attr(nlh, RDMA_NLDEV_ATTR_CHARDEV_NAME) : NULL;
	test_check(name && !strcmp(attr_data(name), "uverbs1") &&
		   attr_u64(nlh, RDMA_NLDEV_ATTR_CHARDEV_ABI) == 6 &&
		   find_attr(nlh, RDMA_NLDEV_ATTR_UVERBS_DRIVER_ID),
		   "uverbs of uodp1: uverbs1, ABI 6, a driver id");
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET_CHARDEV), 0);
	req_str(&r, RDMA_NLDEV_ATTR_CHARDEV_TYPE, "rdma_cm");
	send_req(fd, &r);
	name = recv_dgram(fd, buf, sizeof(buf), 0) > 0 ?
		find_attr(nlh, RDMA_NLDEV_ATTR_CHARDEV_NAME) : NULL;
	test_check(name && !strcmp(attr_data(name), "rdma_cm") &&
		   attr_u64(nlh, RDMA_NLDEV_ATTR_CHARDEV_ABI) == 4,
		   "rdma_cm: ABI 4");
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET_CHARDEV), 0);
	req_u32(&r, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	req_u32(&r, RDMA_NLDEV_ATTR_PORT_INDEX, 1);
	req_str(&r, RDMA_NLDEV_ATTR_CHARDEV_TYPE, "uverbs");
	send_req(fd, &r);
	test_check(read_ack(fd, r.nlh.nlmsg_seq, NULL, NULL) == -EINVAL,
		   "uverbs of a port: EINVAL");
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET_CHARDEV), 0);
	req_u32(&r, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	req_str(&r, RDMA_NLDEV_ATTR_CHARDEV_TYPE, "umad");
	send_req(fd, &r);
	test_check(read_ack(fd, r.nlh.nlmsg_seq, NULL, NULL) == -EOPNOTSUPP,
		   "umad: EOPNOTSUPP");
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET_CHARDEV), 0);
	req_attr(&r, RDMA_NLDEV_ATTR_CHARDEV_TYPE,
		 "a-type-name-without-its-nul-byte-at-all", 39);
	send_req(fd, &r);
	test_check(read_ack(fd, r.nlh.nlmsg_seq, NULL, NULL) == -EINVAL,
		   "an unterminated type: EINVAL");
	close(fd);
}

/* ---- receiving ---- */

static void check_receive(void)
{
	struct sockaddr_nl from;
	struct iovec iov;
	struct msghdr m = { 0 };
	struct pollfd p;
	uint8_t buf[8192], small[20];
	struct req r;
	int fd = nl_socket();
	ssize_t full, n;

	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	test_check(poll(&p, 1, 0) == 0, "an empty socket does not poll in");
	test_check(recv_dgram(fd, buf, sizeof(buf), 0) == -EAGAIN,
		   "an empty socket: EAGAIN with MSG_DONTWAIT");
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET), 0);
	req_u32(&r, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	send_req(fd, &r);
	test_check(poll(&p, 1, 0) == 1 && (p.revents & POLLIN),
		   "a reply polls in");
	full = recv_dgram(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	test_check(full > NLMSG_HDRLEN, "MSG_PEEK | MSG_TRUNC: its length %zd",
		   full);
	iov = (struct iovec){ small, sizeof(small) };
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_name = &from;
	m.msg_namelen = sizeof(from);
	memset(&from, 0xff, sizeof(from));
	n = recvmsg(fd, &m, MSG_DONTWAIT);
	test_check(n == (ssize_t)sizeof(small) && (m.msg_flags & MSG_TRUNC) &&
		   m.msg_namelen == sizeof(from) &&
		   from.nl_family == AF_NETLINK && from.nl_pid == 0 &&
		   from.nl_groups == 0,
		   "a short buffer: MSG_TRUNC, the kernel's address (%zd)", n);
	test_check(recv_dgram(fd, buf, sizeof(buf), 0) == -EAGAIN,
		   "the truncated datagram is gone");
	/* read() is a receive too. */
	send_req(fd, &r);
	test_check(read(fd, buf, sizeof(buf)) == full, "read() takes a reply");
	close(fd);
}

/* Requests without reading: ENOBUFS once, then what fits is there. */
static void check_overrun(bool no_enobufs)
{
	uint8_t buf[8192];
	struct req r;
	int fd = nl_socket(), one = 1, i, err = 0, after = 0;

	if (no_enobufs)
		setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one,
			   sizeof(one));
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET), 0);
	req_u32(&r, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	for (i = 0; i < 4096; i++)
		send_req(fd, &r);
	err = (int)recv_dgram(fd, buf, sizeof(buf), 0);
	while (recv_dgram(fd, buf, sizeof(buf), 0) > 0)
		after++;
	if (no_enobufs)
		test_check(err > 0 && after > 0,
			   "NETLINK_NO_ENOBUFS: no error, %d replies kept",
			   after + 1);
	else
		test_check(err == -ENOBUFS && after > 0 && after < 4096,
			   "4096 unread replies: ENOBUFS once, %d kept", after);
	close(fd);
}

/* ---- other processes ---- */


static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &h, data))
		return -errno;
	data[0].effective &= ~(1u << CAP_NET_ADMIN);
	return syscall(SYS_capset, &h, data) ? -errno : 0;
}

static void check_permissions(void)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct req r;
	int a = nl_socket(), b = nl_socket(), status;
	uint8_t buf[256];
	pid_t child;

	bind(a, (struct sockaddr *)&to, sizeof(to));
	bind(b, (struct sockaddr *)&to, sizeof(to));
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_SYS_GET), 0);
	to.nl_pid = portid_of(b);
	if (!have_net_admin()) {
		/* The suite as an ordinary user: all of it is refused. */
		test_check(sendto(a, r.buf, r.nlh.nlmsg_len, 0,
				  (struct sockaddr *)&to, sizeof(to)) < 0 &&
			   errno == EPERM, "no CAP_NET_ADMIN: a unicast is EPERM");
		req_init(&r, NLDEV(RDMA_NLDEV_CMD_SET), 0);
		send_req(a, &r);
		test_check(read_ack(a, r.nlh.nlmsg_seq, NULL, NULL) == -EPERM,
			   "no CAP_NET_ADMIN: SET is EPERM");
		close(a);
		close(b);
		return;
	}
	/* As root (the suite's uodp-run), a unicast to another socket. */
	test_check(sendto(a, r.buf, r.nlh.nlmsg_len, 0, (struct sockaddr *)&to,
			  sizeof(to)) == r.nlh.nlmsg_len &&
		   recv_dgram(b, buf, sizeof(buf), 0) == r.nlh.nlmsg_len,
		   "CAP_NET_ADMIN: a unicast reaches the other socket");
	to.nl_pid = 123454321;
	test_check(sendto(a, r.buf, r.nlh.nlmsg_len, 0, (struct sockaddr *)&to,
			  sizeof(to)) < 0 && errno == ECONNREFUSED,
		   "to a port nobody has: ECONNREFUSED");
	child = fork();
	if (child == 0) {
		int ok = !drop_net_admin();

		to.nl_pid = portid_of(b);
		ok &= sendto(a, r.buf, r.nlh.nlmsg_len, 0,
			     (struct sockaddr *)&to, sizeof(to)) < 0 &&
		      errno == EPERM;
		req_init(&r, NLDEV(RDMA_NLDEV_CMD_SET), 0);
		req_u32(&r, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
		ok &= !send_req(a, &r) &&
		      read_ack(a, r.nlh.nlmsg_seq, NULL, NULL) == -EPERM;
		to.nl_pid = 0;
		to.nl_groups = 1;
		ok &= bind(a, (struct sockaddr *)&to, sizeof(to)) &&
		      errno == EPERM;
		_exit(ok ? 0 : 1);
	}
	waitpid(child, &status, 0);
	test_check(WIFEXITED(status) && !WEXITSTATUS(status),
		   "without CAP_NET_ADMIN: unicast, SET and groups are EPERM");
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_SET), 0);
	send_req(a, &r);
	test_check(read_ack(a, r.nlh.nlmsg_seq, NULL, NULL) == -EOPNOTSUPP,
		   "with it, SET is EOPNOTSUPP");
	close(a);
	close(b);
}

/* A socket lives while any process holds it; then its port is free. */
static void check_lifetime(void)
{
	struct sockaddr_nl nla = { .nl_family = AF_NETLINK, .nl_pid = 55555 };
	uint8_t buf[8192];
	struct req r;
	int fd = nl_socket(), pipefd[2], status, again = -1, i;
	pid_t child;
	char c;

	bind(fd, (struct sockaddr *)&nla, sizeof(nla));
	if (pipe(pipefd))
		test_die("pipe", errno);
	child = fork();
	if (child == 0) {
		close(pipefd[1]);
		/* The parent closed its copy: this one still works. */
		if (read(pipefd[0], &c, 1) != 1)
			_exit(2);
		req_init(&r, NLDEV(RDMA_NLDEV_CMD_SYS_GET), 0);
		_exit(!send_req(fd, &r) && recv(fd, buf, sizeof(buf), 0) > 0 ?
			      0 : 1);
	}
	close(pipefd[0]);
	close(fd);
	if (write(pipefd[1], "x", 1) != 1)
		test_die("write", errno);
	waitpid(child, &status, 0);
	test_check(WIFEXITED(status) && !WEXITSTATUS(status),
		   "a forked child keeps the socket its parent closed");
	close(pipefd[1]);
	/* The release follows the last close: the port comes free. */
	for (i = 0; i < 200 && again; i++) {
		fd = nl_socket();
		again = bind(fd, (struct sockaddr *)&nla, sizeof(nla));
		close(fd);
		if (again)
			usleep(10000);
	}
	test_check(!again, "the released socket's port binds again");
}

static void check_killed_mid_dump(void)
{
	uint8_t buf[8192];
	struct req r;
	int fd, status;
	pid_t child = fork();

	if (child == 0) {
		fd = nl_socket();
		req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET), NLM_F_DUMP);
		send_req(fd, &r);
		pause();
		_exit(0);
	}
	usleep(100000);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	fd = nl_socket();
	req_init(&r, NLDEV(RDMA_NLDEV_CMD_GET), 0);
	req_u32(&r, RDMA_NLDEV_ATTR_DEV_INDEX, 0);
	send_req(fd, &r);
	test_check(recv_dgram(fd, buf, sizeof(buf), 0) > 0,
		   "a child killed mid-dump: the device serves on");
	close(fd);
}

static void check_sizes(void)
{
	static uint8_t big[70000];
	struct iovec iov[1100];
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 1100 };
	int fd = nl_socket();
	unsigned int i;

	for (i = 0; i < 1100; i++)
		iov[i] = (struct iovec){ big, 1 };
	test_check(sendmsg(fd, &m, 0) < 0 && errno == EMSGSIZE,
		   "1100 iovecs: EMSGSIZE");
	test_check(send(fd, big, sizeof(big), 0) < 0 && errno == EMSGSIZE,
		   "70000 bytes: EMSGSIZE");
	test_check(send(fd, (void *)16, 64, 0) < 0 && errno == EFAULT,
		   "a bad buffer: EFAULT");
	test_check(send(fd, big, 3, MSG_OOB) < 0 && errno == EOPNOTSUPP,
		   "MSG_OOB: EOPNOTSUPP");
	close(fd);
}

int main(void)
{
	check_socket();
	check_bind();
	check_connect();
	check_memberships();
	check_dump();
	check_doit();
	check_chardev();
	check_resources();
	check_receive();
	check_overrun(false);
	check_overrun(true);
	check_permissions();
	check_lifetime();
	check_killed_mid_dump();
	check_sizes();
	printf("%s: %d failures\n", test_failures ? "FAIL" : "PASS",
	       test_failures);
	return test_failures ? 1 : 0;
}
