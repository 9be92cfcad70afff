// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The uodpd tests' harness (see harness.h): fixtures, the daemon's life
 * and the raw protocol client, shared by every test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

int failures;
char tmpdir[64];
char sock_path[256];
pid_t daemon_pid;

int harness_report(const char *prog)
{
	printf("%s: %d failure(s)\n", prog, failures);
	return failures ? 1 : 0;
}

/* ---- environment ---- */

const char *harness_init(int argc, char **argv, const char *tag)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH_TO_UODPD\n", argv[0]);
		exit(2);
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/uodpd-%s-XXXXXX", tag);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
	return argv[1];
}

void harness_cleanup(void)
{
	char cmdline[400];

	snprintf(cmdline, sizeof(cmdline), "rm -rf %s", tmpdir);
	if (system(cmdline))
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

/* mkdir -p: a fixture that cannot be made must stop the test. */
static void mkdirs(const char *path)
{
	char buf[512], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			goto err;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		goto err;
	return;
err:
	perror(buf);
	exit(1);
}

/*
 * What uodp-run writes, per device: 16 GIDs on port 1, a link-local one
 * at index 0 (RoCE v1) and an IPv4-mapped one at index 1 (RoCE v2), the
 * rest empty.
 */
static void make_sysfs(int ndevices)
{
	char dir[512], path[600];
	int dev, i;

	for (dev = 0; dev < ndevices; dev++) {
		snprintf(dir, sizeof(dir),
			 "%s/sys/class/infiniband/uodp%d/ports/1", tmpdir, dev);
		snprintf(path, sizeof(path), "%s/gids", dir);
		mkdirs(path);
		snprintf(path, sizeof(path), "%s/gid_attrs/types", dir);
		mkdirs(path);
		for (i = 0; i < 16; i++) {
			const char *gid = "0000:0000:0000:0000:0000:0000:0000:0000\n";

			if (i == 0)
				gid = "fe80:0000:0000:0000:0000:0000:0000:0001\n";
			if (i == 1)
				gid = "0000:0000:0000:0000:0000:ffff:7f00:0001\n";
			snprintf(path, sizeof(path), "%s/gids/%d", dir, i);
			write_file(path, gid);
			snprintf(path, sizeof(path), "%s/gid_attrs/types/%d",
				 dir, i);
			write_file(path, i == 1 ? "RoCE v2\n" : "IB/RoCE v1\n");
		}
	}
}

void start_daemon(const char *bin, int ndevices)
{
	char sysfs[300], fdarg[16], devices[16];
	struct pollfd pfd;
	int ready[2];
	char byte;

	make_sysfs(ndevices);
	snprintf(sock_path, sizeof(sock_path), "%s/sock", tmpdir);
	snprintf(sysfs, sizeof(sysfs), "%s/sys", tmpdir);
	snprintf(devices, sizeof(devices), "%d", ndevices);
	if (pipe(ready)) {
		perror("pipe");
		exit(1);
	}
	daemon_pid = fork();
	if (daemon_pid == 0) {
		close(ready[0]);
		/* No daemon outlives a test that crashed. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		snprintf(fdarg, sizeof(fdarg), "%d", ready[1]);
		execl(bin, bin, "--socket", sock_path, "--sysfs", sysfs,
		      "--devices", devices, "--ready-fd", fdarg, (char *)NULL);
		perror(bin);
		_exit(127);
	}
	close(ready[1]);
	pfd.fd = ready[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 || read(ready[0], &byte, 1) != 1) {
		fprintf(stderr, "daemon did not become ready\n");
		kill(daemon_pid, SIGKILL);
		exit(1);
	}
	close(ready[0]);
	/* The daemon reads our memory for MRs (Yama ptrace_scope 1). */
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
}

void stop_daemon(void)
{
	int status;

	CHECK_EQ(kill(daemon_pid, SIGTERM), 0);
	CHECK_EQ(waitpid(daemon_pid, &status, 0), daemon_pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "daemon exit status 0x%x", status);
	CHECK(access(sock_path, F_OK) != 0, "socket removed");
}

/* ---- protocol ---- */

int connect_daemon(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	strcpy(addr.sun_path, sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("connect");
		exit(1);
	}
	return fd;
}

int send_msg(int sock, const void *buf, size_t len, const int *fds,
	     int nfds)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * HARNESS_MAX_FDS)];
	} cbuf;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (nfds > HARNESS_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		msg.msg_control = cbuf.b;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

/*
 * Keep what fits in fds, close the rest, count them all: an extra fd
 * from the daemon must fail the caller's count check, not leak.
 */
static int take_fds(struct msghdr *msg, int *fds)
{
	struct cmsghdr *cm;
	int got = 0, fd, i, k;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (fds && got < HARNESS_MAX_FDS)
				fds[got] = fd;
			else
				close(fd);
			got++;
		}
	}
	return got;
}

int recv_resp(int sock, void *resp, size_t resp_len, int *fds, int *nfds)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * HARNESS_MAX_FDS)];
	} cbuf;
	char buf[2048];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b),
	};
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	struct uodp_resp_hdr hdr;
	ssize_t n;
	int got;

	if (poll(&pfd, 1, 10000) != 1)
		return -ETIMEDOUT;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return -ECONNRESET;
	got = take_fds(&msg, fds);
	if (nfds)
		*nfds = got;
	if ((size_t)n < sizeof(hdr))
		return -EPROTO;
	memcpy(&hdr, buf, sizeof(hdr));
	CHECK_EQ(hdr.length, n);
	if (!hdr.status && resp) {
		CHECK_EQ(n - sizeof(hdr), resp_len);
		memcpy(resp, buf + sizeof(hdr), resp_len);
	}
	return hdr.status;
}

int cmd_full(int sock, uint32_t op, const void *req, size_t req_len,
	     const int *fds, int nfds, void *resp, size_t resp_len,
	     int *rfds, int *nrfds)
{
	char buf[UODP_MAX_CMD_SIZE];
	struct uodp_cmd_hdr hdr = {
		.opcode = op,
		.length = sizeof(hdr) + req_len,
	};
	int ret;

	if (sizeof(hdr) + req_len > sizeof(buf))
		return -EMSGSIZE;
	memcpy(buf, &hdr, sizeof(hdr));
	if (req_len)
		memcpy(buf + sizeof(hdr), req, req_len);
	ret = send_msg(sock, buf, hdr.length, fds, nfds);
	if (ret)
		return ret;
	return recv_resp(sock, resp, resp_len, rfds, nrfds);
}

int cmd_fds(int sock, uint32_t op, const void *req, size_t req_len,
	    const int *fds, int nfds, void *resp, size_t resp_len)
{
	return cmd_full(sock, op, req, req_len, fds, nfds, resp, resp_len,
			NULL, NULL);
}

int cmd(int sock, uint32_t op, const void *req, size_t req_len, void *resp,
	size_t resp_len)
{
	return cmd_full(sock, op, req, req_len, NULL, 0, resp, resp_len, NULL,
			NULL);
}

int handle_cmd(int sock, uint32_t op, uint32_t handle)
{
	struct uodp_handle_req req = { .handle = handle };

	return cmd(sock, op, &req, sizeof(req), NULL, 0);
}

/* ---- the client ---- */

void client_connect(struct client *c)
{
	memset(c, 0, sizeof(*c));
	c->shared_fd = c->kick_fd = c->async_fd = -1;
	c->chan = c->stats_fd = -1;
	c->sock = connect_daemon();
}

int open_context(struct client *c, const char *ibdev)
{
	struct uodp_open_context_req req = { .abi_version = UODP_ABI_VERSION };
	struct uodp_open_context_resp resp;
	int fds[HARNESS_MAX_FDS], nfds = 0, ret;

	snprintf(req.ibdev, sizeof(req.ibdev), "%s", ibdev);
	ret = cmd_full(c->sock, UODP_CMD_OPEN_CONTEXT, &req, sizeof(req),
		       NULL, 0, &resp, sizeof(resp), fds, &nfds);
	if (ret)
		return ret;
	CHECK_EQ(nfds, 3);
	if (nfds < 3)
		return -EPROTO;
	CHECK_EQ(resp.daemon_pid, daemon_pid);
	CHECK_EQ(resp.abi_version, UODP_ABI_VERSION);
	c->ctx_id = resp.context_id;
	c->shared_fd = fds[0];
	c->kick_fd = fds[1];
	c->async_fd = fds[2];
	c->shared_size = resp.shared_page_size;
	c->shared = mmap(NULL, c->shared_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, c->shared_fd, 0);
	CHECK(c->shared != MAP_FAILED, "mmap shared page");
	return 0;
}

void client_open(struct client *c)
{
	client_connect(c);
	CHECK_EQ(open_context(c, "uodp0"), 0);
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

void client_close(struct client *c)
{
	if (c->shared && c->shared != MAP_FAILED)
		munmap(c->shared, c->shared_size);
	if (c->stats && (void *)c->stats != MAP_FAILED)
		munmap(c->stats, c->stats_size);
	close_fd(c->shared_fd);
	close_fd(c->kick_fd);
	close_fd(c->async_fd);
	close_fd(c->chan);
	close_fd(c->stats_fd);
	close_fd(c->sock);
}

uint32_t alloc_pd(struct client *c)
{
	struct uodp_alloc_pd_resp resp = { 0 };

	CHECK_EQ(cmd(c->sock, UODP_CMD_ALLOC_PD, NULL, 0, &resp,
		     sizeof(resp)), 0);
	return resp.pdn;
}

int reg_mr_iova(struct client *c, uint32_t pdn, uint64_t addr,
		uint64_t len, uint64_t iova, uint32_t access, uint32_t *key)
{
	struct uodp_reg_mr_req req = {
		.pdn = pdn,
		.access = access,
		.addr = addr,
		.length = len,
		.iova = iova,
	};
	struct uodp_reg_mr_resp resp = { 0 };
	int ret;

	ret = cmd(c->sock, UODP_CMD_REG_MR, &req, sizeof(req), &resp,
		  sizeof(resp));
	if (key)
		*key = resp.lkey;
	return ret;
}

int modify_qp(struct client *c, uint32_t qpn, uint32_t mask,
	      const struct uodp_qp_attr *attr)
{
	struct uodp_modify_qp_req req = { .qpn = qpn, .attr_mask = mask };

	req.attr = *attr;
	return cmd(c->sock, UODP_CMD_MODIFY_QP, &req, sizeof(req), NULL, 0);
}

/* ---- memfds ---- */

int memfd_with_seals(const char *name, size_t size, unsigned int seals)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, size))
		exit(1);
	if (seals && fcntl(fd, F_ADD_SEALS, seals))
		exit(1);
	return fd;
}

int queue_memfd(size_t size, bool sealed)
{
	return memfd_with_seals("q", size, sealed ? F_SEAL_SHRINK |
				F_SEAL_GROW | F_SEAL_SEAL : 0);
}
