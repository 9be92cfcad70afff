// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The control socket: one SOCK_SEQPACKET connection per ibv_context.  Each
 * message is one request (struct uodp_cmd_hdr + body, fds in SCM_RIGHTS),
 * answered by one response.  Requests are validated before anything is
 * touched; every fd a client sends is either kept by the command that asked
 * for it or closed.  A connection that breaks the framing is dropped, and
 * dropping a connection destroys everything its context owned.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sys/random.h>
#include <sys/syscall.h>

#include "ctl.h"
#include "loop.h"
#include "odp_priv.h"
#include "supervise.h"
#include "uverbs.h"

#define SHARED_PAGE_SIZE 4096u
#define MSGS_PER_WAKEUP 32	/* then let the datapath run */

/* ---- listening ---- */

int ud_ctl_listen(struct uodpd *d, const char *path)
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

/* ---- contexts ---- */

static struct ud_ctx *ctx_alloc(struct uodpd *d, int sock)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ud_ctx *ctx;

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		ud_warn("SO_PEERCRED: %s", strerror(errno));
		return NULL;
	}
	if (geteuid() != 0 && cred.uid != geteuid()) {
		ud_warn("refusing pid %d: uid %u is not ours", (int)cred.pid,
			(unsigned int)cred.uid);
		return NULL;
	}
	ctx = ud_ctx_new(d, cred.pid, cred.uid);
	if (ctx)
		ctx->sock = sock;
	return ctx;
}

struct ud_ctx *ud_ctx_new(struct uodpd *d, pid_t pid, uid_t uid)
{
	struct ud_ctx *ctx;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->id = ud_idr_alloc(&d->ctx_ids, ctx);
	if (!ctx->id) {
		free(ctx);
		return NULL;
	}
	ctx->sock = -1;
	ctx->pid = pid;
	ctx->uid = uid;
	ctx->kick_fd = -1;
	ctx->async_wfd = -1;
	ctx->async_rfd = -1;
	ctx->async_drain_fd = -1;
	ctx->owner_pidfd = -1;
	list_head_init(&ctx->pds);
	list_head_init(&ctx->mrs);
	list_head_init(&ctx->cqs);
	list_head_init(&ctx->srqs);
	list_head_init(&ctx->qps);
	list_add_tail(&d->ctxs, &ctx->link);
	return ctx;
}

void ud_ctl_accept(struct uodpd *d)
{
	struct ud_ctx *ctx;
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
		ctx = ctx_alloc(d, sock);
		if (!ctx) {
			close(sock);
			continue;
		}
		if (ud_loop_watch(d, sock, UD_EP_CTX_SOCK, ctx->id)) {
			ud_ctx_destroy(d, ctx);
			continue;
		}
		ud_info("context %u: pid %d connected", ctx->id, (int)ctx->pid);
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void ud_ctx_destroy(struct uodpd *d, struct ud_ctx *ctx)
{
	struct ud_qp *qp;
	struct ud_srq *srq;
	struct ud_cq *cq;
	struct ud_mr *mr;
	struct ud_pd *pd;

	ctx->dead = true;
	ud_uverbs_ctx_gone(ctx);
	/* Its faults first, resumed with error while their queues exist. */
	ud_odp_ctx_destroy(d, ctx);
	/* Users before what they use: QPs, SRQs, CQs, MRs, PDs, XRCDs. */
	list_for_each_safe(&ctx->qps, qp, t1, struct ud_qp, ctx_link)
		ud_qp_destroy(d, qp);
	list_for_each_safe(&ctx->srqs, srq, t2, struct ud_srq, ctx_link)
		ud_srq_destroy(d, srq);
	list_for_each_safe(&ctx->cqs, cq, t3, struct ud_cq, ctx_link)
		ud_cq_destroy(d, cq);
	list_for_each_safe(&ctx->mrs, mr, t4, struct ud_mr, ctx_link)
		ud_mr_destroy(d, mr);
	list_for_each_safe(&ctx->pds, pd, t5, struct ud_pd, ctx_link)
		ud_pd_destroy(d, pd);
	ud_ctx_close_xrcds(d, ctx);

	ud_loop_unwatch(d, ctx->sock);
	if (ctx->kick_fd >= 0)
		ud_loop_unwatch(d, ctx->kick_fd);
	close_fd(&ctx->sock);
	close_fd(&ctx->kick_fd);
	close_fd(&ctx->async_wfd);
	close_fd(&ctx->async_rfd);
	close_fd(&ctx->async_drain_fd);
	if (ctx->owner_pidfd >= 0)
		ud_loop_unwatch(d, ctx->owner_pidfd);
	close_fd(&ctx->owner_pidfd);
	/* A command fd's context borrows the file's page. */
	if (ctx->shared && !ctx->shared_borrowed)
		munmap(ctx->shared, SHARED_PAGE_SIZE);
	list_del(&ctx->link);
	ud_idr_remove(&d->ctx_ids, ctx->id);
	ud_info("context %u: pid %d gone", ctx->id, (int)ctx->pid);
	free(ctx);
}

void ud_ctl_kick(struct uodpd *d, uint32_t ctx_id)
{
	struct ud_ctx *ctx = ud_idr_find(&d->ctx_ids, ctx_id);
	uint64_t v;

	if (!ctx || ctx->kick_fd < 0)
		return;
	if (read(ctx->kick_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		ud_dbg("context %u: doorbell eventfd: %s", ctx_id,
		       strerror(errno));
	/* An arm is rung like a doorbell (req_notify_cq kicks). */
	ud_ctx_check_arms(ctx);
}

void ud_async_event(struct ud_ctx *ctx, uint64_t element, uint32_t type,
		    uint32_t *count)
{
	struct uodp_async_event ev = {
		.element = element,
		.event_type = type,
	};

	if (ctx->async_wfd < 0)
		return;
	/* One record is below PIPE_BUF: written whole or not at all. */
	if (write(ctx->async_wfd, &ev, sizeof(ev)) == sizeof(ev)) {
		(*count)++;
		return;
	}
	if (errno == EPIPE)	/* the process closed its async_fd */
		ud_dbg("context %u: async event %u dropped: %s", ctx->id,
		       type, strerror(errno));
	else
		ud_warn("context %u: async event %u dropped: %s", ctx->id,
			type, strerror(errno));
}

uint32_t ud_async_take_back(struct ud_ctx *ctx, uint64_t element,
			    uint32_t count)
{
	uint32_t removed = 0;

	if (count && ctx->async_drain_fd >= 0)
		removed = ud_pipe_take_back(ctx->async_drain_fd,
					    ctx->async_wfd,
					    sizeof(struct uodp_async_event),
					    element);
	return removed < count ? count - removed : 0;
}

/* ---- OPEN_CONTEXT, QUERY_DEVICE, QUERY_PORT ---- */

static int create_shared_page(struct ud_ctx *ctx, int *fd_out)
{
	int fd, ret;
	void *p;

	fd = memfd_create("uodp-shared", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, SHARED_PAGE_SIZE) ||
	    /* the client must not shrink it under us (SIGBUS) */
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		goto err_close;
	p = mmap(NULL, SHARED_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (p == MAP_FAILED)
		goto err_close;
	ctx->shared = p;
	/* Until the daemon says it is polling, every doorbell must kick. */
	ctx->shared->need_wakeup = 1;
	*fd_out = fd;
	return 0;

err_close:
	ret = -errno;
	close(fd);
	return ret;
}

int ud_ctx_open_async(struct ud_ctx *ctx)
{
	int pipefd[2];

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	ctx->async_wfd = pipefd[1];
	ctx->async_rfd = pipefd[0];
	ctx->async_drain_fd = ud_reopen_nonblock(pipefd[0]);
	if (ctx->async_drain_fd < 0)
		return -errno;
	/* Never block on a client that does not read its events. */
	if (fcntl(ctx->async_wfd, F_SETFL, O_NONBLOCK))
		return -errno;
	return 0;
}

/*
 * The context reaches memory through its owner's pid: when that process
 * is gone the context goes, so the number can never reach a process that
 * reuses it (a kernel's umem keeps the mm itself).
 */
int ud_ctx_watch_owner(struct uodpd *d, struct ud_ctx *ctx)
{
	ctx->owner_pidfd = (int)syscall(SYS_pidfd_open, ctx->pid, 0);
	if (ctx->owner_pidfd < 0)
		return -errno;
	return ud_loop_watch(d, ctx->owner_pidfd, UD_EP_CTX_OWNER, ctx->id);
}

void ud_ctx_owner_exited(struct uodpd *d, uint32_t ctx_id)
{
	struct ud_ctx *ctx = ud_idr_find(&d->ctx_ids, ctx_id);

	if (!ctx)
		return;
	ud_info("context %u: pid %d exited", ctx->id, (int)ctx->pid);
	ud_ctx_destroy(d, ctx);
}

int ud_ctx_open_doorbell(struct uodpd *d, struct ud_ctx *ctx)
{
	ctx->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ctx->kick_fd < 0)
		return -errno;
	return ud_loop_watch(d, ctx->kick_fd, UD_EP_CTX_KICK, ctx->id);
}

static int open_context_fds(struct uodpd *d, struct ud_ctx *ctx,
			    struct ud_cmd *c)
{
	int shm_fd = -1, fd, ret;

	ret = create_shared_page(ctx, &shm_fd);
	if (ret)
		return ret;
	c->resp_fds[c->resp_nfds++] = shm_fd;
	ret = ud_ctx_open_doorbell(d, ctx);
	if (ret)
		return ret;
	fd = fcntl(ctx->kick_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	c->resp_fds[c->resp_nfds++] = fd;
	ret = ud_ctx_open_async(ctx);
	if (ret)
		return ret;
	/* GET_CONTEXT on the command fd hands out the same reader. */
	fd = fcntl(ctx->async_rfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	c->resp_fds[c->resp_nfds++] = fd;
	return 0;
}

static void open_context_undo(struct uodpd *d, struct ud_ctx *ctx,
			      struct ud_cmd *c)
{
	while (c->resp_nfds)
		close_fd(&c->resp_fds[--c->resp_nfds]);
	if (ctx->kick_fd >= 0)
		ud_loop_unwatch(d, ctx->kick_fd);
	close_fd(&ctx->kick_fd);
	close_fd(&ctx->async_wfd);
	close_fd(&ctx->async_rfd);
	close_fd(&ctx->async_drain_fd);
	if (ctx->shared)
		munmap(ctx->shared, SHARED_PAGE_SIZE);
	ctx->shared = NULL;
}

static int cmd_open_context(struct ud_cmd *c)
{
	const struct uodp_open_context_req *req = c->req;
	struct uodp_open_context_resp *resp = c->resp;
	struct ud_ctx *ctx = c->ctx;
	struct ud_device *dev;
	int ret;

	if (ctx->shared)
		return -EBUSY;		/* already open */
	if (req->abi_version != UODP_ABI_VERSION) {
		ud_warn("context %u: ABI version %u, daemon speaks %u",
			ctx->id, req->abi_version, UODP_ABI_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (req->reserved ||
	    !memchr(req->ibdev, '\0', sizeof(req->ibdev)))
		return -EINVAL;
	dev = ud_device_by_name(c->d, req->ibdev);
	if (!dev)
		return -ENODEV;
	if (!dev->gids[0].valid)
		ud_device_load_gids(dev, c->d->sysfs_root);
	ret = open_context_fds(c->d, ctx, c);
	if (ret) {
		open_context_undo(c->d, ctx, c);
		return ret;
	}
	ctx->dev = dev;
	while (!ctx->bind_token &&
	       getrandom(&ctx->bind_token, sizeof(ctx->bind_token), 0) !=
	       sizeof(ctx->bind_token))
		;
	resp->bind_token = ctx->bind_token;
	resp->abi_version = UODP_ABI_VERSION;
	resp->context_id = ctx->id;
	resp->daemon_pid = getpid();
	resp->shared_page_size = SHARED_PAGE_SIZE;
	c->resp_len = sizeof(*resp);
	ud_info("context %u: pid %d opened %s", ctx->id, (int)ctx->pid,
		dev->name);
	return 0;
}

static int cmd_query_device(struct ud_cmd *c)
{
	memcpy(c->resp, &c->ctx->dev->attr, sizeof(c->ctx->dev->attr));
	c->resp_len = sizeof(c->ctx->dev->attr);
	return 0;
}

static int cmd_query_port(struct ud_cmd *c)
{
	const struct uodp_query_port_req *req = c->req;

	if (req->port_num != 1 || req->reserved)
		return -EINVAL;
	memcpy(c->resp, &c->ctx->dev->port, sizeof(c->ctx->dev->port));
	c->resp_len = sizeof(c->ctx->dev->port);
	return 0;
}

/* ---- the service socket's ATTACH (supervise.h) ---- */

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

static int cmd_attach(struct ud_cmd *c)
{
	int fd = ud_cmd_take_fd(c, 0);
	int ret;

	if (c->req_len || c->nfds != 1 || c->ctx->shared) {
		ret = -EINVAL;
	} else if (!is_seccomp_listener(fd)) {
		ret = -EBADF;
	} else {
		ret = ud_supervise_attach(c->d, fd, c->ctx->uid);
		if (!ret)
			return 0;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

/* ---- dispatch ---- */

struct cmd_desc {
	int (*fn)(struct ud_cmd *c);
	uint32_t req_size;		/* exact body size, or the maximum */
	uint32_t min_req_size;		/* variable bodies: the minimum */
	uint8_t min_fds, max_fds;
};

#define CMD(op, f, req, lo, hi)						\
	[UODP_CMD_##op] = { .fn = f, .req_size = req,			\
			    .min_req_size = req, .min_fds = lo,		\
			    .max_fds = hi }
/* A body of min to max bytes (a count of array entries it checks). */
#define CMD_VAR(op, f, min, max, lo, hi)				\
	[UODP_CMD_##op] = { .fn = f, .req_size = max,			\
			    .min_req_size = min, .min_fds = lo,		\
			    .max_fds = hi }

static const struct cmd_desc cmd_table[UODP_CMD_MAX] = {
	CMD(OPEN_CONTEXT, cmd_open_context,
	    sizeof(struct uodp_open_context_req), 0, 0),
	CMD(QUERY_DEVICE, cmd_query_device, 0, 0, 0),
	CMD(QUERY_PORT, cmd_query_port, sizeof(struct uodp_query_port_req),
	    0, 0),
	CMD(ALLOC_PD, ud_cmd_alloc_pd, 0, 0, 0),
	CMD(DEALLOC_PD, ud_cmd_dealloc_pd, sizeof(struct uodp_handle_req),
	    0, 0),
	CMD(REG_MR, ud_cmd_reg_mr, sizeof(struct uodp_reg_mr_req), 0, 0),
	CMD(DEREG_MR, ud_cmd_dereg_mr, sizeof(struct uodp_handle_req), 0, 0),
	CMD(CREATE_CQ, ud_cmd_create_cq, sizeof(struct uodp_create_cq_req),
	    1, 1),
	CMD(DESTROY_CQ, ud_cmd_destroy_cq, sizeof(struct uodp_handle_req),
	    0, 0),
	CMD(OPEN_XRCD, ud_cmd_open_xrcd, sizeof(struct uodp_open_xrcd_req),
	    0, 1),
	CMD(CLOSE_XRCD, ud_cmd_close_xrcd, sizeof(struct uodp_handle_req),
	    0, 0),
	CMD(CREATE_SRQ, ud_cmd_create_srq, sizeof(struct uodp_create_srq_req),
	    1, 1),
	CMD(MODIFY_SRQ, ud_cmd_modify_srq, sizeof(struct uodp_modify_srq_req),
	    0, 0),
	CMD(QUERY_SRQ, ud_cmd_query_srq, sizeof(struct uodp_handle_req), 0, 0),
	CMD(DESTROY_SRQ, ud_cmd_destroy_srq, sizeof(struct uodp_handle_req),
	    0, 0),
	CMD(CREATE_QP, ud_cmd_create_qp, sizeof(struct uodp_create_qp_req),
	    0, 1),
	CMD(MODIFY_QP, ud_cmd_modify_qp, sizeof(struct uodp_modify_qp_req),
	    0, 0),
	CMD(QUERY_QP, ud_cmd_query_qp, sizeof(struct uodp_handle_req), 0, 0),
	CMD(DESTROY_QP, ud_cmd_destroy_qp, sizeof(struct uodp_handle_req),
	    0, 0),
	CMD(ODP_API, ud_cmd_odp_api, sizeof(struct uodp_odp_api), 0, 0),
	CMD(ODP_CREATE_CHANNEL, ud_cmd_odp_create_channel, 0, 1, 1),
	/* MAP: the header and only the ranges used, or the whole struct. */
	CMD_VAR(ODP_MAP, ud_cmd_odp_map,
		offsetof(struct uodp_odp_map_req, ranges),
		sizeof(struct uodp_odp_map_req), 0, 0),
	CMD(GENERAL, ud_cmd_general, sizeof(struct uodp_general_cmd), 0, 0),
	CMD(QUERY_COUNTERS, ud_cmd_query_counters,
	    sizeof(struct uodp_query_counters_req), 0, 0),
};

static int dispatch(struct ud_cmd *c, uint32_t opcode)
{
	const struct cmd_desc *desc;

	if (opcode == UD_ATTACH_OPCODE)
		return cmd_attach(c);
	if (opcode == 0 || opcode >= UODP_CMD_MAX || !cmd_table[opcode].fn)
		return -EOPNOTSUPP;
	desc = &cmd_table[opcode];
	if (c->req_len > desc->req_size || c->req_len < desc->min_req_size)
		return -EINVAL;
	if (c->nfds < desc->min_fds || c->nfds > desc->max_fds)
		return -EBADF;
	if (opcode != UODP_CMD_OPEN_CONTEXT && !c->ctx->shared)
		return -EPROTO;		/* OPEN_CONTEXT comes first */
	return desc->fn(c);
}

union msg_buf {
	uint64_t align;
	uint8_t b[UODP_MAX_CMD_SIZE + 1];
};

static int send_response(struct ud_ctx *ctx, struct ud_cmd *c, int status)
{
	union msg_buf out;
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * UODP_MAX_FDS)];
	} cbuf;
	struct uodp_resp_hdr *hdr = (void *)out.b;
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (status)
		c->resp_len = 0;
	hdr->status = status;
	hdr->length = sizeof(*hdr) + c->resp_len;
	memcpy(out.b + sizeof(*hdr), c->resp, c->resp_len);
	iov.iov_base = out.b;
	iov.iov_len = hdr->length;
	if (!status && c->resp_nfds) {
		msg.msg_control = cbuf.b;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * c->resp_nfds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * c->resp_nfds);
		memcpy(CMSG_DATA(cm), c->resp_fds, sizeof(int) * c->resp_nfds);
	}
	/* One request, one response: a client that does not read is broken. */
	n = sendmsg(ctx->sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (c->resp_nfds)
		close_fd(&c->resp_fds[--c->resp_nfds]);
	if (n != (ssize_t)hdr->length) {
		ud_info("context %u: cannot answer: %s", ctx->id,
			n < 0 ? strerror(errno) : "short write");
		return -EPIPE;
	}
	return 0;
}

static void collect_fds(struct msghdr *msg, struct ud_cmd *c)
{
	struct cmsghdr *cm;
	unsigned int i, n;
	int fd;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
			if (c->nfds < UODP_MAX_FDS)
				c->fds[c->nfds++] = fd;
			else
				close(fd);	/* cannot happen: cmsg sized */
		}
	}
}

/*
 * Receive and serve one request.  1: served, 0: nothing pending, <0: the
 * connection is finished (EOF, error, unparseable message).
 */
static int serve_one(struct uodpd *d, struct ud_ctx *ctx)
{
	union msg_buf in, out;
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * UODP_MAX_FDS)];
	} cbuf;
	struct iovec iov = { .iov_base = in.b, .iov_len = sizeof(in.b) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b),
	};
	struct uodp_cmd_hdr hdr;
	struct ud_cmd c = { .d = d, .ctx = ctx, .resp = out.b };
	unsigned int i;
	ssize_t n;
	int status, ret;

	n = recvmsg(ctx->sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;	/* EOF */
	collect_fds(&msg, &c);
	if ((size_t)n < sizeof(hdr)) {
		ret = -EPROTO;
		goto out_close;
	}
	memcpy(&hdr, in.b, sizeof(hdr));
	if (msg.msg_flags & MSG_CTRUNC)
		status = -EBADF;	/* fds were lost: refuse the command */
	else if ((msg.msg_flags & MSG_TRUNC) || hdr.length > UODP_MAX_CMD_SIZE)
		status = -EMSGSIZE;
	else if (hdr.length != (size_t)n)
		status = -EINVAL;
	else {
		c.req = in.b + sizeof(hdr);
		c.req_len = n - sizeof(hdr);
		status = dispatch(&c, hdr.opcode);
	}
	if (status)
		ud_dbg("context %u: opcode %u: %s", ctx->id, hdr.opcode,
		       strerror(-status));
	ret = send_response(ctx, &c, status);
	if (!ret)
		ret = 1;
out_close:
	for (i = 0; i < c.nfds; i++)
		close_fd(&c.fds[i]);
	return ret;
}

void ud_ctl_input(struct uodpd *d, uint32_t ctx_id)
{
	struct ud_ctx *ctx = ud_idr_find(&d->ctx_ids, ctx_id);
	int i, ret;

	if (!ctx)
		return;		/* destroyed earlier in this batch */
	for (i = 0; i < MSGS_PER_WAKEUP; i++) {
		ret = serve_one(d, ctx);
		if (ret == 0)
			return;
		if (ret < 0) {
			if (ret != -ECONNRESET)
				ud_info("context %u: dropping connection: %s",
					ctx->id, strerror(-ret));
			ud_ctx_destroy(d, ctx);
			return;
		}
	}
}
