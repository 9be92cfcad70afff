// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The command fd as a process sees it, hostile uses next to the plain ones
 * (run inside uodp-run): the open lands in the trapped range and fstats as
 * a character device; bad framing, commands before GET_CONTEXT and bad
 * ioctls get the kernel's errno; a forked child is served on the inherited
 * fd; another file dup2'd onto a command fd number, and opens with other
 * flags, run untouched and lose no data; a completion channel read late
 * loses no event.
 *
 * "uodp-cmdfd queues memfd|anonymous": the provider's rings are in memfds
 * shared with the device and it holds the device's doorbell eventfd, or
 * the rings are in its own anonymous memory and there is no eventfd (its
 * doorbells are UAR writes, as on a kernel), as the device offered.
 *
 * "uodp-cmdfd leader-exit": the main thread sets up, then pthread_exit()s;
 * another thread goes on with RDMA traffic and commands, which the device
 * serves although the thread group's leader (its tgid) is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_user_ioctl.h>
#include <rdma/rdma_user_ioctl_cmds.h>

#include <infiniband/verbs.h>

#include "lib/report.h"
#include "lib/verbs.h"
#include "uodpd/supervise.h"

#define DEV "/dev/infiniband/uverbs0"

struct cmd16 {
	struct ib_uverbs_cmd_hdr hdr;
	uint64_t response;
};

/* write() one command: its result, or -errno. */
static long write_cmd(int fd, uint32_t command, uint16_t in_words,
		      uint16_t out_words, void *resp)
{
	struct cmd16 c = {
		.hdr = { command, in_words, out_words },
		.response = (uintptr_t)resp,
	};
	long n = write(fd, &c, sizeof(c));

	return n < 0 ? -errno : n;
}

static int open_device(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		test_die("open " DEV, errno);
	return fd;
}

static void check_open(int fd)
{
	struct stat st;

	test_check(fd >= UD_CMDFD_BASE && fd < UD_CMDFD_BASE + UD_CMDFD_COUNT,
		   "the command fd (%d) is in the trapped range", fd);
	test_check(!fstat(fd, &st) && S_ISCHR(st.st_mode),
		   "fstat of the command fd says character device");
	test_check(fcntl(fd, F_GETFD) == FD_CLOEXEC,
		   "the command fd is close-on-exec as asked");
	test_check(read(fd, &st, sizeof(st)) < 0 && errno == EINVAL,
		   "read() of the command fd: EINVAL (uverbs has no read)");
}

/* One method call with n attributes: its result, or -errno. */
static long ioctl_cmd(int fd, uint16_t object, uint16_t method,
		      const struct ib_uverbs_attr *attrs, uint16_t n,
		      uint16_t length_fix)
{
	/* The header's attrs[] is flexible: lay it out by hand. */
	uint64_t buf[(sizeof(struct ib_uverbs_ioctl_hdr) +
		      4 * sizeof(struct ib_uverbs_attr)) / sizeof(uint64_t)];
	struct ib_uverbs_ioctl_hdr *hdr = (void *)buf;

	memset(buf, 0, sizeof(buf));
	hdr->length = (uint16_t)(sizeof(*hdr) + n * sizeof(attrs[0]) +
				 length_fix);
	hdr->object_id = object;
	hdr->method_id = method;
	hdr->num_attrs = n;
	if (n)
		memcpy(hdr + 1, attrs, n * sizeof(attrs[0]));
	return ioctl(fd, RDMA_VERBS_IOCTL, buf) ? -errno : 0;
}

static void check_bad_ioctls(int fd)
{
	struct ib_uverbs_attr attrs[2] = {
		{ .attr_id = 0x1000, .len = 16, .flags = UVERBS_ATTR_F_MANDATORY },
		{ .attr_id = 0x1001, .len = 16, .flags = UVERBS_ATTR_F_MANDATORY },
	};

	test_check(ioctl_cmd(fd, 0x7777, 0, NULL, 0, 0) == -EPROTONOSUPPORT,
		   "an unknown object: EPROTONOSUPPORT (libibverbs falls back)");
	test_check(ioctl_cmd(fd, 0x1000, 0x1000, attrs, 2, 16) == -EINVAL,
		   "a header length that does not match num_attrs: EINVAL");
	test_check(ioctl_cmd(fd, 0x1000, 0x1000, attrs, 2, 0) == -EINVAL,
		   "DEVX before GET_CONTEXT: EINVAL");
	attrs[1].flags |= 0x80;
	test_check(ioctl_cmd(fd, 0x1000, 0x1000, attrs, 2, 0) == -EINVAL,
		   "attribute flags outside the ABI: EINVAL");
}

/* The number the next open would get. */
static int lowest_free_fd(void)
{
	int fd = dup(0), n = fd;

	if (fd >= 0)
		close(fd);
	return n;
}

/* An address nothing is mapped at, hidden from the compiler's checks. */
static void *volatile bad_address = (void *)8;

static void check_bad_commands(int fd)
{
	uint32_t resp[32];
	struct cmd16 c = { .hdr = { IB_USER_VERBS_CMD_GET_CONTEXT, 4, 2 } };
	int async_fd, lowest;

	test_check(write_cmd(fd, IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL, 5, 1,
			     resp) == -EINVAL,
		   "in_words not matching the write: EINVAL");
	test_check(write(fd, &c, 6) < 0 && errno == EINVAL,
		   "a write shorter than the header: EINVAL");
	test_check(write_cmd(fd, IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL, 4, 1,
			     resp) == -EINVAL,
		   "CREATE_COMP_CHANNEL before GET_CONTEXT: EINVAL");
	test_check(write_cmd(fd, IB_USER_VERBS_CMD_CREATE_AH, 4, 4,
			     resp) == -EOPNOTSUPP,
		   "a command the device does not serve: EOPNOTSUPP");
	test_check(write(fd, bad_address, 16) < 0 && errno == EFAULT,
		   "a command at a bad address: EFAULT");
	test_check(ioctl(fd, RDMA_VERBS_IOCTL, NULL) < 0 && errno == EFAULT,
		   "RDMA_VERBS_IOCTL with no header: EFAULT");
	test_check(ioctl(fd, FIONREAD, resp) < 0 && errno == ENOTTY,
		   "another ioctl request: ENOTTY");
	check_bad_ioctls(fd);
	/* A context of the raw fd: the async fd comes back. */
	memset(resp, 0xff, sizeof(resp));
	test_check(write_cmd(fd, IB_USER_VERBS_CMD_GET_CONTEXT, 4,
			     sizeof(resp) / 4, resp) == 16,
		   "GET_CONTEXT without driver data makes a context");
	async_fd = (int)resp[0];
	test_check(async_fd >= 0 && fcntl(async_fd, F_GETFD) == FD_CLOEXEC,
		   "its async event fd (%d) is installed, close-on-exec",
		   async_fd);
	lowest = lowest_free_fd();
	test_check(write_cmd(fd, IB_USER_VERBS_CMD_GET_CONTEXT, 4,
			     sizeof(resp) / 4, resp) == -EINVAL,
		   "a second GET_CONTEXT on the file: EINVAL");
	test_check(write_cmd(fd, IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL, 4, 1,
			     bad_address) == -EFAULT,
		   "a response pointer nothing is mapped at: EFAULT");
	test_check(fcntl(lowest_free_fd(), F_GETFD) < 0 && errno == EBADF &&
		   lowest_free_fd() == lowest,
		   "and no channel fd was installed for it");
	if (async_fd >= 0)
		close(async_fd);
}

static void check_child(int fd)
{
	uint32_t resp[4];
	int status = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		test_die("fork", errno);
	if (pid == 0)
		_exit(write_cmd(fd, IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL, 5, 1,
				resp) == -EINVAL ? 0 : 1);
	waitpid(pid, &status, 0);
	test_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "a forked child is served on the inherited command fd");
}

static void check_passthrough(void)
{
	char path[] = "/tmp/uodp-cmdfd-XXXXXX", buf[8] = { 0 };
	int tmp, number = UD_CMDFD_BASE + 7, fd;
	struct stat st;

	tmp = mkstemp(path);
	if (tmp < 0)
		test_die("mkstemp", errno);
	unlink(path);
	test_check(dup2(tmp, number) == number, "dup2 onto a trapped number");
	test_check(write(number, "payload", 7) == 7,
		   "write to a plain file on a trapped number runs untouched");
	test_check(pread(tmp, buf, 7, 0) == 7 && !memcmp(buf, "payload", 7),
		   "and its data reached the file");
	memset(buf, 0, sizeof(buf));
	test_check(lseek(number, 0, SEEK_SET) == 0 &&
		   read(number, buf, 7) == 7 && !memcmp(buf, "payload", 7),
		   "read of it runs untouched too");
	test_check(!fstat(number, &st) && S_ISREG(st.st_mode),
		   "fstat of that file is its own");
	close(number);
	close(tmp);
	/* Not the device's flags: the open runs untouched (the node). */
	fd = open(DEV, O_RDWR);
	test_check(fd >= 0 && (fd < UD_CMDFD_BASE ||
			       fd >= UD_CMDFD_BASE + UD_CMDFD_COUNT),
		   "an open with other flags is not trapped");
	if (fd >= 0)
		close(fd);
}

/* DEALLOC_PD (no response): 12 bytes, in_words 3. */
static long write_dealloc_pd(int fd, uint32_t handle)
{
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		struct ib_uverbs_dealloc_pd core;
	} c = {
		.hdr = { IB_USER_VERBS_CMD_DEALLOC_PD, 3, 0 },
		.core = { .pd_handle = handle },
	};
	long n = write(fd, &c, sizeof(c));

	return n < 0 ? -errno : n;
}

static void check_foreign_handles(struct ibv_context *a, struct ibv_context *b)
{
	struct ibv_pd *pd = ibv_alloc_pd(a);
	struct ibv_cq *cq = ibv_create_cq(a, 16, NULL, NULL, 0);

	if (!pd || !cq)
		test_die("ibv_alloc_pd/ibv_create_cq", errno);
	test_check(write_dealloc_pd(b->cmd_fd, pd->handle) == -ENOENT,
		   "another context's PD handle on this command fd: ENOENT");
	test_check(write_dealloc_pd(a->cmd_fd, 0xfffff) == -ENOENT,
		   "a PD handle nobody has: ENOENT");
	test_check(ibv_dealloc_pd(pd) == 0,
		   "and the PD is still its owner's to free");
	test_check(ibv_destroy_cq(cq) == 0, "as is its CQ");
}

static void check_fork(struct ibv_context *ctx)
{
	struct ibv_pd *pd;
	int status = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		test_die("fork", errno);
	if (pid == 0) {
		pd = ibv_alloc_pd(ctx);
		_exit(pd && !ibv_dealloc_pd(pd) ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	test_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "a forked child allocates on its parent's context");
	pd = ibv_alloc_pd(ctx);
	test_check(pd != NULL,
		   "the child's exit did not end the parent's context");
	if (pd)
		ibv_dealloc_pd(pd);
}

static void check_dup_close(struct ibv_context *ctx)
{
	int dup_fd = dup(ctx->cmd_fd);
	struct ibv_pd *pd;

	test_check(dup_fd >= 0 && !close(dup_fd), "dup and close the cmd fd");
	pd = ibv_alloc_pd(ctx);
	test_check(pd != NULL, "closing a dup is not the context's release");
	if (pd)
		ibv_dealloc_pd(pd);
}

/* A reopen through /proc is a second file; closing it is no release. */
static void check_reopen_close(struct ibv_context *ctx)
{
	static const int flags[] = { O_RDONLY, O_RDWR | O_CLOEXEC };
	struct ibv_pd *pd;
	char path[64];
	unsigned int i;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", ctx->cmd_fd);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		fd = open(path, flags[i]);
		test_check(fd >= 0 && !close(fd),
			   "reopen the cmd fd through /proc and close it");
		test_check(write_dealloc_pd(ctx->cmd_fd, 0xfffff) == -ENOENT,
			   "closing a reopen is not the context's release");
		pd = ibv_alloc_pd(ctx);
		test_check(pd && !ibv_dealloc_pd(pd),
			   "and the context still serves verbs");
	}
}

/*
 * Mutated commands on a live context: the device must answer each (any
 * errno) and go on serving.  Pointers in the commands point into our own
 * scratch buffer or nowhere, never into memory the test needs.
 */
#define MUTATIONS 4000

static uint64_t scratch[512];

static void mutate(uint8_t *buf, size_t len, unsigned int *seed)
{
	unsigned int n = 1 + rand_r(seed) % 4;

	while (n--) {
		size_t at = (size_t)rand_r(seed) % len;

		switch (rand_r(seed) % 3) {
		case 0:
			buf[at] = (uint8_t)rand_r(seed);
			break;
		case 1:
			buf[at] ^= (uint8_t)(1u << (rand_r(seed) % 8));
			break;
		default:
			if (at + 8 <= len) {
				uint64_t p = (uintptr_t)&scratch[rand_r(seed) %
								 256];

				memcpy(buf + at, &p, sizeof(p));
			}
			break;
		}
	}
}

static void fuzz_writes(int fd, unsigned int *seed)
{
	uint8_t buf[256];
	struct ib_uverbs_cmd_hdr hdr;
	uint64_t resp = (uintptr_t)scratch;
	unsigned int i;
	size_t len;

	for (i = 0; i < MUTATIONS; i++) {
		len = 8 + 4 * (size_t)(rand_r(seed) % 40);
		memset(buf, 0, sizeof(buf));
		hdr.command = (uint32_t)(rand_r(seed) % 45);
		hdr.in_words = (uint16_t)(len / 4);
		hdr.out_words = (uint16_t)(rand_r(seed) % 64);
		memcpy(buf, &hdr, sizeof(hdr));
		memcpy(buf + sizeof(hdr), &resp, sizeof(resp));
		mutate(buf, len, seed);
		/* Never a GET_CONTEXT or a new fd's worth of channels. */
		memcpy(&hdr, buf, sizeof(hdr));
		if ((hdr.command & 0xff) == IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL)
			continue;
		if (write(fd, buf, len) < 0 && errno == ENOSYS)
			break;	/* nobody answers: the device is gone */
	}
}

static void fuzz_ioctls(int fd, unsigned int *seed)
{
	static const uint16_t objects[][2] = {
		{ 0x1000, 0x1000 }, { UVERBS_OBJECT_MR, 2 },
		{ 0x1000, 0x1003 }, { 0x1080, 0x1000 }, { 0x1080, 0x1001 },
		{ 0x1080, 0x1002 },
	};
	uint64_t buf[(sizeof(struct ib_uverbs_ioctl_hdr) +
		      6 * sizeof(struct ib_uverbs_attr)) / 8];
	struct ib_uverbs_ioctl_hdr *hdr = (void *)buf;
	struct ib_uverbs_attr *attrs = (void *)(hdr + 1);
	unsigned int i, j, n;

	for (i = 0; i < MUTATIONS; i++) {
		memset(buf, 0, sizeof(buf));
		j = (unsigned int)rand_r(seed) % 6;
		n = (unsigned int)rand_r(seed) % 7;
		hdr->object_id = objects[j][0];
		hdr->method_id = objects[j][1];
		hdr->num_attrs = (uint16_t)n;
		hdr->length = (uint16_t)(sizeof(*hdr) + n * sizeof(*attrs));
		for (j = 0; j < n; j++) {
			attrs[j].attr_id = (uint16_t)((j < 3 ? 0x1000 : 0) + j);
			attrs[j].len = (uint16_t)(rand_r(seed) % 300);
			attrs[j].flags = UVERBS_ATTR_F_MANDATORY;
			attrs[j].data = (uintptr_t)scratch;
		}
		mutate((uint8_t *)buf, sizeof(buf), seed);
		if (ioctl(fd, RDMA_VERBS_IOCTL, buf) && errno == ENOSYS)
			break;
	}
}

/*
 * In a child: mutated pointers may aim the device's answers anywhere in
 * the child's own memory, which is its business; the device must survive
 * it and serve the parent afterwards.
 */
static void check_mutations(struct ibv_context *victim)
{
	unsigned int seed = 20261201;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	int status = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		test_die("fork", errno);
	if (pid == 0) {
		ctx = test_open_device("uodp0");
		if (!ctx)
			_exit(2);
		fuzz_writes(ctx->cmd_fd, &seed);
		fuzz_ioctls(ctx->cmd_fd, &seed);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	test_check(WIFEXITED(status) && WEXITSTATUS(status) != 2,
		   "a child sent %d mutated writes and ioctls", 2 * MUTATIONS);
	pd = ibv_alloc_pd(victim);
	test_check(pd != NULL, "and the device serves the others afterwards");
	if (pd)
		ibv_dealloc_pd(pd);
}

/* ---- a completion channel read late ---- */

#define BACKLOG_EVENTS 9000	/* more than a pipe holds (8192 records) */

struct backlog {
	struct ibv_comp_channel *ch;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *a, *b;
	struct ibv_mr *mr;
	char buf[64];
};

static struct ibv_qp *backlog_qp(struct backlog *r)
{
	struct ibv_qp_init_attr attr = {
		.send_cq = r->cq, .recv_cq = r->cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_qp *qp = ibv_create_qp(r->pd, &attr);

	if (!qp)
		test_die("ibv_create_qp", errno);
	return qp;
}

static void backlog_open(struct ibv_context *ctx, struct backlog *r)
{
	union ibv_gid gid;
	int gidx = test_roce_v2_gid(ctx, "uodp0", &gid);

	r->ch = ibv_create_comp_channel(ctx);
	r->pd = ibv_alloc_pd(ctx);
	r->cq = r->ch && r->pd ? ibv_create_cq(ctx, 16, NULL, r->ch, 0) : NULL;
	r->mr = r->pd ? ibv_reg_mr(r->pd, r->buf, sizeof(r->buf),
				   IBV_ACCESS_LOCAL_WRITE |
				   IBV_ACCESS_REMOTE_WRITE) : NULL;
	if (!r->cq || !r->mr || gidx < 0)
		test_die("channel, PD, CQ, MR or GID", errno);
	r->a = backlog_qp(r);
	r->b = backlog_qp(r);
	if (test_rc_connect(r->a, r->b->qp_num, &gid, (uint8_t)gidx,
			    IBV_ACCESS_REMOTE_WRITE, 14, 7) ||
	    test_rc_connect(r->b, r->a->qp_num, &gid, (uint8_t)gidx,
			    IBV_ACCESS_REMOTE_WRITE, 14, 7))
		test_die("connect", errno);
}

/*
 * Arm, complete two RDMA WRITEs, poll both: one event, left unread.  The
 * first CQE fires the arm; the second is there so that the device is done
 * with the first's arm before the next round arms again (an emulator reads
 * the arm word after the CQE, where hardware takes each arm doorbell).
 */
static bool backlog_round(struct backlog *r)
{
	struct ibv_sge sge = { (uintptr_t)r->buf, 8, r->mr->lkey };
	struct ibv_send_wr wr[2], *bad;
	struct ibv_wc wc[2];
	int n, got = 0, spins;

	memset(wr, 0, sizeof(wr));
	for (n = 0; n < 2; n++) {
		wr[n].sg_list = &sge;
		wr[n].num_sge = 1;
		wr[n].opcode = IBV_WR_RDMA_WRITE;
		wr[n].send_flags = IBV_SEND_SIGNALED;
		wr[n].wr.rdma.remote_addr = (uintptr_t)r->buf + 32;
		wr[n].wr.rdma.rkey = r->mr->rkey;
		wr[n].next = n ? NULL : &wr[1];
	}
	if (ibv_req_notify_cq(r->cq, 0) || ibv_post_send(r->a, wr, &bad))
		return false;
	for (spins = 0; got < 2 && spins < 10000000; spins++) {
		n = ibv_poll_cq(r->cq, 2 - got, wc + got);
		if (n < 0)
			return false;
		got += n;
	}
	return got == 2 && wc[0].status == IBV_WC_SUCCESS &&
	       wc[1].status == IBV_WC_SUCCESS;
}

/* Events read from the channel until none comes within a second. */
static unsigned int backlog_drain(struct backlog *r)
{
	struct ib_uverbs_comp_event_desc ev[256];
	struct pollfd pfd = { .fd = r->ch->fd, .events = POLLIN };
	unsigned int got = 0;
	ssize_t n;

	fcntl(r->ch->fd, F_SETFL, O_NONBLOCK);
	for (;;) {
		n = read(r->ch->fd, ev, sizeof(ev));
		if (n > 0) {
			got += (unsigned int)((size_t)n / sizeof(ev[0]));
			continue;
		}
		if (got >= BACKLOG_EVENTS || poll(&pfd, 1, 1000) != 1)
			return got;
	}
}

/*
 * Events a process has not read yet are never lost, however many: past
 * what the pipe holds they wait on the device and come as it reads.
 */
static void check_channel_backlog(struct ibv_context *ctx)
{
	struct backlog r = { 0 };
	unsigned int i, got;

	backlog_open(ctx, &r);
	for (i = 0; i < BACKLOG_EVENTS; i++)
		if (!backlog_round(&r))
			break;
	test_check(i == BACKLOG_EVENTS, "%u armed completions, events unread",
		   i);
	got = backlog_drain(&r);
	test_check(got == i, "all %u events arrive when read late (%u)", i,
		   got);
	ibv_ack_cq_events(r.cq, got);
	ibv_destroy_qp(r.a);
	ibv_destroy_qp(r.b);
	test_check(!ibv_destroy_cq(r.cq), "and the CQ is destroyed after");
	ibv_dereg_mr(r.mr);
	ibv_dealloc_pd(r.pd);
	ibv_destroy_comp_channel(r.ch);
}

static void check_contexts(void)
{
	struct ibv_context *a = test_open_device("uodp0");
	struct ibv_context *b = test_open_device("uodp0");

	if (!a || !b)
		test_die("ibv_open_device uodp0", errno);
	check_foreign_handles(a, b);
	check_fork(a);
	check_dup_close(a);
	check_reopen_close(a);
	check_mutations(a);
	check_channel_backlog(b);
	ibv_close_device(b);
	ibv_close_device(a);
}

/* How many mappings of this process are memfds named name. */
static int count_memfd_maps(const char *name)
{
	char line[512], want[64];
	FILE *maps = fopen("/proc/self/maps", "r");
	int n = 0;

	if (!maps)
		test_die("/proc/self/maps", errno);
	snprintf(want, sizeof(want), "/memfd:%s ", name);
	while (fgets(line, sizeof(line), maps)) {
		line[strcspn(line, "\n")] = ' ';
		n += strstr(line, want) != NULL;
	}
	fclose(maps);
	return n;
}

/* How many of this process's fds are eventfds. */
static int count_eventfds(void)
{
	char path[64], link[64];
	int fd, n = 0;
	ssize_t len;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		n += !strcmp(link, "anon_inode:[eventfd]");
	}
	return n;
}

static int check_queue_memory(const char *mode)
{
	struct ibv_context *ctx = test_open_device("uodp0");
	struct ibv_srq_init_attr sattr = { .attr = { .max_wr = 8,
						     .max_sge = 1 } };
	struct ibv_qp_init_attr qattr = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 8, .max_recv_wr = 8,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	int want = !strcmp(mode, "memfd");
	struct ibv_srq *srq;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;

	if (!ctx)
		test_die("ibv_open_device uodp0", errno);
	pd = ibv_alloc_pd(ctx);
	cq = pd ? ibv_create_cq(ctx, 16, NULL, NULL, 0) : NULL;
	qattr.send_cq = qattr.recv_cq = cq;
	qp = cq ? ibv_create_qp(pd, &qattr) : NULL;
	srq = qp ? ibv_create_srq(pd, &sattr) : NULL;
	if (!srq)
		test_die("queues", errno);
	test_check(count_memfd_maps("uodp-cq") == want &&
		   count_memfd_maps("uodp-qp") == want &&
		   count_memfd_maps("uodp-srq") == want,
		   "CQ, QP and SRQ rings in %s memory", mode);
	test_check(count_eventfds() == want, "%s doorbell eventfd",
		   want ? "the emulator's" : "no");
	ibv_destroy_srq(srq);
	ibv_destroy_qp(qp);
	ibv_destroy_cq(cq);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	printf("cmdfd queues: %d failure(s)\n", test_failures);
	return test_failures ? 1 : 0;
}

/* Whether the thread group's leader has exited (a zombie until the end). */
static bool leader_gone(void)
{
	char path[64], line[128];
	bool gone = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", getpid());
	f = fopen(path, "r");
	if (!f)
		return true;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "State:", 6))
			gone = strchr(line, 'Z') != NULL;
	fclose(f);
	return gone;
}

static void *after_leader(void *arg)
{
	struct backlog *r = arg;
	struct ibv_cq *cq;
	int i, ok = 0;

	for (i = 0; i < 5000 && !leader_gone(); i++)
		usleep(1000);
	test_check(leader_gone(), "the main thread has exited");
	for (i = 0; i < 20; i++) {
		memset(r->buf, 'a' + i, 8);
		ok += backlog_round(r) && !memcmp(r->buf + 32, r->buf, 8);
	}
	test_check(ok == 20, "RDMA WRITEs land after the leader left (%d/20)",
		   ok);
	cq = ibv_create_cq(r->a->context, 8, NULL, NULL, 0);
	test_check(cq && !ibv_destroy_cq(cq), "and commands are served");
	printf("cmdfd leader-exit: %d failure(s)\n", test_failures);
	fflush(stdout);
	exit(test_failures ? 1 : 0);
}

static void check_leader_exit(void)
{
	static struct backlog r;
	struct ibv_context *ctx = test_open_device("uodp0");
	pthread_t t;

	if (!ctx)
		test_die("ibv_open_device uodp0", errno);
	backlog_open(ctx, &r);
	if (pthread_create(&t, NULL, after_leader, &r))
		test_die("pthread_create", EAGAIN);
	pthread_exit(NULL);
}

int main(int argc, char **argv)
{
	int fd, fd2;

	if (argc == 3 && !strcmp(argv[1], "queues"))
		return check_queue_memory(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "leader-exit"))
		check_leader_exit();
	fd = open_device();
	fd2 = open_device();

	check_open(fd);
	test_check(fd2 != fd, "a second open makes a second command fd");
	check_bad_commands(fd);
	check_child(fd);
	close(fd2);
	check_passthrough();
	close(fd);
	check_contexts();
	printf("cmdfd: %d failure(s)\n", test_failures);
	return test_failures ? 1 : 0;
}
