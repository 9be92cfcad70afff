// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * uodpd's service socket (uodpd/supervise.h), spoken raw from inside
 * uodp-run ($UODP_SOCKET is the daemon's socket): UD_SERVICE_QUERY
 * describes the device as uodpd was started (the expected device count,
 * flags and context share are the arguments), and every malformed request
 * (short, a wrong length field, an unknown opcode, an fd too many or too
 * few, an fd that is no seccomp listener) gets its errno while the daemon
 * goes on answering.
 *
 * usage: uodp-service NDEVICES FLAGS CONTEXT_SHARE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/report.h"
#include "uodpd/supervise.h"

static int connect_daemon(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *path = getenv(UD_SOCKET_ENV);
	int sock;

	if (!path || strlen(path) >= sizeof(addr.sun_path))
		test_die("$" UD_SOCKET_ENV " (run me under uodp-run)", EINVAL);
	strcpy(addr.sun_path, path);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)))
		test_die("connect to the service socket", errno);
	return sock;
}

/* Sends len bytes of req (with fd in SCM_RIGHTS unless -1); the reply. */
static ssize_t transact(const void *req, size_t len, int fd,
			struct ud_service_info *reply)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)req, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int sock = connect_daemon();
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	memset(reply, 0xa5, sizeof(*reply));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != (ssize_t)len)
		test_die("sendmsg", errno);
	n = recv(sock, reply, sizeof(*reply), 0);
	close(sock);
	return n;
}

static void check_query(unsigned long ndevices, unsigned long flags,
			unsigned long share, unsigned long cm_divisor)
{
	struct ud_service_req req = { UD_SERVICE_QUERY, sizeof(req) };
	struct ud_service_info info;
	ssize_t n = transact(&req, sizeof(req), -1, &info);
	unsigned int i, valid = 0;

	test_check(n == sizeof(info) && info.hdr.length == sizeof(info) &&
		   info.hdr.status == 0,
		   "QUERY: %zd bytes, length %u, status %d", n,
		   info.hdr.length, info.hdr.status);
	test_check(info.ndevices == ndevices && info.flags == flags &&
		   info.context_share == share,
		   "QUERY: %u devices, flags %#x, share %u%%", info.ndevices,
		   info.flags, info.context_share);
	test_check(info.cm_timeout_divisor == cm_divisor,
		   "QUERY: CM waits divided by %u", info.cm_timeout_divisor);
	test_check(info.daemon_uid == geteuid(),
		   "QUERY: the daemon's uid %u is ours", info.daemon_uid);
	test_check(!strcmp(info.netdev, "lo"), "QUERY: netdev '%.16s'",
		   info.netdev);
	for (i = 0; i < UD_SERVICE_GID_SLOTS; i++)
		valid += info.gids[i].valid;
	test_check(valid > 0 && info.gids[0].valid,
		   "QUERY: %u valid GIDs, the first in slot 0", valid);
}

/* A malformed request: only the header comes back, with want. */
static void check_refused(const char *what, const void *req, size_t len,
			  int fd, int want)
{
	struct ud_service_info reply;
	ssize_t n = transact(req, len, fd, &reply);

	test_check(n == sizeof(reply.hdr) &&
		   reply.hdr.length == sizeof(reply.hdr) &&
		   reply.hdr.status == want,
		   "%s: %zd bytes, status %d (want %d)", what, n,
		   reply.hdr.status, want);
}

static void check_malformed(void)
{
	struct ud_service_req query = { UD_SERVICE_QUERY, sizeof(query) };
	struct ud_service_req attach = { UD_SERVICE_ATTACH, sizeof(attach) };
	struct ud_service_req bad_len = { UD_SERVICE_QUERY, 4 };
	struct ud_service_req unknown = { 0x75640099u, sizeof(unknown) };
	char big[sizeof(query) + 8] = { 0 };
	int pipe_fds[2];

	if (pipe2(pipe_fds, O_CLOEXEC))
		test_die("pipe2", errno);
	memcpy(big, &query, sizeof(query));
	check_refused("short request", &query, 4, -1, -EINVAL);
	check_refused("long request", big, sizeof(big), -1, -EINVAL);
	check_refused("wrong length field", &bad_len, sizeof(bad_len), -1,
		      -EINVAL);
	check_refused("unknown opcode", &unknown, sizeof(unknown), -1,
		      -EOPNOTSUPP);
	check_refused("QUERY with an fd", &query, sizeof(query), pipe_fds[0],
		      -EINVAL);
	check_refused("ATTACH without an fd", &attach, sizeof(attach), -1,
		      -EINVAL);
	check_refused("ATTACH of a pipe", &attach, sizeof(attach),
		      pipe_fds[0], -EBADF);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

static unsigned long number(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end)
		test_die(s, EINVAL);
	return v;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr,
			"usage: %s NDEVICES FLAGS CONTEXT_SHARE CM_DIVISOR\n",
			argv[0]);
		return 2;
	}
	check_query(number(argv[1]), number(argv[2]), number(argv[3]),
		    number(argv[4]));
	check_malformed();
	/* Still serving after all that. */
	check_query(number(argv[1]), number(argv[2]), number(argv[3]),
		    number(argv[4]));
	return test_failures ? 1 : 0;
}
