// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The control path of the command fd, checked through the kernel's own
 * uverbs ABI with the raw client (tests/lib/rawdev.h; no libibverbs, no
 * provider), run inside uodp-run:
 *
 *   uodp-control objects      GET_CONTEXT, QUERY_DEVICE/PORT, PD and MR
 *                             (ranges, access), CQ queue memory, QPs of
 *                             each type, basic SRQs
 *   uodp-control qp_states    the QP state machine, legal and illegal
 *                             transitions and attribute masks and values
 *                             (RC and UD), as ib_modify_qp_is_ok
 *   uodp-control xrc          XRCDs through an inode (O_CREAT, O_EXCL),
 *                             shared across contexts and processes, XRC
 *                             SRQs and XRC_RECV QPs
 *   uodp-control ownership    another context's handles, in this process
 *                             and in another, cannot be used or destroyed
 *   uodp-control dead_client  a SIGKILLed client's objects are freed
 *   uodp-control fd_hygiene   open/close cycles leak nothing in the device
 *   uodp-control random       random, well-formed commands over live
 *                             handles, garbage in every queue
 *   uodp-control idle_cpu     an idle device with an open context sleeps
 *   uodp-control limits SHARE a hostile context creates PDs, MRs, CQs,
 *                             QPs and SRQs until refused: ENOMEM at SHARE
 *                             percent of max_* (uodp-run --context-share
 *                             SHARE); a bystander context keeps creating
 *                             and running traffic, and gets its own
 *                             share once the hostile one is closed
 *   uodp-control files        command fds opened until the device refuses
 *                             (under prlimit --nofile=1024): ENFILE at its
 *                             budget, a bystander unharmed
 *
 * Errnos are the kernel's (ib_uverbs and mlx5_ib) where the daemon gives
 * them.  Exit status 0 when every check passed; each check is printed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <rdma/mlx5-abi.h>

#include <infiniband/verbs.h>

#include "lib/rawdev.h"
#include "lib/report.h"
#include "lib/verbs.h"
#include "uodpd/identity.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE 4096u
#define SETTLE_MS 5000
/* The name raw_make_memfd() gives queue memory: the device's maps show it. */
#define QMEM_MAP_NAME "memfd:uodp-raw"

/* ------------------------------------------------------------------ */
/* checks                                                              */

#define check_ret test_check_ret

static void open_or_die(struct raw_dev *dev)
{
	int ret = raw_open(dev);

	if (ret)
		test_die("open " RAW_DEV_PATH, -ret);
}

/*
 * Run fn in a forked child (which opens its own contexts): true when all
 * its checks passed.  Its checks print on our stdout.
 */
static bool in_child(int (*fn)(void *), void *arg)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		test_die("fork", errno);
	if (pid == 0) {
		test_failures = 0;
		status = fn(arg);
		fflush(stdout);
		_exit(status || test_failures ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		test_die("waitpid", errno);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* ------------------------------------------------------------------ */
/* the device process, as /proc shows it                               */

struct usage {
	int fds;	/* open files */
	int qmaps;	/* mappings of our queue memory */
};

static int count_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n;
}

static int count_qmaps(pid_t pid)
{
	char path[64], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, QMEM_MAP_NAME) != NULL;
	fclose(f);
	return n;
}

static void usage_of(pid_t pid, struct usage *u)
{
	u->fds = count_fds(pid);
	u->qmaps = count_qmaps(pid);
	if (u->fds < 0 || u->qmaps < 0)
		test_die("reading the device's /proc entries", errno);
}

/*
 * The device learns of a release asynchronously (inotify, pidfd): poll
 * until its usage is want again.  The last sample is left in *got.
 */
static bool usage_back_to(pid_t pid, const struct usage *want,
			  struct usage *got)
{
	double end = test_now() + SETTLE_MS / 1000.0;

	for (;;) {
		usage_of(pid, got);
		if (got->fds == want->fds && got->qmaps == want->qmaps)
			return true;
		if (test_now() > end)
			return false;
		usleep(20 * 1000);
	}
}

/* Usage once it stops changing (what earlier tests released is gone). */
static void steady_usage(pid_t pid, struct usage *u)
{
	struct usage prev;
	int i;

	usage_of(pid, &prev);
	for (i = 0; i < 50; i++) {
		usleep(100 * 1000);
		usage_of(pid, u);
		if (u->fds == prev.fds && u->qmaps == prev.qmaps)
			return;
		prev = *u;
	}
}

static void check_usage_back(pid_t pid, const struct usage *before,
			     const char *what)
{
	struct usage after;
	bool ok = usage_back_to(pid, before, &after);

	test_check(ok, "%s: device fds %d -> %d, queue mappings %d -> %d",
		   what, before->fds, after.fds, before->qmaps, after.qmaps);
}

static unsigned long cpu_ticks(pid_t pid)
{
	unsigned long utime = 0, stime = 0;
	char path[64], buf[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')');
		/* Fields 14 and 15, after the command's name. */
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
				"%*u %*u %lu %lu", &utime, &stime) != 2)
			utime = stime = 0;
	}
	fclose(f);
	return utime + stime;
}

/* The device answers a fresh context. */
static bool device_alive(pid_t pid)
{
	struct raw_dev dev;

	if (kill(pid, 0) || raw_open(&dev))
		return false;
	raw_close(&dev);
	return true;
}

/* ------------------------------------------------------------------ */
/* GIDs (the provider's view: which index is RoCE v2, which is empty)  */

struct gids {
	uint8_t good;	/* a RoCE v2 GID */
	uint8_t empty;	/* a slot with no GID */
};

static void find_gids(struct gids *g)
{
	struct ibv_context *ctx = test_open_device("uodp0");
	union ibv_gid gid;
	int index;

	if (!ctx)
		test_die("open uodp0", errno ? errno : ENODEV);
	index = test_roce_v2_gid(ctx, "uodp0", &gid);
	if (index < 0)
		test_die("no RoCE v2 GID", -index);
	g->good = (uint8_t)index;
	for (index = 15; index > 0; index--) {
		static const union ibv_gid zero;

		if (!ibv_query_gid(ctx, 1, index, &gid) &&
		    !memcmp(&gid, &zero, sizeof(gid)))
			break;
	}
	if (!index)
		test_die("no empty GID slot", ENOSPC);
	g->empty = (uint8_t)index;
	ibv_close_device(ctx);
}

/* ------------------------------------------------------------------ */
/* commands                                                            */

static uint32_t pd_or_die(struct raw_dev *dev)
{
	uint32_t pd;
	int ret = raw_alloc_pd(dev, &pd);

	if (ret)
		test_die("ALLOC_PD", -ret);
	return pd;
}

static int reg_mr(struct raw_dev *dev, uint32_t pd, void *addr, size_t len,
		  uint32_t access)
{
	uint32_t key;

	return raw_reg_mr(dev, pd, addr, len, access, &key);
}

struct cq_cmd {
	struct ib_uverbs_create_cq core;
	struct uodp_create_cq_drv drv;
};

struct cq_resp {
	struct ib_uverbs_create_cq_resp core;
	struct mlx5_ib_create_cq_resp drv;
};

/* A CQ of cqe + 1 entries (rounded up), the ring at 0 and then its dbrec. */
static void cq_cmd_init(struct cq_cmd *c, uint32_t cqe, int fd, uint64_t size)
{
	memset(c, 0, sizeof(*c));
	c->core.user_handle = 0x1234;
	c->core.cqe = cqe;
	c->core.comp_channel = -1;
	c->drv.mlx5.cqe_size = 64;
	c->drv.qmem.fd = fd;
	c->drv.qmem.size = size;
	c->drv.qmem.dbrec_offset = size - 64;
}

static int create_cq(struct raw_dev *dev, struct cq_cmd *c,
		     struct cq_resp *resp)
{
	return raw_write(dev, IB_USER_VERBS_CMD_CREATE_CQ, c, sizeof(*c), resp,
			 sizeof(*resp));
}

/* A CQ the device keeps mapped; we need not see its ring. */
static int mapped_cq(struct raw_dev *dev, uint32_t cnt, uint32_t *cqn)
{
	uint64_t size = ((uint64_t)cnt * 64 + 64 + PAGE - 1) & ~(PAGE - 1ull);
	int fd = raw_make_memfd(size, 1);
	struct cq_resp resp;
	struct cq_cmd c;
	int ret;

	if (fd < 0)
		test_die("memfd", -fd);
	cq_cmd_init(&c, cnt - 1, fd, size);
	ret = create_cq(dev, &c, &resp);
	close(fd);
	*cqn = resp.core.cq_handle;
	return ret;
}

static uint32_t cq_or_die(struct raw_dev *dev, uint32_t cnt)
{
	uint32_t cqn;
	int ret = mapped_cq(dev, cnt, &cqn);

	if (ret)
		test_die("CREATE_CQ", -ret);
	return cqn;
}

/* What an SRQ is made of: CREATE_SRQ for basic ones, CREATE_XSRQ for XRC. */
struct srq_spec {
	uint32_t type;
	uint32_t pd, cq, xrcd;
	uint32_t wqe_cnt, max_sge, limit;	/* mlx5_ib sizes the stride */
	bool with_fd;
};

static void srq_spec_init(struct srq_spec *s, uint32_t type, uint32_t pd,
			  uint32_t cq, uint32_t xrcd)
{
	*s = (struct srq_spec){
		.type = type, .pd = pd, .cq = cq, .xrcd = xrcd,
		.wqe_cnt = 64, .max_sge = 2, .with_fd = true,
	};
}

static void srq_drv_init(struct uodp_create_srq_drv *drv,
			 const struct srq_spec *s, int fd)
{
	/* The largest stride mlx5_ib could pick: 16 + 16 * 64 -> 2048. */
	uint64_t ring = (uint64_t)s->wqe_cnt << 11;

	memset(drv, 0, sizeof(*drv));
	drv->qmem.fd = fd;
	drv->qmem.size = (ring + 64 + PAGE - 1) & ~(PAGE - 1ull);
	drv->qmem.dbrec_offset = ring;
}

static int srq_write(struct raw_dev *dev, const struct srq_spec *s, int fd,
		     uint32_t *srqn)
{
	struct {
		struct ib_uverbs_create_xsrq core;
		struct uodp_create_srq_drv drv;
	} x = { .core = {
		.user_handle = 0x5678, .srq_type = s->type,
		.pd_handle = s->pd, .max_wr = s->wqe_cnt - 1,
		.max_sge = s->max_sge, .srq_limit = s->limit,
		.xrcd_handle = s->xrcd, .cq_handle = s->cq,
	} };
	struct {
		struct ib_uverbs_create_srq core;
		struct uodp_create_srq_drv drv;
	} b = { .core = {
		.user_handle = 0x5678, .pd_handle = s->pd,
		.max_wr = s->wqe_cnt - 1, .max_sge = s->max_sge,
		.srq_limit = s->limit,
	} };
	struct {
		struct ib_uverbs_create_srq_resp core;
		struct mlx5_ib_create_srq_resp drv;
	} resp = { 0 };
	int ret;

	srq_drv_init(&x.drv, s, fd);
	b.drv = x.drv;
	if (s->type == IBV_SRQT_BASIC)
		ret = raw_write(dev, IB_USER_VERBS_CMD_CREATE_SRQ, &b,
				sizeof(b), &resp, sizeof(resp));
	else
		ret = raw_write(dev, IB_USER_VERBS_CMD_CREATE_XSRQ, &x,
				sizeof(x), &resp, sizeof(resp));
	*srqn = resp.core.srq_handle;
	return ret;
}

static int create_srq(struct raw_dev *dev, const struct srq_spec *s,
		      uint32_t *srqn)
{
	struct uodp_create_srq_drv drv;
	int fd = -1, ret;

	if (s->with_fd) {
		srq_drv_init(&drv, s, -1);
		fd = raw_make_memfd(drv.qmem.size, 1);
		if (fd < 0)
			test_die("memfd", -fd);
	}
	ret = srq_write(dev, s, fd, srqn ? srqn : &(uint32_t){ 0 });
	if (fd >= 0)
		close(fd);
	return ret;
}

static int modify_srq(struct raw_dev *dev, uint32_t srqn, uint32_t mask,
		      uint32_t limit)
{
	struct ib_uverbs_modify_srq c = {
		.srq_handle = srqn, .attr_mask = mask, .srq_limit = limit,
	};

	return raw_write(dev, IB_USER_VERBS_CMD_MODIFY_SRQ, &c, sizeof(c),
			 NULL, 0);
}

static int query_srq(struct raw_dev *dev, uint32_t srqn,
		     struct ib_uverbs_query_srq_resp *resp)
{
	struct ib_uverbs_query_srq c = { .srq_handle = srqn };

	return raw_write(dev, IB_USER_VERBS_CMD_QUERY_SRQ, &c, sizeof(c), resp,
			 sizeof(*resp));
}

/*
 * What a QP is made of.  pd is the XRCD for XRC_RECV (as in the kernel's
 * CREATE_QP); srq 0 is none.  Queue memory as mlx5 lays it out from
 * buf_off: the RQ, the SQ after it; then the doorbell record.
 */
struct qp_spec {
	uint32_t type;
	uint32_t pd, send_cq, recv_cq, srq;
	uint32_t sq_cnt, rq_cnt, rq_shift;
	uint32_t max_send_sge, max_recv_sge, max_inline;
	uint64_t size, buf_off, db_off;
	bool with_fd;
};

static void qp_spec_init(struct qp_spec *s, uint32_t type, uint32_t pd,
			 uint32_t cq)
{
	*s = (struct qp_spec){
		.type = type, .pd = pd, .send_cq = cq, .recv_cq = cq,
		.sq_cnt = 64, .rq_cnt = 64, .rq_shift = 5,
		.max_send_sge = 2, .max_recv_sge = 2, .max_inline = 64,
		.buf_off = 0, .db_off = 64 * 64 + 64 * 32,
		.size = 2 * PAGE, .with_fd = true,
	};
}

/* An XRC target: no queues and no CQs of its own, its XRCD for a PD. */
static void qp_spec_xrc_recv(struct qp_spec *s, uint32_t xrcd)
{
	qp_spec_init(s, IBV_QPT_XRC_RECV, xrcd, 0);
	s->sq_cnt = s->rq_cnt = 0;
	s->with_fd = false;
}

struct qp_cmd {
	struct ib_uverbs_create_qp core;
	struct uodp_create_qp_drv drv;
};

static void qp_cmd_init(struct qp_cmd *c, const struct qp_spec *s, int fd)
{
	memset(c, 0, sizeof(*c));
	c->core.user_handle = 0x9abc;
	c->core.pd_handle = s->pd;
	c->core.send_cq_handle = s->send_cq;
	c->core.recv_cq_handle = s->recv_cq;
	c->core.srq_handle = s->srq;
	c->core.is_srq = s->srq != 0;
	c->core.max_send_wr = s->sq_cnt;
	c->core.max_recv_wr = s->rq_cnt;
	c->core.max_send_sge = s->max_send_sge;
	c->core.max_recv_sge = s->max_recv_sge;
	c->core.max_inline_data = s->max_inline;
	c->core.qp_type = (uint8_t)s->type;
	c->drv.mlx5.sq_wqe_count = s->sq_cnt;
	c->drv.mlx5.rq_wqe_count = s->rq_cnt;
	c->drv.mlx5.rq_wqe_shift = s->rq_shift;
	c->drv.qmem.fd = fd;
	c->drv.qmem.size = s->size;
	c->drv.qmem.buf_offset = s->buf_off;
	c->drv.qmem.dbrec_offset = s->db_off;
}

static int create_qp(struct raw_dev *dev, const struct qp_spec *s,
		     uint32_t *qpn)
{
	struct {
		struct ib_uverbs_create_qp_resp core;
		struct mlx5_ib_create_qp_resp drv;
	} resp = { 0 };
	int fd = s->with_fd ? raw_make_memfd(s->size, 1) : -1;
	struct qp_cmd c;
	int ret;

	if (s->with_fd && fd < 0)
		test_die("memfd", -fd);
	qp_cmd_init(&c, s, fd);
	ret = raw_write(dev, IB_USER_VERBS_CMD_CREATE_QP, &c, sizeof(c), &resp,
			sizeof(resp));
	if (fd >= 0)
		close(fd);
	if (qpn)
		*qpn = resp.core.qp_handle;
	return ret;
}

static int modify_qp(struct raw_dev *dev, uint32_t qpn, uint32_t mask,
		     struct ib_uverbs_modify_qp *a)
{
	a->qp_handle = qpn;
	a->attr_mask = mask;
	return raw_modify_qp(dev, a);
}

static int query_qp(struct raw_dev *dev, uint32_t qpn,
		    struct ib_uverbs_query_qp_resp *resp)
{
	struct ib_uverbs_query_qp c = { .qp_handle = qpn, .attr_mask = ~0u };

	memset(resp, 0, sizeof(*resp));
	return raw_write(dev, IB_USER_VERBS_CMD_QUERY_QP, &c, sizeof(c), resp,
			 sizeof(*resp));
}

/* fd -1: an XRCD of no file. */
static int open_xrcd(struct raw_dev *dev, int fd, uint32_t oflags,
		     uint32_t *xrcd)
{
	struct ib_uverbs_open_xrcd c = { .fd = (uint32_t)fd, .oflags = oflags };
	struct ib_uverbs_open_xrcd_resp resp = { 0 };
	int ret;

	ret = raw_write(dev, IB_USER_VERBS_CMD_OPEN_XRCD, &c, sizeof(c), &resp,
			sizeof(resp));
	if (xrcd)
		*xrcd = resp.xrcd_handle;
	return ret;
}

/* A completion channel: its fd in this process, or -errno. */
static int create_channel(struct raw_dev *dev)
{
	struct ib_uverbs_create_comp_channel c = { 0 };
	struct ib_uverbs_create_comp_channel_resp resp;
	int ret;

	ret = raw_write(dev, IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL, &c,
			sizeof(c), &resp, sizeof(resp));
	return ret ? ret : (int)resp.fd;
}

/* A file for XRCDs to be opened through; unlinked by the caller. */
static int xrcd_file(char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/uodp-control-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		test_die("mkstemp", errno);
	return fd;
}

/* ------------------------------------------------------------------ */
/* objects                                                             */

/* GET_CONTEXT by hand, to see mlx5's answer and the emulator's tail. */
static void context_cases(void)
{
	struct {
		struct ib_uverbs_get_context core;
		struct mlx5_ib_alloc_ucontext_req_v2 drv;
	} cmd = { .drv = { .total_num_bfregs = 1 } };
	struct {
		struct ib_uverbs_get_context_resp core;
		struct uodp_alloc_ucontext_resp drv;
	} resp;
	struct raw_dev dev = { .doorbell_fd = -1, .async_fd = -1 };
	uint64_t one = 1;
	pid_t pid;
	int ret;

	dev.cmd_fd = open(RAW_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (dev.cmd_fd < 0)
		test_die("open " RAW_DEV_PATH, errno);
	memset(&resp, 0, sizeof(resp));
	ret = raw_write(&dev, IB_USER_VERBS_CMD_GET_CONTEXT, &cmd, sizeof(cmd),
			&resp, sizeof(resp));
	check_ret(ret, 0, "GET_CONTEXT with mlx5's request");
	dev.async_fd = ret ? -1 : (int)resp.core.async_fd;
	test_check(resp.core.num_comp_vectors == 1 &&
		   resp.drv.mlx5.num_ports == 1 &&
		   resp.drv.mlx5.cqe_version == 1,
		   "one completion vector, one port, CQE version 1");
	pid = (pid_t)resp.drv.device_pid;
	test_check(pid > 0 && pid != getpid() && !kill(pid, 0) &&
		   count_fds(pid) > 0,
		   "the device's pid (%d) names a live process", (int)pid);
	raw_close(&dev);

	ret = raw_open(&dev);
	check_ret(ret, 0, "a context with its doorbell page and eventfd");
	if (ret)
		return;
	test_check(write(dev.doorbell_fd, &one, sizeof(one)) == sizeof(one),
		   "the doorbell eventfd takes a ring");
	raw_close(&dev);
}

static int ex_query_device(struct raw_dev *dev,
			   struct ib_uverbs_ex_query_device_resp *resp)
{
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		struct ib_uverbs_ex_cmd_hdr ex;
		struct ib_uverbs_ex_query_device core;
	} c = {
		.hdr = {
			.command = IB_USER_VERBS_CMD_FLAG_EXTENDED |
				   IB_USER_VERBS_EX_CMD_QUERY_DEVICE,
			.in_words = sizeof(c.core) / 8,
			.out_words = sizeof(*resp) / 8,
		},
		.ex = { .response = (uintptr_t)resp },
	};

	memset(resp, 0, sizeof(*resp));
	return write(dev->cmd_fd, &c, sizeof(c)) == sizeof(c) ? 0 : -errno;
}

static void device_cases(struct raw_dev *dev)
{
	struct ib_uverbs_query_device qd = { 0 };
	struct ib_uverbs_query_device_resp attr;
	struct ib_uverbs_ex_query_device_resp ex;
	struct ib_uverbs_query_port qp = { .port_num = 1 };
	struct ib_uverbs_query_port_resp port;

	check_ret(raw_write(dev, IB_USER_VERBS_CMD_QUERY_DEVICE, &qd,
			    sizeof(qd), &attr, sizeof(attr)), 0,
		  "QUERY_DEVICE");
	test_check(attr.max_qp == 16384 && attr.max_sge == 16 &&
		   attr.phys_port_cnt == 1 && attr.atomic_cap == IBV_ATOMIC_HCA,
		   "its limits: max_qp %u, max_sge %u, %u port(s), atomics %u",
		   attr.max_qp, attr.max_sge, attr.phys_port_cnt,
		   attr.atomic_cap);
	/* uverbs0 is uodp0: device index 0 in the GUID. */
	test_check(be64toh(attr.node_guid) == UD_IDENTITY_GUID_PREFIX &&
		   attr.sys_image_guid == attr.node_guid,
		   "node GUID of device 0, and the system image GUID with it");
	check_ret(ex_query_device(dev, &ex), 0, "EX_QUERY_DEVICE");
	test_check(ex.odp_caps.general_caps ==
		   (IBV_ODP_SUPPORT | IBV_ODP_SUPPORT_IMPLICIT) &&
		   ex.base.max_qp == attr.max_qp,
		   "ODP with implicit MRs (caps 0x%llx)",
		   (unsigned long long)ex.odp_caps.general_caps);
	check_ret(raw_write(dev, IB_USER_VERBS_CMD_QUERY_PORT, &qp,
			    sizeof(qp), &port, sizeof(port)), 0,
		  "QUERY_PORT 1");
	test_check(port.state == IBV_PORT_ACTIVE &&
		   port.link_layer == IBV_LINK_LAYER_ETHERNET &&
		   port.gid_tbl_len == 16,
		   "port 1: active Ethernet, 16 GIDs");
}

static void mr_access_cases(struct raw_dev *dev, uint32_t pd, char *buf,
			    size_t len)
{
	/* ib_check_mr_access: remote write and atomics need local write. */
	check_ret(reg_mr(dev, pd, buf, len, IBV_ACCESS_REMOTE_WRITE), -EINVAL,
		  "REG_MR remote write without local write");
	check_ret(reg_mr(dev, pd, buf, len, IBV_ACCESS_REMOTE_ATOMIC), -EINVAL,
		  "REG_MR remote atomic without local write");
	check_ret(reg_mr(dev, pd, buf, len, 1u << 15), -EINVAL,
		  "REG_MR with an unknown access bit (1 << 15)");
	/* Optional bits are the device's to ignore. */
	check_ret(reg_mr(dev, pd, buf, len, IBV_ACCESS_REMOTE_READ |
			 IBV_ACCESS_RELAXED_ORDERING), 0,
		  "REG_MR with relaxed ordering");
	check_ret(reg_mr(dev, pd, buf, len, 1u << 25), 0,
		  "REG_MR with an unknown optional bit (1 << 25)");
	/* ODP: nothing is pinned (odp.* test them further). */
	check_ret(reg_mr(dev, pd, buf, len, IBV_ACCESS_ON_DEMAND |
			 IBV_ACCESS_LOCAL_WRITE), 0, "REG_MR on demand");
}

/* What pinning (get_user_pages) would refuse: EFAULT. */
static void mr_range_cases(struct raw_dev *dev, uint32_t pd)
{
	char *hole = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);

	if (hole == MAP_FAILED || ro == MAP_FAILED)
		test_die("mmap", errno);
	munmap(hole + PAGE, PAGE);
	check_ret(reg_mr(dev, pd, hole, 3 * PAGE, 0), -EFAULT,
		  "REG_MR over an unmapped page");
	check_ret(reg_mr(dev, pd, hole, PAGE, 0), 0,
		  "REG_MR of the mapped page before it");
	check_ret(reg_mr(dev, pd, (void *)8, PAGE, 0), -EFAULT,
		  "REG_MR at address 8");
	check_ret(reg_mr(dev, pd, ro, PAGE, IBV_ACCESS_LOCAL_WRITE), -EFAULT,
		  "REG_MR writable over read-only memory");
	check_ret(reg_mr(dev, pd, ro, PAGE, IBV_ACCESS_REMOTE_READ), 0,
		  "REG_MR read-only over read-only memory");
	/* The MRs stay: the context's teardown takes them. */
	munmap(hole, PAGE);
	munmap(hole + 2 * PAGE, PAGE);
	munmap(ro, PAGE);
}

static void pd_mr_cases(struct raw_dev *dev)
{
	const uint32_t rw = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			    IBV_ACCESS_REMOTE_READ;
	size_t len = 5 * PAGE + 100;
	char *buf = calloc(1, len);
	uint32_t pd, pd2, key, key2;

	if (!buf)
		test_die("calloc", ENOMEM);
	pd = pd_or_die(dev);
	pd2 = pd_or_die(dev);
	test_check(pd && pd2 && pd != pd2, "two PDs: %u and %u", pd, pd2);
	check_ret(raw_reg_mr(dev, pd, buf + 7, len - 7, rw, &key), 0,
		  "REG_MR of an unaligned range");
	/* mlx5 keys: the mkey index above an 8-bit variant. */
	test_check(key >= 0x200, "its key 0x%x", key);
	check_ret(raw_reg_mr(dev, pd, buf, len, IBV_ACCESS_LOCAL_WRITE, &key2),
		  0, "REG_MR of the same memory again");
	test_check(key2 != key, "a key of its own (0x%x)", key2);
	mr_access_cases(dev, pd, buf, len);
	mr_range_cases(dev, pd);
	/* A PD in use cannot go; MR first, then PD. */
	check_ret(raw_destroy(dev, RAW_PD, pd), -EBUSY, "DEALLOC_PD in use");
	check_ret(raw_destroy(dev, RAW_PD, pd2), 0, "DEALLOC_PD unused");
	check_ret(raw_destroy(dev, RAW_PD, pd2), -ENOENT, "DEALLOC_PD twice");
	check_ret(raw_destroy(dev, RAW_MR, key2), 0, "DEREG_MR");
	check_ret(raw_destroy(dev, RAW_MR, key2), -ENOENT, "DEREG_MR twice");
	free(buf);
}

/* CREATE_CQ's queue memory; robust.bad_commands has the cruder cases. */
static void cq_cases(struct raw_dev *dev)
{
	int good = raw_make_memfd(2 * PAGE, 1);
	int unsealed = raw_make_memfd(2 * PAGE, 0);
	struct cq_resp resp;
	struct cq_cmd c;
	int pipefd[2];

	if (good < 0 || unsealed < 0 || pipe2(pipefd, O_CLOEXEC))
		test_die("fds", errno);
	cq_cmd_init(&c, 63, good, 2 * PAGE);
	check_ret(create_cq(dev, &c, &resp), 0, "CREATE_CQ of 64 entries");
	check_ret(raw_destroy(dev, RAW_CQ, resp.core.cq_handle), 0,
		  "DESTROY_CQ");
	check_ret(raw_destroy(dev, RAW_CQ, resp.core.cq_handle), -ENOENT,
		  "DESTROY_CQ twice");
	cq_cmd_init(&c, 47, good, 2 * PAGE);
	check_ret(create_cq(dev, &c, &resp), 0, "CREATE_CQ of 48 entries");
	test_check(resp.core.cqe == 63 && resp.drv.cqn == resp.core.cq_handle,
		   "rounded up to 64 as mlx5 does (cqe %u)", resp.core.cqe);

#define CQ_CASE(field, value, want, what) do {				\
		cq_cmd_init(&c, 63, good, 2 * PAGE);			\
		c.field = value;					\
		check_ret(create_cq(dev, &c, &resp), want, what);	\
	} while (0)
	CQ_CASE(drv.qmem.fd, -1, -EFAULT,
		"CREATE_CQ without a memfd, its ring at address 0");
	CQ_CASE(drv.qmem.fd, pipefd[0], -EINVAL, "CREATE_CQ on a pipe");
	CQ_CASE(drv.qmem.fd, unsealed, -EINVAL,
		"CREATE_CQ on an unsealed memfd");
	CQ_CASE(core.cqe, 255, -EINVAL, "CREATE_CQ of a ring over its dbrec");
	CQ_CASE(drv.qmem.buf_offset, 4, -EINVAL,
		"CREATE_CQ of a misaligned ring");
	CQ_CASE(drv.qmem.buf_offset, UINT64_MAX - 100, -EINVAL,
		"CREATE_CQ of a ring at an offset that wraps");
	CQ_CASE(drv.qmem.dbrec_offset, 2 * PAGE - 60, -EINVAL,
		"CREATE_CQ of a misaligned dbrec");
#undef CQ_CASE
	close(good);
	close(unsealed);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* A UD QP on a basic SRQ, and the SRQ's verbs. */
static void srq_cases(struct raw_dev *dev, uint32_t pd, uint32_t cq)
{
	struct ib_uverbs_query_srq_resp sattr;
	struct srq_spec ss;
	struct qp_spec s;
	uint32_t srq, qpn, uc;

	srq_spec_init(&ss, IBV_SRQT_BASIC, pd, 0, 0);
	check_ret(create_srq(dev, &ss, &srq), 0, "CREATE_SRQ (basic)");
	qp_spec_init(&s, IBV_QPT_UD, pd, cq);
	s.srq = srq;
	check_ret(create_qp(dev, &s, NULL), -EINVAL,
		  "CREATE_QP with an SRQ and a receive queue");
	s.rq_cnt = 0;
	check_ret(create_qp(dev, &s, &qpn), 0, "CREATE_QP UD on the SRQ");
	qp_spec_init(&s, IBV_QPT_UC, pd, cq);
	s.srq = srq;
	s.rq_cnt = 0;
	check_ret(create_qp(dev, &s, &uc), 0, "CREATE_QP UC on the SRQ");
	check_ret(raw_destroy(dev, RAW_QP, uc), 0, "DESTROY_QP UC on the SRQ");
	check_ret(raw_destroy(dev, RAW_SRQ, srq), -EBUSY, "DESTROY_SRQ in use");
	check_ret(modify_srq(dev, srq, IBV_SRQ_LIMIT, 10), 0,
		  "MODIFY_SRQ limit 10");
	check_ret(modify_srq(dev, srq, IBV_SRQ_LIMIT, 64), -EINVAL,
		  "MODIFY_SRQ limit 64 of 63 WRs");
	check_ret(modify_srq(dev, srq, IBV_SRQ_MAX_WR, 0), -EINVAL,
		  "MODIFY_SRQ max_wr (mlx5 cannot resize an SRQ)");
	check_ret(query_srq(dev, srq, &sattr), 0, "QUERY_SRQ");
	test_check(sattr.max_wr == 63 && sattr.max_sge == 2 &&
		   sattr.srq_limit == 10, "SRQ of %u WRs, %u SGEs, limit %u",
		   sattr.max_wr, sattr.max_sge, sattr.srq_limit);
	srq_spec_init(&ss, IBV_SRQT_BASIC, pd, 0, 0);
	ss.max_sge = 65;
	check_ret(create_srq(dev, &ss, NULL), -EINVAL,
		  "CREATE_SRQ with 65 SGEs");
	srq_spec_init(&ss, IBV_SRQT_BASIC, pd, 0, 0);
	ss.limit = 64;
	check_ret(create_srq(dev, &ss, NULL), -EINVAL,
		  "CREATE_SRQ with its limit at its size");
	srq_spec_init(&ss, IBV_SRQT_BASIC, pd, 0, 0);
	ss.with_fd = false;
	check_ret(create_srq(dev, &ss, NULL), -EFAULT,
		  "CREATE_SRQ without a memfd, its ring at address 0");
	check_ret(raw_destroy(dev, RAW_QP, qpn), 0, "DESTROY_QP");
	check_ret(raw_destroy(dev, RAW_SRQ, srq), 0, "DESTROY_SRQ");
	check_ret(raw_destroy(dev, RAW_SRQ, srq), -ENOENT, "DESTROY_SRQ twice");
}

static void bad_qp_cases(struct raw_dev *dev, uint32_t pd, uint32_t cq)
{
	static const struct {
		const char *what;
		size_t off;	/* of a u32 in the spec */
		uint32_t value;
		int want;
	} cases[] = {
#define QP_CASE(what, field, value, want) \
	{ what, offsetof(struct qp_spec, field), value, want }
		QP_CASE("CREATE_QP raw packet (the engine has no Ethernet)",
			type, IBV_QPT_RAW_PACKET, -EOPNOTSUPP),
		QP_CASE("CREATE_QP of type 77", type, 77, -EINVAL),
		QP_CASE("CREATE_QP with 48 SQ WQEBBs", sq_cnt, 48, -EINVAL),
		QP_CASE("CREATE_QP with 17 send SGEs", max_send_sge, 17,
			-EINVAL),
		QP_CASE("CREATE_QP with 4 recv SGEs in a 32-byte stride",
			max_recv_sge, 4, -EINVAL),
		QP_CASE("CREATE_QP with inline data beyond the device's",
			max_inline, 4096, -EINVAL),
		QP_CASE("CREATE_QP on an unknown CQ", send_cq, 999, -EINVAL),
		QP_CASE("CREATE_QP on an unknown PD", pd, 999, -EINVAL),
		QP_CASE("CREATE_QP on an unknown SRQ", srq, 999, -EINVAL),
#undef QP_CASE
	};
	struct qp_spec s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		qp_spec_init(&s, IBV_QPT_RC, pd, cq);
		memcpy((uint8_t *)&s + cases[i].off, &cases[i].value,
		       sizeof(uint32_t));
		if (s.srq)
			s.rq_cnt = 0;
		check_ret(create_qp(dev, &s, NULL), cases[i].want, "%s",
			  cases[i].what);
	}
	qp_spec_init(&s, IBV_QPT_RC, pd, cq);
	s.with_fd = false;
	check_ret(create_qp(dev, &s, NULL), -EFAULT,
		  "CREATE_QP RC without a memfd, its ring at address 0");
	qp_spec_init(&s, IBV_QPT_RC, pd, cq);
	s.buf_off = s.size - 64 * 64;
	check_ret(create_qp(dev, &s, NULL), -EINVAL,
		  "CREATE_QP with its SQ past the memfd");
	qp_spec_init(&s, IBV_QPT_RC, pd, cq);
	s.db_off = s.size - 2;
	check_ret(create_qp(dev, &s, NULL), -EINVAL,
		  "CREATE_QP with its dbrec past the memfd");
}

static void qp_cases(struct raw_dev *dev)
{
	uint32_t pd = pd_or_die(dev), cq = cq_or_die(dev, 256), qpn;
	struct qp_spec s;

	qp_spec_init(&s, IBV_QPT_RC, pd, cq);
	check_ret(create_qp(dev, &s, &qpn), 0, "CREATE_QP RC");
	test_check(qpn >= 0x100 && qpn <= 0xffffff, "QPN 0x%x", qpn);
	check_ret(raw_qp_state(dev, qpn), IBV_QPS_RESET, "it starts in RESET");
	check_ret(raw_destroy(dev, RAW_CQ, cq), -EBUSY, "DESTROY_CQ in use");
	check_ret(raw_destroy(dev, RAW_PD, pd), -EBUSY,
		  "DEALLOC_PD in use by a QP");
	check_ret(raw_destroy(dev, RAW_QP, qpn), 0, "DESTROY_QP");
	check_ret(raw_destroy(dev, RAW_QP, qpn), -ENOENT, "DESTROY_QP twice");
	/* UC, as mlx5 offers it: an RQ of its own, or an SRQ (srq_cases). */
	qp_spec_init(&s, IBV_QPT_UC, pd, cq);
	check_ret(create_qp(dev, &s, &qpn), 0, "CREATE_QP UC");
	check_ret(raw_qp_state(dev, qpn), IBV_QPS_RESET, "UC starts in RESET");
	check_ret(raw_destroy(dev, RAW_QP, qpn), 0, "DESTROY_QP UC");
	srq_cases(dev, pd, cq);
	bad_qp_cases(dev, pd, cq);
	/* One left alive: the context's teardown takes it. */
	qp_spec_init(&s, IBV_QPT_RC, pd, cq);
	check_ret(create_qp(dev, &s, NULL), 0, "an RC QP left to the teardown");
}

static int test_objects(void)
{
	struct raw_dev dev;

	context_cases();
	open_or_die(&dev);
	device_cases(&dev);
	pd_mr_cases(&dev);
	cq_cases(&dev);
	qp_cases(&dev);
	raw_close(&dev);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the QP state machine                                                */

#define INIT_MASK (IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | \
		   IBV_QP_ACCESS_FLAGS)
#define RTR_MASK (IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | \
		  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN | \
		  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER)
#define RTS_MASK (IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | \
		  IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC)
#define UD_INIT_MASK (IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | \
		      IBV_QP_QKEY)
/* UC is connected like RC but has no responder resources and no retries. */
#define UC_RTR_MASK (IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | \
		     IBV_QP_DEST_QPN | IBV_QP_RQ_PSN)
#define UC_RTS_MASK (IBV_QP_STATE | IBV_QP_SQ_PSN)

/* One MODIFY_QP: the attributes of attrs_init(), one of them maybe bad. */
struct step {
	const char *what;
	uint32_t state;		/* the next state, if mask has IBV_QP_STATE */
	uint32_t mask;
	int want;
	uint32_t cur;		/* cur_qp_state, if mask has IBV_QP_CUR_STATE */
	size_t off, len;	/* one attribute set to value (len 0: none) */
	uint32_t value;
};

#define STEP(w, next, m, ret)						\
	.what = (w), .state = (next), .mask = (m), .want = (ret)
#define ATTR(field, v)							\
	.off = offsetof(struct ib_uverbs_modify_qp, field),		\
	.len = sizeof(((struct ib_uverbs_modify_qp *)0)->field),	\
	.value = (v)

/* Valid values of every attribute a transition may carry. */
static void attrs_init(struct ib_uverbs_modify_qp *a, uint32_t dest,
		       uint8_t sgid)
{
	memset(a, 0, sizeof(*a));
	a->port_num = 1;
	a->qp_access_flags = IBV_ACCESS_REMOTE_WRITE;
	a->qkey = 0x11111111;
	a->path_mtu = IBV_MTU_1024;
	a->dest_qp_num = dest;
	a->rq_psn = 0x1234567;		/* the device keeps 24 bits */
	a->max_dest_rd_atomic = 1;
	a->min_rnr_timer = 12;
	a->dest.is_global = 1;
	a->dest.sgid_index = sgid;
	a->dest.port_num = 1;
	a->dest.hop_limit = 64;
	a->timeout = 14;
	a->retry_cnt = 7;
	a->rnr_retry = 7;
	a->sq_psn = 42;
	a->max_rd_atomic = 1;
}

static void set_attr(struct ib_uverbs_modify_qp *a, size_t off, size_t len,
		     uint32_t value)
{
	uint8_t *p = (uint8_t *)a + off;
	uint16_t v16 = (uint16_t)value;

	if (len == 1)
		*p = (uint8_t)value;
	else if (len == 2)
		memcpy(p, &v16, sizeof(v16));
	else
		memcpy(p, &value, sizeof(value));
}

static void run_steps(struct raw_dev *dev, uint32_t qpn, const char *type,
		      const struct ib_uverbs_modify_qp *base,
		      const struct step *steps, size_t n)
{
	struct ib_uverbs_modify_qp a;
	size_t i;

	for (i = 0; i < n; i++) {
		a = *base;
		a.qp_state = (uint8_t)steps[i].state;
		a.cur_qp_state = (uint8_t)steps[i].cur;
		if (steps[i].len)
			set_attr(&a, steps[i].off, steps[i].len,
				 steps[i].value);
		check_ret(modify_qp(dev, qpn, steps[i].mask, &a),
			  steps[i].want, "%s %s", type, steps[i].what);
	}
}

static void rc_to_rts(struct raw_dev *dev, uint32_t qpn,
		      const struct ib_uverbs_modify_qp *base,
		      const struct gids *g)
{
	const struct step steps[] = {
		{ STEP("RESET -> RTR is no transition",
		  IBV_QPS_RTR, RTR_MASK, -EINVAL) },
		{ STEP("RESET -> INIT without pkey and access",
		  IBV_QPS_INIT, IBV_QP_STATE | IBV_QP_PORT, -EINVAL) },
		{ STEP("RESET -> INIT with a qkey (not RC's)",
		  IBV_QPS_INIT, INIT_MASK | IBV_QP_QKEY, -EINVAL) },
		{ STEP("RESET -> INIT with CUR_STATE",
		  IBV_QPS_INIT, INIT_MASK | IBV_QP_CUR_STATE, -EINVAL) },
		{ STEP("RESET -> INIT on port 2",
		  IBV_QPS_INIT, INIT_MASK, -EINVAL), ATTR(port_num, 2) },
		{ STEP("RESET -> INIT", IBV_QPS_INIT, INIT_MASK, 0) },
		{ STEP("INIT -> INIT", IBV_QPS_INIT, INIT_MASK, 0) },
		{ STEP("INIT -> RTS is no transition",
		  IBV_QPS_RTS, RTS_MASK, -EINVAL) },
		{ STEP("INIT -> RTR without min_rnr_timer",
		  IBV_QPS_RTR, RTR_MASK & ~IBV_QP_MIN_RNR_TIMER, -EINVAL) },
		{ STEP("INIT -> RTR with the requester's timeout",
		  IBV_QPS_RTR, RTR_MASK | IBV_QP_TIMEOUT, -EINVAL) },
		{ STEP("INIT -> RTR from an empty GID slot",
		  IBV_QPS_RTR, RTR_MASK, -EINVAL),
		  ATTR(dest.sgid_index, g->empty) },
		{ STEP("INIT -> RTR on port 2",
		  IBV_QPS_RTR, RTR_MASK, -EINVAL), ATTR(dest.port_num, 2) },
		{ STEP("INIT -> RTR with path MTU 7",
		  IBV_QPS_RTR, RTR_MASK, -EINVAL), ATTR(path_mtu, 7) },
		{ STEP("INIT -> RTR", IBV_QPS_RTR, RTR_MASK, 0) },
		{ STEP("RTR -> INIT is no transition",
		  IBV_QPS_INIT, INIT_MASK, -EINVAL) },
		{ STEP("RTR -> RTS without the SQ PSN",
		  IBV_QPS_RTS, RTS_MASK & ~IBV_QP_SQ_PSN, -EINVAL) },
		{ STEP("RTR -> RTS with retry count 8",
		  IBV_QPS_RTS, RTS_MASK, -EINVAL), ATTR(retry_cnt, 8) },
		{ STEP("RTR -> RTS with timeout 32",
		  IBV_QPS_RTS, RTS_MASK, -EINVAL), ATTR(timeout, 32) },
		{ STEP("RTR -> RTS with 17 reads in flight",
		  IBV_QPS_RTS, RTS_MASK, -EINVAL), ATTR(max_rd_atomic, 17) },
		/* Beyond IB_USER_LEGACY_LAST_QP_ATTR_MASK: the kernel's. */
		{ STEP("RTR -> RTS with a rate limit",
		  IBV_QPS_RTS, RTS_MASK | IBV_QP_RATE_LIMIT, -EOPNOTSUPP) },
		{ STEP("RTR -> RTS", IBV_QPS_RTS, RTS_MASK, 0) },
		{ STEP("RTS: min_rnr_timer with CUR_STATE RTS",
		  0, IBV_QP_MIN_RNR_TIMER | IBV_QP_CUR_STATE, 0),
		  .cur = IBV_QPS_RTS, ATTR(min_rnr_timer, 3) },
		{ STEP("RTS: CUR_STATE INIT, not the QP's",
		  0, IBV_QP_CUR_STATE, -EINVAL), .cur = IBV_QPS_INIT },
		{ STEP("RTS: a qkey (not RC's)", 0, IBV_QP_QKEY, -EINVAL) },
	};

	run_steps(dev, qpn, "RC", base, steps, ARRAY_SIZE(steps));
}

static void rc_query(struct raw_dev *dev, uint32_t qpn, uint8_t sgid)
{
	struct ib_uverbs_query_qp_resp q;

	check_ret(query_qp(dev, qpn, &q), 0, "QUERY_QP");
	test_check(q.qp_state == IBV_QPS_RTS && q.rq_psn == 0x234567 &&
		   q.sq_psn == 42 && q.dest_qp_num == qpn &&
		   q.min_rnr_timer == 3 && q.timeout == 14 &&
		   q.retry_cnt == 7 && q.path_mtu == IBV_MTU_1024 &&
		   q.port_num == 1 && q.dest.sgid_index == sgid &&
		   q.dest.is_global && q.max_rd_atomic == 1 &&
		   q.max_dest_rd_atomic == 1 &&
		   q.qp_access_flags == IBV_ACCESS_REMOTE_WRITE &&
		   q.max_send_sge == 2 && q.max_recv_sge == 2,
		   "it reads back what was set (state %u, rq_psn 0x%x, "
		   "min_rnr_timer %u)", q.qp_state, q.rq_psn, q.min_rnr_timer);
}

static void rc_rts_and_back(struct raw_dev *dev, uint32_t qpn,
			    const struct ib_uverbs_modify_qp *base)
{
	const struct step steps[] = {
		{ STEP("RTS -> SQD", IBV_QPS_SQD, IBV_QP_STATE, 0) },
		{ STEP("SQD -> SQD with a new timeout",
		  IBV_QPS_SQD, IBV_QP_STATE | IBV_QP_TIMEOUT, 0) },
		{ STEP("SQD -> RTS", IBV_QPS_RTS, IBV_QP_STATE, 0) },
		{ STEP("RTS -> ERR with a port (ERR takes none)",
		  IBV_QPS_ERR, IBV_QP_STATE | IBV_QP_PORT, -EINVAL) },
		{ STEP("RTS -> ERR", IBV_QPS_ERR, IBV_QP_STATE, 0) },
		{ STEP("ERR -> RTS is no transition",
		  IBV_QPS_RTS, IBV_QP_STATE, -EINVAL) },
		{ STEP("ERR -> INIT is no transition",
		  IBV_QPS_INIT, INIT_MASK, -EINVAL) },
		{ STEP("state 7, beyond ERR", 7, IBV_QP_STATE, -EINVAL) },
		{ STEP("ERR -> RESET", IBV_QPS_RESET, IBV_QP_STATE, 0) },
		{ STEP("RESET -> INIT again", IBV_QPS_INIT, INIT_MASK, 0) },
		{ STEP("INIT -> RESET", IBV_QPS_RESET, IBV_QP_STATE, 0) },
	};

	run_steps(dev, qpn, "RC", base, steps, ARRAY_SIZE(steps));
}

static void ud_states(struct raw_dev *dev, uint32_t pd, uint32_t cq,
		      const struct gids *g)
{
	const struct step steps[] = {
		{ STEP("RESET -> INIT without a qkey",
		  IBV_QPS_INIT, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT,
		  -EINVAL) },
		{ STEP("RESET -> INIT with access flags (not UD's)",
		  IBV_QPS_INIT, UD_INIT_MASK | IBV_QP_ACCESS_FLAGS, -EINVAL) },
		{ STEP("RESET -> INIT", IBV_QPS_INIT, UD_INIT_MASK, 0) },
		{ STEP("INIT -> RTR with an AV (not UD's)",
		  IBV_QPS_RTR, IBV_QP_STATE | IBV_QP_AV, -EINVAL) },
		{ STEP("INIT -> RTR", IBV_QPS_RTR, IBV_QP_STATE, 0) },
		{ STEP("RTR -> RTS without the SQ PSN",
		  IBV_QPS_RTS, IBV_QP_STATE, -EINVAL) },
		{ STEP("RTR -> RTS",
		  IBV_QPS_RTS, IBV_QP_STATE | IBV_QP_SQ_PSN, 0) },
		{ STEP("RTS: a new qkey",
		  0, IBV_QP_QKEY, 0), ATTR(qkey, 0x22222222) },
		{ STEP("RTS: min_rnr_timer (not UD's)",
		  0, IBV_QP_MIN_RNR_TIMER, -EINVAL) },
	};
	struct ib_uverbs_modify_qp base;
	struct ib_uverbs_query_qp_resp q;
	struct qp_spec s;
	uint32_t qpn;

	qp_spec_init(&s, IBV_QPT_UD, pd, cq);
	check_ret(create_qp(dev, &s, &qpn), 0, "CREATE_QP UD");
	attrs_init(&base, 0, g->good);
	run_steps(dev, qpn, "UD", &base, steps, ARRAY_SIZE(steps));
	check_ret(query_qp(dev, qpn, &q), 0, "QUERY_QP UD");
	test_check(q.qp_state == IBV_QPS_RTS && q.qkey == 0x22222222 &&
		   q.sq_psn == 42, "UD reads back RTS, its qkey and SQ PSN");
}

/* The UC rows of the kernel's qp_state_table (ib_modify_qp_is_ok). */
static void uc_states(struct raw_dev *dev, uint32_t pd, uint32_t cq,
		      const struct gids *g)
{
	const struct step steps[] = {
		{ STEP("RESET -> INIT with a qkey (not UC's)",
		  IBV_QPS_INIT, INIT_MASK | IBV_QP_QKEY, -EINVAL) },
		{ STEP("RESET -> INIT without access flags",
		  IBV_QPS_INIT, INIT_MASK & ~IBV_QP_ACCESS_FLAGS, -EINVAL) },
		{ STEP("RESET -> INIT", IBV_QPS_INIT, INIT_MASK, 0) },
		{ STEP("INIT -> RTR with RC's responder attributes",
		  IBV_QPS_RTR, RTR_MASK, -EINVAL) },
		{ STEP("INIT -> RTR with min_rnr_timer (UC has no RNR)",
		  IBV_QPS_RTR, UC_RTR_MASK | IBV_QP_MIN_RNR_TIMER, -EINVAL) },
		{ STEP("INIT -> RTR without the RQ PSN",
		  IBV_QPS_RTR, UC_RTR_MASK & ~IBV_QP_RQ_PSN, -EINVAL) },
		{ STEP("INIT -> RTR without the AV",
		  IBV_QPS_RTR, UC_RTR_MASK & ~IBV_QP_AV, -EINVAL) },
		{ STEP("INIT -> RTR", IBV_QPS_RTR, UC_RTR_MASK, 0) },
		{ STEP("RTR -> RTS with RC's retry attributes",
		  IBV_QPS_RTS, RTS_MASK, -EINVAL) },
		{ STEP("RTR -> RTS with a timeout (UC has no ACKs)",
		  IBV_QPS_RTS, UC_RTS_MASK | IBV_QP_TIMEOUT, -EINVAL) },
		{ STEP("RTR -> RTS with reads in flight (UC has no reads)",
		  IBV_QPS_RTS, UC_RTS_MASK | IBV_QP_MAX_QP_RD_ATOMIC,
		  -EINVAL) },
		{ STEP("RTR -> RTS without the SQ PSN",
		  IBV_QPS_RTS, IBV_QP_STATE, -EINVAL) },
		{ STEP("RTR -> RTS", IBV_QPS_RTS, UC_RTS_MASK, 0) },
		{ STEP("RTS: access flags with CUR_STATE RTS",
		  0, IBV_QP_ACCESS_FLAGS | IBV_QP_CUR_STATE, 0),
		  .cur = IBV_QPS_RTS },
		{ STEP("RTS: min_rnr_timer (not UC's)",
		  0, IBV_QP_MIN_RNR_TIMER, -EINVAL) },
		{ STEP("RTS: rnr_retry (not UC's)",
		  0, IBV_QP_RNR_RETRY, -EINVAL) },
		{ STEP("RTS -> SQD", IBV_QPS_SQD, IBV_QP_STATE, 0) },
		{ STEP("SQD -> SQD with a new AV",
		  IBV_QPS_SQD, IBV_QP_STATE | IBV_QP_AV, 0) },
		{ STEP("SQD -> SQD with a timeout (not UC's)",
		  IBV_QPS_SQD, IBV_QP_STATE | IBV_QP_TIMEOUT, -EINVAL) },
		{ STEP("SQD -> RTS", IBV_QPS_RTS, IBV_QP_STATE, 0) },
	};
	struct ib_uverbs_modify_qp base;
	struct ib_uverbs_query_qp_resp q;
	struct qp_spec s;
	uint32_t qpn;

	qp_spec_init(&s, IBV_QPT_UC, pd, cq);
	check_ret(create_qp(dev, &s, &qpn), 0, "CREATE_QP UC");
	attrs_init(&base, qpn, g->good);
	run_steps(dev, qpn, "UC", &base, steps, ARRAY_SIZE(steps));
	check_ret(query_qp(dev, qpn, &q), 0, "QUERY_QP UC");
	test_check(q.qp_state == IBV_QPS_RTS && q.dest_qp_num == qpn &&
		   q.rq_psn == 0x234567 && q.sq_psn == 42 &&
		   q.path_mtu == IBV_MTU_1024 &&
		   q.qp_access_flags == IBV_ACCESS_REMOTE_WRITE,
		   "UC reads back RTS, its PSNs, MTU and access (state %u)",
		   q.qp_state);
	check_ret(raw_destroy(dev, RAW_QP, qpn), 0, "DESTROY_QP UC");
}

static int test_qp_states(void)
{
	struct ib_uverbs_modify_qp base;
	struct raw_dev dev;
	uint32_t pd, cq, qpn;
	struct qp_spec s;
	struct gids g;

	find_gids(&g);
	open_or_die(&dev);
	pd = pd_or_die(&dev);
	cq = cq_or_die(&dev, 64);
	qp_spec_init(&s, IBV_QPT_RC, pd, cq);
	check_ret(create_qp(&dev, &s, &qpn), 0, "CREATE_QP RC");
	attrs_init(&base, qpn, g.good);
	rc_to_rts(&dev, qpn, &base, &g);
	rc_query(&dev, qpn, g.good);
	rc_rts_and_back(&dev, qpn, &base);
	check_ret(raw_qp_state(&dev, qpn), IBV_QPS_RESET, "RC back in RESET");
	ud_states(&dev, pd, cq, &g);
	uc_states(&dev, pd, cq, &g);
	raw_close(&dev);
	return 0;
}

/* ------------------------------------------------------------------ */
/* a context full of objects (dead_client, fd_hygiene)                 */

struct objs {
	uint32_t pd, cq, chan_cq, key, srq, qp, ud, xrcd, xsrq, tgt, priv;
	int channel;
};

static int chan_cq(struct raw_dev *dev, int channel, uint32_t *cqn)
{
	int fd = raw_make_memfd(2 * PAGE, 1);
	struct cq_resp resp;
	struct cq_cmd c;
	int ret;

	if (fd < 0)
		return fd;
	cq_cmd_init(&c, 63, fd, 2 * PAGE);
	c.core.comp_channel = channel;
	ret = create_cq(dev, &c, &resp);
	close(fd);
	*cqn = resp.core.cq_handle;
	return ret;
}

/*
 * One of each object, XRC ones in the XRCD of xrcd_fd's inode: how many
 * commands failed.
 */
static int make_objects(struct raw_dev *dev, int xrcd_fd, struct objs *o,
			void *buf, size_t len)
{
	struct srq_spec ss;
	struct qp_spec s;
	int bad = 0;

	memset(o, 0, sizeof(*o));
	bad += !!raw_alloc_pd(dev, &o->pd);
	o->cq = cq_or_die(dev, 64);
	o->channel = create_channel(dev);
	bad += o->channel < 0 || chan_cq(dev, o->channel, &o->chan_cq);
	bad += !!raw_reg_mr(dev, o->pd, buf, len, IBV_ACCESS_LOCAL_WRITE,
			    &o->key);
	srq_spec_init(&ss, IBV_SRQT_BASIC, o->pd, 0, 0);
	bad += !!create_srq(dev, &ss, &o->srq);
	qp_spec_init(&s, IBV_QPT_RC, o->pd, o->cq);
	s.srq = o->srq;
	s.rq_cnt = 0;
	bad += !!create_qp(dev, &s, &o->qp);
	qp_spec_init(&s, IBV_QPT_UD, o->pd, o->chan_cq);
	bad += !!create_qp(dev, &s, &o->ud);
	bad += !!open_xrcd(dev, xrcd_fd, O_CREAT, &o->xrcd);
	srq_spec_init(&ss, IBV_SRQT_XRC, o->pd, o->cq, o->xrcd);
	bad += !!create_srq(dev, &ss, &o->xsrq);
	qp_spec_xrc_recv(&s, o->xrcd);
	bad += !!create_qp(dev, &s, &o->tgt);
	bad += !!open_xrcd(dev, -1, 0, &o->priv);
	return bad;
}

/* Everything make_objects() made, in an order the device accepts. */
static int free_objects(struct raw_dev *dev, const struct objs *o)
{
	int bad = 0;

	bad += !!raw_destroy(dev, RAW_QP, o->tgt);
	bad += !!raw_destroy(dev, RAW_QP, o->ud);
	bad += !!raw_destroy(dev, RAW_QP, o->qp);
	bad += !!raw_destroy(dev, RAW_SRQ, o->xsrq);
	bad += !!raw_destroy(dev, RAW_SRQ, o->srq);
	bad += !!raw_destroy(dev, RAW_CQ, o->chan_cq);
	bad += !!raw_destroy(dev, RAW_CQ, o->cq);
	bad += !!raw_destroy(dev, RAW_MR, o->key);
	bad += !!raw_destroy(dev, RAW_PD, o->pd);
	bad += !!raw_destroy(dev, RAW_XRCD, o->xrcd);
	bad += !!raw_destroy(dev, RAW_XRCD, o->priv);
	return bad;
}

/*
 * Once every context closed it, the inode's XRCD is gone: an open without
 * O_CREAT answers EAGAIN.  Releases are seen asynchronously: polled.
 */
static int xrcd_gone(struct raw_dev *dev, int fd)
{
	double end = test_now() + SETTLE_MS / 1000.0;
	uint32_t x;
	int ret;

	for (;;) {
		ret = open_xrcd(dev, fd, 0, &x);
		if (!ret)
			raw_destroy(dev, RAW_XRCD, x);
		if (ret || test_now() > end)
			return ret;
		usleep(20 * 1000);
	}
}

/* ------------------------------------------------------------------ */
/* XRC                                                                 */

struct xrc_env {
	struct raw_dev a, b;
	char path[64];
	int fd;			/* the inode's file, O_RDWR */
	uint32_t shared;	/* its XRCD, opened in a and b */
	uint32_t priv;		/* b's XRCD of no file */
	struct gids g;
};

/* O_CREAT and O_EXCL as ib_uverbs_open_xrcd reads them. */
static void xrcd_open_cases(struct xrc_env *e)
{
	uint32_t x;
	int fd2;

	check_ret(open_xrcd(&e->a, e->fd, 0, NULL), -EAGAIN,
		  "OPEN_XRCD of a new inode without O_CREAT");
	check_ret(open_xrcd(&e->a, e->fd, O_CREAT, &e->shared), 0,
		  "OPEN_XRCD with O_CREAT");
	check_ret(open_xrcd(&e->b, e->fd, O_CREAT | O_EXCL, NULL), -EINVAL,
		  "OPEN_XRCD with O_EXCL of an inode that has one");
	fd2 = open(e->path, O_RDONLY | O_CLOEXEC);
	if (fd2 < 0)
		test_die("open", errno);
	check_ret(open_xrcd(&e->b, fd2, 0, &x), 0,
		  "OPEN_XRCD in another context through another file");
	close(fd2);
	/* Handles are the device's numbers: the same XRCD, the same one. */
	test_check(x == e->shared, "the inode's XRCD (%u and %u)", e->shared,
		   x);
	check_ret(open_xrcd(&e->b, -1, 0, &e->priv), 0, "OPEN_XRCD of no file");
	test_check(e->priv != e->shared, "a private XRCD (%u)", e->priv);
	check_ret(open_xrcd(&e->b, 1000, 0, NULL), -EBADF,
		  "OPEN_XRCD naming a closed fd");
	/* Bits other than O_CREAT and O_EXCL are not the kernel's business. */
	check_ret(open_xrcd(&e->a, -1, O_APPEND | O_NONBLOCK, &x), 0,
		  "OPEN_XRCD with other oflags bits");
	check_ret(raw_destroy(&e->a, RAW_XRCD, x), 0, "and CLOSE_XRCD of it");
}

/* A target QP's state machine: responder attributes, no requester's. */
static void xrc_recv_states(struct xrc_env *e, uint32_t qpn)
{
	const uint32_t rts = IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_SQ_PSN;
	const struct step steps[] = {
		{ STEP("RESET -> INIT", IBV_QPS_INIT, INIT_MASK, 0) },
		{ STEP("INIT -> RTR without min_rnr_timer", IBV_QPS_RTR,
		       RTR_MASK & ~IBV_QP_MIN_RNR_TIMER, -EINVAL) },
		{ STEP("INIT -> RTR", IBV_QPS_RTR, RTR_MASK, 0) },
		{ STEP("RTR -> RTS with a retry count (not a target's)",
		       IBV_QPS_RTS, rts | IBV_QP_RETRY_CNT, -EINVAL) },
		{ STEP("RTR -> RTS", IBV_QPS_RTS, rts, 0) },
	};
	struct ib_uverbs_modify_qp base;

	attrs_init(&base, 0x100, e->g.good);
	run_steps(&e->b, qpn, "XRC_RECV", &base, steps, ARRAY_SIZE(steps));
}

/* An XRC SRQ and a target QP in b's private XRCD. */
static void xrc_target_cases(struct xrc_env *e)
{
	uint32_t pd = pd_or_die(&e->b), cq = cq_or_die(&e->b, 64), srq, srq2;
	uint32_t qpn;
	struct srq_spec ss;
	struct qp_spec s;

	srq_spec_init(&ss, IBV_SRQT_XRC, pd, cq, e->priv + 1000);
	check_ret(create_srq(&e->b, &ss, NULL), -EINVAL,
		  "CREATE_XSRQ in an unknown XRCD");
	srq_spec_init(&ss, IBV_SRQT_XRC, pd, 999, e->priv);
	check_ret(create_srq(&e->b, &ss, NULL), -EINVAL,
		  "CREATE_XSRQ on an unknown CQ");
	srq_spec_init(&ss, IBV_SRQT_XRC, pd, cq, e->priv);
	check_ret(create_srq(&e->b, &ss, &srq), 0, "CREATE_XSRQ (XRC)");
	check_ret(raw_destroy(&e->b, RAW_CQ, cq), -EBUSY,
		  "DESTROY_CQ of the XRC SRQ's CQ");
	/* A shared XRCD this context's SRQ uses cannot be closed either. */
	srq_spec_init(&ss, IBV_SRQT_XRC, pd, cq, e->shared);
	check_ret(create_srq(&e->b, &ss, &srq2), 0,
		  "CREATE_XSRQ in the shared XRCD");
	check_ret(raw_destroy(&e->b, RAW_XRCD, e->shared), -EBUSY,
		  "CLOSE_XRCD of a shared XRCD this context's SRQ uses");
	check_ret(raw_destroy(&e->b, RAW_SRQ, srq2), 0,
		  "DESTROY_SRQ in the shared XRCD");
	qp_spec_xrc_recv(&s, e->priv);
	s.with_fd = true;
	check_ret(create_qp(&e->b, &s, NULL), -EBADF,
		  "CREATE_QP XRC_RECV with queue memory");
	s.with_fd = false;
	check_ret(create_qp(&e->b, &s, &qpn), 0, "CREATE_QP XRC_RECV");
	xrc_recv_states(e, qpn);
	check_ret(raw_destroy(&e->b, RAW_XRCD, e->priv), -EBUSY,
		  "CLOSE_XRCD of an XRCD in use");
	check_ret(create_qp(&e->a, &s, NULL), -EINVAL,
		  "XRC_RECV in another context's XRCD");
	check_ret(raw_destroy(&e->b, RAW_QP, qpn), 0, "DESTROY_QP XRC_RECV");
	check_ret(raw_destroy(&e->b, RAW_SRQ, srq), 0, "DESTROY_SRQ XRC");
	check_ret(raw_destroy(&e->b, RAW_XRCD, e->priv), 0,
		  "CLOSE_XRCD once unused");
}

static void xrc_send_cases(struct xrc_env *e)
{
	struct qp_spec s;

	qp_spec_init(&s, IBV_QPT_XRC_SEND, pd_or_die(&e->a),
		     cq_or_die(&e->a, 64));
	check_ret(create_qp(&e->a, &s, NULL), -EINVAL,
		  "CREATE_QP XRC_SEND with a receive queue");
	s.rq_cnt = 0;
	s.recv_cq = 0;
	check_ret(create_qp(&e->a, &s, NULL), 0, "CREATE_QP XRC_SEND");
}

/* Another process, a context of its own, the same inode. */
static int xrc_child(void *arg)
{
	const struct xrc_env *e = arg;
	struct srq_spec ss;
	struct raw_dev dev;
	uint32_t x, pd;
	int fd;

	open_or_die(&dev);
	fd = open(e->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		test_die("open", errno);
	check_ret(open_xrcd(&dev, fd, 0, &x), 0,
		  "another process: OPEN_XRCD of the inode");
	test_check(x == e->shared, "another process: the same XRCD (%u)", x);
	pd = pd_or_die(&dev);
	srq_spec_init(&ss, IBV_SRQT_XRC, pd, cq_or_die(&dev, 64), x);
	check_ret(create_srq(&dev, &ss, NULL), 0,
		  "another process: an XRC SRQ in it, left to its exit");
	close(fd);
	return 0;	/* the context dies with the process */
}

static void xrc_share_cases(struct xrc_env *e)
{
	uint32_t x;

	test_check(in_child(xrc_child, e), "the other process' checks");
	check_ret(raw_destroy(&e->a, RAW_XRCD, e->shared), 0,
		  "CLOSE_XRCD of the shared XRCD in one context");
	check_ret(raw_destroy(&e->a, RAW_XRCD, e->shared), -ENOENT,
		  "CLOSE_XRCD twice");
	check_ret(open_xrcd(&e->a, e->fd, 0, &x), 0,
		  "OPEN_XRCD without O_CREAT: the other context holds it");
	test_check(x == e->shared, "still the same XRCD (%u)", x);
	check_ret(raw_destroy(&e->a, RAW_XRCD, x), 0, "CLOSE_XRCD in a");
	check_ret(raw_destroy(&e->b, RAW_XRCD, e->shared), 0,
		  "CLOSE_XRCD in b");
	check_ret(xrcd_gone(&e->a, e->fd), -EAGAIN,
		  "closed everywhere and the child gone: the XRCD is no more");
}

static int test_xrc(void)
{
	struct xrc_env e;

	find_gids(&e.g);
	open_or_die(&e.a);
	open_or_die(&e.b);
	e.fd = xrcd_file(e.path, sizeof(e.path));
	xrcd_open_cases(&e);
	xrc_target_cases(&e);
	xrc_send_cases(&e);
	xrc_share_cases(&e);
	close(e.fd);
	unlink(e.path);
	raw_close(&e.a);
	raw_close(&e.b);
	return 0;
}

/* ------------------------------------------------------------------ */
/* ownership                                                           */

struct owned {
	uint32_t pd, cq, key, qpn, srq, xrcd;
	int channel;
};

static void own_objects(struct raw_dev *dev, struct owned *o, void *buf,
			size_t len)
{
	struct srq_spec ss;
	struct qp_spec s;

	o->pd = pd_or_die(dev);
	o->cq = cq_or_die(dev, 64);
	o->channel = create_channel(dev);
	if (o->channel < 0 ||
	    raw_reg_mr(dev, o->pd, buf, len, IBV_ACCESS_LOCAL_WRITE, &o->key) ||
	    open_xrcd(dev, -1, 0, &o->xrcd))
		test_die("owner's objects", EIO);
	srq_spec_init(&ss, IBV_SRQT_BASIC, o->pd, 0, 0);
	qp_spec_init(&s, IBV_QPT_RC, o->pd, o->cq);
	if (create_srq(dev, &ss, &o->srq) || create_qp(dev, &s, &o->qpn))
		test_die("owner's queues", EIO);
}

/* Destroying another context's objects: as unknown handles, ENOENT. */
static void foreign_destroys(struct raw_dev *dev, const struct owned *o,
			     const char *who)
{
	check_ret(raw_destroy(dev, RAW_QP, o->qpn), -ENOENT,
		  "%s: DESTROY_QP", who);
	check_ret(raw_destroy(dev, RAW_SRQ, o->srq), -ENOENT,
		  "%s: DESTROY_SRQ", who);
	check_ret(raw_destroy(dev, RAW_MR, o->key), -ENOENT,
		  "%s: DEREG_MR", who);
	check_ret(raw_destroy(dev, RAW_CQ, o->cq), -ENOENT,
		  "%s: DESTROY_CQ", who);
	check_ret(raw_destroy(dev, RAW_PD, o->pd), -ENOENT,
		  "%s: DEALLOC_PD", who);
	check_ret(raw_destroy(dev, RAW_XRCD, o->xrcd), -ENOENT,
		  "%s: CLOSE_XRCD", who);
}

/* Using them: EINVAL as for any bad handle (EBADF for a channel). */
static void foreign_uses(struct raw_dev *dev, const struct owned *o,
			 const char *who)
{
	struct ib_uverbs_modify_qp a = { .qp_state = IBV_QPS_ERR };
	struct ib_uverbs_query_qp_resp q;
	struct ib_uverbs_query_srq_resp sq;
	uint32_t pd = pd_or_die(dev), cq = cq_or_die(dev, 64), dummy;
	char buf[64];
	struct srq_spec ss;
	struct qp_spec s;

	check_ret(query_qp(dev, o->qpn, &q), -EINVAL, "%s: QUERY_QP", who);
	check_ret(modify_qp(dev, o->qpn, IBV_QP_STATE, &a), -EINVAL,
		  "%s: MODIFY_QP to ERR", who);
	check_ret(query_srq(dev, o->srq, &sq), -EINVAL, "%s: QUERY_SRQ", who);
	check_ret(modify_srq(dev, o->srq, IBV_SRQ_LIMIT, 1), -EINVAL,
		  "%s: MODIFY_SRQ", who);
	check_ret(reg_mr(dev, o->pd, buf, sizeof(buf), 0), -EINVAL,
		  "%s: REG_MR in its PD", who);
	qp_spec_init(&s, IBV_QPT_RC, o->pd, cq);
	check_ret(create_qp(dev, &s, NULL), -EINVAL, "%s: a QP in its PD", who);
	qp_spec_init(&s, IBV_QPT_RC, pd, o->cq);
	check_ret(create_qp(dev, &s, NULL), -EINVAL, "%s: a QP on its CQ", who);
	qp_spec_init(&s, IBV_QPT_RC, pd, cq);
	s.srq = o->srq;
	s.rq_cnt = 0;
	check_ret(create_qp(dev, &s, NULL), -EINVAL, "%s: a QP on its SRQ",
		  who);
	qp_spec_xrc_recv(&s, o->xrcd);
	check_ret(create_qp(dev, &s, NULL), -EINVAL,
		  "%s: an XRC_RECV QP in its XRCD", who);
	srq_spec_init(&ss, IBV_SRQT_XRC, pd, cq, o->xrcd);
	check_ret(create_srq(dev, &ss, NULL), -EINVAL,
		  "%s: an XRC SRQ in its XRCD", who);
	/* ib_uverbs_lookup_comp_file: not a channel of this file. */
	check_ret(chan_cq(dev, o->channel, &dummy), -EBADF,
		  "%s: a CQ on its completion channel", who);
}

struct intruder {
	const struct owned *o;
	const char *who;
};

/* A context of the intruder's own, in this process or a child. */
static int intrude(void *arg)
{
	const struct intruder *in = arg;
	struct raw_dev dev;

	open_or_die(&dev);
	foreign_destroys(&dev, in->o, in->who);
	foreign_uses(&dev, in->o, in->who);
	raw_close(&dev);
	return 0;
}

/* The owner's objects are as they were, and still its to destroy. */
static void owner_intact(struct raw_dev *dev, const struct owned *o)
{
	struct ib_uverbs_query_srq_resp sq;

	check_ret(raw_qp_state(dev, o->qpn), IBV_QPS_RESET,
		  "the owner's QP is still in RESET");
	check_ret(query_srq(dev, o->srq, &sq), 0, "the owner's SRQ answers");
	test_check(sq.srq_limit == 0, "with its limit unchanged (%u)",
		   sq.srq_limit);
	check_ret(raw_destroy(dev, RAW_QP, o->qpn), 0, "owner: DESTROY_QP");
	check_ret(raw_destroy(dev, RAW_SRQ, o->srq), 0, "owner: DESTROY_SRQ");
	check_ret(raw_destroy(dev, RAW_MR, o->key), 0, "owner: DEREG_MR");
	check_ret(raw_destroy(dev, RAW_CQ, o->cq), 0, "owner: DESTROY_CQ");
	check_ret(raw_destroy(dev, RAW_PD, o->pd), 0, "owner: DEALLOC_PD");
	check_ret(raw_destroy(dev, RAW_XRCD, o->xrcd), 0, "owner: CLOSE_XRCD");
}

static int test_ownership(void)
{
	static char buf[PAGE];
	struct intruder in;
	struct raw_dev dev;
	struct owned o;

	open_or_die(&dev);
	own_objects(&dev, &o, buf, sizeof(buf));
	in = (struct intruder){ &o, "another context" };
	intrude(&in);
	in.who = "another process";
	test_check(in_child(intrude, &in), "the other process' checks");
	owner_intact(&dev, &o);
	close(o.channel);
	raw_close(&dev);
	return 0;
}

/* ------------------------------------------------------------------ */
/* dead clients and fd hygiene                                         */

/* The device's pid, from a context kept open for the test's length. */
static pid_t device_of(struct raw_dev *probe)
{
	open_or_die(probe);
	return (pid_t)probe->device_pid;
}

/* A client that opens everything and waits to be killed. */
static void __attribute__((noreturn)) doomed(int ready, int xrcd_fd)
{
	static char buf[2 * PAGE];
	struct raw_dev dev;
	struct objs o;
	char c;

	open_or_die(&dev);
	c = make_objects(&dev, xrcd_fd, &o, buf, sizeof(buf)) ? 'f' : 'r';
	if (write(ready, &c, 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static pid_t spawn_doomed(int xrcd_fd, char *state)
{
	struct pollfd p;
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		test_die("pipe", errno);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		test_die("fork", errno);
	if (pid == 0) {
		close(fds[0]);
		doomed(fds[1], xrcd_fd);
	}
	close(fds[1]);
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	*state = 0;
	if (poll(&p, 1, 10000) != 1 || read(fds[0], state, 1) != 1)
		*state = 0;
	close(fds[0]);
	return pid;
}

static int test_dead_client(void)
{
	struct usage before, during;
	struct raw_dev probe;
	char path[64], state;
	int fd, status = 0;
	pid_t dev_pid, pid;

	dev_pid = device_of(&probe);
	fd = xrcd_file(path, sizeof(path));
	steady_usage(dev_pid, &before);
	pid = spawn_doomed(fd, &state);
	test_check(state == 'r', "the client made one of each object");
	usage_of(dev_pid, &during);
	/* Else the check below could not see a leak. */
	test_check(during.fds > before.fds && during.qmaps > before.qmaps,
		   "they hold device fds (%d -> %d) and queue mappings "
		   "(%d -> %d)", before.fds, during.fds, before.qmaps,
		   during.qmaps);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	test_check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		   "the client was killed");
	check_usage_back(dev_pid, &before, "the dead client's objects freed");
	check_ret(xrcd_gone(&probe, fd), -EAGAIN,
		  "its XRCD, with the SRQ and QP in it, went with it");
	test_check(device_alive(dev_pid), "the device serves on");
	close(fd);
	unlink(path);
	raw_close(&probe);
	return 0;
}

/* One context with one of each object; destroyed by hand when tidy. */
static int context_cycle(int xrcd_fd, bool tidy)
{
	static char buf[2 * PAGE];
	struct raw_dev dev;
	struct objs o;
	int bad;

	if (raw_open(&dev))
		return 1;
	bad = make_objects(&dev, xrcd_fd, &o, buf, sizeof(buf));
	if (tidy)
		bad += free_objects(&dev, &o);
	if (o.channel >= 0)
		close(o.channel);
	raw_close(&dev);
	return bad;
}

/* The same, in a process that exits without closing anything. */
static int exit_cycle(void *arg)
{
	const int *xrcd_fd = arg;
	static char buf[2 * PAGE];
	struct raw_dev dev;
	struct objs o;

	open_or_die(&dev);
	return make_objects(&dev, *xrcd_fd, &o, buf, sizeof(buf));
}

static int test_fd_hygiene(void)
{
	int fd, i, bad = 0, lost = 0;
	struct raw_dev probe;
	struct usage before;
	char path[64];
	pid_t dev_pid;

	dev_pid = device_of(&probe);
	fd = xrcd_file(path, sizeof(path));
	context_cycle(fd, false);	/* whatever a first context sets up */
	steady_usage(dev_pid, &before);
	for (i = 0; i < 40; i++)
		bad += context_cycle(fd, i % 2);
	for (i = 0; i < 10; i++)
		lost += !in_child(exit_cycle, &fd);
	test_check(!bad && !lost,
		   "40 contexts closed (half tidied first), 10 exited: "
		   "%d failed command(s), %d failed child(ren)", bad, lost);
	check_usage_back(dev_pid, &before, "nothing leaked in the device");
	/* Fifty contexts held the inode's XRCD: none kept a reference. */
	check_ret(xrcd_gone(&probe, fd), -EAGAIN,
		  "and the XRCD they shared is gone");
	test_check(device_alive(dev_pid), "the device serves on");
	close(fd);
	unlink(path);
	raw_close(&probe);
	return 0;
}

/* ------------------------------------------------------------------ */
/* idle CPU                                                            */

static int test_idle_cpu(void)
{
	static char buf[2 * PAGE];
	unsigned long t0, t1;
	struct raw_dev dev;
	struct raw_cq cq;
	struct raw_qp qp;
	struct objs o;
	struct gids g;
	char path[64];
	int fd;

	find_gids(&g);
	open_or_die(&dev);
	fd = xrcd_file(path, sizeof(path));
	/* Live queues, an RTS QP among them: still nothing to do. */
	if (make_objects(&dev, fd, &o, buf, sizeof(buf)) ||
	    raw_create_cq(&dev, &cq, 64) ||
	    raw_create_rc_qp(&dev, &qp, o.pd, &cq) ||
	    raw_qp_to_rts(&dev, &qp, qp.qpn, g.good))
		test_die("idle objects", EIO);
	usleep(300 * 1000);
	t0 = cpu_ticks((pid_t)dev.device_pid);
	sleep(1);
	t1 = cpu_ticks((pid_t)dev.device_pid);
	test_check(t1 - t0 <= 2, "the idle device used %lu ticks in 1 s",
		   t1 - t0);
	test_check(__atomic_load_n(&dev.shared->need_wakeup, __ATOMIC_ACQUIRE),
		   "and announced it sleeps (need_wakeup)");
	close(o.channel);
	raw_close(&dev);
	raw_free_qp(&qp);
	raw_free_cq(&cq);
	close(fd);
	unlink(path);
	return 0;
}

/* ------------------------------------------------------------------ */
/* random, well-formed commands over live handles                      */

enum kind { K_PD, K_MR, K_CQ, K_SRQ, K_QP, K_XRCD, K_NONE };

#define POOL_MAX 32
#define RQMEM (64 * 1024)	/* every queue of the test shares this memfd */

struct rstate {
	uint64_t seed;
	uint32_t h[K_NONE][POOL_MAX];	/* handles the device gave out */
	int n[K_NONE];
	int memfd, xrcd_fd;
	uint8_t gid;
	uint64_t resp[64];
};

/* xorshift: fixed by default so a failure repeats; UODP_TEST_SEED. */
static uint32_t rnd(struct rstate *r)
{
	r->seed ^= r->seed << 13;
	r->seed ^= r->seed >> 7;
	r->seed ^= r->seed << 17;
	return (uint32_t)(r->seed >> 16);
}

static uint32_t pick(struct rstate *r, enum kind k)
{
	if (!r->n[k] || rnd(r) % 8 == 0)
		return rnd(r) % 4 ? rnd(r) % 0x200 : 0;
	return r->h[k][rnd(r) % r->n[k]];
}

static uint32_t interesting(struct rstate *r)
{
	switch (rnd(r) % 6) {
	case 0:
		return pick(r, (enum kind)(rnd(r) % K_NONE));
	case 1:
		return rnd(r) % 8;
	case 2:
		return 1u << (rnd(r) % 32);
	case 3:
		return UINT32_MAX;
	case 4:
		return PAGE * (rnd(r) % 32);
	default:
		return rnd(r);
	}
}

union rbody {
	uint64_t words[64];
	struct ib_uverbs_query_port port;
	struct ib_uverbs_reg_mr mr;
	struct cq_cmd cq;
	struct ib_uverbs_open_xrcd xrcd;
	struct {
		struct ib_uverbs_create_srq core;
		struct uodp_create_srq_drv drv;
	} srq;
	struct {
		struct ib_uverbs_create_xsrq core;
		struct uodp_create_srq_drv drv;
	} xsrq;
	struct ib_uverbs_modify_srq msrq;
	struct qp_cmd qp;
	struct ib_uverbs_modify_qp mqp;
};

static void fill_port(struct rstate *r, union rbody *b)
{
	(void)r;
	b->port.port_num = 1;
}

static void fill_reg_mr(struct rstate *r, union rbody *b)
{
	static char mem[3 * PAGE];

	b->mr.start = (uintptr_t)mem + rnd(r) % PAGE;
	b->mr.length = 1 + rnd(r) % (2 * PAGE);
	b->mr.hca_va = rnd(r);
	b->mr.pd_handle = pick(r, K_PD);
	b->mr.access_flags = rnd(r) % 16 |
			     (rnd(r) % 4 ? 0 : IBV_ACCESS_ON_DEMAND);
}

static void fill_cq(struct rstate *r, union rbody *b)
{
	cq_cmd_init(&b->cq, (1u << (rnd(r) % 11)) - 1, r->memfd, RQMEM);
}

static void fill_xrcd(struct rstate *r, union rbody *b)
{
	b->xrcd.fd = rnd(r) % 2 ? (uint32_t)r->xrcd_fd : UINT32_MAX;
	b->xrcd.oflags = O_CREAT;
}

static void random_srq(struct rstate *r, struct srq_spec *s,
		       struct uodp_create_srq_drv *drv)
{
	srq_spec_init(s, rnd(r) % 2 ? IBV_SRQT_XRC : IBV_SRQT_BASIC,
		      pick(r, K_PD), pick(r, K_CQ), pick(r, K_XRCD));
	s->wqe_cnt = 1u << (rnd(r) % 8);
	s->max_sge = rnd(r) % 3;
	srq_drv_init(drv, s, r->memfd);
	drv->qmem.size = RQMEM;
	drv->qmem.dbrec_offset = RQMEM - 64;
}

static void fill_srq(struct rstate *r, union rbody *b)
{
	struct srq_spec s;

	random_srq(r, &s, &b->srq.drv);
	b->srq.core.pd_handle = s.pd;
	b->srq.core.max_wr = s.wqe_cnt - 1;
	b->srq.core.max_sge = s.max_sge;
}

static void fill_xsrq(struct rstate *r, union rbody *b)
{
	struct srq_spec s;

	random_srq(r, &s, &b->xsrq.drv);
	b->xsrq.core.srq_type = s.type;
	b->xsrq.core.pd_handle = s.pd;
	b->xsrq.core.max_wr = s.wqe_cnt - 1;
	b->xsrq.core.max_sge = s.max_sge;
	b->xsrq.core.xrcd_handle = s.xrcd;
	b->xsrq.core.cq_handle = s.cq;
}

static void fill_modify_srq(struct rstate *r, union rbody *b)
{
	b->msrq.srq_handle = pick(r, K_SRQ);
	b->msrq.attr_mask = rnd(r) % 4;
	b->msrq.srq_limit = rnd(r) % 64;
}

static void fill_qp(struct rstate *r, union rbody *b)
{
	static const uint32_t types[] = { IBV_QPT_RC, IBV_QPT_UD,
					  IBV_QPT_XRC_SEND, IBV_QPT_XRC_RECV };
	struct qp_spec s;

	qp_spec_init(&s, types[rnd(r) % 4], pick(r, K_PD), pick(r, K_CQ));
	s.size = RQMEM;
	if (rnd(r) % 2) {
		s.srq = pick(r, K_SRQ);
		s.rq_cnt = 0;
	}
	if (s.type == IBV_QPT_XRC_RECV)
		qp_spec_xrc_recv(&s, pick(r, K_XRCD));
	qp_cmd_init(&b->qp, &s, s.with_fd ? r->memfd : -1);
}

/* Half the time a transition an RC QP may make, with its mask. */
static void legal_transition(struct rstate *r, struct ib_uverbs_modify_qp *m)
{
	static const struct { uint8_t state; uint32_t mask; } t[] = {
		{ IBV_QPS_INIT, INIT_MASK }, { IBV_QPS_RTR, RTR_MASK },
		{ IBV_QPS_RTS, RTS_MASK }, { IBV_QPS_ERR, IBV_QP_STATE },
		{ IBV_QPS_RESET, IBV_QP_STATE },
	};
	size_t i = rnd(r) % ARRAY_SIZE(t);

	m->qp_state = t[i].state;
	m->attr_mask = t[i].mask;
}

static void fill_modify_qp(struct rstate *r, union rbody *b)
{
	struct ib_uverbs_modify_qp *m = &b->mqp;

	attrs_init(m, pick(r, K_QP), rnd(r) % 2 ? r->gid : rnd(r) % 16);
	m->qp_handle = pick(r, K_QP);
	m->attr_mask = rnd(r) & ((1u << 21) - 1);
	m->qp_state = rnd(r) % 8;
	m->cur_qp_state = rnd(r) % 8;
	m->path_mtu = 1 + rnd(r) % 5;
	m->dest.is_global = rnd(r) % 2;
	m->timeout = rnd(r) % 32;
	m->retry_cnt = rnd(r) % 8;
	m->rnr_retry = rnd(r) % 8;
	m->max_rd_atomic = rnd(r) % 17;
	m->max_dest_rd_atomic = rnd(r) % 17;
	if (rnd(r) % 2)
		legal_transition(r, m);
}

/*
 * One kind of command: its body (core and driver data), response size,
 * the pool its answer feeds, and either a filler or the pool whose handle
 * goes at handle_off.
 */
struct rop {
	const char *name;
	uint32_t cmd;
	size_t len, out;
	enum kind makes, uses;
	size_t handle_off;
	void (*fill)(struct rstate *r, union rbody *b);
};

#define ROP(c, l, o, m, f)						\
	{ #c, IB_USER_VERBS_CMD_##c, l, o, m, K_NONE, 0, f }
#define ROP_H(c, l, o, u, off)						\
	{ #c, IB_USER_VERBS_CMD_##c, l, o, K_NONE, u, off, NULL }

static const struct rop rops[] = {
	ROP(QUERY_DEVICE, sizeof(struct ib_uverbs_query_device),
	    sizeof(struct ib_uverbs_query_device_resp), K_NONE, NULL),
	ROP(QUERY_PORT, sizeof(struct ib_uverbs_query_port),
	    sizeof(struct ib_uverbs_query_port_resp), K_NONE, fill_port),
	ROP(ALLOC_PD, sizeof(struct ib_uverbs_alloc_pd),
	    sizeof(struct ib_uverbs_alloc_pd_resp), K_PD, NULL),
	ROP_H(DEALLOC_PD, sizeof(struct ib_uverbs_dealloc_pd), 0, K_PD, 0),
	ROP(REG_MR, sizeof(struct ib_uverbs_reg_mr),
	    sizeof(struct ib_uverbs_reg_mr_resp), K_MR, fill_reg_mr),
	ROP_H(DEREG_MR, sizeof(struct ib_uverbs_dereg_mr), 0, K_MR, 0),
	ROP(CREATE_CQ, sizeof(struct cq_cmd), sizeof(struct cq_resp), K_CQ,
	    fill_cq),
	ROP_H(DESTROY_CQ, sizeof(struct ib_uverbs_destroy_cq),
	      sizeof(struct ib_uverbs_destroy_cq_resp), K_CQ, 8),
	ROP(OPEN_XRCD, sizeof(struct ib_uverbs_open_xrcd),
	    sizeof(struct ib_uverbs_open_xrcd_resp), K_XRCD, fill_xrcd),
	ROP_H(CLOSE_XRCD, sizeof(struct ib_uverbs_close_xrcd), 0, K_XRCD, 0),
	ROP(CREATE_SRQ, sizeof(((union rbody *)0)->srq),
	    sizeof(struct ib_uverbs_create_srq_resp), K_SRQ, fill_srq),
	ROP(CREATE_XSRQ, sizeof(((union rbody *)0)->xsrq),
	    sizeof(struct ib_uverbs_create_srq_resp), K_SRQ, fill_xsrq),
	ROP(MODIFY_SRQ, sizeof(struct ib_uverbs_modify_srq), 0, K_NONE,
	    fill_modify_srq),
	ROP_H(QUERY_SRQ, sizeof(struct ib_uverbs_query_srq),
	      sizeof(struct ib_uverbs_query_srq_resp), K_SRQ, 8),
	ROP_H(DESTROY_SRQ, sizeof(struct ib_uverbs_destroy_srq),
	      sizeof(struct ib_uverbs_destroy_srq_resp), K_SRQ, 8),
	ROP(CREATE_QP, sizeof(struct qp_cmd),
	    sizeof(struct ib_uverbs_create_qp_resp), K_QP, fill_qp),
	ROP(MODIFY_QP, sizeof(struct ib_uverbs_modify_qp), 0, K_NONE,
	    fill_modify_qp),
	ROP_H(QUERY_QP, sizeof(struct ib_uverbs_query_qp),
	      sizeof(struct ib_uverbs_query_qp_resp), K_QP, 8),
	ROP_H(DESTROY_QP, sizeof(struct ib_uverbs_destroy_qp),
	      sizeof(struct ib_uverbs_destroy_qp_resp), K_QP, 8),
};

/* A few words of the command made interesting; never the response pointer. */
static size_t mutate(struct rstate *r, union rbody *b, size_t len,
		     size_t keep)
{
	uint32_t v, i, n = rnd(r) % 4;
	size_t words = (len - keep) / 4;

	for (i = 0; i < n && words; i++) {
		v = interesting(r);
		memcpy((uint8_t *)b + keep + 4 * (rnd(r) % words), &v, 4);
	}
	if (words && rnd(r) % 32 == 0)
		len = keep + 4 * (rnd(r) % (words + 1));
	return len;
}

/* One random command: 0 or -errno; answers feed the pools. */
static int random_command(struct rstate *r, struct raw_dev *dev,
			  unsigned int *ok)
{
	size_t i = rnd(r) % ARRAY_SIZE(rops), len;
	const struct rop *op = &rops[i];
	union rbody b;
	uint32_t v;
	int ret;

	memset(&b, 0, sizeof(b));
	if (op->fill)
		op->fill(r, &b);
	if (op->uses != K_NONE) {
		v = pick(r, op->uses);
		memcpy((uint8_t *)&b + op->handle_off, &v, sizeof(v));
	}
	len = mutate(r, &b, op->len, op->out ? sizeof(uint64_t) : 0);
	ret = raw_write(dev, op->cmd, &b, len, r->resp, op->out);
	if (ret)
		return ret;
	ok[i]++;
	if (op->makes != K_NONE && r->n[op->makes] < POOL_MAX) {
		memcpy(&v, r->resp, sizeof(v));
		r->h[op->makes][r->n[op->makes]++] = v;
	}
	return 0;
}

/* Garbage in every ring and doorbell record, and a doorbell. */
static void scribble(struct rstate *r, struct raw_dev *dev, uint32_t *qmem)
{
	uint64_t one = 1;
	size_t i;

	for (i = 0; i < RQMEM / 4; i++)
		qmem[i] = rnd(r) % 3 ? 0 : rnd(r);
	if (write(dev->doorbell_fd, &one, sizeof(one)) != sizeof(one))
		test_check(false, "doorbell write: %s", strerror(errno));
}

/* One context's worth: how many commands found the device gone. */
static int random_context(struct rstate *r, uint32_t *qmem, unsigned int *ok)
{
	struct raw_dev dev;
	int i, lost = 0;

	if (raw_open(&dev))
		return 1;
	memset(r->n, 0, sizeof(r->n));
	for (i = 0; i < 1000; i++) {
		if (i % 64 == 63)
			scribble(r, &dev, qmem);
		/* A dead supervisor leaves trapped calls to ENOSYS. */
		lost += random_command(r, &dev, ok) == -ENOSYS;
	}
	raw_close(&dev);
	return lost;
}

static int test_random(void)
{
	const char *seed = getenv("UODP_TEST_SEED");
	unsigned int ok[ARRAY_SIZE(rops)] = { 0 }, kinds = 0;
	struct rstate *r = calloc(1, sizeof(*r));
	struct raw_dev probe;
	struct usage before;
	int i, lost = 0;
	char path[64];
	uint32_t *qmem;
	pid_t dev_pid;
	struct gids g;

	if (!r)
		test_die("calloc", ENOMEM);
	find_gids(&g);
	r->gid = g.good;
	r->seed = seed ? strtoull(seed, NULL, 0) | 1 : 0x9e3779b97f4a7c15ull;
	dev_pid = device_of(&probe);
	r->xrcd_fd = xrcd_file(path, sizeof(path));
	r->memfd = raw_make_memfd(RQMEM, 1);
	qmem = mmap(NULL, RQMEM, PROT_READ | PROT_WRITE, MAP_SHARED,
		    r->memfd, 0);
	if (r->memfd < 0 || qmem == MAP_FAILED)
		test_die("queue memory", errno);
	steady_usage(dev_pid, &before);
	for (i = 0; i < 20; i++)
		lost += random_context(r, qmem, ok);
	test_check(!lost && device_alive(dev_pid),
		   "20000 random commands: the device serves on");
	check_usage_back(dev_pid, &before, "and leaked nothing");
	/* The requests reached deep: most kinds succeeded sometimes. */
	for (i = 0; i < (int)ARRAY_SIZE(rops); i++) {
		kinds += ok[i] > 0;
		if (getenv("UODP_TEST_VERBOSE"))
			printf("      %-12s %u ok\n", rops[i].name, ok[i]);
	}
	test_check(kinds >= ARRAY_SIZE(rops) - 2,
		   "%u of %zu kinds of command succeeded", kinds,
		   ARRAY_SIZE(rops));
	munmap(qmem, RQMEM);
	close(r->memfd);
	close(r->xrcd_fd);
	unlink(path);
	raw_close(&probe);
	free(r);
	return 0;
}

/* ------------------------------------------------------------------ */
/* inotify overflow: the device's count of a command fd's opens is lost   */

/* The device's own mappings of command fd files (one per live file). */
static int device_files(pid_t device)
{
	char path[64], line[512];
	FILE *maps;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)device);
	maps = fopen(path, "r");
	if (!maps)
		test_die(path, errno);
	while (fgets(line, sizeof(line), maps))
		n += strstr(line, "/memfd:uverbs") != NULL;
	fclose(maps);
	return n;
}

/*
 * With the device stopped, a client reopens its command fd through /proc
 * 12000 times (24000 inotify events: the queue holds 16384), then another
 * client closes its own.  Woken, the device must release the closed one,
 * whose close event was lost, and keep the live one.
 */
static int test_inotify_overflow(void)
{
	struct raw_dev a, b;
	char path[64];
	uint32_t pd;
	int before, after = -1, i, fd;

	if (raw_open(&a) || raw_open(&b) || raw_alloc_pd(&a, &pd))
		test_die("two contexts", EIO);
	before = device_files(a.device_pid);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", a.cmd_fd);
	if (kill((pid_t)a.device_pid, SIGSTOP))
		test_die("SIGSTOP the device", errno);
	for (i = 0; i < 12000; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
	}
	raw_close(&b);		/* its event finds the queue full */
	kill((pid_t)a.device_pid, SIGCONT);
	for (i = 0; i < 500 && after != before - 1; i++) {
		usleep(10000);
		after = device_files(a.device_pid);
	}
	test_check(after == before - 1,
		   "the closed command fd is released (%d files, were %d)",
		   after, before);
	check_ret(raw_destroy(&a, RAW_PD, pd), 0,
		  "the reopened one keeps its context");
	raw_close(&a);
	for (i = 0; i < 500 && device_files(a.device_pid) != before - 2; i++)
		usleep(10000);
	test_check(device_files(a.device_pid) == before - 2,
		   "and is released at its last close");
	return 0;
}

/* ------------------------------------------------------------------ */
/* per-context limits                                                  */

static unsigned int limits_share;	/* uodp-control limits SHARE */

static const struct {
	const char *name;
	enum raw_obj kind;
} limit_kinds[] = {
	{ "PD", RAW_PD },
	{ "MR", RAW_MR },
	{ "CQ", RAW_CQ },
	{ "QP", RAW_QP },
	{ "SRQ", RAW_SRQ },
};

/* What one context may hold of each kind: SHARE percent of max_*. */
static void limit_shares(struct raw_dev *dev, uint32_t share[])
{
	struct ib_uverbs_ex_query_device_resp r;
	uint32_t max[ARRAY_SIZE(limit_kinds)];
	size_t i;

	if (ex_query_device(dev, &r))
		test_die("EX_QUERY_DEVICE", EIO);
	max[0] = r.base.max_pd;
	max[1] = r.base.max_mr;
	max[2] = r.base.max_cq;
	max[3] = r.base.max_qp;
	max[4] = r.base.max_srq;
	for (i = 0; i < ARRAY_SIZE(limit_kinds); i++) {
		share[i] = (uint64_t)max[i] * limits_share / 100;
		if (!share[i])
			share[i] = 1;
	}
}

/* The objects a context made; pd and cq are its first PD and CQ. */
struct limit_ctx {
	struct raw_dev dev;
	uint32_t pd, cq;
	uint32_t n[ARRAY_SIZE(limit_kinds)];
};

static int limit_create(struct limit_ctx *l, size_t i)
{
	static char page[PAGE] __attribute__((aligned(PAGE)));
	struct srq_spec ss;
	struct qp_spec qs;
	uint32_t h;
	int ret;

	switch (limit_kinds[i].kind) {
	case RAW_PD:
		ret = raw_alloc_pd(&l->dev, &h);
		if (!ret && !l->n[i])
			l->pd = h;
		break;
	case RAW_MR:
		/*
		 * ODP: the count is max_mr's.  Pinned ones would meet the
		 * process's RLIMIT_MEMLOCK first (as an ordinary user, 8 MiB:
		 * 2048 pages), which every context of the process shares.
		 */
		ret = reg_mr(&l->dev, l->pd, page, PAGE,
			     IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND);
		break;
	case RAW_CQ:
		ret = mapped_cq(&l->dev, 8, &h);
		if (!ret && !l->n[i])
			l->cq = h;
		break;
	case RAW_QP:
		qp_spec_init(&qs, IBV_QPT_RC, l->pd, l->cq);
		ret = create_qp(&l->dev, &qs, NULL);
		break;
	default:
		srq_spec_init(&ss, IBV_SRQT_BASIC, l->pd, 0, 0);
		ret = create_srq(&l->dev, &ss, NULL);
		break;
	}
	if (!ret)
		l->n[i]++;
	return ret;
}

/* Create kind i until refused (or far past want): the refusal's errno. */
static int limit_fill(struct limit_ctx *l, size_t i, uint32_t want)
{
	int ret;

	do
		ret = limit_create(l, i);
	while (!ret && l->n[i] <= want);
	return ret;
}

/* The fds the device lends: its RLIMIT_NOFILE less 256 it keeps. */
static unsigned long long device_fd_budget(pid_t device)
{
	unsigned long long soft = 0;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/limits", (int)device);
	f = fopen(path, "r");
	if (!f)
		test_die(path, errno);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Max open files %llu", &soft) == 1)
			break;
	fclose(f);
	if (!soft)
		test_die("the device's Max open files", EIO);
	return soft > 512 ? soft - 256 : soft / 2;
}

/*
 * How many completion channels (2 daemon fds each) one file gets after
 * its context (5): SHARE percent of the fd budget, at least room for the
 * context and one channel.
 */
static int limit_channels(pid_t device)
{
	unsigned long long n = device_fd_budget(device) * limits_share / 100;

	if (n < 7)
		n = 7;
	return (int)((n - 5) / 2);
}

/* Completion channels until refused: the refusal; their fds in fds[]. */
static int limit_fill_channels(struct raw_dev *dev, int *fds, int max,
			       int *n)
{
	int fd;

	for (*n = 0; *n <= max; (*n)++) {
		fd = create_channel(dev);
		if (fd < 0)
			return fd;
		fds[*n] = fd;
	}
	return 0;
}

static void close_all(int *fds, int n)
{
	while (n--)
		close(fds[n]);
}

/* The bystander's traffic: a fresh CQ and RC QP, a SEND to itself. */
static bool limit_traffic(struct limit_ctx *l)
{
	struct raw_cq cq;
	struct raw_qp qp;
	bool ok;

	if (raw_create_cq(&l->dev, &cq, 16))
		return false;
	ok = !raw_create_rc_qp(&l->dev, &qp, l->pd, &cq) &&
	     raw_loopback_send(&l->dev, &qp, &cq, l->pd);
	if (ok) {
		raw_destroy(&l->dev, RAW_QP, qp.qpn);
		raw_free_qp(&qp);
	}
	raw_destroy(&l->dev, RAW_CQ, cq.cqn);
	raw_free_cq(&cq);
	return ok;
}

static int test_limits(void)
{
	static struct limit_ctx host, by;
	uint32_t share[ARRAY_SIZE(limit_kinds)];
	int *chan, nchan, want_chan, by_chan;
	struct usage before;
	size_t i;
	int ret;

	if (!limits_share)
		test_die("usage: uodp-control limits SHARE", EINVAL);
	open_or_die(&by.dev);
	limit_shares(&by.dev, share);
	/* The bystander first holds one of each. */
	for (i = 0; i < ARRAY_SIZE(limit_kinds); i++)
		check_ret(limit_create(&by, i), 0, "bystander: a %s",
			  limit_kinds[i].name);
	steady_usage(by.dev.device_pid, &before);

	open_or_die(&host.dev);
	for (i = 0; i < ARRAY_SIZE(limit_kinds); i++) {
		ret = limit_fill(&host, i, share[i]);
		test_check(ret == -ENOMEM && host.n[i] == share[i],
			   "hostile: %s refused with ENOMEM after %u (its share %u; got %s)",
			   limit_kinds[i].name, host.n[i], share[i],
			   strerror(-ret));
		/* Refused again, not once: the count is not off by one. */
		check_ret(limit_create(&host, i), -ENOMEM,
			  "hostile: and the next %s too", limit_kinds[i].name);
		check_ret(limit_create(&by, i), 0,
			  "bystander: still gets a %s", limit_kinds[i].name);
	}
	/* The daemon's fds: completion channels hold two each. */
	want_chan = limit_channels((pid_t)by.dev.device_pid);
	chan = calloc((size_t)want_chan + 2, sizeof(*chan));
	if (!chan)
		test_die("calloc", ENOMEM);
	ret = limit_fill_channels(&host.dev, chan, want_chan, &nchan);
	test_check(ret == -EMFILE && nchan == want_chan,
		   "hostile: completion channel refused with EMFILE after %d (its share of the device's fds: %d; got %s)",
		   nchan, want_chan, strerror(-ret));
	close_all(chan, nchan);
	by_chan = create_channel(&by.dev);
	test_check(by_chan >= 0, "bystander: still gets a completion channel (%s)",
		   by_chan < 0 ? strerror(-by_chan) : "ok");
	if (by_chan >= 0)
		close(by_chan);
	test_check(limit_traffic(&by),
		   "bystander: a new CQ and QP and a SEND on them, while the hostile context is full");

	raw_close(&host.dev);
	/*
	 * The device learns of the close asynchronously: the hostile
	 * context's queue mappings and fds go, the bystander's three new
	 * queues (CQ, QP, SRQ) and its channel's two fds stay.
	 */
	before.qmaps += 3;
	before.fds += 2;
	check_usage_back(by.dev.device_pid, &before, "hostile context closed");
	for (i = 0; i < ARRAY_SIZE(limit_kinds); i++) {
		ret = limit_fill(&by, i, share[i]);
		test_check(ret == -ENOMEM && by.n[i] == share[i],
			   "bystander: %s up to its share %u (got %u, then %s)",
			   limit_kinds[i].name, share[i], by.n[i],
			   strerror(-ret));
	}
	/* Its one channel is still held by the device (ufile's lifetime). */
	ret = limit_fill_channels(&by.dev, chan, want_chan, &nchan);
	test_check(ret == -EMFILE && nchan == want_chan - 1,
		   "bystander: completion channels up to its share %d (got %d more, then %s)",
		   want_chan, nchan, strerror(-ret));
	close_all(chan, nchan);
	free(chan);
	raw_close(&by.dev);
	return 0;
}

/*
 * How many command fds the device keeps open: as many as the fd budget
 * gives contexts (5 fds each) to, at most an eighth of its map budget
 * (vm.max_map_count less 4096).
 */
static int limit_files(pid_t device)
{
	unsigned long long maps = 65530, files;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");

	if (f) {
		if (fscanf(f, "%llu", &maps) != 1)
			maps = 65530;
		fclose(f);
	}
	maps = maps > 8192 ? maps - 4096 : maps / 2;
	files = device_fd_budget(device) / 5;
	return (int)(files < maps / 8 ? files : maps / 8);
}

/*
 * A hostile process opens command fds until the device refuses (run
 * under prlimit --nofile=1024, so that the device's budget is small):
 * ENFILE at the budget, a bystander's context works on, and once they
 * are closed a new one opens.
 */
static int test_files(void)
{
	static struct limit_ctx by;
	double end;
	int *fds, n = 0, fd = -1, err = 0, want;

	open_or_die(&by.dev);
	want = limit_files((pid_t)by.dev.device_pid) - 1;	/* by's */
	fds = calloc((size_t)want + 2, sizeof(*fds));
	if (!fds)
		test_die("calloc", ENOMEM);
	while (n <= want) {
		fd = open(RAW_DEV_PATH, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			err = errno;
			break;
		}
		fds[n++] = fd;
	}
	test_check(fd < 0 && err == ENFILE && n == want,
		   "hostile: command fds refused with ENFILE after %d (the device's budget less the bystander's: %d; got %s)",
		   n, want, fd < 0 ? strerror(err) : "none");
	check_ret(limit_create(&by, 0), 0, "bystander: a PD");
	test_check(limit_traffic(&by),
		   "bystander: a new CQ and QP and a SEND on them, while the device's command fds are used up");
	close_all(fds, n);
	free(fds);
	/* The device learns of the closes asynchronously. */
	end = test_now() + SETTLE_MS / 1000.0;
	do {
		fd = open(RAW_DEV_PATH, O_RDWR | O_CLOEXEC);
		err = fd < 0 ? errno : 0;
		if (fd < 0)
			usleep(20 * 1000);
	} while (fd < 0 && test_now() < end);
	test_check(fd >= 0, "a command fd opens again once they are closed (%s)",
		   fd < 0 ? strerror(err) : "ok");
	if (fd >= 0)
		close(fd);
	raw_close(&by.dev);
	return 0;
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*fn)(void);
} modes[] = {
	{ "objects", test_objects },
	{ "qp_states", test_qp_states },
	{ "xrc", test_xrc },
	{ "ownership", test_ownership },
	{ "dead_client", test_dead_client },
	{ "fd_hygiene", test_fd_hygiene },
	{ "random", test_random },
	{ "idle_cpu", test_idle_cpu },
	{ "inotify_overflow", test_inotify_overflow },
	{ "limits", test_limits },
	{ "files", test_files },
};

int main(int argc, char **argv)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(RAW_DEV_PATH, F_OK)) {
		fprintf(stderr, "%s: run me inside uodp-run\n", argv[0]);
		return 2;
	}
	/* limits takes the share uodp-run was given. */
	if (argc == 3 && !strcmp(argv[1], "limits"))
		limits_share = (unsigned int)atoi(argv[2]);
	for (i = 0; (argc == 2 || limits_share) && i < ARRAY_SIZE(modes); i++) {
		if (strcmp(argv[1], modes[i].name))
			continue;
		modes[i].fn();
		printf("%s: %d failure(s)\n", modes[i].name, test_failures);
		return test_failures ? 1 : 0;
	}
	fprintf(stderr, "usage: %s MODE, MODE one of:", argv[0]);
	for (i = 0; i < ARRAY_SIZE(modes); i++)
		fprintf(stderr, " %s", modes[i].name);
	fprintf(stderr, "\n");
	return 2;
}
