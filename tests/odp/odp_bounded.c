// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Bounded ODP work on the single-threaded device: nothing a context asks
 * of the ODP machinery holds the device for long, whatever the size, and
 * an ODP MR costs what is mapped of it, not its virtual size.
 *
 *   odp_bounded register  a 1 TiB explicit ODP MR (MAP_NORESERVE) through
 *                         the provider registers at once and costs the
 *                         device little memory; an RDMA write deep inside
 *                         it (and through the implicit MR) lands, the data
 *                         checked; lengths beyond the address space or
 *                         wrapping are refused
 *   odp_bounded map       by hand (raw client) over a 1 TiB read-only
 *                         range: MAP, MAP NO_FAULT, ADVISE_MR with and
 *                         without FLUSH, through the explicit and the
 *                         implicit MR, each call returning after a slice of
 *                         the device (-EAGAIN and how far it got; the
 *                         caller continues) while a bystander context in
 *                         another process keeps being served; MAP's
 *                         errors over huge and wrapping ranges
 *
 * Run inside uodp-run; exit status 0 when every check passed.
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
#include <sys/wait.h>
#include <unistd.h>
#include <rdma/ib_user_ioctl_cmds.h>

#include "lib/rawdev.h"
#include "odp_common.h"
#include "tests/lib/child.h"

#define TIB (1ull << 40)
#define GIB (1ull << 30)
/* Generous: a call is a slice (about a millisecond) of the device. */
#define CALL_MAX_S 2.0
/* What a bystander's command may wait at worst, generously. */
#define BYSTANDER_MAX_US 500000
/* How much the device may grow for a TiB MR with a few pages mapped. */
#define DEVICE_GROWTH_MAX_KB (8 * 1024)

/* ------------------------------------------------------------------ */
/* the bystander: another process, another context, simple commands    */

/*
 * Loops QUERY_COUNTERS on a context of its own.  Each "report" line on
 * stdin is answered with "<commands> <worst latency us>" since the last.
 */
static int run_bystander(void)
{
	struct uodp_query_counters_resp r;
	struct pollfd in = { .fd = 0, .events = POLLIN };
	unsigned long count = 0;
	double worst = 0, t0, dt;
	struct raw_dev dev;
	char line[64];

	if (raw_open(&dev))
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		t0 = test_now();
		if (raw_query_counters(&dev, UODP_COUNTERS_CONTEXT, 0, &r))
			return 1;
		dt = test_now() - t0;
		count++;
		if (dt > worst)
			worst = dt;
		if (poll(&in, 1, 0) != 1)
			continue;
		if (!fgets(line, sizeof(line), stdin))
			break;		/* the test is over */
		printf("%lu %.0f\n", count, worst * 1e6);
		fflush(stdout);
		count = 0;
		worst = 0;
	}
	raw_close(&dev);
	return 0;
}

struct bystander {
	pid_t pid;
	FILE *from, *to;
};

static void bystander_start(const char *argv0, struct bystander *b)
{
	char line[64];

	b->pid = test_spawn_self(argv0, "bystander", &b->from, &b->to);
	if (b->pid < 0)
		test_die("spawning the bystander", -b->pid);
	if (!test_read_line(b->from, line, sizeof(line), 10000) ||
	    strcmp(line, "ready\n"))
		test_die("the bystander did not start", EPROTO);
}

/* Commands it had served since the last report, and the worst wait. */
static void bystander_report(struct bystander *b, const char *during)
{
	unsigned long count = 0;
	double worst_us = 0;
	char line[64];

	fprintf(b->to, "report\n");
	fflush(b->to);
	if (!test_read_line(b->from, line, sizeof(line), 60000) ||
	    sscanf(line, "%lu %lf", &count, &worst_us) != 2)
		test_die("the bystander does not answer", EPROTO);
	test_check(count > 0 && worst_us < BYSTANDER_MAX_US,
		   "bystander served during %s: %lu commands, worst %.0f us",
		   during, count, worst_us);
}

static void bystander_stop(struct bystander *b)
{
	int status;

	fclose(b->to);
	waitpid(b->pid, &status, 0);
	fclose(b->from);
	test_check(WIFEXITED(status) && !WEXITSTATUS(status),
		   "the bystander exits cleanly");
}

/* ------------------------------------------------------------------ */
/* raw helpers                                                         */

/*
 * The huge range's size: a TiB, or the largest power of two down to 64 GiB
 * this process can reserve (ThreadSanitizer's shadow may leave no TiB);
 * the offsets below (AT()) are of a TiB, scaled to it.
 */
static uint64_t span = TIB;
#define AT(gib) ((uint64_t)(gib) * (span / 1024))

static void *huge_range(int prot)
{
	void *p;

	for (;; span /= 2) {
		p = mmap(NULL, span, prot, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED || errno != ENOMEM || span <= 64 * GIB)
			break;
	}
	if (p == MAP_FAILED)
		test_die("mmap of a huge MAP_NORESERVE range", errno);
	if (span < TIB)
		printf("info: %llu GiB reserved, not a TiB: the offsets are "
		       "scaled to it\n", (unsigned long long)(span / GIB));
	return p;
}

/* REG_MR at any address and length (the raw client's helper checks). */
static int reg(struct raw_dev *dev, uint32_t pd, uint64_t addr, uint64_t len,
	       uint32_t access, uint32_t *key)
{
	struct ib_uverbs_reg_mr cmd = {
		.start = addr, .length = len, .hca_va = addr,
		.pd_handle = pd, .access_flags = access,
	};
	struct ib_uverbs_reg_mr_resp resp;
	int ret = raw_write(dev, IB_USER_VERBS_CMD_REG_MR, &cmd, sizeof(cmd),
			    &resp, sizeof(resp));

	if (!ret)
		*key = resp.lkey;
	return ret;
}

static int dereg(struct raw_dev *dev, uint32_t key)
{
	return raw_destroy(dev, RAW_MR, key);
}

/* One ODP_MAP range: the call's -errno, or 0 with *resp filled. */
static int map1(struct raw_dev *dev, uint32_t key, uint32_t flags,
		uint64_t va, uint64_t len, struct uodp_odp_map_resp *resp)
{
	struct uodp_odp_map_range r = { .mr_key = key, .flags = flags,
					.va = va, .length = len };
	struct ib_uverbs_attr attrs[2] = {
		raw_attr_in(UODP_IB_ATTR_ODP_MAP_RANGES, &r, sizeof(r)),
		raw_attr_out(UODP_IB_ATTR_ODP_MAP_RESP, resp, sizeof(*resp)),
	};

	memset(resp, 0, sizeof(*resp));
	return raw_ioctl(dev, UODP_IB_OBJECT_ODP, UODP_IB_METHOD_ODP_MAP,
			 attrs, 2);
}

/* UVERBS_METHOD_ADVISE_MR of one SGE: 0 or -errno. */
static int advise(struct raw_dev *dev, uint32_t pd, uint32_t advice,
		  uint32_t flags, uint32_t key, uint64_t addr, uint32_t len)
{
	struct ib_uverbs_sge sge = { .addr = addr, .length = len,
				     .lkey = key };
	struct ib_uverbs_attr attrs[4] = {
		raw_attr_idr(UVERBS_ATTR_ADVISE_MR_PD_HANDLE, pd),
		raw_attr_in(UVERBS_ATTR_ADVISE_MR_ADVICE, &advice,
			    sizeof(advice)),
		raw_attr_in(UVERBS_ATTR_ADVISE_MR_FLAGS, &flags,
			    sizeof(flags)),
		raw_attr_in(UVERBS_ATTR_ADVISE_MR_SGE_LIST, &sge,
			    sizeof(sge)),
	};

	return raw_ioctl(dev, UVERBS_OBJECT_MR, UVERBS_METHOD_ADVISE_MR,
			 attrs, 4);
}

static uint64_t pages_present(struct raw_dev *dev, uint32_t key)
{
	struct uodp_query_counters_resp r;
	uint32_t i;

	if (raw_query_counters(dev, UODP_COUNTERS_CONTEXT, 0, &r))
		return 0;
	for (i = 0; i < r.nmrs && i < UODP_COUNTERS_MRS_PER_QUERY; i++)
		if (r.mrs[i].mr_key == key)
			return r.mrs[i].pages_present;
	return 0;
}

/* A field of /proc/PID/status in kB ("VmRSS:", "VmData:"), or -1. */
static long status_kb(pid_t pid, const char *field)
{
	char path[64], text[8192], *at;
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
	}
	if (n <= 0)
		return -1;
	text[n] = 0;
	at = strstr(text, field);
	return at ? strtol(at + strlen(field), NULL, 10) : -1;
}

/* ------------------------------------------------------------------ */
/* register: the huge MR through the provider, data checked            */

static bool rdma_write_check(struct odp_side *s, struct ibv_qp *qp,
			     struct ibv_mr *src, uint8_t *dst,
			     uint32_t rkey, uint32_t len, unsigned int seed)
{
	struct ibv_wc wc;

	odp_fill(src->addr, len, seed);
	if (odp_post_send(qp, seed, IBV_WR_RDMA_WRITE, src->addr, len,
			  src->lkey, (uintptr_t)dst, rkey))
		return false;
	if (odp_poll(s->cq, &wc, 1, 30000) != 1 ||
	    wc.status != IBV_WC_SUCCESS)
		return false;
	return !memcmp(src->addr, dst, len);
}

/*
 * A 256 MiB RDMA write into fresh memory of the TiB MR: its faults' MAPs
 * take the device several slices each, continued by the fault engine and
 * raced by the resumed queue faulting again; the data must all be there.
 */
static void big_write(struct odp_side *s, struct ibv_qp *qp,
		      struct ibv_mr *huge, uint8_t *base)
{
	const uint32_t len = 256u << 20;
	uint8_t *buf = odp_fresh(len);
	struct ibv_mr *src = odp_reg(s, buf, len, ODP_ACCESS_ALL);
	struct uodp_query_counters_resp c0, c1;
	double t0 = test_now();
	bool ok;

	odp_counters(&c0);
	ok = src && rdma_write_check(s, qp, src, base + AT(800) + 64,
				     huge->rkey, len, 5);
	odp_counters(&c1);
	test_check(ok, "a 256 MiB RDMA write, mapped in slices, lands, data "
		   "checked (%.0f ms, %llu MAP calls)", (test_now() - t0) * 1e3,
		   (unsigned long long)(c1.engine.map_calls -
					c0.engine.map_calls));
	if (src)
		ibv_dereg_mr(src);
	munmap(buf, len);
	/* Its pages go back: the rest of the test needs no such memory. */
	madvise(base + AT(800), len + ODP_PAGE, MADV_DONTNEED);
}

/*
 * A big asynchronous ibv_advise_mr (16 SGEs of 4 GiB) is served a chunk
 * at a time by the provider's fault engine: a fault meanwhile is served
 * while the advice is still going on, not after it.
 */
static void advise_meanwhile(struct odp_side *s, struct ibv_qp *qp,
			     struct ibv_mr *src, struct ibv_mr *huge,
			     uint8_t *base, uint32_t len)
{
	const uint32_t nsge = 16, sge_len = UINT32_MAX & ~4095u;
	struct uodp_odp_mr_counters m;
	struct ibv_sge sg[16];
	uint64_t advised = 0;
	double t0, dt;
	bool found;
	uint32_t i;
	int ret;

	for (i = 0; i < nsge; i++) {
		sg[i] = (struct ibv_sge){
			.addr = (uintptr_t)base + AT(64) + i * AT(4),
			.length = sge_len, .lkey = huge->lkey,
		};
		advised += sge_len / ODP_PAGE;
	}
	t0 = test_now();
	ret = ibv_advise_mr(s->pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0, sg,
			    nsge);
	dt = test_now() - t0;
	test_check(!ret && dt < CALL_MAX_S, "ibv_advise_mr of 64 GiB without "
		   "FLUSH returns at once: %d (%.3f ms)", ret, dt * 1e3);
	t0 = test_now();
	test_check(rdma_write_check(s, qp, src, base + AT(900), huge->rkey,
				    len, 4),
		   "an RDMA write faulting meanwhile lands, data checked");
	dt = test_now() - t0;
	found = odp_mr_counters(huge->lkey, &m);
	test_check(found && m.pages_present < advised,
		   "its fault was served while the advice went on (%.3f ms, "
		   "%llu of %llu advised pages present)", dt * 1e3,
		   (unsigned long long)m.pages_present,
		   (unsigned long long)advised);
}

static void run_register(void)
{
	const uint32_t len = 64 * 1024;
	long data0, data1, rss0, rss1;
	struct ibv_mr *huge, *src, *implicit;
	struct ibv_qp *qp;
	struct raw_dev probe;
	struct odp_side s;
	uint8_t *base, *buf;
	double t0, dt;
	pid_t dev_pid;

	if (raw_open(&probe))
		test_die("open " RAW_DEV_PATH " (inside uodp-run?)", EIO);
	dev_pid = (pid_t)probe.device_pid;
	odp_side_open(&s, 16);
	qp = odp_rc_qp(&s, 16);
	if (!qp || odp_rc_connect(&s, qp, qp->qp_num, 14, 7))
		test_die("an RC QP connected to itself", errno);
	buf = odp_fresh(len);
	src = odp_reg(&s, buf, len, ODP_ACCESS_ALL);
	base = huge_range(PROT_READ | PROT_WRITE);
	if (!src)
		test_die("the source MR", errno);

	data0 = status_kb(dev_pid, "VmData:");
	rss0 = status_kb(dev_pid, "VmRSS:");
	t0 = test_now();
	huge = odp_reg(&s, base, span, ODP_ACCESS_ALL);
	dt = test_now() - t0;
	test_check(huge != NULL, "a 1 TiB explicit ODP MR registers: %s",
		   huge ? "yes" : strerror(errno));
	if (!huge)
		return;
	printf("info: 1 TiB explicit ODP MR registered in %.3f ms\n",
	       dt * 1e3);
	test_check(dt < CALL_MAX_S, "registration takes no time (%.3f ms)",
		   dt * 1e3);
	test_check(rdma_write_check(&s, qp, src, base + AT(700) + 12345,
				    huge->rkey, len, 1),
		   "an RDMA write 700 GiB into it lands, data checked");
	test_check(rdma_write_check(&s, qp, src, base + span - len, huge->rkey,
				    len, 2),
		   "an RDMA write at its very end lands, data checked");
	data1 = status_kb(dev_pid, "VmData:");
	rss1 = status_kb(dev_pid, "VmRSS:");
	printf("info: device VmData %+ld kB, VmRSS %+ld kB for the TiB MR "
	       "and two writes\n", data1 - data0, rss1 - rss0);
	test_check(data0 > 0 && data1 - data0 < DEVICE_GROWTH_MAX_KB &&
		   rss1 - rss0 < DEVICE_GROWTH_MAX_KB,
		   "the device grew little (VmData %+ld kB, VmRSS %+ld kB)",
		   data1 - data0, rss1 - rss0);

	implicit = ibv_reg_mr(s.pd, NULL, SIZE_MAX, ODP_ACCESS_ALL |
			      IBV_ACCESS_ON_DEMAND);
	test_check(implicit != NULL, "the implicit ODP MR registers");
	if (implicit) {
		test_check(rdma_write_check(&s, qp, src,
					    base + AT(300) + 777,
					    implicit->rkey, len, 3),
			   "an RDMA write 300 GiB into the range through the "
			   "implicit MR lands, data checked");
		ibv_dereg_mr(implicit);
	}
	big_write(&s, qp, huge, base);
	advise_meanwhile(&s, qp, src, huge, base, len);
	test_check(!ibv_dereg_mr(huge), "the TiB MR deregisters");

	/* What no MR may cover: beyond the address space, or wrapping. */
	errno = 0;
	huge = ibv_reg_mr(s.pd, base, (1ull << 57), ODP_ACCESS_ALL |
			  IBV_ACCESS_ON_DEMAND);
	test_check(!huge && errno == EINVAL,
		   "an ODP MR past the user address space: %s",
		   huge ? "registered" : strerror(errno));
	if (huge)
		ibv_dereg_mr(huge);

	ibv_dereg_mr(src);
	ibv_destroy_qp(qp);
	odp_side_close(&s);
	munmap(base, span);
	munmap(buf, len);
	raw_close(&probe);
}

/* ------------------------------------------------------------------ */
/* map: MAP and ADVISE_MR over a TiB, by hand                          */

/*
 * One MAP of [va, va+len), then its continuation for up to secs: every
 * call must come back within CALL_MAX_S, having done something.
 */
static void map_in_slices(struct raw_dev *dev, uint32_t key, uint32_t flags,
			  uint64_t va, uint64_t len, double secs,
			  const char *what)
{
	struct uodp_odp_map_resp resp;
	double end = test_now() + secs, t0, dt, worst = 0;
	uint64_t done = 0, calls = 0, pages = 0;
	bool ok = true;
	int ret;

	do {
		t0 = test_now();
		ret = map1(dev, key, flags, va + done, len - done, &resp);
		dt = test_now() - t0;
		worst = dt > worst ? dt : worst;
		calls++;
		pages += resp.pages_mapped;
		if (ret || (resp.status && resp.status != -EAGAIN)) {
			ok = false;
			break;
		}
		if (!resp.status) {
			done = len;
			break;
		}
		/* Stopped early: how far it got, and progress made. */
		if (resp.ranges_done || !resp.range_done ||
		    resp.range_done >= len - done) {
			ok = false;
			break;
		}
		done += resp.range_done;
	} while (test_now() < end);
	printf("info: %s: %llu calls, worst %.3f ms, %llu of %llu MiB, "
	       "%llu pages mapped\n", what, (unsigned long long)calls,
	       worst * 1e3, (unsigned long long)(done >> 20),
	       (unsigned long long)(len >> 20), (unsigned long long)pages);
	test_check(ok && worst < CALL_MAX_S && done,
		   "%s: each call a slice (worst %.3f ms), continued from "
		   "where it stopped (%d, status %d)", what, worst * 1e3, ret,
		   resp.status);
}

static void map_errors(struct raw_dev *dev, uint32_t key, uint8_t *base)
{
	struct uodp_odp_map_resp resp;
	uint64_t va = (uintptr_t)base;
	int ret;

	ret = map1(dev, key, 0, va + span - 4096, 8192, &resp);
	test_check(!ret && resp.status == -EINVAL,
		   "MAP across the MR's end: %d", resp.status);
	ret = map1(dev, key, 0, va, UINT64_MAX, &resp);
	test_check(!ret && resp.status == -EINVAL, "MAP of length 2^64-1: %d",
		   resp.status);
	ret = map1(dev, key, 0, UINT64_MAX - 4095, 8192, &resp);
	test_check(!ret && resp.status == -EINVAL, "MAP of a wrapping range: "
		   "%d", resp.status);
	ret = map1(dev, key, UODP_ODP_MAP_WRITE, va, 4096, &resp);
	test_check(!ret && resp.status == -EPERM,
		   "MAP for write of a read-only MR: %d", resp.status);
}

static void run_map(const char *argv0)
{
	uint32_t key, implicit, pd, hole_key;
	struct uodp_odp_map_resp resp;
	struct bystander b;
	struct raw_dev dev;
	uint64_t before, after;
	uint8_t *base;
	double t0, dt;
	int ret;

	bystander_start(argv0, &b);
	if (raw_open(&dev) || raw_alloc_pd(&dev, &pd))
		test_die("open " RAW_DEV_PATH " (inside uodp-run?)", EIO);
	base = huge_range(PROT_READ);
	t0 = test_now();
	ret = reg(&dev, pd, (uintptr_t)base, span, IBV_ACCESS_ON_DEMAND, &key);
	dt = test_now() - t0;
	test_check(!ret, "a 1 TiB read-only explicit ODP MR: %d", ret);
	if (ret)
		test_die("REG_MR", -ret);
	printf("info: registered in %.3f ms\n", dt * 1e3);
	bystander_report(&b, "registration");

	map_errors(&dev, key, base);
	map_in_slices(&dev, key, 0, (uintptr_t)base, span, 1.0,
		      "MAP of 1 TiB (faulting)");
	bystander_report(&b, "MAP of 1 TiB");
	map_in_slices(&dev, key, UODP_ODP_MAP_NO_FAULT, (uintptr_t)base, span,
		      1.0, "MAP NO_FAULT of 1 TiB");
	bystander_report(&b, "MAP NO_FAULT of 1 TiB");
	/* A retry walks over what is mapped by the GiB, not page by page. */
	map_in_slices(&dev, key, 0, (uintptr_t)base, AT(64), 1.0,
		      "MAP of 64 GiB, partly mapped already");

	/* ADVISE_MR: its SGE length is 32 bits, so a TiB is many SGEs. */
	before = pages_present(&dev, key);
	t0 = test_now();
	ret = advise(&dev, pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH, 0, key,
		     (uintptr_t)base + AT(512), UINT32_MAX & ~4095u);
	dt = test_now() - t0;
	test_check(!ret && dt < CALL_MAX_S, "ADVISE_MR PREFETCH of 4 GiB "
		   "without FLUSH returns at once: %d (%.3f ms)", ret,
		   dt * 1e3);
	usleep(500 * 1000);
	bystander_report(&b, "the prefetch's background work");
	after = pages_present(&dev, key);
	test_check(after > before, "the prefetch goes on in the background "
		   "(%llu -> %llu pages present)", (unsigned long long)before,
		   (unsigned long long)after);
	t0 = test_now();
	ret = advise(&dev, pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH,
		     IB_UVERBS_ADVISE_MR_FLAG_FLUSH, key,
		     (uintptr_t)base + AT(600), UINT32_MAX & ~4095u);
	dt = test_now() - t0;
	test_check(ret == -EAGAIN && dt < CALL_MAX_S,
		   "ADVISE_MR FLUSH of 4 GiB: a slice, then EAGAIN: %d "
		   "(%.3f ms)", ret, dt * 1e3);
	ret = advise(&dev, pd, IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH,
		     IB_UVERBS_ADVISE_MR_FLAG_FLUSH, key,
		     (uintptr_t)base + span - 4096, 8192);
	test_check(ret == -EINVAL, "ADVISE_MR across the MR's end: %d", ret);
	/* Deregistering ends the background work: the device is idle. */
	test_check(!dereg(&dev, key), "the TiB MR deregisters with its "
		   "prefetch pending");
	usleep(200 * 1000);
	bystander_report(&b, "deregistration");

	/* The implicit MR over the same TiB. */
	ret = reg(&dev, pd, 0, UINT64_MAX, IBV_ACCESS_ON_DEMAND, &implicit);
	test_check(!ret, "the implicit ODP MR: %d", ret);
	if (!ret) {
		map_in_slices(&dev, implicit, 0, (uintptr_t)base, span, 1.0,
			      "MAP of 1 TiB through the implicit MR");
		bystander_report(&b, "MAP through the implicit MR");
		ret = map1(&dev, implicit, 0, UINT64_MAX - 4095, 8192,
			   &resp);
		test_check(!ret && resp.status == -EINVAL,
			   "implicit MAP of a wrapping range: %d",
			   resp.status);
		ret = map1(&dev, implicit, 0, 1ull << 57, 4096, &resp);
		test_check(!ret && resp.status == -EFAULT,
			   "implicit MAP past the user address space: %d",
			   resp.status);
		dereg(&dev, implicit);
	}

	/* Registration's length rules at the top of the address space. */
	ret = reg(&dev, pd, (uintptr_t)base, UINT64_MAX - (uintptr_t)base,
		  IBV_ACCESS_ON_DEMAND, &hole_key);
	test_check(ret == -EINVAL, "an ODP MR up to 2^64: %d", ret);
	ret = reg(&dev, pd, (uintptr_t)base, UINT64_MAX,
		  IBV_ACCESS_ON_DEMAND, &hole_key);
	test_check(ret == -EINVAL, "an ODP MR that wraps: %d", ret);

	raw_close(&dev);
	munmap(base, span);
	bystander_stop(&b);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "bystander"))
		return run_bystander();
	if (!strcmp(mode, "register"))
		run_register();
	else if (!strcmp(mode, "map"))
		run_map(argv[0]);
	else {
		fprintf(stderr, "usage: odp_bounded register|map (inside "
			"uodp-run)\n");
		return 2;
	}
	printf("odp_bounded %s: %d failure(s)\n", mode, test_failures);
	return test_failures ? 1 : 0;
}
