// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Hands the command's seccomp listener to uodpd over its service socket
 * (uodpd/supervise.h) and waits until uodpd serves it: from then on the
 * command's trapped calls have someone to answer them.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "run.h"
#include "supervise.h"

static int send_listener(int sock, int listener)
{
	struct ud_service_req hdr = {
		.opcode = UD_SERVICE_ATTACH,
		.length = sizeof(hdr),
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = &hdr, .iov_len = sizeof(hdr) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	memset(&control, 0, sizeof(control));
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &listener, sizeof(int));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != sizeof(hdr))
		return -errno;
	return 0;
}

static int wait_answer(int sock)
{
	struct ud_service_resp resp;
	ssize_t n;

	do {
		n = recv(sock, &resp, sizeof(resp), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != sizeof(resp) || resp.length != sizeof(resp) ||
	    resp.status > 0)
		return -EPROTO;
	return resp.status;
}

int run_attach_listener(const char *socket_path, int listener)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int sock, ret;

	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, socket_path);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)))
		ret = -errno;
	else
		ret = send_listener(sock, listener);
	if (!ret)
		ret = wait_answer(sock);
	close(sock);
	if (ret)
		run_err("cannot hand the command to uodpd at %s: %s",
			socket_path, strerror(-ret));
	return ret;
}
