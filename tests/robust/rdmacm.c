// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The rdma_cm device spoken raw (run inside uodp-run), hostile uses next to
 * the plain ones: the open lands in the trapped range and fstats as a
 * character device; bad framing, short response rooms, bad pointers and
 * unknown port spaces get the kernel's errno; a 1 MiB write is framed by
 * its header; a destroyed ID is ENOENT and another file's ID EINVAL; poll
 * says POLLIN exactly while events wait and a nonblocking GET_EVENT on an
 * empty queue is EAGAIN; a connection's events come once each, in order,
 * with the IDs' cookies; another process can neither accept, reject,
 * disconnect nor destroy a connection it does not own, nor read its
 * events; a connected peer that exits without disconnecting is
 * DISCONNECTED for the survivor; DESTROY_ID reports the events read.
 * Ports conflict as the kernel's cma_check_port has it; INIT_QP_ATTR,
 * SET_OPTION, MIGRATE_ID and ioctl() refuse what the kernel refuses; a
 * SIDR REQ nobody listens for is UNREACHABLE, status 1.  The legacy IP
 * commands (BIND_IP, RESOLVE_IP, QUERY_ROUTE: librdmacm's path without
 * AF_IB) name the device and the route.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <rdma/rdma_user_cm.h>
#include <infiniband/verbs.h>

#include "lib/report.h"
#include "uodpd/supervise.h"

#define PORT 18790
/* The kernel's event numbers (include/rdma/rdma_cm.h). */
enum {
	EV_ADDR_RESOLVED = 0,
	EV_ROUTE_RESOLVED = 2,
	EV_CONNECT_REQUEST = 4,
	EV_CONNECT_RESPONSE = 5,
	EV_UNREACHABLE = 7,
	EV_REJECTED = 8,
	EV_ESTABLISHED = 9,
	EV_DISCONNECTED = 10,
	EV_TIMEWAIT_EXIT = 15,
};

static int open_cm(void)
{
	int fd = open(UD_RDMA_CM_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		test_die("open " UD_RDMA_CM_PATH, errno);
	/* As librdmacm polls it: nonblocking reads of events. */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* One command of in bytes; the write's result, or -errno. */
static long ucma(int fd, uint32_t cmd, const void *body, uint16_t in,
		 uint16_t out)
{
	uint8_t buf[sizeof(struct rdma_ucm_cmd_hdr) + 512];
	struct rdma_ucm_cmd_hdr hdr = { .cmd = cmd, .in = in, .out = out };
	long n;

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), body, in);
	n = write(fd, buf, sizeof(hdr) + in);
	return n < 0 ? -errno : n;
}

static int ok_or_errno(long n)
{
	return n < 0 ? (int)n : 0;
}

static int create_id(int fd, uint64_t uid, uint16_t ps, uint32_t *id)
{
	struct rdma_ucm_create_id_resp resp = { 0 };
	struct rdma_ucm_create_id c = {
		.uid = uid, .response = (uintptr_t)&resp, .ps = ps,
	};
	int ret = ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_CREATE_ID, &c,
				   sizeof(c), sizeof(resp)));

	*id = resp.id;
	return ret;
}

static int destroy_id(int fd, uint32_t id, uint32_t *reported)
{
	struct rdma_ucm_destroy_id_resp resp = { 0 };
	struct rdma_ucm_destroy_id c = { .response = (uintptr_t)&resp, .id = id };
	int ret = ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_DESTROY_ID, &c,
				   sizeof(c), sizeof(resp)));

	if (reported)
		*reported = resp.events_reported;
	return ret;
}

static void ipv4(struct __kernel_sockaddr_storage *ss, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static int bind_id(int fd, uint32_t id, uint16_t port)
{
	struct rdma_ucm_bind c = { .id = id,
				   .addr_size = sizeof(struct sockaddr_in) };

	ipv4(&c.addr, port);
	return ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_BIND, &c, sizeof(c), 0));
}

static int resolve(int fd, uint32_t id, uint16_t port)
{
	struct rdma_ucm_resolve_addr c = {
		.id = id, .timeout_ms = 2000,
		.dst_size = sizeof(struct sockaddr_in),
	};

	ipv4(&c.dst_addr, port);
	return ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_RESOLVE_ADDR, &c,
				sizeof(c), 0));
}

static int simple(int fd, uint32_t cmd, uint32_t id)
{
	struct rdma_ucm_resolve_route c = { .id = id, .timeout_ms = 2000 };

	/* DISCONNECT and RESOLVE_ROUTE both start with the ID. */
	return ok_or_errno(ucma(fd, cmd, &c, cmd == RDMA_USER_CM_CMD_DISCONNECT ?
				sizeof(struct rdma_ucm_disconnect) : sizeof(c),
				0));
}

static int get_event_to(int fd, uint64_t response)
{
	struct rdma_ucm_get_event c = { .response = response };

	return ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_GET_EVENT, &c, sizeof(c),
				sizeof(struct rdma_ucm_event_resp)));
}

static int get_event(int fd, struct rdma_ucm_event_resp *ev)
{
	memset(ev, 0, sizeof(*ev));
	return get_event_to(fd, (uintptr_t)ev);
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* The next event must be want, of handle id (0: any) with cookie uid. */
static uint32_t expect_event(int fd, uint32_t want, uint32_t id, uint64_t uid,
			     const char *what)
{
	struct rdma_ucm_event_resp ev;
	int ret = get_event(fd, &ev);

	test_check(!ret && ev.event == want && (!id || ev.id == id) &&
		   ev.uid == uid,
		   "%s: event %u of ID %u cookie %#llx (%s)", what, ev.event,
		   ev.id, (unsigned long long)ev.uid, ret ? strerror(-ret) : "");
	return ev.id;
}

/* A REQ with private data "uodp" padded to pdata_len bytes. */
static int connect_id(int fd, uint32_t id, uint32_t qpn, uint8_t pdata_len)
{
	struct rdma_ucm_connect c = { .id = id };

	c.conn_param.qp_num = qpn;
	c.conn_param.valid = 1;
	c.conn_param.responder_resources = 1;
	c.conn_param.initiator_depth = 1;
	c.conn_param.private_data_len = pdata_len;
	memcpy(c.conn_param.private_data, "uodp", 4);
	return ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_CONNECT, &c, sizeof(c), 0));
}

static int accept_id(int fd, uint32_t id, uint64_t uid, bool valid)
{
	struct rdma_ucm_accept c = { .uid = uid, .id = id };

	c.conn_param.qp_num = 0x42;
	c.conn_param.valid = valid;
	return ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_ACCEPT, &c, sizeof(c), 0));
}

static int reject_id(int fd, uint32_t id)
{
	struct rdma_ucm_reject c = { .id = id };

	return ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_REJECT, &c, sizeof(c), 0));
}

static int bind_any(int fd, uint32_t id, uint16_t port)
{
	struct rdma_ucm_bind c = { .id = id,
				   .addr_size = sizeof(struct sockaddr_in) };
	struct sockaddr_in *sin = (struct sockaddr_in *)&c.addr;

	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	return ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_BIND, &c, sizeof(c), 0));
}

static int init_qp_attr(int fd, uint32_t id, uint32_t state, uint16_t out)
{
	struct ib_uverbs_qp_attr resp;
	struct rdma_ucm_init_qp_attr c = {
		.response = (uintptr_t)&resp, .id = id, .qp_state = state,
	};

	return ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_INIT_QP_ATTR, &c,
				sizeof(c), out));
}

static int set_option(int fd, uint32_t id, uint32_t level, uint32_t name,
		      const void *val, uint32_t len)
{
	struct rdma_ucm_set_option c = {
		.optval = (uintptr_t)val, .id = id, .level = level,
		.optname = name, .optlen = len,
	};

	return ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_SET_OPTION, &c,
				sizeof(c), 0));
}

static int migrate(int fd, uint32_t id, uint32_t from_fd)
{
	struct rdma_ucm_migrate_resp resp;
	struct rdma_ucm_migrate_id c = {
		.response = (uintptr_t)&resp, .id = id, .fd = from_fd,
	};

	return ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_MIGRATE_ID, &c,
				sizeof(c), sizeof(resp)));
}

/* ---- checks ---- */

/* A CREATE_ID header claiming in bytes, written with 8. */
static int write_claiming(int fd, uint16_t in)
{
	struct rdma_ucm_cmd_hdr hdr = { .cmd = RDMA_USER_CM_CMD_CREATE_ID,
					.in = in, .out = 4 };
	uint8_t buf[sizeof(hdr) + 8] = { 0 };

	memcpy(buf, &hdr, sizeof(hdr));
	return write(fd, buf, sizeof(buf)) < 0 ? -errno : 0;
}

static void check_framing(int fd)
{
	struct rdma_ucm_create_id c = { .ps = RDMA_PS_TCP };
	struct rdma_ucm_create_id_resp resp;
	struct rdma_ucm_cmd_hdr hdr = { .cmd = RDMA_USER_CM_CMD_CREATE_ID,
					.in = sizeof(c), .out = sizeof(resp) };
	uint8_t *big;
	uint32_t id;
	long n;

	n = write(fd, &hdr, 4);
	test_check_ret(n < 0 ? -errno : 0, -EINVAL, "a 4-byte write");
	test_check_ret((int)ucma(fd, 99, &c, sizeof(c), 0), -EINVAL,
		       "an unknown command number");
	test_check_ret((int)ucma(fd, RDMA_USER_CM_CMD_GET_OPTION, &c, 8, 0),
		       -ENOSYS, "GET_OPTION, which has no handler");
	test_check_ret(write_claiming(fd, 200), -EINVAL,
		       "hdr.in past the write");
	c.response = (uintptr_t)&resp;
	test_check_ret((int)ucma(fd, RDMA_USER_CM_CMD_CREATE_ID, &c, sizeof(c),
				 0), -ENOSPC, "CREATE_ID with no response room");
	c.ps = 0x9999;
	test_check_ret(create_id(fd, 1, 0x9999, &id), -EINVAL,
		       "an unknown port space");
	c.ps = RDMA_PS_TCP;
	c.response = 8;
	test_check_ret((int)ucma(fd, RDMA_USER_CM_CMD_CREATE_ID, &c, sizeof(c),
				 sizeof(resp)), -EFAULT,
		       "a response pointer to nowhere");
	/* 1 MiB whose header frames one CREATE_ID: the rest is ignored. */
	big = calloc(1, 1 << 20);
	if (!big)
		test_die("calloc", ENOMEM);
	hdr.in = sizeof(c);
	c.response = (uintptr_t)&resp;
	memcpy(big, &hdr, sizeof(hdr));
	memcpy(big + sizeof(hdr), &c, sizeof(c));
	n = write(fd, big, 1 << 20);
	test_check(n == 1 << 20, "a 1 MiB write is one command (%ld)", n);
	free(big);
	if (n == 1 << 20)
		test_check_ret(destroy_id(fd, resp.id, NULL), 0,
			       "its ID is there");
}

static void check_handles(int fd)
{
	int other = open_cm();
	uint32_t id;

	test_check_ret(create_id(fd, 7, RDMA_PS_TCP, &id), 0, "CREATE_ID");
	test_check_ret(bind_id(other, id, 0), -EINVAL,
		       "BIND of another file's ID");
	test_check_ret(destroy_id(other, id, NULL), -EINVAL,
		       "DESTROY_ID of another file's ID");
	test_check_ret(destroy_id(fd, id, NULL), 0, "DESTROY_ID");
	test_check_ret(destroy_id(fd, id, NULL), -ENOENT,
		       "DESTROY_ID of a destroyed ID");
	test_check_ret(bind_id(fd, 0xfffff0, 0), -ENOENT, "a made-up handle");
	close(other);
}

static void check_ports_and_options(int fd)
{
	const uint32_t qp_attr_len = sizeof(struct ib_uverbs_qp_attr);
	uint32_t a, b, c;
	uint8_t tos = 32;
	int one = 1, zero = 0;

	if (create_id(fd, 1, RDMA_PS_TCP, &a) ||
	    create_id(fd, 2, RDMA_PS_TCP, &b) ||
	    create_id(fd, 3, RDMA_PS_TCP, &c))
		test_die("CREATE_ID", EINVAL);
	test_check_ret(init_qp_attr(fd, a, IBV_QPS_INIT, qp_attr_len), -EINVAL,
		       "INIT_QP_ATTR of an ID on no device");
	test_check_ret(bind_id(fd, a, PORT + 1), 0, "BIND 127.0.0.1");
	test_check_ret(bind_id(fd, b, PORT + 1), -EADDRINUSE,
		       "BIND of the same address and port again");
	test_check_ret(bind_any(fd, c, PORT + 1), -EADDRNOTAVAIL,
		       "BIND of the wildcard to a port 127.0.0.1 has");
	test_check_ret(init_qp_attr(fd, a, IBV_QPS_INIT, 8), -ENOSPC,
		       "INIT_QP_ATTR with 8 bytes of room");
	test_check_ret(init_qp_attr(fd, a, 99, qp_attr_len), -EINVAL,
		       "INIT_QP_ATTR of a QP state past ERR");
	test_check_ret(init_qp_attr(fd, a, IBV_QPS_INIT, qp_attr_len), 0,
		       "INIT_QP_ATTR INIT once bound");
	test_check_ret(set_option(fd, b, RDMA_OPTION_ID, RDMA_OPTION_ID_TOS,
				  &one, sizeof(one)), -EINVAL,
		       "a TOS of 4 bytes");
	test_check_ret(set_option(fd, b, RDMA_OPTION_ID, RDMA_OPTION_ID_TOS,
				  &tos, 1), 0, "a TOS of 1 byte");
	test_check_ret(set_option(fd, b, 99, 0, &one, sizeof(one)), -ENOSYS,
		       "an unknown option level");
	test_check_ret(set_option(fd, a, RDMA_OPTION_ID,
				  RDMA_OPTION_ID_REUSEADDR, &one, sizeof(one)),
		       0, "REUSEADDR on the bound ID");
	test_check_ret(set_option(fd, b, RDMA_OPTION_ID,
				  RDMA_OPTION_ID_REUSEADDR, &one, sizeof(one)),
		       0, "REUSEADDR on the other");
	test_check_ret(bind_id(fd, b, PORT + 1), 0,
		       "REUSEADDR on both shares the port");
	test_check_ret(migrate(fd, a, 0), -EINVAL,
		       "MIGRATE_ID from a file that is no rdma_cm file");
	test_check(ioctl(fd, _IO('u', 0x34)) < 0 && errno == ENOTTY,
		   "an ioctl rdma_ucm does not have: ENOTTY");
	test_check(!ioctl(fd, FIONBIO, &zero) &&
		   !(fcntl(fd, F_GETFL) & O_NONBLOCK) &&
		   !ioctl(fd, FIONBIO, &one) && (fcntl(fd, F_GETFL) & O_NONBLOCK),
		   "FIONBIO is the VFS's own, on the file's flags");
	destroy_id(fd, a, NULL);
	destroy_id(fd, b, NULL);
	destroy_id(fd, c, NULL);
}

/* A SIDR REQ to a port nobody listens on: UNREACHABLE, SIDR status 1. */
static void check_sidr_unreachable(int fd)
{
	struct rdma_ucm_event_resp ev;
	uint32_t u;

	if (create_id(fd, 0x70, RDMA_PS_UDP, &u) || resolve(fd, u, PORT + 2))
		test_die("the UD ID", EINVAL);
	expect_event(fd, EV_ADDR_RESOLVED, u, 0x70, "UD ADDR_RESOLVED");
	simple(fd, RDMA_USER_CM_CMD_RESOLVE_ROUTE, u);
	expect_event(fd, EV_ROUTE_RESOLVED, u, 0x70, "UD ROUTE_RESOLVED");
	test_check_ret(connect_id(fd, u, 0x33, 4), 0, "CONNECT of a UD ID");
	test_check(!get_event(fd, &ev) && ev.event == EV_UNREACHABLE &&
		   ev.status == 1 && ev.id == u,
		   "UNREACHABLE, status 1, with no listener (%u, %d)",
		   ev.event, (int)ev.status);
	destroy_id(fd, u, NULL);
}

static int query_route(int fd, uint32_t id,
		       struct rdma_ucm_query_route_resp *r, uint16_t out)
{
	struct rdma_ucm_query c = { .response = (uintptr_t)r, .id = id };

	memset(r, 0, sizeof(*r));
	return ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_QUERY_ROUTE, &c, sizeof(c),
				out));
}

/* The IPv4-mapped GID of 127.0.0.1. */
static bool loopback_gid(const uint8_t *gid)
{
	static const uint8_t want[16] = { [10] = 0xff, [11] = 0xff,
					  [12] = 127, [15] = 1 };

	return !memcmp(gid, want, sizeof(want));
}

static void check_legacy(int fd)
{
	struct rdma_ucm_query_route_resp r;
	struct rdma_ucm_resolve_ip res = { .timeout_ms = 2000 };
	struct rdma_ucm_bind_ip b = { 0 };
	struct sockaddr_storage ss;
	uint32_t id;

	if (create_id(fd, 0x80, RDMA_PS_TCP, &id))
		test_die("CREATE_ID", EINVAL);
	b.id = id;
	ipv4((struct __kernel_sockaddr_storage *)&ss, PORT + 3);
	memcpy(&b.addr, &ss, sizeof(struct sockaddr_in));
	test_check_ret(ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_BIND_IP, &b,
					sizeof(b), 0)), 0, "BIND_IP 127.0.0.1");
	test_check_ret(query_route(fd, id, &r, 8), -ENOSPC,
		       "QUERY_ROUTE with 8 bytes of room");
	test_check(!query_route(fd, id, &r, sizeof(r)) && r.node_guid &&
		   r.port_num == 1 && r.num_paths == 0 &&
		   r.src_addr.sin6_family == AF_INET,
		   "QUERY_ROUTE after BIND_IP: the device, no path yet");
	destroy_id(fd, id, NULL);
	if (create_id(fd, 0x81, RDMA_PS_TCP, &id))
		test_die("CREATE_ID", EINVAL);
	res.id = id;
	memcpy(&res.dst_addr, &ss, sizeof(struct sockaddr_in));
	test_check_ret(ok_or_errno(ucma(fd, RDMA_USER_CM_CMD_RESOLVE_IP, &res,
					sizeof(res), 0)), 0, "RESOLVE_IP");
	expect_event(fd, EV_ADDR_RESOLVED, id, 0x81, "its ADDR_RESOLVED");
	simple(fd, RDMA_USER_CM_CMD_RESOLVE_ROUTE, id);
	expect_event(fd, EV_ROUTE_RESOLVED, id, 0x81, "its ROUTE_RESOLVED");
	test_check(!query_route(fd, id, &r, sizeof(r)) && r.num_paths == 1 &&
		   loopback_gid(r.ib_route[0].dgid) &&
		   loopback_gid(r.ib_route[0].sgid),
		   "QUERY_ROUTE after the route: one path, 127.0.0.1's GIDs");
	destroy_id(fd, id, NULL);
}

static void check_events(int fd)
{
	struct rdma_ucm_event_resp ev;
	uint32_t id, reported = 0;

	test_check(!readable(fd), "no POLLIN with no events");
	test_check_ret(get_event(fd, &ev), -EAGAIN,
		       "nonblocking GET_EVENT on no events");
	if (create_id(fd, 0x1111, RDMA_PS_TCP, &id))
		test_die("CREATE_ID", EINVAL);
	test_check_ret(resolve(fd, id, PORT), 0, "RESOLVE_ADDR 127.0.0.1");
	test_check(readable(fd), "POLLIN once an event waits");
	test_check_ret(get_event_to(fd, 1), -EFAULT,
		       "GET_EVENT into an unmapped response");
	test_check(readable(fd), "the event stays after EFAULT");
	expect_event(fd, EV_ADDR_RESOLVED, id, 0x1111, "ADDR_RESOLVED");
	test_check(!readable(fd), "no POLLIN once it was read");
	test_check_ret(simple(fd, RDMA_USER_CM_CMD_RESOLVE_ROUTE, id), 0,
		       "RESOLVE_ROUTE");
	test_check_ret(simple(fd, RDMA_USER_CM_CMD_RESOLVE_ROUTE, id), -EINVAL,
		       "RESOLVE_ROUTE twice");
	expect_event(fd, EV_ROUTE_RESOLVED, id, 0x1111, "ROUTE_RESOLVED");
	test_check_ret(get_event(fd, &ev), -EAGAIN, "each event once");
	test_check_ret(destroy_id(fd, id, &reported), 0, "DESTROY_ID");
	test_check(reported == 2, "DESTROY_ID reports 2 events read (%u)",
		   reported);
}

/* The active side: an ID connected to PORT, its events on fd. */
static uint32_t active_connect(int fd, uint64_t uid)
{
	uint32_t id;

	if (create_id(fd, uid, RDMA_PS_TCP, &id) || resolve(fd, id, PORT))
		test_die("the active ID", EINVAL);
	expect_event(fd, EV_ADDR_RESOLVED, id, uid, "active ADDR_RESOLVED");
	simple(fd, RDMA_USER_CM_CMD_RESOLVE_ROUTE, id);
	expect_event(fd, EV_ROUTE_RESOLVED, id, uid, "active ROUTE_RESOLVED");
	/* 92 bytes in a REQ, less the CM's 36-byte IP header. */
	test_check_ret(connect_id(fd, id, 0x21, 57), -EINVAL,
		       "CONNECT with 57 bytes of private data");
	test_check_ret(connect_id(fd, id, 0x21, 4), 0, "CONNECT");
	return id;
}

/* The listener's request: the active side's parameters, roles swapped. */
static uint32_t check_request(int fd)
{
	struct rdma_ucm_event_resp ev;
	const struct rdma_ucm_conn_param *p = &ev.param.conn;
	int ret = get_event(fd, &ev);

	test_check(!ret && ev.event == EV_CONNECT_REQUEST && ev.uid == 0x10,
		   "the listener's CONNECT_REQUEST (%u)", ev.event);
	test_check(p->private_data_len == 56 &&
		   !memcmp(p->private_data, "uodp", 4) && p->qp_num == 0x21,
		   "it carries the REQ's 56 bytes of private data and QPN");
	return ev.id;
}

/* Another process tries every command on a connection it does not own. */
static void hostile_child(uint32_t child)
{
	struct rdma_ucm_event_resp ev;
	int fd = open_cm();
	int bad = 0;

	bad |= accept_id(fd, child, 1, true) != -EINVAL;
	bad |= reject_id(fd, child) != -EINVAL;
	bad |= simple(fd, RDMA_USER_CM_CMD_DISCONNECT, child) != -EINVAL;
	bad |= destroy_id(fd, child, NULL) != -EINVAL;
	bad |= get_event(fd, &ev) != -EAGAIN;
	_exit(bad);
}

static void check_hostile(pid_t pid, const char *what)
{
	int status = 0;

	waitpid(pid, &status, 0);
	test_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "another process %s", what);
}

static void check_connection(int lfd)
{
	int afd = open_cm();
	uint32_t l, a, c, reported;
	pid_t pid;

	if (create_id(lfd, 0x10, RDMA_PS_TCP, &l) || bind_id(lfd, l, PORT))
		test_die("the listener", EINVAL);
	test_check_ret(ok_or_errno(ucma(lfd, RDMA_USER_CM_CMD_LISTEN,
		       &(struct rdma_ucm_listen){ .id = l, .backlog = 4 },
		       sizeof(struct rdma_ucm_listen), 0)), 0, "LISTEN");
	a = active_connect(afd, 0x20);
	c = check_request(lfd);
	pid = fork();
	if (!pid)
		hostile_child(c);
	check_hostile(pid, "can neither accept, reject, disconnect nor "
		      "destroy the request, nor read its events");
	test_check_ret(accept_id(lfd, c, 0x30, true), 0, "ACCEPT");
	expect_event(afd, EV_CONNECT_RESPONSE, a, 0x20, "CONNECT_RESPONSE");
	test_check_ret(accept_id(afd, a, 0, false), 0, "the RTU");
	expect_event(lfd, EV_ESTABLISHED, c, 0x30, "the passive ESTABLISHED");
	pid = fork();
	if (!pid)
		hostile_child(c);
	check_hostile(pid, "cannot touch the established connection");
	test_check_ret(simple(afd, RDMA_USER_CM_CMD_DISCONNECT, a), 0,
		       "DISCONNECT");
	expect_event(lfd, EV_DISCONNECTED, c, 0x30, "the peer's DISCONNECTED");
	test_check_ret(simple(lfd, RDMA_USER_CM_CMD_DISCONNECT, c), 0,
		       "DISCONNECT back (the DREP)");
	expect_event(afd, EV_DISCONNECTED, a, 0x20, "the DREP's DISCONNECTED");
	expect_event(afd, EV_TIMEWAIT_EXIT, a, 0x20, "active TIMEWAIT_EXIT");
	expect_event(lfd, EV_TIMEWAIT_EXIT, c, 0x30, "passive TIMEWAIT_EXIT");
	test_check_ret(destroy_id(lfd, c, &reported), 0, "destroy the child");
	test_check(reported == 3, "the child's events read: 3 (%u)", reported);
	destroy_id(afd, a, NULL);
	/* A refused connect, then one whose peer dies without a DREQ. */
	test_check_ret(reject_id(lfd, l), -EINVAL, "REJECT of a listener");
	a = active_connect(afd, 0x40);
	c = expect_event(lfd, EV_CONNECT_REQUEST, 0, 0x10, "a second request");
	test_check_ret(reject_id(lfd, c), 0, "REJECT");
	expect_event(afd, EV_REJECTED, a, 0x40, "REJECTED");
	destroy_id(afd, a, NULL);
	destroy_id(lfd, c, NULL);
	pid = fork();
	if (!pid) {
		int fd = open_cm();

		a = active_connect(fd, 0x50);
		/* Wait for the REP, send the RTU, die without disconnecting. */
		fcntl(fd, F_SETFL, 0);
		expect_event(fd, EV_CONNECT_RESPONSE, a, 0x50, "child REP");
		accept_id(fd, a, 0, false);
		_exit(test_failures ? 1 : 0);
	}
	c = 0;
	for (int i = 0; i < 1000 && !readable(lfd); i++)
		usleep(10000);
	c = expect_event(lfd, EV_CONNECT_REQUEST, 0, 0x10, "a third request");
	accept_id(lfd, c, 0x60, true);
	check_hostile(pid, "connected and exited");
	expect_event(lfd, EV_ESTABLISHED, c, 0x60, "ESTABLISHED");
	expect_event(lfd, EV_DISCONNECTED, c, 0x60,
		     "DISCONNECTED when the peer process exits");
	destroy_id(lfd, c, NULL);
	test_check_ret(destroy_id(lfd, l, &reported), 0, "destroy the listener");
	test_check(reported == 3, "the listener's events read: 3 (%u)",
		   reported);
	close(afd);
}

int main(void)
{
	struct stat st;
	int fd = open_cm();

	test_check(fd >= UD_CMDFD_BASE && fd < UD_CMDFD_BASE + UD_CMDFD_COUNT,
		   "the rdma_cm fd is at %d, in the trapped range", fd);
	test_check(!fstat(fd, &st) && S_ISCHR(st.st_mode),
		   "it fstats as a character device");
	test_check(read(fd, &st, sizeof(st)) < 0 && errno == EINVAL,
		   "read() of it: EINVAL (rdma_ucm has no read)");
	check_framing(fd);
	check_handles(fd);
	check_ports_and_options(fd);
	check_sidr_unreachable(fd);
	check_legacy(fd);
	check_events(fd);
	check_connection(fd);
	close(fd);
	printf("%s: %d failures\n", test_failures ? "FAIL" : "PASS",
	       test_failures);
	return test_failures ? 1 : 0;
}
