// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The service socket (emulator only; supervise.h has the wire format):
 * where uodp-run hands uodpd the seccomp listener of the command it runs.
 * A connection carries one request and gets one answer, then it is
 * closed.  Programs never talk to this socket: they reach the device
 * through its command fd, as on a kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "loop.h"
#include "supervise.h"
#include "uverbs.h"

int ud_service_listen(struct uodpd *d, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_mask;
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		ud_err("socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	/* A stale socket of a previous daemon; never remove anything else. */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Owner only: the daemon can serve only processes it may ptrace. */
	old_mask = umask(0077);
	ret = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_mask);
	if (ret || listen(fd, 128)) {
		ret = -errno;
		ud_err("cannot listen on %s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	strcpy(d->sock_path, path);
	d->listen_fd = fd;
	return ud_loop_watch(d, fd, UD_EP_LISTEN, 0);
}

/* The peer's uid, if it may attach: root, or the daemon's own user. */
static int peer_uid(int sock, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -errno;
	if (geteuid() != 0 && cred.uid != geteuid()) {
		ud_warn("refusing pid %d: uid %u is not ours", (int)cred.pid,
			(unsigned int)cred.uid);
		return -EPERM;
	}
	*uid = cred.uid;
	return 0;
}

void ud_service_accept(struct uodpd *d)
{
	int sock;

	for (;;) {
		sock = accept4(d->listen_fd, NULL, NULL,
			       SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (sock < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				ud_warn("accept: %s", strerror(errno));
			return;
		}
		/* The fd number is the connection's name until it is closed. */
		if (ud_loop_watch(d, sock, UD_EP_SERVICE, (uint32_t)sock))
			close(sock);
	}
}

static bool is_seccomp_listener(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return !strcmp(link, "anon_inode:seccomp notify");
}

/* The request's one fd (SCM_RIGHTS), or -1; any other fd is closed. */
static int take_fd(struct msghdr *msg, unsigned int *nfds)
{
	struct cmsghdr *cm;
	int fd, got = -1;
	unsigned int i, n;

	*nfds = 0;
	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++, (*nfds)++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (got < 0)
				got = fd;
			else
				close(fd);
		}
	}
	return got;
}

static int serve_attach(struct uodpd *d, int sock, const struct msghdr *msg,
			const struct ud_service_req *req, int fd,
			unsigned int nfds)
{
	uid_t uid = 0;
	int ret;

	if (msg->msg_flags & (MSG_TRUNC | MSG_CTRUNC) ||
	    req->length != sizeof(*req) || nfds != 1)
		return -EINVAL;
	if (!is_seccomp_listener(fd))
		return -EBADF;
	ret = peer_uid(sock, &uid);
	if (ret)
		return ret;
	return ud_supervise_attach(d, fd, uid);
}

/* Serve the connection's one request, answer it, close it. */
void ud_service_input(struct uodpd *d, uint32_t id)
{
	int sock = (int)id, fd = -1, status;
	struct ud_service_req req = { 0 };
	struct ud_service_resp resp = { .length = sizeof(resp) };
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} cbuf;
	struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b),
	};
	unsigned int nfds;
	ssize_t n;

	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		fd = take_fd(&msg, &nfds);
		if ((size_t)n != sizeof(req))
			status = -EINVAL;
		else if (req.opcode != UD_SERVICE_ATTACH)
			status = -EOPNOTSUPP;
		else
			status = serve_attach(d, sock, &msg, &req, fd, nfds);
		if (status && fd >= 0)
			close(fd);	/* attach keeps it on success */
		resp.status = status;
		if (send(sock, &resp, sizeof(resp), MSG_NOSIGNAL | MSG_DONTWAIT) !=
		    sizeof(resp))
			ud_dbg("service: cannot answer: %s", strerror(errno));
	}
	ud_loop_unwatch(d, sock);
	close(sock);
}
