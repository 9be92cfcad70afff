// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * What pinned MRs cost their process: ib_umem_get's pinned_vm.  A kernel
 * adds a pinned MR's pages to the registering mm's pinned_vm and refuses
 * with ENOMEM past the caller's RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK;
 * the release takes them off again.  The count is the mm's: every context
 * and command fd of one process shares it, and no other process sees it.
 *
 * Here the mm is the process a context reaches memory through (its pid),
 * whose pages the MR names, and the limit and capability are the
 * caller's, as the kernel asks them of current (the two are one process
 * unless a forked child uses its parent's command fd).  A process is
 * named by pid and start time: a context outlives its process only until
 * the daemon reads the pidfd, and a process that reuses the number in
 * that moment is another mm.  An account lives while a pinned MR is
 * charged to it, so a dead client's go with its contexts' MRs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "uodpd.h"
#include "uverbs.h"

struct ud_pin_acct {
	pid_t tgid;
	uint64_t start_time;		/* /proc/PID/stat field 22 */
	uint64_t pages;			/* mm->pinned_vm, of our MRs */
	uint32_t mrs;			/* pinned MRs charged to it */
	struct ud_pin_acct *next;	/* in its hash chain */
};

/* Field 22 of /proc/PID/stat, after the command (which may hold spaces). */
static int read_start_time(pid_t pid, uint64_t *start_time)
{
	char path[64], buf[1024], *p;
	unsigned long long v;
	size_t n;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return -ESRCH;
	/* ") S ppid ...": state is field 3, start time field 22. */
	for (i = 2; i < 22 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &v) != 1)
		return -ESRCH;
	*start_time = v;
	return 0;
}

/* Read once: the context dies with its process (0: not read yet). */
static int ctx_start_time(struct ud_ctx *ctx, uint64_t *start_time)
{
	int ret = 0;

	if (!ctx->pin_start_time)
		ret = read_start_time(ctx->pid, &ctx->pin_start_time);
	*start_time = ctx->pin_start_time;
	return ret;
}

static struct ud_pin_acct **chain(struct uodpd *d, pid_t tgid)
{
	return &d->pin_hash[(uint32_t)tgid % UD_PIN_HASH];
}

static struct ud_pin_acct *find_or_add(struct uodpd *d, pid_t tgid,
				       uint64_t start_time)
{
	struct ud_pin_acct **head = chain(d, tgid), *a;

	for (a = *head; a; a = a->next)
		if (a->tgid == tgid && a->start_time == start_time)
			return a;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->tgid = tgid;
	a->start_time = start_time;
	a->next = *head;
	*head = a;
	return a;
}

static void drop(struct uodpd *d, struct ud_pin_acct *acct)
{
	struct ud_pin_acct **p = chain(d, acct->tgid);

	while (*p != acct)
		p = &(*p)->next;
	*p = acct->next;
	free(acct);
}

int ud_pin_charge(struct uodpd *d, struct ud_ctx *ctx, uint64_t npages,
		  uint64_t limit_pages, struct ud_pin_acct **out)
{
	struct ud_pin_acct *acct;
	uint64_t start_time;
	int ret;

	ret = ctx_start_time(ctx, &start_time);
	if (ret)
		return ret;
	acct = find_or_add(d, ctx->pid, start_time);
	if (!acct)
		return -ENOMEM;
	/* new_pinned > lock_limit, as ib_umem_get compares them */
	if (npages > UINT64_MAX - acct->pages ||
	    acct->pages + npages > limit_pages) {
		if (!acct->mrs)
			drop(d, acct);
		return -ENOMEM;
	}
	acct->pages += npages;
	acct->mrs++;
	*out = acct;
	return 0;
}

void ud_pin_uncharge(struct uodpd *d, struct ud_pin_acct *acct,
		     uint64_t npages)
{
	acct->pages -= npages;
	if (!--acct->mrs)
		drop(d, acct);
}

uint64_t ud_pin_pages(struct uodpd *d, pid_t tgid)
{
	struct ud_pin_acct *a;
	uint64_t pages = 0;

	for (a = *chain(d, tgid); a; a = a->next)
		if (a->tgid == tgid)
			pages += a->pages;
	return pages;
}

/*
 * The soft RLIMIT_MEMLOCK of pid from /proc/PID/limits ("Max locked
 * memory  SOFT  HARD  bytes"), which anyone may read.
 */
static int read_memlock_limit(pid_t pid, struct rlimit *rl)
{
	char path[64], line[256], soft[32];
	int ret = -ESRCH;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Max locked memory", 17) ||
		    sscanf(line + 17, " %31s", soft) != 1)
			continue;
		rl->rlim_cur = strcmp(soft, "unlimited") ?
			       strtoull(soft, NULL, 10) : RLIM_INFINITY;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/*
 * prlimit() needs the target's uid or CAP_SYS_RESOURCE, which a daemon
 * may lack where it still has CAP_SYS_PTRACE to reach the process (a
 * root daemon with a reduced bounding set serving other users): then
 * the same figure from /proc.
 */
static int caller_memlock(pid_t pid, struct rlimit *rl)
{
	if (!prlimit(pid, RLIMIT_MEMLOCK, NULL, rl))
		return 0;
	if (errno == ESRCH)
		return -ESRCH;
	return read_memlock_limit(pid, rl);
}

int ud_pin_caller_limit(const struct ud_call *c, struct uodpd *d,
			const struct ud_ctx *ctx, uint64_t addr,
			uint64_t length, uint64_t *limit_pages)
{
	uint64_t limit, npages;
	struct rlimit rl;
	int ret;

	/*
	 * rlimit(RLIMIT_MEMLOCK) of the calling thread's process (rlimits
	 * are the thread group's).
	 */
	ret = caller_memlock(c->pid, &rl);
	if (ret)
		return ret;
	limit = rl.rlim_cur == RLIM_INFINITY ? UD_PIN_UNLIMITED :
		(uint64_t)rl.rlim_cur >> UODPD_PAGE_SHIFT;
	npages = addr + length < addr ? UINT64_MAX :
		 ud_mr_npages(addr, length);
	/*
	 * capable(CAP_IPC_LOCK) only past the limit, as ib_umem_get asks
	 * it (it reads /proc/PID/status: the dearest part here).  It is the
	 * device's user namespace's, and counts only while the thread that
	 * asked still waits (its pid was not reused).
	 */
	if (limit != UD_PIN_UNLIMITED &&
	    (npages > limit || ud_pin_pages(d, ctx->pid) > limit - npages) &&
	    ud_call_capable(c, CAP_IPC_LOCK))
		limit = UD_PIN_UNLIMITED;
	*limit_pages = limit;
	return ud_call_valid(c) ? 0 : -ESRCH;
}
