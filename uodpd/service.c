// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The service socket (emulator only; supervise.h has the wire format):
 * where uodp-run hands uodpd the seccomp listener of the command it runs,
 * and asks a shared daemon what it serves.  A connection carries one
 * request and gets one answer, then it is closed.  Programs never talk to
 * this socket: they reach the device through its command fd, as on a
 * kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "loop.h"
#include "supervise.h"
#include "uverbs.h"

/*
 * The socket's directory, if missing (one level, as systemd's
 * RuntimeDirectory= makes it): created 0755 and removed at exit.
 */
static int make_socket_dir(struct uodpd *d, const char *path)
{
	char dir[sizeof(d->sock_dir)];
	char *slash;

	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (!mkdir(dir, 0755)) {
		strcpy(d->sock_dir, dir);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	ud_err("cannot create %s: %s", dir, strerror(errno));
	return -errno;
}

static int lookup_group(const char *name, gid_t *gid)
{
	struct group *gr;

	if (!name) {
		*gid = getegid();
		return 0;
	}
	errno = 0;
	gr = getgrnam(name);
	if (!gr) {
		ud_err("--group %s: %s", name,
		       errno ? strerror(errno) : "no such group");
		return errno ? -errno : -ENOENT;
	}
	*gid = gr->gr_gid;
	return 0;
}

/*
 * Mode 0660 and the group decide who may connect at all; the daemon then
 * serves only processes it may access (peer_uid()).
 */
static int bind_socket(int fd, const struct sockaddr_un *addr, gid_t gid)
{
	mode_t old_mask = umask(0117);
	int ret;

	ret = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));
	umask(old_mask);
	if (ret)
		return -errno;
	if (gid != getegid() && lchown(addr->sun_path, (uid_t)-1, gid)) {
		ret = -errno;
		unlink(addr->sun_path);
		return ret;
	}
	return 0;
}

/* Whether a daemon answers at addr: its socket is no stale one to replace. */
static bool socket_is_live(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = !connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	return live;
}

int ud_service_listen(struct uodpd *d, const char *path, const char *group)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	gid_t gid;
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		ud_err("socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	ret = lookup_group(group, &gid);
	if (!ret)
		ret = make_socket_dir(d, path);
	if (ret)
		return ret;
	/*
	 * A stale socket of a previous daemon; never remove anything else,
	 * nor the socket of a daemon that still serves its commands.
	 */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode)) {
		if (socket_is_live(&addr)) {
			ud_err("another uodpd listens on %s", path);
			return -EADDRINUSE;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	ret = bind_socket(fd, &addr, gid);
	if (!ret && listen(fd, 128))
		ret = -errno;
	if (ret) {
		ud_err("cannot listen on %s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	strcpy(d->sock_path, path);
	d->listen_fd = fd;
	return ud_loop_watch(d, fd, UD_EP_LISTEN, 0);
}

/*
 * The peer's uid, if it may attach.  Whoever the socket's mode and group
 * let connect may, as long as the daemon can reach its memory: a daemon
 * run as root (the system service) serves every user, each context
 * isolated from the others; any other daemon serves its own uid only,
 * for it could not ptrace another user's processes.
 */
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

/* What a request's handler answers: the header, and a body for some. */
union service_answer {
	struct ud_service_resp hdr;
	struct ud_service_info info;
};

struct service_request {
	const struct msghdr *msg;
	int sock;
	int fd;				/* its SCM_RIGHTS fd, or -1 */
	unsigned int nfds;
};

static int serve_attach(struct uodpd *d, const struct service_request *rq,
			union service_answer *answer)
{
	uid_t uid = 0;
	int ret;

	(void)answer;
	if (!ud_fd_is_anon_inode(rq->fd, "seccomp notify"))
		return -EBADF;
	ret = peer_uid(rq->sock, &uid);
	if (ret)
		return ret;
	return ud_supervise_attach(d, rq->fd, uid);
}

static void describe_gids(const struct ud_device *dev,
			  struct ud_service_gid *out)
{
	unsigned int i;

	_Static_assert(UD_SERVICE_GID_SLOTS == UODPD_GID_TBL_LEN,
		       "the answer carries the whole GID table");
	for (i = 0; i < UODPD_GID_TBL_LEN; i++) {
		memcpy(out[i].raw, dev->gids[i].raw, sizeof(out[i].raw));
		out[i].type = dev->gids[i].type;
		out[i].valid = dev->gids[i].valid;
	}
}

/* Every device has the one netdev's GIDs: uodp0's table stands for all. */
static int serve_query(struct uodpd *d, const struct service_request *rq,
		       union service_answer *answer)
{
	struct ud_service_info *info = &answer->info;

	(void)rq;
	_Static_assert(sizeof(d->netdev) <= sizeof(info->netdev),
		       "the netdev name fits the answer");
	if (!d->devices[0].gids[0].valid)
		ud_device_load_gids(d, &d->devices[0]);
	info->hdr.length = sizeof(*info);
	info->ndevices = d->ndevices;
	info->flags = (d->queue_memfd ? UD_SERVICE_INFO_QUEUE_MEMFD : 0) |
		      (d->doorbell_fd ? UD_SERVICE_INFO_DOORBELL_FD : 0);
	info->context_share = d->context_share;
	info->daemon_uid = (uint32_t)geteuid();
	info->cm_timeout_divisor = d->cm_timeout_divisor;
	strcpy(info->netdev, d->netdev);
	describe_gids(&d->devices[0], info->gids);
	return 0;
}

/* The requests, each with the number of fds it must carry. */
static const struct {
	uint32_t opcode;
	unsigned int nfds;
	int (*serve)(struct uodpd *d, const struct service_request *rq,
		     union service_answer *answer);
} service_requests[] = {
	{ UD_SERVICE_ATTACH, 1, serve_attach },
	{ UD_SERVICE_QUERY, 0, serve_query },
};

static int serve_request(struct uodpd *d, const struct ud_service_req *req,
			 const struct service_request *rq,
			 union service_answer *answer)
{
	size_t i;

	if (rq->msg->msg_flags & (MSG_TRUNC | MSG_CTRUNC) ||
	    req->length != sizeof(*req))
		return -EINVAL;
	for (i = 0; i < sizeof(service_requests) / sizeof(service_requests[0]);
	     i++) {
		if (service_requests[i].opcode != req->opcode)
			continue;
		if (rq->nfds != service_requests[i].nfds)
			return -EINVAL;
		return service_requests[i].serve(d, rq, answer);
	}
	return -EOPNOTSUPP;
}

static void answer_request(int sock, union service_answer *answer, int status)
{
	answer->hdr.status = status;
	if (status)
		answer->hdr.length = sizeof(answer->hdr);
	if (send(sock, answer, answer->hdr.length,
		 MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)answer->hdr.length)
		ud_dbg("service: cannot answer: %s", strerror(errno));
}

/* Serve the connection's one request, answer it, close it. */
void ud_service_input(struct uodpd *d, uint32_t id)
{
	int sock = (int)id, status;
	struct ud_service_req req = { 0 };
	union service_answer answer = { .hdr.length = sizeof(answer.hdr) };
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} cbuf;
	struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b),
	};
	struct service_request rq = { .msg = &msg, .sock = sock, .fd = -1 };
	ssize_t n;

	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		rq.fd = take_fd(&msg, &rq.nfds);
		if ((size_t)n != sizeof(req))
			status = -EINVAL;
		else
			status = serve_request(d, &req, &rq, &answer);
		/* attach keeps its fd on success; nothing else keeps one */
		if (rq.fd >= 0 && (status || req.opcode != UD_SERVICE_ATTACH))
			close(rq.fd);
		answer_request(sock, &answer, status);
	}
	ud_loop_unwatch(d, sock);
	close(sock);
}
