// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Pinned MRs, run inside uodp-run, as root and as an ordinary user:
 *
 *   uodp-pinning limits     a process's pinned MRs count against its
 *                           RLIMIT_MEMLOCK (here 1 MiB) as ib_umem_get
 *                           counts pinned_vm: ENOMEM past it, ODP MRs
 *                           free of it, all its contexts sharing one
 *                           count, another process not noticing,
 *                           deregistration, a failed registration and a
 *                           closed context giving it back; CAP_IPC_LOCK
 *                           exempt (root only)
 *   uodp-pinning populate   a pinned MR over untouched MAP_NORESERVE
 *                           memory is resident once registered: written
 *                           pages for writable access, read faults
 *                           otherwise; an ODP MR stays untouched
 *   uodp-pinning daemon     huge pinned MRs (4 x 64 GiB of read-only
 *                           NORESERVE memory, by the raw client, which
 *                           populates nothing) do not grow the daemon
 *                           (root only: CAP_IPC_LOCK for 256 GiB)
 *   uodp-pinning kill       a SIGKILLed client with pinned MRs in two
 *                           contexts: the device tears them down and
 *                           serves on
 *
 * Exit status 0 when every check passed; each check is printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "lib/child.h"
#include "lib/rawdev.h"
#include "lib/report.h"
#include "lib/verbs.h"

#define KIB 1024ul
#define MIB (1024ul * KIB)
#define GIB (1024ul * MIB)
#define PAGE 4096ul
#define LIMIT MIB			/* RLIMIT_MEMLOCK of the checks */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *argv0;

static void *noreserve(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		test_die("mmap", errno);
	return p;
}

/* Pages of [p, p+len) mincore calls resident. */
static size_t resident_pages(void *p, size_t len)
{
	size_t n = len / PAGE, i, count = 0;
	unsigned char *vec = malloc(n);

	if (!vec || mincore(p, len, vec))
		test_die("mincore", errno);
	for (i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

/* Rss of the mapping at p (smaps): the shared zero page is not counted. */
static unsigned long rss_kib(void *p)
{
	char line[256], want[32];
	unsigned long kib = 0;
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		test_die("smaps", errno);
	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)p);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = !strncmp(line, want, strlen(want));
			continue;
		}
		if (in && sscanf(line, "Rss: %lu kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

/*
 * What the kernel's own read faults of len bytes of untouched PROT_READ
 * memory cost, in KiB of Rss: 0 where they map the shared zero page, the
 * whole range on kernels that give each page its own (seen on a 6.18).
 */
static unsigned long kernel_read_fault_kib(size_t len)
{
	char *p = noreserve(len, PROT_READ);
	volatile char sink = 0;
	unsigned long kib;
	size_t off;

	for (off = 0; off < len; off += PAGE)
		sink ^= p[off];
	(void)sink;
	kib = rss_kib(p);
	munmap(p, len);
	return kib;
}

/* The calling thread's effective CAP_IPC_LOCK, on or off; was it held? */
static bool set_ipc_lock(bool on)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	bool had;

	if (syscall(SYS_capget, &hdr, data))
		test_die("capget", errno);
	had = data[0].effective & (1u << CAP_IPC_LOCK);
	if (on && !(data[0].permitted & (1u << CAP_IPC_LOCK)))
		return had;
	if (on)
		data[0].effective |= 1u << CAP_IPC_LOCK;
	else
		data[0].effective &= ~(1u << CAP_IPC_LOCK);
	if (syscall(SYS_capset, &hdr, data))
		test_die("capset", errno);
	return had;
}

static bool ipc_lock_permitted(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		test_die("capget", errno);
	return data[0].permitted & (1u << CAP_IPC_LOCK);
}

static void set_memlock(rlim_t bytes)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		test_die("getrlimit", errno);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < bytes)
		test_die("RLIMIT_MEMLOCK hard limit below the test's", EPERM);
	rl.rlim_cur = bytes;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		test_die("setrlimit", errno);
}

static struct ibv_context *open_dev(void)
{
	struct ibv_context *ctx = test_open_device("uodp0");

	if (!ctx)
		test_die("open uodp0", errno);
	return ctx;
}

static struct ibv_pd *alloc_pd(struct ibv_context *ctx)
{
	struct ibv_pd *pd = ibv_alloc_pd(ctx);

	if (!pd)
		test_die("ibv_alloc_pd", errno);
	return pd;
}

/* ibv_reg_mr's answer: 0 and *mr, or -errno. */
static int reg(struct ibv_pd *pd, void *p, size_t len, int access,
	       struct ibv_mr **mr)
{
	*mr = ibv_reg_mr(pd, p, len, access);
	return *mr ? 0 : -errno;
}

/*
 * The device learns of a close from inotify, after close() returned (the
 * kernel's release runs inside it): what the closed file held is given
 * back within moments.  A pinned writable MR, retried for up to 5 s.
 */
static int reg_eventually(struct ibv_pd *pd, void *p, size_t len,
			  struct ibv_mr **mr)
{
	double end = test_now() + 5;
	int ret;

	while ((ret = reg(pd, p, len, IBV_ACCESS_LOCAL_WRITE, mr)) ==
	       -ENOMEM && test_now() < end)
		usleep(10000);
	return ret;
}

static void dereg(struct ibv_mr *mr)
{
	if (mr && ibv_dereg_mr(mr))
		test_die("ibv_dereg_mr", errno);
}

/* ---- another process: one pinned MR of len bytes ---- */

static int child_pin(void)
{
	struct ibv_context *ctx = open_dev();
	struct ibv_pd *pd = alloc_pd(ctx);
	void *p = noreserve(600 * KIB, PROT_READ | PROT_WRITE);
	struct ibv_mr *mr;
	char line[16];
	int ret;

	set_ipc_lock(false);
	set_memlock(LIMIT);
	ret = reg(pd, p, 600 * KIB, IBV_ACCESS_LOCAL_WRITE, &mr);
	printf("%d\n", ret);
	fflush(stdout);
	/* Hold it until told. */
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	dereg(mr);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	return 0;
}

static void other_process_unaffected(void)
{
	FILE *from, *to;
	char line[32] = "";
	pid_t pid;
	int st;

	pid = test_spawn_self(argv0, "child-pin", &from, &to);
	if (pid < 0)
		test_die("spawn", -pid);
	test_check(test_read_line(from, line, sizeof(line), 20000) &&
		   atoi(line) == 0,
		   "another process pins 600 KiB while this one holds 600 (%d)",
		   atoi(line));
	fputs("done\n", to);
	fclose(to);
	fclose(from);
	waitpid(pid, &st, 0);
}

/*
 * len bytes whose first half is a MAP_SHARED memfd of one page, the rest
 * anonymous: both ends can be read, but the pages past the file's end
 * cannot be had (SIGBUS), so get_user_pages fails in the middle.
 */
static void *past_eof(size_t len, int *fd)
{
	char *p = noreserve(len, PROT_READ | PROT_WRITE);

	*fd = memfd_create("uodp-pinning", MFD_CLOEXEC);
	if (*fd < 0 || ftruncate(*fd, PAGE))
		test_die("memfd", errno);
	if (mmap(p, len / 2, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 *fd, 0) == MAP_FAILED)
		test_die("mmap memfd", errno);
	return p;
}

static void mode_limits(void)
{
	struct ibv_context *ctx = open_dev(), *ctx2 = open_dev();
	struct ibv_pd *pd = alloc_pd(ctx), *pd2 = alloc_pd(ctx2);
	char *big = noreserve(64 * MIB, PROT_READ | PROT_WRITE);
	char *a = noreserve(600 * KIB, PROT_READ | PROT_WRITE);
	char *b = noreserve(600 * KIB, PROT_READ | PROT_WRITE);
	char *c = noreserve(900 * KIB, PROT_READ | PROT_WRITE);
	struct ibv_mr *mr, *mr_a, *mr_b, *mr_c;
	bool root_exempt;
	char *eof;
	int fd;

	root_exempt = set_ipc_lock(false);
	set_memlock(LIMIT);

	test_check_ret(reg(pd, big, 64 * MIB, IBV_ACCESS_LOCAL_WRITE, &mr),
		       -ENOMEM, "pinned 64 MiB under a 1 MiB RLIMIT_MEMLOCK");
	dereg(mr);
	test_check(resident_pages(big, 64 * MIB) == 0,
		   "the refused MR's pages were not touched");
	test_check_ret(reg(pd, big, 64 * MIB, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_ON_DEMAND, &mr), 0,
		       "ODP 64 MiB under the same limit");
	dereg(mr);
	test_check_ret(reg(pd, big, 64 * MIB, 0, &mr), -ENOMEM,
		       "pinned 64 MiB, read-only access, counts the same");
	dereg(mr);

	/* Registrations add up, per process. */
	test_check_ret(reg(pd, a, 600 * KIB, IBV_ACCESS_LOCAL_WRITE, &mr_a),
		       0, "pinned 600 KiB");
	test_check_ret(reg(pd, b, 600 * KIB, IBV_ACCESS_LOCAL_WRITE, &mr_b),
		       -ENOMEM, "a second 600 KiB, 1200 KiB in all");
	dereg(mr_b);
	test_check_ret(reg(pd2, b, 600 * KIB, IBV_ACCESS_LOCAL_WRITE, &mr_b),
		       -ENOMEM, "the same from another context of the process");
	dereg(mr_b);
	test_check_ret(reg(pd, a, 600 * KIB, IBV_ACCESS_LOCAL_WRITE, &mr_b),
		       -ENOMEM, "the same pages again: each MR is charged");
	dereg(mr_b);
	other_process_unaffected();
	dereg(mr_a);
	test_check_ret(reg(pd2, b, 600 * KIB, IBV_ACCESS_LOCAL_WRITE, &mr_b),
		       0, "after the first's deregistration, the second");

	/*
	 * A closed context gives its pins back: closed with its PD and MR
	 * alive (their verbs structs are lost, as a crashed program's).
	 */
	ibv_close_device(ctx2);
	test_check_ret(reg_eventually(pd, c, 900 * KIB, &mr_c), 0,
		       "900 KiB once the context holding 600 KiB closed");
	dereg(mr_c);

	/*
	 * A registration get_user_pages fails (pages past the file's end)
	 * is given back: 800 KiB refused with EFAULT, then 900 KiB fit.
	 */
	eof = past_eof(800 * KIB, &fd);
	test_check_ret(reg(pd, eof, 800 * KIB, IBV_ACCESS_LOCAL_WRITE, &mr),
		       -EFAULT, "pinned pages past a file's end, mid-range");
	dereg(mr);
	test_check_ret(reg(pd, c, 900 * KIB, IBV_ACCESS_LOCAL_WRITE, &mr_c),
		       0, "900 KiB after the failed registration");
	dereg(mr_c);
	munmap(eof, 800 * KIB);
	close(fd);

	/* CAP_IPC_LOCK is exempt, as capable(CAP_IPC_LOCK) in ib_umem_get. */
	if (ipc_lock_permitted()) {
		set_ipc_lock(true);
		test_check_ret(reg(pd, big, 64 * MIB, 0, &mr), 0,
			       "pinned 64 MiB with CAP_IPC_LOCK");
		dereg(mr);
		set_ipc_lock(root_exempt);
	} else {
		printf("skip: CAP_IPC_LOCK's exemption needs root (uid %u)\n",
		       (unsigned int)geteuid());
	}
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
}

static void mode_populate(void)
{
	struct ibv_context *ctx = open_dev();
	struct ibv_pd *pd = alloc_pd(ctx);
	const size_t len = 4 * MIB, n = len / PAGE;
	char *rw = noreserve(len, PROT_READ | PROT_WRITE);
	char *ro = noreserve(len, PROT_READ);
	char *odp = noreserve(len, PROT_READ | PROT_WRITE);
	unsigned long ro_kib, kernel_kib;
	struct ibv_mr *mr;

	set_ipc_lock(false);
	set_memlock(8 * MIB);
	test_check(resident_pages(rw, len) == 0 && rss_kib(rw) == 0,
		   "untouched NORESERVE memory is not resident");
	test_check_ret(reg(pd, rw, len, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_WRITE, &mr), 0,
		       "pinned 4 MiB, writable");
	test_check(resident_pages(rw, len) == n,
		   "every page resident after registration (%zu of %zu)",
		   resident_pages(rw, len), n);
	test_check(rss_kib(rw) == len / KIB,
		   "write faults: %lu KiB of its own pages (want %zu)",
		   rss_kib(rw), len / KIB);
	dereg(mr);

	test_check_ret(reg(pd, ro, len, IBV_ACCESS_REMOTE_READ, &mr), 0,
		       "pinned 4 MiB, read-only, over a PROT_READ mapping");
	test_check(resident_pages(ro, len) == n,
		   "every page mapped after registration (%zu of %zu)",
		   resident_pages(ro, len), n);
	ro_kib = rss_kib(ro);
	kernel_kib = kernel_read_fault_kib(len);
	test_check(ro_kib <= kernel_kib,
		   "read faults: no more memory than the kernel's own (%lu KiB,"
		   " the kernel's %lu)", ro_kib, kernel_kib);
	dereg(mr);

	test_check_ret(reg(pd, ro, len, IBV_ACCESS_LOCAL_WRITE, &mr), -EFAULT,
		       "writable access over a PROT_READ mapping");
	dereg(mr);

	test_check_ret(reg(pd, odp, len, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_ON_DEMAND, &mr), 0, "ODP 4 MiB");
	test_check(resident_pages(odp, len) == 0,
		   "an ODP MR populates nothing");
	dereg(mr);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
}

static long vm_rss_kib(pid_t pid)
{
	char path[64], line[128];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void mode_daemon(void)
{
	const size_t len = 64 * GIB;
	char *mem = noreserve(len, PROT_READ);
	struct raw_dev dev;
	uint32_t pd, keys[4];
	long before, after;
	size_t i;
	int ret;

	if (!ipc_lock_permitted()) {
		printf("skip: 256 GiB pinned needs CAP_IPC_LOCK (uid %u)\n",
		       (unsigned int)geteuid());
		return;
	}
	set_ipc_lock(true);
	ret = raw_open(&dev);
	if (ret)
		test_die("raw_open", -ret);
	if (raw_alloc_pd(&dev, &pd))
		test_die("alloc_pd", EIO);
	before = vm_rss_kib((pid_t)dev.device_pid);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		test_check_ret(raw_reg_mr(&dev, pd, mem, len, 0, &keys[i]), 0,
			       "pinned 64 GiB of NORESERVE memory (%zu)", i);
	after = vm_rss_kib((pid_t)dev.device_pid);
	/* A bitmap a page would be 2 MiB each, 8 MiB in all. */
	test_check(before > 0 && after - before < 1024,
		   "the daemon grew by %ld KiB for 256 GiB pinned",
		   after - before);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		raw_destroy(&dev, RAW_MR, keys[i]);
	raw_close(&dev);
	munmap(mem, len);
}

static int child_hold(void)
{
	struct ibv_context *ctx = open_dev(), *ctx2 = open_dev();
	struct ibv_pd *pd = alloc_pd(ctx), *pd2 = alloc_pd(ctx2);
	char *p = noreserve(800 * KIB, PROT_READ | PROT_WRITE);
	struct ibv_mr *mr, *mr2;
	int ret;

	set_ipc_lock(false);
	set_memlock(LIMIT);
	ret = reg(pd, p, 400 * KIB, IBV_ACCESS_LOCAL_WRITE, &mr);
	if (!ret)
		ret = reg(pd2, p + 400 * KIB, 400 * KIB, 0, &mr2);
	printf("%d\n", ret);
	fflush(stdout);
	pause();
	return 0;
}

static void mode_kill(void)
{
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	FILE *from, *to;
	char line[32] = "", *p;
	int round, st;
	pid_t pid;

	for (round = 0; round < 3; round++) {
		pid = test_spawn_self(argv0, "child-hold", &from, &to);
		if (pid < 0)
			test_die("spawn", -pid);
		test_check(test_read_line(from, line, sizeof(line), 20000) &&
			   atoi(line) == 0,
			   "a client pins 800 KiB in two contexts (%d)", round);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fclose(from);
		fclose(to);
	}
	ctx = open_dev();
	pd = alloc_pd(ctx);
	p = noreserve(900 * KIB, PROT_READ | PROT_WRITE);
	set_ipc_lock(false);
	set_memlock(LIMIT);
	test_check_ret(reg(pd, p, 900 * KIB, IBV_ACCESS_LOCAL_WRITE, &mr), 0,
		       "the device serves on: 900 KiB pinned here");
	dereg(mr);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} modes[] = {
		{ "limits", mode_limits },
		{ "populate", mode_populate },
		{ "daemon", mode_daemon },
		{ "kill", mode_kill },
	};
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	argv0 = argv[0];
	if (argc == 2 && !strcmp(argv[1], "child-pin"))
		return child_pin();
	if (argc == 2 && !strcmp(argv[1], "child-hold"))
		return child_hold();
	for (i = 0; argc == 2 && i < ARRAY_SIZE(modes); i++) {
		if (strcmp(argv[1], modes[i].name))
			continue;
		modes[i].fn();
		printf("%s: %d failure(s)\n", modes[i].name, test_failures);
		return test_failures ? 1 : 0;
	}
	fprintf(stderr, "usage: %s limits|populate|daemon|kill\n", argv[0]);
	return 2;
}
