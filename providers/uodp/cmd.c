// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The command transport to uodpd: one request, one response, over a unix
 * SOCK_SEQPACKET socket; queue memfds go out and the context's fds come
 * back with SCM_RIGHTS.  The socket is to this provider what the uverbs
 * command fd is to a hardware provider.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "uodp.h"

int uodp_cmd_connect(const char *path, int *sock)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(addr.sun_path))
		return ENAMETOOLONG;
	strcpy(addr.sun_path, path);

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		err = errno;
		close(fd);
		return err;
	}
	*sock = fd;
	return 0;
}

static int send_request(int sock, const void *buf, size_t len,
			const int *fds, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * UODP_MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;

	if (nfds) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EPIPE ? ENOTCONN : errno;
	return (size_t)n == len ? 0 : EPROTO;
}

/* Collect the fds of msg into rfds; return how many arrived. */
static unsigned int take_fds(struct msghdr *msg, int *rfds,
			     unsigned int nrfds)
{
	unsigned int got = 0;
	struct cmsghdr *cmsg;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		unsigned int i, n;
		int fd;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			       sizeof(fd));
			if (got < nrfds)
				rfds[got++] = fd;
			else
				close(fd);	/* more than we asked for */
		}
	}
	return got;
}

static int recv_response(int sock, void *buf, size_t len, size_t *got_len,
			 int *rfds, unsigned int nrfds, unsigned int *nfds_got)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * UODP_MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n;

	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	*nfds_got = take_fds(&msg, rfds, nrfds);
	if (n == 0)
		return ENOTCONN;	/* uodpd went away */
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return EPROTO;
	*got_len = (size_t)n;
	return 0;
}

static void close_fds(int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		close(fds[i]);
		fds[i] = -1;
	}
}

static int check_response(const struct uodp_resp_hdr *hdr, size_t got_len)
{
	if (got_len < sizeof(*hdr) || hdr->length != got_len)
		return EPROTO;
	if (hdr->status > 0 || hdr->status < -4095)
		return EPROTO;
	return -hdr->status;
}

int uodp_cmd(struct uodp_context *ctx, uint32_t opcode, const void *req,
	     size_t req_len, const int *fds, unsigned int nfds, void *resp,
	     size_t resp_len, int *rfds, unsigned int nrfds)
{
	return uodp_cmd_sent(ctx, opcode, req, req_len, fds, nfds, resp,
			     resp_len, rfds, nrfds, NULL);
}

int uodp_cmd_sent(struct uodp_context *ctx, uint32_t opcode, const void *req,
		  size_t req_len, const int *fds, unsigned int nfds, void *resp,
		  size_t resp_len, int *rfds, unsigned int nrfds,
		  uint64_t *sent_ns)
{
	uint8_t out[UODP_MAX_CMD_SIZE], in[UODP_MAX_CMD_SIZE];
	struct uodp_cmd_hdr *hdr = (struct uodp_cmd_hdr *)out;
	struct uodp_resp_hdr *rhdr = (struct uodp_resp_hdr *)in;
	unsigned int nfds_got = 0;
	size_t got_len = 0;
	int err;

	if (req_len + sizeof(*hdr) > sizeof(out) ||
	    resp_len + sizeof(*rhdr) > sizeof(in) || nfds > UODP_MAX_FDS ||
	    nrfds > UODP_MAX_FDS)
		return EINVAL;
	hdr->opcode = opcode;
	hdr->length = (uint32_t)(sizeof(*hdr) + req_len);
	if (req_len)
		memcpy(out + sizeof(*hdr), req, req_len);

	pthread_mutex_lock(&ctx->cmd_lock);
	err = send_request(ctx->sock, out, hdr->length, fds, nfds);
	if (sent_ns)
		*sent_ns = uodp_now_ns();
	if (!err)
		err = recv_response(ctx->sock, in, sizeof(in), &got_len, rfds,
				    nrfds, &nfds_got);
	pthread_mutex_unlock(&ctx->cmd_lock);

	if (!err)
		err = check_response(rhdr, got_len);
	if (!err && nfds_got != nrfds)
		err = EPROTO;
	if (err) {
		close_fds(rfds, nfds_got);
		if (err == EPROTO ||
		    (err == ENOTCONN &&
		     !__atomic_fetch_add(&ctx->lost_reported, 1,
					 __ATOMIC_RELAXED)))
			uodp_err("command %u to uodpd failed: %s", opcode,
				 strerror(err));
		return err;
	}
	if (resp_len) {
		got_len -= sizeof(*rhdr);
		memset(resp, 0, resp_len);
		memcpy(resp, in + sizeof(*rhdr),
		       got_len < resp_len ? got_len : resp_len);
	}
	return 0;
}

int uodp_cmd_destroy(struct uodp_context *ctx, uint32_t opcode,
		     uint32_t handle)
{
	struct uodp_handle_req req = { .handle = handle };
	int err;

	err = uodp_cmd(ctx, opcode, &req, sizeof(req), NULL, 0, NULL, 0,
		       NULL, 0);
	/* A dead device took the object with it: teardown must go on. */
	return err == ENOTCONN ? 0 : err;
}
