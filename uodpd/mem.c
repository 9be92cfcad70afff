// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The memory layer: memory regions (pinned ones present everywhere and
 * charged to their process, pin.c; ODP ones with the translation tables
 * of odp_mr.c), the key check
 * the engine runs on every scatter entry, application memory access with
 * process_vm_readv/writev (queue memory is qmem.c's).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "odp_priv.h"

#define MR_KEY_SHIFT 8

/* ---- application memory ---- */

static int vm_errno(int err)
{
	if (err == ESRCH)
		return -ESRCH;
	if (err == EPERM)
		ud_warn("process_vm access refused: the client must allow it (PR_SET_PTRACER)");
	return -EFAULT;
}

typedef ssize_t (*vm_rw_fn)(pid_t, const struct iovec *, unsigned long,
			    const struct iovec *, unsigned long,
			    unsigned long);

/*
 * The leader of a thread group may exit (pthread_exit in main) while its
 * threads go on: its task then has no mm, so process_vm on the tgid says
 * ESRCH although the memory is still there.  Any thread reaches that mm.
 */
pid_t ud_live_thread(pid_t tgid)
{
	char path[64];
	struct dirent *e;
	pid_t tid = 0;
	DIR *dir;
	long v;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)tgid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while (!tid && (e = readdir(dir))) {
		v = strtol(e->d_name, NULL, 10);
		if (v > 0 && v != tgid)
			tid = (pid_t)v;
	}
	closedir(dir);
	return tid;
}

static int vm_transfer_once(vm_rw_fn fn, pid_t pid, uint64_t pva,
			    void *local, size_t len)
{
	struct iovec liov, riov;
	ssize_t n;

	while (len) {
		liov.iov_base = local;
		liov.iov_len = len;
		riov.iov_base = (void *)(uintptr_t)pva;
		riov.iov_len = len;
		n = fn(pid, &liov, 1, &riov, 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EFAULT;	/* partial transfer stopped at a hole */
		local = (uint8_t *)local + n;
		pva += n;
		len -= n;
	}
	return 0;
}

static int vm_transfer(vm_rw_fn fn, pid_t pid, uint64_t pva, void *local,
		       size_t len)
{
	int ret = vm_transfer_once(fn, pid, pva, local, len);
	pid_t tid;

	if (ret == -ESRCH && (tid = ud_live_thread(pid)))
		ret = vm_transfer_once(fn, tid, pva, local, len);
	return ret ? vm_errno(-ret) : 0;
}

int ud_pid_read(pid_t pid, uint64_t pva, void *dst, size_t len)
{
	return vm_transfer(process_vm_readv, pid, pva, dst, len);
}

int ud_pid_write(pid_t pid, uint64_t pva, const void *src, size_t len)
{
	/* process_vm_writev only reads the local buffer. */
	return vm_transfer(process_vm_writev, pid, pva, (void *)src, len);
}

int ud_pid_writev(pid_t pid, const struct ud_pid_iov *iov, unsigned int n)
{
	struct iovec liov[4] = { { 0 } }, riov[4] = { { 0 } };
	size_t total = 0;
	unsigned int i;
	ssize_t done;

	if (n > 4)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		liov[i] = (struct iovec){ iov[i].local, iov[i].len };
		riov[i] = (struct iovec){ (void *)(uintptr_t)iov[i].pva,
					  iov[i].len };
		total += iov[i].len;
	}
	done = process_vm_writev(pid, liov, n, riov, n, 0);
	if (done == (ssize_t)total)
		return 0;
	/* A short or refused transfer: each piece on its own says why. */
	for (i = 0; i < n; i++)
		if (ud_pid_write(pid, iov[i].pva, iov[i].local, iov[i].len))
			return done < 0 && errno == ESRCH ? -ESRCH : -EFAULT;
	return 0;
}

int ud_mem_read(struct ud_ctx *ctx, uint64_t pva, void *dst, size_t len)
{
	return ud_pid_read(ctx->pid, pva, dst, len);
}

int ud_mem_write(struct ud_ctx *ctx, uint64_t pva, const void *src, size_t len)
{
	return ud_pid_write(ctx->pid, pva, src, len);
}

/* ---- memory regions ---- */

struct ud_mr *ud_mr_lookup(struct uodpd *d, uint32_t key)
{
	struct ud_mr *mr = ud_idr_find(&d->mrs, key >> MR_KEY_SHIFT);

	return mr && mr->key == key ? mr : NULL;
}

enum ud_mr_status ud_mr_check(struct uodpd *d, uint32_t key, uint32_t pdn,
			      uint64_t va, uint64_t len, uint32_t need_access,
			      struct ud_mr **out, uint64_t *fault_va)
{
	struct ud_mr *mr = ud_mr_lookup(d, key);
	uint64_t page, page_pva;

	if (!mr)
		return UD_MR_BAD_KEY;
	/* No caller may pass for "any PD": an rkey is always a PD's. */
	if (mr->pdn != pdn)
		return UD_MR_BAD_PD;
	if (va < mr->iova || va - mr->iova > mr->length ||
	    len > mr->length - (va - mr->iova))
		return UD_MR_BAD_BOUNDS;
	if ((mr->access & need_access) != need_access)
		return UD_MR_BAD_ACCESS;
	if (mr->odp && len) {
		page = ud_odp_mr_first_missing(mr, ud_mr_pva(mr, va), len,
					       ud_odp_access_writes(need_access));
		if (page == UINT64_MAX)
			goto ok;
		/* MR address of that page's start (the MR's, for its first) */
		page_pva = page << UODPD_PAGE_SHIFT;
		if (fault_va)
			*fault_va = page_pva < mr->addr ? mr->iova :
				    mr->iova + (page_pva - mr->addr);
		if (d->odp)	/* whose fault the engine raises next */
			d->odp->last_fault_key = mr->key;
		return UD_MR_FAULT;
	}
	/*
	 * Pinned MRs are present everywhere from registration on: the
	 * device reaches their pages with process_vm_readv/writev, which
	 * fault in any the process let go (it cannot hold them as a pin).
	 */
ok:
	if (out)
		*out = mr;
	return UD_MR_OK;
}

/* IB_ACCESS_SUPPORTED of the kernel, as IBV_ACCESS bits. */
#define MR_ACCESS_KNOWN (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC | \
			 IBV_ACCESS_MW_BIND | IBV_ACCESS_ZERO_BASED | \
			 IBV_ACCESS_ON_DEMAND | IBV_ACCESS_HUGETLB)

static int check_access(uint32_t access)
{
	/* Optional flags (relaxed ordering...) may be ignored by a device. */
	access &= ~IBV_ACCESS_OPTIONAL_RANGE;
	if (access & ~MR_ACCESS_KNOWN)
		return -EINVAL;
	if ((access & (IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC)) &&
	    !(access & IBV_ACCESS_LOCAL_WRITE))
		return -EINVAL;
	return 0;
}

uint64_t ud_mr_npages(uint64_t addr, uint64_t length)
{
	uint64_t first = addr & ~(UODPD_PAGE_SIZE - 1);

	return (addr + length - first + UODPD_PAGE_SIZE - 1) >>
	       UODPD_PAGE_SHIFT;
}

/* ib_access_writable(): pinned with FOLL_WRITE, so a write fault. */
static bool access_writable(uint32_t access)
{
	return access & (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			 IBV_ACCESS_REMOTE_ATOMIC | IBV_ACCESS_MW_BIND);
}

/*
 * Whether [start, end) of pid is covered by mappings that are readable and,
 * if write, writable: what pinning (get_user_pages with FOLL_WRITE) needs.
 */
static int check_mapped(pid_t pid, uint64_t start, uint64_t end, bool write)
{
	uint64_t lo, hi, covered = start;
	char path[64], perms[8];
	char *line = NULL;
	size_t cap = 0;
	int ret = -EFAULT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -EFAULT;
	/* Lines are sorted by address; getline keeps long paths whole. */
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &lo, &hi,
			   perms) != 3)
			continue;
		if (hi <= covered)
			continue;
		if (lo > covered)
			break;		/* a hole */
		if (perms[0] != 'r' || (write && perms[1] != 'w'))
			break;
		covered = hi;
		if (covered >= end) {
			ret = 0;
			break;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

/* The client can be read at both ends (also checks ptrace consent). */
static int probe_ends(struct ud_ctx *ctx, uint64_t addr, uint64_t length)
{
	uint8_t byte;
	int ret;

	ret = ud_mem_read(ctx, addr, &byte, 1);
	if (!ret)
		ret = ud_mem_read(ctx, addr + length - 1, &byte, 1);
	return ret;
}

/* ibv_reg_mr(pd, NULL, SIZE_MAX, ... | IBV_ACCESS_ON_DEMAND) */
static bool mr_is_implicit(uint64_t addr, uint64_t length, uint32_t access)
{
	return (access & IBV_ACCESS_ON_DEMAND) && !addr &&
	       length == UINT64_MAX;
}

static int mr_validate(struct uodpd *d, uint64_t addr, uint64_t length,
		       uint64_t iova, uint32_t access)
{
	uint64_t max = d->devices[0].attr.max_mr_size;
	int ret;

	ret = check_access(access);
	if (ret)
		return ret;
	if (mr_is_implicit(addr, length, access))
		return iova || (access & IBV_ACCESS_ZERO_BASED) ? -EINVAL : 0;
	/* As ib_umem_get: the end, rounded up to a page, must not wrap. */
	if (!length || length > max || addr + length < addr ||
	    addr + length > UINT64_MAX - UODPD_PAGE_SIZE + 1 ||
	    iova + length < iova)
		return -EINVAL;
	/* ODP: nothing is pinned; pages may be mapped later. */
	if (access & IBV_ACCESS_ON_DEMAND)
		return addr + length <= UD_ODP_USER_VA_END ? 0 : -EINVAL;
	return 0;	/* pinned: charged, then pinned_mr_check */
}

/*
 * What get_user_pages would refuse of a pinned MR: a hole, or a mapping
 * without the access.  O(mappings), not O(pages), so a huge MR does not
 * hold the device.  The pages themselves are the provider's to populate
 * (UODP_EMU_CAP_POPULATE_PINNED) and are not walked here: the device
 * reaches them with process_vm_readv/writev, which faults in any that are
 * missing, so a provider that skips it costs only its own process.
 */
static int pinned_mr_check(struct ud_ctx *ctx, uint64_t addr,
			   uint64_t length, uint32_t access)
{
	int ret = check_mapped(ctx->pid, addr, addr + length,
			       access_writable(access));

	return ret ? ret : probe_ends(ctx, addr, length);
}

/*
 * mlx5's key: the mkey index above an 8-bit variant that changes with every
 * registration (mlx5_ib's mkey_var), so a key kept past its MR's
 * deregistration does not name a later MR that gets the same index.
 */
static uint32_t mr_make_key(struct uodpd *d, uint32_t id)
{
	return id << MR_KEY_SHIFT | d->mr_variant++;
}

static void mr_fill(struct ud_mr *mr, uint32_t key, struct ud_ctx *ctx,
		    uint32_t pdn, uint64_t addr, uint64_t length,
		    uint64_t iova, uint32_t access)
{
	mr->key = key;
	mr->pdn = pdn;
	mr->ctx = ctx;
	mr->iova = iova;
	mr->addr = addr;
	mr->length = length;
	mr->access = access & ~IBV_ACCESS_OPTIONAL_RANGE;
}

/*
 * An ODP MR: a translation table instead of pinning.  Explicit MRs start
 * with the pages already resident, implicit ones (the whole address space)
 * with nothing.
 */
static int odp_mr_register(struct uodpd *d, struct ud_ctx *ctx,
			   struct ud_mr *mr, uint32_t pdn, uint64_t addr,
			   uint64_t length, uint64_t iova, uint32_t access,
			   struct ud_mr **out)
{
	uint32_t id;
	int ret;

	mr->odp = true;
	mr->implicit = mr_is_implicit(addr, length, access);
	if (!mr->implicit)
		mr->npages = ud_mr_npages(addr, length);
	mr_fill(mr, 0, ctx, pdn, addr, length, iova, access);
	ret = ud_odp_mr_init(d, ctx, mr);
	if (ret) {
		free(mr);
		return ret;
	}
	id = ud_idr_alloc(&d->mrs, mr);
	if (!id) {
		ret = errno == ENOSPC ? -ENOSPC : -ENOMEM;
		ud_odp_mr_fini(d, mr);
		free(mr);
		return ret;
	}
	mr->key = mr_make_key(d, id);
	list_add_tail(&ctx->mrs, &mr->ctx_link);
	ud_res_get(ctx, UD_RES_MR);
	*out = mr;
	return 0;
}

/*
 * A pinned MR: charged to its process's pinned pages first, as
 * ib_umem_get charges pinned_vm before it faults a page, so a refused
 * one touches nothing; nothing is kept per page.
 */
static int pinned_mr_register(struct uodpd *d, struct ud_ctx *ctx,
			      struct ud_mr *mr, uint32_t pdn, uint64_t addr,
			      uint64_t length, uint64_t iova, uint32_t access,
			      uint64_t memlock_pages, struct ud_mr **out)
{
	uint32_t id;
	int ret;

	mr->npages = ud_mr_npages(addr, length);
	ret = ud_pin_charge(d, ctx, mr->npages, memlock_pages, &mr->pin);
	if (ret)
		goto err_free;
	ret = pinned_mr_check(ctx, addr, length, access);
	if (ret)
		goto err_uncharge;
	id = ud_idr_alloc(&d->mrs, mr);
	if (!id) {
		ret = errno == ENOSPC ? -ENOSPC : -ENOMEM;
		goto err_uncharge;
	}
	mr_fill(mr, mr_make_key(d, id), ctx, pdn, addr, length, iova, access);
	list_add_tail(&ctx->mrs, &mr->ctx_link);
	ud_res_get(ctx, UD_RES_MR);
	*out = mr;
	return 0;

err_uncharge:
	ud_pin_uncharge(d, mr->pin, mr->npages);
err_free:
	free(mr);
	return ret;
}

int ud_mr_register(struct uodpd *d, struct ud_ctx *ctx, uint32_t pdn,
		   uint64_t addr, uint64_t length, uint64_t iova,
		   uint32_t access, uint64_t memlock_pages,
		   struct ud_mr **out)
{
	struct ud_mr *mr;
	int ret;

	ret = mr_validate(d, addr, length, iova, access);
	if (!ret)
		ret = ud_res_check(ctx, UD_RES_MR);
	if (ret)
		return ret;
	mr = calloc(1, sizeof(*mr));
	if (!mr)
		return -ENOMEM;
	if (access & IBV_ACCESS_ON_DEMAND)
		return odp_mr_register(d, ctx, mr, pdn, addr, length, iova,
				       access, out);
	return pinned_mr_register(d, ctx, mr, pdn, addr, length, iova, access,
				  memlock_pages, out);
}

void ud_mr_destroy(struct uodpd *d, struct ud_mr *mr)
{
	ud_idr_remove(&d->mrs, mr->key >> MR_KEY_SHIFT);
	list_del(&mr->ctx_link);
	ud_res_put(mr->ctx, UD_RES_MR);
	if (mr->odp)
		ud_odp_mr_fini(d, mr);
	else
		ud_pin_uncharge(d, mr->pin, mr->npages);
	free(mr);
}
