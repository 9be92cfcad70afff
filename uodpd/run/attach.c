// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Talks to uodpd's service socket (uodpd/supervise.h): asks a shared
 * daemon what it serves, and hands the command's seccomp listener over and
 * waits until uodpd serves it: from then on the command's trapped calls
 * have someone to answer them.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "run.h"
#include "supervise.h"
#include "uodpd/uodpd.h"

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

/* A connected service socket, or -errno. */
static int connect_service(const char *socket_path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int sock, ret;

	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, socket_path);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = -errno;
		close(sock);
		return ret;
	}
	return sock;
}

int run_attach_listener(const char *socket_path, int listener)
{
	int sock, ret;

	sock = connect_service(socket_path);
	if (sock < 0) {
		ret = sock;
		goto out;
	}
	ret = send_listener(sock, listener);
	if (!ret)
		ret = wait_answer(sock);
	close(sock);
out:
	if (ret)
		run_err("cannot hand the command to uodpd at %s: %s",
			socket_path, strerror(-ret));
	return ret;
}

/* 0 if the answer is a well-formed description of a device. */
static int check_info(const struct ud_service_info *info, ssize_t n)
{
	unsigned int i;

	if (n == sizeof(info->hdr) && info->hdr.length == sizeof(info->hdr) &&
	    info->hdr.status < 0)
		return info->hdr.status;
	if (n != sizeof(*info) || info->hdr.length != sizeof(*info) ||
	    info->hdr.status)
		return -EPROTO;
	if (!info->ndevices || info->ndevices > UODPD_MAX_DEVICES ||
	    !memchr(info->netdev, '\0', sizeof(info->netdev)))
		return -EPROTO;
	for (i = 0; i < UD_SERVICE_GID_SLOTS; i++)
		if (info->gids[i].type > UD_GID_TYPE_ROCE_V2)
			return -EPROTO;
	return 0;
}

int run_query_daemon(const char *socket_path, struct ud_service_info *info)
{
	struct ud_service_req req = {
		.opcode = UD_SERVICE_QUERY,
		.length = sizeof(req),
	};
	ssize_t n;
	int sock, ret;

	sock = connect_service(socket_path);
	if (sock < 0)
		return sock;
	memset(info, 0, sizeof(*info));
	if (send(sock, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req)) {
		ret = -errno;
		goto out;
	}
	do {
		n = recv(sock, info, sizeof(*info), 0);
	} while (n < 0 && errno == EINTR);
	ret = n < 0 ? -errno : check_info(info, n);
out:
	close(sock);
	return ret;
}
