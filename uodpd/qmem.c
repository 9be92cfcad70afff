// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * Queue memory: the rings and doorbell records of CQs, QPs and SRQs, as the
 * device reaches them.
 *
 * On a kernel the provider's rings are its own anonymous memory: mlx5_ib
 * pins buf_addr and db_addr with ib_umem_get and the HCA DMAs into them.
 * Here the same memory is reached with process_vm_readv/writev: a system
 * call per access, so the emulator also offers, as an optional extra, queue
 * memory in a sealed memfd the provider shares, which the device maps and
 * touches with plain loads and stores.  Both end in the same views, so the
 * engine does not know which one a queue has.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <endian.h>

#include "uodpd.h"

#define QMEM_MAX_SIZE (1ull << 32)
#define RING_ALIGN 64
#define PROBE_BATCH 64			/* pages per process_vm call */

/* ---- attaching ---- */

static int map_memfd(struct ud_qmem *mem, int fd, uint64_t size)
{
	const int need = F_SEAL_SHRINK | F_SEAL_GROW;
	struct stat st;
	void *p;
	int seals;

	if (!size || size > QMEM_MAX_SIZE)
		return -EINVAL;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		/* EINVAL: not a memfd */
		return errno == EBADF ? -EBADF : -EINVAL;
	if ((seals & need) != need)
		return -EINVAL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < size)
		return -EINVAL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return errno == ENOMEM ? -ENOMEM : -EACCES;
	mem->map = p;
	mem->map_size = size;
	return 0;
}

static int local_view(struct ud_qbuf *b, const struct ud_qmem *mem,
		      uint64_t off, uint64_t len)
{
	if (off > mem->map_size || len > mem->map_size - off)
		return -EINVAL;
	*b = (struct ud_qbuf){ .local = (uint8_t *)mem->map + off, .len = len };
	return 0;
}

/*
 * Fault the pages of [pva, pva+len) of pid as ib_umem_get would: each must
 * be there and readable, and writable when the device writes (the byte is
 * written back as read: nobody else uses a queue before it exists).
 */
static int probe_remote(pid_t pid, uint64_t pva, uint64_t len, bool writes)
{
	struct iovec local, remote[PROBE_BATCH];
	uint8_t bytes[PROBE_BATCH];
	uint64_t page = pva & ~(UODPD_PAGE_SIZE - 1);
	uint64_t end = pva + len;
	pid_t tid = 0;
	unsigned int n;
	ssize_t done;

	while (page < end) {
		for (n = 0; n < PROBE_BATCH && page < end; n++) {
			remote[n].iov_base = (void *)(uintptr_t)
				(page < pva ? pva : page);
			remote[n].iov_len = 1;
			page += UODPD_PAGE_SIZE;
		}
		local = (struct iovec){ bytes, n };
		done = process_vm_readv(pid, &local, 1, remote, n, 0);
		if (done < 0 && errno == ESRCH && !tid &&
		    (tid = ud_live_thread(pid))) {
			pid = tid;	/* the leader exited before its threads */
			done = process_vm_readv(pid, &local, 1, remote, n, 0);
		}
		if (done == (ssize_t)n && writes)
			done = process_vm_writev(pid, &local, 1, remote, n, 0);
		if (done != (ssize_t)n)
			return done < 0 && errno == ESRCH ? -ESRCH : -EFAULT;
	}
	return 0;
}

static int remote_view(struct ud_qbuf *b, pid_t pid, uint64_t pva,
		       uint64_t len, bool writes)
{
	if (!pva || pva + len < pva)
		return -EFAULT;
	*b = (struct ud_qbuf){ .pva = pva, .len = len, .pid = pid };
	return len ? probe_remote(pid, pva, len, writes) : 0;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int ud_qmem_attach(struct ud_qmem *mem, const struct ud_queue_mem *where,
		   int fd, pid_t pid, uint64_t ring_len, uint32_t db_len,
		   bool device_writes)
{
	int ret;

	*mem = (struct ud_qmem){ 0 };
	if (where->buf % RING_ALIGN || where->dbrec % db_len)
		return -EINVAL;
	if (fd < 0) {
		/* The doorbell record is written by the provider only. */
		ret = remote_view(&mem->ring, pid, where->buf, ring_len,
				  device_writes);
		if (!ret)
			ret = remote_view(&mem->db, pid, where->dbrec, db_len,
					  false);
		return ret;
	}
	/* In memory the device maps, a ring must not run over its record. */
	if (ring_len && overlap(where->buf, ring_len, where->dbrec, db_len))
		return -EINVAL;
	ret = map_memfd(mem, fd, where->mmap_size);
	if (ret)
		return ret;
	if (local_view(&mem->ring, mem, where->buf, ring_len) ||
	    local_view(&mem->db, mem, where->dbrec, db_len)) {
		ud_qmem_detach(mem);
		return -EINVAL;
	}
	return 0;
}

void ud_qmem_detach(struct ud_qmem *mem)
{
	if (mem->map)
		munmap(mem->map, mem->map_size);
	*mem = (struct ud_qmem){ 0 };
}

/* ---- access ---- */

struct ud_qbuf ud_qbuf_sub(const struct ud_qbuf *b, uint64_t off,
			   uint64_t len)
{
	struct ud_qbuf s = *b;

	if (s.local)
		s.local += off;
	else
		s.pva += off;
	s.len = len;
	return s;
}

static bool inside(const struct ud_qbuf *b, uint64_t off, size_t len)
{
	return off <= b->len && len <= b->len - off;
}

int ud_qbuf_read(const struct ud_qbuf *b, uint64_t off, void *dst,
		 size_t len)
{
	if (!inside(b, off, len))
		return -EINVAL;
	if (!b->local)
		return ud_pid_read(b->pid, b->pva + off, dst, len);
	memcpy(dst, b->local + off, len);
	return 0;
}

int ud_qbuf_write(const struct ud_qbuf *b, uint64_t off, const void *src,
		  size_t len)
{
	if (!inside(b, off, len))
		return -EINVAL;
	if (!b->local)
		return ud_pid_write(b->pid, b->pva + off, src, len);
	memcpy(b->local + off, src, len);
	return 0;
}

int ud_qbuf_load_be32(const struct ud_qbuf *b, unsigned int idx,
		      uint32_t *val)
{
	uint32_t raw;
	int ret;

	if (!inside(b, (uint64_t)idx * 4, 4))
		return -EINVAL;
	if (b->local) {
		raw = __atomic_load_n((uint32_t *)b->local + idx,
				      __ATOMIC_ACQUIRE);
	} else {
		ret = ud_pid_read(b->pid, b->pva + (uint64_t)idx * 4, &raw, 4);
		if (ret)
			return ret;
	}
	*val = be32toh(raw);
	return 0;
}

int ud_qbuf_store_u8(const struct ud_qbuf *b, uint64_t off, uint8_t val)
{
	if (!inside(b, off, 1))
		return -EINVAL;
	if (!b->local)
		/*
		 * A system call of its own, after the one that wrote the rest:
		 * the earlier copy is complete when this one starts.
		 */
		return ud_pid_write(b->pid, b->pva + off, &val, 1);
	__atomic_store_n(b->local + off, val, __ATOMIC_RELEASE);
	return 0;
}
